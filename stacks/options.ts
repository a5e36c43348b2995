/**
 * Options of the cdktf app and of `hdsctl synth`, with their environment variables:
 *
 * | variable | default | what |
 * | --- | --- | --- |
 * | HDS_ENV | lab | environment(s) `cdktf synth` builds: a name, a comma list, or `all` |
 * | HDS_STATE_BACKEND | pg | `pg` (OpenTofu pg backend on the platform's PostgreSQL) or `local` (tests) |
 * | HDS_STATE_PG | postgres://tofu-state.hds.internal/tofu_state?sslmode=verify-full | pg connection string, no password (libpq reads PGPASSWORD/.pgpass) |
 * | HDS_LINUX_IMAGE | local:import/debian-12-genericcloud-amd64.qcow2 | cloud image of the Linux guests (EXG_ENV_16) |
 * | HDS_PVE_DOMAIN | pve.hds.internal | https://<cluster>.<domain>:8006/ is each provider's default endpoint |
 * | HDS_DNS_DOMAIN | hds.internal | guests' DNS domain |
 * | HDS_SECRET_STORE | https://openbao.hds.internal:8200 | OpenBao address the guests resolve their secrets from |
 * | HDS_ADMIN_SSH_KEYS | (none) | public keys of the break-glass account, separated by newlines |
 */
import { DEFAULT_OPTIONS, type ProxmoxOptions } from '../modules/proxmox/plan/options.ts';
import type { ConfigFor } from '../modules/proxmox/cloudinit/types.ts';
import { configFor } from './serviceConfig.ts';

export type BackendOptions = { kind: 'local' } | { kind: 'pg'; connStr: string };

export interface StackOptions {
  backend: BackendOptions;
  proxmox: ProxmoxOptions;
  configFor: ConfigFor;
}

export const DEFAULT_PG_STATE = 'postgres://tofu-state.hds.internal/tofu_state?sslmode=verify-full';

export function stackOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<{ backend: BackendOptions['kind'] }> = {}): StackOptions {
  const kind = overrides.backend ?? env.HDS_STATE_BACKEND ?? 'pg';
  if (kind !== 'pg' && kind !== 'local') throw new Error(`HDS_STATE_BACKEND must be pg or local, not "${kind}"`);
  const connStr = env.HDS_STATE_PG ?? DEFAULT_PG_STATE;
  if (/:\/\/[^/@]*:[^/@]*@/.test(connStr)) throw new Error('HDS_STATE_PG must not contain a password: libpq reads PGPASSWORD or ~/.pgpass');
  return {
    backend: kind === 'pg' ? { kind: 'pg', connStr } : { kind: 'local' },
    proxmox: {
      ...DEFAULT_OPTIONS,
      linuxImage: env.HDS_LINUX_IMAGE ?? DEFAULT_OPTIONS.linuxImage,
      apiDomain: env.HDS_PVE_DOMAIN ?? DEFAULT_OPTIONS.apiDomain,
      dnsDomain: env.HDS_DNS_DOMAIN ?? DEFAULT_OPTIONS.dnsDomain,
      secretStore: { ...DEFAULT_OPTIONS.secretStore, address: env.HDS_SECRET_STORE ?? DEFAULT_OPTIONS.secretStore.address },
      adminSshKeys: (env.HDS_ADMIN_SSH_KEYS ?? '')
        .split('\n')
        .map((k) => k.trim())
        .filter(Boolean),
    },
    configFor,
  };
}
