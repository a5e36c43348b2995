/**
 * The hds-backup alerts (issue 14; EXG_PRA_2 backups with execution evidence, EXG_PRA_3 restore
 * tests): on the series the scheduled jobs record (BACKUP_METRICS) and on postgres_exporter 0.11's
 * pg_stat_archiver, each exercised with promtool — it fires on a failing series and stays silent
 * on a healthy one: a stale or never-recorded backup per stanza and repository (incrementals do not
 * count), a stale or never-recorded verify (repo1 daily, the offline copy weekly), a stale or
 * never-recorded restore test, WAL archiving failing for 10 minutes (not a one-minute cut) or stuck
 * while rows are written (not an idle database). A standby's age is NaN (it never archives), which
 * compares false; promtool 2.42's series notation cannot write NaN, so that case is not exercised.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { promtool, promtoolTestRules, writeRenderedFiles } from '../../testkit/promtool.ts';
import { BACKUP_METRICS } from '../backup/schedule.ts';
import { BACKUP_ALERT, MONITORING_FILES, type MonitoringRenderInput, renderMonitoring } from './render.ts';

function input(confDir: string, backup = true): MonitoringRenderInput {
  return {
    confDir,
    caPath: path.join(confDir, 'ca.crt'),
    patroni: [{ target: '10.38.6.11:8008', site: 'DC1', cluster: 'documents' }],
    haproxy: [],
    postgresExporters: [{ target: '10.38.6.11:9187', site: 'DC1', cluster: 'documents' }],
    blackboxExporter: '127.0.0.1:9115',
    healthProbes: [],
    nonEvents: [{ database: 'documents', minutes: 30 }],
    ...(backup ? { backup: { stanzas: ['documents', 'accounts'], repos: ['repo1', 'repo2'] } } : {}),
  };
}

type Rule = { alert: string; expr: string; for: string; labels: { severity: string } & Record<string, string>; annotations: Record<string, string> };
type Rules = { groups: Array<{ name: string; rules: Rule[] }> };
const rulesOf = (i: MonitoringRenderInput) => YAML.parse(renderMonitoring(i).find((f) => f.path === MONITORING_FILES.rules)!.content) as Rules;
const backupGroup = rulesOf(input('/m')).groups.find((g) => g.name === 'hds-backup')!;

/** The annotations promtool should see: the rule's templates with the labels and the humanized value filled in. */
function annotations(alert: string, severity: string, labels: Record<string, string>, value = ''): Record<string, string> {
  const r = backupGroup.rules.find(
    (x) => x.alert === alert && x.labels.severity === severity && Object.entries(x.labels).every(([k, v]) => k === 'severity' || labels[k] === v),
  );
  if (!r) throw new Error(`no rule ${alert}/${severity}`);
  const fill = (s: string) =>
    s.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, k: string) => labels[k] ?? '').replace(/\{\{ \$value \| humanizeDuration \}\}/g, value);
  return Object.fromEntries(Object.entries(r.annotations).map(([k, v]) => [k, fill(v)]));
}
function alert(name: string, severity: string, labels: Record<string, string>, value = '') {
  return { exp_labels: { severity, ...labels }, exp_annotations: annotations(name, severity, labels, value) };
}

const node = 'instance="10.38.38.13:9100",job="node",site="DC3"';
/** `n` samples of `v`, in promtool's expanding notation. */
const seg = (v: number, n: number) => `${v}x${n - 1}`;
/** A success recorded each day at midnight, for `days` days, sampled `perDay` times a day. */
const daily = (days: number, perDay: number) => Array.from({ length: days }, (_, d) => seg(d * 86400, perDay)).join(' ');
const { backup, verify, restoreTest } = BACKUP_METRICS;

describe('hds-backup alerts', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await writeRenderedFiles('hds-mon-backup-', (d) => renderMonitoring(input(d)));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exist only with a backup input; name EXG_PRA_2 or EXG_PRA_3; promtool accepts them', async () => {
    expect(rulesOf(input('/m', false)).groups.map((g) => g.name)).not.toContain('hds-backup');
    expect([...new Set(backupGroup.rules.map((r) => r.alert))]).toEqual([
      'PgBackRestBackupStale',
      'PgBackRestBackupNeverRecorded',
      'PgBackRestVerifyStale',
      'PgBackRestVerifyNeverRecorded',
      'RestoreTestStale',
      'RestoreTestNeverRecorded',
      'PgBackRestWalArchiveFailing',
      'PgBackRestWalArchiveLagging',
    ]);
    for (const r of backupGroup.rules) expect(r.annotations.requirements).toMatch(/^EXG_PRA_[23] EXG_MON_1$/);
    // One never-recorded rule covers every (stanza, repository) pair.
    expect(backupGroup.rules.find((r) => r.alert === 'PgBackRestBackupNeverRecorded')!.expr.match(/absent\(/g)).toHaveLength(4);
    expect((await promtool(['check', 'rules', path.join(dir, MONITORING_FILES.rules)])).stdout).toMatch(/SUCCESS: 22 rules found/);
    expect(() => renderMonitoring({ ...input('/m'), backup: { stanzas: ['Documents"'], repos: ['repo1'] } })).toThrow(/invalid pgBackRest stanza/);
    expect(() => renderMonitoring({ ...input('/m'), backup: { stanzas: ['documents'], repos: [] } })).toThrow(/repo1 and\/or repo2/);
  });

  it('backups: 26 h without a full or differential set warns, 50 h is critical, per stanza and repository; never recorded too; incrementals do not count', async () => {
    expect([BACKUP_ALERT.backupWarningHours, BACKUP_ALERT.backupCriticalHours]).toEqual([26, 50]);
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '15m',
      tests: [
        {
          interval: '15m',
          input_series: [
            // documents: repo1 gets its daily set every day (a full on day 0, differentials after: healthy); repo2's last set is from day 1.
            { series: `${backup.name}{${node},stanza="documents",type="full",repo="repo1"}`, values: seg(0, 321) },
            {
              series: `${backup.name}{${node},stanza="documents",type="diff",repo="repo1"}`,
              values: `_x96 ${seg(86400, 96)} ${seg(172800, 96)} ${seg(259200, 33)}`,
            },
            { series: `${backup.name}{${node},stanza="documents",type="diff",repo="repo2"}`, values: `${seg(0, 96)} ${seg(86400, 225)}` },
            // ... while its incrementals go on: they do not make the daily set fresh.
            { series: `${backup.name}{${node},stanza="documents",type="incr",repo="repo2"}`, values: '0+900x320' },
            // accounts: incrementals only, never a full or differential set in either repository.
            { series: `${backup.name}{${node},stanza="accounts",type="incr",repo="repo1"}`, values: '0+900x320' },
          ],
          alert_rule_test: [
            { eval_time: '25h', alertname: 'PgBackRestBackupNeverRecorded', exp_alerts: [] },
            {
              eval_time: '27h',
              alertname: 'PgBackRestBackupNeverRecorded',
              exp_alerts: [
                alert('PgBackRestBackupNeverRecorded', 'warning', { stanza: 'accounts', repo: 'repo1' }),
                alert('PgBackRestBackupNeverRecorded', 'warning', { stanza: 'accounts', repo: 'repo2' }),
              ],
            },
            { eval_time: '49h', alertname: 'PgBackRestBackupStale', exp_alerts: [] },
            {
              eval_time: '72h',
              alertname: 'PgBackRestBackupStale',
              exp_alerts: [alert('PgBackRestBackupStale', 'warning', { stanza: 'documents', repo: 'repo2' }, '2d 0h 0m 0s')],
            },
            {
              eval_time: '78h',
              alertname: 'PgBackRestBackupStale',
              exp_alerts: [
                alert('PgBackRestBackupStale', 'warning', { stanza: 'documents', repo: 'repo2' }, '2d 6h 0m 0s'),
                alert('PgBackRestBackupStale', 'critical', { stanza: 'documents', repo: 'repo2' }, '2d 6h 0m 0s'),
              ],
            },
            {
              eval_time: '51h',
              alertname: 'PgBackRestBackupNeverRecorded',
              exp_alerts: [
                alert('PgBackRestBackupNeverRecorded', 'warning', { stanza: 'accounts', repo: 'repo1' }),
                alert('PgBackRestBackupNeverRecorded', 'warning', { stanza: 'accounts', repo: 'repo2' }),
                alert('PgBackRestBackupNeverRecorded', 'critical', { stanza: 'accounts', repo: 'repo1' }),
                alert('PgBackRestBackupNeverRecorded', 'critical', { stanza: 'accounts', repo: 'repo2' }),
              ],
            },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'backups.test.yml', t)).toMatch(/SUCCESS/);
  });

  it('verify: repo1 older than 26 h and the weekly offline verify older than 170 h warn; never recorded too', async () => {
    expect(BACKUP_ALERT.verifyHours).toEqual({ repo1: 26, repo2: 170 });
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '30m',
      tests: [
        {
          interval: '30m',
          input_series: [
            // documents: repo1 verified every day; repo2 once, at the start.
            { series: `${verify.name}{${node},stanza="documents",repo="repo1"}`, values: daily(8, 48) },
            { series: `${verify.name}{${node},stanza="documents",repo="repo2"}`, values: seg(0, 384) },
          ],
          alert_rule_test: [
            { eval_time: '27h', alertname: 'PgBackRestVerifyStale', exp_alerts: [] },
            {
              eval_time: '27h',
              alertname: 'PgBackRestVerifyNeverRecorded',
              exp_alerts: [alert('PgBackRestVerifyNeverRecorded', 'warning', { stanza: 'accounts', repo: 'repo1' })],
            },
            { eval_time: '169h', alertname: 'PgBackRestVerifyStale', exp_alerts: [] },
            {
              eval_time: '172h',
              alertname: 'PgBackRestVerifyStale',
              exp_alerts: [alert('PgBackRestVerifyStale', 'warning', { stanza: 'documents', repo: 'repo2' }, '7d 4h 0m 0s')],
            },
            {
              eval_time: '172h',
              alertname: 'PgBackRestVerifyNeverRecorded',
              exp_alerts: [
                alert('PgBackRestVerifyNeverRecorded', 'warning', { stanza: 'accounts', repo: 'repo1' }),
                alert('PgBackRestVerifyNeverRecorded', 'warning', { stanza: 'accounts', repo: 'repo2' }),
              ],
            },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'verify.test.yml', t)).toMatch(/SUCCESS/);
  });

  it('restore tests: none for 8 days warns; never recorded too', async () => {
    expect(BACKUP_ALERT.restoreTestDays).toBe(8);
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '30m',
      tests: [
        {
          interval: '30m',
          input_series: [{ series: `${restoreTest.name}{${node},stanza="documents"}`, values: seg(0, 400) }],
          alert_rule_test: [
            { eval_time: '190h', alertname: 'RestoreTestStale', exp_alerts: [] },
            { eval_time: '190h', alertname: 'RestoreTestNeverRecorded', exp_alerts: [] },
            {
              eval_time: '194h',
              alertname: 'RestoreTestStale',
              exp_alerts: [alert('RestoreTestStale', 'warning', { stanza: 'documents' }, '8d 2h 0m 0s')],
            },
            {
              eval_time: '194h',
              alertname: 'RestoreTestNeverRecorded',
              exp_alerts: [alert('RestoreTestNeverRecorded', 'warning', { stanza: 'accounts' })],
            },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'restore.test.yml', t)).toMatch(/SUCCESS/);
  });

  it('WAL archive: failures for 10 minutes warn (a one-minute cut does not); no segment for 15 minutes while rows are written is critical (not when idle)', async () => {
    const pg = (ip: string, site: string, cluster: string) =>
      `instance="${ip}:9187",job="postgres",site="${site}",cluster="${cluster}",server="127.0.0.1:5432"`;
    const primary = pg('10.38.6.11', 'DC1', 'documents');
    const idle = pg('10.38.22.10', 'DC2', 'accounts');
    const rows = (labels: string, values: string) =>
      ['tup_inserted', 'tup_updated', 'tup_deleted'].map((c) => ({ series: `pg_stat_database_${c}{${labels},datname="app"}`, values }));
    const t = {
      rule_files: [path.join(dir, MONITORING_FILES.rules)],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // The documents primary: archive-push fails from minute 11 to 26 (DC3 unreachable), and nothing is archived meanwhile.
            { series: `pg_stat_archiver_failed_count{${primary}}`, values: '0x10 1+1x15 16x40' },
            { series: `pg_stat_archiver_last_archive_age{${primary}}`, values: '30x10 90+60x50' },
            ...rows(primary, '0+10x60'),
            // The accounts primary: one minute of failures (a short cut), then idle: no row written, nothing to archive.
            { series: `pg_stat_archiver_failed_count{${idle}}`, values: '0x20 1 2x40' },
            { series: `pg_stat_archiver_last_archive_age{${idle}}`, values: '1000+60x60' },
            ...rows(idle, '500x60'),
          ],
          alert_rule_test: [
            { eval_time: '19m', alertname: 'PgBackRestWalArchiveFailing', exp_alerts: [] },
            {
              eval_time: '24m',
              alertname: 'PgBackRestWalArchiveFailing',
              exp_alerts: [
                {
                  exp_labels: {
                    severity: 'warning',
                    instance: '10.38.6.11:9187',
                    job: 'postgres',
                    site: 'DC1',
                    cluster: 'documents',
                    server: '127.0.0.1:5432',
                  },
                  exp_annotations: annotations('PgBackRestWalArchiveFailing', 'warning', { cluster: 'documents', instance: '10.38.6.11:9187', site: 'DC1' }),
                },
              ],
            },
            { eval_time: '45m', alertname: 'PgBackRestWalArchiveFailing', exp_alerts: [] },
            { eval_time: '28m', alertname: 'PgBackRestWalArchiveLagging', exp_alerts: [] },
            {
              eval_time: '32m',
              alertname: 'PgBackRestWalArchiveLagging',
              exp_alerts: [alert('PgBackRestWalArchiveLagging', 'critical', { instance: '10.38.6.11:9187', cluster: 'documents', site: 'DC1' }, '22m 30s')],
            },
          ],
        },
      ],
    };
    expect(await promtoolTestRules(dir, 'archive.test.yml', t)).toMatch(/SUCCESS/);
  });
});
