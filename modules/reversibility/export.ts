/**
 * `hdsctl reversibility export`: everything a taker needs, in open formats, signed
 * (EXG_REV_14, EXG_REV_19, CAIH-3-1, CAIH-S3-8). docs/reversibility.md.
 *
 * Sections, in order, each recorded in the export's journal when it is complete:
 *   platform   environment files, every guest's rendered files and the HSM key metadata (the
 *              configuration set of modules/backup, refused if it would hold a secret), the
 *              synthesized Terraform JSON of every environment, the workloads manifests, the
 *              policy reports, the last drill and restore-test PVs;
 *   inventory  CMDB (JSON, CSV), flow matrix (CSV), HSM key cartography, backup plan;
 *   data       per PostgreSQL domain, in one snapshot: DDL, a CSV and a column description per
 *              table, a native dump; the documents' contents re-encrypted for the taker (CMS);
 *   kit        the toolkit at this commit (git bundle), its lockfile, bootstrap.sh, README.md;
 *   sign       manifest.json, SHA256SUMS and its signature by a non-extractable HSM key.
 *
 * Resumable: files are written under temporary names and renamed; a section's directory is
 * staged and renamed whole; a killed export started again with the same --out skips what its
 * journal records as complete — a database whose every table still has the fingerprint it had
 * when exported, each document already encrypted — and ends with the same files for those.
 * The journal (`.hds-export/`) is removed once the export is signed.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { configSetEntries } from '../backup/configSet.ts';
import { labHsmKeys, labKnownSecrets, readEnvironmentTree, readWaivers, toolCommit } from '../backup/collect.ts';
import { labDocumentsS3, labHasCeph } from '../lab/components/ceph.ts';
import { edgeSites, objectGateways, refserviceDomain } from '../lab/edgeEndpoints.ts';
import { wafDirs } from '../lab/components/waf.ts';
import { wafRuntimePaths } from '../services/waf/render.ts';
import { exportAuditLogs } from './audit.ts';
import { domainClient, domainWriteEndpoint, labTokenOptions, labTokens, openLabToken } from '../lab/access.ts';
import { appClient } from '../lab/probes.ts';
import { labSecretOf } from '../lab/guests.ts';
import type { LabPlan } from '../lab/types.ts';
import { pgRoleNames } from '../model/roles.ts';
import { ensureDir, writeFileAtomic } from '../runtime/fsutil.ts';
import { getObjectBytes } from '../runtime/ceph/s3.ts';
import type { HsmKeyStore } from '../runtime/hsm/keystore.ts';
import { ensureLabCa } from '../runtime/pki.ts';
import { pgCredentialRef } from '../services/fromTopology/postgres.ts';
import { type AvailabilitySummary, startAvailabilityProbe } from './availability.ts';
import { exportDatabase, tableContentFingerprints } from './data.ts';
import { exportDocuments } from './documents.ts';
import { backupPlan, cmdb, flowMatrixCsv, keyCartography, modelKeyCartography } from './inventory.ts';
import { writeKit } from './kit.ts';
import { hashTree } from './manifest.ts';
import { ensureSigningKey, issueSigningCertificate, signExport } from './signing.ts';
import type { ExportManifest, TableFingerprint } from './types.ts';

const run = promisify(execFile);

export const JOURNAL_DIR = '.hds-export';
export const SIGNING_KEY_LABEL = 'reversibility-signing';
export const SECTIONS = ['platform', 'inventory', 'data', 'kit', 'sign'] as const;
export type Section = (typeof SECTIONS)[number];

export class ExportError extends Error {
  override name = 'ExportError';
}

export interface ExportProgress {
  section: Section;
  /** e.g. `documents.public.documents`, `documents: 120/400`. */
  detail: string;
  done?: number;
  total?: number;
}

export interface ExportOptions {
  /** The source: the lab's plan (production: the same code with production endpoints, not tried here). */
  plan: LabPlan;
  /** The environments directory the plan was evaluated from. */
  environmentsDir: string;
  /** The policies' waivers file (optional). */
  waiversPath?: string;
  out: string;
  /** The taker's certificate: the documents are encrypted for it (CMS). Without it, the documents are not exported (said in the manifest). */
  recipientCert?: string;
  /** The toolkit's repository (the bundle is made from its HEAD). */
  repoDir: string;
  /** How to run this toolkit's CLI for the platform section (synth, workloads, policy). */
  hdsctl: { command: string; args: string[] };
  log: (line: string) => void;
  onProgress?: (p: ExportProgress) => void;
  /** Probe the API through the WAF during the export (default true). */
  probe?: boolean;
  /**
   * Platform files of every environment of the workspace (default: the taker takes the whole
   * platform over) or of the exported environment only (a quicker dry run).
   */
  platformScope?: 'all' | 'environment';
  /** Bundle HEAD although tracked files have uncommitted changes (said in the manifest). */
  allowDirty?: boolean;
  /** Tests: stop (as a kill would) after this many documents. */
  crashAfterDocuments?: number;
}

export interface ExportResult {
  out: string;
  manifest: ExportManifest;
  files: number;
  bytes: number;
  bytesBySection: Record<string, number>;
  durationsMs: Partial<Record<Section, number>>;
  /** Sections skipped because a previous, interrupted run had completed them. */
  resumed: Section[];
  availability: AvailabilitySummary | null;
  signingCertificateSha256: string;
  /** SHA-256 and size of SHA256SUMS and of manifest.json, the report's evidence. */
  sums: { sha256: string; bytes: number; manifestSha256: string; manifestBytes: number };
  filesBySection: Record<string, number>;
}

interface Journal {
  version: 1;
  environment: string;
  createdAt: string;
  snapshotAt?: string;
  done: Partial<Record<Section, true>>;
  /** Per domain: the fingerprints of its tables when it was exported. */
  databases: Record<string, { tables: Record<string, TableFingerprint & { csv: string }>; snapshotAt: string }>;
  documents?: { count: number; bytes: number; index: string | null };
}

const journalPath = (out: string) => join(out, JOURNAL_DIR, 'journal.json');

async function readJournal(out: string): Promise<Journal | undefined> {
  try {
    return JSON.parse(await readFile(journalPath(out), 'utf8')) as Journal;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ExportError(`${journalPath(out)}: unreadable export journal (${(e as Error).message.split('\n')[0]}); remove ${out} and start again`);
  }
}

/** Journal writes of each export, one after the other (the data section's domains and documents save as they go). */
const journalWrites = new Map<string, Promise<void>>();

/**
 * Writes the journal; calls are serialized per export, and each write takes the journal's state
 * when its turn comes, so the last write on disk has every section's progress.
 */
async function saveJournal(out: string, j: Journal): Promise<void> {
  const previous = journalWrites.get(out) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(() => writeFileAtomic(journalPath(out), `${JSON.stringify(j, null, 2)}\n`, { mode: 0o600 }));
  journalWrites.set(out, mine);
  try {
    await mine;
  } finally {
    if (journalWrites.get(out) === mine) journalWrites.delete(out);
  }
}

/**
 * Takes `out` for this export: absent or empty → new; our journal for the same environment →
 * resumed; a complete export or anything else → refused (nothing is deleted or replaced).
 */
async function claimOut(out: string, env: string): Promise<{ journal: Journal; resumed: boolean }> {
  let entries: string[];
  try {
    entries = await readdir(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ExportError(`--out ${out}: cannot be read (${(e as NodeJS.ErrnoException).code})`);
    entries = [];
  }
  const j = entries.includes(JOURNAL_DIR) ? await readJournal(out) : undefined;
  if (j) {
    if (j.environment !== env)
      throw new ExportError(`--out ${out}: holds an interrupted export of environment ${j.environment}, not ${env}; give another --out`);
    await lock(out);
    await removeTempFiles(out);
    return { journal: j, resumed: true };
  }
  if (entries.length > 0) {
    const complete = entries.includes('SHA256SUMS.sig') && entries.includes('manifest.json');
    throw new ExportError(
      complete
        ? `--out ${out}: already holds a complete export; give a new directory (an export is never overwritten)`
        : `--out ${out}: not empty and not an export in progress of hdsctl; give an absent or empty directory (nothing in it was touched)`,
    );
  }
  await ensureDir(join(out, JOURNAL_DIR), 0o700);
  const journal: Journal = { version: 1, environment: env, createdAt: new Date().toISOString(), done: {}, databases: {} };
  await lock(out);
  await saveJournal(out, journal);
  return { journal, resumed: false };
}

/** Temporary files a killed run left (`[.]name.<12 hex>.tmp`, the atomic writers' names): ours, never part of an export. */
async function removeTempFiles(out: string): Promise<void> {
  for (const e of await readdir(out, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.[0-9a-f]{12}\.tmp$/.test(e.name) && !e.parentPath.includes(JOURNAL_DIR)) await rm(join(e.parentPath, e.name), { force: true });
  }
}

/** One export per directory at a time: a lock naming the holder's pid; a dead holder's lock is taken over. */
async function lock(out: string): Promise<void> {
  const path = join(out, JOURNAL_DIR, 'lock');
  for (let i = 0; i < 2; i++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      let alive = false;
      try {
        if (pid > 0) process.kill(pid, 0);
        alive = pid > 0;
      } catch {
        alive = false;
      }
      if (alive && pid !== process.pid) throw new ExportError(`--out ${out}: another export (pid ${pid}) is writing it; wait for it to end`);
      await rm(path, { force: true });
    }
  }
}

/** A section's directory written in a staging place, then renamed into `out` whole. */
async function staged(out: string, rel: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const staging = join(out, JOURNAL_DIR, `staging-${rel.replace(/\//g, '_')}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true, mode: 0o755 });
  await fill(staging);
  const final = join(out, rel);
  await rm(final, { recursive: true, force: true }); // our own partial section of an interrupted run (out is ours: claimOut)
  await mkdir(dirname(final), { recursive: true });
  await rename(staging, final);
}

async function writeText(dir: string, rel: string, content: string | Buffer, mode = 0o644): Promise<void> {
  const path = join(dir, rel);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, content, { mode });
}

// --- platform -------------------------------------------------------------------------------

/** Runs the toolkit's CLI; an exit code in okCodes other than 0 is returned with its last stderr line. */
async function hdsctl(o: ExportOptions, args: string[], okCodes = [0]): Promise<{ code: number; said: string }> {
  try {
    await run(o.hdsctl.command, [...o.hdsctl.args, ...args], {
      cwd: o.repoDir,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NO_COLOR: '1', CHECKPOINT_DISABLE: '1' },
    });
    return { code: 0, said: '' };
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    const said =
      String(err.stderr ?? '')
        .trim()
        .split('\n')
        .slice(-1)[0] ?? `exit ${err.code}`;
    if (typeof err.code === 'number' && okCodes.includes(err.code)) return { code: err.code, said };
    throw new ExportError(`hdsctl ${args.join(' ')} failed: ${said}`);
  }
}

async function latestRun(dir: string): Promise<string | undefined> {
  try {
    const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    for (const n of names.sort().reverse()) {
      const files = await readdir(join(dir, n));
      if (files.includes('pv.json')) return join(dir, n);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

async function exportPlatform(o: ExportOptions, dir: string): Promise<void> {
  const { plan } = o;
  // Configuration set: environment files, every guest's rendered files, HSM key metadata, waivers.
  const entries = configSetEntries({
    topology: plan.topology,
    environmentFiles: readEnvironmentTree(o.environmentsDir),
    waivers: o.waiversPath ? readWaivers(o.waiversPath) : undefined,
    hsm: labHsmKeys(plan),
    knownSecrets: labKnownSecrets(plan.stateDir),
  });
  for (const e of entries) await writeText(dir, join('config', e.path), e.content, 0o644);
  o.onProgress?.({ section: 'platform', detail: `configuration: ${entries.length} files` });

  const all = (o.platformScope ?? 'all') === 'all';
  const env = plan.topology.environment.name;
  // The synthesized Terraform JSON (Proxmox stacks) of every environment (a lab has none of its own).
  await hdsctl(
    o,
    ['synth', ...(all ? ['--all'] : ['--env', env]), '--backend', 'local', '--out', join(dir, 'terraform'), '--dir', o.environmentsDir],
    all ? [0] : [0, 1],
  );
  o.onProgress?.({ section: 'platform', detail: 'terraform JSON' });
  // The workloads manifests of every environment that has workloads.
  // One process for every environment (`--all`): a process per environment spent ~5 s starting.
  const list = await run(o.hdsctl.command, [...o.hdsctl.args, 'workloads', 'list-stacks', '--json', '--dir', o.environmentsDir], {
    cwd: o.repoDir,
    maxBuffer: 16 * 1024 * 1024,
  });
  const stacks = JSON.parse(list.stdout) as Array<{ environment: string }>;
  if (stacks.some((s) => all || s.environment === env)) {
    // Exit 1 (a schema error, a cluster that does not fit): no manifests, said, the export goes on
    // (the policy reports below carry the finding; the taker renders them from the kit).
    const r = await hdsctl(
      o,
      ['workloads', 'render', ...(all ? ['--all'] : ['--env', env]), '--out', join(dir, 'workloads'), '--dir', o.environmentsDir],
      [0, 1],
    );
    if (r.code !== 0) o.log(`platform: no workloads manifests (hdsctl workloads render exited ${r.code}: ${r.said})`);
    o.onProgress?.({ section: 'platform', detail: all ? 'workloads of every environment' : `workloads ${env}` });
  }
  // The policy reports of every environment (exit 2: findings, still a report).
  await hdsctl(o, ['policy', ...(all ? ['--all'] : ['--env', env]), '--out', join(dir, 'policies'), '--dir', o.environmentsDir], [0, 2]);
  o.onProgress?.({ section: 'platform', detail: 'policy reports' });
  // The last drill and restore-test PVs of the source.
  for (const [what, from] of [
    ['drill', join(plan.stateDir, 'drills')],
    ['restore-test', join(plan.stateDir, 'restore-tests')],
  ] as const) {
    const last = await latestRun(from);
    if (!last) continue;
    for (const f of await readdir(last)) {
      if (/^pv\.(json|md|html)$/.test(f)) await cp(join(last, f), join(dir, 'reports', what, f));
    }
  }
}

// --- inventory ------------------------------------------------------------------------------

async function exportInventory(o: ExportOptions, dir: string, commit: string): Promise<void> {
  const { topology } = o.plan;
  const c = cmdb(topology, { toolkitCommit: commit });
  await writeText(dir, 'cmdb.json', c.json);
  await writeText(dir, 'cmdb.csv', c.csv);
  await writeText(dir, 'flows.csv', flowMatrixCsv(topology));
  await writeText(dir, 'backup-plan.json', backupPlan(topology));
  const hsm = labHsmKeys(o.plan);
  const k =
    hsm.status === 'read'
      ? keyCartography([{ site: hsm.site, token: hsm.token, keys: [...hsm.keys] }])
      : // The token cannot be read: the cartography of the keys the model says exist.
        modelKeyCartography(topology, o.plan.hsmKeyDomains);
  await writeText(dir, 'hsm-keys.json', k.json);
  await writeText(dir, 'hsm-keys.csv', k.csv);
}

// --- data -----------------------------------------------------------------------------------

/** A libpq URL of the domain's primary through the first HAProxy, as the domain's owner role. */
async function domainUrl(plan: LabPlan, domain: string): Promise<{ url: string; host: string; port: number }> {
  const e = domainWriteEndpoint(plan, domain);
  if (!e) throw new ExportError(`no HAProxy serves the domain ${domain} in the lab`);
  const ca = (await ensureLabCa(join(plan.stateDir, 'pki'))).cert;
  const password = await labSecretOf(plan, pgCredentialRef(plan.topology, domain, 'app'));
  const q = new URLSearchParams({ sslmode: 'verify-ca', sslrootcert: ca, uselibpqcompat: 'true' });
  return { url: `postgres://${pgRoleNames(domain).app}:${encodeURIComponent(password)}@${e.host}:${e.port}/${domain}?${q}`, host: e.host, port: e.port };
}

function sameFingerprints(a: Record<string, TableFingerprint>, b: Record<string, TableFingerprint>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k]!.rows === b[k]!.rows && a[k]!.hash === b[k]!.hash);
}

async function openHsm(plan: LabPlan): Promise<HsmKeyStore> {
  if (labTokens(plan).length === 0) throw new ExportError(`environment ${plan.topology.environment.name} has no HSM token in the lab`);
  return openLabToken(plan);
}

async function exportData(o: ExportOptions, j: Journal, out: string, hsm: HsmKeyStore | undefined): Promise<void> {
  const { plan } = o;
  for (const { name: domain } of plan.postgresDomains) {
    const { url, host, port } = await domainUrl(plan, domain);
    const holder = await appClient(plan, domain, host, port, 30_000, { longStatements: true });
    const reader = await appClient(plan, domain, host, port, 30_000, { longStatements: true });
    try {
      await holder.query('SET statement_timeout = 0');
      await reader.query('SET statement_timeout = 0');
      await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows } = await holder.query<{ snap: string; at: Date }>('SELECT pg_export_snapshot() AS snap, now() AS at');
      const snapshot = rows[0]!.snap;
      const at = rows[0]!.at.toISOString();
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await reader.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "''")}'`);
      const before = j.databases[domain];
      let unchanged = false;
      if (before) {
        // An interrupted run exported this domain: kept when every table still has its fingerprint
        // (the rows read again as the CSV was written and hashed; nothing is written).
        const now = await tableContentFingerprints(reader);
        unchanged = sameFingerprints(before.tables, now);
        o.log(unchanged ? `data ${domain}: unchanged since the interrupted run, kept` : `data ${domain}: changed since the interrupted run, exported again`);
      }
      if (!unchanged) {
        await rm(join(out, 'data', domain), { recursive: true, force: true });
        const r = await exportDatabase({
          url,
          domain,
          dir: join(out, 'data', domain),
          snapshot,
          onFile: (rel: string) => o.onProgress?.({ section: 'data', detail: `${domain}/${rel}` }),
        });
        j.databases[domain] = { tables: r.tables, snapshotAt: at };
        await saveJournal(out, j);
      }
      j.snapshotAt ??= at;
      if (domain === refserviceDomain(plan)) await exportDomainDocuments(o, j, out, reader, domain, hsm);
      await reader.query('COMMIT');
      await holder.query('COMMIT');
    } finally {
      await reader.end().catch(() => undefined);
      await holder.end().catch(() => undefined);
    }
  }
  // The WAF sites' audit logs (the databases' trace tables went with the CSV above).
  const audit = await exportAuditLogs(
    edgeSites(plan).map((e) => ({ site: e.site.id, logsDir: dirname(wafRuntimePaths({ runDir: wafDirs({ plan }, e).runDir, name: e.guest.name }).accessLog) })),
    out,
  );
  o.onProgress?.({ section: 'data', detail: `audit logs: ${audit.length} files, ${audit.reduce((n, f) => n + f.lines, 0)} lines` });
}

async function exportDomainDocuments(
  o: ExportOptions,
  j: Journal,
  out: string,
  reader: pg.Client,
  domain: string,
  hsm: HsmKeyStore | undefined,
): Promise<void> {
  if (!o.recipientCert || !hsm) return;
  const plan = o.plan;
  const gw = objectGateways(plan)[0];
  const s3 = labHasCeph(plan) && gw ? await labDocumentsS3(plan, gw) : undefined;
  const store = {
    async get(key: string): Promise<Buffer> {
      if (!s3) throw new ExportError(`document object ${key}: the environment has no object store`);
      return (await getObjectBytes(s3.client, s3.bucket, key)).body;
    },
  };
  const doneFile = join(out, JOURNAL_DIR, 'documents.jsonl');
  const done = new Map<string, { domain: string; id: string; file: string; size: number; sha256: string }>();
  for (const line of (await readFile(doneFile, 'utf8').catch(() => '')).split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as { domain: string; id: string; file: string; size: number; sha256: string };
      done.set(e.file, e);
    } catch {
      // a line cut by a kill: that document is encrypted again
    }
  }
  let n = 0;
  const r = await exportDocuments({
    client: reader,
    store,
    keys: hsm,
    recipientCert: o.recipientCert,
    dir: out,
    domain,
    resumed: done,
    onDocument: async (e: { domain: string; id: string; file: string; size: number; sha256: string }) => {
      await appendFile(doneFile, `${JSON.stringify(e)}\n`, { mode: 0o600 });
      n++;
      if (o.crashAfterDocuments !== undefined && n >= o.crashAfterDocuments) {
        o.log(`simulated crash after ${n} documents`);
        process.kill(process.pid, 'SIGKILL');
      }
    },
    onProgress: (p: { done: number; total: number }) => o.onProgress?.({ section: 'data', detail: `documents ${domain}`, done: p.done, total: p.total }),
  });
  j.documents = { count: r.count, bytes: r.bytes, index: 'documents/index.json.cms' };
  await saveJournal(out, j);
}

// --- the whole export -----------------------------------------------------------------------

function notIncluded(o: ExportOptions): Array<{ what: string; why: string }> {
  const n: Array<{ what: string; why: string }> = [
    {
      what: 'secrets (passwords, S3 keys, PINs, TLS private keys)',
      why: 'never exported: the taker generates its own at the rebuild (bootstrap.sh); the inventories name every secret by reference',
    },
    {
      what: 'HSM key material',
      why: 'the domain keys are non-extractable by design (EXG_SEC_4.2): the documents are handed over decrypted and re-encrypted for the taker, who re-imports them under its own keys',
    },
    {
      what: 'virtual machine disk images',
      why: 'the platform is rebuilt from the Terraform JSON and the rendered configuration (cloud-init); no image holds state of its own',
    },
    {
      what: 'Kafka topics',
      why: 'no broker runs in the lab (no Kafka broker in Debian or npm); production topics are re-created from the workloads manifests, their data is in the databases',
    },
  ];
  if (!o.recipientCert)
    n.push({ what: "the documents' contents", why: 'no --recipient certificate was given: contents are only exported encrypted for a taker' });
  if (o.allowDirty)
    n.push({
      what: 'uncommitted changes of the toolkit',
      why: 'exported with --allow-dirty: the kit is the commit named in kit/COMMIT, not the working tree the export ran from',
    });
  if (!labHasCeph(o.plan)) n.push({ what: 'object store buckets', why: 'the environment has no object store' });
  return n;
}

export async function exportEnvironment(o: ExportOptions): Promise<ExportResult> {
  const env = o.plan.topology.environment.name;
  const commit = toolCommit();
  if (!commit) throw new ExportError(`the toolkit at ${o.repoDir} is not a git checkout: the rebuild kit needs its commit`);
  const { journal: j, resumed } = await claimOut(o.out, env);
  const durations: Partial<Record<Section, number>> = {};
  const skipped: Section[] = [];
  const probe =
    o.probe === false
      ? undefined
      : await startAvailabilityProbe(o.plan, await probeDocument(o.plan)).catch((e: Error) => {
          o.log(`availability probe not started: ${e.message}`);
          return undefined;
        });
  let availability: AvailabilitySummary | null = null;
  let hsm: HsmKeyStore | undefined;
  try {
    const section = async (s: Section, f: () => Promise<void>) => {
      if (j.done[s] && s !== 'data') {
        skipped.push(s);
        o.log(`${s}: complete in the interrupted run, kept`);
        return;
      }
      const t0 = Date.now();
      o.log(`${s}…`);
      await f();
      j.done[s] = true;
      await saveJournal(o.out, j);
      durations[s] = Date.now() - t0;
      o.log(`${s}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    };
    // One section after the other: the platform section (child processes rendering every
    // environment) and the data section (the database's reads, pg_dump, hashing) are both CPU-bound
    // here; run side by side on 2 cores they took 288 s and 335 s (1 M users), more than in turn.
    await section('platform', () => staged(o.out, 'platform', (d) => exportPlatform(o, d)));
    await section('inventory', () => staged(o.out, 'inventory', (d) => exportInventory(o, d, commit)));
    hsm = o.recipientCert ? await openHsm(o.plan) : undefined;
    await section('data', () => exportData(o, j, o.out, hsm));
    hsm?.close();
    hsm = undefined;
    await section('kit', async () => {
      await writeKit({ repoDir: o.repoDir, outDir: o.out, ...(o.allowDirty ? { allowDirty: true } : {}) });
    });
    if (probe) availability = await probe.stop();
    await section('sign', async () => {
      const manifest: ExportManifest = {
        version: 1,
        kind: 'hds-platform-reversibility-export',
        environment: env,
        snapshotAt: j.snapshotAt ?? j.createdAt,
        createdAt: j.createdAt,
        toolkit: { commit, bundle: 'kit/hds-platform.bundle', lockfile: 'kit/package-lock.json' },
        databases: o.plan.postgresDomains.map((d) => ({ domain: d.name, tables: j.databases[d.name]?.tables ?? {} })),
        documents: {
          count: j.documents?.count ?? 0,
          bytes: j.documents?.bytes ?? 0,
          recipient: o.recipientCert ? await recipientOf(o.recipientCert) : null,
          index: j.documents?.index ?? null,
        },
        signing: { certificate: 'signing-cert.pem', keyLabel: SIGNING_KEY_LABEL, algorithm: 'ECDSA-P256-SHA256' },
        notIncluded: notIncluded(o),
      };
      await writeFileAtomic(join(o.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
      const signer = await labSigner(o.plan);
      const ca = await ensureLabCa(join(o.plan.stateDir, 'pki'));
      const key = await ensureSigningKey({ ...signer, label: SIGNING_KEY_LABEL });
      await issueSigningCertificate({
        publicKeyPem: key.publicKeyPem,
        subject: `/O=hds-platform/OU=${env}/CN=reversibility export signing`,
        ca,
        days: 3650,
        outPath: join(o.out, 'signing-cert.pem'),
      });
      await signExport(o.out, { ...signer, label: SIGNING_KEY_LABEL }, { exclude: [JOURNAL_DIR] });
    });
  } catch (e) {
    if (probe) await probe.stop().catch(() => undefined);
    throw e;
  } finally {
    hsm?.close();
  }
  await rm(join(o.out, JOURNAL_DIR), { recursive: true, force: true });
  const manifest = JSON.parse(await readFile(join(o.out, 'manifest.json'), 'utf8')) as ExportManifest;
  const files = await hashTree(o.out, { exclude: ['SHA256SUMS', 'SHA256SUMS.sig'] });
  const bySection: Record<string, number> = {};
  const filesBySection: Record<string, number> = {};
  for (const f of files) {
    const top = f.path.includes('/') ? f.path.slice(0, f.path.indexOf('/')) : '(root)';
    bySection[top] = (bySection[top] ?? 0) + f.size;
    filesBySection[top] = (filesBySection[top] ?? 0) + 1;
  }
  const certSha = (await run('openssl', ['x509', '-in', join(o.out, 'signing-cert.pem'), '-noout', '-fingerprint', '-sha256'])).stdout
    .trim()
    .replace(/^.*=/, '')
    .replace(/:/g, '')
    .toLowerCase();
  return {
    out: o.out,
    manifest,
    files: files.length,
    bytes: files.reduce((a, f) => a + f.size, 0),
    bytesBySection: bySection,
    durationsMs: durations,
    resumed: resumed ? skipped : [],
    availability,
    signingCertificateSha256: certSha,
    filesBySection,
    sums: {
      sha256: await fileSha256(join(o.out, 'SHA256SUMS')),
      bytes: (await stat(join(o.out, 'SHA256SUMS'))).size,
      manifestSha256: await fileSha256(join(o.out, 'manifest.json')),
      manifestBytes: (await stat(join(o.out, 'manifest.json'))).size,
    },
  };
}

async function fileSha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** An existing document for the availability probe to read (none: the probe reads /health). */
async function probeDocument(plan: LabPlan): Promise<{ documentId?: string }> {
  const domain = refserviceDomain(plan);
  if (!domainWriteEndpoint(plan, domain)) return {};
  const client = await domainClient(plan, domain);
  try {
    const r = await client.query<{ id: string }>(`SELECT id::text AS id FROM public.documents ORDER BY created_at, id LIMIT 1`);
    return r.rows[0] ? { documentId: r.rows[0].id } : {};
  } catch {
    return {};
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The lab's signing token: DC1's SoftHSM token (production: the HSM cluster's partition). */
export async function labSigner(plan: LabPlan): Promise<{ softhsmConfPath: string; tokenLabel: string; userPin: string }> {
  if (labTokens(plan).length === 0) throw new ExportError(`environment ${plan.topology.environment.name} has no HSM token to sign with`);
  return labTokenOptions(plan);
}

async function recipientOf(cert: string): Promise<{ subject: string; sha256: string }> {
  const r = await run('openssl', ['x509', '-in', cert, '-noout', '-subject', '-fingerprint', '-sha256', '-nameopt', 'RFC2253']);
  const subject = /subject=(.*)/.exec(r.stdout)?.[1]?.trim() ?? '';
  const sha = /Fingerprint=([0-9A-F:]+)/i.exec(r.stdout)?.[1]?.replace(/:/g, '').toLowerCase() ?? '';
  if (!sha) throw new ExportError(`--recipient ${cert}: not a PEM certificate openssl can read`);
  return { subject, sha256: sha };
}
