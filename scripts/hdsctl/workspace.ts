/** Loading environments for a command, with the CLI's error conventions. */
import { defaultEnvironmentsDir, evaluate, type Evaluation, loadWorkspace } from '../../modules/loader/load.ts';
import { CliError } from './output.ts';

export interface EnvOptions {
  dir?: string;
}

export function evaluateEnvironments(opts: EnvOptions, only?: string): Evaluation {
  const workspace = loadWorkspace(opts.dir ?? defaultEnvironmentsDir());
  if (only && !workspace.environments.has(only) && !workspace.diagnostics.some((d) => d.file.endsWith(`${only}.yaml`))) {
    const known = [...workspace.environments.keys()].sort().join(', ');
    throw new CliError(`unknown environment "${only}" in ${workspace.dir} (known: ${known || 'none'}); create it with \`hdsctl env new --from <template> --name ${only}\``);
  }
  return evaluate(workspace, only);
}
