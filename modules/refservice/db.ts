/**
 * PostgreSQL access of the reference service: a pg pool, a bounded retry of connection-class
 * errors (so a Patroni failover behind HAProxy is survived), the schema, and the queries.
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
  return /Connection terminated|connection timeout|terminating connection|Client has encountered a connection error|server closed the connection/i.test(msg);
}

export interface Db {
  pool: pg.Pool;
  /** Runs fn with retries on connection-class errors (bounded attempts, capped exponential backoff). */
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
  const pool = new pg.Pool({
    connectionString: connectionStringWithPassword(opts.connectionString, opts.password),
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.statementTimeoutMs ?? 5000,
    application_name: 'hds-refservice',
  });
  // An idle client losing its server (failover) must not crash the process.
  pool.on('error', (err) => log.warn('idle database connection lost', { error: err.message }));
  const attempts = opts.retryAttempts ?? 15;
  const maxDelay = opts.retryMaxDelayMs ?? 2000;

  async function withRetry<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>, correlationId?: string): Promise<T> {
    let lastErr: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let client: pg.PoolClient | undefined;
      let broken = false;
      try {
        client = await pool.connect();
        return await fn(client);
      } catch (err) {
        lastErr = err;
        broken = true;
        if (!isRetryable(err) || attempt === attempts) throw err;
        const delay = Math.min(maxDelay, 100 * 2 ** (attempt - 1));
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
    throw lastErr;
  }

  return { pool, withRetry, close: () => pool.end() };
}

const SCHEMA_LOCK_KEY = 724_010_001; // arbitrary, constant: serialises schema creation across instances

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS documents (
  id                 uuid PRIMARY KEY,
  title              text NOT NULL,
  patient_id         text NOT NULL,
  category           text NOT NULL,
  content_ciphertext bytea NOT NULL,
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

export interface DocumentRow {
  id: string;
  title: string;
  patientId: string;
  category: string;
  sealed: SealedContent;
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
        `INSERT INTO documents (id, title, patient_id, category, content_ciphertext, content_iv, content_tag, wrapped_key, key_domain, key_mechanism, size_bytes, correlation_id)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (id) DO NOTHING`,
        [
          doc.id,
          doc.title,
          doc.patientId,
          doc.category,
          doc.sealed.ciphertext,
          doc.sealed.iv,
          doc.sealed.tag,
          doc.sealed.wrappedKey,
          doc.keyDomain,
          doc.keyMechanism,
          doc.sizeBytes,
          doc.correlationId ?? null,
        ],
      ),
    doc.correlationId,
  );
}

export async function getDocument(db: Db, id: string, correlationId?: string): Promise<DocumentRow | undefined> {
  const r = await db.withRetry(
    'getDocument',
    (c) =>
      c.query<{
        id: string;
        title: string;
        patient_id: string;
        category: string;
        content_ciphertext: Buffer;
        content_iv: Buffer;
        content_tag: Buffer;
        wrapped_key: Buffer;
        key_domain: string;
        key_mechanism: string;
        size_bytes: number;
        correlation_id: string | null;
        created_at: Date;
      }>('SELECT * FROM documents WHERE id = $1', [id]),
    correlationId,
  );
  const row = r.rows[0];
  if (!row) return undefined;
  const doc: DocumentRow = {
    id: row.id,
    title: row.title,
    patientId: row.patient_id,
    category: row.category,
    sealed: { ciphertext: row.content_ciphertext, iv: row.content_iv, tag: row.content_tag, wrappedKey: row.wrapped_key },
    keyDomain: row.key_domain,
    keyMechanism: row.key_mechanism,
    sizeBytes: row.size_bytes,
    createdAt: row.created_at,
  };
  if (row.correlation_id !== null) doc.correlationId = row.correlation_id;
  return doc;
}

/** One quick round trip, no retry (health checks must answer fast). */
export async function ping(db: Db, timeoutMs = 2000): Promise<boolean> {
  const timer = new Promise<false>((r) => setTimeout(() => r(false), timeoutMs).unref());
  const q = (async () => {
    const c = await db.pool.connect();
    let broken = false;
    try {
      await c.query('SELECT 1');
      return true;
    } catch {
      broken = true;
      return false;
    } finally {
      c.release(broken ? true : undefined);
    }
  })().catch(() => false);
  return Promise.race([q, timer]);
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
