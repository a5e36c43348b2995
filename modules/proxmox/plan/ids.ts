/**
 * Identifiers on the Proxmox side, derived from the model only (pure, deterministic):
 * VM ids, MAC addresses, SDN zone/vnet ids, firewall object names. Every one of them is
 * built from numbers that are part of the input (class, environment slot, site slot,
 * service kind), never from the position of an environment among others, so adding an
 * environment never renumbers an existing one (same rule as the address plan).
 *
 * Proxmox limits the names: SDN zone and vnet ids are at most 8 lowercase alphanumerics,
 * security group names at most 18 characters; `checkNames` in names.test.ts holds them to it.
 */
import { SITE_SLOTS } from '../../model/addressPlan.ts';
import { blockSize, parseCidr } from '../../model/cidr.ts';
import { type Guest, SERVICE_KINDS, type ServiceKind, type Topology } from '../../model/topology.ts';
import type { Segregation, Zone } from '../../model/types.ts';

const ZONE_CODES: Record<Zone, string> = { front: 'fr', back: 'bk', admin: 'ad', backup: 'bu', interconnect: 'ic' };

const SERVICE_CODES: Record<ServiceKind, string> = {
  waf: 'waf',
  bastion: 'bst',
  openshift: 'ocp',
  postgresql: 'pg',
  kafka: 'kfk',
  ceph: 'ceph',
  hsm: 'hsm',
  monitoring: 'mon',
  backup: 'bkp',
};

function segCode(segregation: Segregation): 'p' | 'n' {
  return segregation === 'production' ? 'p' : 'n';
}

/** `p00`, `n07`: class and slot, unique per platform and class (the address plan guarantees it). */
export function envCode(t: Topology): string {
  return `${segCode(t.environment.segregation)}${String(t.environment.slot).padStart(2, '0')}`;
}

/** The site's slot in the environment block, recovered from the address plan (stable: declared in the platform). */
function siteSlot(t: Topology, site: string): number {
  const block = parseCidr(t.environment.addressBlock);
  const zone = t.zones.find((z) => z.site === site);
  if (!block.ok || !zone) throw new Error(`site ${site} has no zone in environment ${t.environment.name}`);
  const z = parseCidr(zone.cidr);
  if (!z.ok) throw new Error(`invalid zone subnet ${zone.cidr}`);
  return Math.floor((z.cidr.network - block.cidr.network) / (blockSize(block.cidr.prefix) / SITE_SLOTS));
}

/**
 * VM id: class digit (1 production, 2 non-production), environment slot (2 digits), site slot,
 * service kind, then the guest's rank among the guests of its service on its site:
 * 1 SS s K NN, e.g. 1 00 1 3 04 = production, slot 0, DC2, PostgreSQL, 5th guest.
 * Stable as long as a service only grows at the end of its member list on a site.
 */
export function vmIds(t: Topology): Map<string, number> {
  const ids = new Map<string, number>();
  const rank = new Map<string, number>();
  const base = (t.environment.segregation === 'production' ? 1 : 2) * 1_000_000 + t.environment.slot * 10_000;
  for (const g of t.guests) {
    if (g.hosting !== 'vm') continue;
    const key = `${g.site}/${g.service}`;
    const n = rank.get(key) ?? 0;
    rank.set(key, n + 1);
    if (n > 99) throw new Error(`more than 100 ${g.service} VMs on ${g.site} in ${t.environment.name}: the VM id plan has room for 100`);
    ids.set(g.name, base + siteSlot(t, g.site) * 1_000 + SERVICE_KINDS.indexOf(g.service) * 100 + n);
  }
  return ids;
}

/** Locally administered, deterministic MAC (02:xx...), so installers (OpenShift agent config) know it in advance. */
export function macAddress(vmid: number, nic: number): string {
  const v = vmid * 16 + nic;
  const bytes = [0x02, 0x48, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** SDN zone id of a class on a site: the platform's bridge name for that class and site (at most 8 characters). */
export function sdnZoneId(bridge: string): string {
  const id = bridge.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (!/^[a-z][a-z0-9]{0,7}$/.test(id)) throw new Error(`bridge name "${bridge}" cannot be an SDN zone id (1-8 alphanumerics, starting with a letter)`);
  return id;
}

/** VNet id of an environment's zone: `p00fr`, `n07ad` (also the bridge name on the nodes). */
export function vnetId(t: Topology, zone: Zone): string {
  return `${envCode(t)}${ZONE_CODES[zone]}`;
}

/** Security group of a (service, role) of an environment: `p00-pg-primary` (at most 18 characters). */
export function securityGroupName(t: Topology, g: Pick<Guest, 'service' | 'role'>): string {
  const role = g.role.replace(/[^a-z0-9]/gi, '').slice(0, 10);
  return `${envCode(t)}-${SERVICE_CODES[g.service]}-${role}`;
}

/** IP set of the far ends of one flow seen from one site: `p00-pg-replication-in`. */
export function ipsetName(t: Topology, flow: string, direction: 'in' | 'out'): string {
  return `${envCode(t)}-${flow}-${direction}`;
}

/** Terraform-safe construct id. */
export function tfId(...parts: string[]): string {
  return parts
    .join('_')
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .replace(/^([0-9])/, '_$1');
}
