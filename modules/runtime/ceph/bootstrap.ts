/**
 * Bootstraps the stretched Ceph 16 cluster from the renderers' output (docs/storage.md,
 * "Runtime"): the hosts' ceph.conf files (modules/services/ceph/render.ts, already written by
 * the caller at each daemon's confPath) and the bootstrap plan (crush.ts, rgw.ts). I/O at the
 * edge: the Ceph tools through execa; the daemons are started by the caller's `start` (the lab
 * supervisor, or a test's runner), so whoever supervises them owns their lifetime.
 *
 * Order (each step is skipped when its result is already there, so a restarted lab re-runs it):
 *  1. cephx keys of every entity (keys.ts), 0600; the cluster's own (mon., client.admin,
 *     client.bootstrap-osd) in `secretsDir`, each daemon's at its keyring path, owned by ceph;
 *  2. the monmap of every monitor (msgr2 addresses) and `ceph-mon --mkfs` with ONE seed keyring
 *     holding every entity and its caps — the monitors start with the whole auth database;
 *     `ceph-osd --mkfs --no-mon-config` of every OSD at the same time (BlueStore on a sparse file
 *     when the conf says so: no monitor is needed to format a store);
 *  3. start the monitors, wait for the quorum;
 *  4. one `ceph` batch: `osd new <uuid> <id>` for every OSD (the key is already known) and the
 *     plan's `monitors` steps (stretch election strategy, monitors' locations, CRUSH datacenters
 *     and hosts, managers' exporter address) — then start the managers and the OSDs;
 *  5. wait until every OSD is up and in; the plan's `osds` steps: the stretch rule into the CRUSH
 *     map (crushtool), the pools with the stretch rule, then `enable_stretch_mode` with the
 *     tie-breaker (the monitor of the third site);
 *  6. the plan's `gateways` steps (realm, zonegroup, zone, period, S3 users; `@@secret:…@@`
 *     resolved by the caller, never logged), start the gateways, wait for their HTTPS, create the
 *     buckets (with their policy: a PUT without SSE-KMS is refused);
 *  7. wait for HEALTH_OK with every PG active+clean (health.ts).
 */
import { createHash } from 'node:crypto';
import { chown, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { CephBootstrapPlan, CephStep, CrushRule } from '../../services/ceph/crush.ts';
import type { CephClusterInput, CephDaemon } from '../../services/ceph/render.ts';
import { resolveSecretRefs, secretRefsIn } from '../../services/secrets.ts';
import { ensureDir, exists, type Owner, writeFileAtomic } from '../fsutil.ts';
import type { ProcessSpec } from '../process.ts';
import { type CephAdmin, CephCommandError, cephJson, lastErrorLine, runCephBatch, runCephTool } from './cli.ts';
import { cephHealth, type CephStatusSummary, cephStatus, cephStretchState } from './health.ts';
import { CEPH_CAPS, type CephEntity, type CephKey, ensureKeyring, keyringText } from './keys.ts';
import { cephIdentityArgs, cephProcessSpec } from './processes.ts';
import { ensureBuckets, httpsAnswers, s3ClientFor } from './s3.ts';

export interface CephBootstrapSpec {
  cluster: CephClusterInput;
  plan: CephBootstrapPlan;
  /** The daemons to run, a subset of the cluster's. @default runnableDaemons(cluster) */
  daemons?: CephDaemon[];
  /** Directory (0700) of the cluster's own keys: mon., client.admin, client.bootstrap-osd. */
  secretsDir: string;
  /** The value of a `@@secret:<path>#<field>@@` placeholder of the plan's steps. */
  resolveSecret(path: string, field: string): Promise<string>;
  /** CA certificate the gateways' TLS certificates chain to (bucket creation over HTTPS). */
  caFile: string;
  /** Unix user the daemons run as (uid/gid for the files they own). @default ceph from /etc/passwd */
  user?: { name: string; uid: number; gid: number };
  /** Network namespace of a daemon (the lab: its site's). @default none */
  netns?(d: CephDaemon): string | undefined;
}

export interface CephBootstrapOptions {
  log(line: string): void;
  /** Starts a daemon (returns once it is started, not ready); already running: a no-op. */
  start(spec: ProcessSpec): Promise<void>;
  /** Bound of each wait (quorum, OSDs up, gateways, health). @default 180_000 */
  waitTimeoutMs?: number;
}

export interface CephBootstrapResult {
  admin: CephAdmin;
  /** Every daemon's ProcessSpec, in start order (for the caller's status and stop). */
  processes: ProcessSpec[];
  /** Milliseconds from the start of the bootstrap to each milestone. */
  timings: Record<'mkfs' | 'quorum' | 'osdsUp' | 'stretch' | 'gateways' | 'healthy', number>;
  status: CephStatusSummary;
  /** Whether the monitors were created by this run (false: an existing cluster was started). */
  created: boolean;
}

/**
 * The daemons a single address per site can run: one gateway per (address, port) — the lab has
 * one namespace address per site and a site's second gateway would bind the same port (gateways
 * are stateless; production runs them all). Everything else is kept.
 */
export function runnableDaemons(cluster: CephClusterInput): CephDaemon[] {
  const seen = new Set<string>();
  const out: CephDaemon[] = [];
  for (const d of cluster.hosts.flatMap((h) => h.daemons)) {
    if (d.kind === 'rgw') {
      const at = `${d.address}:${d.ports[0]}`;
      if (seen.has(at)) continue;
      seen.add(at);
    }
    out.push(d);
  }
  return out;
}

/** The bootstrap monitor's host: its conf and admin keyring are the admin CLI's. */
export function bootstrapAdmin(cluster: CephClusterInput): CephAdmin {
  const host = cluster.hosts.find((h) => h.daemons.some((d) => d.kind === 'mon'));
  if (!host) throw new Error('the Ceph cluster has no monitor');
  return { conf: host.confPath, keyring: host.adminKeyring };
}

/** `monmaptool --create` arguments: every monitor at its msgr2 address. Pure. */
export function monmapArgs(cluster: CephClusterInput, path: string): string[] {
  const mons = cluster.hosts.flatMap((h) => h.daemons.filter((d) => d.kind === 'mon'));
  return [
    '--create',
    '--fsid',
    cluster.fsid,
    '--enable-all-features',
    '--set-min-mon-release',
    'pacific',
    ...mons.flatMap((m) => ['--addv', m.id, `[v2:${m.address}:${m.ports[0]}]`]),
    path,
  ];
}

/** The cephx entity (with its caps) a daemon authenticates as. Pure. */
export function daemonEntity(d: CephDaemon): CephEntity {
  switch (d.kind) {
    case 'mon':
      return { name: 'mon.', caps: CEPH_CAPS.mon };
    case 'mgr':
      return { name: d.name, caps: CEPH_CAPS.mgr };
    case 'osd':
      return { name: d.name, caps: CEPH_CAPS.osd };
    case 'rgw':
      return { name: d.name, caps: CEPH_CAPS.rgw };
    default: {
      const never: never = d.kind;
      return never;
    }
  }
}

/**
 * The plan's steps as units of work, in order: consecutive `ceph` commands of a phase as one
 * batch, each `radosgw-admin` command and each CRUSH rule alone. Pure.
 */
export type StepUnit =
  | { kind: 'ceph-batch'; commands: string[][]; why: string[] }
  | { kind: 'radosgw-admin'; args: string[]; why: string }
  | { kind: 'crush-rule'; rule: CrushRule; why: string };

export function stepUnits(steps: readonly CephStep[]): StepUnit[] {
  const out: StepUnit[] = [];
  for (const s of steps) {
    if (s.kind === 'crush-rule') {
      out.push({ kind: 'crush-rule', rule: s.rule, why: s.why });
      continue;
    }
    const [tool, ...args] = s.argv;
    if (tool === 'ceph') {
      const last = out.at(-1);
      if (last?.kind === 'ceph-batch') {
        last.commands.push(args);
        last.why.push(s.why);
      } else out.push({ kind: 'ceph-batch', commands: [args], why: [s.why] });
    } else if (tool === 'radosgw-admin') out.push({ kind: 'radosgw-admin', args, why: s.why });
    else throw new Error(`Ceph bootstrap step runs ${JSON.stringify(tool)}: only ceph and radosgw-admin are allowed`);
  }
  return out;
}

/**
 * A manager step made to run before any manager: Ceph 16 knows a module's options
 * (`mgr/prometheus/<id>/server_addr`) and modules only once a manager has loaded them, and
 * refuses them before (EINVAL unrecognized config option; ENOENT all mgr daemons do not support
 * module) unless `--force`. Set before the managers start, the exporter binds its own address from
 * the start (set after, the first manager has bound `::` and a second one on the host fails with
 * MGR_MODULE_ERROR "Port 9283 not free"). Other steps are returned as they are. Pure.
 */
export function forceManagerStep(s: CephStep): CephStep {
  if (s.kind !== 'run' || s.argv[0] !== 'ceph' || s.argv.includes('--force')) return s;
  const a = s.argv.slice(1);
  const managerStep =
    (a[0] === 'mgr' && a[1] === 'module' && a[2] === 'enable') || (a[0] === 'config' && a[1] === 'set' && a[2] === 'mgr' && (a[3] ?? '').startsWith('mgr/'));
  return managerStep ? { ...s, argv: [...s.argv, '--force'] } : s;
}

/** Whether a decompiled CRUSH map already has a rule named `name`. Pure. */
export function crushHasRule(crushText: string, name: string): boolean {
  return new RegExp(`^rule ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\{`, 'm').test(crushText);
}

function lookupCephUser(passwd: string, name: string): { name: string; uid: number; gid: number } {
  const line = passwd.split('\n').find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`no Unix user ${name}: install the Ceph packages (ceph-common creates it)`);
  return { name, uid: Number(uid), gid: Number(gid) };
}

async function tool(command: string, args: string[], what: string, timeoutMs = 120_000): Promise<string> {
  const r = await execa(command, args, { reject: false, timeout: timeoutMs, encoding: 'utf8' });
  if (r.exitCode !== 0) throw new Error(`${what} failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${lastErrorLine(`${r.stdout}\n${r.stderr}`)}`);
  return String(r.stdout);
}

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = (err as Error).message.split('\n')[0] ?? String(err);
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what} (last: ${last})`);
    await sleep(intervalMs);
  }
}

export async function bootstrapCeph(spec: CephBootstrapSpec, opts: CephBootstrapOptions): Promise<CephBootstrapResult> {
  const t0 = Date.now();
  const since = () => Date.now() - t0;
  const wait = opts.waitTimeoutMs ?? 180_000;
  const { cluster, plan } = spec;
  if (plan.fsid !== cluster.fsid) throw new Error(`the bootstrap plan is for fsid ${plan.fsid}, the cluster's is ${cluster.fsid}`);
  const daemons = spec.daemons ?? runnableDaemons(cluster);
  const of = (kind: CephDaemon['kind']) => daemons.filter((d) => d.kind === kind);
  const mons = of('mon');
  const osds = of('osd');
  if (mons.length < 3) throw new Error(`the Ceph bootstrap needs the 3 monitors, got ${mons.length}`);
  const user = spec.user ?? lookupCephUser(await readFile('/etc/passwd', 'utf8'), 'ceph');
  const owner: Owner = { uid: user.uid, gid: user.gid };
  const admin = bootstrapAdmin(cluster);
  const processOf = (d: CephDaemon) => {
    const netns = spec.netns?.(d);
    return cephProcessSpec(d, { user: user.name, ...(netns !== undefined ? { netns } : {}) });
  };
  const start = async (ds: CephDaemon[]) => {
    for (const d of ds) await opts.start(processOf(d));
  };

  // 1. Files and keys.
  for (const d of daemons)
    if (!(await exists(d.confPath))) throw new Error(`${d.name}: its ceph.conf ${d.confPath} is not written (write the hosts' rendered files first)`);
  await ensureDir(spec.secretsDir, 0o700);
  for (const h of cluster.hosts) await ensureDir(h.runDir, 0o750, owner);
  for (const d of daemons) {
    await ensureDir(d.dataDir, 0o750, owner);
    await ensureDir(dirname(d.logFile), 0o750, owner);
    await ensureDir(dirname(d.adminSocket), 0o750, owner);
  }
  const monKey = await ensureKeyring(join(spec.secretsDir, 'ceph.mon.keyring'), { name: 'mon.', caps: CEPH_CAPS.mon });
  const adminKey = await ensureKeyring(join(spec.secretsDir, 'ceph.client.admin.keyring'), { name: 'client.admin', caps: CEPH_CAPS.admin });
  const bootstrapOsd = await ensureKeyring(join(spec.secretsDir, 'ceph.client.bootstrap-osd.keyring'), {
    name: 'client.bootstrap-osd',
    caps: CEPH_CAPS.bootstrapOsd,
  });
  const adminText = keyringText([adminKey]);
  for (const h of cluster.hosts) {
    if (!h.daemons.some((d) => d.kind === 'mon')) continue;
    await ensureDir(dirname(h.adminKeyring), 0o755);
    await writeFileAtomic(h.adminKeyring, adminText, { mode: 0o600 });
  }
  const daemonKeys: CephKey[] = [];
  for (const d of daemons.filter((x) => x.kind !== 'mon')) daemonKeys.push(await ensureKeyring(d.keyring, daemonEntity(d), owner));

  // 2. Monitors' and OSDs' stores (both skipped when present).
  const monDone = async (d: CephDaemon) => exists(join(d.dataDir, 'keyring'));
  const osdDone = async (d: CephDaemon) => exists(join(d.dataDir, 'ready'));
  const created = !(await Promise.all(mons.map(monDone))).every(Boolean);
  // The seed keyring and monmap are read by the mkfs as ceph: in the first monitor host's run dir (0750 ceph), removed after.
  const seedDir = join(cluster.hosts.find((h) => h.daemons.some((d) => d.kind === 'mon'))!.runDir, 'mkfs');
  await ensureDir(seedDir, 0o700, owner);
  const seed = join(seedDir, 'seed.keyring');
  const monmap = join(seedDir, 'monmap');
  try {
    const mkfs: Array<() => Promise<string>> = [];
    if (created) {
      // One seed keyring with every entity: readable by ceph only (the mkfs runs as ceph).
      await writeFileAtomic(seed, keyringText([monKey, adminKey, bootstrapOsd, ...daemonKeys]), { mode: 0o600, owner });
      await tool('monmaptool', monmapArgs(cluster, monmap), 'monmaptool --create');
      await chown(monmap, owner.uid, owner.gid);
      for (const d of mons) {
        if (await monDone(d)) continue;
        const args = ['-c', d.confPath, '--mkfs', '-i', d.id, '--monmap', monmap, '--keyring', seed, '--setuser', user.name, '--setgroup', user.name];
        mkfs.push(() => tool('ceph-mon', args, `ceph-mon --mkfs of ${d.name}`));
      }
    }
    for (const d of osds) {
      if (await osdDone(d)) continue;
      if (!d.osdUuid) throw new Error(`${d.name} has no uuid`);
      const args = [
        '-c',
        d.confPath,
        ...cephIdentityArgs(d),
        '--mkfs',
        '--osd-uuid',
        d.osdUuid,
        '--no-mon-config',
        '--setuser',
        user.name,
        '--setgroup',
        user.name,
      ];
      mkfs.push(() => tool('ceph-osd', args, `ceph-osd --mkfs of ${d.name}`, 300_000));
    }
    // Every mkfs ends before anything else happens (a failed one must not leave another writing).
    const failed = (await Promise.allSettled(mkfs.map((f) => f()))).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    await rm(seedDir, { recursive: true, force: true });
  }
  const mkfsAt = since();
  opts.log(`ceph: stores ready (${created ? 'new cluster' : 'existing cluster'}, ${mons.length} monitors, ${osds.length} OSDs)`);

  // 3. Monitors.
  await start(mons);
  await poll(`the monitors' quorum (${mons.length})`, wait, async () => {
    const q = await cephJson<{ quorum_names?: string[] }>(admin, ['quorum_status'], { timeoutMs: 15_000, what: 'ceph quorum_status' });
    return (q.quorum_names?.length ?? 0) >= mons.length ? true : undefined;
  });
  const quorumAt = since();
  opts.log(`ceph: quorum of ${mons.length} monitors`);

  // 4. OSD ids, monitors-phase steps (CRUSH buckets, locations, exporter); managers and OSDs.
  // The plan's steps ran to the end once already (a restart): only the daemons are started.
  const marker = join(spec.secretsDir, 'bootstrap.done');
  const planDigest = bootstrapDigest(plan);
  const stepsDone = (await readFile(marker, 'utf8').catch(() => '')).trim() === planDigest;
  // Stretch mode on: the CRUSH and pool steps are done (some, like the election strategy, are refused in stretch mode).
  const crushDone = stepsDone || (await cephStretchState(admin)).stretchMode;
  const phase = (p: CephStep['phase']) => plan.steps.filter((s) => s.phase === p);
  // Bootstrap only: the monitors propose a map change at most once per paxos_propose_interval (1 s),
  // so each of the plan's ~40 map changes costs a second; 50 ms while bootstrapping, Ceph's default after.
  const fastPaxos = ['config', 'set', 'mon', 'paxos_propose_interval', String(BOOTSTRAP_PAXOS_PROPOSE_INTERVAL)];
  const osdNew = osds.map((d) => ['osd', 'new', d.osdUuid!, d.id]);
  if (!stepsDone) await runCephBatch(admin, [fastPaxos, ...osdNew], { what: 'ceph osd new (register the OSDs)' });
  if (!crushDone) await runUnits(spec, admin, stepUnits(phase('monitors').map(forceManagerStep)), opts.log);
  await start(of('mgr'));
  await start(osds);
  await poll(`${osds.length} OSDs up and in`, wait, async () => {
    const s = await cephStatus(admin, { timeoutMs: 15_000 });
    if (s.osds.up === osds.length && s.osds.in === osds.length) return true;
    throw new Error(`${s.osds.up} up, ${s.osds.in} in of ${s.osds.total}`);
  });
  const osdsUpAt = since();
  opts.log(`ceph: ${osds.length} OSDs up and in`);

  // 5. Stretch rule, pools, stretch mode.
  if (!crushDone) {
    try {
      await runUnits(spec, admin, stepUnits(phase('osds')), opts.log);
    } catch (e) {
      // Seen once on a loaded machine: enable_stretch_mode found no location for a monitor whose
      // set_location had been acknowledged (a monitor election in between). The location steps are
      // idempotent: set them again, then the (idempotent) pool and stretch steps, once.
      if (!(e instanceof CephCommandError) || !/Could not find location entry/.test(e.message)) throw e;
      opts.log(`ceph: ${e.message.split('\n')[0]}; setting the monitors' locations again and retrying once`);
      const locations = phase('monitors').filter((st) => st.kind === 'run' && st.argv.includes('set_location'));
      await runUnits(spec, admin, stepUnits(locations), opts.log);
      await new Promise((r) => setTimeout(r, 2000));
      await runUnits(spec, admin, stepUnits(phase('osds')), opts.log);
    }
  }
  const stretch = await cephStretchState(admin);
  if (!stretch.stretchMode) throw new Error('stretch mode is not on after the bootstrap plan (ceph mon dump: stretch_mode false)');
  const stretchAt = since();
  opts.log(`ceph: stretch mode on, tie-breaker ${stretch.tiebreaker}`);

  // 6. Gateways.
  const gateways = of('rgw');
  if (gateways.length > 0) {
    if (!stepsDone) {
      await runUnits(spec, admin, stepUnits(phase('gateways')), opts.log);
      opts.log(`ceph: realm ${plan.rgw?.realm ?? '?'}, zone ${plan.rgw?.zone ?? '?'} and S3 users ready`);
    }
    await start(gateways);
    const ca = await readFile(spec.caFile);
    await poll(`${gateways.length} gateways answering HTTPS`, wait, async () => {
      for (const g of gateways) if (!(await httpsAnswers(`https://${g.address}:${g.ports[0]}/`, ca))) throw new Error(`${g.name} does not answer yet`);
      return true;
    });
    if (plan.rgw && plan.rgw.buckets.length > 0) {
      const g = gateways[0]!;
      for (const owner of [...new Set(plan.rgw.buckets.map((b) => b.owner))]) {
        const info = JSON.parse(
          await runCephTool(admin, 'radosgw-admin', ['user', 'info', `--uid=${owner}`], { what: `radosgw-admin user info ${owner}` }),
        ) as {
          keys?: Array<{ access_key: string; secret_key: string }>;
        };
        const k = info.keys?.[0];
        if (!k) throw new Error(`S3 user ${owner} has no key`);
        const client = s3ClientFor({
          url: `https://${g.address}:${g.ports[0]}`,
          ca,
          region: plan.rgw.zonegroup,
          accessKeyId: k.access_key,
          secretAccessKey: k.secret_key,
        });
        try {
          await ensureBuckets(
            client,
            plan.rgw.buckets.filter((b) => b.owner === owner),
          );
        } finally {
          client.destroy();
        }
      }
    }
    opts.log(`ceph: ${gateways.length} gateways on HTTPS, buckets ${plan.rgw?.buckets.map((b) => b.name).join(', ') || 'none'}`);
  }
  const gatewaysAt = since();

  // 7. HEALTH_OK and every PG active+clean.
  const status = await poll('HEALTH_OK with every PG active+clean', wait, () => cephHealth(admin, { monitors: mons.length, osds: osds.length }), 1000);
  const healthyAt = since();
  if (!stepsDone) {
    await runCephBatch(admin, [['config', 'rm', 'mon', 'paxos_propose_interval']], { what: 'ceph config rm mon paxos_propose_interval' });
    await writeFileAtomic(marker, `${planDigest}\n`, { mode: 0o600 });
  }
  opts.log(`ceph: HEALTH_OK, ${status.pgs.total} PGs active+clean (${Math.round(healthyAt / 100) / 10}s)`);
  return {
    admin,
    processes: cephProcessSpecs(spec),
    timings: { mkfs: mkfsAt, quorum: quorumAt, osdsUp: osdsUpAt, stretch: stretchAt, gateways: gatewaysAt, healthy: healthyAt },
    status,
    created,
  };
}

/** Every daemon's ProcessSpec in start order (monitors, managers, OSDs, gateways); pure, for `processes()`. */
export function cephProcessSpecs(spec: Pick<CephBootstrapSpec, 'cluster' | 'daemons' | 'user' | 'netns'>): ProcessSpec[] {
  const daemons = spec.daemons ?? runnableDaemons(spec.cluster);
  const order: CephDaemon['kind'][] = ['mon', 'mgr', 'osd', 'rgw'];
  return order.flatMap((k) =>
    daemons
      .filter((d) => d.kind === k)
      .map((d) => {
        const netns = spec.netns?.(d);
        return cephProcessSpec(d, { user: spec.user?.name ?? 'ceph', ...(netns !== undefined ? { netns } : {}) });
      }),
  );
}

async function resolveArgs(spec: CephBootstrapSpec, args: string[]): Promise<string[]> {
  const values = new Map<string, string>();
  for (const a of args) for (const r of secretRefsIn(a)) if (!values.has(r.placeholder)) values.set(r.placeholder, await spec.resolveSecret(r.path, r.field));
  return args.map((a) => resolveSecretRefs(a, (path, field) => values.get(`@@secret:${path}#${field}@@`)!));
}

/** A digest of the plan's steps (placeholders, not values): the marker of a bootstrap that ran them all. Pure. */
export function bootstrapDigest(plan: CephBootstrapPlan): string {
  return createHash('sha256')
    .update(JSON.stringify({ fsid: plan.fsid, steps: plan.steps, buckets: plan.rgw?.buckets ?? [] }))
    .digest('hex');
}

/** paxos_propose_interval (s) while the bootstrap runs its steps (Ceph's default: 1 s). */
export const BOOTSTRAP_PAXOS_PROPOSE_INTERVAL = 0.05;

/** radosgw-admin's exit code when what it creates exists (EEXIST): a re-run of the bootstrap. */
const EEXIST = 17;

async function runUnits(spec: CephBootstrapSpec, admin: CephAdmin, units: StepUnit[], log: (line: string) => void): Promise<void> {
  for (const u of units) {
    switch (u.kind) {
      case 'ceph-batch':
        await runCephBatch(admin, await Promise.all(u.commands.map((c) => resolveArgs(spec, c))), { what: `ceph steps (${u.why[0]} … ${u.why.at(-1)})` });
        log(`ceph: ${u.commands.length} steps done (${u.why[0]} … ${u.why.at(-1)})`);
        break;
      case 'radosgw-admin':
        await runCephTool(admin, 'radosgw-admin', await resolveArgs(spec, u.args), { okExitCodes: [EEXIST], what: `radosgw-admin step "${u.why}"` });
        break;
      case 'crush-rule':
        await addCrushRule(admin, u.rule, spec.secretsDir);
        log(`ceph: CRUSH rule ${u.rule.name} (${u.why})`);
        break;
      default: {
        const never: never = u;
        throw new Error(`unknown step ${JSON.stringify(never)}`);
      }
    }
  }
}

/** getcrushmap → crushtool -d → append the rule → crushtool -c → setcrushmap, unless the rule exists. */
async function addCrushRule(admin: CephAdmin, rule: CrushRule, scratchParent: string): Promise<void> {
  const dir = join(scratchParent, 'crush');
  await ensureDir(dir, 0o700);
  try {
    const bin = join(dir, 'crush.bin');
    const txt = join(dir, 'crush.txt');
    const out = join(dir, 'crush.new');
    await runCephTool(admin, 'ceph', ['osd', 'getcrushmap', '-o', bin], { what: 'ceph osd getcrushmap' });
    await tool('crushtool', ['-d', bin, '-o', txt], 'crushtool -d');
    const text = await readFile(txt, 'utf8');
    if (crushHasRule(text, rule.name)) return;
    await writeFile(txt, `${text.trimEnd()}\n${rule.text}`);
    await tool('crushtool', ['-c', txt, '-o', out], `crushtool -c (rule ${rule.name})`);
    await runCephTool(admin, 'ceph', ['osd', 'setcrushmap', '-i', out], { what: 'ceph osd setcrushmap' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
