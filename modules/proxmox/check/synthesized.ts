/**
 * Reading a synthesized cdktf output directory (manifest.json + stacks/<name>/cdk.tf.json) and
 * resolving the references between stacks, so checks and summaries work on plain values:
 * `${data.terraform_remote_state.cross-stack-reference-input-<stack>.outputs.<output>}` is
 * followed to the producer's output, and `${<type>.<name>.<attr>}` to the resource's literal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type TfJson = Record<string, unknown> & {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown }>;
  variable?: Record<string, { sensitive?: boolean; default?: unknown }>;
};

export interface Synthesized {
  dir: string;
  /** Stack name -> dependencies (manifest order). */
  manifest: Record<string, { dependencies: string[]; synthesizedStackPath: string }>;
  stacks: Map<string, TfJson>;
}

export function readSynthesized(dir: string): Synthesized {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { stacks: Synthesized['manifest'] };
  const stacks = new Map<string, TfJson>();
  for (const [name, s] of Object.entries(manifest.stacks)) stacks.set(name, JSON.parse(readFileSync(join(dir, s.synthesizedStackPath), 'utf8')) as TfJson);
  return { dir, manifest: manifest.stacks, stacks };
}

const REMOTE = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_.-]+)\}$/;
const LOCAL = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/;

/** A reference's literal value when it can be known before apply, else the reference itself. */
export function resolve(s: Synthesized, stack: string, value: unknown, depth = 0): unknown {
  if (typeof value !== 'string' || depth > 8) return value;
  const remote = REMOTE.exec(value);
  if (remote) {
    const [, producer, output] = remote;
    const out = s.stacks.get(producer!)?.output?.[output!];
    return out ? resolve(s, producer!, out.value, depth + 1) : value;
  }
  const local = LOCAL.exec(value);
  if (local) {
    const [, type, name, attr] = local;
    const body = s.stacks.get(stack)?.resource?.[type!]?.[name!];
    if (body && body[attr!] !== undefined) return resolve(s, stack, body[attr!], depth + 1);
    return value;
  }
  // Interpolation inside a longer string, e.g. "vm:${...vm_id}".
  return value.replace(/\$\{[^}]+\}/g, (ref) => {
    const r = resolve(s, stack, ref, depth + 1);
    return typeof r === 'string' || typeof r === 'number' ? String(r) : ref;
  });
}

/** Every resource of every stack, with its stack, type and name. */
export function* resources(s: Synthesized): Generator<{ stack: string; type: string; name: string; body: Record<string, unknown> }> {
  for (const [stack, json] of s.stacks) {
    for (const [type, byName] of Object.entries(json.resource ?? {})) for (const [name, body] of Object.entries(byName)) yield { stack, type, name, body };
  }
}
