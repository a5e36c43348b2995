/**
 * The lab plan derived from the `lab` environment's model: namespaces per site, the
 * bridge of the site's security chain, each namespace on the first guest address of its
 * site's back zone, everything on-link inside the environment's address block. This is
 * the only source of the lab's names and addresses; the guests and their files come from
 * the topology it carries (guests.ts).
 */
import type { Evaluation } from '../loader/load.ts';
import { formatDiagnostic } from '../loader/load.ts';
import { formatIpv4, lastAddress, parseCidr } from '../model/cidr.ts';
import { isDcsMember, isPgData, isWaf, pgDomains, pgNodes } from '../model/roles.ts';
import type { Topology } from '../model/topology.ts';
import type { EnvironmentDoc } from '../model/types.ts';
import { pgbackrestRetention } from '../services/fromTopology/backup.ts';
import type { LabPlan, LabSite, SiteId } from './types.ts';

const SITE_IDS: readonly SiteId[] = ['DC1', 'DC2', 'DC3'];

export class LabPlanError extends Error {}

function asSiteId(id: string): SiteId {
  if (!(SITE_IDS as readonly string[]).includes(id)) throw new LabPlanError(`the lab runs sites ${SITE_IDS.join(', ')}; the lab environment uses "${id}"`);
  return id as SiteId;
}

/** One namespace has one address: two guests of a kind on one site would bind the same port. */
function oneDataNodePerSite(topology: Topology): void {
  for (const [what, pred] of [
    ['PostgreSQL data node', isPgData],
    ['DCS member', isDcsMember],
    ['WAF', isWaf],
  ] as const) {
    const sites = topology.guests.filter(pred).map((g) => g.site);
    const dup = sites.find((s, i) => sites.indexOf(s) !== i);
    if (dup)
      throw new LabPlanError(
        `the lab runs one ${what} per site (one namespace address per site), but ${dup} has several; declare one domain and one per site in the lab environment`,
      );
  }
}

/**
 * The host-wide names of a lab (namespaces, veth ends, bridge) derived from the environment's
 * network slot, which already gives it its own address block: slot 0 keeps the historical
 * names (`hds-dc1`, `hdsv-dc1`, the platform's bridge), slot N gets `hds-sN-dc1`, `hdsvN-dc1`,
 * `hdsnN-dc1` and `<bridge>sN`. Two lab environments with different slots — the running lab and
 * a taker's rebuilt copy (reversibility bootstrap) — then share no name and no address on one host.
 */
export function labNames(slot: number, bridge: string, site: string): { netns: string; vethHost: string; vethNs: string; bridge: string } {
  const lower = site.toLowerCase();
  if (slot === 0) return { netns: `hds-${lower}`, vethHost: `hdsv-${lower}`, vethNs: `hdsn-${lower}`, bridge };
  const b = `${bridge}s${slot}`;
  if (b.length > 15) throw new LabPlanError(`bridge name ${b} (platform bridge ${bridge} + slot ${slot}) is longer than Linux's 15 characters; shorten the platform's bridge name`);
  return { netns: `hds-s${slot}-${lower}`, vethHost: `hdsv${slot}-${lower}`, vethNs: `hdsn${slot}-${lower}`, bridge: b };
}

export function labPlanFromTopology(doc: EnvironmentDoc, topology: Topology, stateDir: string): LabPlan {
  const block = parseCidr(topology.environment.addressBlock);
  if (!block.ok) throw new LabPlanError(block.reason);
  const chainBridge = topology.securityChains[0]?.bridge;
  if (!chainBridge) throw new LabPlanError('the lab platform declares no security chain, so no bridge name');
  const slot = topology.environment.slot;
  const bridge = labNames(slot, chainBridge, 'DC1').bridge;

  const sites: LabSite[] = topology.sites.map((s) => {
    const back = topology.zones.find((z) => z.site === s.id && z.zone === 'back');
    if (!back) throw new LabPlanError(`no back zone for ${s.id} in the lab address plan`);
    const { netns, vethHost, vethNs } = labNames(slot, chainBridge, s.id);
    return { id: asSiteId(s.id), netns, vethHost, vethNs, address: back.firstHost };
  });

  const domains = pgDomains(topology);
  if (domains.length === 0) throw new LabPlanError('the lab environment must declare at least one PostgreSQL domain');
  oneDataNodePerSite(topology);
  return {
    stateDir,
    bridge: { name: bridge, address: formatIpv4(lastAddress(block.cidr) - 1) },
    prefixLength: block.cidr.prefix,
    supernet: topology.environment.addressBlock,
    sites,
    postgresDomains: domains.map((name) => {
      const [primary, standby] = pgNodes(topology, name);
      return { name, primarySite: asSiteId(primary!.site), standbySite: asSiteId(standby!.site) };
    }),
    hsmKeyDomains: doc.services.hsm?.keyDomains ?? [],
    // pgBackRest keeps N full backups (one a week) and M differentials (one a day) (EXG_PRA_2).
    backupRetention: topology.backup ? pgbackrestRetention(topology.backup.retention) : { full: 1, diff: 1 },
    topology,
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
