/**
 * The lab's guests: which guests of the `lab` environment's topology the lab runs, where their
 * files land, and how they are written. Every configuration file comes from the one adapter
 * (modules/services/fromTopology `guestFiles`) with the lab profile — the very files
 * production's cloud-init carries, placed under the guest's root and with the lab's
 * addresses. This module only writes them: placeholders resolved from the lab's state dir
 * (as hds-secrets does at first boot in production), each file with its owner and mode, and
 * the guest's TLS pair from the lab CA (as the platform PKI enrols a VM).
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isDcsMember, isHaproxy, isMonitoring, isPgData, isWaf, repositoryGuest } from '../model/roles.ts';
import type { Guest } from '../model/topology.ts';
import { ensureDir, type Owner, writeFileAtomic } from '../runtime/fsutil.ts';
import type { CertPaths } from '../runtime/pki.ts';
import { at, serviceAddress, TLS } from '../services/fromTopology/common.ts';
import { guestFiles } from '../services/fromTopology/index.ts';
import { type DeploymentProfile, labProfile } from '../services/fromTopology/profile.ts';
import { resolveSecretRefs, secretEncoding, secretRefsIn } from '../services/secrets.ts';
import type { GuestFile } from '../services/types.ts';
import type { LabContext } from './context.ts';
import { getOrCreateSecret } from './secrets.ts';
import type { LabPlan, LabSite } from './types.ts';

/** TLS server name of every lab WAF certificate (the lab has no DNS; clients pin it). */
export const WAF_SERVER_NAME = 'waf.lab.hds';

const profiles = new WeakMap<LabPlan, DeploymentProfile>();

/** The lab deployment profile of a plan: roots under the state dir, one address per site. */
export function labProfileOf(plan: LabPlan): DeploymentProfile {
  let p = profiles.get(plan);
  if (!p) {
    p = labProfile({ stateDir: plan.stateDir, siteAddress: (site) => labSiteOf(plan, site).address });
    profiles.set(plan, p);
  }
  return p;
}

export function labSiteOf(plan: LabPlan, site: string): LabSite {
  const s = plan.sites.find((x) => x.id === site);
  if (!s) throw new Error(`lab plan has no site ${site}`);
  return s;
}

/** A production path as it lands on `g` in the lab. */
export function guestPath(plan: LabPlan, g: Pick<Guest, 'name'>, path: string): string {
  return at(labProfileOf(plan), g, path);
}

/** The address a guest answers on in the lab (its site's namespace). */
export function guestAddress(plan: LabPlan, g: Guest): string {
  return serviceAddress(labProfileOf(plan), g);
}

export interface LabGuests {
  dcs: Guest[];
  pgData: Guest[];
  /** One HAProxy per site: a namespace has one address, so the second of a pair cannot bind. */
  haproxy: Guest[];
  waf: Guest[];
  monitoring: Guest[];
  repository?: Guest;
}

export function labGuests(plan: LabPlan): LabGuests {
  const vms = plan.topology.guests.filter((g) => g.hosting === 'vm');
  const firstPerSite = (gs: Guest[]) => gs.filter((g, i) => gs.findIndex((x) => x.site === g.site) === i);
  const repository = repositoryGuest(plan.topology);
  return {
    dcs: vms.filter(isDcsMember),
    pgData: vms.filter(isPgData),
    haproxy: firstPerSite(vms.filter(isHaproxy)),
    waf: vms.filter(isWaf),
    monitoring: firstPerSite(vms.filter(isMonitoring)),
    ...(repository ? { repository } : {}),
  };
}

/** The Unix user a guest's services run as in the lab (production: the Debian packages' users). */
export function serviceUser(g: Guest): string {
  if (isPgData(g) || g.service === 'backup') return 'postgres';
  if (isDcsMember(g)) return 'etcd';
  if (isHaproxy(g)) return 'haproxy';
  if (g.service === 'ceph') return 'ceph';
  return 'root';
}

/** The lab secret holding placeholder `path#field` (a file under <stateDir>/secrets, 0600). */
export function labSecretName(path: string, field: string): string {
  const name = `${path}.${field}`.replaceAll('/', '.');
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) throw new Error(`secret ${path}#${field} has no valid lab name (${name})`);
  return name;
}

export function labSecret(plan: LabPlan, path: string, field: string): Promise<string> {
  return getOrCreateSecret(plan.stateDir, labSecretName(path, field), 32, secretEncoding(field));
}

/** The value behind the placeholder `ref` (one `@@secret:…@@`), e.g. a password the adapter names. */
export async function labSecretOf(plan: LabPlan, ref: string): Promise<string> {
  const [r, ...more] = secretRefsIn(ref);
  if (!r || more.length) throw new Error(`not one secret placeholder: ${ref}`);
  return labSecret(plan, r.path, r.field);
}

/** The guest's files with their placeholders resolved from the lab's secrets. */
export async function resolvedGuestFiles(plan: LabPlan, g: Guest): Promise<GuestFile[]> {
  const files = guestFiles(plan.topology, g, labProfileOf(plan));
  const values = new Map<string, string>();
  for (const f of files)
    for (const r of secretRefsIn(f.content)) if (!values.has(r.placeholder)) values.set(r.placeholder, await labSecret(plan, r.path, r.field));
  return files.map((f) => ({ ...f, content: resolveSecretRefs(f.content, (path, field) => values.get(`@@secret:${path}#${field}@@`)!) }));
}

function ownerOfUser(ctx: LabContext, user: string | undefined): Owner | undefined {
  if (!user || user === 'root') return undefined;
  const u = ctx.user(user);
  return { uid: u.uid, gid: u.gid };
}

/**
 * Writes a guest's files (placeholders resolved, owner and mode as the adapter says, temp file
 * then rename) and installs its TLS material at the production layout under its root: server
 * certificate for its lab address, client certificate with CN = the guest name, the CA; a WAF
 * also gets its public certificate. Directories are 0755 root (the guest's own tree).
 */
const materialised = new WeakMap<LabContext, Map<string, Promise<GuestFile[]>>>();

export function materialiseGuest(ctx: LabContext, g: Guest): Promise<GuestFile[]> {
  // Several components need the same guest (a data node: pgBackRest, then Patroni): write it once per run.
  let done = materialised.get(ctx);
  if (!done) {
    done = new Map();
    materialised.set(ctx, done);
  }
  let p = done.get(g.name);
  if (!p) {
    p = writeGuest(ctx, g);
    done.set(g.name, p);
  }
  return p;
}

async function writeGuest(ctx: LabContext, g: Guest): Promise<GuestFile[]> {
  const plan = ctx.plan;
  const files = await resolvedGuestFiles(plan, g);
  const root = guestPath(plan, g, '');
  for (const f of files) {
    if (!f.path.startsWith(`${root}/`)) throw new Error(`${g.name}: file ${f.path} escapes the guest root ${root}`);
    await ensureDir(dirname(f.path), 0o755);
    const owner = ownerOfUser(ctx, f.owner);
    await writeFileAtomic(f.path, f.content, { mode: f.mode ?? 0o644, ...(owner ? { owner } : {}) });
  }
  await installGuestTls(ctx, g);
  return files;
}

async function copyPair(src: CertPaths, certFile: string, keyFile: string, owner: Owner | undefined): Promise<void> {
  await ensureDir(dirname(certFile), 0o755);
  await writeFileAtomic(certFile, await readFile(src.cert), { mode: 0o644, ...(owner ? { owner } : {}) });
  await writeFileAtomic(keyFile, await readFile(src.key), { mode: 0o600, ...(owner ? { owner } : {}) });
}

export async function installGuestTls(ctx: LabContext, g: Guest): Promise<void> {
  const plan = ctx.plan;
  const address = guestAddress(plan, g);
  const owner = ownerOfUser(ctx, serviceUser(g));
  const server = await ctx.cert({ name: `${g.name}-server`, commonName: g.name, dnsNames: [g.name, address], ipAddresses: [address], usage: 'both' });
  const client = await ctx.cert({ name: `${g.name}-client`, commonName: g.name, dnsNames: [], ipAddresses: [], usage: 'client' });
  await copyPair(server, guestPath(plan, g, TLS.serverCert), guestPath(plan, g, TLS.serverKey), owner);
  await copyPair(client, guestPath(plan, g, TLS.clientCert), guestPath(plan, g, TLS.clientKey), owner);
  await writeFileAtomic(guestPath(plan, g, TLS.caFile), await readFile(server.ca), { mode: 0o644 });
  if (isWaf(g)) {
    const front = labProfileOf(plan).address(g, 'front');
    const pub = await ctx.cert({
      name: `${g.name}-public`,
      commonName: WAF_SERVER_NAME,
      dnsNames: [WAF_SERVER_NAME, g.name],
      ipAddresses: [front],
      usage: 'server',
    });
    await copyPair(pub, guestPath(plan, g, TLS.publicCert), guestPath(plan, g, TLS.publicKey), undefined);
  }
}
