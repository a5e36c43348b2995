/**
 * The address planner: carves a segregation class's supernet into environment blocks,
 * each block into site blocks, each site block into zone subnets.
 *
 *   supernet (class) ─▶ environment block (by env slot) ─▶ site block (by site slot) ─▶ zone subnet (by zone index)
 *
 * Every step is indexed by a number that is part of the input (environment slot, site slot,
 * zone order), never by the position of an environment among others: adding an environment
 * never renumbers an existing one, and the same input always gives the same plan.
 */
import { type Cidr, formatCidr, formatIpv4, parseCidr, subnet, subnetCount, usableHosts } from './cidr.ts';
import { ZONES, type Zone } from './types.ts';

/** Site blocks per environment block (2 bits): room for DC1, DC2, DC3 and one more site. */
export const SITE_SLOTS = 4;
/** Zone subnets per site block (3 bits): the five zones and three spare for growth. */
export const ZONE_SLOTS = 8;
/** VLAN ids reserved per environment in a class's VLAN range. */
export const VLAN_STRIDE = 8;
/** Host addresses reserved at the start of every zone subnet: .1 gateway, .2-.3 firewall pair, .4-.9 VIPs. */
export const RESERVED_HOSTS = 9;

export interface ZoneSubnet {
  site: string;
  zone: Zone;
  cidr: string;
  gateway: string;
  /** First and last address guests may take. */
  firstHost: string;
  lastHost: string;
  capacity: number;
}

export type PlanError =
  | { code: 'E_CIDR_INVALID'; reason: string }
  | { code: 'E_ADDR_EXHAUSTED'; reason: string };

export interface EnvironmentBlockInput {
  supernet: string;
  environmentPrefix: number;
  slot: number;
}

export function environmentBlock(input: EnvironmentBlockInput): { ok: true; block: Cidr } | { ok: false; error: PlanError } {
  const parsed = parseCidr(input.supernet);
  if (!parsed.ok) return { ok: false, error: { code: 'E_CIDR_INVALID', reason: parsed.reason } };
  const supernet = parsed.cidr;
  if (input.environmentPrefix < supernet.prefix) {
    return {
      ok: false,
      error: {
        code: 'E_CIDR_INVALID',
        reason: `environment prefix /${input.environmentPrefix} is larger than the supernet ${input.supernet}`,
      },
    };
  }
  if (input.environmentPrefix + siteBits() + zoneBits() > 30) {
    return {
      ok: false,
      error: {
        code: 'E_ADDR_EXHAUSTED',
        reason: `environment prefix /${input.environmentPrefix} leaves zone subnets smaller than /30`,
      },
    };
  }
  const block = subnet(supernet, input.environmentPrefix, input.slot);
  if (!block) {
    const count = subnetCount(supernet, input.environmentPrefix);
    return {
      ok: false,
      error: {
        code: 'E_ADDR_EXHAUSTED',
        reason: `slot ${input.slot} is outside ${input.supernet}, which holds ${count} environment blocks of /${input.environmentPrefix} (slots 0-${count - 1})`,
      },
    };
  }
  return { ok: true, block };
}

function siteBits(): number {
  return Math.log2(SITE_SLOTS);
}
function zoneBits(): number {
  return Math.log2(ZONE_SLOTS);
}

export function zonePrefix(environmentPrefix: number): number {
  return environmentPrefix + siteBits() + zoneBits();
}

/** The subnet of one zone on one site of an environment block. */
export function zoneSubnet(block: Cidr, siteSlot: number, site: string, zone: Zone): ZoneSubnet | undefined {
  const siteBlock = subnet(block, block.prefix + siteBits(), siteSlot);
  if (!siteBlock) return undefined;
  const cidr = subnet(siteBlock, zonePrefix(block.prefix), ZONES.indexOf(zone));
  if (!cidr) return undefined;
  const capacity = Math.max(0, usableHosts(cidr.prefix) - RESERVED_HOSTS);
  return {
    site,
    zone,
    cidr: formatCidr(cidr),
    gateway: formatIpv4(cidr.network + 1),
    firstHost: formatIpv4(cidr.network + RESERVED_HOSTS + 1),
    lastHost: formatIpv4(cidr.network + RESERVED_HOSTS + capacity),
    capacity,
  };
}

/** The n-th guest address of a zone subnet (n from 0), or undefined when the subnet is full. */
export function hostAddress(zone: ZoneSubnet, n: number): string | undefined {
  if (n < 0 || n >= zone.capacity) return undefined;
  const parsed = parseCidr(zone.cidr);
  if (!parsed.ok) return undefined;
  return formatIpv4(parsed.cidr.network + RESERVED_HOSTS + 1 + n);
}

/** VLAN id of a zone: the class base, the environment's stride, the zone's index. */
export function defaultVlan(vlanBase: number, slot: number, zone: Zone): number {
  return vlanBase + slot * VLAN_STRIDE + ZONES.indexOf(zone);
}
