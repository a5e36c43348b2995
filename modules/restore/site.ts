/**
 * The isolated restore site of a restore test (issue 14, EXG_PRA_3: "the restored production data
 * living in an environment secured like production"), on the machine that runs the lab:
 *
 * - **network**: a namespace of its own with only loopback — no veth, so no route to anything. The
 *   only ways out are the forwards it is given (one per service the restore needs, e.g. the
 *   repository host's pgBackRest TLS port): a socat in the namespace listens on 127.0.0.1:<port>
 *   and relays to a Unix socket (0600) in the site's directory, where a socat on the host relays to
 *   the target. Nothing inside can reach anything else, nothing outside can reach in.
 * - **at rest**: the data directory lives on a gocryptfs mount (FUSE; AES-256-GCM) whose password
 *   is generated for this site (0600) and deleted with it: what is on disk is ciphertext, and once
 *   the site is destroyed nobody can read it again. Production's restore site uses a LUKS volume
 *   like every data holder (docs/proxmox.md, *Encryption at rest*).
 * - **supervised**: socats and the gocryptfs daemon run under the lab supervisor (pid and status
 *   files in the site's state dir), so a crashed run is torn down by `destroyRestoreSite` alone.
 * - **owned**: the namespace is recorded in `site.json` before it is created; destruction deletes
 *   only a recorded namespace holding nothing but loopback, and refuses one it did not create.
 *
 * `destroyRestoreSite` returns what it destroyed, each step with its time, for the PV.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { assertRoot, listNetns } from '../lab/netns.ts';
import { knownProcesses, processStatus, startProcess, stopProcess } from '../lab/supervisor.ts';
import { ensureDir, exists, writeFileAtomic } from '../runtime/fsutil.ts';
import type { ProcessSpec } from '../runtime/process.ts';

export interface RestoreForward {
  /**
   * Address inside the site the forward listens on: 127.0.0.1 by default; the target's own address
   * (added to the site's loopback as a /32, which gives no route out) lets TLS clients inside verify
   * the target's certificate against the name they dial.
   */
  listen?: string;
  /** Port inside the site. */
  port: number;
  /** Where it leads, outside. */
  target: { host: string; port: number };
  /** What it is for, e.g. `pgBackRest repository (DC3)`. */
  purpose: string;
}

export interface RestoreSiteSpec {
  /** Namespace name, e.g. `hds-restore`. */
  netns: string;
  /** The site's state directory (root-only): sockets, the encrypted store, its password, supervisor files. */
  dir: string;
  forwards: RestoreForward[];
  /** Owner (uid/gid) of the decrypted view, e.g. postgres, who alone may enter it. */
  owner: { uid: number; gid: number };
}

export interface RestoreSite {
  spec: RestoreSiteSpec;
  /** The decrypted view: where the data directory goes. */
  dataRoot: string;
  /** The ciphertext on disk. */
  cipherDir: string;
}

export interface DestroyedItem {
  what: string;
  at: string;
}

const NETNS_RE = /^hds-restore[a-z0-9-]{0,20}$/;

function paths(dir: string) {
  return {
    record: join(dir, 'site.json'),
    cipher: join(dir, 'encrypted'),
    plain: join(dir, 'data'),
    password: join(dir, 'store.key'),
    sockets: join(dir, 'sockets'),
  };
}

/** The supervised processes of a site: per forward a relay on each side, and the encrypted store. Pure. */
export function restoreSiteProcesses(spec: RestoreSiteSpec): ProcessSpec[] {
  const p = paths(spec.dir);
  const relays = spec.forwards.flatMap((f): ProcessSpec[] => {
    const listen = f.listen ?? '127.0.0.1';
    const key = `${listen.replace(/\./g, '-')}-${f.port}`;
    const sock = join(p.sockets, `fwd-${key}.sock`);
    return [
      {
        name: `restore-fwd-host-${key}`,
        command: '/usr/bin/socat',
        args: [`UNIX-LISTEN:${sock},fork,mode=600,unlink-early`, `TCP:${f.target.host}:${f.target.port},connect-timeout=5`],
      },
      {
        name: `restore-fwd-site-${key}`,
        netns: spec.netns,
        command: '/usr/bin/socat',
        args: [`TCP-LISTEN:${f.port},bind=${listen},fork,reuseaddr`, `UNIX-CONNECT:${sock}`],
      },
    ];
  });
  return [
    {
      name: 'restore-store',
      command: '/usr/bin/gocryptfs',
      // -fg: supervised like any daemon; -allow_other: root mounts it, postgres uses it (its mode 0700 keeps others out);
      // -force_owner: every file shows as the owner's — gocryptfs (root) creates a file, then chowns it to the caller, and a
      // second writer of pgBackRest (process-max) could meet the file still root's in between (EPERM on utime, then EACCES).
      args: ['-fg', '-nosyslog', '-q', '-allow_other', '-force_owner', `${spec.owner.uid}:${spec.owner.gid}`, '-passfile', p.password, p.cipher, p.plain],
      restart: { policy: 'no' },
    },
    ...relays,
  ];
}

function validate(spec: RestoreSiteSpec): void {
  if (!NETNS_RE.test(spec.netns))
    throw new Error(`restore site: namespace ${JSON.stringify(spec.netns)} must match ${NETNS_RE} (only restore sites are created here)`);
  const ports = new Set<string>();
  for (const f of spec.forwards) {
    if (!Number.isInteger(f.port) || f.port < 1 || f.port > 65535) throw new Error(`restore site: forward port ${f.port} is not a TCP port`);
    const at = `${f.listen ?? '127.0.0.1'}:${f.port}`;
    if (ports.has(at)) throw new Error(`restore site: ${at} forwarded twice`);
    ports.add(at);
    if (f.listen !== undefined && !/^(\d{1,3}\.){3}\d{1,3}$/.test(f.listen))
      throw new Error(`restore site: forward listen address ${f.listen} must be an IPv4 address`);
    if (!/^[0-9.]+$/.test(f.target.host)) throw new Error(`restore site: forward target ${f.target.host} must be an IPv4 address`);
  }
}

async function run(cmd: string, args: string[], what: string, opts: { netns?: string } = {}): Promise<string> {
  const [file, argv] = opts.netns !== undefined ? ['ip', ['netns', 'exec', opts.netns, cmd, ...args]] : [cmd, args];
  const r = await execa(file, argv as string[], { reject: false, timeout: 60_000 });
  if (r.exitCode !== 0) throw new Error(`${what} failed: ${String(r.stderr).trim().split('\n').at(-1) || `exit ${r.exitCode}`}`);
  return String(r.stdout);
}

async function isMounted(dir: string): Promise<boolean> {
  return (await readFile('/proc/self/mounts', 'utf8').catch(() => '')).split('\n').some((l) => l.split(' ')[1] === dir);
}

/** The namespace's links (only `lo` in a site of ours). */
async function netnsLinks(netns: string): Promise<string[]> {
  const r = await execa('ip', ['-n', netns, '-j', 'link', 'show'], { reject: false });
  if (r.exitCode !== 0) return [];
  return (JSON.parse(String(r.stdout) || '[]') as Array<{ ifname: string }>).map((l) => l.ifname);
}

/**
 * Creates the site: the namespace (loopback only), the encrypted store mounted at `dataRoot`
 * (owner only), the forwards; waits until each forward listens. Refuses a namespace that exists
 * and is not a leftover of its own.
 */
export async function createRestoreSite(spec: RestoreSiteSpec): Promise<RestoreSite> {
  assertRoot('a restore site');
  validate(spec);
  const p = paths(spec.dir);
  // 0711: the owner of the decrypted view (postgres) must traverse to its mount point; nothing here is listable by others.
  await ensureDir(spec.dir, 0o711);
  const recorded = await readFile(p.record, 'utf8').then(
    (t) => (JSON.parse(t) as { netns?: string }).netns,
    () => undefined,
  );
  if ((await listNetns()).includes(spec.netns) && recorded !== spec.netns)
    throw new Error(`namespace ${spec.netns} exists and was not created by this restore site (${p.record}): remove it or choose another name`);
  await writeFileAtomic(p.record, `${JSON.stringify({ netns: spec.netns, createdAt: new Date().toISOString() })}\n`, { mode: 0o600 });
  if (!(await listNetns()).includes(spec.netns)) await run('ip', ['netns', 'add', spec.netns], `ip netns add ${spec.netns}`);
  await run('ip', ['-n', spec.netns, 'link', 'set', 'lo', 'up'], `loopback up in ${spec.netns}`);
  for (const a of new Set(spec.forwards.map((f) => f.listen).filter((a): a is string => a !== undefined && a !== '127.0.0.1'))) {
    const has = await execa('ip', ['-n', spec.netns, '-o', 'addr', 'show', 'dev', 'lo'], { reject: false });
    if (!String(has.stdout).includes(` ${a}/32`))
      await run('ip', ['-n', spec.netns, 'addr', 'add', `${a}/32`, 'dev', 'lo'], `address ${a} on the site's loopback`);
  }

  // The encrypted store: a fresh password, the ciphertext directory, the decrypted view.
  await ensureDir(p.cipher, 0o700);
  await ensureDir(p.plain, 0o700);
  await ensureDir(p.sockets, 0o700);
  if (!(await exists(join(p.cipher, 'gocryptfs.conf')))) {
    await writeFileAtomic(p.password, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    await run('gocryptfs', ['-init', '-q', '-nosyslog', '-passfile', p.password, p.cipher], 'gocryptfs -init');
  }
  for (const ps of restoreSiteProcesses(spec)) await startProcess(spec.dir, ps);
  for (let i = 0; !(await isMounted(p.plain)); i++) {
    if (i > 100) throw new Error(`the encrypted store did not mount at ${p.plain} within 10 s`);
    await sleep(100);
  }
  await execa('chown', [`${spec.owner.uid}:${spec.owner.gid}`, p.plain]);
  await execa('chmod', ['0700', p.plain]);
  for (const f of spec.forwards) {
    for (let i = 0; ; i++) {
      const r = await execa('ip', ['netns', 'exec', spec.netns, 'ss', '-Hltn', `sport = :${f.port}`], { reject: false });
      if (String(r.stdout).trim() !== '') break;
      if (i > 100) throw new Error(`forward of ${f.purpose} did not listen on ${f.listen ?? '127.0.0.1'}:${f.port} in ${spec.netns} within 10 s`);
      await sleep(100);
    }
  }
  return { spec, dataRoot: p.plain, cipherDir: p.cipher };
}

/**
 * Destroys the site and says what went, in order: the processes (forwards, store), the mount, the
 * encrypted store and its password (crypto-shredding: without it the ciphertext is noise), the
 * namespace (only when recorded as ours and holding nothing but loopback), the directory. Safe to
 * run twice and after a crash.
 */
export async function destroyRestoreSite(spec: Pick<RestoreSiteSpec, 'netns' | 'dir'>): Promise<DestroyedItem[]> {
  assertRoot('a restore site');
  const p = paths(spec.dir);
  const out: DestroyedItem[] = [];
  const done = (what: string) => out.push({ what, at: new Date().toISOString() });
  if (!(await exists(spec.dir))) return out;
  for (const n of await knownProcesses(spec.dir)) if (await stopProcess(spec.dir, n, { timeoutMs: 10_000 })) done(`process ${n} stopped`);
  if (await isMounted(p.plain)) {
    await run('fusermount', ['-u', '-z', p.plain], `unmount ${p.plain}`);
    done('encrypted store unmounted');
  }
  if (await exists(p.password)) {
    await rm(p.password, { force: true });
    done('the store password deleted (the ciphertext can no longer be read)');
  }
  if (await exists(p.cipher)) {
    await rm(p.cipher, { recursive: true, force: true });
    done('encrypted store deleted');
  }
  const recorded = await readFile(p.record, 'utf8').then(
    (t) => (JSON.parse(t) as { netns?: string }).netns,
    () => undefined,
  );
  if (recorded === spec.netns && (await listNetns()).includes(spec.netns)) {
    const links = await netnsLinks(spec.netns);
    if (links.some((l) => l !== 'lo')) throw new Error(`namespace ${spec.netns} holds links other than loopback (${links.join(', ')}): not ours to delete`);
    await run('ip', ['netns', 'del', spec.netns], `ip netns del ${spec.netns}`);
    done(`namespace ${spec.netns} deleted`);
  }
  await rm(spec.dir, { recursive: true, force: true });
  done(`directory of the site deleted`);
  return out;
}

/** Whether a site's processes all run (for a status line). */
export async function restoreSiteAlive(spec: RestoreSiteSpec): Promise<boolean> {
  const st = await Promise.all(restoreSiteProcesses(spec).map((ps) => processStatus(spec.dir, ps.name)));
  return (
    st.every((s) => s.alive) &&
    (await stat(paths(spec.dir).plain).then(
      () => true,
      () => false,
    ))
  );
}
