/**
 * Writing a configuration backup set (configSet.ts) to disk: `<dir>/<id>/` with
 *
 * - `config-set.tar.gz`: the entries, in path order, as a portable POSIX tar (node-tar: no uid,
 *   gid, user or group names, no atime/ctime; every mtime ARCHIVE_MTIME; gzip header without time,
 *   OS "unknown"), so the same entries give the same bytes, whoever and whenever writes them
 *   (with the same zlib: Node's bundled one);
 * - `manifest.json`: every entry's path, size, SHA-256 and mode; the archive's size and SHA-256
 *   (`sha256sum config-set.tar.gz` checks it); `contentSha256` over the entries (independent of
 *   the compression); environment, time, the tool's commit and the notes (what the set lacks and
 *   why: nothing is left out silently).
 *
 * Atomic: everything is written into a hidden sibling (`.<id>.tmp-…`), fsynced, then renamed to
 * `<id>` in one step; on any failure the sibling is removed and nothing named `<id>` appears. An
 * existing `<id>` is never replaced. The guard runs again on the entries before anything is written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { create } from 'tar';
import { describeFsError, isFsError } from '../loader/safeOutput.ts';
import { assertNoSecrets, type ConfigSetEntry, ConfigSetError, normaliseEntries } from './configSet.ts';

export const ARCHIVE_NAME = 'config-set.tar.gz';
export const MANIFEST_NAME = 'manifest.json';
export const MANIFEST_FORMAT = 'hds-config-set/v1';
/** The mtime of every archive member: fixed, so the archive depends on the entries only. */
export const ARCHIVE_MTIME = new Date('2000-01-01T00:00:00Z');

export interface ConfigSetMeta {
  environment: string;
  /** When the set was taken (the manifest's time and the default id). */
  createdAt: Date;
  /** `git rev-parse HEAD` of the tool that made the set; null when unknown. */
  toolCommit?: string | null;
  /** What the set lacks and why (e.g. no key metadata); recorded in the manifest. @default none */
  notes?: readonly string[];
  /** The set's directory name. @default `<environment>-config-<YYYYMMDDTHHMMSSZ>` of createdAt */
  id?: string;
}

export interface ConfigSetManifestEntry {
  path: string;
  bytes: number;
  sha256: string;
  /** POSIX mode as archived, octal text (`0644`). */
  mode: string;
}

export interface ConfigSetManifest {
  format: typeof MANIFEST_FORMAT;
  requirements: string[];
  id: string;
  environment: string;
  createdAt: string;
  toolCommit: string | null;
  archive: { file: string; bytes: number; sha256: string };
  /** SHA-256 of the lines `<sha256>  <path>\n` of every entry in path order (sha256sum's format). */
  contentSha256: string;
  entries: ConfigSetManifestEntry[];
  notes: string[];
}

export interface WrittenConfigSet {
  /** Absolute path of `<dir>/<id>`. */
  dir: string;
  id: string;
  manifest: ConfigSetManifest;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `<environment>-config-20260612T093000Z`. */
export function defaultConfigSetId(environment: string, at: Date): string {
  return `${environment}-config-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')}`;
}

const sha256 = (b: string | Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The mode node-tar archives in portable mode: owner read/write added, group/other write removed. */
export function archivedMode(mode: number): number {
  return (mode | 0o600) & ~0o022 & 0o777;
}

/** The manifest's entries and content hash (pure; also used by the readers that check a set). */
export function manifestEntries(entries: readonly ConfigSetEntry[]): { entries: ConfigSetManifestEntry[]; contentSha256: string } {
  const list = entries.map((e) => {
    const bytes = Buffer.from(e.content, 'utf8');
    return { path: e.path, bytes: bytes.length, sha256: sha256(bytes), mode: archivedMode(e.mode).toString(8).padStart(4, '0') };
  });
  return { entries: list, contentSha256: sha256(list.map((e) => `${e.sha256}  ${e.path}\n`).join('')) };
}

/** The steps that touch the disk, replaceable in tests to simulate a failure half-way. */
export const configSetOps = {
  /** Writes the gzipped tar of `paths` (relative to `cwd`, in that order) to `file`. */
  archive: (cwd: string, paths: string[], file: string): Promise<void> =>
    create({ cwd, file, gzip: true, portable: true, mtime: ARCHIVE_MTIME, noDirRecurse: true, strict: true }, paths),
  rename: (from: string, to: string): Promise<void> => rename(from, to),
};

async function writeDurable(path: string, content: string | Uint8Array, mode: number): Promise<void> {
  const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(path, mode); // the umask may have removed bits the entry asks for
}

async function syncDir(path: string): Promise<void> {
  const fh = await open(path, fsc.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes the set into `<dir>/<id>/` (config-set.tar.gz, manifest.json), atomically; `dir` is
 * created when absent. Throws a ConfigSetError (one line) when the entries are malformed or hold
 * a secret, or when `<dir>/<id>` exists; then nothing is written.
 */
export async function writeConfigSet(dir: string, entries: readonly ConfigSetEntry[], meta: ConfigSetMeta): Promise<WrittenConfigSet> {
  const sorted = normaliseEntries(entries);
  assertNoSecrets(sorted);
  const id = meta.id ?? defaultConfigSetId(meta.environment, meta.createdAt);
  if (!ID_RE.test(id)) throw new ConfigSetError(`config set: id ${JSON.stringify(id)} is not a plain name (letters, digits, . _ -, up to 128)`);
  const parent = resolve(dir);
  const final = join(parent, id);
  const fsError = (e: unknown, path: string, expected: string): never => {
    if (isFsError(e)) throw new ConfigSetError(describeFsError(e, { path, expected }));
    throw e;
  };
  const existing = await lstat(final).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : fsError(e, final, 'a new directory')));
  if (existing)
    throw new ConfigSetError(`config set: ${final} exists already; a backup set is never overwritten — give another --out or remove that directory first`);
  await mkdir(parent, { recursive: true, mode: 0o755 }).catch((e) => fsError(e, parent, 'a directory'));
  const tmp = join(parent, `.${id}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { mode: 0o700 }).catch((e) => fsError(e, parent, 'a writable directory'));
  try {
    const stage = join(tmp, '.stage');
    for (const e of sorted) {
      const file = join(stage, e.path);
      await mkdir(dirname(file), { recursive: true, mode: 0o755 });
      await writeDurable(file, e.content, e.mode);
    }
    const archive = join(tmp, ARCHIVE_NAME);
    await configSetOps.archive(
      stage,
      sorted.map((e) => e.path),
      archive,
    );
    await rm(stage, { recursive: true, force: true });
    const bytes = await readFile(archive);
    await chmod(archive, 0o640);
    const m = manifestEntries(sorted);
    const manifest: ConfigSetManifest = {
      format: MANIFEST_FORMAT,
      requirements: ['EXG_PRA_2'],
      id,
      environment: meta.environment,
      createdAt: meta.createdAt.toISOString(),
      toolCommit: meta.toolCommit ?? null,
      archive: { file: ARCHIVE_NAME, bytes: bytes.length, sha256: sha256(bytes) },
      contentSha256: m.contentSha256,
      entries: m.entries,
      notes: [...(meta.notes ?? [])],
    };
    await writeDurable(join(tmp, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
    await chmod(tmp, 0o755);
    await syncDir(tmp);
    await configSetOps.rename(tmp, final);
    await syncDir(parent);
    return { dir: final, id, manifest };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (e instanceof ConfigSetError) throw e;
    return fsError(e, final, 'a writable directory');
  }
}
