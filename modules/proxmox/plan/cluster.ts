/**
 * Plan of the objects a Proxmox VE cluster holds once for every environment placed on it:
 * the class's Linux bridge on every node, the SDN zone of the class, the datacenter firewall
 * (default deny in, management only from the bastions through the `management` IP set that
 * PVE uses for its own ports), the automation role, user, token and ACL.
 * Built from the topologies of a platform; identical whatever environment is synthesized.
 */
import type { Topology } from '../../model/topology.ts';
import type { Segregation } from '../../model/types.ts';
import { sdnZoneId } from './ids.ts';
import type { ProxmoxOptions } from './options.ts';

export interface ClusterPlan {
  name: string;
  platform: string;
  site: string;
  segregation: Segregation;
  nodes: string[];
  uplinkBridge: string;
  uplinkPorts: string[];
  /** VLAN range carried by the uplink bridge: every zone VLAN of every environment on the cluster. */
  vids: string;
  sdnZone: string;
  /** Admin-zone addresses of every bastion of the platform and class (the only management sources). */
  management: string[];
  environments: string[];
}

/** Privileges of the automation account (OpenTofu through the provider): what the stacks create, nothing more. */
export const AUTOMATION_PRIVILEGES = [
  'Datastore.Allocate',
  'Datastore.AllocateSpace',
  'Datastore.AllocateTemplate',
  'Datastore.Audit',
  'Pool.Allocate',
  'Pool.Audit',
  'SDN.Allocate',
  'SDN.Audit',
  'SDN.Use',
  'Sys.Audit',
  'Sys.Console',
  'Sys.Modify',
  'VM.Allocate',
  'VM.Audit',
  'VM.Backup',
  'VM.Clone',
  'VM.Config.CDROM',
  'VM.Config.CPU',
  'VM.Config.Cloudinit',
  'VM.Config.Disk',
  'VM.Config.HWType',
  'VM.Config.Memory',
  'VM.Config.Network',
  'VM.Config.Options',
  'VM.Migrate',
  'VM.PowerMgmt',
];

export const AUTOMATION_USER = 'hds-automation@pve';
export const AUTOMATION_ROLE = 'HdsAutomation';
export const AUTOMATION_TOKEN = 'opentofu';

export function clusterPlans(topologies: Iterable<Topology>, opts: ProxmoxOptions): ClusterPlan[] {
  const all = [...topologies];
  const plans = new Map<string, ClusterPlan>();
  for (const t of all) {
    for (const c of t.hypervisorClusters) {
      const bridge = t.zones.find((z) => z.site === c.site)?.bridge ?? '';
      const p = plans.get(c.name) ?? {
        name: c.name,
        platform: t.environment.platform,
        site: c.site,
        segregation: c.segregation,
        nodes: c.nodes.map((n) => n.name),
        uplinkBridge: opts.uplinkBridge[c.segregation],
        uplinkPorts: [...opts.uplinkPorts],
        vids: '',
        sdnZone: sdnZoneId(bridge),
        management: [],
        environments: [],
      };
      p.environments.push(t.environment.name);
      plans.set(c.name, p);
    }
  }
  for (const p of plans.values()) {
    const peers = all.filter((t) => t.environment.platform === p.platform && t.environment.segregation === p.segregation);
    const bastions = peers
      .flatMap((t) => t.guests.filter((g) => g.service === 'bastion'))
      .map((g) => g.nics.find((n) => n.zone === 'admin')?.ip ?? g.nics[0]!.ip);
    p.management = [...new Set(bastions)].sort();
    const vlans = [...new Set(peers.flatMap((t) => t.zones.filter((z) => z.site === p.site).map((z) => z.vlan)))].sort((a, b) => a - b);
    p.vids = compactRanges(vlans);
    p.environments.sort();
  }
  return [...plans.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** "100-104 108-112": the bridge-vids syntax (space separated ids and ranges). */
export function compactRanges(values: number[]): string {
  const parts: string[] = [];
  let start: number | undefined;
  let prev: number | undefined;
  for (const v of [...values, Number.NaN]) {
    if (start !== undefined && prev !== undefined && v === prev + 1) {
      prev = v;
      continue;
    }
    if (start !== undefined && prev !== undefined) parts.push(start === prev ? String(start) : `${start}-${prev}`);
    start = v;
    prev = v;
  }
  return parts.join(' ');
}
