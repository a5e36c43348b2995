/**
 * Summary of synthesized stacks: resources by type, VMs, vCPU, RAM and disk, per stack and per
 * environment; and the comparison with the topology (`hdsctl show`): per site, the compute
 * stack must hold exactly the VMs, vCPU, RAM and disk the model placed on that site's cluster.
 */
import type { Topology } from '../../model/topology.ts';
import type { Synthesized, TfJson } from './synthesized.ts';

export interface StackSummary {
  stack: string;
  resources: number;
  byType: Record<string, number>;
  vms: number;
  vcpu: number;
  ramGiB: number;
  diskGiB: number;
}

const VM = 'proxmox_virtual_environment_vm';

function summarizeStack(stack: string, json: TfJson): StackSummary {
  const byType: Record<string, number> = {};
  let resources = 0;
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    byType[type] = Object.keys(byName).length;
    resources += byType[type];
  }
  let vcpu = 0;
  let ramMiB = 0;
  let diskGiB = 0;
  const vms = Object.values(json.resource?.[VM] ?? {});
  for (const vm of vms) {
    const cpu = (vm.cpu as Array<{ cores?: number; sockets?: number }> | undefined)?.[0];
    vcpu += (cpu?.cores ?? 1) * (cpu?.sockets ?? 1);
    ramMiB += (vm.memory as Array<{ dedicated?: number }> | undefined)?.[0]?.dedicated ?? 512;
    for (const d of (vm.disk as Array<{ size?: number }> | undefined) ?? []) diskGiB += d.size ?? 8;
  }
  return { stack, resources, byType, vms: vms.length, vcpu, ramGiB: ramMiB / 1024, diskGiB };
}

export function summarize(s: Synthesized): StackSummary[] {
  return [...s.stacks.entries()].map(([name, json]) => summarizeStack(name, json)).sort((a, b) => a.stack.localeCompare(b.stack));
}

export interface Mismatch {
  environment: string;
  site: string;
  field: 'vms' | 'vcpu' | 'ramGiB' | 'diskGiB';
  model: number;
  synthesized: number;
}

/** Compute stacks against the model: Topology.hypervisorClusters[].allocated (what `hdsctl show` prints per cluster) and totals.bySite[].vms. */
export function compareWithTopology(t: Topology, summaries: StackSummary[], stackOf: (site: string) => string): Mismatch[] {
  const out: Mismatch[] = [];
  for (const c of t.hypervisorClusters) {
    const s = summaries.find((x) => x.stack === stackOf(c.site));
    const got = { vms: s?.vms ?? 0, vcpu: s?.vcpu ?? 0, ramGiB: s?.ramGiB ?? 0, diskGiB: s?.diskGiB ?? 0 };
    const want = { vms: t.totals.bySite[c.site]?.vms ?? 0, vcpu: c.allocated.vcpu, ramGiB: c.allocated.ramGiB, diskGiB: c.allocated.diskGiB };
    if (c.allocated.guests !== want.vms)
      out.push({ environment: t.environment.name, site: c.site, field: 'vms', model: c.allocated.guests, synthesized: want.vms });
    for (const f of ['vms', 'vcpu', 'ramGiB', 'diskGiB'] as const) {
      if (got[f] !== want[f]) out.push({ environment: t.environment.name, site: c.site, field: f, model: want[f], synthesized: got[f] });
    }
  }
  return out;
}
