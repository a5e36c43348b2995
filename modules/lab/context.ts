/**
 * What lab components share: paths in the state dir, the context handed to every component
 * (plan, logger, certificates, secrets, service users) and small helpers (write rendered
 * files, bounded waits). The guests' own files are written by guests.ts.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDir, type Owner, writeFileAtomic } from '../runtime/fsutil.ts';
import { type CertPaths, type CertRequest, ensureCert, ensureLabCa } from '../runtime/pki.ts';
import type { ProcessSpec } from '../runtime/process.ts';
import type { RenderedFile } from '../services/types.ts';
import { lookupUser, type UserInfo } from './command.ts';
import { getOrCreateSecret } from './secrets.ts';
import { logTail } from './supervisor.ts';
import type { LabPlan, LabSite, SiteId } from './types.ts';

export interface LabPaths {
  stateDir: string;
  pki: string;
  etc: string;
  data: string;
  run: string;
  logs: string;
}

export function labPaths(stateDir: string): LabPaths {
  return {
    stateDir,
    pki: join(stateDir, 'pki'),
    etc: join(stateDir, 'etc'),
    data: join(stateDir, 'data'),
    run: join(stateDir, 'run'),
    logs: join(stateDir, 'logs'),
  };
}

export interface LabContext {
  plan: LabPlan;
  paths: LabPaths;
  /** One progress line (the runtime prefixes the elapsed time). */
  log(line: string): void;
  site(id: SiteId): LabSite;
  /** Issues (or reuses) a certificate from the lab CA. */
  cert(req: CertRequest): Promise<CertPaths>;
  /** Gets or creates a generated secret (state dir only, 0600). */
  secret(name: string, bytes?: number): Promise<string>;
  user(name: string): UserInfo;
}

/**
 * A piece of the lab, started in list order: prepare (render and write configs, directories,
 * credentials), then its processes are started (those already running are left alone),
 * then waitHealthy (bounded; throws with the relevant log tails) — which may also run
 * one-shot setup commands that need the processes (e.g. `pgbackrest stanza-create`).
 * processes() must be pure (no I/O): labDown and labStatus call it too.
 */
export interface LabComponent {
  name: string;
  /**
   * Brought up alongside the components after it (its prepare, start and waitHealthy run in the
   * background); labUp waits for it before a component that `needs` it, and before it ends. For a
   * slow component nothing before it depends on (Ceph: ~40 s, independent of PostgreSQL).
   */
  background?: boolean;
  /** Components (by name) that must be healthy before this one starts. */
  needs?: string[];
  prepare(ctx: LabContext): Promise<void>;
  processes(ctx: LabContext): ProcessSpec[];
  /**
   * Starts the processes itself, in its own order, through `start` (the supervisor; a process
   * already running is left alone). For a component whose daemons need setup between their
   * starts (Ceph: stores formatted, quorum formed, OSDs registered). Absent: every `processes()`
   * is started at once after prepare.
   */
  start?(ctx: LabContext, start: (spec: ProcessSpec) => Promise<void>): Promise<void>;
  waitHealthy(ctx: LabContext): Promise<void>;
  /**
   * The service's own view for `lab status` (bounded, never throws): e.g. Ceph's health, quorum
   * and PGs. Absent: the processes' states say it all.
   */
  status?(ctx: LabContext): Promise<ServiceStatus>;
  /**
   * The order labDown stops the processes in: group after group, each group's processes at once.
   * Absent: all at once. (Ceph: gateways, OSDs, managers, then monitors — a daemon stopping
   * tells the monitors, which must still be there to hear it.)
   */
  stopGroups?(ctx: LabContext): string[][];
  /** How long to wait after SIGTERM before SIGKILL when stopping (default 20 s; a process's own `stopTimeoutSec` wins). */
  stopTimeoutMs?: number;
}

export interface ServiceStatus {
  /** The component's name. */
  name: string;
  healthy: boolean;
  /** One line, e.g. `HEALTH_OK: mon 3/3 in quorum, osd 4 up/4 in/4, …`. */
  detail: string;
}

export function createContext(plan: LabPlan, log: (line: string) => void): LabContext {
  const paths = labPaths(plan.stateDir);
  const certs = new Map<string, Promise<CertPaths>>();
  const users = new Map<string, UserInfo>();
  return {
    plan,
    paths,
    log,
    site(id) {
      const s = plan.sites.find((x) => x.id === id);
      if (!s) throw new Error(`lab plan has no site ${id}`);
      return s;
    },
    cert(req) {
      // Serialised per name; ensureLabCa first so concurrent callers never race on the CA.
      let p = certs.get(req.name);
      if (!p) {
        p = ensureLabCa(paths.pki).then(() => ensureCert(paths.pki, req));
        certs.set(req.name, p);
      }
      return p;
    },
    secret(name, bytes) {
      return getOrCreateSecret(plan.stateDir, name, bytes);
    },
    user(name) {
      let u = users.get(name);
      if (!u) {
        u = lookupUser(name);
        users.set(name, u);
      }
      return u;
    },
  };
}

export function ownerOf(u: UserInfo): Owner {
  return { uid: u.uid, gid: u.gid };
}

/** Writes rendered files under `root` (temp + rename), creating sub-directories. */
export async function writeRendered(root: string, files: RenderedFile[], owner?: Owner): Promise<string[]> {
  const written: string[] = [];
  for (const f of files) {
    const path = join(root, f.path);
    if (!path.startsWith(`${root}/`)) throw new Error(`rendered file ${f.path} escapes ${root}`);
    const dir = path.slice(0, path.lastIndexOf('/'));
    if (dir !== root) await ensureDir(dir, 0o750, owner);
    await writeFileAtomic(path, f.content, { mode: f.mode ?? 0o644, ...(owner ? { owner } : {}) });
    written.push(path);
  }
  return written;
}

export class WaitTimeoutError extends Error {}

/**
 * Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes; then throws
 * with the last probe error and the tails of `logs` (process names).
 */
export async function waitFor<T>(
  ctx: Pick<LabContext, 'plan'>,
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; logs?: string[] },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'not yet';
  for (let attempt = 0; attempt < 100_000; attempt++) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = (err as Error).message.split('\n')[0] ?? String(err);
    }
    if (Date.now() >= deadline) break;
    await sleep(opts.intervalMs ?? 1000);
  }
  const tails = await Promise.all((opts.logs ?? []).map(async (n) => `--- last lines of logs/${n}.log ---\n${await logTail(ctx.plan.stateDir, n)}`));
  throw new WaitTimeoutError([`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${what} (last: ${last})`, ...tails].join('\n'));
}
