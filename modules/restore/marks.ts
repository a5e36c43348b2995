/**
 * Restore marks: instants of the source database whose content is known exactly, so a copy
 * restored to that instant can be compared table by table (EXG_PRA_3 "logical integrity at the
 * chosen time"; the dataset's `--check` hashes are the model).
 *
 * A mark is taken on the primary of a domain, in the domain's database:
 * 1. a short **ledger** burst: a few rows written to `hds_restore.ledger` and acknowledged before
 *    the instant (with the clock margin between them), a few sent after it — the copy must hold the
 *    first, not the second (plan.ts ledgerExpectation);
 * 2. the **instant** `t`: one REPEATABLE READ transaction locks every user table in SHARE mode (it
 *    waits for the writers in flight — a commit waiting on its synchronous standby included — and
 *    holds new ones back), then reads `clock_timestamp()` and exports its snapshot, and commits at
 *    once: writes are held back for milliseconds. Every commit on those tables before the lock
 *    carries a timestamp before `t`, every commit after it one after, so `recovery_target_time = t`
 *    replays exactly the transactions the snapshot sees;
 * 3. the **fingerprints**: a second transaction imports that snapshot and computes per table the
 *    row count and an order-independent content hash (the sum of the first 64 bits of the MD5 of
 *    each row's text) — taking its time, without blocking anyone;
 * 4. the mark's row in `hds_restore.marks` (name, instant, fingerprints, ledger), written after the
 *    instant: a copy restored to a mark holds the earlier marks, not its own.
 *
 * A table created between the listing and the lock makes the mark retry. The schema `hds_restore`
 * is left out of the fingerprints (its rows are the ledger's check).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { LedgerWrite, TableFingerprints } from './plan.ts';

export const RESTORE_SCHEMA = 'hds_restore';

/** Client/server clock bound used around a mark's instant (same host in the lab; NTP-disciplined hosts in production). */
export const MARK_MARGIN_MS = 250;

/** Ledger writes before and after each mark's instant. */
export const LEDGER_WRITES_PER_SIDE = 3;

export const RESTORE_SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS ${RESTORE_SCHEMA};
CREATE TABLE IF NOT EXISTS ${RESTORE_SCHEMA}.ledger (
  id text PRIMARY KEY,
  mark text NOT NULL,
  sent_at timestamptz NOT NULL,
  written_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS ${RESTORE_SCHEMA}.marks (
  name text PRIMARY KEY,
  at_text text NOT NULL,
  at timestamptz NOT NULL,
  fingerprints jsonb NOT NULL,
  ledger jsonb NOT NULL,
  documents jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);`;

/** A document the mark's writer stored through the service before the instant (the copy must serve it). */
export interface MarkedDocument {
  id: string;
  sha256: string;
  ackedAt: string;
}

export interface RestoreMark {
  name: string;
  /** The instant, as PostgreSQL prints it in UTC with microseconds (`2026-11-30 18:00:00.123456+00`): the recovery target. */
  atText: string;
  /** The same instant as an ISO 8601 string (milliseconds, truncated). */
  at: string;
  fingerprints: TableFingerprints;
  ledger: Array<{ id: string; sentAt: string; ackedAt: string | null }>;
  documents: MarkedDocument[];
}

/** Session settings that make a row's text the same on the source and on the copy. */
export const FINGERPRINT_SETTINGS = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
];

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The user tables of the database (leaf relations, no partitioned parent), `schema.table`, sorted. */
export async function userTables(c: pg.ClientBase): Promise<string[]> {
  const r = await c.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', '${RESTORE_SCHEMA}')
        AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1`,
  );
  return r.rows.map((x) => x.name);
}

function qualified(name: string): string {
  const dot = name.indexOf('.');
  return `${quoteIdent(name.slice(0, dot))}.${quoteIdent(name.slice(dot + 1))}`;
}

/** Row count and content hash of every user table, in the client's current snapshot. */
export async function tableFingerprints(c: pg.ClientBase, tables?: readonly string[]): Promise<TableFingerprints> {
  for (const s of FINGERPRINT_SETTINGS) await c.query(s);
  const out: Record<string, { rows: number; hash: string }> = {};
  for (const t of tables ?? (await userTables(c))) {
    const r = await c.query<{ n: string; h: string }>(
      `SELECT count(*)::text AS n, coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text AS h FROM ONLY ${qualified(t)} t`,
    );
    out[t] = { rows: Number(r.rows[0]!.n), hash: r.rows[0]!.h };
  }
  return out;
}

/** Every table's fingerprint in one read-only REPEATABLE READ snapshot, then the client ends (a copy, a refreshed target). */
export async function fingerprintsAndClose(c: pg.Client): Promise<TableFingerprints> {
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const f = await tableFingerprints(c);
    await c.query('COMMIT');
    return f;
  } finally {
    await c.end();
  }
}

export async function ensureRestoreSchema(c: pg.ClientBase): Promise<void> {
  // Two marks at once (a timer and an operator) must not race on CREATE: one advisory lock.
  await c.query('SELECT pg_advisory_lock(7242014)');
  try {
    await c.query(RESTORE_SCHEMA_SQL);
  } finally {
    await c.query('SELECT pg_advisory_unlock(7242014)');
  }
}

async function ledgerWrite(c: pg.ClientBase, mark: string): Promise<{ id: string; sentAt: string; ackedAt: string }> {
  const id = randomUUID();
  const sentAt = new Date().toISOString();
  await c.query(`INSERT INTO ${RESTORE_SCHEMA}.ledger (id, mark, sent_at) VALUES ($1, $2, $3)`, [id, mark, sentAt]);
  return { id, sentAt, ackedAt: new Date().toISOString() };
}

export class MarkRaceError extends Error {}

/**
 * The instant and its snapshot: lock, read the clock, export the snapshot, import it in `reader`,
 * release. Returns the instant; `reader` is left inside the imported REPEATABLE READ transaction.
 */
async function freezeInstant(locker: pg.ClientBase, reader: pg.ClientBase, lockTimeoutMs: number): Promise<{ atText: string; at: string; tables: string[] }> {
  const tables = await userTables(locker);
  await locker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  try {
    await locker.query(`SET LOCAL lock_timeout = '${Math.max(1, Math.round(lockTimeoutMs))}ms'`);
    // Before any query: the transaction's snapshot is taken after the locks are granted.
    if (tables.length) await locker.query(`LOCK TABLE ${tables.map(qualified).join(', ')} IN SHARE MODE`);
    const r = await locker.query<{ at_text: string; at_iso: string; snap: string }>(
      `SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS at_text,
              to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at_iso,
              pg_export_snapshot() AS snap
         FROM (SELECT clock_timestamp() AS t) x`,
    );
    const { at_text, at_iso, snap } = r.rows[0]!;
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await reader.query(`SET TRANSACTION SNAPSHOT '${snap.replace(/'/g, '')}'`);
    const seen = await userTables(reader);
    await locker.query('COMMIT');
    if (seen.join('\n') !== tables.join('\n')) {
      await reader.query('ROLLBACK');
      throw new MarkRaceError('a table was created or dropped while the mark was taken');
    }
    return { atText: at_text, at: at_iso, tables };
  } catch (e) {
    await locker.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

export interface TakeMarkOptions {
  /** Mark name; default `mark-<ISO time>-<random>`. */
  name?: string;
  marginMs?: number;
  /** Writes a document through the service and returns it, before the instant (the copy's service check). */
  writeDocument?: () => Promise<MarkedDocument>;
  /** lock_timeout of the lock step (writers in flight), default 10 s. */
  lockTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * Takes a mark on the primary (two sessions of the same role, owner of the tables). Retries a
 * lock timeout or a table created meanwhile, up to 5 times.
 */
export async function takeMark(locker: pg.ClientBase, reader: pg.ClientBase, opts: TakeMarkOptions = {}): Promise<RestoreMark> {
  const margin = opts.marginMs ?? MARK_MARGIN_MS;
  const name = opts.name ?? `mark-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  await ensureRestoreSchema(locker);
  const ledger: RestoreMark['ledger'] = [];
  const documents: MarkedDocument[] = [];
  for (let i = 0; i < LEDGER_WRITES_PER_SIDE; i++) ledger.push(await ledgerWrite(locker, name));
  if (opts.writeDocument) documents.push(await opts.writeDocument());
  await sleep(margin + 5);
  let instant: { atText: string; at: string; tables: string[] } | undefined;
  for (let attempt = 1; !instant; attempt++) {
    try {
      instant = await freezeInstant(locker, reader, opts.lockTimeoutMs ?? 10_000);
    } catch (e) {
      const retry = e instanceof MarkRaceError || /lock timeout|canceling statement due to lock timeout/.test((e as Error).message);
      if (!retry || attempt >= 5) throw e;
      opts.log?.(`mark ${name}: ${(e as Error).message}; attempt ${attempt + 1}`);
      await sleep(200 * attempt);
    }
  }
  let fingerprints: TableFingerprints;
  try {
    fingerprints = await tableFingerprints(reader, instant.tables);
  } finally {
    await reader.query('COMMIT').catch(() => undefined);
  }
  await sleep(margin + 5);
  for (let i = 0; i < LEDGER_WRITES_PER_SIDE; i++) ledger.push(await ledgerWrite(locker, name));
  const mark: RestoreMark = { name, atText: instant.atText, at: instant.at, fingerprints, ledger, documents };
  await locker.query(
    `INSERT INTO ${RESTORE_SCHEMA}.marks (name, at_text, at, fingerprints, ledger, documents) VALUES ($1, $2::text, $2::text::timestamptz, $3, $4, $5)`,
    [name, mark.atText, JSON.stringify(fingerprints), JSON.stringify(ledger), JSON.stringify(documents)],
  );
  return mark;
}

/** Every mark of the source, oldest first (none when the schema does not exist yet). */
export async function readMarks(c: pg.ClientBase): Promise<RestoreMark[]> {
  const exists = await c.query(`SELECT 1 FROM pg_tables WHERE schemaname = '${RESTORE_SCHEMA}' AND tablename = 'marks'`);
  if (!exists.rowCount) return [];
  const r = await c.query<{
    name: string;
    at_text: string;
    at_iso: string;
    fingerprints: TableFingerprints;
    ledger: RestoreMark['ledger'];
    documents: MarkedDocument[];
  }>(
    `SELECT name, at_text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at_iso, fingerprints, ledger, documents
       FROM ${RESTORE_SCHEMA}.marks ORDER BY at, name`,
  );
  return r.rows.map((x) => ({ name: x.name, atText: x.at_text, at: x.at_iso, fingerprints: x.fingerprints, ledger: x.ledger, documents: x.documents }));
}

/** The ledger ids present in a copy (none when it has no ledger table). */
export async function ledgerIds(c: pg.ClientBase): Promise<Set<string>> {
  const exists = await c.query(`SELECT 1 FROM pg_tables WHERE schemaname = '${RESTORE_SCHEMA}' AND tablename = 'ledger'`);
  if (!exists.rowCount) return new Set();
  const r = await c.query<{ id: string }>(`SELECT id FROM ${RESTORE_SCHEMA}.ledger`);
  return new Set(r.rows.map((x) => x.id));
}

export type { LedgerWrite };
