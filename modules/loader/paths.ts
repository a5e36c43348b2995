/**
 * Paths as users and reports see them. Messages show a path relative to the current directory
 * when it is inside it (absolute otherwise, so it can be opened); reports never carry an
 * absolute path of the machine that made them (relative to the current directory or the
 * repository).
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** The hds-platform repository this tool runs from. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** True when `inner` is `outer` or below it (both absolute). */
export function isWithin(inner: string, outer: string): boolean {
  const r = relative(outer, inner);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
}

/** The absolute path with symbolic links of its existing part resolved. */
export function canonicalPath(path: string): string {
  const abs = resolve(path);
  let head = abs;
  const tail: string[] = [];
  while (!existsSync(head)) {
    const parent = dirname(head);
    if (parent === head) return abs;
    tail.unshift(basename(head));
    head = parent;
  }
  try {
    return join(realpathSync(head), ...tail);
  } catch {
    return abs;
  }
}

/** For messages: relative to the current directory when inside it, else absolute. */
export function displayPath(path: string): string {
  const abs = resolve(path);
  const cwd = process.cwd();
  if (!isWithin(abs, cwd)) return abs;
  return relative(cwd, abs) || '.';
}

/**
 * For reports and committed examples: never absolute. Relative to the current directory when
 * inside it, else to the repository when inside it, else relative to the current directory.
 * Non-path references (`topology:production`, `rendered:...`) are kept as they are.
 */
export function reportPath(path: string): string {
  if (!isAbsolute(path)) return path;
  const cwd = process.cwd();
  if (isWithin(path, cwd)) return relative(cwd, path) || '.';
  if (isWithin(path, REPO_ROOT)) return relative(REPO_ROOT, path) || '.';
  return relative(cwd, path);
}
