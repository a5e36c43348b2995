/**
 * Ceph from the topology (docs/storage.md): the stretched cluster's daemons placed on its hosts as
 * the model says (model/ceph.ts: monitors on the first OSD hosts of each data site and the
 * tie-breaker VM, a manager on the first OSD host of each site, an object gateway on every OSD
 * host), one renderCephConf per host, and the bootstrap plan (CRUSH, stretch mode, pools, RGW
 * realm and users) on the bootstrap host — the first monitor. One cluster input per (topology,
 * profile).
 *
 * What differs between the profiles is sizing and the key service, nothing else:
 * | | production | lab |
 * | --- | --- | --- |
 * | OSD store | a data device per OSD (ceph-volume) | a 4 GiB sparse file per OSD (`bluestore_block_create`) |
 * | BlueStore cache | autotuned within osd_memory_target | fixed 128 MiB (≈ 700 MiB RSS for the whole cluster) |
 * | monitors' free-space warning | Ceph's 30 % / 5 % | 5 % / 2 % (the build machine's shared disk) |
 * | pg autoscaler | on | off (no PG split while a test runs) |
 * | RGW SSE-KMS backend | kmip on the site's HSM | testing: a key from the lab's state dir (SoftHSM2 has no KMIP) |
 * osd_memory_target follows the host's declared memory in both (half of it over its OSDs).
 *
 * Bare-metal hosts: guestFiles returns their files like a VM's. The tie-breaker VM receives its
 * ceph.conf through the Proxmox stacks' cloud-init; the OSD hosts (bare metal, no Proxmox) through
 * the same user-data in a cloud-init NoCloud seed per server (modules/proxmox/cloudinit/nocloud.ts,
 * `hdsctl baremetal seeds`; docs/storage.md, "Production hosts").
 */

import { CEPH_CLUSTER } from '../../model/ceph.ts';
import { inCidr } from '../../model/cidr.ts';
import { fnv1a32 } from '../../model/hash.ts';
import { PORTS } from '../../model/ports.ts';
import { isHsm } from '../../model/roles.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import { type CephBootstrapPlan, type CephPoolSpec, renderCrushPlan } from '../ceph/crush.ts';
import { type CephClusterInput, type CephDaemon, type CephHost, type CephTuning, OSD_MEMORY_TARGET_MIN, renderCephConf } from '../ceph/render.ts';
import { type RgwInput, renderRgw, requireSseKmsPolicy } from '../ceph/rgw.ts';
import type { GuestFile } from '../types.ts';
import { at, clientTls, envSecret, memo, serverTls, serviceAddress } from './common.ts';
import { CEPH_PATHS } from './paths.ts';
import type { DeploymentProfile } from './profile.ts';

/** Port of the managers' Prometheus exporter (ceph-mgr `prometheus` module): PORTS.cephMgrMetrics, flow monitoring-ceph. */
export const CEPH_MGR_METRICS_PORT = PORTS.cephMgrMetrics;

/** The S3 user and bucket of the documents service (the reference documents API in the lab). */
export const DOCUMENTS_BUCKET = { name: 'documents', owner: 'documents', domain: 'documents' } as const;

/** A stable UUID (RFC 9562 version 8: custom) from a name: four FNV-1a hashes of `<name>#k`. */
export function stableUuid(name: string): string {
  const hex = [0, 1, 2, 3].map((k) => fnv1a32(`${name}#${k}`).toString(16).padStart(8, '0')).join('');
  const b = hex.split('');
  b[12] = '8';
  b[16] = ((Number.parseInt(b[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = b.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** The cluster's fsid: stable per environment, never a secret (every client sees it). */
export function cephFsid(environment: string): string {
  return stableUuid(`hds-platform/ceph/${environment}`);
}

/** An OSD's uuid: stable per environment and OSD id. */
export function cephOsdUuid(environment: string, osd: number): string {
  return stableUuid(`hds-platform/ceph/${environment}/osd.${osd}`);
}

/** CRUSH datacenter bucket of a site: its id in lower case (`dc1`). */
export const crushBucket = (site: string) => site.toLowerCase();

function placement(t: Topology) {
  const c = t.ceph;
  if (!c) throw new Error(`environment ${t.environment.name} declares no Ceph`);
  return c;
}

/** The hosts of the stretched cluster (OSD hosts, then the tie-breaker), model order. */
export function cephHosts(t: Topology): Guest[] {
  return t.guests.filter((g) => g.cluster === CEPH_CLUSTER);
}

/** The first monitor: where the bootstrap plan lands and runs. */
export function cephBootstrapHost(t: Topology): Guest {
  const name = placement(t).monitors[0];
  const g = t.guests.find((x) => x.name === name);
  if (!g) throw new Error(`Ceph monitor ${name} is not a guest of ${t.environment.name}`);
  return g;
}

/** OSD ids: consecutive in model order, `osdsPerNode` per host (stable while hosts are only appended). */
function osdIds(t: Topology): Map<string, number[]> {
  const out = new Map<string, number[]>();
  let next = 0;
  for (const h of placement(t).osdHosts)
    out.set(
      h.host,
      Array.from({ length: h.osds }, () => next++),
    );
  return out;
}

const isLab = (p: DeploymentProfile) => p.name === 'lab';

/**
 * Every daemon of the cluster under profile `p`, host by host: what a bootstrap starts (name,
 * site, kind, address, ports, data dir, keyring, admin socket, log, conf path). The lab runs
 * them all except the second gateway of a site (one namespace address per site: it would bind
 * the same port; gateways are stateless).
 */
export function cephDaemons(t: Topology, p: DeploymentProfile): CephDaemon[] {
  const c = placement(t);
  const ids = osdIds(t);
  const out: CephDaemon[] = [];
  for (const g of cephHosts(t)) {
    const address = serviceAddress(p, g);
    const base = (kind: CephDaemon['kind'], id: string, name: string, dataDir: string, ports: number[]): CephDaemon => ({
      kind,
      id,
      name,
      host: g.name,
      site: g.site,
      address,
      ports,
      dataDir: at(p, g, `${CEPH_PATHS.dataRoot}/${dataDir}`),
      keyring: at(p, g, `${CEPH_PATHS.dataRoot}/${dataDir}/keyring`),
      adminSocket: at(p, g, `${CEPH_PATHS.runDir}/ceph-${name}.asok`),
      logFile: at(p, g, `${CEPH_PATHS.logDir}/ceph-${name}.log`),
      confPath: at(p, g, CEPH_PATHS.config),
    });
    if (c.monitors.includes(g.name)) out.push(base('mon', g.name, `mon.${g.name}`, `mon/ceph-${g.name}`, [PORTS.cephMonV2]));
    if (c.managers.includes(g.name)) out.push(base('mgr', g.name, `mgr.${g.name}`, `mgr/ceph-${g.name}`, [CEPH_MGR_METRICS_PORT]));
    for (const n of ids.get(g.name) ?? [])
      out.push({
        ...base('osd', String(n), `osd.${n}`, `osd/ceph-${n}`, []),
        osdUuid: cephOsdUuid(t.environment.name, n),
        crushLocation: `root=default datacenter=${crushBucket(g.site)} host=${g.name}`,
      });
    if (c.gateways.includes(g.name)) {
      const s = serverTls(p, g);
      const client = clientTls(p, g);
      out.push({
        ...base('rgw', g.name, `client.rgw.${g.name}`, `radosgw/ceph-rgw.${g.name}`, [PORTS.cephRgw]),
        tls: { certFile: s.certFile, keyFile: s.keyFile, caFile: s.caFile, clientCert: client.certFile, clientKey: client.keyFile },
      });
    }
  }
  return out;
}

/** The public network: the zone subnets of the daemons' addresses (an address no zone holds, e.g. a test profile on loopback, as a /32). */
function publicNetworks(t: Topology, daemons: CephDaemon[]): string[] {
  const out: string[] = [];
  for (const d of daemons) {
    const net = t.zones.find((z) => inCidr(d.address, z.cidr))?.cidr ?? `${d.address}/32`;
    if (!out.includes(net)) out.push(net);
  }
  return out;
}

function tuning(t: Topology, p: DeploymentProfile): CephTuning {
  const c = placement(t);
  const host = t.guests.find((g) => g.name === c.osdHosts[0]?.host);
  const perOsd = host ? Math.floor((host.size.ramGiB * 1024 ** 3) / 2 / Math.max(1, c.osdHosts[0]!.osds)) : OSD_MEMORY_TARGET_MIN;
  const osdMemoryTarget = Math.max(OSD_MEMORY_TARGET_MIN, perOsd);
  if (!isLab(p)) return { osdMemoryTarget, pgAutoscale: 'on' };
  return { osdMemoryTarget, fixedCacheBytes: 128 * 1024 ** 2, sparseBlockBytes: 4 * 1024 ** 3, monDataAvail: { warn: 5, crit: 2 }, pgAutoscale: 'off' };
}

/** Initial pg_num of the small pools (the data pool takes 4 times it). */
const pgNum = (p: DeploymentProfile) => (isLab(p) ? 8 : 32);

export function rgwInput(t: Topology, p: DeploymentProfile): RgwInput {
  const env = t.environment.name;
  const gateways = cephDaemons(t, p).filter((d) => d.kind === 'rgw');
  const servers: Record<string, string> = {};
  for (const site of placement(t).sites) {
    const hsm = t.guests.find((g) => isHsm(g) && g.site === site);
    if (hsm) servers[site] = `${serviceAddress(p, hsm)}:${PORTS.hsmKmip}`;
  }
  const keyId = DOCUMENTS_BUCKET.domain;
  return {
    realm: env,
    zonegroup: env,
    zone: `${env}-stretched`,
    port: PORTS.cephRgw,
    endpoints: gateways.map((g) => `https://${g.address}:${PORTS.cephRgw}`),
    sse: isLab(p) ? { backend: 'testing', keys: [{ id: keyId, key: envSecret(t, 'ceph', 'rgw-sse', `${keyId}.base64`) }] } : { backend: 'kmip', servers },
    users: [
      {
        uid: DOCUMENTS_BUCKET.owner,
        displayName: 'documents service',
        accessKey: envSecret(t, 'ceph', `rgw-${DOCUMENTS_BUCKET.owner}`, 'access_key'),
        secretKey: envSecret(t, 'ceph', `rgw-${DOCUMENTS_BUCKET.owner}`, 'secret_key'),
      },
    ],
    buckets: [{ ...DOCUMENTS_BUCKET, kmsKeyId: keyId, policy: requireSseKmsPolicy(DOCUMENTS_BUCKET.name) }],
    pgNum: pgNum(p),
  };
}

export function cephClusterInput(t: Topology, p: DeploymentProfile): CephClusterInput {
  const daemons = cephDaemons(t, p);
  const hosts: CephHost[] = cephHosts(t).map((g) => ({
    name: g.name,
    site: g.site,
    confPath: at(p, g, CEPH_PATHS.config),
    runDir: at(p, g, CEPH_PATHS.runDir),
    adminKeyring: at(p, g, CEPH_PATHS.adminKeyring),
    daemons: daemons.filter((d) => d.host === g.name),
  }));
  return {
    fsid: cephFsid(t.environment.name),
    publicNetworks: publicNetworks(t, daemons),
    hosts,
    pools: { size: 4, minSize: 2 },
    tuning: tuning(t, p),
    rgw: rgwInput(t, p),
  };
}

/**
 * The address a manager's Prometheus exporter binds: its host's admin-plane address (the
 * monitoring reaches the admin plane only, flow monitoring-ceph), not the Ceph back address. The
 * monitoring's scrape targets come from here too (fromTopology/monitoring.ts cephExporters).
 */
export function cephMgrMetricsAddress(t: Topology, p: DeploymentProfile, d: Pick<CephDaemon, 'host' | 'name'>): string {
  const host = t.guests.find((g) => g.name === d.host);
  if (!host) throw new Error(`Ceph manager ${d.name} runs on ${d.host}, which is not a guest of ${t.environment.name}`);
  return p.address(host, 'admin');
}

/** The bootstrap plan: CRUSH hierarchy, stretch rule, monitors' locations, pools, stretch mode, then the gateways' realm and users. */
export function cephPlan(t: Topology, p: DeploymentProfile): CephBootstrapPlan {
  const c = placement(t);
  const daemons = cephDaemons(t, p);
  const rgw = renderRgw(rgwInput(t, p));
  const ids = osdIds(t);
  const tiebreaker = daemons.find((d) => d.kind === 'mon' && d.site === c.witnessSite);
  if (!tiebreaker) throw new Error(`no Ceph monitor in the tie-breaker site ${c.witnessSite}`);
  const pools: CephPoolSpec[] = [...rgw.pools, { name: 'device_health_metrics', pgNum: 1, application: 'mgr_devicehealth' }];
  const crush = renderCrushPlan({
    dataSites: c.sites.map((site) => ({ site, bucket: crushBucket(site) })),
    tiebreaker: { monitor: tiebreaker.id, site: tiebreaker.site, bucket: crushBucket(tiebreaker.site) },
    monitors: daemons.filter((d) => d.kind === 'mon').map((d) => ({ id: d.id, site: d.site })),
    hosts: c.osdHosts.map((h) => ({ name: h.host, site: h.site, osds: ids.get(h.host) ?? [] })),
    managers: daemons.filter((d) => d.kind === 'mgr').map((d) => ({ id: d.id, address: cephMgrMetricsAddress(t, p, d), metricsPort: d.ports[0]! })),
    pools,
    stretch: { size: 4, minSize: 2 },
  });
  return { fsid: cephFsid(t.environment.name), crush, rgw, steps: [...crush.steps, ...rgw.steps] };
}

const confs = memo((t, p) => {
  const input = cephClusterInput(t, p);
  return new Map(input.hosts.map((h) => [h.name, renderCephConf(input, h.name)]));
});
const plans = memo((t, p) => cephPlan(t, p));

export function cephFilesFor(t: Topology, p: DeploymentProfile, g: Guest): GuestFile[] {
  const conf = confs(t, p).get(g.name);
  if (!conf) throw new Error(`${g.name} is not a host of the Ceph cluster`);
  const secret = (content: string) => content.includes('@@secret:');
  const files: GuestFile[] = [
    // Holding a placeholder (the lab's test key) makes it the daemons' only: 0600, owned by ceph.
    { path: at(p, g, CEPH_PATHS.config), content: conf.content, mode: conf.mode ?? 0o644, service: 'ceph', ...(secret(conf.content) ? { owner: 'ceph' } : {}) },
  ];
  if (cephBootstrapHost(t).name === g.name) {
    const content = `${JSON.stringify(plans(t, p), null, 2)}\n`;
    files.push({ path: at(p, g, CEPH_PATHS.bootstrapPlan), content, mode: secret(content) ? 0o600 : 0o644, service: 'ceph' });
  }
  return files;
}
