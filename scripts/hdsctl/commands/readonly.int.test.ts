/**
 * Integration tier (root): a real read-only file system (a tmpfs mounted ro). Every writer
 * refuses it with one line naming the path, before any work, and nothing is written.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ENVIRONMENTS, runCli, treeSnapshot } from '../testing.ts';

const isRoot = process.getuid?.() === 0;
let ro = '';

describe.skipIf(!isRoot)('writers on a read-only file system', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    ro = mkdtempSync(join(tmpdir(), 'hds-rofs-'));
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', ro]);
    cpSync(REPO_ENVIRONMENTS, join(ro, 'environments'), { recursive: true });
    await execa('mount', ['-o', 'remount,ro', ro]);
  });
  afterAll(async () => {
    if (ro) await execa('umount', [ro], { reject: false });
  });

  it('synth, policy --out and env new: one line with the path (EROFS), nothing written', async () => {
    const before = treeSnapshot(ro);
    const cases: Array<[string[], string]> = [
      [['synth', '--env', 'lab', '--out', join(ro, 'out')], `error: --out: "${ro}" is on a read-only file system; give a path on a writable file system`],
      [['policy', '--env', 'lab', '--out', join(ro, 'reports'), '--today', '2026-11-23'], `error: --out: "${ro}" is on a read-only file system; give a path on a writable file system`],
      [['env', 'new', '--from', 'recette', '--name', 'r9', '--dir', join(ro, 'environments')], `error: --dir: "${ro}/environments" is on a read-only file system; give a path on a writable file system`],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      expect(run.stderr.trim().split('\n').pop()).toBe(message);
      expect(run.stderr).not.toMatch(/EROFS/);
      expect(run.code).toBe(1);
    }
    expect(treeSnapshot(ro)).toBe(before);
  });
});
