/** Test helper: the lab plan of the shipped `lab` environment, with a given state directory. */
import { join } from 'node:path';
import { evaluate, loadWorkspace } from '../loader/load.ts';
import { labPlanFromEvaluation } from './fromTopology.ts';
import type { LabPlan } from './types.ts';

export function shippedLabPlan(stateDir: string): LabPlan {
  return labPlanFromEvaluation(evaluate(loadWorkspace(join(import.meta.dirname, '..', '..', 'environments')), 'lab'), 'lab', stateDir);
}
