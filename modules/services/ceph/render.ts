/**
 * Ceph renderer (docs/storage.md): one ceph.conf per host of the stretched cluster — `[global]`
 * shared by every host, then a section per daemon the host runs (monitor, manager, OSDs, object
 * gateway) with that daemon's own data directory, keyring, admin socket and log. Pure: input -> text.
 *
 * - Authentication: cephx required for cluster, service and client traffic, signatures required
 *   (EXG_SEC_4.1). No key is ever rendered: keyrings are paths, created 0600 by the bootstrap.
 * - On-wire encryption: messenger v2 only (`ms_bind_msgr1 = false`, monitors listed as `v2:`
 *   addresses) and every messenger mode `secure` (AES-GCM), for cluster, service and client
 *   connections alike (EXG_SEC_4.1: no clear-text traffic between sites). msgr v1 has no
 *   encryption at all, hence not bound.
 * - Admin sockets: per daemon, never in `[global]` (two CLI clients sharing one socket path
 *   collide; the CLI keeps Ceph's default `$run_dir/$cluster-$name.$pid.$cctid.asok`).
 * - Failover timings (CEPH_FAILOVER_TIMINGS): chosen for the 30 s bound on writes after a site
 *   loss, the same bound as the database (EXG_PCA_2).
 * - Sizing: osd_memory_target from the host's memory; fixed small caches, sparse-file OSDs and a
 *   lower free-space warning only when `tuning` asks (the lab profile, fromTopology/ceph.ts).
 */
import type { RenderedFile } from '../types.ts';
import { type RgwInput, rgwSection } from './rgw.ts';

export type CephDaemonKind = 'mon' | 'mgr' | 'osd' | 'rgw';

/** One Ceph daemon: what the renderer writes in its section and what a bootstrap needs to start it. */
export interface CephDaemon {
  kind: CephDaemonKind;
  /** Ceph's daemon id: the host name for mon, mgr and rgw; the OSD number for an OSD. */
  id: string;
  /** Ceph entity name: `mon.<id>`, `mgr.<id>`, `osd.<n>`, `client.rgw.<id>`. */
  name: string;
  /** The host (guest) running it. */
  host: string;
  site: string;
  /** Bind and advertised address (public network). */
  address: string;
  /** Fixed listening ports: the monitor's msgr2 port, the manager's Prometheus exporter, the gateway's HTTPS port; none for an OSD (ms_bind_port_min..max). */
  ports: number[];
  dataDir: string;
  /** cephx key of the daemon (created by the bootstrap, 0600, never rendered). */
  keyring: string;
  adminSocket: string;
  logFile: string;
  /** The host's ceph.conf (`-c`). */
  confPath: string;
  /** OSD only: its stable uuid (`ceph osd new <uuid> <id>`, `ceph-osd --mkfs --osd-uuid`). */
  osdUuid?: string;
  /** OSD only: CRUSH location (`root=default datacenter=dc1 host=<host>`). */
  crushLocation?: string;
  /** RGW only: the server pair the HTTPS frontend presents, the client pair it shows a KMIP server, the platform CA. */
  tls?: { certFile: string; keyFile: string; caFile: string; clientCert: string; clientKey: string };
}

/** A host of the cluster: one ceph.conf. */
export interface CephHost {
  name: string;
  site: string;
  confPath: string;
  /** `run_dir` of the host (the CLI's sockets). */
  runDir: string;
  /** client.admin's keyring on this host (the bootstrap places it on monitor hosts only). */
  adminKeyring: string;
  daemons: CephDaemon[];
}

/** Memory and disk sizing: the only lines that differ between a production host and the lab. */
export interface CephTuning {
  /** osd_memory_target (bytes): the OSD's whole memory budget, from the host's memory (≥ 896 MiB, Ceph's floor). */
  osdMemoryTarget: number;
  /** Fixed BlueStore cache (bytes) instead of autotuning. @default undefined (autotune, production) */
  fixedCacheBytes?: number;
  /** OSDs on sparse files of this size (bytes) created at mkfs (`bluestore_block_create`). @default undefined (block devices through ceph-volume, production) */
  sparseBlockBytes?: number;
  /** Free-space warning and critical thresholds of the monitors' disk (%). @default undefined (Ceph's 30 / 5) */
  monDataAvail?: { warn: number; crit: number };
  /** osd_pool_default_pg_autoscale_mode. */
  pgAutoscale: 'on' | 'warn' | 'off';
}

export interface CephClusterInput {
  /** Cluster fsid: stable per environment (fromTopology/ceph.ts cephFsid). */
  fsid: string;
  /** Public network(s): the subnets of the daemons' addresses. */
  publicNetworks: string[];
  hosts: CephHost[];
  /** Pool defaults: size / min_size (stretch mode: 4 / 2, two copies per site). */
  pools: { size: number; minSize: number };
  tuning: CephTuning;
  /** The object gateways' realm, zone, TLS and encryption. Absent: no RGW. */
  rgw?: RgwInput;
}

/**
 * Failure detection tuned for the 30 s bound (EXG_PCA_2). Measured on Ceph 16 with defaults (issue
 * 13): cutting DC1 re-formed the quorum in 17 s and writes resumed at 33 s. The two delays add up:
 * the monitors' (a peon lost is noticed after mon_lease × mon_lease_ack_timeout_factor, 10 s by
 * default, then an election of up to mon_election_timeout) and the OSDs' (peers report an OSD down
 * after osd_heartbeat_grace, 20 s by default, then peering). With lease 3 s (6 s to notice),
 * election timeout 3 s, heartbeats every 3 s and a 10 s grace never stretched by a laggy history,
 * the budget is ≈ 9 s for the quorum and ≈ 10 s + peering for the OSDs: writes resume well under
 * 30 s. Lower would trade spurious elections and flapping OSDs on a loaded host for little. The
 * site-loss drill measures it.
 */
export const CEPH_FAILOVER_TIMINGS = {
  mon_lease: 3,
  mon_election_timeout: 3,
  osd_heartbeat_interval: 3,
  osd_heartbeat_grace: 10,
  /** Default true: the grace grows with an OSD's laggy history, a past drill would lengthen the next. */
  mon_osd_adjust_heartbeat_grace: false,
  /** Two reporters from two hosts (reporter subtree: host): the surviving site has two hosts at least. */
  mon_osd_min_down_reporters: 2,
  /**
   * Every daemon's and client's monitor session (MonClient): a keepalive every 2 s, a new monitor
   * after 6 s without answer. Ceph's 10 s / 30 s let a gateway whose session was on the lost site's
   * monitor wait up to 30 s for the new OSD map — its writes stayed blocked ≈ 12 s after the cluster
   * had re-peered (a 28.7 s site loss in CI, against ≈ 18 s when its session was elsewhere).
   */
  mon_client_ping_interval: 2,
  mon_client_ping_timeout: 6,
} as const;

/** Ceph's floor for osd_memory_target (a lower value is refused). */
export const OSD_MEMORY_TARGET_MIN = 896 * 1024 ** 2;

type Line = readonly [string, string | number | boolean];
type Section = { name: string; lines: Line[] };

const V2 = (address: string, port: number) => `v2:${address}:${port}`;

/** Every monitor of the cluster, model order. */
export function cephMonitors(input: CephClusterInput): CephDaemon[] {
  return input.hosts.flatMap((h) => h.daemons.filter((d) => d.kind === 'mon'));
}

/** `mon_host`: every monitor's msgr2 address (no v1: not bound). */
export function monHost(input: CephClusterInput): string {
  return cephMonitors(input)
    .map((m) => `[${V2(m.address, m.ports[0]!)}]`)
    .join(',');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NAME = /^[a-z0-9][a-z0-9.-]*$/;

function validate(input: CephClusterInput): void {
  if (!UUID.test(input.fsid)) throw new Error(`invalid Ceph fsid ${JSON.stringify(input.fsid)}`);
  const mons = cephMonitors(input);
  if (mons.length < 3 || mons.length % 2 === 0)
    throw new Error(`Ceph needs an odd number of monitors, at least 3 (got ${mons.length}): the tie-breaker makes the quorum survive a site loss`);
  const names = new Set<string>();
  const sockets = new Set<string>();
  for (const h of input.hosts) {
    if (!NAME.test(h.name)) throw new Error(`invalid Ceph host name ${JSON.stringify(h.name)}`);
    for (const d of h.daemons) {
      if (names.has(d.name)) throw new Error(`Ceph daemon ${d.name} is declared twice`);
      names.add(d.name);
      if (sockets.has(d.adminSocket)) throw new Error(`Ceph daemons share the admin socket ${d.adminSocket}`);
      sockets.add(d.adminSocket);
      if (d.host !== h.name) throw new Error(`Ceph daemon ${d.name} is listed on ${h.name} but runs on ${d.host}`);
      if (d.kind === 'rgw' && !input.rgw) throw new Error(`Ceph daemon ${d.name} is a gateway, and the cluster declares no RGW`);
      if (d.kind === 'osd' && !(d.osdUuid && UUID.test(d.osdUuid))) throw new Error(`Ceph ${d.name} has no valid uuid`);
    }
  }
  if (input.pools.size < 3 || input.pools.minSize < 2 || input.pools.minSize > input.pools.size)
    throw new Error(`Ceph pool defaults size ${input.pools.size} / min_size ${input.pools.minSize}: at least 3 / 2`);
  if (input.tuning.osdMemoryTarget < OSD_MEMORY_TARGET_MIN)
    throw new Error(`osd_memory_target ${input.tuning.osdMemoryTarget} is below Ceph's floor ${OSD_MEMORY_TARGET_MIN}`);
}

function globalSection(input: CephClusterInput, host: CephHost): Section {
  const t = input.tuning;
  const lines: Line[] = [
    ['fsid', input.fsid],
    [
      'mon_initial_members',
      cephMonitors(input)
        .map((m) => m.id)
        .join(','),
    ],
    ['mon_host', monHost(input)],
    ['public_network', input.publicNetworks.join(',')],
    ['run_dir', host.runDir],
    // cephx everywhere, signatures required, no insecure global_id reclaim (CVE-2021-20288).
    ['auth_cluster_required', 'cephx'],
    ['auth_service_required', 'cephx'],
    ['auth_client_required', 'cephx'],
    ['cephx_require_signatures', true],
    ['cephx_cluster_require_signatures', true],
    ['cephx_service_require_signatures', true],
    ['auth_allow_insecure_global_id_reclaim', false],
    // Messenger v2 only, AES-GCM on every connection (EXG_SEC_4.1).
    ['ms_bind_msgr1', false],
    ['ms_bind_msgr2', true],
    ['ms_cluster_mode', 'secure'],
    ['ms_service_mode', 'secure'],
    ['ms_client_mode', 'secure'],
    ['ms_mon_cluster_mode', 'secure'],
    ['ms_mon_service_mode', 'secure'],
    ['ms_mon_client_mode', 'secure'],
    // Pools: 4 copies, 2 per site, writes need 2 (stretch mode also forces these, ceph/crush.ts).
    ['osd_pool_default_size', input.pools.size],
    ['osd_pool_default_min_size', input.pools.minSize],
    ['osd_pool_default_pg_autoscale_mode', t.pgAutoscale],
    ['osd_crush_chooseleaf_type', 1],
    ['mon_allow_pool_delete', false],
    ['mon_allow_pool_size_one', false],
    ['mgr_initial_modules', 'iostat prometheus'],
    // Failure detection for the 30 s bound (CEPH_FAILOVER_TIMINGS).
    ...Object.entries(CEPH_FAILOVER_TIMINGS),
  ];
  if (t.monDataAvail) lines.push(['mon_data_avail_warn', t.monDataAvail.warn], ['mon_data_avail_crit', t.monDataAvail.crit]);
  return { name: 'global', lines };
}

function osdDefaults(t: CephTuning): Section {
  const lines: Line[] = [
    ['osd_objectstore', 'bluestore'],
    ['osd_memory_target', t.osdMemoryTarget],
  ];
  if (t.fixedCacheBytes !== undefined) lines.push(['bluestore_cache_autotune', false], ['bluestore_cache_size', t.fixedCacheBytes]);
  if (t.sparseBlockBytes !== undefined) lines.push(['bluestore_block_create', true], ['bluestore_block_size', t.sparseBlockBytes]);
  return { name: 'osd', lines };
}

function daemonSection(input: CephClusterInput, d: CephDaemon): Section {
  const common: Line[] = [
    ['keyring', d.keyring],
    ['admin_socket', d.adminSocket],
    ['log_file', d.logFile],
    ['public_addr', d.address],
  ];
  switch (d.kind) {
    case 'mon':
      return {
        name: d.name,
        lines: [['mon_data', d.dataDir], ...common, ['mon_cluster_log_file', d.logFile.replace(/[^/]+$/, 'ceph.log')]],
      };
    case 'mgr':
      return { name: d.name, lines: [['mgr_data', d.dataDir], ...common] };
    case 'osd':
      return { name: d.name, lines: [['osd_data', d.dataDir], ...common, ['cluster_addr', d.address], ['crush_location', d.crushLocation ?? '']] };
    case 'rgw':
      return { name: d.name, lines: [['rgw_data', d.dataDir], ...common, ...rgwSection(input.rgw!, d)] };
    default: {
      const never: never = d.kind;
      return never;
    }
  }
}

function format(sections: Section[]): string {
  return sections.map((s) => `[${s.name}]\n${s.lines.map(([k, v]) => `${k} = ${String(v)}`).join('\n')}\n`).join('\n');
}

/** The ceph.conf of `host` (a guest name of the input). */
export function renderCephConf(input: CephClusterInput, host: string): RenderedFile {
  validate(input);
  const h = input.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`${host} is not a host of the Ceph cluster`);
  const sections: Section[] = [globalSection(input, h)];
  if (h.daemons.some((d) => d.kind === 'osd')) sections.push(osdDefaults(input.tuning));
  sections.push({ name: 'client.admin', lines: [['keyring', h.adminKeyring]] });
  for (const d of h.daemons) sections.push(daemonSection(input, d));
  const kinds = [...new Set(h.daemons.map((d) => d.kind))].join(', ');
  const header = `# Ceph ${h.name} (${h.site}: ${kinds}) — rendered by hds-platform, do not edit.\n# cephx and msgr2 secure mode everywhere (EXG_SEC_4.1); stretched over two sites with a tie-breaker (EXG_PCA_2).\n`;
  const content = header + format(sections);
  // A gateway's encryption keys may be placeholders (lab): the file is then the key's, 0600.
  return { path: `${h.name}.conf`, content, mode: content.includes('@@secret:') ? 0o600 : 0o644 };
}

/** Every host's ceph.conf. */
export function renderCephConfs(input: CephClusterInput): RenderedFile[] {
  return input.hosts.map((h) => renderCephConf(input, h.name));
}

/** Parses a ceph.conf (as rendered): section -> key -> value. For tests and policies. */
export function parseCephConf(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      out.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !current) throw new Error(`not a ceph.conf line: ${JSON.stringify(raw)}`);
    current.set(line.slice(0, eq).trim().replace(/ /g, '_'), line.slice(eq + 1).trim());
  }
  return out;
}
