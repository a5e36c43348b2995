/**
 * The export's list of files (EXG_REV_19): hashes and sizes streamed from disk, SHA256SUMS in
 * exactly the format `sha256sum -c` checks (run for real), and a verification naming every
 * changed, missing, extra or non-regular file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  comparePaths,
  hashTree,
  ManifestError,
  parseSha256sums,
  SHA256SUMS_FILE,
  SIGNATURE_FILE,
  sha256sums,
  unsafePathReason,
  verifyTree,
} from './manifest.ts';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

let dir = '';
const put = (rel: string, content: string | Buffer) => {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), content);
};

/** A small export tree: nested directories, an empty file, a 3 MiB file (several read chunks), a non-ASCII name. */
function fillTree(): Record<string, Buffer> {
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
  const files: Record<string, Buffer> = {
    'bootstrap.sh': Buffer.from('#!/bin/sh\necho rebuild\n'),
    'data/identity/public.users.csv': Buffer.from('id,name\n1,"Zoé"\n'),
    'data/identity/dump.pgcustom': big,
    'inventory/empty.json': Buffer.alloc(0),
    'platform/réseau/flows.csv': Buffer.from('from,to\n'),
    'Z-upper.txt': Buffer.from('upper case sorts before lower case in byte order\n'),
  };
  for (const [p, c] of Object.entries(files)) put(p, c);
  return files;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hds-manifest-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('hashTree', () => {
  it('lists every regular file with its size and SHA-256, sorted by UTF-8 bytes', async () => {
    const files = fillTree();
    const seen: string[] = [];
    const listed = await hashTree(dir, { onFile: (f) => seen.push(f.path) });
    const paths = Object.keys(files).sort(comparePaths);
    expect(listed.map((f) => f.path)).toEqual(paths);
    expect(paths[0]).toBe('Z-upper.txt');
    for (const f of listed) {
      const content = files[f.path] as Buffer;
      expect(f).toEqual({ path: f.path, size: content.length, sha256: sha(content) });
    }
    expect(seen).toEqual(paths);
  });

  it('leaves out excluded files and directories (a trailing slash or an exact directory name)', async () => {
    fillTree();
    put(SHA256SUMS_FILE, 'x');
    put('.hds-export/journal.json', '{}');
    put('platform/skip/a.txt', 'a');
    const listed = (await hashTree(dir, { exclude: [SHA256SUMS_FILE, '.hds-export', 'platform/skip/'] })).map((f) => f.path);
    expect(listed).not.toContain(SHA256SUMS_FILE);
    expect(listed.some((p) => p.startsWith('.hds-export') || p.startsWith('platform/skip'))).toBe(false);
    expect(listed).toContain('platform/réseau/flows.csv');
  });

  it('refuses a symbolic link, naming it', async () => {
    fillTree();
    symlinkSync('/etc/passwd', join(dir, 'data/identity/passwd'));
    await expect(hashTree(dir)).rejects.toThrow(new RegExp(`^${join(dir, 'data/identity/passwd')}: a symbolic link, not a regular file`));
  });

  it('refuses a symbolic link to a directory without walking into it', async () => {
    fillTree();
    symlinkSync('/etc', join(dir, 'etc'));
    await expect(hashTree(dir)).rejects.toThrow(/\/etc: a symbolic link/);
  });

  it('refuses a FIFO, naming it', async () => {
    fillTree();
    execFileSync('mkfifo', [join(dir, 'inventory/pipe')]);
    await expect(hashTree(dir)).rejects.toThrow(/inventory\/pipe: a special file/);
  });

  it('refuses a name sha256sum would escape, and a missing directory', async () => {
    put('bad\nname', 'x');
    await expect(hashTree(dir)).rejects.toThrow(ManifestError);
    await expect(hashTree(join(dir, 'nope'))).rejects.toThrow(/nope: not a directory/);
  });
});

describe('SHA256SUMS', () => {
  it('is what sha256sum prints, and `sha256sum -c` accepts it', async () => {
    fillTree();
    const text = sha256sums(await hashTree(dir));
    writeFileSync(join(dir, SHA256SUMS_FILE), text);
    const ours = text.split('\n').filter(Boolean);
    expect(ours).toHaveLength(6);
    for (const line of ours) expect(line).toMatch(/^[0-9a-f]{64} {2}\S/);
    // Same lines as GNU sha256sum's own output for the same paths.
    const paths = ours.map((l) => l.slice(66));
    const gnu = execFileSync('sha256sum', ['--', ...paths], { cwd: dir, encoding: 'utf8' });
    expect(gnu).toBe(text);
    expect(() => execFileSync('sha256sum', ['-c', '--strict', '--quiet', SHA256SUMS_FILE], { cwd: dir })).not.toThrow();
    appendFileSync(join(dir, 'bootstrap.sh'), 'tampered\n');
    const r = spawnSync('sha256sum', ['-c', '--quiet', SHA256SUMS_FILE], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('bootstrap.sh: FAILED\n');
  });

  it('sorts its input and refuses duplicates and bad hashes', () => {
    const h = sha('x');
    expect(
      sha256sums([
        { path: 'b', sha256: h },
        { path: 'a/c', sha256: h },
      ]),
    ).toBe(`${h}  a/c\n${h}  b\n`);
    expect(() =>
      sha256sums([
        { path: 'a', sha256: h },
        { path: 'a', sha256: h },
      ]),
    ).toThrow(/a: listed twice/);
    expect(() => sha256sums([{ path: 'a', sha256: 'ABC' }])).toThrow(/not 64 lowercase hex/);
    expect(() => sha256sums([{ path: '../a', sha256: h }])).toThrow(/"\.\." component/);
  });

  it('parses back what it writes, and the binary marker of sha256sum -b', () => {
    const h = sha('x');
    const text = `${h}  a b.txt\n${h.toUpperCase()} *dir/c\n`;
    expect(parseSha256sums(text)).toEqual([
      { path: 'a b.txt', sha256: h },
      { path: 'dir/c', sha256: h },
    ]);
    expect(parseSha256sums('')).toEqual([]);
  });

  it('refuses a malformed list with the file, line and column', () => {
    const h = sha('x');
    expect(() => parseSha256sums(`${h}  a\nnot a line\n`)).toThrow(/^SHA256SUMS:2:1: malformed line/);
    expect(() => parseSha256sums(`${h}  a\n${h}  /etc/passwd\n`, 'x/SHA256SUMS')).toThrow(
      /^x\/SHA256SUMS:2:67: path "\/etc\/passwd" refused \(absolute path\)/,
    );
    expect(() => parseSha256sums(`${h}  a/../../b\n`)).toThrow(/^SHA256SUMS:1:67: .*"\.\." component/);
    expect(() => parseSha256sums(`${h}  a\n${h}  a\n`)).toThrow(/^SHA256SUMS:2:67: a listed twice/);
    expect(() => parseSha256sums(`${h}  a\n${h}  b`)).toThrow(/^SHA256SUMS:2:68: no newline at the end.*truncated/);
  });

  it('says why a path cannot be listed', () => {
    expect(unsafePathReason('data/a.csv')).toBeUndefined();
    expect(unsafePathReason('')).toBe('empty path');
    expect(unsafePathReason('a//b')).toMatch(/component/);
    expect(unsafePathReason('./a')).toMatch(/component/);
    expect(unsafePathReason('a\\b')).toMatch(/backslash/);
  });
});

describe('verifyTree', () => {
  it('finds nothing on an untouched tree; SHA256SUMS and its signature are not extra', async () => {
    fillTree();
    const listed = await hashTree(dir);
    put(SHA256SUMS_FILE, sha256sums(listed));
    put(SIGNATURE_FILE, 'sig');
    expect(await verifyTree(dir, listed)).toEqual([]);
    expect(await verifyTree(dir, parseSha256sums(readFileSync(join(dir, SHA256SUMS_FILE), 'utf8')))).toEqual([]);
  });

  it.each(['bootstrap.sh', 'data/identity/dump.pgcustom', 'platform/réseau/flows.csv'])(
    'flipping one byte of %s names that file, whatever its size',
    async (victim) => {
      fillTree();
      const listed = await hashTree(dir);
      const content = readFileSync(join(dir, victim));
      const at = Math.floor(content.length / 2);
      content[at] = (content[at] ?? 0) ^ 0x01;
      writeFileSync(join(dir, victim), content);
      const problems = await verifyTree(dir, listed);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ path: victim, kind: 'changed' });
      expect(problems[0]?.message).toMatch(
        new RegExp(`^${victim}: changed \\(sha256 [0-9a-f]{64}, expected ${listed.find((f) => f.path === victim)?.sha256}\\)$`),
      );
    },
  );

  it('a changed size is named without hashing; without sizes the hash still catches it', async () => {
    fillTree();
    const listed = await hashTree(dir);
    appendFileSync(join(dir, 'inventory/empty.json'), '{}');
    expect((await verifyTree(dir, listed)).map((p) => p.message)).toEqual(['inventory/empty.json: changed (size 2 bytes, expected 0)']);
    const noSizes = listed.map(({ path, sha256 }) => ({ path, sha256 }));
    expect((await verifyTree(dir, noSizes)).map((p) => `${p.path} ${p.kind}`)).toEqual(['inventory/empty.json changed']);
  });

  it('names a missing file, an extra file, a symbolic link and a FIFO', async () => {
    fillTree();
    const listed = await hashTree(dir);
    rmSync(join(dir, 'data/identity/public.users.csv'));
    put('data/identity/extra.csv', '1\n');
    rmSync(join(dir, 'bootstrap.sh'));
    symlinkSync('/bin/sh', join(dir, 'bootstrap.sh'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const problems = await verifyTree(dir, listed);
    expect(problems.map((p) => [p.path, p.kind])).toEqual([
      ['bootstrap.sh', 'not-regular'],
      ['data/identity/extra.csv', 'extra'],
      ['data/identity/public.users.csv', 'missing'],
      ['fifo', 'not-regular'],
    ]);
    for (const p of problems) expect(p.message.startsWith(`${p.path}: `)).toBe(true);
  });

  it('refuses an expected path outside the tree instead of reading it', async () => {
    await expect(verifyTree(dir, [{ path: '../../etc/passwd', sha256: sha('') }])).rejects.toThrow(/refused in the expected list/);
  });
});
