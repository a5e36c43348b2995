/**
 * The lab's backup evidence and verdicts (issue 14; EXG_PRA_2 backups with execution evidence,
 * EXG_PRA_3 restore tests), without root and without a running lab: the series files written and
 * read back (the same bytes the scheduled jobs' recorder writes), every malformed file reported
 * and never thrown, pgBackRest 2.45 verify's verdict read from its output (it exits 0 whatever it
 * finds), which files of the offline copy get sealed, and the refusals that come before any command.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_METRICS, backupMetricFile, renderBackupMetric } from '../services/backup/schedule.ts';
import { MONITORING_PATHS } from '../services/fromTopology/paths.ts';
import {
  labBackupRun,
  labBackupTextfileDir,
  labHasRepo,
  labOfflineRepoPath,
  labVerify,
  offlineSealCandidates,
  parseBackupMetricFile,
  parseVerifyOutput,
  readBackupFreshness,
  recordBackupMetric,
} from './backup.ts';
import { guestPath, labGuests } from './guests.ts';
import { shippedLabPlan } from './testing.ts';
import type { LabPlan } from './types.ts';

describe('parseBackupMetricFile', () => {
  it('reads back every series renderBackupMetric writes', () => {
    expect(parseBackupMetricFile(renderBackupMetric('backup', { stanza: 'documents', type: 'diff', repo: 'repo2' }, 1_790_000_000))).toEqual({
      sample: { kind: 'backup', labels: { stanza: 'documents', type: 'diff', repo: 'repo2' }, unixSeconds: 1_790_000_000 },
    });
    expect(parseBackupMetricFile(renderBackupMetric('verify', { stanza: 'identity', repo: 'repo1' }, 5)).sample).toEqual({
      kind: 'verify',
      labels: { stanza: 'identity', repo: 'repo1' },
      unixSeconds: 5,
    });
    expect(parseBackupMetricFile(renderBackupMetric('restoreTest', { stanza: 'documents' }, 0)).sample?.kind).toBe('restoreTest');
    // Prometheus' text format also allows a float value and a sample timestamp.
    expect(parseBackupMetricFile(`${BACKUP_METRICS.restoreTest.name}{stanza="a"} 1.7e9 1700000000000\n`).sample?.unixSeconds).toBe(1.7e9);
  });

  it('bad content: no sample, a reason, never an exception', () => {
    const name = BACKUP_METRICS.backup.name;
    const cases: Array<[string, RegExp]> = [
      ['', /no sample/],
      ['# HELP x\n# TYPE x gauge\n', /no sample/],
      [`${name}{stanza="a",type="full",repo="repo1"} 1\n${name}{stanza="a",type="full",repo="repo1"} 2\n`, /2 samples, expected one/],
      ['node_load1 0.5\n', /not a labelled sample/],
      ['other_metric{stanza="a"} 1\n', /unknown series other_metric/],
      [`${name}{stanza="a",repo="repo1"} 1\n`, /labels repo, stanza, expected repo, stanza, type/],
      [`${name}{stanza="a",type="full",repo="repo1",extra="x"} 1\n`, /expected repo, stanza, type/],
      [`${name}{stanza="a",stanza="b",type="full",repo="repo1"} 1\n`, /malformed labels/],
      [`${name}{stanza=a,type="full",repo="repo1"} 1\n`, /malformed labels/],
      [`${name}{stanza="a",type="full",repo="repo1"} -3\n`, /not a Unix time/],
      [`${name}{stanza="a",type="full",repo="repo1"} NaN\n`, /not a Unix time/],
      [`${name}{stanza="a",type="full",repo="repo1"} +Inf\n`, /not a Unix time/],
      [`# TYPE ${name} counter\n${name}{stanza="a",type="full",repo="repo1"} 1\n`, /declared counter, expected gauge/],
    ];
    for (const [text, reason] of cases) {
      const r = parseBackupMetricFile(text);
      expect(r.sample, text).toBeUndefined();
      expect(r.reason, text).toMatch(reason);
    }
    expect(parseBackupMetricFile(42 as unknown as string)).toEqual({ sample: undefined, reason: 'not text' });
  });

  it('a file cut anywhere (a writer that did not rename atomically) is refused or read whole, never thrown', () => {
    const full = renderBackupMetric('backup', { stanza: 'documents', type: 'full', repo: 'repo1' }, 1_790_000_000);
    for (let n = 0; n <= full.length; n++) {
      const r = parseBackupMetricFile(full.slice(0, n));
      if (r.sample) expect(r.sample.labels.stanza, `cut at ${n}`).toBe('documents');
      else expect(r.reason, `cut at ${n}`).toBeTruthy();
    }
  });
});

describe('the series files of the lab (recordBackupMetric, readBackupFreshness)', () => {
  let state = '';
  let plan: LabPlan;
  /** The same lab without an offline copy (services.backup.offlineCopy: false): repo1 only. */
  let noOffline: LabPlan;
  beforeAll(async () => {
    state = await mkdtemp(join(tmpdir(), 'hds-lab-backup-'));
    plan = shippedLabPlan(state);
    noOffline = shippedLabPlan(state, (doc) => ({ ...doc, services: { ...doc.services, backup: { ...doc.services.backup!, offlineCopy: false } } }));
  });
  afterAll(async () => {
    if (state) await rm(state, { recursive: true, force: true });
  });

  it("the textfile directory is the repository guest's, the one its site's node exporter reads", () => {
    const repo = labGuests(plan).repository!;
    expect(repo.site).toBe('DC3');
    expect(labBackupTextfileDir(plan)).toBe(guestPath(plan, repo, MONITORING_PATHS.nodeExporterTextfileDir));
    expect(labBackupTextfileDir(plan).startsWith(state)).toBe(true);
    expect(labOfflineRepoPath(plan)!.startsWith(state)).toBe(true);
  });

  it('never recorded: every series the alerts watch, without a time (repo1 and the offline copy repo2; repo1 only without it)', async () => {
    expect(await readBackupFreshness(plan)).toEqual([
      { stanza: 'documents', series: 'backup', repo: 'repo1', lastSuccess: undefined },
      { stanza: 'documents', series: 'backup', repo: 'repo2', lastSuccess: undefined },
      { stanza: 'documents', series: 'verify', repo: 'repo1', lastSuccess: undefined },
      { stanza: 'documents', series: 'verify', repo: 'repo2', lastSuccess: undefined },
      { stanza: 'documents', series: 'restoreTest', lastSuccess: undefined },
    ]);
    expect(await readBackupFreshness(noOffline)).toEqual([
      { stanza: 'documents', series: 'backup', repo: 'repo1', lastSuccess: undefined },
      { stanza: 'documents', series: 'verify', repo: 'repo1', lastSuccess: undefined },
      { stanza: 'documents', series: 'restoreTest', lastSuccess: undefined },
    ]);
  });

  it("records the recorder script's bytes atomically (0644, no temporary file left), reads back the newest set of each repository with its age", async () => {
    const labels = { stanza: 'documents', type: 'full', repo: 'repo1' } as const;
    const path = await recordBackupMetric(plan, 'backup', labels, 1_790_000_000);
    expect(path).toBe(join(labBackupTextfileDir(plan), backupMetricFile('backup', labels)));
    expect(await readFile(path, 'utf8')).toBe(renderBackupMetric('backup', labels, 1_790_000_000));
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    await recordBackupMetric(plan, 'backup', { ...labels, type: 'incr' }, 1_790_003_600);
    await recordBackupMetric(plan, 'backup', labels, 1_790_000_100); // the same series again: replaced, not added
    // repo2 has its own sets: its full is older than repo1's incr, and is what its row shows.
    await recordBackupMetric(plan, 'backup', { ...labels, repo: 'repo2' }, 1_790_000_200);
    await recordBackupMetric(plan, 'verify', { stanza: 'documents', repo: 'repo2' }, 1_790_007_000);
    await recordBackupMetric(plan, 'restoreTest', { stanza: 'documents' }, 1_789_900_000);
    expect((await readdir(labBackupTextfileDir(plan))).sort()).toEqual(
      [
        'hds_backup_documents_full_repo1.prom',
        'hds_backup_documents_incr_repo1.prom',
        'hds_backup_documents_full_repo2.prom',
        'hds_backup_verify_documents_repo2.prom',
        'hds_restore_test_documents.prom',
      ].sort(),
    );
    const now = new Date(1_790_007_200_000);
    expect(await readBackupFreshness(plan, now)).toEqual([
      { stanza: 'documents', series: 'backup', repo: 'repo1', type: 'incr', lastSuccess: '2026-09-21T15:13:20.000Z', ageSeconds: 3600 },
      { stanza: 'documents', series: 'backup', repo: 'repo2', type: 'full', lastSuccess: '2026-09-21T14:16:40.000Z', ageSeconds: 7000 },
      { stanza: 'documents', series: 'verify', repo: 'repo1', lastSuccess: undefined },
      { stanza: 'documents', series: 'verify', repo: 'repo2', lastSuccess: '2026-09-21T16:10:00.000Z', ageSeconds: 200 },
      { stanza: 'documents', series: 'restoreTest', lastSuccess: '2026-09-20T10:26:40.000Z', ageSeconds: 107_200 },
    ]);
  });

  it('a malformed or mislabelled file is reported as a problem and counts as never recorded', async () => {
    const dir = labBackupTextfileDir(plan);
    await writeFile(join(dir, backupMetricFile('verify', { stanza: 'documents', repo: 'repo1' })), 'garbage\n');
    // repo1's series under repo2's file name: not counted for repo2.
    await writeFile(
      join(dir, backupMetricFile('verify', { stanza: 'documents', repo: 'repo2' })),
      renderBackupMetric('verify', { stanza: 'documents', repo: 'repo1' }, 1_790_007_100),
    );
    // A restore-test series of another stanza under this stanza's file name.
    await writeFile(join(dir, backupMetricFile('restoreTest', { stanza: 'documents' })), renderBackupMetric('restoreTest', { stanza: 'identity' }, 1));
    const rows = await readBackupFreshness(plan, new Date(1_790_007_200_000));
    const row = (series: string, repo?: string) => rows.find((r) => r.series === series && r.repo === repo);
    expect(row('verify', 'repo1')).toEqual({
      stanza: 'documents',
      series: 'verify',
      repo: 'repo1',
      lastSuccess: undefined,
      problem: expect.stringMatching(/^hds_backup_verify_documents_repo1\.prom: not a labelled sample/),
    });
    expect(row('verify', 'repo2')).toMatchObject({ lastSuccess: undefined, problem: expect.stringMatching(/label repo="repo1", expected "repo2"/) });
    expect(row('restoreTest')).toMatchObject({
      lastSuccess: undefined,
      problem: expect.stringMatching(/label stanza="identity", expected "documents"/),
    });
    // The well-formed files are still read.
    expect(row('backup', 'repo2')).toMatchObject({ type: 'full', ageSeconds: 7000 });
  });

  it('repo2 exists only with the offline copy; a bad domain or repository is refused before any command runs', async () => {
    expect(plan.topology.backup?.offlineCopy).toBe(true);
    expect(labHasRepo(plan, 1)).toBe(true);
    expect(labHasRepo(plan, 2)).toBe(true);
    expect(noOffline.topology.backup?.offlineCopy).toBe(false);
    expect(labHasRepo(noOffline, 1)).toBe(true);
    expect(labHasRepo(noOffline, 2)).toBe(false);
    expect(labHasRepo({ ...plan, topology: { ...plan.topology, backup: undefined } }, 1)).toBe(false);
    // These reject before pgBackRest, netns or root are needed (this test runs as any user).
    await expect(labBackupRun(plan, { domain: 'nope', type: 'full', repo: 2 })).rejects.toThrow('no PostgreSQL domain "nope" in the lab (domains: documents)');
    await expect(labBackupRun(noOffline, { domain: 'documents', type: 'full', repo: 2 })).rejects.toThrow(
      /repo2 is not configured in environment lab .*offlineCopy is false/,
    );
    await expect(labBackupRun(plan, { domain: 'documents', type: 'weekly' as 'full', repo: 2 })).rejects.toThrow(/backup type "weekly"/);
    await expect(labVerify(noOffline, { domain: 'documents', repo: 2 })).rejects.toThrow(/repo2 is not configured/);
  });
});

describe('parseVerifyOutput: pgBackRest 2.45 verify exits 0 whatever it finds', () => {
  const run = (stdout: string, stderr = '', exitCode = 0) => parseVerifyOutput({ exitCode, stdout, stderr });

  it('a clean repository: ok, nothing found', () => {
    expect(run('P00   INFO: verify command begin 2.45: --repo=1 --stanza=documents\nP00   INFO: verify command end: completed successfully (412ms)\n')).toEqual(
      {
        ok: true,
        findings: [],
        warnings: [],
      },
    );
  });

  it('a flipped byte in a backup file: not ok although the exit code is 0, the file named, the set summarised', () => {
    const stdout = [
      'P00   INFO: verify command begin 2.45: --output=text --repo=1 --stanza=documents',
      "P01   INFO: invalid checksum '20261130-010002F/pg_data/base/5/16384.gz'",
      'P00   INFO: stanza: documents',
      '            status: error',
      '              backup: 20261130-010002F, status: invalid, total files checked: 981, total valid files: 980',
      '                checksum invalid: 1',
      'stanza: documents',
      'status: error',
      '  backup: 20261130-010002F, status: invalid, total files checked: 981, total valid files: 980',
      '    checksum invalid: 1',
      'P00   INFO: verify command end: completed successfully (2140ms)',
    ].join('\n');
    const v = run(stdout);
    expect(v.ok).toBe(false);
    expect(v.findings).toEqual([
      "invalid checksum '20261130-010002F/pg_data/base/5/16384.gz'",
      'backup: 20261130-010002F, status: invalid, total files checked: 981, total valid files: 980',
      'checksum invalid: 1',
    ]);
  });

  it('a bad WAL segment is a finding; a missing one (expire may remove it) only a warning', () => {
    const v = run(
      "P01   INFO: invalid size '15-1/0000000100000000/000000010000000000000007-ee161f898c9012dd0c28b3fd1e7140b9cf411306'\nP00   WARN: file missing '15-1/0000000100000000/000000010000000000000009'\nstatus: error\n  archiveId: 15-1, total WAL checked: 4, total valid WAL: 3\n    size invalid: 1\n",
    );
    expect(v.ok).toBe(false);
    expect(v.findings[0]).toBe("invalid size '15-1/0000000100000000/000000010000000000000007-ee161f898c9012dd0c28b3fd1e7140b9cf411306'");
    expect(v.warnings).toEqual(["file missing '15-1/0000000100000000/000000010000000000000009'"]);
    const onlyMissing = run("P00   WARN: file missing '15-1/0000000100000000/000000010000000000000009'\n");
    expect(onlyMissing).toEqual({ ok: true, findings: [], warnings: ["file missing '15-1/0000000100000000/000000010000000000000009'"] });
  });

  it('no usable info file: the summary line is the finding; a failed command: its error line or exit code', () => {
    expect(run('stanza: documents\nstatus: error\n  No usable backup.info file\n  No usable archive.info file\n')).toEqual({
      ok: false,
      findings: ['No usable backup.info file', 'No usable archive.info file'],
      warnings: [],
    });
    expect(run('status: error\n')).toEqual({ ok: false, findings: ['pgbackrest verify reported status: error'], warnings: [] });
    const failed = run('', 'P00  ERROR: [103]: unable to find a valid repository:\n', 103);
    expect(failed.ok).toBe(false);
    expect(failed.findings).toEqual(['[103]: unable to find a valid repository:']);
    expect(run('', 'killed', 137)).toEqual({ ok: false, findings: ['pgbackrest verify exited 137: killed'], warnings: [] });
  });
});

describe('offlineSealCandidates: which files of the offline copy are made immutable', () => {
  it('finished sets, their history and the WAL archive; not the info files pgBackRest rewrites, a file being written, nor a set in progress', () => {
    const files = [
      'archive/documents/archive.info',
      'archive/documents/archive.info.copy',
      'archive/documents/15-1/00000002.history',
      'archive/documents/15-1/0000000100000000/000000010000000000000001-a1.gz',
      'archive/documents/15-1/0000000100000000/000000010000000000000002-b2.gz.pgbackrest.tmp',
      'backup/documents/backup.info',
      'backup/documents/backup.info.copy',
      'backup/documents/20261129-010002F/backup.manifest',
      'backup/documents/20261129-010002F/backup.manifest.copy',
      'backup/documents/20261129-010002F/pg_data/PG_VERSION.gz',
      'backup/documents/20261130-010002F_20261130-050001D/backup.manifest.copy',
      'backup/documents/20261130-010002F_20261130-050001D/pg_data/base/1/1259.gz',
      'backup/documents/backup.history/2026/20261129-010002F.manifest.gz',
    ];
    const { seal, skipped } = offlineSealCandidates(files);
    expect(seal).toEqual([
      'archive/documents/15-1/0000000100000000/000000010000000000000001-a1.gz',
      'archive/documents/15-1/00000002.history',
      'backup/documents/20261129-010002F/backup.manifest',
      'backup/documents/20261129-010002F/backup.manifest.copy',
      'backup/documents/20261129-010002F/pg_data/PG_VERSION.gz',
      'backup/documents/backup.history/2026/20261129-010002F.manifest.gz',
    ]);
    expect(Object.fromEntries(skipped.map((s) => [s.file, s.reason]))).toEqual({
      'archive/documents/archive.info': 'rewritten by pgBackRest on every backup and expire',
      'archive/documents/archive.info.copy': 'rewritten by pgBackRest on every backup and expire',
      'archive/documents/15-1/0000000100000000/000000010000000000000002-b2.gz.pgbackrest.tmp': 'being written',
      'backup/documents/backup.info': 'rewritten by pgBackRest on every backup and expire',
      'backup/documents/backup.info.copy': 'rewritten by pgBackRest on every backup and expire',
      'backup/documents/20261130-010002F_20261130-050001D/backup.manifest.copy':
        'backup set 20261130-010002F_20261130-050001D in progress (no backup.manifest yet)',
      'backup/documents/20261130-010002F_20261130-050001D/pg_data/base/1/1259.gz':
        'backup set 20261130-010002F_20261130-050001D in progress (no backup.manifest yet)',
    });
  });
});
