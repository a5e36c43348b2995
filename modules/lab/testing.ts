/** Test helper: the lab plan of the shipped `lab` environment, with a given state directory. */
import { join } from 'node:path';
import { evaluate, loadWorkspace } from '../loader/load.ts';
import { labPlanFromTopology } from './fromTopology.ts';
import type { LabPlan } from './types.ts';

export function shippedLabPlan(stateDir: string): LabPlan {
  const ws = loadWorkspace(join(import.meta.dirname, '..', '..', 'environments'));
  const { topologies, diagnostics } = evaluate(ws, 'lab');
  if (diagnostics.length) throw new Error(`the shipped lab environment is invalid: ${diagnostics.map((d) => d.message).join('; ')}`);
  return labPlanFromTopology(ws.environments.get('lab')!.doc, topologies.get('lab')!, stateDir);
}
