/**
 * The export's signature (EXG_REV_19, EXG_SEC_4.2): SHA256SUMS signed with an ECDSA P-256 key
 * generated inside the HSM token and never extractable, its certificate (issued by the
 * platform's CA) at the export's root. docs/reversibility.md.
 *
 * A taker checks it with stock tools and nothing from us:
 *
 *   openssl x509 -in signing-cert.pem -pubkey -noout > pub.pem
 *   openssl dgst -sha256 -verify pub.pem -signature SHA256SUMS.sig SHA256SUMS
 *   openssl verify -CAfile <platform CA> signing-cert.pem
 *   sha256sum -c SHA256SUMS
 *
 * PKCS#11 (CKM_ECDSA) signs a digest computed here with node's SHA-256 and returns r||s; the
 * signature is stored DER-encoded (ECDSA-Sig-Value), the form openssl and node verify.
 * The token is reached through the process's shared PKCS#11 module (keystore.ts
 * withTokenSession): graphene is never initialised twice in a process.
 */
import { createHash, createPublicKey, createVerify, type KeyObject, randomBytes, verify as verifyBuffer, X509Certificate } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import * as graphene from 'graphene-pk11';
import { writeFileAtomic } from '../loader/atomicWrite.ts';
import { type HsmKeyStoreOptions, withTokenSession } from '../runtime/hsm/keystore.ts';
import { hashTree, ManifestError, parseSha256sums, SHA256SUMS_FILE, SIGNATURE_FILE, sha256sums, UNLISTED, verifyTree } from './manifest.ts';
import type { ExportFile } from './types.ts';

/** The signing key's certificate at the export's root (listed in SHA256SUMS). */
export const CERTIFICATE_FILE = 'signing-cert.pem';
export const SIGNATURE_ALGORITHM = 'ECDSA-P256-SHA256' as const;
export const SIGN_MECHANISM_NAME = 'CKM_ECDSA';

const P256_CURVE = 'secp256r1';
const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const CN_RE = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}$/;
/** A signing certificate expiring within this many milliseconds is re-issued. */
const MIN_REMAINING_MS = 30 * 24 * 3600 * 1000;
/** SHA256SUMS.sig and signing-cert.pem are small; anything bigger is not ours. */
const MAX_SMALL_FILE = 64 * 1024;

export interface SigningKeyOptions extends HsmKeyStoreOptions {
  /** CKA_LABEL of the key pair (private and public objects carry the same label). */
  label: string;
}

/** Metadata only: never key material. */
export interface SigningKeyMetadata {
  label: string;
  /** CKA_ID, hex. */
  id: string;
  type: 'EC';
  curve: 'P-256';
  extractable: boolean;
  sensitive: boolean;
  neverExtractable: boolean;
  alwaysSensitive: boolean;
  /** Generated inside the token (CKA_LOCAL). */
  local: boolean;
  private: boolean;
  canSign: boolean;
  canDecrypt: boolean;
  canDerive: boolean;
  canUnwrap: boolean;
  mechanism: typeof SIGN_MECHANISM_NAME;
  /** SHA-256 of the public key's SubjectPublicKeyInfo (DER), hex. */
  publicKeySha256: string;
}

export interface SigningKey {
  /** SubjectPublicKeyInfo, PEM. */
  publicKeyPem: string;
  metadata: SigningKeyMetadata;
  /** Whether this call generated the key pair. */
  created: boolean;
}

function assertLabel(label: string): void {
  if (!LABEL_RE.test(label)) throw new Error(`invalid signing key label ${JSON.stringify(label)} (expected ${LABEL_RE})`);
}

function findOne(session: graphene.Session, cls: graphene.ObjectClass, label: string, what: string, tokenLabel: string): graphene.SessionObject | undefined {
  const found = session.find({ class: cls, token: true, label });
  if (found.length > 1) throw new Error(`more than one ${what} labelled ${label} on token ${tokenLabel}; remove the duplicates`);
  return found.length === 1 ? found.items(0) : undefined;
}

/** The EC point of a PKCS#11 public key (CKA_EC_POINT, DER OCTET STRING or raw) as SPKI. */
function publicKeyOf(pub: graphene.SessionObject, label: string): KeyObject {
  // CKA_EC_PARAMS: graphene names it paramsECDSA when reading attributes back.
  const a = pub.getAttribute({ keyType: null, paramsECDSA: null, pointEC: null });
  if (a.keyType !== graphene.KeyType.EC || !Buffer.isBuffer(a.paramsECDSA) || !Buffer.isBuffer(a.pointEC)) {
    throw new Error(`public key ${label} is not an EC key`);
  }
  if (!a.paramsECDSA.equals(graphene.NamedCurve.getByName(P256_CURVE).value)) throw new Error(`public key ${label} is not on curve P-256`);
  let point = a.pointEC;
  if (point.length === 67 && point[0] === 0x04 && point[1] === 0x41) point = point.subarray(2);
  if (point.length !== 65 || point[0] !== 0x04) throw new Error(`public key ${label}: unexpected CKA_EC_POINT encoding (${point.length} bytes)`);
  return createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
}

function metadataOf(priv: graphene.SessionObject, publicKey: KeyObject): SigningKeyMetadata {
  const a = priv.getAttribute({
    label: null,
    id: null,
    keyType: null,
    extractable: null,
    sensitive: null,
    neverExtractable: null,
    alwaysSensitive: null,
    local: null,
    private: null,
    sign: null,
    decrypt: null,
    derive: null,
    unwrap: null,
  });
  if (a.keyType !== graphene.KeyType.EC) throw new Error(`private key ${String(a.label)} is not an EC key`);
  return {
    label: String(a.label),
    id: Buffer.isBuffer(a.id) ? a.id.toString('hex') : '',
    type: 'EC',
    curve: 'P-256',
    extractable: Boolean(a.extractable),
    sensitive: Boolean(a.sensitive),
    neverExtractable: Boolean(a.neverExtractable),
    alwaysSensitive: Boolean(a.alwaysSensitive),
    local: Boolean(a.local),
    private: Boolean(a.private),
    canSign: Boolean(a.sign),
    canDecrypt: Boolean(a.decrypt),
    canDerive: Boolean(a.derive),
    canUnwrap: Boolean(a.unwrap),
    mechanism: SIGN_MECHANISM_NAME,
    publicKeySha256: createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
  };
}

/**
 * Ensures an ECDSA P-256 key pair labelled `opts.label` on the token, generated inside it: the
 * private key is CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE, not modifiable,
 * usable to sign only. Idempotent: an existing pair (found by label) is reused, and refused if its
 * private key could leave the token or do more than sign. Returns the public key and metadata.
 */
export function ensureSigningKey(opts: SigningKeyOptions): SigningKey {
  assertLabel(opts.label);
  return withTokenSession(opts, (session) => {
    let priv = findOne(session, graphene.ObjectClass.PRIVATE_KEY, opts.label, 'private key', opts.tokenLabel);
    let pub = findOne(session, graphene.ObjectClass.PUBLIC_KEY, opts.label, 'public key', opts.tokenLabel);
    let created = false;
    if (!priv && !pub) {
      const id = Buffer.from(`hds:sign:${opts.label}`, 'ascii');
      const pair = session.generateKeyPair(
        graphene.KeyGenMechanism.EC,
        {
          keyType: graphene.KeyType.EC,
          paramsEC: graphene.NamedCurve.getByName(P256_CURVE).value,
          label: opts.label,
          id,
          token: true,
          private: false,
          modifiable: false,
          verify: true,
          encrypt: false,
          wrap: false,
          derive: false,
        },
        {
          keyType: graphene.KeyType.EC,
          label: opts.label,
          id,
          token: true,
          private: true,
          sensitive: true,
          extractable: false,
          modifiable: false,
          sign: true,
          decrypt: false,
          unwrap: false,
          derive: false,
        },
      );
      priv = pair.privateKey;
      pub = pair.publicKey;
      created = true;
    }
    if (!priv) throw new Error(`token ${opts.tokenLabel} holds a public key labelled ${opts.label} without its private key; remove it or choose another label`);
    if (!pub) throw new Error(`token ${opts.tokenLabel} holds a private key labelled ${opts.label} without its public key; choose another label`);
    const publicKey = publicKeyOf(pub, opts.label);
    const metadata = metadataOf(priv, publicKey);
    if (
      metadata.extractable ||
      !metadata.sensitive ||
      !metadata.private ||
      metadata.canDecrypt ||
      metadata.canDerive ||
      metadata.canUnwrap ||
      !metadata.canSign
    ) {
      throw new Error(
        `signing key ${opts.label} on token ${opts.tokenLabel} is not a non-extractable, sensitive, private, sign-only key; refusing to use it (generate a new one under another label)`,
      );
    }
    return { publicKeyPem: String(publicKey.export({ type: 'spki', format: 'pem' })), metadata, created };
  });
}

/** ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs) from the PKCS#11 form r||s. */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 132) throw new Error(`ECDSA signature r||s has an invalid length ${raw.length}`);
  const half = raw.length / 2;
  const integer = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([integer(raw.subarray(0, half)), integer(raw.subarray(half))]);
  const len = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), len, body]);
}

/**
 * Signs `data` with the token's key labelled `opts.label`: SHA-256 here, CKM_ECDSA in the
 * token; returns the DER signature (`openssl dgst -sha256 -verify` accepts it).
 */
export function signWithHsm(opts: SigningKeyOptions, data: Buffer): Buffer {
  assertLabel(opts.label);
  const digest = createHash('sha256').update(data).digest();
  return withTokenSession(opts, (session) => {
    const priv = findOne(session, graphene.ObjectClass.PRIVATE_KEY, opts.label, 'private key', opts.tokenLabel);
    if (!priv) throw new Error(`no signing key labelled ${opts.label} on token ${opts.tokenLabel}; create it with ensureSigningKey`);
    const raw = session.createSign('ECDSA', priv.toType<graphene.PrivateKey>()).once(digest);
    return ecdsaRawToDer(raw);
  });
}

/** What signs an export: the key's certificate and a signing function (DER ECDSA P-256 over SHA-256). */
export interface ExportSigner {
  keyLabel: string;
  /** PEM certificate of the signing key, written as signing-cert.pem. */
  certificatePem: string;
  sign(data: Buffer): Buffer | Promise<Buffer>;
}

/** The export signer backed by the token's key pair `opts.label` and its certificate. */
export function hsmSigner(opts: SigningKeyOptions, certificatePem: string): ExportSigner {
  return { keyLabel: opts.label, certificatePem, sign: (data) => signWithHsm(opts, data) };
}

export interface SigningCertificateRequest {
  /** The HSM key's public key (SPKI PEM, EC P-256), e.g. ensureSigningKey().publicKeyPem. */
  publicKeyPem: string;
  /**
   * The certificate's subject: `{ commonName, organization }`, or a slash-separated name such as
   * `/O=hds-platform/OU=lab/CN=reversibility export signing` (attributes C, ST, L, O, OU, CN;
   * letters, digits, space and . _ ( ) - in values). An organization defaults to hds-platform.
   */
  subject: string | { commonName: string; organization?: string };
  /** The issuing CA's certificate and private key files (e.g. ensureLabCa in modules/runtime/pki.ts). */
  ca: { cert: string; key: string };
  days: number;
  /** Where the certificate is written (atomically, mode 0644). */
  outPath: string;
}

async function openssl(args: string[]): Promise<string> {
  const r = await execa('openssl', args, { reject: false, timeout: 30_000 });
  if (r.exitCode !== 0) {
    throw new Error(`openssl ${args[0]} failed (exit ${r.exitCode}): ${String(r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  }
  return String(r.stdout);
}

function assertP256(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error(`${what} is not an EC P-256 public key`);
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  return (a.export({ type: 'spki', format: 'der' }) as Buffer).equals(b.export({ type: 'spki', format: 'der' }) as Buffer);
}

const DN_KEYS = new Set(['C', 'ST', 'L', 'O', 'OU', 'CN']);

/** The `[dn]` lines of an openssl config for `subject`; throws on anything else than plain names. */
export function subjectLines(subject: SigningCertificateRequest['subject']): string[] {
  const pairs: Array<[string, string]> = [];
  if (typeof subject === 'string') {
    if (!subject.startsWith('/')) throw new Error(`invalid certificate subject ${JSON.stringify(subject)} (expected /O=.../CN=...)`);
    for (const part of subject.slice(1).split('/')) {
      const eq = part.indexOf('=');
      pairs.push([eq > 0 ? part.slice(0, eq) : part, eq > 0 ? part.slice(eq + 1) : '']);
    }
    if (!pairs.some(([k]) => k === 'O')) pairs.unshift(['O', 'hds-platform']);
  } else {
    pairs.push(['CN', subject.commonName], ['O', subject.organization ?? 'hds-platform']);
  }
  if (!pairs.some(([k]) => k === 'CN')) throw new Error(`certificate subject ${JSON.stringify(subject)} has no CN`);
  return pairs.map(([k, v], i) => {
    if (!DN_KEYS.has(k)) throw new Error(`certificate subject attribute ${JSON.stringify(k)} not accepted (use ${[...DN_KEYS].join(', ')})`);
    if (!CN_RE.test(v)) throw new Error(`invalid certificate ${k} ${JSON.stringify(v)} (letters, digits, space . _ ( ) - only)`);
    // openssl's config takes one value per key in a section: repeated keys get the `n.` prefix it ignores.
    return `${i}.${k} = ${v}`;
  });
}

/**
 * Issues a certificate for the HSM public key, signed by the given CA with stock openssl
 * (`x509 -req -force_pubkey`): the request is made with a throw-away key that lives only in a
 * private temporary directory, removed afterwards. keyUsage = critical, digitalSignature;
 * basicConstraints = critical, CA:FALSE. Returns the certificate (PEM), also written to outPath.
 * Idempotent (a resumed export ends with the same files): a certificate already at outPath for
 * the same key and subject, issued by this CA and valid for 30 more days, is kept as it is.
 */
export async function issueSigningCertificate(req: SigningCertificateRequest): Promise<string> {
  const dn = subjectLines(req.subject);
  if (!Number.isInteger(req.days) || req.days < 1 || req.days > 36500) throw new Error(`certificate validity must be 1..36500 days, got ${req.days}`);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(req.publicKeyPem);
  } catch {
    throw new Error('publicKeyPem is not a PEM public key');
  }
  assertP256(publicKey, 'publicKeyPem');
  const kept = await reusableCertificate(req, publicKey, dn);
  if (kept !== undefined) return kept;
  const dir = await mkdtemp(join(tmpdir(), 'hds-signcert-'));
  let certPem: string;
  try {
    const throwAway = join(dir, 'throw-away.key');
    await writeFile(throwAway, await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']), { mode: 0o600 });
    const pub = join(dir, 'hsm-pub.pem');
    await writeFile(pub, String(publicKey.export({ type: 'spki', format: 'pem' })));
    const cfg = join(dir, 'cert.cnf');
    await writeFile(
      cfg,
      [
        '[req]',
        'distinguished_name = dn',
        'prompt = no',
        '[dn]',
        ...dn,
        '[ext]',
        'basicConstraints = critical,CA:FALSE',
        'keyUsage = critical,digitalSignature',
        'subjectKeyIdentifier = hash',
        'authorityKeyIdentifier = keyid',
        '',
      ].join('\n'),
    );
    const csr = join(dir, 'req.csr');
    await openssl(['req', '-new', '-key', throwAway, '-config', cfg, '-out', csr]);
    certPem = await openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-force_pubkey',
      pub,
      '-CA',
      req.ca.cert,
      '-CAkey',
      req.ca.key,
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      String(req.days),
      '-sha256',
      '-extfile',
      cfg,
      '-extensions',
      'ext',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (!sameKey(new X509Certificate(certPem).publicKey, publicKey))
    throw new Error('openssl issued a certificate for another key than the HSM one; check that openssl supports x509 -force_pubkey');
  writeFileAtomic(req.outPath, certPem, 0o644);
  return certPem;
}

/** The certificate at req.outPath when it can be kept (see issueSigningCertificate), else undefined. */
async function reusableCertificate(req: SigningCertificateRequest, publicKey: KeyObject, dn: string[]): Promise<string | undefined> {
  if (!existsSync(req.outPath)) return undefined;
  try {
    const pem = await readFile(req.outPath, 'utf8');
    const cert = new X509Certificate(pem);
    const ca = new X509Certificate(await readFile(req.ca.cert));
    const subject = dn.map((l) => l.replace(/^\d+\.(\w+) = /, '$1=')).join('\n');
    const fresh = Date.parse(cert.validTo) > Date.now() + MIN_REMAINING_MS && Date.parse(cert.validFrom) <= Date.now();
    return sameKey(cert.publicKey, publicKey) && cert.subject === subject && !cert.ca && issuedBy(cert, ca) && fresh ? pem : undefined;
  } catch {
    return undefined;
  }
}

function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  try {
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

export interface SignatureNames {
  /** @default 'data' */
  data?: string;
  /** @default 'signature' */
  signature?: string;
  /** @default 'certificate' */
  certificate?: string;
}

export interface VerifySignatureOptions {
  /** When given, the certificate must be issued (and signed) by this CA. */
  trustedCaPem?: string;
  /** How the problems name the inputs. */
  names?: SignatureNames;
}

/**
 * Every reason the DER ECDSA signature `sigDer` of `data` (a Buffer, or a file path read as a
 * stream) does not verify with the certificate's key, or the certificate does not chain to the
 * trusted CA; empty when all is well. Validity dates are not checked (an export is verified
 * long after it was signed): signExport refuses an expired certificate instead.
 */
export async function signatureProblems(data: string | Buffer, sigDer: Buffer, certPem: string, opts: VerifySignatureOptions = {}): Promise<string[]> {
  const n = { data: 'data', signature: 'signature', certificate: 'certificate', ...opts.names };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return [`${n.certificate}: not a PEM X.509 certificate; the signer's certificate is damaged or replaced: refuse it`];
  }
  let publicKey: KeyObject;
  try {
    publicKey = cert.publicKey;
  } catch {
    return [`${n.certificate}: its public key cannot be read; the signer's certificate is damaged or replaced: refuse it`];
  }
  try {
    assertP256(publicKey, n.certificate);
  } catch (e) {
    return [`${(e as Error).message}; only ${SIGNATURE_ALGORITHM} signatures are accepted`];
  }
  const problems: string[] = [];
  if (opts.trustedCaPem !== undefined) {
    let ca: X509Certificate | undefined;
    try {
      ca = new X509Certificate(opts.trustedCaPem);
    } catch {
      problems.push('trusted CA: not a PEM X.509 certificate; give the platform CA certificate');
    }
    if (ca) {
      if (!ca.ca) problems.push(`trusted CA ${ca.subject.replace(/\n/g, ', ')}: not a CA certificate`);
      else if (!issuedBy(cert, ca)) {
        problems.push(
          `${n.certificate}: not issued by the trusted CA (${ca.subject.replace(/\n/g, ', ')}); the export was not signed by the platform: refuse it`,
        );
      }
    }
  }
  if (cert.ca) problems.push(`${n.certificate}: a CA certificate, not a signing certificate; refuse it`);
  let ok = false;
  try {
    if (Buffer.isBuffer(data)) ok = verifyBuffer('sha256', data, { key: publicKey, dsaEncoding: 'der' }, sigDer);
    else {
      const v = createVerify('sha256');
      for await (const chunk of createReadStream(data, { highWaterMark: 1 << 20 })) v.update(chunk as Buffer);
      ok = v.verify({ key: publicKey, dsaEncoding: 'der' }, sigDer);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [...problems, `${n.data}: missing`];
    ok = false;
  }
  if (!ok) problems.push(`${n.signature}: does not verify ${n.data} with the key of ${n.certificate} (altered, truncated or made by another key); refuse it`);
  return problems;
}

/** Whether `sigDer` is a valid signature of `data` by the certificate's key (chained to the trusted CA when given). */
export async function verifySignature(data: string | Buffer, sigDer: Buffer, certPem: string, opts: VerifySignatureOptions = {}): Promise<boolean> {
  return (await signatureProblems(data, sigDer, certPem, opts)).length === 0;
}

export interface SignExportOptions {
  /**
   * Paths left out of SHA256SUMS (exact, or a directory): work files removed before hand-over.
   * @default []
   */
  exclude?: readonly string[];
  /** Called after each file is hashed (progress bars). */
  onFile?: (file: ExportFile) => void;
}

export interface SignedExport {
  /** Every file listed in SHA256SUMS, sorted by path. */
  files: ExportFile[];
  /** SHA-256 of SHA256SUMS, hex (for reports). */
  sha256sumsSha256: string;
}

/** The token's key `opts.label` with the certificate already in the export (issueSigningCertificate's outPath). */
async function tokenSignerFromExport(dir: string, opts: SigningKeyOptions): Promise<ExportSigner> {
  const path = join(dir, CERTIFICATE_FILE);
  if (!existsSync(path)) throw new Error(`${path}: missing; issue the signing key's certificate there first (issueSigningCertificate)`);
  return hsmSigner(opts, await readFile(path, 'utf8'));
}

/**
 * Signs the export in `dir` with `by` (a signer, or the token's key pair whose certificate is
 * already the export's signing-cert.pem): writes signing-cert.pem (the signer's certificate), then SHA256SUMS
 * (every file but SHA256SUMS and SHA256SUMS.sig) and SHA256SUMS.sig, each atomically; the old
 * signature is removed first, so a crash in between leaves an export refused as unsigned, never
 * one whose signature matches another list. The signature is checked against the certificate
 * before it is written.
 */
export async function signExport(dir: string, by: ExportSigner | SigningKeyOptions, opts: SignExportOptions = {}): Promise<SignedExport> {
  const signer = 'sign' in by ? by : await tokenSignerFromExport(dir, by);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(signer.certificatePem);
  } catch {
    throw new Error(`signer ${signer.keyLabel}: certificatePem is not a PEM X.509 certificate`);
  }
  const now = Date.now();
  if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) {
    throw new Error(
      `signer ${signer.keyLabel}: certificate not valid now (${cert.validFrom} to ${cert.validTo}); issue a new one with issueSigningCertificate`,
    );
  }
  const certPath = join(dir, CERTIFICATE_FILE);
  if (!existsSync(certPath) || (await readFile(certPath, 'utf8')) !== signer.certificatePem) writeFileAtomic(certPath, signer.certificatePem, 0o644);
  await rm(join(dir, SIGNATURE_FILE), { force: true });
  const files = await hashTree(dir, { exclude: [...UNLISTED, ...(opts.exclude ?? [])], onFile: opts.onFile });
  const sums = Buffer.from(sha256sums(files), 'utf8');
  const sig = await signer.sign(sums);
  const problems = await signatureProblems(sums, sig, signer.certificatePem, {
    names: { data: SHA256SUMS_FILE, signature: 'the new signature', certificate: CERTIFICATE_FILE },
  });
  if (problems.length > 0) throw new Error(`signer ${signer.keyLabel}: ${problems.join('; ')} (is the certificate the signing key's?)`);
  writeFileAtomic(join(dir, SHA256SUMS_FILE), sums, 0o644);
  writeFileAtomic(join(dir, SIGNATURE_FILE), sig, 0o644);
  return { files, sha256sumsSha256: createHash('sha256').update(sums).digest('hex') };
}

export interface VerifyExportOptions {
  /** The platform CA's certificate (PEM): the signing certificate must be issued by it. */
  trustedCaPem?: string;
}

export interface ExportVerification {
  ok: boolean;
  /** One line each, naming the file. */
  problems: string[];
  /** Files checked against SHA256SUMS (0 when the signature was refused). */
  checked: number;
}

/** Reads a small regular file (signature, certificate); a problem string when it cannot. */
async function readSmall(dir: string, name: string, what: string): Promise<Buffer | string> {
  const st = await lstat(join(dir, name)).catch(() => undefined);
  if (!st) return `${name}: missing: ${what}; refuse this export`;
  if (!st.isFile()) return `${name}: not a regular file; refuse this export`;
  if (st.size > MAX_SMALL_FILE) return `${name}: ${st.size} bytes, more than a signature or a certificate can be; refuse this export`;
  return readFile(join(dir, name));
}

/**
 * Verifies an export: the signature first (SHA256SUMS.sig over SHA256SUMS with signing-cert.pem's
 * key, the certificate chained to `trustedCaPem` when given); a missing or wrong signature is
 * refused and nothing else is trusted. Then every file against SHA256SUMS: each changed, missing,
 * extra or non-regular file is named.
 */
export async function verifyExport(dir: string, opts: VerifyExportOptions = {}): Promise<ExportVerification> {
  const refused = (problems: string[]): ExportVerification => ({ ok: false, problems, checked: 0 });
  const sig = await readSmall(dir, SIGNATURE_FILE, 'the export is not signed');
  const cert = await readSmall(dir, CERTIFICATE_FILE, "the signer's certificate is not in the export");
  const early = [sig, cert].filter((x): x is string => typeof x === 'string');
  const sumsStat = await lstat(join(dir, SHA256SUMS_FILE)).catch(() => undefined);
  if (!sumsStat) early.push(`${SHA256SUMS_FILE}: missing: the export has no list of its files; refuse this export`);
  else if (!sumsStat.isFile()) early.push(`${SHA256SUMS_FILE}: not a regular file; refuse this export`);
  if (early.length > 0 || typeof sig === 'string' || typeof cert === 'string') return refused(early);
  // Read once: the bytes whose signature is checked are the bytes parsed.
  const sums = await readFile(join(dir, SHA256SUMS_FILE));
  const sigProblems = await signatureProblems(sums, sig, cert.toString('utf8'), {
    trustedCaPem: opts.trustedCaPem,
    names: { data: SHA256SUMS_FILE, signature: SIGNATURE_FILE, certificate: CERTIFICATE_FILE },
  });
  if (sigProblems.length > 0) return refused(sigProblems);
  let listed: ReturnType<typeof parseSha256sums>;
  try {
    listed = parseSha256sums(sums.toString('utf8'));
  } catch (e) {
    if (e instanceof ManifestError) return refused([e.message]);
    throw e;
  }
  const problems = (await verifyTree(dir, listed)).map((p) => p.message);
  return { ok: problems.length === 0, problems, checked: listed.length };
}
