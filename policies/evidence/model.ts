/** Evidence locations in the model: the YAML documents (pointer into the file) and the expanded topology. */
import { jsonPointer } from '../../modules/model/diagnostics.ts';
import type { Guest, Topology } from '../../modules/model/topology.ts';
import type { Evidence, PolicyInput } from '../types.ts';

/** A path in the environment document. */
export function envDoc(input: PolicyInput, path: Array<string | number>, value?: unknown): Evidence {
  const file = input.environment?.file ?? `environments/${input.target}.yaml`;
  return { file, pointer: jsonPointer(path), ...(value !== undefined ? { value } : {}) };
}

/** A path in the platform document. */
export function platformDoc(input: PolicyInput, path: Array<string | number>, value?: unknown): Evidence {
  const file = input.platform?.file ?? `environments/platforms/${input.topology?.environment.platform ?? 'unknown'}.yaml`;
  return { file, pointer: jsonPointer(path), ...(value !== undefined ? { value } : {}) };
}

/** A path in the expanded topology (what `hdsctl show --env NAME --json` prints). */
export function topo(t: Topology, path: Array<string | number>, value?: unknown): Evidence {
  return { file: `topology:${t.environment.name}`, pointer: jsonPointer(path), ...(value !== undefined ? { value } : {}) };
}

export function guestEvidence(t: Topology, g: Guest, field?: keyof Guest): Evidence {
  const k = t.guests.indexOf(g);
  return topo(t, field ? ['guests', k, field] : ['guests', k], field ? (g[field] as unknown) : g.name);
}

/** Platform site index, for pointers into the platform document. */
export function siteIndex(input: PolicyInput, id: string): number {
  return input.platform?.doc.sites.findIndex((s) => s.id === id) ?? -1;
}

export const isProduction = (input: PolicyInput) => input.topology?.environment.class === 'production';
