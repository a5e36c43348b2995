/**
 * The lab's offline copy refuses writes (issue 14; EXG_PRA_2 "stored offline": integrity against
 * corruption, deletion, malware): on a fake repo2 tree under /tmp (ext4), sealOfflineCopy makes
 * every file of a finished set and of the WAL archive immutable — writing, appending, truncating,
 * deleting and renaming one fail with EPERM, for root too (this test runs as root) — while the info
 * files pgBackRest rewrites stay writable, a new WAL segment or set can still be added, a set in
 * progress is left alone, and a second seal only seals what is new. unsealForLabTeardown then lets
 * `rm -rf` delete the tree. Runs only as root (CAP_LINUX_IMMUTABLE); skipped otherwise.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rename, rm, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealOfflineCopy, unsealForLabTeardown } from './backup.ts';

const FINISHED = 'backup/documents/20261129-010002F';
const IN_PROGRESS = 'backup/documents/20261130-010002F_20261130-050001D';
const WAL_DIR = 'archive/documents/15-1/0000000100000000';
const SEGMENT = `${WAL_DIR}/000000010000000000000001-a1b2c3.gz`;

const TREE: Record<string, string> = {
  'archive/documents/archive.info': 'info',
  'archive/documents/archive.info.copy': 'info',
  'archive/documents/15-1/00000002.history': 'history',
  [SEGMENT]: 'wal 1',
  [`${WAL_DIR}/000000010000000000000002-d4e5f6.gz.pgbackrest.tmp`]: 'being written',
  'backup/documents/backup.info': 'info',
  'backup/documents/backup.info.copy': 'info',
  [`${FINISHED}/backup.manifest`]: 'manifest',
  [`${FINISHED}/backup.manifest.copy`]: 'manifest',
  [`${FINISHED}/pg_data/PG_VERSION.gz`]: '15',
  [`${IN_PROGRESS}/backup.manifest.copy`]: 'partial manifest',
  [`${IN_PROGRESS}/pg_data/base/1/1259.gz`]: 'partial',
  'backup/documents/backup.history/2026/20261129-010002F.manifest.gz': 'history manifest',
};

async function errnoOf(f: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await f();
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
}

describe.skipIf(process.getuid?.() !== 0)('the offline copy in the lab: sealed file by file (chattr +i)', () => {
  let root = '';
  const at = (rel: string) => join(root, rel);

  beforeAll(async () => {
    // Under /tmp on purpose: ext4 here, with the immutable attribute (tmpfs may lack it).
    root = await mkdtemp('/tmp/hds-offline-seal-');
    for (const [rel, content] of Object.entries(TREE)) {
      await mkdir(join(root, rel, '..'), { recursive: true });
      await writeFile(at(rel), content);
    }
    await symlink('20261129-010002F', at('backup/documents/latest'));
  });
  afterAll(async () => {
    if (!root) return;
    // Whatever happened above, leave nothing undeletable behind.
    try {
      execFileSync('chattr', ['-R', '-i', root], { stdio: 'ignore' });
    } catch {}
    await rm(root, { recursive: true, force: true });
  });

  it('seals finished sets, their history and the WAL archive; skips the info files, a file being written and a set in progress', async () => {
    const r = await sealOfflineCopy(root);
    expect(r.sealed).toEqual([
      SEGMENT,
      'archive/documents/15-1/00000002.history',
      `${FINISHED}/backup.manifest`,
      `${FINISHED}/backup.manifest.copy`,
      `${FINISHED}/pg_data/PG_VERSION.gz`,
      'backup/documents/backup.history/2026/20261129-010002F.manifest.gz',
    ]);
    expect(r.alreadySealed).toBe(0);
    expect(r.skipped.map((s) => s.file)).toHaveLength(7);
    const flags = execFileSync('lsattr', [at(SEGMENT), at('backup/documents/backup.info')], { encoding: 'utf8' }).split('\n');
    expect(flags[0]!.split(' ')[0]).toContain('i');
    expect(flags[1]!.split(' ')[0]).not.toContain('i');
  });

  it('a sealed file cannot be written, appended, truncated, deleted or renamed, not even by root', async () => {
    for (const rel of [SEGMENT, `${FINISHED}/pg_data/PG_VERSION.gz`, `${FINISHED}/backup.manifest`]) {
      const p = at(rel);
      expect(await errnoOf(() => writeFile(p, 'ransomware')), `write ${rel}`).toBe('EPERM');
      expect(await errnoOf(() => appendFile(p, 'more')), `append ${rel}`).toBe('EPERM');
      expect(await errnoOf(() => truncate(p, 0)), `truncate ${rel}`).toBe('EPERM');
      expect(await errnoOf(() => unlink(p)), `delete ${rel}`).toBe('EPERM');
      expect(await errnoOf(() => rename(p, `${p}.moved`)), `rename ${rel}`).toBe('EPERM');
      // Replacing it the way pgBackRest writes (a new file renamed over it) is refused too.
      await writeFile(`${p}.new`, 'x');
      expect(await errnoOf(() => rename(`${p}.new`, p)), `replace ${rel}`).toBe('EPERM');
      await unlink(`${p}.new`);
      expect(await readFile(p, 'utf8')).toBe(TREE[rel]);
    }
    // rm -rf of the set fails, and leaves its sealed files in place.
    expect(() => execFileSync('rm', ['-rf', at(FINISHED)], { stdio: 'pipe' })).toThrow(/Operation not permitted/);
    expect(await readFile(at(`${FINISHED}/pg_data/PG_VERSION.gz`), 'utf8')).toBe('15');
  });

  it('pgBackRest can still work: info files rewritten, a new WAL segment and a new set added, a set in progress written', async () => {
    await writeFile(at('backup/documents/backup.info.new'), 'info v2');
    await rename(at('backup/documents/backup.info.new'), at('backup/documents/backup.info'));
    await writeFile(at('archive/documents/archive.info'), 'info v2');
    expect(await readFile(at('backup/documents/backup.info'), 'utf8')).toBe('info v2');
    await writeFile(at(`${WAL_DIR}/000000010000000000000003-0a0b0c.gz`), 'wal 3');
    await appendFile(at(`${IN_PROGRESS}/pg_data/base/1/1259.gz`), ' and more');
    await writeFile(at(`${IN_PROGRESS}/backup.manifest`), 'manifest');
    // The `latest` link is replaced on every backup.
    await unlink(at('backup/documents/latest'));
    await symlink('20261130-010002F_20261130-050001D', at('backup/documents/latest'));
  });

  it('a second seal seals only what is new (the set now finished, the new segment); the rest is already sealed', async () => {
    const r = await sealOfflineCopy(root);
    expect(r.sealed).toEqual([
      `${WAL_DIR}/000000010000000000000003-0a0b0c.gz`,
      `${IN_PROGRESS}/backup.manifest`,
      `${IN_PROGRESS}/backup.manifest.copy`,
      `${IN_PROGRESS}/pg_data/base/1/1259.gz`,
    ]);
    expect(r.alreadySealed).toBe(6);
    expect(await errnoOf(() => unlink(at(`${IN_PROGRESS}/pg_data/base/1/1259.gz`)))).toBe('EPERM');
  });

  it('unsealForLabTeardown lets rm -rf delete the whole tree; it is a no-op on a path that does not exist', async () => {
    await unsealForLabTeardown(root);
    await rm(root, { recursive: true });
    await expect(unsealForLabTeardown(root)).resolves.toBeUndefined();
  });
});
