import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { promtool, promtoolTestRules, writeRenderedFiles } from '../../testkit/promtool.ts';
import { MONITORING_FILES, type MonitoringRenderInput, renderMonitoring } from './render.ts';

const run = promisify(execFile);

function input(confDir: string): MonitoringRenderInput {
  return {
    confDir,
    caPath: path.join(confDir, 'ca.crt'),
    externalLabels: { platform: 'lab' },
    patroni: [
      { target: '10.199.0.129:8008', site: 'DC1', cluster: 'documents' },
      { target: '10.199.0.130:8008', site: 'DC2', cluster: 'documents' },
    ],
    haproxy: [
      { target: '10.199.0.129:8404', site: 'DC1' },
      { target: '10.199.0.130:8404', site: 'DC2' },
    ],
    postgresExporters: [
      { target: '10.199.0.129:9187', site: 'DC1', cluster: 'documents' },
      { target: '10.199.0.130:9187', site: 'DC2', cluster: 'documents' },
    ],
    blackboxExporter: '127.0.0.1:9115',
    healthProbes: [
      { name: 'waf-dc1-health', url: 'https://10.199.0.129:8443/health', site: 'DC1', serverName: 'waf.lab' },
      { name: 'waf-dc2-health', url: 'https://10.199.0.130:8443/health', site: 'DC2', serverName: 'waf.lab' },
    ],
    wafBlockingProbes: [{ name: 'waf-dc1-blocks', url: 'https://10.199.0.129:8443/health', site: 'DC1', serverName: 'waf.lab' }],
    nonEvents: [{ database: 'documents', minutes: 30 }],
  };
}

describe('renderMonitoring', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await writeRenderedFiles('hds-mon-', (d) => renderMonitoring(input(d)));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is deterministic and renders three files', () => {
    const a = renderMonitoring(input('/m'));
    expect(a).toEqual(renderMonitoring(input('/m')));
    expect(a.map((f) => f.path)).toEqual([MONITORING_FILES.prometheus, MONITORING_FILES.rules, MONITORING_FILES.blackbox]);
  });

  it('scrapes Patroni over TLS with the lab CA, HAProxy, postgres_exporter and the probes through the blackbox exporter', () => {
    const f = renderMonitoring(input('/m'));
    const prom = YAML.parse(f[0]?.content ?? '') as { rule_files: string[]; scrape_configs: Array<Record<string, unknown>> };
    expect(prom.rule_files).toEqual(['/m/rules/hds-alerts.yml']);
    const job = (n: string) => prom.scrape_configs.find((j) => j.job_name === n) as Record<string, unknown>;
    expect(job('patroni')).toMatchObject({ scheme: 'https', tls_config: { ca_file: '/m/ca.crt' } });
    expect(job('patroni').static_configs).toEqual([
      { targets: ['10.199.0.129:8008'], labels: { site: 'DC1', cluster: 'documents' } },
      { targets: ['10.199.0.130:8008'], labels: { site: 'DC2', cluster: 'documents' } },
    ]);
    expect(job('haproxy')).toBeDefined();
    expect(job('postgres')).toBeDefined();
    const health = job('synthetic_health');
    expect(health.metrics_path).toBe('/probe');
    expect(health.params).toEqual({ module: ['hds_http_health_tls'] });
    expect(JSON.stringify(health.relabel_configs)).toContain('127.0.0.1:9115');
    expect(JSON.stringify(job('synthetic_waf_blocking').static_configs)).toContain('/health?id=1%27%20OR%20%271%27%3D%271');
  });

  it('blackbox: GET /health over TLS with the lab CA, 200 and body regex; WAF probe expects 403', () => {
    const bb = YAML.parse(renderMonitoring(input('/m'))[2]?.content ?? '') as { modules: Record<string, { http: Record<string, unknown> }> };
    expect(bb.modules.hds_http_health_tls?.http).toMatchObject({
      method: 'GET',
      valid_status_codes: [200],
      fail_if_not_ssl: true,
      fail_if_body_not_matches_regexp: ['"status":"ok"'],
      tls_config: { ca_file: '/m/ca.crt', server_name: 'waf.lab', min_version: 'TLS12' },
      headers: { Host: 'waf.lab', 'User-Agent': 'hds-synthetic-probe/1.0', Accept: 'application/json' },
    });
    expect(bb.modules.hds_http_waf_blocks_tls?.http.valid_status_codes).toEqual([403]);
  });

  it('every alert names requirement ids; the non-event window comes from the input', () => {
    const rules = YAML.parse(renderMonitoring({ ...input('/m'), nonEvents: [{ database: 'documents', minutes: 45 }] })[1]?.content ?? '') as {
      groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: Record<string, string> }> }>;
    };
    const all = rules.groups.flatMap((g) => g.rules);
    for (const r of all) expect(r.annotations.requirements).toMatch(/^(EXG_[A-Z]+_[0-9.]+ ?)+$/);
    const byName = (n: string) => all.find((r) => r.alert === n);
    expect(byName('TargetDown')?.expr).toBe('up == 0');
    expect(byName('PostgresNoSynchronousStandby')?.expr).toContain('patroni_sync_standby');
    expect(byName('NoWriteActivity_documents')?.expr).toContain('[45m]');
    expect(byName('NoWriteActivity_documents')?.annotations.requirements).toBe('EXG_MON_4');
    expect(byName('SyntheticUserProbeFailed')?.annotations.requirements).toContain('EXG_DIS_1.5');
  });

  it('rejects bad input', () => {
    expect(() => renderMonitoring({ ...input('/m'), nonEvents: [] })).toThrow(/non-event/);
    expect(() => renderMonitoring({ ...input('/m'), nonEvents: [{ database: 'documents', minutes: 1 }] })).toThrow(/window/);
    expect(() => renderMonitoring({ ...input('/m'), haproxy: [{ target: 'nohostport', site: 'DC1' }] })).toThrow(/target/);
    expect(() => renderMonitoring({ ...input('/m'), healthProbes: [{ name: 'x', url: 'http://a/health', site: 'DC1' }] })).toThrow(/https/);
    expect(() => renderMonitoring({ ...input('/m'), confDir: 'rel' })).toThrow(/absolute/);
  });

  it('promtool check config accepts prometheus.yml (and the rules it references)', async () => {
    const r = await promtool(['check', 'config', path.join(dir, MONITORING_FILES.prometheus)]);
    expect(r.stdout).toMatch(/SUCCESS/);
  });

  it('promtool check rules accepts the alert rules', async () => {
    const r = await promtool(['check', 'rules', path.join(dir, MONITORING_FILES.rules)]);
    expect(r.stdout).toMatch(/SUCCESS: 10 rules found/);
  });

  it('blackbox exporter --config.check accepts blackbox.yml', async () => {
    const r = await run('prometheus-blackbox-exporter', ['--config.check', `--config.file=${path.join(dir, MONITORING_FILES.blackbox)}`]);
    expect(`${r.stdout}${r.stderr}`).toMatch(/Config file is ok|OK/i);
  });

  it('promtool test rules: the alerts fire on synthetic series, and stay quiet otherwise', async () => {
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // DC1 primary, DC2 replica; the sync standby drops at t=10m.
            { series: 'patroni_primary{instance="dc1:8008",job="patroni",scope="documents"}', values: '1x30' },
            { series: 'patroni_replica{instance="dc2:8008",job="patroni",scope="documents"}', values: '1x30' },
            { series: 'patroni_sync_standby{instance="dc1:8008",job="patroni",scope="documents"}', values: '0x30' },
            { series: 'patroni_sync_standby{instance="dc2:8008",job="patroni",scope="documents"}', values: '1x9 0x21' },
            // Primary WAL grows by 1 MiB a minute; the replica stops replaying at t=5m.
            { series: 'patroni_xlog_location{instance="dc1:8008",job="patroni",scope="documents"}', values: '0+1048576x30' },
            { series: 'patroni_xlog_location{instance="dc2:8008",job="patroni",scope="documents"}', values: '0x30' },
            { series: 'patroni_xlog_replayed_location{instance="dc2:8008",job="patroni",scope="documents"}', values: '0+1048576x5 5242880x25' },
            { series: 'patroni_xlog_replayed_location{instance="dc1:8008",job="patroni",scope="documents"}', values: '0x30' },
            // DC1's own pg_stat_replication: a synchronous standby until t=15m, none after (the DCS may still name one).
            { series: 'pg_hds_replication_is_primary{instance="dc1:9187",job="postgres"}', values: '1x30' },
            { series: 'pg_hds_replication_sync_standbys{instance="dc1:9187",job="postgres"}', values: '1x15 0x15' },
            { series: 'pg_hds_replication_is_primary{instance="dc2:9187",job="postgres"}', values: '0x30' },
            { series: 'pg_hds_replication_sync_standbys{instance="dc2:9187",job="postgres"}', values: '0x30' },
            // Writes until t=20m, then none.
            { series: 'pg_stat_database_tup_inserted{instance="dc1:9187",job="postgres",datname="documents"}', values: '0+10x20 200x40' },
            { series: 'up{instance="dc2:9187",job="postgres"}', values: '1x5 0x10' },
          ],
          alert_rule_test: [
            { eval_time: '9m', alertname: 'PostgresNoSynchronousStandby', exp_alerts: [] },
            {
              eval_time: '12m',
              alertname: 'PostgresNoSynchronousStandby',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', scope: 'documents' },
                  exp_annotations: {
                    summary: 'Patroni cluster documents has no synchronous standby',
                    description: 'No member of documents is a synchronous standby for 1 minute: RPO 0 (PDMA 0) is not guaranteed until one is back.',
                    requirements: 'EXG_PCA_2 EXG_MON_1',
                  },
                },
              ],
            },
            { eval_time: '15m', alertname: 'PostgresPrimaryNotSynchronous', exp_alerts: [] },
            {
              eval_time: '18m',
              alertname: 'PostgresPrimaryNotSynchronous',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', instance: 'dc1:9187' },
                  exp_annotations: {
                    summary: 'PostgreSQL primary dc1:9187 commits without a synchronous standby',
                    description:
                      "The primary's own pg_stat_replication shows no standby streaming with sync_state = sync for 1 minute, whatever Patroni's DCS says: acknowledged commits are not replicated synchronously (RPO 0 exposure).",
                    requirements: 'EXG_PCA_2 EXG_MON_1',
                  },
                },
              ],
            },
            { eval_time: '10m', alertname: 'PostgresNoPrimary', exp_alerts: [] },
            { eval_time: '20m', alertname: 'PostgresReplicationLagHigh', exp_alerts: [] },
            {
              eval_time: '25m',
              alertname: 'PostgresReplicationLagHigh',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', scope: 'documents' },
                  exp_annotations: {
                    summary: 'Replication lag of documents above threshold',
                    description: 'A replica of documents has replayed 20MiB less WAL than the primary (threshold 16777216 bytes) for 2 minutes.',
                    requirements: 'EXG_PCA_2 EXG_MON_1',
                  },
                },
              ],
            },
            { eval_time: '45m', alertname: 'NoWriteActivity_documents', exp_alerts: [] },
            {
              eval_time: '55m',
              alertname: 'NoWriteActivity_documents',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', datname: 'documents' },
                  exp_annotations: {
                    summary: 'No write in database documents for 30 minutes (non-event)',
                    description: 'No row was inserted in documents on any instance during the last 30 minutes: an upstream flow has probably stopped.',
                    requirements: 'EXG_MON_4',
                  },
                },
              ],
            },
            { eval_time: '5m', alertname: 'TargetDown', exp_alerts: [] },
            {
              eval_time: '8m',
              alertname: 'TargetDown',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', instance: 'dc2:9187', job: 'postgres' },
                  exp_annotations: {
                    summary: 'postgres target dc2:9187 is down',
                    description: 'Prometheus cannot scrape dc2:9187 (job postgres, site ) for 1 minute.',
                    requirements: 'EXG_MON_1 EXG_MON_2 EXG_MON_9',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'rules.test.yml', t)).toMatch(/SUCCESS/);
  });
});
