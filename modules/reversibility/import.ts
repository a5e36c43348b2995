/**
 * `hdsctl reversibility import` — what bootstrap.sh hands over to once the export is verified
 * and the toolkit rebuilt from its bundle: the taker's platform rebuilt from the export alone.
 *
 *   1. verify     the signature and every file's hash (again, with the toolkit's own code);
 *   2. workspace  the exported environment files, the source's lab environment on a free network
 *                 slot (its own namespaces, bridge and addresses: it cannot collide with a lab
 *                 already running on the machine — modules/lab/fromTopology.ts labNames);
 *   3. rebuild    `lab up` of that environment under the work directory (new secrets, new PKI,
 *                 new HSM tokens with new domain keys: nothing of the source's is reused);
 *   4. load       every table from its CSV into the rebuilt databases (LOAD_SESSIONS at once, each
 *                 after the tables it references), then every table read back as the export wrote
 *                 it: row count and content hash (the CSV's SHA-256) against the manifest;
 *   5. documents  each document decrypted with the taker's key, checked against the encrypted
 *                 index, sealed again under the taker's HSM domain key, stored in its object
 *                 store; then read back through the rebuilt WAF and compared with the index;
 *   6. smoke      `lab smoke` of the rebuilt platform.
 * Any difference makes the result fail; the report names it.
 */
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { parseDocument } from 'yaml';
import { labComponents } from '../lab/components/all.ts';
import { labDocumentsBucket, labDocumentsS3, labHasCeph } from '../lab/components/ceph.ts';
import { edgeSites, objectGateways, refserviceDomain } from '../lab/edgeEndpoints.ts';
import { domainClient as labDomainClient, domainWriteEndpoint, labTokens, openLabToken } from '../lab/access.ts';
import { labPlanFromEvaluation } from '../lab/fromTopology.ts';
import { labDown, labUp } from '../lab/lab.ts';
import { labSmoke } from '../lab/smoke.ts';
import type { LabPlan } from '../lab/types.ts';
import { wafRequest } from '../lab/wafClient.ts';
import { evaluate, loadWorkspace } from '../loader/load.ts';
import { parseCidr } from '../model/cidr.ts';
import { putObjectEncrypted } from '../runtime/ceph/s3.ts';
import type { HsmKeyStore } from '../runtime/hsm/keystore.ts';
import { compareTables, contentFingerprintsIn, copyFailure, copyInStatement, DESCRIPTION_SUFFIX, SEQUENCES_FILE, tableFileBase } from './data.ts';
import { importDocuments, verifyDocuments } from './documents.ts';
import { runInOrder } from './schedule.ts';
import { verifyExport } from './signing.ts';
import type { ExportManifest, TableDescription, TableFingerprint } from './types.ts';

export class ImportError extends Error {
  override name = 'ImportError';
}

export interface ImportPhase {
  name: 'verify' | 'workspace' | 'rebuild' | 'load' | 'documents' | 'smoke' | 'teardown';
  durationMs: number;
  detail?: string;
}

export interface ImportResult {
  ok: boolean;
  environment: string;
  /** The rebuilt lab's environment name, network slot and namespaces. */
  rebuilt: { environment: string; slot: number; netns: string[]; stateDir: string };
  phases: ImportPhase[];
  tables: number;
  rows: number;
  documents: { imported: number; verified: number } | null;
  smoke: Array<{ name: string; ok: boolean; detail?: string }>;
  differences: string[];
  /** What the import did not do, and why. */
  notDone: string[];
}

export interface ImportOptions {
  from: string;
  work: string;
  recipientKey?: string;
  recipientCert?: string;
  trustedCaPem?: string;
  /** Network slot of the rebuilt lab (default: the first free one from 1). */
  slot?: number;
  keep?: boolean;
  log: (line: string) => void;
}

const WORK_MARKER = '.hds-takeover';

/**
 * The longest state directory a lab can have: its guests' Unix sockets live under it (PostgreSQL's
 * `guests/<pg guest>/var/run/postgresql/.s.PGSQL.5432`, 64 characters more) and Linux limits a
 * socket path to 107 bytes.
 */
export const MAX_STATE_PATH = 42;

/** The work directory: absent, empty, or ours (marker); anything else is refused untouched. */
async function claimWork(work: string, env: string): Promise<void> {
  const state = join(work, 'state', env);
  if (Buffer.byteLength(state) > MAX_STATE_PATH)
    throw new ImportError(
      `--work ${work}: the rebuilt lab's state directory ${state} would be ${Buffer.byteLength(state)} bytes long, over ${MAX_STATE_PATH} (its Unix sockets would pass Linux's 107-byte limit); give a shorter --work, e.g. /srv/hds-takeover`,
    );
  let names: string[] = [];
  try {
    names = await readdir(work);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ImportError(`--work ${work}: cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
  if (names.length > 0 && !names.includes(WORK_MARKER))
    throw new ImportError(`--work ${work}: not empty and not a work directory of a reversibility import; give an absent or empty directory`);
  await mkdir(work, { recursive: true });
  // The rebuilt lab's services run as their own users (postgres, etcd, ceph): they traverse it.
  await chmod(work, 0o755);
  await writeFile(join(work, WORK_MARKER), 'hdsctl reversibility import\n');
}

/** Slots used by the workspace's environments on the same platform and by addresses on this host. */
async function freeSlot(envDir: string, platform: string, supernetOf: (slot: number) => string | undefined): Promise<number> {
  const used = new Set<number>();
  for (const f of await readdir(envDir)) {
    if (!/\.ya?ml$/.test(f)) continue;
    const d = parseDocument(await readFile(join(envDir, f), 'utf8')).toJS() as { platform?: string; network?: { slot?: number } } | null;
    if (d?.platform === platform && typeof d.network?.slot === 'number') used.add(d.network.slot);
  }
  const addrs = await execa('ip', ['-j', 'addr'], { reject: false });
  const hostAddrs: string[] = [];
  try {
    for (const l of JSON.parse(String(addrs.stdout)) as Array<{ addr_info?: Array<{ local: string; family: string }> }>)
      for (const a of l.addr_info ?? []) if (a.family === 'inet') hostAddrs.push(a.local);
  } catch {
    // no ip -j: only the workspace's slots are avoided
  }
  const netns = String((await execa('ip', ['netns', 'list'], { reject: false })).stdout);
  for (let slot = 1; slot < 16; slot++) {
    if (used.has(slot)) continue;
    const net = supernetOf(slot);
    if (!net) continue;
    const c = parseCidr(net);
    if (!c.ok) continue;
    const inside = hostAddrs.some((a) => {
      const p = parseCidr(`${a}/32`);
      return p.ok && p.cidr.network >>> 0 >= c.cidr.network >>> 0 && p.cidr.network >>> 0 < (c.cidr.network >>> 0) + 2 ** (32 - c.cidr.prefix);
    });
    if (!inside && !netns.includes(`hds-s${slot}-`)) return slot;
  }
  throw new ImportError('no free network slot for the rebuilt lab (1..15 all used on this machine); give --slot');
}

async function buildWorkspace(o: ImportOptions, manifest: ExportManifest): Promise<{ plan: LabPlan; slot: number }> {
  const src = join(o.from, 'platform', 'config', 'environments');
  const envDir = join(o.work, 'environments');
  await rm(envDir, { recursive: true, force: true });
  await mkdir(envDir, { recursive: true });
  await execa('cp', ['-a', `${src}/.`, envDir]);
  const loaded = loadWorkspace(envDir).environments.get(manifest.environment);
  if (!loaded) throw new ImportError(`the export's environments hold no file for environment ${manifest.environment}`);
  const path = loaded.source.file;
  const doc = parseDocument(await readFile(path, 'utf8'));
  const platform = String(doc.get('platform'));
  // The address block a slot gives the environment (evaluated, not guessed).
  const blockOf = (slot: number): string | undefined => {
    try {
      const ws = loadWorkspace(envDir);
      const e = ws.environments.get(manifest.environment)!;
      ws.environments.set(manifest.environment, { ...e, doc: { ...e.doc, network: { ...e.doc.network, slot } } });
      return evaluate(ws, manifest.environment).topologies.get(manifest.environment)?.environment.addressBlock;
    } catch {
      return undefined;
    }
  };
  const slot = o.slot ?? (await freeSlot(envDir, platform, blockOf));
  doc.setIn(['network', 'slot'], slot);
  await writeFile(path, doc.toString());
  const evaluation = evaluate(loadWorkspace(envDir), manifest.environment);
  const plan = labPlanFromEvaluation(evaluation, manifest.environment, join(o.work, 'state', manifest.environment));
  return { plan, slot };
}

// --- data -----------------------------------------------------------------------------------

async function domainClient(plan: LabPlan, domain: string): Promise<pg.Client> {
  if (!domainWriteEndpoint(plan, domain)) throw new ImportError(`the rebuilt lab has no HAProxy for ${domain}`);
  return labDomainClient(plan, domain, { timeoutMs: 30_000, longStatements: true });
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const qualified = (t: string) => {
  const dot = t.indexOf('.');
  return `${quoteIdent(t.slice(0, dot))}.${quoteIdent(t.slice(dot + 1))}`;
};

/**
 * Sessions that load a domain's tables at once (and read them back): two keep both cores busy —
 * one backend parses and writes while the other builds an index or waits on its client — without
 * more sessions than cores fighting over them (docs/reversibility.md "Figures").
 */
export const LOAD_SESSIONS = 2;

/** For each table, the tables its live foreign keys reference (itself excepted): they are loaded first. */
async function loadDependencies(c: pg.Client, tables: string[]): Promise<Map<string, Set<string>>> {
  const r = await c.query<{ child: string; parent: string }>(
    `SELECT cn.nspname || '.' || cc.relname AS child, pn.nspname || '.' || pc.relname AS parent
       FROM pg_constraint k
       JOIN pg_class cc ON cc.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
       JOIN pg_class pc ON pc.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
      WHERE k.contype = 'f'`,
  );
  const deps = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]));
  for (const { child, parent } of r.rows) if (child !== parent && deps.has(child) && deps.has(parent)) deps.get(child)!.add(parent);
  // A cycle would leave its tables waiting for each other forever: refused before anything is loaded.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: string, path: string[]) => {
    if (state.get(t) === 'done') return;
    if (state.get(t) === 'visiting') throw new ImportError(`tables ${[...path, t].join(' → ')} reference each other: no load order`);
    state.set(t, 'visiting');
    for (const p of [...deps.get(t)!].sort()) visit(p, [...path, t]);
    state.set(t, 'done');
  };
  for (const t of [...tables].sort()) visit(t, []);
  return deps;
}

/** A statement of pg_dump's post-data section, and whether it is a foreign key (added once every table is in). */
interface PostData {
  table: string;
  sql: string;
  foreignKey: boolean;
}

/**
 * Loads each exported table of `domain` from its CSV into the rebuilt database (whose schema the
 * rebuilt toolkit created at the same commit): refuses a table that is missing or already holds
 * rows (a rebuild is loaded once). LOAD_SESSIONS sessions load at once, each table in its own
 * transaction with its primary key and indexes built right after its rows (as pg_restore does),
 * a table after those its live foreign keys reference; then, in one transaction, the sequences
 * and the created tables' foreign keys (each checks every row); then every table is read back in
 * one snapshot, on LOAD_SESSIONS sessions, as the export wrote it.
 */
async function loadDomain(
  plan: LabPlan,
  from: string,
  domain: string,
  expected: Record<string, TableFingerprint & { csv: string }>,
  log: (l: string) => void,
): Promise<{ tables: Record<string, TableFingerprint>; rows: number }> {
  const c = await domainClient(plan, domain);
  const others: pg.Client[] = [];
  try {
    const exported = Object.keys(expected).sort();
    const present = new Set(
      (
        await c.query<{ name: string }>(
          `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p')`,
        )
      ).rows.map((x) => x.name),
    );
    const csvOf = (t: string) => join(from, expected[t]!.csv.startsWith('data/') ? expected[t]!.csv : join('data', domain, expected[t]!.csv));
    // Every input read and every table checked before a row is loaded.
    const descs = new Map<string, TableDescription>();
    const sizes = new Map<string, number>();
    for (const t of exported) {
      descs.set(t, JSON.parse(await readFile(join(from, 'data', domain, `${tableFileBase(t)}${DESCRIPTION_SUFFIX}`), 'utf8')) as TableDescription);
      sizes.set(t, (await stat(csvOf(t))).size);
    }
    for (const t of exported.filter((x) => present.has(x))) {
      const n = Number((await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM ONLY ${qualified(t)}`)).rows[0]!.n);
      if (n > 0) throw new ImportError(`${domain} ${t}: the rebuilt table already holds ${n} rows; import into a fresh rebuild (a new --work)`);
    }
    const missing = exported.filter((t) => !present.has(t));
    // Tables the service has not created (e.g. a dataset's): from the exported DDL, table by table;
    // their keys and indexes once their rows are in (an index built once), their foreign keys once
    // every table is (each checked once over the whole table rather than row by row).
    const postData = missing.length ? await createMissingTables(c, join(from, 'data', domain, 'schema.sql'), missing, log) : [];
    const deps = await loadDependencies(c, exported);

    for (let i = 1; i < Math.min(LOAD_SESSIONS, exported.length); i++) others.push(await domainClient(plan, domain));
    const sessions = [c, ...others];
    let rows = 0;
    await runInOrder(
      exported,
      deps,
      (t) => sizes.get(t) ?? 0,
      sessions.length,
      async (t, i) => {
        const s = sessions[i]!;
        const t0 = Date.now();
        await s.query('BEGIN');
        try {
          const stream = s.query(copyFrom(copyInStatement(descs.get(t)!)));
          try {
            await pipeline(createReadStream(csvOf(t)), stream);
          } catch (e) {
            throw new ImportError(
              `${copyFailure(csvOf(t), e)}; the CSV does not fit ${domain} ${t} of the rebuilt schema: check the export (sha256sum -c SHA256SUMS)`,
            );
          }
          const own = postData.filter((p) => p.table === t && !p.foreignKey);
          const t1 = Date.now();
          for (const p of own) await s.query(p.sql);
          await s.query('COMMIT');
          rows += Number(stream.rowCount ?? 0);
          log(
            `load ${domain} ${t}: ${stream.rowCount} rows in ${((t1 - t0) / 1000).toFixed(1)} s` +
              (own.length ? `, keys and indexes (${own.length}) in ${((Date.now() - t1) / 1000).toFixed(1)} s` : ''),
          );
        } catch (e) {
          await s.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
      },
    );

    await c.query('BEGIN');
    // Sequence values are data (pg_dump --schema-only leaves them out): set as exported.
    const seqFile = join(from, 'data', domain, SEQUENCES_FILE);
    const seqText = await readFile(seqFile, 'utf8').catch(() => '');
    for (const line of seqText.split('\n').slice(1)) {
      if (!line.trim()) continue;
      const [schema, sequence, lastValue, isCalled] = parseCsvLine(line);
      if (!schema || !sequence || lastValue === undefined) throw new ImportError(`${seqFile}: malformed line ${JSON.stringify(line)}`);
      await c.query('SELECT setval($1::regclass, $2::bigint, $3::boolean)', [
        `${quoteIdent(schema)}.${quoteIdent(sequence)}`,
        lastValue,
        isCalled === 't' || isCalled === 'true',
      ]);
    }
    const fks = postData.filter((p) => p.foreignKey);
    if (fks.length) {
      const t0 = Date.now();
      for (const p of fks) {
        try {
          await c.query(p.sql);
        } catch (e) {
          const name = /ADD CONSTRAINT\s+("(?:[^"]|"")+"|\S+)/i.exec(p.sql)?.[1] ?? 'a foreign key';
          throw new ImportError(
            `${csvOf(p.table)}: foreign key ${name} of ${domain} ${p.table} does not hold (${(e as Error).message.split('\n')[0]}); the export is inconsistent: export again`,
          );
        }
      }
      log(`${domain}: ${fks.length} foreign keys of the created tables checked in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    await c.query('COMMIT');
    // Statistics for the planner (the read-back below, and the service once it runs).
    for (const t of exported) await c.query(`ANALYZE ${qualified(t)}`);
    // Read back as the export wrote it: row count and SHA-256 of the CSV bytes, per table, in one
    // snapshot shared by the sessions — equal to the manifest's hash of the exported CSV when the
    // copy holds the same rows.
    const t0 = Date.now();
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snap = (await c.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
    for (const o of others) {
      await o.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await o.query(`SET TRANSACTION SNAPSHOT '${snap.replace(/'/g, "''")}'`);
    }
    const tables = await contentFingerprintsIn(
      sessions,
      exported.map((t) => descs.get(t)!),
      (t) => sizes.get(t) ?? 0,
    );
    for (const s of sessions) await s.query('COMMIT');
    log(`${domain}: ${exported.length} tables read back in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { tables, rows };
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    for (const o of others) await o.end().catch(() => undefined);
    await c.end().catch(() => undefined);
  }
}

/**
 * The tables the rebuilt service did not create (a dataset's, another application's), from
 * pg_dump's schema.sql: creates their schemas and tables, and returns — in the file's order,
 * primary keys before foreign keys — their constraints and indexes, for after the load.
 */
async function createMissingTables(c: pg.Client, schemaSql: string, tables: string[], log: (l: string) => void): Promise<PostData[]> {
  const sql = await readFile(schemaSql, 'utf8');
  const statements = sql
    .split(/;\s*\n/)
    .map((s) => s.replace(/^--.*$/gm, '').trim())
    .filter(Boolean);
  const name = (t: string) => {
    const [schema, table] = t.split('.') as [string, string];
    return `(?:${escapeRe(schema)}\\.)?"?${escapeRe(table)}"?`;
  };
  for (const schema of new Set(tables.map((t) => t.split('.')[0]!))) await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  for (const t of tables) {
    const stmt = statements.find((s) => new RegExp(`^CREATE TABLE ${name(t)}\\s*\\(`, 'i').test(s));
    if (!stmt) throw new ImportError(`${schemaSql}: no CREATE TABLE for ${t}, which the export holds data for`);
    await c.query(stmt);
  }
  const after: PostData[] = [];
  for (const s of statements) {
    const t = tables.find((x) =>
      new RegExp(`^(?:ALTER TABLE (?:ONLY )?${name(x)}\\s+ADD CONSTRAINT|CREATE (?:UNIQUE )?INDEX \\S+ ON (?:ONLY )?${name(x)}\\s)`, 'i').test(s),
    );
    if (t) after.push({ table: t, sql: s, foreignKey: /^ALTER TABLE[\s\S]*\sFOREIGN KEY\s*\(/i.test(s) });
  }
  log(
    `created ${tables.length} tables from the exported DDL (${after.filter((p) => !p.foreignKey).length} keys and indexes after each table's rows, ${after.filter((p) => p.foreignKey).length} foreign keys after every table's)`,
  );
  return after;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One CSV record of simple fields (sequences.csv: names and numbers; quoted fields with "" escapes). */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          v += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else v += line[i++];
      }
      out.push(v);
      i++;
    } else {
      const j = line.indexOf(',', i);
      const end = j < 0 ? line.length : j;
      out.push(line.slice(i, end).replace(/\r$/, ''));
      i = end + 1;
    }
  }
  return out;
}

// --- documents ------------------------------------------------------------------------------

async function openTakerHsm(plan: LabPlan): Promise<HsmKeyStore> {
  if (labTokens(plan).length === 0) throw new ImportError('the rebuilt lab has no HSM token');
  return openLabToken(plan);
}

// --- the whole import -----------------------------------------------------------------------

export async function importExport(o: ImportOptions): Promise<ImportResult> {
  const phases: ImportPhase[] = [];
  const differences: string[] = [];
  const notDone: string[] = [];
  const phase = async <T>(name: ImportPhase['name'], f: () => Promise<T>, detail?: (t: T) => string): Promise<T> => {
    const t0 = Date.now();
    o.log(`[${name}]`);
    const r = await f();
    phases.push({ name, durationMs: Date.now() - t0, ...(detail ? { detail: detail(r) } : {}) });
    return r;
  };

  const manifest = await phase('verify', async () => {
    const v = await verifyExport(o.from, o.trustedCaPem ? { trustedCaPem: await readFile(o.trustedCaPem, 'utf8') } : {});
    if (!v.ok) throw new ImportError(`the export at ${o.from} is not intact, nothing was rebuilt: ${v.problems.join('; ')}`);
    return JSON.parse(await readFile(join(o.from, 'manifest.json'), 'utf8')) as ExportManifest;
  });
  if (manifest.kind !== 'hds-platform-reversibility-export' || manifest.version !== 1)
    throw new ImportError(`${join(o.from, 'manifest.json')}: not a version 1 hds-platform reversibility export`);
  await claimWork(o.work, manifest.environment);
  const { plan, slot } = await phase(
    'workspace',
    () => buildWorkspace(o, manifest),
    (r) => `environment ${manifest.environment} on network slot ${r.slot}`,
  );
  const components = labComponents(plan);
  const result: ImportResult = {
    ok: false,
    environment: manifest.environment,
    rebuilt: { environment: manifest.environment, slot, netns: plan.sites.map((s) => s.netns), stateDir: 'state' },
    phases,
    tables: 0,
    rows: 0,
    documents: null,
    smoke: [],
    differences,
    notDone,
  };
  try {
    await phase(
      'rebuild',
      () => labUp(plan, { components, log: o.log, installPackages: false }),
      (r) => `lab up in ${(r.elapsedMs / 1000).toFixed(1)} s`,
    );
    await phase('load', async () => {
      for (const db of manifest.databases) {
        const r = await loadDomain(plan, o.from, db.domain, db.tables, o.log);
        result.tables += Object.keys(r.tables).length;
        result.rows += r.rows;
        for (const d of compareTables(db.tables, r.tables)) differences.push(`${db.domain}: ${d}`);
      }
    });
    if (manifest.documents.index && o.recipientKey && o.recipientCert) {
      await phase('documents', async () => {
        const domain = refserviceDomain(plan);
        const hsm = await openTakerHsm(plan);
        const gw = objectGateways(plan)[0];
        const s3 = labHasCeph(plan) && gw ? await labDocumentsS3(plan, gw) : undefined;
        const c = await domainClient(plan, domain);
        try {
          const r = await importDocuments({
            client: c,
            store: {
              async put(key: string, body: Buffer) {
                if (!s3) throw new ImportError(`document object ${key}: the rebuilt lab has no object store`);
                await putObjectEncrypted(s3.client, { bucket: s3.bucket, key, body, kmsKeyId: labDocumentsBucket(plan).bucket.kmsKeyId });
              },
            },
            keys: hsm,
            recipientKey: o.recipientKey!,
            recipientCert: o.recipientCert!,
            dir: o.from,
          });
          differences.push(...r.differences);
          const edges = edgeSites(plan);
          let k = 0;
          const v = await verifyDocuments({
            index: r.index,
            read: async (id: string) => {
              const edge = edges[k++ % edges.length]!;
              const g = await wafRequest(plan, `${edge.waf.url}/documents/${id}`, { timeoutMs: 20_000 });
              if (g.status !== 200) throw new Error(`GET /documents/${id} through the WAF of ${edge.site.id} answered ${g.status}`);
              return Buffer.from((JSON.parse(g.body) as { contentBase64: string }).contentBase64, 'base64');
            },
          });
          differences.push(...v);
          result.documents = { imported: r.count, verified: r.index.documents.length - v.length };
        } finally {
          await c.end().catch(() => undefined);
          hsm.close();
        }
      });
    } else if (manifest.documents.index) {
      notDone.push('documents not re-imported: no --recipient-key/--recipient-cert (the taker key pair the export was encrypted for)');
    }
    await phase('smoke', async () => {
      const checks = await labSmoke(plan);
      result.smoke = checks.map((c) => ({ name: c.name, ok: c.ok, detail: c.detail }));
      for (const c of checks) if (!c.ok) differences.push(`smoke: ${c.name}: ${c.detail}`);
    });
  } finally {
    if (!o.keep) await phase('teardown', () => labDown(plan, { components, log: o.log, purge: true }));
    else
      notDone.push(
        `the rebuilt lab is left running (--keep): hdsctl lab down --env ${manifest.environment} with HDS_STATE_DIR=${join(o.work, 'state')} --dir ${join(o.work, 'environments')}`,
      );
  }
  result.ok = differences.length === 0;
  await writeFile(join(o.work, 'import-report.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
