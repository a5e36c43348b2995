/** SDN: VLAN zones, vnets, subnets and the applier (short names, provider >= 0.100). */
import type { Construct } from 'constructs';
import { ProxmoxResource, type ResourceMeta } from './base.ts';

export interface SdnZoneVlanConfig {
  id: string;
  bridge: string;
  mtu?: number;
  nodes?: string[];
  ipam?: string;
  dns?: string;
  dns_zone?: string;
  reverse_dns?: string;
}

export class SdnZoneVlan extends ProxmoxResource<SdnZoneVlanConfig> {
  constructor(scope: Construct, id: string, config: SdnZoneVlanConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_sdn_zone_vlan', config, meta);
  }
}

export interface SdnVnetConfig {
  id: string;
  zone: string;
  alias?: string;
  tag?: number;
  isolate_ports?: boolean;
  vlan_aware?: boolean;
}

export class SdnVnet extends ProxmoxResource<SdnVnetConfig> {
  constructor(scope: Construct, id: string, config: SdnVnetConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_sdn_vnet', config, meta);
  }
}

export interface SdnSubnetConfig {
  vnet: string;
  cidr: string;
  gateway?: string;
  snat?: boolean;
  dhcp_dns_server?: string;
  dhcp_range?: { start_address: string; end_address: string };
  dns_zone_prefix?: string;
}

export class SdnSubnet extends ProxmoxResource<SdnSubnetConfig> {
  constructor(scope: Construct, id: string, config: SdnSubnetConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_sdn_subnet', config, meta);
  }
}

export interface SdnApplierConfig {
  on_create?: boolean;
  on_destroy?: boolean;
}

export class SdnApplier extends ProxmoxResource<SdnApplierConfig> {
  constructor(scope: Construct, id: string, config: SdnApplierConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_sdn_applier', config, meta);
  }
}
