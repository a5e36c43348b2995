/**
 * The lab network: one network namespace per site, joined by a bridge the lab creates, with
 * the host on the bridge. Only on-link routes inside the lab supernet exist: no default
 * route anywhere, no ip_forward change, no NAT, so nothing can leave the supernet.
 *
 * Ownership: every object is recorded in lab.json before it is created, and marked with
 * the link alias `hdsctl-lab:<digest of the state dir>` (bridge, both veth ends), so an object is recognised as ours
 * even when the state file is gone. Teardown deletes only objects that are ours.
 */
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { type Cidr, contains, networkOf, overlaps, parseCidr, parseIpv4 } from '../model/cidr.ts';
import { exists } from '../runtime/fsutil.ts';
import { readLabState, updateLabState } from './state.ts';
import type { LabPlan } from './types.ts';

/**
 * The marker set as link alias: `hdsctl-lab:` + a digest of the state dir, so a lab never
 * adopts the network of a lab run from another state dir.
 */
export function linkAlias(stateDir: string): string {
  return `hdsctl-lab:${createHash('sha256').update(stateDir).digest('hex').slice(0, 16)}`;
}
const ALIAS_PREFIX = 'hdsctl-lab:';
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;
const NSNAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export function assertRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new Error(`${what} needs root (network namespaces, bridge, running services as their users); run it with sudo`);
}

async function ip(args: string[], opts: { reject?: boolean } = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const r = await execa('ip', args, { reject: false, timeout: 30_000 });
  const out = { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
  if (out.exitCode !== 0 && opts.reject !== false) throw new Error(`ip ${args.join(' ')} failed: ${out.stderr.trim() || `exit ${out.exitCode}`}`);
  return out;
}

async function ipJson<T>(args: string[]): Promise<T> {
  const r = await ip(['-j', ...args]);
  return (r.stdout.trim() ? JSON.parse(r.stdout) : []) as T;
}

interface IpLink {
  ifname: string;
  ifalias?: string;
  operstate?: string;
  link_netnsid?: number;
}
interface IpAddr {
  ifname: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

// --- IPv4 (arithmetic in modules/model/cidr.ts) -----------------------------------------------

/** The address as a number; throws on anything that is not a.b.c.d. */
function ipv4(a: string): number {
  const n = parseIpv4(a);
  if (n === undefined) throw new Error(`invalid IPv4 address ${a}`);
  return n;
}

/** The lab supernet: a block of /8 to /30 without host bits; throws a one-line error. */
function labSupernet(cidr: string): Cidr {
  const r = parseCidr(cidr);
  if (!r.ok) throw new Error(`invalid lab supernet ${cidr}: ${r.reason}`);
  if (r.cidr.prefix < 8 || r.cidr.prefix > 30) throw new Error(`invalid lab supernet ${cidr} (prefix /8 to /30 expected)`);
  return r.cidr;
}

/** Whether the block holding `address`/`prefix` (an address as the kernel lists it) overlaps the supernet. */
function overlapsSupernet(address: string, prefix: number, supernet: string): boolean {
  return overlaps(networkOf(ipv4(address), prefix), labSupernet(supernet));
}

/** Re-exported for modules/lab/netns.test.ts only; import it from modules/model/cidr.ts. */

/** Checks the plan's names and addresses; pure, throws one-line errors. */
export function validateNetworkPlan(plan: LabPlan): void {
  const supernet = labSupernet(plan.supernet);
  if (plan.prefixLength !== supernet.prefix) throw new Error(`lab plan: prefixLength ${plan.prefixLength} differs from the supernet ${plan.supernet}`);
  const addrs = [plan.bridge.address, ...plan.sites.map((s) => s.address)];
  for (const a of addrs) if (!contains(supernet, networkOf(ipv4(a), 32))) throw new Error(`lab plan: address ${a} is outside the supernet ${plan.supernet}`);
  if (new Set(addrs).size !== addrs.length) throw new Error(`lab plan: addresses must be unique (${addrs.join(', ')})`);
  const links = [plan.bridge.name, ...plan.sites.flatMap((s) => [s.vethHost, s.vethNs])];
  for (const l of links) if (!IFNAME_RE.test(l)) throw new Error(`lab plan: invalid interface name ${JSON.stringify(l)} (1-15 characters)`);
  if (new Set(links).size !== links.length) throw new Error('lab plan: interface names must be unique');
  for (const s of plan.sites) if (!NSNAME_RE.test(s.netns)) throw new Error(`lab plan: invalid namespace name ${JSON.stringify(s.netns)}`);
  if (new Set(plan.sites.map((s) => s.netns)).size !== plan.sites.length) throw new Error('lab plan: namespace names must be unique');
}

// --- observation ----------------------------------------------------------------------------

export async function listNetns(): Promise<string[]> {
  const r = await ip(['netns', 'list'], { reject: false });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

async function hostLink(name: string): Promise<IpLink | undefined> {
  const r = await ip(['-j', 'link', 'show', 'dev', name], { reject: false });
  if (r.exitCode !== 0) return undefined;
  return (JSON.parse(r.stdout) as IpLink[])[0];
}

async function nsLinks(netns: string): Promise<IpLink[]> {
  return ipJson<IpLink[]>(['-n', netns, 'link', 'show']);
}

/** A namespace is ours if lab.json lists it, or if a link inside it carries our alias. */
async function nsIsOurs(netns: string, recorded: string[], alias: string): Promise<boolean> {
  if (recorded.includes(netns)) return true;
  try {
    return (await nsLinks(netns)).some((l) => l.ifalias === alias);
  } catch {
    return false;
  }
}

/**
 * A namespace holding at least one link with our marker and nothing else but loopback (safe
 * to delete from the plan alone). An empty namespace is not provably ours: left alone.
 */
async function nsHoldsOnlyOurs(netns: string, alias: string): Promise<boolean> {
  try {
    const links = await nsLinks(netns);
    return links.some((l) => l.ifalias === alias) && links.every((l) => l.ifname === 'lo' || l.ifalias === alias);
  } catch {
    return false;
  }
}

/**
 * The existing namespaces that are ours: recorded in lab.json (written before `ip netns add`),
 * or named in the plan and holding our marked veth and nothing else but loopback.
 */
export async function ourNetns(plan: LabPlan): Promise<string[]> {
  const state = await readLabState(plan.stateDir);
  const existing = await listNetns();
  const out: string[] = [];
  for (const n of new Set([...state.network.netns, ...plan.sites.map((s) => s.netns)])) {
    if (!existing.includes(n)) continue;
    if (state.network.netns.includes(n) || (await nsHoldsOnlyOurs(n, linkAlias(plan.stateDir)))) out.push(n);
  }
  return out;
}

export interface NetworkStatus {
  bridge: boolean;
  netns: Record<string, boolean>;
}

export async function networkStatus(plan: LabPlan): Promise<NetworkStatus> {
  const all = await listNetns();
  return {
    bridge: (await hostLink(plan.bridge.name)) !== undefined,
    netns: Object.fromEntries(plan.sites.map((s) => [s.netns, all.includes(s.netns)])),
  };
}

// --- creation -------------------------------------------------------------------------------

function notOursHint(alias: string | undefined): string {
  return alias?.startsWith(ALIAS_PREFIX)
    ? 'was created by hdsctl for another lab state dir (run `hdsctl lab down` with that state dir)'
    : 'was not created by hdsctl';
}

async function checkConflicts(plan: LabPlan, recorded: { bridge: string | null; netns: string[] }): Promise<void> {
  const alias = linkAlias(plan.stateDir);
  const existing = await listNetns();
  for (const s of plan.sites) {
    if (existing.includes(s.netns) && !(await nsIsOurs(s.netns, recorded.netns, alias))) {
      const other = (await nsLinks(s.netns).catch(() => [])).find((l) => l.ifalias?.startsWith(ALIAS_PREFIX))?.ifalias;
      throw new Error(
        `network namespace ${s.netns} exists and ${notOursHint(other)}; remove it with \`ip netns del ${s.netns}\` or set another namespace name in the lab plan`,
      );
    }
  }
  const br = await hostLink(plan.bridge.name);
  if (br && recorded.bridge !== plan.bridge.name && br.ifalias !== alias) {
    throw new Error(
      `interface ${plan.bridge.name} exists and ${notOursHint(br.ifalias)}; remove it with \`ip link del ${plan.bridge.name}\` or set another bridge name in the lab plan`,
    );
  }
  for (const s of plan.sites) {
    const l = await hostLink(s.vethHost);
    if (l && l.ifalias !== alias)
      throw new Error(
        `interface ${s.vethHost} exists and ${notOursHint(l.ifalias)}; remove it with \`ip link del ${s.vethHost}\` or set another veth name in the lab plan`,
      );
  }
  // Any host address inside the supernet, other than ours on our bridge, is a conflict.
  const addrs = await ipJson<IpAddr[]>(['-4', 'addr', 'show']);
  for (const a of addrs) {
    for (const info of a.addr_info ?? []) {
      if (info.family !== 'inet') continue;
      const mine = a.ifname === plan.bridge.name && info.local === plan.bridge.address;
      if (!mine && overlapsSupernet(info.local, info.prefixlen, plan.supernet)) {
        throw new Error(
          `address ${info.local}/${info.prefixlen} on ${a.ifname} overlaps the lab supernet ${plan.supernet}; the lab needs this range for itself (change the supernet in the lab plan or remove that address)`,
        );
      }
    }
  }
  const routes = await ipJson<Array<{ dst: string; dev?: string }>>(['-4', 'route', 'show']);
  for (const r of routes) {
    if (r.dst === 'default' || r.dev === plan.bridge.name) continue;
    const [a, l] = r.dst.split('/');
    if (a && overlapsSupernet(a, l ? Number(l) : 32, plan.supernet)) {
      throw new Error(`route ${r.dst} via ${r.dev ?? '?'} overlaps the lab supernet ${plan.supernet}; change the supernet in the lab plan`);
    }
  }
}

async function ensureAddr(nsArgs: string[], dev: string, cidr: string): Promise<void> {
  const list = await ipJson<IpAddr[]>([...nsArgs, '-4', 'addr', 'show', 'dev', dev]);
  const [address, len] = cidr.split('/');
  if (list.some((x) => (x.addr_info ?? []).some((i) => i.local === address && String(i.prefixlen) === len))) return;
  await ip([...nsArgs, 'addr', 'add', cidr, 'dev', dev]);
}

/** Creates (or completes) the lab network; idempotent. */
export async function netnsUp(plan: LabPlan, log: (line: string) => void = () => {}): Promise<void> {
  assertRoot('the lab network');
  validateNetworkPlan(plan);
  const state = await readLabState(plan.stateDir);
  await checkConflicts(plan, state.network);

  const prefix = plan.prefixLength;
  const alias = linkAlias(plan.stateDir);
  if (!(await hostLink(plan.bridge.name))) {
    await updateLabState(plan.stateDir, (s) => {
      s.network.bridge = plan.bridge.name;
    });
    await ip(['link', 'add', 'name', plan.bridge.name, 'type', 'bridge', 'stp_state', '0']);
    log(`created bridge ${plan.bridge.name}`);
  }
  await ip(['link', 'set', 'dev', plan.bridge.name, 'alias', alias]);
  await ensureAddr([], plan.bridge.name, `${plan.bridge.address}/${prefix}`);
  await ip(['link', 'set', 'dev', plan.bridge.name, 'up']);

  const existing = await listNetns();
  for (const site of plan.sites) {
    const ns = ['-n', site.netns];
    if (!existing.includes(site.netns)) {
      await updateLabState(plan.stateDir, (s) => {
        if (!s.network.netns.includes(site.netns)) s.network.netns.push(site.netns);
      });
      await ip(['netns', 'add', site.netns]);
      log(`created netns ${site.netns}`);
    }
    await ip([...ns, 'link', 'set', 'dev', 'lo', 'up']);
    const inNs = (await nsLinks(site.netns)).some((l) => l.ifname === site.vethNs);
    if (!inNs) {
      await updateLabState(plan.stateDir, (s) => {
        if (!s.network.veths.includes(site.vethHost)) s.network.veths.push(site.vethHost);
      });
      if (await hostLink(site.vethHost)) await ip(['link', 'del', 'dev', site.vethHost]); // orphan from a crash
      await ip(['link', 'add', 'name', site.vethHost, 'type', 'veth', 'peer', 'name', site.vethNs, 'netns', site.netns]);
    }
    await ip(['link', 'set', 'dev', site.vethHost, 'alias', alias]);
    await ip([...ns, 'link', 'set', 'dev', site.vethNs, 'alias', alias]);
    await ip(['link', 'set', 'dev', site.vethHost, 'master', plan.bridge.name, 'up']);
    await ensureAddr(ns, site.vethNs, `${site.address}/${prefix}`);
    await ip([...ns, 'link', 'set', 'dev', site.vethNs, 'up']);
    // Belt and braces: the namespace must have no default route (nothing leaves the supernet).
    const routes = await ipJson<Array<{ dst: string }>>([...ns, '-4', 'route', 'show']);
    if (routes.some((r) => r.dst === 'default'))
      throw new Error(`netns ${site.netns} has a default route; the lab never adds one — remove it with \`ip -n ${site.netns} route del default\``);
  }
}

/**
 * Deletes the lab network: objects recorded in lab.json, plus the plan's objects that carry
 * our marker (works when lab.json is gone). Foreign objects are left alone and reported.
 * Call after the processes inside the namespaces are stopped. Idempotent.
 */
export async function netnsDown(plan: LabPlan, log: (line: string) => void = () => {}): Promise<{ deleted: string[]; leftAlone: string[] }> {
  assertRoot('the lab network');
  const state = await readLabState(plan.stateDir);
  const alias = linkAlias(plan.stateDir);
  const deleted: string[] = [];
  const leftAlone: string[] = [];
  for (const n of await ourNetns(plan)) {
    await ip(['netns', 'del', n]);
    deleted.push(`netns ${n}`);
  }
  const existing = await listNetns();
  for (const n of plan.sites.map((s) => s.netns))
    if (existing.includes(n)) leftAlone.push(`netns ${n} (remove it with \`ip netns del ${n}\` if it is a leftover)`);
  const vethNames = [...new Set([...state.network.veths, ...plan.sites.map((s) => s.vethHost)])];
  for (const v of vethNames) {
    const l = await hostLink(v);
    if (!l) continue;
    if (l.ifalias === alias || state.network.veths.includes(v)) {
      await ip(['link', 'del', 'dev', v], { reject: false });
      deleted.push(`veth ${v}`);
    } else leftAlone.push(`link ${v}`);
  }
  for (const b of new Set([state.network.bridge, plan.bridge.name].filter((x): x is string => !!x))) {
    const l = await hostLink(b);
    if (!l) continue;
    if (l.ifalias === alias || state.network.bridge === b) {
      await ip(['link', 'del', 'dev', b]);
      deleted.push(`bridge ${b}`);
    } else leftAlone.push(`link ${b}`);
  }
  if (await exists(plan.stateDir)) {
    await updateLabState(plan.stateDir, (s) => {
      s.network = { bridge: null, netns: [], veths: [] };
    }).catch(() => undefined); // the state dir may be half gone
  }
  for (const d of deleted) log(`deleted ${d}`);
  for (const d of leftAlone) log(`left alone (not created by hdsctl): ${d}`);
  return { deleted, leftAlone };
}
