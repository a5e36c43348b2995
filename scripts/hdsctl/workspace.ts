/** Loading environments for a command, with the CLI's error conventions. */
import { evaluate, type Evaluation, loadWorkspace } from '../../modules/loader/load.ts';
import { displayPath } from '../../modules/loader/paths.ts';
import { CliError } from './output.ts';

export interface EnvOptions {
  /** The environments directory, already checked (args.ts `environmentsDir`). */
  dir: string;
}

export function evaluateEnvironments(opts: EnvOptions, only?: string): Evaluation {
  const workspace = loadWorkspace(opts.dir);
  if (only !== undefined && !workspace.environments.has(only) && !workspace.diagnostics.some((d) => d.file.endsWith(`/${only}.yaml`) || d.file === `${only}.yaml`)) {
    const known = [...workspace.environments.keys()].sort().join(', ');
    throw new CliError(
      `--env: "${only}" is not an environment of ${displayPath(workspace.dir)} (known: ${known || 'none'}); use one of them, or create it with \`hdsctl env new --from <template> --name ${only}\``,
    );
  }
  return evaluate(workspace, only);
}
