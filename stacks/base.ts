/**
 * What every Proxmox stack has: a state backend (OpenTofu `pg` on the platform's own
 * PostgreSQL, or `local` for tests), the provider of one Proxmox VE cluster (endpoint as a
 * variable with a default, API token from the environment as a sensitive variable: never in
 * the JSON), and layer/environment/site metadata for the summaries.
 */

import { LocalBackend, PgBackend, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { PORTS } from '../modules/model/ports.ts';
import { ProxmoxProvider } from '../modules/proxmox/bindings/index.ts';
import type { StackOptions } from './options.ts';

export type Layer = 'cluster' | 'network' | 'security' | 'compute' | 'data';

export interface StackMeta {
  name: string;
  layer: Layer;
  cluster: string;
  site: string;
  environment?: string;
}

export class ProxmoxStack extends TerraformStack {
  readonly meta: StackMeta;
  readonly provider: ProxmoxProvider;

  constructor(scope: Construct, meta: StackMeta, opts: StackOptions, providerExtra: { ssh?: boolean } = {}) {
    super(scope, meta.name);
    this.meta = meta;
    if (opts.backend.kind === 'pg') new PgBackend(this, { connStr: opts.backend.connStr, schemaName: `hds_${meta.name.replace(/[^a-z0-9]/g, '_')}` });
    else new LocalBackend(this, { path: `terraform.${meta.name}.tfstate` });
    const endpoint = new TerraformVariable(this, 'proxmox_endpoint', {
      type: 'string',
      default: `https://${meta.cluster}.${opts.proxmox.apiDomain}:${PORTS.proxmoxApi}/`,
      description: `API endpoint of the Proxmox VE cluster ${meta.cluster} (site ${meta.site})`,
    });
    const token = new TerraformVariable(this, 'proxmox_api_token', {
      type: 'string',
      sensitive: true,
      description: 'API token USER@REALM!TOKENID=SECRET of the automation account; set TF_VAR_proxmox_api_token, never commit it',
    });
    this.provider = new ProxmoxProvider(this, 'proxmox', {
      endpoint: endpoint.stringValue,
      api_token: token.stringValue,
      min_tls: '1.3',
      ...(providerExtra.ssh ? { ssh: [{ agent: true, username: 'hds-automation' }] } : {}),
    });
  }
}
