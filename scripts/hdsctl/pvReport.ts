/**
 * What the commands that write a signed PV share (drill, restore-test, env refresh): who runs them,
 * and `<command> report RUN [--lang] [--stdout md|html|json]`, which re-renders a past run's PV.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import type { Lang } from '../../policies/types.ts';
import type { LabPlan } from '../../modules/lab/types.ts';
import { checkOptions, environmentsDir, oneOf } from './args.ts';
import { resolveLabPlan } from './labPlan.ts';
import { CliError, EXIT_OK, log } from './output.ts';

/** The operator recorded in a PV: --operator, else the user behind sudo, else the user. */
export function operatorOf(o: string | undefined): string {
  return o ?? process.env.SUDO_USER ?? process.env.USER ?? 'operator';
}

export interface PvReportSpec<R extends { id: string }> {
  /** Where the runs live, e.g. `.state/drills/`, for the help and the messages. */
  runsHelp: string;
  runsDir(plan: LabPlan): string;
  render(run: R, lang: Lang): { json: string; md: string; html: string };
  write(dir: string, run: R, lang: Lang): void;
}

/** Adds `report <run>` under `parent`. */
export function registerPvReport<R extends { id: string }>(parent: Command, spec: PvReportSpec<R>, setExit: (code: number) => void): void {
  parent
    .command('report')
    .argument('<run>', `run id or directory under ${spec.runsHelp}`)
    .description('re-render the PV of a past run (e.g. in another language)')
    .option('--env <name>', 'lab environment', 'lab')
    .option('--dir <path>', 'environments directory')
    .option('--lang <fr|en>', 'language of the PV', 'fr')
    .option('--stdout <md|html|json>', 'print one format instead of rewriting the files')
    .action((runArg: string, opts: { env?: string; dir?: string; lang?: string; stdout?: string }) => {
      const o = checkOptions(opts, {
        dir: environmentsDir,
        lang: oneOf(['fr', 'en'] as const, 'language'),
        stdout: oneOf(['md', 'html', 'json'] as const, 'format'),
      });
      const plan = resolveLabPlan({ ...(opts.env !== undefined ? { env: opts.env } : {}), dir: o.dir! });
      const runs = spec.runsDir(plan);
      const base = runArg.replace(/\/+$/, '').replace(/^.*\//, '');
      if (!/^[A-Za-z0-9._-]+$/.test(base))
        throw new CliError(`run: ${JSON.stringify(runArg)} is not a run id; list them with: ls ${relative(process.cwd(), runs)}`);
      const dir = join(runs, base);
      let run: R;
      try {
        run = JSON.parse(readFileSync(join(dir, 'pv.json'), 'utf8')) as R;
      } catch {
        throw new CliError(
          `run: no PV in ${relative(process.cwd(), dir)} (pv.json missing or not JSON); list the runs with: ls ${relative(process.cwd(), runs)}`,
        );
      }
      const lang = o.lang ?? 'fr';
      if (o.stdout) process.stdout.write(spec.render(run, lang)[o.stdout]);
      else {
        spec.write(dir, run, lang);
        log(`PV of ${run.id} rendered in ${lang}: ${relative(process.cwd(), dir)}/pv.{json,md,html}`);
      }
      setExit(EXIT_OK);
    });
}
