import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, scratchEnvironments } from '../testing.ts';

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
    const cases: Array<[string[], string]> = [
      [['--from', 'recette', '--name', 'dev'], 'error: environment "dev" already exists'],
      [['--from', 'nope', '--name', 'x1'], 'error: unknown template "nope"'],
      [['--from', 'recette', '--name', 'Bad_Name'], 'error: --name "Bad_Name" is not a valid environment name'],
      [['--from', 'recette', '--name', 'r3', '--slot', '2'], 'error: the new environment would not be valid, nothing was written'],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['env', 'new', ...args, '--dir', dir]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(message);
    }
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(existsSync(join(dir, 'r3.yaml'))).toBe(false);
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
