/** Network stack of one environment on one site: a vnet and a subnet per zone of the address plan, in the class's SDN zone. */
import type { Construct } from 'constructs';
import { SdnApplier, SdnSubnet, SdnVnet } from '../modules/proxmox/bindings/index.ts';
import type { SiteNetworkPlan } from '../modules/proxmox/plan/network.ts';
import { ProxmoxStack } from './base.ts';
import type { ClusterStack } from './cluster.ts';
import type { StackOptions } from './options.ts';

export class NetworkStack extends ProxmoxStack {
  /** VNet per model zone: compute reads their ids (cross-stack reference). */
  readonly vnets = new Map<string, SdnVnet>();

  constructor(scope: Construct, name: string, environment: string, plan: SiteNetworkPlan, cluster: ClusterStack, opts: StackOptions) {
    super(scope, { name, layer: 'network', cluster: cluster.meta.cluster, site: plan.site, environment }, opts);
    const subnets: SdnSubnet[] = [];
    for (const v of plan.vnets) {
      // The zone id comes from the cluster stack: a cross-stack reference, so the zone exists first.
      const vnet = new SdnVnet(this, `vnet_${v.zone}`, {
        id: v.id,
        zone: cluster.sdnZone.idAttr,
        tag: v.vlan,
        alias: v.alias,
        isolate_ports: false,
        vlan_aware: false,
      });
      this.vnets.set(v.zone, vnet);
      subnets.push(new SdnSubnet(this, `subnet_${v.zone}`, { vnet: vnet.idAttr, cidr: v.cidr, gateway: v.gateway, snat: false }));
    }
    new SdnApplier(this, 'sdn_applier', { on_create: true, on_destroy: true }, { dependsOn: subnets });
  }
}
