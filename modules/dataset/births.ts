/**
 * Where and when users are born, drawn so that every NIR/INS of a dataset is unique
 * (EXG_ENV_15), without any global state shared by workers or machines.
 *
 * A NIR is unique by its first 13 characters: sex, year and month of birth, place (COG code
 * of the commune, or 99 + country), order number 001–999. We enumerate "cells"
 * (place of birth × sex × age × month) and give each a number of slots proportional to its
 * weight in the population (age pyramid × sex ratio × population of the département, or the
 * share of people born abroad by country). A cell holds at most (communes × 999) distinct NIRs,
 * far more than its slots. User id i takes slot π(i), where π is a keyed pseudo-random
 * permutation (a 4-round Feistel network over 28 bits, keyed by the dataset seed): distinct
 * users get distinct slots, hence distinct NIRs, and users spread over cells in proportion to
 * their weights.
 */
import { AGE_PYRAMID, BIRTH_COUNTRIES, COMMUNE_COUNT, communeCode, DEPARTEMENTS, type Departement } from './demography.ts';
import { fmix32, type Seed } from './rng.ts';

export const SLOT_BITS = 28;
export const SLOT_COUNT = 2 ** SLOT_BITS;
/** Largest user id a dataset can hold (ids start at 1). */
export const MAX_USER_ID = SLOT_COUNT;

const HALF = SLOT_BITS / 2;
const HALF_MASK = (1 << HALF) - 1;
const AGES = AGE_PYRAMID.length * 5; // 0..104
const MONTHS = 12;
/**
 * People born abroad share one place code per country: when the 999 order numbers of a
 * (country, month) are used up, the NIR month takes a code of the fictitious range 50–97
 * (50 + month − 1 + 12 × (bank − 1)), which the NIR structure reserves for unknown or
 * fictitious months. Banks 1–3 absorb the largest cell; bank 4 is kept for centenarians.
 */
const ABROAD_MONTH_BANKS = 5;
/**
 * The NIR keeps two digits of the year: people aged 100–104 share their year code with babies
 * aged 0–4. They take order numbers from 999 downwards in a département (babies use the low
 * numbers; checked below), and the last month bank (codes 86–97) when born abroad.
 */
const CENTENARIAN_AGE = 100;

/** Share of the population born abroad (INSEE, immigrés et Français de naissance nés à l'étranger, ≈ 12 %). */
export const BORN_ABROAD_SHARE = 0.12;

interface Place {
  departement: Departement | null;
  country: readonly [string, string, number] | null;
  weight: number;
  capacity: number;
}

const departementTotal = DEPARTEMENTS.reduce((s, d) => s + d.population, 0);
const countryTotal = BIRTH_COUNTRIES.reduce((s, c) => s + c[2], 0);

const PLACES: Place[] = [
  ...DEPARTEMENTS.map((d) => ({ departement: d, country: null, weight: ((1 - BORN_ABROAD_SHARE) * d.population) / departementTotal, capacity: 0 })),
  ...BIRTH_COUNTRIES.map((c) => ({ departement: null, country: c, weight: (BORN_ABROAD_SHARE * c[2]) / countryTotal, capacity: 999 * (ABROAD_MONTH_BANKS - 1) })),
];
for (const p of PLACES) {
  if (p.departement) p.capacity = (p.departement.code === '75' ? 20 : (COMMUNE_COUNT.get(p.departement.code) ?? 1)) * 999;
}

/** Weight of (sex, age): the pyramid spreads each five-year group evenly over its ages. */
const sexAgeWeight = new Float64Array(2 * AGES);
{
  let total = 0;
  for (const [, m, f] of AGE_PYRAMID) total += m + f;
  AGE_PYRAMID.forEach(([lower, m, f]) => {
    for (let a = lower; a < lower + 5; a++) {
      sexAgeWeight[a] = m / 5 / total;
      sexAgeWeight[AGES + a] = f / 5 / total;
    }
  });
}

const CELLS = PLACES.length * 2 * AGES * MONTHS;
/** cellEnd[c] = first slot after cell c; slots of cell c are [cellEnd[c-1], cellEnd[c]). */
const cellEnd = new Uint32Array(CELLS);
{
  let acc = 0;
  let c = 0;
  for (let p = 0; p < PLACES.length; p++) {
    const place = PLACES[p]!;
    for (let s = 0; s < 2; s++) {
      for (let a = 0; a < AGES; a++) {
        const w = (place.weight * sexAgeWeight[s * AGES + a]!) / MONTHS;
        for (let m = 0; m < MONTHS; m++) {
          const start = Math.round(acc * SLOT_COUNT);
          acc += w;
          const end = c === CELLS - 1 ? SLOT_COUNT : Math.round(acc * SLOT_COUNT);
          const limit = a >= CENTENARIAN_AGE ? (place.departement ? place.capacity / 2 : 999) : place.departement ? place.capacity / 2 : place.capacity;
          if (end - start > limit) throw new Error(`births: cell ${c} needs ${end - start} NIRs, holds ${limit}`);
          cellEnd[c++] = end;
        }
      }
    }
  }
}

/** bucketFirstCell[b] = first cell whose slots reach bucket b (slot >>> BUCKET_SHIFT): a binary search made O(1). */
const BUCKET_SHIFT = 12;
const bucketFirstCell = new Int32Array((SLOT_COUNT >>> BUCKET_SHIFT) + 1);
{
  let c = 0;
  for (let b = 0; b < bucketFirstCell.length; b++) {
    const start = b << BUCKET_SHIFT;
    while (c < CELLS - 1 && cellEnd[c]! <= start) c++;
    bucketFirstCell[b] = c;
  }
}

/** Keyed permutation of [0, 2^28): a balanced Feistel network, 4 rounds. */
export function permuteSlot(seed: Seed, x: number): number {
  let l = x >>> HALF;
  let r = x & HALF_MASK;
  for (let round = 0; round < 4; round++) {
    const f = fmix32(r ^ Math.imul(round + 1, 0x9e3779b9) ^ (round & 1 ? seed.hi : seed.lo)) & HALF_MASK;
    const t = l ^ f;
    l = r;
    r = t;
  }
  return ((l << HALF) | r) >>> 0;
}

export interface Birth {
  sex: 1 | 2;
  /** Age in whole years on the reference date of the dataset (0–104). */
  age: number;
  month: number;
  /** Month code written in the NIR: the month, or 50–97 for the overflow banks of people born abroad. */
  nirMonth: number;
  /** 5-character place code for the NIR: COG commune code, or 99 + country code. */
  place: string;
  /** Département of birth, or null when born abroad. */
  departement: Departement | null;
  /** Country of birth (French name), "France" for people born in France. */
  country: string;
  /** Order number in the NIR (1–999). */
  order: number;
}

/** The birth cell and NIR order of user `id` (1 ≤ id ≤ MAX_USER_ID). */
export function birthOf(seed: Seed, id: number): Birth {
  const slot = permuteSlot(seed, id - 1);
  let cell = bucketFirstCell[slot >>> BUCKET_SHIFT]!;
  while (cellEnd[cell]! <= slot) cell++;
  const index = slot - (cell === 0 ? 0 : cellEnd[cell - 1]!);
  const month = (cell % MONTHS) + 1;
  const age = Math.floor(cell / MONTHS) % AGES;
  const sex = (Math.floor(cell / (MONTHS * AGES)) % 2) + 1;
  const place = PLACES[Math.floor(cell / (MONTHS * AGES * 2))]!;
  if (place.departement) {
    const d = place.departement;
    const communes = place.capacity / 999;
    const rank = Math.floor(index / communes);
    const order = age >= CENTENARIAN_AGE ? 999 - rank : rank + 1;
    return { sex: sex as 1 | 2, age, month, nirMonth: month, place: communeCode(d, index % communes), departement: d, country: 'France', order };
  }
  const c = place.country!;
  const bank = age >= CENTENARIAN_AGE ? ABROAD_MONTH_BANKS - 1 : Math.floor(index / 999);
  const nirMonth = bank === 0 ? month : 50 + (month - 1) + 12 * (bank - 1);
  return { sex: sex as 1 | 2, age, month, nirMonth, place: c[0], departement: null, country: c[1], order: (index % 999) + 1 };
}
