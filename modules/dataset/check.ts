/**
 * Content hash of a table for `--check` (EXG_ENV_15 determinism): the sum, modulo 2^32 on two
 * independent lanes, of a 64-bit hash of each row in its canonical COPY text form, plus the row
 * count. A sum does not depend on row order, so the hash is the same whatever the number of
 * workers, shards or the chunk size, partial hashes of shards add up, and a table read back from
 * PostgreSQL (COPY ... TO STDOUT) hashes to the same value as the generated stream.
 */
import { createHash } from 'node:crypto';

export interface HashState {
  a: number;
  b: number;
  rows: number;
}

export function emptyHash(): HashState {
  return { a: 0, b: 0, rows: 0 };
}

/** Adds one row (its text, newline included or not: the newline is ignored). */
export function addRow(h: HashState, line: string): void {
  let x = 0x9747b28c;
  let y = 0x85ebca6b;
  const n = line.charCodeAt(line.length - 1) === 10 ? line.length - 1 : line.length;
  for (let i = 0; i < n; i++) {
    const c = line.charCodeAt(i);
    x = Math.imul(x ^ c, 0x5bd1e995);
    x ^= x >>> 15;
    y = Math.imul(y + c, 0x27d4eb2f);
    y ^= y >>> 13;
  }
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x ^= x >>> 13;
  y = Math.imul(y ^ (y >>> 16), 0xc2b2ae35);
  y ^= y >>> 16;
  h.a = (h.a + (x >>> 0)) >>> 0;
  h.b = (h.b + (y >>> 0)) >>> 0;
  h.rows++;
}

/**
 * addRow over the UTF-8 bytes [start, end) of a row (no newline), decoding them to the UTF-16
 * code units addRow reads: the same hash as the row's string, without building the string.
 */
export function addRowBytes(h: HashState, b: Uint8Array, start: number, end: number): void {
  let x = 0x9747b28c;
  let y = 0x85ebca6b;
  let i = start;
  while (i < end) {
    let c = b[i++]!;
    if (c >= 0x80) {
      if (c < 0xe0) c = ((c & 0x1f) << 6) | (b[i++]! & 0x3f);
      else if (c < 0xf0) {
        c = ((c & 0x0f) << 12) | ((b[i]! & 0x3f) << 6) | (b[i + 1]! & 0x3f);
        i += 2;
      } else {
        const cp = ((c & 0x07) << 18) | ((b[i]! & 0x3f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
        i += 3;
        const hi = 0xd800 + ((cp - 0x10000) >> 10);
        x = Math.imul(x ^ hi, 0x5bd1e995);
        x ^= x >>> 15;
        y = Math.imul(y + hi, 0x27d4eb2f);
        y ^= y >>> 13;
        c = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      }
    }
    x = Math.imul(x ^ c, 0x5bd1e995);
    x ^= x >>> 15;
    y = Math.imul(y + c, 0x27d4eb2f);
    y ^= y >>> 13;
  }
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x ^= x >>> 13;
  y = Math.imul(y ^ (y >>> 16), 0xc2b2ae35);
  y ^= y >>> 16;
  h.a = (h.a + (x >>> 0)) >>> 0;
  h.b = (h.b + (y >>> 0)) >>> 0;
  h.rows++;
}

export function mergeHash(into: HashState, from: HashState): void {
  into.a = (into.a + from.a) >>> 0;
  into.b = (into.b + from.b) >>> 0;
  into.rows += from.rows;
}

/** Printable digest: sha256 over the lanes and the count, first 32 hex digits. */
export function digest(h: HashState): string {
  return createHash('sha256').update(`${h.a.toString(16)}:${h.b.toString(16)}:${h.rows}`).digest('hex').slice(0, 32);
}
