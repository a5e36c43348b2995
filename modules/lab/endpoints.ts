/**
 * Pure derivations of the lab's service endpoints and process names from the plan's topology
 * (the guests the lab runs, guests.ts) and the model's ports, for components, tests, drills
 * and `hdsctl lab status`. Names are the guests' names; addresses are their lab addresses.
 */
import { haproxyPorts, PORTS } from '../model/ports.ts';
import { dcsMembers, pgNodes } from '../model/roles.ts';
import type { Guest } from '../model/topology.ts';
import { guestAddress, labGuests, labSiteOf } from './guests.ts';
import type { LabPlan, LabSite } from './types.ts';

/** The backup site: it holds the pgBackRest repository (and the DCS witness). */
export function backupSite(plan: LabPlan): LabSite {
  const repo = labGuests(plan).repository;
  if (!repo) throw new Error('the lab environment declares no backup server');
  return labSiteOf(plan, repo.site);
}

export interface EtcdMemberEndpoint {
  /** Guest name = etcd member name = supervisor process name. */
  name: string;
  guest: Guest;
  site: LabSite;
  clientPort: number;
  peerPort: number;
  clientUrl: string;
}

export function etcdMembers(plan: LabPlan): EtcdMemberEndpoint[] {
  return dcsMembers(plan.topology).map((guest) => ({
    name: guest.name,
    guest,
    site: labSiteOf(plan, guest.site),
    clientPort: PORTS.etcdClient,
    peerPort: PORTS.etcdPeer,
    clientUrl: `https://${guestAddress(plan, guest)}:${PORTS.etcdClient}`,
  }));
}

export interface PatroniNodeEndpoint {
  /** Patroni member name = guest name. */
  name: string;
  guest: Guest;
  domain: string;
  site: LabSite;
  role: 'primary' | 'standby';
  address: string;
  pgPort: number;
  restPort: number;
  restUrl: string;
  /** Supervisor process name. */
  process: string;
}

export function patroniNodes(plan: LabPlan, domain: string): PatroniNodeEndpoint[] {
  const nodes = pgNodes(plan.topology, domain);
  if (nodes.length === 0) throw new Error(`lab plan has no postgres domain ${domain}`);
  return nodes.map((guest) => {
    const address = guestAddress(plan, guest);
    return {
      name: guest.name,
      guest,
      domain,
      site: labSiteOf(plan, guest.site),
      role: guest.role === 'primary' ? 'primary' : 'standby',
      address,
      pgPort: PORTS.postgres,
      restPort: PORTS.patroniRest,
      restUrl: `https://${address}:${PORTS.patroniRest}`,
      process: `patroni-${guest.name}`,
    };
  });
}

export interface HaproxyEndpoint {
  guest: Guest;
  site: LabSite;
  address: string;
  process: string;
  statsPort: number;
  clusters: Array<{ domain: string; writePort: number; readPort: number }>;
}

/** The HAProxy the lab runs on each site that has one (the first of the model's pair). */
export function haproxyEndpoints(plan: LabPlan): HaproxyEndpoint[] {
  return labGuests(plan).haproxy.map((guest) => ({
    guest,
    site: labSiteOf(plan, guest.site),
    address: guestAddress(plan, guest),
    process: `haproxy-${guest.name}`,
    statsPort: PORTS.haproxyStats,
    clusters: plan.postgresDomains.map((d, i) => ({ domain: d.name, writePort: haproxyPorts(i).write, readPort: haproxyPorts(i).read })),
  }));
}
