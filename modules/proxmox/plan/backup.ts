/**
 * Backup plan of one environment on one site (EXG_PRA_2): vzdump jobs to the environment's
 * Proxmox Backup Server in the backup site (DC3), encrypted on the client side (the PVE node
 * encrypts chunks with AES-256-GCM before they leave; the key is an input, escrowed offline),
 * retention and schedules from the model. Guests holding data are backed up on the data
 * schedule, every other guest (system and configuration) on the system schedule. The backup
 * servers themselves are not backed up into themselves: their content is the backups, copied
 * offline by the backup service (offlineCopy).
 *
 * Replication: a witness (quorum tie-breaker alone on its site) on storage that is not shared
 * is replicated to a second node every 15 minutes so HA can restart it there.
 */
import type { BackupPolicy, Topology } from '../../model/topology.ts';
import type { VmPlan } from './compute.ts';

export interface PbsPlan {
  storageId: string;
  server: string;
  serverGuest: string;
  datastore: string;
  namespace: string;
  retention: { keep_daily: number; keep_weekly: number; keep_monthly: number; keep_yearly: number };
}

export interface BackupJobPlan {
  id: string;
  kind: 'data' | 'system';
  schedule: string;
  vms: Array<{ name: string; vmid: number }>;
  pruneBackups: Record<string, string>;
}

export interface ReplicationPlan {
  id: string;
  vm: string;
  vmid: number;
  source: string;
  target: string;
  schedule: string;
}

export interface SiteBackupPlan {
  pbs?: PbsPlan;
  jobs: BackupJobPlan[];
  replications: ReplicationPlan[];
}

function pbsPlan(t: Topology, policy: BackupPolicy): PbsPlan | undefined {
  const server = t.guests.find((g) => g.name === policy.servers[0]);
  const ip = server?.nics.find((n) => n.zone === 'backup')?.ip ?? server?.nics[0]?.ip;
  if (!server || !ip) return undefined;
  return {
    storageId: `pbs-${t.environment.name}`,
    server: ip,
    serverGuest: server.name,
    datastore: t.environment.name,
    namespace: t.environment.name,
    retention: {
      keep_daily: policy.retention.daily,
      keep_weekly: policy.retention.weekly,
      keep_monthly: policy.retention.monthly,
      keep_yearly: policy.retention.yearly,
    },
  };
}

export function backupPlan(t: Topology, site: string, vms: VmPlan[]): SiteBackupPlan {
  const replications = replicationPlan(t, vms);
  const policy = t.backup;
  const pbs = policy ? pbsPlan(t, policy) : undefined;
  if (!policy || !pbs) return { jobs: [], replications };
  const prune: Record<string, string> = {};
  for (const [k, v] of Object.entries(pbs.retention)) if (v > 0) prune[k.replace('_', '-')] = String(v);
  const candidates = vms.filter((v) => v.guest.service !== 'backup');
  const jobs: BackupJobPlan[] = [];
  const data = candidates.filter((v) => v.holdsData);
  const system = candidates.filter((v) => !v.holdsData);
  const site3 = site.toLowerCase();
  if (data.length)
    jobs.push({
      id: `${t.environment.name}-${site3}-data`,
      kind: 'data',
      schedule: policy.schedule.data,
      vms: data.map((v) => ({ name: v.name, vmid: v.vmid })),
      pruneBackups: prune,
    });
  if (system.length)
    jobs.push({
      id: `${t.environment.name}-${site3}-system`,
      kind: 'system',
      schedule: policy.schedule.system,
      vms: system.map((v) => ({ name: v.name, vmid: v.vmid })),
      pruneBackups: prune,
    });
  return { pbs, jobs, replications };
}

function replicationPlan(t: Topology, vms: VmPlan[]): ReplicationPlan[] {
  const out: ReplicationPlan[] = [];
  for (const v of vms) {
    if (v.datastore.shared || v.guest.role !== 'witness') continue;
    const cluster = t.hypervisorClusters.find((c) => c.name === v.guest.placement?.hypervisorCluster);
    const nodes = cluster?.nodes.map((n) => n.name) ?? [];
    const k = nodes.indexOf(v.node);
    const target = nodes[(k + 1) % nodes.length];
    if (!target || target === v.node) continue;
    out.push({ id: `${v.vmid}-0`, vm: v.name, vmid: v.vmid, source: v.node, target, schedule: '*/15' });
  }
  return out;
}
