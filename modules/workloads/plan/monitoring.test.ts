import { describe, expect, it } from 'vitest';
import { MIN_SLO_OBJECTIVE_PCT, sloObjectiveProblem } from '../../model/workloads.ts';
import { BURN_RATE_POLICY, burnRateThresholds } from './monitoring.ts';

describe('SLO burn-rate thresholds (SRE workbook, multi-window multi-burn-rate)', () => {
  it('turns 99.9 % into a 0.1 % budget and the workbook thresholds', () => {
    const th = burnRateThresholds(99.9);
    expect(th.map((x) => [x.longWindow, x.shortWindow, x.burnRate, x.severity])).toEqual([
      ['1h', '5m', 14.4, 'page'],
      ['6h', '30m', 6, 'page'],
      ['3d', '6h', 1, 'ticket'],
    ]);
    expect(th.map((x) => x.errorBudget)).toEqual([0.001, 0.001, 0.001]);
    expect(th.map((x) => x.threshold)).toEqual([0.0144, 0.006, 0.001]);
  });

  it('spends 2 %, 5 % and 10 % of the 30-day budget when each long window fires', () => {
    expect(burnRateThresholds(99.5).map((x) => x.budgetSpentPct)).toEqual([2, 5, 10]);
  });

  it('scales with the objective: a looser objective has proportionally higher thresholds', () => {
    const strict = burnRateThresholds(99.9);
    const loose = burnRateThresholds(99);
    for (let i = 0; i < BURN_RATE_POLICY.length; i++) expect(loose[i]!.threshold / strict[i]!.threshold).toBeCloseTo(10, 9);
    expect(burnRateThresholds(95).map((x) => x.threshold)).toEqual([0.72, 0.3, 0.05]);
  });

  it('refuses objectives outside ]0, 100[ and objectives too loose for the fastest alert to ever fire', () => {
    expect(() => burnRateThresholds(100)).toThrow(RangeError);
    expect(() => burnRateThresholds(0)).toThrow(RangeError);
    expect(() => burnRateThresholds(Number.NaN)).toThrow(RangeError);
    expect(() => burnRateThresholds(90)).toThrow(/too loose for a 14.4× burn-rate alert/);
  });

  it('throws exactly for the objectives the catalog checks refuse (sloObjectiveProblem), none from MIN_SLO_OBJECTIVE_PCT up', () => {
    const objectives = [
      ...Array.from({ length: 10_001 }, (_, i) => i / 100),
      93.05555555555,
      93.0555555556,
      93.05555555555556,
      99.99999999999,
      -1,
      100.5,
      Number.NaN,
    ];
    for (const pct of objectives) {
      const problem = sloObjectiveProblem(pct);
      if (problem) expect(() => burnRateThresholds(pct), String(pct)).toThrow(problem);
      else expect(() => burnRateThresholds(pct), String(pct)).not.toThrow();
      if (pct >= MIN_SLO_OBJECTIVE_PCT && pct < 100) expect(problem, String(pct)).toBeUndefined();
    }
    expect(sloObjectiveProblem(93.05)).toMatch(/too loose for a 14.4× burn-rate alert/);
  });
});
