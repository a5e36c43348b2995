/**
 * The drill workload: bounded in rate and time, through the real paths, every operation in the
 * ledger. Per site with a WAF: an API writer (POST /documents through the site's WAF → reference
 * service → HAProxy → leader) and an SQL writer (INSERT into drill.ledger through the site's
 * HAProxy write port, as the domain's application role). Each site's writers run INSIDE that
 * site's namespace (a `hdsctl drill agent` child per site, its ledger entries streamed back as
 * JSON lines): a lost site's own users and applications keep writing to their local WAF and
 * HAProxy, as they would in a real datacenter cut off from the others — so an isolated old
 * leader that acknowledged a write would be caught by the checker.
 *
 * Outcomes: ok (acknowledged), failed (refused before anything could commit: connection refused,
 * HTTP 4xx/502/503), unknown (timed out or cut after the request was sent: it may have
 * committed). Drill rows live in their own schema (`drill`), apart from business data; the API
 * documents carry the patient id `drill-<run>` and category DRILL; `--cleanup` removes both.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  /** Resolves once every writer recorded a first operation (the agents are up). */
  ready(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** One site's writers (`hdsctl drill agent` runs this inside the site's namespace). */
export interface SiteWriterOptions extends WorkloadOptions {
  site: string;
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

export function startSiteWriters(o: SiteWriterOptions): Workload {
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

  for (const e of edgeSites(o.plan).filter((x) => x.site.id === o.site)) {
    const apiWriter = `api-${e.site.id}`;
    writers.push(apiWriter);
    loops.push(
      (async () => {
        while (!stopping) {
          const t0 = Date.now();
          const id = nextId(apiWriter);
          const entry: LedgerEntry = { id, writer: apiWriter, path: 'api', site: e.site.id, start: now(), end: 0, outcome: 'unknown' };
          const content = randomBytes(48);
          entry.contentSha256 = createHash('sha256').update(content).digest('hex');
          try {
            const r = await wafRequest(o.plan, `${e.waf.url}/documents`, {
              method: 'POST',
              body: { title: id, patientId: `drill-${o.runId}`.slice(0, 64), category: DRILL_CATEGORY, contentBase64: content.toString('base64') },
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

  for (const h of haproxyEndpoints(o.plan).filter((x) => x.site.id === o.site)) {
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
    ready: async () => {},
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** The sites that have writers: those with a WAF or a HAProxy. */
export function writerSites(plan: LabPlan): Array<{ id: string; netns: string }> {
  const out = new Map<string, string>();
  for (const e of edgeSites(plan)) out.set(e.site.id, e.site.netns);
  for (const h of haproxyEndpoints(plan)) out.set(h.site.id, h.site.netns);
  return [...out].map(([id, netns]) => ({ id, netns }));
}

const HDSCTL = fileURLToPath(new URL('../../bin/hdsctl.js', import.meta.url));

/**
 * Starts one `hdsctl drill agent` per site inside the site's namespace and records what they
 * stream back. Stopping sends SIGTERM (each agent finishes its operations in flight, at most
 * OP_TIMEOUT_MS) and waits for every agent to exit.
 */
export function startWorkload(o: WorkloadOptions & { environmentsDir?: string }): Workload {
  // The agents rebuild the same plan: same environment, same state directory (<root>/<env>).
  const env = o.plan.topology.environment.name;
  if (basename(o.plan.stateDir) !== env) throw new Error(`the lab state directory ${o.plan.stateDir} does not end with the environment name ${env}`);
  const agents: Array<{ site: string; child: ReturnType<typeof spawn>; done: Promise<void>; stderr: string[] }> = [];
  const writers: string[] = [];
  const seen = new Set<string>();
  for (const s of writerSites(o.plan)) {
    writers.push(
      ...edgeSites(o.plan)
        .filter((e) => e.site.id === s.id)
        .map(() => `api-${s.id}`),
      ...haproxyEndpoints(o.plan)
        .filter((h) => h.site.id === s.id)
        .map(() => `sql-${s.id}`),
    );
    const args = [
      'netns',
      'exec',
      s.netns,
      process.execPath,
      HDSCTL,
      'drill',
      'agent',
      '--env',
      env,
      ...(o.environmentsDir ? ['--dir', o.environmentsDir] : []),
      '--site',
      s.id,
      '--domain',
      o.domain,
      '--run',
      o.runId,
      '--epoch',
      String(o.epoch),
      '--rate',
      String(o.rate),
    ];
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HDS_STATE_DIR: dirname(o.plan.stateDir), NO_COLOR: '1' } });
    const stderr: string[] = [];
    let buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) {
          try {
            const e = JSON.parse(line) as LedgerEntry;
            seen.add(e.writer);
            o.record(e);
          } catch {
            stderr.push(`unreadable ledger line: ${line.slice(0, 120)}`);
          }
        }
        nl = buf.indexOf('\n');
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => {
      stderr.push(...c.split('\n').filter(Boolean));
      if (stderr.length > 50) stderr.splice(0, stderr.length - 50);
    });
    const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
    agents.push({ site: s.id, child, done, stderr });
  }
  return {
    writers,
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (writers.some((w) => !seen.has(w))) {
        const gone = agents.find((a) => a.child.exitCode !== null || a.child.signalCode !== null);
        if (gone) throw new Error(`drill agent of ${gone.site} exited: ${gone.stderr.slice(-5).join(' | ') || 'no output'}`);
        if (Date.now() > deadline) throw new Error(`drill agents not writing after ${timeoutMs / 1000} s: ${writers.filter((w) => !seen.has(w)).join(', ')}`);
        await sleep(200);
      }
    },
    async stop() {
      for (const a of agents) a.child.kill('SIGTERM');
      const deadline = sleep(OP_TIMEOUT_MS + 7000).then(() => 'timeout' as const);
      for (const a of agents) {
        if ((await Promise.race([a.done.then(() => 'done' as const), deadline])) === 'timeout') {
          a.child.kill('SIGKILL');
          await a.done;
        }
        if (a.child.exitCode !== 0 && a.child.signalCode !== 'SIGTERM')
          throw new Error(`drill agent of ${a.site} exited with ${a.child.exitCode ?? a.child.signalCode}: ${a.stderr.slice(-5).join(' | ')}`);
      }
    },
  };
}
