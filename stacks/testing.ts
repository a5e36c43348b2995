/** Shared fixture of the stack tests: every environment synthesized once (local backend) into a temp dir. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate, loadWorkspace } from '../modules/loader/load.ts';
import type { Topology } from '../modules/model/topology.ts';
import { readSynthesized, type Synthesized } from '../modules/proxmox/check/synthesized.ts';
import { stackOptionsFromEnv } from './options.ts';
import { type SynthResult, synthesizeTo } from './synthesize.ts';

export const ENVIRONMENTS_DIR = join(import.meta.dirname, '..', 'environments');

export interface Fixture {
  topologies: Map<string, Topology>;
  result: SynthResult;
  synthesized: Synthesized;
}

let fixture: Fixture | undefined;

export function synthesizeAll(): Fixture {
  if (fixture) return fixture;
  const ev = evaluate(loadWorkspace(ENVIRONMENTS_DIR));
  if (ev.diagnostics.length) throw new Error(`environments invalid: ${ev.diagnostics.map((d) => d.message).join('; ')}`);
  const out = join(mkdtempSync(join(tmpdir(), 'hds-synth-')), 'out');
  const result = synthesizeTo(out, ev.topologies, [...ev.topologies.keys()].sort(), stackOptionsFromEnv({}, { backend: 'local' }));
  fixture = { topologies: ev.topologies, result, synthesized: readSynthesized(out) };
  return fixture;
}
