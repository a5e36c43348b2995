/**
 * Parameters of the stacks that are not in the environment model: system images (EXG_ENV_16:
 * the tool takes address plans and system images as inputs), datastores, uplinks, DNS.
 * Pure data with defaults; the cdktf app and `hdsctl synth` read overrides from the
 * environment (stacks/options.ts).
 */
import type { SiteRole } from '../../model/types.ts';

export interface DatastoreOptions {
  /** Storage of VM disks. */
  vm: string;
  /** True when the storage is shared by every node (Ceph RBD, SAN): HA can restart a VM anywhere. */
  shared: boolean;
  /** File storage with the `snippets` content type (cloud-init user-data). */
  snippets: string;
  /** File storage with the `iso` content type (OpenShift agent ISOs). */
  iso: string;
}

export interface ProxmoxOptions {
  /** Cloud image imported as the system disk of every Linux VM: a volume id of content type import. */
  linuxImage: string;
  /** Agent-based installer ISO of an OpenShift/OKD cluster (docs/adr/0004-openshift-agent-based-install.md). */
  openshiftIso: (environment: string, cluster: string) => string;
  /** Datastores by site role (primary datacenters, backup site). */
  datastores: Record<SiteRole, DatastoreOptions>;
  /** Physical uplink bonded ports of the class bridge on every node. */
  uplinkPorts: string[];
  /** Linux bridge carrying a class on the nodes: production and non-production never share one (EXG_PSE_4). */
  uplinkBridge: { production: string; 'non-production': string };
  /** DNS domain of the guests and resolvers given through cloud-init. */
  dnsDomain: string;
  dnsServers: string[];
  /** Domain of the Proxmox API endpoints: https://<cluster>.<domain>:8006/. */
  apiDomain: string;
  /** Secret store the guests fetch their secrets from at boot (OpenBao, docs/proxmox.md#secrets). */
  secretStore: { address: string; mount: string };
  /** Public SSH keys of the break-glass administrator account (public keys only). */
  adminSshKeys: string[];
}

export const DEFAULT_OPTIONS: ProxmoxOptions = {
  linuxImage: 'local:import/debian-12-genericcloud-amd64.qcow2',
  openshiftIso: (environment, cluster) => `local:iso/${environment}-${cluster}-agent.x86_64.iso`,
  datastores: {
    primary: { vm: 'vmdata', shared: true, snippets: 'local', iso: 'local' },
    backup: { vm: 'local-zfs', shared: false, snippets: 'local', iso: 'local' },
  },
  uplinkPorts: ['bond1'],
  uplinkBridge: { production: 'vmbr10', 'non-production': 'vmbr20' },
  dnsDomain: 'hds.internal',
  dnsServers: [],
  apiDomain: 'pve.hds.internal',
  secretStore: { address: 'https://openbao.hds.internal:8200', mount: 'kv' },
  adminSshKeys: [],
};
