/**
 * The inventories of a reversibility export (`inventory/` of types.ts's layout), rendered from the
 * model: what a taker ("repreneur") reads to know what the platform is made of, before and
 * without running anything (EXG_REV_14: hardware/software list and configuration, the backup and
 * restore plan; EXG_REV_19: the HSM key cartography and the full flow matrix; EXG_TRA_2: the CMDB
 * and the flow matrix; CAIH-3-1: open formats, CSV and JSON).
 *
 * | file | function | content |
 * | --- | --- | --- |
 * | `cmdb.json`, `cmdb.csv` | cmdb | sites, security chains, zones (subnet, VLAN, bridge), hypervisor clusters, services, every guest (site, zone addresses, hosting, VMID, size, role, software and versions), application components; the CSV has one row per guest |
 * | `flows.csv` | flowMatrixCsv | the IP-level flow matrix (EXG_ART_1.2): one row per `Topology.flowMatrix` entry, with the declaration's scope and requirement ids |
 * | `backup-plan.json` | backupPlan | the policy, pgBackRest's repositories (repo1, the offline copy repo2), every database's jobs and schedules, the VM backups, the configuration set, what is not backed up and why |
 * | `hsm-keys.json`, `hsm-keys.csv` | keyCartography, modelKeyCartography | every HSM key's metadata (id, label, domain, site and token, type and size, mechanisms, usage and extractable/sensitive flags): read from the tokens, or the keys the model expects |
 *
 * Formats. JSON: two-space indentation, object keys sorted at every level, arrays in a documented
 * order, a final newline, a `version` field (INVENTORY_VERSION) and a `kind`. CSV: RFC 4180 (`csv`):
 * a header row, CRLF after every record, a field quoted when it holds `,` `"` CR or LF (quotes
 * doubled), an unknown value as an empty field, booleans `true`/`false`, lists joined with a space.
 * No clock, no randomness: the same topology (and the same options) gives the same bytes.
 *
 * Metadata only: a key record is built field by field from a fixed list (KEY_FIELDS), so nothing
 * else a caller's object carries (key material included) can reach the output. No secret is read
 * here: the backup plan names the pgBackRest passphrases' secrets, never their values.
 *
 * Pure: imports the model, the services' pure renderers and the Proxmox plan's id derivation only;
 * no node builtin, no I/O.
 */
import { pgDomains, pgNodes, repositoryGuest } from '../model/roles.ts';
import type { Guest, ServiceKind, Topology } from '../model/topology.ts';
import { ZONES, type Zone } from '../model/types.ts';
import { holdsData } from '../proxmox/plan/compute.ts';
import { vmIds, vnetId } from '../proxmox/plan/ids.ts';
import type { KeyMetadata } from '../runtime/hsm/keystore.ts';
import { BACKUP_TIME_ZONE, backupSchedule } from '../services/backup/schedule.ts';
import {
  backupUnitsInput,
  offlineCopyBucket,
  pgbackrestOfflineRetention,
  pgbackrestRetention,
  restoreSiteCommonName,
} from '../services/fromTopology/backup.ts';
import { PGBACKREST_PATHS } from '../services/fromTopology/paths.ts';
import { PRODUCTION } from '../services/fromTopology/profile.ts';
import { JMX_EXPORTER } from '../services/kafka/metrics.ts';
import { KAFKA_VERSION_FLOOR } from '../services/kafka/render.ts';

/** The `version` of every inventory document; bumped when a field changes meaning or disappears. */
export const INVENTORY_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180) and canonical JSON

const NEEDS_QUOTES = /[",\r\n]/;

function csvField(value: string, alone: boolean): string {
  // A record of one empty field would be an empty line, which readers skip: quote it.
  if (NEEDS_QUOTES.test(value) || (alone && value === '')) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

/**
 * RFC 4180 text of `rows` (the first row is the header when there is one): fields separated by
 * commas, each record ended by CRLF (the last one too), a field quoted when it holds `,` `"` CR or
 * LF, quotes doubled inside. Every row must have as many fields as the first (RFC 4180 §2.4);
 * an empty list gives the empty string.
 */
export function csv(rows: readonly (readonly string[])[]): string {
  const width = rows[0]?.length ?? 0;
  let out = '';
  rows.forEach((row, i) => {
    if (row.length !== width) throw new Error(`csv: row ${i + 1} has ${row.length} fields, the first row has ${width}; give every row the same columns`);
    if (width === 0) throw new Error('csv: a row has no field; give every row at least one column');
    for (let k = 0; k < row.length; k++) {
      const v = row[k];
      if (typeof v !== 'string') throw new Error(`csv: row ${i + 1}, field ${k + 1} is ${typeof v}, not a string; convert it before rendering`);
    }
    out += `${row.map((v) => csvField(v, width === 1)).join(',')}\r\n`;
  });
  return out;
}

/** A value as a CSV field: unknown (null/undefined) empty, booleans and numbers as text, lists joined with a space. */
function field(v: string | number | boolean | null | undefined | readonly string[]): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.join(' ');
  return String(v);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** JSON with object keys sorted at every level, two-space indentation and a final newline. */
function stableJson(doc: unknown): string {
  return `${JSON.stringify(sortKeys(doc), null, 2)}\n`;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const ZONE_ORDER = new Map<Zone, number>(ZONES.map((z, i) => [z, i]));

// ---------------------------------------------------------------------------------------------
// Software the model knows a guest runs

/** One piece of software on a guest. */
export interface SoftwareItem {
  name: string;
  /** Debian package, or the artefact's coordinates when it is not a Debian package. */
  package: string;
  /** The exact version: given by the caller (`packageVersions`), else pinned by the model; null when neither knows it. */
  version: string | null;
  versionFrom: 'package-versions' | 'model' | null;
  /** The oldest version the platform's configuration supports, when the model states one. */
  minimum?: string;
}

interface SoftwareSpec {
  name: string;
  package: string;
  pin?: string;
  minimum?: string;
}

const NODE_EXPORTER: SoftwareSpec = { name: 'Prometheus node exporter', package: 'prometheus-node-exporter' };

/**
 * The software of a guest, from its service and role (the Debian packages the renderers configure,
 * modules/lab/packages.ts installs for the lab, and modules/services pins), and its operating system.
 */
function softwareSpec(t: Topology, g: Guest): { os: string; software: SoftwareSpec[] } {
  const debian = (software: SoftwareSpec[]) => ({ os: 'Debian 12', software: [...software, NODE_EXPORTER] });
  const service: ServiceKind = g.service;
  switch (service) {
    case 'waf':
      return debian([
        { name: 'nginx', package: 'nginx-light' },
        { name: 'ModSecurity (nginx module)', package: 'libnginx-mod-http-modsecurity' },
        { name: 'OWASP Core Rule Set', package: 'modsecurity-crs' },
      ]);
    case 'bastion':
      return debian([]);
    case 'openshift':
      return { os: 'OpenShift/OKD node (CoreOS, agent-based installer)', software: [{ name: 'OpenShift / OKD', package: 'openshift' }] };
    case 'postgresql':
      if (g.role === 'primary' || g.role === 'standby')
        return debian([
          { name: 'PostgreSQL', package: 'postgresql-15', minimum: '15' },
          { name: 'Patroni', package: 'patroni' },
          { name: 'pgBackRest', package: 'pgbackrest' },
          { name: 'PostgreSQL exporter', package: 'prometheus-postgres-exporter' },
        ]);
      if (g.role === 'etcd' || g.role === 'witness') return debian([{ name: 'etcd', package: 'etcd-server' }]);
      if (g.role === 'haproxy') return debian([{ name: 'HAProxy', package: 'haproxy' }]);
      return debian([]);
    case 'kafka':
      return debian([
        { name: 'Apache Kafka (KRaft)', package: 'org.apache.kafka:kafka', minimum: KAFKA_VERSION_FLOOR },
        { name: 'Prometheus JMX exporter', package: `${JMX_EXPORTER.groupId}:${JMX_EXPORTER.artifactId}`, pin: JMX_EXPORTER.version },
      ]);
    case 'ceph': {
      const p = t.ceph;
      const daemons: SoftwareSpec[] = [];
      const external = g.role === 'external';
      if (external || p?.monitors.includes(g.name)) daemons.push({ name: 'Ceph monitor', package: 'ceph-mon' });
      if (external || p?.managers.includes(g.name)) daemons.push({ name: 'Ceph manager', package: 'ceph-mgr' });
      if (external || p?.osdHosts.some((h) => h.host === g.name)) daemons.push({ name: 'Ceph OSD', package: 'ceph-osd' });
      if (external || p?.gateways.includes(g.name)) daemons.push({ name: 'Ceph object gateway (RGW)', package: 'radosgw' });
      return debian(daemons);
    }
    case 'hsm':
      // The lab's HSM is a SoftHSM2 token per site; elsewhere a network HSM appliance (PKCS#11, KMIP).
      return t.environment.class === 'lab'
        ? { os: 'lab host (SoftHSM2 token)', software: [{ name: 'SoftHSM2', package: 'softhsm2' }] }
        : { os: 'HSM appliance firmware', software: [{ name: 'HSM appliance (PKCS#11, KMIP)', package: 'hsm-appliance' }] };
    case 'monitoring':
      return debian([
        { name: 'Prometheus', package: 'prometheus' },
        { name: 'Prometheus blackbox exporter', package: 'prometheus-blackbox-exporter' },
      ]);
    case 'backup':
      return debian([
        { name: 'pgBackRest (repository host)', package: 'pgbackrest' },
        { name: 'Proxmox Backup Server', package: 'proxmox-backup-server' },
      ]);
    default: {
      const never: never = service;
      return never;
    }
  }
}

function resolveSoftware(spec: SoftwareSpec, versions: Readonly<Record<string, string>>): SoftwareItem {
  const given = Object.hasOwn(versions, spec.package) ? versions[spec.package] : undefined;
  return {
    name: spec.name,
    package: spec.package,
    version: given ?? spec.pin ?? null,
    versionFrom: given !== undefined ? 'package-versions' : spec.pin !== undefined ? 'model' : null,
    ...(spec.minimum !== undefined ? { minimum: spec.minimum } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// CMDB

export interface CmdbOptions {
  /** The toolkit's commit the export was made from (kit/COMMIT). */
  toolkitCommit: string;
  /**
   * Installed versions by package name (Debian package, or the artefact coordinates SoftwareItem.package
   * shows), e.g. from `dpkg-query -W` on the hosts; they take precedence over the model's pins.
   * @default none: only the model's pins are known
   */
  packageVersions?: Readonly<Record<string, string>>;
}

export interface CmdbAddress {
  zone: Zone;
  ip: string;
  vlan: number;
  /** The Proxmox SDN vnet of the zone (VMs only). */
  vnet?: string;
}

export interface CmdbGuest {
  name: string;
  site: string;
  service: ServiceKind;
  role: string;
  cluster: string;
  domain: string | null;
  hosting: Guest['hosting'];
  /** Proxmox VMID (VMs only, modules/proxmox/plan/ids.ts), else null. */
  vmid: number | null;
  hypervisor: { cluster: string; node: string } | null;
  vcpu: number;
  ramGiB: number;
  diskGiB: number;
  /** The zone of the first NIC, which carries the service's traffic. */
  serviceZone: Zone;
  addresses: CmdbAddress[];
  /** Backed up over the backup network (has a NIC in the backup zone). */
  holdsData: boolean;
  os: string;
  software: SoftwareItem[];
}

/** The columns of cmdb.csv, in order. */
export const CMDB_CSV_COLUMNS = [
  'name',
  'site',
  'service',
  'role',
  'cluster',
  'domain',
  'hosting',
  'vmid',
  'hypervisor_cluster',
  'hypervisor_node',
  'vcpu',
  'ram_gib',
  'disk_gib',
  'service_zone',
  ...ZONES.flatMap((z) => [`${z}_ip`, `${z}_vlan`]),
  'holds_data',
  'os',
  'software',
] as const;

function cmdbGuests(t: Topology, versions: Readonly<Record<string, string>>): CmdbGuest[] {
  const ids = vmIds(t);
  const seen = new Set<string>();
  return [...t.guests]
    .sort((a, b) => byString(a.name, b.name))
    .map((g) => {
      if (seen.has(g.name))
        throw new Error(`cmdb: guest ${g.name} appears twice in the topology of ${t.environment.name}; the model gives every guest a unique name`);
      seen.add(g.name);
      const first = g.nics[0];
      if (!first) throw new Error(`cmdb: guest ${g.name} of ${t.environment.name} has no NIC`);
      const vm = g.hosting === 'vm';
      const { os, software } = softwareSpec(t, g);
      return {
        name: g.name,
        site: g.site,
        service: g.service,
        role: g.role,
        cluster: g.cluster,
        domain: g.domain ?? null,
        hosting: g.hosting,
        vmid: vm ? (ids.get(g.name) ?? null) : null,
        hypervisor: g.placement ? { cluster: g.placement.hypervisorCluster, node: g.placement.node } : null,
        vcpu: g.size.vcpu,
        ramGiB: g.size.ramGiB,
        diskGiB: g.size.diskGiB,
        serviceZone: first.zone,
        addresses: [...g.nics]
          .sort((a, b) => ZONE_ORDER.get(a.zone)! - ZONE_ORDER.get(b.zone)!)
          .map((n) => ({ zone: n.zone, ip: n.ip, vlan: n.vlan, ...(vm ? { vnet: vnetId(t, n.zone) } : {}) })),
        holdsData: holdsData(g),
        os,
        software: software.map((s) => resolveSoftware(s, versions)).sort((a, b) => byString(a.package, b.package)),
      };
    });
}

function cmdbCsvRow(g: CmdbGuest): string[] {
  const byZone = new Map(g.addresses.map((a) => [a.zone, a]));
  return [
    g.name,
    g.site,
    g.service,
    g.role,
    g.cluster,
    field(g.domain),
    g.hosting,
    field(g.vmid),
    field(g.hypervisor?.cluster),
    field(g.hypervisor?.node),
    field(g.vcpu),
    field(g.ramGiB),
    field(g.diskGiB),
    g.serviceZone,
    ...ZONES.flatMap((z) => [field(byZone.get(z)?.ip), field(byZone.get(z)?.vlan)]),
    field(g.holdsData),
    g.os,
    g.software.map((s) => (s.version === null ? s.package : `${s.package}=${s.version}`)).join(' '),
  ];
}

/**
 * The CMDB of the topology's environment (EXG_REV_14, EXG_TRA_2): `json` the whole inventory
 * (sites, security chains, zones, hypervisor clusters, services, guests, application components,
 * the software list, totals), `csv` one row per guest (CMDB_CSV_COLUMNS; software as
 * `package=version` separated by spaces, the version left out when unknown).
 */
export function cmdb(topology: Topology, opts: CmdbOptions): { json: string; csv: string } {
  const t = topology;
  if (typeof opts.toolkitCommit !== 'string' || !/^[\w.+-]+$/.test(opts.toolkitCommit))
    throw new Error(`cmdb: toolkitCommit ${JSON.stringify(opts.toolkitCommit)} is not a commit id; pass the toolkit's git commit (git rev-parse HEAD)`);
  const versions = opts.packageVersions ?? {};
  for (const [pkg, v] of Object.entries(versions))
    if (typeof v !== 'string' || v.trim() === '')
      throw new Error(`cmdb: packageVersions[${JSON.stringify(pkg)}] is empty; give the installed version or leave the package out`);
  const guests = cmdbGuests(t, versions);
  const guestByName = new Map(guests.map((g) => [g.name, g]));

  const software = new Map<string, SoftwareItem & { guests: number; services: Set<string> }>();
  for (const g of guests)
    for (const s of g.software) {
      const entry = software.get(s.package) ?? { ...s, guests: 0, services: new Set<string>() };
      entry.guests++;
      entry.services.add(g.cluster);
      software.set(s.package, entry);
    }

  const workloads = t.workloads;
  const doc = {
    version: INVENTORY_VERSION,
    kind: 'hds-platform-cmdb',
    requirements: ['EXG_REV_14', 'EXG_TRA_2', 'CAIH-3-1'],
    toolkit: { commit: opts.toolkitCommit },
    environment: { ...t.environment },
    slo: { availabilityPct: t.slo.availabilityPct, window: t.slo.windowLabel, monthlyBudget: t.slo.monthlyBudget, requirement: t.slo.requirement },
    sites: [...t.sites].sort((a, b) => byString(a.id, b.id)),
    securityChains: [...t.securityChains].sort((a, b) => byString(a.site, b.site) || byString(a.name, b.name)),
    zones: [...t.zones]
      .sort((a, b) => byString(a.site, b.site) || ZONE_ORDER.get(a.zone)! - ZONE_ORDER.get(b.zone)!)
      .map((z) => ({ ...z, vnet: vnetId(t, z.zone) })),
    hypervisorClusters: [...t.hypervisorClusters].sort((a, b) => byString(a.name, b.name)),
    services: [...t.services]
      .sort((a, b) => byString(a.id, b.id))
      .map((s) => ({
        id: s.id,
        kind: s.kind,
        sites: [...s.sites].sort(byString),
        members: [...s.members].sort(byString),
        summary: s.summary,
        software: [...new Set(s.members.flatMap((m) => guestByName.get(m)?.software.map((x) => x.package) ?? []))].sort(byString),
      })),
    guests,
    applications: workloads
      ? {
          catalog: workloads.catalog,
          registry: workloads.registry,
          loadFactor: workloads.loadFactor,
          components: [...workloads.components]
            .sort((a, b) => byString(a.name, b.name))
            .map((c) => ({
              name: c.name,
              domain: c.domain,
              tier: c.tier,
              image: `${c.image.repository}@${c.image.digest}`,
              exposure: c.exposure,
              minReplicas: c.minReplicas,
              maxReplicas: c.maxReplicas,
              pgDomain: c.pgDomain ?? null,
              hsmKeyDomain: c.hsmKeyDomain ?? null,
            })),
          topics: [...workloads.topics]
            .sort((a, b) => byString(a.name, b.name))
            .map((x) => ({ name: x.name, domain: x.domain, partitions: x.partitions, retentionHours: x.retentionHours, compacted: x.compacted ?? false })),
        }
      : null,
    software: [...software.values()]
      .sort((a, b) => byString(a.package, b.package))
      .map(({ services, ...s }) => ({ ...s, services: [...services].sort(byString) })),
    totals: t.totals,
  };
  return { json: stableJson(doc), csv: csv([[...CMDB_CSV_COLUMNS], ...guests.map(cmdbCsvRow)]) };
}

// ---------------------------------------------------------------------------------------------
// Flow matrix

/** The columns of flows.csv, in order. */
export const FLOW_CSV_COLUMNS = [
  'flow',
  'source',
  'source_site',
  'source_zone',
  'source_ip',
  'destination',
  'destination_site',
  'destination_zone',
  'destination_ip',
  'protocol',
  'port',
  'plane',
  'scope',
  'purpose',
  'requirements',
] as const;

/**
 * The IP-level flow matrix (EXG_ART_1.2, EXG_REV_19) as CSV: one row per `Topology.flowMatrix`
 * entry, in the model's order (declaration, then source, destination and port), with the
 * declaration's scope and requirement ids (space separated). A source outside the platform
 * (internet, administrators' workstations) has no site or zone.
 */
export function flowMatrixCsv(topology: Topology): string {
  const declarations = new Map(topology.flows.map((f) => [f.id, f]));
  const rows = topology.flowMatrix.map((e) => {
    const d = declarations.get(e.flow);
    if (!d)
      throw new Error(`flow matrix: entry of flow ${e.flow} has no declaration in the topology of ${topology.environment.name}; re-expand the environment`);
    return [
      e.flow,
      e.source.name,
      field(e.source.site),
      field(e.source.zone),
      e.source.ip,
      e.destination.name,
      e.destination.site,
      e.destination.zone,
      e.destination.ip,
      e.protocol,
      field(e.port),
      e.plane,
      d.scope,
      e.purpose,
      field(d.requirements),
    ];
  });
  return csv([[...FLOW_CSV_COLUMNS], ...rows]);
}

// ---------------------------------------------------------------------------------------------
// Backup plan

/**
 * What is backed up, where, when and for how long (EXG_REV_14: the backup/restore plan, objects and
 * retention; EXG_PRA_2), as JSON: the policy, pgBackRest's repositories, every business database
 * (stanza) with its scheduled jobs and restore test, the VM backups to the Proxmox Backup Server,
 * the configuration and key-metadata set, the object store's copy, and what is not backed up, with
 * why. Production's paths (the PRODUCTION profile); secrets are named, never valued. An
 * environment without a backup policy gives `status: "none"` and says what that leaves.
 */
export function backupPlan(topology: Topology): string {
  const t = topology;
  const head = {
    version: INVENTORY_VERSION,
    kind: 'hds-platform-backup-plan',
    requirements: ['EXG_REV_14', 'EXG_PRA_2', 'EXG_PRA_3', 'CAIH-3-1'],
    environment: t.environment.name,
  };
  const policy = t.backup;
  const repo = repositoryGuest(t);
  if (!policy || !repo) {
    return stableJson({
      ...head,
      status: 'none',
      reason: policy
        ? `services.backup of ${t.environment.name} has no backup server in ${policy.site}`
        : `${t.environment.name} declares no services.backup: nothing of it is backed up by the platform`,
      databases: pgDomains(t).map((domain) => ({ domain, backedUp: false })),
    });
  }
  const stanzas = pgDomains(t);
  const units = backupUnitsInput(t, PRODUCTION);
  const jobs = units && stanzas.length > 0 ? backupSchedule(units) : [];
  const offline = policy.offlineCopy;
  const lab = t.environment.class === 'lab';
  const bucket = offlineCopyBucket(t);
  const externalCeph = t.guests.filter((g) => g.service === 'ceph' && g.role === 'external').map((g) => g.name);
  const repoFor = (kind: string) => (kind.startsWith('offline') ? 'repo2' : kind === 'restore-test' ? null : 'repo1');

  const repositories = [
    {
      id: 'repo1',
      tool: 'pgBackRest',
      host: repo.name,
      site: repo.site,
      path: PGBACKREST_PATHS.repoPath,
      cipher: 'aes-256-cbc',
      passphraseSecret: 'pgbackrest-repo1',
      retention: { ...pgbackrestRetention(policy.retention), meaning: 'full: full backups kept (one a week); diff: differential backups kept (one a day)' },
      access: 'TLS server of the repository host, client certificates (CN = guest name); PostgreSQL hosts cannot delete',
    },
    ...(offline
      ? [
          {
            id: 'repo2',
            tool: 'pgBackRest (offline copy)',
            host: repo.name,
            site: repo.site,
            cipher: 'aes-256-cbc',
            passphraseSecret: 'pgbackrest-repo2',
            retention: {
              ...pgbackrestOfflineRetention(policy.retention),
              meaning: 'fullDays: full backups kept for that many days; diff: differential backups kept; archive: WAL kept for that many backups',
            },
            storage: lab
              ? { type: 'posix', path: PGBACKREST_PATHS.offlineRepoPath, sealed: 'each file made immutable (chattr +i) after each offline backup' }
              : {
                  type: 's3',
                  cluster: 'ceph-external',
                  nodes: externalCeph,
                  bucket: bucket?.name ?? null,
                  region: bucket?.region ?? null,
                  objectLock: bucket?.objectLock ?? null,
                  credentialsSecret: 'pgbackrest-repo2-s3',
                },
          },
        ]
      : []),
  ];

  const databases = stanzas.map((domain) => ({
    domain,
    stanza: domain,
    members: pgNodes(t, domain).map((g) => ({ guest: g.name, site: g.site, role: g.role })),
    walArchiving: 'continuous, asynchronous (archive-async, bounded spool), to repo1',
    repositories: offline ? ['repo1', 'repo2'] : ['repo1'],
    jobs: jobs
      .filter((j) => j.stanza === domain && j.kind !== 'restore-test')
      .map((j) => ({
        unit: j.unit,
        kind: j.kind,
        repository: repoFor(j.kind),
        onCalendar: j.onCalendar,
        command: j.command,
        user: j.user,
        description: j.description,
      })),
    restoreTest:
      jobs
        .filter((j) => j.stanza === domain && j.kind === 'restore-test')
        .map((j) => ({ unit: j.unit, onCalendar: j.onCalendar, command: j.command, client: restoreSiteCommonName(t) }))[0] ?? null,
  }));

  // VM disks (modules/proxmox/plan/backup.ts): per site, data holders on the data schedule, every
  // other VM on the system schedule; the backup servers are not backed up into themselves.
  const vms = t.guests.filter((g) => g.hosting === 'vm' && g.service !== 'backup');
  const sites = [...new Set(vms.map((g) => g.site))].sort(byString);
  const vmJobs = sites.flatMap((site) =>
    (['data', 'system'] as const).flatMap((kind) => {
      const guests = vms
        .filter((g) => g.site === site && holdsData(g) === (kind === 'data'))
        .map((g) => g.name)
        .sort(byString);
      return guests.length ? [{ id: `${t.environment.name}-${site.toLowerCase()}-${kind}`, site, kind, schedule: policy.schedule[kind], guests }] : [];
    }),
  );

  const notBackedUp = [
    {
      what: `backup servers (${policy.servers.join(', ')})`,
      why: 'their content is the backups; the offline copy (repo2) and the object-lock bucket are their copy',
    },
    ...(t.guests.some((g) => g.hosting === 'baremetal')
      ? [
          {
            what: 'bare-metal Ceph hosts (not VMs)',
            why: 'their data is replicated by Ceph (stretched over two sites) and copied to the external cluster; no VM backup applies',
          },
        ]
      : []),
    ...(t.guests.some((g) => g.hosting === 'appliance')
      ? [
          {
            what: 'HSM appliances and their keys',
            why: 'keys never leave the HSM (not extractable); the cluster peer holds them; only their metadata is in the configuration set',
          },
        ]
      : []),
    ...(stanzas.length === 0
      ? []
      : [{ what: 'PostgreSQL data directories as files', why: 'the databases are backed up by pgBackRest (consistent, point-in-time), not by copying files' }]),
  ];

  return stableJson({
    ...head,
    status: 'planned',
    policy: {
      site: policy.site,
      servers: [...policy.servers],
      encryption: policy.encryption,
      retention: { ...policy.retention },
      offlineCopy: policy.offlineCopy,
      schedule: { ...policy.schedule },
      timeZone: BACKUP_TIME_ZONE,
    },
    repositories,
    databases,
    vmBackups: {
      tool: 'Proxmox vzdump to Proxmox Backup Server',
      server: repo.name,
      datastore: t.environment.name,
      encryption: 'client side, AES-256-GCM (key escrowed offline)',
      retention: {
        keepDaily: policy.retention.daily,
        keepWeekly: policy.retention.weekly,
        keepMonthly: policy.retention.monthly,
        keepYearly: policy.retention.yearly,
      },
      jobs: vmJobs,
    },
    configurationSet: {
      what: [
        'environments/: the environment, platform, catalog and schema files',
        'rendered/<guest>/...: every rendered configuration file of every guest (production paths, secrets as placeholders resolved at first boot, never values)',
        'policies/waivers.yaml',
        'keys/hsm-keys.json: the HSM keys metadata, never key material',
      ],
      format: 'config-set.tar.gz (deterministic) + manifest.json (SHA-256 of every file and of the archive)',
      where: `${repo.name}:${PGBACKREST_PATHS.configSetPath}/<id>/`,
      when: `on demand: hdsctl backup config --env ${t.environment.name}`,
    },
    objectStore: t.ceph
      ? {
          cluster: 'ceph',
          sites: [...t.ceph.sites],
          replication: 'stretched over the data sites (every object on both)',
          copy: externalCeph.length ? { cluster: 'ceph-external', nodes: externalCeph, flow: 'ceph-to-external' } : null,
        }
      : null,
    notBackedUp,
    dataHolders: t.guests
      .filter(holdsData)
      .map((g) => g.name)
      .sort(byString),
  });
}

// ---------------------------------------------------------------------------------------------
// HSM key cartography

/** One key of the cartography: metadata only (KEY_FIELDS, nothing else). */
export interface KeyCartographyRecord {
  site: string;
  /** Token label (read from a token), or the HSM cluster's service id (from the model). */
  token: string;
  /** `token`: read from the token; `model`: what the model expects to exist. */
  source: 'token' | 'model';
  label: string;
  /** The business domain the key serves (the key store labels each key with its domain). */
  domain: string;
  /** CKA_ID, hex. */
  id: string;
  type: string;
  bits: number;
  mechanisms: string[];
  usage: { wrap: boolean; unwrap: boolean; encrypt: boolean };
  extractable: boolean;
  sensitive: boolean;
  neverExtractable: boolean;
  alwaysSensitive: boolean;
  /** Generated inside the token (CKA_LOCAL). */
  local: boolean;
  /** Creation time; null: the token records none (CKA_START_DATE is not set at generation). */
  createdAt: string | null;
}

/** Every field of a key record, in the CSV's order of KEY_CSV_COLUMNS; nothing else is ever written. */
export const KEY_FIELDS = [
  'site',
  'token',
  'source',
  'label',
  'domain',
  'id',
  'type',
  'bits',
  'mechanisms',
  'usage',
  'extractable',
  'sensitive',
  'neverExtractable',
  'alwaysSensitive',
  'local',
  'createdAt',
] as const satisfies readonly (keyof KeyCartographyRecord)[];

export const KEY_CSV_COLUMNS = [
  'site',
  'token',
  'source',
  'label',
  'domain',
  'id',
  'type',
  'bits',
  'mechanisms',
  'wrap',
  'unwrap',
  'encrypt',
  'extractable',
  'sensitive',
  'never_extractable',
  'always_sensitive',
  'local',
  'created_at',
] as const;

/** The mechanism the key store wraps data keys with (modules/runtime/hsm/keystore.ts WRAP_MECHANISM_NAME). */
export const DOMAIN_KEY_MECHANISM = 'CKM_AES_KEY_WRAP_PAD';

const HEX = /^[0-9a-f]*$/;

/** The CKA_ID the key store gives a domain's key (keystore.ts ensureDomainKeys: ASCII `hds:<domain>:1`), hex. */
export function expectedDomainKeyId(domain: string): string {
  let hex = '';
  for (const b of new TextEncoder().encode(`hds:${domain}:1`)) hex += b.toString(16).padStart(2, '0');
  return hex;
}

const sortRecords = (a: KeyCartographyRecord, b: KeyCartographyRecord) =>
  byString(a.site, b.site) || byString(a.token, b.token) || byString(a.source, b.source) || byString(a.label, b.label) || byString(a.id, b.id);

/** The records of keys read from tokens: every field copied by name from KeyMetadata, nothing else. */
export function tokenKeyRecords(tokens: ReadonlyArray<{ site: string; token: string; keys: readonly KeyMetadata[] }>): KeyCartographyRecord[] {
  const seen = new Set<string>();
  const out: KeyCartographyRecord[] = [];
  for (const tk of tokens) {
    const where = `${tk.site}/${tk.token}`;
    if (seen.has(where)) throw new Error(`key cartography: token ${tk.token} of ${tk.site} is given twice; read each token once`);
    seen.add(where);
    for (const k of tk.keys) {
      const id = String(k.id).toLowerCase();
      if (!HEX.test(id))
        throw new Error(
          `key cartography: key ${JSON.stringify(k.label)} of ${where} has a CKA_ID that is not hex; give KeyMetadata as HsmKeyStore.keyInventory returns it`,
        );
      out.push({
        site: String(tk.site),
        token: String(tk.token),
        source: 'token',
        label: String(k.label),
        domain: String(k.label),
        id,
        type: String(k.type),
        bits: Number(k.bits),
        mechanisms: [String(k.mechanism)],
        usage: { wrap: k.canWrap === true, unwrap: k.canUnwrap === true, encrypt: k.canEncrypt === true },
        extractable: k.extractable === true,
        sensitive: k.sensitive === true,
        neverExtractable: k.neverExtractable === true,
        alwaysSensitive: k.alwaysSensitive === true,
        local: k.local === true,
        createdAt: null,
      });
    }
  }
  return out.sort(sortRecords);
}

/**
 * The keys the model expects: one AES-256 wrapping key per key domain on the HSM cluster of every
 * site (EXG_SEC_4.2, EXG_SEC_4.3), as the key store creates it (generated inside, sensitive, never
 * extractable, wrap/unwrap only). `keyDomains` is the environment's `services.hsm.keyDomains`
 * (the topology does not carry it yet); none without an HSM service.
 */
export function modelKeyRecords(topology: Topology, keyDomains: readonly string[]): KeyCartographyRecord[] {
  const clusters = topology.services.filter((s) => s.kind === 'hsm');
  if (keyDomains.length > 0 && clusters.length === 0)
    throw new Error(
      `key cartography: ${topology.environment.name} has key domains (${keyDomains.join(', ')}) but no HSM service; declare services.hsm or pass no key domains`,
    );
  const domains = [...new Set(keyDomains)].sort(byString);
  const out: KeyCartographyRecord[] = [];
  for (const c of clusters)
    for (const site of c.sites)
      for (const domain of domains)
        out.push({
          site,
          token: c.id,
          source: 'model',
          label: domain,
          domain,
          id: expectedDomainKeyId(domain),
          type: 'AES',
          bits: 256,
          mechanisms: [DOMAIN_KEY_MECHANISM],
          usage: { wrap: true, unwrap: true, encrypt: false },
          extractable: false,
          sensitive: true,
          neverExtractable: true,
          alwaysSensitive: true,
          local: true,
          createdAt: null,
        });
  return out.sort(sortRecords);
}

function pickKey(r: KeyCartographyRecord): KeyCartographyRecord {
  const o: Record<string, unknown> = {};
  for (const f of KEY_FIELDS)
    o[f] = f === 'usage' ? { wrap: r.usage.wrap, unwrap: r.usage.unwrap, encrypt: r.usage.encrypt } : f === 'mechanisms' ? [...r.mechanisms] : r[f];
  return o as unknown as KeyCartographyRecord;
}

/**
 * The cartography's JSON and CSV (KEY_CSV_COLUMNS) of `records` (tokenKeyRecords, modelKeyRecords
 * or both), sorted by site, token, source, label and id; each record reduced to KEY_FIELDS.
 */
export function renderKeyCartography(records: readonly KeyCartographyRecord[], meta: { environment?: string } = {}): { json: string; csv: string } {
  const keys = records.map(pickKey).sort(sortRecords);
  const doc = {
    version: INVENTORY_VERSION,
    kind: 'hds-platform-hsm-key-cartography',
    requirements: ['EXG_REV_19', 'EXG_SEC_4.2', 'EXG_SEC_4.3'],
    ...(meta.environment !== undefined ? { environment: meta.environment } : {}),
    note: 'metadata only: the keys never leave the HSM (sensitive, not extractable); a taker gets new keys in its own HSM and the documents re-encrypted for its certificate',
    sources: [...new Set(keys.map((k) => k.source))].sort(byString),
    keys,
  };
  const rows = keys.map((k) => [
    k.site,
    k.token,
    k.source,
    k.label,
    k.domain,
    k.id,
    k.type,
    field(k.bits),
    field(k.mechanisms),
    field(k.usage.wrap),
    field(k.usage.unwrap),
    field(k.usage.encrypt),
    field(k.extractable),
    field(k.sensitive),
    field(k.neverExtractable),
    field(k.alwaysSensitive),
    field(k.local),
    field(k.createdAt),
  ]);
  return { json: stableJson(doc), csv: csv([[...KEY_CSV_COLUMNS], ...rows]) };
}

/** The cartography of keys read from the tokens (HsmKeyStore.keyInventory of each site's token). */
export function keyCartography(tokens: ReadonlyArray<{ site: string; token: string; keys: readonly KeyMetadata[] }>): { json: string; csv: string } {
  return renderKeyCartography(tokenKeyRecords(tokens));
}

/**
 * The cartography of the keys the model expects (source `model`), for an export made without
 * access to the tokens (production from outside): `keyDomains` is `services.hsm.keyDomains`.
 */
export function modelKeyCartography(topology: Topology, keyDomains: readonly string[]): { json: string; csv: string } {
  return renderKeyCartography(modelKeyRecords(topology, keyDomains), { environment: topology.environment.name });
}
