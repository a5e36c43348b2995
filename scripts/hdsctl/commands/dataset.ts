/**
 * `hdsctl dataset generate|reset`: synthetic datasets of 1 to 70 million users (EXG_ENV_15,
 * EXG_ENV_14) and resets of training and editor-certification data (EXG_ENV_9, EXG_ENV_11).
 * Production targets are refused (EXG_ENV_6). See docs/dataset.md.
 */
import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import pg from 'pg';
import { parseShard } from '../../../modules/dataset/plan.ts';
import { loadProfile, type resolveProfile } from '../../../modules/dataset/profile.ts';
import { ALL_DOMAINS, generateDataset, MAX_USERS, type Summary } from '../../../modules/dataset/runner.ts';
import type { Format } from '../../../modules/dataset/sink.ts';
import { DOMAINS, type Domain } from '../../../modules/dataset/tables.ts';
import { labWriteUrl } from '../../../modules/lab/dataTarget.ts';
import { resolveLabPlan } from '../labPlan.ts';
import { domainUrl, parseTarget, redact, refuseProduction, type TargetConfig } from '../../../modules/dataset/target.ts';
import { META_SCHEMA } from '../../../modules/dataset/writers/pg.ts';
import { defaultEnvironmentsDir } from '../../../modules/loader/load.ts';
import { CliError, green, log, out, printJson } from '../output.ts';

interface GenerateOpts {
  users?: string;
  seed: string;
  profile?: string;
  target?: string;
  format?: string;
  shard?: string;
  workers?: string;
  chunkSize: string;
  check?: boolean;
  append?: boolean;
  env?: string;
  domains?: string;
  json?: boolean;
  progress?: boolean;
  dir?: string;
}

function intOption(name: string, text: string | undefined, min: number, max: number): number {
  const n = Number(text);
  if (text === undefined || !/^\d+$/.test(text.replace(/_/g, '')) || !Number.isSafeInteger(Number(text.replace(/_/g, '')))) {
    throw new CliError(`${name} "${text ?? ''}": expected a whole number between ${min} and ${max.toLocaleString('en')}`);
  }
  const v = Number.isNaN(n) ? Number(text.replace(/_/g, '')) : n;
  if (v < min || v > max) throw new CliError(`${name} ${v}: must be between ${min} and ${max.toLocaleString('en')}`);
  return v;
}

function parseDomains(text: string | undefined): Domain[] {
  if (!text) return [...ALL_DOMAINS];
  const list = text.split(',').map((s) => s.trim());
  for (const d of list) if (!(DOMAINS as readonly string[]).includes(d)) throw new CliError(`--domains: unknown domain "${d}" (known: ${DOMAINS.join(', ')})`);
  return list as Domain[];
}

function progressBar(enabled: boolean) {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'dataset [{bar}] {percentage}% | {value}/{total} entities | {rate} rows/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 50 },
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

async function generate(opts: GenerateOpts, overrides: { users?: number; seed?: string; target?: TargetConfig } = {}): Promise<Summary> {
  const users = overrides.users ?? intOption('--users', opts.users, 1, MAX_USERS);
  const cores = availableParallelism();
  const workers = opts.workers === undefined ? Math.min(2, cores) : intOption('--workers', opts.workers, 1, cores);
  const chunkSize = intOption('--chunk-size', opts.chunkSize, 1, 10_000_000);
  let profile: ReturnType<typeof resolveProfile>;
  try {
    profile = loadProfile(opts.profile);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  let target: TargetConfig;
  let shard: ReturnType<typeof parseShard>;
  try {
    target = overrides.target ?? (opts.check && opts.target === undefined ? { kind: 'null' } : parseTarget(opts.target, await labUrlFor(opts.target)));
    shard = parseShard(opts.shard);
    refuseProduction(target, opts.env ?? (opts.target === undefined || opts.target === 'lab' ? 'lab' : undefined), opts.dir ?? defaultEnvironmentsDir());
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const format = (opts.format ?? (target.kind === 'dir' ? 'csv' : 'pg')) as Format;
  if (!['csv', 'ndjson', 'fhir', 'pg'].includes(format)) throw new CliError(`--format "${opts.format}": expected csv, ndjson or fhir`);
  if (target.kind === 'pg' && format !== 'pg') throw new CliError(`--format ${format} writes files: use --target dir:PATH`);
  if (target.kind === 'dir' && format === 'pg') throw new CliError('--target dir:PATH needs --format csv, ndjson or fhir');
  const bar = progressBar(opts.progress !== false && Boolean(process.stderr.isTTY) && !opts.json);
  try {
    return await generateDataset({
      users,
      seed: overrides.seed ?? opts.seed,
      profile,
      target,
      format,
      shard,
      workers,
      chunkSize,
      check: Boolean(opts.check),
      append: Boolean(opts.append),
      domains: parseDomains(opts.domains),
      onProgress: bar.update,
    });
  } catch (e) {
    throw new CliError((e as Error).message.split('\n')[0]!);
  } finally {
    bar.stop();
  }
}

/** Drops the dataset schemas of a PostgreSQL target and returns the run it held (seed, users). */
async function dropDataset(url: string): Promise<{ seed: string; users: number } | null> {
  let found: { seed: string; users: number } | null = null;
  const dbs = url.includes('{domain}') ? DOMAINS.map((d) => domainUrl(url, d)) : [url];
  for (const db of dbs) {
    const c = new pg.Client({ connectionString: db });
    try {
      await c.connect();
    } catch (e) {
      if (/does not exist/.test((e as Error).message)) continue;
      throw new CliError(`cannot connect to ${redact(db)}: ${(e as Error).message}`);
    }
    try {
      const has = await c.query(`SELECT 1 FROM pg_tables WHERE schemaname = '${META_SCHEMA}' AND tablename = 'runs'`);
      if (has.rowCount) {
        const r = await c.query<{ seed: string; users: string }>(`SELECT seed, sum(users) OVER () AS users FROM ${META_SCHEMA}.runs ORDER BY first_user LIMIT 1`);
        if (r.rows[0]) found = { seed: r.rows[0].seed, users: Number(r.rows[0].users) };
      }
      await c.query(`DROP SCHEMA IF EXISTS ${[...DOMAINS, META_SCHEMA].join(', ')} CASCADE`);
    } finally {
      await c.end();
    }
  }
  return found;
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
      if (opts.users === undefined) throw new CliError('--users is required (1 to 70,000,000), e.g. hdsctl dataset generate --users 100000');
      printSummary(await generate(opts), opts.json);
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
    .action(async (opts: GenerateOpts) => {
      let target: TargetConfig;
      try {
        refuseProduction({ kind: 'null' }, opts.env, opts.dir ?? defaultEnvironmentsDir());
        if (opts.target === undefined && opts.env !== 'lab') throw new Error(`--target is required for ${opts.env}: give its PostgreSQL write endpoint (postgres://...)`);
        target = parseTarget(opts.target, await labUrlFor(opts.target));
        if (target.kind !== 'pg') throw new Error('reset works on PostgreSQL targets (lab or postgres://...)');
        refuseProduction(target, opts.env, opts.dir ?? defaultEnvironmentsDir());
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      const previous = await dropDataset(target.url);
      const users = opts.users !== undefined ? intOption('--users', opts.users, 1, MAX_USERS) : previous?.users;
      if (users === undefined) throw new CliError(`no dataset found in ${redact(target.url)}; give --users N`);
      const seed = opts.seed ?? previous?.seed ?? '1';
      log(`reset ${opts.env}: dropped the dataset${previous ? ` (seed ${previous.seed}, ${previous.users} users)` : ''}; generating ${users} users, seed ${seed}`);
      printSummary(await generate({ ...opts, seed }, { users, seed, target }), opts.json);
      setExit(0);
    });
}

/** The lab's write endpoint when the target is the lab (the default) and the lab is up. */
async function labUrlFor(target: string | undefined): Promise<string | undefined> {
  if (target !== undefined && target !== 'lab') return undefined;
  return labWriteUrl(resolveLabPlan({}));
}
