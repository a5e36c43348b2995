/**
 * The lab plan: everything the lab runtime needs to know about addresses and names.
 * It is derived from the `lab` environment's topology (modules/model) by labPlanFromTopology;
 * the runtime never hard-codes an address or a name that is in here.
 */
import type { Topology } from '../model/topology.ts';

export type SiteId = 'DC1' | 'DC2' | 'DC3';

export interface LabSite {
  id: SiteId;
  /** Network namespace name, e.g. `hds-dc1`. */
  netns: string;
  /** veth pair: host end (enslaved to the bridge) and namespace end. */
  vethHost: string;
  vethNs: string;
  /** IPv4 address of the namespace end, e.g. `10.199.0.129`. */
  address: string;
}

export interface LabPlan {
  /** Absolute path of the git-ignored state directory (pid files, logs, data, secrets). */
  stateDir: string;
  bridge: {
    name: string;
    /** Host-side address on the bridge (the host talks to the lab through it). */
    address: string;
  };
  /** On-link prefix length shared by the bridge and every namespace (the lab supernet). */
  prefixLength: number;
  /** The lab supernet in CIDR form; nothing outside it is ever routed. */
  supernet: string;
  sites: LabSite[];
  /** PostgreSQL business domains run as Patroni clusters in the lab (at least one). */
  postgresDomains: Array<{ name: string; primarySite: SiteId; standbySite: SiteId }>;
  /** HSM key domains (one non-extractable key per micro-service domain, EXG_SEC_4.2/4.3). */
  hsmKeyDomains: string[];
  /** Backup retention from the model (EXG_PRA_2), as the adapter maps it for pgBackRest. */
  backupRetention: { full: number; diff: number };
  /** The `lab` environment's topology: the guests the lab runs and the files they get come from it. */
  topology: Topology;
}
