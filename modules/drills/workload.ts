/**
 * The drill workload: bounded in rate and time, through the real paths, every operation in the
 * ledger. Per site with a WAF: an API writer (POST /documents through the site's WAF → reference
 * service → HAProxy → leader) and an SQL writer (INSERT into drill.ledger through the site's
 * HAProxy write port, as the domain's application role). Clients run from the host: on the
 * users' side of the WAFs and the applications' side of HAProxy, over the lab bridge.
 *
 * Outcomes: ok (acknowledged), failed (refused before anything could commit: connection refused,
 * HTTP 4xx/502/503), unknown (timed out or cut after the request was sent: it may have
 * committed). Drill rows live in their own schema (`drill`), apart from business data; the API
 * documents carry the patient id `drill-<run>` and category DRILL; `--cleanup` removes both.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { edgeSites } from '../lab/edgeEndpoints.ts';
import { haproxyEndpoints } from '../lab/endpoints.ts';
import { appClient } from '../lab/probes.ts';
import type { LabPlan } from '../lab/types.ts';
import { wafRequest } from '../lab/wafClient.ts';
import type { LedgerEntry } from './types.ts';

export const DRILL_SCHEMA = 'drill';
export const DRILL_CATEGORY = 'DRILL';
/** An operation that takes longer than this is an unknown (may have committed). */
export const OP_TIMEOUT_MS = 3000;

export interface WorkloadOptions {
  plan: LabPlan;
  domain: string;
  runId: string;
  /** ms timestamp of the run's epoch. */
  epoch: number;
  /** Operations per second per writer. */
  rate: number;
  /** Appends an entry (the ledger file writer). */
  record(e: LedgerEntry): void;
}

export interface Workload {
  writers: string[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function classifySqlError(e: unknown): 'failed' | 'unknown' {
  const msg = e instanceof Error ? e.message : String(e);
  // Refused before the commit could happen: connect errors, read-only replica, auth.
  if (
    /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|read-only transaction|cannot execute|password authentication|the database system is (starting up|shutting down)|Connection terminated due to connection timeout|timeout expired/i.test(
      msg,
    )
  )
    return msg.includes('Query read timeout') ? 'unknown' : 'failed';
  return 'unknown';
}

function shortError(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 160);
}

/** `DRILL_SCHEMA.ledger`, created by the application role (owner of the domain database). */
export async function ensureDrillSchema(client: pg.Client): Promise<void> {
  await client.query(`create schema if not exists ${DRILL_SCHEMA}`);
  await client.query(
    `create table if not exists ${DRILL_SCHEMA}.ledger (id text primary key, run text not null, writer text not null, at timestamptz not null default now())`,
  );
}

export function startWorkload(o: WorkloadOptions): Workload {
  let stopping = false;
  const loops: Promise<void>[] = [];
  const writers: string[] = [];
  const interval = 1000 / o.rate;
  const now = () => Date.now() - o.epoch;
  let seq = 0;
  const nextId = (writer: string) => `${o.runId}.${writer}.${(seq++).toString(36)}`;

  const pace = async (started: number) => {
    const wait = interval - (Date.now() - started);
    if (wait > 0) await sleep(wait);
  };

  for (const e of edgeSites(o.plan)) {
    const apiWriter = `api-${e.site.id}`;
    writers.push(apiWriter);
    loops.push(
      (async () => {
        while (!stopping) {
          const t0 = Date.now();
          const id = nextId(apiWriter);
          const entry: LedgerEntry = { id, writer: apiWriter, path: 'api', site: e.site.id, start: now(), end: 0, outcome: 'unknown' };
          try {
            const r = await wafRequest(o.plan, `${e.waf.url}/documents`, {
              method: 'POST',
              body: { title: id, patientId: `drill-${o.runId}`.slice(0, 64), category: DRILL_CATEGORY, contentBase64: randomBytes(48).toString('base64') },
              timeoutMs: OP_TIMEOUT_MS,
            });
            if (r.status === 201) {
              entry.outcome = 'ok';
              entry.id = (JSON.parse(r.body) as { id: string }).id;
            } else {
              entry.outcome = r.status === 504 ? 'unknown' : 'failed';
              entry.error = `HTTP ${r.status}`;
            }
          } catch (err) {
            const msg = shortError(err);
            entry.outcome = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH/.test(msg) ? 'failed' : 'unknown';
            entry.error = msg;
          }
          entry.end = now();
          o.record(entry);
          await pace(t0);
        }
      })(),
    );
  }

  for (const h of haproxyEndpoints(o.plan)) {
    const sqlWriter = `sql-${h.site.id}`;
    const port = h.clusters.find((c) => c.domain === o.domain)!.writePort;
    writers.push(sqlWriter);
    loops.push(
      (async () => {
        let client: pg.Client | undefined;
        while (!stopping) {
          const t0 = Date.now();
          const id = nextId(sqlWriter);
          const entry: LedgerEntry = { id, writer: sqlWriter, path: 'sql', site: h.site.id, start: now(), end: 0, outcome: 'unknown' };
          try {
            if (!client) {
              client = await appClient(o.plan, o.domain, h.address, port, OP_TIMEOUT_MS);
              await ensureDrillSchema(client);
            }
            const r = await client.query<{ server: string; tl: number }>({
              text: `insert into ${DRILL_SCHEMA}.ledger (id, run, writer) values ($1, $2, $3) returning inet_server_addr()::text as server, ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int as tl`,
              values: [id, o.runId, sqlWriter],
            });
            entry.outcome = 'ok';
            entry.server = r.rows[0]!.server.replace(/\/32$/, '');
            entry.timeline = Number(r.rows[0]!.tl);
          } catch (err) {
            entry.outcome = client ? classifySqlError(err) : 'failed';
            entry.error = shortError(err);
            const c = client;
            client = undefined;
            if (c) void c.end().catch(() => undefined);
          }
          entry.end = now();
          o.record(entry);
          await pace(t0);
        }
        if (client) await client.end().catch(() => undefined);
      })(),
    );
  }

  return {
    writers,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}
