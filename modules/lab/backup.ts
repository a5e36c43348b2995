/**
 * Backups in the lab (issue 14; EXG_PRA_2: periodic backups stored offline with execution
 * evidence; EXG_PRA_3: restore tests with traces): what the repository host's scheduled services
 * do in production (modules/services/backup/schedule.ts), run on demand against the running lab,
 * and the evidence they leave.
 *
 * - **Execution evidence**: the same series the scheduled jobs record (BACKUP_METRICS, one file per
 *   series, renderBackupMetric's bytes) in the repository guest's node exporter textfile directory,
 *   which the backup site's node exporter reads (components/monitoring.ts): the hds-backup alerts
 *   and `hdsctl lab status` (readBackupFreshness) see the lab's backups, verify runs and restore
 *   tests as production's Prometheus sees production's.
 * - **labBackupRun**: `pgbackrest backup` on the repository host, the offline copy sealed after a
 *   repo2 backup, the success recorded with the type pgBackRest actually took (a diff or incr with
 *   no prior full is taken as a full).
 * - **labVerify**: `pgbackrest verify` of one repository. pgBackRest 2.45 exits 0 even when verify
 *   finds invalid files (src/command/verify/verify.c cmdVerify only logs its result), so the verdict
 *   comes from its output (`--output=text`: `status: error`, one `invalid checksum '<file>'` line per
 *   bad file at log level info), never from the exit code alone (parseVerifyOutput).
 * - **The offline copy's immutability** (repo2, a posix path under the repository guest; docs/backup.md
 *   "The offline copy"): sealOfflineCopy sets the immutable attribute (`chattr +i`) on every file
 *   of finished backup sets and of the WAL archive, except the four info files pgBackRest rewrites
 *   on every backup and expire. Directories stay writable: new WAL segments and new sets are added,
 *   nothing already written can be modified, renamed or deleted — not even by root without
 *   `chattr -i`. This is the object-lock semantics production gets from its S3 bucket (COMPLIANCE
 *   mode) on the external Ceph cluster. unsealForLabTeardown lifts it when `lab down --purge`
 *   deletes the state directory.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseBackupInfo } from '../restore/plan.ts';
import type { BackupSet } from '../restore/types.ts';
import { ensureDir, exists, writeFileAtomic } from '../runtime/fsutil.ts';
import {
  BACKUP_METRICS,
  type BackupMetricKind,
  type BackupMetricLabels,
  type BackupRepo,
  type BackupType,
  backupMetricFile,
  renderBackupMetric,
} from '../services/backup/schedule.ts';
import { backupAlertInput } from '../services/fromTopology/backup.ts';
import { MONITORING_PATHS, PGBACKREST_PATHS } from '../services/fromTopology/paths.ts';
import { execa, runCommand } from './command.ts';
import { pgbackrestOnRepo, repositoryConfig } from './components/pgbackrest.ts';
import { backupSite } from './endpoints.ts';
import { guestPath, labGuests } from './guests.ts';
import type { LabPlan } from './types.ts';

// ---------------------------------------------------------------------------------------------
// Execution evidence: the textfile series

function repositoryOf(plan: LabPlan) {
  const repo = labGuests(plan).repository;
  if (!repo) throw new Error(`environment ${plan.topology.environment.name} declares no backup server (services.backup): the lab has no pgBackRest repository`);
  return repo;
}

/** The repository guest's node exporter textfile directory (MONITORING_PATHS.nodeExporterTextfileDir under its root). */
export function labBackupTextfileDir(plan: LabPlan): string {
  return guestPath(plan, repositoryOf(plan), MONITORING_PATHS.nodeExporterTextfileDir);
}

/** repo2, the offline copy, under the repository guest's root; undefined when the lab has no repository guest. */
export function labOfflineRepoPath(plan: LabPlan): string | undefined {
  const repo = labGuests(plan).repository;
  return repo ? guestPath(plan, repo, PGBACKREST_PATHS.offlineRepoPath) : undefined;
}

/**
 * Records one success: renderBackupMetric's bytes in `backupMetricFile(kind, labels)` of the
 * textfile directory, written atomically (a dot-named temporary file the collector ignores, then a
 * rename), 0644. Returns the file's path. The scheduled jobs' recorder script writes the same bytes.
 */
export async function recordBackupMetric<K extends BackupMetricKind>(
  plan: LabPlan,
  kind: K,
  labels: BackupMetricLabels[K],
  unixSeconds: number,
): Promise<string> {
  const content = renderBackupMetric(kind, labels, unixSeconds);
  const dir = labBackupTextfileDir(plan);
  await ensureDir(dir, 0o755);
  const path = join(dir, backupMetricFile(kind, labels));
  await writeFileAtomic(path, content, { mode: 0o644 });
  return path;
}

/** The one sample of a series file, read back. */
export interface BackupMetricSample {
  kind: BackupMetricKind;
  labels: Record<string, string>;
  /** The value: Unix time of the success, seconds. */
  unixSeconds: number;
}

const METRIC_BY_NAME = new Map<string, BackupMetricKind>(
  (Object.entries(BACKUP_METRICS) as Array<[BackupMetricKind, (typeof BACKUP_METRICS)[BackupMetricKind]]>).map(([k, m]) => [m.name, k]),
);

/** Label pairs of a sample, `a="x",b="y"` (Prometheus text format escapes \\, \" and \n); undefined when malformed. */
function parseLabels(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let rest = text.trim();
  while (rest.length > 0) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,\s*)?/.exec(rest);
    if (!m) return undefined;
    const [all, name, raw, comma] = m as unknown as [string, string, string, string | undefined];
    if (name in out) return undefined;
    out[name] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(all.length);
    if (!comma && rest.length > 0) return undefined;
  }
  return out;
}

/**
 * The one sample of a backup series file (renderBackupMetric's format: HELP, TYPE, one sample).
 * Never throws: bad content gives `sample: undefined` and the reason.
 */
export function parseBackupMetricFile(text: string): { sample: BackupMetricSample; reason?: undefined } | { sample: undefined; reason: string } {
  const bad = (reason: string) => ({ sample: undefined, reason }) as const;
  if (typeof text !== 'string') return bad('not text');
  const samples: string[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '') continue;
    if (l.startsWith('#')) {
      const t = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(l);
      if (t) types.set(t[1]!, t[2]!);
      continue;
    }
    samples.push(l);
  }
  if (samples.length === 0) return bad('no sample (empty or comments only)');
  if (samples.length > 1) return bad(`${samples.length} samples, expected one`);
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}\s+(\S+)(?:\s+-?\d+)?$/.exec(samples[0]!);
  if (!m) return bad(`not a labelled sample: ${JSON.stringify(samples[0]!.slice(0, 120))}`);
  const [, name, labelText, valueText] = m as unknown as [string, string, string, string];
  const kind = METRIC_BY_NAME.get(name);
  if (!kind) return bad(`unknown series ${name} (expected one of ${[...METRIC_BY_NAME.keys()].join(', ')})`);
  const type = types.get(name);
  if (type !== undefined && type !== 'gauge') return bad(`series ${name} declared ${type}, expected gauge`);
  const labels = parseLabels(labelText);
  if (!labels) return bad(`malformed labels {${labelText.slice(0, 120)}}`);
  const expected = [...BACKUP_METRICS[kind].labels].sort();
  const got = Object.keys(labels).sort();
  if (expected.join(',') !== got.join(',')) return bad(`labels ${got.join(', ') || 'none'}, expected ${expected.join(', ')}`);
  const value = Number(valueText);
  if (!/^[0-9.eE+]+$/.test(valueText) || !Number.isFinite(value) || value < 0) return bad(`value ${JSON.stringify(valueText)} is not a Unix time`);
  return { sample: { kind, labels, unixSeconds: value } };
}

export interface BackupFreshness {
  stanza: string;
  series: BackupMetricKind;
  /** backup and verify: the repository. */
  repo?: BackupRepo;
  /** backup: the type of the newest recorded set (full, diff or incr). */
  type?: BackupType;
  /** ISO 8601 time of the last recorded success; undefined when none was ever recorded. */
  lastSuccess: string | undefined;
  /** Seconds from the last success to `now`. */
  ageSeconds?: number;
  /** Why a series file present could not be read (it then counts as never recorded). */
  problem?: string;
}

const BACKUP_TYPES: readonly BackupType[] = ['full', 'diff', 'incr'];

async function readSeries<K extends BackupMetricKind>(
  dir: string,
  kind: K,
  labels: BackupMetricLabels[K],
): Promise<{ unixSeconds?: number; problem?: string }> {
  const file = backupMetricFile(kind, labels);
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? {} : { problem: `${file}: ${code ?? (e as Error).message}` };
  }
  const r = parseBackupMetricFile(text);
  if (!r.sample) return { problem: `${file}: ${r.reason}` };
  if (r.sample.kind !== kind) return { problem: `${file}: holds series ${BACKUP_METRICS[r.sample.kind].name}` };
  for (const [k, v] of Object.entries(labels as Record<string, string>))
    if (r.sample.labels[k] !== v) return { problem: `${file}: label ${k}="${r.sample.labels[k]}", expected "${v}"` };
  return { unixSeconds: r.sample.unixSeconds };
}

/**
 * The age of the last recorded success of every series the hds-backup alerts watch, read from the
 * textfile directory: per stanza, the last backup of each repository (the newest of its full, diff
 * and incr files), the last verify of each repository, the last restore test. Empty when the lab
 * has no repository or no PostgreSQL. Never throws on a missing or unreadable file.
 */
export async function readBackupFreshness(plan: LabPlan, now: Date = new Date()): Promise<BackupFreshness[]> {
  const watched = backupAlertInput(plan.topology);
  if (!watched || !labGuests(plan).repository) return [];
  const dir = labBackupTextfileDir(plan);
  const nowS = now.getTime() / 1000;
  const row = (base: Omit<BackupFreshness, 'lastSuccess'>, r: { unixSeconds?: number; problem?: string }): BackupFreshness => ({
    ...base,
    lastSuccess: r.unixSeconds === undefined ? undefined : new Date(r.unixSeconds * 1000).toISOString(),
    ...(r.unixSeconds !== undefined ? { ageSeconds: Math.max(0, Math.floor(nowS - r.unixSeconds)) } : {}),
    ...(r.problem ? { problem: r.problem } : {}),
  });
  const out: BackupFreshness[] = [];
  for (const stanza of watched.stanzas) {
    for (const repo of watched.repos) {
      const byType = await Promise.all(BACKUP_TYPES.map(async (type) => ({ type, ...(await readSeries(dir, 'backup', { stanza, type, repo })) })));
      const newest = byType.filter((x) => x.unixSeconds !== undefined).sort((a, b) => b.unixSeconds! - a.unixSeconds!)[0];
      const problems = byType.flatMap((x) => (x.problem ? [x.problem] : []));
      out.push(
        row(
          { stanza, series: 'backup', repo, ...(newest ? { type: newest.type } : {}) },
          { ...(newest ? { unixSeconds: newest.unixSeconds } : {}), ...(problems.length ? { problem: problems.join('; ') } : {}) },
        ),
      );
    }
    for (const repo of watched.repos) out.push(row({ stanza, series: 'verify', repo }, await readSeries(dir, 'verify', { stanza, repo })));
    out.push(row({ stanza, series: 'restoreTest' }, await readSeries(dir, 'restoreTest', { stanza })));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Backup, info and verify on the repository host

function checkDomain(plan: LabPlan, domain: string): void {
  const names = plan.postgresDomains.map((d) => d.name);
  if (!names.includes(domain)) throw new Error(`no PostgreSQL domain ${JSON.stringify(domain)} in the lab (domains: ${names.join(', ')})`);
}

/** Whether repository `repo` exists in the lab: repo1 always, repo2 with `services.backup.offlineCopy`. */
export function labHasRepo(plan: LabPlan, repo: 1 | 2): boolean {
  return repo === 1 ? plan.topology.backup !== undefined : plan.topology.backup?.offlineCopy === true;
}

function checkRepo(plan: LabPlan, repo: 1 | 2): void {
  if (!labHasRepo(plan, repo))
    throw new Error(
      `repo${repo} is not configured in environment ${plan.topology.environment.name}${repo === 2 ? ' (services.backup.offlineCopy is false: no offline copy)' : ''}`,
    );
}

/** The backup sets of `domain` (oldest first), of one repository or of every one, from `pgbackrest info --output=json`. */
export async function labBackupSets(plan: LabPlan, domain: string, repo?: 1 | 2, timeoutMs = 60_000): Promise<BackupSet[]> {
  checkDomain(plan, domain);
  if (repo !== undefined) checkRepo(plan, repo);
  const r = await pgbackrestOnRepo(plan, [`--stanza=${domain}`, ...(repo !== undefined ? [`--repo=${repo}`] : []), 'info', '--output=json'], timeoutMs);
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new Error(`pgbackrest info --output=json for ${domain} did not print JSON: ${r.stdout.slice(0, 200)}`);
  }
  return parseBackupInfo(json, domain);
}

export interface LabBackupOptions {
  domain: string;
  type: BackupType;
  repo: 1 | 2;
  /** @default 600000 (10 minutes) */
  timeoutMs?: number;
}

export interface LabBackupResult {
  /** The new set's label (the newest set of that repository after the backup). */
  label: string;
  /** The type pgBackRest took: a diff or incr without a prior full is taken as a full. */
  type: BackupType;
  /** Duration of `pgbackrest backup` alone. */
  durationMs: number;
  /** repo2: what sealing the offline copy did. */
  sealed?: SealResult;
}

/**
 * `pgbackrest --stanza=D --type=T --repo=N backup` on the repository host; for repo2 the offline
 * copy is then sealed (sealOfflineCopy); then the success is recorded (`backup` series, the set's
 * actual type, the current time). A failed backup or seal records nothing.
 */
export async function labBackupRun(plan: LabPlan, o: LabBackupOptions): Promise<LabBackupResult> {
  checkDomain(plan, o.domain);
  checkRepo(plan, o.repo);
  if (!BACKUP_TYPES.includes(o.type)) throw new Error(`backup type ${JSON.stringify(o.type)} is not one of ${BACKUP_TYPES.join(', ')}`);
  const t0 = Date.now();
  await pgbackrestOnRepo(plan, [`--stanza=${o.domain}`, `--type=${o.type}`, `--repo=${o.repo}`, 'backup'], o.timeoutMs ?? 600_000);
  const durationMs = Date.now() - t0;
  let sealed: SealResult | undefined;
  if (o.repo === 2) {
    const path = labOfflineRepoPath(plan)!;
    sealed = await sealOfflineCopy(path);
  }
  const sets = (await labBackupSets(plan, o.domain, o.repo)).filter((s) => s.repo === o.repo);
  const newest = sets.at(-1);
  if (!newest) throw new Error(`pgbackrest backup of ${o.domain} to repo${o.repo} succeeded but pgbackrest info lists no set in that repository`);
  const type = newest.type;
  await recordBackupMetric(plan, 'backup', { stanza: o.domain, type, repo: `repo${o.repo}` }, Math.floor(Date.now() / 1000));
  return { label: newest.label, type, durationMs, ...(sealed ? { sealed } : {}) };
}

export interface VerifyResult {
  /** No invalid file, no error: status ok (or nothing reported) and exit 0. */
  ok: boolean;
  /** The lines naming each bad file (`invalid checksum '<file>'`, ...), or what made the verify fail. */
  findings: string[];
  /** Not errors for pgBackRest: WAL missing from the archive (expire may remove it legitimately). */
  warnings: string[];
}

/** The log prefix pgBackRest puts on console lines: `P01   INFO: `. */
const LOG_PREFIX = /^P\d{2}\s+(?:INFO|WARN|ERROR|DETAIL|DEBUG|TRACE):\s*/;
const FILE_PROBLEM = /^(?:P\d{2}\s+(INFO|WARN|ERROR|DETAIL):\s*)?(invalid checksum|invalid size|invalid result|file missing)\b\s*(.*)$/;

/**
 * pgBackRest 2.45 verify's verdict from its output (see the header: its exit code is 0 whatever it
 * finds). Findings: each file line (`invalid checksum '<path>'`, `invalid size`, `invalid result`,
 * `file missing` of a backup file), each `ERROR:` line; with `status: error` and no such line, the
 * summary lines (`No usable backup.info file`, `backup: <label>, status: invalid, ...`). A WAL
 * segment reported missing at WARN level is a warning, as pgBackRest counts it.
 */
export function parseVerifyOutput(r: { exitCode: number; stdout: string; stderr: string }): VerifyResult {
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trimEnd());
  const findings: string[] = [];
  const warnings: string[] = [];
  const add = (list: string[], l: string) => {
    if (!list.includes(l)) list.push(l);
  };
  for (const line of lines) {
    const l = line.trim();
    const f = FILE_PROBLEM.exec(l);
    if (f) {
      const text = `${f[2]} ${f[3]}`.trim();
      // "invalid checksum, actual ... but expected ..." at DETAIL is an info file's copy check, summarised below.
      if (f[1] === 'DETAIL') continue;
      if (f[1] === 'WARN') add(warnings, text);
      else add(findings, text);
      continue;
    }
    if (/^P\d{2}\s+ERROR:/.test(l)) add(findings, l.replace(LOG_PREFIX, ''));
  }
  // The result block (`stanza: <s>` / `status: error` / indented lines), printed by --output=text and logged at info.
  let statusError = false;
  lines.forEach((line, i) => {
    if (!/^(?:P\d{2}\s+INFO:)?\s*status:\s*error\s*$/.test(line.trim())) return;
    statusError = true;
    for (const l of lines.slice(i + 1)) {
      const t = l.trim();
      if (t === '' || LOG_PREFIX.test(t) || /^stanza:/.test(t)) break;
      if (/status: (?:invalid|manifest missing)|No usable|checksum invalid|size invalid|missing: [1-9]|other: [1-9]|not in the|does not match/.test(t))
        add(findings, t);
    }
  });
  if (statusError && findings.length === 0) add(findings, 'pgbackrest verify reported status: error');
  if (r.exitCode !== 0 && findings.length === 0) {
    const tail = `${r.stderr}\n${r.stdout}`.trim().split('\n').filter(Boolean).slice(-3);
    add(findings, `pgbackrest verify exited ${r.exitCode}${tail.length ? `: ${tail.join(' | ')}` : ''}`);
  }
  return { ok: r.exitCode === 0 && !statusError && findings.length === 0, findings, warnings };
}

/**
 * `pgbackrest --stanza=D --repo=N --output=text verify` on the repository host (reads every file
 * of the repository and checks it against its manifest's checksum and size); the `verify` success
 * is recorded when it finds nothing. Returns the verdict and the findings.
 */
export async function labVerify(plan: LabPlan, o: { domain: string; repo: 1 | 2; timeoutMs?: number }): Promise<VerifyResult & { durationMs: number }> {
  checkDomain(plan, o.domain);
  checkRepo(plan, o.repo);
  const t0 = Date.now();
  // runCommand, not pgbackrestOnRepo: a non-zero exit is a verdict to read, not an exception.
  const r = await runCommand(
    {
      netns: backupSite(plan).netns,
      user: 'postgres',
      command: 'pgbackrest',
      args: [`--config=${repositoryConfig(plan)}`, `--stanza=${o.domain}`, `--repo=${o.repo}`, '--output=text', '--log-level-console=info', 'verify'],
    },
    { timeoutMs: o.timeoutMs ?? 1_800_000 },
  );
  const v = parseVerifyOutput(r);
  if (v.ok) await recordBackupMetric(plan, 'verify', { stanza: o.domain, repo: `repo${o.repo}` }, Math.floor(Date.now() / 1000));
  return { ...v, durationMs: Date.now() - t0 };
}

// ---------------------------------------------------------------------------------------------
// The offline copy: sealed files

/**
 * Files pgBackRest rewrites in place of themselves (a new file renamed over the old) on every
 * backup, expire and stanza upgrade: they stay writable, or repo2 could take no new backup.
 */
export const OFFLINE_MUTABLE_FILES: readonly string[] = ['backup.info', 'backup.info.copy', 'archive.info', 'archive.info.copy'];

/**
 * Which files of the offline copy to seal, from their paths relative to the repository (POSIX):
 * every file except the info files (OFFLINE_MUTABLE_FILES), a file being written (pgBackRest writes
 * `<name>.pgbackrest.tmp` then renames it), and the files of a backup set still in progress (its
 * directory `backup/<stanza>/<label>/` has no `backup.manifest` yet: pgBackRest writes it last, and
 * removes or resumes an aborted set). Pure.
 */
export function offlineSealCandidates(files: readonly string[]): { seal: string[]; skipped: Array<{ file: string; reason: string }> } {
  const set = new Set(files);
  const seal: string[] = [];
  const skipped: Array<{ file: string; reason: string }> = [];
  for (const file of [...files].sort()) {
    const parts = file.split('/');
    const name = parts.at(-1) ?? '';
    if (OFFLINE_MUTABLE_FILES.includes(name)) skipped.push({ file, reason: 'rewritten by pgBackRest on every backup and expire' });
    else if (name.endsWith('.tmp')) skipped.push({ file, reason: 'being written' });
    else if (parts[0] === 'backup' && parts.length >= 4 && parts[2] !== 'backup.history' && !set.has(`${parts.slice(0, 3).join('/')}/backup.manifest`))
      skipped.push({ file, reason: `backup set ${parts[2]} in progress (no backup.manifest yet)` });
    else seal.push(file);
  }
  return { seal, skipped };
}

/** Regular files under `root`, relative POSIX paths (symbolic links, like pgBackRest's `latest`, are not followed). */
async function regularFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await regularFiles(root, p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const BATCH = 200;

async function attrCommand(command: 'chattr' | 'lsattr', args: string[], what: string): Promise<string> {
  const r = await execa(command, args, { reject: false, timeout: 120_000, extendEnv: false, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
  if (r.exitCode !== 0) {
    const first = String(r.stderr).trim().split('\n')[0] ?? '';
    const unsupported = /Operation not supported|Inappropriate ioctl/.test(first);
    throw new Error(
      `${what}: ${command} failed (exit ${r.exitCode}): ${first}${
        unsupported ? ' — the lab state directory is on a filesystem without the immutable attribute; put it on ext4, xfs or btrfs (HDS_STATE_DIR)' : ''
      }${/Operation not permitted/.test(first) ? ' — setting the immutable attribute needs root (CAP_LINUX_IMMUTABLE)' : ''}`,
    );
  }
  return String(r.stdout);
}

/** Which of `paths` carry the immutable attribute (lsattr's `i` flag). */
async function immutable(paths: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < paths.length; i += BATCH) {
    const stdout = await attrCommand('lsattr', ['--', ...paths.slice(i, i + BATCH)], 'reading the offline copy');
    for (const line of stdout.split('\n')) {
      const m = /^(\S+) (.+)$/.exec(line);
      if (m?.[1]?.includes('i')) out.add(m[2]!);
    }
  }
  return out;
}

export interface SealResult {
  /** Files sealed by this call (relative to the repository). */
  sealed: string[];
  /** Files already immutable, left as they were. */
  alreadySealed: number;
  /** Files left writable, and why. */
  skipped: Array<{ file: string; reason: string }>;
}

/**
 * Makes the lab's offline copy (repo2, a posix path) immutable file by file (offlineSealCandidates
 * says which): `chattr +i` on each file not sealed yet (lsattr tells). Run as root after each repo2
 * backup; the WAL segments archived since are sealed by the next run. Throws when the filesystem
 * has no immutable attribute or the caller is not root.
 */
export async function sealOfflineCopy(repo2Path: string): Promise<SealResult> {
  if (!(await exists(repo2Path))) throw new Error(`the offline copy ${repo2Path} does not exist (no backup was taken to repo2)`);
  const { seal, skipped } = offlineSealCandidates(await regularFiles(repo2Path));
  const abs = seal.map((f) => join(repo2Path, f));
  const done = await immutable(abs);
  const todo = seal.filter((_, i) => !done.has(abs[i]!));
  for (let i = 0; i < todo.length; i += BATCH)
    await attrCommand('chattr', ['+i', '--', ...todo.slice(i, i + BATCH).map((f) => join(repo2Path, f))], `sealing the offline copy ${repo2Path}`);
  return { sealed: todo, alreadySealed: seal.length - todo.length, skipped };
}

/**
 * Lifts the immutable attribute from everything under `path` (`chattr -R -i`) so it can be deleted:
 * `lab down --purge` calls it before removing the state directory. Nothing to do when `path` does
 * not exist or its filesystem has no immutable attribute (then nothing was sealed).
 */
export async function unsealForLabTeardown(path: string): Promise<void> {
  if (!(await exists(path))) return;
  try {
    await attrCommand('chattr', ['-R', '-i', '--', path], `unsealing ${basename(path)}`);
  } catch (e) {
    if (/Operation not supported|Inappropriate ioctl/.test((e as Error).message)) return;
    throw new Error(`${(e as Error).message}; as root: chattr -R -i ${path}, then delete it`);
  }
}
