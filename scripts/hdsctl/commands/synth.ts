/**
 * `hdsctl synth --env NAME | --all [--out DIR] [--json] [--backend pg|local]`: the Proxmox
 * stacks (cdktf, bpg/proxmox) of one or every environment, written atomically, checked against
 * the provider schema, with a summary per stack whose VM, vCPU, RAM and disk figures must
 * agree with `hdsctl show` (the placement of the model).
 */
import type { Command } from 'commander';
import { formatDiagnostic } from '../../../modules/loader/load.ts';
import { displayPath } from '../../../modules/loader/paths.ts';
import { formatProblem } from '../../../modules/proxmox/check/schema.ts';
import { compareWithTopology, type Mismatch, type StackSummary } from '../../../modules/proxmox/check/summary.ts';
import { stackName } from '../../../stacks/app.ts';
import { stackOptionsFromEnv } from '../../../stacks/options.ts';
import { checkSynthOutput, SchemaCheckError, SYNTH_OUTPUT, synthesizeTo, VerificationError } from '../../../stacks/synthesize.ts';
import { checkOptions, environmentsDir, oneOf, outputPath } from '../args.ts';
import { bold, CliError, EXIT_ERROR, EXIT_OK, green, log, out, printJson, red } from '../output.ts';
import { table } from '../table.ts';
import { evaluateEnvironments } from '../workspace.ts';

interface Options {
  env?: string;
  all?: boolean;
  out: string;
  json?: boolean;
  dir?: string;
  backend?: string;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('synth')
    .description('synthesize the Proxmox VE stacks (cdktf, bpg/proxmox) of an environment or all of them, atomically, with a summary per stack')
    .option('--env <name>', 'one environment')
    .option('--all', 'every environment')
    .option('--out <dir>', 'output directory, replaced atomically; only an absent or empty one, or one synth wrote (marker .hdsctl-output)', 'cdktf.out')
    .option('--backend <kind>', 'state backend: pg (OpenTofu pg backend, default; or $HDS_STATE_BACKEND) or local')
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .option('--json', 'the summary as JSON on stdout')
    .action((opts: Options) => {
      const a = checkOptions(opts, {
        out: outputPath('cdktf.out'),
        backend: { check: oneOf(['pg', 'local'] as const, 'state backend'), fallback: () => (process.env.HDS_STATE_BACKEND !== undefined ? { raw: process.env.HDS_STATE_BACKEND, label: 'HDS_STATE_BACKEND' } : undefined) },
        dir: environmentsDir,
      });
      if (opts.env !== undefined && opts.all) throw new CliError(`--env "${opts.env}" and --all: give one of them (e.g. hdsctl synth --env ${opts.env})`);
      if (opts.env === undefined && !opts.all) throw new CliError('--env NAME or --all is required (e.g. hdsctl synth --env production)');
      const target = { ...SYNTH_OUTPUT, flag: '--out', value: a.out! };
      checkSynthOutput(a.out!, target);
      process.env.CHECKPOINT_DISABLE = '1';
      const evaluation = evaluateEnvironments({ dir: a.dir }, opts.env);
      if (evaluation.diagnostics.length) {
        throw new CliError(`the environments are not valid, nothing was written:\n${evaluation.diagnostics.map(formatDiagnostic).join('\n')}`);
      }
      const environments = opts.env ? [opts.env] : [...evaluation.topologies.keys()].sort();
      const options = stackOptionsFromEnv(process.env, a.backend ? { backend: a.backend } : {});
      const started = Date.now();
      log(`synthesizing ${environments.join(', ')} into ${a.out} ...`);
      const compare = (stacks: StackSummary[]): Mismatch[] =>
        environments.flatMap((env) => compareWithTopology(evaluation.topologies.get(env)!, stacks, (site) => stackName(env, site, 'compute')));
      const describe = (m: Mismatch) => `${m.environment} ${m.site} ${m.field}: model ${m.model}, synthesized ${m.synthesized}`;
      let result: ReturnType<typeof synthesizeTo>;
      try {
        result = synthesizeTo(a.out!, evaluation.topologies, environments, options, (stacks) => compare(stacks).map(describe), target);
      } catch (e) {
        if (e instanceof SchemaCheckError) throw new CliError(`${e.message}, nothing was written:\n${e.problems.slice(0, 50).map(formatProblem).join('\n')}`);
        if (e instanceof VerificationError)
          throw new CliError(`the stacks disagree with the model (hdsctl show), nothing was written:\n${e.findings.join('\n')}`);
        throw e;
      }
      const mismatches = compare(result.stacks);
      const envTotals = environments.map((env) => {
        const mine = result.stacks.filter((s) => result.meta.get(s.stack)?.environment === env);
        const sum = (f: 'vms' | 'vcpu' | 'ramGiB' | 'diskGiB' | 'resources') => mine.reduce((a, s) => a + s[f], 0);
        return {
          environment: env,
          stacks: mine.length,
          resources: sum('resources'),
          vms: sum('vms'),
          vcpu: sum('vcpu'),
          ramGiB: sum('ramGiB'),
          diskGiB: sum('diskGiB'),
        };
      });
      if (opts.json) {
        printJson({
          ok: mismatches.length === 0,
          outdir: displayPath(result.outdir),
          environments: envTotals,
          stacks: result.stacks.map((s) => ({ ...s, ...result.meta.get(s.stack) })),
          modelMismatches: mismatches,
        });
      } else {
        out(bold(`Stacks in ${displayPath(result.outdir)}`, process.stdout));
        out(
          table(
            ['stack', 'layer', 'resources', 'VMs', 'vCPU', 'RAM GiB', 'disk GiB', 'main resource types'],
            result.stacks.map((s) => [
              s.stack,
              result.meta.get(s.stack)?.layer ?? '',
              s.resources,
              s.vms,
              s.vcpu,
              s.ramGiB,
              s.diskGiB,
              Object.entries(s.byType)
                .sort((a, b) => b[1] - a[1])
                .slice(0, 3)
                .map(([t, n]) => `${t.replace(/^proxmox_(virtual_environment_)?/, '')} ${n}`)
                .join(', '),
            ]),
            [2, 3, 4, 5, 6],
          ).join('\n'),
        );
        out('');
        out(bold('Per environment (VMs, vCPU, RAM and disk agree with `hdsctl show`)', process.stdout));
        out(
          table(
            ['environment', 'stacks', 'resources', 'VMs', 'vCPU', 'RAM GiB', 'disk GiB'],
            envTotals.map((e) => [e.environment, e.stacks, e.resources, e.vms, e.vcpu, e.ramGiB, e.diskGiB]),
            [1, 2, 3, 4, 5, 6],
          ).join('\n'),
        );
      }
      for (const m of mismatches) log(red(`model mismatch: ${describe(m)}`));
      if (mismatches.length === 0) log(green(`ok: ${result.stacks.length} stacks, schema-checked, in ${((Date.now() - started) / 1000).toFixed(1)} s`));
      setExit(mismatches.length ? EXIT_ERROR : EXIT_OK);
    });
}
