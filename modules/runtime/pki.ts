/**
 * The lab PKI: one lab CA and leaf certificates, all ECDSA P-256, made with the openssl CLI.
 *
 * Layout of `pkiDir`: `ca.crt`, `ca.key`, and per leaf `<name>.crt`, `<name>.key`,
 * `<name>.req.json` (the request the leaf was issued for, to detect a changed request).
 * Private keys are mode 0600, every file is written to a temp file then renamed.
 * Idempotent: a CA or leaf that exists, is still valid for 30 days, matches its key and
 * (for a leaf) was issued by the current CA for the same request is reused as is.
 *
 * This API is relied on by other modules (WAF, HSM, monitoring): keep its signatures.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseIpv4 } from '../model/cidr.ts';
import { ensureDir, exists, writeFileAtomic } from './fsutil.ts';

export type CertUsage = 'server' | 'client' | 'both';

export interface CertRequest {
  /** File name stem inside pkiDir, e.g. `site-dc1`. */
  name: string;
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  usage: CertUsage;
}

export interface CertPaths {
  cert: string;
  key: string;
  ca: string;
}

const CA_COMMON_NAME = 'hds-platform lab CA';
const CA_DAYS = 3650;
const LEAF_DAYS = 825;
/** A certificate expiring within this many seconds is re-issued. */
const MIN_REMAINING_SECONDS = 30 * 24 * 3600;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CN_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const DNS_RE = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

async function openssl(args: string[], input?: string): Promise<string> {
  const r = await execa('openssl', args, { input, reject: false, timeout: 30_000 });
  if (r.exitCode !== 0) {
    throw new Error(`openssl ${args[0]} failed (exit ${r.exitCode}): ${String(r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  }
  return String(r.stdout);
}

async function opensslOk(args: string[]): Promise<boolean> {
  const r = await execa('openssl', args, { reject: false, timeout: 30_000 });
  return r.exitCode === 0;
}

async function newKeyPem(): Promise<string> {
  return openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
}

async function keyMatchesCert(keyPath: string, certPath: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([openssl(['pkey', '-in', keyPath, '-pubout']), openssl(['x509', '-in', certPath, '-noout', '-pubkey'])]);
    return a.trim() === b.trim();
  } catch {
    return false;
  }
}

async function stillValid(certPath: string): Promise<boolean> {
  return opensslOk(['x509', '-in', certPath, '-noout', '-checkend', String(MIN_REMAINING_SECONDS)]);
}

/** Runs `fn` with a private scratch directory (config and CSR files), always removed. */
async function withScratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'hds-pki-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Ensures the lab CA exists in `pkiDir` and returns the paths of its certificate and key. */
export async function ensureLabCa(pkiDir: string): Promise<{ cert: string; key: string }> {
  await ensureDir(pkiDir, 0o755);
  const cert = join(pkiDir, 'ca.crt');
  const key = join(pkiDir, 'ca.key');
  if ((await exists(cert)) && (await exists(key)) && (await stillValid(cert)) && (await keyMatchesCert(key, cert))) {
    return { cert, key };
  }
  const keyPem = await newKeyPem();
  const certPem = await withScratch(async (dir) => {
    const keyTmp = join(dir, 'ca.key');
    await writeFile(keyTmp, keyPem, { mode: 0o600 });
    const cfg = join(dir, 'ca.cnf');
    await writeFile(
      cfg,
      [
        '[req]',
        'distinguished_name = dn',
        'prompt = no',
        '[dn]',
        `CN = ${CA_COMMON_NAME}`,
        'O = hds-platform',
        '[ext]',
        'basicConstraints = critical,CA:TRUE,pathlen:0',
        'keyUsage = critical,keyCertSign,cRLSign',
        'subjectKeyIdentifier = hash',
        '',
      ].join('\n'),
    );
    return openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      keyTmp,
      '-config',
      cfg,
      '-extensions',
      'ext',
      '-sha256',
      '-days',
      String(CA_DAYS),
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
    ]);
  });
  // Key first: a crash in between leaves a key without a cert, which the check above rejects.
  await writeFileAtomic(key, keyPem, { mode: 0o600 });
  await writeFileAtomic(cert, certPem, { mode: 0o644 });
  return { cert, key };
}

function validateRequest(req: CertRequest): void {
  if (!NAME_RE.test(req.name)) throw new Error(`invalid certificate name ${JSON.stringify(req.name)} (letters, digits, . _ - only)`);
  if (req.name === 'ca') throw new Error('certificate name "ca" is reserved for the lab CA');
  if (!CN_RE.test(req.commonName)) throw new Error(`invalid commonName ${JSON.stringify(req.commonName)}`);
  for (const d of req.dnsNames) if (!DNS_RE.test(d)) throw new Error(`invalid DNS name ${JSON.stringify(d)} in certificate ${req.name}`);
  for (const ip of req.ipAddresses) if (parseIpv4(ip) === undefined) throw new Error(`invalid IPv4 address ${JSON.stringify(ip)} in certificate ${req.name}`);
  if (req.usage !== 'client' && req.dnsNames.length + req.ipAddresses.length === 0) {
    throw new Error(`server certificate ${req.name} needs at least one DNS name or IP address`);
  }
}

function canonicalRequest(req: CertRequest): string {
  return JSON.stringify({
    name: req.name,
    commonName: req.commonName,
    dnsNames: [...req.dnsNames].sort(),
    ipAddresses: [...req.ipAddresses].sort(),
    usage: req.usage,
  });
}

/** The x509v3 extension section of a leaf; exported for the unit test. */
export function leafExtensions(req: CertRequest): string[] {
  const eku = req.usage === 'server' ? 'serverAuth' : req.usage === 'client' ? 'clientAuth' : 'serverAuth,clientAuth';
  const sans = [...req.dnsNames.map((d) => `DNS:${d}`), ...req.ipAddresses.map((ip) => `IP:${ip}`)];
  return [
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature',
    `extendedKeyUsage = ${eku}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    ...(sans.length > 0 ? [`subjectAltName = ${sans.join(',')}`] : []),
  ];
}

/**
 * Ensures a leaf certificate signed by the lab CA (created if needed) and returns the paths
 * of the certificate, its private key (0600) and the CA certificate.
 */
export async function ensureCert(pkiDir: string, req: CertRequest): Promise<CertPaths> {
  validateRequest(req);
  const ca = await ensureLabCa(pkiDir);
  const cert = join(pkiDir, `${req.name}.crt`);
  const key = join(pkiDir, `${req.name}.key`);
  const reqFile = join(pkiDir, `${req.name}.req.json`);
  const wanted = canonicalRequest(req);
  if (
    (await exists(cert)) &&
    (await exists(key)) &&
    (await exists(reqFile)) &&
    (await readFile(reqFile, 'utf8')) === wanted &&
    (await stillValid(cert)) &&
    (await opensslOk(['verify', '-CAfile', ca.cert, cert])) &&
    (await keyMatchesCert(key, cert))
  ) {
    return { cert, key, ca: ca.cert };
  }
  const keyPem = await newKeyPem();
  const certPem = await withScratch(async (dir) => {
    const keyTmp = join(dir, 'leaf.key');
    await writeFile(keyTmp, keyPem, { mode: 0o600 });
    const cfg = join(dir, 'leaf.cnf');
    await writeFile(
      cfg,
      ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', `CN = ${req.commonName}`, 'O = hds-platform', '[ext]', ...leafExtensions(req), ''].join('\n'),
    );
    const csr = join(dir, 'leaf.csr');
    await openssl(['req', '-new', '-key', keyTmp, '-config', cfg, '-out', csr]);
    return openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      String(LEAF_DAYS),
      '-sha256',
      '-extfile',
      cfg,
      '-extensions',
      'ext',
    ]);
  });
  await writeFileAtomic(key, keyPem, { mode: 0o600 });
  await writeFileAtomic(cert, certPem, { mode: 0o644 });
  await writeFileAtomic(reqFile, wanted, { mode: 0o644 });
  return { cert, key, ca: ca.cert };
}
