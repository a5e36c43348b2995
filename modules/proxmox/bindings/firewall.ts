/**
 * The Proxmox VE firewall: datacenter options, security groups, IP sets, aliases, rule lists
 * (cluster or VM scope) and per-VM options. SDK resources: long names only at v0.111.
 */
import type { Construct } from 'constructs';
import { ProxmoxResource, type ResourceMeta } from './base.ts';

export type Verdict = 'ACCEPT' | 'REJECT' | 'DROP';

export interface FirewallRule {
  type?: 'in' | 'out' | 'forward';
  action?: Verdict;
  security_group?: string;
  source?: string;
  dest?: string;
  proto?: string;
  dport?: string;
  sport?: string;
  iface?: string;
  macro?: string;
  log?: string;
  comment?: string;
  enabled?: boolean;
}

export interface ClusterFirewallConfig {
  enabled?: boolean;
  ebtables?: boolean;
  input_policy?: Verdict;
  output_policy?: Verdict;
  forward_policy?: 'ACCEPT' | 'DROP';
  log_ratelimit?: Array<{ enabled?: boolean; burst?: number; rate?: string }>;
}

export class ClusterFirewall extends ProxmoxResource<ClusterFirewallConfig> {
  constructor(scope: Construct, id: string, config: ClusterFirewallConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_virtual_environment_cluster_firewall', config, meta);
  }
}

export interface SecurityGroupConfig {
  name: string;
  comment?: string;
  rule?: FirewallRule[];
}

export class SecurityGroup extends ProxmoxResource<SecurityGroupConfig> {
  constructor(scope: Construct, id: string, config: SecurityGroupConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_virtual_environment_cluster_firewall_security_group', config, meta);
  }

  get nameAttr(): string {
    return this.getStringAttribute('name');
  }
}

/** Scope selector shared by ipsets, aliases and rule lists: none = cluster scope. */
export interface FirewallScope {
  node_name?: string;
  vm_id?: number;
  container_id?: number;
}

export interface FirewallIpsetConfig extends FirewallScope {
  name: string;
  comment?: string;
  cidr?: Array<{ name: string; comment?: string; nomatch?: boolean }>;
}

export class FirewallIpset extends ProxmoxResource<FirewallIpsetConfig> {
  constructor(scope: Construct, id: string, config: FirewallIpsetConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_virtual_environment_firewall_ipset', config, meta);
  }

  get nameAttr(): string {
    return this.getStringAttribute('name');
  }
}

export interface FirewallAliasConfig extends FirewallScope {
  name: string;
  cidr: string;
  comment?: string;
}

export class FirewallAlias extends ProxmoxResource<FirewallAliasConfig> {
  constructor(scope: Construct, id: string, config: FirewallAliasConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_virtual_environment_firewall_alias', config, meta);
  }

  get nameAttr(): string {
    return this.getStringAttribute('name');
  }
}

export interface FirewallRulesConfig extends FirewallScope {
  rule?: FirewallRule[];
}

export class FirewallRules extends ProxmoxResource<FirewallRulesConfig> {
  constructor(scope: Construct, id: string, config: FirewallRulesConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_virtual_environment_firewall_rules', config, meta);
  }
}

export interface FirewallOptionsConfig {
  node_name: string;
  vm_id?: number;
  container_id?: number;
  enabled?: boolean;
  input_policy?: Verdict;
  output_policy?: Verdict;
  dhcp?: boolean;
  ipfilter?: boolean;
  macfilter?: boolean;
  ndp?: boolean;
  radv?: boolean;
  log_level_in?: string;
  log_level_out?: string;
}

export class FirewallOptions extends ProxmoxResource<FirewallOptionsConfig> {
  constructor(scope: Construct, id: string, config: FirewallOptionsConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_virtual_environment_firewall_options', config, meta);
  }
}
