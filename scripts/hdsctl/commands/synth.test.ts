/** `hdsctl synth --out`: only a directory synth wrote itself is ever replaced; anything else is refused and left intact. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliIn, scratchProject, treeSnapshot } from '../testing.ts';

describe('hdsctl synth --out', { timeout: 120_000 }, () => {
  it('refuses the project, environments, a file, the root and a foreign directory, with one line, and changes nothing', async () => {
    const p = scratchProject();
    mkdirSync(join(p, 'docs'));
    writeFileSync(join(p, 'docs', 'plan.md'), '# mine\n');
    const cases: Array<[string, string]> = [
      ['.', 'error: --out: "." is the current directory; synth replaces its whole output directory: give a dedicated directory (e.g. --out cdktf.out)'],
      [
        'environments',
        'error: --out: "environments" holds environment files; synth replaces its whole output directory: give a dedicated directory (e.g. --out cdktf.out)',
      ],
      ['notes.txt', 'error: --out: "notes.txt" is an existing file, expected a directory; give a directory path (e.g. --out cdktf.out) or remove the file'],
      ['/', 'error: --out: "/" is the filesystem root; synth replaces its whole output directory: give a dedicated directory (e.g. --out cdktf.out)'],
      ['..', 'error: --out: ".." contains the current directory; synth replaces its whole output directory: give a dedicated directory (e.g. --out cdktf.out)'],
      [
        'docs',
        'error: --out: "docs" is a non-empty directory that synth did not write (no .hdsctl-output marker); give a new or empty directory (e.g. --out cdktf.out), or remove it first',
      ],
      ['notes.txt/out', 'error: --out: "notes.txt/out": "notes.txt" is a file, expected a directory; give a path whose parents are directories'],
    ];
    for (const [out, message] of cases) {
      const before = treeSnapshot(p);
      const run = await runCliIn(p, ['synth', '--env', 'lab', '--out', out]);
      expect(run.stderr.trim()).toBe(message);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(treeSnapshot(p)).toBe(before);
    }
    expect(readFileSync(join(p, 'notes.txt'), 'utf8')).toBe('my own notes\n');
  });

  it('refuses a bad --backend, repeating it, before any work', async () => {
    const p = scratchProject();
    const before = treeSnapshot(p);
    const run = await runCliIn(p, ['synth', '--env', 'lab', '--backend', 'postgres']);
    expect(run.stderr.trim()).toBe('error: --backend: "postgres" is not a known state backend; use one of: pg, local (e.g. --backend pg)');
    expect(run.code).toBe(1);
    expect(treeSnapshot(p)).toBe(before);
    expect(existsSync(join(p, 'cdktf.out'))).toBe(false);
  });

  it('writes its marker and replaces only its own output on the next run', async () => {
    const p = scratchProject();
    const first = await runCliIn(p, ['synth', '--env', 'lab', '--backend', 'local']);
    expect(first.code).toBe(0);
    expect(readdirSync(join(p, 'cdktf.out')).sort()).toEqual(['.hdsctl-output', 'manifest.json', 'stacks']);
    writeFileSync(join(p, 'cdktf.out', 'stale.txt'), 'old');
    const again = await runCliIn(p, ['synth', '--env', 'lab', '--backend', 'local', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).outdir).toBe('cdktf.out');
    expect(existsSync(join(p, 'cdktf.out', 'stale.txt'))).toBe(false);
    expect(readdirSync(p).sort()).toEqual(['cdktf.out', 'environments', 'notes.txt', 'policies']);
  });
});
