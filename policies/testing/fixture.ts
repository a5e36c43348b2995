/** Test fixture: the shipped environments, production synthesized once, and a fresh production input per call. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Evaluation, evaluate, loadWorkspace } from '../../modules/loader/load.ts';
import { readSynthesized, type Synthesized } from '../../modules/proxmox/check/synthesized.ts';
import { stackOptionsFromEnv } from '../../stacks/options.ts';
import { synthesizeTo } from '../../stacks/synthesize.ts';
import { environmentInput } from '../input.ts';
import type { PolicyInput } from '../types.ts';

export const ENVIRONMENTS_DIR = join(import.meta.dirname, '..', '..', 'environments');
export const TODAY = '2026-11-23';

let cache: { evaluation: Evaluation; synthesized: Map<string, Synthesized> } | undefined;

export function shipped(): Evaluation {
  cache ??= { evaluation: evaluate(loadWorkspace(ENVIRONMENTS_DIR)), synthesized: new Map() };
  return cache.evaluation;
}

/** The synthesized stacks of the given environments (cached). */
export function synthesized(environments: string[], evaluation: Evaluation = shipped()): Synthesized {
  const key = environments.join(',');
  const hit = evaluation === cache?.evaluation ? cache.synthesized.get(key) : undefined;
  if (hit) return hit;
  const out = join(mkdtempSync(join(tmpdir(), 'hds-policy-test-')), 'out');
  synthesizeTo(out, evaluation.topologies, environments, stackOptionsFromEnv({}, { backend: 'local' }));
  const s = readSynthesized(out);
  if (evaluation === cache?.evaluation) cache.synthesized.set(key, s);
  return s;
}

/** A deep copy of the production input (topology, Terraform JSON, rendered configurations), no waiver. */
export function productionInput(): PolicyInput {
  const base = environmentInput(shipped(), 'production', synthesized(['production']), [], TODAY);
  return structuredClone(base);
}
