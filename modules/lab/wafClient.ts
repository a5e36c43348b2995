/**
 * The lab's WAF endpoints from the host: the lab CA verified, the WAF's service name pinned as
 * TLS server name AND Host header (the lab has no DNS: the address is dialled, the request is
 * addressed to the name, as a real client's would be).
 */
import { join } from 'node:path';
import { ensureLabCa } from '../runtime/pki.ts';
import { WAF_SERVER_NAME } from './guests.ts';
import { httpsRequest } from './https.ts';
import type { LabPlan } from './types.ts';

export interface WafResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const caFiles = new Map<string, string>();

/** The lab CA certificate's path (issued once per state dir). */
async function labCa(plan: LabPlan): Promise<string> {
  let ca = caFiles.get(plan.stateDir);
  if (!ca) {
    ca = (await ensureLabCa(join(plan.stateDir, 'pki'))).cert;
    caFiles.set(plan.stateDir, ca);
  }
  return ca;
}

export async function wafRequest(
  plan: LabPlan,
  url: string,
  opts: { method?: string; body?: unknown; rawBody?: Buffer | string; headers?: Record<string, string>; timeoutMs?: number; newConnection?: boolean } = {},
): Promise<WafResponse> {
  const payload = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const call = async () =>
    httpsRequest(
      url,
      { ca: await labCa(plan) },
      {
        method: opts.method ?? 'GET',
        serverName: WAF_SERVER_NAME,
        timeoutMs: opts.timeoutMs ?? 5000,
        ...(opts.newConnection ? { newConnection: true } : {}),
        headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        ...(payload !== undefined ? { body: payload } : {}),
      },
    );
  let r: Awaited<ReturnType<typeof call>>;
  try {
    r = await call();
  } catch (e) {
    // A lab rebuilt under the same state dir has a new CA file: look it up again once.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    caFiles.delete(plan.stateDir);
    r = await call();
  }
  return { status: r.status, headers: r.headers, body: r.body.toString('utf8') };
}
