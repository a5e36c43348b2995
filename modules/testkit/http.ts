/** Minimal HTTP(S) client for tests (node:http/https, bounded by a timeout). */
import http from 'node:http';
import https from 'node:https';

export interface TestResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface TestRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM CA for https (server certificate is verified against it). */
  ca?: string;
  /** TLS SNI / name to verify, default `localhost`. */
  servername?: string;
  timeoutMs?: number;
  /** Extra TLS options (min/max version, ciphers) for negative TLS tests. */
  tls?: Pick<https.RequestOptions, 'minVersion' | 'maxVersion' | 'ciphers'>;
}

export function request(req: TestRequest): Promise<TestResponse> {
  const u = new URL(req.url);
  const isHttps = u.protocol === 'https:';
  const mod = isHttps ? https : http;
  return new Promise((resolve, reject) => {
    const r = mod.request(
      u,
      {
        method: req.method ?? 'GET',
        headers: { ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}), ...(req.headers ?? {}) },
        ...(isHttps ? { ca: req.ca, servername: req.servername ?? 'localhost', agent: false, ...(req.tls ?? {}) } : { agent: false }),
        timeout: req.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`timeout ${req.method ?? 'GET'} ${req.url}`)));
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}
