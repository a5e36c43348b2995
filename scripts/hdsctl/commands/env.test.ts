import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, scratchEnvironments, treeSnapshot } from '../testing.ts';

describe('hdsctl env new', () => {
  it('copies a template with the next free slot of its class, and the result validates', async () => {
    const dir = scratchEnvironments();
    const run = await runCli(['env', 'new', '--from', 'recette', '--name', 'recette-2', '--dir', dir]);
    expect(run.code).toBe(0);
    const doc = parse(readFileSync(join(dir, 'recette-2.yaml'), 'utf8'));
    expect(doc.name).toBe('recette-2');
    expect(doc.network.slot).toBe(9); // non-production slots 0-8 are taken
    expect(doc.class).toBe('recette');
    expect((await runCli(['validate', '--all', '--dir', dir])).code).toBe(0);
    // Adding it renumbered nobody: recette keeps its block.
    const show = JSON.parse((await runCli(['show', '--env', 'recette', '--json', '--dir', dir])).stdout);
    expect(show.environment.addressBlock).toBe('10.39.48.0/20');
  });

  it('refuses an existing name, an unknown template, a bad name or a taken slot, and writes nothing', async () => {
    const dir = scratchEnvironments();
    const before = readdirSync(dir).sort();
    const snapshot = treeSnapshot(dir);
    const cases: Array<[string[], string]> = [
      [['--from', 'recette', '--name', 'dev'], 'error: --name: "dev" is already an environment'],
      [['--from', 'nope', '--name', 'x1'], 'error: --from: "nope" is not an environment of'],
      [['--from', 'recette', '--name', 'Bad_Name'], 'error: --name: "Bad_Name" is not a valid name; use lower-case letters, digits and dashes, 2-31 characters, starting with a letter (e.g. --name recette-2)'],
      [['--from', 'recette', '--name', 'r3', '--slot', '2'], 'error: --slot: "2" is taken by environment certification (non-production slots of platform national); use a free slot (e.g. --slot 9), or leave --slot out to take the next free one'],
      [['--from', 'recette', '--name', 'r3', '--slot', 'abc'], 'error: --slot: "abc" is not a whole number; use a whole number from 0 to 15 (e.g. --slot 9)'],
      [['--from', 'recette', '--name', 'r3', '--slot', '16'], 'error: --slot: "16" is out of range; use a whole number from 0 to 15 (e.g. --slot 9)'],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['env', 'new', ...args, '--dir', dir]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(treeSnapshot(dir)).toBe(snapshot);
    expect(existsSync(join(dir, 'r3.yaml'))).toBe(false);
  });

  it('env list --dir on a missing directory is an error (exit 1), not an empty table', async () => {
    const run = await runCli(['env', 'list', '--dir', '/nonexistent']);
    expect(run.stderr.trim()).toBe('error: --dir: "/nonexistent" does not exist; give the environments directory (e.g. --dir environments)');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
  });

  it('a directory named x.yaml among the environments is one located line, for every command', async () => {
    const dir = scratchEnvironments();
    mkdirSync(join(dir, 'x.yaml'));
    const snapshot = treeSnapshot(dir);
    const line = 'x.yaml:1:1 /: is a directory, expected a YAML environment file (rename or remove that directory: every *.yaml here is read as a file)';
    for (const args of [['validate', '--all'], ['env', 'list'], ['env', 'new', '--from', 'recette', '--name', 'r4']]) {
      const run = await runCli([...args, '--dir', dir]);
      expect(run.code).toBe(1);
      expect(`${run.stdout}${run.stderr}`.replaceAll(`${dir}/`, '')).toContain(line);
      expect(`${run.stdout}${run.stderr}`).not.toContain('EISDIR');
    }
    expect(treeSnapshot(dir)).toBe(snapshot);
  });

  it('lists environments', async () => {
    const run = await runCli(['env', 'list', '--json']);
    const rows = JSON.parse(run.stdout) as Array<{ name: string; slot: number }>;
    expect(rows.map((r) => r.name)).toContain('production');
    expect(rows).toHaveLength(11);
  });
});

describe('hdsctl help and usage', () => {
  it('has --help on every level and exits 0', async () => {
    for (const args of [['--help'], ['validate', '--help'], ['show', '--help'], ['env', '--help'], ['env', 'new', '--help']]) {
      const run = await runCli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Usage: hdsctl');
    }
  });

  it('exits 1 on a usage error', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(1);
    expect((await runCli(['show'])).code).toBe(1);
  });
});
