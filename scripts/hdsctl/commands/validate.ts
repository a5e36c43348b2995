/** `hdsctl validate [--env NAME | --all]`: schema and semantic checks of environments, platforms and application catalogs, every error at once. */
import type { Command } from 'commander';
import { formatDiagnostic } from '../../../modules/loader/load.ts';
import { checkOptions, environmentsDir } from '../args.ts';
import { CliError, EXIT_ERROR, EXIT_OK, green, log, out, printJson, red } from '../output.ts';
import { evaluateEnvironments } from '../workspace.ts';

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check environment, platform and application catalog files against the schema and the platform rules; writes nothing')
    .option('--env <name>', 'check one environment (cross-environment rules still see the others)')
    .option('--all', 'check every environment (the default)')
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .option('--json', 'machine-readable output on stdout')
    .action((opts: { env?: string; all?: boolean; dir?: string; json?: boolean }) => {
      const { dir } = checkOptions(opts, { dir: environmentsDir });
      if (opts.env !== undefined && opts.all) throw new CliError(`--env "${opts.env}" and --all: give one of them (e.g. hdsctl validate --env ${opts.env})`);
      const result = evaluateEnvironments({ dir }, opts.env);
      const checked = opts.env ? [opts.env] : [...result.workspace.environments.keys()].sort();
      const ok = result.diagnostics.length === 0;
      const catalogs = [...result.workspace.catalogs.keys()].sort();
      if (opts.json) {
        printJson({ ok, environments: checked, platforms: [...result.workspace.platforms.keys()].sort(), catalogs, errors: result.diagnostics });
      } else {
        for (const d of result.diagnostics) out(formatDiagnostic(d));
        if (ok) log(green(`ok: ${checked.length} environment(s) valid (${checked.join(', ')})${catalogs.length ? `, ${catalogs.length} application catalog(s) (${catalogs.join(', ')})` : ''}`));
        else log(red(`${result.diagnostics.length} error(s); nothing was written`));
      }
      setExit(ok ? EXIT_OK : EXIT_ERROR);
    });
}
