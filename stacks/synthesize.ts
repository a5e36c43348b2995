/**
 * Synthesis to a directory, atomically: the app is synthesized into a temporary sibling
 * directory, checked against the provider schema, then renamed into place; on any error the
 * temporary directory is removed and the previous output is left untouched.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Topology } from '../modules/model/topology.ts';
import { loadProviderSchema } from '../modules/proxmox/check/providerSchema.ts';
import { checkStack, type SchemaProblem } from '../modules/proxmox/check/schema.ts';
import { type StackSummary, summarize } from '../modules/proxmox/check/summary.ts';
import { readSynthesized } from '../modules/proxmox/check/synthesized.ts';
import { buildApp } from './app.ts';
import type { StackOptions } from './options.ts';

export interface SynthResult {
  outdir: string;
  stacks: StackSummary[];
  meta: Map<string, { layer: string; environment?: string; site: string; cluster: string }>;
}

export class SchemaCheckError extends Error {
  constructor(readonly problems: SchemaProblem[]) {
    super(`${problems.length} schema problem(s) in the synthesized stacks`);
  }
}

export class VerificationError extends Error {
  constructor(readonly findings: string[]) {
    super(`${findings.length} finding(s) in the synthesized stacks`);
  }
}

/**
 * `verify` sees the summaries before the output is renamed into place; findings it returns
 * abort the write (VerificationError).
 */
export function synthesizeTo(
  outdir: string,
  topologies: Map<string, Topology>,
  environments: string[],
  options: StackOptions,
  verify: (stacks: StackSummary[]) => string[] = () => [],
): SynthResult {
  const target = resolve(outdir);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
  const old = join(dirname(target), `.${basename(target)}.old-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    const { app, stacks } = buildApp({ topologies, environments, options, outdir: tmp });
    app.synth();
    const synthesized = readSynthesized(tmp);
    const schema = loadProviderSchema();
    const problems = [...synthesized.stacks].flatMap(([name, json]) => checkStack(name, json, schema));
    if (problems.length) throw new SchemaCheckError(problems);
    const findings = verify(summarize(synthesized));
    if (findings.length) throw new VerificationError(findings);
    if (existsSync(target)) renameSync(target, old);
    renameSync(tmp, target);
    rmSync(old, { recursive: true, force: true });
    return {
      outdir: target,
      stacks: summarize(readSynthesized(target)),
      meta: new Map(stacks.map((s) => [s.meta.name, { layer: s.meta.layer, environment: s.meta.environment, site: s.meta.site, cluster: s.meta.cluster }])),
    };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(target) && existsSync(old)) renameSync(old, target);
    throw e;
  }
}
