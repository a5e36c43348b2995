/** Building the policy inputs from loaded data (pure: the CLI and the tests do the reading). */
import type { Evaluation } from '../modules/loader/load.ts';
import type { Topology } from '../modules/model/topology.ts';
import type { K8sObject } from '../modules/model/workloads.ts';
import type { Synthesized } from '../modules/proxmox/check/synthesized.ts';
import { workloadObjects } from '../modules/workloads/plan/index.ts';
import { renderedEvidence } from './evidence/services.ts';
import { restrictTo } from './evidence/terraform.ts';
import type { PolicyInput, Waiver } from './types.ts';

/**
 * The manifests of every OpenShift cluster of the environment (the workloads plan, site by
 * site, in site order) and the site of each; empty when the environment runs no workloads.
 */
export function workloadManifests(topology: Topology): { manifests: K8sObject[]; manifestSites: string[] } {
  const manifests: K8sObject[] = [];
  const manifestSites: string[] = [];
  if (!topology.workloads) return { manifests, manifestSites };
  const sites = [...new Set(topology.services.filter((s) => s.kind === 'openshift').flatMap((s) => s.sites))].sort();
  for (const site of sites)
    for (const obj of workloadObjects(topology, site)) {
      manifests.push(obj);
      manifestSites.push(site);
    }
  return { manifests, manifestSites };
}

export function environmentInput(
  evaluation: Evaluation,
  name: string,
  synthesized: Synthesized | undefined,
  waivers: Waiver[],
  today: string,
  fileOf: (abs: string) => string = (f) => f,
): PolicyInput {
  const topology = evaluation.topologies.get(name);
  if (!topology) throw new Error(`environment ${name} has no topology`);
  const env = evaluation.workspace.environments.get(name);
  const platform = evaluation.workspace.platforms.get(topology.environment.platform);
  const peers = [...evaluation.topologies.values()].filter((p) => p.environment.name !== name && p.environment.platform === topology.environment.platform);
  return {
    target: name,
    topology,
    ...(env ? { environment: { doc: env.doc, file: fileOf(env.source.file) } } : {}),
    ...(platform ? { platform: { doc: platform.doc, file: fileOf(platform.source.file) } } : {}),
    peers,
    ...(synthesized
      ? {
          terraform: restrictTo(
            synthesized,
            name,
            topology.hypervisorClusters.map((c) => c.name),
          ),
        }
      : {}),
    rendered: renderedEvidence(topology),
    ...workloadManifests(topology),
    waivers,
    today,
  };
}

/** `--tf PATH` alone: only the Terraform JSON is judged; rules needing the model are skipped. */
export function terraformInput(target: string, synthesized: Synthesized, waivers: Waiver[], today: string): PolicyInput {
  return { target, peers: [], terraform: synthesized, waivers, today };
}
