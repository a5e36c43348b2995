/**
 * The rebuild kit (EXG_REV_19) and bootstrap.sh's verification step (EXG_REV_1, EXG_REV_9): the
 * kit written from the real repository (the bundle verifies and clones to the commit), and
 * bootstrap.sh run for real against a small export signed with a throw-away EC key made by
 * openssl (not the HSM): a good export passes, a flipped byte, an extra or a missing file is
 * named, a missing or wrong signature is refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_PACKAGES } from '../lab/packages.ts';
import { BOOTSTRAP_PACKAGES, BOOTSTRAP_SOURCE, BUNDLE_FILE, debianPackagesText, installedVersions, KitError, kitReadme, writeKit } from './kit.ts';
import { hashTree, SHA256SUMS_FILE, SIGNATURE_FILE, sha256sums } from './manifest.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const scratch = mkdtempSync(join(tmpdir(), 'hds-kit-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
const fresh = (name: string) => {
  const d = join(scratch, `${name}-${++n}`);
  mkdirSync(d, { recursive: true });
  return d;
};
const sh = (cmd: string, args: string[], cwd?: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const gitc = (cwd: string, ...args: string[]) =>
  sh('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', '-c', 'init.defaultBranch=main', ...args], cwd).trim();
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** A small git repository with a lockfile, two commits. */
function tinyRepo(): { dir: string; first: string; second: string } {
  const dir = fresh('repo');
  gitc(dir, 'init', '--quiet');
  writeFileSync(join(dir, 'package-lock.json'), '{"name":"tiny","lockfileVersion":3}\n');
  writeFileSync(join(dir, 'a.txt'), 'one\n');
  gitc(dir, 'add', '.');
  gitc(dir, 'commit', '--quiet', '-m', 'one');
  const first = gitc(dir, 'rev-parse', 'HEAD');
  writeFileSync(join(dir, 'a.txt'), 'two\n');
  gitc(dir, 'commit', '--quiet', '-am', 'two');
  return { dir, first, second: gitc(dir, 'rev-parse', 'HEAD') };
}

describe('writeKit from the real repository', () => {
  let out: string;
  let result: Awaited<ReturnType<typeof writeKit>>;
  const head = gitc(REPO, 'rev-parse', 'HEAD');
  const dirty = gitc(REPO, 'status', '--porcelain', '--untracked-files=no') !== '';

  beforeAll(async () => {
    out = fresh('export');
    result = await writeKit({ repoDir: REPO, outDir: out, allowDirty: true });
  }, 120_000);

  it('bundles HEAD: the bundle verifies and a clone of it is at the commit', () => {
    expect(result.commit).toBe(head);
    expect(readFileSync(join(out, 'kit/COMMIT'), 'utf8')).toBe(`${head}\n`);
    expect(sh('git', ['bundle', 'verify', join(out, BUNDLE_FILE)], REPO)).toBeDefined();
    const clone = join(fresh('clone'), 'src');
    sh('git', ['clone', '--quiet', join(out, BUNDLE_FILE), clone]);
    expect(gitc(clone, 'rev-parse', 'HEAD')).toBe(head);
    expect(gitc(clone, 'rev-list', '--count', 'HEAD')).toBe(gitc(REPO, 'rev-list', '--count', 'HEAD'));
    expect(readFileSync(join(clone, 'package.json'), 'utf8')).toBe(gitc(REPO, 'show', `${head}:package.json`) + '\n');
    expect(result.bundleBytes).toBe(statSync(join(out, BUNDLE_FILE)).size);
  });

  it('says when the tree had uncommitted changes (the bundle is HEAD, not the tree)', () => {
    expect(result.dirty).toBe(dirty);
    expect(result.note !== undefined).toBe(dirty);
    expect(readFileSync(join(out, 'README.md'), 'utf8').includes('uncommitted changes')).toBe(dirty);
  });

  it('copies the lockfile of the commit, lists the Debian packages, the Node.js version, and bootstrap.sh 0755', () => {
    expect(readFileSync(join(out, 'kit/package-lock.json'), 'utf8')).toBe(
      execFileSync('git', ['show', `${head}:package-lock.json`], { cwd: REPO, encoding: 'utf8', maxBuffer: 1 << 28 }),
    );
    const listed = readFileSync(join(out, 'kit/debian-packages.txt'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(' ')[0]);
    expect(listed).toEqual([...new Set([...BOOTSTRAP_PACKAGES, ...LAB_PACKAGES])]);
    expect(readFileSync(join(out, 'kit/node-version.txt'), 'utf8')).toBe(`${process.version}\n`);
    expect(readFileSync(join(out, 'bootstrap.sh'))).toEqual(readFileSync(BOOTSTRAP_SOURCE));
    expect(statSync(join(out, 'bootstrap.sh')).mode & 0o777).toBe(0o755);
    expect(result.files).toEqual([
      'README.md',
      'bootstrap.sh',
      BUNDLE_FILE,
      'kit/COMMIT',
      'kit/debian-packages.txt',
      'kit/node-version.txt',
      'kit/package-lock.json',
    ]);
    for (const f of result.files) expect(f.startsWith('/')).toBe(false);
    // Atomic writes leave no temp file behind.
    expect(readdirSync(join(out, 'kit')).sort()).toEqual(['COMMIT', 'debian-packages.txt', 'hds-platform.bundle', 'node-version.txt', 'package-lock.json']);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'bootstrap.sh', 'kit']);
  });

  it('writes a README telling how to verify, decrypt and rebuild with stock tools', () => {
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    for (const s of [
      'openssl x509 -in signing-cert.pem -noout -fingerprint -sha256',
      'openssl x509 -in signing-cert.pem -pubkey -noout > pub.pem',
      'openssl dgst -sha256 -verify pub.pem -signature SHA256SUMS.sig SHA256SUMS',
      'sha256sum --strict',
      'openssl cms -decrypt -inform DER -inkey key.pem -recip cert.pem -in documents/',
      'sudo ./bootstrap.sh',
      'réversibilité',
      'repreneur',
      head,
    ]) {
      expect(readme).toContain(s);
    }
    // Sections not (yet) in the export are said absent; kit/ is there.
    expect(readme).toContain('`data/` — absent from this export');
    expect(readme).toContain('`kit/` — the rebuild kit');
  });

  it('makes the same bundle again for the same commit (a resumed export ends with the same hashes)', async () => {
    const again = fresh('export');
    await writeKit({ repoDir: REPO, outDir: again, allowDirty: true });
    expect(sha256(join(again, BUNDLE_FILE))).toBe(sha256(join(out, BUNDLE_FILE)));
  }, 120_000);
});

describe('writeKit refusals and options', () => {
  it('refuses a tree with uncommitted changes to tracked files and writes nothing; untracked files do not count', async () => {
    const r = tinyRepo();
    writeFileSync(join(r.dir, 'untracked.txt'), 'x\n');
    const clean = await writeKit({ repoDir: r.dir, outDir: join(fresh('out'), 'e') });
    expect(clean.dirty).toBe(false);
    expect(clean.note).toBeUndefined();
    writeFileSync(join(r.dir, 'a.txt'), 'changed\n');
    const out = join(fresh('out'), 'e');
    await expect(writeKit({ repoDir: r.dir, outDir: out })).rejects.toThrow(/1 tracked file\(s\) have uncommitted changes \(first: a\.txt\).*allowDirty/);
    await expect(writeKit({ repoDir: r.dir, outDir: out })).rejects.toBeInstanceOf(KitError);
    expect(existsSync(out)).toBe(false);
    const allowed = await writeKit({ repoDir: r.dir, outDir: out, allowDirty: true });
    expect(allowed.dirty).toBe(true);
    expect(allowed.note).toMatch(/not the work tree/);
    const clone = join(fresh('clone'), 'src');
    sh('git', ['clone', '--quiet', join(out, BUNDLE_FILE), clone]);
    expect(readFileSync(join(clone, 'a.txt'), 'utf8')).toBe('two\n');
  });

  it('bundles a given commit, whatever the tree', async () => {
    const r = tinyRepo();
    writeFileSync(join(r.dir, 'a.txt'), 'changed\n');
    const out = fresh('out');
    const k = await writeKit({ repoDir: r.dir, outDir: out, commit: r.first });
    expect(k.commit).toBe(r.first);
    expect(k.dirty).toBe(false);
    expect(readFileSync(join(out, 'kit/COMMIT'), 'utf8')).toBe(`${r.first}\n`);
    expect(sh('git', ['bundle', 'list-heads', join(out, BUNDLE_FILE)], r.dir)).toContain(`${r.first} refs/heads/hds-platform`);
    await expect(writeKit({ repoDir: r.dir, outDir: out, commit: 'no-such-rev' })).rejects.toThrow(/revision "no-such-rev" is not a commit/);
  });

  it('refuses what is not a git repository, and a commit without a lockfile', async () => {
    const plain = fresh('plain');
    await expect(writeKit({ repoDir: plain, outDir: fresh('out') })).rejects.toThrow(/not a git repository/);
    await expect(writeKit({ repoDir: join(plain, 'absent'), outDir: fresh('out') })).rejects.toThrow(/no such directory/);
    const r = fresh('nolock');
    gitc(r, 'init', '--quiet');
    writeFileSync(join(r, 'a.txt'), 'a\n');
    gitc(r, 'add', '.');
    gitc(r, 'commit', '--quiet', '-m', 'a');
    await expect(writeKit({ repoDir: r, outDir: fresh('out') })).rejects.toThrow(/package-lock\.json is not in commit/);
  });

  it('lists packages with their versions, refuses a bad package name', async () => {
    expect(
      debianPackagesText([
        { name: 'git', version: '1:2.39.5' },
        { name: 'softhsm2', version: null },
      ])
        .split('\n')
        .filter((l) => !l.startsWith('#')),
    ).toEqual(['git 1:2.39.5', 'softhsm2', '']);
    expect(() => debianPackagesText([{ name: 'rm -rf /', version: null }])).toThrow(KitError);
    expect((await installedVersions(['no-such-package-hds-test'])).size).toBe(0);
  });

  it('README: the dirty note, the domains found, absent sections', () => {
    const r = kitReadme({ commit: 'c0ffee', dirty: true, sections: ['data', 'kit', 'inventory'], domains: ['documents', 'identity'] });
    expect(r).toContain('uncommitted changes');
    expect(r).toContain('`documents`, `identity`');
    expect(r).toContain('`documents/` — absent from this export');
    expect(r).toContain('`platform/` — absent from this export');
    expect(r).toContain('RFC 4180');
    expect(kitReadme({ commit: 'c0ffee', dirty: false, sections: ['kit'], domains: [] })).not.toContain('uncommitted');
  });
});

// ---------------------------------------------------------------------------------------------
// bootstrap.sh, step 1, for real (openssl, sha256sum), against a signed fixture.

const openssl = (args: string[], cwd?: string) => sh('openssl', args, cwd);

/** A CA and a signing certificate it issued, with a throw-away EC P-256 key, outside the export. */
function makeKeys(dir: string): { key: string; cert: string; ca: string } {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const key = join(dir, 'signing.key');
  const csr = join(dir, 'signing.csr');
  const cert = join(dir, 'signing-cert.pem');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
  openssl(['req', '-x509', '-new', '-key', caKey, '-subj', '/O=test/CN=test CA', '-days', '2', '-out', ca]);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  openssl(['req', '-new', '-key', key, '-subj', '/O=test/CN=reversibility export signing', '-out', csr]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-out', cert]);
  return { key, cert, ca };
}

const KEYS_DIR = join(scratch, 'keys');
mkdirSync(KEYS_DIR, { recursive: true });
let keys: ReturnType<typeof makeKeys>;
let otherKeys: ReturnType<typeof makeKeys>;
let kitRepo: ReturnType<typeof tinyRepo>;

/** (Re)writes SHA256SUMS for every file of `exp` and signs it with `key`. */
async function sign(exp: string, key: string): Promise<void> {
  rmSync(join(exp, SHA256SUMS_FILE), { force: true });
  rmSync(join(exp, SIGNATURE_FILE), { force: true });
  writeFileSync(join(exp, SHA256SUMS_FILE), sha256sums(await hashTree(exp, { exclude: [SHA256SUMS_FILE, SIGNATURE_FILE] })));
  openssl(['dgst', '-sha256', '-sign', key, '-out', SIGNATURE_FILE, SHA256SUMS_FILE], exp);
}

let baseExport: string;

/** A fresh copy of a small signed export (made once: the kit of a tiny repository, data, a document, a manifest). */
function signedExport(): string {
  const exp = join(fresh('signed'), 'export');
  cpSync(baseExport, exp, { recursive: true });
  return exp;
}

async function makeSignedExport(): Promise<string> {
  const exp = join(fresh('base'), 'export');
  mkdirSync(join(exp, 'data/clinical'), { recursive: true });
  mkdirSync(join(exp, 'documents/clinical'), { recursive: true });
  writeFileSync(join(exp, 'data/clinical/public.patients.csv'), 'id,name\n1,Alice\n2,"Bob, Jr."\n');
  writeFileSync(join(exp, 'data/clinical/schema.sql'), 'CREATE TABLE public.patients (id int primary key, name text);\n');
  writeFileSync(join(exp, 'documents/clinical/doc 1.cms'), Buffer.from([0x30, 0x82, 0x01, 0x00, 0xff, 0x00]));
  writeFileSync(join(exp, 'manifest.json'), '{"version":1}\n');
  copyFileSync(keys.cert, join(exp, 'signing-cert.pem'));
  await writeKit({ repoDir: kitRepo.dir, outDir: exp, packages: ['git'] });
  await sign(exp, keys.key);
  return exp;
}

function bootstrap(exp: string, args: string[] = [], script = join(exp, 'bootstrap.sh')) {
  const r = spawnSync('bash', [script, '--verify-only', ...args], { cwd: exp, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const flipByte = (path: string, at = 0) => {
  const b = readFileSync(path);
  b[at] = (b[at] ?? 0) ^ 0x01;
  writeFileSync(path, b);
};

describe('bootstrap.sh verification (step 1)', () => {
  beforeAll(async () => {
    keys = makeKeys(mkdtempSync(join(KEYS_DIR, 'a-')));
    otherKeys = makeKeys(mkdtempSync(join(KEYS_DIR, 'b-')));
    kitRepo = tinyRepo();
    baseExport = await makeSignedExport();
  }, 60_000);

  it('is valid bash', () => {
    expect(spawnSync('bash', ['-n', BOOTSTRAP_SOURCE]).status).toBe(0);
  });

  it('requires the Node.js major version package.json requires', () => {
    const engines = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).engines.node as string;
    expect(readFileSync(BOOTSTRAP_SOURCE, 'utf8')).toContain(`readonly NODE_MIN_MAJOR=${engines.replace('>=', '')}\n`);
  });

  it('passes a good export and stops after step 1 with --verify-only', () => {
    const exp = signedExport();
    const r = bootstrap(exp, ['--json']);
    expect(r.stderr).toContain('[1/6]');
    expect(r.stderr).not.toContain('[2/6]');
    expect(r.status).toBe(0);
    const listed = readFileSync(join(exp, SHA256SUMS_FILE), 'utf8').trim().split('\n').length;
    const report = JSON.parse(r.stdout) as { ok: boolean; files: number; signingCertificate: { sha256: string } };
    expect(report.ok).toBe(true);
    expect(report.files).toBe(listed);
    const fp = openssl(['x509', '-in', keys.cert, '-noout', '-fingerprint', '-sha256'])
      .trim()
      .replace(/^[^=]*=/, '');
    expect(report.signingCertificate.sha256).toBe(fp);
    expect(r.stderr).toContain(fp);
    // --export from elsewhere, with the script outside the export.
    const elsewhere = fresh('elsewhere');
    copyFileSync(join(exp, 'bootstrap.sh'), join(elsewhere, 'bootstrap.sh'));
    const r2 = spawnSync('bash', [join(elsewhere, 'bootstrap.sh'), '--verify-only', '--export', exp], { cwd: elsewhere, encoding: 'utf8' });
    expect(r2.status).toBe(0);
  });

  it('checks the signing certificate against --trusted-ca', () => {
    const exp = signedExport();
    expect(bootstrap(exp, ['--trusted-ca', keys.ca]).status).toBe(0);
    const r = bootstrap(exp, ['--trusted-ca', otherKeys.ca]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/signing-cert\.pem: not issued by --trusted-ca/);
  });

  it('a flipped byte: exit 1 naming the file, and only it', () => {
    const exp = signedExport();
    flipByte(join(exp, 'data/clinical/public.patients.csv'), 10);
    const r = bootstrap(exp, ['--json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bootstrap: data/clinical/public.patients.csv: changed');
    expect(r.stderr.match(/: changed/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/step 1\/6 \(verify\) failed: 1 file\(s\) differ/);
    const report = JSON.parse(r.stdout) as { ok: boolean; problems: string[] };
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual(['data/clinical/public.patients.csv: changed (its SHA-256 differs from the one in SHA256SUMS)']);
  });

  it('a flipped byte in a file whose name has a space, in the bundle or in bootstrap.sh itself: named', () => {
    for (const f of ['documents/clinical/doc 1.cms', BUNDLE_FILE, 'bootstrap.sh']) {
      const exp = signedExport();
      flipByte(join(exp, f), 200 % statSync(join(exp, f)).size);
      const r = bootstrap(exp);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`bootstrap: ${f}: changed`);
    }
  });

  it('extra files are named; a missing file is named', () => {
    const exp = signedExport();
    writeFileSync(join(exp, 'data/clinical/injected.csv'), 'x\n');
    mkdirSync(join(exp, '.hidden'));
    writeFileSync(join(exp, '.hidden/x'), 'x\n');
    rmSync(join(exp, 'manifest.json'));
    const r = bootstrap(exp);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bootstrap: data/clinical/injected.csv: extra file, not listed in SHA256SUMS');
    expect(r.stderr).toContain('bootstrap: .hidden/x: extra file');
    expect(r.stderr).toContain('bootstrap: manifest.json: missing');
    expect(r.stderr).toContain('3 file(s) differ');
  });

  it('refuses a symbolic link in the export', () => {
    const exp = signedExport();
    symlinkSync('/etc/hostname', join(exp, 'data/link'));
    const r = bootstrap(exp);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bootstrap: data/link: not a regular file');
  });

  it('refuses a missing, empty or wrong signature, and a changed SHA256SUMS', () => {
    let exp = signedExport();
    rmSync(join(exp, SIGNATURE_FILE));
    let r = bootstrap(exp);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SHA256SUMS\.sig: missing: the export is not signed/);

    writeFileSync(join(exp, SIGNATURE_FILE), '');
    r = bootstrap(exp);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SHA256SUMS\.sig: empty/);

    // Signed by another key than signing-cert.pem's.
    exp = signedExport();
    openssl(['dgst', '-sha256', '-sign', otherKeys.key, '-out', SIGNATURE_FILE, SHA256SUMS_FILE], exp);
    r = bootstrap(exp);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SHA256SUMS\.sig: the signature does not match SHA256SUMS and signing-cert\.pem/);

    // A file changed and its line in SHA256SUMS updated to match: the signature catches it.
    exp = signedExport();
    const csv = join(exp, 'data/clinical/public.patients.csv');
    const before = sha256(csv);
    flipByte(csv);
    const sums = join(exp, SHA256SUMS_FILE);
    writeFileSync(sums, readFileSync(sums, 'utf8').replace(before, sha256(csv)));
    r = bootstrap(exp);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/signature does not match/);
    expect(r.stderr).not.toContain('[2/6]');
  });

  it('refuses a signed list that reaches outside the export', () => {
    const exp = signedExport();
    const sums = join(exp, SHA256SUMS_FILE);
    writeFileSync(sums, `${readFileSync(sums, 'utf8')}${'0'.repeat(64)}  ../outside\n`);
    openssl(['dgst', '-sha256', '-sign', keys.key, '-out', SIGNATURE_FILE, SHA256SUMS_FILE], exp);
    const r = bootstrap(exp);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SHA256SUMS:\d+: path \.\.\/outside has an empty, \. or \.\. component/);
  });

  it('checks its arguments before reading anything', () => {
    const exp = signedExport();
    const foreign = fresh('foreign');
    writeFileSync(join(foreign, 'x'), 'not ours\n');
    const cases: Array<[string[], RegExp]> = [
      [['--frobnicate'], /unknown argument '--frobnicate'/],
      [['--work', join(exp, 'work')], /--work .*: inside the export/],
      [['--work', dirname(exp)], /--work .*: holds the export/],
      [['--recipient-key', keys.key], /--recipient-key and --recipient-cert go together/],
      [['--trusted-ca', join(exp, 'absent.pem')], /--trusted-ca .*: not a readable file/],
      [['--export'], /--export needs a value/],
      [['--work', foreign], /--work .*: exists, is not empty and was not made by bootstrap\.sh/],
      [['--work', join(foreign, 'x')], /--work .*: exists and is not a directory/],
    ];
    for (const [args, re] of cases) {
      const r = bootstrap(exp, args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toContain('[1/6]');
    }
    expect(existsSync(join(exp, 'work'))).toBe(false);
    expect(readdirSync(foreign)).toEqual(['x']);
    // An empty directory or one bootstrap.sh marked is accepted.
    const marked = fresh('marked');
    writeFileSync(join(marked, '.hds-takeover'), 'ours\n');
    writeFileSync(join(marked, 'leftover'), 'x\n');
    expect(bootstrap(exp, ['--work', marked]).status).toBe(0);
    expect(bootstrap(exp, ['--work', fresh('empty')]).status).toBe(0);
  });
});
