/**
 * Deterministic pseudo-random numbers for the synthetic dataset (EXG_ENV_15).
 *
 * Every entity (a user, a health professional) has its own generator, seeded from the
 * dataset seed, the entity kind and the entity id: the rows of user 123 are the same
 * whatever the worker, shard or chunk that generates them. There is no global stream.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting RNG, 128-bit state,
 * passes PractRand to 2^42+ bytes), written with 32-bit integer operations only.
 */

/** murmur3 fmix32: a bijective avalanche of a 32-bit integer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A dataset seed: two 32-bit words derived from the user's seed text (any string or number). */
export interface Seed {
  readonly lo: number;
  readonly hi: number;
  /** The seed as the user gave it, for manifests and messages. */
  readonly text: string;
}

export function seedFrom(text: string | number): Seed {
  const s = String(text);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return { lo: fmix32(a), hi: fmix32(b ^ 0x9e3779b9), text: s };
}

/** Entity kinds, part of the per-entity seed (never renumber: it would change every dataset). */
export const STREAM = { user: 1, professional: 2 } as const;

export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 1;

  /** Re-seeds in place for (dataset seed, stream, entity id); ids up to 2^53. */
  reset(seed: Seed, stream: number, id: number): this {
    const idLo = id >>> 0;
    const idHi = Math.floor(id / 4294967296) >>> 0;
    this.a = fmix32(seed.lo ^ Math.imul(stream, 0x9e3779b9));
    this.b = fmix32(seed.hi + idLo);
    this.c = fmix32((idHi ^ 0x7f4a7c15) + Math.imul(idLo, 0x27d4eb2f));
    this.d = 1;
    // The three words are already avalanched by fmix32; 8 rounds finish mixing the counter in.
    for (let i = 0; i < 8; i++) this.u32();
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n), n ≤ 2^32 (multiply-shift; bias < n / 2^32, negligible here). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Index drawn from a cumulative weight table (last entry = total). Binary search. */
  pick(cumulative: Float64Array): number {
    const x = this.float() * cumulative[cumulative.length - 1]!;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Index drawn from an alias table in O(1) (Walker/Vose), one random number. */
  alias(t: AliasTable): number {
    const x = this.float() * t.n;
    const i = x | 0;
    return x - i < t.prob[i]! ? i : t.alias[i]!;
  }

  /** Poisson(mean) by inversion (Knuth); means used here are small (< 50). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const l = Math.exp(-mean);
    let k = 0;
    let p = this.float();
    while (p > l) {
      k++;
      p *= this.float();
    }
    return k;
  }

  /** Geometric number of failures before a success, with the given mean (≥ 0). */
  geometric(mean: number): number {
    if (mean <= 0) return 0;
    const p = 1 / (1 + mean);
    return Math.floor(Math.log(1 - this.float()) / Math.log(1 - p));
  }

  /** Standard normal (Box-Muller, one value per call). */
  normal(): number {
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** Walker/Vose alias table: O(1) sampling of a discrete distribution. */
export interface AliasTable {
  n: number;
  prob: Float64Array;
  alias: Int32Array;
}

export function aliasTable(weights: readonly number[] | Float64Array): AliasTable {
  const n = weights.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i]!;
  const scaled = new Float64Array(n);
  for (let i = 0; i < n; i++) scaled[i] = (weights[i]! * n) / total;
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) (scaled[i]! < 1 ? small : large).push(i);
  while (small.length && large.length) {
    const s = small.pop()!;
    const l = large.pop()!;
    prob[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  for (const i of large) {
    prob[i] = 1;
    alias[i] = i;
  }
  for (const i of small) {
    prob[i] = 1;
    alias[i] = i;
  }
  return { n, prob, alias };
}
