/**
 * The host side's one HTTPS client for the lab (Patroni REST, the WAF, probes): the TLS files
 * are read once and kept while their size and mtime do not change (a drill calls this many
 * times a second; a lab rebuilt under the same paths is read again), every call is bounded in
 * time, the body is returned as bytes.
 */
import { readFile, stat } from 'node:fs/promises';
import { request } from 'node:https';

/** PEM files: the CA to verify the server with, and an optional client certificate. */
export interface TlsFiles {
  ca: string;
  cert?: string;
  key?: string;
}

export interface HttpsOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Whole exchange, default 5 s. */
  timeoutMs?: number;
  /** TLS server name (SNI + certificate check) when dialling an address; also sent as `Host`. */
  serverName?: string;
  /** A connection of its own, closed after the answer (a new user), instead of a kept-alive one of the pool. */
  newConnection?: boolean;
}

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const files = new Map<string, { size: number; mtimeMs: number; data: Buffer }>();

/** A file's bytes, read again only when its size or mtime changed. */
export async function readCachedFile(path: string): Promise<Buffer> {
  const st = await stat(path);
  const c = files.get(path);
  if (c && c.size === st.size && c.mtimeMs === st.mtimeMs) return c.data;
  const data = await readFile(path);
  files.set(path, { size: st.size, mtimeMs: st.mtimeMs, data });
  return data;
}

export async function httpsRequest(url: string, tls: TlsFiles, opts: HttpsOptions = {}): Promise<HttpsResponse> {
  const [ca, cert, key] = await Promise.all([
    readCachedFile(tls.ca),
    tls.cert ? readCachedFile(tls.cert) : undefined,
    tls.key ? readCachedFile(tls.key) : undefined,
  ]);
  const timeoutMs = opts.timeoutMs ?? 5000;
  const method = opts.method ?? 'GET';
  const body = typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
  const headers: Record<string, string> = {
    ...(opts.serverName ? { host: `${opts.serverName}${portSuffix(url)}` } : {}),
    ...(body ? { 'content-length': String(body.length) } : {}),
    ...opts.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca,
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
        ...(opts.serverName ? { servername: opts.serverName } : {}),
        ...(opts.newConnection ? { agent: false } : {}),
        headers,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(whole);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      },
    );
    // `timeout` above is socket inactivity; this bounds the whole exchange.
    const whole = setTimeout(() => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => {
      clearTimeout(whole);
      reject(e);
    });
    req.end(body);
  });
}

/** `:port` of a URL when it is not the scheme's default (for the Host header). */
function portSuffix(url: string): string {
  const u = new URL(url);
  return u.port ? `:${u.port}` : '';
}

/** GET a JSON document. */
export async function httpsGetJson<T>(url: string, tls: TlsFiles, timeoutMs = 5000): Promise<{ status: number; body: T }> {
  const r = await httpsRequest(url, tls, { timeoutMs });
  const text = r.body.toString('utf8');
  try {
    return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
  } catch (e) {
    throw new Error(`${url}: invalid JSON (${(e as Error).message})`);
  }
}
