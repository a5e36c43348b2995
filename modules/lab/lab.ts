/**
 * The local lab: labUp / labStatus / labDown over an ordered list of components
 * (components/all.ts labComponents gives the whole lab; a test may pass fewer).
 *
 *   packages -> network (netns + bridge) -> PKI -> components in order (each writes its
 *   guests' files from the adapter, starts its processes, waits until healthy).
 *   labDown stops them in reverse order. Progress goes to stderr, one line per step with the
 *   elapsed time.
 */
import { rm } from 'node:fs/promises';
import { ensureDir, exists } from '../runtime/fsutil.ts';
import { ensureLabCa } from '../runtime/pki.ts';
import { type BackupFreshness, labOfflineRepoPath, readBackupFreshness, unsealForLabTeardown } from './backup.ts';
import { createContext, type LabComponent, type LabContext, type ServiceStatus } from './context.ts';
import { assertRoot, type NetworkStatus, netnsDown, netnsUp, networkStatus, ourNetns } from './netns.ts';
import { ensureLabPackages } from './packages.ts';
import { hostClientCert } from './probes.ts';
import { readLabState, updateLabState } from './state.ts';
import {
  killNamespaceProcesses,
  knownProcesses,
  type MemoryUse,
  namespaceMemory,
  type ProcessStatus,
  processStatus,
  startProcess,
  stopProcess,
} from './supervisor.ts';
import type { LabPlan } from './types.ts';

export type { LabComponent, LabContext, ServiceStatus } from './context.ts';

export interface LabOptions {
  /** The components to run, in start order (components/all.ts labComponents for the whole lab). */
  components: LabComponent[];
  /** Progress sink; default: stderr. */
  log?: (line: string) => void;
  /** Install missing Debian packages when root (default true). */
  installPackages?: boolean;
}

function progress(opts: LabOptions): (line: string) => void {
  const t0 = Date.now();
  const sink = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  return (line) => sink(`[lab +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
}

export interface LabUpResult {
  alreadyUp: boolean;
  elapsedMs: number;
  started: string[];
}

async function allProcessStatus(ctx: LabContext, components: LabComponent[]): Promise<ProcessStatus[]> {
  const specs = components.flatMap((c) => c.processes(ctx));
  return Promise.all(specs.map((s) => processStatus(ctx.plan.stateDir, s.name)));
}

export async function labUp(plan: LabPlan, opts: LabOptions): Promise<LabUpResult> {
  assertRoot('hdsctl lab up');
  const t0 = Date.now();
  const log = progress(opts);
  const components = opts.components;
  const ctx = createContext(plan, log);

  const state = await readLabState(plan.stateDir);
  if (state.upSince) {
    const st = await allProcessStatus(ctx, components);
    const net = await networkStatus(plan);
    if (st.every((s) => s.alive) && net.bridge && Object.values(net.netns).every(Boolean)) {
      log(`lab already up since ${state.upSince} (${st.length} processes running): nothing to do`);
      return { alreadyUp: true, elapsedMs: Date.now() - t0, started: [] };
    }
    log(
      `lab partially up (${
        st
          .filter((s) => !s.alive)
          .map((s) => s.name)
          .join(', ') || 'network'
      } missing): completing it`,
    );
  }

  if (opts.installPackages !== false) {
    const installed = await ensureLabPackages(undefined, log);
    log(installed.length > 0 ? `packages: installed ${installed.join(' ')}` : 'packages: all present');
  }
  await ensureDir(plan.stateDir, 0o755);
  for (const d of Object.values(ctx.paths)) await ensureDir(d, 0o755);

  await netnsUp(plan, log);
  log(`network: bridge ${plan.bridge.name} ${plan.bridge.address}/${plan.prefixLength}, ${plan.sites.map((s) => `${s.netns}=${s.address}`).join(' ')}`);

  await ensureLabCa(ctx.paths.pki);
  await hostClientCert(plan);
  log(`pki: CA and the host client certificate ready in ${ctx.paths.pki} (each guest gets its pair when its files are written)`);

  const started: string[] = [];
  const bringUp = async (c: LabComponent) => {
    await c.prepare(ctx);
    const specs = c.processes(ctx);
    const start = async (spec: (typeof specs)[number]) => {
      const r = await startProcess(plan.stateDir, spec);
      if (!r.alreadyRunning) started.push(spec.name);
    };
    if (c.start) await c.start(ctx, start);
    else for (const spec of specs) await start(spec);
    log(`${c.name}: ${specs.length > 0 ? `${specs.map((s) => s.name).join(', ')} running, ` : ''}waiting until healthy`);
    await c.waitHealthy(ctx);
    log(`${c.name}: healthy`);
  };
  // Background components run alongside the next ones; each is awaited where needed and at the end.
  const background = new Map<string, Promise<void>>();
  try {
    for (const c of components) {
      for (const n of c.needs ?? []) await background.get(n);
      if (c.background) {
        log(`${c.name}: starting in the background`);
        const p = bringUp(c);
        p.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
        background.set(c.name, p);
      } else await bringUp(c);
    }
    await Promise.all(background.values());
  } catch (err) {
    // Nothing of ours keeps running on its own once labUp has failed.
    await Promise.allSettled(background.values());
    throw err;
  }
  await updateLabState(plan.stateDir, (s) => {
    s.upSince = new Date().toISOString();
  });
  log(`lab up in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return { alreadyUp: false, elapsedMs: Date.now() - t0, started };
}

export interface LabStatus {
  upSince?: string;
  network: NetworkStatus;
  processes: ProcessStatus[];
  /** The services' own views (components with a `status`), asked only while the network is up. */
  services: ServiceStatus[];
  /** Network complete and every process alive. */
  up: boolean;
  /** Up, and every service that reports its health healthy. */
  healthy: boolean;
  /** What the lab's processes hold in memory (sum of RSS of everything in its namespaces). */
  memory: MemoryUse;
  /** Age of the last recorded backup (per repository), verify and restore test of every stanza (./backup.ts). */
  backups: BackupFreshness[];
}

export async function labStatus(plan: LabPlan, opts: Pick<LabOptions, 'components'>): Promise<LabStatus> {
  const ctx = createContext(plan, () => {});
  const components = opts.components;
  const [state, network, processes] = await Promise.all([readLabState(plan.stateDir), networkStatus(plan), allProcessStatus(ctx, components)]);
  const netUp = network.bridge && Object.values(network.netns).every(Boolean);
  const up = netUp && processes.every((p) => p.alive);
  const services = netUp ? await Promise.all(components.flatMap((c) => (c.status ? [c.status(ctx)] : []))) : [];
  const memory = await namespaceMemory(plan.sites.filter((s) => network.netns[s.netns]).map((s) => s.netns));
  const backups = await readBackupFreshness(plan);
  return {
    ...(state.upSince ? { upSince: state.upSince } : {}),
    network,
    processes,
    services,
    up,
    healthy: up && services.every((s) => s.healthy),
    memory,
    backups,
  };
}

export interface LabDownOptions extends Pick<LabOptions, 'components' | 'log'> {
  /** Also delete the state dir (data, configs, logs, PKI, secrets). Default false. */
  purge?: boolean;
}

/**
 * Stops every process (components in reverse order, then anything with a pid file, then
 * anything still inside our namespaces) and deletes the network. Idempotent, safe after a
 * crash and with a half-deleted state dir.
 */
export async function labDown(plan: LabPlan, opts: LabDownOptions): Promise<{ elapsedMs: number; stopped: string[] }> {
  assertRoot('hdsctl lab down');
  const t0 = Date.now();
  const log = progress(opts);
  const ctx = createContext(plan, log);
  const components = opts.components;
  const stopped: string[] = [];
  for (const c of [...components].reverse()) {
    const specs = new Map(c.processes(ctx).map((s) => [s.name, s]));
    const timeoutOf = (n: string) => {
      const sec = specs.get(n)?.stopTimeoutSec;
      return sec !== undefined ? sec * 1000 : (c.stopTimeoutMs ?? 20_000);
    };
    const groups = c.stopGroups?.(ctx) ?? [[...specs.keys()]];
    const mine: string[] = [];
    for (const names of groups) {
      const r = await Promise.all(names.map((n) => stopProcess(plan.stateDir, n, { timeoutMs: timeoutOf(n) })));
      mine.push(...names.filter((_, i) => r[i]));
    }
    if (mine.length > 0) log(`${c.name}: stopped ${mine.join(', ')}`);
    stopped.push(...mine);
  }
  for (const n of await knownProcesses(plan.stateDir)) {
    if (await stopProcess(plan.stateDir, n)) {
      log(`stopped leftover process ${n}`);
      stopped.push(n);
    }
  }
  for (const ns of await ourNetns(plan)) {
    const killed = await killNamespaceProcesses(ns);
    if (killed.length > 0) log(`killed ${killed.length} leftover process(es) in ${ns}: ${killed.join(' ')}`);
  }
  await netnsDown(plan, log);
  if (await exists(plan.stateDir)) {
    await updateLabState(plan.stateDir, (s) => {
      delete s.upSince;
    }).catch(() => undefined);
  }
  if (opts.purge) {
    // The offline copy's sealed files (chattr +i) cannot be deleted until unsealed.
    const offline = labOfflineRepoPath(plan);
    if (offline) await unsealForLabTeardown(offline);
    await rm(plan.stateDir, { recursive: true, force: true });
    log(`purged ${plan.stateDir}`);
  }
  log(`lab down in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return { elapsedMs: Date.now() - t0, stopped };
}
