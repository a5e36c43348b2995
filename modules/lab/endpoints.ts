/**
 * Pure derivations of the lab's service endpoints and names from the plan and LAB_PORTS,
 * for components, tests, drills and `hdsctl lab status`.
 */
import { LAB_PORTS } from './context.ts';
import type { LabPlan, LabSite, SiteId } from './types.ts';

function siteOf(plan: LabPlan, id: SiteId): LabSite {
  const s = plan.sites.find((x) => x.id === id);
  if (!s) throw new Error(`lab plan has no site ${id}`);
  return s;
}

/** The backup site holding the pgBackRest repository and the etcd witness. */
export function backupSite(plan: LabPlan): LabSite {
  return siteOf(plan, 'DC3');
}

export interface EtcdMemberEndpoint {
  name: string;
  site: LabSite;
  clientPort: number;
  peerPort: number;
  clientUrl: string;
}

export function etcdMembers(plan: LabPlan): EtcdMemberEndpoint[] {
  return plan.sites.map((site) => ({
    name: `etcd-${site.id.toLowerCase()}`,
    site,
    clientPort: LAB_PORTS.etcdClient,
    peerPort: LAB_PORTS.etcdPeer,
    clientUrl: `https://${site.address}:${LAB_PORTS.etcdClient}`,
  }));
}

export interface PatroniNodeEndpoint {
  /** Patroni member name, e.g. `dc1-documents`. */
  name: string;
  domain: string;
  site: LabSite;
  role: 'primary' | 'standby';
  pgPort: number;
  restPort: number;
  restUrl: string;
  /** Supervisor process name. */
  process: string;
}

export function patroniNodes(plan: LabPlan, domain: string): PatroniNodeEndpoint[] {
  const d = plan.postgresDomains.find((x) => x.name === domain);
  if (!d) throw new Error(`lab plan has no postgres domain ${domain}`);
  return (
    [
      [d.primarySite, 'primary'],
      [d.standbySite, 'standby'],
    ] as const
  ).map(([id, role]) => {
    const site = siteOf(plan, id);
    const name = `${id.toLowerCase()}-${domain}`;
    return {
      name,
      domain,
      site,
      role,
      pgPort: LAB_PORTS.postgres,
      restPort: LAB_PORTS.patroniRest,
      restUrl: `https://${site.address}:${LAB_PORTS.patroniRest}`,
      process: `patroni-${name}`,
    };
  });
}

export interface HaproxyEndpoint {
  site: LabSite;
  process: string;
  statsPort: number;
  clusters: Array<{ domain: string; writePort: number; readPort: number }>;
}

/** One HAProxy per site that runs a PostgreSQL node (DC1, DC2). */
export function haproxyEndpoints(plan: LabPlan): HaproxyEndpoint[] {
  const ids = [...new Set(plan.postgresDomains.flatMap((d) => [d.primarySite, d.standbySite]))];
  return plan.sites
    .filter((s) => ids.includes(s.id))
    .map((site) => ({
      site,
      process: `haproxy-${site.id.toLowerCase()}`,
      statsPort: LAB_PORTS.haproxyStats,
      clusters: plan.postgresDomains.map((d, i) => ({
        domain: d.name,
        writePort: LAB_PORTS.haproxyWrite + 2 * i,
        readPort: LAB_PORTS.haproxyWrite + 2 * i + 1,
      })),
    }));
}

/** Sites running a PostgreSQL node (each also runs a pgBackRest TLS server). */
export function pgSites(plan: LabPlan): LabSite[] {
  const ids = new Set(plan.postgresDomains.flatMap((d) => [d.primarySite, d.standbySite]));
  return plan.sites.filter((s) => ids.has(s.id));
}

export function roleNames(domain: string): { superuser: string; replication: string; rewind: string; app: string; restApi: string } {
  return { superuser: 'postgres', replication: 'replicator', rewind: 'rewind_user', app: `${domain}_app`, restApi: 'patroni' };
}
