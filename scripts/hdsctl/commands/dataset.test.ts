/**
 * `hdsctl dataset reset` checks every argument, the profile, the environment and the target
 * connection before anything is dropped (no PostgreSQL needed: the target's inspect and drop
 * are watched; a real reset runs in dataset.int.test.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli, treeSnapshot } from '../testing.ts';
import { resetTarget } from './dataset.ts';

const URL = 'postgres://hds@127.0.0.1:1/formation';
const reset = (...args: string[]) => runCli(['dataset', 'reset', '--env', 'formation', '--target', URL, '--no-progress', ...args]);

describe('hdsctl dataset reset: nothing is dropped before everything is checked', () => {
  afterEach(() => vi.restoreAllMocks());

  it('refuses a bad --users, --chunk-size, --workers or --profile with one line, and drops nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hds-dataset-args-'));
    writeFileSync(join(dir, 'bad-profile.yaml'), 'documents:\n  perUserPerYear: -1\n');
    writeFileSync(join(dir, 'broken-profile.yaml'), 'documents: { perUserPerYear: 3\n');
    const cores = availableParallelism();
    const cases: Array<[string[], string]> = [
      [['--users', 'abc'], 'error: --users: "abc" is not a whole number; use a whole number from 1 to 70,000,000 (e.g. --users 100000)'],
      [['--users', '0'], 'error: --users: "0" is out of range; use a whole number from 1 to 70,000,000 (e.g. --users 100000)'],
      [['--chunk-size', '0'], 'error: --chunk-size: "0" is out of range; use a whole number from 1 to 10,000,000 (e.g. --chunk-size 20000)'],
      [['--chunk-size', 'big'], 'error: --chunk-size: "big" is not a whole number; use a whole number from 1 to 10,000,000 (e.g. --chunk-size 20000)'],
      [['--workers', '0'], `error: --workers: "0" is out of range; use a whole number from 1 to ${cores} (e.g. --workers ${Math.min(2, cores)})`],
      [
        ['--profile', join(dir, 'nope.yaml')],
        `error: --profile: "${join(dir, 'nope.yaml')}" does not exist; give a profile file (YAML or JSON) (e.g. --profile profile.yaml)`,
      ],
      [
        ['--profile', join(dir, 'bad-profile.yaml')],
        `error: ${join(dir, 'bad-profile.yaml')}:2:3 /documents/perUserPerYear: must be >= 0 (see DEFAULT_PROFILE in modules/dataset/profile.ts for the keys)`,
      ],
      [['--seed', ''], 'error: --seed: "" is empty; give a value (e.g. --seed 42)'],
    ];
    for (const [args, message] of cases) {
      const inspect = vi.spyOn(resetTarget, 'inspect');
      const drop = vi.spyOn(resetTarget, 'drop');
      const run = await reset(...args);
      expect(run.stderr.trim()).toBe(message);
      expect(run.code).toBe(1);
      expect(inspect).not.toHaveBeenCalled();
      expect(drop).not.toHaveBeenCalled();
      vi.restoreAllMocks();
    }
    const broken = await reset('--profile', join(dir, 'broken-profile.yaml'));
    expect(broken.stderr.trim()).toMatch(new RegExp(`^error: ${join(dir, 'broken-profile.yaml')}:\\d+:\\d+ /.*: .*\\(.*\\)$`));
    expect(broken.code).toBe(1);
  });

  it('refuses production (by class and by address) and a target that is not a database, before connecting', async () => {
    const cases: Array<[string[], string]> = [
      [
        ['dataset', 'reset', '--env', 'production', '--target', URL],
        'error: --env: "production" is refused: its class is production, and synthetic datasets never go there (EXG_ENV_6: production data and test data never mix); give a non-production environment (e.g. --env formation)',
      ],
      [
        ['dataset', 'reset', '--env', 'formation', '--target', 'postgres://hds:secret@10.38.4.2:5432/formation'],
        'error: --target: "postgres://hds:***@10.38.4.2:5432/formation" is refused: 10.38.4.2 is in the production supernet 10.38.0.0/16 of platform national (EXG_ENV_6); give a non-production server',
      ],
      [
        ['dataset', 'reset', '--env', 'formation', '--target', 'mysql://x'],
        'error: --target: "mysql://x" is not a known target; use lab, postgres://user:password@host:port/database or dir:PATH (e.g. --target dir:dataset-out)',
      ],
      [
        ['dataset', 'reset', '--env', 'formation'],
        'error: --target is required for formation: give its PostgreSQL write endpoint (e.g. --target postgres://hds@127.0.0.1:5432/formation)',
      ],
      [
        ['dataset', 'reset', '--env', 'nope', '--target', URL],
        'error: --env: "nope" is not an environment of environments (known: bench, certification, demo, dev, formation, integration, lab, preprod-n, preprod-n1, production, recette); use one of them (e.g. --env formation)',
      ],
    ];
    for (const [args, message] of cases) {
      const inspect = vi.spyOn(resetTarget, 'inspect');
      const drop = vi.spyOn(resetTarget, 'drop');
      const run = await runCli([...args, '--no-progress']);
      expect(run.stderr.trim()).toBe(message);
      expect(run.code).toBe(1);
      expect(inspect).not.toHaveBeenCalled();
      expect(drop).not.toHaveBeenCalled();
      vi.restoreAllMocks();
    }
  });

  it('an unreachable target is reported before anything is dropped', async () => {
    const drop = vi.spyOn(resetTarget, 'drop');
    const run = await reset('--users', '100');
    expect(run.stderr.trim()).toBe(
      'error: --target: cannot connect to postgres://hds@127.0.0.1:1/formation: connect ECONNREFUSED 127.0.0.1:1; check the URL and that the server is up, nothing was dropped',
    );
    expect(run.code).toBe(1);
    expect(drop).not.toHaveBeenCalled();
  });

  it('without --users and without a previous dataset, nothing is dropped', async () => {
    const inspect = vi.spyOn(resetTarget, 'inspect').mockResolvedValue(null);
    const drop = vi.spyOn(resetTarget, 'drop').mockResolvedValue();
    const run = await reset();
    expect(run.stderr.trim()).toBe(
      'error: --users is required: no dataset found in postgres://hds@127.0.0.1:1/formation to take its size from (e.g. --users 100000); nothing was dropped',
    );
    expect(inspect).toHaveBeenCalledOnce();
    expect(drop).not.toHaveBeenCalled();
  });

  it('drops only after the target was reached, then generates', async () => {
    const order: string[] = [];
    vi.spyOn(resetTarget, 'inspect').mockImplementation(async () => {
      order.push('inspect');
      return { seed: 's', users: 10 };
    });
    vi.spyOn(resetTarget, 'drop').mockImplementation(async () => {
      order.push('drop');
    });
    const run = await reset();
    expect(order).toEqual(['inspect', 'drop']);
    expect(run.stderr).toContain('reset formation: dropped the dataset (seed s, 10 users); generating 10 users, seed s');
    expect(run.code).toBe(1); // the generation itself cannot reach 127.0.0.1:1
  });
});

describe('hdsctl dataset generate: arguments before anything is written', () => {
  it('refuses a --target dir: that is a file or a foreign directory, and bad --format, --shard, --domains', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hds-dataset-gen-'));
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    const before = treeSnapshot(dir);
    const cases: Array<[string[], string]> = [
      [
        ['--target', `dir:${dir}/notes.txt`],
        `error: --target: "dir:${dir}/notes.txt": "${dir}/notes.txt" is a file, expected a directory; give a new or empty directory (e.g. --target dir:dataset-out)`,
      ],
      [
        ['--target', `dir:${dir}`],
        `error: --target: "dir:${dir}": "${dir}" is a non-empty directory that holds no dataset; give a new or empty directory (e.g. --target dir:dataset-out)`,
      ],
      [
        ['--target', `dir:${dir}/new`, '--format', 'xml'],
        'error: --format: "xml" is not a known file format; use one of: csv, ndjson, fhir (e.g. --format csv)',
      ],
      [['--target', `dir:${dir}/new`, '--shard', '3/2'], 'error: --shard: "3/2" is not a shard; use K/N with 1 ≤ K ≤ N ≤ 10,000 (e.g. --shard 2/4)'],
      [
        ['--target', `dir:${dir}/new`, '--domains', 'accounts,nope'],
        'error: --domains: "accounts,nope" has unknown domain "nope"; use a comma list of: accounts, documents, consents, messaging, agenda, traces (e.g. --domains accounts,documents)',
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['dataset', 'generate', '--users', '10', '--no-progress', ...args]);
      expect(run.stderr.trim()).toBe(message);
      expect(run.code).toBe(1);
    }
    expect(treeSnapshot(dir)).toBe(before);
  });
});
