/**
 * Watches the cluster during a drill, twice a second, from the host: each Patroni node's own
 * view of itself (GET /patroni, all nodes in parallel with a short timeout: a node that is cut
 * off does not slow the others down), so the leader is the node whose PostgreSQL runs as
 * primary and two such nodes at once are seen; the synchronous standby from the primary's
 * replication list; and which server each HAProxy sends writes to (its stats CSV). The timeline
 * of each fault is built from these observations (analysis.ts).
 */
import { haproxyEndpoints } from '../lab/endpoints.ts';
import { replicationState } from '../lab/probes.ts';
import type { LabPlan } from '../lab/types.ts';

export interface Observation {
  /** ms since the run's epoch. */
  at: number;
  /** The node running as primary, when exactly one does. */
  leader?: string;
  /** Every node whose PostgreSQL runs as primary (two = two leaders at once). */
  primaries: string[];
  syncStandby?: string;
  /** Patroni answered at all. */
  patroni: boolean;
  /** Per HAProxy site: the write servers marked UP. */
  writeUp: Record<string, string[]>;
}

async function haproxyWriteUp(address: string, statsPort: number, backend: string): Promise<string[] | undefined> {
  try {
    const r = await fetch(`http://${address}:${statsPort}/stats;csv`, { signal: AbortSignal.timeout(800) });
    const rows = (await r.text()).split('\n').map((l) => l.split(','));
    return rows.filter((c) => c[0] === backend && c[1] !== 'BACKEND' && c[1] !== 'FRONTEND' && c[17]?.startsWith('UP')).map((c) => c[1]!);
  } catch {
    return undefined;
  }
}

export interface Observer {
  observations: Observation[];
  /** The latest observation. */
  latest(): Observation | undefined;
  stop(): Promise<void>;
}

export function startObserver(plan: LabPlan, domain: string, epoch: number, intervalMs = 500): Observer {
  const observations: Observation[] = [];
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const t0 = Date.now();
      const o: Observation = { at: t0 - epoch, patroni: false, primaries: [], writeUp: {} };
      const [up, rep] = await Promise.all([
        Promise.all(haproxyEndpoints(plan).map((h) => haproxyWriteUp(h.address, h.statsPort, `${domain}_write`))),
        replicationState(plan, domain, 2000),
      ]);
      o.patroni = rep.answered.length > 0;
      o.primaries = rep.primaries;
      if (rep.syncStandby) o.syncStandby = rep.syncStandby;
      if (o.primaries.length === 1) o.leader = o.primaries[0]!;
      haproxyEndpoints(plan).forEach((h, i) => {
        const u = up[i];
        if (u) o.writeUp[h.site.id] = u;
      });
      observations.push(o);
      const wait = intervalMs - (Date.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    observations,
    latest: () => observations[observations.length - 1],
    async stop() {
      stopping = true;
      await loop;
    },
  };
}
