/**
 * The backup schedule of the repository host (EXG_PRA_2 periodic backups with execution evidence,
 * EXG_PRA_3 weekly random restore tests): the jobs of every stanza, their calendar events as
 * systemd parses them (`systemd-analyze calendar`), the units as systemd reads them
 * (`systemd-analyze verify`), and the recorder script run for real: it writes exactly the bytes
 * renderBackupMetric describes (the runtime writes the same), which promtool accepts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BACKUP_METRICS,
  BACKUP_TIME_ZONE,
  type BackupScheduleInput,
  backupMetricFile,
  backupSchedule,
  OFFLINE_AFTER_MINUTES,
  RESTORE_TEST_SPACING_MINUTES,
  renderBackupMetric,
  renderBackupUnits,
  restoreTestSlots,
  SCHEDULE_FILES,
  staggerMinutes,
} from './schedule.ts';

const base: BackupScheduleInput = {
  environment: 'production',
  stanzas: ['accounts', 'documents', 'consents'],
  offlineCopy: true,
  configPath: '/etc/pgbackrest/pgbackrest.conf',
  lockDir: '/run/lock',
};

const byUnit = (i: BackupScheduleInput) => new Map(backupSchedule(i).map((j) => [j.unit, j]));

/** `systemd-analyze calendar` of events, elapses printed in Paris time: normalized forms and next elapses, or an error. */
function calendar(events: string[], iterations = 1): { ok: boolean; out: string } {
  const r = spawnSync('systemd-analyze', ['calendar', `--iterations=${iterations}`, ...events], {
    encoding: 'utf8',
    env: { ...process.env, TZ: BACKUP_TIME_ZONE },
  });
  if (r.error) throw r.error;
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

describe('backupSchedule', () => {
  it('per stanza: weekly full, daily differential, incrementals every 4 hours, daily verify, weekly restore test (repo1 only without offline copy)', () => {
    const jobs = backupSchedule({ ...base, offlineCopy: false });
    expect(jobs.filter((j) => j.stanza === 'accounts').map((j) => [j.kind, j.onCalendar, j.user])).toEqual([
      ['full', [`Sun *-*-* 01:00:00 ${BACKUP_TIME_ZONE}`], 'postgres'],
      ['diff', [`Mon..Sat *-*-* 01:00:00 ${BACKUP_TIME_ZONE}`], 'postgres'],
      ['incr', [`*-*-* 05,09,13,17,21:00:00 ${BACKUP_TIME_ZONE}`], 'postgres'],
      ['verify', [`*-*-* 07:00:00 ${BACKUP_TIME_ZONE}`], 'postgres'],
      ['restore-test', [expect.stringMatching(/^(Mon|Tue|Wed|Thu|Fri) \*-\*-\* (09|1[0-5]):[0-5]\d:00 Europe\/Paris$/)], 'root'],
    ]);
    expect(jobs.some((j) => j.command.includes('--repo=2'))).toBe(false);
  });

  it('commands: backups hold the stanza lock and name repository and type; verify and the restore test do not lock', () => {
    const u = byUnit(base);
    expect(u.get('hds-pgbackrest-documents-full')!.command).toEqual([
      '/usr/bin/flock',
      '/run/lock/hds-pgbackrest-documents.lock',
      '/usr/bin/pgbackrest',
      '--config=/etc/pgbackrest/pgbackrest.conf',
      '--stanza=documents',
      '--repo=1',
      '--type=full',
      'backup',
    ]);
    expect(u.get('hds-pgbackrest-documents-offline-diff')!.command.slice(-3)).toEqual(['--repo=2', '--type=diff', 'backup']);
    expect(u.get('hds-pgbackrest-documents-offline-diff')!.command[1]).toBe('/run/lock/hds-pgbackrest-documents.lock');
    expect(u.get('hds-pgbackrest-documents-verify')!.command).toEqual([
      '/usr/bin/pgbackrest',
      '--config=/etc/pgbackrest/pgbackrest.conf',
      '--stanza=documents',
      '--repo=1',
      'verify',
    ]);
    expect(u.get('hds-pgbackrest-documents-offline-verify')!.command.slice(-2)).toEqual(['--repo=2', 'verify']);
    expect(u.get('hds-restore-test-documents')!.command).toEqual(['/usr/local/bin/hdsctl', 'restore-test', '--domain', 'documents', '--random']);
    expect(u.get('hds-pgbackrest-documents-incr')!.record).toEqual({ kind: 'backup', labels: { stanza: 'documents', type: 'incr', repo: 'repo1' } });
    expect(u.get('hds-pgbackrest-documents-offline-verify')!.record).toEqual({ kind: 'verify', labels: { stanza: 'documents', repo: 'repo2' } });
    expect(u.get('hds-restore-test-documents')!.record).toEqual({ kind: 'restoreTest', labels: { stanza: 'documents' } });
  });

  it('the offline copy: a full on the first Sunday of the month, a differential every other day, 5 minutes after the daily set; verified weekly', () => {
    const u = byUnit(base);
    const m = staggerMinutes(1, 3);
    const t = (h: number, min: number) => `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}:00`;
    expect(u.get('hds-pgbackrest-documents-diff')!.onCalendar).toEqual([`Mon..Sat *-*-* ${t(1, m)} ${BACKUP_TIME_ZONE}`]);
    expect(u.get('hds-pgbackrest-documents-offline-full')!.onCalendar).toEqual([`Sun *-*-01..07 ${t(1, m + OFFLINE_AFTER_MINUTES)} ${BACKUP_TIME_ZONE}`]);
    expect(u.get('hds-pgbackrest-documents-offline-diff')!.onCalendar).toEqual([
      `Mon..Sat *-*-* ${t(1, m + OFFLINE_AFTER_MINUTES)} ${BACKUP_TIME_ZONE}`,
      `Sun *-*-08..31 ${t(1, m + OFFLINE_AFTER_MINUTES)} ${BACKUP_TIME_ZONE}`,
    ]);
    expect(u.get('hds-pgbackrest-documents-offline-verify')!.onCalendar).toEqual([`Sat *-*-* ${t(3, m)} ${BACKUP_TIME_ZONE}`]);
    // systemd agrees: the next twelve offline fulls are all Sundays among the first seven days of a month.
    const { ok, out } = calendar(u.get('hds-pgbackrest-documents-offline-full')!.onCalendar, 12);
    expect(ok, out).toBe(true);
    const elapses = [...out.matchAll(/(?:Next elapse|Iter\. #\d+): (\w+) (\d{4})-(\d{2})-(\d{2}) (\d{2}:\d{2})/g)];
    expect(elapses).toHaveLength(12);
    for (const e of elapses) expect([e[1], Number(e[4]) <= 7, e[5]]).toEqual(['Sun', true, t(1, m + OFFLINE_AFTER_MINUTES).slice(0, 5)]);
  });

  it('systemd parses every calendar event of every job', () => {
    const events = [...new Set(backupSchedule({ ...base, stanzas: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }).flatMap((j) => j.onCalendar))];
    expect(events.length).toBeGreaterThan(40);
    const { ok, out } = calendar(events);
    expect(ok, out).toBe(true);
    expect([...out.matchAll(/^Normalized form: (.*)$/gm)].map((x) => x[1])).toEqual(events);
    expect(calendar([...events, 'Sun *-*-* 25:00:00 Europe/Paris']).ok).toBe(false);
  });

  it('staggers the stanzas: distinct daily starts inside 01:00-01:49, at most 10 minutes apart, the offline copy inside the hour too', () => {
    for (const n of [1, 2, 6, 7, 12, 30]) {
      const starts = Array.from({ length: n }, (_, i) => staggerMinutes(i, n));
      expect(new Set(starts).size, `n=${n}`).toBe(n);
      expect(Math.max(...starts) + OFFLINE_AFTER_MINUTES).toBeLessThanOrEqual(59);
      expect(starts[0]).toBe(0);
      if (n > 1) expect(starts[1]).toBe(Math.min(10, Math.floor(50 / n)));
    }
  });

  it('restore tests: stable per environment and stanza, on weekdays 09:00-15:59, 90 minutes apart within an environment', () => {
    const stanzas = Array.from({ length: 20 }, (_, i) => `domain${i}`);
    const a = restoreTestSlots('production', stanzas);
    expect(restoreTestSlots('production', stanzas)).toEqual(a);
    const week = (s: { day: string; hour: number; minute: number }) =>
      ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'].indexOf(s.day) * 7 * 60 + (s.hour - 9) * 60 + s.minute;
    const minutes = [...a.values()].map(week);
    for (const s of a.values()) {
      expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(s.day);
      expect(s.hour).toBeGreaterThanOrEqual(9);
      expect(s.hour).toBeLessThan(16);
    }
    for (const [i, x] of minutes.entries())
      for (const y of minutes.slice(i + 1)) expect(Math.min(Math.abs(x - y), 2100 - Math.abs(x - y))).toBeGreaterThanOrEqual(RESTORE_TEST_SPACING_MINUTES);
    // Seeded by the environment: the same domains of another environment land elsewhere.
    const b = restoreTestSlots('recette', stanzas);
    expect([...b.values()].filter((s, i) => JSON.stringify(s) === JSON.stringify([...a.values()][i])).length).toBeLessThan(3);
    expect(() =>
      restoreTestSlots(
        'production',
        Array.from({ length: 24 }, (_, i) => `d${i}`),
      ),
    ).toThrow(/do not fit a week/);
  });

  it('refuses names and paths that would break a unit line', () => {
    expect(() => backupSchedule({ ...base, stanzas: ['Documents'] })).toThrow(/invalid stanza name/);
    expect(() => backupSchedule({ ...base, stanzas: ['documents', 'documents'] })).toThrow(/listed twice/);
    expect(() => backupSchedule({ ...base, configPath: 'pgbackrest.conf' })).toThrow(/absolute/);
    expect(() => backupSchedule({ ...base, lockDir: '/run/lock %n' })).toThrow(/absolute/);
    expect(() => backupSchedule({ ...base, environment: 'Prod uction' })).toThrow(/invalid environment/);
  });
});

describe('backup metrics', () => {
  it('one file per series, named after its labels; the content is HELP, TYPE gauge and the sample', () => {
    expect(backupMetricFile('backup', { stanza: 'documents', type: 'full', repo: 'repo1' })).toBe('hds_backup_documents_full_repo1.prom');
    expect(backupMetricFile('verify', { stanza: 'documents', repo: 'repo2' })).toBe('hds_backup_verify_documents_repo2.prom');
    expect(backupMetricFile('restoreTest', { stanza: 'documents' })).toBe('hds_restore_test_documents.prom');
    expect(renderBackupMetric('verify', { stanza: 'documents', repo: 'repo2' }, 1_700_000_000)).toBe(
      [
        `# HELP ${BACKUP_METRICS.verify.name} ${BACKUP_METRICS.verify.help}`,
        `# TYPE ${BACKUP_METRICS.verify.name} gauge`,
        'hds_backup_verify_last_success_timestamp_seconds{stanza="documents",repo="repo2"} 1700000000',
        '',
      ].join('\n'),
    );
    expect(() => renderBackupMetric('backup', { stanza: 'documents', type: 'full', repo: 'repo"1' as 'repo1' }, 1)).toThrow(/label repo/);
    expect(() => renderBackupMetric('restoreTest', { stanza: 'documents' }, 1.5)).toThrow(/whole seconds/);
  });
});

describe('renderBackupUnits', () => {
  let dir = '';
  let textfiles = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hds-backup-units-'));
    textfiles = path.join(dir, 'textfile');
    spawnSync('mkdir', ['-p', path.join(dir, 'systemd'), textfiles, path.join(dir, 'repo')]);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const unitsInput = () => ({
    ...base,
    recordScript: path.join(dir, SCHEDULE_FILES.recordScript),
    textfileDir: textfiles,
    requiresMountsFor: [path.join(dir, 'repo')],
    restoreTest: ['/bin/true'],
  });

  it('a service and a timer per job, the recorder once; the services record their success, backups need the repository mount', () => {
    const files = renderBackupUnits(unitsInput());
    expect(files.length).toBe(backupSchedule(base).length * 2 + 1);
    const svc = files.find((f) => f.path === 'systemd/hds-pgbackrest-documents-offline-full.service')!.content.split('\n');
    expect(svc).toEqual(
      expect.arrayContaining([
        'Type=oneshot',
        'User=postgres',
        `RequiresMountsFor=${path.join(dir, 'repo')}`,
        'ExecStart=/usr/bin/flock /run/lock/hds-pgbackrest-documents.lock /usr/bin/pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=documents --repo=2 --type=full backup',
        `ExecStartPost=+${path.join(dir, 'hds-backup-record')} hds_backup_last_success_timestamp_seconds hds_backup_documents_full_repo2.prom stanza=documents type=full repo=repo2`,
      ]),
    );
    const restore = files.find((f) => f.path === 'systemd/hds-restore-test-documents.service')!.content;
    expect(restore).toContain('User=root\n');
    expect(restore).not.toContain('RequiresMountsFor');
    const timer = files.find((f) => f.path === 'systemd/hds-pgbackrest-documents-offline-diff.timer')!.content.split('\n');
    expect(timer.filter((l) => l.startsWith('OnCalendar='))).toHaveLength(2);
    expect(timer).toEqual(expect.arrayContaining(['Persistent=true', 'RandomizedDelaySec=60', 'WantedBy=timers.target']));
    expect(files.find((f) => f.path === SCHEDULE_FILES.recordScript)!.mode).toBe(0o755);
  });

  it('systemd-analyze verify reads every unit without a complaint (and complains about a bad one)', async () => {
    const files = renderBackupUnits(unitsInput());
    for (const f of files) await writeFile(path.join(dir, f.path), f.content, { mode: f.mode ?? 0o644 });
    const units = (await readdir(path.join(dir, 'systemd'))).map((n) => path.join(dir, 'systemd', n));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...units], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
    const bad = path.join(dir, 'systemd', 'hds-bad.timer');
    await writeFile(bad, (await readFile(units.find((u) => u.endsWith('.timer'))!, 'utf8')).replace('Persistent=true', 'Persistant=true'));
    expect(spawnSync('systemd-analyze', ['verify', '--man=no', bad], { encoding: 'utf8' }).stderr).toMatch(/Unknown key 'Persistant'/);
    await rm(bad);
  });

  it('the recorder writes the sample renderBackupMetric describes, atomically, and promtool accepts it; bad arguments write nothing', async () => {
    const files = renderBackupUnits(unitsInput());
    const script = path.join(dir, SCHEDULE_FILES.recordScript);
    await writeFile(script, files.find((f) => f.path === SCHEDULE_FILES.recordScript)!.content, { mode: 0o755 });
    const before = Math.floor(Date.now() / 1000);
    const file = backupMetricFile('backup', { stanza: 'documents', type: 'diff', repo: 'repo2' });
    const ok = spawnSync('sh', [script, BACKUP_METRICS.backup.name, file, 'stanza=documents', 'type=diff', 'repo=repo2'], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    const content = await readFile(path.join(textfiles, file), 'utf8');
    const ts = Number(/ (\d+)\n$/.exec(content)![1]);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(content).toBe(renderBackupMetric('backup', { stanza: 'documents', type: 'diff', repo: 'repo2' }, ts));
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: content, encoding: 'utf8' });
    expect(lint.status, `${lint.stdout}${lint.stderr}`).toBe(0);
    for (const args of [
      ['hds_unknown_metric', 'x.prom', 'stanza=documents'],
      [BACKUP_METRICS.restoreTest.name, '../escape.prom', 'stanza=documents'],
      [BACKUP_METRICS.restoreTest.name, 'hds_restore_test_documents.prom', 'stanza=doc"uments'],
    ]) {
      const r = spawnSync('sh', [script, ...args], { encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(2);
    }
    expect((await readdir(textfiles)).sort()).toEqual([file]);
    expect((await readdir(dir)).includes('escape.prom')).toBe(false);
  });
});
