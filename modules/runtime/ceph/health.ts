/**
 * Is the cluster ready? Ceph reports HEALTH_OK while placement groups are still peering (the
 * manager has not seen them yet), so readiness is HEALTH_OK AND every PG active+clean AND every
 * expected monitor in quorum AND every OSD up and in — read from one `ceph status -f json`.
 * Stretch mode and its tie-breaker come from `ceph mon dump -f json`. The parsers are pure and
 * tested on outputs captured from Ceph 16.2.15.
 */
import { type CephAdmin, cephJson } from './cli.ts';

export interface CephStatusSummary {
  fsid: string;
  /** HEALTH_OK, HEALTH_WARN or HEALTH_ERR. */
  health: string;
  /** Health check codes with their summaries, e.g. `PG_DEGRADED: Degraded data redundancy: …`. */
  checks: string[];
  quorum: string[];
  monitors: number;
  osds: { total: number; up: number; in: number };
  pgs: { total: number; activeClean: number; byState: Record<string, number> };
  pools: number;
  objects: number;
  bytes: { used: number; avail: number; total: number };
  managerAvailable: boolean;
  /** Daemons of each service the manager's service map knows (rgw: the gateways that registered). */
  services: Record<string, number>;
}

type Json = Record<string, unknown>;

const obj = (v: unknown, what: string): Json => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`ceph status: ${what} is not an object`);
  return v as Json;
};
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The summary of `ceph status -f json` (Ceph 16). Throws on a document that is not one. */
export function parseCephStatus(json: unknown): CephStatusSummary {
  const s = obj(json, 'the document');
  const health = obj(s.health, 'health');
  if (typeof health.status !== 'string') throw new Error('ceph status: health.status is missing');
  const checks = Object.entries(obj(health.checks ?? {}, 'health.checks')).map(([code, c]) => {
    const message = (c as { summary?: { message?: unknown } })?.summary?.message;
    return typeof message === 'string' ? `${code}: ${message}` : code;
  });
  const osdmap = obj(s.osdmap ?? {}, 'osdmap');
  const pgmap = obj(s.pgmap ?? {}, 'pgmap');
  const byState: Record<string, number> = {};
  for (const e of Array.isArray(pgmap.pgs_by_state) ? pgmap.pgs_by_state : []) {
    const { state_name, count } = e as { state_name?: unknown; count?: unknown };
    if (typeof state_name === 'string') byState[state_name] = (byState[state_name] ?? 0) + num(count);
  }
  const services: Record<string, number> = {};
  const svc = obj(obj(s.servicemap ?? {}, 'servicemap').services ?? {}, 'servicemap.services');
  for (const [name, v] of Object.entries(svc)) {
    const daemons = (v as { daemons?: Record<string, unknown> })?.daemons ?? {};
    services[name] = Object.keys(daemons).filter((k) => k !== 'summary').length;
  }
  return {
    fsid: typeof s.fsid === 'string' ? s.fsid : '',
    health: health.status,
    checks,
    quorum: Array.isArray(s.quorum_names) ? s.quorum_names.filter((x): x is string => typeof x === 'string') : [],
    monitors: num(obj(s.monmap ?? {}, 'monmap').num_mons),
    osds: { total: num(osdmap.num_osds), up: num(osdmap.num_up_osds), in: num(osdmap.num_in_osds) },
    pgs: { total: num(pgmap.num_pgs), activeClean: byState['active+clean'] ?? 0, byState },
    pools: num(pgmap.num_pools),
    objects: num(pgmap.num_objects),
    bytes: { used: num(pgmap.bytes_used), avail: num(pgmap.bytes_avail), total: num(pgmap.bytes_total) },
    managerAvailable: obj(s.mgrmap ?? {}, 'mgrmap').available === true,
    services,
  };
}

/** What the readiness check expects. */
export interface CephExpectation {
  monitors: number;
  osds: number;
  /** At least this many PGs (the pools exist). @default 1 */
  minPgs?: number;
}

/** Why the cluster is not ready (empty: ready). Pure. */
export function cephNotReady(s: CephStatusSummary, want: CephExpectation): string[] {
  const out: string[] = [];
  if (s.health !== 'HEALTH_OK') out.push(`${s.health}${s.checks.length ? ` (${s.checks.join('; ')})` : ''}`);
  if (s.quorum.length < want.monitors) out.push(`quorum ${s.quorum.length}/${want.monitors} monitors [${s.quorum.join(',')}]`);
  if (s.osds.total !== want.osds || s.osds.up !== want.osds || s.osds.in !== want.osds)
    out.push(`OSDs ${s.osds.up} up / ${s.osds.in} in / ${s.osds.total}, want ${want.osds}`);
  if (!s.managerAvailable) out.push('no active manager');
  if (s.pgs.total < (want.minPgs ?? 1)) out.push(`${s.pgs.total} PGs`);
  else if (s.pgs.activeClean !== s.pgs.total)
    out.push(
      `PGs not all active+clean: ${Object.entries(s.pgs.byState)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`,
    );
  return out;
}

/** One line for `lab status`. Pure. */
export function formatCephStatus(s: CephStatusSummary): string {
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;
  const pgs = s.pgs.activeClean === s.pgs.total ? `${s.pgs.total} PGs active+clean` : `${s.pgs.activeClean}/${s.pgs.total} PGs active+clean`;
  const rgw = s.services.rgw !== undefined ? `, ${s.services.rgw} rgw` : '';
  const checks = s.checks.length ? ` — ${s.checks.map((c) => c.split(':')[0]).join(', ')}` : '';
  return `${s.health}: mon ${s.quorum.length}/${s.monitors} in quorum, osd ${s.osds.up} up/${s.osds.in} in/${s.osds.total}${rgw}, ${pgs}, ${s.objects} objects, ${gib(s.bytes.used)} used of ${gib(s.bytes.total)}${checks}`;
}

export interface CephStretchState {
  stretchMode: boolean;
  tiebreaker: string;
  /** 1 classic, 2 disallow, 3 connectivity. */
  electionStrategy: number;
  /** Monitor -> its CRUSH location as Ceph prints it, e.g. `{datacenter=dc1}`. */
  locations: Record<string, string>;
}

/** Stretch mode from `ceph mon dump -f json` (Ceph 16). Pure. */
export function parseMonDump(json: unknown): CephStretchState {
  const d = obj(json, 'mon dump');
  const locations: Record<string, string> = {};
  for (const m of Array.isArray(d.mons) ? d.mons : []) {
    const { name, crush_location } = m as { name?: unknown; crush_location?: unknown };
    if (typeof name === 'string') locations[name] = typeof crush_location === 'string' ? crush_location : '';
  }
  return {
    stretchMode: d.stretch_mode === true,
    tiebreaker: typeof d.tiebreaker_mon === 'string' ? d.tiebreaker_mon : '',
    electionStrategy: num(d.election_strategy),
    locations,
  };
}

/** `ceph status`, summarised. */
export async function cephStatus(admin: CephAdmin, opts: { timeoutMs?: number } = {}): Promise<CephStatusSummary> {
  return parseCephStatus(await cephJson(admin, ['status'], { timeoutMs: opts.timeoutMs ?? 30_000, what: 'ceph status' }));
}

/** The readiness check: resolves the summary when ready, throws naming what is not. */
export async function cephHealth(admin: CephAdmin, want: CephExpectation): Promise<CephStatusSummary> {
  const s = await cephStatus(admin);
  const bad = cephNotReady(s, want);
  if (bad.length > 0) throw new Error(`Ceph not ready: ${bad.join('; ')}`);
  return s;
}

/** `lab status`'s line; a cluster that does not answer is a line too. */
export async function cephStatusSummary(admin: CephAdmin): Promise<string> {
  try {
    return formatCephStatus(await cephStatus(admin, { timeoutMs: 15_000 }));
  } catch (err) {
    return `not answering: ${(err as Error).message.split('\n')[0]}`;
  }
}

export async function cephStretchState(admin: CephAdmin): Promise<CephStretchState> {
  return parseMonDump(await cephJson(admin, ['mon', 'dump'], { what: 'ceph mon dump' }));
}
