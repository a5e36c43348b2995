/**
 * The export's list of files and their SHA-256 (EXG_REV_19: "every file with size and SHA-256";
 * STYLE: pgBackRest's manifest verified on restore). docs/reversibility.md.
 *
 * `SHA256SUMS` is in exactly the format of GNU `sha256sum` (`<64 hex>  <path>\n`, sorted by the
 * path's UTF-8 bytes), so a taker checks it with `sha256sum -c SHA256SUMS` and nothing from us.
 * Files are hashed as streams (bounded memory whatever their size). Only regular files are
 * accepted: a symbolic link or a special file in an export is refused, naming the path (a link
 * could make a verifier read outside the export).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExportFile } from './types.ts';

/** File names of the signed list and its signature, at the export's root (never listed in it). */
export const SHA256SUMS_FILE = 'SHA256SUMS';
export const SIGNATURE_FILE = 'SHA256SUMS.sig';

/** Errors of this module: one line, naming the file (and line) and how to fix it. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

export interface HashTreeOptions {
  /**
   * Relative paths left out: an exact file path, or a directory when it ends with `/`.
   * @default []
   */
  exclude?: readonly string[];
  /** Called after each file is hashed (progress bars). */
  onFile?: (file: ExportFile) => void;
}

/** An entry of the tree as found on disk (not yet hashed). */
interface TreeEntry {
  path: string;
  kind: 'file' | 'symlink' | 'other';
  size: number;
}

/** Compares by UTF-8 bytes, the order `LC_ALL=C sort` gives (deterministic whatever the locale). */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Why a relative path cannot be listed in SHA256SUMS, or undefined when it can: POSIX
 * separators, no empty, `.` or `..` component, not absolute, and no character that `sha256sum`
 * would escape (backslash, CR, LF).
 */
export function unsafePathReason(path: string): string | undefined {
  if (path.length === 0) return 'empty path';
  if (path.startsWith('/')) return 'absolute path';
  if (/[\\\r\n\0]/.test(path)) return 'backslash, CR, LF or NUL in the name';
  for (const part of path.split('/')) {
    if (part === '' || part === '.' || part === '..') return `"${part}" component`;
  }
  return undefined;
}

function excluded(path: string, exclude: readonly string[]): boolean {
  for (const e of exclude) {
    if (e.endsWith('/') ? path.startsWith(e) : path === e) return true;
  }
  return false;
}

/** Every entry under `root` (directories walked, not returned), sorted by path. */
async function walk(root: string, exclude: readonly string[]): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (rel: string): Promise<void> => {
    const names = await readdir(rel === '' ? root : join(root, rel));
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (excluded(path, exclude)) continue;
      const st = await lstat(join(root, path));
      if (st.isDirectory()) {
        if (!excluded(`${path}/`, exclude)) await visit(path);
      } else if (st.isFile()) out.push({ path, kind: 'file', size: st.size });
      else out.push({ path, kind: st.isSymbolicLink() ? 'symlink' : 'other', size: 0 });
    }
  };
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new ManifestError(`${root}: not a directory; give the export's directory`);
  await visit('');
  return out.sort((a, b) => comparePaths(a.path, b.path));
}

/** SHA-256 (hex) and byte count of a file, read as a stream. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

function notRegular(e: TreeEntry, shown = e.path): string {
  return `${shown}: ${e.kind === 'symlink' ? 'a symbolic link' : 'a special file (device, FIFO or socket)'}, not a regular file; an export holds regular files only: replace it by the file's content or remove it`;
}

/**
 * Every regular file under `dir` with its size and SHA-256, sorted by path (UTF-8 bytes).
 * Throws a ManifestError naming the path on a symbolic link, a special file or a name
 * `sha256sum` cannot list as is.
 */
export async function hashTree(dir: string, opts: HashTreeOptions = {}): Promise<ExportFile[]> {
  const entries = await walk(dir, opts.exclude ?? []);
  const files: ExportFile[] = [];
  for (const e of entries) {
    if (e.kind !== 'file') throw new ManifestError(notRegular(e, join(dir, e.path)));
    const reason = unsafePathReason(e.path);
    if (reason) throw new ManifestError(`${join(dir, e.path)}: cannot be listed in ${SHA256SUMS_FILE} (${reason}); rename it`);
    const h = await hashFile(join(dir, e.path));
    const f: ExportFile = { path: e.path, size: h.size, sha256: h.sha256 };
    files.push(f);
    opts.onFile?.(f);
  }
  return files;
}

/** The text of SHA256SUMS for `files`: `<hex>  <path>\n` per file, sorted by path. */
export function sha256sums(files: ReadonlyArray<Pick<ExportFile, 'path' | 'sha256'>>): string {
  const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path));
  const seen = new Set<string>();
  let out = '';
  for (const f of sorted) {
    const reason = unsafePathReason(f.path);
    if (reason) throw new ManifestError(`${JSON.stringify(f.path)}: cannot be listed in ${SHA256SUMS_FILE} (${reason}); rename it`);
    if (!/^[0-9a-f]{64}$/.test(f.sha256)) throw new ManifestError(`${f.path}: sha256 ${JSON.stringify(f.sha256)} is not 64 lowercase hex digits`);
    if (seen.has(f.path)) throw new ManifestError(`${f.path}: listed twice; list each file once`);
    seen.add(f.path);
    out += `${f.sha256}  ${f.path}\n`;
  }
  return out;
}

const LINE_RE = /^([0-9a-fA-F]{64}) [ *](.+)$/;

/**
 * Parses `sha256sum` output (text or binary marker). Throws a ManifestError
 * `<source>:<line>:<col>: what; how to fix` on a malformed line, an unsafe or duplicate path.
 */
export function parseSha256sums(text: string, source = SHA256SUMS_FILE): Array<Pick<ExportFile, 'path' | 'sha256'>> {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else if (text.length > 0)
    throw new ManifestError(
      `${source}:${lines.length}:${(lines[lines.length - 1] ?? '').length + 1}: no newline at the end of the last line; the file is truncated: regenerate it`,
    );
  const out: Array<Pick<ExportFile, 'path' | 'sha256'>> = [];
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    const m = LINE_RE.exec(line);
    if (!m) {
      throw new ManifestError(
        `${source}:${i + 1}:1: malformed line (expected "<64 hex digits>  <path>" as sha256sum prints it, escaped names are not accepted); regenerate the list`,
      );
    }
    const path = m[2] ?? '';
    const reason = unsafePathReason(path);
    if (reason)
      throw new ManifestError(`${source}:${i + 1}:67: path ${JSON.stringify(path)} refused (${reason}); list paths relative to the export, without . or ..`);
    if (seen.has(path)) throw new ManifestError(`${source}:${i + 1}:67: ${path} listed twice; list each file once`);
    seen.add(path);
    out.push({ path, sha256: (m[1] ?? '').toLowerCase() });
  });
  return out;
}

export type TreeProblemKind = 'changed' | 'missing' | 'extra' | 'not-regular';

export interface TreeProblem {
  path: string;
  kind: TreeProblemKind;
  /** One line, starting with the path. */
  message: string;
}

/** Files never listed in SHA256SUMS (the list itself and its signature). */
export const UNLISTED: readonly string[] = [SHA256SUMS_FILE, SIGNATURE_FILE];

/**
 * Compares `dir` with the expected list: a file whose size or hash differs, a listed file that
 * is missing (or not a regular file), a file present but not listed (SHA256SUMS and
 * SHA256SUMS.sig aside). Sizes, when given, are compared before hashing. Sorted by path.
 */
export async function verifyTree(dir: string, expected: ReadonlyArray<Pick<ExportFile, 'path' | 'sha256'> & { size?: number }>): Promise<TreeProblem[]> {
  const want = new Map<string, Pick<ExportFile, 'path' | 'sha256'> & { size?: number }>();
  for (const e of expected) {
    const reason = unsafePathReason(e.path);
    if (reason) throw new ManifestError(`${JSON.stringify(e.path)}: refused in the expected list (${reason})`);
    want.set(e.path, e);
  }
  const entries = await walk(dir, UNLISTED);
  const problems: TreeProblem[] = [];
  const found = new Set<string>();
  for (const e of entries) {
    found.add(e.path);
    const w = want.get(e.path);
    if (e.kind !== 'file') {
      problems.push({ path: e.path, kind: 'not-regular', message: notRegular(e) });
      continue;
    }
    if (!w) {
      problems.push({ path: e.path, kind: 'extra', message: `${e.path}: extra file, not listed in ${SHA256SUMS_FILE}` });
      continue;
    }
    if (w.size !== undefined && w.size !== e.size) {
      problems.push({ path: e.path, kind: 'changed', message: `${e.path}: changed (size ${e.size} bytes, expected ${w.size})` });
      continue;
    }
    const h = await hashFile(join(dir, e.path));
    if (h.sha256 !== w.sha256) {
      problems.push({ path: e.path, kind: 'changed', message: `${e.path}: changed (sha256 ${h.sha256}, expected ${w.sha256})` });
    }
  }
  for (const w of want.values()) {
    if (!found.has(w.path)) problems.push({ path: w.path, kind: 'missing', message: `${w.path}: missing (listed in ${SHA256SUMS_FILE}, not in the export)` });
  }
  return problems.sort((a, b) => comparePaths(a.path, b.path));
}
