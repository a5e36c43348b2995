/** Conventions every command shares: arguments checked first, one-line errors, usage errors on one line. */
import { describe, expect, it } from 'vitest';
import { runCli } from './testing.ts';

describe('every command checks its arguments first', () => {
  it('--dir on a missing directory: the same one line and exit 1 for every command that reads environments', async () => {
    const commands = [
      ['validate'],
      ['show', '--env', 'lab'],
      ['env', 'list'],
      ['env', 'new', '--from', 'recette', '--name', 'r2'],
      ['lab', 'status'],
      ['synth', '--env', 'lab'],
      ['policy', '--env', 'lab'],
      ['dataset', 'generate', '--users', '10', '--target', 'null:'],
      ['dataset', 'reset', '--env', 'formation', '--target', 'postgres://127.0.0.1:1/x'],
    ];
    for (const args of commands) {
      const run = await runCli([...args, '--dir', '/nonexistent']);
      expect(run.stderr.trim(), args.join(' ')).toBe('error: --dir: "/nonexistent" does not exist; give the environments directory (e.g. --dir environments)');
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
    }
  });

  it('$HDS_ENVIRONMENTS_DIR is checked like --dir and named', async () => {
    const run = await runCli(['env', 'list'], { HDS_ENVIRONMENTS_DIR: '/nonexistent' });
    expect(run.stderr.trim()).toBe('error: HDS_ENVIRONMENTS_DIR: "/nonexistent" does not exist; give the environments directory (e.g. HDS_ENVIRONMENTS_DIR=environments)');
    expect(run.code).toBe(1);
  });

  it('usage errors are one line that says where to read the usage', async () => {
    const cases: Array<[string[], string]> = [
      [['show'], "error: required option '--env <name>' not specified (run with --help for usage)"],
      [['frobnicate'], "error: unknown command 'frobnicate' (run with --help for usage)"],
      [['validate', '--bogus'], "error: unknown option '--bogus' (run with --help for usage)"],
      [['env', 'new', '--from'], "error: option '--from <template>' argument missing (run with --help for usage)"],
      [['synth'], 'error: --env NAME or --all is required (e.g. hdsctl synth --env production)'],
      [['policy'], 'error: --env NAME, --all or --tf PATH is required (e.g. hdsctl policy --env production)'],
      [['validate', '--env', 'dev', '--all'], 'error: --env "dev" and --all: give one of them (e.g. hdsctl validate --env dev)'],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      expect(run.stderr.trim()).toBe(message);
      expect(run.code).toBe(1);
    }
  });
});
