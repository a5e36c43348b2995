/** Helpers of the PV tests (drill, restore test) and their fixtures: what a rendered PV is checked with. */
import { createHash } from 'node:crypto';
import type { PvEvidenceFile } from './types.ts';

/** An absolute path of the machine that rendered the PV (a PV names files relative to its run directory only). */
export const ABSOLUTE_PATH = /(^|[\s"'(=`])\/(tmp|home|root|work|usr|var|etc|opt|srv|mnt)\//m;

/** How many times `sub` occurs in `s`. */
export const count = (s: string, sub: string) => s.split(sub).length - 1;

/** The table-cell separators of a Markdown line: its pipes not escaped by a backslash. */
export const unescapedPipes = (line: string) => (line.match(/(?<!\\)\|/g) ?? []).length;

/** The Markdown outside fenced code blocks. */
export function outsideFences(md: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of md.split('\n')) {
    const m = /^(`{3,})/.exec(line);
    if (fence) {
      if (m && line.trim() === fence) fence = undefined;
    } else if (m) fence = m[1];
    else out.push(line);
  }
  return out.join('\n');
}

/** The same value with the keys of every object in reverse order (a PV must render the same whatever the key order). */
export function reversedKeys<T>(v: T): T {
  const rev = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(rev)
      : x && typeof x === 'object'
        ? Object.fromEntries(
            Object.entries(x)
              .reverse()
              .map(([k, y]) => [k, rev(y)]),
          )
        : x;
  return rev(v) as T;
}

/** Evidence files of a fixture run from `[path, what, bytes]`; the SHA-256 is that of the path (deterministic). */
export function fixtureEvidence(files: ReadonlyArray<readonly [string, string, number]>): PvEvidenceFile[] {
  return files.map(([path, what, bytes]) => ({ path, what, bytes, sha256: createHash('sha256').update(path).digest('hex') }));
}
