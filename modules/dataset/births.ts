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

const SLOT_BITS = 28;
const SLOT_COUNT = 2 ** SLOT_BITS;
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
const BORN_ABROAD_SHARE = 0.12;

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
function permuteSlot(seed: Seed, x: number): number {
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

/**
 * Birth places as flat tables for the generator's byte-level path: place p's birth codes are
 * entries PLACE_CODE_FIRST[p] .. + (communes or 1) of CODE_TEXT and CODE_BYTES.
 */
const PLACE_CODE_FIRST = new Int32Array(PLACES.length);
/** Communes of a place's département (0 when born abroad). */
const PLACE_COMMUNES = Int32Array.from(PLACES, (p) => (p.departement ? p.capacity / 999 : 0));
export const PLACE_DEPARTEMENT: ReadonlyArray<number> = PLACES.map((p) => (p.departement ? DEPARTEMENTS.indexOf(p.departement) : -1));
export const PLACE_COUNTRY: readonly string[] = PLACES.map((p) => (p.country ? p.country[1] : 'France'));
const codes: string[] = [];
for (let p = 0; p < PLACES.length; p++) {
  const place = PLACES[p]!;
  PLACE_CODE_FIRST[p] = codes.length;
  if (place.departement) for (let k = 0; k < place.capacity / 999; k++) codes.push(communeCode(place.departement, k));
  else codes.push(place.country![0]);
}
const CODE_TEXT: readonly string[] = codes;
/**
 * 8 bytes per birth code: its 5 ASCII characters, then (code value × 1000) mod 97, the code's
 * part of the NIR key (so the key needs no float modulo); one cache line for both.
 */
export const CODE_BYTES = new Uint8Array(codes.length * 8);
codes.forEach((code, i) => {
  for (let k = 0; k < 5; k++) CODE_BYTES[i * 8 + k] = code.charCodeAt(k);
  const c = code.charCodeAt(1);
  const value = c === 65 ? 19000 + Number(code.slice(2)) : c === 66 ? 18000 + Number(code.slice(2)) : Number(code);
  CODE_BYTES[i * 8 + 5] = (value * 1000) % 97;
});

/** birthOf without objects: fills a reusable record; `code` indexes CODE_TEXT / CODE_BYTES, `place` PLACE_*. */
interface BirthCell {
  sex: 1 | 2;
  age: number;
  month: number;
  nirMonth: number;
  place: number;
  code: number;
  order: number;
}

function newBirthCell(): BirthCell {
  return { sex: 1, age: 0, month: 1, nirMonth: 1, place: 0, code: 0, order: 1 };
}

function birthInto(seed: Seed, id: number, out: BirthCell): BirthCell {
  const slot = permuteSlot(seed, id - 1);
  let cell = bucketFirstCell[slot >>> BUCKET_SHIFT]!;
  while (cellEnd[cell]! <= slot) cell++;
  // Integer arithmetic only (| 0): a division result used with % would otherwise be a float modulo.
  const index = (slot - (cell === 0 ? 0 : cellEnd[cell - 1]!)) | 0;
  const byMonth = (cell / MONTHS) | 0;
  const month = cell - byMonth * MONTHS + 1;
  const byAge = (byMonth / AGES) | 0;
  const age = byMonth - byAge * AGES;
  const p = byAge >> 1;
  const sex = (byAge & 1) + 1;
  out.sex = sex as 1 | 2;
  out.age = age;
  out.month = month;
  out.place = p;
  const communes = PLACE_COMMUNES[p]!;
  if (communes > 0) {
    const rank = (index / communes) | 0;
    out.order = age >= CENTENARIAN_AGE ? 999 - rank : rank + 1;
    out.nirMonth = month;
    out.code = PLACE_CODE_FIRST[p]! + (index - rank * communes);
    return out;
  }
  const q = (index / 999) | 0;
  const bank = age >= CENTENARIAN_AGE ? ABROAD_MONTH_BANKS - 1 : q;
  out.nirMonth = bank === 0 ? month : 50 + (month - 1) + 12 * (bank - 1);
  out.order = index - q * 999 + 1;
  out.code = PLACE_CODE_FIRST[p]!;
  return out;
}

/** birthInto for a run of consecutive ids, as parallel arrays (see birthsInto). */
export interface BirthBatch {
  readonly size: number;
  readonly slot: Uint32Array;
  readonly cell: Int32Array;
  readonly sex: Uint8Array;
  readonly age: Uint8Array;
  readonly month: Uint8Array;
  readonly nirMonth: Uint8Array;
  readonly place: Int32Array;
  readonly code: Int32Array;
  readonly order: Int32Array;
  /** Where the touch loop leaves its sum, so that its loads are not optimised away. */
  touched: number;
}

export function newBirthBatch(size: number): BirthBatch {
  return {
    size,
    slot: new Uint32Array(size),
    cell: new Int32Array(size),
    sex: new Uint8Array(size),
    age: new Uint8Array(size),
    month: new Uint8Array(size),
    nirMonth: new Uint8Array(size),
    place: new Int32Array(size),
    code: new Int32Array(size),
    order: new Int32Array(size),
    touched: 0,
  };
}

/**
 * The birth cells of users first .. first + count − 1 (count ≤ batch size), the same as
 * birthInto for each. Done in passes over the batch so that the lookups of different users in
 * the large tables (cells: 1.2 MB, birth codes) are independent loads the processor overlaps,
 * instead of one cache miss after another.
 */
export function birthsInto(seed: Seed, first: number, count: number, out: BirthBatch): void {
  const { slot, cell } = out;
  for (let k = 0; k < count; k++) {
    const s = permuteSlot(seed, first + k - 1);
    slot[k] = s;
    cell[k] = bucketFirstCell[s >>> BUCKET_SHIFT]!;
  }
  for (let k = 0; k < count; k++) {
    const s = slot[k]!;
    let c = cell[k]!;
    while (cellEnd[c]! <= s) c++;
    const index = (s - (c === 0 ? 0 : cellEnd[c - 1]!)) | 0;
    const byMonth = (c / MONTHS) | 0;
    const month = c - byMonth * MONTHS + 1;
    const byAge = (byMonth / AGES) | 0;
    const age = byMonth - byAge * AGES;
    const p = byAge >> 1;
    out.sex[k] = (byAge & 1) + 1;
    out.age[k] = age;
    out.month[k] = month;
    out.place[k] = p;
    const communes = PLACE_COMMUNES[p]!;
    if (communes > 0) {
      const rank = (index / communes) | 0;
      out.order[k] = age >= CENTENARIAN_AGE ? 999 - rank : rank + 1;
      out.nirMonth[k] = month;
      out.code[k] = PLACE_CODE_FIRST[p]! + (index - rank * communes);
    } else {
      const q = (index / 999) | 0;
      const bank = age >= CENTENARIAN_AGE ? ABROAD_MONTH_BANKS - 1 : q;
      out.nirMonth[k] = bank === 0 ? month : 50 + (month - 1) + 12 * (bank - 1);
      out.order[k] = index - q * 999 + 1;
      out.code[k] = PLACE_CODE_FIRST[p]!;
    }
  }
  // Bring the users' birth codes into cache together as well.
  let t = 0;
  for (let k = 0; k < count; k++) t += CODE_BYTES[out.code[k]! * 8]!;
  out.touched = t;
}

/** The birth cell and NIR order of user `id` (1 ≤ id ≤ MAX_USER_ID). */
export function birthOf(seed: Seed, id: number): Birth {
  const c = birthInto(seed, id, newBirthCell());
  const d = PLACE_DEPARTEMENT[c.place]!;
  return {
    sex: c.sex,
    age: c.age,
    month: c.month,
    nirMonth: c.nirMonth,
    place: CODE_TEXT[c.code]!,
    departement: d >= 0 ? DEPARTEMENTS[d]! : null,
    country: PLACE_COUNTRY[c.place]!,
    order: c.order,
  };
}
