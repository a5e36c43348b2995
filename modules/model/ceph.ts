/**
 * Ceph in the model (docs/storage.md): where the daemons of the stretched cluster run on its
 * hosts, and the checks JSON Schema cannot express. Pure.
 *
 * Reference topology (seed 000 §3.2.3: Ceph 3+3 with an external witness): the OSD hosts of the
 * two data sites are bare-metal servers; each also runs the object gateway (RGW, flows.ts
 * CEPH_RGW_HOSTS); the first `monitorsPerSite` of a site also run a monitor, the first a manager;
 * the tie-breaker monitor is a small VM in the third site (`witnessSite`) holding no data. Ceph's
 * stretch mode wants 2 monitors per data site plus the tie-breaker (5): OSDs only talk to the
 * monitors of their own datacenter, so one monitor per site is a single point of failure for that
 * site's OSDs. The lab runs one per site (one namespace address per site: two monitors would bind
 * the same port) and declares `monitorsPerSite: 1`.
 */
import type { Guest } from './topology.ts';
import type { EnvironmentDoc } from './types.ts';

/** `Guest.cluster` of the stretched cluster's hosts (OSD hosts and the tie-breaker). */
export const CEPH_CLUSTER = 'ceph';

/** Where the stretched cluster's daemons run (Topology.ceph). Guest names, model order. */
export interface CephPlacement {
  /** The two data sites (stretch mode: exactly two), in declaration order. */
  sites: string[];
  /** The tie-breaker monitor's site (no data). */
  witnessSite: string;
  /** Hosts running a monitor: `monitorsPerSite` per data site, then the tie-breaker (last). */
  monitors: string[];
  /** Hosts running a manager: the first OSD host of each data site (active/standby). */
  managers: string[];
  /** Hosts running an object gateway (RGW): every OSD host. */
  gateways: string[];
  /** OSD hosts with their OSD count (one BlueStore OSD per data device). */
  osdHosts: Array<{ host: string; site: string; osds: number }>;
}

type Stretched = NonNullable<EnvironmentDoc['services']['ceph']>['stretched'];

/** The daemons' placement from the declaration and the expanded guests. */
export function cephPlacement(c: Stretched, guests: readonly Guest[]): CephPlacement {
  const osdHosts = guests.filter((g) => g.cluster === CEPH_CLUSTER && g.role === 'osd');
  const bySite = (site: string) => osdHosts.filter((g) => g.site === site);
  const tiebreaker = guests.find((g) => g.cluster === CEPH_CLUSTER && g.role === 'witness');
  return {
    sites: [...c.sites],
    witnessSite: c.witnessSite,
    monitors: [...c.sites.flatMap((s) => bySite(s).slice(0, c.monitorsPerSite)), ...(tiebreaker ? [tiebreaker] : [])].map((g) => g.name),
    managers: c.sites.flatMap((s) => bySite(s).slice(0, 1)).map((g) => g.name),
    gateways: osdHosts.map((g) => g.name),
    osdHosts: osdHosts.map((g) => ({ host: g.name, site: g.site, osds: c.osdsPerNode })),
  };
}

export interface CephProblem {
  path: Array<string | number>;
  code: string;
  message: string;
  hint: string;
  requirements: string[];
}

/**
 * Stretch mode's preconditions (Ceph 16): exactly two data sites, at least two OSD hosts in each
 * (the stretch rule takes two hosts per datacenter: 4 copies, 2 per site), monitors on OSD hosts
 * that exist.
 */
export function checkCeph(doc: EnvironmentDoc): CephProblem[] {
  const c = doc.services.ceph?.stretched;
  if (!c) return [];
  const out: CephProblem[] = [];
  const at = (...p: Array<string | number>) => ['services', 'ceph', 'stretched', ...p];
  if (c.sites.length !== 2)
    out.push({
      path: at('sites'),
      code: 'E_CEPH_STRETCH_SITES',
      message: `Ceph stretch mode spans exactly two data sites, ${c.sites.length} declared (${c.sites.join(', ')})`,
      hint: 'list the two active datacenters (e.g. [DC1, DC2]) in services.ceph.stretched.sites and put the tie-breaker in witnessSite',
      requirements: ['EXG_PCA_2'],
    });
  if (c.osdNodesPerSite < 2)
    out.push({
      path: at('osdNodesPerSite'),
      code: 'E_CEPH_OSD_HOSTS',
      message: `${c.osdNodesPerSite} OSD host per site: the stretch rule keeps 2 copies per site on 2 distinct hosts`,
      hint: 'declare osdNodesPerSite: 2 or more',
      requirements: ['EXG_PCA_2'],
    });
  if (c.monitorsPerSite > c.osdNodesPerSite)
    out.push({
      path: at('monitorsPerSite'),
      code: 'E_CEPH_MONITORS',
      message: `${c.monitorsPerSite} monitors per site on ${c.osdNodesPerSite} OSD hosts: monitors run on the OSD hosts, one per host`,
      hint: `set monitorsPerSite to ${Math.min(2, c.osdNodesPerSite)} or declare more OSD hosts`,
      requirements: ['EXG_PCA_2'],
    });
  return out;
}

/**
 * The lab's Ceph declaration (what environments/lab.yaml is to declare under services.ceph): two
 * OSD hosts per data site with one OSD each (4 OSDs, 2 per site: the stretch rule's minimum), one
 * monitor per site (one namespace address per site), the tie-breaker in DC3, the lab's small sizes.
 */
export const LAB_CEPH_DECLARATION: NonNullable<EnvironmentDoc['services']['ceph']> = {
  stretched: {
    sites: ['DC1', 'DC2'],
    osdNodesPerSite: 2,
    monitorsPerSite: 1,
    osdsPerNode: 1,
    witnessSite: 'DC3',
    node: { vcpu: 1, ramGiB: 1, diskGiB: 8 },
    witness: { vcpu: 1, ramGiB: 1, diskGiB: 8 },
  },
};
