/**
 * How the toolkit's own operations reach a running lab's data plane: the domain's primary through
 * the first site's HAProxy, as the domain's owner role, and the sites' SoftHSM tokens with the user
 * PIN the lab generated. One place for what export, import, destroy, the restore test and the
 * configuration set each looked up on their own (the first HAProxy's write port, the token's
 * softhsm2.conf, the PIN file). Production reaches the same things through its own endpoints and
 * its network HSM's PKCS#11 module; nothing here is used for production.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { SOFTHSM_CONF_FILE } from '../services/hsm/render.ts';
import { HsmKeyStore } from '../runtime/hsm/keystore.ts';
import { edgeSites, HSM_TOKEN_LABEL, hsmPaths } from './edgeEndpoints.ts';
import { haproxyEndpoints } from './endpoints.ts';
import type { LabPlan } from './types.ts';
import { appClient } from './probes.ts';
import { secretsDir } from './secrets.ts';

/** The secret file (under the lab's secrets directory) holding the tokens' user PIN. */
export const HSM_USER_PIN_SECRET = 'hsm-user-pin';

/** The domain's primary as the first site's HAProxy serves it, or undefined when none does. */
export function domainWriteEndpoint(plan: LabPlan, domain: string): { host: string; port: number } | undefined {
  const h = haproxyEndpoints(plan)[0];
  const c = h?.clusters.find((x) => x.domain === domain);
  return h && c ? { host: h.address, port: c.writePort } : undefined;
}

/**
 * A client of the domain's database (its primary, through the first HAProxy) as the domain's owner
 * role, TLS checked against the lab CA. `longStatements` for long reads and loads (exports,
 * imports, restores): neither the server's statement_timeout nor the client's query timeout then
 * cut a COPY of millions of rows (a 60 s client timeout stopped a 1 M-user import). Throws naming
 * the domain when no HAProxy serves it.
 */
export async function domainClient(plan: LabPlan, domain: string, o: { timeoutMs?: number; longStatements?: boolean } = {}): Promise<pg.Client> {
  const e = domainWriteEndpoint(plan, domain);
  if (!e) throw new Error(`no HAProxy serves the domain ${domain} in the lab of ${plan.topology.environment.name}`);
  const client = await appClient(plan, domain, e.host, e.port, o.timeoutMs ?? 10_000, { longStatements: o.longStatements === true });
  if (o.longStatements) await client.query('SET statement_timeout = 0');
  return client;
}

/** The lab's SoftHSM tokens, one per WAF site (DC1's first; DC2's is its clone). */
export function labTokens(plan: LabPlan): Array<{ site: string; softhsmConfPath: string }> {
  return edgeSites(plan).map((e) => ({ site: e.site.id, softhsmConfPath: join(hsmPaths(plan.stateDir, e.site.id).confDir, SOFTHSM_CONF_FILE) }));
}

/** The path of the tokens' user PIN file (mode 0600, under the git-ignored state directory). */
export function hsmUserPinFile(plan: LabPlan): string {
  return join(secretsDir(plan.stateDir), HSM_USER_PIN_SECRET);
}

/** The tokens' user PIN, as the lab generated it. */
export async function hsmUserPin(plan: LabPlan): Promise<string> {
  return (await readFile(hsmUserPinFile(plan), 'utf8')).trim();
}

/** What HsmKeyStore.open takes for one of the lab's tokens (the first site's by default). */
export async function labTokenOptions(plan: LabPlan, site?: string): Promise<{ softhsmConfPath: string; tokenLabel: string; userPin: string }> {
  const tokens = labTokens(plan);
  const t = site === undefined ? tokens[0] : tokens.find((x) => x.site === site);
  if (!t)
    throw new Error(
      site === undefined
        ? `environment ${plan.topology.environment.name} has no HSM token in the lab (no WAF site)`
        : `environment ${plan.topology.environment.name} has no HSM token at ${site} (tokens: ${tokens.map((x) => x.site).join(', ') || 'none'})`,
    );
  return { softhsmConfPath: t.softhsmConfPath, tokenLabel: HSM_TOKEN_LABEL, userPin: await hsmUserPin(plan) };
}

/** Opens one of the lab's tokens (the first site's by default); the caller closes it. */
export async function openLabToken(plan: LabPlan, site?: string): Promise<HsmKeyStore> {
  return HsmKeyStore.open(await labTokenOptions(plan, site));
}
