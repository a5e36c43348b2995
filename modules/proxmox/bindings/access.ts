/** Access control for the automation account: pools, roles, users, API tokens and ACLs. */
import type { Construct } from 'constructs';
import { ProxmoxResource, type ResourceMeta } from './base.ts';

export interface PoolConfig {
  pool_id: string;
  comment?: string;
}

export class Pool extends ProxmoxResource<PoolConfig> {
  constructor(scope: Construct, id: string, config: PoolConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_virtual_environment_pool', config, meta);
  }

  get poolIdAttr(): string {
    return this.getStringAttribute('pool_id');
  }
}

export interface RoleConfig {
  role_id: string;
  privileges: string[];
}

export class Role extends ProxmoxResource<RoleConfig> {
  constructor(scope: Construct, id: string, config: RoleConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_virtual_environment_role', config, meta);
  }

  get roleIdAttr(): string {
    return this.getStringAttribute('role_id');
  }
}

export interface UserConfig {
  user_id: string;
  comment?: string;
  enabled?: boolean;
  email?: string;
  groups?: string[];
  expiration_date?: string;
}

export class User extends ProxmoxResource<UserConfig> {
  constructor(scope: Construct, id: string, config: UserConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_virtual_environment_user', config, meta);
  }

  get userIdAttr(): string {
    return this.getStringAttribute('user_id');
  }
}

export interface UserTokenConfig {
  user_id: string;
  token_name: string;
  comment?: string;
  expiration_date?: string;
  privileges_separation?: boolean;
}

export class UserToken extends ProxmoxResource<UserTokenConfig> {
  constructor(scope: Construct, id: string, config: UserTokenConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_user_token', config, meta);
  }
}

export interface AclConfig {
  path: string;
  role_id: string;
  propagate?: boolean;
  user_id?: string;
  group_id?: string;
  token_id?: string;
}

export class Acl extends ProxmoxResource<AclConfig> {
  constructor(scope: Construct, id: string, config: AclConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_acl', config, meta);
  }
}
