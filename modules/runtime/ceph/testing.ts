/**
 * Test helper (integration tests and measurements, root): the `lab` environment's Ceph cluster on
 * loopback addresses, one per site (127.0.1.1 DC1, 127.0.2.1 DC2, 127.0.3.1 DC3) — no network
 * namespace, no bridge — with its hosts' files written from the adapter (fromTopology/ceph.ts,
 * placeholders resolved with test secrets) and each host's TLS pair from a test CA; and a small
 * runner that starts ProcessSpecs as children and stops exactly those.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { loadWorkspace } from '../../loader/load.ts';
import { LAB_CEPH_DECLARATION } from '../../model/ceph.ts';
import { expand } from '../../model/expand.ts';
import type { Topology } from '../../model/topology.ts';
import type { CephBootstrapPlan } from '../../services/ceph/crush.ts';
import type { CephClusterInput, CephDaemon } from '../../services/ceph/render.ts';
import { cephClusterInput, cephHosts, cephPlan } from '../../services/fromTopology/ceph.ts';
import { TLS } from '../../services/fromTopology/common.ts';
import { guestFiles } from '../../services/fromTopology/index.ts';
import { type DeploymentProfile, labProfile } from '../../services/fromTopology/profile.ts';
import { resolveSecretRefs, secretEncoding, secretRefsIn } from '../../services/secrets.ts';
import { ensureDir, writeFileAtomic } from '../fsutil.ts';
import { ensureCert } from '../pki.ts';
import type { ProcessSpec } from '../process.ts';
import { type CephBootstrapSpec, runnableDaemons } from './bootstrap.ts';

export const LOOPBACK_SITES: Readonly<Record<string, string>> = { DC1: '127.0.1.1', DC2: '127.0.2.1', DC3: '127.0.3.1' };

/** The `lab` environment's topology, with the lab's Ceph declaration when the file has none. */
export function labCephTopology(): Topology {
  const ws = loadWorkspace(join(import.meta.dirname, '..', '..', '..', 'environments'));
  const env = ws.environments.get('lab')?.doc;
  if (!env) throw new Error('no lab environment');
  const platform = ws.platforms.get(env.platform)?.doc;
  if (!platform) throw new Error(`no platform ${env.platform}`);
  const doc = env.services.ceph ? env : { ...env, services: { ...env.services, ceph: LAB_CEPH_DECLARATION } };
  const t = expand(
    platform,
    doc,
    [...ws.catalogs.values()].map((c) => c.doc),
  ).topology;
  if (!t?.ceph) throw new Error('the lab topology has no Ceph');
  return t;
}

export interface LoopbackCeph {
  topology: Topology;
  profile: DeploymentProfile;
  cluster: CephClusterInput;
  plan: CephBootstrapPlan;
  daemons: CephDaemon[];
  /** The bootstrap spec (secrets under `<stateDir>/secrets`, CA of `<stateDir>/pki`). */
  spec: CephBootstrapSpec;
  caFile: string;
}

/**
 * Writes the Ceph hosts' files under `stateDir` (as the lab does: placeholders resolved, owner
 * and mode from the adapter) and their TLS pairs; returns what the bootstrap needs. Test secrets:
 * the S3 keys hex, the SSE test key standard base64 of 256 bits (RGW decodes base64, not base64url).
 */
export async function loopbackCeph(stateDir: string): Promise<LoopbackCeph> {
  const topology = labCephTopology();
  const profile = labProfile({ stateDir, siteAddress: (site) => LOOPBACK_SITES[site] ?? '127.0.9.1' });
  const cluster = cephClusterInput(topology, profile);
  const plan = cephPlan(topology, profile);
  const secrets = new Map<string, string>();
  const resolveSecret = async (path: string, field: string) => {
    const k = `${path}#${field}`;
    if (!secrets.has(k)) secrets.set(k, secretEncoding(field) === 'base64' ? randomBytes(32).toString('base64') : randomBytes(20).toString('hex'));
    return secrets.get(k)!;
  };
  const id = async (flag: string) => Number((await execa('id', [flag, 'ceph'])).stdout);
  const ceph = { uid: await id('-u'), gid: await id('-g') };
  const pki = join(stateDir, 'pki');
  for (const g of cephHosts(topology)) {
    for (const f of guestFiles(topology, g, profile)) {
      const values = new Map<string, string>();
      for (const r of secretRefsIn(f.content)) values.set(r.placeholder, await resolveSecret(r.path, r.field));
      const content = resolveSecretRefs(f.content, (path, field) => values.get(`@@secret:${path}#${field}@@`)!);
      await ensureDir(dirname(f.path), 0o755);
      await writeFileAtomic(f.path, content, { mode: f.mode ?? 0o644, ...(f.owner === 'ceph' ? { owner: ceph } : {}) });
    }
    const address = profile.address(g, g.nics[0]!.zone);
    const pair = await ensureCert(pki, { name: `${g.name}-server`, commonName: g.name, dnsNames: [g.name], ipAddresses: [address], usage: 'both' });
    const root = profile.root(g);
    await ensureDir(`${root}${TLS.dir}`, 0o755);
    await writeFileAtomic(`${root}${TLS.serverCert}`, await readFile(pair.cert), { mode: 0o644, owner: ceph });
    await writeFileAtomic(`${root}${TLS.serverKey}`, await readFile(pair.key), { mode: 0o600, owner: ceph });
    await writeFileAtomic(`${root}${TLS.caFile}`, await readFile(pair.ca), { mode: 0o644 });
  }
  const caFile = join(pki, 'ca.crt');
  const daemons = runnableDaemons(cluster);
  return { topology, profile, cluster, plan, daemons, caFile, spec: { cluster, plan, daemons, secretsDir: join(stateDir, 'secrets'), resolveSecret, caFile } };
}

/** Starts ProcessSpecs as children of this process (no namespace), logs in `logDir`; stops exactly those. */
export class ChildRunner {
  readonly children = new Map<string, ChildProcess>();
  constructor(private readonly logDir: string) {}

  async start(spec: ProcessSpec): Promise<void> {
    if (spec.netns !== undefined) throw new Error('the loopback runner runs no namespace');
    const running = this.children.get(spec.name);
    if (running && running.exitCode === null && running.signalCode === null) return;
    await ensureDir(this.logDir, 0o755);
    const fd = openSync(join(this.logDir, `${spec.name}.log`), 'a');
    const child = spawn(spec.command, spec.args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...spec.env } });
    closeSync(fd);
    this.children.set(spec.name, child);
  }

  live(): Array<[string, ChildProcess]> {
    return [...this.children].filter(([, c]) => c.exitCode === null && c.signalCode === null && c.pid !== undefined);
  }

  /** Stops `names` (default: all): SIGTERM, then SIGKILL after `timeoutMs`; waits for their exit. */
  async stop(names?: readonly string[], timeoutMs = 30_000): Promise<void> {
    const targets = this.live().filter(([n]) => !names || names.includes(n));
    const exited = Promise.all(targets.map(([, c]) => new Promise<void>((r) => c.once('exit', () => r()))));
    for (const [, c] of targets) {
      c.kill('SIGCONT'); // a daemon frozen by a site-cut test handles nothing until continued
      c.kill('SIGTERM');
    }
    if ((await Promise.race([exited.then(() => 'done'), sleep(timeoutMs).then(() => 'late')])) === 'late') {
      for (const [, c] of targets) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await exited;
    }
    for (const [n] of targets) this.children.delete(n);
  }
}

/** Every live (non-zombie) process whose command line mentions `needle`. */
export async function processesMentioning(needle: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const st = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (cmd.includes(needle) && !/\) Z /.test(st)) out.push(`${pid} ${cmd.replaceAll('\0', ' ').slice(0, 120)}`);
  }
  return out;
}

export async function rssKiB(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(s)?.[1] ?? 0);
}

/** Bytes a tree really occupies (a sparse file counts its allocated blocks only). */
export async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const st = await stat(join(e.parentPath, e.name)).catch(() => undefined);
    if (st?.isFile()) total += st.blocks * 512;
  }
  return total;
}
