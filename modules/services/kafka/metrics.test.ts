/**
 * Kafka's metrics (issue 12; EXG_PCA_2, EXG_MON_1/2/6): the JMX exporter's rules produce exactly
 * the metric names the hds-kafka alerts read (taken from the rendered alert rules, not restated
 * here), the pinned agent jar and the pre-start's check of it, run with sh.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { MONITORING_FILES, type MonitoringRenderInput, renderMonitoring } from '../monitoring/render.ts';
import { JMX_EXPORTER, KAFKA_JMX_METRICS, renderArtefactCheck, renderKafkaJmxRules, strimziMetricName } from './metrics.ts';
import { jmxExporterMetricName, promqlMetricNames } from './testing.ts';

/** The MBeans Kafka's documentation names for these three signals (Kafka's side of the mapping). */
const KAFKA_MBEANS = [
  'kafka.server:type=ReplicaManager,name=UnderMinIsrPartitionCount',
  'kafka.controller:type=KafkaController,name=OfflinePartitionsCount',
  'kafka.controller:type=KafkaController,name=ActiveControllerCount',
];

const monitoring: MonitoringRenderInput = {
  confDir: '/etc/prometheus',
  caPath: '/etc/hds/tls/ca.crt',
  patroni: [],
  haproxy: [],
  postgresExporters: [],
  blackboxExporter: '10.38.4.53:9115',
  healthProbes: [],
  kafkaExporters: [
    { target: '10.38.4.45:9404', site: 'DC1', role: 'broker' },
    { target: '10.38.4.55:9404', site: 'DC1', role: 'controller' },
  ],
  nonEvents: [{ database: 'documents', minutes: 30 }],
};

type Rules = { groups: Array<{ name: string; rules: Array<{ alert: string; expr: string }> }> };
const kafkaAlerts = () =>
  (YAML.parse(renderMonitoring(monitoring).find((f) => f.path === MONITORING_FILES.rules)!.content) as Rules).groups.find((g) => g.name === 'hds-kafka')!.rules;

/** Every metric name an alert reads that no MBean yields under these rules. */
function unexported(rulesYaml: string): string[] {
  const produced = new Set(KAFKA_MBEANS.map((m) => jmxExporterMetricName(rulesYaml, m)));
  return kafkaAlerts()
    .flatMap((a) => promqlMetricNames(a.expr))
    .filter((n) => !produced.has(n));
}

describe('JMX exporter rules against the hds-kafka alerts', () => {
  const rules = renderKafkaJmxRules();
  const doc = YAML.parse(rules.content) as {
    lowercaseOutputName: boolean;
    includeObjectNames: string[];
    rules: Array<{ pattern: string; name: string; type: string }>;
  };

  it('every metric an alert reads is the output of a rule for one of the Kafka MBeans', () => {
    const alerts = kafkaAlerts();
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) expect(promqlMetricNames(a.expr).length, a.alert).toBeGreaterThan(0);
    expect(unexported(rules.content)).toEqual([]);
  });

  it('each MBean maps to exactly one metric, every one of them read by an alert; nothing else is queried', () => {
    const read = new Set(kafkaAlerts().flatMap((a) => promqlMetricNames(a.expr)));
    const outputs = KAFKA_MBEANS.map((m) => jmxExporterMetricName(rules.content, m));
    expect(new Set(outputs).size).toBe(KAFKA_MBEANS.length);
    for (const [i, o] of outputs.entries()) expect(read.has(o!), `${KAFKA_MBEANS[i]} → ${o}`).toBe(true);
    expect([...doc.includeObjectNames].sort()).toEqual([...KAFKA_MBEANS].sort());
    expect(doc.rules.map((r) => r.type)).toEqual(KAFKA_MBEANS.map(() => 'GAUGE'));
    // A neighbouring MBean of the same type is not collected (not queried, and no rule would match).
    expect(jmxExporterMetricName(rules.content, 'kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions')).toBeUndefined();
  });

  it("the names are Strimzi's: its generic gauge rule gives the same name for each MBean", () => {
    // Strimzi's examples/metrics/kafka-metrics.yaml: `kafka.(\w+)<type=(.+), name=(.+)><>Value` → `kafka_$1_$2_$3`, lowercaseOutputName.
    const strimziLike = YAML.stringify({
      lowercaseOutputName: true,
      rules: [{ pattern: 'kafka.(\\w+)<type=(.+), name=(.+)><>Value', name: 'kafka_$1_$2_$3' }],
    });
    for (const m of KAFKA_MBEANS) {
      expect(jmxExporterMetricName(rules.content, m)).toBe(jmxExporterMetricName(strimziLike, m));
      expect(strimziMetricName(m)).toBe(jmxExporterMetricName(strimziLike, m));
    }
  });

  it('the check fails when a rule is missing or names the metric otherwise', () => {
    const without = renderKafkaJmxRules(KAFKA_JMX_METRICS.filter((m) => !m.mbean.endsWith('ActiveControllerCount')));
    expect(unexported(without.content)).toEqual(['kafka_controller_kafkacontroller_activecontrollercount']);
    const renamed = rules.content.replace('name: kafka_server_replicamanager_underminisrpartitioncount', 'name: kafka_server_under_min_isr');
    expect(renamed).not.toBe(rules.content);
    expect(unexported(renamed)).toEqual(['kafka_server_replicamanager_underminisrpartitioncount']);
  });

  it('is a 0644 file without secret; refuses a malformed or repeated MBean', () => {
    expect(rules.mode).toBe(0o644);
    expect(rules.content).not.toMatch(/password|@@secret:|PRIVATE KEY/i);
    expect(() => renderKafkaJmxRules([])).toThrow(/at least one/);
    expect(() => renderKafkaJmxRules([{ ...KAFKA_JMX_METRICS[0]!, mbean: 'java.lang:type=Memory' }])).toThrow(/not a kafka/);
    expect(() => renderKafkaJmxRules([KAFKA_JMX_METRICS[0]!, KAFKA_JMX_METRICS[0]!])).toThrow(/twice/);
  });
});

describe('the pinned agent jar', () => {
  it('one Maven coordinate: the jar name, the repository path and the version agree; a SHA-256', () => {
    const { groupId, artifactId, version, jar, repositoryPath, sha256 } = JMX_EXPORTER;
    expect(jar).toBe(`${artifactId}-${version}.jar`);
    expect(repositoryPath).toBe(`${groupId.replaceAll('.', '/')}/${artifactId}/${version}/${jar}`);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  describe('the pre-start check, run by sh', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hds-jmx-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const jar = join(dir, 'agent.jar');
    writeFileSync(jar, 'the reviewed jar\n');
    const good = createHash('sha256').update('the reviewed jar\n').digest('hex');
    const run = (path: string, sha256: string) =>
      spawnSync('sh', ['-c', `set -eu\n${renderArtefactCheck({ variable: 'JMX_AGENT', path, sha256, what: 'Prometheus JMX exporter agent' })}\necho started`], {
        encoding: 'utf8',
      });

    it('passes the jar with the pinned checksum', () => {
      const r = run(jar, good);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('started\n');
    });
    it('stops when the jar is missing, or is another file', () => {
      const missing = run(join(dir, 'absent.jar'), good);
      expect(missing.status).toBe(1);
      expect(missing.stdout).toBe('');
      expect(missing.stderr).toContain('kafka-prestart: no Prometheus JMX exporter agent at');
      const other = run(jar, 'ab'.repeat(32));
      expect(other.status).toBe(1);
      expect(other.stdout).toBe('');
      expect(other.stderr).toContain(`is not the pinned Prometheus JMX exporter agent (SHA-256 ${'ab'.repeat(32)} expected)`);
    });
    it('refuses what would break the script', () => {
      expect(() => renderArtefactCheck({ variable: 'JMX_AGENT', path: '/opt/a b.jar', sha256: good, what: 'x' })).toThrow(/unsafe path/);
      expect(() => renderArtefactCheck({ variable: 'JMX_AGENT', path: jar, sha256: good.toUpperCase(), what: 'x' })).toThrow(/SHA-256/);
      expect(() => renderArtefactCheck({ variable: 'JMX_AGENT', path: jar, sha256: good, what: '$(reboot)' })).toThrow(/unsafe description/);
    });
  });
});
