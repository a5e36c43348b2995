import { describe, expect, it } from 'vitest';
import { analyseFault, check, type FaultWindow, interruptionEnd, type ReadBack, seriesOf } from './analysis.ts';
import type { Observation } from './observe.ts';
import type { LedgerEntry } from './types.ts';

/** A writer doing one op per 200 ms from `from` to `to` (ms); `outcome(t)` decides each op. */
function writer(
  name: string,
  site: string,
  path: 'api' | 'sql',
  from: number,
  to: number,
  outcome: (t: number) => LedgerEntry['outcome'],
  latency = 20,
): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (let t = from, i = 0; t < to; t += 200, i++) {
    const o = outcome(t);
    out.push({
      id: `${name}-${i}`,
      writer: name,
      path,
      site,
      start: t,
      end: t + (o === 'unknown' ? 3000 : latency),
      outcome: o,
      ...(path === 'sql' && o === 'ok' ? { server: t < 20_000 ? '10.0.0.1' : '10.0.0.2', timeline: t < 20_000 ? 1 : 2 } : {}),
    });
  }
  return out;
}

const obs = (at: number, leader: string | undefined, sync: string | undefined, up: string[] = leader ? [leader] : []): Observation => ({
  at,
  ...(leader ? { leader } : {}),
  primaries: leader ? [leader] : [],
  ...(sync ? { syncStandby: sync } : {}),
  patroni: true,
  writeUp: { DC2: up },
});

const targets = { rtoSeconds: 30, dimaMonthSeconds: 2592 };
const siteOf = (n: string) => (n === 'pg-1' ? 'DC1' : 'DC2');

describe('interruptionEnd', () => {
  it('is 0 when nothing failed or stalled, the end of the first fast ok after the last bad op otherwise, undefined when writes never came back', () => {
    const clean = writer('a', 'DC2', 'api', 0, 10_000, () => 'ok');
    expect(interruptionEnd(clean, 2000, 8000)).toBe(0);
    const gap = writer('a', 'DC2', 'api', 0, 30_000, (t) => (t >= 5000 && t < 15_000 ? 'failed' : 'ok'));
    expect(interruptionEnd(gap, 5000, 25_000)).toBe(15_020);
    const never = writer('a', 'DC2', 'api', 0, 30_000, (t) => (t >= 5000 ? 'failed' : 'ok'));
    expect(interruptionEnd(never, 5000, 25_000)).toBeUndefined();
    const slow = writer('a', 'DC2', 'api', 0, 10_000, () => 'ok', 2600);
    expect(interruptionEnd(slow, 1000, 5000)).toBeUndefined();
  });
});

describe('analyseFault', () => {
  const w: FaultWindow = {
    spec: { kind: 'site-loss', site: 'DC1', holdSeconds: 30 },
    site: 'DC1',
    description: 'DC1 cut off',
    injectedAt: 10_000,
    healedAt: 40_000,
    healthyAt: 55_000,
  };
  const ledger = [
    ...writer('api-DC1', 'DC1', 'api', 0, 60_000, (t) => (t >= 10_000 && t < 40_000 ? 'failed' : 'ok')),
    ...writer('api-DC2', 'DC2', 'api', 0, 60_000, (t) => (t >= 10_000 && t < 22_000 ? (t < 11_000 ? 'unknown' : 'failed') : 'ok')),
  ];
  const observations = [
    obs(9_500, 'pg-1', 'pg-2'),
    obs(12_000, 'pg-1', undefined),
    obs(20_000, undefined, undefined, []),
    obs(21_000, 'pg-2', undefined, []),
    obs(21_500, 'pg-2', undefined),
    obs(50_000, 'pg-2', 'pg-1'),
  ];

  it('site loss: the RTO is measured on the surviving site only, with the timeline of the failover', () => {
    const r = analyseFault(w, ledger, observations, 0, siteOf, targets);
    expect(r.rtoMs).toBe(22_020 - 10_000);
    expect(r.verdict).toBe('pass');
    expect(r.events.map((e) => e.kind)).toEqual([
      'injected',
      'detected',
      'sync-standby-lost',
      'leader-lost',
      'promoted',
      'proxy-switched',
      'first-write-after',
      'healed',
      'site-back',
      'sync-standby-back',
    ]);
    expect(r.rpoExposureMs).toBe(50_000 - 12_000);
    expect(r.dimaShare).toBeCloseTo(12.02 / 2592, 6);
  });

  it('fails on a lost write, on writes that never came back, on an RTO above the bound, and when not healthy again', () => {
    expect(analyseFault(w, ledger, observations, 1, siteOf, targets).reasons).toEqual(['1 acknowledged write(s) lost']);
    const stuck = ledger.map((e) => (e.writer === 'api-DC2' && e.start >= 10_000 ? { ...e, outcome: 'failed' as const } : e));
    expect(analyseFault(w, stuck, observations, 0, siteOf, targets).reasons[0]).toMatch(/did not come back/);
    expect(analyseFault(w, ledger, observations, 0, siteOf, { ...targets, rtoSeconds: 10 }).reasons).toEqual(['RTO 12.0 s > 10 s']);
    // The site the fault hit must write again by itself within 30 s of the heal.
    const hitStuck = [
      ...writer('api-DC1', 'DC1', 'api', 0, 75_000, (t) => (t >= 10_000 ? 'failed' : 'ok')),
      ...writer('api-DC2', 'DC2', 'api', 0, 75_000, (t) => (t >= 10_000 && t < 22_000 ? 'failed' : 'ok')),
    ];
    expect(analyseFault(w, hitStuck, observations, 0, siteOf, targets).reasons).toEqual(['writes through DC1 did not come back within 30 s of the heal']);
    // Not judged when the workload stopped too soon after the heal to tell.
    expect(
      analyseFault(
        w,
        hitStuck.filter((e) => e.start < 60_000),
        observations,
        0,
        siteOf,
        targets,
      ).reasons,
    ).toEqual([]);
    const { healthyAt: _h, ...unhealthy } = w;
    expect(analyseFault(unhealthy, ledger, observations, 0, siteOf, targets).verdict).toBe('fail');
  });

  it('switchover: the switch and the failback are two interruptions, each measured from its own start', () => {
    // Switch at 10 s (writes stop 10–17 s), hold 20 s, failback from 30 s (writes stop 30–36 s).
    const sw: FaultWindow = {
      spec: { kind: 'switchover', holdSeconds: 20 },
      description: 'switchover',
      injectedAt: 10_000,
      healStartedAt: 30_000,
      healedAt: 31_000,
      failbackAt: 31_000,
      healthyAt: 40_000,
    };
    const both = (t: number): LedgerEntry['outcome'] => ((t >= 10_000 && t < 17_000) || (t >= 30_000 && t < 36_000) ? 'failed' : 'ok');
    const l = [...writer('api-DC1', 'DC1', 'api', 0, 50_000, both), ...writer('api-DC2', 'DC2', 'api', 0, 50_000, both)];
    const r = analyseFault(sw, l, [obs(9_000, 'pg-1', 'pg-2'), obs(18_000, 'pg-2', 'pg-1'), obs(37_000, 'pg-1', 'pg-2')], 0, siteOf, targets);
    expect(r.rtoMs).toBe(17_020 - 10_000);
    expect(r.failbackRtoMs).toBe(36_020 - 30_000);
    expect(r.events.map((e) => e.kind)).toContain('failback-write-after');
    expect(r.dimaShare).toBeCloseTo((7.02 + 6.02) / 2592, 6);
    expect(r.verdict).toBe('pass');
    const slowBack = (t: number): LedgerEntry['outcome'] => ((t >= 10_000 && t < 17_000) || t >= 30_000 ? 'failed' : 'ok');
    const l2 = [...writer('api-DC1', 'DC1', 'api', 0, 50_000, slowBack), ...writer('api-DC2', 'DC2', 'api', 0, 50_000, slowBack)];
    expect(analyseFault(sw, l2, [], 0, siteOf, targets).reasons).toContain('writes did not come back after the failback');
  });

  it('a promotion after the heal does not decide which site had to keep writing during the fault', () => {
    // Partition with the leader (pg-1, DC1) kept: DC1 writes after 7 s, DC2 only after the heal
    // at 40 s; a switchover to pg-2 happens at 100 s, long after this fault.
    const p: FaultWindow = {
      spec: { kind: 'partition', holdSeconds: 30 },
      description: 'DC1↔DC2 cut',
      injectedAt: 10_000,
      healedAt: 40_000,
      healthyAt: 45_000,
    };
    const l = [
      ...writer('api-DC1', 'DC1', 'api', 0, 120_000, (t) => (t >= 10_000 && t < 17_000 ? 'unknown' : 'ok')),
      ...writer('api-DC2', 'DC2', 'api', 0, 120_000, (t) => (t >= 10_000 && t < 40_000 ? 'unknown' : 'ok')),
    ];
    const later = [obs(9_000, 'pg-1', 'pg-2'), obs(20_000, 'pg-1', undefined), obs(45_000, 'pg-1', 'pg-2'), obs(100_000, 'pg-2', 'pg-1')];
    const r = analyseFault(p, l, later, 0, siteOf, targets);
    expect(r.events.map((e) => e.kind)).not.toContain('promoted');
    expect(r.rtoMs).toBeLessThan(10_000);
    expect(r.verdict).toBe('pass');
  });

  it('partition: only the leader’s site has to keep writing', () => {
    const p: FaultWindow = { ...w, spec: { kind: 'partition', holdSeconds: 30 }, description: 'DC1↔DC2 cut' };
    const { site: _s, ...partition } = p;
    const l = [
      ...writer('api-DC1', 'DC1', 'api', 0, 60_000, (t) => (t >= 10_000 && t < 16_000 ? 'unknown' : 'ok')),
      ...writer('api-DC2', 'DC2', 'api', 0, 60_000, (t) => (t >= 10_000 && t < 40_000 ? 'failed' : 'ok')),
    ];
    const o = [obs(9_500, 'pg-1', 'pg-2'), obs(17_000, 'pg-1', undefined), obs(45_000, 'pg-1', 'pg-2')];
    const r = analyseFault(partition, l, o, 0, siteOf, targets);
    expect(r.rtoMs).toBe(16_000 + 20 - 10_000);
    expect(r.verdict).toBe('pass');
  });
});

describe('check', () => {
  const ledger: LedgerEntry[] = [
    { id: 'a', writer: 'sql-DC1', path: 'sql', site: 'DC1', start: 0, end: 10, outcome: 'ok', server: 'x', timeline: 1 },
    { id: 'b', writer: 'sql-DC1', path: 'sql', site: 'DC1', start: 20, end: 30, outcome: 'unknown' },
    { id: 'c', writer: 'sql-DC2', path: 'sql', site: 'DC2', start: 40, end: 50, outcome: 'ok', server: 'y', timeline: 2 },
    { id: 'd', writer: 'api-DC2', path: 'api', site: 'DC2', start: 60, end: 70, outcome: 'failed' },
  ];

  it('passes when every acknowledged write is on the leader and the standby; unknowns counted apart', () => {
    const r = check(ledger, new Set(['a', 'b', 'c']), new Set(['a', 'b', 'c']));
    expect(r).toMatchObject({ acknowledged: 2, failed: 1, unknown: 1, unknownPresent: 1, lost: [], missingOnStandby: [], splitBrain: [], verdict: 'pass' });
  });

  it('a lost write, a write missing on the standby and an old timeline taking writes after a newer one are findings', () => {
    expect(check(ledger, new Set(['c']), new Set(['c'])).lost).toEqual(['a']);
    expect(check(ledger, new Set(['a', 'c']), new Set(['c'])).missingOnStandby).toEqual(['a']);
    const late: LedgerEntry = { id: 'e', writer: 'sql-DC1', path: 'sql', site: 'DC1', start: 60, end: 65, outcome: 'ok', server: 'x', timeline: 1 };
    const r = check([...ledger, late], new Set(['a', 'c', 'e']), new Set(['a', 'c', 'e']));
    expect(r.splitBrain).toHaveLength(1);
    expect(r.verdict).toBe('fail');
  });

  it('acknowledged documents read back: each missing, failed or altered content is a finding (issue 13: contents in the object store)', () => {
    const doc = (id: string, sha: string): LedgerEntry => ({
      id,
      writer: 'api-DC1',
      path: 'api',
      site: 'DC1',
      start: 0,
      end: 5,
      outcome: 'ok',
      contentSha256: sha,
    });
    const docs = [doc('d1', 'aa'), doc('d2', 'bb'), doc('d3', 'cc'), doc('d4', 'dd'), { ...doc('d5', 'ee'), outcome: 'failed' as const }];
    const present = new Set(['d1', 'd2', 'd3', 'd4']);
    const good = new Map<string, ReadBack>([
      ['d1', { sha256: 'aa' }],
      ['d2', { sha256: 'bb' }],
      ['d3', { sha256: 'cc' }],
      ['d4', { sha256: 'dd' }],
    ]);
    const ok = check(docs, present, present, good);
    expect(ok.contents).toEqual({ checked: 4, bad: [] });
    expect(ok.verdict).toBe('pass');
    const bad = new Map<string, ReadBack>([
      ['d1', { sha256: 'aa' }],
      ['d2', { sha256: 'zz' }],
      ['d3', { error: 'HTTP 500 through the WAF of DC2' }],
    ]);
    const r = check(docs, present, present, bad);
    expect(r.contents!.checked).toBe(4);
    expect(r.contents!.bad.map((b) => b.split(':')[0])).toEqual(['d2', 'd3', 'd4']);
    expect(r.contents!.bad.join('\n')).toMatch(/d2: content differs[\s\S]*d3: HTTP 500[\s\S]*d4: not read back/);
    expect(r.verdict).toBe('fail');
    // Without a read-back (runs recorded before the object store) there is no contents block.
    expect(check(docs, present, present).contents).toBeUndefined();
  });
});

describe('seriesOf', () => {
  it('counts outcomes per second and path with p50/max latency of the acknowledged ones', () => {
    const s = seriesOf([
      { id: '1', writer: 'w', path: 'api', site: 'DC1', start: 0, end: 100, outcome: 'ok' },
      { id: '2', writer: 'w', path: 'api', site: 'DC1', start: 200, end: 500, outcome: 'ok' },
      { id: '3', writer: 'w', path: 'api', site: 'DC1', start: 600, end: 900, outcome: 'failed' },
      { id: '4', writer: 'w', path: 'sql', site: 'DC1', start: 1000, end: 1010, outcome: 'unknown' },
    ]);
    expect(s).toEqual([
      { t: 0, path: 'api', ok: 2, failed: 1, unknown: 0, p50Ms: 100, maxMs: 300 },
      { t: 1, path: 'sql', ok: 0, failed: 0, unknown: 1 },
    ]);
  });
});
