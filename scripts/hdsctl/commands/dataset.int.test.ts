// EXG_ENV_15 (integration tier): loads into a throw-away PostgreSQL 15 on 127.0.0.1 — the
// loaded content hashes like the generated stream, integrity across domains, resume after a
// kill, shards, one database per domain, refusal of non-empty targets, reset (EXG_ENV_9/11).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing.ts';
import { resolveProfile } from '../../../modules/dataset/profile.ts';
import { generateDataset, type GenerateOptions } from '../../../modules/dataset/runner.ts';
import { DOMAINS } from '../../../modules/dataset/tables.ts';
import { createDb, pgTableHashes, startPg, type ThrowawayPg } from '../../../modules/dataset/testing/pg.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
/**
 * Users of the large load: 250,000 by default (HDS_DATASET_INT_USERS=1000000 for the 1 M-user load
 * of issue 4). Issue 4 allows a smaller N when CI time demands it: the 1 M-user load took 148 s of
 * the 40-minute suite; `npm run bench:dataset` (BENCH_LOAD_USERS, default 1,000,000) keeps it measured.
 */
const BIG = Number(process.env.HDS_DATASET_INT_USERS ?? 250_000);

let pgs: ThrowawayPg;
const profile = resolveProfile(undefined);

const opts = (o: Partial<GenerateOptions>): GenerateOptions => ({
  users: 20_000,
  seed: 'int',
  profile,
  target: { kind: 'null' },
  format: 'pg',
  shard: { index: 1, of: 1 },
  workers: 2,
  chunkSize: 2_000,
  check: false,
  append: false,
  domains: [...DOMAINS],
  ...o,
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

async function expected(users: number, seed = 'int') {
  return (await generateDataset(opts({ users, seed, workers: 1, check: true }))).hashes!;
}

beforeAll(async () => {
  pgs = await startPg({ fsync: 'off' });
});
afterAll(() => pgs?.stop());

describe('PostgreSQL loads (EXG_ENV_15)', () => {
  it(`loads ${BIG.toLocaleString('en')} users with 2 workers; content identical to the generated stream; keys and integrity hold`, async () => {
    await createDb(pgs.url(), 'big');
    const url = pgs.url('big');
    const s = await generateDataset(opts({ users: BIG, chunkSize: 20_000, target: { kind: 'pg', url } }));
    process.stderr.write(`dataset int: ${BIG} users, ${s.totalRows} rows in ${s.seconds.toFixed(1)} s (indexes ${s.finalize?.indexSeconds.toFixed(1)} s), peak RSS ${s.peakRssMiB} MiB\n`);
    expect(s.finalize?.complete).toBe(true);
    expect(s.rows['accounts.users']).toBe(BIG);
    const loaded = await pgTableHashes(url);
    expect(loaded).toEqual(await expected(BIG));
    // Referential integrity across domains (production has no cross-database foreign keys; we check it here).
    const orphans = await query<{ n: string }>(
      url,
      `SELECT (SELECT count(*) FROM documents.documents d LEFT JOIN accounts.users u ON u.id = d.user_id WHERE u.id IS NULL)
            + (SELECT count(*) FROM documents.documents d LEFT JOIN accounts.professionals p ON p.id = d.author_id WHERE p.id IS NULL)
            + (SELECT count(*) FROM consents.authorisations a LEFT JOIN accounts.professionals p ON p.id = a.professional_id WHERE p.id IS NULL)
            + (SELECT count(*) FROM messaging.messages m LEFT JOIN documents.documents d ON d.id = m.attachment_document_id WHERE m.attachment_document_id IS NOT NULL AND d.id IS NULL)
            + (SELECT count(*) FROM traces.access_traces t LEFT JOIN documents.documents d ON d.id = t.document_id WHERE t.document_id IS NOT NULL AND d.id IS NULL)
            + (SELECT count(*) FROM agenda.events e LEFT JOIN accounts.users u ON u.id = e.user_id WHERE u.id IS NULL)
            + (SELECT count(*) FROM accounts.users u JOIN accounts.identities i ON i.user_id = u.id WHERE i.ins_nir <> u.ins) AS n`,
    );
    expect(Number(orphans[0]!.n)).toBe(0);
    const cons = await query<{ n: string }>(url, `SELECT count(*) AS n FROM pg_constraint WHERE contype IN ('p', 'f') AND connamespace::regnamespace::text IN (${DOMAINS.map((d) => `'${d}'`).join(',')})`);
    expect(Number(cons[0]!.n)).toBe(11 + 3);
    const dupIns = await query<{ n: string }>(url, 'SELECT count(*) - count(DISTINCT ins) AS n FROM accounts.users');
    expect(Number(dupIns[0]!.n)).toBe(0);
  });

  it('refuses a non-empty target (another seed) with a one-line hint', async () => {
    const r = await runCli(['dataset', 'generate', '--users', '100', '--seed', 'other', '--target', pgs.url('big'), '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not empty \(dataset seed int, .* users\); reset it with `hdsctl dataset reset --env NAME`/);
  });

  it('refuses the production environment as a target (EXG_ENV_6)', async () => {
    const r = await runCli(['dataset', 'generate', '--users', '100', '--env', 'production', '--target', pgs.url('big'), '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/production/);
  });

  it('resumes after a kill: same data, no duplicates, no gaps', async () => {
    await createDb(pgs.url(), 'resume');
    const url = pgs.url('resume');
    const args = ['bin/hdsctl.js', 'dataset', 'generate', '--users', '40000', '--seed', 'int', '--chunk-size', '2000', '--workers', '2', '--target', url, '--no-progress'];
    const child: ChildProcess = spawn(process.execPath, args, { cwd: REPO, stdio: 'ignore' });
    const deadline = Date.now() + 120_000;
    let committed = 0;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      try {
        committed = Number((await query<{ n: string }>(url, "SELECT count(DISTINCT unit) AS n FROM hds_dataset.chunks WHERE tbl = 'documents.documents'"))[0]!.n);
      } catch {
        committed = 0;
      }
      if (committed >= 3) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(committed).toBeGreaterThanOrEqual(3);
    const partial = Number((await query<{ n: string }>(url, 'SELECT count(*) AS n FROM accounts.users'))[0]!.n);
    expect(partial).toBeLessThan(40_000);
    const r = await runCli(['dataset', 'generate', '--users', '40000', '--seed', 'int', '--chunk-size', '2000', '--workers', '2', '--target', url, '--no-progress', '--json'], {});
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.resumed).toBe(true);
    expect(s.finalize.complete).toBe(true);
    expect(await pgTableHashes(url)).toEqual(await expected(40_000));
  });

  it('shards K/N load disjoint parts; the last one creates the keys; one database per domain with {domain}', async () => {
    const url = `postgres://postgres@127.0.0.1:${pgs.port}/shard_{domain}`;
    const a = await generateDataset(opts({ users: 15_000, shard: { index: 1, of: 2 }, target: { kind: 'pg', url } }));
    expect(a.finalize?.complete).toBe(false);
    const b = await generateDataset(opts({ users: 15_000, shard: { index: 2, of: 2 }, workers: 1, target: { kind: 'pg', url } }));
    expect(b.finalize?.complete).toBe(true);
    const dbs = await query<{ datname: string }>(pgs.url(), "SELECT datname FROM pg_database WHERE datname LIKE 'shard_%' ORDER BY 1");
    expect(dbs.map((d) => d.datname)).toEqual(DOMAINS.map((d) => `shard_${d}`).sort());
    expect(await pgTableHashes(url, (d) => url.replace('{domain}', d))).toEqual(await expected(15_000));
  });

  it('appends users after the dataset in place with --append', async () => {
    await createDb(pgs.url(), 'append');
    const url = pgs.url('append');
    await generateDataset(opts({ users: 5_000, target: { kind: 'pg', url } }));
    const s = await generateDataset(opts({ users: 3_000, append: true, target: { kind: 'pg', url } }));
    expect(s.run.firstUser).toBe(5_001);
    const n = await query<{ n: string; max: string }>(url, 'SELECT count(*) AS n, max(id) AS max FROM accounts.users');
    expect(Number(n[0]!.n)).toBe(8_000);
    expect(Number(n[0]!.max)).toBe(8_000);
  });

  it('a reset with a bad argument or profile drops nothing: the dataset is intact', async () => {
    await createDb(pgs.url(), 'keep');
    const url = pgs.url('keep');
    await generateDataset(opts({ users: 2_000, target: { kind: 'pg', url } }));
    const before = await pgTableHashes(url);
    for (const bad of [['--users', 'abc'], ['--chunk-size', '0'], ['--workers', '0'], ['--profile', 'nope.yaml'], ['--seed', '']]) {
      const r = await runCli(['dataset', 'reset', '--env', 'formation', '--target', url, '--no-progress', ...bad]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^error: ${bad[0]}: `));
    }
    expect(await pgTableHashes(url)).toEqual(before);
  });

  it('resets a training environment on demand to the same data (EXG_ENV_9, EXG_ENV_11)', async () => {
    await createDb(pgs.url(), 'formation');
    const url = pgs.url('formation');
    await generateDataset(opts({ users: 3_000, target: { kind: 'pg', url } }));
    await query(url, 'DELETE FROM documents.documents WHERE id % 3 = 0');
    const r = await runCli(['dataset', 'reset', '--env', 'formation', '--target', url, '--no-progress', '--json']);
    expect(r.code).toBe(0);
    expect(await pgTableHashes(url)).toEqual(await expected(3_000));
    const prod = await runCli(['dataset', 'reset', '--env', 'production', '--target', url, '--no-progress']);
    expect(prod.code).toBe(1);
  });
});
