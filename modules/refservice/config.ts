/**
 * Configuration of the reference documents service. The file is JSON (or YAML); secrets are
 * never inside it: the database password, the HSM PIN and the object store's keys are read from
 * 0600 files it names. A bad value is refused with one located line:
 * `file:line:col /json/pointer: what (how to fix)` (loadConfig; parseConfig alone has no file).
 */
import { readFile, stat } from 'node:fs/promises';
import { parseJsonText } from '../loader/jsonSource.ts';
import { displayPath } from '../loader/paths.ts';
import { parseYaml } from '../loader/yamlSource.ts';
import { MAX_DOCUMENT_REQUEST_BYTES } from '../model/documents.ts';

/**
 * Where document contents go (issue 13): the S3 API of the Ceph object gateways (RGW). Without
 * it the service keeps the contents in PostgreSQL. Defaults: OBJECT_STORE_DEFAULTS (objectStore.ts).
 */
export interface ObjectStoreConfig {
  /**
   * `https://<address>:<port>` of the gateways, the own site's first, then the others: every
   * call goes to the first that answers (objectStore.ts), any gateway serves the whole store.
   */
  endpoints: string[];
  /** The domain's bucket, e.g. `documents` (DOCUMENTS_BUCKET of modules/services/fromTopology/ceph.ts). */
  bucket: string;
  /** PEM of the CA the gateways' certificates chain to (the platform PKI). */
  caFile: string;
  /** Files (mode 0600) holding the bucket owner's S3 access key and secret key. */
  accessKeyFile: string;
  secretKeyFile: string;
  /** SSE-KMS key id sent with every PUT (the bucket's policy refuses a PUT without SSE-KMS), e.g. `documents`. */
  kmsKeyId: string;
  /** Region signed into requests: the zonegroup's name. @default 'default' (RGW checks signatures with the request's own scope) */
  region?: string;
  /** Bound of one attempt (connection, request and body), ms. @default 5000 */
  requestTimeoutMs?: number;
  /** Total time one call may spend over its attempts and back-off, ms. @default 12000 (with the database's 15 s, under the WAF's 30 s) */
  retryBudgetMs?: number;
}

export interface RefServiceConfig {
  /** Instance name, logged on every line, e.g. `refservice-dc1`. */
  serviceName: string;
  listen: { host: string; port: number };
  database: {
    /** libpq-style URL without password, e.g. `postgresql://refservice@10.199.0.130:5000/documents`. */
    connectionString: string;
    /** File holding the password (mode 0600), optional (trust/cert auth). */
    passwordFile?: string;
    /** Pool size per instance, default 10. */
    poolSize?: number;
    /** Bounded retry of connection-class errors (failover): attempts (default 15) and max backoff (default 2000 ms). */
    retryAttempts?: number;
    retryMaxDelayMs?: number;
    /** Total time one call may spend retrying, default 15000 ms (below the WAF's 30 s read timeout). */
    retryBudgetMs?: number;
    /** Per-statement timeout, default 5000 ms (server side; the client gives up 2 s later). */
    statementTimeoutMs?: number;
    /** Connection (and pool slot) timeout, default 3000 ms. */
    connectTimeoutMs?: number;
  };
  hsm: {
    /** PKCS#11 module, default the Debian SoftHSM2 one. */
    modulePath?: string;
    /** softhsm2.conf of the DC's token (SoftHSM only). */
    softhsmConfPath?: string;
    tokenLabel: string;
    /** File holding the token user PIN (mode 0600). */
    pinFile: string;
    /** Key domain of this micro-service (label of its wrapping key), e.g. `documents`. */
    domain: string;
    /** Create the domain key if missing (default false: the lab provisions keys once). */
    createMissingKey?: boolean;
  };
  /**
   * Maximum request body in bytes, default (and at most) MAX_DOCUMENT_REQUEST_BYTES of
   * modules/model/documents.ts: a 20 MiB document in base64 plus its metadata. Lower only.
   */
  maxBodyBytes?: number;
  /** Document contents in the object store; omitted = in PostgreSQL (issue 13). */
  objectStore?: ObjectStoreConfig;
}

type Path = ReadonlyArray<string | number>;

/** A refused configuration value: where (JSON path, and file:line:col once located), what is wrong, how to fix it. */
export class RefServiceConfigError extends Error {
  override name = 'RefServiceConfigError';
  constructor(
    readonly path: Path,
    readonly what: string,
    readonly hint: string,
    /** `file:line:col` when known (parseConfigText). */
    readonly location?: string,
  ) {
    super(`${location ?? 'invalid refservice config:'} ${pointer(path)}: ${what} (${hint})`);
  }
}

/** RFC 6901 JSON pointer of a path (`/` for the document itself). */
export function pointer(path: Path): string {
  return path.length === 0 ? '/' : path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function fail(path: Path, what: string, hint: string): never {
  throw new RefServiceConfigError(path, what, hint);
}

function str(v: unknown, path: Path): string {
  if (typeof v !== 'string' || v === '') fail(path, v === undefined ? 'is required' : 'must be a non-empty string', 'give a non-empty string');
  return v;
}

function optStr(v: unknown, path: Path): string | undefined {
  return v === undefined ? undefined : str(v, path);
}

function optInt(v: unknown, path: Path, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(path, `must be an integer in [${min}, ${max}]`, `set an integer from ${min} to ${max}`);
  return v;
}

function obj(v: unknown, path: Path): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(path, v === undefined ? 'is required' : 'must be an object', 'give a mapping of its fields');
  return v as Record<string, unknown>;
}

const OBJECT_STORE_KEYS: ReadonlyArray<keyof ObjectStoreConfig> = [
  'endpoints',
  'bucket',
  'caFile',
  'accessKeyFile',
  'secretKeyFile',
  'kmsKeyId',
  'region',
  'requestTimeoutMs',
  'retryBudgetMs',
];

/** S3 bucket names as RGW accepts them for path-style addressing (lower case, digits, `-`, `.`). */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function httpsUrl(v: unknown, path: Path): string {
  const s = str(v, path);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return fail(path, 'is not a URL', 'write https://<gateway address>:<port>');
  }
  // The value is not echoed: a URL may carry credentials by mistake.
  if (u.protocol !== 'https:') fail(path, 'must be an https:// URL', 'the gateways serve S3 over TLS only (RGW refuses SSE-KMS over plain HTTP)');
  if (u.username !== '' || u.password !== '')
    fail(path, 'must not carry credentials', 'remove user:password@; the keys are read from accessKeyFile and secretKeyFile');
  if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '')
    fail(path, 'must be a bare origin', 'write https://<gateway address>:<port> with no path, query or fragment (the bucket is `bucket`)');
  return s.replace(/\/$/, '');
}

function parseObjectStore(v: unknown): ObjectStoreConfig {
  const at = (...p: Array<string | number>): Path => ['objectStore', ...p];
  const o = obj(v, at());
  for (const k of Object.keys(o))
    if (!(OBJECT_STORE_KEYS as readonly string[]).includes(k)) fail(at(k), 'is not a known field', `remove it, or use one of ${OBJECT_STORE_KEYS.join(', ')}`);
  if (!Array.isArray(o.endpoints) || o.endpoints.length === 0)
    fail(at('endpoints'), o.endpoints === undefined ? 'is required' : 'must be a non-empty list', "list the gateways' https URLs, the own site's first");
  const endpoints = o.endpoints.map((e, i) => httpsUrl(e, at('endpoints', i)));
  endpoints.forEach((e, i) => {
    if (endpoints.indexOf(e) !== i) fail(at('endpoints', i), 'repeats an earlier endpoint', 'list each gateway once');
  });
  const bucket = str(o.bucket, at('bucket'));
  if (!BUCKET_RE.test(bucket)) fail(at('bucket'), 'is not a valid bucket name', 'use 3 to 63 characters: lower-case letters, digits, "-" and "."');
  const cfg: ObjectStoreConfig = {
    endpoints,
    bucket,
    caFile: str(o.caFile, at('caFile')),
    accessKeyFile: str(o.accessKeyFile, at('accessKeyFile')),
    secretKeyFile: str(o.secretKeyFile, at('secretKeyFile')),
    kmsKeyId: str(o.kmsKeyId, at('kmsKeyId')),
  };
  const region = optStr(o.region, at('region'));
  if (region !== undefined) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(region)) fail(at('region'), 'is not a valid region name', "use the zonegroup's name (lower-case letters, digits, -)");
    cfg.region = region;
  }
  const rt = optInt(o.requestTimeoutMs, at('requestTimeoutMs'), 100, 600_000);
  if (rt !== undefined) cfg.requestTimeoutMs = rt;
  const rb = optInt(o.retryBudgetMs, at('retryBudgetMs'), 0, 600_000);
  if (rb !== undefined) cfg.retryBudgetMs = rb;
  return cfg;
}

/** Validates a parsed config object (hand-written checks: no schema dependency for one file). */
export function parseConfig(raw: unknown): RefServiceConfig {
  const r = obj(raw, []);
  const listen = obj(r.listen, ['listen']);
  const db = obj(r.database, ['database']);
  const hsm = obj(r.hsm, ['hsm']);
  const conn = str(db.connectionString, ['database', 'connectionString']);
  if (!/^postgres(ql)?:\/\//.test(conn))
    fail(['database', 'connectionString'], 'must be a postgresql:// URL', 'write postgresql://<role>@<host>:<port>/<database>');
  if (/:\/\/[^/@]*:[^/@]*@/.test(conn)) fail(['database', 'connectionString'], 'must not embed a password', 'remove it from the URL and use passwordFile');
  const domain = str(hsm.domain, ['hsm', 'domain']);
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(domain)) fail(['hsm', 'domain'], 'must match ^[a-z][a-z0-9-]{0,31}$', 'use the key domain label, e.g. documents');
  if (hsm.createMissingKey !== undefined && typeof hsm.createMissingKey !== 'boolean')
    fail(['hsm', 'createMissingKey'], 'must be a boolean', 'write true or false');
  const cfg: RefServiceConfig = {
    serviceName: str(r.serviceName, ['serviceName']),
    listen: {
      host: str(listen.host, ['listen', 'host']),
      port: optInt(listen.port, ['listen', 'port'], 1, 65535) ?? fail(['listen', 'port'], 'is required', 'set the TCP port to listen on'),
    },
    database: { connectionString: conn },
    hsm: { tokenLabel: str(hsm.tokenLabel, ['hsm', 'tokenLabel']), pinFile: str(hsm.pinFile, ['hsm', 'pinFile']), domain },
  };
  const pf = optStr(db.passwordFile, ['database', 'passwordFile']);
  if (pf !== undefined) cfg.database.passwordFile = pf;
  const ps = optInt(db.poolSize, ['database', 'poolSize'], 1, 200);
  if (ps !== undefined) cfg.database.poolSize = ps;
  const ra = optInt(db.retryAttempts, ['database', 'retryAttempts'], 1, 100);
  if (ra !== undefined) cfg.database.retryAttempts = ra;
  const rd = optInt(db.retryMaxDelayMs, ['database', 'retryMaxDelayMs'], 10, 60_000);
  if (rd !== undefined) cfg.database.retryMaxDelayMs = rd;
  const rb = optInt(db.retryBudgetMs, ['database', 'retryBudgetMs'], 0, 600_000);
  if (rb !== undefined) cfg.database.retryBudgetMs = rb;
  const st = optInt(db.statementTimeoutMs, ['database', 'statementTimeoutMs'], 100, 600_000);
  if (st !== undefined) cfg.database.statementTimeoutMs = st;
  const ct = optInt(db.connectTimeoutMs, ['database', 'connectTimeoutMs'], 100, 600_000);
  if (ct !== undefined) cfg.database.connectTimeoutMs = ct;
  const mp = optStr(hsm.modulePath, ['hsm', 'modulePath']);
  if (mp !== undefined) cfg.hsm.modulePath = mp;
  const sc = optStr(hsm.softhsmConfPath, ['hsm', 'softhsmConfPath']);
  if (sc !== undefined) cfg.hsm.softhsmConfPath = sc;
  if (hsm.createMissingKey !== undefined) cfg.hsm.createMissingKey = hsm.createMissingKey as boolean;
  const mb = optInt(r.maxBodyBytes, ['maxBodyBytes'], 1024, MAX_DOCUMENT_REQUEST_BYTES);
  if (mb !== undefined) cfg.maxBodyBytes = mb;
  if (r.objectStore !== undefined) cfg.objectStore = parseObjectStore(r.objectStore);
  return cfg;
}

/**
 * Validates config text (`.json`, or YAML for `.yaml`/`.yml`); a refused value becomes one line
 * `file:line:col /pointer: what (how to fix)`, a syntax error `file:line:col: invalid …`.
 */
export function parseConfigText(file: string, text: string): RefServiceConfig {
  const source = /\.ya?ml$/i.test(file) ? parseYaml(file, text) : undefined;
  const bad = source?.syntaxErrors[0];
  if (bad) throw new Error(`${displayPath(file)}:${bad.position.line}:${bad.position.col}: ${bad.message} (${bad.hint})`);
  const raw = source ? source.data : parseJsonText(file, text, 'fix the JSON syntax of the refservice config');
  try {
    return parseConfig(raw);
  } catch (err) {
    if (!(err instanceof RefServiceConfigError)) throw err;
    // JSON is YAML: the same positions serve both.
    const { line, col } = (source ?? parseYaml(file, text)).locate([...err.path]);
    throw new RefServiceConfigError(err.path, err.what, err.hint, `${displayPath(file)}:${line}:${col}`);
  }
}

/** Reads and validates a config file (`.json`, `.yaml` or `.yml`). */
export async function loadConfig(file: string): Promise<RefServiceConfig> {
  return parseConfigText(file, await readFile(file, 'utf8'));
}

/** Reads a secret file, refusing one readable by group or others. */
export async function readSecretFile(file: string): Promise<string> {
  const st = await stat(file);
  if ((st.mode & 0o077) !== 0) throw new Error(`secret file ${file} must not be accessible by group/others (mode ${(st.mode & 0o777).toString(8)})`);
  return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
}
