/**
 * The lab plan derived from the `lab` environment's model: namespaces per site, the
 * bridge of the site's security chain, each namespace on the first guest address of its
 * site's back zone, everything on-link inside the environment's address block. This is
 * the only source of the lab's names and addresses.
 */

import type { Evaluation } from '../loader/load.ts';
import { formatDiagnostic } from '../loader/load.ts';
import { formatIpv4, lastAddress, parseCidr } from '../model/cidr.ts';
import type { Topology } from '../model/topology.ts';
import type { EnvironmentDoc } from '../model/types.ts';
import type { LabPlan, LabSite, SiteId } from './types.ts';

const SITE_IDS: readonly SiteId[] = ['DC1', 'DC2', 'DC3'];

export class LabPlanError extends Error {}

function asSiteId(id: string): SiteId {
  if (!(SITE_IDS as readonly string[]).includes(id)) throw new LabPlanError(`the lab runs sites ${SITE_IDS.join(', ')}; the lab environment uses "${id}"`);
  return id as SiteId;
}

export function labPlanFromTopology(doc: EnvironmentDoc, topology: Topology, stateDir: string): LabPlan {
  const block = parseCidr(topology.environment.addressBlock);
  if (!block.ok) throw new LabPlanError(block.reason);
  const bridge = topology.securityChains[0]?.bridge;
  if (!bridge) throw new LabPlanError('the lab platform declares no security chain, so no bridge name');

  const sites: LabSite[] = topology.sites.map((s) => {
    const back = topology.zones.find((z) => z.site === s.id && z.zone === 'back');
    if (!back) throw new LabPlanError(`no back zone for ${s.id} in the lab address plan`);
    const lower = s.id.toLowerCase();
    return { id: asSiteId(s.id), netns: `hds-${lower}`, vethHost: `hdsv-${lower}`, vethNs: `hdsn-${lower}`, address: back.firstHost };
  });

  const pg = doc.services.postgresql;
  if (!pg || pg.domains.length === 0) throw new LabPlanError('the lab environment must declare at least one PostgreSQL domain');
  const retention = doc.services.backup?.retention;
  return {
    stateDir,
    bridge: { name: bridge, address: formatIpv4(lastAddress(block.cidr) - 1) },
    prefixLength: block.cidr.prefix,
    supernet: topology.environment.addressBlock,
    sites,
    postgresDomains: pg.domains.map((d) => ({ name: d.name, primarySite: asSiteId(d.primarySite), standbySite: asSiteId(d.standbySite) })),
    hsmKeyDomains: doc.services.hsm?.keyDomains ?? [],
    // pgBackRest keeps N full backups (one a week) and M differentials (one a day) (EXG_PRA_2).
    backupRetention: { full: Math.max(1, retention?.weekly ?? 1), diff: Math.max(1, retention?.daily ?? 1) },
  };
}

/** The plan of environment `name` of an evaluated workspace: it must be valid and run on platform lab. */
export function labPlanFromEvaluation(evaluation: Evaluation, name: string, stateDir: string): LabPlan {
  const topology = evaluation.topologies.get(name);
  if (evaluation.diagnostics.length || !topology) {
    throw new LabPlanError(`environment ${name} is not valid, fix it first:\n${evaluation.diagnostics.map(formatDiagnostic).join('\n')}`);
  }
  if (topology.environment.platform !== 'lab') {
    throw new LabPlanError(
      `environment ${name} runs on platform "${topology.environment.platform}", not on the local lab; use --env with an environment of platform lab`,
    );
  }
  return labPlanFromTopology(evaluation.workspace.environments.get(name)!.doc, topology, stateDir);
}
