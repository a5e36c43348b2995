/**
 * Patroni's REST API from the host, authenticated: the lab client certificate for TLS and, for
 * the unsafe methods, the domain's REST API credentials (the same secret the rendered config
 * names). Used to apply the dynamic (DCS) configuration and by drills (switchover).
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { pgRoleNames } from '../model/roles.ts';
import { PG_PATHS } from '../services/fromTopology/paths.ts';
import { pgCredentialRef } from '../services/fromTopology/postgres.ts';
import { patroniNodes } from './endpoints.ts';
import { guestPath, labSecretOf } from './guests.ts';
import { httpsRequest } from './https.ts';
import { hostClientCert } from './probes.ts';
import type { LabPlan } from './types.ts';

export async function patroniRequest(
  plan: LabPlan,
  domain: string,
  url: string,
  method: 'GET' | 'POST' | 'PATCH',
  body?: unknown,
  timeoutMs = 10_000,
): Promise<{ status: number; body: string }> {
  const tls = await hostClientCert(plan);
  const password = await labSecretOf(plan, pgCredentialRef(plan.topology, domain, 'restapi'));
  const r = await httpsRequest(url, tls, {
    method,
    timeoutMs,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      authorization: `Basic ${Buffer.from(`${pgRoleNames(domain).restApi}:${password}`).toString('base64')}`,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, body: r.body.toString('utf8') };
}

/** Keys of bootstrap.dcs Patroni keeps in the DCS (dynamic configuration). */
const DYNAMIC_KEYS = [
  'ttl',
  'loop_wait',
  'retry_timeout',
  'maximum_lag_on_failover',
  'synchronous_mode',
  'synchronous_mode_strict',
  'synchronous_node_count',
  'failsafe_mode',
  'primary_start_timeout',
  'postgresql',
] as const;

/**
 * Applies the rendered dynamic configuration to a running cluster: `bootstrap.dcs` is read by
 * Patroni only when it bootstraps a cluster, so a cluster created before a design change keeps
 * the old values until they are PATCHed into the DCS (production: the same PATCH, or
 * `patronictl edit-config`, in the change's runbook). Returns the keys it changed.
 */
export async function applyDynamicConfig(plan: LabPlan, domain: string): Promise<string[]> {
  const nodes = patroniNodes(plan, domain);
  const rendered = parseYaml(await readFile(guestPath(plan, nodes[0]!.guest, PG_PATHS.config), 'utf8')) as { bootstrap: { dcs: Record<string, unknown> } };
  const desired = Object.fromEntries(DYNAMIC_KEYS.filter((k) => k in rendered.bootstrap.dcs).map((k) => [k, rendered.bootstrap.dcs[k]]));
  let lastError: unknown;
  for (const n of nodes) {
    try {
      const current = JSON.parse((await patroniRequest(plan, domain, `${n.restUrl}/config`, 'GET')).body) as Record<string, unknown>;
      const changed = Object.keys(desired).filter((k) => JSON.stringify(current[k]) !== JSON.stringify(desired[k]));
      if (changed.length === 0) return [];
      const r = await patroniRequest(plan, domain, `${n.restUrl}/config`, 'PATCH', desired);
      if (r.status !== 200) throw new Error(`PATCH /config on ${n.name}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      return changed;
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError instanceof Error ? lastError : new Error('no Patroni REST API answered');
}
