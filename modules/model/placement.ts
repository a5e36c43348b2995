/**
 * Placement of VMs on the hypervisor cluster of their site and segregation class.
 * Deterministic: guests in expansion order, each on the least-loaded node (by vCPU, then
 * by node order) not already holding a member of its anti-affinity group.
 */
import type { HypervisorClusterView } from './topology.ts';
import type { GuestDraft } from './services.ts';

export type PlacementResult =
  | { ok: true; node: string }
  | { ok: false; reason: 'no-cluster' | 'anti-affinity'; detail: string };

export class Placer {
  private readonly load = new Map<string, number>();
  private readonly groupNodes = new Map<string, Set<string>>();

  constructor(private readonly clusters: HypervisorClusterView[]) {}

  clusterFor(site: string): HypervisorClusterView | undefined {
    return this.clusters.find((c) => c.site === site);
  }

  place(guest: GuestDraft): PlacementResult & { cluster?: HypervisorClusterView } {
    const cluster = this.clusterFor(guest.site);
    if (!cluster) return { ok: false, reason: 'no-cluster', detail: guest.site };
    const groupKey = guest.antiAffinityGroup ? `${cluster.name}/${guest.antiAffinityGroup}` : undefined;
    const taken = groupKey ? (this.groupNodes.get(groupKey) ?? new Set<string>()) : new Set<string>();
    const candidates = cluster.nodes.filter((n) => !taken.has(n.name));
    if (candidates.length === 0) {
      const members = taken.size + 1;
      return {
        ok: false,
        reason: 'anti-affinity',
        detail: `group ${guest.antiAffinityGroup} needs ${members} distinct nodes on ${cluster.name}, which has ${cluster.nodes.length}`,
        cluster,
      };
    }
    let best = candidates[0]!;
    for (const n of candidates) if ((this.load.get(n.name) ?? 0) < (this.load.get(best.name) ?? 0)) best = n;
    this.load.set(best.name, (this.load.get(best.name) ?? 0) + guest.size.vcpu);
    if (groupKey) this.groupNodes.set(groupKey, taken.add(best.name));
    cluster.allocated.vcpu += guest.size.vcpu;
    cluster.allocated.ramGiB += guest.size.ramGiB;
    cluster.allocated.diskGiB += guest.size.diskGiB;
    cluster.allocated.guests += 1;
    return { ok: true, node: best.name, cluster };
  }
}
