/**
 * Network plan of one environment on one site: the SDN zone of its class on that site and a
 * vnet + subnet per zone of the address plan. Production and non-production never share an
 * SDN zone or a bridge: the zone is the platform's bridge of the class (EXG_PSE_4, EXG_PSE_5).
 */
import type { Topology } from '../../model/topology.ts';
import type { Segregation, Zone } from '../../model/types.ts';
import { sdnZoneId, vnetId } from './ids.ts';

export interface VnetPlan {
  id: string;
  /** SDN zone id. */
  sdnZone: string;
  zone: Zone;
  alias: string;
  vlan: number;
  cidr: string;
  gateway: string;
}

export interface SiteNetworkPlan {
  site: string;
  segregation: Segregation;
  sdnZone: string;
  bridge: string;
  vnets: VnetPlan[];
}

export function networkPlan(t: Topology, site: string): SiteNetworkPlan {
  const zones = t.zones.filter((z) => z.site === site);
  const bridge = zones[0]?.bridge ?? '';
  const sdnZone = sdnZoneId(bridge);
  return {
    site,
    segregation: t.environment.segregation,
    sdnZone,
    bridge,
    vnets: zones.map((z) => ({
      id: vnetId(t, z.zone),
      sdnZone,
      zone: z.zone,
      alias: `${t.environment.name} ${z.zone} ${site}`,
      vlan: z.vlan,
      cidr: z.cidr,
      gateway: z.gateway,
    })),
  };
}
