/** Test helper: the lab plan of the shipped `lab` environment, with a given state directory. */
import { join } from 'node:path';
import { evaluate, loadWorkspace } from '../loader/load.ts';
import type { EnvironmentDoc } from '../model/types.ts';
import { labPlanFromEvaluation } from './fromTopology.ts';
import type { LabPlan } from './types.ts';

/**
 * The lab plan of the shipped `lab` environment; with `edit`, of its document as `edit` returns it
 * (e.g. `services.backup.offlineCopy: false` for a lab without an offline copy), checked and
 * expanded like the file itself.
 */
export function shippedLabPlan(stateDir: string, edit?: (doc: EnvironmentDoc) => EnvironmentDoc): LabPlan {
  const workspace = loadWorkspace(join(import.meta.dirname, '..', '..', 'environments'));
  const loaded = workspace.environments.get('lab');
  if (edit && loaded) workspace.environments.set('lab', { ...loaded, doc: edit(structuredClone(loaded.doc)) });
  return labPlanFromEvaluation(evaluate(workspace, 'lab'), 'lab', stateDir);
}
