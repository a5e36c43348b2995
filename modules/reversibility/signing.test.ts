/**
 * The export's signature (EXG_REV_19) with a software key standing in for the HSM (the
 * SoftHSM2 key is in signing.int.test.ts) and real openssl: the certificate issued for a given
 * public key by the CA, the DER form openssl accepts, and verifyExport refusing a missing,
 * foreign or truncated signature and naming every changed, missing or extra file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, sign as nodeSign, randomBytes, verify as nodeVerify, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLabCa } from '../runtime/pki.ts';
import { SHA256SUMS_FILE, SIGNATURE_FILE } from './manifest.ts';
import {
  CERTIFICATE_FILE,
  type ExportSigner,
  ecdsaRawToDer,
  issueSigningCertificate,
  signatureProblems,
  signExport,
  subjectLines,
  verifyExport,
  verifySignature,
} from './signing.ts';

let root = '';
let ca: { cert: string; key: string };
let otherCa: { cert: string; key: string };
let caPem = '';
let keys: { publicKey: KeyObject; privateKey: KeyObject };
let certPem = '';

const pem = (k: KeyObject) => String(k.export({ type: 'spki', format: 'pem' }));
const softSigner = (privateKey: KeyObject, cert: string): ExportSigner => ({
  keyLabel: 'test-signing',
  certificatePem: cert,
  sign: (data) => nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' }),
});

let n = 0;
/** A fresh export directory with a few files. */
function newExport(): string {
  const dir = join(root, `export-${n++}`);
  const files: Record<string, string> = {
    'bootstrap.sh': '#!/bin/sh\n',
    'manifest.json': '{"version":1}\n',
    'data/identity/public.users.csv': 'id\n1\n',
    'kit/COMMIT': 'abc\n',
  };
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'hds-signing-'));
  ca = await ensureLabCa(join(root, 'pki'));
  otherCa = await ensureLabCa(join(root, 'other-pki'));
  caPem = readFileSync(ca.cert, 'utf8');
  keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  certPem = await issueSigningCertificate({
    publicKeyPem: pem(keys.publicKey),
    subject: '/O=hds-platform/OU=lab/CN=reversibility export signing',
    ca,
    days: 30,
    outPath: join(root, 'signing.crt'),
  });
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('ecdsaRawToDer', () => {
  it('encodes r||s as a DER SEQUENCE of minimal positive INTEGERs', () => {
    const r = Buffer.alloc(32);
    r[31] = 1; // leading zeros are dropped
    const s = Buffer.alloc(32, 0xff); // high bit set: a 0x00 is prepended
    const der = ecdsaRawToDer(Buffer.concat([r, s]));
    expect(der.toString('hex')).toBe(`3026020101022100${'ff'.repeat(32)}`);
    expect(() => ecdsaRawToDer(Buffer.alloc(63))).toThrow(/invalid length 63/);
  });

  it('gives signatures node and openssl verify (300 random ones, covering both high-bit cases)', () => {
    const data = randomBytes(100);
    for (let i = 0; i < 300; i++) {
      const raw = nodeSign('sha256', data, { key: keys.privateKey, dsaEncoding: 'ieee-p1363' });
      expect(nodeVerify('sha256', data, { key: keys.publicKey, dsaEncoding: 'der' }, ecdsaRawToDer(raw))).toBe(true);
    }
  });
});

describe('issueSigningCertificate', () => {
  it('certifies the given public key, signed by the CA, digitalSignature only, not a CA', () => {
    const cert = new X509Certificate(certPem);
    expect(pem(cert.publicKey)).toBe(pem(keys.publicKey));
    expect(cert.subject.split('\n')).toEqual(['O=hds-platform', 'OU=lab', 'CN=reversibility export signing']);
    expect(cert.ca).toBe(false);
    expect(readFileSync(join(root, 'signing.crt'), 'utf8')).toBe(certPem);
    expect(execFileSync('openssl', ['verify', '-CAfile', ca.cert, join(root, 'signing.crt')], { encoding: 'utf8' })).toMatch(/: OK/);
    const ext = execFileSync('openssl', ['x509', '-in', join(root, 'signing.crt'), '-noout', '-ext', 'keyUsage,basicConstraints'], { encoding: 'utf8' });
    expect(ext).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(ext).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
  });

  it('leaves no throw-away key behind', async () => {
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('hds-signcert-')).length;
    await issueSigningCertificate({ publicKeyPem: pem(keys.publicKey), subject: { commonName: 'x' }, ca, days: 1, outPath: join(root, 'x.crt') });
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('hds-signcert-')).length).toBeLessThanOrEqual(before);
    expect(new X509Certificate(readFileSync(join(root, 'x.crt'))).subject).toBe('CN=x\nO=hds-platform');
  });

  it('keeps a certificate already issued for the same key, subject and CA (a resumed export ends the same)', async () => {
    const outPath = join(root, 'kept.crt');
    const req = { publicKeyPem: pem(keys.publicKey), subject: '/OU=lab/CN=kept', ca, days: 400, outPath };
    const first = await issueSigningCertificate(req);
    expect(await issueSigningCertificate(req)).toBe(first);
    const renamed = await issueSigningCertificate({ ...req, subject: '/OU=lab/CN=renamed' });
    expect(renamed).not.toBe(first);
    expect(new X509Certificate(renamed).subject).toBe('O=hds-platform\nOU=lab\nCN=renamed');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rekeyed = await issueSigningCertificate({ ...req, subject: '/OU=lab/CN=renamed', publicKeyPem: pem(other.publicKey) });
    expect(pem(new X509Certificate(rekeyed).publicKey)).toBe(pem(other.publicKey));
    const reCa = await issueSigningCertificate({ ...req, subject: '/OU=lab/CN=renamed', publicKeyPem: pem(other.publicKey), ca: otherCa });
    expect(reCa).not.toBe(rekeyed);
    // Issued for 30 days (less than the 30 days kept in reserve): always re-issued.
    const short = { ...req, days: 30, outPath: join(root, 'short.crt') };
    expect(await issueSigningCertificate(short)).not.toBe(await issueSigningCertificate(short));
  });

  it('refuses a key that is not EC P-256 and a subject that could inject configuration', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const base = { ca, days: 1, outPath: join(root, 'y.crt') };
    await expect(issueSigningCertificate({ ...base, publicKeyPem: pem(rsa.publicKey), subject: { commonName: 'x' } })).rejects.toThrow(/not an EC P-256/);
    await expect(issueSigningCertificate({ ...base, publicKeyPem: 'nope', subject: { commonName: 'x' } })).rejects.toThrow(/not a PEM public key/);
    expect(() => subjectLines('/CN=a\n[ext]')).toThrow(/invalid certificate CN/);
    expect(() => subjectLines('/XX=a/CN=b')).toThrow(/"XX" not accepted/);
    expect(() => subjectLines('/O=a')).toThrow(/no CN/);
    expect(subjectLines('/OU=lab/CN=s')).toEqual(['0.O = hds-platform', '1.OU = lab', '2.CN = s']);
  });
});

describe('signExport and verifyExport', () => {
  it('round trip: SHA256SUMS lists every file and the certificate; openssl and sha256sum accept the export', async () => {
    const dir = newExport();
    const signed = await signExport(dir, softSigner(keys.privateKey, certPem));
    expect(signed.files.map((f) => f.path)).toEqual(['bootstrap.sh', 'data/identity/public.users.csv', 'kit/COMMIT', 'manifest.json', CERTIFICATE_FILE]);
    expect(readFileSync(join(dir, CERTIFICATE_FILE), 'utf8')).toBe(certPem);
    expect(await verifyExport(dir)).toEqual({ ok: true, problems: [], checked: 5 });
    expect(await verifyExport(dir, { trustedCaPem: caPem })).toEqual({ ok: true, problems: [], checked: 5 });
    // What a taker runs, with stock tools only.
    const pub = join(root, 'pub.pem');
    writeFileSync(pub, execFileSync('openssl', ['x509', '-in', join(dir, CERTIFICATE_FILE), '-pubkey', '-noout']));
    expect(execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', SIGNATURE_FILE, SHA256SUMS_FILE], { cwd: dir, encoding: 'utf8' })).toBe(
      'Verified OK\n',
    );
    expect(spawnSync('sha256sum', ['-c', '--strict', '--quiet', SHA256SUMS_FILE], { cwd: dir }).status).toBe(0);
    // Signing again the same tree gives the same list.
    const sums = readFileSync(join(dir, SHA256SUMS_FILE));
    await signExport(dir, softSigner(keys.privateKey, certPem));
    expect(readFileSync(join(dir, SHA256SUMS_FILE)).equals(sums)).toBe(true);
  });

  it('leaves out excluded work files; verify then names them as extra while they remain', async () => {
    const dir = newExport();
    mkdirSync(join(dir, '.hds-export'));
    writeFileSync(join(dir, '.hds-export/journal.json'), '{}');
    await signExport(dir, softSigner(keys.privateKey, certPem), { exclude: ['.hds-export'] });
    expect(readFileSync(join(dir, SHA256SUMS_FILE), 'utf8')).not.toMatch(/hds-export/);
    expect((await verifyExport(dir)).problems).toEqual(['.hds-export/journal.json: extra file, not listed in SHA256SUMS']);
    rmSync(join(dir, '.hds-export'), { recursive: true });
    expect((await verifyExport(dir)).ok).toBe(true);
  });

  it('flipping one byte of any file makes verification fail naming that file', async () => {
    const dir = newExport();
    await signExport(dir, softSigner(keys.privateKey, certPem));
    const all = [...readFileSync(join(dir, SHA256SUMS_FILE), 'utf8').matchAll(/ {2}(.+)\n/g)].map((m) => m[1] as string);
    for (const victim of [...all, SHA256SUMS_FILE]) {
      const original = readFileSync(join(dir, victim));
      const flipped = Buffer.from(original);
      const at = Math.floor(flipped.length / 2);
      flipped[at] = (flipped[at] ?? 0) ^ 0x01;
      writeFileSync(join(dir, victim), flipped);
      for (const opts of [{}, { trustedCaPem: caPem }]) {
        const v = await verifyExport(dir, opts);
        expect(v.ok, victim).toBe(false);
        expect(v.problems.join('\n'), victim).toContain(victim);
      }
      writeFileSync(join(dir, victim), original);
    }
    expect((await verifyExport(dir)).ok).toBe(true);
  });

  it('names an extra and a missing file', async () => {
    const dir = newExport();
    await signExport(dir, softSigner(keys.privateKey, certPem));
    writeFileSync(join(dir, 'data/identity/added.csv'), 'x\n');
    rmSync(join(dir, 'kit/COMMIT'));
    expect(await verifyExport(dir)).toEqual({
      ok: false,
      problems: ['data/identity/added.csv: extra file, not listed in SHA256SUMS', 'kit/COMMIT: missing (listed in SHA256SUMS, not in the export)'],
      checked: 5,
    });
  });

  it('refuses a missing signature, list or certificate before looking at any file', async () => {
    for (const gone of [SIGNATURE_FILE, SHA256SUMS_FILE, CERTIFICATE_FILE]) {
      const dir = newExport();
      await signExport(dir, softSigner(keys.privateKey, certPem));
      rmSync(join(dir, gone));
      writeFileSync(join(dir, 'bootstrap.sh'), 'tampered');
      const v = await verifyExport(dir);
      expect(v.ok).toBe(false);
      expect(v.checked).toBe(0);
      expect(v.problems).toEqual([expect.stringMatching(new RegExp(`^${gone.replace('.', '\\.')}: missing: .*refuse this export$`))]);
    }
    const dir = newExport();
    await signExport(dir, softSigner(keys.privateKey, certPem));
    rmSync(join(dir, SIGNATURE_FILE));
    expect((await verifyExport(dir)).problems).toEqual(['SHA256SUMS.sig: missing: the export is not signed; refuse this export']);
  });

  it('refuses a signature by another key, a truncated and an empty signature', async () => {
    const dir = newExport();
    await signExport(dir, softSigner(keys.privateKey, certPem));
    const sums = readFileSync(join(dir, SHA256SUMS_FILE));
    const good = readFileSync(join(dir, SIGNATURE_FILE));
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const bad of [
      nodeSign('sha256', sums, { key: other.privateKey, dsaEncoding: 'der' }),
      good.subarray(0, good.length - 1),
      good.subarray(0, 8),
      Buffer.alloc(0),
    ]) {
      writeFileSync(join(dir, SIGNATURE_FILE), bad);
      const v = await verifyExport(dir);
      expect(v).toEqual({
        ok: false,
        problems: [expect.stringMatching(/^SHA256SUMS\.sig: does not verify SHA256SUMS with the key of signing-cert\.pem/)],
        checked: 0,
      });
    }
    writeFileSync(join(dir, SIGNATURE_FILE), good);
    expect((await verifyExport(dir)).ok).toBe(true);
  });

  it('with the trusted CA, refuses an export re-signed whole by someone else (consistent, but not certified by the platform)', async () => {
    const dir = newExport();
    const mallory = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const malloryCert = await issueSigningCertificate({
      publicKeyPem: pem(mallory.publicKey),
      subject: { commonName: 'mallory' },
      ca: otherCa,
      days: 1,
      outPath: join(root, 'm.crt'),
    });
    await signExport(dir, softSigner(mallory.privateKey, malloryCert));
    expect((await verifyExport(dir)).ok).toBe(true); // self-consistent: only the CA tells
    const v = await verifyExport(dir, { trustedCaPem: caPem });
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([expect.stringMatching(/^signing-cert\.pem: not issued by the trusted CA \(CN=hds-platform lab CA, O=hds-platform\)/)]);
    expect(v.checked).toBe(0);
  });

  it("signExport refuses a certificate that is not the signing key's, and writes no list", async () => {
    const dir = newExport();
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(signExport(dir, softSigner(other.privateKey, certPem))).rejects.toThrow(/does not verify SHA256SUMS.*is the certificate the signing key's/);
    expect(readdirSync(dir).filter((f) => f.startsWith('SHA256SUMS'))).toEqual([]);
    await expect(signExport(dir, softSigner(keys.privateKey, 'not a cert'))).rejects.toThrow(/not a PEM X\.509 certificate/);
  });
});

describe('verifySignature', () => {
  it('checks a buffer or a streamed file, and the chain when a CA is given', async () => {
    const data = randomBytes(5000);
    const file = join(root, 'data.bin');
    writeFileSync(file, data);
    const sig = nodeSign('sha256', data, { key: keys.privateKey, dsaEncoding: 'der' });
    expect(await verifySignature(data, sig, certPem)).toBe(true);
    expect(await verifySignature(file, sig, certPem, { trustedCaPem: caPem })).toBe(true);
    expect(await verifySignature(file, sig, certPem, { trustedCaPem: readFileSync(otherCa.cert, 'utf8') })).toBe(false);
    expect(await verifySignature(Buffer.concat([data, Buffer.from([0])]), sig, certPem)).toBe(false);
    expect(await signatureProblems(join(root, 'absent'), sig, certPem, { names: { data: 'absent' } })).toEqual(['absent: missing']);
    expect(await signatureProblems(data, sig, caPem)).toContainEqual(expect.stringMatching(/^certificate: a CA certificate, not a signing certificate/));
  });
});
