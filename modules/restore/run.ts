/**
 * `hdsctl restore-test` against the lab (EXG_PRA_3: regular, random restore tests with traces and
 * a PV; the restored data in an environment secured like production). Phases:
 *
 * 1. **choose** — take a restore mark on the source (./marks.ts: ledger writes around an instant
 *    whose table fingerprints are known, and a document written through the WAF), make pgBackRest
 *    archive the WAL after it (`pgbackrest check`), read the backup sets, compute the restore
 *    window, choose a set and a time (plan.ts: `--at`, `--random --seed`, latest), and the mark the
 *    copy recovers to (`markForTarget`);
 * 2. **restore** — an isolated restore site (./site.ts: a namespace with loopback only, the data
 *    directory on an encrypted store owned by postgres, forwards to the repository host's TLS port
 *    and the object gateways on their own addresses); `pgbackrest restore --set --type=time
 *    --target=<mark> --target-action=promote --archive-mode=off` with the restore site's client
 *    certificate (the repository's passphrase never leaves the repository host);
 * 3. **start** — the copy's PostgreSQL with its own configuration (./copy.ts: TLS on 127.0.0.1,
 *    socket for the operator only, no archiving), WAL replayed to the mark, promoted;
 * 4. **checks** — ledger before/after the mark, table fingerprints against the mark's, pg_amcheck
 *    over every relation of every database, the reference service (started inside the site on the
 *    copy, the object store and the HSM) serving a document written before the mark byte for byte,
 *    then a clean stop and `pg_checksums --check`;
 * 5. **destroy** — the site: processes, encrypted store and its key, namespace, directory.
 *
 * Every phase is timed; a failing phase is a failed check in the PV (never a missing PV) and the
 * site is destroyed whatever happens.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { PORTS } from '../model/ports.ts';
import { labHasRepo, labVerify } from '../lab/backup.ts';
import { lookupUser, runCommand } from '../lab/command.ts';
import { labPaths } from '../lab/context.ts';
import { pgbackrestOnRepo } from '../lab/components/pgbackrest.ts';
import { edgeSites, objectGateways, refserviceDomain } from '../lab/edgeEndpoints.ts';
import { domainClient } from '../lab/access.ts';
import { labProfileOf } from '../lab/guests.ts';
import { processStatus, startProcess, stopProcess } from '../lab/supervisor.ts';
import type { LabPlan } from '../lab/types.ts';
import { wafRequest } from '../lab/wafClient.ts';
import { refServiceProcessSpec } from '../refservice/process.ts';
import { ensureDir, writeFileAtomic } from '../runtime/fsutil.ts';
import { ensureCert } from '../runtime/pki.ts';
import { renderRestoreClient } from '../services/backup/render.ts';
import { pgbackrestInput, restoreSiteCommonName } from '../services/fromTopology/backup.ts';
import { copyPaths, renderCopyConfig } from './copy.ts';
import { fingerprintsAndClose, ledgerIds, MARK_MARGIN_MS, type MarkedDocument, type RestoreMark, readMarks, takeMark } from './marks.ts';
import {
  type ChooseOptions,
  chooseRestorePoint,
  compareTableFingerprints,
  differencesDetail,
  ledgerExpectation,
  markForTarget,
  parseBackupInfo,
  RestorePlanError,
  restoreChoice,
  restoreTestVerdict,
  restoreWindow,
  STOP_RESOLUTION_MS,
  waitBeforeMarkMs,
} from './plan.ts';
import { createRestoreSite, destroyRestoreSite, type RestoreSite, type RestoreSiteSpec } from './site.ts';
import type { EvidenceFile, RestoreCheck, RestorePhase, RestoreTestRun } from './types.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const COPY_PORT = PORTS.postgres;
const REFSERVICE_PORT = PORTS.refservice;

export interface RestoreTestOptions {
  domain?: string;
  choice: ChooseOptions;
  operator: string;
  /** Take a fresh mark first (default true); false restores to the marks already there. */
  mark?: boolean;
  /** Repository to restore from: 1 (DC3) or 2 (the offline copy). */
  repo?: 1 | 2;
  /** What the run is for, in its id: `restore` (a restore test, default) or `refresh` (hdsctl env refresh). */
  purpose?: 'restore' | 'refresh';
  /** Namespace of the restore site (default `hds-restore`). */
  netns?: string;
  log?: (line: string) => void;
  /** Milliseconds allowed for the copy to reach its target and be promoted (default 30 min). */
  startTimeoutMs?: number;
  /**
   * Runs once the copy is verified logically (ledger, fingerprints), before the physical checks and
   * the service check, while the copy runs: `hdsctl env refresh` loads it into the target
   * environment here. Its checks are added to the run's.
   */
  afterLogicalChecks?: (copy: RunningCopy) => Promise<RestoreCheck[]>;
}

/** The running copy, as a hook sees it. */
export interface RunningCopy {
  netns: string;
  /** Unix socket directory (connect as postgres; peer map: root, postgres). */
  socketDir: string;
  port: number;
  domain: string;
  mark: RestoreMark;
  /** Adds an evidence file to the run; returns its path relative to the run directory. */
  addEvidence(name: string, what: string, content: string): Promise<string>;
}

export interface RestoreTestResult {
  run: RestoreTestRun;
  /** The run directory: evidence files (the PV is written by the caller). */
  dir: string;
}

/** The domains a restore test can name: those with a pgBackRest stanza. */
export function restoreDomains(plan: LabPlan): string[] {
  return plan.postgresDomains.map((d) => d.name);
}

function siteDir(plan: LabPlan, netns: string): string {
  return join(plan.stateDir, 'restore', netns);
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

async function dirBytes(path: string): Promise<number> {
  const r = await runCommand({ command: 'du', args: ['-sb', path] }, { timeoutMs: 600_000 });
  return Number(r.stdout.split(/\s/)[0] ?? 0);
}

/** A client of the domain's primary through the first site's HAProxy (the app role owns the tables). */
async function sourceClient(plan: LabPlan, domain: string): Promise<pg.Client> {
  return domainClient(plan, domain, { longStatements: true });
}

/** Writes a document through the first site's WAF (the path a user's takes), for the copy's service check. */
async function writeMarkedDocument(plan: LabPlan): Promise<MarkedDocument> {
  const edge = edgeSites(plan)[0]!;
  const content = randomBytes(2048);
  const post = await wafRequest(plan, `${edge.waf.url}/documents`, {
    method: 'POST',
    body: { title: 'Restore test marked document', patientId: 'restore-test', category: 'CR-CONSULT', contentBase64: content.toString('base64') },
    timeoutMs: 20_000,
  });
  if (post.status !== 201) throw new Error(`POST /documents through WAF ${edge.site.id} answered ${post.status}`);
  const { id } = JSON.parse(post.body) as { id: string };
  return { id, sha256: createHash('sha256').update(content).digest('hex'), ackedAt: new Date().toISOString() };
}

/** Runs `cmd` as postgres inside the restore site. */
function inSite(netns: string, command: string, args: string[], timeoutMs: number) {
  return runCommand({ netns, user: 'postgres', command, args }, { timeoutMs });
}

/** pgBackRest's `ERROR: [nnn]: …` line when there is one, else the last line. */
function errorLine(s: string): string {
  return (s.split('\n').find((l) => /ERROR: \[\d+\]/.test(l)) ?? lastLine(s)).trim().slice(0, 400);
}

function lastLine(s: string): string {
  return (
    s
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .at(-1) ?? ''
  ).slice(0, 400);
}

export async function runRestoreTest(plan: LabPlan, o: RestoreTestOptions): Promise<RestoreTestResult> {
  const log = o.log ?? (() => undefined);
  const domains = restoreDomains(plan);
  const domain = o.domain ?? domains[0];
  if (!domain || !domains.includes(domain))
    throw new RestorePlanError(
      `--domain ${JSON.stringify(o.domain)}: not a PostgreSQL domain of ${plan.topology.environment.name}; give one of ${domains.join(', ')}`,
      '--domain',
    );
  const repo = o.repo ?? 1;
  if (!labHasRepo(plan, repo))
    throw new RestorePlanError(
      `--repo ${repo}: ${plan.topology.environment.name} has no ${repo === 2 ? 'offline copy (services.backup.offlineCopy)' : 'backup repository'}`,
      '--repo',
    );
  const netns = o.netns ?? 'hds-restore';
  const release = await lockSite(plan, netns);
  try {
    return await runLocked(plan, o, domain, repo, netns, log);
  } finally {
    await release();
  }
}

/** One run per restore site at a time: a lock file naming the holder's pid; a dead holder's lock is taken over. */
async function lockSite(plan: LabPlan, netns: string): Promise<() => Promise<void>> {
  const dir = join(plan.stateDir, 'restore');
  await ensureDir(dir, 0o711);
  const lock = join(dir, `${netns}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => rm(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      let alive = false;
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch {
          alive = false;
        }
      }
      if (alive) throw new RestorePlanError(`another restore test or refresh is running in the restore site ${netns} (pid ${pid}); wait for it to end`);
      await rm(lock, { force: true });
    }
  }
  throw new RestorePlanError(`cannot take the lock of the restore site ${netns} (${lock})`);
}

async function runLocked(
  plan: LabPlan,
  o: RestoreTestOptions,
  domain: string,
  repo: 1 | 2,
  netns: string,
  log: (line: string) => void,
): Promise<RestoreTestResult> {
  const started = new Date();
  const id = `${started.toISOString().replace(/[:.]/g, '-')}-${o.purpose ?? 'restore'}-${domain}`;
  const dir = join(plan.stateDir, 'restore-tests', id);
  await ensureDir(dir, 0o700);
  await ensureDir(join(dir, 'evidence'), 0o700);
  const phases: RestorePhase[] = [];
  const checks: RestoreCheck[] = [];
  const evidence: EvidenceFile[] = [];
  const addEvidence = async (name: string, what: string, content: string) => {
    const path = join(dir, 'evidence', name);
    await writeFileAtomic(path, content, { mode: 0o600 });
    evidence.push({ path: `evidence/${name}`, what, sha256: await sha256File(path), bytes: (await stat(path)).size });
    return `evidence/${name}`;
  };
  const phase = async <T>(name: string, detail: string | undefined, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    log(`${name}…`);
    try {
      return await f();
    } finally {
      phases.push({ name, startedAt: new Date(t0).toISOString(), durationMs: Date.now() - t0, ...(detail ? { detail } : {}) });
      log(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  };

  // 1. choose
  let mark: RestoreMark;
  let marks: RestoreMark[];
  const chosen = await phase('choose', undefined, async () => {
    // Nothing restored yet: a refused choice (no backup, a time outside the window) leaves no run directory.
    await ensureDir(join(dir, 'evidence'), 0o700);
    const a = await sourceClient(plan, domain);
    const b = await sourceClient(plan, domain);
    try {
      // The sets, read once before the mark: the mark is taken where each of them can reach it, and
      // a set that ends after the mark (a backup running meanwhile) could not reach it anyway.
      const info = await pgbackrestOnRepo(plan, [`--stanza=${domain}`, `--repo=${repo}`, 'info', '--output=json'], 60_000);
      const sets = parseBackupInfo(JSON.parse(info.stdout), domain).filter((s) => s.repo === repo);
      await addEvidence('pgbackrest-info.json', 'pgbackrest info --output=json of the stanza before the mark (backup sets, archive range)', info.stdout);
      if (o.mark !== false) {
        // A set that ended less than STOP_RESOLUTION_MS ago cannot reach a mark taken now: wait it out.
        const wait = waitBeforeMarkMs(sets, Date.now());
        if (wait > 0) {
          log(`the newest backup set ended under ${STOP_RESOLUTION_MS} ms ago: mark in ${wait} ms`);
          await new Promise((r) => setTimeout(r, wait));
        }
        const writeDocument = domain === refserviceDomain(plan) && objectGateways(plan).length > 0 ? () => writeMarkedDocument(plan) : undefined;
        const m = await takeMark(a, b, { log, ...(writeDocument ? { writeDocument } : {}) });
        log(`mark ${m.name} at ${m.atText}: ${Object.keys(m.fingerprints).length} tables`);
      }
      const checkStart = Date.now();
      // Switches WAL and waits until the repository holds it: the window reaches the mark.
      await pgbackrestOnRepo(plan, [`--stanza=${domain}`, 'check'], 180_000);
      const now = new Date();
      // Everything committed before `check` began is archived once it returns (it switches the WAL segment).
      const window = restoreWindow(sets, now, now.getTime() - checkStart);
      const point = chooseRestorePoint(sets, window, o.choice);
      marks = await readMarks(a);
      mark = markForTarget(marks, point.set, point.target, window);
      const choice = { ...restoreChoice(o.choice, window, point), targetTime: mark.at, drawnTime: point.target.toISOString(), mark: mark.name };
      log(`set ${point.set.label} (${point.set.type}), time ${point.target.toISOString()} → mark ${mark.name} at ${mark.atText}`);
      await addEvidence(
        'mark.json',
        'the restore mark: instant, table fingerprints of the source, ledger writes around it',
        `${JSON.stringify(mark, null, 2)}\n`,
      );
      return choice;
    } finally {
      await a.end().catch(() => undefined);
      await b.end().catch(() => undefined);
    }
  }).catch(async (e: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw e;
  });

  const { spec, repository } = siteSpec(plan, netns);
  const paths = { site: spec, copy: copyPaths(join(spec.dir, 'data')) };
  let restoredBytes = 0;
  let restoreMs = 0;
  let copyUp = false;
  const fail = (idc: string, title: { fr: string; en: string }, e: unknown) =>
    checks.push({ id: idc, title, verdict: 'fail', detail: lastLine((e as Error).message ?? String(e)) });
  try {
    // 2. restore
    await phase('restore', `pgbackrest restore --set=${chosen.backupSet.label} --type=time --repo=${repo}`, async () => {
      // A site left by a crashed run (recorded as ours): destroyed first, never reused.
      const leftover = await destroyRestoreSite({ netns, dir: spec.dir });
      if (leftover.length) log(`removed a leftover restore site (${leftover.length} steps)`);
      const site = await createRestoreSite(spec);
      await writeSiteFiles(plan, domain, repository, site, paths.copy);
      const t0 = Date.now();
      const r = await inSite(
        netns,
        'pgbackrest',
        [
          `--config=${join(paths.copy.pgbackrest, 'pgbackrest.conf')}`,
          `--stanza=${domain}`,
          `--repo=${repo}`,
          `--set=${chosen.backupSet.label}`,
          '--type=time',
          `--target=${mark.atText}`,
          '--target-action=promote',
          '--archive-mode=off',
          'restore',
        ],
        6 * 3600_000,
      );
      restoreMs = Date.now() - t0;
      await addEvidence('pgbackrest-restore.log', 'pgbackrest restore console output', `${r.stdout}\n${r.stderr}`);
      if (r.exitCode !== 0) {
        // pgBackRest names the failure (e.g. "zst error: Data corruption detected"), not the file: verify names it.
        const v = await labVerify(plan, { domain, repo }).catch((e: Error) => ({ ok: true, findings: [] as string[], error: e.message }));
        // Its lines about this set (the set's summary, the files it names), not those of other sets.
        const named = v.findings.filter((f) => f.includes(chosen.backupSet.label) || !/^backup: /.test(f)).slice(0, 4);
        throw new Error(
          `pgbackrest restore of ${chosen.backupSet.label} failed (exit ${r.exitCode}): ${errorLine(`${r.stdout}\n${r.stderr}`)}${named.length ? `; pgbackrest verify: ${named.join('; ')}` : ''}`,
        );
      }
      restoredBytes = await dirBytes(paths.copy.pgdata);
    });
    // 3. start
    await phase('start', 'PostgreSQL 15 on the copy, WAL replayed to the mark, promoted', async () => {
      await startProcess(spec.dir, {
        name: 'restore-postgres',
        netns,
        user: 'postgres',
        command: join(PG_BIN, 'postgres'),
        args: ['-D', paths.copy.pgdata, '-c', `config_file=${join(paths.copy.conf, 'postgresql.conf')}`],
        restart: { policy: 'no' },
      });
      const deadline = Date.now() + (o.startTimeoutMs ?? 30 * 60_000);
      for (;;) {
        const r = await inSite(
          netns,
          join(PG_BIN, 'psql'),
          ['-h', paths.copy.run, '-p', String(COPY_PORT), '-U', 'postgres', '-d', 'postgres', '-Atc', 'select pg_is_in_recovery()'],
          10_000,
        );
        if (r.exitCode === 0 && r.stdout.trim() === 'f') break;
        if (Date.now() > deadline)
          throw new Error(`the copy did not reach its target within ${(o.startTimeoutMs ?? 1_800_000) / 1000} s: ${lastLine(r.stderr)}`);
        if (!(await processStatus(spec.dir, 'restore-postgres')).alive) {
          const logText = await readFile(join(spec.dir, 'logs', 'restore-postgres.log'), 'utf8').catch(() => '');
          throw new Error(
            `the copy's PostgreSQL stopped during recovery: ${lastLine(
              logText
                .split('\n')
                .filter((l) => /FATAL|PANIC/.test(l))
                .join('\n') || logText,
            )}`,
          );
        }
        await new Promise((res) => setTimeout(res, 500));
      }
      copyUp = true;
    });
  } catch (e) {
    fail('restore.phases', { fr: 'Restauration et démarrage de la copie', en: 'Restore and start of the copy' }, e);
  }

  // 4. checks
  if (copyUp) {
    await phase('checks', undefined, async () => {
      await runChecks({
        plan,
        domain,
        netns,
        paths: paths.copy,
        dir: spec.dir,
        mark,
        marks,
        checks,
        addEvidence,
        log,
        ...(o.afterLogicalChecks ? { afterLogicalChecks: o.afterLogicalChecks } : {}),
      });
    });
  }

  // 5. destroy
  let destroyed: RestoreTestRun['destroyed'];
  await phase('destroy', `restore site ${netns}`, async () => {
    try {
      const items = await destroyRestoreSite({ netns, dir: spec.dir });
      await addEvidence('destruction.json', 'what was destroyed, each with its time', `${JSON.stringify(items, null, 2)}\n`);
      if (items.length) destroyed = { at: items.at(-1)!.at, what: items.map((i) => i.what) };
    } catch (e) {
      fail('destroy', { fr: 'Destruction de la copie', en: 'Destruction of the copy' }, e);
    }
  });

  const isolation = {
    netns,
    route: 'none' as const,
    tls: true,
    encryptedAtRest: 'gocryptfs (AES-256-GCM), key generated per run and deleted with the copy',
    access: 'operator only: Unix socket in a 0700 directory (peer: root, postgres), TLS on the site loopback',
  };
  const partial = {
    id,
    environment: plan.topology.environment.name,
    domain,
    operator: o.operator,
    startedAt: started.toISOString(),
    endedAt: new Date().toISOString(),
    choice: chosen,
    phases,
    rate: { bytes: restoredBytes, durationMs: restoreMs, bytesPerSecond: restoreMs > 0 ? Math.round((restoredBytes * 1000) / restoreMs) : 0 },
    checks,
    ...(destroyed ? { destroyed } : {}),
    isolation,
    evidence,
    rex: '',
  };
  const run: RestoreTestRun = { ...partial, verdict: restoreTestVerdict(partial) };
  return { run, dir };
}

type Repository = NonNullable<ReturnType<typeof pgbackrestInput>>['repository'];

/**
 * The restore site of the lab: forwards to the repository host's TLS server and to each object gateway, on their own
 * addresses; and the repository as the adapter renders it (the site's pgBackRest client is rendered from it).
 */
function siteSpec(plan: LabPlan, netns: string): { spec: RestoreSiteSpec; repository: Repository } {
  const input = pgbackrestInput(plan.topology, labProfileOf(plan));
  if (!input) throw new Error(`${plan.topology.environment.name} has no backup repository`);
  const pgUser = lookupUser('postgres');
  const gateways = objectGateways(plan).map((g) => new URL(g.url));
  const spec: RestoreSiteSpec = {
    netns,
    dir: siteDir(plan, netns),
    owner: { uid: pgUser.uid, gid: pgUser.gid },
    forwards: [
      {
        listen: input.repository.address,
        port: input.repository.tlsPort,
        target: { host: input.repository.address, port: input.repository.tlsPort },
        purpose: 'pgBackRest repository (DC3)',
      },
      ...gateways.map((u) => ({
        listen: u.hostname,
        port: Number(u.port),
        target: { host: u.hostname, port: Number(u.port) },
        purpose: `object gateway ${u.hostname}`,
      })),
    ],
  };
  return { spec, repository: input.repository };
}

/** The copy's files on the encrypted store, owned by postgres: pgBackRest client config and TLS pair, PostgreSQL config and TLS pair. */
async function writeSiteFiles(plan: LabPlan, domain: string, repository: Repository, site: RestoreSite, p: ReturnType<typeof copyPaths>): Promise<void> {
  const owner = site.spec.owner;
  const pki = labPaths(plan.stateDir).pki;
  const client = await ensureCert(pki, {
    name: 'restore-site-client',
    commonName: restoreSiteCommonName(plan.topology),
    dnsNames: [],
    ipAddresses: [],
    usage: 'client',
  });
  const server = await ensureCert(pki, {
    name: 'restore-site-server',
    commonName: 'restore-site',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  for (const d of [p.pgdata, p.conf, p.run, p.pgbackrest, join(p.pgbackrest, 'log'), join(p.pgbackrest, 'lock')]) await ensureDir(d, 0o700, owner);
  const copyFile = async (src: string, name: string) => writeFileAtomic(join(p.conf, name), await readFile(src), { mode: 0o600, owner });
  await copyFile(client.cert, 'client.crt');
  await copyFile(client.key, 'client.key');
  await copyFile(server.cert, 'server.crt');
  await copyFile(server.key, 'server.key');
  await copyFile(client.ca, 'ca.crt');
  const conf = renderRestoreClient({
    repository,
    clientTls: { certFile: join(p.conf, 'client.crt'), keyFile: join(p.conf, 'client.key'), caFile: join(p.conf, 'ca.crt') },
    stanza: domain,
    pgPath: p.pgdata,
    pgPort: COPY_PORT,
    socketPath: p.run,
    logPath: join(p.pgbackrest, 'log'),
    lockPath: join(p.pgbackrest, 'lock'),
  });
  await writeFileAtomic(join(p.pgbackrest, 'pgbackrest.conf'), conf.content, { mode: 0o600, owner });
  const c = renderCopyConfig({
    paths: p,
    port: COPY_PORT,
    tls: { certFile: 'server.crt', keyFile: 'server.key', caFile: 'ca.crt' },
    operators: ['postgres', 'root'],
  });
  await writeFileAtomic(join(p.conf, 'postgresql.conf'), c.postgresqlConf, { mode: 0o600, owner });
  await writeFileAtomic(join(p.conf, 'pg_hba.conf'), c.hbaConf, { mode: 0o600, owner });
  await writeFileAtomic(join(p.conf, 'pg_ident.conf'), c.identConf, { mode: 0o600, owner });
}

interface CheckContext {
  plan: LabPlan;
  domain: string;
  netns: string;
  paths: ReturnType<typeof copyPaths>;
  dir: string;
  mark: RestoreMark;
  marks: RestoreMark[];
  checks: RestoreCheck[];
  addEvidence: (name: string, what: string, content: string) => Promise<string>;
  log: (line: string) => void;
  afterLogicalChecks?: RestoreTestOptions['afterLogicalChecks'];
}

async function copyClient(c: CheckContext, database: string): Promise<pg.Client> {
  // root through the socket, mapped to postgres (pg_ident: operator).
  const client = new pg.Client({ host: c.paths.run, port: COPY_PORT, user: 'postgres', database, application_name: 'hdsctl-restore-test' });
  await client.connect();
  return client;
}

async function runChecks(c: CheckContext): Promise<void> {
  const { checks } = c;
  const guard = async (idc: string, f: () => Promise<RestoreCheck>) => {
    try {
      checks.push(await f());
    } catch (e) {
      checks.push({ id: idc, verdict: 'fail', detail: lastLine((e as Error).message) });
    }
  };
  const target = new Date(c.mark.at);
  const ledger = c.marks.flatMap((m) => m.ledger);
  const expect = ledgerExpectation(ledger, target, MARK_MARGIN_MS);
  let present: Set<string> = new Set();
  await guard('logical.ledger-before', async () => {
    const db = await copyClient(c, c.domain);
    try {
      present = await ledgerIds(db);
    } finally {
      await db.end();
    }
    const missing = expect.present.filter((x) => !present.has(x));
    const ev = await c.addEvidence(
      'ledger.json',
      'ledger writes expected present / absent / ambiguous, and those missing or unexpected',
      `${JSON.stringify({ target: c.mark.atText, marginMs: MARK_MARGIN_MS, ...expect, missing, unexpected: expect.absent.filter((x) => present.has(x)) }, null, 2)}\n`,
    );
    return {
      id: 'logical.ledger-before',
      verdict: missing.length === 0 && expect.present.length > 0 ? 'pass' : 'fail',
      detail: `${expect.present.length - missing.length}/${expect.present.length} writes acknowledged before the target present${missing.length ? `; missing: ${missing.slice(0, 3).join(', ')}` : ''}`,
      evidence: ev,
    };
  });
  await guard('logical.ledger-after', async () => {
    const unexpected = expect.absent.filter((x) => present.has(x));
    return {
      id: 'logical.ledger-after',
      verdict: unexpected.length === 0 && expect.absent.length > 0 ? 'pass' : 'fail',
      detail: `${unexpected.length} of ${expect.absent.length} writes sent after the target present (${expect.ambiguous.length} in flight around it left out)`,
      evidence: 'evidence/ledger.json',
    };
  });
  await guard('logical.table-hashes', async () => {
    const restored = await fingerprintsAndClose(await copyClient(c, c.domain));
    const diffs = compareTableFingerprints(c.mark.fingerprints, restored);
    const rows = Object.values(restored).reduce((n, t) => n + t.rows, 0);
    const ev = await c.addEvidence(
      'tables.json',
      'per-table row counts and content hashes: source at the mark, copy, differences',
      `${JSON.stringify({ source: c.mark.fingerprints, restored, differences: diffs }, null, 2)}\n`,
    );
    return {
      id: 'logical.table-hashes',
      verdict: diffs.length === 0 && Object.keys(restored).length > 0 ? 'pass' : 'fail',
      detail: differencesDetail(diffs, '', `${Object.keys(restored).length} tables, ${rows} rows: counts and hashes equal to the source's at the mark`),
      evidence: ev,
    };
  });
  if (c.afterLogicalChecks) {
    try {
      checks.push(
        ...(await c.afterLogicalChecks({
          netns: c.netns,
          socketDir: c.paths.run,
          port: COPY_PORT,
          domain: c.domain,
          mark: c.mark,
          addEvidence: c.addEvidence,
        })),
      );
    } catch (e) {
      checks.push({
        id: 'refresh.load',
        title: { fr: 'Chargement dans l’environnement cible', en: 'Load into the target environment' },
        verdict: 'fail',
        detail: lastLine((e as Error).message),
      });
    }
  }
  await guard('physical.amcheck', async () => {
    const r = await inSite(
      c.netns,
      join(PG_BIN, 'pg_amcheck'),
      ['-h', c.paths.run, '-p', String(COPY_PORT), '-U', 'postgres', '--all', '--install-missing', '--progress'],
      6 * 3600_000,
    );
    const ev = await c.addEvidence(
      'pg_amcheck.log',
      'pg_amcheck --all --install-missing (heap and B-tree of every relation of every database)',
      `${r.stdout}\n${r.stderr}`,
    );
    const rel = /(\d+)\/(\d+) relations/.exec(r.stderr.split('\r').join('\n').trim().split('\n').at(-1) ?? '');
    return {
      id: 'physical.amcheck',
      verdict: r.exitCode === 0 ? 'pass' : 'fail',
      detail:
        r.exitCode === 0
          ? `no corruption${rel ? ` in ${rel[2]} relations` : ''} (pg_amcheck --all)`
          : `pg_amcheck exit ${r.exitCode}: ${lastLine(r.stdout || r.stderr)}`,
      evidence: ev,
    };
  });
  await guard('service.document-read', () => documentCheck(c, target));
  // Clean stop, then the checksums of every page.
  await stopProcess(c.dir, 'restore-postgres', { timeoutMs: 120_000 });
  await guard('physical.checksums', async () => {
    const r = await inSite(c.netns, join(PG_BIN, 'pg_checksums'), ['--check', '-D', c.paths.pgdata], 6 * 3600_000);
    const ev = await c.addEvidence('pg_checksums.log', 'pg_checksums --check on the stopped copy', `${r.stdout}\n${r.stderr}`);
    const blocks = /Blocks scanned:\s+(\d+)/.exec(r.stdout)?.[1];
    const bad = /Bad checksums:\s+(\d+)/.exec(r.stdout)?.[1];
    return {
      id: 'physical.checksums',
      verdict: r.exitCode === 0 ? 'pass' : 'fail',
      detail:
        r.exitCode === 0
          ? `${blocks ?? '?'} blocks scanned, ${bad ?? '0'} bad checksums`
          : `pg_checksums exit ${r.exitCode}: ${lastLine(r.stderr || r.stdout)}`,
      evidence: ev,
    };
  });
}

/** The reference service, started inside the site on the copy, serves the latest document written before the mark, byte for byte. */
async function documentCheck(c: CheckContext, target: Date): Promise<RestoreCheck> {
  const docs = c.marks
    .flatMap((m) => m.documents ?? [])
    .filter((d) => Date.parse(d.ackedAt) <= target.getTime() - MARK_MARGIN_MS)
    .sort((a, b) => Date.parse(a.ackedAt) - Date.parse(b.ackedAt));
  const doc = docs.at(-1);
  if (!doc || c.domain !== refserviceDomain(c.plan))
    return { id: 'service.document-read', verdict: 'skipped', detail: `no document of the reference service in ${c.domain} before the target` };
  const edge = edgeSites(c.plan)[0]!;
  const base = JSON.parse(await readFile(join(labPaths(c.plan.stateDir).etc, 'refservice', `${edge.refservice.process}.json`), 'utf8')) as Record<
    string,
    unknown
  > & {
    database: { connectionString: string; passwordFile: string };
  };
  const url = new URL(base.database.connectionString.replace(/^postgresql:/, 'http:'));
  const query = new URLSearchParams(url.search);
  const config = {
    ...base,
    serviceName: 'refservice-restore',
    listen: { host: '127.0.0.1', port: REFSERVICE_PORT },
    database: { ...base.database, connectionString: `postgresql://${url.username}@127.0.0.1:${COPY_PORT}${url.pathname}?${query}` },
  };
  const confPath = join(c.dir, 'refservice-restore.json');
  await writeFileAtomic(confPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await startProcess(
    c.dir,
    refServiceProcessSpec({ name: 'restore-refservice', configPath: confPath, repoRoot: join(import.meta.dirname, '..', '..'), netns: c.netns }),
  );
  try {
    let last = '';
    for (let i = 0; i < 60; i++) {
      const r = await runCommand(
        {
          netns: c.netns,
          command: 'curl',
          args: ['-sS', '--max-time', '20', '-w', '\n%{http_code}', `http://127.0.0.1:${REFSERVICE_PORT}/documents/${doc.id}`],
        },
        { timeoutMs: 30_000 },
      );
      const lines = r.stdout.split('\n');
      const code = lines.pop();
      if (code === '200') {
        const body = JSON.parse(lines.join('\n')) as { contentBase64: string };
        const sha = createHash('sha256').update(Buffer.from(body.contentBase64, 'base64')).digest('hex');
        return {
          id: 'service.document-read',
          verdict: sha === doc.sha256 ? 'pass' : 'fail',
          detail:
            sha === doc.sha256
              ? `document ${doc.id} served by the reference service on the copy (object store, HSM domain key): SHA-256 equal to the one written`
              : `document ${doc.id}: content differs from the one written (SHA-256 ${sha.slice(0, 12)}… ≠ ${doc.sha256.slice(0, 12)}…)`,
        };
      }
      last = `${code ?? ''} ${lastLine(r.stderr)}`;
      await new Promise((res) => setTimeout(res, 500));
    }
    return { id: 'service.document-read', verdict: 'fail', detail: `GET /documents/${doc.id} on the copy: ${last}` };
  } finally {
    await stopProcess(c.dir, 'restore-refservice', { timeoutMs: 10_000 });
  }
}
