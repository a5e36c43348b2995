/** Backups and replication: the PBS storage, vzdump jobs, storage replication jobs. */
import type { Construct } from 'constructs';
import { ProxmoxResource, type ResourceMeta } from './base.ts';

export interface StoragePbsConfig {
  id: string;
  server: string;
  datastore: string;
  username: string;
  /** Sensitive: a variable reference, never a literal. */
  password: string;
  namespace?: string;
  fingerprint?: string;
  content?: string[];
  nodes?: string[];
  disable?: boolean;
  /** Sensitive: a variable reference, never a literal; conflicts with generate_encryption_key. */
  encryption_key?: string;
  generate_encryption_key?: boolean;
  backups?: {
    keep_last?: number;
    keep_hourly?: number;
    keep_daily?: number;
    keep_weekly?: number;
    keep_monthly?: number;
    keep_yearly?: number;
    keep_all?: boolean;
    max_protected_backups?: number;
  };
}

export class StoragePbs extends ProxmoxResource<StoragePbsConfig> {
  constructor(scope: Construct, id: string, config: StoragePbsConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_storage_pbs', config, meta);
  }
}

export interface BackupJobConfig {
  id: string;
  schedule: string;
  storage: string;
  vmid?: string[];
  all?: boolean;
  pool?: string;
  node?: string;
  mode?: 'snapshot' | 'suspend' | 'stop';
  compress?: '0' | '1' | 'gzip' | 'lzo' | 'zstd';
  enabled?: boolean;
  prune_backups?: Record<string, string>;
  notes_template?: string;
  mailnotification?: 'always' | 'failure';
  mailto?: string[];
  repeat_missed?: boolean;
  protected?: boolean;
  fleecing?: { enabled?: boolean; storage?: string };
  performance?: { max_workers?: number; pbs_entries_max?: number };
}

export class BackupJob extends ProxmoxResource<BackupJobConfig> {
  constructor(scope: Construct, id: string, config: BackupJobConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_backup_job', config, meta);
  }
}

export interface ReplicationConfig {
  id: string;
  target: string;
  type: 'local';
  schedule?: string;
  rate?: number;
  comment?: string;
  disable?: boolean;
}

export class Replication extends ProxmoxResource<ReplicationConfig> {
  constructor(scope: Construct, id: string, config: ReplicationConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_replication', config, meta);
  }
}
