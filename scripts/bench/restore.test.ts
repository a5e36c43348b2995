/** The pure parts of `npm run bench:restore` (issue 14 figures; EXG_PRA_3): variables, ratio, PITR total, table, exit code. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RestorePhase, RestoreTestRun } from '../../modules/restore/types.ts';
import {
  BenchInputError,
  benchExitCode,
  busyNamespaces,
  bytesPerSecond,
  type Figures,
  failedChecks,
  figuresJson,
  figuresTable,
  parseBenchEnv,
  phaseDurations,
  pitrTotal,
  type RunFigures,
  rateRatio,
  runFigures,
  scrubSecret,
  TAR_PIPE,
  tarPipeOutcome,
} from './restore.ts';

describe('parseBenchEnv', () => {
  it('defaults: 1,000,000 users, seed bench-restore, min(2, cores) workers, the given temp dir, no keep', () => {
    expect(parseBenchEnv({}, 8, '/tmp')).toEqual({ users: 1_000_000, seed: 'bench-restore', workers: 2, parentDir: '/tmp', keep: false });
    expect(parseBenchEnv({ BENCH_RESTORE_USERS: '' }, 1, '/tmp').workers).toBe(1);
  });

  it('reads users with or without separators, the seed, workers, dir and keep', () => {
    const c = parseBenchEnv(
      { BENCH_RESTORE_USERS: '2_500_000', BENCH_SEED: 's1', BENCH_WORKERS: '3', BENCH_RESTORE_DIR: '/var/tmp', BENCH_RESTORE_KEEP: '1' },
      4,
      '/tmp',
    );
    expect(c).toEqual({ users: 2_500_000, seed: 's1', workers: 3, parentDir: '/var/tmp', keep: true });
    expect(parseBenchEnv({ BENCH_RESTORE_USERS: '1,000' }, 2, '/tmp').users).toBe(1000);
    expect(parseBenchEnv({ BENCH_RESTORE_USERS: '1000' }, 2, '/tmp').users).toBe(1000);
  });

  it.each([
    ['abc', /BENCH_RESTORE_USERS="abc": not a whole number; give 1 to 70,000,000 \(e\.g\. BENCH_RESTORE_USERS=1000000\)/],
    ['1e6', /not a whole number/],
    ['-5', /not a whole number/],
    ['0', /BENCH_RESTORE_USERS="0": out of range; give 1 to 70,000,000/],
    ['70000001', /out of range/],
    ['1_00', /not a whole number/],
  ])('BENCH_RESTORE_USERS=%s is refused in one line', (raw, message) => {
    let err: unknown;
    try {
      parseBenchEnv({ BENCH_RESTORE_USERS: raw }, 2, '/tmp');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BenchInputError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('collects every problem into the one line', () => {
    expect(() =>
      parseBenchEnv(
        { BENCH_RESTORE_USERS: 'x', BENCH_WORKERS: '9', BENCH_RESTORE_DIR: 'rel', BENCH_RESTORE_KEEP: 'yes', BENCH_SEED: 'a'.repeat(201) },
        2,
        '/tmp',
      ),
    ).toThrow(
      /BENCH_RESTORE_USERS="x".*BENCH_WORKERS="9": out of range; give 1 to 2.*BENCH_SEED: 201 characters.*BENCH_RESTORE_DIR="rel": not an absolute path.*BENCH_RESTORE_KEEP="yes"/,
    );
  });
});

describe('busyNamespaces', () => {
  it('names the lab sites’ namespaces and any restore site, nothing else', () => {
    expect(busyNamespaces(['hds-dc2', 'other', 'hds-restore-ci', 'hds-restore'], ['hds-dc1', 'hds-dc2', 'hds-dc3'])).toEqual([
      'hds-dc2',
      'hds-restore-ci',
      'hds-restore',
    ]);
    expect(busyNamespaces(['other', 'hds-dc9'], ['hds-dc1'])).toEqual([]);
  });
});

describe('tarPipeOutcome', () => {
  it('accepts a creating tar that saw files change (exit 1), never an extract failure or a fatal create', () => {
    expect(tarPipeOutcome('0 0\n')).toEqual({ ok: true, create: 0, extract: 0 });
    expect(tarPipeOutcome('1 0\n')).toEqual({ ok: true, create: 1, extract: 0 });
    expect(tarPipeOutcome('2 0\n').ok).toBe(false);
    expect(tarPipeOutcome('0 2\n').ok).toBe(false);
    expect(tarPipeOutcome('').ok).toBe(false);
  });

  it('the pipeline copies a tree and prints both exit codes (and a failure when the source is missing)', () => {
    const d = mkdtempSync(join(tmpdir(), 'bench-restore-test-'));
    try {
      execFileSync('mkdir', ['-p', join(d, 'src', 'base'), join(d, 'dst'), join(d, 'dst2')]);
      writeFileSync(join(d, 'src', 'base', 'f'), 'x'.repeat(10_000));
      const out = execFileSync('bash', ['-c', TAR_PIPE, 'test', join(d, 'src'), join(d, 'dst')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(tarPipeOutcome(out)).toEqual({ ok: true, create: 0, extract: 0 });
      expect(readFileSync(join(d, 'dst', 'base', 'f'), 'utf8')).toHaveLength(10_000);
      const bad = execFileSync('bash', ['-c', TAR_PIPE, 'test', join(d, 'missing'), join(d, 'dst2')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      expect(tarPipeOutcome(bad).ok).toBe(false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('rates and ratio', () => {
  it('bytes per second, rounded; 0 without time', () => {
    expect(bytesPerSecond(3_000_000, 1500)).toBe(2_000_000);
    expect(bytesPerSecond(10, 0)).toBe(0);
  });

  it('ratio of the restore rate to the baseline; null when either is missing', () => {
    expect(rateRatio(50, 200)).toBe(0.25);
    expect(rateRatio(0, 200)).toBeNull();
    expect(rateRatio(50, 0)).toBeNull();
  });
});

const phase = (name: string, s: number): RestorePhase => ({ name, startedAt: '2026-01-01T00:00:00.000Z', durationMs: s * 1000 });

describe('pitrTotal', () => {
  it('sums choose, restore, start and checks, not destroy', () => {
    const d = phaseDurations([phase('choose', 5), phase('restore', 60), phase('start', 20), phase('checks', 100), phase('destroy', 3)]);
    expect(pitrTotal(d)).toEqual({ ms: 185_000, complete: true });
  });

  it('is incomplete when a phase is missing (a failed start skips the checks)', () => {
    expect(pitrTotal(phaseDurations([phase('choose', 5), phase('restore', 60), phase('start', 20), phase('destroy', 3)]))).toEqual({
      ms: 85_000,
      complete: false,
    });
  });
});

function run(over: Partial<RestoreTestRun> = {}): RestoreTestRun {
  return {
    id: 'r1',
    environment: 'lab',
    domain: 'documents',
    operator: 'bench',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:05:00.000Z',
    choice: {
      mode: 'random',
      seed: 's',
      backupSet: { label: '20260101-000000F', type: 'full', repo: 1 } as RestoreTestRun['choice']['backupSet'],
      targetTime: '2026-01-01T00:01:00.000Z',
      window: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:02:00.000Z' },
    },
    phases: [phase('choose', 5), phase('restore', 60), phase('start', 20), phase('checks', 100), phase('destroy', 3)],
    rate: { bytes: 600 * 1024 ** 2, durationMs: 60_000, bytesPerSecond: 10 * 1024 ** 2 },
    checks: [
      { id: 'physical.checksums', verdict: 'pass', detail: 'ok' },
      { id: 'service.document-read', verdict: 'skipped', detail: 'none' },
    ],
    destroyed: { at: '2026-01-01T00:05:00.000Z', what: ['namespace'] },
    isolation: { netns: 'hds-restore-bench', route: 'none', tls: true, encryptedAtRest: 'x', access: 'y' },
    evidence: [],
    verdict: 'pass',
    rex: '',
    ...over,
  };
}

describe('failedChecks and benchExitCode', () => {
  it('lists failed checks and a missing destruction, not skipped ones', () => {
    expect(failedChecks(run())).toEqual([]);
    const bad = run({ checks: [{ id: 'physical.amcheck', verdict: 'fail', detail: 'corrupt' }], destroyed: undefined });
    expect(failedChecks(bad)).toEqual(['physical.amcheck: corrupt', 'destroy: the copy was not destroyed']);
  });

  it('exits 0 only when both runs passed', () => {
    expect(benchExitCode(['pass', 'pass'])).toBe(0);
    expect(benchExitCode(['pass', 'fail'])).toBe(1);
    expect(benchExitCode(['pass', undefined])).toBe(1);
    expect(benchExitCode([])).toBe(1);
  });
});

describe('figures table and JSON', () => {
  const latest: RunFigures = runFigures(run({ choice: { ...run().choice, mode: 'latest' } }));
  const pitr: RunFigures = runFigures(run());
  const f: Figures = {
    users: 1_000_000,
    dataDirBytes: 4 * 1024 ** 3,
    baseline: [
      { when: 'before', bytes: 4 * 1024 ** 3, durationMs: 100_000, bytesPerSecond: 16 * 1024 ** 2 },
      { when: 'after', bytes: 4 * 1024 ** 3, durationMs: 100_000, bytesPerSecond: 24 * 1024 ** 2 },
    ],
    latest,
    pitr,
  };

  it('prints the mean baseline, the rate, the ratio against the goal, and the PITR total', () => {
    const t = figuresTable(f).join('\n');
    expect(t).toMatch(/users\s+1,000,000/);
    expect(t).toMatch(/baseline, mean\s+20\.0 MiB\/s/);
    expect(t).toMatch(/restore rate \(latest\)\s+10\.0 MiB\/s \(600\.0 MiB in 60\.0 s\)/);
    expect(t).toMatch(/ratio restore \/ baseline\s+0\.50× \(goal ≥ 0\.5×, met\)/);
    expect(t).toMatch(/PITR: verified running copy\s+185\.0 s/);
    expect(t).toMatch(/PITR: verdict\s+pass/);
  });

  it('shows a missed goal, a failed check and an incomplete PITR', () => {
    const slow = { ...latest, rate: { ...latest.rate, bytesPerSecond: 2 * 1024 ** 2 } };
    const failed = runFigures(
      run({
        phases: [phase('choose', 5), phase('restore', 1), phase('destroy', 1)],
        verdict: 'fail',
        checks: [{ id: 'restore.phases', verdict: 'fail', detail: 'pgbackrest restore failed' }],
      }),
    );
    const t = figuresTable({ ...f, latest: slow, pitr: failed }).join('\n');
    expect(t).toMatch(/0\.10× \(goal ≥ 0\.5×, not met\)/);
    expect(t).toMatch(/PITR: verified running copy\s+— \(incomplete: 6\.0 s until the failure\)/);
    expect(t).toMatch(/PITR: verdict\s+FAIL — restore\.phases: pgbackrest restore failed/);
  });

  it('JSON: users, data dir bytes, baseline and restore rates, ratio, goal, PITR seconds, phases, verdicts', () => {
    const j = figuresJson(f, { domain: 'documents' }) as {
      domain: string;
      users: number;
      dataDirBytes: number;
      baseline: { bytesPerSecond: number };
      restore: { rate: { bytesPerSecond: number }; ratio: number | null; goal: number; goalMet: boolean };
      pitr: { totalSeconds: number | null; phasesMs: Record<string, number>; choice: Record<string, unknown> };
      verdicts: Record<string, string>;
    };
    expect(j.domain).toBe('documents');
    expect(j.users).toBe(1_000_000);
    expect(j.dataDirBytes).toBe(4 * 1024 ** 3);
    expect(j.baseline.bytesPerSecond).toBe(20 * 1024 ** 2);
    expect(j.restore.rate.bytesPerSecond).toBe(10 * 1024 ** 2);
    expect(j.restore.ratio).toBe(0.5);
    expect(j.restore.goal).toBe(0.5);
    expect(j.restore.goalMet).toBe(true);
    expect(j.pitr.totalSeconds).toBe(185);
    expect(j.pitr.phasesMs).toEqual({ choose: 5000, restore: 60000, start: 20000, checks: 100000, destroy: 3000 });
    expect(j.pitr.choice).toMatchObject({ mode: 'random', seed: 's', backupSet: '20260101-000000F' });
    expect(j.verdicts).toEqual({ latest: 'pass', pitr: 'pass' });
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});

describe('scrubSecret', () => {
  it('removes the password, as written and decoded, from a message', () => {
    const url = 'postgres://app:p%40ss%2Fw@10.0.0.1:5432/documents?sslmode=verify-ca';
    expect(scrubSecret('connect postgres://app:p%40ss%2Fw@10.0.0.1 failed (p@ss/w)', url)).toBe('connect postgres://app:***@10.0.0.1 failed (***)');
    expect(scrubSecret('no secret here', 'not a url')).toBe('no secret here');
  });
});
