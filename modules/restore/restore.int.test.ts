/**
 * Backups that are proven, against the real lab (root, namespaces; issue 14, EXG_PRA_2, EXG_PRA_3):
 * a random restore test passes every check and destroys its copy; a point in time before and after
 * a marked write gives the copy without and with it; DC3 cut off for 60 s blocks no commit and the
 * archive catches up; the offline copy refuses writes; a flipped byte in the repository makes
 * `verify` and the restore test fail with a finding naming the problem.
 */
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  chmodSync,
  openSync,
  readSync,
  writeSync,
  closeSync,
  statSync,
  writeFileSync,
  appendFileSync,
  unlinkSync,
  renameSync,
} from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectFault } from '../drills/faults.ts';
import { labBackupRun, labVerify } from '../lab/backup.ts';
import { labComponents } from '../lab/components/all.ts';
import { haproxyEndpoints } from '../lab/endpoints.ts';
import { guestPath, labGuests } from '../lab/guests.ts';
import { labDown, labUp } from '../lab/lab.ts';
import { listNetns } from '../lab/netns.ts';
import { appClient } from '../lab/probes.ts';
import { shippedLabPlan } from '../lab/testing.ts';
import { PGBACKREST_PATHS } from '../services/fromTopology/paths.ts';
import { createDb, startPg } from '../dataset/testing/pg.ts';
import { takeMark } from './marks.ts';
import { writeRestorePv } from './pv/index.ts';
import { refreshInto } from './refresh.ts';
import { runRestoreTest } from './run.ts';
import { REQUIRED_CHECKS } from './types.ts';

const isRoot = process.getuid?.() === 0;
const DOMAIN = 'documents';

describe.skipIf(!isRoot)('restore tests against the real lab (root)', () => {
  const stateDir = mkdtempSync('/tmp/hds-restore-int-');
  chmodSync(stateDir, 0o755);
  const plan = shippedLabPlan(join(stateDir, 'lab'));
  const components = labComponents(plan);
  const log = (l: string) => process.stderr.write(`[restore] ${l}\n`);
  const source = async () => {
    const h = haproxyEndpoints(plan)[0]!;
    return appClient(plan, DOMAIN, h.address, h.clusters.find((c) => c.domain === DOMAIN)!.writePort, 10_000);
  };

  beforeAll(async () => {
    const busy = (await listNetns()).filter((n) => plan.sites.some((s) => s.netns === n) || n.startsWith('hds-restore'));
    if (busy.length > 0) throw new Error(`another lab or restore site is running (namespaces ${busy.join(', ')} exist): tear it down first`);
    await labUp(plan, { components, log });
    await labBackupRun(plan, { domain: DOMAIN, type: 'full', repo: 1 });
  }, 600_000);

  afterAll(async () => {
    if (!existsSync(join(stateDir, 'lab', 'run'))) return;
    await labDown(plan, { components, log }).catch(() => undefined);
  }, 300_000);

  it('a random restore test passes every check, serves a document from the copy, destroys it, and writes its PV', async () => {
    const { run, dir } = await runRestoreTest(plan, {
      domain: DOMAIN,
      choice: { mode: 'random', seed: 'ci-restore' },
      operator: 'ci',
      log,
      netns: 'hds-restore-ci',
    });
    for (const c of run.checks) log(`${c.id}: ${c.verdict} — ${c.detail}`);
    expect(run.checks.filter((c) => c.verdict !== 'pass').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    for (const id of [...REQUIRED_CHECKS, 'service.document-read']) expect(run.checks.map((c) => c.id)).toContain(id);
    expect(run.verdict).toBe('pass');
    expect(run.choice.mode).toBe('random');
    expect(run.choice.seed).toBe('ci-restore');
    expect(run.rate.bytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(run.destroyed?.what.join('\n')).toMatch(/namespace hds-restore-ci deleted/);
    expect(await listNetns()).not.toContain('hds-restore-ci');
    expect(existsSync(join(plan.stateDir, 'restore', 'hds-restore-ci'))).toBe(false);
    const files = writeRestorePv(dir, run, 'fr');
    expect(files.length).toBe(3);
    for (const e of run.evidence) expect(statSync(join(dir, e.path)).size).toBe(e.bytes);
  }, 600_000);

  it('a point in time before and after a marked write gives the copy without and with it', async () => {
    const a = await source();
    const b = await source();
    let before: Awaited<ReturnType<typeof takeMark>>;
    let after: Awaited<ReturnType<typeof takeMark>>;
    try {
      await a.query('CREATE TABLE IF NOT EXISTS restore_probe (id text PRIMARY KEY)');
      before = await takeMark(a, b, { name: 'ci-before' });
      await a.query("INSERT INTO restore_probe VALUES ('the-marked-write')");
      after = await takeMark(a, b, { name: 'ci-after' });
    } finally {
      await a.end();
      await b.end();
    }
    expect(before.fingerprints['public.restore_probe']?.rows).toBe(0);
    expect(after.fingerprints['public.restore_probe']?.rows).toBe(1);
    for (const [m, rows] of [
      [before, 0],
      [after, 1],
    ] as const) {
      const { run, dir } = await runRestoreTest(plan, {
        domain: DOMAIN,
        choice: { mode: 'at', at: new Date(m.at) },
        mark: false,
        operator: 'ci',
        log,
        netns: 'hds-restore-ci',
      });
      expect(run.choice.mark).toBe(m.name);
      expect(run.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
      const tables = JSON.parse(readFileSync(join(dir, 'evidence', 'tables.json'), 'utf8')) as { restored: Record<string, { rows: number }> };
      expect(tables.restored['public.restore_probe']?.rows, `copy at ${m.name}`).toBe(rows);
    }
  }, 900_000);

  it('env refresh: the copy at a time loaded into another environment’s database, its tables equal to the source’s at the mark', async () => {
    const target = await startPg();
    try {
      await createDb(target.url(), 'recette_documents');
      const url = target.url('recette_documents');
      const { run } = await runRestoreTest(plan, {
        domain: DOMAIN,
        choice: { mode: 'latest' },
        purpose: 'refresh',
        operator: 'ci',
        log,
        netns: 'hds-restore-ci',
        afterLogicalChecks: refreshInto({ url, shown: url }, log),
      });
      expect(run.id).toMatch(/-refresh-documents$/);
      const byId = new Map(run.checks.map((c) => [c.id, c]));
      expect(byId.get('refresh.load')?.verdict, byId.get('refresh.load')?.detail).toBe('pass');
      expect(byId.get('refresh.table-hashes')?.verdict, byId.get('refresh.table-hashes')?.detail).toBe('pass');
      expect(run.verdict).toBe('pass');
      // The restore schema (marks, ledger) is the source's bookkeeping: not carried into the target.
      const c = new (await import('pg')).default.Client({ connectionString: url });
      await c.connect();
      try {
        expect((await c.query("select 1 from pg_namespace where nspname = 'hds_restore'")).rowCount).toBe(0);
      } finally {
        await c.end();
      }
    } finally {
      target.stop();
    }
  }, 600_000);

  it('DC3 cut off for 60 s: commits go on (asynchronous archiving), the archive catches up afterwards', async () => {
    const c = await source();
    try {
      await c.query('CREATE TABLE IF NOT EXISTS dc3_cut (n int, at timestamptz DEFAULT now())');
      const before = (
        await c.query<{ failed: string; last: string | null }>('select failed_count::text as failed, last_archived_wal as last from pg_stat_archiver')
      ).rows[0]!;
      const fault = await injectFault({ plan, domain: DOMAIN, leader: async () => '', log }, { kind: 'dc3-loss', holdSeconds: 60 });
      const latencies: number[] = [];
      let cutWal = '';
      try {
        const end = Date.now() + 60_000;
        for (let n = 0; Date.now() < end; n++) {
          const t0 = Date.now();
          await c.query('INSERT INTO dc3_cut (n) VALUES ($1)', [n]);
          latencies.push(Date.now() - t0);
          if (n === 0) cutWal = (await c.query<{ w: string }>('select pg_walfile_name(pg_current_wal_lsn()) as w')).rows[0]!.w;
          await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        await fault.heal();
      }
      latencies.sort((x, y) => x - y);
      log(`DC3 cut: ${latencies.length} commits, p50 ${latencies[latencies.length >> 1]} ms, max ${latencies.at(-1)} ms`);
      expect(latencies.length).toBeGreaterThan(200);
      expect(latencies.at(-1)!).toBeLessThan(2000);
      const during = (await c.query<{ failed: string }>('select failed_count::text as failed from pg_stat_archiver')).rows[0]!;
      log(`archiver failures: ${before.failed} → ${during.failed}`);
      // Caught up: a segment written during the cut is archived within 2 minutes of the heal.
      const deadline = Date.now() + 120_000;
      let last = '';
      for (;;) {
        last = (await c.query<{ last: string | null }>('select last_archived_wal as last from pg_stat_archiver')).rows[0]!.last ?? '';
        // WAL file names: timeline (8 hex digits), then log and segment; compare the position.
        if (last.slice(8) >= cutWal.slice(8)) break;
        if (Date.now() > deadline) throw new Error(`archive did not catch up: last archived ${last}, needed ${cutWal}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(last.slice(8) >= cutWal.slice(8)).toBe(true);
    } finally {
      await c.end();
    }
  }, 400_000);

  it('the offline copy (repo2) refuses writes to what it holds', async () => {
    await labBackupRun(plan, { domain: DOMAIN, type: 'full', repo: 2 });
    const repo2 = guestPath(plan, labGuests(plan).repository!, PGBACKREST_PATHS.offlineRepoPath);
    const setsDir = join(repo2, 'backup', DOMAIN);
    const label = (await readdir(setsDir)).find((n) => /^\d{8}-\d{6}F$/.test(n));
    expect(label).toBeDefined();
    const manifest = join(setsDir, label!, 'backup.manifest');
    const size = (await stat(manifest)).size;
    expect(() => appendFileSync(manifest, 'x')).toThrow(/EPERM|operation not permitted/i);
    expect(() => writeFileSync(manifest, 'x')).toThrow(/EPERM|operation not permitted/i);
    expect(() => unlinkSync(manifest)).toThrow(/EPERM|operation not permitted/i);
    expect(() => renameSync(manifest, `${manifest}.moved`)).toThrow(/EPERM|operation not permitted/i);
    expect((await stat(manifest)).size).toBe(size);
  }, 300_000);

  it('a flipped byte in the repository: verify and the restore test fail with a finding naming it', async () => {
    await labBackupRun(plan, { domain: DOMAIN, type: 'full', repo: 1 });
    const repo1 = guestPath(plan, labGuests(plan).repository!, PGBACKREST_PATHS.repoPath);
    const setsDir = join(repo1, 'backup', DOMAIN);
    const label = (await readdir(setsDir))
      .filter((n) => /^\d{8}-\d{6}F$/.test(n))
      .sort()
      .at(-1)!;
    // The largest file of the newest full set: a table's pages, encrypted and compressed.
    const files: Array<{ path: string; size: number }> = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else files.push({ path: p, size: (await stat(p)).size });
      }
    };
    await walk(join(setsDir, label, 'pg_data'));
    const victim = files.sort((x, y) => y.size - x.size)[0]!;
    const fd = openSync(victim.path, 'r+');
    const at = Math.floor(victim.size / 2);
    const buf = Buffer.alloc(1);
    readSync(fd, buf, 0, 1, at);
    buf[0] = buf[0]! ^ 0xff;
    writeSync(fd, buf, 0, 1, at);
    closeSync(fd);
    const name = victim.path.slice(join(setsDir, label).length + 1).replace(/\.zst$/, '');
    log(`flipped byte ${at} of ${victim.path.slice(repo1.length)}`);
    const v = await labVerify(plan, { domain: DOMAIN, repo: 1 });
    expect(v.ok).toBe(false);
    expect(v.findings.join('\n')).toContain(label);
    const { run } = await runRestoreTest(plan, { domain: DOMAIN, choice: { mode: 'latest' }, operator: 'ci', log, netns: 'hds-restore-ci' });
    expect(run.choice.backupSet.label).toBe(label);
    expect(run.verdict).toBe('fail');
    const failed = run.checks.filter((c) => c.verdict === 'fail');
    // pgBackRest's restore error names no file ("zst error: Data corruption detected"): the finding adds verify's, which does.
    const detail = failed.map((c) => c.detail).join('\n');
    expect(detail).toMatch(/pgbackrest restore of .* failed/);
    // The set is named with verify's verdict on it (pgBackRest 2.45 names the file in verify's detail log only).
    expect(detail).toContain(`pgbackrest verify: backup: ${label}, status: invalid`);
    log(`finding: ${detail} (file ${name})`);
    expect(run.destroyed).toBeDefined();
    expect(await listNetns()).not.toContain('hds-restore-ci');
  }, 600_000);
});
