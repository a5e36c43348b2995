/**
 * `hdsctl backup run|verify|info` (issue 14; EXG_PRA_2): every flag checked before anything runs —
 * a bad --type, --repo or --domain is one line naming the flag, the value and the allowed values,
 * exit 1, nothing written; repo 2 refused where the environment has no offline copy; production
 * refused (lab only). `backup config`: the configuration set of any environment, written where
 * asked (the lab's repository guest by default), refused when a file holds one of the lab's secret
 * values. No lab, no root needed.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../output.ts';
import { editYaml, REPO_ENVIRONMENTS, runCli, scratchEnvironments } from '../testing.ts';
import { checkBackupFlags, checkConfigFlags, formatAge } from './backup.ts';

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

describe('hdsctl backup config: the configuration and key-metadata set (EXG_PRA_2)', () => {
  const cfgState = mkdtempSync(join(tmpdir(), 'hds-config-cli-'));
  const cfgEnv = { HDS_STATE_DIR: cfgState };
  afterAll(() => rmSync(cfgState, { recursive: true, force: true }));
  const setsIn = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

  it('production without --out: one line saying why and how, nothing written', async () => {
    const r = await runCli(['backup', 'config', '--env', 'production'], cfgEnv);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      "error: --out is required for environment production (platform national): only a lab has a default, its repository guest's /var/lib/pgbackrest-config; give a directory (e.g. --out backups/config)",
    );
    expect(readdirSync(cfgState)).toEqual([]);
  });

  it('production with --out: the set written there, its manifest saying there is no key metadata and why', async () => {
    const outDir = join(cfgState, 'out');
    const r = await runCli(['backup', 'config', '--env', 'production', '--out', outDir, '--json'], cfgEnv);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { id: string; files: number; archive: { sha256: string }; notes: string[] };
    expect(readdirSync(outDir)).toEqual([res.id]);
    expect(res.id).toMatch(/^production-config-\d{8}T\d{6}Z$/);
    const manifest = JSON.parse(readFileSync(join(outDir, res.id, 'manifest.json'), 'utf8'));
    expect(manifest.entries).toHaveLength(res.files);
    expect(manifest.entries.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['environments/production.yaml', 'policies/waivers.yaml', 'keys/hsm-keys.json']),
    );
    expect(manifest.notes).toEqual([expect.stringMatching(/^no key metadata for environment production: /)]);
    expect(r.stderr).toContain('note: no key metadata for environment production');
  });

  it("the lab: written under its repository guest's /var/lib/pgbackrest-config; the token absent, the note says the lab is not running", async () => {
    const t = checkConfigFlags({ env: 'lab', dir: REPO_ENVIRONMENTS });
    expect(t.out).toMatch(/\/guests\/[a-z0-9-]+\/var\/lib\/pgbackrest-config$/);
    const r = await runCli(['backup', 'config', '--dir', REPO_ENVIRONMENTS], cfgEnv);
    expect(r.code).toBe(0);
    const sets = setsIn(join(cfgState, 'lab', t.out.slice(t.out.indexOf('/guests/'))));
    expect(sets).toHaveLength(1);
    const manifest = JSON.parse(readFileSync(join(cfgState, 'lab', t.out.slice(t.out.indexOf('/guests/')), sets[0]!, 'manifest.json'), 'utf8'));
    expect(manifest.notes).toEqual([expect.stringMatching(/^lab not running: no key metadata \(no .*softhsm2\.conf and no .*hsm-user-pin;/)]);
    expect(r.stdout).toMatch(/environment file\(s\), \d+ rendered file\(s\) of \d+ guest\(s\), the waivers, keys\/hsm-keys\.json/);
  });

  it("one of the lab's secret values in an environment file: refused naming the file and line, the value never printed, nothing written", async () => {
    const state = mkdtempSync(join(tmpdir(), 'hds-config-cli-secret-'));
    const dir = scratchEnvironments();
    try {
      const value = 'Zq3v9LkP0aXw-r7TtY2bNc8dHs5fJm1gUe4iOo6pQl0';
      mkdirSync(join(state, 'lab', 'secrets'), { recursive: true });
      writeFileSync(join(state, 'lab', 'secrets', 'pg-documents.replication'), `${value}\n`, { mode: 0o600 });
      const text = readFileSync(join(dir, 'lab.yaml'), 'utf8');
      writeFileSync(join(dir, 'lab.yaml'), `${text}# password: ${value}\n`);
      const r = await runCli(['backup', 'config', '--dir', dir], { HDS_STATE_DIR: state });
      expect(r.code).toBe(1);
      const line = `${text}#`.split('\n').length;
      expect(r.stderr.trim()).toMatch(
        new RegExp(
          `^error: config set refused: environments/lab\\.yaml:${line} holds the value of secret "pg-documents\\.replication"; a backup set carries no secret`,
        ),
      );
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr + r.stdout).not.toContain(value);
      expect(readdirSync(join(state, 'lab'))).toEqual(['secrets']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('a missing --waivers file: one line, nothing written', async () => {
    const r = await runCli(['backup', 'config', '--env', 'production', '--out', join(cfgState, 'w'), '--waivers', 'nope.yaml'], cfgEnv);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: --waivers: "nope.yaml" does not exist; give a waivers file (e.g. --waivers policies/waivers.yaml)');
    expect(existsSync(join(cfgState, 'w'))).toBe(false);
  });
});
