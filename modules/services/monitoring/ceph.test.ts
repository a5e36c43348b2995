/**
 * Ceph in the monitoring (issue 13; EXG_PCA_2, EXG_MON_1/2, EXG_VOL_3): the `ceph` scrape job over
 * every manager's exporter (active and standby, honor_labels), the hds-ceph alerts on the names the
 * Ceph 16 manager's prometheus module exports, each exercised with promtool (fires on a failing
 * series, quiet on a healthy one, and carries on across a manager failover); and the adapter that
 * wires the managers of the shipped production and lab topologies into it, on lines of the flow
 * matrix (monitoring-ceph), with the gateways' KMIP servers on lines of ceph-to-hsm.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { LAB_CEPH_DECLARATION } from '../../model/ceph.ts';
import { PORTS } from '../../model/ports.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import { promtool, promtoolTestRules, writeRenderedFiles } from '../../testkit/promtool.ts';
import { shippedTopology } from '../../testkit/topologies.ts';
import { CEPH_MGR_METRICS_PORT, cephDaemons, cephPlan, rgwInput } from '../fromTopology/ceph.ts';
import { cephExporters, monitoringInput } from '../fromTopology/monitoring.ts';
import { labProfile, PRODUCTION } from '../fromTopology/profile.ts';
import { CEPH_CAPACITY_ALERT, MONITORING_FILES, type MonitoringRenderInput, renderMonitoring } from './render.ts';

const DC1 = '10.38.4.48:9283';
const DC2 = '10.38.20.48:9283';

function input(confDir: string): MonitoringRenderInput {
  return {
    confDir,
    caPath: path.join(confDir, 'ca.crt'),
    patroni: [{ target: '10.199.0.129:8008', site: 'DC1', cluster: 'documents' }],
    haproxy: [],
    postgresExporters: [],
    blackboxExporter: '127.0.0.1:9115',
    healthProbes: [],
    cephExporters: [
      { target: DC1, site: 'DC1', role: 'mgr' },
      { target: DC2, site: 'DC2', role: 'mgr' },
    ],
    nonEvents: [{ database: 'documents', minutes: 30 }],
  };
}

type Rule = { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> };
type Rules = { groups: Array<{ name: string; rules: Rule[] }> };
const rulesOf = (i: MonitoringRenderInput) => YAML.parse(renderMonitoring(i).find((f) => f.path === MONITORING_FILES.rules)!.content) as Rules;
const promOf = (i: MonitoringRenderInput) =>
  YAML.parse(renderMonitoring(i).find((f) => f.path === MONITORING_FILES.prometheus)!.content) as { scrape_configs: Array<Record<string, unknown>> };
const cephGroup = () => rulesOf(input('/m')).groups.find((g) => g.name === 'hds-ceph')!;

const RPO = 'EXG_PCA_2 EXG_MON_1 EXG_MON_2';
const BLIND = 'EXG_MON_1 EXG_MON_2 EXG_MON_9';
const CAPACITY = 'EXG_VOL_3 EXG_MON_1 EXG_MON_2';

/** The annotations promtool must find on a firing alert: the rendered description with its template fields filled as Prometheus does. */
function annotations(alert: string, severity: string, summary: string, fill: Record<string, string> = {}) {
  const r = cephGroup().rules.find((x) => x.alert === alert && x.labels.severity === severity)!;
  let description = r.annotations.description!;
  for (const [k, v] of Object.entries(fill)) description = description.replaceAll(`{{ ${k} }}`, v);
  expect(description, `${alert}: every template field filled`).not.toContain('{{');
  return { summary, description, requirements: r.annotations.requirements! };
}

/** Labels of a series scraped from the manager exporter at `target` (what Prometheus adds to the exporter's own). */
const from = (target: string, labels = '') =>
  `instance="${target}",job="ceph",role="mgr",site="${target === DC1 ? 'DC1' : 'DC2'}"${labels ? `,${labels}` : ''}`;

describe('monitoring of Ceph: the ceph job and the hds-ceph alerts', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await writeRenderedFiles('hds-mon-ceph-', (d) => renderMonitoring(input(d)));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scrapes every manager, the standby too (job ceph, honor_labels, labels site and role); hds-ceph exists only with Ceph targets', () => {
    expect(promOf(input('/m')).scrape_configs.find((j) => j.job_name === 'ceph')).toEqual({
      job_name: 'ceph',
      honor_labels: true,
      metrics_path: '/metrics',
      static_configs: [
        { targets: [DC1], labels: { site: 'DC1', role: 'mgr' } },
        { targets: [DC2], labels: { site: 'DC2', role: 'mgr' } },
      ],
    });
    expect(cephGroup().rules.map((r) => [r.alert, r.labels.severity, r.for, r.expr])).toEqual([
      ['CephHealthError', 'critical', '1m', 'max(ceph_health_status{job="ceph"}) == 2'],
      ['CephHealthWarning', 'warning', '10m', 'max(ceph_health_status{job="ceph"}) == 1'],
      [
        'CephPGsInactive',
        'critical',
        '1m',
        '(max by (pool_id) (ceph_pg_total{job="ceph"}) - max by (pool_id) (ceph_pg_active{job="ceph"})) * on (pool_id) group_left (name) max by (pool_id, name) (ceph_pool_metadata{job="ceph"}) > 0',
      ],
      [
        'CephPGsUndersized',
        'warning',
        '15m',
        '(max by (pool_id) (ceph_pg_undersized{job="ceph"})) * on (pool_id) group_left (name) max by (pool_id, name) (ceph_pool_metadata{job="ceph"}) > 0',
      ],
      [
        'CephPGsDegraded',
        'warning',
        '15m',
        '(max by (pool_id) (ceph_pg_degraded{job="ceph"})) * on (pool_id) group_left (name) max by (pool_id, name) (ceph_pool_metadata{job="ceph"}) > 0',
      ],
      ['CephOSDDown', 'warning', '1m', 'max by (ceph_daemon) (ceph_osd_up{job="ceph"}) == 0'],
      ['CephMonQuorumLost', 'critical', '1m', 'max by (ceph_daemon) (ceph_mon_quorum_status{job="ceph"}) == 0'],
      ['CephCapacity', 'warning', '15m', 'max(ceph_cluster_total_used_raw_bytes{job="ceph"}) / max(ceph_cluster_total_bytes{job="ceph"}) > 0.75'],
      ['CephCapacity', 'critical', '5m', 'max(ceph_cluster_total_used_raw_bytes{job="ceph"}) / max(ceph_cluster_total_bytes{job="ceph"}) > 0.85'],
      ['CephMgrExporterDown', 'critical', '2m', 'absent(up{job="ceph"} == 1)'],
      ['CephNoActiveManager', 'critical', '2m', 'absent(ceph_health_status{job="ceph"}) and on () count(up{job="ceph"} == 1) > 0'],
    ]);
    // Below Ceph's per-OSD nearfull (0.85) and full (0.95): the cluster's ratio is an average.
    expect(CEPH_CAPACITY_ALERT.warning).toBeLessThan(CEPH_CAPACITY_ALERT.critical);
    expect(CEPH_CAPACITY_ALERT.critical).toBeLessThan(0.95);
    for (const r of cephGroup().rules) {
      expect(r.annotations.requirements, r.alert).toBe(
        r.alert === 'CephCapacity' ? CAPACITY : r.alert === 'CephMgrExporterDown' || r.alert === 'CephNoActiveManager' ? BLIND : RPO,
      );
      expect(Object.keys(r.annotations).sort(), r.alert).toEqual(['description', 'requirements', 'summary']);
    }
    for (const without of [{ ...input('/m'), cephExporters: [] }, (({ cephExporters: _, ...rest }) => rest)(input('/m'))]) {
      expect(rulesOf(without).groups.map((g) => g.name)).not.toContain('hds-ceph');
      expect(promOf(without).scrape_configs.map((j) => j.job_name)).not.toContain('ceph');
    }
    expect(() => renderMonitoring({ ...input('/m'), cephExporters: [{ target: 'mgr-without-port', site: 'DC1', role: 'mgr' }] })).toThrow(
      /invalid scrape target mgr-without-port/,
    );
  });

  it('promtool accepts the configuration and the rules (10 base + 11 Ceph)', async () => {
    expect((await promtool(['check', 'config', path.join(dir, MONITORING_FILES.prometheus)])).stdout).toMatch(/SUCCESS/);
    expect((await promtool(['check', 'rules', path.join(dir, MONITORING_FILES.rules)])).stdout).toMatch(/SUCCESS: 21 rules found/);
  });

  it('promtool test rules: health error and warning fire, the warning carrying on across a manager failover; a healthy cluster is quiet', async () => {
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // DC1's manager is active until t=14m (HEALTH_ERR t=4..7m, HEALTH_WARN from t=10m), then DC2's takes over at t=15m.
            { series: `ceph_health_status{${from(DC1)}}`, values: '0x3 2x3 0x1 1x4 stale' },
            { series: `ceph_health_status{${from(DC2)}}`, values: '_x14 1x10 0x5' },
          ],
          alert_rule_test: [
            { eval_time: '3m', alertname: 'CephHealthError', exp_alerts: [] },
            {
              eval_time: '6m',
              alertname: 'CephHealthError',
              exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: annotations('CephHealthError', 'critical', 'Ceph reports HEALTH_ERR') }],
            },
            { eval_time: '9m', alertname: 'CephHealthError', exp_alerts: [] },
            { eval_time: '6m', alertname: 'CephHealthWarning', exp_alerts: [] },
            { eval_time: '19m', alertname: 'CephHealthWarning', exp_alerts: [] },
            {
              eval_time: '22m',
              alertname: 'CephHealthWarning',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning' },
                  exp_annotations: annotations('CephHealthWarning', 'warning', 'Ceph reports HEALTH_WARN for 10 minutes'),
                },
              ],
            },
            { eval_time: '28m', alertname: 'CephHealthWarning', exp_alerts: [] },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'ceph-health.test.yml', t)).toMatch(/SUCCESS/);
  });

  it('promtool test rules: no exporter answering, then exporters answering without an active manager, each fire once; one exporter up is enough', async () => {
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // DC1's manager dies at t=15m (DC2's becomes active), DC2's host is unreachable t=30..34m, then answers as a standby with nothing active.
            { series: `up{${from(DC1)}}`, values: '1x14 0x30' },
            { series: `up{${from(DC2)}}`, values: '1x29 0x4 1x10' },
            { series: `ceph_health_status{${from(DC1)}}`, values: '0x14 stale' },
            { series: `ceph_health_status{${from(DC2)}}`, values: '_x14 0x14 stale' },
          ],
          alert_rule_test: [
            { eval_time: '20m', alertname: 'CephMgrExporterDown', exp_alerts: [] },
            { eval_time: '31m', alertname: 'CephMgrExporterDown', exp_alerts: [] },
            {
              eval_time: '33m',
              alertname: 'CephMgrExporterDown',
              exp_alerts: [
                { exp_labels: { severity: 'critical' }, exp_annotations: annotations('CephMgrExporterDown', 'critical', 'No Ceph manager exporter answers') },
              ],
            },
            { eval_time: '40m', alertname: 'CephMgrExporterDown', exp_alerts: [] },
            { eval_time: '20m', alertname: 'CephNoActiveManager', exp_alerts: [] },
            { eval_time: '33m', alertname: 'CephNoActiveManager', exp_alerts: [] },
            { eval_time: '36m', alertname: 'CephNoActiveManager', exp_alerts: [] },
            {
              eval_time: '40m',
              alertname: 'CephNoActiveManager',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', job: 'ceph' },
                  exp_annotations: annotations('CephNoActiveManager', 'critical', 'The Ceph manager exporters answer without metrics'),
                },
              ],
            },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'ceph-exporters.test.yml', t)).toMatch(/SUCCESS/);
  });

  it('promtool test rules: inactive PGs page after 1 minute (a single peering sample does not), undersized and degraded warn after 15 minutes, per pool with its name', async () => {
    const data = 'production-stretched.rgw.buckets.data';
    const pool = (id: string) => from(DC1, `pool_id="${id}"`);
    const meta = (id: string, name: string) =>
      `ceph_pool_metadata{${pool(id)},name="${name}",type="replicated",description="replica:4",compression_mode="none"}`;
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: meta('1', 'device_health_metrics'), values: '1x60' },
            { series: meta('9', data), values: '1x60' },
            { series: `ceph_pg_total{${pool('1')}}`, values: '1x60' },
            { series: `ceph_pg_total{${pool('9')}}`, values: '128x60' },
            { series: `ceph_pg_active{${pool('1')}}`, values: '1x60' },
            // 8 PGs peer for one sample at t=5m; 28 stay inactive t=10..12m.
            { series: `ceph_pg_active{${pool('9')}}`, values: '128x4 120 128x3 100x2 128x48' },
            // An OSD lost at t=20m: 64 PGs undersized until it is back at t=40m, degraded until recovery ends at t=45m.
            { series: `ceph_pg_undersized{${pool('1')}}`, values: '0x60' },
            { series: `ceph_pg_undersized{${pool('9')}}`, values: '0x19 64x19 0x21' },
            { series: `ceph_pg_degraded{${pool('1')}}`, values: '0x60' },
            { series: `ceph_pg_degraded{${pool('9')}}`, values: '0x19 64x24 0x16' },
          ],
          alert_rule_test: [
            { eval_time: '5m', alertname: 'CephPGsInactive', exp_alerts: [] },
            {
              eval_time: '11m',
              alertname: 'CephPGsInactive',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', pool_id: '9', name: data },
                  exp_annotations: annotations('CephPGsInactive', 'critical', `Ceph pool ${data} has 28 inactive PGs`, { $value: '28', '$labels.name': data }),
                },
              ],
            },
            { eval_time: '14m', alertname: 'CephPGsInactive', exp_alerts: [] },
            { eval_time: '34m', alertname: 'CephPGsUndersized', exp_alerts: [] },
            {
              eval_time: '36m',
              alertname: 'CephPGsUndersized',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', pool_id: '9', name: data },
                  exp_annotations: annotations('CephPGsUndersized', 'warning', `Ceph pool ${data} has 64 undersized PGs`, {
                    $value: '64',
                    '$labels.name': data,
                  }),
                },
              ],
            },
            { eval_time: '42m', alertname: 'CephPGsUndersized', exp_alerts: [] },
            { eval_time: '34m', alertname: 'CephPGsDegraded', exp_alerts: [] },
            {
              eval_time: '42m',
              alertname: 'CephPGsDegraded',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', pool_id: '9', name: data },
                  exp_annotations: annotations('CephPGsDegraded', 'warning', `Ceph pool ${data} has 64 degraded PGs`, { $value: '64', '$labels.name': data }),
                },
              ],
            },
            { eval_time: '46m', alertname: 'CephPGsDegraded', exp_alerts: [] },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'ceph-pgs.test.yml', t)).toMatch(/SUCCESS/);
  });

  it('promtool test rules: an OSD down fires across a manager failover, a monitor out of quorum fires; up and in-quorum daemons are quiet', async () => {
    const osd = (target: string, n: number) => `ceph_osd_up{${from(target, `ceph_daemon="osd.${n}"`)}}`;
    const mon = (name: string) => `ceph_mon_quorum_status{${from(DC1, `ceph_daemon="mon.${name}"`)}}`;
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // The active manager moves from DC1 to DC2 at t=15m; osd.1 is down t=5..19m.
            { series: osd(DC1, 0), values: '1x14 stale' },
            { series: osd(DC2, 0), values: '_x14 1x30' },
            { series: osd(DC1, 1), values: '1x4 0x9 stale' },
            { series: osd(DC2, 1), values: '_x14 0x4 1x25' },
            { series: mon('production-dc1-ceph-osd-01'), values: '1x30' },
            // The tie-breaker is out of the quorum t=10..15m.
            { series: mon('production-dc3-ceph-mon-witness-01'), values: '1x9 0x5 1x15' },
          ],
          alert_rule_test: [
            { eval_time: '5m', alertname: 'CephOSDDown', exp_alerts: [] },
            ...['10m', '17m'].map((eval_time) => ({
              eval_time,
              alertname: 'CephOSDDown',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', ceph_daemon: 'osd.1' },
                  exp_annotations: annotations('CephOSDDown', 'warning', 'Ceph osd.1 is down', { '$labels.ceph_daemon': 'osd.1' }),
                },
              ],
            })),
            { eval_time: '21m', alertname: 'CephOSDDown', exp_alerts: [] },
            { eval_time: '9m', alertname: 'CephMonQuorumLost', exp_alerts: [] },
            {
              eval_time: '12m',
              alertname: 'CephMonQuorumLost',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', ceph_daemon: 'mon.production-dc3-ceph-mon-witness-01' },
                  exp_annotations: annotations('CephMonQuorumLost', 'critical', 'Ceph mon.production-dc3-ceph-mon-witness-01 is out of the monitor quorum', {
                    '$labels.ceph_daemon': 'mon.production-dc3-ceph-mon-witness-01',
                  }),
                },
              ],
            },
            { eval_time: '17m', alertname: 'CephMonQuorumLost', exp_alerts: [] },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'ceph-daemons.test.yml', t)).toMatch(/SUCCESS/);
  });

  it('promtool test rules: capacity warns above 75 % for 15 minutes and is critical above 85 % for 5; 70 % is quiet', async () => {
    const warning = (pct: string) => ({
      exp_labels: { severity: 'warning' },
      exp_annotations: annotations('CephCapacity', 'warning', `Ceph uses ${pct} of its raw capacity`),
    });
    const critical = (pct: string) => ({
      exp_labels: { severity: 'critical' },
      exp_annotations: annotations('CephCapacity', 'critical', `Ceph uses ${pct} of its raw capacity`),
    });
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: `ceph_cluster_total_bytes{${from(DC1)}}`, values: '1000x60' },
            // 70 % until t=9m, 80 % t=10..39m, 90 % t=40..50m, 70 % again.
            { series: `ceph_cluster_total_used_raw_bytes{${from(DC1)}}`, values: '700x9 800x29 900x10 700x9' },
          ],
          alert_rule_test: [
            { eval_time: '9m', alertname: 'CephCapacity', exp_alerts: [] },
            { eval_time: '24m', alertname: 'CephCapacity', exp_alerts: [] },
            { eval_time: '30m', alertname: 'CephCapacity', exp_alerts: [warning('80%')] },
            { eval_time: '43m', alertname: 'CephCapacity', exp_alerts: [warning('90%')] },
            { eval_time: '47m', alertname: 'CephCapacity', exp_alerts: [warning('90%'), critical('90%')] },
            { eval_time: '53m', alertname: 'CephCapacity', exp_alerts: [] },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'ceph-capacity.test.yml', t)).toMatch(/SUCCESS/);
  });
});

const production = shippedTopology('production');
const lab = shippedTopology('lab', (doc) => (doc.services.ceph ? doc : { ...doc, services: { ...doc.services, ceph: LAB_CEPH_DECLARATION } }));
const adminIp = (g: Guest) => g.nics.find((n) => n.zone === 'admin')!.ip;
const managers = (t: Topology, p = PRODUCTION) => cephDaemons(t, p).filter((d) => d.kind === 'mgr');
const guest = (t: Topology, name: string) => t.guests.find((g) => g.name === name)!;

describe('monitoringInput: every Ceph manager of the topology, on a line of monitoring-ceph', () => {
  it('production: both managers (DC1, DC2) on their hosts’ admin addresses and PORTS.cephMgrMetrics, from every monitoring guest', () => {
    expect(PORTS.cephMgrMetrics).toBe(9283);
    expect(CEPH_MGR_METRICS_PORT).toBe(PORTS.cephMgrMetrics);
    const mgrs = managers(production);
    expect(mgrs.map((d) => [d.site, d.ports])).toEqual([
      ['DC1', [PORTS.cephMgrMetrics]],
      ['DC2', [PORTS.cephMgrMetrics]],
    ]);
    const expected = mgrs.map((d) => ({ target: `${adminIp(guest(production, d.host))}:${PORTS.cephMgrMetrics}`, site: d.site, role: 'mgr' }));
    const monitors = production.guests.filter((g) => g.service === 'monitoring');
    expect(monitors.length).toBeGreaterThan(0);
    for (const m of monitors) {
      const targets = monitoringInput(production, PRODUCTION, m).cephExporters!;
      expect(targets).toEqual(expected);
      for (const x of targets)
        expect(
          production.flowMatrix.some(
            (e) => e.flow === 'monitoring-ceph' && e.source.name === m.name && `${e.destination.ip}:${e.port}` === x.target && e.protocol === 'tcp',
          ),
          `${m.name} → ${x.target}`,
        ).toBe(true);
    }
  });

  it('production: monitoring-ceph reaches the OSD hosts’ admin addresses only (not the tie-breaker, not the external cluster) on 9283 alone', () => {
    const lines = production.flowMatrix.filter((e) => e.flow === 'monitoring-ceph');
    const osdHosts = production.guests.filter((g) => g.service === 'ceph' && g.role === 'osd');
    expect(new Set(lines.map((e) => e.destination.name))).toEqual(new Set(osdHosts.map((g) => g.name)));
    expect(new Set(lines.map((e) => `${e.destination.zone} ${e.port} ${e.plane}`))).toEqual(new Set([`admin ${PORTS.cephMgrMetrics} admin`]));
    for (const e of lines) expect(e.destination.ip).toBe(adminIp(guest(production, e.destination.name)));
  });

  it('production: every gateway dials its KMIP server (SSE-KMS, EXG_SEC_4.3) on a line of ceph-to-hsm; the flow stays within a site', () => {
    const { sse } = rgwInput(production, PRODUCTION);
    if (sse.backend !== 'kmip') throw new Error('production must use the kmip backend');
    const gateways = cephDaemons(production, PRODUCTION).filter((d) => d.kind === 'rgw');
    expect(gateways.length).toBe(6);
    const lines = production.flowMatrix.filter((e) => e.flow === 'ceph-to-hsm');
    for (const gw of gateways)
      expect(
        lines.some((e) => e.source.ip === gw.address && `${e.destination.ip}:${e.port}` === sse.servers[gw.site]),
        `${gw.host} → ${sse.servers[gw.site]}`,
      ).toBe(true);
    expect(lines.every((e) => e.source.site === e.destination.site && e.port === PORTS.hsmKmip)).toBe(true);
    expect(new Set(lines.map((e) => guest(production, e.destination.name).service))).toEqual(new Set(['hsm']));
    expect(new Set(lines.map((e) => guest(production, e.source.name).role))).toEqual(new Set(['osd']));
  });

  it('lab: both managers on their site’s namespace address, where the bootstrap plan binds their exporters', () => {
    const sites: Record<string, string> = { DC1: '10.199.0.1', DC2: '10.199.4.1', DC3: '10.199.8.1' };
    const p = labProfile({ stateDir: '/srv/hds-lab', siteAddress: (s) => sites[s]! });
    const mon = lab.guests.find((g) => g.service === 'monitoring')!;
    expect(monitoringInput(lab, p, mon).cephExporters).toEqual([
      { target: `10.199.0.1:${PORTS.cephMgrMetrics}`, site: 'DC1', role: 'mgr' },
      { target: `10.199.4.1:${PORTS.cephMgrMetrics}`, site: 'DC2', role: 'mgr' },
    ]);
    const steps = cephPlan(lab, p).steps.flatMap((s) => (s.kind === 'run' ? [s.argv.join(' ')] : []));
    for (const d of managers(lab, p)) {
      expect(steps).toContain(`ceph config set mgr mgr/prometheus/${d.id}/server_addr ${d.address}`);
      expect(steps).toContain(`ceph config set mgr mgr/prometheus/${d.id}/server_port ${PORTS.cephMgrMetrics}`);
    }
    expect(cephExporters(lab, p).map((x) => x.target)).toEqual(managers(lab, p).map((d) => `${d.address}:${d.ports[0]}`));
  });

  it('production: the bootstrap plan binds each manager exporter on the admin address the monitoring scrapes (not the Ceph back address)', () => {
    const steps = cephPlan(production, PRODUCTION).steps.flatMap((s) => (s.kind === 'run' ? [s.argv.join(' ')] : []));
    const targets = cephExporters(production, PRODUCTION).map((x) => x.target);
    expect(targets.length).toBeGreaterThanOrEqual(2);
    for (const d of managers(production, PRODUCTION)) {
      const admin = adminIp(guest(production, d.host));
      expect(admin).not.toBe(d.address);
      expect(steps).toContain(`ceph config set mgr mgr/prometheus/${d.id}/server_addr ${admin}`);
      expect(targets).toContain(`${admin}:${PORTS.cephMgrMetrics}`);
    }
  });

  it('an environment without Ceph has no Ceph target, no ceph job and no hds-ceph group', () => {
    const dev = shippedTopology('dev');
    expect(dev.ceph).toBeUndefined();
    const mon = dev.guests.find((g) => g.service === 'monitoring');
    expect(cephExporters(dev, PRODUCTION)).toEqual([]);
    if (mon) expect(monitoringInput(dev, PRODUCTION, mon).cephExporters).toEqual([]);
  });
});
