/**
 * Restore-test planning (EXG_PRA_3 random restore tests; the same point-in-time choice serves the
 * refresh of an environment to a given date, EXG_DIS_4.2, and reference copies, EXG_EVO_36).
 * Pure: data in, data out, no clock, no I/O, no Math.random.
 *
 * - `parseBackupInfo`: the backup sets of a stanza from pgBackRest 2.45's `info --output=json`.
 * - `restoreWindow`: the interval a point-in-time recovery can reach.
 * - `chooseRestorePoint`: a backup set and a target time in that window, given (`--at`), drawn from a
 *   seed (`--random --seed S`: an auditor replays the same choice), or the latest.
 * - `ledgerExpectation`: which acknowledged writes the restored copy must hold, which it must not.
 * - `compareTableFingerprints`: per-table row counts and content hashes, source against copy.
 * - `verdictFindings` / `restoreTestVerdict`: why a run passes or fails.
 */
import { createHash } from 'node:crypto';
import { BACKUP_SET_TYPES, type BackupSet, type BackupSetType, REQUIRED_CHECKS, type RestoreChoice, type RestoreTestRun, type RestoreWindow } from './types.ts';

/** A refused input, as one line: where (JSON pointer or flag), what is wrong, how to fix it. */
export class RestorePlanError extends Error {
  override name = 'RestorePlanError';
  constructor(
    message: string,
    /** The JSON pointer (`/0/backup/2/timestamp/stop`) or the flag (`--at`) the message is about. */
    readonly where?: string,
  ) {
    super(message);
  }
}

/**
 * pgBackRest writes `timestamp.stop` as the database clock truncated to the second, read after
 * `pg_backup_stop()` returned (src/command/backup/backup.c, backupStop → backupTime). The set is
 * consistent at its stop LSN, which can lie up to one second after that value: a commit in that
 * second carries a later timestamp, and a recovery target before the consistency point makes
 * PostgreSQL stop with "recovery ended before reaching a consistent state". A set is therefore
 * used for targets at or after its stop time + 1 s.
 */
export const STOP_RESOLUTION_MS = 1000;

/** The first instant a point-in-time recovery from `set` can target (see STOP_RESOLUTION_MS). */
export function recoverableFrom(set: BackupSet): number {
  return Date.parse(set.stoppedAt) + STOP_RESOLUTION_MS;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * How long to wait before taking a restore mark so that every set can reach it: until the newest
 * set's recoverableFrom has passed (plus `marginMs`), 0 when it already has. A mark taken less than
 * STOP_RESOLUTION_MS after a backup ends lies before that set's first reachable instant — the window
 * is then empty, or holds no mark for that set (restoreWindow, markForTarget refuse it); on a fast
 * machine a restore test run right after a backup lands there.
 */
export function waitBeforeMarkMs(sets: readonly BackupSet[], nowMs: number, marginMs = 100): number {
  const latest = Math.max(-Infinity, ...sets.map(recoverableFrom).filter(Number.isFinite));
  return Number.isFinite(latest) ? Math.max(0, Math.ceil(latest + marginMs - nowMs)) : 0;
}

// ---------------------------------------------------------------------------------------------
// pgbackrest info --output=json

/** RFC 6901 JSON pointer of a path. */
function pointer(path: ReadonlyArray<string | number>): string {
  return path.length ? path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('') : '/';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const FIX = 'pass the output of `pgbackrest --stanza=<domain> info --output=json` (pgBackRest 2.45) unchanged';

/**
 * The backup sets of `stanza`, oldest first (by stop time, then label), from the parsed output of
 * `pgbackrest info --output=json` (pgBackRest 2.45, src/command/info/info.c): an array of stanzas,
 * each `{ name, status: { code, message }, backup: [...], archive: [{ min, max, ... }], ... }`, each
 * backup `{ label, type, prior, timestamp: { start, stop } (epoch s), info: { size, delta,
 * repository: { size, delta } }, database: { id, repo-key }, archive: { start, stop }, error? }`.
 * A stanza with status 2 ("no valid backups") gives no set; any other non-zero status, a missing
 * stanza or a missing field is an error naming its JSON pointer.
 */
export function parseBackupInfo(json: unknown, stanza: string, source = 'pgbackrest info --output=json'): BackupSet[] {
  const fail = (path: ReadonlyArray<string | number>, what: string, fix = FIX): never => {
    const where = pointer(path);
    throw new RestorePlanError(`${source} ${where}: ${what}; ${fix}`, where);
  };
  if (!Array.isArray(json)) return fail([], `expected an array of stanzas, got ${kindOf(json)}`);
  const index = json.findIndex((s) => isObject(s) && s.name === stanza);
  if (index < 0) {
    const names = json.map((s) => (isObject(s) && typeof s.name === 'string' ? s.name : '?'));
    return fail(
      [],
      `no stanza ${JSON.stringify(stanza)} (found: ${names.length ? names.map((n) => JSON.stringify(n)).join(', ') : 'none'})`,
      'name a domain whose stanza exists (`pgbackrest stanza-create` runs when the lab starts)',
    );
  }
  const st = json[index] as Record<string, unknown>;
  const status = st.status;
  if (isObject(status) && typeof status.code === 'number' && status.code !== 0 && status.code !== 2) {
    fail(
      [index, 'status'],
      `stanza ${JSON.stringify(stanza)} is not usable: code ${status.code} (${String(status.message ?? '')})`,
      'repair the stanza (`pgbackrest check`) first',
    );
  }
  if (!Array.isArray(st.backup)) return fail([index, 'backup'], `missing or not an array (got ${kindOf(st.backup)})`);

  const num = (v: unknown, path: Array<string | number>, what: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      fail(path, `${v === undefined ? 'missing' : `${JSON.stringify(v)} is not valid`}, expected ${what}`);
    return v as number;
  };
  const optStr = (v: unknown, path: Array<string | number>): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') fail(path, `${JSON.stringify(v)} is not valid, expected a string or null`);
    return v as string;
  };

  const sets = st.backup.map((b: unknown, i: number): BackupSet => {
    const at = (...rest: string[]) => [index, 'backup', i, ...rest];
    if (!isObject(b)) return fail(at(), `expected an object, got ${kindOf(b)}`);
    if (typeof b.label !== 'string' || !b.label)
      fail(at('label'), `${b.label === undefined ? 'missing' : `${JSON.stringify(b.label)} is not valid`}, expected the backup label`);
    if (!BACKUP_SET_TYPES.includes(b.type as BackupSetType))
      fail(at('type'), `${b.type === undefined ? 'missing' : `${JSON.stringify(b.type)} is not valid`}, expected one of ${BACKUP_SET_TYPES.join(', ')}`);
    const ts = isObject(b.timestamp) ? b.timestamp : fail(at('timestamp'), 'missing, expected { start, stop } in epoch seconds');
    const start = num(ts.start, at('timestamp', 'start'), 'epoch seconds (a non-negative integer)');
    const stop = num(ts.stop, at('timestamp', 'stop'), 'epoch seconds (a non-negative integer)');
    if (stop < start) fail(at('timestamp', 'stop'), `${stop} is before timestamp.start ${start}`);
    const info = isObject(b.info) ? b.info : fail(at('info'), 'missing, expected { size, repository: { size } }');
    const size = num(info.size, at('info', 'size'), 'the database size in bytes');
    const repoInfo = isObject(info.repository) ? info.repository : fail(at('info', 'repository'), 'missing, expected { size }');
    // With a block-incremental size map pgBackRest omits repository.size (info.c).
    const repoSize =
      repoInfo.size === undefined && repoInfo['size-map'] !== undefined
        ? undefined
        : num(repoInfo.size, at('info', 'repository', 'size'), 'the size in the repository in bytes');
    const db = isObject(b.database) ? b.database : fail(at('database'), 'missing, expected { id, repo-key }');
    const repoKey = num(db['repo-key'], at('database', 'repo-key'), 'the repository number (1 or 2)');
    const repo =
      repoKey === 1 || repoKey === 2
        ? repoKey
        : fail(
            at('database', 'repo-key'),
            `repository ${repoKey} is not one the platform configures`,
            'the platform writes repo1 (DC3) and repo2 (offline copy) only',
          );
    const archive = b.archive === undefined || b.archive === null ? {} : isObject(b.archive) ? b.archive : fail(at('archive'), 'expected { start, stop }');
    const prior = optStr(b.prior, at('prior'));
    const walStart = optStr(archive.start, at('archive', 'start'));
    const walStop = optStr(archive.stop, at('archive', 'stop'));
    if (b.error !== undefined && typeof b.error !== 'boolean') fail(at('error'), `${JSON.stringify(b.error)} is not valid, expected true or false`);
    return {
      label: b.label as string,
      type: b.type as BackupSetType,
      startedAt: iso(start * 1000),
      stoppedAt: iso(stop * 1000),
      sizeBytes: size,
      ...(repoSize !== undefined ? { repoSizeBytes: repoSize } : {}),
      repo,
      ...(prior !== undefined ? { prior } : {}),
      ...(walStart !== undefined ? { walStart } : {}),
      ...(walStop !== undefined ? { walStop } : {}),
      ...(b.error === true ? { pageErrors: true } : {}),
    };
  });
  return sortSets(sets);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Oldest first: by stop time, then label (the order in the JSON does not matter). */
function sortSets(sets: readonly BackupSet[]): BackupSet[] {
  return [...sets].sort((a, b) => Date.parse(a.stoppedAt) - Date.parse(b.stoppedAt) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// The window and the choice

/**
 * The interval a point-in-time recovery can reach: from the oldest set's stop time (+ 1 s, see
 * STOP_RESOLUTION_MS) to the latest archived instant, `now − archiveLagMs` (the runtime measures the
 * lag, e.g. from pg_stat_archiver's last_archived_time, and adds its safety margin). PostgreSQL ≥ 13
 * stops with FATAL when the archived WAL ends before a commit later than the target, so the window
 * must not reach past what the archive holds.
 */
export function restoreWindow(sets: readonly BackupSet[], now: Date, archiveLagMs: number): RestoreWindow {
  if (!sets.length) throw new RestorePlanError('no backup set: nothing to restore; take a backup first (`pgbackrest --stanza=<domain> --type=full backup`)');
  if (!Number.isFinite(archiveLagMs) || archiveLagMs < 0)
    throw new RestorePlanError(`archive lag ${archiveLagMs} ms is not valid; give a non-negative number of milliseconds`);
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) throw new RestorePlanError('now is not a valid date');
  const from = Math.min(...sets.map(recoverableFrom));
  const to = Math.floor(nowMs - archiveLagMs);
  if (!Number.isFinite(from)) throw new RestorePlanError('a backup set has no valid stop time; parse the sets with parseBackupInfo');
  if (to < from) {
    throw new RestorePlanError(
      `the restore window is empty: the archive reaches ${iso(to)}, before the oldest backup set is usable (${iso(from)}); wait for WAL archiving to catch up (check \`pgbackrest check\` and pg_stat_archiver)`,
    );
  }
  return { from: iso(from), to: iso(to) };
}

export type ChooseOptions =
  | { mode: 'at'; at: Date /** The flag's value as typed, for messages. */; given?: string }
  | { mode: 'random'; seed: string }
  | { mode: 'latest' };

export interface RestorePoint {
  set: BackupSet;
  /** The recovery target (`recovery_target_time`, inclusive), whole milliseconds. */
  target: Date;
  /** The sets the choice was made among (those usable inside the window). */
  candidates: number;
}

/**
 * `--at 2026-11-30T02:00:00Z` (or with an offset): a time with its zone; refused otherwise, as one
 * line located on the flag.
 */
export function parseAtFlag(value: string): Date {
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value);
  const ms = ok ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new RestorePlanError(
      `--at ${JSON.stringify(value)}: not a date and time with its zone; write it in ISO 8601, e.g. --at 2026-11-30T02:00:00Z or --at 2026-11-30T03:00:00+01:00`,
      '--at',
    );
  }
  return new Date(ms);
}

/**
 * A deterministic draw from a seed: draw k is the first 8 bytes of SHA-256 of
 * `hds-restore-test:v1:<seed>:<k>` (UTF-8), big-endian, as an unsigned integer; `below(n)` rejects
 * the values past the largest multiple of n (no modulo bias). Anyone can replay it with sha256sum.
 */
export function seededDraws(seed: string): { below(n: number): number } {
  let k = 0;
  const TWO64 = 1n << 64n;
  return {
    below(n: number): number {
      if (!Number.isSafeInteger(n) || n < 1) throw new RestorePlanError(`cannot draw below ${n}`);
      const bn = BigInt(n);
      const limit = TWO64 - (TWO64 % bn);
      for (;;) {
        const x = createHash('sha256').update(`hds-restore-test:v1:${seed}:${k++}`, 'utf8').digest().readBigUInt64BE(0);
        if (x < limit) return Number(x % bn);
      }
    },
  };
}

/**
 * A backup set and a target time inside `window`:
 * - `at`: the most recent set usable at that time (stop + 1 s ≤ at); an error located on `--at`
 *   when the time is outside the window, with the window in the message;
 * - `random`: a set drawn uniformly among those usable in the window, then a time drawn uniformly,
 *   to the millisecond, from that set's first usable instant to the next set's (excluded) or to the
 *   window's end (included) — so `--at <that time>` picks the same set; the same seed, sets and
 *   window always give the same choice;
 * - `latest`: the latest usable set, target = the window's end.
 */
export function chooseRestorePoint(sets: readonly BackupSet[], window: RestoreWindow, opts: ChooseOptions): RestorePoint {
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) {
    throw new RestorePlanError(`the restore window ${window.from} → ${window.to} is not valid; compute it with restoreWindow`);
  }
  // Sets usable by the window's end; of two sets with the same stop second, the later label wins (as `at` would pick it).
  const usable = sortSets(sets)
    .filter((s) => Number.isFinite(recoverableFrom(s)) && recoverableFrom(s) <= to)
    .filter((s, i, all) => i + 1 >= all.length || recoverableFrom(all[i + 1]!) !== recoverableFrom(s));
  // The sets a target inside the window can use: a set superseded before the window opens cannot.
  const inWindow = usable.filter((_, i) => i + 1 >= usable.length || recoverableFrom(usable[i + 1]!) > from);
  if (!inWindow.length) {
    throw new RestorePlanError(
      `no backup set is usable in the restore window ${window.from} → ${window.to}; take a backup, or wait for WAL archiving to catch up`,
    );
  }
  const candidates = inWindow.length;
  switch (opts.mode) {
    case 'at': {
      const at = opts.at.getTime();
      const given = opts.given ?? (Number.isFinite(at) ? iso(at) : String(opts.at));
      if (!Number.isFinite(at) || at < from || at > to) {
        throw new RestorePlanError(
          `--at ${given}: outside the restore window ${window.from} → ${window.to} (the oldest backup set's end + 1 s to the last archived WAL); give a time within it`,
          '--at',
        );
      }
      const set = inWindow.filter((s) => recoverableFrom(s) <= at).at(-1);
      if (!set) {
        throw new RestorePlanError(`--at ${given}: no backup set ends at least 1 s before it; give a time after ${iso(recoverableFrom(inWindow[0]!))}`, '--at');
      }
      return { set, target: new Date(Math.floor(at)), candidates };
    }
    case 'random': {
      const draw = seededDraws(opts.seed);
      const i = draw.below(candidates);
      const set = inWindow[i]!;
      const lo = Math.max(recoverableFrom(set), from);
      const next = inWindow[i + 1];
      // [lo, next) for a set with a successor, [lo, to] for the last one.
      const span = next ? Math.max(1, Math.min(recoverableFrom(next), to + 1) - lo) : to - lo + 1;
      return { set, target: new Date(lo + draw.below(Math.max(1, span))), candidates };
    }
    case 'latest':
      return { set: inWindow.at(-1)!, target: new Date(to), candidates };
    default: {
      const never: never = opts;
      throw new RestorePlanError(`unknown choice mode ${JSON.stringify(never)}`);
    }
  }
}

/** The `choice` block of the PV from the options, the window and the point chosen. */
export function restoreChoice(opts: ChooseOptions, window: RestoreWindow, point: RestorePoint): RestoreChoice {
  return {
    mode: opts.mode,
    ...(opts.mode === 'random' ? { seed: opts.seed } : {}),
    ...(opts.mode === 'at' ? { requestedAt: opts.given ?? iso(opts.at.getTime()) } : {}),
    backupSet: point.set,
    targetTime: point.target.toISOString(),
    window: { from: window.from, to: window.to },
    candidates: point.candidates,
  };
}

// ---------------------------------------------------------------------------------------------
// What the copy must hold

export interface LedgerWrite {
  id: string;
  /** When the client sent the write (client clock). */
  sentAt: Date | string;
  /** When the client received the acknowledgement; absent or null when it never did (timeout, connection lost). */
  ackedAt?: Date | string | null;
}

export interface LedgerExpectation {
  /** Acknowledged at or before target − margin: must be in the copy. */
  present: string[];
  /** Sent after target + margin: must not be in the copy. */
  absent: string[];
  /** Neither: excluded from the check, counted. */
  ambiguous: string[];
}

/**
 * Which writes of a ledger the copy restored to `target` must hold, and which it must not.
 *
 * A write's transaction commits at some instant between the client sending it and the client
 * receiving its acknowledgement; its commit record carries that instant (server clock). Recovery
 * with `recovery_target_time = target` (and the default `recovery_target_inclusive = on`) replays
 * every commit at or before the target and none after. With the client and server clocks within
 * `marginMs` of each other:
 * - acknowledged at or before target − margin ⇒ committed at or before the target ⇒ present;
 * - sent after target + margin ⇒ committed (if ever) after the target ⇒ absent;
 * - anything else (in flight around the target, or never acknowledged and sent before
 *   target + margin) may or may not be there: ambiguous, left out and counted.
 * A write cannot be both present and absent (sent ≤ acknowledged), so the three lists partition
 * the ledger. Each list keeps the ledger's order.
 */
export function ledgerExpectation(entries: readonly LedgerWrite[], target: Date, marginMs: number): LedgerExpectation {
  const t = target.getTime();
  if (!Number.isFinite(t)) throw new RestorePlanError('ledger: the target time is not a valid date');
  if (!Number.isFinite(marginMs) || marginMs < 0)
    throw new RestorePlanError(`ledger: margin ${marginMs} ms is not valid; give a non-negative number of milliseconds (the clock skew bound)`);
  const ms = (v: Date | string, i: number, field: string): number => {
    const n = v instanceof Date ? v.getTime() : Date.parse(v);
    if (!Number.isFinite(n))
      throw new RestorePlanError(`ledger /${i}/${field}: ${JSON.stringify(v)} is not a date; write ISO 8601 with a zone`, `/${i}/${field}`);
    return n;
  };
  const out: LedgerExpectation = { present: [], absent: [], ambiguous: [] };
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (typeof e?.id !== 'string' || !e.id) throw new RestorePlanError(`ledger /${i}/id: missing; every write needs its id`, `/${i}/id`);
    if (seen.has(e.id)) throw new RestorePlanError(`ledger /${i}/id: ${JSON.stringify(e.id)} appears twice; ids must be unique`, `/${i}/id`);
    seen.add(e.id);
    const sent = ms(e.sentAt, i, 'sentAt');
    const acked = e.ackedAt === undefined || e.ackedAt === null ? undefined : ms(e.ackedAt, i, 'ackedAt');
    if (acked !== undefined && acked < sent)
      throw new RestorePlanError(`ledger /${i}/ackedAt: acknowledged before it was sent (${iso(acked)} < ${iso(sent)})`, `/${i}/ackedAt`);
    if (acked !== undefined && acked <= t - marginMs) out.present.push(e.id);
    else if (sent > t + marginMs) out.absent.push(e.id);
    else out.ambiguous.push(e.id);
  });
  return out;
}

/** Row count and content hash of each table (`schema.table`), as `hdsctl dataset generate --check` and pgTableHashes give them. */
export type TableFingerprints = Readonly<Record<string, { rows: number; hash: string }>>;

export interface TableDifference {
  table: string;
  /** missing: in the source, not in the copy; unexpected: the reverse; rows: counts differ; content: same count, other hash. */
  kind: 'missing' | 'unexpected' | 'rows' | 'content';
  source?: { rows: number; hash: string };
  restored?: { rows: number; hash: string };
}

/** The tables whose row count or content hash differ between the source (at the target time) and the restored copy, by table name. */
export function compareTableFingerprints(source: TableFingerprints, restored: TableFingerprints): TableDifference[] {
  const names = [...new Set([...Object.keys(source), ...Object.keys(restored)])].sort();
  const out: TableDifference[] = [];
  for (const table of names) {
    const s = Object.hasOwn(source, table) ? source[table] : undefined;
    const r = Object.hasOwn(restored, table) ? restored[table] : undefined;
    if (s && !r) out.push({ table, kind: 'missing', source: s });
    else if (!s && r) out.push({ table, kind: 'unexpected', restored: r });
    else if (s && r && s.rows !== r.rows) out.push({ table, kind: 'rows', source: s, restored: r });
    else if (s && r && s.hash !== r.hash) out.push({ table, kind: 'content', source: s, restored: r });
  }
  return out;
}

/** A check's one-line detail: the first differing tables and why, or how much was found equal. */
export function differencesDetail(diffs: readonly TableDifference[], where: string, equal: string): string {
  return diffs.length
    ? `${diffs.length} table(s) differ${where}: ${diffs
        .slice(0, 3)
        .map((d) => `${d.table} (${d.kind})`)
        .join(', ')}`
    : equal;
}

// ---------------------------------------------------------------------------------------------
// Verdict

/** What the verdict reads of a run; `verdict` is the runtime's own (absent while it computes it). */
export type VerdictInput = Pick<RestoreTestRun, 'checks' | 'destroyed' | 'isolation'> & { verdict?: RestoreTestRun['verdict'] };

export const FINDING_CODES = ['check-failed', 'check-missing', 'check-skipped', 'not-destroyed', 'not-isolated', 'recorded-fail'] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export interface Finding {
  code: FindingCode;
  /** The check concerned (check-*). */
  check?: string;
}

/**
 * Why a run fails (empty: it passes): a check failed; a required check (REQUIRED_CHECKS) is
 * missing or skipped; the copy was not destroyed; the restore site was not isolated like production
 * (a route out, no TLS, no encryption at rest or access rule stated); or the runtime recorded a
 * failure the checks do not explain (e.g. the restore itself failed).
 */
export function verdictFindings(run: VerdictInput): Finding[] {
  const checks = Array.isArray(run.checks) ? run.checks : [];
  const out: Finding[] = [];
  for (const c of checks)
    if (c?.verdict === 'fail' || (c?.verdict !== 'pass' && c?.verdict !== 'skipped')) out.push({ code: 'check-failed', check: String(c?.id) });
  for (const id of REQUIRED_CHECKS) {
    const c = checks.filter((x) => x?.id === id);
    if (!c.length) out.push({ code: 'check-missing', check: id });
    else if (c.every((x) => x.verdict === 'skipped')) out.push({ code: 'check-skipped', check: id });
  }
  const d = run.destroyed;
  if (!d || !Number.isFinite(Date.parse(d.at)) || !Array.isArray(d.what) || !d.what.length) out.push({ code: 'not-destroyed' });
  const site = run.isolation;
  if (site?.route !== 'none' || site.tls !== true || !String(site.encryptedAtRest ?? '').trim() || !String(site.access ?? '').trim())
    out.push({ code: 'not-isolated' });
  if (!out.length && run.verdict === 'fail') out.push({ code: 'recorded-fail' });
  return out;
}

/** `pass` when no finding stands. */
export function restoreTestVerdict(run: VerdictInput): 'pass' | 'fail' {
  return verdictFindings(run).length ? 'fail' : 'pass';
}

// ---------------------------------------------------------------------------------------------
// Marks

/** What the choice reads of a restore mark (./marks.ts): its name and instant (ISO 8601). */
export interface MarkRef {
  name: string;
  at: string;
}

/**
 * The mark a restore test recovers to, for a chosen set and time: the latest mark at or before the
 * time that the set can reach (at or after its end + 1 s), else the first mark after the time still
 * inside the window (the same set, more WAL replayed). Marks are the instants whose table
 * fingerprints are known (./marks.ts); every restore test and refresh takes one first, so the window
 * holds one unless --no-mark. An error when the window holds none.
 */
export function markForTarget<M extends MarkRef>(marks: readonly M[], set: BackupSet, target: Date, window: RestoreWindow): M {
  const t = target.getTime();
  const lo = Math.max(recoverableFrom(set), Date.parse(window.from));
  const hi = Date.parse(window.to);
  const valid = marks
    .map((m) => ({ m, at: Date.parse(m.at) }))
    .filter((x) => Number.isFinite(x.at) && x.at >= lo && x.at <= hi)
    .sort((a, b) => a.at - b.at || a.m.name.localeCompare(b.m.name));
  const before = valid.filter((x) => x.at <= t).at(-1);
  const after = valid.find((x) => x.at > t);
  const chosen = before ?? after;
  if (!chosen) {
    throw new RestorePlanError(
      `no restore mark between ${iso(lo)} and ${window.to} (set ${set.label}): take one with \`hdsctl restore-test --domain <domain>\` (each run marks first, unless --no-mark)`,
    );
  }
  return chosen.m;
}
