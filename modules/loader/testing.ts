/** Test helpers of the I/O edge: a fingerprint of a directory tree, to prove a command changed nothing. */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Every entry under `dir` (names, kinds, modes, contents, link targets), hashed; mtimes left out. */
export function treeSnapshot(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const s = lstatSync(p);
      h.update(`${r}\0${s.mode}\0`);
      if (s.isDirectory()) walk(p, r);
      else if (s.isSymbolicLink()) h.update(readlinkSync(p));
      else h.update(readFileSync(p));
      h.update('\0');
    }
  };
  walk(dir, '');
  return h.digest('hex');
}
