/**
 * Runs a drill against the running lab: checks the lab is up and healthy (leader + synchronous
 * standby), starts the observer and the workload, injects each fault in turn, holds it, heals
 * it, waits until the cluster is whole again, then stops the workload, checks every
 * acknowledged write on the final leader and on the standby, and writes the run directory —
 * ledger, observations, log excerpts, their SHA-256, and the PV (JSON, Markdown, HTML) —
 * atomically (`<id>.partial/` renamed to `<id>/` at the end). Faults are always healed, also
 * when the drill fails half-way.
 */
import { createHash } from 'node:crypto';
import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { labComponents } from '../lab/components/all.ts';
import { labCephAdmin, labCephExpectation, labDocumentsS3, labHasCeph } from '../lab/components/ceph.ts';
import { edgeSites, objectGateways, refserviceDomain } from '../lab/edgeEndpoints.ts';
import { etcdMembers, haproxyEndpoints, patroniNodes } from '../lab/endpoints.ts';
import { labStatus } from '../lab/lab.ts';
import { appClient, replicationState } from '../lab/probes.ts';
import { logPath } from '../lab/supervisor.ts';
import { wafRequest } from '../lab/wafClient.ts';
import { cephHealth } from '../runtime/ceph/health.ts';
import type { LabPlan } from '../lab/types.ts';
import { sloFor } from '../model/slo.ts';
import { analyseFault, check, type FaultWindow, type ReadBack, seriesOf } from './analysis.ts';
import { healAll, injectFault } from './faults.ts';
import { type Observation, startObserver } from './observe.ts';
import { writePv } from './pv/index.ts';
import type { DrillRun, EvidenceFile, FaultSpec, LedgerEntry, LogExcerpt } from './types.ts';
import { DRILL_CATEGORY, DRILL_SCHEMA, startWorkload } from './workload.ts';

export const RTO_TARGET_SECONDS = 30;

export interface DrillOptions {
  plan: LabPlan;
  title: string;
  kind: DrillRun['kind'];
  faults: FaultSpec[];
  /** Operations per second per writer. */
  rate: number;
  operator: string;
  /** Where run directories go (git-ignored). */
  runsDir: string;
  /** The environments directory the plan came from (the per-site workload agents load it again); default the shipped one. */
  environmentsDir?: string;
  lang: 'fr' | 'en';
  log(line: string): void;
  /** Seconds of workload before the first fault and after the last one is healed. */
  warmupSeconds?: number;
  /** Longest wait for leader + synchronous standby after healing. */
  recoverSeconds?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function drillsDir(plan: LabPlan): string {
  return join(plan.stateDir, '..', 'drills');
}

/** The leader and the synchronous standby its pg_stat_replication shows streaming (probes.ts). */
async function clusterState(plan: LabPlan, domain: string): Promise<{ leader?: string; sync?: string }> {
  const r = await replicationState(plan, domain).catch(() => undefined);
  return { ...(r?.leader ? { leader: r.leader } : {}), ...(r?.syncStandby ? { sync: r.syncStandby } : {}) };
}

async function waitHealthy(plan: LabPlan, domain: string, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const s = await clusterState(plan, domain);
    if (s.leader && s.sync) return true;
    await sleep(500);
  }
  return false;
}

/** Byte sizes of the lab's process logs, to cut excerpts between two instants. */
function logSizes(plan: LabPlan, names: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of names) {
    try {
      m.set(n, statSync(logPath(plan.stateDir, n)).size);
    } catch {
      m.set(n, 0);
    }
  }
  return m;
}

/** Routine lines dropped from excerpts: Patroni's heartbeat, and the tracebacks of health checks that close TLS abruptly. */
const ROUTINE =
  /INFO: no action\.|Exception happened during processing of request|^\s|Traceback \(most recent call last\)|^[A-Za-z.]*Error: |archive-push command (?:begin|end)|pushed WAL file/;

/** The lines of a process log worth reading in a PV. */
export function relevantLines(lines: string[]): string[] {
  return lines.filter((l) => l.trim() !== '' && !ROUTINE.test(l));
}

async function excerpt(plan: LabPlan, name: string, from: number, to: number, max = 20): Promise<string[]> {
  if (to <= from) return [];
  const f = await open(logPath(plan.stateDir, name), 'r').catch(() => undefined);
  if (!f) return [];
  try {
    const len = Math.min(to - from, 256 * 1024);
    const buf = Buffer.alloc(len);
    await f.read(buf, 0, len, from);
    const lines = relevantLines(buf.toString('utf8').split('\n'));
    return lines.length <= max ? lines : [...lines.slice(0, max - 5), `… ${lines.length - max + 1} more lines …`, ...lines.slice(-4)];
  } finally {
    await f.close();
  }
}

/** ids the domain's database holds for this run, read through a HAProxy port (write: the leader; read: the standby). */
async function presentIds(plan: LabPlan, domain: string, runId: string, port: 'write' | 'read'): Promise<Set<string> | undefined> {
  for (const h of haproxyEndpoints(plan)) {
    const c = h.clusters.find((x) => x.domain === domain)!;
    let client: pg.Client | undefined;
    try {
      client = await appClient(plan, domain, h.address, port === 'write' ? c.writePort : c.readPort, 3000);
      const sql = await client.query<{ id: string }>(`select id from ${DRILL_SCHEMA}.ledger where run = $1`, [runId]);
      const api = await client.query<{ id: string }>('select id::text as id from documents where patient_id = $1 and category = $2', [
        `drill-${runId}`.slice(0, 64),
        DRILL_CATEGORY,
      ]);
      return new Set([...sql.rows, ...api.rows].map((r) => r.id));
    } catch {
      // try the other site's HAProxy
    } finally {
      if (client) await client.end().catch(() => undefined);
    }
  }
  return undefined;
}

/** Concurrent reads of the read-back (through the WAFs, as the users read). */
const READ_BACK_CONCURRENCY = 4;

/**
 * Reads every acknowledged API document back through the WAFs, alternating the sites (a document
 * written in DC1 is read through DC2 half the time), the other site on a failure; bounded by
 * `budgetMs` in all (what is not read by then is reported as not read back).
 */
export async function readBackDocuments(plan: LabPlan, ids: string[], budgetMs = 180_000): Promise<Map<string, ReadBack>> {
  const edges = edgeSites(plan);
  const out = new Map<string, ReadBack>();
  const deadline = Date.now() + budgetMs;
  let next = 0;
  const readOne = async (id: string, i: number): Promise<ReadBack> => {
    let last: ReadBack = { error: 'not read' };
    for (let k = 0; k < edges.length; k++) {
      const e = edges[(i + k) % edges.length]!;
      try {
        const r = await wafRequest(plan, `${e.waf.url}/documents/${encodeURIComponent(id)}`, { timeoutMs: 10_000 });
        if (r.status !== 200) {
          last = { error: `HTTP ${r.status} through the WAF of ${e.site.id}` };
          continue;
        }
        const content = Buffer.from((JSON.parse(r.body) as { contentBase64: string }).contentBase64, 'base64');
        return { sha256: createHash('sha256').update(content).digest('hex') };
      } catch (err) {
        last = { error: `${(err as Error).message.split('\n')[0]} through the WAF of ${e.site.id}` };
      }
    }
    return last;
  };
  await Promise.all(
    Array.from({ length: READ_BACK_CONCURRENCY }, async () => {
      while (next < ids.length && Date.now() < deadline) {
        const i = next++;
        out.set(ids[i]!, await readOne(ids[i]!, i));
      }
    }),
  );
  return out;
}

/** Waits (bounded) for the object store to be healthy again: HEALTH_OK, every PG active+clean. Undefined: the lab has no Ceph. */
async function objectStoreHealthy(plan: LabPlan, timeoutMs: number): Promise<boolean | undefined> {
  if (!labHasCeph(plan)) return undefined;
  const admin = labCephAdmin(plan);
  const want = labCephExpectation(plan);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await cephHealth(admin, want);
      return true;
    } catch {
      if (Date.now() >= deadline) return false;
      await sleep(2000);
    }
  }
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function runIdOf(title: string, at: Date): string {
  return `${at
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z')}-${title
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40)}`;
}

export async function runDrill(o: DrillOptions): Promise<{ run: DrillRun; dir: string }> {
  const { plan } = o;
  const domain = refserviceDomain(plan);
  const status = await labStatus(plan, { components: labComponents(plan) });
  if (!status.up) throw new Error('the lab is not up: run `hdsctl lab up` first');
  if (!(await waitHealthy(plan, domain, 30)))
    throw new Error(`the ${domain} cluster has no leader + synchronous standby: the drill needs a healthy cluster to start from`);
  await healAll(plan); // leftovers of a crashed drill
  // A drill starts from a healthy object store too (a previous drill's site may still be recovering).
  if ((await objectStoreHealthy(plan, 180_000)) === false)
    throw new Error('the Ceph cluster is not HEALTH_OK with every PG active+clean: the drill needs a healthy object store to start from');

  const started = new Date();
  const id = runIdOf(o.title, started);
  const partial = join(o.runsDir, `${id}.partial`);
  mkdirSync(partial, { recursive: true, mode: 0o750 });
  const ledgerFile = join(partial, 'ledger.ndjson');
  writeFileSync(ledgerFile, '');
  const ledger: LedgerEntry[] = [];
  const epoch = started.getTime();
  const warmup = (o.warmupSeconds ?? 5) * 1000;
  const logNames = [
    ...patroniNodes(plan, domain).map((n) => n.process),
    ...haproxyEndpoints(plan).map((h) => h.process),
    ...etcdMembers(plan).map((m) => m.name),
    ...edgeSites(plan).map((e) => e.refservice.process),
  ];

  const observer = startObserver(plan, domain, epoch);
  const workload = startWorkload({
    plan,
    ...(o.environmentsDir !== undefined ? { environmentsDir: o.environmentsDir } : {}),
    domain,
    runId: id,
    epoch,
    rate: o.rate,
    record: (e) => {
      ledger.push(e);
      appendFileSync(ledgerFile, `${JSON.stringify(e)}\n`);
    },
  });
  const windows: FaultWindow[] = [];
  const excerpts: LogExcerpt[] = [];
  try {
    await workload.ready();
    await sleep(warmup);
    // Faults healed but not yet recovered from: a combined fault (whileHealing) joins them.
    let pending: FaultWindow[] = [];
    let before = logSizes(plan, logNames);
    for (const [i, spec] of o.faults.entries()) {
      if (pending.length === 0) before = logSizes(plan, logNames);
      const injectedAt = Date.now() - epoch;
      const f = await injectFault(
        {
          plan,
          domain,
          leader: async () => {
            const s = await clusterState(plan, domain);
            if (!s.leader) throw new Error('no leader to target');
            return s.leader;
          },
          log: o.log,
        },
        spec,
      );
      o.log(
        `+${(injectedAt / 1000).toFixed(1)}s injected: ${f.description}; holding ${spec.holdSeconds} s${spec.whileHealing ? ' (while the previous fault heals)' : ''}`,
      );
      const w: FaultWindow = { spec, ...(f.site ? { site: f.site } : {}), description: f.description, injectedAt, healedAt: injectedAt };
      windows.push(w);
      pending.push(w);
      try {
        await sleep(spec.holdSeconds * 1000);
      } finally {
        w.healStartedAt = Date.now() - epoch;
        await f.heal();
        w.healedAt = Date.now() - epoch;
        if (spec.kind === 'switchover') w.failbackAt = w.healedAt;
        o.log(`+${(w.healedAt / 1000).toFixed(1)}s healed`);
      }
      if (o.faults[i + 1]?.whileHealing) continue;
      const healthy = await waitHealthy(plan, domain, o.recoverSeconds ?? 120);
      const at = Date.now() - epoch;
      for (const p of pending) if (healthy) p.healthyAt = at;
      pending = [];
      o.log(healthy ? `+${(at / 1000).toFixed(1)}s leader + synchronous standby again` : 'NOT back to leader + synchronous standby');
      const after = logSizes(plan, logNames);
      for (const n of logNames) {
        const lines = await excerpt(plan, n, before.get(n) ?? 0, after.get(n) ?? 0);
        if (lines.length) excerpts.push({ fault: i + 1, event: 'injected', source: n, lines });
      }
      await sleep(warmup);
    }
  } finally {
    await healAll(plan).catch(() => undefined);
    await workload.stop();
    await observer.stop();
  }

  // Checker: the final leader holds every acknowledged write; the standby too once caught up.
  const onLeader = (await presentIds(plan, domain, id, 'write')) ?? new Set<string>();
  let onStandby = new Set<string>();
  for (let i = 0; i < 30; i++) {
    onStandby = (await presentIds(plan, domain, id, 'read')) ?? new Set<string>();
    if ([...onLeader].every((x) => onStandby.has(x))) break;
    await sleep(1000);
  }
  // The object store back to HEALTH_OK (PGs re-peered and recovered), then every acknowledged
  // document's content read back through the WAFs and compared with what was written.
  const t0 = Date.now();
  const storeHealthy = await objectStoreHealthy(plan, o.recoverSeconds !== undefined ? o.recoverSeconds * 1000 : 180_000);
  if (storeHealthy !== undefined)
    o.log(
      storeHealthy ? `object store HEALTH_OK again (${((Date.now() - t0) / 1000).toFixed(1)} s after the checks began)` : 'object store NOT back to HEALTH_OK',
    );
  const toRead = ledger.filter((e) => e.outcome === 'ok' && e.path === 'api' && e.contentSha256 !== undefined && onLeader.has(e.id)).map((e) => e.id);
  const readBack = await readBackDocuments(plan, toRead);
  o.log(`read back ${readBack.size} of ${toRead.length} acknowledged documents through the WAFs`);
  const checker = check(ledger, onLeader, onStandby, readBack);
  const lostSet = new Set(checker.lost);
  const siteOfLeader = (name: string) => patroniNodes(plan, domain).find((n) => n.name === name)?.site.id;
  // The lab stands for production's design: its drills spend production's budget (43 min 12 s).
  const targets = { rtoSeconds: RTO_TARGET_SECONDS, dimaMonthSeconds: sloFor('production').monthlyBudgetSeconds };
  const faults = windows.map((w, i) => {
    const until = windows[i + 1]?.injectedAt ?? Number.POSITIVE_INFINITY;
    const lost = ledger.filter((e) => lostSet.has(e.id) && e.end >= w.injectedAt - warmup && e.start < until).length;
    return analyseFault(w, ledger, observer.observations, lost, siteOfLeader, targets);
  });

  writeFileSync(
    join(partial, 'observations.ndjson'),
    observer.observations.map((x: Observation) => JSON.stringify(x)).join('\n') + (observer.observations.length ? '\n' : ''),
  );
  writeFileSync(join(partial, 'excerpts.json'), `${JSON.stringify(excerpts, null, 2)}\n`);
  const evidence: EvidenceFile[] = [
    ['ledger.ndjson', 'every operation of the workload (ok / failed / unknown)'],
    ['observations.ndjson', 'Patroni leader, synchronous standby and HAProxy write servers, twice a second'],
    ['excerpts.json', 'process log lines written during each fault'],
  ].map(([path, what]) => ({ path: path!, what: what!, sha256: sha256(join(partial, path!)), bytes: statSync(join(partial, path!)).size }));

  const run: DrillRun = {
    id,
    kind: o.kind,
    title: o.title,
    environment: plan.topology.environment.name,
    operator: o.operator,
    startedAt: started.toISOString(),
    endedAt: new Date().toISOString(),
    targets: { rtoSeconds: targets.rtoSeconds, lostWrites: 0, dimaMonthSeconds: targets.dimaMonthSeconds },
    workload: { ratePerWriter: o.rate, writers: workload.writers },
    faults,
    checker,
    series: seriesOf(ledger),
    excerpts,
    evidence,
    verdict: checker.verdict === 'pass' && faults.every((f) => f.verdict === 'pass') ? 'pass' : 'fail',
    rex: '',
  };
  writePv(partial, run, o.lang);
  const dir = join(o.runsDir, id);
  renameSync(partial, dir);
  return { run, dir };
}

/** Deletes documents' objects (S3 multi-delete, 1000 a request) through the first gateway that answers; returns how many went. */
async function deleteDocumentObjects(plan: LabPlan, keys: string[]): Promise<number> {
  let last: unknown;
  for (const gw of objectGateways(plan)) {
    const { client, bucket } = await labDocumentsS3(plan, gw);
    try {
      let deleted = 0;
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const r = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
        if (r.Errors?.length) throw new Error(`${r.Errors.length} objects not deleted (first: ${r.Errors[0]?.Code ?? '?'})`);
        deleted += batch.length;
      }
      return deleted;
    } catch (err) {
      last = err;
    } finally {
      client.destroy();
    }
  }
  throw new Error(`the drill documents' objects could not be deleted through any gateway: ${(last as Error)?.message ?? 'no gateway'}`);
}

/** Drops the drill schema and the drill documents of the domain (`hdsctl drill cleanup`). */
export async function cleanupDrillData(plan: LabPlan): Promise<{ documents: number; objects: number }> {
  const domain = refserviceDomain(plan);
  for (const h of haproxyEndpoints(plan)) {
    const c = h.clusters.find((x) => x.domain === domain)!;
    let client: pg.Client | undefined;
    try {
      client = await appClient(plan, domain, h.address, c.writePort, 3000);
      await client.query(`drop schema if exists ${DRILL_SCHEMA} cascade`);
      // Rows first, then their objects: a failure in between leaves orphan objects (harmless), never a row without its content.
      const r = await client.query<{ content_object: string | null }>(
        "delete from documents where category = $1 and patient_id like 'drill-%' returning content_object",
        [DRILL_CATEGORY],
      );
      const keys = r.rows.flatMap((x) => (x.content_object ? [x.content_object] : []));
      const objects = keys.length > 0 ? await deleteDocumentObjects(plan, keys) : 0;
      return { documents: r.rowCount ?? 0, objects };
    } catch {
      // the other site's HAProxy
    } finally {
      if (client) await client.end().catch(() => undefined);
    }
  }
  throw new Error(`no HAProxy write endpoint of ${domain} answered`);
}
