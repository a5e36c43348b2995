/**
 * Configuration of the reference documents service. The file is JSON (or YAML); secrets are
 * never inside it: the database password and the HSM PIN are read from 0600 files it names.
 */
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { MAX_DOCUMENT_REQUEST_BYTES } from '../model/documents.ts';

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
}

function fail(msg: string): never {
  throw new Error(`invalid refservice config: ${msg}`);
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') fail(`${what} must be a non-empty string`);
  return v;
}

function optStr(v: unknown, what: string): string | undefined {
  return v === undefined ? undefined : str(v, what);
}

function optInt(v: unknown, what: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${what} must be an integer in [${min}, ${max}]`);
  return v;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} must be an object`);
  return v as Record<string, unknown>;
}

/** Validates a parsed config object (hand-written checks: no schema dependency for one file). */
export function parseConfig(raw: unknown): RefServiceConfig {
  const r = obj(raw, 'config');
  const listen = obj(r.listen, 'listen');
  const db = obj(r.database, 'database');
  const hsm = obj(r.hsm, 'hsm');
  const conn = str(db.connectionString, 'database.connectionString');
  if (!/^postgres(ql)?:\/\//.test(conn)) fail('database.connectionString must be a postgresql:// URL');
  if (/:\/\/[^/@]*:[^/@]*@/.test(conn)) fail('database.connectionString must not embed a password (use passwordFile)');
  const domain = str(hsm.domain, 'hsm.domain');
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(domain)) fail('hsm.domain must match ^[a-z][a-z0-9-]{0,31}$');
  if (hsm.createMissingKey !== undefined && typeof hsm.createMissingKey !== 'boolean') fail('hsm.createMissingKey must be a boolean');
  const cfg: RefServiceConfig = {
    serviceName: str(r.serviceName, 'serviceName'),
    listen: { host: str(listen.host, 'listen.host'), port: optInt(listen.port, 'listen.port', 1, 65535) ?? fail('listen.port is required') },
    database: { connectionString: conn },
    hsm: { tokenLabel: str(hsm.tokenLabel, 'hsm.tokenLabel'), pinFile: str(hsm.pinFile, 'hsm.pinFile'), domain },
  };
  const pf = optStr(db.passwordFile, 'database.passwordFile');
  if (pf !== undefined) cfg.database.passwordFile = pf;
  const ps = optInt(db.poolSize, 'database.poolSize', 1, 200);
  if (ps !== undefined) cfg.database.poolSize = ps;
  const ra = optInt(db.retryAttempts, 'database.retryAttempts', 1, 100);
  if (ra !== undefined) cfg.database.retryAttempts = ra;
  const rd = optInt(db.retryMaxDelayMs, 'database.retryMaxDelayMs', 10, 60_000);
  if (rd !== undefined) cfg.database.retryMaxDelayMs = rd;
  const rb = optInt(db.retryBudgetMs, 'database.retryBudgetMs', 0, 600_000);
  if (rb !== undefined) cfg.database.retryBudgetMs = rb;
  const st = optInt(db.statementTimeoutMs, 'database.statementTimeoutMs', 100, 600_000);
  if (st !== undefined) cfg.database.statementTimeoutMs = st;
  const ct = optInt(db.connectTimeoutMs, 'database.connectTimeoutMs', 100, 600_000);
  if (ct !== undefined) cfg.database.connectTimeoutMs = ct;
  const mp = optStr(hsm.modulePath, 'hsm.modulePath');
  if (mp !== undefined) cfg.hsm.modulePath = mp;
  const sc = optStr(hsm.softhsmConfPath, 'hsm.softhsmConfPath');
  if (sc !== undefined) cfg.hsm.softhsmConfPath = sc;
  if (hsm.createMissingKey !== undefined) cfg.hsm.createMissingKey = hsm.createMissingKey as boolean;
  const mb = optInt(r.maxBodyBytes, 'maxBodyBytes', 1024, MAX_DOCUMENT_REQUEST_BYTES);
  if (mb !== undefined) cfg.maxBodyBytes = mb;
  return cfg;
}

/** Reads and validates a config file (`.json`, `.yaml` or `.yml`). */
export async function loadConfig(file: string): Promise<RefServiceConfig> {
  const text = await readFile(file, 'utf8');
  const raw: unknown = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  return parseConfig(raw);
}

/** Reads a secret file, refusing one readable by group or others. */
export async function readSecretFile(file: string): Promise<string> {
  const { stat } = await import('node:fs/promises');
  const st = await stat(file);
  if ((st.mode & 0o077) !== 0) throw new Error(`secret file ${file} must not be accessible by group/others (mode ${(st.mode & 0o777).toString(8)})`);
  return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
}
