/** proxmox_virtual_environment_file: cloud-init snippets uploaded to a snippets-enabled datastore (over SSH). */
import type { Construct } from 'constructs';
import { ProxmoxResource, type ResourceMeta } from './base.ts';

export interface FileConfig {
  node_name: string;
  datastore_id: string;
  content_type?: 'snippets' | 'iso' | 'vztmpl' | 'backup' | 'import';
  overwrite?: boolean;
  upload_mode?: 'stream' | 'sftp';
  file_mode?: string;
  source_raw?: Array<{ data: string; file_name: string; resize?: number }>;
  source_file?: Array<{ path: string; checksum?: string; file_name?: string; changed?: boolean; insecure?: boolean; min_tls?: string }>;
}

export class ProxmoxFile extends ProxmoxResource<FileConfig> {
  constructor(scope: Construct, id: string, config: FileConfig, meta?: ResourceMeta) {
    super(scope, id, 'proxmox_virtual_environment_file', config, meta);
  }

  /** Volume id "<datastore>:<content_type>/<file_name>", what initialization.user_data_file_id takes. */
  get volumeId(): string {
    return this.getStringAttribute('id');
  }
}
