/**
 * Writing a configuration backup set (issue 14; EXG_PRA_2): the archive is deterministic (the same
 * entries give the same bytes, whenever written), GNU tar reads it and its members match the
 * manifest's hashes and modes, and writing is atomic: a failure half-way leaves nothing under the
 * set's name and no temporary directory; an existing set is never replaced; a set holding a secret
 * is refused before anything is written.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { evaluate, loadWorkspace } from '../loader/load.ts';
import { readEnvironmentTree } from './collect.ts';
import { type ConfigSetEntry, ConfigSetError, configSetEntries } from './configSet.ts';
import { ARCHIVE_NAME, type ConfigSetManifest, configSetOps, defaultConfigSetId, MANIFEST_NAME, writeConfigSet } from './write.ts';

const ENVIRONMENTS = join(import.meta.dirname, '..', '..', 'environments');
const topology = evaluate(loadWorkspace(ENVIRONMENTS)).topologies.get('lab')!;
const entries = configSetEntries({
  topology,
  environmentFiles: readEnvironmentTree(ENVIRONMENTS),
  hsm: { status: 'unavailable', reason: 'lab not running: no key metadata' },
});
const root = mkdtempSync(join(tmpdir(), 'hds-config-set-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const meta = (id: string, at = '2026-06-12T09:30:00Z') => ({ environment: 'lab', createdAt: new Date(at), toolCommit: 'a'.repeat(40), id });
const realOps = { ...configSetOps };
afterEach(() => Object.assign(configSetOps, realOps));

describe('writeConfigSet: the archive and its manifest', () => {
  it('the same entries give the same archive bytes, at another time and in another directory', async () => {
    const a = await writeConfigSet(join(root, 'one'), entries, meta('set-a'));
    await new Promise((r) => setTimeout(r, 1100)); // the staged files of the second write are a second younger
    const b = await writeConfigSet(join(root, 'two'), [...entries].reverse(), meta('set-b', '2027-01-01T00:00:00Z'));
    const bytesA = readFileSync(join(a.dir, ARCHIVE_NAME));
    expect(readFileSync(join(b.dir, ARCHIVE_NAME)).equals(bytesA)).toBe(true);
    expect(a.manifest.archive).toEqual({ file: ARCHIVE_NAME, bytes: bytesA.length, sha256: sha256(bytesA) });
    expect(b.manifest.createdAt).toBe('2027-01-01T00:00:00.000Z');
    expect(readdirSync(a.dir).sort()).toEqual([ARCHIVE_NAME, MANIFEST_NAME]);
    expect(readdirSync(join(root, 'one'))).toEqual(['set-a']);
  });

  it('GNU tar lists exactly the manifest entries, in order, with their modes; each extracted file has the manifest SHA-256', async () => {
    const w = await writeConfigSet(join(root, 'three'), entries, meta('set-c'));
    const manifest = JSON.parse(readFileSync(join(w.dir, MANIFEST_NAME), 'utf8')) as ConfigSetManifest;
    expect(manifest).toEqual(w.manifest);
    expect(manifest).toMatchObject({ format: 'hds-config-set/v1', requirements: ['EXG_PRA_2'], id: 'set-c', environment: 'lab', toolCommit: 'a'.repeat(40) });
    expect(manifest.entries.map((e) => e.path)).toEqual(entries.map((e) => e.path));
    const listing = execFileSync('tar', ['-tzvf', join(w.dir, ARCHIVE_NAME)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(listing).toHaveLength(entries.length);
    listing.forEach((line, i) => {
      const m = manifest.entries[i]!;
      const perms = Number.parseInt(m.mode, 8);
      const rwx = [6, 3, 0].map((s) => ['r', 'w', 'x'].map((c, k) => ((perms >> s) & (4 >> k) ? c : '-')).join('')).join('');
      expect(line).toMatch(new RegExp(`^-${rwx} 0/0 +${m.bytes} 2000-01-01 00:00 `));
      expect(line.endsWith(` ${m.path}`)).toBe(true);
    });
    const out = join(root, 'extracted');
    mkdirSync(out);
    execFileSync('tar', ['-xzf', join(w.dir, ARCHIVE_NAME), '-C', out]);
    for (const m of manifest.entries) {
      const file = join(out, m.path);
      expect(sha256(readFileSync(file)), m.path).toBe(m.sha256);
      expect((statSync(file).mode & 0o777).toString(8).padStart(4, '0'), m.path).toBe(m.mode);
    }
    const lines = manifest.entries.map((e) => `${e.sha256}  ${e.path}\n`).join('');
    expect(manifest.contentSha256).toBe(sha256(Buffer.from(lines)));
    // sha256sum -c over the extracted tree agrees with the manifest (an auditor's check).
    writeFileSync(join(root, 'sums'), lines);
    expect(() => execFileSync('sha256sum', ['--quiet', '-c', join(root, 'sums')], { cwd: out })).not.toThrow();
  });

  it('the default id: environment and UTC time to the second', () => {
    expect(defaultConfigSetId('lab', new Date('2026-06-12T09:30:05.123Z'))).toBe('lab-config-20260612T093005Z');
  });
});

describe('writeConfigSet: atomic, never over an existing set, nothing with a secret', () => {
  it('an archive failing half-way: the error surfaces, nothing is left in the directory', async () => {
    const dir = join(root, 'fail-archive');
    configSetOps.archive = async (_cwd, _paths, file) => {
      writeFileSync(file, 'half an archive');
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    const e = await writeConfigSet(dir, entries, meta('set-x')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigSetError);
    expect((e as Error).message).toMatch(/no space left/i);
    expect((e as Error).message.split('\n')).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the final rename failing: no set, no temporary directory', async () => {
    const dir = join(root, 'fail-rename');
    configSetOps.rename = async () => {
      throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
    };
    await expect(writeConfigSet(dir, entries, meta('set-y'))).rejects.toThrow(ConfigSetError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an existing set of the same id: refused, left as it was', async () => {
    const dir = join(root, 'exists');
    mkdirSync(join(dir, 'set-z'), { recursive: true });
    writeFileSync(join(dir, 'set-z', 'keep'), 'x');
    await expect(writeConfigSet(dir, entries, meta('set-z'))).rejects.toThrow(/set-z exists already; a backup set is never overwritten/);
    expect(readdirSync(dir)).toEqual(['set-z']);
    expect(readdirSync(join(dir, 'set-z'))).toEqual(['keep']);
  });

  it('entries holding a private key: refused before anything is created', async () => {
    const dir = join(root, 'secret');
    const bad: ConfigSetEntry[] = [...entries, { path: 'rendered/x/etc/hds/tls/server.key', content: '-----BEGIN PRIVATE KEY-----\nMII\n', mode: 0o600 }];
    await expect(writeConfigSet(dir, bad, meta('set-s'))).rejects.toThrow('config set refused: rendered/x/etc/hds/tls/server.key:1 holds a PEM private key');
    expect(existsSync(dir)).toBe(false);
  });

  it('an id that is not a plain name: refused', async () => {
    await expect(writeConfigSet(join(root, 'id'), entries, meta('../up'))).rejects.toThrow(/is not a plain name/);
    expect(existsSync(join(root, 'id'))).toBe(false);
  });
});
