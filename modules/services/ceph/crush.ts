/**
 * The stretched cluster's bootstrap plan (docs/storage.md): the CRUSH hierarchy (root default →
 * datacenter → host → osd) from the model's sites and OSD hosts, the `stretch_rule` (two hosts in
 * each of the two datacenters: 4 copies, 2 per site), the monitors' locations, the tie-breaker,
 * the pools with their sizes, and stretch mode — as ordered steps a bootstrap runs (argv arrays,
 * no shell). Pure: input -> plan.
 *
 * Ceph 16 constraints the order follows (rados/operations/stretch-mode): stretch mode needs the
 * connectivity election strategy and a location on every monitor; every pool must already have
 * the default size / min_size when it is enabled (the defaults are 4 / 2 here, so pools are
 * created at their final size); it refuses erasure-coded pools; the two sites must weigh the same.
 * Pools are created explicitly before stretch mode with the stretch rule, and the stretch rule is
 * made the default for any pool created later (an RGW creating one on first use).
 */
import type { RgwPlan } from './rgw.ts';

/** When a step runs: after the monitors' quorum and the managers; after every OSD is up and in; before the gateways start. */
export type CephPhase = 'monitors' | 'osds' | 'gateways';

/**
 * A bootstrap step. `run`: a command, argv[0] `ceph` or `radosgw-admin`, without connection
 * options (the runner adds `-c <conf> -n client.admin -k <keyring>` after argv[0]); its arguments
 * may hold `@@secret:…@@` placeholders the runner resolves (never logged). `crush-rule`: add the
 * rule to the CRUSH map when it has none of that name (`ceph osd getcrushmap` → `crushtool -d` →
 * append `text` → `crushtool -c` → `ceph osd setcrushmap -i`).
 */
export type CephStep = { phase: CephPhase; kind: 'run'; argv: string[]; why: string } | { phase: CephPhase; kind: 'crush-rule'; rule: CrushRule; why: string };

export interface CrushRule {
  name: string;
  id: number;
  /** The rule in crushtool's text syntax (Ceph 16). */
  text: string;
}

export interface CephPoolSpec {
  name: string;
  /** Initial pg_num (a power of two; the autoscaler moves it where it is on). */
  pgNum: number;
  /** `ceph osd pool application enable` tag: rgw, rbd, mgr_devicehealth. */
  application: 'rgw' | 'rbd' | 'mgr_devicehealth';
}

export interface CrushPlanInput {
  /** The two data sites in order, with their CRUSH datacenter bucket names. */
  dataSites: Array<{ site: string; bucket: string }>;
  /** The tie-breaker monitor (its id) and its site's bucket name (a location, no OSD under it). */
  tiebreaker: { monitor: string; site: string; bucket: string };
  /** Every monitor (ids) with its site. */
  monitors: Array<{ id: string; site: string }>;
  /** OSD hosts with their OSD ids. */
  hosts: Array<{ name: string; site: string; osds: number[] }>;
  /** Managers with the address their Prometheus exporter binds. */
  managers: Array<{ id: string; address: string; metricsPort: number }>;
  /** Pools of the cluster (the gateways', the managers'). */
  pools: CephPoolSpec[];
  /** Stretch mode's pool size / min_size (Ceph: mon_stretch_pool_size / _min_size). */
  stretch: { size: number; minSize: number };
}

export interface CrushPlan {
  rule: CrushRule;
  /** The tie-breaker monitor's id (`enable_stretch_mode <tiebreaker> …`). */
  tiebreaker: string;
  /** CRUSH bucket of each monitor (`mon set_location <id> datacenter=<bucket>`). */
  monitorLocations: Array<{ monitor: string; site: string; datacenter: string }>;
  /** The hierarchy: datacenter buckets under root default, host buckets under them, OSDs under hosts. */
  datacenters: Array<{ bucket: string; site: string; hosts: Array<{ name: string; osds: number[] }> }>;
  /** Every pool in its final state (after stretch mode). */
  pools: Array<CephPoolSpec & { size: number; minSize: number; rule: string }>;
  steps: CephStep[];
}

export const STRETCH_RULE = 'stretch_rule';
/** replicated_rule is 0 in a new cluster; the stretch rule takes the next id. */
export const STRETCH_RULE_ID = 1;
/** The CRUSH bucket type stretch mode divides by. */
export const STRETCH_BUCKET_TYPE = 'datacenter';

/** The stretch rule: in each datacenter, two distinct hosts (4 copies, 2 per site). */
export function stretchRuleText(buckets: readonly string[]): string {
  const takes = buckets.flatMap((b) => [`\tstep take ${b}`, '\tstep chooseleaf firstn 2 type host', '\tstep emit']);
  return [`rule ${STRETCH_RULE} {`, `\tid ${STRETCH_RULE_ID}`, '\ttype replicated', '\tmin_size 1', '\tmax_size 10', ...takes, '}', ''].join('\n');
}

function validate(i: CrushPlanInput): void {
  if (i.dataSites.length !== 2) throw new Error(`stretch mode spans exactly two data sites, got ${i.dataSites.length}`);
  if (i.dataSites.some((d) => d.site === i.tiebreaker.site)) throw new Error(`the tie-breaker monitor is in ${i.tiebreaker.site}, a data site`);
  if (!i.monitors.some((m) => m.id === i.tiebreaker.monitor && m.site === i.tiebreaker.site))
    throw new Error(`the tie-breaker ${i.tiebreaker.monitor} is not a monitor of ${i.tiebreaker.site}`);
  for (const d of i.dataSites) {
    const hosts = i.hosts.filter((h) => h.site === d.site && h.osds.length > 0);
    if (hosts.length < 2) throw new Error(`${d.site} has ${hosts.length} OSD host(s): the stretch rule takes 2 hosts per datacenter`);
    if (!i.monitors.some((m) => m.site === d.site))
      throw new Error(`${d.site} has no monitor: in stretch mode OSDs only reach their own datacenter's monitors`);
  }
  const weight = (site: string) => i.hosts.filter((h) => h.site === site).reduce((n, h) => n + h.osds.length, 0);
  const [a, b] = i.dataSites;
  if (weight(a!.site) !== weight(b!.site))
    throw new Error(`the two data sites must weigh the same: ${weight(a!.site)} OSDs in ${a!.site}, ${weight(b!.site)} in ${b!.site}`);
  if (i.stretch.size !== 4 || i.stretch.minSize !== 2)
    throw new Error(`stretch mode pools are 4 / 2 (two copies per site), got ${i.stretch.size} / ${i.stretch.minSize}`);
  for (const p of i.pools) if (!Number.isInteger(Math.log2(p.pgNum))) throw new Error(`pool ${p.name}: pg_num ${p.pgNum} is not a power of two`);
}

export function renderCrushPlan(i: CrushPlanInput): CrushPlan {
  validate(i);
  const bucketOf = (site: string) => (site === i.tiebreaker.site ? i.tiebreaker.bucket : i.dataSites.find((d) => d.site === site)?.bucket);
  const monitorLocations = i.monitors.map((m) => {
    const datacenter = bucketOf(m.site);
    if (!datacenter) throw new Error(`monitor ${m.id} is in ${m.site}, neither a data site nor the tie-breaker's`);
    return { monitor: m.id, site: m.site, datacenter };
  });
  const datacenters = i.dataSites.map((d) => ({
    bucket: d.bucket,
    site: d.site,
    hosts: i.hosts.filter((h) => h.site === d.site).map((h) => ({ name: h.name, osds: [...h.osds] })),
  }));
  const rule: CrushRule = { name: STRETCH_RULE, id: STRETCH_RULE_ID, text: stretchRuleText(i.dataSites.map((d) => d.bucket)) };
  const run = (phase: CephPhase, why: string, ...argv: string[]): CephStep => ({ phase, kind: 'run', argv, why });
  const steps: CephStep[] = [
    run('monitors', 'stretch mode needs the connectivity election strategy', 'ceph', 'mon', 'set', 'election_strategy', 'connectivity'),
    ...monitorLocations.map((l) =>
      run('monitors', `monitor ${l.monitor} is in ${l.site}`, 'ceph', 'mon', 'set_location', l.monitor, `${STRETCH_BUCKET_TYPE}=${l.datacenter}`),
    ),
    ...datacenters.flatMap((d) => [
      run('monitors', `CRUSH datacenter ${d.bucket} (${d.site})`, 'ceph', 'osd', 'crush', 'add-bucket', d.bucket, STRETCH_BUCKET_TYPE),
      run('monitors', `${d.bucket} under root default`, 'ceph', 'osd', 'crush', 'move', d.bucket, 'root=default'),
      ...d.hosts.flatMap((h) => [
        run('monitors', `CRUSH host ${h.name}`, 'ceph', 'osd', 'crush', 'add-bucket', h.name, 'host'),
        run('monitors', `${h.name} in ${d.bucket}`, 'ceph', 'osd', 'crush', 'move', h.name, `${STRETCH_BUCKET_TYPE}=${d.bucket}`),
      ]),
    ]),
    run('monitors', 'the managers export metrics to Prometheus', 'ceph', 'mgr', 'module', 'enable', 'prometheus'),
    ...i.managers.flatMap((m) => [
      run('monitors', `manager ${m.id}'s exporter binds its own address`, 'ceph', 'config', 'set', 'mgr', `mgr/prometheus/${m.id}/server_addr`, m.address),
      run('monitors', `manager ${m.id}'s exporter port`, 'ceph', 'config', 'set', 'mgr', `mgr/prometheus/${m.id}/server_port`, String(m.metricsPort)),
    ]),
    { phase: 'osds', kind: 'crush-rule', rule, why: 'two copies on two hosts in each datacenter' },
    run(
      'osds',
      'pools created later (an RGW on first use) take the stretch rule',
      'ceph',
      'config',
      'set',
      'global',
      'osd_pool_default_crush_rule',
      String(rule.id),
    ),
    ...i.pools.flatMap((p) => [
      run('osds', `pool ${p.name}`, 'ceph', 'osd', 'pool', 'create', p.name, String(p.pgNum), String(p.pgNum), 'replicated', rule.name),
      run('osds', `pool ${p.name} serves ${p.application}`, 'ceph', 'osd', 'pool', 'application', 'enable', p.name, p.application),
    ]),
    run(
      'osds',
      `stretch mode: ${i.tiebreaker.monitor} (${i.tiebreaker.site}) breaks ties, pools ${i.stretch.size} / ${i.stretch.minSize}`,
      'ceph',
      'mon',
      'enable_stretch_mode',
      i.tiebreaker.monitor,
      rule.name,
      STRETCH_BUCKET_TYPE,
    ),
  ];
  return {
    rule,
    tiebreaker: i.tiebreaker.monitor,
    monitorLocations,
    datacenters,
    pools: i.pools.map((p) => ({ ...p, size: i.stretch.size, minSize: i.stretch.minSize, rule: rule.name })),
    steps,
  };
}

/** The bootstrap plan of the cluster: CRUSH and stretch mode, then the gateways' realm and users. */
export interface CephBootstrapPlan {
  fsid: string;
  crush: CrushPlan;
  rgw?: RgwPlan;
  /** Every step in order: crush.steps then rgw.steps. */
  steps: CephStep[];
}
