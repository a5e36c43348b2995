/** High availability: HA resources and HA rules (PVE 9; HA groups are the PVE 8 form, kept for older clusters). */
import type { Construct } from 'constructs';
import { ProxmoxResource, type ResourceMeta } from './base.ts';

export interface HaResourceConfig {
  resource_id: string;
  state?: 'started' | 'stopped' | 'disabled' | 'ignored';
  type?: 'vm' | 'ct';
  comment?: string;
  group?: string;
  failback?: boolean;
  max_relocate?: number;
  max_restart?: number;
}

export class HaResource extends ProxmoxResource<HaResourceConfig> {
  constructor(scope: Construct, id: string, config: HaResourceConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_haresource', config, meta);
  }
}

export interface HaRuleConfig {
  rule: string;
  type: 'node-affinity' | 'resource-affinity';
  resources: string[];
  affinity?: 'positive' | 'negative';
  nodes?: Record<string, number | null>;
  strict?: boolean;
  disable?: boolean;
  comment?: string;
}

export class HaRule extends ProxmoxResource<HaRuleConfig> {
  constructor(scope: Construct, id: string, config: HaRuleConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_harule', config, meta);
  }
}
