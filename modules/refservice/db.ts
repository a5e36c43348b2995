/**
 * PostgreSQL access of the reference service: a pg pool that never lets a lost connection
 * crash the process ('error' handlers on the pool and on every client, checked out or idle),
 * reconnects on demand (a broken client is discarded, the next call opens a new one), bounded
 * timeouts (connect, server-side statement, client-side read), a bounded retry of
 * connection-class errors (so a Patroni failover behind HAProxy is survived) within a time
 * budget below the WAF's read timeout, the schema, and the queries. Whatever still fails
 * comes out as a DatabaseUnavailableError (the API answers 503 "database unavailable").
 */
import pg from 'pg';
import type { SealedContent } from './envelope.ts';
import type { Logger } from './log.ts';

export interface DbOptions {
  connectionString: string;
  password?: string;
  poolSize?: number;
  retryAttempts?: number;
  retryMaxDelayMs?: number;
  /** Total time a call may spend retrying (default 15000 ms: under nginx's proxy_read_timeout of 30 s). */
  retryBudgetMs?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** SQLSTATE classes/codes and socket errors worth retrying on another connection. */
const RETRYABLE_SQLSTATE = /^(08|57P0[1-3]|53300|25006|40001|40P01)/;
const RETRYABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

export function isRetryable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string' && (RETRYABLE_SQLSTATE.test(e.code) || RETRYABLE_ERRNO.has(e.code))) return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|terminating connection|Client has encountered a connection error|server closed the connection|Query read timeout|timeout exceeded when trying to connect/i.test(
    msg,
  );
}

/** A database call failed for good (after the retries): the API maps it to 503 "database unavailable". */
export class DatabaseUnavailableError extends Error {
  readonly code: string | undefined;
  constructor(
    readonly op: string,
    cause: unknown,
  ) {
    super(`database unavailable (${op}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
    const c = (cause as { code?: unknown } | null)?.code;
    this.code = typeof c === 'string' ? c : undefined;
  }
}

export interface Db {
  pool: pg.Pool;
  /**
   * Runs fn with retries on connection-class errors (bounded attempts and time budget, capped
   * exponential backoff); throws a DatabaseUnavailableError when it still fails.
   */
  withRetry<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>, correlationId?: string): Promise<T>;
  close(): Promise<void>;
}

/**
 * Puts the password into the URL, in memory only: pg lets the parsed connection string
 * override an explicit `password` option (with `undefined` when the URL has none).
 */
export function connectionStringWithPassword(connectionString: string, password?: string): string {
  if (password === undefined) return connectionString;
  const u = new URL(connectionString);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export function createDb(opts: DbOptions, log: Logger): Db {
  const statementTimeout = opts.statementTimeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: connectionStringWithPassword(opts.connectionString, opts.password),
    max: opts.poolSize ?? 10,
    // Also bounds the wait for a free pool slot.
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
    idleTimeoutMillis: 30_000,
    // Server-side bound, and a client-side one for a server that no longer answers at all
    // (site lost: no RST, the socket would wait for TCP's own timeouts).
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 2000,
    idle_in_transaction_session_timeout: 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'hds-refservice',
  });
  // An idle client losing its server (failover) must not crash the process…
  pool.on('error', (err) => log.warn('idle database connection lost', { error: err.message, code: (err as { code?: string }).code }));
  // …nor a checked-out one: pg-pool listens on idle clients only, and a client whose server
  // goes away emits 'error' (“Connection terminated unexpectedly”) even when its query
  // already failed. The client is then discarded by whoever holds it (release(err)).
  pool.on('connect', (client) => {
    client.on('error', (err) => log.warn('database connection lost', { error: err.message, code: (err as { code?: string }).code }));
  });
  const attempts = opts.retryAttempts ?? 15;
  const maxDelay = opts.retryMaxDelayMs ?? 2000;
  const budget = opts.retryBudgetMs ?? 15_000;

  async function withRetry<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>, correlationId?: string): Promise<T> {
    const t0 = Date.now();
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient | undefined;
      let broken = false;
      try {
        client = await pool.connect();
        return await fn(client);
      } catch (err) {
        broken = true;
        const delay = Math.min(maxDelay, 100 * 2 ** (attempt - 1));
        if (!isRetryable(err) || attempt >= attempts || Date.now() - t0 + delay > budget) throw new DatabaseUnavailableError(what, err);
        log.warn('database call failed, retrying', {
          correlation_id: correlationId,
          op: what,
          attempt,
          delay_ms: delay,
          error: (err as Error).message,
          code: (err as { code?: string }).code,
        });
        await new Promise((r) => setTimeout(r, delay));
      } finally {
        // A client that failed is discarded, never returned to the pool.
        client?.release(broken ? true : undefined);
      }
    }
  }

  return { pool, withRetry, close: () => pool.end() };
}

const SCHEMA_LOCK_KEY = 724_010_001; // arbitrary, constant: serialises schema creation across instances

/**
 * The schema. A document's content is either in the row (`content_ciphertext`, the service
 * without an object store, and every row written before issue 13) or an object in the domain's
 * bucket (`content_object`, its key): exactly one of the two (documents_content_in_one_place). The
 * envelope (GCM iv and tag, the wrapped data key) is always in the row.
 *
 * The migration of an existing database runs in the same advisory-locked transaction as the
 * creation. Each ALTER is guarded by a catalog check rather than relying on `IF NOT EXISTS` alone:
 * ALTER TABLE takes an ACCESS EXCLUSIVE lock on `documents` before it looks, and every instance
 * runs this at every start. The constraint is added NOT VALID: existing rows (all with their
 * ciphertext, no object) satisfy it, and a 400-million-row table is not scanned under that lock.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS documents (
  id                 uuid PRIMARY KEY,
  title              text NOT NULL,
  patient_id         text NOT NULL,
  category           text NOT NULL,
  content_ciphertext bytea,
  content_object     text,
  content_iv         bytea NOT NULL,
  content_tag        bytea NOT NULL,
  wrapped_key        bytea NOT NULL,
  key_domain         text NOT NULL,
  key_mechanism      text NOT NULL,
  size_bytes         integer NOT NULL,
  correlation_id     text,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS documents_patient_id_idx ON documents (patient_id);
DO $migrate$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'documents'::regclass AND attname = 'content_object' AND NOT attisdropped) THEN
    ALTER TABLE documents ADD COLUMN IF NOT EXISTS content_object text;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'documents'::regclass AND attname = 'content_ciphertext' AND attnotnull) THEN
    ALTER TABLE documents ALTER COLUMN content_ciphertext DROP NOT NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'documents'::regclass AND conname = 'documents_content_in_one_place') THEN
    ALTER TABLE documents ADD CONSTRAINT documents_content_in_one_place
      CHECK ((content_ciphertext IS NULL) <> (content_object IS NULL)) NOT VALID;
  END IF;
END
$migrate$;
`;

/** Creates the schema if missing (advisory-locked, so concurrent instances do not race). */
export async function ensureSchema(db: Db): Promise<void> {
  await db.withRetry('ensureSchema', async (c) => {
    await c.query('BEGIN');
    try {
      await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      await c.query(SCHEMA_SQL);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  });
}

/** Schema creation on demand: one attempt at a time, shared by every caller, remembered once done. */
export interface SchemaGate {
  ready(): boolean;
  /** Resolves once the schema exists (creating it if need be); rejects (DatabaseUnavailableError) while the database does not answer. */
  ensure(): Promise<void>;
}

export function schemaGate(db: Db): SchemaGate {
  let done = false;
  let inflight: Promise<void> | undefined;
  return {
    ready: () => done,
    ensure() {
      if (done) return Promise.resolve();
      inflight ??= ensureSchema(db)
        .then(() => {
          done = true;
        })
        .finally(() => {
          inflight = undefined;
        });
      return inflight;
    },
  };
}

/** Where a document's ciphertext is: in its row, or an object (its key) in the domain's bucket. */
export type StoredContent = { ciphertext: Buffer; object?: undefined } | { object: string; ciphertext?: undefined };

export interface DocumentRow {
  id: string;
  title: string;
  patientId: string;
  category: string;
  /** The GCM iv and tag and the wrapped data key: always in the row. */
  envelope: Omit<SealedContent, 'ciphertext'>;
  content: StoredContent;
  keyDomain: string;
  keyMechanism: string;
  sizeBytes: number;
  correlationId?: string;
  createdAt?: Date;
}

/** Idempotent insert (same id twice = no-op), so a retried commit after a failover is safe. */
export async function insertDocument(db: Db, doc: DocumentRow): Promise<void> {
  await db.withRetry(
    'insertDocument',
    (c) =>
      c.query(
        `INSERT INTO documents (id, title, patient_id, category, content_ciphertext, content_iv, content_tag, wrapped_key, key_domain, key_mechanism, size_bytes, correlation_id, content_object)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT (id) DO NOTHING`,
        [
          doc.id,
          doc.title,
          doc.patientId,
          doc.category,
          doc.content.ciphertext ?? null,
          doc.envelope.iv,
          doc.envelope.tag,
          doc.envelope.wrappedKey,
          doc.keyDomain,
          doc.keyMechanism,
          doc.sizeBytes,
          doc.correlationId ?? null,
          doc.content.object ?? null,
        ],
      ),
    doc.correlationId,
  );
}

/**
 * Ciphertext bytes fetched per query when reading a document back. bytea comes back from pg in
 * hex text (2 characters a byte): whole, a 20 MiB document would be a 40 MB string plus its
 * buffer; in slices (substring() reads only the TOAST chunks it needs) it is one preallocated
 * buffer and one 8 MB string at a time.
 */
export const CONTENT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Reads a document: its object's key, or its ciphertext in CONTENT_CHUNK_BYTES slices on one
 * connection (documents are never updated).
 */
export async function getDocument(db: Db, id: string, correlationId?: string, chunkBytes = CONTENT_CHUNK_BYTES): Promise<DocumentRow | undefined> {
  return db.withRetry(
    'getDocument',
    async (c) => {
      const r = await c.query<{
        id: string;
        title: string;
        patient_id: string;
        category: string;
        content_object: string | null;
        content_length: number | null;
        first_chunk: Buffer | null;
        content_iv: Buffer;
        content_tag: Buffer;
        wrapped_key: Buffer;
        key_domain: string;
        key_mechanism: string;
        size_bytes: number;
        correlation_id: string | null;
        created_at: Date;
      }>(
        `SELECT id, title, patient_id, category, content_object, octet_length(content_ciphertext) AS content_length,
                substring(content_ciphertext FROM 1 FOR $2) AS first_chunk, content_iv, content_tag, wrapped_key,
                key_domain, key_mechanism, size_bytes, correlation_id, created_at
           FROM documents WHERE id = $1`,
        [id, chunkBytes],
      );
      const row = r.rows[0];
      if (!row) return undefined;
      const envelope = { iv: row.content_iv, tag: row.content_tag, wrappedKey: row.wrapped_key };
      let content: StoredContent;
      if (row.content_object !== null) content = { object: row.content_object };
      else {
        const length = row.content_length ?? 0;
        let ciphertext = row.first_chunk ?? Buffer.alloc(0);
        if (ciphertext.length < length) {
          const first = ciphertext;
          ciphertext = Buffer.allocUnsafe(length);
          let off = first.copy(ciphertext, 0);
          while (off < length) {
            const n = Math.min(chunkBytes, length - off);
            const q = await c.query<{ chunk: Buffer | null }>('SELECT substring(content_ciphertext FROM $2 FOR $3) AS chunk FROM documents WHERE id = $1', [
              id,
              off + 1,
              n,
            ]);
            const chunk = q.rows[0]?.chunk;
            if (!chunk || chunk.length !== n) throw new Error(`document ${id}: content changed while it was read`);
            off += chunk.copy(ciphertext, off);
          }
        }
        content = { ciphertext };
      }
      const doc: DocumentRow = {
        id: row.id,
        title: row.title,
        patientId: row.patient_id,
        category: row.category,
        envelope,
        content,
        keyDomain: row.key_domain,
        keyMechanism: row.key_mechanism,
        sizeBytes: row.size_bytes,
        createdAt: row.created_at,
      };
      if (row.correlation_id !== null) doc.correlationId = row.correlation_id;
      return doc;
    },
    correlationId,
  );
}

/** One quick round trip, no retry (health checks must answer fast): false on any error or after `timeoutMs`. */
export async function ping(db: Db, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), timeoutMs);
  });
  const q = (async () => {
    const c = await db.pool.connect();
    let broken = false;
    try {
      await c.query({ text: 'SELECT 1', query_timeout: timeoutMs } as pg.QueryConfig);
      return true;
    } catch {
      broken = true;
      return false;
    } finally {
      c.release(broken ? true : undefined);
    }
  })().catch(() => false);
  try {
    return await Promise.race([q, late]);
  } finally {
    clearTimeout(timer);
  }
}

function quoteIdent(s: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(s)) throw new Error(`unsafe identifier ${s}`);
  return `"${s}"`;
}

/**
 * Lab bootstrap (run once with an admin connection, e.g. the Patroni superuser through the
 * HAProxy write port): creates or updates the application role and its database.
 */
export async function ensureAppDatabase(
  adminConnectionString: string,
  app: { database: string; role: string; password: string },
  adminPassword?: string,
): Promise<void> {
  const client = new pg.Client({ connectionString: connectionStringWithPassword(adminConnectionString, adminPassword) });
  await client.connect();
  try {
    const role = quoteIdent(app.role);
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [app.role]);
    // Password as a literal via format(): CREATE/ALTER ROLE do not take bind parameters.
    const lit = (await client.query<{ q: string }>('SELECT quote_literal($1) AS q', [app.password])).rows[0]?.q ?? "''";
    await client.query(`${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN PASSWORD ${lit}`);
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [app.database]);
    if (!db.rowCount) await client.query(`CREATE DATABASE ${quoteIdent(app.database)} OWNER ${role}`);
  } finally {
    await client.end();
  }
}
