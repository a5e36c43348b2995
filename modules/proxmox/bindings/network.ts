/** Node network configuration: Linux bridges and VLAN interfaces (short names). */
import type { Construct } from 'constructs';
import { ProxmoxResource, type ResourceMeta } from './base.ts';

export interface LinuxBridgeConfig {
  node_name: string;
  name: string;
  ports?: string[];
  vlan_aware?: boolean;
  vids?: string;
  mtu?: number;
  comment?: string;
  autostart?: boolean;
  address?: string;
  gateway?: string;
}

export class LinuxBridge extends ProxmoxResource<LinuxBridgeConfig> {
  constructor(scope: Construct, id: string, config: LinuxBridgeConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_network_linux_bridge', config, meta);
  }
}
