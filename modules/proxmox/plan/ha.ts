/**
 * HA plan of one environment on one site: every VM is an HA resource of its site's cluster
 * (restarted on another node of the same cluster, never moved to another site), and the
 * members of an anti-affinity group (PostgreSQL pairs, WAF pairs, Kafka brokers, etcd,
 * OpenShift masters, HAProxy pairs) are kept on distinct nodes by a negative
 * resource-affinity rule (PVE 9 HA rules), as the model placed them (Guest.antiAffinityGroup).
 */
import type { VmPlan } from './compute.ts';

export interface HaRulePlan {
  rule: string;
  group: string;
  resources: string[];
  members: string[];
  nodes: string[];
}

export interface SiteHaPlan {
  resources: Array<{ vm: string; resourceId: string }>;
  rules: HaRulePlan[];
}

export function haPlan(envCode: string, vms: VmPlan[]): SiteHaPlan {
  const groups = new Map<string, VmPlan[]>();
  for (const v of vms) {
    const group = v.guest.antiAffinityGroup;
    if (!group) continue;
    groups.set(group, [...(groups.get(group) ?? []), v]);
  }
  const rules: HaRulePlan[] = [];
  for (const [group, members] of groups) {
    if (members.length < 2) continue;
    rules.push({
      rule: `${envCode}-aa-${group}`.replace(/[^A-Za-z0-9_-]/g, '-'),
      group,
      resources: members.map((m) => `vm:${m.vmid}`).sort(),
      members: members.map((m) => m.name),
      nodes: members.map((m) => m.node),
    });
  }
  return { resources: vms.map((v) => ({ vm: v.name, resourceId: `vm:${v.vmid}` })), rules };
}
