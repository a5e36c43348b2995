/**
 * cms.ts against stock OpenSSL 3.0 (EXG_REV_14, EXG_REV_19, CAIH-S3-8: the taker opens every
 * document with `openssl cms -decrypt`): what sealCms writes, openssl opens and lays out as it
 * does itself; what openssl writes (RSA-OAEP, EC, DER and streamed BER), openCms opens; and a
 * flipped byte anywhere that matters, another recipient or garbage are refused with the right
 * kind. Test keys and certificates are made with the openssl CLI in a temp directory (no root).
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CMS_OIDS, CmsError, type CmsErrorKind, openCms, sealCms } from './cms.ts';

let tmp = '';
interface Party {
  keyPath: string;
  certPath: string;
  key: KeyObject;
  cert: X509Certificate;
}
const parties: Record<'rsa' | 'ec' | 'other' | 'ecOther', Party> = {} as never;

function makeParty(name: string, keyArgs: string[]): Party {
  const keyPath = join(tmp, `${name}.key`);
  const certPath = join(tmp, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', keyPath, '-out', certPath, '-subj', `/O=Repreneur/CN=${name}`, '-days', '30'], {
    stdio: 'ignore',
  });
  return { keyPath, certPath, key: createPrivateKey(readFileSync(keyPath)), cert: new X509Certificate(readFileSync(certPath)) };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let n = 0;
/** Writes `bytes` to a fresh file and returns its path. */
function file(bytes: Buffer): string {
  const p = join(tmp, `f${n++}.cms`);
  writeFileSync(p, bytes);
  return p;
}

/** What the taker types, with nothing from us. */
function opensslDecrypt(path: string, p: Party): Buffer {
  return execFileSync('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', path, '-inkey', p.keyPath, '-recip', p.certPath], {
    maxBuffer: 8 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const OAEP_SHA256 = ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256'];

/** `openssl cms -encrypt` (AES-256-GCM unless told) of `content` for the parties' certificates; `rsa`, `ec`: the -keyopt of each such recipient. */
function opensslEncrypt(content: Buffer, recipients: Party[], o: { extra?: string[]; cipher?: string; rsa?: string[]; ec?: string[] } = {}): Buffer {
  const input = file(content);
  const out = join(tmp, `o${n++}.cms`);
  const recips = recipients.flatMap((p) => ['-recip', p.certPath, ...(p.key.asymmetricKeyType === 'rsa' ? (o.rsa ?? OAEP_SHA256) : (o.ec ?? []))]);
  execFileSync(
    'openssl',
    ['cms', '-encrypt', '-binary', '-outform', 'DER', o.cipher ?? '-aes-256-gcm', ...(o.extra ?? []), ...recips, '-in', input, '-out', out],
    {
      stdio: 'ignore',
    },
  );
  return readFileSync(out);
}

interface Asn1Line {
  offset: number;
  depth: number;
  header: number;
  length: number;
  kind: string;
  value: string;
}

/** `openssl asn1parse -inform DER` of a file, one entry per line. */
function asn1parse(bytes: Buffer): Asn1Line[] {
  const text = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file(bytes)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return text
    .trimEnd()
    .split('\n')
    .map((l) => {
      const m = /^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(prim|cons):\s*(.*?)\s*(?::(.*))?$/.exec(l);
      if (!m) throw new Error(`asn1parse: unexpected line ${l}`);
      const hex = /\s*\[HEX DUMP\]$/.exec(m[6]!);
      const kind = hex ? m[6]!.slice(0, hex.index) : m[6]!.trim();
      const value = `${hex ? '[HEX DUMP]:' : ''}${(m[7] ?? '').trim()}`;
      return { offset: Number(m[1]), depth: Number(m[2]), header: Number(m[3]), length: Number(m[4]), kind, value };
    });
}

/** The structure without what is random or per certificate (hex dumps, serial numbers): what two encryptions of one profile share. */
const skeleton = (lines: Asn1Line[]) =>
  lines.map((l) => `${l.depth} ${l.kind} ${l.length} ${l.kind === 'INTEGER' && l.value.length > 8 ? 'serial' : l.value.replace(/^\[HEX DUMP\]:.*/, 'hex')}`);

function flipped(bytes: Buffer, at: number): Buffer {
  const b = Buffer.from(bytes);
  b.writeUInt8(b.readUInt8(at) ^ 0x01, at);
  return b;
}

/** The CmsError openCms throws (and that it returns nothing). */
function refusal(f: () => Buffer): CmsError {
  let result: Buffer | undefined;
  try {
    result = f();
  } catch (e) {
    expect(e).toBeInstanceOf(CmsError);
    return e as CmsError;
  }
  throw new Error(`openCms returned ${result.length} bytes instead of refusing`);
}

const kindOf = (f: () => Buffer): CmsErrorKind => refusal(f).kind;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hds-rev-cms-'));
  parties.rsa = makeParty('rsa', ['-newkey', 'rsa:3072']);
  parties.ec = makeParty('ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  parties.other = makeParty('other', ['-newkey', 'rsa:2048']);
  parties.ecOther = makeParty('ec-other', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('sealCms → stock openssl cms -decrypt', () => {
  const mib = randomBytes(1024 * 1024);
  for (const who of ['rsa', 'ec'] as const)
    it(`${who === 'rsa' ? 'RSA 3072' : 'EC P-256'} recipient: openssl gives back the same content, empty, small and 1 MiB`, () => {
      const p = parties[who];
      for (const content of [Buffer.alloc(0), Buffer.from('compte rendu opératoire'), mib]) {
        const sealed = sealCms(content, p.cert);
        const viaCli = opensslDecrypt(file(sealed), p);
        expect(viaCli.length).toBe(content.length);
        expect(sha(viaCli)).toBe(sha(content));
        expect(openCms(sealed, p.key, p.cert).equals(content)).toBe(true);
        // Nothing of the content in clear in the file.
        if (content.length > 0) expect(sealed.includes(content.subarray(0, 16))).toBe(false);
      }
    });

  it('RSA: aes256-GCM (12-byte nonce, 16-byte tag) and RSAES-OAEP with SHA-256 and MGF1-SHA-256, laid out as openssl lays it out', () => {
    const content = Buffer.from('x'.repeat(100));
    const ours = asn1parse(sealCms(content, parties.rsa.cert));
    const kinds = ours.map((l) => `${l.kind}${l.value && !l.value.startsWith('[HEX') ? `:${l.value}` : ''}`);
    expect(kinds.slice(0, 2)).toEqual(['SEQUENCE', 'OBJECT:id-smime-ct-authEnvelopedData']);
    const oaep = kinds.indexOf('OBJECT:rsaesOaep');
    expect(oaep).toBeGreaterThan(0);
    // RSAES-OAEP-params { [0] sha256, [1] mgf1(sha256) }
    expect(kinds.slice(oaep + 1, oaep + 9)).toEqual([
      'SEQUENCE',
      'cont [ 0 ]',
      'SEQUENCE',
      'OBJECT:sha256',
      'cont [ 1 ]',
      'SEQUENCE',
      'OBJECT:mgf1',
      'SEQUENCE',
    ]);
    expect(kinds[oaep + 9]).toBe('OBJECT:sha256');
    const encryptedKey = ours[oaep + 10]!;
    expect(encryptedKey).toMatchObject({ kind: 'OCTET STRING', length: 384 });
    const gcm = kinds.indexOf('OBJECT:aes-256-gcm');
    expect(kinds[gcm - 2]).toBe('OBJECT:pkcs7-data');
    expect(ours[gcm + 2]).toMatchObject({ kind: 'OCTET STRING', length: 12 });
    expect(ours[gcm + 3]).toMatchObject({ kind: 'INTEGER', value: '10' });
    expect(ours[gcm + 4]).toMatchObject({ kind: 'cont [ 0 ]', length: 100 });
    expect(ours.at(-1)).toMatchObject({ kind: 'OCTET STRING', length: 16, depth: 3 });
    // Element for element what `openssl cms -encrypt -aes-256-gcm` writes with the OAEP options.
    expect(skeleton(ours)).toEqual(skeleton(asn1parse(opensslEncrypt(content, [parties.rsa]))));
  });

  it('EC: ephemeral-static ECDH, X9.63 KDF with SHA-256 and AES-256 key wrap, laid out as openssl lays it out with ecdh_kdf_md:sha256', () => {
    const content = Buffer.from('y'.repeat(33));
    const ours = asn1parse(sealCms(content, parties.ec.cert));
    const kinds = ours.map((l) => `${l.kind}${l.value && !l.value.startsWith('[HEX') ? `:${l.value}` : ''}`);
    expect(kinds).toContain('OBJECT:id-ecPublicKey');
    const scheme = kinds.indexOf('OBJECT:dhSinglePass-stdDH-sha256kdf-scheme');
    expect(kinds.slice(scheme, scheme + 3)).toEqual(['OBJECT:dhSinglePass-stdDH-sha256kdf-scheme', 'SEQUENCE', 'OBJECT:id-aes256-wrap']);
    expect(ours.find((l) => l.kind === 'OCTET STRING' && l.length === 40)).toBeDefined(); // 32-byte key wrapped
    expect(kinds).toContain('OBJECT:aes-256-gcm');
    expect(skeleton(ours)).toEqual(skeleton(asn1parse(opensslEncrypt(content, [parties.ec], { ec: ['-keyopt', 'ecdh_kdf_md:sha256'] }))));
  });

  it('two seals of the same content differ: a fresh content key and nonce each time (and a fresh ephemeral EC key)', () => {
    const content = Buffer.alloc(4096, 'même contenu ');
    for (const p of [parties.rsa, parties.ec]) {
      const [a, b] = [sealCms(content, p.cert), sealCms(content, p.cert)];
      expect(a.length).toBe(b.length);
      expect(a.equals(b)).toBe(false);
      const nonce = (x: Buffer) => asn1parse(x).find((l) => l.kind === 'OCTET STRING' && l.length === 12)!;
      const at = nonce(a);
      expect(a.subarray(at.offset, at.offset + 14).equals(b.subarray(at.offset, at.offset + 14))).toBe(false);
      // The ciphertexts (the content's last 4096 bytes before the tag) differ too.
      expect(a.subarray(-18 - 4096, -18).equals(b.subarray(-18 - 4096, -18))).toBe(false);
      expect(openCms(a, p.key, p.cert).equals(openCms(b, p.key, p.cert))).toBe(true);
    }
  });

  it('EC P-384 too (same profile): openssl and openCms give the content back', () => {
    const p384 = makeParty('ec-384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']);
    const content = randomBytes(2000);
    const sealed = sealCms(content, p384.cert);
    expect(opensslDecrypt(file(sealed), p384).equals(content)).toBe(true);
    expect(openCms(sealed, p384.key, p384.cert).equals(content)).toBe(true);
    expect(openCms(opensslEncrypt(content, [p384]), p384.key, p384.cert).equals(content)).toBe(true);
  });

  it('refuses a certificate whose key is neither RSA nor EC', () => {
    const edPath = join(tmp, 'ed.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', join(tmp, 'ed.key'), '-out', edPath, '-subj', '/CN=ed', '-days', '2'], {
      stdio: 'ignore',
    });
    expect(() => sealCms(Buffer.from('x'), new X509Certificate(readFileSync(edPath)))).toThrow(
      /the recipient's key is ed25519; an RSA or EC certificate is needed/,
    );
  });
});

describe('openCms ← what openssl cms -encrypt -aes-256-gcm writes', () => {
  const content = randomBytes(70_000);
  it('RSA-OAEP (SHA-256, and openssl’s SHA-1 default), DER and streamed BER', () => {
    const p = parties.rsa;
    expect(openCms(opensslEncrypt(content, [p]), p.key, p.cert).equals(content)).toBe(true);
    expect(openCms(opensslEncrypt(content, [p], { extra: ['-stream'] }), p.key, p.cert).equals(content)).toBe(true);
    expect(openCms(opensslEncrypt(content, [p], { rsa: ['-keyopt', 'rsa_padding_mode:oaep'] }), p.key, p.cert).equals(content)).toBe(true);
    expect(openCms(opensslEncrypt(Buffer.alloc(0), [p]), p.key, p.cert).length).toBe(0);
  });

  it('EC: openssl’s default (SHA-1 KDF), the SHA-256 KDF, streamed BER', () => {
    const p = parties.ec;
    expect(openCms(opensslEncrypt(content, [p]), p.key, p.cert).equals(content)).toBe(true);
    expect(openCms(opensslEncrypt(content, [p], { ec: ['-keyopt', 'ecdh_kdf_md:sha256'] }), p.key, p.cert).equals(content)).toBe(true);
    expect(openCms(opensslEncrypt(content, [p], { extra: ['-stream'] }), p.key, p.cert).equals(content)).toBe(true);
  });

  it('finds its recipient among several, and by subject key identifier (-keyid); AES-128-GCM too', () => {
    const several = opensslEncrypt(content, [parties.other, parties.ecOther, parties.rsa, parties.ec]);
    for (const p of [parties.rsa, parties.ec, parties.other, parties.ecOther]) expect(openCms(several, p.key, p.cert).equals(content)).toBe(true);
    for (const p of [parties.rsa, parties.ec]) expect(openCms(opensslEncrypt(content, [p], { extra: ['-keyid'] }), p.key, p.cert).equals(content)).toBe(true);
    expect(openCms(opensslEncrypt(content, [parties.rsa], { cipher: '-aes-128-gcm' }), parties.rsa.key, parties.rsa.cert).equals(content)).toBe(true);
  });

  it("says 'unsupported' (documents.ts then hands the file to openssl) for EnvelopedData and PKCS#1 v1.5 key transport", () => {
    const p = parties.rsa;
    const cbc = refusal(() => openCms(opensslEncrypt(content, [p], { cipher: '-aes-256-cbc' }), p.key, p.cert));
    expect(cbc.kind).toBe('unsupported');
    expect(cbc.message).toMatch(/EnvelopedData/);
    const v15 = refusal(() => openCms(opensslEncrypt(content, [p], { rsa: [] }), p.key, p.cert));
    expect(v15.kind).toBe('unsupported');
    expect(v15.message).toMatch(/PKCS#1 v1\.5/);
  });
});

describe('openCms refuses, with the right kind', () => {
  const content = Buffer.alloc(5000, 'données de santé ');
  for (const who of ['rsa', 'ec'] as const)
    it(`${who}: a flipped byte in the ciphertext, the tag, the encrypted key or the nonce is 'altered'; openssl refuses the same files`, () => {
      const p = parties[who];
      const sealed = sealCms(content, p.cert);
      const lines = asn1parse(sealed);
      const body = lines.find((l) => l.kind === 'cont [ 0 ]' && l.length === content.length)!;
      const tag = lines.at(-1)!;
      const encryptedKey = lines.find((l) => l.kind === 'OCTET STRING' && l.length === (who === 'rsa' ? 384 : 40))!;
      const nonce = lines.find((l) => l.kind === 'OCTET STRING' && l.length === 12)!;
      const start = (l: Asn1Line) => l.offset + l.header;
      const cases: [string, number][] = [
        ['ciphertext', start(body) + 1234],
        ['tag', start(tag) + 15],
        ['encrypted key', start(encryptedKey) + 7],
        ['nonce', start(nonce)],
      ];
      if (who === 'ec') cases.push(['ephemeral public key', lines.find((l) => l.kind === 'BIT STRING')!.offset + 10]);
      for (const [what, at] of cases) {
        const bad = flipped(sealed, at);
        const e = refusal(() => openCms(bad, p.key, p.cert));
        expect(e.kind, what).toBe('altered');
        expect(() => opensslDecrypt(file(bad), p), what).toThrow();
      }
      expect(openCms(sealed, p.key, p.cert).equals(content)).toBe(true);
    });

  it("another recipient's key and certificate: 'not-for-recipient'; a key that is not the certificate's: 'key'", () => {
    const sealed = sealCms(content, parties.rsa.cert);
    expect(kindOf(() => openCms(sealed, parties.other.key, parties.other.cert))).toBe('not-for-recipient');
    expect(kindOf(() => openCms(sealed, parties.ec.key, parties.ec.cert))).toBe('not-for-recipient');
    expect(kindOf(() => openCms(sealCms(content, parties.ec.cert), parties.ecOther.key, parties.ecOther.cert))).toBe('not-for-recipient');
    const e = refusal(() => openCms(sealed, parties.other.key, parties.rsa.cert));
    expect(e.kind).toBe('key');
    expect(e.message).toMatch(/not the certificate's key/);
    expect(kindOf(() => openCms(sealed, parties.rsa.cert.publicKey, parties.rsa.cert))).toBe('key');
  });

  it("garbage, a truncated file, bytes appended, another CMS type: 'not-cms'", () => {
    const sealed = sealCms(content, parties.ec.cert);
    const { key, cert } = parties.ec;
    expect(kindOf(() => openCms(randomBytes(600), key, cert))).toBe('not-cms');
    expect(kindOf(() => openCms(Buffer.from('{"not":"cms"}'), key, cert))).toBe('not-cms');
    expect(kindOf(() => openCms(Buffer.alloc(0), key, cert))).toBe('not-cms');
    expect(kindOf(() => openCms(sealed.subarray(0, 300), key, cert))).toBe('not-cms');
    expect(kindOf(() => openCms(sealed.subarray(0, sealed.length - 1), key, cert))).toBe('not-cms');
    expect(kindOf(() => openCms(Buffer.concat([sealed, Buffer.from([0])]), key, cert))).toBe('not-cms');
    // A certificate is DER too, but not a ContentInfo.
    expect(kindOf(() => openCms(cert.raw, key, cert))).toBe('not-cms');
    const data = execFileSync('openssl', ['cms', '-data_create', '-binary', '-outform', 'DER', '-in', file(Buffer.from('x'))]);
    const e = refusal(() => openCms(data, key, cert));
    expect(e.kind).toBe('not-cms');
    expect(e.message).toContain(CMS_OIDS.data);
  });

  it("more content than maxBytes: 'too-large' before anything is decrypted", () => {
    const sealed = sealCms(content, parties.rsa.cert);
    expect(kindOf(() => openCms(sealed, parties.rsa.key, parties.rsa.cert, content.length - 1))).toBe('too-large');
    expect(openCms(sealed, parties.rsa.key, parties.rsa.cert, content.length).length).toBe(content.length);
  });
});
