/**
 * Work units: chunks of consecutive user ids and of professional ids. A unit is the grain of
 * work handed to a worker and of checkpoints; `--shard K/N` keeps the units whose position is
 * K−1 modulo N, so N machines load disjoint parts of the same dataset (EXG_ENV_15).
 */
import type { DatasetSpec } from './generate.ts';

export interface Unit {
  kind: 'user' | 'professional';
  first: number;
  count: number;
  /** Stable name, e.g. "u0000000001" (used in checkpoints and file names). */
  key: string;
}

export interface Shard {
  index: number; // 1-based
  of: number;
}

export function parseShard(text: string | undefined): Shard {
  if (!text) return { index: 1, of: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const k = m ? Number(m[1]) : Number.NaN;
  const n = m ? Number(m[2]) : Number.NaN;
  if (!m || n < 1 || k < 1 || k > n || n > 10_000) throw new Error(`--shard "${text}": expected K/N with 1 ≤ K ≤ N, e.g. --shard 2/4`);
  return { index: k, of: n };
}

function unitKey(kind: Unit['kind'], first: number): string {
  return `${kind === 'user' ? 'u' : 'p'}${String(first).padStart(10, '0')}`;
}

/** Every unit of a run, professionals first (they are few), in id order. */
export function allUnits(spec: DatasetSpec, chunkSize: number, includeProfessionals: boolean): Unit[] {
  const units: Unit[] = [];
  if (includeProfessionals) {
    for (let first = 1; first <= spec.professionals; first += chunkSize) {
      units.push({ kind: 'professional', first, count: Math.min(chunkSize, spec.professionals - first + 1), key: unitKey('professional', first) });
    }
  }
  const end = spec.firstUser + spec.users;
  for (let first = spec.firstUser; first < end; first += chunkSize) {
    units.push({ kind: 'user', first, count: Math.min(chunkSize, end - first), key: unitKey('user', first) });
  }
  return units;
}

export function shardUnits(units: Unit[], shard: Shard): Unit[] {
  return units.filter((_, i) => i % shard.of === shard.index - 1);
}
