/**
 * Resource quantities of the plan. Parsing is the model's (modules/model/workloadsResolve.ts:
 * CPU in cores or millicores, memory in Mi or Gi, the forms the catalog's schema admits); the
 * plan sums in millicores and MiB and writes sums back in the same units.
 */
import { cpuMillis as parseCpu, memoryMiB as parseMemory } from '../../model/workloadsResolve.ts';

/** "250m" → 250, "2" → 2000. Throws on a quantity the catalog check would have refused. */
export function cpuMillis(q: string): number {
  const v = parseCpu(q);
  if (v === undefined) throw new Error(`CPU quantity "${q}" is not understood: write cores ("2") or millicores ("250m")`);
  return v;
}

/** "512Mi" → 512, "2Gi" → 2048. Throws on a quantity the catalog check would have refused. */
export function memoryMiB(q: string): number {
  const v = parseMemory(q);
  if (v === undefined) throw new Error(`memory quantity "${q}" is not understood: write "512Mi" or "2Gi"`);
  return v;
}

export const formatCpu = (millis: number): string => `${Math.ceil(millis)}m`;
export const formatMemory = (mib: number): string => `${Math.ceil(mib)}Mi`;

/** "512Mi" → 536870912 bytes (for readers of the rendered manifests, e.g. the capacity summary). */
export const memoryBytes = (q: string): number => memoryMiB(q) * 2 ** 20;
