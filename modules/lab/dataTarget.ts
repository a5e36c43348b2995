/**
 * Where synthetic datasets go in the lab (`hdsctl dataset generate --target lab`): the
 * write endpoint (HAProxy, DC1) of the reference domain's cluster, as its owner role, TLS
 * verified against the lab CA. Undefined when the lab is not up.
 */

import { join } from 'node:path';
import { pgRoleNames } from '../model/roles.ts';
import { ensureLabCa } from '../runtime/pki.ts';
import { pgCredentialRef } from '../services/fromTopology/postgres.ts';
import { labComponents } from './components/all.ts';
import { edgeSites, refserviceDomain } from './edgeEndpoints.ts';
import { labSecretOf } from './guests.ts';
import { labStatus } from './lab.ts';
import type { LabPlan } from './types.ts';

export async function labWriteUrl(plan: LabPlan): Promise<string | undefined> {
  const status = await labStatus(plan, { components: labComponents(plan) });
  if (!status.up) return undefined;
  const domain = refserviceDomain(plan);
  const e = edgeSites(plan)[0]!;
  const ca = await ensureLabCa(join(plan.stateDir, 'pki'));
  const password = await labSecretOf(plan, pgCredentialRef(plan.topology, domain, 'app'));
  const query = new URLSearchParams({ sslmode: 'verify-ca', sslrootcert: ca.cert, uselibpqcompat: 'true' });
  return `postgres://${pgRoleNames(domain).app}:${encodeURIComponent(password)}@${e.pgWriteHost}:${e.pgWritePort}/${domain}?${query}`;
}
