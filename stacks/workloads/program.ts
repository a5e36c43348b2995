/**
 * The workloads program, as a function (index.ts is its Pulumi entry point): which environment
 * and cluster a stack deploys, read from the stack name `<env>-<site>` or the config keys
 * `hds:environment` / `hds:cluster`; the environments loaded and checked like everywhere else;
 * then one resource per object of the workloads plan (modules/workloads/resources.ts).
 */
import { join } from 'node:path';
import { evaluate, formatDiagnostic, loadWorkspace } from '../../modules/loader/load.ts';
import type { Topology } from '../../modules/model/topology.ts';
import { layoutResources, parseStackName } from '../../modules/workloads/layout.ts';
import { openshiftSites, workloadObjects } from '../../modules/workloads/plan/index.ts';
import { clusterProvider, createWorkloads, type ProviderSettings, type WorkloadsOutputs } from '../../modules/workloads/resources.ts';

/** A stack that cannot be deployed as configured: one message for the operator (index.ts turns it into a RunError). */
export class ProgramError extends Error {
  override name = 'ProgramError';
}

export interface ProgramSettings {
  /** The Pulumi stack name (`production-dc1`). */
  stack: string;
  /** Config `hds:environment`: overrides the environment of the stack name. */
  environment?: string;
  /** Config `hds:cluster`: overrides the cluster (site) of the stack name, e.g. DC1. */
  cluster?: string;
  /** The environments directory. @default $HDS_ENVIRONMENTS_DIR, else the repository's environments/ */
  environmentsDir?: string;
  provider?: ProviderSettings;
}

export interface Target {
  environment: string;
  site: string;
  topology: Topology;
}

export const REPO_ENVIRONMENTS = join(import.meta.dirname, '..', '..', 'environments');

/** The environment and OpenShift site the stack deploys; throws a ProgramError with the fix. */
export function resolveTarget(s: ProgramSettings): Target {
  const parsed = parseStackName(s.stack);
  const environment = s.environment ?? parsed?.environment;
  const cluster = s.cluster ?? parsed?.cluster;
  if (!environment || !cluster)
    throw new ProgramError(
      `stack "${s.stack}" does not name an environment and a cluster; name it <environment>-<site> (e.g. pulumi stack init production-dc1) or set hds:environment and hds:cluster`,
    );
  const dir = s.environmentsDir ?? process.env.HDS_ENVIRONMENTS_DIR ?? REPO_ENVIRONMENTS;
  const workspace = loadWorkspace(dir);
  if (!workspace.environments.has(environment) && !workspace.diagnostics.length)
    throw new ProgramError(
      `environment "${environment}" (stack ${s.stack}) is not in ${dir}; known: ${[...workspace.environments.keys()].sort().join(', ') || 'none'}`,
    );
  const evaluation = evaluate(workspace, environment);
  if (evaluation.diagnostics.length)
    throw new ProgramError(
      `the environments are not valid, nothing was deployed (hdsctl validate --env ${environment}):\n${evaluation.diagnostics.map(formatDiagnostic).join('\n')}`,
    );
  const topology = evaluation.topologies.get(environment);
  if (!topology) throw new ProgramError(`environment "${environment}" could not be expanded; run hdsctl validate --env ${environment}`);
  const sites = openshiftSites(topology);
  const site = sites.find((x) => x.toLowerCase() === cluster.toLowerCase());
  if (!site)
    throw new ProgramError(
      `cluster "${cluster}" (stack ${s.stack}) is not an OpenShift site of ${environment}; use one of: ${sites.join(', ') || 'none (the environment has no OpenShift)'}`,
    );
  if (!topology.workloads)
    throw new ProgramError(
      `environment "${environment}" runs no application workloads (no workloads: section in its file); add one, or deploy another environment`,
    );
  return { environment, site, topology };
}

export interface ProgramOutputs extends WorkloadsOutputs {
  environment: string;
  cluster: string;
}

/** Creates the stack's resources under the running Pulumi program; returns its outputs (names and counts). */
export function workloadsProgram(s: ProgramSettings): ProgramOutputs {
  const { environment, site, topology } = resolveTarget(s);
  // Laid out before any resource exists: a bad object stops the program with its name, not half-way.
  const layout = layoutResources(workloadObjects(topology, site));
  return { environment, cluster: site, ...createWorkloads(layout, clusterProvider(site, s.provider)) };
}
