/**
 * Safe output: every file the command line writes goes through here, so bad input never
 * destroys or half-writes anything.
 *
 * - `replaceOutputDir`: a directory a command owns, replaced in one rename. It is replaced only
 *   when it is absent, empty, or carries the marker file `.hdsctl-output` that the same command
 *   wrote; the root, the current directory and its parents, the repository, a git work tree and
 *   a directory holding environment files are always refused.
 * - `writeFileSet`: a set of files into a directory, all or nothing: staged next to the
 *   destination, then renamed into place, with the previous files restored on any failure.
 * - `writeNewFile`: one new file, never over an existing one.
 * - `describeFsError`: a system error (EISDIR, ENOTDIR, EROFS, ...) as one line with the path,
 *   what was expected and how to fix it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { basename, dirname, join, parse, resolve } from 'node:path';
import { canonicalPath, displayPath, isWithin, REPO_ROOT } from './paths.ts';

/** The marker file a command writes into an output directory it owns. */
export const MARKER = '.hdsctl-output';

/** A refused or failed write, as one line for the user. */
export class OutputError extends Error {
  override name = 'OutputError';
}

/** Who writes and how the user named the destination, for the messages. */
export interface OutputTarget {
  /** The command writing (`synth`, `policy`): recorded in the marker and named in messages. */
  command: string;
  /** The flag that named the destination (`--out`); messages start with it. */
  flag?: string;
  /** The destination as the user typed it (default: the path as displayed). */
  value?: string;
  /** A good value, for the fix (`cdktf.out`). */
  example?: string;
}

/** The system errors the command line explains. */
const FS_CODES = new Set([
  'ENOENT',
  'EISDIR',
  'ENOTDIR',
  'EEXIST',
  'EROFS',
  'EACCES',
  'EPERM',
  'ENOSPC',
  'EDQUOT',
  'ENAMETOOLONG',
  'ELOOP',
  'EBUSY',
  'ENOTEMPTY',
  'EMFILE',
  'ENFILE',
  'EXDEV',
  'EIO',
]);

export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && FS_CODES.has((e as NodeJS.ErrnoException).code!);
}

function quoted(path: string, t?: Pick<OutputTarget, 'flag' | 'value'>, shownPath?: string): string {
  const shown = shownPath ?? (t?.value !== undefined && resolve(t.value) === resolve(path) ? t.value : displayPath(path));
  return t?.flag ? `${t.flag}: "${shown}"` : `"${shown}"`;
}

/**
 * A system error as one line: `<flag>: "<path>" <what is wrong>; <how to fix it>`. `expected`
 * names what the path should be (`a file`, `a directory`); `fix` replaces the generic advice.
 */
export function describeFsError(e: NodeJS.ErrnoException, o: { path?: string; expected?: string; fix?: string; flag?: string; value?: string } = {}): string {
  // The destination the user named, rather than an internal staging name.
  const path = o.path ?? e.path;
  const where = path ? quoted(path, o) : o.flag ? `${o.flag}:` : 'a file';
  const fix = (generic: string) => o.fix ?? generic;
  switch (e.code) {
    case 'ENOENT':
      return `${where} does not exist${o.expected ? `, expected ${o.expected}` : ''}; ${fix('check the path')}`;
    case 'EISDIR':
      return `${where} is a directory, expected ${o.expected ?? 'a file'}; ${fix('remove or rename that directory, or give another path')}`;
    case 'ENOTDIR':
      return `${where}: a part of the path is a file, expected a directory; ${fix('give a path whose parents are directories')}`;
    case 'EEXIST':
      return `${where} already exists; ${fix('remove it or give another path')}`;
    case 'EROFS':
      return `${where} is on a read-only file system; ${fix('give a path on a writable file system')}`;
    case 'EACCES':
    case 'EPERM':
      return `${where}: permission denied; ${fix('give a path you may write to, or change its permissions')}`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `${where}: no space left on the device; ${fix('free some space or write elsewhere')}`;
    case 'ENAMETOOLONG':
      return `${where}: the path is too long; ${fix('give a shorter path')}`;
    case 'ELOOP':
      return `${where}: too many levels of symbolic links; ${fix('give the real path')}`;
    case 'EBUSY':
      return `${where} is busy (a mount point or in use); ${fix('give another path')}`;
    case 'ENOTEMPTY':
      return `${where} is a directory that is not empty; ${fix('give a new or empty directory')}`;
    case 'EMFILE':
    case 'ENFILE':
      return `${where}: too many open files; ${fix('raise the open-file limit (ulimit -n) and run again')}`;
    case 'EXDEV':
      return `${where} is on another file system than its temporary copy; ${fix('give a path on one file system')}`;
    default:
      return `${where}: ${e.code ?? 'error'} (${e.syscall ?? 'file system'}); ${fix('check the path and its permissions')}`;
  }
}

/** Runs `f`; a system error it throws becomes an OutputError of one line. */
function guarded<T>(f: () => T, o: Parameters<typeof describeFsError>[1] = {}): T {
  try {
    return f();
  } catch (e) {
    if (isFsError(e)) throw new OutputError(describeFsError(e, o));
    throw e;
  }
}

/** The entry at `path`, or undefined when there is none (also when a parent is a file). */
function lstat(path: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** When `path` is absent: its first existing ancestor must be a directory. */
function checkParents(path: string, t: OutputTarget): void {
  let p = dirname(path);
  for (;;) {
    const s = lstat(p);
    if (s) {
      const st = s.isSymbolicLink() ? fs.statSync(p, { throwIfNoEntry: false }) : s;
      if (!st?.isDirectory())
        throw new OutputError(`${quoted(path, t)}: "${displayPath(p)}" is a file, expected a directory; give a path whose parents are directories`);
      checkWritable(p, t);
      return;
    }
    const up = dirname(p);
    if (up === p) return;
    p = up;
  }
}

/** A directory the command must create entries in: writable (read-only file systems and permissions are caught before any work). */
function checkWritable(dir: string, t: OutputTarget): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    if (isFsError(e)) throw new OutputError(describeFsError(e, { ...t, path: dir }));
    throw e;
  }
}

function markerContent(command: string): string {
  return `${JSON.stringify({ tool: 'hdsctl', command, note: `written by hdsctl ${command}, which replaces this whole directory on every run` })}\n`;
}

/** Marks `dir` as an output directory of `command` (for writers that fill it themselves, e.g. `cdktf synth`). */
export function writeMarker(dir: string, command: string): void {
  fs.writeFileSync(join(dir, MARKER), markerContent(command));
}

function readMarker(dir: string): { tool?: string; command?: string } | undefined {
  const file = join(dir, MARKER);
  if (!lstat(file)?.isFile()) return undefined;
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { tool?: string; command?: string };
    return m && typeof m === 'object' && m.tool === 'hdsctl' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Environment files: a platforms/ directory, or a YAML file of kind Environment, Platform or ApplicationCatalog. */
function holdsEnvironments(dir: string, entries: string[]): boolean {
  if (entries.includes('platforms') && lstat(join(dir, 'platforms'))?.isDirectory()) return true;
  return entries
    .filter((f) => /\.ya?ml$/.test(f))
    .some((f) => {
      try {
        return /^kind:\s*["']?(Environment|Platform|ApplicationCatalog)\b/m.test(fs.readFileSync(join(dir, f), 'utf8').slice(0, 65_536));
      } catch {
        return false;
      }
    });
}

export type OutputDirState = 'absent' | 'empty' | 'owned';

/**
 * Whether `path` may be replaced by `t.command`, before anything is written; throws an
 * OutputError (one line) when it may not.
 */
export function checkReplaceableDir(path: string, t: OutputTarget): OutputDirState {
  const abs = resolve(path);
  const real = canonicalPath(abs);
  const where = quoted(abs, t);
  const why = `${t.command} replaces its whole output directory`;
  const fix = `give a dedicated directory${t.flag ? ` (e.g. ${t.flag} ${t.example ?? 'out'})` : ''}`;
  const cwd = canonicalPath(process.cwd());
  if (real === parse(real).root) throw new OutputError(`${where} is the filesystem root; ${why}: ${fix}`);
  if (real === cwd) throw new OutputError(`${where} is the current directory; ${why}: ${fix}`);
  if (isWithin(cwd, real)) throw new OutputError(`${where} contains the current directory; ${why}: ${fix}`);
  const repo = canonicalPath(REPO_ROOT);
  if (real === repo) throw new OutputError(`${where} is the hds-platform repository; ${why}: ${fix}`);
  if (isWithin(repo, real)) throw new OutputError(`${where} contains the hds-platform repository; ${why}: ${fix}`);
  const st = guarded(() => lstat(abs), { ...t, path: abs, expected: 'a directory' });
  if (!st) {
    checkParents(abs, t);
    return 'absent';
  }
  if (st.isSymbolicLink())
    throw new OutputError(`${where} is a symbolic link; ${why} and replaces only a real directory: give the directory itself or a new path`);
  if (!st.isDirectory())
    throw new OutputError(
      `${where} is an existing file, expected a directory; give a directory path${t.flag ? ` (e.g. ${t.flag} ${t.example ?? 'out'})` : ''} or remove the file`,
    );
  const entries = guarded(() => fs.readdirSync(abs), { ...t, path: abs, expected: 'a directory' });
  checkWritable(dirname(abs), t);
  if (entries.length === 0) return 'empty';
  if (entries.includes('.git')) throw new OutputError(`${where} is a git work tree; ${why}: ${fix}`);
  if (holdsEnvironments(abs, entries)) throw new OutputError(`${where} holds environment files; ${why}: ${fix}`);
  const marker = readMarker(abs);
  if (!marker)
    throw new OutputError(
      `${where} is a non-empty directory that ${t.command} did not write (no ${MARKER} marker); ${fix.replace('give a dedicated directory', 'give a new or empty directory')}, or remove it first`,
    );
  if (marker.command !== t.command) throw new OutputError(`${where} was written by hdsctl ${marker.command ?? '(unknown command)'}, not ${t.command}; ${fix}`);
  return 'owned';
}

const suffix = () => `${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * Replaces the directory `path` with what `fill` writes into a staging directory (a hidden
 * sibling), in one rename, after `checkReplaceableDir`. The marker is added. On any error the
 * staging directory is removed and `path` is left as it was.
 */
export function replaceOutputDir<T>(path: string, t: OutputTarget, fill: (staging: string) => T): { result: T; dir: string } {
  checkReplaceableDir(path, t);
  const abs = resolve(path);
  const parent = dirname(abs);
  const io = { ...t, path: abs };
  guarded(() => fs.mkdirSync(parent, { recursive: true }), { ...io, path: parent, expected: 'a directory' });
  const staging = join(parent, `.${basename(abs)}.hdsctl-new-${suffix()}`);
  const old = join(parent, `.${basename(abs)}.hdsctl-old-${suffix()}`);
  guarded(() => fs.mkdirSync(staging), { ...io, path: parent, expected: 'a writable directory' });
  let moved = false;
  try {
    const result = fill(staging);
    guarded(() =>
      fs.writeFileSync(join(staging, MARKER), markerContent(t.command)),
    );
    const state = checkReplaceableDir(path, t);
    if (state !== 'absent') {
      guarded(() => fs.renameSync(abs, old), io);
      moved = true;
    }
    guarded(() => fs.renameSync(staging, abs), io);
    fs.rmSync(old, { recursive: true, force: true });
    return { result, dir: abs };
  } catch (e) {
    if (moved && !fs.existsSync(abs)) fs.renameSync(old, abs);
    fs.rmSync(staging, { recursive: true, force: true });
    if (isFsError(e)) throw new OutputError(describeFsError(e, io));
    throw e;
  }
}

function writeDurable(path: string, content: string | Uint8Array, mode: number): void {
  const fd = fs.openSync(path, 'wx', mode);
  try {
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface OutputFile {
  name: string;
  content: string | Uint8Array;
}

/** Primitive file operations, replaceable in tests to simulate a failure half-way. */
export const fileOps = { rename: (from: string, to: string) => fs.renameSync(from, to) };

/**
 * Checks, before anything is computed or written, that `dir` can take the files `names`:
 * `dir` is absent (with directory parents) or a directory, and no name is taken by a
 * directory or anything but a regular file.
 */
export function checkFileSet(dir: string, names: string[], t: OutputTarget): void {
  const abs = resolve(dir);
  const st = guarded(() => lstat(abs), { ...t, path: abs, expected: 'a directory' });
  if (!st) {
    checkParents(abs, t);
    return;
  }
  const real = st.isSymbolicLink() ? fs.statSync(abs, { throwIfNoEntry: false }) : st;
  if (!real?.isDirectory())
    throw new OutputError(
      `${quoted(abs, t)} is an existing file, expected a directory; give a directory path${t.flag ? ` (e.g. ${t.flag} ${t.example ?? 'out'})` : ''} or remove the file`,
    );
  checkWritable(abs, t);
  for (const name of names) {
    const p = join(abs, name);
    const s = lstat(p);
    if (!s || s.isFile()) continue;
    const what = s.isDirectory() ? 'a directory' : s.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
    throw new OutputError(
      `${quoted(p, { flag: t.flag })} is ${what}, expected a file ${t.command} may replace; remove or rename it, or give another ${t.flag ?? 'directory'}`,
    );
  }
}

/**
 * Writes the files into `dir`, all or nothing. When `dir` is absent the whole set is staged in
 * a sibling directory renamed into place at once; otherwise the files are staged inside `dir`
 * and renamed one by one, each previous file kept aside and restored if a later step fails.
 * Returns the paths written.
 */
export function writeFileSet(dir: string, files: OutputFile[], t: OutputTarget, mode = 0o644): string[] {
  const names = files.map((f) => f.name);
  checkFileSet(dir, names, t);
  const abs = resolve(dir);
  const io = { ...t, path: abs };
  const paths = names.map((n) => join(abs, n));
  if (!lstat(abs)) {
    const parent = dirname(abs);
    guarded(() => fs.mkdirSync(parent, { recursive: true }), { ...io, path: parent, expected: 'a directory' });
    const staging = join(parent, `.${basename(abs)}.hdsctl-new-${suffix()}`);
    try {
      guarded(() => fs.mkdirSync(staging), { ...io, path: parent, expected: 'a writable directory' });
      for (const f of files) guarded(() => writeDurable(join(staging, f.name), f.content, mode), io);
      guarded(() => fileOps.rename(staging, abs), io);
      return paths;
    } catch (e) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw e;
    }
  }
  const staging = join(abs, `.hdsctl-new-${suffix()}`);
  const placed: Array<{ dest: string; backup?: string }> = [];
  try {
    guarded(() => fs.mkdirSync(staging), { ...io, expected: 'a writable directory' });
    for (const f of files) guarded(() => writeDurable(join(staging, f.name), f.content, mode), io);
    files.forEach((f, k) => {
      const dest = paths[k]!;
      const step: { dest: string; backup?: string } = { dest };
      if (lstat(dest)) {
        step.backup = join(staging, `.previous-${f.name}`);
        guarded(() => fileOps.rename(dest, step.backup!), { ...io, path: dest });
      }
      placed.push(step);
      guarded(() => fileOps.rename(join(staging, f.name), dest), { ...io, path: dest });
    });
    fs.rmSync(staging, { recursive: true, force: true });
    return paths;
  } catch (e) {
    for (const step of placed.reverse()) {
      try {
        if (lstat(step.dest)?.isFile() && (!step.backup || lstat(step.backup))) fs.rmSync(step.dest, { force: true });
        if (step.backup && lstat(step.backup)) fs.renameSync(step.backup, step.dest);
      } catch {
        // best effort: the staging directory below still holds the previous file
      }
    }
    const leftovers = fs.existsSync(staging) ? fs.readdirSync(staging).filter((n) => n.startsWith('.previous-')) : [];
    if (leftovers.length === 0) fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Writes a new file atomically (temporary sibling, fsync, link into place); refuses when the
 * path exists, even if it appears meanwhile.
 */
export function writeNewFile(path: string, content: string | Uint8Array, t: OutputTarget, mode = 0o644): void {
  const abs = resolve(path);
  const io = { ...t, path: abs };
  if (lstat(abs)) throw new OutputError(`${quoted(abs, t)} already exists; remove it or give another name`);
  checkParents(abs, t);
  guarded(() => fs.mkdirSync(dirname(abs), { recursive: true }), { ...io, path: dirname(abs), expected: 'a directory' });
  const tmp = join(dirname(abs), `.${basename(abs)}.hdsctl-new-${suffix()}`);
  try {
    guarded(() => writeDurable(tmp, content, mode), io);
    guarded(() => {
      try {
        fs.linkSync(tmp, abs);
      } catch (e) {
        // File systems without hard links: check again, then rename.
        if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
        if (lstat(abs)) throw Object.assign(new Error('exists'), { code: 'EEXIST', path: abs });
        fs.renameSync(tmp, abs);
      }
    }, io);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
