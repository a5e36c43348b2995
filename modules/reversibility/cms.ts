/**
 * CMS AuthEnvelopedData (RFC 5652, RFC 5083, RFC 5084, RFC 5753, RFC 8017) written and read in
 * process with node:crypto, for the documents handed over to the taker (EXG_REV_14, EXG_REV_19,
 * CAIH-S3-8; documents.ts). The taker still opens every file with stock OpenSSL >= 3.0:
 * `openssl cms -decrypt -binary -inform DER -in F -inkey KEY -recip CERT`.
 *
 * Why in process: one `openssl cms -encrypt` child per document costs a process start, a
 * certificate parse and two pipes each time. Measured on this 2-core machine, shared with other
 * jobs (load average 5 to 12; OpenSSL 3.0.19, Node 20), N = 500 documents of 64 KiB one after
 * the other (a tsx script, not kept):
 *   RSA 3072  encrypt: openssl 39.4 s (79 ms a document; 102 s under the heavier load),
 *                      sealCms + write 1.4 s (2.8 ms), encryptForRecipient (temp, fsync, rename) 2.1 s;
 *             decrypt: openssl 38.9 s (78 ms), readFile + openCms 2.1 s (4.3 ms);
 *   EC P-256  encrypt: openssl 27.3 s (55 ms), sealCms + write 1.4 s (2.8 ms);
 *             decrypt: openssl 29.0 s (58 ms), readFile + openCms 1.6 s (3.2 ms).
 * 15 to 30 times less: at 400 M documents a year, days of export and import time.
 *
 * Profile written by sealCms, element for element (cms.test.ts compares `openssl asn1parse` of both) what
 * `openssl cms -encrypt -aes-256-gcm -binary -outform DER` (OpenSSL 3.0), DER:
 *   ContentInfo { id-ct-authEnvelopedData (1.2.840.113549.1.9.16.1.23), AuthEnvelopedData v0 {
 *     recipientInfos: exactly one recipient, identified by issuerAndSerialNumber,
 *     authEncryptedContentInfo: id-data, aes256-GCM (2.16.840.1.101.3.4.1.46) with GCMParameters
 *       { 12-byte random nonce, aes-ICVlen 16 }, under a fresh random 256-bit content key per file,
 *     mac: the 16-byte GCM tag; no originatorInfo, no authAttrs (no AAD), no unauthAttrs } }
 *   - RSA certificate: KeyTransRecipientInfo v0, RSAES-OAEP (1.2.840.113549.1.1.7) with explicit
 *     RSAES-OAEP-params { sha256, mgf1(sha256) } and the empty label, as openssl writes with
 *     `-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha256`;
 *   - EC certificate (P-256; P-384 and P-521 too): KeyAgreeRecipientInfo v3, ephemeral-static ECDH,
 *     originatorKey (id-ecPublicKey, parameters absent, uncompressed point), no ukm,
 *     dhSinglePass-stdDH-sha256kdf-scheme (1.3.132.1.11.1) with id-aes256-wrap
 *     (2.16.840.1.101.3.4.1.45): KEK = ANSI X9.63 KDF (SHA-256) over the ECDH secret and the
 *     ECC-CMS-SharedInfo { keyInfo id-aes256-wrap, suppPubInfo 256 }, content key wrapped with
 *     AES key wrap (RFC 3394). OpenSSL 3.0's own default is the same structure with the SHA-1 KDF
 *     scheme (1.3.133.16.840.63.0.2); SHA-256 is what it writes with `-keyopt ecdh_kdf_md:sha256`,
 *     and it reads both (cms.test.ts opens sealCms output with stock openssl).
 *
 * Read by openCms: the above, in DER or BER (`openssl cms -encrypt -stream`: indefinite lengths,
 * content in chunks), and what OpenSSL writes with other choices: RSAES-OAEP with SHA-1/2 (same
 * hash for MGF1), recipients by subjectKeyIdentifier, the X9.63 KDF schemes with SHA-1/2 (standard
 * or cofactor ECDH), AES-128/192/256 key wrap and GCM. Anything else (EnvelopedData, PKCS#1 v1.5
 * key transport, which Node 20 refuses to decrypt (CVE-2023-46809), authenticated attributes,
 * static-static ECDH) is a CmsError 'unsupported': documents.ts hands such a file to openssl.
 * The content is returned only once GCM's tag checked; on any failure the decrypted bytes are
 * wiped, and so are content keys and KEKs once used.
 */
import * as asn1js from 'asn1js';
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  type DecipherGCM,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type X509Certificate,
} from 'node:crypto';

/** The object identifiers this profile writes or reads. */
export const CMS_OIDS = {
  data: '1.2.840.113549.1.7.1',
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
  sha256: '2.16.840.1.101.3.4.2.1',
  ecPublicKey: '1.2.840.10045.2.1',
  dhSinglePassStdDhSha256Kdf: '1.3.132.1.11.1',
  aes256Wrap: '2.16.840.1.101.3.4.1.45',
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
} as const;

/** Hash algorithms by OID (RSAES-OAEP, MGF1). */
const HASHES: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  [CMS_OIDS.sha256]: 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** ECDH key-agreement schemes (RFC 5753, SEC 1) by OID: the X9.63 KDF's hash (cofactor 1 on the NIST curves: same computation). */
const KDF_SCHEMES: Readonly<Record<string, string>> = {
  '1.3.133.16.840.63.0.2': 'sha1', // dhSinglePass-stdDH-sha1kdf-scheme (OpenSSL's default)
  '1.3.132.1.11.0': 'sha224',
  [CMS_OIDS.dhSinglePassStdDhSha256Kdf]: 'sha256',
  '1.3.132.1.11.2': 'sha384',
  '1.3.132.1.11.3': 'sha512',
  '1.3.133.16.840.63.0.3': 'sha1', // dhSinglePass-cofactorDH-sha1kdf-scheme
  '1.3.132.1.14.0': 'sha224',
  '1.3.132.1.14.1': 'sha256',
  '1.3.132.1.14.2': 'sha384',
  '1.3.132.1.14.3': 'sha512',
};

/** AES key wrap (RFC 3394) by OID: node's cipher and the KEK length. */
const WRAPS: Readonly<Record<string, { cipher: string; bytes: number }>> = {
  '2.16.840.1.101.3.4.1.5': { cipher: 'id-aes128-wrap', bytes: 16 },
  '2.16.840.1.101.3.4.1.25': { cipher: 'id-aes192-wrap', bytes: 24 },
  [CMS_OIDS.aes256Wrap]: { cipher: 'id-aes256-wrap', bytes: 32 },
};

/** AES-GCM (RFC 5084) by OID: node's cipher and the content key length. */
const GCMS: Readonly<Record<string, { cipher: 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm'; bytes: number }>> = {
  '2.16.840.1.101.3.4.1.6': { cipher: 'aes-128-gcm', bytes: 16 },
  '2.16.840.1.101.3.4.1.26': { cipher: 'aes-192-gcm', bytes: 24 },
  [CMS_OIDS.aes256Gcm]: { cipher: 'aes-256-gcm', bytes: 32 },
};

/** Named curves: node's name → OID (the SPKI of the originator's key is rebuilt with it). */
const CURVES: Readonly<Record<string, { oid: string }>> = {
  prime256v1: { oid: '1.2.840.10045.3.1.7' },
  secp384r1: { oid: '1.3.132.0.34' },
  secp521r1: { oid: '1.3.132.0.35' },
};

/** RFC 3394's default initial value. */
const WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

export const CMS_DEFAULTS = {
  /** Largest content openCms returns (the ciphertext's length is checked before anything is decrypted). */
  maxBytes: 2 * 1024 ** 3,
  /** GCM nonce (RFC 5084 recommends 12 bytes; OpenSSL writes 12). */
  nonceBytes: 12,
  /** GCM tag, as OpenSSL writes it (aes-ICVlen 16). */
  tagBytes: 16,
} as const;

/**
 * Why openCms refused a file: 'not-cms' (not a complete AuthEnvelopedData), 'not-for-recipient'
 * (no recipient is the certificate), 'altered' (the key block or the content does not
 * authenticate), 'key' (the private key is not the certificate's), 'too-large' (more content than
 * maxBytes), 'unsupported' (valid CMS this reader does not do: open it with openssl).
 */
export type CmsErrorKind = 'not-cms' | 'not-for-recipient' | 'altered' | 'key' | 'too-large' | 'unsupported';

/** openCms's refusal; the message says why in a few words, never any content or key material. */
export class CmsError extends Error {
  override name = 'CmsError';
  constructor(
    readonly kind: CmsErrorKind,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// ASN.1 building and reading (asn1js)

type Asn = asn1js.AsnType;
const CONTEXT = 3;

const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
const seq = (...value: Asn[]) => new asn1js.Sequence({ value });
/** [n] EXPLICIT, or an IMPLICIT constructed type (its elements given). */
const ctx = (tagNumber: number, ...value: Asn[]) => new asn1js.Constructed({ idBlock: { tagClass: CONTEXT, tagNumber }, value });
const octets = (b: Uint8Array) => new asn1js.OctetString({ valueHex: b });

function notCms(what: string): never {
  throw new CmsError('not-cms', what);
}
function unsupported(what: string): never {
  throw new CmsError('unsupported', what);
}

function isCtx(b: Asn, n: number): boolean {
  return b.idBlock.tagClass === CONTEXT && b.idBlock.tagNumber === n;
}

function decode(der: Uint8Array, what: string): Asn {
  const r = asn1js.fromBER(der);
  if (r.offset === -1) return notCms(`${what}: ${r.result.error || 'not BER/DER'}`);
  if (r.offset !== der.length) return notCms(`${what}: ${der.length - r.offset} bytes after its end`);
  return r.result;
}

/** The elements of a constructed value (end-of-content markers of the indefinite form left out). */
function elements(b: Asn, what: string, min = 0, max = Number.POSITIVE_INFINITY): Asn[] {
  if (!b.idBlock.isConstructed) return notCms(`${what}: expected a constructed value`);
  const all = (b.valueBlock as unknown as { value: Asn[] }).value.filter((x) => !(x instanceof asn1js.EndOfContent));
  if (all.length < min || all.length > max) return notCms(`${what}: ${all.length} elements, expected ${min === max ? min : `${min} to ${max}`}`);
  return all;
}

function sequence(b: Asn | undefined, what: string, min = 0, max = Number.POSITIVE_INFINITY): Asn[] {
  if (b === undefined || !(b instanceof asn1js.Sequence)) return notCms(`${what}: expected a SEQUENCE`);
  return elements(b, what, min, max);
}

function oidOf(b: Asn | undefined, what: string): string {
  if (!(b instanceof asn1js.ObjectIdentifier)) return notCms(`${what}: expected an OBJECT IDENTIFIER`);
  return b.getValue();
}

function smallInt(b: Asn | undefined, what: string): number {
  if (!(b instanceof asn1js.Integer)) return notCms(`${what}: expected an INTEGER`);
  return b.valueBlock.valueDec;
}

/** The bytes of an OCTET STRING (or an IMPLICIT one), primitive or constructed (BER chunks). */
function chunksOf(b: Asn | undefined, what: string, out: Uint8Array[] = []): Uint8Array[] {
  if (b === undefined) return notCms(`${what}: missing`);
  if (!b.idBlock.isConstructed) {
    out.push((b.valueBlock as unknown as { valueHexView: Uint8Array }).valueHexView);
    return out;
  }
  for (const e of elements(b, what)) {
    if (!(e instanceof asn1js.OctetString)) return notCms(`${what}: a constructed OCTET STRING holds only OCTET STRINGs`);
    chunksOf(e, what, out);
  }
  return out;
}

function bytesOf(b: Asn | undefined, what: string): Buffer {
  const chunks = chunksOf(b, what);
  return chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength) : Buffer.concat(chunks);
}

/** AlgorithmIdentifier { algorithm, parameters? }. */
function algorithm(b: Asn | undefined, what: string): { oid: string; params: Asn | undefined } {
  const [a, params] = sequence(b, what, 1, 2);
  return { oid: oidOf(a, `${what}.algorithm`), params };
}

/** Whether two encodings are the same value: the same bytes, or the same once re-encoded (a BER form of the same DER). */
function sameValue(a: Asn, b: Asn): boolean {
  if (Buffer.from(a.valueBeforeDecodeView).equals(Buffer.from(b.valueBeforeDecodeView))) return true;
  return Buffer.from(a.toBER()).equals(Buffer.from(b.toBER()));
}

function der(b: Asn): Buffer {
  const out = b.toBER();
  if (out.byteLength === 0) throw new Error('CMS: asn1js could not encode a structure');
  return Buffer.from(out);
}

// ---------------------------------------------------------------------------------------------
// The recipient's certificate

interface CertIds {
  issuer: Asn;
  serial: Asn;
  /** subjectKeyIdentifier extension's key identifier, if any. */
  ski: Buffer | undefined;
}

const certIdsCache = new WeakMap<X509Certificate, CertIds>();

/** Issuer, serial number and subject key identifier of a certificate (parsed once per X509Certificate object). */
function certIds(cert: X509Certificate): CertIds {
  const cached = certIdsCache.get(cert);
  if (cached) return cached;
  const bad = (what: string): never => {
    throw new Error(`CMS: the recipient certificate cannot be read (${what})`);
  };
  let tbs: Asn[];
  try {
    tbs = sequence(sequence(decode(cert.raw, 'certificate'), 'certificate', 3, 3)[0], 'tbsCertificate', 6);
  } catch (e) {
    return bad((e as Error).message);
  }
  const off = isCtx(tbs[0]!, 0) ? 1 : 0;
  const serial = tbs[off];
  const issuer = tbs[off + 2];
  if (!(serial instanceof asn1js.Integer) || !(issuer instanceof asn1js.Sequence)) return bad('no serial number or issuer');
  let ski: Buffer | undefined;
  const extensions = tbs.slice(off + 6).find((e) => isCtx(e, 3));
  if (extensions) {
    for (const ext of sequence(elements(extensions, 'extensions', 1, 1)[0], 'extensions')) {
      const parts = sequence(ext, 'extension', 2, 3);
      if (oidOf(parts[0], 'extnID') !== '2.5.29.14') continue;
      ski = bytesOf(decode(bytesOf(parts.at(-1), 'extnValue'), 'subjectKeyIdentifier'), 'subjectKeyIdentifier');
    }
  }
  const ids = { issuer, serial, ski };
  certIdsCache.set(cert, ids);
  return ids;
}

const pairCache = new WeakMap<KeyObject, WeakMap<X509Certificate, boolean>>();

/** Whether `key` is the private key of `cert` (compared once per pair of objects). */
function isKeyOf(key: KeyObject, cert: X509Certificate): boolean {
  let byCert = pairCache.get(key);
  if (!byCert) {
    byCert = new WeakMap();
    pairCache.set(key, byCert);
  }
  let same = byCert.get(cert);
  if (same === undefined) {
    same = cert.checkPrivateKey(key);
    byCert.set(cert, same);
  }
  return same;
}

/** IssuerAndSerialNumber of the certificate (the same encodings as in the certificate). */
function issuerAndSerial(cert: X509Certificate): asn1js.Sequence {
  const ids = certIds(cert);
  return seq(decode(ids.issuer.valueBeforeDecodeView, 'issuer'), decode(ids.serial.valueBeforeDecodeView, 'serialNumber'));
}

// ---------------------------------------------------------------------------------------------
// Key agreement (RFC 5753)

/** ANSI X9.63 KDF (SEC 1 3.6.1): Hash(Z ‖ counter ‖ SharedInfo) blocks, counter from 1. */
function x963Kdf(hash: string, z: Buffer, sharedInfo: Buffer, bytes: number): Buffer {
  const blocks: Buffer[] = [];
  let got = 0;
  for (let counter = 1; got < bytes; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(z).update(c).update(sharedInfo).digest();
    blocks.push(block);
    got += block.length;
  }
  const all = Buffer.concat(blocks);
  const kek = Buffer.from(all.subarray(0, bytes));
  all.fill(0);
  for (const b of blocks) b.fill(0);
  return kek;
}

/** ECC-CMS-SharedInfo { keyInfo, entityUInfo [0] ukm?, suppPubInfo [2] KEK bits }, DER. */
function sharedInfo(keyInfo: Asn, kekBytes: number, ukm: Buffer | undefined): Buffer {
  const bits = Buffer.alloc(4);
  bits.writeUInt32BE(kekBytes * 8);
  return der(seq(keyInfo, ...(ukm !== undefined ? [ctx(0, octets(ukm))] : []), ctx(2, octets(bits))));
}

function curveOf(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === undefined || !(curve in CURVES)) throw new CmsError('unsupported', `EC curve ${curve ?? 'unknown'} (P-256, P-384 and P-521 are supported)`);
  return curve;
}

/** The uncompressed point (0x04 ‖ x ‖ y) of an EC public key. */
function ecPoint(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

// ---------------------------------------------------------------------------------------------
// Writing

function rsaRecipient(cert: X509Certificate, contentKey: Buffer): Asn {
  const encryptedKey = publicEncrypt({ key: cert.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, contentKey);
  const oaepParams = seq(ctx(0, seq(oid(CMS_OIDS.sha256))), ctx(1, seq(oid(CMS_OIDS.mgf1), seq(oid(CMS_OIDS.sha256)))));
  return seq(new asn1js.Integer({ value: 0 }), issuerAndSerial(cert), seq(oid(CMS_OIDS.rsaesOaep), oaepParams), octets(encryptedKey));
}

function ecRecipient(cert: X509Certificate, contentKey: Buffer): Asn {
  const namedCurve = curveOf(cert.publicKey);
  const ephemeral = generateKeyPairSync('ec', { namedCurve });
  const z = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: cert.publicKey });
  const wrap = WRAPS[CMS_OIDS.aes256Wrap]!;
  const kek = x963Kdf('sha256', z, sharedInfo(seq(oid(CMS_OIDS.aes256Wrap)), wrap.bytes, undefined), wrap.bytes);
  z.fill(0);
  let wrapped: Buffer;
  try {
    const c = createCipheriv(wrap.cipher, kek, WRAP_IV);
    wrapped = Buffer.concat([c.update(contentKey), c.final()]);
  } finally {
    kek.fill(0);
  }
  const originator = ctx(0, ctx(1, seq(oid(CMS_OIDS.ecPublicKey)), new asn1js.BitString({ valueHex: ecPoint(ephemeral.publicKey) })));
  const keyEncryption = seq(oid(CMS_OIDS.dhSinglePassStdDhSha256Kdf), seq(oid(CMS_OIDS.aes256Wrap)));
  const recipientEncryptedKeys = seq(seq(issuerAndSerial(cert), octets(wrapped)));
  return ctx(1, new asn1js.Integer({ value: 3 }), originator, keyEncryption, recipientEncryptedKeys);
}

/**
 * Encrypts `content` for `recipient` (an RSA or EC certificate): DER ContentInfo of type
 * AuthEnvelopedData, AES-256-GCM under a fresh random key and nonce (the profile in this file's
 * header). Stock `openssl cms -decrypt` opens it.
 */
export function sealCms(content: Buffer, recipient: X509Certificate): Buffer {
  const type = recipient.publicKey.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec') throw new Error(`CMS: the recipient's key is ${type ?? 'of an unknown type'}; an RSA or EC certificate is needed`);
  const contentKey = randomBytes(32);
  try {
    const recipientInfo = type === 'rsa' ? rsaRecipient(recipient, contentKey) : ecRecipient(recipient, contentKey);
    const nonce = randomBytes(CMS_DEFAULTS.nonceBytes);
    const cipher = createCipheriv('aes-256-gcm', contentKey, nonce, { authTagLength: CMS_DEFAULTS.tagBytes });
    const ciphertext = Buffer.concat([cipher.update(content), cipher.final()]);
    const tag = cipher.getAuthTag();
    const gcm = seq(oid(CMS_OIDS.aes256Gcm), seq(octets(nonce), new asn1js.Integer({ value: CMS_DEFAULTS.tagBytes })));
    const encryptedContentInfo = seq(
      oid(CMS_OIDS.data),
      gcm,
      new asn1js.Primitive({ idBlock: { tagClass: CONTEXT, tagNumber: 0 }, valueHex: ciphertext }), // [0] IMPLICIT OCTET STRING
    );
    const authEnvelopedData = seq(new asn1js.Integer({ value: 0 }), new asn1js.Set({ value: [recipientInfo] }), encryptedContentInfo, octets(tag));
    return der(seq(oid(CMS_OIDS.authEnvelopedData), ctx(0, authEnvelopedData)));
  } finally {
    contentKey.fill(0);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Parsed {
  recipientInfos: Asn[];
  gcm: { cipher: 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm'; keyBytes: number; nonce: Buffer; tagBytes: number };
  /** The ciphertext, in the file's chunks (one in DER). */
  content: Uint8Array[];
  contentBytes: number;
  mac: Buffer;
}

function parseAuthEnvelopedData(file: Uint8Array): Parsed {
  const [type, explicit] = sequence(decode(file, 'ContentInfo'), 'ContentInfo', 2, 2);
  const contentType = oidOf(type, 'ContentInfo.contentType');
  if (contentType === CMS_OIDS.envelopedData) unsupported('EnvelopedData (not AuthEnvelopedData)');
  if (contentType !== CMS_OIDS.authEnvelopedData) notCms(`content type ${contentType}, not AuthEnvelopedData`);
  if (!isCtx(explicit!, 0)) notCms('ContentInfo.content: expected [0]');
  const fields = sequence(elements(explicit!, 'ContentInfo.content', 1, 1)[0], 'AuthEnvelopedData', 4, 7);
  let i = 0;
  smallInt(fields[i++], 'AuthEnvelopedData.version');
  if (isCtx(fields[i]!, 0)) i++; // originatorInfo: certificates and CRLs, not needed to decrypt
  const recipients = fields[i++]!;
  if (!(recipients instanceof asn1js.Set)) notCms('AuthEnvelopedData.recipientInfos: expected a SET');
  const recipientInfos = elements(recipients, 'recipientInfos', 1);
  const [innerType, contentAlg, encrypted] = sequence(fields[i++], 'authEncryptedContentInfo', 2, 3);
  oidOf(innerType, 'authEncryptedContentInfo.contentType');
  if (fields[i] !== undefined && isCtx(fields[i]!, 1)) unsupported('authenticated attributes (authAttrs)');
  const mac = bytesOf(fields[i++], 'AuthEnvelopedData.mac');
  if (fields[i] !== undefined && !isCtx(fields[i]!, 2)) notCms('AuthEnvelopedData: unexpected element after mac');

  const alg = algorithm(contentAlg, 'contentEncryptionAlgorithm');
  const gcm = GCMS[alg.oid] ?? unsupported(`content encryption ${alg.oid} (AES-GCM expected)`);
  const [nonce, icv] = sequence(alg.params, 'GCMParameters', 1, 2);
  const tagBytes = icv === undefined ? 12 : smallInt(icv, 'GCMParameters.aes-ICVlen');
  if (encrypted === undefined) unsupported('detached content (no encryptedContent)');
  if (!isCtx(encrypted!, 0)) notCms('authEncryptedContentInfo.encryptedContent: expected [0]');
  const content = chunksOf(encrypted, 'encryptedContent');
  return {
    recipientInfos,
    gcm: { cipher: gcm.cipher, keyBytes: gcm.bytes, nonce: bytesOf(nonce, 'GCMParameters.aes-nonce'), tagBytes },
    content,
    contentBytes: content.reduce((n, c) => n + c.length, 0),
    mac,
  };
}

type Found = { kind: 'ktri'; alg: Asn; encryptedKey: Buffer } | { kind: 'kari'; originator: Asn; ukm: Buffer | undefined; alg: Asn; encryptedKey: Buffer };

/** issuerAndSerialNumber (a SEQUENCE) against the certificate. */
function isIssuerAndSerial(rid: Asn, me: CertIds): boolean {
  if (!(rid instanceof asn1js.Sequence)) return false;
  const [issuer, serial] = elements(rid, 'issuerAndSerialNumber', 2, 2);
  return sameValue(issuer!, me.issuer) && sameValue(serial!, me.serial);
}

/** The recipient info (or KARI's encrypted key) that names this certificate; CmsError 'not-for-recipient' when none does. */
function findRecipient(infos: Asn[], me: CertIds): Found {
  const seen: string[] = [];
  for (const ri of infos) {
    if (ri instanceof asn1js.Sequence) {
      const [, rid, alg, encryptedKey] = elements(ri, 'KeyTransRecipientInfo', 4, 4);
      seen.push('key transport');
      const matches = isCtx(rid!, 0) ? me.ski !== undefined && bytesOf(rid, 'subjectKeyIdentifier').equals(me.ski) : isIssuerAndSerial(rid!, me);
      if (matches) return { kind: 'ktri', alg: alg!, encryptedKey: bytesOf(encryptedKey, 'KeyTransRecipientInfo.encryptedKey') };
    } else if (isCtx(ri, 1)) {
      const parts = elements(ri, 'KeyAgreeRecipientInfo', 4, 5);
      const [originator, ukm] = [parts[1]!, parts.length === 5 ? parts[2] : undefined];
      if (!isCtx(originator, 0)) notCms('KeyAgreeRecipientInfo.originator: expected [0]');
      if (ukm !== undefined && !isCtx(ukm, 1)) notCms('KeyAgreeRecipientInfo.ukm: expected [1]');
      const alg = parts.at(-2)!;
      seen.push('key agreement');
      for (const rek of sequence(parts.at(-1), 'recipientEncryptedKeys')) {
        const [rid, encryptedKey] = sequence(rek, 'RecipientEncryptedKey', 2, 2);
        const matches = isCtx(rid!, 0)
          ? me.ski !== undefined && bytesOf(elements(rid!, 'RecipientKeyIdentifier', 1, 3)[0], 'subjectKeyIdentifier').equals(me.ski)
          : isIssuerAndSerial(rid!, me);
        if (matches)
          return {
            kind: 'kari',
            originator,
            ukm: ukm === undefined ? undefined : bytesOf(elements(ukm, 'ukm', 1, 1)[0], 'ukm'),
            alg,
            encryptedKey: bytesOf(encryptedKey, 'RecipientEncryptedKey.encryptedKey'),
          };
      }
    } else seen.push(`[${ri.idBlock.tagNumber}]`);
  }
  throw new CmsError('not-for-recipient', `none of its ${seen.length} recipient(s) (${[...new Set(seen)].join(', ')}) is this certificate`);
}

function altered(what: string): never {
  throw new CmsError('altered', what);
}

function unwrapKeyTransport(found: Extract<Found, { kind: 'ktri' }>, key: KeyObject): Buffer {
  const alg = algorithm(found.alg, 'keyEncryptionAlgorithm');
  if (alg.oid === CMS_OIDS.rsaEncryption) unsupported('RSA PKCS#1 v1.5 key transport');
  if (alg.oid !== CMS_OIDS.rsaesOaep) unsupported(`key transport ${alg.oid}`);
  let hash = 'sha1';
  let mgfHash = 'sha1';
  let label: Buffer | undefined;
  for (const p of alg.params === undefined || alg.params instanceof asn1js.Null ? [] : sequence(alg.params, 'RSAES-OAEP-params', 0, 3)) {
    const inner = elements(p, 'RSAES-OAEP-params', 1, 1)[0]!;
    if (isCtx(p, 0)) hash = HASHES[algorithm(inner, 'hashAlgorithm').oid] ?? unsupported('OAEP hash');
    else if (isCtx(p, 1)) {
      const mgf = algorithm(inner, 'maskGenAlgorithm');
      if (mgf.oid !== CMS_OIDS.mgf1) unsupported(`mask generation ${mgf.oid}`);
      mgfHash = HASHES[algorithm(mgf.params, 'MGF1 hash').oid] ?? unsupported('MGF1 hash');
    } else if (isCtx(p, 2)) {
      const source = algorithm(inner, 'pSourceAlgorithm');
      if (source.oid !== CMS_OIDS.pSpecified) unsupported(`OAEP label source ${source.oid}`);
      label = bytesOf(source.params, 'OAEP label');
    } else notCms('RSAES-OAEP-params: unexpected element');
  }
  if (mgfHash !== hash) unsupported(`RSAES-OAEP with ${hash} and MGF1-${mgfHash}`);
  try {
    return privateDecrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash, ...(label !== undefined && label.length > 0 ? { oaepLabel: label } : {}) },
      found.encryptedKey,
    );
  } catch {
    return altered('its content key does not decrypt (RSAES-OAEP)');
  }
}

function unwrapKeyAgreement(found: Extract<Found, { kind: 'kari' }>, key: KeyObject): Buffer {
  const scheme = algorithm(found.alg, 'keyEncryptionAlgorithm');
  const hash = KDF_SCHEMES[scheme.oid] ?? unsupported(`key agreement ${scheme.oid}`);
  const wrapAlg = scheme.params ?? notCms('keyEncryptionAlgorithm: no key wrap algorithm');
  const wrap = WRAPS[algorithm(wrapAlg, 'key wrap algorithm').oid] ?? unsupported('key wrap (AES key wrap expected)');
  const choice = elements(found.originator, 'originator', 1, 1)[0]!;
  if (!isCtx(choice, 1)) unsupported('static-static ECDH (an originator certificate, not an originator key)');
  const [originatorAlg, point] = elements(choice, 'OriginatorPublicKey', 2, 2);
  if (algorithm(originatorAlg, 'OriginatorPublicKey.algorithm').oid !== CMS_OIDS.ecPublicKey) unsupported('originator key (id-ecPublicKey expected)');
  if (!(point instanceof asn1js.BitString)) return notCms('OriginatorPublicKey.publicKey: expected a BIT STRING');
  const curve = CURVES[curveOf(key)]!;
  let originatorKey: KeyObject;
  try {
    const spki = seq(seq(oid(CMS_OIDS.ecPublicKey), oid(curve.oid)), new asn1js.BitString({ valueHex: point.valueBlock.valueHexView }));
    originatorKey = createPublicKey({ key: der(spki), format: 'der', type: 'spki' });
  } catch {
    return altered("the originator's public key is not a point of the recipient's curve");
  }
  let z: Buffer;
  try {
    z = diffieHellman({ privateKey: key, publicKey: originatorKey });
  } catch {
    return altered('ECDH with the originator key fails');
  }
  const kek = x963Kdf(hash, z, sharedInfo(decode(wrapAlg.valueBeforeDecodeView, 'key wrap algorithm'), wrap.bytes, found.ukm), wrap.bytes);
  z.fill(0);
  try {
    const d = createDecipheriv(wrap.cipher, kek, WRAP_IV);
    return Buffer.concat([d.update(found.encryptedKey), d.final()]);
  } catch {
    return altered('its content key does not unwrap (AES key wrap integrity check)');
  } finally {
    kek.fill(0);
  }
}

function decryptContent(p: Parsed, contentKey: Buffer): Buffer {
  if (contentKey.length !== p.gcm.keyBytes) altered(`its content key has ${contentKey.length} bytes, ${p.gcm.cipher} takes ${p.gcm.keyBytes}`);
  if (p.mac.length !== p.gcm.tagBytes) altered(`its tag has ${p.mac.length} bytes, the parameters say ${p.gcm.tagBytes}`);
  let d: DecipherGCM;
  try {
    d = createDecipheriv(p.gcm.cipher, contentKey, p.gcm.nonce, { authTagLength: p.gcm.tagBytes });
    d.setAuthTag(p.mac);
  } catch (e) {
    return unsupported(`GCM parameters (${(e as Error).message})`);
  }
  const out = p.content.length === 1 ? d.update(p.content[0]!) : Buffer.allocUnsafe(p.contentBytes);
  if (p.content.length !== 1) {
    let off = 0;
    for (const c of p.content) {
      const part = d.update(c);
      off += part.copy(out, off);
      part.fill(0);
    }
  }
  try {
    d.final();
  } catch {
    out.fill(0);
    return altered('its tag does not match its content');
  }
  return out;
}

/**
 * Decrypts an AuthEnvelopedData (made by sealCms, or by `openssl cms -encrypt -aes-256-gcm` with
 * RSA-OAEP or EC recipients, DER or BER) with the private key of `cert`: checks that `privateKey`
 * is the certificate's, that a recipient is the certificate, unwraps the content key, decrypts
 * and checks GCM's tag. Returns the content only if the tag checks; throws a CmsError otherwise
 * (nothing decrypted is kept). Refuses more than `maxBytes` of content before decrypting it.
 */
export function openCms(file: Buffer, privateKey: KeyObject, cert: X509Certificate, maxBytes: number = CMS_DEFAULTS.maxBytes): Buffer {
  if (privateKey.type !== 'private') throw new CmsError('key', `a ${privateKey.type} key was given, not a private key`);
  if (!isKeyOf(privateKey, cert)) throw new CmsError('key', "the private key is not the certificate's key");
  const me = certIds(cert);
  const p = parseAuthEnvelopedData(file);
  const found = findRecipient(p.recipientInfos, me);
  if (p.contentBytes > maxBytes) throw new CmsError('too-large', `${p.contentBytes} bytes of content, more than ${maxBytes}`);
  if (found.kind === 'kari' && privateKey.asymmetricKeyType !== 'ec') unsupported('key agreement for a non-EC key');
  if (found.kind === 'ktri' && privateKey.asymmetricKeyType !== 'rsa') unsupported('key transport for a non-RSA key');
  const contentKey = found.kind === 'ktri' ? unwrapKeyTransport(found, privateKey) : unwrapKeyAgreement(found, privateKey);
  try {
    return decryptContent(p, contentKey);
  } finally {
    contentKey.fill(0);
  }
}
