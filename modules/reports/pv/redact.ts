/**
 * Reports people sign never carry an absolute path of the machine that made them (non-negotiable
 * 6): a PV's strings — error messages quoted in differences, a directory named in a "not done" —
 * go through redactMachinePaths before the PV is signed or rendered. The repository becomes a
 * relative path, the temp directory `$TMPDIR`, the home directory `~`; the rest of each path is
 * kept, so the reader still sees which file was meant.
 */
import { homedir, tmpdir } from 'node:os';
import { REPO_ROOT } from '../../loader/paths.ts';

export interface MachineRoots {
  repo: string;
  tmp: string;
  home: string;
}

const defaultRoots = (): MachineRoots => ({ repo: REPO_ROOT, tmp: tmpdir(), home: homedir() });

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The text with every occurrence of a machine root (followed by / or ending the path) replaced. */
export function redactText(text: string, roots: MachineRoots = defaultRoots()): string {
  let out = text;
  // Longest root first: the repository may live under the home or the temp directory.
  const order: Array<[string, string]> = (
    [
      [roots.repo, '.'],
      [roots.tmp, '$TMPDIR'],
      [roots.home, '~'],
    ] as Array<[string, string]>
  )
    .filter(([r]) => r.length > 1)
    .sort((a, b) => b[0].length - a[0].length);
  for (const [root, as] of order) {
    const r = root.replace(/\/+$/, '');
    out = out.replace(new RegExp(`${escapeRe(r)}(?=/|$|[\\s"'\`),;:])`, 'g'), as);
  }
  return out;
}

/** A deep copy of `value` with redactText applied to every string (keys included). */
export function redactMachinePaths<T>(value: T, roots: MachineRoots = defaultRoots()): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v, roots);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [redactText(k, roots), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
