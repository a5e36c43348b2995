/**
 * `npm run bench:restore` (issue 14 "Figures"; EXG_PRA_3: restore tests that prove the backups,
 * EXG_PRA_2: backups): what a restore costs, ratios measured in the same run, on this machine.
 * Needs root: it brings up its own lab (namespaces, every service) in a temp state directory and
 * tears it down at the end, also on error, SIGINT and SIGTERM. It refuses to start when a lab or a
 * restore site already runs (namespaces hds-dc1/2/3 or hds-restore*).
 *
 * 1. Lab up (shippedLabPlan) in a temp directory under BENCH_RESTORE_DIR (default $TMPDIR).
 * 2. BENCH_RESTORE_USERS users (default 1,000,000) of the synthetic dataset, every domain, into the
 *    lab (what `hdsctl dataset generate --target lab` does, in-process: the reference domain's
 *    database — `documents` — through DC1's HAProxy), then a full backup to repo1 (DC3). The
 *    dataset lands in that one database, so it is in the stanza pgBackRest backs up.
 * 3. Baseline, the physical limit on the same data: a plain copy of the Patroni leader's data
 *    directory to the same disk, `tar -cf - . | tar -xpf -`, then `sync -f` (pgBackRest fsyncs
 *    what it restores), taken with the primary running (a read of its files; tar reports files
 *    changed or removed while read, which a running PostgreSQL does, and goes on). Not `cp -a`:
 *    coreutils ≥ 9 clones (reflink / copy_file_range) where the filesystem can, which copies no
 *    bytes. bytes/s = du -sb of the copy / time; the copy is then deleted. Measured just before and
 *    just after the restore below; the restore is compared with the mean of the two.
 * 4. Restore rate: `runRestoreTest` latest (modules/restore/run.ts): restored data directory bytes
 *    over the `pgbackrest restore` time, against the baseline. Goal ≥ 0.5× (reported, not asserted).
 * 5. PITR to a random time (`--random`, seed BENCH_SEED, default `bench-restore`): total time to a
 *    verified, running copy = choose + restore + start + checks (destroy is printed, not counted).
 *
 * BENCH_WORKERS: dataset worker threads (default min(2, cores)); BENCH_RESTORE_KEEP=1 keeps the
 * state directory (lab data, repository, restore evidence) after the lab is stopped.
 *
 * Prints a table on stderr and one JSON object on stdout. Exit 0 when both restore tests passed
 * every check, 1 when one failed, 2 when it refused to start (bad variable, not root, lab running).
 */
import { chmod, mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfile } from '../../modules/dataset/profile.ts';
import { ALL_DOMAINS, generateDataset, MAX_USERS } from '../../modules/dataset/runner.ts';
import { labBackupRun } from '../../modules/lab/backup.ts';
import { runCommand } from '../../modules/lab/command.ts';
import { labComponents } from '../../modules/lab/components/all.ts';
import { pgDataDir } from '../../modules/lab/components/postgres.ts';
import { labWriteUrl } from '../../modules/lab/dataTarget.ts';
import { refserviceDomain } from '../../modules/lab/edgeEndpoints.ts';
import { type PatroniNodeEndpoint, patroniNodes } from '../../modules/lab/endpoints.ts';
import { labDown, labUp } from '../../modules/lab/lab.ts';
import { listNetns } from '../../modules/lab/netns.ts';
import { patroniClusterAny } from '../../modules/lab/probes.ts';
import { shippedLabPlan } from '../../modules/lab/testing.ts';
import type { LabPlan } from '../../modules/lab/types.ts';
import { runRestoreTest } from '../../modules/restore/run.ts';
import { destroyRestoreSite } from '../../modules/restore/site.ts';
import type { RestorePhase, RestoreTestRun } from '../../modules/restore/types.ts';

/** The restore site's namespace: hds-restore* like every restore site, so a lab's own tests see it. */
export const BENCH_NETNS = 'hds-restore-bench';
/** Restore rate over the baseline copy rate (issue 14). */
export const RESTORE_RATE_GOAL = 0.5;
/** The phases of "a verified, running copy": destroy comes after and is not counted. */
export const PITR_PHASES = ['choose', 'restore', 'start', 'checks'] as const;
/** Rough on-disk size of one user of the dataset with keys and indexes (docs/dataset.md: ~300 GB for 70 M). */
export const BYTES_PER_USER = 4_300;

export interface BenchConfig {
  /** @default 1_000_000 */
  users: number;
  /** Seed of the random restore point. @default 'bench-restore' */
  seed: string;
  /** Dataset worker threads. @default min(2, cores) */
  workers: number;
  /** Parent of the temp state directory. @default os.tmpdir() */
  parentDir: string;
  /** Keep the state directory after the lab is stopped. @default false */
  keep: boolean;
}

export class BenchInputError extends Error {}

/** A whole number written with optional `_` or `,` separators (1_000_000, 1,000,000); undefined otherwise. */
function wholeNumber(raw: string): number | undefined {
  const t = raw.trim();
  if (!/^\d{1,3}(?:[_,]?\d{3})*$|^\d+$/.test(t)) return undefined;
  const n = Number(t.replace(/[_,]/g, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The bench's variables, every problem collected into one line (`BENCH_X="v": what; how to fix`).
 * Unset or empty variables take their default.
 */
export function parseBenchEnv(env: Record<string, string | undefined>, cores: number, defaultParent: string): BenchConfig {
  const problems: string[] = [];
  const given = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const int = (name: string, min: number, max: number, fallback: number, example: number) => {
    const raw = given(name);
    if (raw === undefined) return fallback;
    const n = wholeNumber(raw);
    if (n === undefined || n < min || n > max) {
      problems.push(
        `${name}=${JSON.stringify(raw)}: ${n === undefined ? 'not a whole number' : `out of range`}; give ${min.toLocaleString('en')} to ${max.toLocaleString('en')} (e.g. ${name}=${example})`,
      );
      return fallback;
    }
    return n;
  };
  const users = int('BENCH_RESTORE_USERS', 1, MAX_USERS, 1_000_000, 1_000_000);
  const workers = int('BENCH_WORKERS', 1, cores, Math.min(2, cores), Math.min(2, cores));
  const seed = given('BENCH_SEED') ?? 'bench-restore';
  if (seed.length > 200) problems.push(`BENCH_SEED: ${seed.length} characters; give at most 200 (e.g. BENCH_SEED=bench-restore)`);
  const parentDir = given('BENCH_RESTORE_DIR') ?? defaultParent;
  if (!parentDir.startsWith('/'))
    problems.push(`BENCH_RESTORE_DIR=${JSON.stringify(parentDir)}: not an absolute path; give a directory (e.g. BENCH_RESTORE_DIR=/var/tmp)`);
  const keepRaw = given('BENCH_RESTORE_KEEP');
  if (keepRaw !== undefined && keepRaw !== '0' && keepRaw !== '1')
    problems.push(`BENCH_RESTORE_KEEP=${JSON.stringify(keepRaw)}: give 1 (keep the state directory) or 0`);
  if (problems.length) throw new BenchInputError(problems.join('; '));
  return { users, seed, workers, parentDir, keep: keepRaw === '1' };
}

/** The namespaces that make the bench refuse: the lab's sites' and any restore site's. */
export function busyNamespaces(existing: readonly string[], labNamespaces: readonly string[]): string[] {
  return existing.filter((n) => labNamespaces.includes(n) || n.startsWith('hds-restore'));
}

/** The bash pipeline of the baseline copy: $1 source, $2 destination; prints both tar exit codes. */
export const TAR_PIPE = `tar -C "$1" -cf - . | tar -C "$2" -xpf -; echo "\${PIPESTATUS[0]} \${PIPESTATUS[1]}"`;

/**
 * The outcome of TAR_PIPE from the exit codes it prints: the creating tar may exit 1 (GNU tar:
 * "some files differ", a file changed or removed while read — a running PostgreSQL does that),
 * anything else is a failure; the extracting tar must exit 0.
 */
export function tarPipeOutcome(stdout: string): { ok: boolean; create?: number; extract?: number } {
  const m = /(\d+) (\d+)\s*$/.exec(stdout);
  if (!m) return { ok: false };
  const create = Number(m[1]);
  const extract = Number(m[2]);
  return { ok: (create === 0 || create === 1) && extract === 0, create, extract };
}

/** Bytes per second, rounded; 0 for no time. */
export function bytesPerSecond(bytes: number, durationMs: number): number {
  return durationMs > 0 ? Math.round((bytes * 1000) / durationMs) : 0;
}

/** Restore rate over the baseline's; null when either is missing (a failed restore, no baseline). */
export function rateRatio(restore: number, baseline: number): number | null {
  return restore > 0 && baseline > 0 ? restore / baseline : null;
}

/** Milliseconds of each phase a run recorded, by name. */
export function phaseDurations(phases: readonly RestorePhase[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of phases) out[p.name] = (out[p.name] ?? 0) + p.durationMs;
  return out;
}

/**
 * Time to a verified, running copy from phaseDurations: choose + restore + start + checks.
 * `complete` is false when a phase is missing (a failed restore or start skips the checks): the
 * sum is then not that time.
 */
export function pitrTotal(d: Readonly<Record<string, number>>): { ms: number; complete: boolean } {
  return { ms: PITR_PHASES.reduce((s, n) => s + (d[n] ?? 0), 0), complete: PITR_PHASES.every((n) => n in d) };
}

/** The checks that did not pass, `id: detail`, and a missing destruction. */
export function failedChecks(run: Pick<RestoreTestRun, 'checks' | 'destroyed'>): string[] {
  const out = run.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.id}: ${c.detail}`);
  if (!run.destroyed) out.push('destroy: the copy was not destroyed');
  return out;
}

/** 0 when every restore test passed, else 1 (the ratio is reported, never asserted). */
export function benchExitCode(verdicts: ReadonlyArray<'pass' | 'fail' | undefined>): 0 | 1 {
  return verdicts.length > 0 && verdicts.every((v) => v === 'pass') ? 0 : 1;
}

/** The message with the URL's password (as written and decoded) replaced by `***`. */
export function scrubSecret(message: string, url: string): string {
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    return message;
  }
  if (!password) return message;
  let out = message;
  for (const p of new Set([password, decodeURIComponent(password)])) if (p) out = out.split(p).join('***');
  return out;
}

/**
 * Disk the bench needs at its peak, roughly: the primary and the standby, WAL and the
 * repository (about one more), and one copy at a time (baseline or restored) — 4× the data, plus
 * a margin.
 */
export function diskEstimateBytes(users: number): number {
  return users * BYTES_PER_USER * 5;
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
export const fmtBytes = (n: number) => (n >= GIB ? `${(n / GIB).toFixed(2)} GiB` : `${(n / MIB).toFixed(1)} MiB`);
export const fmtRate = (n: number) => `${(n / MIB).toFixed(1)} MiB/s`;
const sec = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** What the table and the JSON show of one restore test. */
export interface RunFigures {
  id: string;
  choice: { mode: string; seed?: string; backupSet: string; targetTime: string; drawnTime?: string };
  rate: { bytes: number; durationMs: number; bytesPerSecond: number };
  phasesMs: Record<string, number>;
  verdict: 'pass' | 'fail';
  failed: string[];
}

export function runFigures(run: RestoreTestRun): RunFigures {
  return {
    id: run.id,
    choice: {
      mode: run.choice.mode,
      ...(run.choice.seed ? { seed: run.choice.seed } : {}),
      backupSet: run.choice.backupSet.label,
      targetTime: run.choice.targetTime,
      ...(run.choice.drawnTime ? { drawnTime: run.choice.drawnTime } : {}),
    },
    rate: { bytes: run.rate.bytes, durationMs: run.rate.durationMs, bytesPerSecond: run.rate.bytesPerSecond },
    phasesMs: phaseDurations(run.phases),
    verdict: run.verdict,
    failed: failedChecks(run),
  };
}

export interface BaselineRun {
  when: 'before' | 'after';
  bytes: number;
  durationMs: number;
  bytesPerSecond: number;
}

export interface Figures {
  users: number;
  dataDirBytes: number;
  baseline: BaselineRun[];
  latest: RunFigures;
  pitr: RunFigures;
}

/** The mean baseline rate of the runs measured. */
export function baselineRate(runs: readonly BaselineRun[]): number {
  return runs.length ? Math.round(runs.reduce((s, r) => s + r.bytesPerSecond, 0) / runs.length) : 0;
}

/** The summary table (stderr): one line per figure, aligned. */
export function figuresTable(f: Figures): string[] {
  const base = baselineRate(f.baseline);
  const ratio = rateRatio(f.latest.rate.bytesPerSecond, base);
  const total = pitrTotal(f.pitr.phasesMs);
  const phases = (r: RunFigures) =>
    Object.entries(r.phasesMs)
      .map(([n, ms]) => `${n} ${sec(ms)}`)
      .join(', ');
  const rows: Array<[string, string]> = [
    ['users', f.users.toLocaleString('en')],
    ['source data directory', fmtBytes(f.dataDirBytes)],
    ...f.baseline.map((b): [string, string] => [`baseline copy (${b.when})`, `${fmtRate(b.bytesPerSecond)} (${fmtBytes(b.bytes)} in ${sec(b.durationMs)})`]),
    ['baseline, mean', fmtRate(base)],
    ['restore rate (latest)', `${fmtRate(f.latest.rate.bytesPerSecond)} (${fmtBytes(f.latest.rate.bytes)} in ${sec(f.latest.rate.durationMs)})`],
    [
      'ratio restore / baseline',
      ratio === null ? '— (no rate)' : `${ratio.toFixed(2)}× (goal ≥ ${RESTORE_RATE_GOAL}×${ratio >= RESTORE_RATE_GOAL ? ', met' : ', not met'})`,
    ],
    ['latest: phases', phases(f.latest)],
    ['latest: verdict', verdictText(f.latest)],
    ['PITR: target', `${f.pitr.choice.targetTime} (set ${f.pitr.choice.backupSet}${f.pitr.choice.seed ? `, seed ${f.pitr.choice.seed}` : ''})`],
    ['PITR: phases', phases(f.pitr)],
    ['PITR: verified running copy', total.complete ? sec(total.ms) : `— (incomplete: ${sec(total.ms)} until the failure)`],
    ['PITR: verdict', verdictText(f.pitr)],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`);
}

function verdictText(r: RunFigures): string {
  return r.verdict === 'pass' ? 'pass' : `FAIL — ${r.failed.slice(0, 3).join('; ') || 'see the run'}`;
}

/** The JSON object on stdout. */
export function figuresJson(f: Figures, extra: Record<string, unknown>): Record<string, unknown> {
  const base = baselineRate(f.baseline);
  const ratio = rateRatio(f.latest.rate.bytesPerSecond, base);
  const total = pitrTotal(f.pitr.phasesMs);
  return {
    ...extra,
    users: f.users,
    dataDirBytes: f.dataDirBytes,
    baseline: {
      method: 'tar -cf - . | tar -xpf - of the Patroni leader’s data directory to the same disk, then sync -f; primary running',
      runs: f.baseline,
      bytesPerSecond: base,
    },
    restore: { ...f.latest, ratio, goal: RESTORE_RATE_GOAL, goalMet: ratio !== null && ratio >= RESTORE_RATE_GOAL },
    pitr: { ...f.pitr, totalSeconds: total.complete ? total.ms / 1000 : null, counted: [...PITR_PHASES] },
    verdicts: { latest: f.latest.verdict, pitr: f.pitr.verdict },
  };
}

// ---------------------------------------------------------------------------------------------
// The run (root, the lab)

const log = (s: string) => process.stderr.write(`${s}\n`);

async function duBytes(path: string): Promise<number> {
  // A running PostgreSQL removes files while du walks them: du then exits 1 but still prints the total.
  const r = await runCommand({ command: 'du', args: ['-sb', path] }, { timeoutMs: 3600_000 });
  const n = Number(r.stdout.split(/\s/)[0]);
  if (!Number.isFinite(n) || r.stdout.trim() === '')
    throw new Error(`du -sb ${path} printed no size (exit ${r.exitCode}): ${r.stderr.trim().split('\n').at(-1)}`);
  return n;
}

async function leaderNode(plan: LabPlan, domain: string): Promise<PatroniNodeEndpoint> {
  const nodes = patroniNodes(plan, domain);
  const c = await patroniClusterAny(
    plan,
    nodes.map((n) => n.restUrl),
  );
  const name = c.members.find((m) => m.role === 'leader' && m.state === 'running')?.name;
  const node = nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no running Patroni leader for ${domain} (members: ${c.members.map((m) => `${m.name} ${m.role} ${m.state}`).join(', ')})`);
  return node;
}

async function baselineCopy(plan: LabPlan, domain: string, base: string, when: 'before' | 'after'): Promise<BaselineRun> {
  const node = await leaderNode(plan, domain);
  const src = pgDataDir(plan, node);
  const dst = join(base, 'baseline-copy');
  await rm(dst, { recursive: true, force: true });
  await mkdir(dst, { mode: 0o700 });
  // Dirty pages of earlier steps are not the copy's to write.
  await runCommand({ command: 'sync', args: ['-f', base] }, { timeoutMs: 600_000 });
  const t0 = performance.now();
  const r = await runCommand({ command: 'bash', args: ['-c', TAR_PIPE, 'bench-restore-copy', src, dst] }, { timeoutMs: 6 * 3600_000 });
  const outcome = tarPipeOutcome(r.stdout);
  if (!outcome.ok) {
    await rm(dst, { recursive: true, force: true });
    throw new Error(
      `baseline copy of ${src} failed (tar exits ${outcome.create ?? '?'} / ${outcome.extract ?? '?'}): ${r.stderr.trim().split('\n').at(-1) ?? ''}`,
    );
  }
  await runCommand({ command: 'sync', args: ['-f', dst] }, { timeoutMs: 3600_000 });
  const durationMs = performance.now() - t0;
  const bytes = await duBytes(dst);
  await rm(dst, { recursive: true, force: true });
  const b = { when, bytes, durationMs: Math.round(durationMs), bytesPerSecond: bytesPerSecond(bytes, durationMs) };
  log(
    `  baseline (${when}), ${node.name}: ${fmtRate(b.bytesPerSecond)} (${fmtBytes(bytes)} in ${sec(durationMs)}; tar exits ${outcome.create}/${outcome.extract})`,
  );
  return b;
}

function usage(): string {
  return [
    'npm run bench:restore — restore rate against a plain copy, and PITR to a random time (issue 14).',
    'Needs root; brings up its own lab in a temp directory and refuses when a lab or restore site runs.',
    'Variables: BENCH_RESTORE_USERS (default 1000000), BENCH_SEED (default bench-restore),',
    '  BENCH_WORKERS (default min(2, cores)), BENCH_RESTORE_DIR (default $TMPDIR), BENCH_RESTORE_KEEP=1.',
    'Table on stderr, JSON on stdout; exit 0 when both restore tests pass, 1 when one fails, 2 when refused.',
  ].join('\n');
}

async function main(): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  let cfg: BenchConfig;
  try {
    cfg = parseBenchEnv(process.env, availableParallelism(), tmpdir());
  } catch (e) {
    if (e instanceof BenchInputError) {
      log(`bench:restore: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (process.getuid?.() !== 0) {
    log('bench:restore: needs root (it brings up its own lab: namespaces, services); run it with sudo');
    return 2;
  }
  const probe = shippedLabPlan('/nonexistent');
  const busy = busyNamespaces(
    await listNetns(),
    probe.sites.map((s) => s.netns),
  );
  if (busy.length) {
    log(`bench:restore: a lab or restore site is running (namespaces ${busy.join(', ')} exist): tear it down first, the bench brings up its own`);
    return 2;
  }
  const free = await statfs(cfg.parentDir).then(
    (s) => s.bavail * s.bsize,
    () => undefined,
  );
  if (free === undefined) {
    log(`bench:restore: BENCH_RESTORE_DIR=${JSON.stringify(cfg.parentDir)}: no such directory; give an existing one (e.g. BENCH_RESTORE_DIR=/var/tmp)`);
    return 2;
  }
  const need = diskEstimateBytes(cfg.users);
  if (free < need) log(`warning: ${fmtBytes(free)} free under ${cfg.parentDir}, the bench may need about ${fmtBytes(need)} (BENCH_RESTORE_DIR elsewhere?)`);

  const base = await mkdtemp(join(cfg.parentDir, 'hds-bench-restore-'));
  // The lab's services run as their own users: they traverse the state directory's parent.
  await chmod(base, 0o755);
  const plan = shippedLabPlan(join(base, 'lab'));
  const components = labComponents(plan);
  const domain = refserviceDomain(plan);
  const labLog = (l: string) => log(`  [lab] ${l}`);
  let started = false;
  let stopping = false;
  let teardownP: Promise<void> | undefined;
  const teardown = () =>
    (teardownP ??= (async () => {
      await rm(join(base, 'baseline-copy'), { recursive: true, force: true }).catch(() => undefined);
      if (started) {
        await destroyRestoreSite({ netns: BENCH_NETNS, dir: join(plan.stateDir, 'restore', BENCH_NETNS) }).catch((e: Error) =>
          log(`teardown: restore site ${BENCH_NETNS}: ${e.message.split('\n')[0]}`),
        );
        await labDown(plan, { components, log: labLog, purge: !cfg.keep }).catch((e: Error) =>
          log(`teardown: labDown: ${e.message.split('\n')[0]} — the state is in ${base}`),
        );
      }
      if (cfg.keep) log(`state kept in ${base} (lab stopped)`);
      else await rm(base, { recursive: true, force: true }).catch(() => undefined);
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    stopping = true;
    log(`${signal}: stopping the bench's lab (a second ${signal} abandons it running)…`);
    void teardown().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const step = (text: string) => {
    if (stopping) throw new Error('stopped by a signal');
    log(text);
  };

  const fmt = (n: number) => n.toLocaleString('en');
  try {
    step(`1/6 lab up in ${base}…`);
    started = true;
    await labUp(plan, { components, log: labLog });

    step(`2/6 dataset: ${fmt(cfg.users)} users, every domain, ${cfg.workers} worker(s), into the lab's ${domain} database…`);
    const url = await labWriteUrl(plan);
    if (!url) throw new Error('the lab is not up after labUp');
    let lastProgress = 0;
    const ds = await generateDataset({
      users: cfg.users,
      seed: 'bench-restore',
      profile: loadProfile(undefined),
      target: { kind: 'pg', url },
      format: 'pg',
      shard: { index: 1, of: 1 },
      workers: cfg.workers,
      chunkSize: 20_000,
      check: false,
      append: false,
      domains: [...ALL_DOMAINS],
      onProgress: (p) => {
        if (Date.now() - lastProgress < 30_000) return;
        lastProgress = Date.now();
        log(`  ${fmt(p.entities)}/${fmt(p.totalEntities)} entities, ${fmt(p.rows)} rows`);
      },
    }).catch((e: Error) => {
      throw new Error(scrubSecret(e.message.split('\n')[0] ?? '', url));
    });
    log(`  ${fmt(ds.totalRows)} rows in ${ds.seconds.toFixed(0)} s (${fmt(Math.round(ds.rowsPerSecond))} rows/s)`);

    step(`3/6 full backup of ${domain} to repo1…`);
    const backup = await labBackupRun(plan, { domain, type: 'full', repo: 1, timeoutMs: 6 * 3600_000 });
    log(`  set ${backup.label} (${backup.type}) in ${sec(backup.durationMs)}`);
    const dataDirBytes = await duBytes(pgDataDir(plan, await leaderNode(plan, domain)));
    log(`  source data directory: ${fmtBytes(dataDirBytes)}`);

    step('4/6 baseline: plain copy of the primary’s data directory (primary running)…');
    const baseline = [await baselineCopy(plan, domain, base, 'before')];

    step('5/6 restore test, latest point (restore rate)…');
    const runLog = (l: string) => log(`  [restore] ${l}`);
    const latest = await runRestoreTest(plan, { domain, choice: { mode: 'latest' }, operator: 'bench', log: runLog, netns: BENCH_NETNS });
    log(`  restore rate ${fmtRate(latest.run.rate.bytesPerSecond)}, verdict ${latest.run.verdict}`);
    step('   baseline again, just after the restore…');
    baseline.push(await baselineCopy(plan, domain, base, 'after'));

    step(`6/6 restore test, random point in time (seed ${cfg.seed})…`);
    const pitr = await runRestoreTest(plan, { domain, choice: { mode: 'random', seed: cfg.seed }, operator: 'bench', log: runLog, netns: BENCH_NETNS });

    const figures: Figures = { users: cfg.users, dataDirBytes, baseline, latest: runFigures(latest.run), pitr: runFigures(pitr.run) };
    log('');
    for (const l of figuresTable(figures)) log(l);
    const json = figuresJson(figures, {
      machine: { cores: availableParallelism(), loadavg: loadavg() },
      domain,
      dataset: { seed: 'bench-restore', totalRows: ds.totalRows, seconds: ds.seconds, rowsPerSecond: ds.rowsPerSecond },
      backup: { label: backup.label, type: backup.type, durationMs: backup.durationMs },
    });
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return benchExitCode([latest.run.verdict, pitr.run.verdict]);
  } finally {
    await teardown();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      log(`bench:restore: ${(e.message ?? String(e)).split('\n')[0]}`);
      process.exitCode = 1;
    },
  );
}
