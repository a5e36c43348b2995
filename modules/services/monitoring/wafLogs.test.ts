/**
 * The WAF log relays in the monitoring (issue 11; EXG_SEC_5.4, EXG_WAF_1): the scrape job and
 * the alerts on the relays' counters, checked and exercised with promtool.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { promtool, promtoolTestRules, writeRenderedFiles } from '../../testkit/promtool.ts';
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
    wafLogRelays: [
      { target: '10.199.1.10:9145', site: 'DC1' },
      { target: '10.199.1.11:9145', site: 'DC2' },
    ],
    nonEvents: [{ database: 'documents', minutes: 30 }],
  };
}

describe('monitoring of the WAF log relays', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await writeRenderedFiles('hds-mon-waf-', (d) => renderMonitoring(input(d)));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scrapes every relay (job waf_log_relay, label site) and adds the hds-waf alert group only when there are relays', () => {
    const files = renderMonitoring(input('/m'));
    const prom = YAML.parse(files.find((f) => f.path === MONITORING_FILES.prometheus)!.content) as { scrape_configs: Array<Record<string, unknown>> };
    expect(prom.scrape_configs.find((j) => j.job_name === 'waf_log_relay')).toEqual({
      job_name: 'waf_log_relay',
      metrics_path: '/metrics',
      static_configs: [
        { targets: ['10.199.1.10:9145'], labels: { site: 'DC1' } },
        { targets: ['10.199.1.11:9145'], labels: { site: 'DC2' } },
      ],
    });
    const rules = YAML.parse(files.find((f) => f.path === MONITORING_FILES.rules)!.content) as {
      groups: Array<{ name: string; rules: Array<{ alert: string; annotations: Record<string, string> }> }>;
    };
    const waf = rules.groups.find((g) => g.name === 'hds-waf');
    expect(waf?.rules.map((r) => r.alert)).toEqual([
      'WafLogRelayDown',
      'WafLogRelayWriteErrors',
      'WafAuditEntriesUnreadable',
      'WafBlockedRequestsSurge',
      'WafUpstreamErrors',
    ]);
    for (const r of waf!.rules) expect(r.annotations.requirements).toMatch(/EXG_/);
    const without = renderMonitoring({ ...input('/m'), wafLogRelays: [] });
    expect(without.find((f) => f.path === MONITORING_FILES.rules)!.content).not.toContain('hds-waf');
    expect(without.find((f) => f.path === MONITORING_FILES.prometheus)!.content).not.toContain('waf_log_relay');
    expect(() => renderMonitoring({ ...input('/m'), wafLogRelays: [{ target: 'nope', site: 'DC1' }] })).toThrow(/scrape target/);
  });

  it('promtool accepts the configuration and the rules', async () => {
    expect((await promtool(['check', 'config', path.join(dir, MONITORING_FILES.prometheus)])).stdout).toMatch(/SUCCESS/);
    expect((await promtool(['check', 'rules', path.join(dir, MONITORING_FILES.rules)])).stdout).toMatch(/SUCCESS: 15 rules found/);
  });

  it('promtool test rules: relay down, write errors, unreadable entries, a surge of blocks, upstream errors; quiet otherwise', async () => {
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: 'up{job="waf_log_relay",instance="10.199.1.10:9145",site="DC1"}', values: '1x5 0x10' },
            { series: 'up{job="waf_log_relay",instance="10.199.1.11:9145",site="DC2"}', values: '1x15' },
            { series: 'hds_waf_log_relay_write_errors_total{waf="waf-dc1",log="siem"}', values: '0x5 1x10' },
            { series: 'hds_waf_audit_entries_total{waf="waf-dc1",outcome="unreadable"}', values: '0x5 2x10' },
            { series: 'hds_waf_audit_entries_total{waf="waf-dc2",outcome="blocked"}', values: '0+600x15' },
            // waf-dc1: 60 blocks a minute (1/s, below the threshold); waf-dc2: 600 a minute (10/s).
            { series: 'hds_waf_blocked_requests_total{waf="waf-dc1",family="sqli",route="health"}', values: '0+60x20' },
            { series: 'hds_waf_blocked_requests_total{waf="waf-dc2",family="xss",route="documents.create"}', values: '0+300x20' },
            { series: 'hds_waf_blocked_requests_total{waf="waf-dc2",family="contract",route="undeclared"}', values: '0+300x20' },
            { series: 'hds_waf_nginx_errors_total{waf="waf-dc1",level="error",kind="upstream_syscall_failed"}', values: '0+5x20' },
            { series: 'hds_waf_nginx_errors_total{waf="waf-dc2",level="error",kind="modsecurity_intervention"}', values: '0+50x20' },
          ],
          alert_rule_test: [
            { eval_time: '4m', alertname: 'WafLogRelayDown', exp_alerts: [] },
            {
              eval_time: '9m',
              alertname: 'WafLogRelayDown',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', job: 'waf_log_relay', instance: '10.199.1.10:9145', site: 'DC1' },
                  exp_annotations: {
                    summary: 'The SIEM feed of WAF 10.199.1.10:9145 is down',
                    description:
                      'The WAF log relay on 10.199.1.10:9145 (site DC1) does not answer for 2 minutes: ModSecurity audit entries are dropped (libmodsecurity does not retry) and no blocked request is counted. Restart the relay.',
                    requirements: 'EXG_SEC_5.4 EXG_WAF_1 EXG_MON_1',
                  },
                },
              ],
            },
            { eval_time: '4m', alertname: 'WafLogRelayWriteErrors', exp_alerts: [] },
            {
              eval_time: '7m',
              alertname: 'WafLogRelayWriteErrors',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', waf: 'waf-dc1', log: 'siem' },
                  exp_annotations: {
                    summary: 'WAF waf-dc1 cannot write its siem log',
                    description: 'The WAF log relay failed to append to its siem log in the last 5 minutes (disk full, permissions): SIEM lines are lost.',
                    requirements: 'EXG_SEC_5.4 EXG_SEC_6.1',
                  },
                },
              ],
            },
            {
              eval_time: '7m',
              alertname: 'WafAuditEntriesUnreadable',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', waf: 'waf-dc1', outcome: 'unreadable' },
                  exp_annotations: {
                    summary: 'WAF waf-dc1 sent audit entries the relay cannot read',
                    description:
                      'The SIEM has a line per unreadable entry (event waf_audit_unreadable) but without its rule ids: check the libmodsecurity version and the relay.',
                    requirements: 'EXG_SEC_5.4',
                  },
                },
              ],
            },
            {
              eval_time: '15m',
              alertname: 'WafBlockedRequestsSurge',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', waf: 'waf-dc2' },
                  exp_annotations: {
                    summary: 'WAF waf-dc2 blocks 10 requests/s',
                    description:
                      'More than 5 requests/s blocked for 10 minutes on waf-dc2: an attack in progress, or a release that breaks the API contract (see hds_waf_blocked_requests_total by family and route).',
                    requirements: 'EXG_SEC_5.4 EXG_WAF_1',
                  },
                },
              ],
            },
            { eval_time: '5m', alertname: 'WafUpstreamErrors', exp_alerts: [] },
            {
              eval_time: '15m',
              alertname: 'WafUpstreamErrors',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', waf: 'waf-dc1' },
                  exp_annotations: {
                    summary: 'WAF waf-dc1 fails to reach its upstreams',
                    description:
                      'More than 10 upstream errors (connect failures, timeouts, prematurely closed connections) in 5 minutes on waf-dc1, for 5 minutes.',
                    requirements: 'EXG_MON_1 EXG_WAF_1',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'waf-rules.test.yml', t)).toMatch(/SUCCESS/);
  });
});
