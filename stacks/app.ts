/**
 * The cdktf application: stacks per environment x site x layer (network, security, compute,
 * data) on top of one cluster stack per Proxmox VE cluster. The pure plans
 * (modules/proxmox/plan) decide everything; this file only wires them into stacks.
 *
 * Deploy order (manifest dependencies): cluster -> network -> security -> compute -> data.
 */
import { App } from 'cdktf';
import type { Topology } from '../modules/model/topology.ts';
import { backupPlan } from '../modules/proxmox/plan/backup.ts';
import { clusterPlans } from '../modules/proxmox/plan/cluster.ts';
import { computePlan } from '../modules/proxmox/plan/compute.ts';
import { firewallPlan } from '../modules/proxmox/plan/firewall.ts';
import { haPlan } from '../modules/proxmox/plan/ha.ts';
import { envCode } from '../modules/proxmox/plan/ids.ts';
import { networkPlan } from '../modules/proxmox/plan/network.ts';
import type { ProxmoxStack } from './base.ts';
import { ClusterStack } from './cluster.ts';
import { ComputeStack } from './compute.ts';
import { DataStack } from './data.ts';
import { NetworkStack } from './network.ts';
import type { StackOptions } from './options.ts';
import { SecurityStack } from './security.ts';

export interface BuildInput {
  /** Every topology of the workspace (cluster stacks see all environments placed on them). */
  topologies: Map<string, Topology>;
  /** The environments to synthesize. */
  environments: string[];
  options: StackOptions;
  /** Output directory; the cdktf CLI's own when omitted. */
  outdir?: string;
}

export interface BuiltApp {
  app: App;
  stacks: ProxmoxStack[];
}

export function stackName(environment: string, site: string, layer: string): string {
  return `${environment}-${site}-${layer}`.toLowerCase();
}

export function buildApp(input: BuildInput): BuiltApp {
  const app = new App({ ...(input.outdir ? { outdir: input.outdir } : {}), skipValidation: false });
  const stacks: ProxmoxStack[] = [];
  const selected = input.environments.map((name) => {
    const t = input.topologies.get(name);
    if (!t) throw new Error(`environment ${name} has no topology (is it valid? run hdsctl validate --env ${name})`);
    return t;
  });
  const usedClusters = new Set(selected.flatMap((t) => t.hypervisorClusters.map((c) => c.name)));
  const clusters = new Map<string, ClusterStack>();
  for (const plan of clusterPlans(input.topologies.values(), input.options.proxmox)) {
    if (!usedClusters.has(plan.name)) continue;
    const s = new ClusterStack(app, plan, input.options);
    clusters.set(plan.name, s);
    stacks.push(s);
  }
  for (const t of selected) {
    const env = t.environment.name;
    for (const { id: site } of t.sites) {
      const clusterName = t.hypervisorClusters.find((c) => c.site === site)?.name;
      if (!clusterName) continue; // no VM of this environment on the site
      const cluster = clusters.get(clusterName)!;
      const network = new NetworkStack(app, stackName(env, site, 'network'), env, networkPlan(t, site), cluster, input.options);
      const firewall = firewallPlan(t, site);
      const security = new SecurityStack(app, stackName(env, site, 'security'), env, site, firewall, cluster, input.options);
      const vms = computePlan(t, site, input.options.proxmox);
      const compute = new ComputeStack(
        app,
        { name: stackName(env, site, 'compute'), topology: t, site, vms, firewall, ha: haPlan(envCode(t), vms), cluster, network, security },
        input.options,
      );
      stacks.push(network, security, compute);
      const backup = backupPlan(t, site, vms);
      if (backup.pbs || backup.replications.length) stacks.push(new DataStack(app, stackName(env, site, 'data'), env, site, backup, compute, input.options));
    }
  }
  return { app, stacks };
}

/** `HDS_ENV`: a name, a comma-separated list, or `all`; `lab` when unset. */
export function selectEnvironments(spec: string | undefined, known: Iterable<string>): string[] {
  const all = [...known].sort();
  const value = (spec ?? 'lab').trim();
  if (value === 'all') return all;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length) throw new Error(`unknown or invalid environment(s) ${unknown.join(', ')} (known valid: ${all.join(', ')})`);
  return names;
}
