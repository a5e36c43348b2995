/**
 * PostgreSQL target: rows streamed straight into COPY (pg-copy-streams), one connection and
 * stream per table and worker. Each (unit, table) is one transaction that also records the
 * checkpoint row `hds_dataset.chunks(run_id, tbl, unit)`: data and checkpoint commit together, so
 * a run killed at any point and restarted writes each missing (unit, table) exactly once — no
 * duplicates, no gaps (EXG_ENV_15). Keys, indexes and foreign keys are created after the load,
 * by whichever process (shard) sees every unit committed, under an advisory lock.
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Unit } from '../plan.ts';
import { DOMAINS, type Domain, type TableDef, TABLES } from '../tables.ts';
import { domainUrl, redact } from '../target.ts';
import type { FinalizeResult, Prepared, RunInfo, RunRequest, TargetSession, UnitWriter } from './types.ts';

export const META_SCHEMA = 'hds_dataset';
const FINALIZE_LOCK = 0x4d44_5331; // pg_advisory_lock key

const PG_TYPES: Record<string, string> = { bigint: 'bigint', integer: 'integer', text: 'text', date: 'date', timestamptz: 'timestamptz', boolean: 'boolean' };

export function createTableSql(t: TableDef): string {
  const cols = t.columns.map((c) => `${c.name} ${PG_TYPES[c.type]}${c.nullable ? '' : ' NOT NULL'}`).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${t.domain}.${t.name} (${cols})`;
}

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'hdsctl-dataset' });
  try {
    await c.connect();
  } catch (e) {
    throw new Error(`cannot connect to ${redact(url)}: ${(e as Error).message}`);
  }
  await c.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'");
  return c;
}

/** Connects to a domain database, creating it (from the `postgres` database) when the URL has `{domain}` and it is missing. */
async function connectDomain(url: string, domain: string): Promise<pg.Client> {
  const target = domainUrl(url, domain);
  if (!url.includes('{domain}')) return connect(target);
  try {
    return await connect(target);
  } catch (e) {
    if (!/does not exist/.test((e as Error).message)) throw e;
    const admin = new URL(target);
    const db = decodeURIComponent(admin.pathname.slice(1));
    admin.pathname = '/postgres';
    const c = await connect(admin.toString());
    try {
      await c.query(`CREATE DATABASE ${pg.escapeIdentifier(db)}`);
    } finally {
      await c.end();
    }
    return connect(target);
  }
}

interface RunRow {
  run_id: string;
  seed: string;
  first_user: string;
  users: string;
  professionals: string;
  chunk_size: number;
  profile_hash: string;
  format: string;
  finalized_at: Date | null;
}

export class PgSession implements TargetSession {
  private clients = new Map<Domain, pg.Client>();

  constructor(
    private readonly url: string,
    private readonly domains: readonly Domain[] = DOMAINS,
  ) {}

  private async client(d: Domain): Promise<pg.Client> {
    let c = this.clients.get(d);
    if (!c) {
      c = await connectDomain(this.url, d);
      this.clients.set(d, c);
    }
    return c;
  }

  async prepare(req: RunRequest, computeRun: (firstUser: number, professionals: number | null) => RunInfo): Promise<Prepared> {
    const runs: RunRow[] = [];
    let foreignTables = 0;
    for (const d of this.domains) {
      const c = await this.client(d);
      // The dataset owns its domain schemas only; other tables of the database (an
      // application's own, e.g. the lab's reference service in public) are not its business.
      const t = await c.query<{ n: string }>('SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1', [d]);
      foreignTables = Math.max(foreignTables, Number(t.rows[0]!.n));
      const has = await c.query(`SELECT 1 FROM pg_tables WHERE schemaname = '${META_SCHEMA}' AND tablename = 'runs'`);
      if (has.rowCount) runs.push(...(await c.query<RunRow>(`SELECT * FROM ${META_SCHEMA}.runs ORDER BY first_user`)).rows);
    }
    let run = computeRun(1, null);
    const same = runs.find((r) => r.run_id === run.id);
    if (!same && (runs.length > 0 || foreignTables > 0)) {
      const base = runs[0];
      const what = base ? `dataset seed ${base.seed}, ${base.users} users` : `${foreignTables} table(s)`;
      if (!req.append || !base) {
        throw new Error(
          `target ${redact(this.url)} is not empty (${what}); reset it with \`hdsctl dataset reset --env NAME\`${base ? ', or add users with --append' : ''}`,
        );
      }
      if (base.seed !== req.seed || base.profile_hash !== req.profileHash) {
        throw new Error(`--append needs the seed and profile of the dataset in place (seed ${base.seed}, profile ${base.profile_hash})`);
      }
      const unfinished = runs.find((r) => !r.finalized_at && Number(r.users) === req.users);
      const end = Math.max(...runs.map((r) => Number(r.first_user) + Number(r.users)));
      run = computeRun(unfinished ? Number(unfinished.first_user) : end, Number(base.professionals));
    }
    const existing = runs.find((r) => r.run_id === run.id);
    if (existing && existing.chunk_size !== req.chunkSize) throw new Error(`the run in ${redact(this.url)} was started with --chunk-size ${existing.chunk_size}; resume with the same value`);

    const appending = run.firstUser > 1;
    const done = new Map<string, Set<number>>();
    for (const d of this.domains) {
      const c = await this.client(d);
      if (appending) {
        // Tables are loaded by concurrent per-table transactions: in-domain foreign keys of the
        // dataset in place are dropped for the load and created again (validated) by finalize.
        for (const t of TABLES.filter((x) => x.domain === d)) {
          for (const fk of t.foreignKeys) await c.query(`ALTER TABLE IF EXISTS ${d}.${t.name} DROP CONSTRAINT IF EXISTS ${t.name}_${fk.columns.join('_')}_fkey`);
        }
      }
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${META_SCHEMA}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.runs (run_id text PRIMARY KEY, seed text NOT NULL, first_user bigint NOT NULL, users bigint NOT NULL,
        professionals bigint NOT NULL, chunk_size integer NOT NULL, profile_hash text NOT NULL, profile jsonb NOT NULL, format text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(), finalized_at timestamptz)`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.chunks (run_id text NOT NULL, tbl text NOT NULL, unit text NOT NULL, rows bigint NOT NULL,
        committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run_id, tbl, unit))`);
      await c.query(
        `INSERT INTO ${META_SCHEMA}.runs (run_id, seed, first_user, users, professionals, chunk_size, profile_hash, profile, format)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (run_id) DO NOTHING`,
        [run.id, run.seed, run.firstUser, run.users, run.professionals, run.chunkSize, run.profileHash, JSON.stringify(run.profile), run.format],
      );
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${d}`);
      for (const t of TABLES.filter((x) => x.domain === d)) await c.query(createTableSql(t));
      const rows = await c.query<{ tbl: string; unit: string }>(`SELECT tbl, unit FROM ${META_SCHEMA}.chunks WHERE run_id = $1`, [run.id]);
      for (const r of rows.rows) {
        const idx = TABLES.findIndex((t) => `${t.domain}.${t.name}` === r.tbl);
        if (idx < 0) continue;
        const s = done.get(r.unit) ?? new Set<number>();
        s.add(idx);
        done.set(r.unit, s);
      }
    }
    return { run, done, resumed: done.size > 0 };
  }

  async finalize(run: RunInfo, units: Unit[]): Promise<FinalizeResult> {
    let missing = 0;
    for (const d of this.domains) {
      const c = await this.client(d);
      const counts = await c.query<{ tbl: string; n: string }>(`SELECT tbl, count(*) AS n FROM ${META_SCHEMA}.chunks WHERE run_id = $1 GROUP BY tbl`, [run.id]);
      const have = new Map(counts.rows.map((r) => [r.tbl, Number(r.n)]));
      for (const t of TABLES.filter((x) => x.domain === d)) {
        const expected = units.filter((u) => u.kind === t.entity).length;
        missing += Math.max(0, expected - (have.get(`${t.domain}.${t.name}`) ?? 0));
      }
    }
    if (missing > 0) return { complete: false, missing, indexSeconds: 0 };
    const t0 = performance.now();
    await Promise.all(
      this.domains.map(async (d) => {
        const c = await this.client(d);
        await c.query('SELECT pg_advisory_lock($1)', [FINALIZE_LOCK]);
        try {
          await c.query("SET maintenance_work_mem = '256MB'");
          for (const t of TABLES.filter((x) => x.domain === d)) {
            for (const sql of constraintSql(t)) await c.query(sql);
            await c.query(`ANALYZE ${t.domain}.${t.name}`);
          }
          await c.query(`UPDATE ${META_SCHEMA}.runs SET finalized_at = coalesce(finalized_at, now()) WHERE run_id = $1`, [run.id]);
        } finally {
          await c.query('SELECT pg_advisory_unlock($1)', [FINALIZE_LOCK]);
        }
      }),
    );
    return { complete: true, missing: 0, indexSeconds: (performance.now() - t0) / 1000 };
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.end().catch(() => undefined)));
    this.clients.clear();
  }
}

/** Idempotent DDL for the keys, indexes and in-domain foreign keys of a table. */
function constraintSql(t: TableDef): string[] {
  const q = `${t.domain}.${t.name}`;
  const pk = `${t.name}_pkey`;
  const out = [
    `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '${pk}' AND connamespace = '${t.domain}'::regnamespace) THEN ALTER TABLE ${q} ADD CONSTRAINT ${pk} PRIMARY KEY (${t.primaryKey.join(', ')}); END IF; END $$`,
  ];
  for (const cols of t.indexes) out.push(`CREATE INDEX IF NOT EXISTS ${t.name}_${cols.join('_')}_idx ON ${q} (${cols.join(', ')})`);
  for (const fk of t.foreignKeys) {
    const name = `${t.name}_${fk.columns.join('_')}_fkey`;
    out.push(
      `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '${name}' AND connamespace = '${t.domain}'::regnamespace) THEN ALTER TABLE ${q} ADD CONSTRAINT ${name} FOREIGN KEY (${fk.columns.join(', ')}) REFERENCES ${t.domain}.${fk.table} (${fk.references.join(', ')}); END IF; END $$`,
    );
  }
  return out;
}

type CopyStream = ReturnType<typeof copyFrom>;

/** Bytes buffered per COPY stream before the generator waits (memory bound: tables × workers × this). */
const MAX_BUFFERED = 2 * 1024 * 1024;
/** Bytes gathered per COPY stream before one write: 1 MiB CopyData messages, few socket writes. */
const STAGE_BYTES = 1024 * 1024;

export class PgWriter implements UnitWriter {
  private clients: Array<pg.Client | null> = TABLES.map(() => null);
  private streams: Array<CopyStream | null> = TABLES.map(() => null);
  private errors: Array<Promise<never> | null> = TABLES.map(() => null);
  /** Per stream, bytes copied from the sink's reused buffers and not written yet. */
  private stages: Array<Buffer | null> = TABLES.map(() => null);
  private staged: number[] = TABLES.map(() => 0);

  constructor(
    private readonly url: string,
    private readonly runId: string,
  ) {}

  private async client(t: number): Promise<pg.Client> {
    let c = this.clients[t];
    if (!c) {
      c = await connect(domainUrl(this.url, TABLES[t]!.domain));
      // For the whole session (it used to be SET LOCAL in every unit's transaction: one round
      // trip less per unit): commits do not wait for the WAL flush. A server crash can lose the
      // last units committed (well under a second), which a restart writes again since data and
      // checkpoint row commit together; the tables stay logged (WAL), nothing else changes.
      await c.query('SET synchronous_commit TO off');
      this.clients[t] = c;
    }
    return c;
  }

  async begin(_unit: Unit, enabled: boolean[]): Promise<void> {
    await Promise.all(
      enabled.map(async (on, t) => {
        if (!on) return;
        const c = await this.client(t);
        await c.query('BEGIN');
        const s = c.query(copyFrom(`COPY ${TABLES[t]!.domain}.${TABLES[t]!.name} FROM STDIN`));
        this.streams[t] = s;
        this.errors[t] = new Promise<never>((_, reject) => s.once('error', reject));
        this.errors[t]!.catch(() => undefined);
      }),
    );
  }

  /** Hands the staged bytes of stream t to it (the stage buffer goes with them). */
  private writeStage(t: number): void {
    const stage = this.stages[t];
    if (!stage || this.staged[t] === 0) return;
    this.streams[t]!.write(stage.subarray(0, this.staged[t]));
    this.stages[t] = null;
    this.staged[t] = 0;
  }

  write(t: number, data: string | Uint8Array): undefined | Promise<void> {
    const s = this.streams[t];
    if (!s) return undefined;
    if (typeof data === 'string') {
      this.writeStage(t);
      s.write(data);
    } else {
      // The bytes are the sink's reused buffer: copy them into this stream's stage.
      if (this.staged[t]! + data.length > STAGE_BYTES) this.writeStage(t);
      if (data.length > STAGE_BYTES) s.write(Buffer.from(data));
      else {
        let stage = this.stages[t];
        if (!stage) {
          stage = Buffer.allocUnsafeSlow(STAGE_BYTES);
          this.stages[t] = stage;
        }
        stage.set(data, this.staged[t]);
        this.staged[t]! += data.length;
        if (this.staged[t]! <= STAGE_BYTES - 128 * 1024) return undefined; // room for another sink buffer
        this.writeStage(t);
      }
    }
    // Keep up to MAX_BUFFERED in flight per stream: waiting for 'drain' at every write would make
    // the generator and the server take turns instead of working at the same time.
    if (s.writableLength < MAX_BUFFERED) return undefined;
    return Promise.race([new Promise<void>((resolve) => s.once('drain', () => resolve())), this.errors[t]!]);
  }

  async commit(unit: Unit, rows: number[]): Promise<void> {
    await Promise.all(
      this.streams.map(async (s, t) => {
        if (!s) return;
        this.writeStage(t);
        await Promise.race([new Promise<void>((resolve) => s.end(() => resolve())), this.errors[t]!]);
        const c = this.clients[t]!;
        const tbl = `${TABLES[t]!.domain}.${TABLES[t]!.name}`;
        await c.query(`INSERT INTO ${META_SCHEMA}.chunks (run_id, tbl, unit, rows) VALUES ($1, $2, $3, $4)`, [this.runId, tbl, unit.key, rows[t] ?? 0]);
        await c.query('COMMIT');
        this.streams[t] = null;
      }),
    );
  }

  async abort(): Promise<void> {
    await Promise.all(
      this.streams.map(async (s, t) => {
        if (!s) return;
        s.destroy();
        this.streams[t] = null;
        this.stages[t] = null;
        this.staged[t] = 0;
        const c = this.clients[t];
        this.clients[t] = null;
        await c?.end().catch(() => undefined);
      }),
    );
  }

  async close(): Promise<void> {
    await this.abort();
    await Promise.all(this.clients.map((c) => c?.end().catch(() => undefined)));
    this.clients = TABLES.map(() => null);
  }
}
