/**
 * Input documents of the platform model, as written in environments/*.yaml and
 * environments/platforms/*.yaml, after JSON-Schema validation and defaults (ajv).
 *
 * Two kinds of document:
 * - a Platform describes what is physically there and shared by environments: sites,
 *   the supernet of each segregation class, hypervisor clusters, security chains;
 * - an Environment is a tenant of one platform: its class, its address slot, its services.
 * A third kind, the ApplicationCatalog (environments/catalogs/*.yaml), declares the application
 * components environments run on OpenShift (workloads.ts).
 *
 * Everything here is plain data; the expansion to a Topology is in expand.ts.
 */
import type { VirtualPatchDoc } from './virtualPatches.ts';
import type { WorkloadsDoc } from './workloads.ts';

/** Environment classes named by the CCTP (§6.2.8) plus the local embedded lab. */
export const ENVIRONMENT_CLASSES = [
  'production',
  'preprod',
  'certification',
  'recette',
  'formation',
  'demo',
  'integration',
  'bench',
  'dev',
  'lab',
] as const;
export type EnvironmentClass = (typeof ENVIRONMENT_CLASSES)[number];

/** Production never shares a network, firewall, WAF, bastion or hypervisor cluster with the rest (EXG_PSE_4, EXG_PSE_5). */
export type Segregation = 'production' | 'non-production';

export const ZONES = ['front', 'back', 'admin', 'backup', 'interconnect'] as const;
export type Zone = (typeof ZONES)[number];

export type SiteRole = 'primary' | 'backup';

export interface SiteDoc {
  id: string;
  /** Position of the site in every environment's address block; append-only, never reused. */
  slot: number;
  role: SiteRole;
  /** Datacenter operator code, e.g. LCB, MRC, TLZ (reference topology §3.2.3.2). */
  code?: string;
  region: string;
  /** ISO 3166-1 alpha-2; health data stays in the EU, France where required (MESDMP-3.1.3.1-1). */
  country: string;
  /** Uptime Institute tier, at least III+ (EXG_PCA_4, EXG_PSE_1). */
  tier: string;
  /** HDS certification activities held by the site (activity 6 = externalised backups, EXG_PRA_1). */
  hdsActivities: number[];
  location: { lat: number; lon: number };
}

export interface ClassNetworkDoc {
  /** The supernet all environments of this segregation class are carved from. */
  supernet: string;
  /** Prefix length of one environment's block inside the supernet. */
  environmentPrefix: number;
  /** First VLAN id of the class; an environment's VLANs are vlanBase + slot*VLAN_STRIDE + zone index. */
  vlanBase: number;
}

export interface HypervisorClusterDoc {
  name: string;
  site: string;
  segregation: Segregation;
  /** Proxmox VE nodes; a cluster stays at most 25 nodes (corosync comfort limit). */
  nodes: number;
  coresPerNode: number;
  ramGiBPerNode: number;
  /** vCPU per physical core the cluster may commit (1 = no overcommit). */
  cpuOvercommit: number;
}

/** A security chain: firewall pair, IPS, WAF pair and bastion of one class on one site (EXG_PSE_5). */
export interface SecurityChainDoc {
  name: string;
  site: string;
  segregation: Segregation;
  firewall: string;
  ips: string;
  waf: string;
  bastion: string;
  /** Proxmox SDN zone / Linux bridge carrying this class on this site. */
  bridge: string;
}

export interface PlatformDoc {
  apiVersion: 'hds.platform/v1';
  kind: 'Platform';
  name: string;
  description?: string;
  sites: SiteDoc[];
  network: Record<Segregation, ClassNetworkDoc>;
  hypervisorClusters: HypervisorClusterDoc[];
  securityChains: SecurityChainDoc[];
}

export interface GuestSize {
  vcpu: number;
  ramGiB: number;
  diskGiB: number;
}

export interface OpenShiftDoc {
  sites: string[];
  /** OKD or OpenShift Container Platform; one cluster per site, each mono-site (reference §3.2.3.3.4.1). */
  distribution: 'okd' | 'ocp';
  masters: GuestSize & { count: number };
  infra: GuestSize & { count: number };
  workers: GuestSize & { count: number };
}

export interface PostgresDomainDoc {
  name: string;
  primarySite: string;
  standbySite: string;
}

export interface PostgresDoc {
  /** Synchronous replication gives PDMA (RPO) 0 (EXG_PCA_2). */
  replication: 'synchronous' | 'asynchronous';
  /** While the synchronous standby is away: the leader goes on alone (alerted) or every commit waits (ADR 0006). */
  onStandbyLoss: 'continue-alone' | 'stop-writes';
  witnessSite: string;
  node: GuestSize;
  witness: GuestSize;
  domains: PostgresDomainDoc[];
}

/**
 * KRaft controllers (controller-only nodes, docs/adr/0007-kafka-on-vms-and-strimzi-operators.md):
 * `perSite` in each broker site plus one tie-breaker in `witnessSite`, so the metadata quorum
 * keeps a majority when either datacenter is lost (2 + 2 + 1: 3 of 5 left).
 */
export interface KafkaControllersDoc {
  /** Controller-only nodes in each broker site. @default 1 */
  perSite: number;
  /** Third site holding one controller-only node; required when the brokers span two sites or more. */
  witnessSite?: string;
  /** Controller size (metadata only: small). @default { vcpu: 2, ramGiB: 4, diskGiB: 50 } */
  node: GuestSize;
}

export interface KafkaDoc {
  /** Broker sites: racks = datacenters; at least two for RPO 0 (EXG_PCA_2). */
  sites: string[];
  /** @default 3 */
  brokersPerSite: number;
  /** Broker size. @default { vcpu: 8, ramGiB: 32, diskGiB: 1000 } */
  node: GuestSize;
  /** @default { perSite: 1, node: { vcpu: 2, ramGiB: 4, diskGiB: 50 } } (witnessSite has no default) */
  controllers: KafkaControllersDoc;
}

/** Ceph stretched over the two data sites with a tie-breaker monitor in the third (model/ceph.ts, docs/storage.md). */
export interface CephDoc {
  stretched: {
    /** The two data sites (stretch mode: exactly two). */
    sites: string[];
    /** Bare-metal OSD hosts per data site (each also runs an RGW). @default 3 */
    osdNodesPerSite: number;
    /** Monitors per data site, on its first OSD hosts (Ceph recommends 2 + 2 + the tie-breaker). @default 2 */
    monitorsPerSite: number;
    /** BlueStore OSDs (data devices) per OSD host. @default 1 */
    osdsPerNode: number;
    /** Site of the tie-breaker monitor (a VM, no data). */
    witnessSite: string;
    /** OSD host size (bare metal). @default { vcpu: 24, ramGiB: 64, diskGiB: 34000 } */
    node: GuestSize;
    /** Tie-breaker monitor VM. @default { vcpu: 2, ramGiB: 8, diskGiB: 50 } */
    witness: GuestSize;
  };
  external?: { site: string; nodes: number; node: GuestSize };
}

export interface WafDoc {
  sites: string[];
  perSite: number;
  mode: 'active-active';
  terminatesTls: boolean;
  node: GuestSize;
  /** Virtual patches rendered into every WAF of the environment (virtualPatches.ts, EXG_WAF_1). */
  virtualPatches?: VirtualPatchDoc[];
}

export interface HsmDoc {
  sites: string[];
  perSite: number;
  /** Key domains: one key hierarchy per micro-service domain (EXG_SEC_4.2, EXG_SEC_4.3). */
  keyDomains: string[];
}

export interface ReplicatedRoleDoc {
  sites: string[];
  perSite: number;
  node: GuestSize;
}

export interface BackupDoc {
  site: string;
  servers: number;
  node: GuestSize;
  encryption: 'aes-256';
  retention: { daily: number; weekly: number; monthly: number; yearly: number };
  /** An offline copy (tape or air-gapped object lock) besides the off-site one (EXG_PRA_2). */
  offlineCopy: boolean;
  /** systemd calendar events: data holders (daily by default) and system backups of every other guest (weekly). */
  schedule: { data: string; system: string };
}

export interface ServicesDoc {
  openshift?: OpenShiftDoc;
  postgresql?: PostgresDoc;
  kafka?: KafkaDoc;
  ceph?: CephDoc;
  waf?: WafDoc;
  hsm?: HsmDoc;
  bastion?: ReplicatedRoleDoc;
  monitoring?: ReplicatedRoleDoc;
  backup?: BackupDoc;
}

export interface EnvironmentDoc {
  apiVersion: 'hds.platform/v1';
  kind: 'Environment';
  name: string;
  class: EnvironmentClass;
  description?: string;
  /** Name of the platform (environments/platforms/<name>.yaml) the environment runs on. */
  platform: string;
  /** Sites the environment uses; a subset of the platform's. */
  sites: string[];
  network: {
    /** Index of the environment's block in its class supernet; never reuse, never renumber. */
    slot: number;
    /** Explicit VLAN overrides per site and zone, when the datacenter imposes them. */
    vlans?: Record<string, Partial<Record<Zone, number>>>;
  };
  /** Concurrent editor slots (certification, EXG_ENV_10). */
  editorSlots?: number;
  /** Data fed into the environment: synthetic, pseudonymised or production (EXG_ENV_6). */
  dataSource: 'synthetic' | 'pseudonymised' | 'production';
  services: ServicesDoc;
  /** Application workloads on the OpenShift clusters: catalog, load factor, components (workloads.ts, issue 12). */
  workloads?: WorkloadsDoc;
}
