import { describe, expect, it } from 'vitest';
import { formatDuration, sloFor } from './slo.ts';

describe('SLO per service class (computed, EXG_DIS_2.1/3.1/4.1/5.1)', () => {
  it('production: 99.9 % 24/7 is 43 min 12 s a month (EXG_DIS_2.1, 2592 s)', () => {
    const s = sloFor('production');
    expect(s.monthlyBudgetSeconds).toBe(2592);
    expect(s.monthlyBudget).toBe('43 min 12 s');
    expect(s.requirement).toBe('EXG_DIS_2.1');
  });
  it('pre-production and other classes: 99.5 % 8h-20h on working days is 1 h 12 min (EXG_DIS_4.1, EXG_DIS_5.1)', () => {
    expect(sloFor('preprod')).toMatchObject({ monthlyBudgetSeconds: 4320, monthlyBudget: '1 h 12 min', requirement: 'EXG_DIS_4.1' });
    expect(sloFor('recette')).toMatchObject({ monthlyBudgetSeconds: 4320, requirement: 'EXG_DIS_5.1' });
  });
  it('editor certification: 99.8 % 4h-22h 7/7 is 1 h 4 min 48 s, the CCTP rounds it to 1 h (EXG_DIS_3.1)', () => {
    expect(sloFor('certification')).toMatchObject({ monthlyBudgetSeconds: 3888, monthlyBudget: '1 h 4 min 48 s', windowLabel: '04:00-22:00 7/7' });
  });
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(3600)).toBe('1 h');
  });
});
