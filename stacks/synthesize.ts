/**
 * Synthesis to a directory, atomically and safely: the app is synthesized into a temporary
 * sibling directory, checked against the provider schema, then renamed into place; on any
 * error the temporary directory is removed and the previous output is left untouched. The
 * output directory is replaced only when it is absent, empty or marked as written by synth
 * (modules/loader/safeOutput.ts): never the project, an environments directory or a file.
 */
import type { Topology } from '../modules/model/topology.ts';
import { checkReplaceableDir, type OutputTarget, replaceOutputDir } from '../modules/loader/safeOutput.ts';
import { loadProviderSchema } from '../modules/proxmox/check/providerSchema.ts';
import { checkStack, type SchemaProblem } from '../modules/proxmox/check/schema.ts';
import { type StackSummary, summarize } from '../modules/proxmox/check/summary.ts';
import { readSynthesized } from '../modules/proxmox/check/synthesized.ts';
import { buildApp } from './app.ts';
import type { StackOptions } from './options.ts';

/** How synth names its output directory in messages and in the marker. */
export const SYNTH_OUTPUT: OutputTarget = { command: 'synth', example: 'cdktf.out' };

/** Refuses, before any work, an output directory synth may not replace (one-line OutputError). */
export function checkSynthOutput(outdir: string, target: OutputTarget = SYNTH_OUTPUT): void {
  checkReplaceableDir(outdir, target);
}

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
  target: OutputTarget = SYNTH_OUTPUT,
): SynthResult {
  const { result: stacks, dir } = replaceOutputDir(outdir, target, (tmp) => {
    const { app, stacks } = buildApp({ topologies, environments, options, outdir: tmp });
    app.synth();
    const synthesized = readSynthesized(tmp);
    const schema = loadProviderSchema();
    const problems = [...synthesized.stacks].flatMap(([name, json]) => checkStack(name, json, schema));
    if (problems.length) throw new SchemaCheckError(problems);
    const findings = verify(summarize(synthesized));
    if (findings.length) throw new VerificationError(findings);
    return stacks;
  });
  return {
    outdir: dir,
    stacks: summarize(readSynthesized(dir)),
    meta: new Map(stacks.map((s) => [s.meta.name, { layer: s.meta.layer, environment: s.meta.environment, site: s.meta.site, cluster: s.meta.cluster }])),
  };
}
