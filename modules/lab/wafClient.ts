/**
 * A small HTTPS client for the lab's WAF endpoints: verifies the lab CA and the WAF's
 * server name (the lab has no DNS, so the address is dialled and the name pinned).
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { ensureLabCa } from '../runtime/pki.ts';
import { WAF_SERVER_NAME } from './guests.ts';
import type { LabPlan } from './types.ts';

export interface WafResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export async function wafRequest(
  plan: LabPlan,
  url: string,
  opts: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<WafResponse> {
  const ca = await readFile((await ensureLabCa(join(plan.stateDir, 'pki'))).cert);
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ca,
        servername: WAF_SERVER_NAME,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...opts.headers },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
