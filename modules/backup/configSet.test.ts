/**
 * The configuration backup set's content (issue 14; EXG_PRA_2): from the shipped `lab` and
 * `production` environments it holds every file of the environments tree and every rendered file
 * of every guest, with production's paths and secrets as placeholders; the guard refuses a known
 * secret value, a PEM private key and a pgBackRest passphrase in clear, naming the file and line
 * and never the value.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, loadWorkspace } from '../loader/load.ts';
import type { Topology } from '../model/topology.ts';
import type { KeyMetadata } from '../runtime/hsm/keystore.ts';
import { guestFiles } from '../services/fromTopology/index.ts';
import { PGBACKREST_PATHS } from '../services/fromTopology/paths.ts';
import { PRODUCTION } from '../services/fromTopology/profile.ts';
import { readEnvironmentTree } from './collect.ts';
import {
  assertNoSecrets,
  type ConfigSetEntry,
  ConfigSetError,
  configSetEntries,
  findSecrets,
  type HsmKeySource,
  KEYS_PATH,
  normaliseEntries,
  WAIVERS_PATH,
} from './configSet.ts';

const ENVIRONMENTS = join(import.meta.dirname, '..', '..', 'environments');
const WAIVERS = join(import.meta.dirname, '..', '..', 'policies', 'waivers.yaml');
const evaluation = evaluate(loadWorkspace(ENVIRONMENTS));
const topology = (name: string): Topology => {
  const t = evaluation.topologies.get(name);
  if (!t) throw new Error(`no topology ${name}`);
  return t;
};
const envFiles = readEnvironmentTree(ENVIRONMENTS);
const noHsm: HsmKeySource = { status: 'unavailable', reason: 'lab not running: no key metadata' };
const entriesOf = (name: string, extra: Partial<Parameters<typeof configSetEntries>[0]> = {}) =>
  configSetEntries({ topology: topology(name), environmentFiles: envFiles, hsm: noHsm, ...extra });

/** The environments tree listed independently of readEnvironmentTree. */
function listTree(): string[] {
  const out: string[] = [];
  for (const f of readdirSync(ENVIRONMENTS)) {
    const p = join(ENVIRONMENTS, f);
    if (statSync(p).isDirectory()) for (const g of readdirSync(p)) out.push(`${f}/${g}`);
    else out.push(f);
  }
  return out.sort();
}

describe('configSetEntries: the shipped environments', () => {
  it('takes every environment, platform, catalog and schema file of the tree, byte for byte', () => {
    const tree = listTree();
    expect(tree).toEqual(
      expect.arrayContaining([
        'lab.yaml',
        'production.yaml',
        'platforms/lab.yaml',
        'platforms/national.yaml',
        'catalogs/mes-dmp.yaml',
        'schema/environment.schema.json',
      ]),
    );
    for (const name of ['lab', 'production']) {
      const entries = entriesOf(name);
      const env = entries.filter((e) => e.path.startsWith('environments/'));
      expect(env.map((e) => e.path.slice('environments/'.length))).toEqual(tree);
      for (const e of env) expect(e.content).toBe(readFileSync(join(ENVIRONMENTS, e.path.slice('environments/'.length)), 'utf8'));
    }
  });

  it.each(['lab', 'production'])('%s: every rendered file of every guest, production paths and modes, secrets as placeholders', (name) => {
    const t = topology(name);
    const entries = entriesOf(name);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    let files = 0;
    const withFiles = new Set<string>();
    for (const g of t.guests)
      for (const f of guestFiles(t, g, PRODUCTION)) {
        const e = byPath.get(`rendered/${g.name}${f.path}`);
        expect(e, `rendered/${g.name}${f.path}`).toBeDefined();
        expect(e?.content).toBe(f.content);
        expect(e?.mode).toBe(f.mode ?? 0o644);
        files++;
        withFiles.add(g.name);
      }
    const rendered = entries.filter((e) => e.path.startsWith('rendered/'));
    expect(rendered).toHaveLength(files);
    // A data node, the repository host and a WAF at least; production's paths (no lab state dir).
    expect(withFiles.size).toBeGreaterThanOrEqual(name === 'production' ? 40 : 10);
    const repo = rendered.find((e) => e.path.endsWith(PGBACKREST_PATHS.config) && e.content.includes('repo1-path'));
    expect(repo?.content).toMatch(/^repo1-cipher-pass=@@secret:[a-z0-9/_.-]+#cipher_pass@@$/m);
    expect(rendered.every((e) => !e.path.includes('/guests/'))).toBe(true);
  });

  it('sorted by path, no duplicates; the key metadata always present, the waivers when given', () => {
    const entries = entriesOf('lab', { waivers: { path: 'waivers.yaml', content: readFileSync(WAIVERS, 'utf8') } });
    const paths = entries.map((e) => e.path);
    expect(paths).toEqual([...paths].sort());
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).toContain(WAIVERS_PATH);
    expect(JSON.parse(entries.find((e) => e.path === KEYS_PATH)!.content)).toEqual({
      format: 'hds-hsm-key-metadata/v1',
      status: 'unavailable',
      reason: 'lab not running: no key metadata',
      keys: [],
    });
    expect(entriesOf('lab').map((e) => e.path)).not.toContain(WAIVERS_PATH);
  });

  it('HSM keys: metadata only, one record per key with its domain, id, type and mechanism', () => {
    const key = (label: string): KeyMetadata => ({
      label,
      id: Buffer.from(`hds:${label}:1`).toString('hex'),
      type: 'AES',
      bits: 256,
      extractable: false,
      sensitive: true,
      neverExtractable: true,
      alwaysSensitive: true,
      local: true,
      canWrap: true,
      canUnwrap: true,
      canEncrypt: false,
      mechanism: 'CKM_AES_KEY_WRAP_PAD',
    });
    const entries = entriesOf('lab', { hsm: { status: 'read', token: 'hds-lab', site: 'DC1', keys: [key('identity'), key('documents')] } });
    const doc = JSON.parse(entries.find((e) => e.path === KEYS_PATH)!.content);
    expect(doc).toMatchObject({ status: 'read', token: 'hds-lab', site: 'DC1' });
    expect(doc.keys.map((k: { label: string }) => k.label)).toEqual(['documents', 'identity']);
    expect(doc.keys[0]).toEqual({
      label: 'documents',
      domain: 'documents',
      id: Buffer.from('hds:documents:1').toString('hex'),
      keyType: 'AES',
      bits: 256,
      mechanism: 'CKM_AES_KEY_WRAP_PAD',
      extractable: false,
      sensitive: true,
      neverExtractable: true,
      alwaysSensitive: true,
      local: true,
      usage: { wrap: true, unwrap: true, encrypt: false },
      createdAt: null,
    });
    expect(Object.keys(doc.keys[0])).not.toContain('value');
  });
});

describe('the guard: no secret in a set', () => {
  const secret = 'Zq3v9LkP0aXw-r7TtY2bNc8dHs5fJm1gUe4iOo6pQl0';
  const base = entriesOf('lab');
  const repoConf = base.find((e) => e.path.endsWith(PGBACKREST_PATHS.config) && e.content.includes('repo1-path'))!;
  const withContent = (path: string, content: string): ConfigSetEntry[] => base.map((e) => (e.path === path ? { ...e, content } : e));
  const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;

  it('the shipped sets pass: placeholders are not secrets', () => {
    expect(findSecrets(base)).toEqual([]);
    expect(findSecrets(entriesOf('production'))).toEqual([]);
    expect(findSecrets([{ path: 'a.conf', content: 'repo1-cipher-pass="@@secret:x/y#cipher_pass@@"\nrepo2-s3-key=\n' }])).toEqual([]);
  });

  it('a planted value of a known secret: refused, file and line named, the value never printed', () => {
    const envText = readFileSync(join(ENVIRONMENTS, 'lab.yaml'), 'utf8');
    const planted = `${envText}# leftover: ${secret}\n`;
    const files = envFiles.map((f) => (f.path === 'lab.yaml' ? { ...f, content: planted } : f));
    const run = () =>
      configSetEntries({ topology: topology('lab'), environmentFiles: files, hsm: noHsm, knownSecrets: [{ name: 'pg-documents.replication', value: secret }] });
    expect(run).toThrow(ConfigSetError);
    let message = '';
    try {
      run();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(`environments/lab.yaml:${lineOf(planted, secret)} holds the value of secret "pg-documents.replication"`);
    expect(message).not.toContain(secret);
    expect(message.split('\n')).toHaveLength(1);
    // Without the known value, the same text passes: the guard does not guess.
    expect(() => configSetEntries({ topology: topology('lab'), environmentFiles: files, hsm: noHsm })).not.toThrow();
  });

  it('a PEM private key: refused, naming the file and line', () => {
    const pem = `-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n`;
    const waivers = readFileSync(WAIVERS, 'utf8');
    expect(() =>
      configSetEntries({ topology: topology('lab'), environmentFiles: envFiles, hsm: noHsm, waivers: { path: 'waivers.yaml', content: `${waivers}${pem}` } }),
    ).toThrow(`config set refused: policies/waivers.yaml:${waivers.split('\n').length} holds a PEM private key;`);
    for (const kind of ['RSA ', 'EC ', 'OPENSSH ', ''])
      expect(findSecrets([{ path: 'k', content: `-----BEGIN ${kind}PRIVATE KEY-----` }])).toEqual([{ path: 'k', line: 1, what: 'a PEM private key' }]);
    expect(findSecrets([{ path: 'c', content: '-----BEGIN CERTIFICATE-----\n' }])).toEqual([]);
  });

  it("a real pgBackRest cipher passphrase (or S3 key) in the repository host's pgbackrest.conf: refused, naming the file and line", () => {
    const real = repoConf.content.replace(/^repo1-cipher-pass=.*$/m, `repo1-cipher-pass=${secret}`);
    expect(real).not.toBe(repoConf.content);
    const line = lineOf(real, 'repo1-cipher-pass=');
    expect(() => assertNoSecrets(withContent(repoConf.path, real))).toThrow(
      `config set refused: ${repoConf.path}:${line} holds pgBackRest's repo1-cipher-pass with a value in clear;`,
    );
    expect(findSecrets([{ path: 'a', content: 'x\n  repo2-s3-key-secret = abc\n' }])).toEqual([
      { path: 'a', line: 2, what: "pgBackRest's repo2-s3-key-secret with a value in clear" },
    ]);
    expect(findSecrets([{ path: 'b', content: 'Environment=PGBACKREST_REPO1_CIPHER_PASS=abc\n' }])).toEqual([
      { path: 'b', line: 1, what: 'PGBACKREST_REPO1_CIPHER_PASS with a value in clear' },
    ]);
    // A placeholder followed by anything else is not a placeholder alone.
    expect(findSecrets([{ path: 'c', content: 'repo1-cipher-pass=@@secret:a/b#c@@x\n' }])).toHaveLength(1);
  });

  it('every file holding a secret is listed, on one line', () => {
    const e: ConfigSetEntry[] = [
      { path: 'b', content: 'cipher-pass=abc\n', mode: 0o644 },
      { path: 'a', content: `one\n${secret}\n-----BEGIN PRIVATE KEY-----\n`, mode: 0o644 },
    ];
    expect(findSecrets(e, [{ name: 's', value: secret }]).map((f) => `${f.path}:${f.line}`)).toEqual(['a:2', 'a:3', 'b:1']);
  });
});

describe('normaliseEntries', () => {
  const e = (path: string): ConfigSetEntry => ({ path, content: '', mode: 0o644 });
  it('refuses unsafe paths, duplicates and a file that is also a directory', () => {
    for (const bad of ['/etc/x', 'a/../b', 'a//b', '', './a', 'a b']) expect(() => normaliseEntries([e(bad)]), bad).toThrow(/is not a plain relative path/);
    expect(() => normaliseEntries([e('a'), e('a')])).toThrow('config set: a appears twice');
    expect(() => normaliseEntries([e('a/b/c'), e('a/b')])).toThrow('config set: a/b is both a file and the directory of a/b/c');
    expect(() => normaliseEntries([{ path: 'a', content: '', mode: 0o4755 }])).toThrow(/mode/);
    expect(normaliseEntries([e('b'), e('a/c'), e('B')]).map((x) => x.path)).toEqual(['B', 'a/c', 'b']);
  });
});
