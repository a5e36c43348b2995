/**
 * Documents' contents handed over to the taker (EXG_REV_14, EXG_REV_19, CAIH-S3-8), never in
 * clear on disk: each content is read from the reference service's storage (the row's ciphertext,
 * or its object in the domain's bucket), opened with the source HSM's domain key
 * (modules/refservice/envelope.ts), hashed, and encrypted in process for the taker's certificate
 * (`--recipient`) as CMS (cms.ts: sealCms). The taker opens every file with stock OpenSSL
 * (`openssl cms -decrypt -inform DER -in F -inkey KEY -recip CERT`); the bootstrap re-imports them
 * under the taker's own HSM keys (importDocuments, in process too: cms.ts openCms) and checks every
 * content against the index (verifyDocuments). docs/reversibility.md.
 *
 * CMS profile (cms.ts's header; OpenSSL 3.0, RFC 5083 / RFC 5084): AuthEnvelopedData with
 * AES-256-GCM, not EnvelopedData with AES-256-CBC. OpenSSL 3.0 writes and reads it (`-aes-256-gcm`),
 * and GCM authenticates the content: a flipped byte makes `openssl cms -decrypt` exit non-zero,
 * where CBC decrypts a tampered file to altered bytes with exit status 0 (measured on this Debian,
 * OpenSSL 3.0.19). The per-file content key goes to an RSA recipient with RSAES-OAEP (SHA-256,
 * MGF1-SHA-256) rather than PKCS#1 v1.5, to an EC recipient by ephemeral-static ECDH (X9.63 KDF
 * with SHA-256, AES-256 key wrap). The taker therefore needs OpenSSL >= 3.0 (Debian 12 ships it);
 * 1.1.1 reads no AuthEnvelopedData.
 *
 * In process rather than one `openssl cms` process per document (cms.ts's header has the figures):
 * openssl is still the reader of last resort, for a CMS file cms.ts does not read (EnvelopedData,
 * PKCS#1 v1.5 key transport...): decryptFromRecipient hands it to `openssl cms -decrypt`, whose
 * output is taken only after a zero exit status (it writes the content before it checks GCM's tag),
 * wiped otherwise, and never written to a file.
 *
 * Layout (modules/reversibility/types.ts): documents/<domain>/<id>.cms and documents/index.json.cms
 * (DocumentIndex, encrypted too: it holds the hashes of clear contents).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createPrivateKey, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open as openFile, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { type KeyWrapper, open as openSealed, seal } from '../refservice/envelope.ts';
import { WRAP_MECHANISM_NAME } from '../runtime/hsm/keystore.ts';
import { CmsError, openCms, sealCms } from './cms.ts';
import type { DocumentIndex } from './types.ts';

/** The CMS content-encryption algorithm (see the header: authenticated, read by OpenSSL >= 3.0). */
export const CMS_CONTENT_CIPHER = 'aes-256-gcm';
/** documents/index.json.cms, relative to the export root. */
export const DOCUMENT_INDEX_FILE = 'documents/index.json.cms';

export const DOCUMENTS_DEFAULTS = {
  /** OpenSSL command (only for a CMS file cms.ts does not read: see the header). */
  openssl: 'openssl',
  /** Documents handled at once (each one its content in memory, clear and encrypted). */
  concurrency: 2,
  /** Rows read per keyset page (id order). */
  pageSize: 256,
  /** Inline ciphertexts up to this size come with their page; larger ones are read in CONTENT_SLICE_BYTES slices. */
  inlineWithPageBytes: 64 * 1024,
  /** Slice of a large inline ciphertext read per query (bytea comes back as hex text: 2 characters a byte). */
  contentSliceBytes: 4 * 1024 * 1024,
  /** Largest content decryptFromRecipient returns unless told otherwise (maxBytes). */
  maxDecryptBytes: 2 * 1024 ** 3,
} as const;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A key domain as the HSM key store accepts it: also a safe directory name. */
const DOMAIN_RE = /^[a-z][a-z0-9-]{0,31}$/;
const SHA256_RE = /^[0-9a-f]{64}$/;

/** The export was asked for documents without a recipient certificate: the caller says documents are not exported. */
export class NoRecipientError extends Error {
  override name = 'NoRecipientError';
  constructor() {
    super(
      "documents: no --recipient certificate, so no document content is exported (they are never written in clear); pass the taker's encryption certificate (PEM) with --recipient",
    );
  }
}

export type CmsFailure = 'missing' | 'not-cms' | 'not-for-recipient' | 'altered' | 'key' | 'too-large' | 'failed';

/** A CMS file could not be decrypted: `file` names it, `reason` says why (no content is returned). */
export class CmsDecryptError extends Error {
  override name = 'CmsDecryptError';
  constructor(
    readonly file: string,
    readonly reason: CmsFailure,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** The taker's certificate, as the manifest records it. */
export interface Recipient {
  /** Subject, RDNs joined with ", " (e.g. `CN=Repreneur, O=Taker`). */
  subject: string;
  /** SHA-256 of the certificate's DER, hex. */
  sha256: string;
  keyType: 'rsa' | 'ec';
  notAfter: string;
}

/** The taker's certificate read and checked once (loadRecipient), for every document of an export. */
export interface LoadedRecipient {
  /** The path it was read from (encryptForRecipient uses it only for that same path). */
  path: string;
  cert: X509Certificate;
  recipient: Recipient;
}

export interface CmsOptions {
  /** For a CMS file cms.ts does not read (decryptFromRecipient). @default DOCUMENTS_DEFAULTS.openssl */
  openssl?: string;
}

export interface EncryptOptions extends CmsOptions {
  /** The certificate already read by loadRecipient (not read again per document). @default read from recipientCertPath */
  recipient?: LoadedRecipient;
}

/**
 * Reads and checks the taker's certificate: PEM, an RSA (>= 2048 bits) or EC key, valid now.
 * Throws a one-line error naming the file and the fix.
 */
export async function loadRecipient(certPath: string, now = new Date()): Promise<LoadedRecipient> {
  let pem: Buffer;
  try {
    pem = await readFile(certPath);
  } catch (e) {
    throw new Error(
      `${certPath}: cannot read the recipient certificate (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass the taker's PEM certificate`,
    );
  }
  if (!pem.subarray(0, 64).toString('latin1').includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`${certPath}: not a PEM certificate; convert a DER one with \`openssl x509 -inform DER -in CERT -out CERT.pem\``);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (e) {
    throw new Error(`${certPath}: not a valid X.509 certificate (${(e as Error).message}); pass the taker's encryption certificate`);
  }
  const type = cert.publicKey.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec')
    throw new Error(
      `${certPath}: the certificate's key is ${type ?? 'of an unknown type'}; CMS encryption for the taker needs an RSA (>= 2048 bits) or EC key`,
    );
  const bits = cert.publicKey.asymmetricKeyDetails?.modulusLength;
  if (type === 'rsa' && (bits === undefined || bits < 2048))
    throw new Error(
      `${certPath}: the certificate's RSA key has ${bits ?? 'an unknown number of'} bits; ask the taker for a certificate with an RSA key of at least 2048 bits`,
    );
  const curve = cert.publicKey.asymmetricKeyDetails?.namedCurve;
  if (type === 'ec' && curve !== 'prime256v1' && curve !== 'secp384r1' && curve !== 'secp521r1')
    throw new Error(`${certPath}: the certificate's EC key is on curve ${curve ?? 'unknown'}; ask the taker for a P-256, P-384 or P-521 certificate`);
  if (new Date(cert.validTo) < now || new Date(cert.validFrom) > now)
    throw new Error(`${certPath}: the certificate is not valid now (valid from ${cert.validFrom} to ${cert.validTo}); ask the taker for a current certificate`);
  return {
    path: certPath,
    cert,
    recipient: {
      subject: cert.subject.split('\n').join(', '),
      sha256: createHash('sha256').update(cert.raw).digest('hex'),
      keyType: type,
      notAfter: new Date(cert.validTo).toISOString(),
    },
  };
}

/** The taker's certificate as the manifest records it (loadRecipient's checks). */
export async function readRecipient(certPath: string, now = new Date()): Promise<Recipient> {
  return (await loadRecipient(certPath, now)).recipient;
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs openssl (stdin closed) with its stdout piped into `output`. Resolves once the process
 * exited and the pipe is done; a failure of the pipe is returned (never thrown alone: the exit
 * status usually says more), and kills the process.
 */
async function runOpenssl(bin: string, args: string[], output: Writable): Promise<ChildResult & { outputError?: Error }> {
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < 16_384) stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const draining = pipeline(child.stdout!, output).then(
    () => undefined,
    (e: Error) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return e;
    },
  );
  const [ended, outputError] = await Promise.all([exited, draining]);
  if (ended.spawnError) throw new Error(`cannot run ${bin}: ${ended.spawnError.message}; install OpenSSL >= 3.0 (Debian: apt-get install openssl)`);
  return { code: ended.code, signal: ended.signal, stderr, ...(outputError ? { outputError } : {}) };
}

/** The first lines of openssl's diagnostics, on one line (file paths and reasons only, never content). */
function opensslSays(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, 3)
    .join(' | ')
    .slice(0, 400);
}

/** All of `source` in one buffer (its chunks are not wiped: they may be the caller's own buffers). */
async function collect(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of source as AsyncIterable<Buffer | string>) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    chunks.push(b);
    size += b.length;
  }
  return Buffer.concat(chunks, size);
}

/**
 * Encrypts `source` for the recipient's certificate into `outPath` (CMS AuthEnvelopedData,
 * AES-256-GCM, DER: cms.ts sealCms, in process): a stream is collected in memory first (the callers
 * pass a document's content, or the index). Written to a temp file next to `outPath`, fsync'ed,
 * then renamed. On any failure (the certificate, the source stream, the disk) nothing is left
 * under either name.
 */
export async function encryptForRecipient(
  source: Readable | Buffer,
  recipientCertPath: string,
  outPath: string,
  opts: EncryptOptions = {},
): Promise<{ bytes: number }> {
  const loaded = opts.recipient?.path === recipientCertPath ? opts.recipient : await loadRecipient(recipientCertPath);
  let content: Buffer;
  try {
    content = Buffer.isBuffer(source) ? source : await collect(source);
  } catch (e) {
    throw new Error(`${outPath}: the content could not be read to the end: ${(e as Error).message}`);
  }
  let sealed: Buffer;
  try {
    sealed = sealCms(content, loaded.cert);
  } catch (e) {
    throw new Error(`${outPath}: CMS encryption for ${recipientCertPath} failed: ${(e as Error).message}`);
  } finally {
    if (content !== source) content.fill(0);
  }
  await mkdir(dirname(outPath), { recursive: true });
  const tmp = join(dirname(outPath), `.${basename(outPath)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh: FileHandle = await openFile(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(sealed);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, outPath);
    return { bytes: sealed.length };
  } catch (e) {
    await rm(tmp, { force: true });
    throw new Error(`${outPath}: writing the encrypted file failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Collects a child's output in memory up to `maxBytes`; beyond, the write fails (and the child is killed). */
class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  size = 0;
  overflow = false;
  constructor(private readonly maxBytes: number) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.size + chunk.length > this.maxBytes) {
      this.overflow = true;
      cb(new Error(`more than ${this.maxBytes} bytes`));
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    cb();
  }
  wipe(): void {
    for (const c of this.chunks) c.fill(0);
    this.chunks.length = 0;
  }
}

/** The taker's private key and certificate read once and checked to go together (loadRecipientKey). */
export interface RecipientKeyPair {
  keyPath: string;
  certPath: string;
  key: KeyObject;
  cert: X509Certificate;
}

export interface DecryptOptions extends CmsOptions {
  /** Refuse (and wipe) a content larger than this (e.g. the index's size of the document). @default DOCUMENTS_DEFAULTS.maxDecryptBytes */
  maxBytes?: number;
  /** File holding the passphrase of an encrypted private key. */
  passphraseFile?: string;
  /** The name used in errors (e.g. the file's path relative to the export root). @default inPath */
  name?: string;
  /** The key pair already read by loadRecipientKey (used when its paths are keyPath and certPath). @default read from keyPath and certPath */
  keyPair?: RecipientKeyPair;
}

/** What the taker must know, for each reason (the same words whichever decrypted: cms.ts or openssl). */
function failureMessage(reason: Exclude<CmsFailure, 'missing' | 'failed'>, said: string, keyPath: string, certPath: string, maxBytes: number): string {
  switch (reason) {
    case 'key':
      return `cannot read the private key ${keyPath} or certificate ${certPath} (${said}); check the paths and the passphrase`;
    case 'not-cms':
      return `not a complete CMS structure (truncated or corrupted: ${said}); take the file again from the export`;
    case 'not-for-recipient':
      return `no recipient of this file matches ${certPath} with key ${keyPath} (${said}): the export was made for another --recipient certificate, or its key block was altered; use the key of the certificate named in manifest.json (documents.recipient)`;
    case 'altered':
      return `fails AES-256-GCM authentication (${said}): the file was altered, or ${keyPath} is not the recipient's key; compare it with SHA256SUMS`;
    case 'too-large':
      return `its content is larger than the ${maxBytes} bytes expected; the file does not match the index`;
  }
}

/** Sorts openssl's diagnostics into what the taker must know. */
function decryptFailure(name: string, keyPath: string, certPath: string, stderr: string, maxBytes: number): CmsDecryptError {
  const said = opensslSays(stderr);
  const fail = (reason: Exclude<CmsFailure, 'missing' | 'failed'>) =>
    new CmsDecryptError(name, reason, failureMessage(reason, said, keyPath, certPath, maxBytes));
  if (/Could not (?:read|open|find).*key|unable to load.*key|bad decrypt.*pass|Could not read private key|No such file/i.test(stderr) && !/CMS/.test(said))
    return fail('key');
  if (/Error (?:reading|parsing) (?:SMIME|CMS)|not enough data|wrong tag|header too long|too long|nested asn1 error|asn1_d2i/i.test(stderr))
    return fail('not-cms');
  if (/using private key|no matching recipient|NO_MATCHING_RECIPIENT/i.test(stderr)) return fail('not-for-recipient');
  if (/Error decrypting CMS structure|bad decrypt|tag|cipher final|authenticat/i.test(stderr)) return fail('altered');
  return new CmsDecryptError(name, 'failed', `openssl cms -decrypt failed (${said || 'no diagnostic'})`);
}

/** `openssl cms -decrypt` of a file cms.ts does not read; its output taken only after a zero exit status. */
async function decryptWithOpenssl(inPath: string, keyPath: string, certPath: string, opts: DecryptOptions, name: string, maxBytes: number): Promise<Buffer> {
  const args = ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', inPath, '-inkey', keyPath, '-recip', certPath];
  if (opts.passphraseFile !== undefined) args.push('-passin', `file:${opts.passphraseFile}`);
  const out = new Collector(maxBytes);
  const r = await runOpenssl(opts.openssl ?? DOCUMENTS_DEFAULTS.openssl, args, out);
  if (out.overflow) {
    out.wipe();
    throw new CmsDecryptError(name, 'too-large', failureMessage('too-large', '', keyPath, certPath, maxBytes));
  }
  if (r.code !== 0 || r.outputError) {
    out.wipe();
    if (r.code === 0) throw new CmsDecryptError(name, 'failed', `reading openssl's output failed: ${r.outputError!.message}`);
    throw decryptFailure(name, keyPath, certPath, r.stderr, maxBytes);
  }
  return out.chunks.length === 1 ? out.chunks[0]! : Buffer.concat(out.chunks, out.size);
}

/** Room for the CMS structure around a content of maxBytes (recipients, BER chunk headers) before a file is refused unread. */
const fileBytesFor = (maxBytes: number) => maxBytes + Math.ceil(maxBytes / 64) + 1024 * 1024;

/**
 * Decrypts a CMS file made by encryptForRecipient (or any CMS AuthEnvelopedData for that key, or
 * through openssl any EnvelopedData) with the recipient's private key: in process (cms.ts
 * openCms), the content returned only once GCM's tag checked. Throws a CmsDecryptError naming the
 * file and the reason; nothing decrypted is kept on failure.
 */
export async function decryptFromRecipient(inPath: string, keyPath: string, certPath: string, opts: DecryptOptions = {}): Promise<Buffer> {
  const name = opts.name ?? inPath;
  const maxBytes = opts.maxBytes ?? DOCUMENTS_DEFAULTS.maxDecryptBytes;
  let size: number;
  try {
    size = (await stat(inPath)).size;
  } catch {
    throw new CmsDecryptError(name, 'missing', 'missing from the export; take the export again');
  }
  if (size > fileBytesFor(maxBytes)) throw new CmsDecryptError(name, 'too-large', failureMessage('too-large', '', keyPath, certPath, maxBytes));
  let pair: RecipientKeyPair;
  if (opts.keyPair !== undefined && opts.keyPair.keyPath === keyPath && opts.keyPair.certPath === certPath) pair = opts.keyPair;
  else {
    const loaded = await readKeyPair(keyPath, certPath, opts.passphraseFile);
    if ('failure' in loaded) throw new CmsDecryptError(name, 'key', failureMessage('key', loaded.failure, keyPath, certPath, maxBytes));
    pair = loaded;
  }
  let file: Buffer;
  try {
    file = await readFile(inPath);
  } catch {
    throw new CmsDecryptError(name, 'missing', 'missing from the export; take the export again');
  }
  try {
    return openCms(file, pair.key, pair.cert, maxBytes);
  } catch (e) {
    if (!(e instanceof CmsError)) throw e;
    if (e.kind === 'unsupported') return decryptWithOpenssl(inPath, keyPath, certPath, opts, name, maxBytes);
    throw new CmsDecryptError(name, e.kind, failureMessage(e.kind, e.message, keyPath, certPath, maxBytes));
  }
}

/** Reads the key (with its passphrase) and the certificate and checks they go together; a one-line failure otherwise. */
async function readKeyPair(
  keyPath: string,
  certPath: string,
  passphraseFile: string | undefined,
): Promise<RecipientKeyPair | { failure: string; message: string }> {
  const why = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  let key: KeyObject;
  try {
    const passphrase = passphraseFile !== undefined ? (await readFile(passphraseFile, 'utf8')).replace(/\r?\n$/, '') : undefined;
    key = createPrivateKey({ key: await readFile(keyPath), ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch (e) {
    return { failure: why(e), message: `${keyPath}: cannot read the recipient's private key (${why(e)}); check the path and the passphrase` };
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(await readFile(certPath));
  } catch (e) {
    return { failure: why(e), message: `${certPath}: cannot read the recipient's certificate (${why(e)})` };
  }
  if (!cert.checkPrivateKey(key))
    return {
      failure: "the private key is not the certificate's key",
      message: `${keyPath}: this private key is not the key of certificate ${certPath}; pass the certificate that goes with the key`,
    };
  return { keyPath, certPath, key, cert };
}

/**
 * Reads the taker's private key (passphraseFile: the file holding its passphrase) and certificate
 * once, and checks that the key is the certificate's (a clear error rather than one per document).
 */
export async function loadRecipientKey(keyPath: string, certPath: string, passphraseFile?: string): Promise<RecipientKeyPair> {
  const r = await readKeyPair(keyPath, certPath, passphraseFile);
  if ('failure' in r) throw new Error(r.message);
  return r;
}

/**
 * Checks that `keyPath` is the private key of `certPath` before any file is tried (a clear error
 * rather than one per document).
 */
export async function checkRecipientKey(keyPath: string, certPath: string, passphraseFile?: string): Promise<void> {
  await loadRecipientKey(keyPath, certPath, passphraseFile);
}

/** documents/<domain>/<id>.cms; refuses a domain or id that is not safe as a path segment. */
export function documentFile(domain: string, id: string): string {
  if (!DOMAIN_RE.test(domain)) throw new Error(`document ${id}: key domain ${JSON.stringify(domain)} is not a valid domain (${DOMAIN_RE})`);
  if (!UUID_RE.test(id)) throw new Error(`document id ${JSON.stringify(id)} is not a lower-case UUID`);
  return `documents/${domain}/${id}.cms`;
}

/**
 * Parses and checks a decrypted DocumentIndex; errors name the file and the JSON pointer of the
 * first problem of each entry (every problem collected).
 */
export function parseDocumentIndex(text: string, name = DOCUMENT_INDEX_FILE): DocumentIndex {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${name}: not JSON (${(e as Error).message}); take the export again`);
  }
  const problems: string[] = [];
  const d = doc as { version?: unknown; documents?: unknown };
  if (typeof doc !== 'object' || doc === null) throw new Error(`${name} /: expected an object`);
  if (d.version !== 1) problems.push(`/version: expected 1, got ${JSON.stringify(d.version)}`);
  if (!Array.isArray(d.documents)) problems.push('/documents: expected an array');
  const seen = new Set<string>();
  /** The first problem of one entry, undefined when it is well-formed. */
  const entryProblem = (e: unknown, p: string): string | undefined => {
    const x = e as Record<string, unknown>;
    if (typeof e !== 'object' || e === null) return `${p}: expected an object`;
    if (typeof x.domain !== 'string' || !DOMAIN_RE.test(x.domain)) return `${p}/domain: expected a key domain`;
    if (typeof x.id !== 'string' || !UUID_RE.test(x.id)) return `${p}/id: expected a lower-case UUID`;
    if (x.file !== documentFile(x.domain, x.id)) return `${p}/file: expected ${documentFile(x.domain, x.id)}`;
    if (typeof x.size !== 'number' || !Number.isSafeInteger(x.size) || x.size < 0) return `${p}/size: expected a byte count`;
    if (typeof x.sha256 !== 'string' || !SHA256_RE.test(x.sha256)) return `${p}/sha256: expected 64 lower-case hex characters`;
    if (seen.has(x.id)) return `${p}/id: ${x.id} is listed twice`;
    seen.add(x.id);
    return undefined;
  };
  const list = Array.isArray(d.documents) ? (d.documents as unknown[]) : [];
  list.forEach((e, i) => {
    const problem = entryProblem(e, `/documents/${i}`);
    if (problem !== undefined) problems.push(problem);
  });
  if (problems.length > 0)
    throw new Error(
      `${name}: invalid document index: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}; take the export again`,
    );
  return doc as DocumentIndex;
}

/** The index as JSON, streamed entry by entry (a large index is never one string). */
function indexJson(index: DocumentIndex): Readable {
  return Readable.from(
    (function* () {
      yield `{"version":${index.version},"documents":[`;
      let first = true;
      for (const e of index.documents) {
        yield `${first ? '' : ','}\n${JSON.stringify({ domain: e.domain, id: e.id, file: e.file, size: e.size, sha256: e.sha256 })}`;
        first = false;
      }
      yield '\n]}\n';
    })(),
    { objectMode: false },
  );
}

/** Writes documents/index.json.cms under `dir`, encrypted for the recipient. */
export async function writeDocumentIndex(index: DocumentIndex, recipientCert: string, dir: string, opts: EncryptOptions = {}): Promise<void> {
  await encryptForRecipient(indexJson(index), recipientCert, join(dir, DOCUMENT_INDEX_FILE), opts);
}

/** Decrypts and checks documents/index.json.cms under `dir`. */
export async function readDocumentIndex(
  dir: string,
  recipientKey: string,
  recipientCert: string,
  opts: Omit<DecryptOptions, 'name'> = {},
): Promise<DocumentIndex> {
  const clear = await decryptFromRecipient(join(dir, DOCUMENT_INDEX_FILE), recipientKey, recipientCert, { ...opts, name: DOCUMENT_INDEX_FILE });
  return parseDocumentIndex(clear.toString('utf8'));
}

/** Where the service keeps sealed contents (the lead wires the domain's S3 bucket). */
export interface DocumentContentSource {
  /** The object's bytes (the sealed ciphertext); undefined when there is no such object. */
  get(key: string, domain: string): Promise<Buffer | Readable | undefined>;
}

export interface DocumentContentSink {
  /** Stores the taker's sealed ciphertext at `key` in the domain's bucket (idempotent). */
  put(key: string, body: Buffer, domain: string): Promise<void>;
}

/** What `query` needs (a pg.Client or PoolClient, in the export's snapshot transaction). */
export type Queryable = Pick<pg.ClientBase, 'query'>;

export interface DocumentsProgress {
  done: number;
  total: number;
  /** Clear bytes so far. */
  bytes: number;
}

export interface ExportDocumentsOptions extends CmsOptions {
  /** The source database, inside the export's snapshot (REPEATABLE READ) so the index matches the data files. */
  client: Queryable;
  store: DocumentContentSource;
  /** The source HSM (opens each content with its domain key). */
  keys: KeyWrapper;
  /** The taker's certificate (PEM); undefined or empty: NoRecipientError. */
  recipientCert: string | undefined;
  /** The export root. */
  dir: string;
  /**
   * The database's business domain: every row must be sealed under this key domain (the service
   * seals under its own); a row under another stops the export, naming it. @default any key domain
   */
  domain?: string;
  /**
   * Index entries of documents an interrupted export finished (its journal, by file): reused as
   * they are when the entry matches the row and its .cms file exists (the content is not read again).
   */
  resumed?: ReadonlyMap<string, DocumentIndexEntry>;
  /** Files already written by an interrupted export, without their entries: not rewritten, their content read and hashed again for the index. */
  skip?: (rel: string) => boolean;
  /** Called once a document's .cms file is in place (for the caller's journal); calls may overlap (concurrency). */
  onDocument?: (entry: DocumentIndexEntry) => void | Promise<void>;
  onProgress?: (p: DocumentsProgress) => void;
  /** @default DOCUMENTS_DEFAULTS.concurrency */
  concurrency?: number;
  /** @default DOCUMENTS_DEFAULTS.pageSize */
  pageSize?: number;
  /** Write documents/index.json.cms (false: the caller merges several sources' indexes and calls writeDocumentIndex). @default true */
  writeIndex?: boolean;
}

export interface ExportDocumentsResult {
  index: DocumentIndex;
  count: number;
  /** Clear bytes of every content. */
  bytes: number;
  /** .cms files written by this run (the others were resumed or skipped as already done). */
  written: number;
  recipient: Recipient;
}

interface PageRow {
  id: string;
  key_domain: string;
  size_bytes: number;
  content_object: string | null;
  content_length: number | null;
  content_ciphertext: Buffer | null;
  content_iv: Buffer;
  content_tag: Buffer;
  wrapped_key: Buffer;
}

const PAGE_COLUMNS = `id::text AS id, key_domain, size_bytes, content_object, octet_length(content_ciphertext) AS content_length,
       CASE WHEN octet_length(content_ciphertext) <= $2 THEN content_ciphertext END AS content_ciphertext,
       content_iv, content_tag, wrapped_key`;
const FIRST_PAGE_SQL = `SELECT ${PAGE_COLUMNS} FROM documents ORDER BY id LIMIT $1`;
const NEXT_PAGE_SQL = `SELECT ${PAGE_COLUMNS} FROM documents WHERE id > $3::uuid ORDER BY id LIMIT $1`;
const COUNT_SQL = 'SELECT count(*)::bigint AS n FROM documents';
const SLICE_SQL = 'SELECT substring(content_ciphertext FROM $2 FOR $3) AS chunk FROM documents WHERE id = $1::uuid';

/** Runs fn over items with at most `limit` at once; results in input order; waits for all before throwing the first error. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length > 0) throw errors[0];
  return out;
}

async function readAll(body: Readable, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBytes) {
      body.destroy();
      throw new Error(`${what}: more than the ${maxBytes} bytes expected`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks, size);
}

/** An inline ciphertext too large to come with its page, read in slices on the same client (same snapshot). */
async function inlineCiphertext(client: Queryable, row: PageRow, sliceBytes: number): Promise<Buffer> {
  const length = row.content_length ?? 0;
  const out = Buffer.allocUnsafe(length);
  let off = 0;
  while (off < length) {
    const n = Math.min(sliceBytes, length - off);
    const r = await client.query<{ chunk: Buffer | null }>(SLICE_SQL, [row.id, off + 1, n]);
    const chunk = r.rows[0]?.chunk;
    if (!chunk || chunk.length !== n) throw new Error(`document ${row.id}: its content changed while it was read (outside a snapshot?)`);
    off += chunk.copy(out, off);
  }
  return out;
}

/** Removes temp files an interrupted run left under documents/ (never a finished .cms). */
async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function removeStaleTemps(documentsDir: string): Promise<void> {
  let domains: string[];
  try {
    domains = await readdir(documentsDir);
  } catch {
    return;
  }
  for (const d of [...domains.map((x) => join(documentsDir, x)), documentsDir]) {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      continue;
    }
    for (const n of names) if (n.startsWith('.') && n.endsWith('.tmp')) await rm(join(d, n), { force: true });
  }
}

export type DocumentIndexEntry = DocumentIndex['documents'][number];

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Exports every document's content (rows of `documents` in id order, keyset pages: memory bounded
 * by pageSize small rows plus `concurrency` contents), each opened with the source HSM and
 * encrypted for the recipient into documents/<domain>/<id>.cms, then the index. A content that
 * cannot be read or opened stops the export with an error naming the document (an export is
 * complete or it is not one).
 */
export async function exportDocuments(o: ExportDocumentsOptions): Promise<ExportDocumentsResult> {
  if (o.recipientCert === undefined || o.recipientCert === '') throw new NoRecipientError();
  // Read and checked once for every document (not once per document).
  const loaded = await loadRecipient(o.recipientCert);
  const recipient = loaded.recipient;
  const cert = o.recipientCert;
  const D = DOCUMENTS_DEFAULTS;
  const pageSize = o.pageSize ?? D.pageSize;
  const concurrency = o.concurrency ?? D.concurrency;
  const cms: EncryptOptions = { ...(o.openssl !== undefined ? { openssl: o.openssl } : {}), recipient: loaded };
  const skip = o.skip ?? (() => false);
  await removeStaleTemps(join(o.dir, 'documents'));
  const total = Number((await o.client.query<{ n: string }>(COUNT_SQL)).rows[0]?.n ?? 0);
  const documents: DocumentIndex['documents'] = [];
  let bytes = 0;
  let written = 0;

  const one = async (row: PageRow): Promise<DocumentIndexEntry> => {
    if (o.domain !== undefined && row.key_domain !== o.domain)
      throw new Error(`document ${row.id}: sealed under key domain ${row.key_domain}, not ${o.domain} (the database's domain); check the row before exporting`);
    const file = documentFile(row.key_domain, row.id);
    const previous = o.resumed?.get(file);
    if (previous && previous.id === row.id && previous.domain === row.key_domain && previous.size === row.size_bytes && (await isFile(join(o.dir, file))))
      return previous;
    let ciphertext: Buffer;
    if (row.content_object !== null) {
      const got = await o.store.get(row.content_object, row.key_domain);
      if (got === undefined)
        throw new Error(`document ${row.id}: its object ${row.content_object} is missing from the ${row.key_domain} bucket; restore it before exporting`);
      ciphertext = Buffer.isBuffer(got) ? got : await readAll(got, row.size_bytes, `document ${row.id}: object ${row.content_object}`);
    } else ciphertext = row.content_ciphertext ?? (await inlineCiphertext(o.client, row, D.contentSliceBytes));
    let clear: Buffer;
    try {
      clear = openSealed({ ciphertext, iv: row.content_iv, tag: row.content_tag, wrappedKey: row.wrapped_key }, row.id, row.key_domain, o.keys);
    } catch (e) {
      throw new Error(
        `document ${row.id}: its content cannot be opened with the HSM's ${row.key_domain} key (${(e as Error).message}); the content or its envelope is damaged, or the key is not this HSM's`,
      );
    }
    try {
      const entry = { domain: row.key_domain, id: row.id, file, size: clear.length, sha256: sha256(clear) };
      if (!skip(file)) {
        await encryptForRecipient(clear, cert, join(o.dir, file), cms);
        written++;
        await o.onDocument?.(entry);
      }
      return entry;
    } finally {
      clear.fill(0);
    }
  };

  let after: string | undefined;
  for (;;) {
    const page =
      after === undefined
        ? await o.client.query<PageRow>(FIRST_PAGE_SQL, [pageSize, D.inlineWithPageBytes])
        : await o.client.query<PageRow>(NEXT_PAGE_SQL, [pageSize, D.inlineWithPageBytes, after]);
    const entries = await mapBounded(page.rows, concurrency, one);
    for (const e of entries) {
      documents.push(e);
      bytes += e.size;
    }
    o.onProgress?.({ done: documents.length, total: Math.max(total, documents.length), bytes });
    if (page.rows.length < pageSize) break;
    after = page.rows.at(-1)!.id;
  }
  const index: DocumentIndex = { version: 1, documents };
  if (o.writeIndex !== false && !skip(DOCUMENT_INDEX_FILE)) await writeDocumentIndex(index, cert, o.dir, cms);
  return { index, count: documents.length, bytes, written, recipient };
}

export interface ImportDocumentsOptions extends CmsOptions {
  /** The taker's database, its `documents` rows already loaded from the CSV (with the source's envelopes). */
  client: Queryable;
  store: DocumentContentSink;
  /** The taker's HSM. */
  keys: KeyWrapper;
  recipientKey: string;
  recipientCert: string;
  passphraseFile?: string;
  /** The export root. */
  dir: string;
  /** Recorded in documents.key_mechanism. @default WRAP_MECHANISM_NAME (CKM_AES_KEY_WRAP_PAD) */
  keyMechanism?: string;
  onProgress?: (p: DocumentsProgress) => void;
  /** @default DOCUMENTS_DEFAULTS.concurrency */
  concurrency?: number;
}

export interface ImportDocumentsResult {
  /** The decrypted index (for verifyDocuments). */
  index: DocumentIndex;
  /** Documents re-sealed under the taker's keys. */
  count: number;
  bytes: number;
  /** One line each; none expected. */
  differences: string[];
}

interface TargetRow {
  key_domain: string;
  size_bytes: number;
  content_object: string | null;
  inline: boolean;
}

const TARGET_SQL = 'SELECT key_domain, size_bytes, content_object, content_ciphertext IS NOT NULL AS inline FROM documents WHERE id = $1::uuid';
const UPDATE_OBJECT_SQL = 'UPDATE documents SET content_iv = $2, content_tag = $3, wrapped_key = $4, key_mechanism = $5 WHERE id = $1::uuid';
const UPDATE_INLINE_SQL =
  'UPDATE documents SET content_iv = $2, content_tag = $3, wrapped_key = $4, key_mechanism = $5, content_ciphertext = $6 WHERE id = $1::uuid';

/**
 * Re-imports the documents under the taker's keys: decrypts the index (a wrong key or certificate
 * stops here, with the reason), then each document: decrypted, checked against the index (size,
 * SHA-256), sealed with the taker's HSM domain key, its ciphertext put at the row's object key (or
 * into the row when it was inline), and the row's envelope replaced. A document that fails is a
 * difference (named), the others go on; a rerun redoes every document from the export (idempotent).
 */
export async function importDocuments(o: ImportDocumentsOptions): Promise<ImportDocumentsResult> {
  // Read once and checked to go together, before any file is tried (a clear error rather than one per document).
  const keyPair = await loadRecipientKey(o.recipientKey, o.recipientCert, o.passphraseFile);
  const cms: DecryptOptions = { ...(o.openssl !== undefined ? { openssl: o.openssl } : {}), keyPair };
  const pass = o.passphraseFile !== undefined ? { passphraseFile: o.passphraseFile } : {};
  const index = await readDocumentIndex(o.dir, o.recipientKey, o.recipientCert, { ...cms, ...pass });
  const mechanism = o.keyMechanism ?? WRAP_MECHANISM_NAME;
  const total = index.documents.length;
  const differences: string[] = [];
  let count = 0;
  let bytes = 0;
  let done = 0;

  /** One document: its difference, or undefined once re-sealed. */
  const one = async (e: DocumentIndexEntry): Promise<string | undefined> => {
    try {
      const row = (await o.client.query<TargetRow>(TARGET_SQL, [e.id])).rows[0];
      if (!row) return `${e.file}: document ${e.id} is in the index but not in the database's documents table`;
      if (row.key_domain !== e.domain) return `${e.file}: the row's key domain is ${row.key_domain}, the index says ${e.domain}`;
      if (row.size_bytes !== e.size) return `${e.file}: the row's size_bytes is ${row.size_bytes}, the index says ${e.size}`;
      let clear: Buffer;
      try {
        clear = await decryptFromRecipient(join(o.dir, e.file), o.recipientKey, o.recipientCert, { ...cms, ...pass, name: e.file, maxBytes: e.size });
      } catch (err) {
        if (err instanceof CmsDecryptError) return err.message;
        throw err;
      }
      try {
        const got = sha256(clear);
        if (clear.length !== e.size || got !== e.sha256)
          return `${e.file}: content of ${clear.length} bytes, SHA-256 ${got}; the index says ${e.size} bytes, SHA-256 ${e.sha256}`;
        const sealed = seal(clear, e.id, e.domain, o.keys);
        if (row.inline) await o.client.query(UPDATE_INLINE_SQL, [e.id, sealed.iv, sealed.tag, sealed.wrappedKey, mechanism, sealed.ciphertext]);
        else {
          await o.store.put(row.content_object!, sealed.ciphertext, e.domain);
          await o.client.query(UPDATE_OBJECT_SQL, [e.id, sealed.iv, sealed.tag, sealed.wrappedKey, mechanism]);
        }
        count++;
        bytes += clear.length;
        return undefined;
      } finally {
        clear.fill(0);
      }
    } finally {
      done++;
      o.onProgress?.({ done, total, bytes });
    }
  };

  // Slices of the index, so the results of a large one are not all pending at once; differences in index order.
  const concurrency = o.concurrency ?? DOCUMENTS_DEFAULTS.concurrency;
  for (let i = 0; i < total; i += concurrency * 64)
    for (const d of await mapBounded(index.documents.slice(i, i + concurrency * 64), concurrency, one)) if (d !== undefined) differences.push(d);

  const rows = Number((await o.client.query<{ n: string }>(COUNT_SQL)).rows[0]?.n ?? 0);
  if (rows !== total) differences.push(`documents: the table has ${rows} rows, the index lists ${total} documents`);
  return { index, count, bytes, differences };
}

export interface VerifyDocumentsOptions {
  /** A document's clear content read back through the service (its API, with the taker's keys). */
  read(id: string): Promise<Buffer>;
  index: DocumentIndex;
  /** @default DOCUMENTS_DEFAULTS.concurrency */
  concurrency?: number;
  onProgress?: (p: DocumentsProgress) => void;
}

/** Reads every indexed document back and compares its size and SHA-256 with the index; returns the differences (one line each). */
export async function verifyDocuments(o: VerifyDocumentsOptions): Promise<string[]> {
  const differences: string[] = [];
  let done = 0;
  let bytes = 0;
  const total = o.index.documents.length;
  const concurrency = o.concurrency ?? DOCUMENTS_DEFAULTS.concurrency;
  const check = async (e: DocumentIndexEntry): Promise<string | undefined> => {
    try {
      const clear = await o.read(e.id);
      const got = sha256(clear);
      bytes += clear.length;
      if (clear.length !== e.size || got !== e.sha256)
        return `document ${e.id} (${e.domain}): read back ${clear.length} bytes, SHA-256 ${got}; the index says ${e.size} bytes, SHA-256 ${e.sha256}`;
      return undefined;
    } catch (err) {
      return `document ${e.id} (${e.domain}): cannot be read back (${(err as Error).message})`;
    } finally {
      done++;
      o.onProgress?.({ done, total, bytes });
    }
  };
  for (let i = 0; i < total; i += concurrency * 64)
    for (const d of await mapBounded(o.index.documents.slice(i, i + concurrency * 64), concurrency, check)) if (d !== undefined) differences.push(d);
  return differences;
}
