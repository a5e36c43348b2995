/** Where the CLI finds the lab: the `lab` environment's model and the git-ignored state dir. */
import { join } from 'node:path';
import { LabPlanError, labPlanFromEvaluation } from '../../modules/lab/fromTopology.ts';
import type { LabPlan } from '../../modules/lab/types.ts';
import { CliError } from './output.ts';
import { evaluateEnvironments } from './workspace.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** State of everything the tool generates at run time (lab data, secrets, results): git-ignored. */
export function stateRoot(): string {
  return process.env.HDS_STATE_DIR ?? join(REPO_ROOT, '.state');
}

/** `dir`: the environments directory, already checked (args.ts `environmentsDir`). */
export function resolveLabPlan(opts: { env?: string; dir: string }): LabPlan {
  const name = opts.env ?? 'lab';
  try {
    return labPlanFromEvaluation(evaluateEnvironments({ dir: opts.dir }, name), name, join(stateRoot(), name));
  } catch (e) {
    if (e instanceof LabPlanError) throw new CliError(e.message);
    throw e;
  }
}
