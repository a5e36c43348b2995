/**
 * The expanded topology: what an environment is once its document has been placed on its
 * platform. Pure data, JSON-serialisable, deterministic. Every renderer reads this.
 */
import type { ZoneSubnet } from './addressPlan.ts';
import type { CephPlacement } from './ceph.ts';
import type { GuestRole } from './roles.ts';
import type { Slo } from './slo.ts';
import type { EnvironmentClass, GuestSize, Segregation, SiteRole, Zone } from './types.ts';
import type { VirtualPatch } from './virtualPatches.ts';
import type { ResolvedWorkloads } from './workloads.ts';

export const SERVICE_KINDS = [
  'waf',
  'bastion',
  'openshift',
  'postgresql',
  'kafka',
  'ceph',
  'hsm',
  'monitoring',
  'backup',
] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** vm: a Proxmox guest; appliance: a network appliance (HSM); baremetal: a dedicated server (Ceph OSD hosts). */
export type Hosting = 'vm' | 'appliance' | 'baremetal';

export interface Nic {
  zone: Zone;
  ip: string;
  vlan: number;
}

export interface Guest {
  name: string;
  service: ServiceKind;
  /** Role inside the service (roles.ts): master, worker, primary, witness, broker, osd, node... */
  role: GuestRole;
  /** The logical cluster the guest belongs to, e.g. `ocp-dc1`, `pg-documents`. */
  cluster: string;
  site: string;
  hosting: Hosting;
  size: GuestSize;
  /** Business domain, for per-domain services (PostgreSQL). */
  domain?: string;
  /** Members of one group never share a hypervisor node. */
  antiAffinityGroup?: string;
  /** First NIC carries the service's traffic; then admin and, for data holders, backup. */
  nics: Nic[];
  /** Hypervisor placement, for VMs. */
  placement?: { hypervisorCluster: string; node: string };
}

export interface ServiceInstance {
  /** e.g. `ocp-dc1`, `pg-documents`, `kafka`, `waf-dc1`. */
  id: string;
  kind: ServiceKind;
  sites: string[];
  members: string[];
  /** One line a reader understands, e.g. "primary DC1, synchronous standby DC2, witness DC3". */
  summary: string;
}

export interface SiteView {
  id: string;
  role: SiteRole;
  code?: string;
  region: string;
  country: string;
  tier: string;
  hdsActivities: number[];
  /** Great-circle distance to every other site of the platform, in km (rounded). */
  distancesKm: Record<string, number>;
}

export interface ZoneView extends ZoneSubnet {
  vlan: number;
  /** Proxmox SDN zone / Linux bridge of the class on that site. */
  bridge: string;
}

export interface HypervisorClusterView {
  name: string;
  site: string;
  segregation: Segregation;
  nodes: Array<{ name: string; cores: number; ramGiB: number }>;
  cpuOvercommit: number;
  /** What this environment places on the cluster. */
  allocated: { vcpu: number; ramGiB: number; diskGiB: number; guests: number };
}

export type Protocol = 'tcp' | 'udp';
export type Plane = 'application' | 'admin' | 'backup';

/** A flow between two services, declared once (flows.ts). */
export interface FlowDeclaration {
  id: string;
  from: Endpoint;
  to: Endpoint | Endpoint[];
  protocol: Protocol;
  /** Single ports or ranges "6800-7300". */
  ports: Array<number | string>;
  plane: Plane;
  /** same-site: only between members on one site; any-site: across sites too. */
  scope: 'same-site' | 'any-site';
  purpose: string;
  requirements: string[];
}

/** Either a set of guests (service and optional roles) or an address outside the platform. */
export type Endpoint = { service: ServiceKind; roles?: GuestRole[] } | { external: 'internet' | 'admin-workstations' };

/** One line of the IP-level flow matrix (EXG_ART_1.2). */
export interface FlowEntry {
  flow: string;
  source: { name: string; site?: string; zone?: Zone; ip: string };
  destination: { name: string; site: string; zone: Zone; ip: string };
  protocol: Protocol;
  port: number | string;
  plane: Plane;
  purpose: string;
}

export interface Totals {
  guests: number;
  vms: number;
  appliances: number;
  baremetal: number;
  vcpu: number;
  ramGiB: number;
  diskGiB: number;
}

/** The environment's backup policy (EXG_PRA_2): where backups go, how they are kept and when they run. */
export interface BackupPolicy {
  site: string;
  /** Backup servers (guest names) in the backup site, first one primary. */
  servers: string[];
  encryption: 'aes-256';
  retention: { daily: number; weekly: number; monthly: number; yearly: number };
  offlineCopy: boolean;
  schedule: { data: string; system: string };
}

export interface Topology {
  environment: {
    name: string;
    class: EnvironmentClass;
    segregation: Segregation;
    platform: string;
    slot: number;
    dataSource: string;
    editorSlots?: number;
    addressBlock: string;
  };
  slo: Slo;
  sites: SiteView[];
  zones: ZoneView[];
  hypervisorClusters: HypervisorClusterView[];
  securityChains: Array<{ name: string; site: string; firewall: string; ips: string; waf: string; bastion: string; bridge: string }>;
  services: ServiceInstance[];
  guests: Guest[];
  flows: FlowDeclaration[];
  flowMatrix: FlowEntry[];
  /** Present when the environment declares a backup service. */
  backup?: BackupPolicy;
  /** Present when the environment declares PostgreSQL: its replication design (ADR 0006). */
  postgresql?: { replication: 'synchronous' | 'asynchronous'; onStandbyLoss: 'continue-alone' | 'stop-writes' };
  /** Present when the environment declares a WAF: its valid virtual patches, resolved (virtualPatches.ts). */
  virtualPatches?: VirtualPatch[];
  /** Present when the environment runs application workloads on OpenShift (workloads.ts, issue 12). */
  workloads?: ResolvedWorkloads;
  /** Present when the environment declares Ceph: where the stretched cluster's daemons run (ceph.ts). */
  ceph?: CephPlacement;
  totals: { bySite: Record<string, Totals>; all: Totals };
}
