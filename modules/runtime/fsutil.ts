/**
 * Small filesystem helpers shared by the lab runtime: atomic writes (temp file + rename)
 * and directories with an explicit mode and owner. Nothing here knows about the lab.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface Owner {
  uid: number;
  gid: number;
}

export interface WriteOptions {
  /** POSIX mode of the final file (default 0o644). */
  mode?: number;
  owner?: Owner;
}

/**
 * Writes `content` to `path` atomically: a temp file in the same directory, created with the
 * final mode from the start (so a secret is never readable by others, not even briefly),
 * fsync'ed, chown'ed, then renamed over the target.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, opts: WriteOptions = {}): Promise<void> {
  const mode = opts.mode ?? 0o644;
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content);
    await fh.chmod(mode); // umask may have narrowed the mode given to open()
    if (opts.owner) await fh.chown(opts.owner.uid, opts.owner.gid);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Creates `path` and enforces mode and owner on it; missing parents are created 0755 (so
 * that a service user can traverse them to reach its own directory).
 */
export async function ensureDir(path: string, mode = 0o755, owner?: Owner): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await mkdir(path, { recursive: true, mode });
  await chmod(path, mode);
  if (owner) await chown(path, owner.uid, owner.gid);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
