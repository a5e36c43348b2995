/** Where the CLI finds the lab: the `lab` environment's model and the git-ignored state dir. */
import { join } from 'node:path';
import { defaultEnvironmentsDir, formatDiagnostic } from '../../modules/loader/load.ts';
import { labPlanFromTopology } from '../../modules/lab/fromTopology.ts';
import type { LabPlan } from '../../modules/lab/types.ts';
import { CliError } from './output.ts';
import { evaluateEnvironments } from './workspace.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** State of everything the tool generates at run time (lab data, secrets, results): git-ignored. */
export function stateRoot(): string {
  return process.env.HDS_STATE_DIR ?? join(REPO_ROOT, '.state');
}

export function resolveLabPlan(opts: { env?: string; dir?: string }): LabPlan {
  const name = opts.env ?? 'lab';
  const result = evaluateEnvironments({ dir: opts.dir ?? defaultEnvironmentsDir() }, name);
  const topology = result.topologies.get(name);
  if (result.diagnostics.length || !topology) {
    throw new CliError(`environment ${name} is not valid, fix it first:\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
  }
  if (topology.environment.platform !== 'lab') {
    throw new CliError(`environment ${name} runs on platform "${topology.environment.platform}", not on the local lab; use --env with an environment of platform lab`);
  }
  return labPlanFromTopology(result.workspace.environments.get(name)!.doc, topology, join(stateRoot(), name));
}
