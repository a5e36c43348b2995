/**
 * Kafka in the monitoring (issue 12; EXG_PCA_2, EXG_MON_1/2): the `kafka` scrape job over every
 * broker's and KRaft controller's JMX exporter, and the hds-kafka alerts (under-min-ISR partitions,
 * offline partitions, active controllers ≠ 1) on the JMX exporter's metric names (Strimzi's
 * kafka-metrics.yaml rules), checked and exercised with promtool; and the adapter that wires every
 * Kafka node of a topology into it.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PORTS } from '../../model/ports.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import { promtool, promtoolTestRules, writeRenderedFiles } from '../../testkit/promtool.ts';
import { monitoringInput } from '../fromTopology/monitoring.ts';
import { PRODUCTION } from '../fromTopology/profile.ts';
import { MONITORING_FILES, type MonitoringRenderInput, renderMonitoring } from './render.ts';

function input(confDir: string): MonitoringRenderInput {
  return {
    confDir,
    caPath: path.join(confDir, 'ca.crt'),
    patroni: [{ target: '10.199.0.129:8008', site: 'DC1', cluster: 'documents' }],
    haproxy: [],
    postgresExporters: [],
    blackboxExporter: '127.0.0.1:9115',
    healthProbes: [],
    kafkaExporters: [
      { target: '10.38.4.20:9404', site: 'DC1', role: 'broker' },
      { target: '10.38.20.20:9404', site: 'DC2', role: 'broker' },
      { target: '10.38.4.30:9404', site: 'DC1', role: 'controller' },
      { target: '10.38.20.30:9404', site: 'DC2', role: 'controller' },
      { target: '10.38.36.30:9404', site: 'DC3', role: 'controller' },
    ],
    nonEvents: [{ database: 'documents', minutes: 30 }],
  };
}

type Rules = { groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; annotations: Record<string, string> }> }> };
const rulesOf = (i: MonitoringRenderInput) => YAML.parse(renderMonitoring(i).find((f) => f.path === MONITORING_FILES.rules)!.content) as Rules;
const promOf = (i: MonitoringRenderInput) =>
  YAML.parse(renderMonitoring(i).find((f) => f.path === MONITORING_FILES.prometheus)!.content) as { scrape_configs: Array<Record<string, unknown>> };

describe('monitoring of Kafka', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await writeRenderedFiles('hds-mon-kafka-', (d) => renderMonitoring(input(d)));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scrapes every Kafka node (job kafka, labels site and role); the hds-kafka group exists only with Kafka targets', () => {
    expect(promOf(input('/m')).scrape_configs.find((j) => j.job_name === 'kafka')).toEqual({
      job_name: 'kafka',
      metrics_path: '/metrics',
      static_configs: [
        { targets: ['10.38.4.20:9404'], labels: { site: 'DC1', role: 'broker' } },
        { targets: ['10.38.20.20:9404'], labels: { site: 'DC2', role: 'broker' } },
        { targets: ['10.38.4.30:9404'], labels: { site: 'DC1', role: 'controller' } },
        { targets: ['10.38.20.30:9404'], labels: { site: 'DC2', role: 'controller' } },
        { targets: ['10.38.36.30:9404'], labels: { site: 'DC3', role: 'controller' } },
      ],
    });
    const kafka = rulesOf(input('/m')).groups.find((g) => g.name === 'hds-kafka')!;
    expect(kafka.rules.map((r) => [r.alert, r.expr])).toEqual([
      ['KafkaUnderMinIsrPartitions', 'kafka_server_replicamanager_underminisrpartitioncount{job="kafka"} > 0'],
      ['KafkaOfflinePartitions', 'max(kafka_controller_kafkacontroller_offlinepartitionscount{job="kafka"}) > 0'],
      ['KafkaActiveControllerCount', '(sum(kafka_controller_kafkacontroller_activecontrollercount{job="kafka"}) or vector(0)) != 1'],
    ]);
    for (const r of kafka.rules) expect(r.annotations.requirements).toBe('EXG_PCA_2 EXG_MON_1 EXG_MON_2');
    for (const without of [{ ...input('/m'), kafkaExporters: [] }, (({ kafkaExporters: _, ...rest }) => rest)(input('/m'))]) {
      expect(rulesOf(without).groups.map((g) => g.name)).not.toContain('hds-kafka');
      expect(promOf(without).scrape_configs.map((j) => j.job_name)).not.toContain('kafka');
    }
    expect(() => renderMonitoring({ ...input('/m'), kafkaExporters: [{ target: 'broker-without-port', site: 'DC1', role: 'broker' }] })).toThrow(
      /invalid scrape target broker-without-port/,
    );
  });

  it('promtool accepts the configuration and the rules (10 base + 3 Kafka)', async () => {
    expect((await promtool(['check', 'config', path.join(dir, MONITORING_FILES.prometheus)])).stdout).toMatch(/SUCCESS/);
    expect((await promtool(['check', 'rules', path.join(dir, MONITORING_FILES.rules)])).stdout).toMatch(/SUCCESS: 13 rules found/);
  });

  it('promtool test rules: under-min-ISR on a broker, offline partitions, no controller and two controllers fire; a healthy cluster is quiet', async () => {
    const broker = (site: string, ip: string) => `instance="${ip}:9404",job="kafka",role="broker",site="${site}"`;
    const controller = (site: string, ip: string) => `instance="${ip}:9404",job="kafka",role="controller",site="${site}"`;
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // DC2 is lost at t=10m: DC1's broker leads 12 partitions under min ISR (RF 4, min ISR 3, 2 replicas left).
            { series: `kafka_server_replicamanager_underminisrpartitioncount{${broker('DC1', '10.38.4.20')}}`, values: '0x9 12x20' },
            { series: `kafka_server_replicamanager_underminisrpartitioncount{${broker('DC2', '10.38.20.20')}}`, values: '0x9 _x20' },
            // Every controller reports the same offline count: 3 partitions without a leader from t=20m to t=25m.
            { series: `kafka_controller_kafkacontroller_offlinepartitionscount{${controller('DC1', '10.38.4.30')}}`, values: '0x19 3x5 0x5' },
            { series: `kafka_controller_kafkacontroller_offlinepartitionscount{${controller('DC3', '10.38.36.30')}}`, values: '0x19 3x5 0x5' },
            // One active controller, except: none from t=5m to t=8m, two (split brain) from t=15m to t=18m.
            { series: `kafka_controller_kafkacontroller_activecontrollercount{${controller('DC1', '10.38.4.30')}}`, values: '1x4 0x3 1x22' },
            { series: `kafka_controller_kafkacontroller_activecontrollercount{${controller('DC3', '10.38.36.30')}}`, values: '0x14 1x3 0x12' },
          ],
          alert_rule_test: [
            { eval_time: '9m', alertname: 'KafkaUnderMinIsrPartitions', exp_alerts: [] },
            {
              eval_time: '12m',
              alertname: 'KafkaUnderMinIsrPartitions',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', instance: '10.38.4.20:9404', job: 'kafka', role: 'broker', site: 'DC1' },
                  exp_annotations: {
                    summary: 'Kafka broker 10.38.4.20:9404 leads 12 partitions under min.insync.replicas',
                    description:
                      'For 1 minute, partitions led by 10.38.4.20:9404 (site DC1) have fewer in-sync replicas than min.insync.replicas: producers with acks=all get NotEnoughReplicas and those writes stop (RPO 0 is kept by refusing them). A lost DC is the expected cause: follow the runbook of docs/adr/0007.',
                    requirements: 'EXG_PCA_2 EXG_MON_1 EXG_MON_2',
                  },
                },
              ],
            },
            { eval_time: '19m', alertname: 'KafkaOfflinePartitions', exp_alerts: [] },
            {
              eval_time: '22m',
              alertname: 'KafkaOfflinePartitions',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical' },
                  exp_annotations: {
                    summary: 'Kafka has 3 offline partitions',
                    description:
                      'For 1 minute, the active KRaft controller reports partitions without a leader: nothing can be produced to or consumed from them. Unclean leader election is off: bring a replica of the ISR back, never force an out-of-sync one.',
                    requirements: 'EXG_PCA_2 EXG_MON_1 EXG_MON_2',
                  },
                },
              ],
            },
            { eval_time: '28m', alertname: 'KafkaOfflinePartitions', exp_alerts: [] },
            { eval_time: '4m', alertname: 'KafkaActiveControllerCount', exp_alerts: [] },
            {
              eval_time: '7m',
              alertname: 'KafkaActiveControllerCount',
              exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: controllerAnnotations('0') }],
            },
            { eval_time: '11m', alertname: 'KafkaActiveControllerCount', exp_alerts: [] },
            {
              eval_time: '17m',
              alertname: 'KafkaActiveControllerCount',
              exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: controllerAnnotations('2') }],
            },
            { eval_time: '21m', alertname: 'KafkaActiveControllerCount', exp_alerts: [] },
          ],
        },
        {
          // No controller answers at all (every exporter gone): counted as 0 active controllers.
          interval: '1m',
          input_series: [{ series: `kafka_controller_kafkacontroller_activecontrollercount{${controller('DC1', '10.38.4.30')}}`, values: '1x2' }],
          alert_rule_test: [
            { eval_time: '2m', alertname: 'KafkaActiveControllerCount', exp_alerts: [] },
            {
              eval_time: '10m',
              alertname: 'KafkaActiveControllerCount',
              exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: controllerAnnotations('0') }],
            },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'kafka.test.yml', t)).toMatch(/SUCCESS/);
  });
});

function controllerAnnotations(n: string) {
  return {
    summary: `Kafka has ${n} active KRaft controllers (expected 1)`,
    description:
      'For 1 minute, the KRaft controllers do not report exactly one active controller: 0 means no quorum leader (metadata frozen, no partition leader can be elected), more than 1 a split brain. Check the controllers of each site and the quorum (kafka-metadata-quorum.sh describe --status).',
    requirements: 'EXG_PCA_2 EXG_MON_1 EXG_MON_2',
  };
}

describe('monitoringInput: every Kafka node of the topology, on its admin address', () => {
  const nic = (zone: string, ip: string) => ({ zone, ip, vlan: 100 });
  const guest = (name: string, service: Guest['service'], role: Guest['role'], site: string, admin: string, extra: Partial<Guest> = {}): Guest =>
    ({
      name,
      service,
      role,
      cluster: service === 'kafka' ? 'kafka' : name,
      site,
      hosting: 'vm',
      size: { vcpu: 4, ramGiB: 16, diskGiB: 100 },
      nics: [
        nic(
          'back',
          admin.replace(/^10\.38\.(\d+)\./, (_, n) => `10.38.${Number(n) - 2}.`),
        ),
        nic('admin', admin),
      ],
      ...extra,
    }) as Guest;
  const topology = (kafka: boolean) =>
    ({
      environment: { name: 't' },
      guests: [
        guest('t-dc1-pg-documents-01', 'postgresql', 'primary', 'DC1', '10.38.4.10', { domain: 'documents' }),
        guest('t-dc1-monitoring-01', 'monitoring', 'node', 'DC1', '10.38.4.11'),
        ...(kafka
          ? [
              guest('t-dc1-kafka-broker-01', 'kafka', 'broker', 'DC1', '10.38.4.20'),
              guest('t-dc2-kafka-broker-01', 'kafka', 'broker', 'DC2', '10.38.20.20'),
              guest('t-dc1-kafka-controller-01', 'kafka', 'controller', 'DC1', '10.38.4.30'),
              guest('t-dc3-kafka-controller-01', 'kafka', 'controller', 'DC3', '10.38.36.30'),
            ]
          : []),
      ],
    }) as unknown as Topology;

  it('brokers then controllers, role-labelled, on PORTS.kafkaMetrics; none without Kafka', () => {
    const t = topology(true);
    const mon = t.guests.find((g) => g.service === 'monitoring')!;
    expect(PORTS.kafkaMetrics).toBe(9404);
    expect(monitoringInput(t, PRODUCTION, mon).kafkaExporters).toEqual([
      { target: '10.38.4.20:9404', site: 'DC1', role: 'broker' },
      { target: '10.38.20.20:9404', site: 'DC2', role: 'broker' },
      { target: '10.38.4.30:9404', site: 'DC1', role: 'controller' },
      { target: '10.38.36.30:9404', site: 'DC3', role: 'controller' },
    ]);
    const none = topology(false);
    expect(monitoringInput(none, PRODUCTION, none.guests.find((g) => g.service === 'monitoring')!).kafkaExporters).toEqual([]);
  });
});
