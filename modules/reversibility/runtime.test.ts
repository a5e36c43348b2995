/** The pure parts of the reversibility runtime: the availability summary and destroy's refusals. */
import { describe, expect, it } from 'vitest';
import { percentile, summarise } from './availability.ts';
import { checkDestroyRequest, DestroyError } from './destroy.ts';

describe('availability summary (EXG_REV_1)', () => {
  it('percentiles by rank, availability over every request, the first errors kept', () => {
    const samples = [
      ...Array.from({ length: 98 }, (_, i) => ({ ok: true, ms: i + 1 })),
      { ok: false, ms: 5000, error: 'DC1 timeout' },
      { ok: false, ms: 30, error: 'DC2 503' },
    ];
    const s = summarise('GET /health', samples, 250);
    expect(s.requests).toBe(100);
    expect(s.errors).toBe(2);
    expect(s.availability).toBeCloseTo(0.98, 10);
    expect(s.latencyMs.max).toBe(5000);
    expect(s.latencyMs.p50).toBe(49); // 1..98 with 30 twice: the 50th of 100
    expect(s.firstErrors).toEqual(['DC1 timeout', 'DC2 503']);
    expect(percentile([], 95)).toBe(0);
    expect(summarise('x', [], 250).availability).toBe(1);
  });
});

describe('destroy refusals (EXG_REV_7)', () => {
  it('needs the exact name, and on production a second flag', () => {
    expect(() => checkDestroyRequest({ name: 'recette', class: 'recette' }, undefined, false)).toThrow(/--confirm is required/);
    expect(() => checkDestroyRequest({ name: 'recette', class: 'recette' }, 'Recette', false)).toThrow(DestroyError);
    expect(() => checkDestroyRequest({ name: 'recette', class: 'recette' }, 'recette ', false)).toThrow(/does not match/);
    expect(() => checkDestroyRequest({ name: 'recette', class: 'recette' }, 'recette', false)).not.toThrow();
    expect(() => checkDestroyRequest({ name: 'production', class: 'production' }, 'production', false)).toThrow(/--allow-production/);
    expect(() => checkDestroyRequest({ name: 'production', class: 'production' }, 'production', true)).not.toThrow();
  });
});
