/**
 * Semantic validation: what JSON Schema cannot say. Three scopes:
 * - a platform alone (sites, distances, supernets, segregation of shared equipment);
 * - an environment on its platform (sites, pairs, witnesses, VLANs, then the expansion's own checks);
 * - all environments together (address blocks, VLANs and capacity shared on a platform).
 * Every check returns diagnostics; nothing throws, so all errors are reported at once.
 */
import { type Cidr, overlaps, parseCidr } from './cidr.ts';
import type { Diagnostic, DocumentRef } from './diagnostics.ts';
import { type Expansion, expand, segregationOf } from './expand.ts';
import { BACKUP_SITE_MIN_DISTANCE_KM, distanceKm } from './geo.ts';
import { checkCeph } from './ceph.ts';
import { checkKafka } from './kafka.ts';
import { declaredSites } from './services.ts';
import type { EnvironmentDoc, PlatformDoc, Segregation } from './types.ts';
import { checkVirtualPatches } from './virtualPatches.ts';
import type { CatalogDoc } from './workloads.ts';

/** Proxmox VE clusters are kept at 25 nodes or fewer (corosync latency and quorum comfort). */
export const MAX_NODES_PER_CLUSTER = 25;

type Report = (path: Array<string | number>, code: string, message: string, hint: string, requirements?: string[]) => void;

function reporter(out: Diagnostic[], doc: DocumentRef): Report {
  return (path, code, message, hint, requirements) => out.push({ doc, path, code, message, hint, ...(requirements ? { requirements } : {}) });
}

export function checkPlatform(p: PlatformDoc): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = reporter(out, { kind: 'Platform', name: p.name });

  const seen = new Map<string, number>();
  const slots = new Map<number, string>();
  p.sites.forEach((s, k) => {
    if (seen.has(s.id)) report(['sites', k, 'id'], 'E_DUPLICATE', `site ${s.id} is declared twice`, 'give each site a unique id');
    seen.set(s.id, k);
    const other = slots.get(s.slot);
    if (other) report(['sites', k, 'slot'], 'E_CIDR_OVERLAP', `site ${s.id} reuses address slot ${s.slot} of ${other}`, 'give each site its own slot (0-3); never reuse one');
    slots.set(s.slot, s.id);
  });

  const primaries = p.sites.filter((s) => s.role === 'primary');
  p.sites.forEach((s, k) => {
    if (s.role !== 'backup') return;
    for (const primary of primaries) {
      const km = distanceKm(s.location, primary.location);
      if (km < BACKUP_SITE_MIN_DISTANCE_KM) {
        report(['sites', k, 'location'], 'E_BACKUP_DISTANCE', `backup site ${s.id} is ${Math.round(km)} km from ${primary.id}, less than ${BACKUP_SITE_MIN_DISTANCE_KM} km`, `choose a backup site at least ${BACKUP_SITE_MIN_DISTANCE_KM} km from every primary datacenter`, ['EXG_PSE_1', 'EXG_PRA_1']);
      }
    }
  });

  const nets: Array<{ seg: Segregation; cidr: Cidr }> = [];
  for (const seg of ['production', 'non-production'] as const) {
    const parsed = parseCidr(p.network[seg].supernet);
    if (!parsed.ok) report(['network', seg, 'supernet'], 'E_CIDR_INVALID', parsed.reason, 'write the network address, e.g. 10.38.0.0/17');
    else nets.push({ seg, cidr: parsed.cidr });
  }
  if (nets.length === 2 && overlaps(nets[0]!.cidr, nets[1]!.cidr)) {
    report(['network', 'non-production', 'supernet'], 'E_CIDR_OVERLAP', `non-production supernet ${p.network['non-production'].supernet} overlaps production supernet ${p.network.production.supernet}`, 'production and non-production never share a network: give them disjoint supernets', ['EXG_PSE_4']);
  }
  const vlanRanges = (['production', 'non-production'] as const).map((seg) => p.network[seg].vlanBase);
  if (vlanRanges[0] === vlanRanges[1]) report(['network', 'non-production', 'vlanBase'], 'E_VLAN_DUPLICATE', `non-production vlanBase ${vlanRanges[1]} equals production's`, 'give each class its own VLAN range', ['EXG_PSE_4']);

  const clusterNames = new Map<string, Segregation>();
  p.hypervisorClusters.forEach((c, k) => {
    if (!seen.has(c.site)) report(['hypervisorClusters', k, 'site'], 'E_SITE_UNKNOWN', `hypervisor cluster ${c.name} is on unknown site "${c.site}"`, `use one of: ${[...seen.keys()].join(', ')}`);
    if (c.nodes > MAX_NODES_PER_CLUSTER) report(['hypervisorClusters', k, 'nodes'], 'E_CLUSTER_SIZE', `hypervisor cluster ${c.name} has ${c.nodes} nodes, more than ${MAX_NODES_PER_CLUSTER}`, 'split it into two clusters');
    const prev = clusterNames.get(c.name);
    if (prev && prev !== c.segregation) report(['hypervisorClusters', k, 'name'], 'E_SEGREGATION', `hypervisor cluster ${c.name} is shared by production and non-production`, 'give production its own hypervisor cluster', ['EXG_PSE_2', 'EXG_PSE_4', 'EXG_PSE_5']);
    else if (prev) report(['hypervisorClusters', k, 'name'], 'E_DUPLICATE', `hypervisor cluster ${c.name} is declared twice`, 'give each cluster a unique name');
    clusterNames.set(c.name, c.segregation);
  });

  // Equipment of a security chain (and its bridge) is never shared across classes (EXG_PSE_5).
  const owners = new Map<string, { seg: Segregation; chain: string }>();
  p.securityChains.forEach((c, k) => {
    if (!seen.has(c.site)) report(['securityChains', k, 'site'], 'E_SITE_UNKNOWN', `security chain ${c.name} is on unknown site "${c.site}"`, `use one of: ${[...seen.keys()].join(', ')}`);
    for (const field of ['firewall', 'ips', 'waf', 'bastion', 'bridge'] as const) {
      const key = `${field}:${c[field]}`;
      const owner = owners.get(key);
      if (owner && owner.seg !== c.segregation) {
        report(['securityChains', k, field], 'E_SEGREGATION', `${field} "${c[field]}" is shared by ${owner.seg} (chain ${owner.chain}) and ${c.segregation} (chain ${c.name})`, `production needs its own ${field}; only anti-DDoS may be shared`, ['EXG_PSE_2', 'EXG_PSE_4', 'EXG_PSE_5']);
      }
      if (!owner) owners.set(key, { seg: c.segregation, chain: c.name });
    }
  });
  return out;
}

export function checkEnvironment(p: PlatformDoc, env: EnvironmentDoc): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = reporter(out, { kind: 'Environment', name: env.name });
  const segregation = segregationOf(env);

  for (const { site, path } of declaredSites(env)) {
    if (!env.sites.includes(site)) report(path, 'E_SITE_UNKNOWN', `service placed on site "${site}", which the environment does not use`, `use one of the environment's sites: ${env.sites.join(', ')}, or add ${site} to sites`);
  }
  env.sites.forEach((site, k) => {
    if (p.sites.some((s) => s.id === site) && !p.securityChains.some((c) => c.site === site && c.segregation === segregation)) {
      report(['sites', k], 'E_SEGREGATION', `platform ${p.name} has no ${segregation} security chain (firewall, IPS, WAF, bastion) on ${site}`, `declare a securityChains entry with site: ${site} and segregation: ${segregation}`, ['EXG_PSE_5']);
    }
  });

  const pg = env.services.postgresql;
  if (pg) {
    const names = new Set<string>();
    pg.domains.forEach((d, k) => {
      if (names.has(d.name)) report(['services', 'postgresql', 'domains', k, 'name'], 'E_DUPLICATE', `PostgreSQL domain ${d.name} is declared twice`, 'one cluster per business domain');
      names.add(d.name);
      if (d.primarySite === d.standbySite) {
        report(['services', 'postgresql', 'domains', k, 'standbySite'], 'E_SYNC_SAME_SITE', `domain ${d.name}: primary and ${pg.replication} standby are both in ${d.primarySite}`, 'put the standby in the other primary datacenter so a site loss loses no data', ['EXG_PCA_2']);
      }
      if (pg.witnessSite === d.primarySite || pg.witnessSite === d.standbySite) {
        report(['services', 'postgresql', 'witnessSite'], 'E_WITNESS_SITE', `domain ${d.name}: the etcd witness is in ${pg.witnessSite}, a data site`, 'put the witness in the third site (DC3) so either datacenter can be lost', ['EXG_PCA_2']);
      }
    });
  }
  // Virtual patches of the WAF (virtualPatches.ts): ids, CVEs, dates, variables, match, rule ids.
  for (const v of checkVirtualPatches(env.services.waf?.virtualPatches ?? [])) {
    report(['services', 'waf', 'virtualPatches', ...v.path], v.code, v.message, v.hint, ['EXG_WAF_1']);
  }
  // Kafka (kafka.ts, ADR 0007): brokers on two sites at least, a KRaft quorum that survives a site loss.
  for (const k of checkKafka(env)) report(k.path, k.code, k.message, k.hint, k.requirements);
  // Ceph (ceph.ts): stretch mode's preconditions.
  for (const c of checkCeph(env)) report(c.path, c.code, c.message, c.hint, c.requirements);
  const ceph = env.services.ceph?.stretched;
  if (ceph?.sites.includes(ceph.witnessSite)) {
    report(['services', 'ceph', 'stretched', 'witnessSite'], 'E_WITNESS_SITE', `Ceph tie-breaker monitor is in ${ceph.witnessSite}, a data site`, 'put the tie-breaker in the third site');
  }

  for (const [site, zones] of Object.entries(env.network.vlans ?? {})) {
    const seen = new Map<number, string>();
    for (const [zone, vlan] of Object.entries(zones ?? {})) {
      if (vlan === undefined) continue;
      const prev = seen.get(vlan);
      if (prev) report(['network', 'vlans', site, zone], 'E_VLAN_DUPLICATE', `VLAN ${vlan} is used twice on ${site} (zones ${prev} and ${zone})`, 'give each zone its own VLAN');
      seen.set(vlan, zone);
    }
  }
  return out;
}

export interface EnvironmentResult {
  env: EnvironmentDoc;
  expansion: Expansion;
}

/** Checks that need every environment of a platform at once. */
export function checkAcrossEnvironments(p: PlatformDoc, results: EnvironmentResult[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byName = new Map<string, EnvironmentDoc>();
  const blocks: Array<{ env: EnvironmentDoc; cidr: Cidr }> = [];
  const vlans = new Map<string, { env: string; zone: string }>();
  const load = new Map<string, { vcpu: number; ramGiB: number; envs: string[] }>();
  // Environments with explicit VLANs come last, so a clash is reported on the file that made it.
  const order = (r: EnvironmentResult) => (r.env.network.vlans ? 1 : 0);
  for (const { env, expansion } of [...results].sort((a, b) => order(a) - order(b) || a.env.name.localeCompare(b.env.name))) {
    const report = reporter(out, { kind: 'Environment', name: env.name });
    const twin = byName.get(env.name);
    if (twin) report(['name'], 'E_DUPLICATE', `environment name ${env.name} is used by two files`, 'rename one of them');
    byName.set(env.name, env);
    const topo = expansion.topology;
    if (!topo) continue;
    const cidr = parseCidr(topo.environment.addressBlock);
    let overlapping = false;
    if (cidr.ok) {
      const clash = blocks.find((b) => overlaps(b.cidr, cidr.cidr));
      if (clash) report(['network', 'slot'], 'E_CIDR_OVERLAP', `address block ${topo.environment.addressBlock} (slot ${env.network.slot}) overlaps environment ${clash.env.name} (slot ${clash.env.network.slot})`, 'pick a free slot (hdsctl env new picks one for you)', ['EXG_PSE_4']);
      overlapping = Boolean(clash);
      blocks.push({ env, cidr: cidr.cidr });
    }
    // A reused slot also reuses the slot's VLANs: the overlap above is the one error to fix.
    for (const z of overlapping ? [] : topo.zones) {
      const key = `${z.site}/${z.vlan}`;
      const prev = vlans.get(key);
      const overridden = env.network.vlans?.[z.site]?.[z.zone] !== undefined;
      if (prev && prev.env !== env.name) {
        report(overridden ? ['network', 'vlans', z.site, z.zone] : ['network', 'slot'], 'E_VLAN_DUPLICATE', `VLAN ${z.vlan} on ${z.site} (zone ${z.zone}) is already used by ${prev.env} zone ${prev.zone}`, 'use a VLAN id free on that site, or let the slot choose it');
      } else if (!prev) vlans.set(key, { env: env.name, zone: z.zone });
    }
    for (const c of topo.hypervisorClusters) {
      const l = load.get(c.name) ?? { vcpu: 0, ramGiB: 0, envs: [] };
      l.vcpu += c.allocated.vcpu;
      l.ramGiB += c.allocated.ramGiB;
      l.envs.push(env.name);
      load.set(c.name, l);
    }
  }
  const report = reporter(out, { kind: 'Platform', name: p.name });
  p.hypervisorClusters.forEach((c, k) => {
    const l = load.get(c.name);
    if (!l) return;
    const vcpu = c.nodes * c.coresPerNode * c.cpuOvercommit;
    const ram = c.nodes * c.ramGiBPerNode;
    if (l.vcpu > vcpu) report(['hypervisorClusters', k], 'E_CAPACITY', `${c.name} is asked for ${l.vcpu} vCPU by ${l.envs.join(', ')} and offers ${vcpu}`, 'add nodes, or move an environment to another cluster');
    if (l.ramGiB > ram) report(['hypervisorClusters', k], 'E_CAPACITY', `${c.name} is asked for ${l.ramGiB} GiB RAM by ${l.envs.join(', ')} and has ${ram}`, 'add nodes or RAM, or move an environment');
  });
  return out;
}

/** Everything for one environment: its own checks, then its expansion (workloads against `catalogs`). */
export function evaluateEnvironment(p: PlatformDoc, env: EnvironmentDoc, catalogs: readonly CatalogDoc[] = []): EnvironmentResult & { diagnostics: Diagnostic[] } {
  const diagnostics = checkEnvironment(p, env);
  const expansion = expand(p, env, catalogs);
  return { env, expansion, diagnostics: [...diagnostics, ...expansion.diagnostics] };
}
