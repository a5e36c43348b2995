/**
 * hdsctl: the operator's command line. Each subcommand lives in commands/<name>.ts and
 * registers itself here; adding one is one import and one line.
 */
import { Command, CommanderError } from 'commander';
import { describeFsError, isFsError } from '../../modules/loader/safeOutput.ts';
import * as backup from './commands/backup.ts';
import * as baremetal from './commands/baremetal.ts';
import * as dataset from './commands/dataset.ts';
import * as drill from './commands/drill.ts';
import * as env from './commands/env.ts';
import * as lab from './commands/lab.ts';
import * as policy from './commands/policy.ts';
import * as restore from './commands/restore.ts';
import * as reversibility from './commands/reversibility.ts';
import * as show from './commands/show.ts';
import * as synth from './commands/synth.ts';
import * as validate from './commands/validate.ts';
import * as waf from './commands/waf.ts';
import * as workloads from './commands/workloads.ts';
import { CliError, EXIT_ERROR, EXIT_OK, log, red } from './output.ts';

type Registrar = { register(program: Command, setExit: (code: number) => void): void };
const COMMANDS: Registrar[] = [validate, show, env, lab, synth, dataset, policy, drill, backup, restore, reversibility, waf, workloads, baremetal];

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('hdsctl')
    .description('Build, check and operate the sovereign HDS health-data platform (see README.md)')
    .version('0.1.0')
    .enablePositionalOptions()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      writeOut: (s) => process.stdout.write(s),
      // Usage errors on one line, with where to read the usage.
      outputError: (s, write) => write(`${red(s.trim().replace(/\s*\n\s*/g, ' '))} (run with --help for usage)\n`),
    })
    .exitOverride();
  for (const c of COMMANDS) c.register(program, setExit);
  for (const sub of program.commands) {
    sub.exitOverride();
    for (const subsub of sub.commands) subsub.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; usage errors exit 1 (commander already printed them).
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT_OK : EXIT_ERROR;
    }
    if (e instanceof CliError) {
      log(red(`error: ${e.message}`));
      return e.exitCode;
    }
    // A system error no command explained: still one line with the path and a fix.
    if (isFsError(e)) {
      log(red(`error: ${describeFsError(e)}`));
      if (process.env.HDS_DEBUG) log(e.stack ?? '');
      return EXIT_ERROR;
    }
    log(red(`error: ${e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e)}`));
    if (process.env.HDS_DEBUG && e instanceof Error) log(e.stack ?? '');
    return EXIT_ERROR;
  }
}
