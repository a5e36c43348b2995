/**
 * `npm run bench:dataset` (EXG_ENV_15): ratios measured in the same run, on this machine.
 *
 * 1. Generation only, one worker, to /dev/null: users/s of our generator for the user fields
 *    (account, identity, contact rows in COPY text, through the `pg` FormatSink as `hdsctl
 *    dataset generate` runs it) against the baseline, a straightforward @faker-js/faker (fr
 *    locale) generator of the same fields. Target ≥ 15×. The two (and full users, all tables)
 *    run in interleaved 1 s rounds (BENCH_GEN_ROUNDS, default 5), so that they see the same
 *    machine load; the ratio of CPU-time rates is printed too. `--generation-only` stops here.
 * 2. Load into a throw-away PostgreSQL 15 on 127.0.0.1: rows/s of the accounts domain (3 rows
 *    per user: users, identities, contacts) against the baseline `pgbench -i` rows/s on the
 *    same server, each load compared with the mean of a pgbench run just before and one just
 *    after it. Target ≥ 0.5×. pgbench loads pgbench_accounts with COPY ... FREEZE (lines of
 *    ~12 bytes, into a table truncated in the same transaction), ours are ~85-byte lines with
 *    timestamps to parse, in per-unit transactions (FREEZE cannot apply): the users/s ratio is
 *    printed too. Also the server's own ceiling for our rows: the same users pre-generated to
 *    files and loaded with `psql \copy` (three tables in parallel), so the client's share of
 *    the cost is visible. Scale with BENCH_PGBENCH_SCALE (default 10 = 1 M rows), users with
 *    BENCH_LOAD_USERS (default 1,000,000); loads run with 1 worker and with every core.
 *    `--load-only` skips 1.
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
import { FormatSink } from '../../modules/dataset/sink.ts';
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

/** A generator under measurement: step(n) makes n users; totals accumulate over rounds. */
interface Meter {
  step: (n: number) => void;
  batch: number;
  users: number;
  wallMs: number;
  cpuMs: number;
  check: () => void;
}

/**
 * Runs the meters in turn, `seconds` each, for `rounds` rounds: on a shared machine the load
 * changes from one second to the next, and interleaving exposes every generator to the same
 * conditions (one 5 s run each would compare different moments). CPU time is kept too.
 */
function measureInterleaved(meters: Meter[], rounds: number, seconds: number): void {
  for (const m of meters) m.step(Math.min(m.batch, 1000)); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const m of meters) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      let n = 0;
      while (performance.now() - t0 < seconds * 1000) {
        m.step(m.batch);
        n += m.batch;
      }
      const c = process.cpuUsage(c0);
      m.wallMs += performance.now() - t0;
      m.cpuMs += (c.user + c.system) / 1000;
      m.users += n;
    }
  }
  for (const m of meters) m.check();
}

const perSecond = (m: Meter) => m.users / (m.wallMs / 1000);
const perCpuSecond = (m: Meter) => m.users / (m.cpuMs / 1000);

/** The faker baseline writes COPY text lines the straightforward way: joined per table, 32 KiB writes to /dev/null. */
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

/**
 * Ours, the way `hdsctl dataset generate` runs it: the generator writes COPY text into the
 * `pg` FormatSink's byte buffers, full buffers (64 KiB) are written to /dev/null.
 */
function ours(accountsOnly: boolean): Meter {
  const g = new Generator({ seed: seedFrom('bench'), firstUser: 1, users: 70_000_000, professionals: 1_232_000, profile });
  const fd = openSync('/dev/null', 'w');
  let bytes = 0;
  const writer = {
    write(_o: number, data: string | Uint8Array) {
      bytes += writeSync(fd, data as Uint8Array);
      return undefined;
    },
  };
  const sink = new FormatSink('pg', false);
  let next = 1;
  const step = (n: number) => {
    for (let i = 0; i < n; i++) {
      g.user(next++, sink.out, accountsOnly);
      if ((next & 31) === 0 && sink.full()) void sink.flush(writer, false);
    }
  };
  const check = () => {
    void sink.flush(writer, true);
    if (bytes === 0) throw new Error('no output');
  };
  return { step, batch: accountsOnly ? 20_000 : 2_000, users: 0, wallMs: 0, cpuMs: 0, check };
}

/** The same user fields, the straightforward way with faker (fr). */
function fakerBaseline(): Meter {
  faker.seed(1);
  const sink = devNullSink();
  let id = 0;
  const step = (n: number) => {
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
  };
  const check = () => {
    if (sink.bytes() === 0) throw new Error('no output');
  };
  return { step, batch: 2_000, users: 0, wallMs: 0, cpuMs: 0, check };
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

  if (!fullUsers && !argv.includes('--load-only')) {
    const rounds = Number(process.env.BENCH_GEN_ROUNDS ?? 5);
    log(`1/2 generation only, one worker, to /dev/null (${rounds} interleaved rounds of 1 s each)...`);
    const fk = fakerBaseline();
    const acc = ours(true);
    const full = ours(false);
    measureInterleaved([fk, acc, full], rounds, 1);
    const fakerRate = perSecond(fk);
    const accRate = perSecond(acc);
    const fullRate = perSecond(full);
    result.generation = {
      baseline: '@faker-js/faker (fr), the same user fields, COPY text lines joined and written to /dev/null',
      fakerUsersPerSecond: fakerRate,
      oursUsersPerSecond: accRate,
      ratio: accRate / fakerRate,
      ratioCpu: perCpuSecond(acc) / perCpuSecond(fk),
      oursFullUsersPerSecond: fullRate,
      fullRatio: fullRate / fakerRate,
      target: 15,
    };
    log(`  baseline faker (fr), user fields: ${fmt(fakerRate)} users/s (${fmt(perCpuSecond(fk))} per CPU-second)`);
    log(
      `  ours, same user fields:           ${fmt(accRate)} users/s (${fmt(perCpuSecond(acc))} per CPU-second)  → ${(accRate / fakerRate).toFixed(1)}× faker (CPU time: ${(perCpuSecond(acc) / perCpuSecond(fk)).toFixed(1)}×; target ≥ 15×)`,
    );
    log(`  ours, full users (11 tables):     ${fmt(fullRate)} users/s  → ${(fullRate / fakerRate).toFixed(1)}× faker (user fields only)`);
  }

  const external = arg('--target');
  const server = (external && fullUsers) || argv.includes('--generation-only') ? null : await startPg();
  try {
    if (!fullUsers && server && !argv.includes('--generation-only')) {
      const scale = Number(process.env.BENCH_PGBENCH_SCALE ?? 10);
      const users = Number(process.env.BENCH_LOAD_USERS ?? 1_000_000);
      const cores = availableParallelism();
      log(`2/2 load into PostgreSQL 15 (127.0.0.1:${server.port}): pgbench -i -s ${scale} (${fmt(scale * 100_000)} rows), then ${fmt(users)} users...`);
      await createDb(server.url(), 'pgb');
      const gen = pgbench(server.url('pgb'), scale, 'dtg');
      const full = pgbench(server.url('pgb'), scale, 'dtgvp');
      const pgbRate = (scale * 100_000) / gen;
      log(
        `  pgbench -i (generate only):     ${fmt(pgbRate)} rows/s (${gen.toFixed(1)} s; with vacuum + primary keys ${full.toFixed(1)} s) — COPY ... FREEZE of ~12-byte lines into a table truncated in the same transaction`,
      );
      // The server's ceiling for our rows: pre-generated COPY files, three tables in parallel.
      const ceiling = await serverCeiling(server.url(), server.dir, Math.min(users, 500_000));
      log(`  server ceiling, our rows:       ${fmt(ceiling.usersPerSecond)} users/s = ${fmt(ceiling.rowsPerSecond)} rows/s (psql \\copy of pre-generated files; ${(ceiling.rowsPerSecond / pgbRate).toFixed(2)}× pgbench)`);
      const loads: Array<Record<string, number>> = [];
      // The load changes while we run: each of our loads is compared with the mean of a pgbench
      // run just before it and one just after it.
      let pgbBefore = pgbRate;
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
        const pgbAfter = (scale * 100_000) / pgbench(server.url('pgb'), scale, 'dtg');
        const baseline = (pgbBefore + pgbAfter) / 2;
        const row = {
          workers: w,
          usersPerSecond: users / loadSeconds,
          rowsPerSecond: s.rowsPerSecond,
          secondsLoad: loadSeconds,
          secondsWithKeys: s.seconds,
          pgbenchRowsPerSecondBefore: pgbBefore,
          pgbenchRowsPerSecondAfter: pgbAfter,
          ratioRows: s.rowsPerSecond / baseline,
          ratioUsers: users / loadSeconds / baseline,
          ratioWithKeys: users / s.seconds / ((scale * 100_000) / full),
          peakRssMiB: s.peakRssMiB,
        };
        pgbBefore = pgbAfter;
        loads.push(row);
        log(
          `  ours, ${w} worker(s), accounts:   ${fmt(row.usersPerSecond)} users/s = ${fmt(row.rowsPerSecond)} rows/s (${loadSeconds.toFixed(1)} s; with keys ${s.seconds.toFixed(1)} s)`,
        );
        log(
          `    baseline pgbench -i, mean of the runs just before and after: ${fmt(baseline)} rows/s → accounts rows ${row.ratioRows.toFixed(2)}× (target ≥ 0.5×); users (1 row of users per user) ${row.ratioUsers.toFixed(2)}×`,
        );
      }
      result.load = { pgbenchScale: scale, pgbenchRowsPerSecond: pgbRate, pgbenchSecondsGenerate: gen, pgbenchSecondsWithVacuumAndKeys: full, serverCeiling: ceiling, users, runs: loads, target: 0.5 };
    } else if (fullUsers) {
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
