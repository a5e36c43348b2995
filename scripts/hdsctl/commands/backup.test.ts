/**
 * `hdsctl backup run|verify|info` (issue 14; EXG_PRA_2): every flag checked before anything runs —
 * a bad --type, --repo or --domain is one line naming the flag, the value and the allowed values,
 * exit 1, nothing written; repo 2 refused where the environment has no offline copy; production
 * refused (lab only). No lab, no root needed.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../output.ts';
import { editYaml, REPO_ENVIRONMENTS, runCli, scratchEnvironments } from '../testing.ts';
import { checkBackupFlags, formatAge } from './backup.ts';

const state = mkdtempSync(join(tmpdir(), 'hds-backup-cli-'));
const env = { HDS_STATE_DIR: state };
afterAll(() => rmSync(state, { recursive: true, force: true }));

describe('hdsctl backup: flags checked first', () => {
  it('a bad --type or --repo: one line each naming flag, value and allowed values, exit 1, nothing written', async () => {
    const r = await runCli(['backup', 'run', '--type', 'weekly'], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: --type: "weekly" is not a known backup type; use one of: full, diff, incr (e.g. --type full)');
    const repo = await runCli(['backup', 'verify', '--repo', '3'], env);
    expect(repo.code).toBe(1);
    expect(repo.stderr.trim()).toBe('error: --repo: "3" is not a known repository; use one of: 1, 2 (e.g. --repo 1)');
    expect(repo.stdout).toBe('');
    expect(readdirSync(state)).toEqual([]);
  });

  it('an unknown domain, named with the domains the environment has; every bad flag reported at once', async () => {
    const r = await runCli(['backup', 'info', '--domain', 'billing', '--repo', 'x'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: --domain: "billing" is not a known PostgreSQL domain of lab; use one of: documents (e.g. --domain documents)');
    expect(r.stderr).toContain('error: --repo: "x" is not a known repository; use one of: 1, 2');
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('--repo 2 where the environment declares no offline copy: refused with how to fix it', async () => {
    // The shipped lab declares one: --repo 2 passes the flag checks there.
    expect(checkBackupFlags('run', { dir: REPO_ENVIRONMENTS, type: 'full', repo: '2' }).repo).toBe(2);
    // A lab without one: its file edited in a scratch copy of environments/.
    const dir = scratchEnvironments();
    try {
      editYaml(join(dir, 'lab.yaml'), ['services', 'backup', 'offlineCopy'], false);
      const r = await runCli(['backup', 'run', '--repo', '2', '--dir', dir], env);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        'error: --repo: "2" is the offline copy, which environment lab does not declare (services.backup.offlineCopy: false); use --repo 1, or set offlineCopy: true in its file',
      );
      expect(r.stdout).toBe('');
      expect(readdirSync(state)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('production is refused: the lab only', async () => {
    const r = await runCli(['backup', 'run', '--env', 'production'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not on the local lab/);
  });

  it('defaults: the only domain, a full backup to repo 1; info lists every repository unless --repo is given', () => {
    const run = checkBackupFlags('run', { dir: REPO_ENVIRONMENTS, type: 'full', repo: '1' });
    expect({ domain: run.domain, type: run.type, repo: run.repo }).toEqual({ domain: 'documents', type: 'full', repo: 1 });
    expect(checkBackupFlags('info', { dir: REPO_ENVIRONMENTS }).repo).toBeUndefined();
    expect(checkBackupFlags('verify', { dir: REPO_ENVIRONMENTS, domain: 'documents' }).repo).toBe(1);
    expect(() => checkBackupFlags('run', { dir: REPO_ENVIRONMENTS, type: 'incremental' })).toThrow(CliError);
  });
});

describe('formatAge', () => {
  it('seconds, minutes, hours and days as an operator reads them', () => {
    expect([0, 59, 60, 3599, 3600, 3660 + 5, 86_399, 86_400, 2 * 86_400 + 4 * 3600 + 59].map(formatAge)).toEqual([
      '0 s',
      '59 s',
      '1 min',
      '59 min',
      '1 h 00 min',
      '1 h 01 min',
      '23 h 59 min',
      '1 d 00 h',
      '2 d 04 h',
    ]);
  });
});
