// EXG_ENV_15 / EXG_ENV_14: identifiers keep their real structure and check keys.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { birthOf } from './births.ts';
import { isLuhnValid, isValidNir, isValidRpps, luhnDigit, makeNir, makeRpps, nirKey } from './identifiers.ts';
import { seedFrom } from './rng.ts';

describe('NIR / INS (EXG_ENV_15)', () => {
  it('computes the key as 97 − (13 digits mod 97)', () => {
    // Published example of a NIR: 2 55 08 14 168 025, key 38.
    expect(nirKey('2550814168025')).toBe('38');
    expect(isValidNir('255081416802538')).toBe(true);
    expect(isValidNir('255081416802539')).toBe(false);
  });
  it('reads Corsica 2A as 19 and 2B as 18 for the key', () => {
    const a = makeNir(1, 1980, 5, '2A004', 12);
    expect(a.slice(5, 7)).toBe('2A');
    expect(a.slice(13)).toBe(String(97 - (Number('1800519004012') % 97)).padStart(2, '0'));
    const b = makeNir(2, 1975, 1, '2B033', 7);
    expect(b.slice(13)).toBe(String(97 - (Number('2750118033007') % 97)).padStart(2, '0'));
    expect(isValidNir(a) && isValidNir(b)).toBe(true);
  });
  it('every key is a valid two-digit key for any NIR body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1900, max: 2025 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1001, max: 95999 }), fc.integer({ min: 1, max: 999 }), (s, y, m, place, o) => {
        const nir = makeNir(s as 1 | 2, y, m, String(place).padStart(5, '0'), o);
        const k = Number(nir.slice(13));
        return nir.length === 15 && k >= 1 && k <= 97 && isValidNir(nir);
      }),
    );
  });
  it('gives users unique NIRs, valid, with the birth structure (sample of 200,000)', () => {
    const seed = seedFrom('nir-test');
    const seen = new Set<string>();
    let abroad = 0;
    for (let id = 1; id <= 200_000; id++) {
      const b = birthOf(seed, id);
      const nir = makeNir(b.sex, 2025 - b.age, b.nirMonth, b.place, b.order);
      expect(isValidNir(nir)).toBe(true);
      seen.add(nir);
      if (b.place.startsWith('99')) abroad++;
    }
    expect(seen.size).toBe(200_000);
    expect(abroad / 200_000).toBeGreaterThan(0.1);
    expect(abroad / 200_000).toBeLessThan(0.14);
  });
});

describe('RPPS (Luhn check digit)', () => {
  it('matches the Luhn algorithm', () => {
    expect(luhnDigit('7992739871')).toBe(3); // the textbook Luhn example
    expect(isLuhnValid('79927398713')).toBe(true);
  });
  it('builds 11-digit RPPS numbers that pass Luhn and are distinct', () => {
    const seen = new Set<string>();
    for (let i = 1; i <= 50_000; i++) {
      const r = makeRpps(i);
      expect(isValidRpps(r)).toBe(true);
      seen.add(r);
    }
    expect(seen.size).toBe(50_000);
    expect(isValidRpps('10000000011')).toBe(false);
  });
});
