/**
 * Expansion: (platform, environment) -> topology. Pure and deterministic; problems that
 * stop the expansion of one part are reported as diagnostics, never thrown.
 */
import { defaultVlan, environmentBlock, hostAddress, zonePrefix, zoneSubnet } from './addressPlan.ts';
import { formatCidr } from './cidr.ts';
import type { Diagnostic, DocumentRef } from './diagnostics.ts';
import { applicableFlows, expandFlows, FLOW_DECLARATIONS } from './flows.ts';
import { distanceKm } from './geo.ts';
import { Placer } from './placement.ts';
import { expandServices, type GuestDraft } from './services.ts';
import { sloFor } from './slo.ts';
import type { BackupPolicy, Guest, HypervisorClusterView, Nic, Topology, Totals, ZoneView } from './topology.ts';
import { type BackupDoc, type EnvironmentDoc, type PlatformDoc, type Segregation, ZONES, type Zone } from './types.ts';
import { resolveVirtualPatches } from './virtualPatches.ts';
import { cephPlacement } from './ceph.ts';
import type { CatalogDoc } from './workloads.ts';
import { resolveWorkloads } from './workloadsResolve.ts';

export interface Expansion {
  topology: Topology | undefined;
  diagnostics: Diagnostic[];
}

export function segregationOf(doc: Pick<EnvironmentDoc, 'class'>): Segregation {
  return doc.class === 'production' ? 'production' : 'non-production';
}

/** `catalogs`: the application catalogs of the workspace, for `env.workloads` (workloadsResolve.ts). */
export function expand(platform: PlatformDoc, env: EnvironmentDoc, catalogs: readonly CatalogDoc[] = []): Expansion {
  const diagnostics: Diagnostic[] = [];
  const envRef: DocumentRef = { kind: 'Environment', name: env.name };
  const platformRef: DocumentRef = { kind: 'Platform', name: platform.name };
  const report = (doc: DocumentRef, path: Array<string | number>, code: string, message: string, hint: string, requirements?: string[]) =>
    diagnostics.push({ doc, path, code, message, hint, ...(requirements ? { requirements } : {}) });

  const segregation = segregationOf(env);
  const siteById = new Map(platform.sites.map((s) => [s.id, s]));
  const known = platform.sites.map((s) => s.id).join(', ');
  env.sites.forEach((site, k) => {
    if (!siteById.has(site)) report(envRef, ['sites', k], 'E_SITE_UNKNOWN', `site "${site}" does not exist on platform "${platform.name}"`, `use one of: ${known}`);
  });
  const envSites = env.sites.filter((s) => siteById.has(s));

  const classNet = platform.network[segregation];
  const blockResult = environmentBlock({ supernet: classNet.supernet, environmentPrefix: classNet.environmentPrefix, slot: env.network.slot });
  if (!blockResult.ok) {
    const onSlot = blockResult.error.reason.startsWith('slot');
    report(onSlot ? envRef : platformRef, onSlot ? ['network', 'slot'] : ['network', segregation, 'supernet'], blockResult.error.code, blockResult.error.reason, onSlot ? 'pick a free slot inside the supernet (hdsctl env new picks one for you) or enlarge the supernet' : 'fix the supernet or the environment prefix of the class');
    return { topology: undefined, diagnostics };
  }
  const block = blockResult.block;

  // Zones: a subnet, a VLAN and a bridge per site and zone.
  const zones: ZoneView[] = [];
  for (const siteId of envSites) {
    const site = siteById.get(siteId)!;
    const chain = platform.securityChains.find((c) => c.site === siteId && c.segregation === segregation);
    for (const zone of ZONES) {
      const sub = zoneSubnet(block, site.slot, siteId, zone);
      if (!sub) {
        report(platformRef, ['sites', platform.sites.indexOf(site), 'slot'], 'E_ADDR_EXHAUSTED', `site slot ${site.slot} of ${siteId} does not fit an environment block`, 'site slots go from 0 to 3');
        continue;
      }
      const vlan = env.network.vlans?.[siteId]?.[zone] ?? defaultVlan(classNet.vlanBase, env.network.slot, zone);
      zones.push({ ...sub, vlan, bridge: chain?.bridge ?? '' });
    }
  }

  // Services and their guests.
  const { guests: drafts, services } = expandServices(env);
  const zoneOf = new Map(zones.map((z) => [`${z.site}/${z.zone}`, z]));
  const used = new Map<string, number>();
  const placer = new Placer(
    platform.hypervisorClusters
      .filter((c) => c.segregation === segregation && envSites.includes(c.site))
      .map((c): HypervisorClusterView => ({
        name: c.name,
        site: c.site,
        segregation: c.segregation,
        cpuOvercommit: c.cpuOvercommit,
        nodes: Array.from({ length: c.nodes }, (_, k) => ({ name: `${c.name}-n${String(k + 1).padStart(2, '0')}`, cores: c.coresPerNode, ramGiB: c.ramGiBPerNode })),
        allocated: { vcpu: 0, ramGiB: 0, diskGiB: 0, guests: 0 },
      })),
  );
  const clustersUsed = new Set<HypervisorClusterView>();
  const guests: Guest[] = [];
  const reported = new Set<string>();
  for (const d of drafts) {
    if (!envSites.includes(d.site)) continue; // reported by the site checks (validate.ts)
    const nics: Nic[] = [];
    for (const zone of nicZones(d)) {
      const z = zoneOf.get(`${d.site}/${zone}`);
      if (!z) continue;
      const key = `${d.site}/${zone}`;
      const n = used.get(key) ?? 0;
      const ip = hostAddress(z, n);
      used.set(key, n + 1);
      if (!ip) {
        if (!reported.has(key)) {
          reported.add(key);
          report(envRef, d.declaredAt, 'E_ADDR_EXHAUSTED', `zone ${zone} of ${d.site} (${z.cidr}) has room for ${z.capacity} guests and the environment needs more`, `give the class a shorter environment prefix than /${block.prefix} (zone subnets are /${zonePrefix(block.prefix)}) or reduce the guests`);
        }
        continue;
      }
      nics.push({ zone, ip, vlan: z.vlan });
    }
    const { zone: _zone, holdsData: _holds, declaredAt, ...rest } = d;
    const guest: Guest = { ...rest, nics };
    if (d.hosting === 'vm') {
      const placed = placer.place(d);
      if (placed.ok) {
        guest.placement = { hypervisorCluster: placed.cluster!.name, node: placed.node };
        clustersUsed.add(placed.cluster!);
      } else if (placed.reason === 'no-cluster') {
        const key = `no-cluster/${d.site}`;
        if (!reported.has(key)) {
          reported.add(key);
          report(platformRef, ['hypervisorClusters'], 'E_NO_CLUSTER', `no ${segregation} hypervisor cluster on ${d.site} for ${d.name} (environment ${env.name})`, `declare a hypervisorClusters entry with site: ${d.site} and segregation: ${segregation}`, ['EXG_PSE_4']);
        }
      } else {
        const key = `aa/${d.antiAffinityGroup}/${d.site}`;
        if (!reported.has(key)) {
          reported.add(key);
          report(envRef, declaredAt, 'E_ANTI_AFFINITY', `anti-affinity cannot be met: ${placed.detail}`, 'add nodes to the hypervisor cluster or lower the member count on that site');
        }
      }
    }
    guests.push(guest);
  }
  for (const c of clustersUsed) {
    const capacity = c.nodes.reduce((a, n) => a + n.cores, 0) * c.cpuOvercommit;
    const ram = c.nodes.reduce((a, n) => a + n.ramGiB, 0);
    const path = ['hypervisorClusters', platform.hypervisorClusters.findIndex((h) => h.name === c.name)];
    if (c.allocated.vcpu > capacity) report(platformRef, path, 'E_CAPACITY', `environment ${env.name} alone needs ${c.allocated.vcpu} vCPU on ${c.name}, which offers ${capacity}`, 'add nodes or cores, or shrink the environment');
    if (c.allocated.ramGiB > ram) report(platformRef, path, 'E_CAPACITY', `environment ${env.name} alone needs ${c.allocated.ramGiB} GiB RAM on ${c.name}, which has ${ram}`, 'add nodes or RAM, or shrink the environment');
  }

  const flows = applicableFlows(FLOW_DECLARATIONS, guests);
  // Application workloads on the OpenShift clusters (issue 12): resolved, checked, sized.
  const workloads = resolveWorkloads(env, catalogs);
  diagnostics.push(...workloads.diagnostics);
  const topology: Topology = {
    environment: {
      name: env.name,
      class: env.class,
      segregation,
      platform: platform.name,
      slot: env.network.slot,
      dataSource: env.dataSource,
      ...(env.editorSlots !== undefined ? { editorSlots: env.editorSlots } : {}),
      addressBlock: formatCidr(block),
    },
    slo: sloFor(env.class),
    sites: envSites.map((id) => {
      const s = siteById.get(id)!;
      const distancesKm: Record<string, number> = {};
      for (const other of platform.sites) if (other.id !== id) distancesKm[other.id] = Math.round(distanceKm(s.location, other.location));
      return { id, role: s.role, ...(s.code ? { code: s.code } : {}), region: s.region, country: s.country, tier: s.tier, hdsActivities: [...s.hdsActivities], distancesKm };
    }),
    zones,
    hypervisorClusters: [...clustersUsed].sort((a, b) => a.name.localeCompare(b.name)),
    securityChains: platform.securityChains
      .filter((c) => c.segregation === segregation && envSites.includes(c.site))
      .map(({ name, site, firewall, ips, waf, bastion, bridge }) => ({ name, site, firewall, ips, waf, bastion, bridge })),
    services,
    guests,
    flows,
    flowMatrix: expandFlows(flows, guests),
    ...(env.services.backup ? { backup: backupPolicy(env.services.backup, guests) } : {}),
    ...(env.services.postgresql
      ? { postgresql: { replication: env.services.postgresql.replication, onStandbyLoss: env.services.postgresql.onStandbyLoss ?? 'continue-alone' } }
      : {}),
    ...(env.services.waf ? { virtualPatches: resolveVirtualPatches(env.services.waf.virtualPatches ?? []) } : {}),
    ...(workloads.workloads ? { workloads: workloads.workloads } : {}),
    ...(env.services.ceph ? { ceph: cephPlacement(env.services.ceph.stretched, guests) } : {}),
    totals: totals(guests, envSites),
  };
  return { topology, diagnostics };
}

function backupPolicy(b: BackupDoc, guests: Guest[]): BackupPolicy {
  return {
    site: b.site,
    servers: guests.filter((g) => g.service === 'backup' && g.site === b.site).map((g) => g.name),
    encryption: b.encryption,
    retention: { ...b.retention },
    offlineCopy: b.offlineCopy,
    schedule: { data: b.schedule?.data ?? '*-*-* 01:00', system: b.schedule?.system ?? 'sun 03:00' },
  };
}

function nicZones(d: GuestDraft): Zone[] {
  const zones: Zone[] = [d.zone];
  if (d.zone !== 'admin') zones.push('admin');
  if (d.holdsData && d.zone !== 'backup') zones.push('backup');
  return zones;
}

function emptyTotals(): Totals {
  return { guests: 0, vms: 0, appliances: 0, baremetal: 0, vcpu: 0, ramGiB: 0, diskGiB: 0 };
}

function add(t: Totals, g: Guest): void {
  t.guests += 1;
  if (g.hosting === 'vm') t.vms += 1;
  else if (g.hosting === 'appliance') t.appliances += 1;
  else t.baremetal += 1;
  t.vcpu += g.size.vcpu;
  t.ramGiB += g.size.ramGiB;
  t.diskGiB += g.size.diskGiB;
}

function totals(guests: Guest[], sites: string[]): Topology['totals'] {
  const bySite: Record<string, Totals> = {};
  for (const s of sites) bySite[s] = emptyTotals();
  const all = emptyTotals();
  for (const g of guests) {
    add(all, g);
    bySite[g.site] ??= emptyTotals();
    add(bySite[g.site]!, g);
  }
  return { bySite, all };
}
