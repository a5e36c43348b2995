/**
 * `hdsctl dataset generate|reset`: synthetic datasets of 1 to 70 million users (EXG_ENV_15,
 * EXG_ENV_14) and resets of training and editor-certification data (EXG_ENV_9, EXG_ENV_11).
 * Production targets are refused (EXG_ENV_6). See docs/dataset.md.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import pg from 'pg';
import { parseShard, type Shard } from '../../../modules/dataset/plan.ts';
import { loadProfile, type Profile } from '../../../modules/dataset/profile.ts';
import { ALL_DOMAINS, type GenerateOptions, generateDataset, MAX_USERS, type Summary } from '../../../modules/dataset/runner.ts';
import { DOMAINS } from '../../../modules/dataset/tables.ts';
import { domainUrl, parseTarget, redact, refuseProduction } from '../../../modules/dataset/target.ts';
import { META_SCHEMA } from '../../../modules/dataset/writers/pg.ts';
import { labWriteUrl } from '../../../modules/lab/dataTarget.ts';
import { ArgProblem, type Check, checkOptions, environmentsDir, existingFile, integer, listOf, oneOf, text } from '../args.ts';
import { resolveLabPlan } from '../labPlan.ts';
import { CliError, green, log, out, printJson } from '../output.ts';

interface GenerateOpts {
  users?: string;
  seed?: string;
  profile?: string;
  target?: string;
  format?: string;
  shard?: string;
  workers?: string;
  chunkSize?: string;
  check?: boolean;
  append?: boolean;
  env?: string;
  domains?: string;
  json?: boolean;
  progress?: boolean;
  dir?: string;
}

/** `--target`: lab, postgres://... (password never repeated) or dir:PATH. */
const TARGET: Check<string> = (raw) => {
  const shown = JSON.stringify(redact(raw));
  const fix = 'use lab, postgres://user:password@host:port/database or dir:PATH (e.g. --target dir:dataset-out)';
  if (raw === 'lab' || raw === 'null:') return raw;
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      const u = new URL(raw.replace('{domain}', 'x'));
      if (!u.hostname) throw new Error('no host');
    } catch {
      throw new ArgProblem(
        `${shown} is not a valid PostgreSQL URL; use postgres://user:password@host:port/database (e.g. --target postgres://hds@127.0.0.1:5432/formation)`,
      );
    }
    return raw;
  }
  if (raw.startsWith('dir:')) {
    const path = raw.slice(4);
    if (path.trim() === '') throw new ArgProblem(`${shown} names no directory; ${fix}`);
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path, { throwIfNoEntry: false });
    } catch {
      throw new ArgProblem(
        `${shown}: "${path}" cannot be used (a part of the path is a file, or no permission); give a new or empty directory (e.g. --target dir:dataset-out)`,
      );
    }
    if (st && !st.isDirectory())
      throw new ArgProblem(`${shown}: "${path}" is a file, expected a directory; give a new or empty directory (e.g. --target dir:dataset-out)`);
    if (st && readdirSync(path).length > 0 && !existsSync(join(path, 'manifest.json')))
      throw new ArgProblem(`${shown}: "${path}" is a non-empty directory that holds no dataset; give a new or empty directory (e.g. --target dir:dataset-out)`);
    return raw;
  }
  throw new ArgProblem(`${shown} is not a known target; ${fix}`);
};

/** `--shard K/N`. */
const SHARD: Check<Shard> = (raw) => {
  try {
    return parseShard(raw);
  } catch {
    throw new ArgProblem(`${JSON.stringify(raw)} is not a shard; use K/N with 1 ≤ K ≤ N ≤ 10,000 (e.g. --shard 2/4)`);
  }
};

const cores = availableParallelism();
const COMMON = {
  seed: text(200, '42'),
  profile: existingFile('a profile file (YAML or JSON)', 'profile.yaml'),
  target: TARGET,
  workers: integer(1, cores, Math.min(2, cores)),
  chunkSize: integer(1, 10_000_000, 20_000),
  users: integer(1, MAX_USERS, 100_000),
  dir: environmentsDir,
};

function profileOf(file: string | undefined): Profile {
  try {
    return loadProfile(file);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** Runs `f`; an Error from the dataset modules (target, production refusal) becomes a CliError. */
async function cli<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof CliError || !(e instanceof Error)) throw e;
    throw new CliError(e.message.split('\n')[0]!);
  }
}

function progressBar(enabled: boolean) {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'dataset [{bar}] {percentage}% | {value}/{total} entities | {rate} rows/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = performance.now();
  return {
    update: (p: { entities: number; rows: number; totalEntities: number }) => {
      if (!started) {
        bar.start(p.totalEntities, 0, { rate: 0 });
        started = true;
      }
      bar.update(p.entities, { rate: Math.round(p.rows / ((performance.now() - t0) / 1000)).toLocaleString('en') });
    },
    stop: () => started && bar.stop(),
  };
}

function printSummary(s: Summary, json: boolean | undefined): void {
  if (json) {
    printJson(s);
    return;
  }
  const width = Math.max(...Object.keys(s.rows).map((k) => k.length));
  for (const [t, n] of Object.entries(s.rows)) out(`${t.padEnd(width)}  ${String(n).padStart(12)}${s.hashes ? `  ${s.hashes[t]!.hash}` : ''}`);
  log(
    `${s.users.toLocaleString('en')} users, ${s.totalRows.toLocaleString('en')} rows in ${s.seconds.toFixed(1)} s ` +
      `(${Math.round(s.rowsPerSecond).toLocaleString('en')} rows/s, ${Math.round(s.usersPerSecond).toLocaleString('en')} users/s), peak RSS ${s.peakRssMiB} MiB` +
      `${s.resumed ? ', resumed' : ''}; run ${s.run.id}, seed ${s.run.seed}, shard ${s.shard}`,
  );
  if (s.finalize && !s.finalize.complete) log(`${s.finalize.missing} unit(s) of other shards still missing; the last shard to finish creates keys and indexes`);
  else if (s.finalize) log(green(`complete${s.finalize.indexSeconds ? `; keys and indexes in ${s.finalize.indexSeconds.toFixed(1)} s` : ''}`));
}

/** What the command hands the generator, plus how it reports. */
type Run = Omit<GenerateOptions, 'finalize' | 'onProgress' | 'stopAfterUnits'> & { json?: boolean; progress?: boolean };

async function generate(r: Run): Promise<Summary> {
  const bar = progressBar(r.progress !== false && Boolean(process.stderr.isTTY) && !r.json);
  try {
    return await generateDataset({
      users: r.users,
      seed: r.seed,
      profile: r.profile,
      target: r.target,
      format: r.format,
      shard: r.shard,
      workers: r.workers,
      chunkSize: r.chunkSize,
      check: r.check,
      append: r.append,
      domains: r.domains,
      onProgress: bar.update,
    });
  } catch (e) {
    throw new CliError((e as Error).message.split('\n')[0]!);
  } finally {
    bar.stop();
  }
}

/**
 * What `dataset reset` does to a PostgreSQL target, apart so tests can see the order: every
 * database is reached (`inspect`) before anything is dropped (`drop`).
 */
export const resetTarget = {
  /** Connects to every database of the target and returns the run it holds (seed, users). */
  async inspect(url: string): Promise<{ seed: string; users: number } | null> {
    let found: { seed: string; users: number } | null = null;
    const dbs = url.includes('{domain}') ? DOMAINS.map((d) => domainUrl(url, d)) : [url];
    for (const db of dbs) {
      const c = await connectOrSkip(db);
      if (!c) continue;
      try {
        const has = await c.query(`SELECT 1 FROM pg_tables WHERE schemaname = '${META_SCHEMA}' AND tablename = 'runs'`);
        if (has.rowCount) {
          const r = await c.query<{ seed: string; users: string }>(
            `SELECT seed, sum(users) OVER () AS users FROM ${META_SCHEMA}.runs ORDER BY first_user LIMIT 1`,
          );
          if (r.rows[0]) found ??= { seed: r.rows[0].seed, users: Number(r.rows[0].users) };
        }
      } finally {
        await c.end();
      }
    }
    return found;
  },
  /** Drops the dataset schemas of every database of the target. */
  async drop(url: string): Promise<void> {
    const dbs = url.includes('{domain}') ? DOMAINS.map((d) => domainUrl(url, d)) : [url];
    for (const db of dbs) {
      const c = await connectOrSkip(db);
      if (!c) continue;
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${[...DOMAINS, META_SCHEMA].join(', ')} CASCADE`);
      } finally {
        await c.end();
      }
    }
  },
};

/** A client of `db`, or null when that (per-domain) database does not exist yet. */
async function connectOrSkip(db: string): Promise<pg.Client | null> {
  const c = new pg.Client({ connectionString: db, application_name: 'hdsctl-dataset', connectionTimeoutMillis: 10_000 });
  try {
    await c.connect();
    return c;
  } catch (e) {
    await c.end().catch(() => undefined);
    if (/does not exist/.test((e as Error).message) && !/role/.test((e as Error).message)) return null;
    throw new CliError(`--target: cannot connect to ${redact(db)}: ${(e as Error).message}; check the URL and that the server is up, nothing was dropped`);
  }
}

export function register(program: Command, setExit: (code: number) => void): void {
  const dataset = program.command('dataset').description('synthetic datasets of 1 to 70 million users for non-production environments (EXG_ENV_15)');
  dataset
    .command('generate')
    .description('generate a deterministic synthetic dataset into PostgreSQL or files; resumable, shardable; refuses production targets')
    .option('--users <n>', 'number of users, 1 to 70,000,000')
    .option('--seed <s>', 'seed: the same seed gives the same data', '1')
    .option('--profile <file>', 'YAML/JSON volumes per user (defaults from the catalog metrics; see docs/dataset.md)')
    .option('--target <target>', 'lab (default) | postgres://user:pw@host:port/db (a {domain} placeholder gives one database per domain) | dir:PATH')
    .option('--format <format>', 'for dir: targets: csv (default) | ndjson | fhir (FHIR R4 bulk NDJSON)')
    .option('--shard <K/N>', 'load only the K-th of N disjoint parts (several machines, a Kubernetes Indexed Job)')
    .option('--workers <w>', 'worker threads, up to the number of cores (default min(2, cores))')
    .option('--chunk-size <n>', 'entities per unit of work and checkpoint', '20000')
    .option('--check', 'print a content hash per table (without --target, writes nothing)')
    .option('--append', 'add users after those of the dataset in place (same seed and profile)')
    .option('--env <name>', 'the environment the target belongs to (production is refused, EXG_ENV_6)')
    .option('--domains <list>', `domains to write, comma-separated (default all: ${DOMAINS.join(',')})`)
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .option('--no-progress', 'no progress bar even on a terminal')
    .option('--json', 'machine-readable summary on stdout')
    .action(async (opts: GenerateOpts) => {
      // Every argument first, then the profile, then the target: nothing is written before all pass.
      const a = checkOptions(opts, {
        ...COMMON,
        users: { check: COMMON.users, required: 'give the number of users, 1 to 70,000,000 (e.g. --users 100000)' },
        format: oneOf(['csv', 'ndjson', 'fhir'] as const, 'file format'),
        shard: SHARD,
        domains: listOf(DOMAINS, 'domain'),
      });
      const kind = a.target === undefined || a.target === 'lab' || a.target.startsWith('postgres') ? 'pg' : a.target.startsWith('dir:') ? 'dir' : 'null';
      if (a.format && kind !== 'dir')
        throw new CliError(`--format: "${a.format}" writes files; use it with --target dir:PATH (e.g. --target dir:dataset-out --format ${a.format})`);
      const profile = profileOf(a.profile);
      const envName = opts.env ?? (opts.target === undefined || opts.target === 'lab' ? 'lab' : undefined);
      await cli(() => refuseProduction({ kind: 'null' }, envName, a.dir));
      const target = await cli(async () =>
        opts.check && a.target === undefined ? ({ kind: 'null' } as const) : parseTarget(a.target, await labUrlFor(a.target, a.dir)),
      );
      await cli(() => refuseProduction(target, envName, a.dir));
      const summary = await generate({
        users: a.users,
        seed: a.seed ?? '1',
        profile,
        target,
        format: target.kind === 'dir' ? (a.format ?? 'csv') : 'pg',
        shard: a.shard ?? { index: 1, of: 1 },
        workers: a.workers ?? Math.min(2, cores),
        chunkSize: a.chunkSize ?? 20_000,
        check: Boolean(opts.check),
        append: Boolean(opts.append),
        domains: a.domains ?? [...ALL_DOMAINS],
        json: opts.json,
        progress: opts.progress,
      });
      printSummary(summary, opts.json);
      setExit(0);
    });
  dataset
    .command('reset')
    .description('drop and regenerate the dataset of a training or certification environment (EXG_ENV_9, EXG_ENV_11); same seed and size unless given')
    .requiredOption('--env <name>', 'the environment to reset (production is refused)')
    .option('--target <target>', 'its database: lab (default for the lab environment) | postgres://...')
    .option('--users <n>', 'number of users (default: as before)')
    .option('--seed <s>', 'seed (default: as before)')
    .option('--profile <file>', 'profile file')
    .option('--workers <w>', 'worker threads')
    .option('--chunk-size <n>', 'entities per unit', '20000')
    .option('--dir <path>', 'environments directory')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'machine-readable summary on stdout')
    .action(async (opts: GenerateOpts & { env: string }) => {
      // Nothing is dropped before every argument, the profile, the environment and the target
      // connection have been checked.
      const a = checkOptions(opts, COMMON);
      const profile = profileOf(a.profile);
      await cli(() => refuseProduction({ kind: 'null' }, opts.env, a.dir));
      if (a.target === undefined && opts.env !== 'lab')
        throw new CliError(
          `--target is required for ${opts.env}: give its PostgreSQL write endpoint (e.g. --target postgres://hds@127.0.0.1:5432/${opts.env})`,
        );
      const target = await cli(async () => parseTarget(a.target, await labUrlFor(a.target, a.dir)));
      if (target.kind !== 'pg') throw new CliError(`--target: "${a.target}" is not a database; reset works on PostgreSQL targets (lab or postgres://...)`);
      await cli(() => refuseProduction(target, opts.env, a.dir));
      const previous = await resetTarget.inspect(target.url);
      const users = a.users ?? previous?.users;
      if (users === undefined)
        throw new CliError(`--users is required: no dataset found in ${redact(target.url)} to take its size from (e.g. --users 100000); nothing was dropped`);
      const seed = a.seed ?? previous?.seed ?? '1';
      await resetTarget.drop(target.url);
      log(
        `reset ${opts.env}: dropped the dataset${previous ? ` (seed ${previous.seed}, ${previous.users} users)` : ''}; generating ${users} users, seed ${seed}`,
      );
      const summary = await generate({
        users,
        seed,
        profile,
        target,
        format: 'pg',
        shard: { index: 1, of: 1 },
        workers: a.workers ?? Math.min(2, cores),
        chunkSize: a.chunkSize ?? 20_000,
        check: false,
        append: false,
        domains: [...ALL_DOMAINS],
        json: opts.json,
        progress: opts.progress,
      });
      printSummary(summary, opts.json);
      setExit(0);
    });
}

/** The lab's write endpoint when the target is the lab (the default) and the lab is up. */
async function labUrlFor(target: string | undefined, dir: string): Promise<string | undefined> {
  if (target !== undefined && target !== 'lab') return undefined;
  return labWriteUrl(resolveLabPlan({ dir }));
}
