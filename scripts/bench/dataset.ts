/**
 * `npm run bench:dataset` (EXG_ENV_15): ratios measured in the same run, on this machine.
 *
 * 1. Generation only, one worker, to nowhere: users/s of our generator for the user fields
 *    (account, identity, contact rows in COPY text) against a straightforward @faker-js/faker
 *    (fr locale) generator of the same fields. Target ≥ 15×. Also: full users (all tables).
 * 2. Load into a throw-away PostgreSQL 15 on 127.0.0.1: users loaded per second (accounts
 *    domain: 3 rows per user) against `pgbench -i` rows/s on the same server, same run.
 *    Target ≥ 0.5×. Also the server's own ceiling for our rows: the same users pre-generated
 *    to files and loaded with `psql \copy` (three tables in parallel), so the client's share
 *    of the cost is visible. Scale with BENCH_PGBENCH_SCALE (default 10 = 1 M rows), users with
 *    BENCH_LOAD_USERS (default 1,000,000); loads run with 1 worker and with every core.
 * 3. `--users N [--workers W] [--target postgres://...]`: one full run of N users, every
 *    domain, into the throw-away server (its data directory is under $TMPDIR: 70 M users need
 *    roughly 300 GB with indexes) or into an empty database given with --target; skips 1 and 2.
 *
 * Prints a table on stderr and JSON on stdout.
 */
import { execFile, execFileSync } from 'node:child_process';
import { openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fakerFR as faker } from '@faker-js/faker';
import { pgLine, pgText } from '../../modules/dataset/encode.ts';
import { Generator, type Value } from '../../modules/dataset/generate.ts';
import { nirKey } from '../../modules/dataset/identifiers.ts';
import { resolveProfile } from '../../modules/dataset/profile.ts';
import { seedFrom } from '../../modules/dataset/rng.ts';
import { generateDataset } from '../../modules/dataset/runner.ts';
import { DOMAINS, TABLES } from '../../modules/dataset/tables.ts';
import { createDb, PG_BIN, startPg } from '../../modules/dataset/testing/pg.ts';
import { createTableSql } from '../../modules/dataset/writers/pg.ts';

const profile = resolveProfile(undefined);
const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const log = (s: string) => process.stderr.write(`${s}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en');

/** Runs fn(batch) until at least `seconds` have passed; returns items per second. */
function rate(seconds: number, batch: number, fn: (n: number) => void): number {
  fn(Math.min(batch, 1000)); // warm-up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    fn(batch);
    n += batch;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Both generators write the same way: COPY text lines, buffered per table, written to /dev/null. */
function devNullSink(): { row: (t: number, v: Value[]) => void; bytes: () => number } {
  const fd = openSync('/dev/null', 'w');
  const lines: string[][] = Array.from({ length: TABLES.length }, () => []);
  const sizes = new Array<number>(TABLES.length).fill(0);
  let bytes = 0;
  return {
    row(t, v) {
      const l = pgLine(v, true);
      lines[t]!.push(l);
      sizes[t]! += l.length + 1;
      if (sizes[t]! >= 32_768) {
        const b = Buffer.from(`${lines[t]!.join('\n')}\n`);
        bytes += writeSync(fd, b);
        lines[t]!.length = 0;
        sizes[t] = 0;
      }
    },
    bytes: () => bytes,
  };
}

function ours(accountsOnly: boolean): number {
  const g = new Generator({ seed: seedFrom('bench'), firstUser: 1, users: 70_000_000, professionals: 1_232_000, profile });
  const sink = devNullSink();
  let next = 1;
  const r = rate(5, 20_000, (n) => {
    for (let i = 0; i < n; i++) g.user(next++, sink, accountsOnly);
  });
  if (sink.bytes() === 0) throw new Error('no output');
  return r;
}

/** The same user fields, the straightforward way with faker (fr). */
function fakerBaseline(): number {
  faker.seed(1);
  const sink = devNullSink();
  let id = 0;
  const r = rate(5, 2_000, (n) => {
    for (let i = 0; i < n; i++) {
      id++;
      const sex = faker.person.sexType();
      const first = faker.person.firstName(sex);
      const last = faker.person.lastName();
      const birth = faker.date.birthdate({ mode: 'age', min: 0, max: 104 });
      const body = `${sex === 'male' ? 1 : 2}${String(birth.getUTCFullYear() % 100).padStart(2, '0')}${String(birth.getUTCMonth() + 1).padStart(2, '0')}${faker.string.numeric(8)}`;
      const ins = body + nirKey(body);
      const status = faker.helpers.weightedArrayElement([
        { weight: 84.9, value: 'created' },
        { weight: 13.2, value: 'activated' },
        { weight: 1.9, value: 'opposed' },
      ]);
      const enrolled = faker.date.between({ from: '2022-01-03', to: '2025-12-31' }).toISOString();
      const activated = status === 'activated' ? faker.date.between({ from: enrolled, to: '2025-12-31' }).toISOString() : null;
      sink.row(0, [id, ins, status, enrolled, activated, null]);
      sink.row(1, [id, ins, '1.2.250.1.213.1.4.8', last, null, first, first, sex === 'male' ? 'M' : 'F', birth.toISOString().slice(0, 10), faker.location.zipCode(), 'France']);
      sink.row(2, [id, faker.internet.email({ firstName: first, lastName: last }), faker.phone.number(), faker.location.streetAddress(), faker.location.zipCode(), faker.location.city(), faker.location.state(), 'email', 'fr', faker.datatype.boolean()]);
    }
  });
  if (sink.bytes() === 0) throw new Error('no output');
  return r;
}

const run = promisify(execFile);

/** Loads `users` pre-generated accounts rows with psql \\copy, three tables in parallel: what the server alone can ingest. */
async function serverCeiling(adminUrl: string, dir: string, users: number): Promise<{ users: number; usersPerSecond: number; rowsPerSecond: number }> {
  const g = new Generator({ seed: seedFrom('ceiling'), firstUser: 1, users, professionals: 1000, profile });
  const parts: string[][] = [[], [], []];
  for (let id = 1; id <= users; id++) g.user(id, { row: (t: number, v: Value[]) => parts[t]!.push(pgText(v)) }, true);
  const files = parts.map((p, t) => {
    const f = join(dir, `ceiling-${t}.copy`);
    writeFileSync(f, p.join(''));
    return f;
  });
  await createDb(adminUrl, 'ceiling');
  const url = adminUrl.replace(/\/postgres$/, '/ceiling');
  execFileSync(`${PG_BIN}/psql`, [url, '-q', '-c', `CREATE SCHEMA accounts; ${TABLES.slice(0, 3).map(createTableSql).join('; ')}`]);
  const t0 = performance.now();
  await Promise.all(files.map((f, t) => run(`${PG_BIN}/psql`, [url, '-q', '-c', `\\copy accounts.${TABLES[t]!.name} FROM '${f}'`])));
  const seconds = (performance.now() - t0) / 1000;
  for (const f of files) rmSync(f);
  return { users, usersPerSecond: users / seconds, rowsPerSecond: (3 * users) / seconds };
}

function pgbench(url: string, scale: number, steps: string): number {
  const t0 = performance.now();
  execFileSync(`${PG_BIN}/pgbench`, ['-i', '-s', String(scale), '-I', steps, '-q', url], { stdio: 'pipe' });
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const workers = Number(arg('--workers') ?? process.env.BENCH_WORKERS ?? availableParallelism());
  const fullUsers = arg('--users');
  const result: Record<string, unknown> = { machine: { cores: availableParallelism(), loadavg: loadavg() } };

  if (!fullUsers) {
    log('1/2 generation only, one worker (5 s each)...');
    const fakerRate = fakerBaseline();
    const accRate = ours(true);
    const fullRate = ours(false);
    result.generation = { fakerUsersPerSecond: fakerRate, oursUsersPerSecond: accRate, ratio: accRate / fakerRate, oursFullUsersPerSecond: fullRate, fullRatio: fullRate / fakerRate, target: 15 };
    log(`  faker (fr), user fields:        ${fmt(fakerRate)} users/s`);
    log(`  ours, same user fields:         ${fmt(accRate)} users/s  → ${(accRate / fakerRate).toFixed(1)}× (target ≥ 15×)`);
    log(`  ours, full users (11 tables):   ${fmt(fullRate)} users/s  → ${(fullRate / fakerRate).toFixed(1)}×`);
  }

  const external = arg('--target');
  const server = external && fullUsers ? null : await startPg();
  try {
    if (!fullUsers && server) {
      const scale = Number(process.env.BENCH_PGBENCH_SCALE ?? 10);
      const users = Number(process.env.BENCH_LOAD_USERS ?? 1_000_000);
      const cores = availableParallelism();
      log(`2/2 load into PostgreSQL 15 (127.0.0.1:${server.port}): pgbench -i -s ${scale} (${fmt(scale * 100_000)} rows), then ${fmt(users)} users...`);
      await createDb(server.url(), 'pgb');
      const gen = pgbench(server.url('pgb'), scale, 'dtg');
      const full = pgbench(server.url('pgb'), scale, 'dtgvp');
      const pgbRate = (scale * 100_000) / gen;
      log(`  pgbench -i (generate only):     ${fmt(pgbRate)} rows/s (${gen.toFixed(1)} s; with vacuum + primary keys ${full.toFixed(1)} s)`);
      // The server's ceiling for our rows: pre-generated COPY files, three tables in parallel.
      const ceiling = await serverCeiling(server.url(), server.dir, Math.min(users, 500_000));
      log(`  server ceiling, our rows:       ${fmt(ceiling.usersPerSecond)} users/s = ${fmt(ceiling.rowsPerSecond)} rows/s (psql \\copy of pre-generated files; ${(ceiling.rowsPerSecond / pgbRate).toFixed(2)}× pgbench)`);
      const loads: Array<Record<string, number>> = [];
      for (const w of [...new Set([1, Math.min(workers, cores)])]) {
        await createDb(server.url(), `acc${w}`);
        const s = await generateDataset({
          users,
          seed: 'bench',
          profile,
          target: { kind: 'pg', url: server.url(`acc${w}`) },
          format: 'pg',
          shard: { index: 1, of: 1 },
          workers: w,
          chunkSize: 50_000,
          check: false,
          append: false,
          domains: ['accounts'],
        });
        const loadSeconds = s.seconds - (s.finalize?.indexSeconds ?? 0);
        const row = {
          workers: w,
          usersPerSecond: users / loadSeconds,
          rowsPerSecond: s.rowsPerSecond,
          secondsLoad: loadSeconds,
          secondsWithKeys: s.seconds,
          ratioRows: s.rowsPerSecond / pgbRate,
          ratioUsers: users / loadSeconds / pgbRate,
          ratioWithKeys: users / s.seconds / ((scale * 100_000) / full),
          peakRssMiB: s.peakRssMiB,
        };
        loads.push(row);
        log(
          `  ours, ${w} worker(s), accounts:   ${fmt(row.usersPerSecond)} users/s = ${fmt(row.rowsPerSecond)} rows/s (${loadSeconds.toFixed(1)} s; with keys ${s.seconds.toFixed(1)} s)` +
            ` → rows ${row.ratioRows.toFixed(2)}×, users ${row.ratioUsers.toFixed(2)}× pgbench rows/s (target ≥ 0.5×)`,
        );
      }
      result.load = { pgbenchScale: scale, pgbenchRowsPerSecond: pgbRate, pgbenchSecondsGenerate: gen, pgbenchSecondsWithVacuumAndKeys: full, serverCeiling: ceiling, users, runs: loads, target: 0.5 };
    } else {
      const users = Number(fullUsers);
      const url = external ?? server!.url('full');
      log(`full run: ${fmt(users)} users, every domain, ${workers} workers into ${external ? 'the --target database' : `127.0.0.1:${server!.port}`}...`);
      if (!external) await createDb(server!.url(), 'full');
      const s = await generateDataset({
        users,
        seed: 'bench',
        profile,
        target: { kind: 'pg', url },
        format: 'pg',
        shard: { index: 1, of: 1 },
        workers,
        chunkSize: 50_000,
        check: false,
        append: false,
        domains: [...DOMAINS],
        onProgress: (p) => process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}  ${fmt(p.entities)}/${fmt(p.totalEntities)} entities, ${fmt(p.rows)} rows${process.stderr.isTTY ? '' : '\n'}`),
      });
      log('');
      result.full = s;
      log(`  ${fmt(s.totalRows)} rows in ${s.seconds.toFixed(0)} s (${fmt(s.rowsPerSecond)} rows/s, ${fmt(s.usersPerSecond)} users/s), keys ${s.finalize?.indexSeconds.toFixed(0)} s, peak RSS ${s.peakRssMiB} MiB`);
    }
  } finally {
    server?.stop();
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
