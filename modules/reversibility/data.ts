/**
 * Reversibility, data (EXG_REV_14 production data, EXG_REV_19, CAIH-3-1 CSV/JSON, CAIH-S3-8
 * databases): one PostgreSQL database exported in open formats and imported back from them.
 * docs/reversibility.md.
 *
 * `exportDatabase` writes, in `data/<domain>/`, from ONE REPEATABLE READ READ ONLY snapshot (the
 * caller's exported snapshot, or one it takes and exports so pg_dump sees the same data):
 *   schema.sql                          pg_dump --schema-only --no-owner --no-privileges
 *   <schema>.<table>.csv                copyOutStatement: COPY (SELECT … ORDER BY <primary key | record text>) TO STDOUT (csv, HEADER)
 *   <schema>.<table>.columns.json       TableDescription (types, nullability, defaults, key, rows, fingerprint:
 *                                       the rows counted and the CSV's SHA-256, taken from the stream as it is written)
 *   sequences.csv                       schema,sequence,last_value,is_called (sequence values are data, not DDL)
 *   dump.pgcustom                       pg_dump -Fc --compress=1, for a fast native restore (owners and grants kept)
 * The schema `hds_restore` (restore marks) is left out, as modules/restore/marks.ts userTables does.
 *
 * - Bounded memory: each CSV is a stream (pg-copy-streams → file, with back-pressure), pg_dump
 *   writes through a pipe; no table is ever held in memory.
 * - No half file: every file is written to `.<name>.<random>.tmp` in the same directory, fsync'ed,
 *   then renamed; a killed export leaves temp files only, removed by the next export of the domain.
 * - Deterministic: the same data gives the same bytes for every CSV, JSON and schema.sql (session
 *   settings of FINGERPRINT_SETTINGS: UTC, ISO dates, shortest exact floats, hex bytea; rows in
 *   primary-key order, else in the C-collation order of the row's text, a total order on what the
 *   CSV shows; psql's `\restrict` key, random in pg_dump ≥ 15.14, replaced by one derived from the
 *   dump's content). dump.pgcustom is NOT byte-stable: pg_dump's custom-format header holds the
 *   time of the dump.
 * - Generated columns (GENERATED ALWAYS AS … STORED) are not in the CSV: the DDL recomputes them.
 *
 * `importDatabase` creates a database (refusing one it did not create), then either
 *   csv:    psql applies schema.sql; every CSV is loaded with COPY FROM … (csv, HEADER MATCH) in one
 *           transaction under `session_replication_role = replica` — foreign keys and user
 *           triggers do not fire, so any load order works (cycles and self-references included)
 *           and triggers (audit rows…) do not add rows the export already holds — then every
 *           foreign key is dropped and added again in that transaction, which checks every row
 *           (what pg_restore does: constraints after the data); sequences set from sequences.csv;
 *   native: pg_restore --single-transaction of dump.pgcustom;
 * and reads every table back (contentFingerprints: the export's COPY, hashed, nothing written) for
 * `compareTables` against the export's.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { FINGERPRINT_SETTINGS, RESTORE_SCHEMA, userTables } from '../restore/marks.ts';
import { compareTableFingerprints } from '../restore/plan.ts';
import { splitPassword } from '../restore/refresh.ts';
import { comparePaths } from './manifest.ts';
import { runInOrder } from './schedule.ts';
import type { ColumnDescription, TableDescription, TableFingerprint } from './types.ts';

const execFileP = promisify(execFile);

/** Debian's PostgreSQL 15 client and server programs. */
export const DEFAULT_PG_BIN = '/usr/lib/postgresql/15/bin';
export const SCHEMA_FILE = 'schema.sql';
export const DUMP_FILE = 'dump.pgcustom';
/**
 * zlib level of the native dump: 1, not pg_dump's default. The dump is there for a fast restore,
 * beside the CSV; pg_dump's own compression is CPU the export shares, on 2 cores, with the COPYs
 * (docs/reversibility.md "Figures" gives both sizes).
 */
export const DUMP_COMPRESSION = 1;
export const SEQUENCES_FILE = 'sequences.csv';
export const CSV_SUFFIX = '.csv';
export const DESCRIPTION_SUFFIX = '.columns.json';

/** The comment `importDatabase` puts on the databases it creates (the only ones it will replace). */
export const IMPORT_MARKER = 'hds-platform reversibility import';

/** How every CSV of an export encodes values (TableDescription.encoding). */
export const CSV_ENCODING: TableDescription['encoding'] = {
  standard: 'RFC 4180',
  charset: 'UTF-8',
  header: true,
  delimiter: ',',
  quote: '"',
  null: 'unquoted empty field',
  values:
    "PostgreSQL's text output of each type, with TimeZone=UTC, DateStyle=ISO, IntervalStyle=postgres, extra_float_digits=3, bytea_output=hex: " +
    'timestamptz as `YYYY-MM-DD HH:MM:SS[.ffffff]+00`, date as `YYYY-MM-DD`, bytea as `\\x` followed by hex, numeric as exact decimals (or NaN), ' +
    'floats as the shortest exact decimal (Infinity, -Infinity, NaN), booleans as t/f, arrays as PostgreSQL array literals ({a,"b,c",NULL}), ' +
    'json/jsonb as JSON text; a value containing a comma, a quote, CR or LF is quoted, quotes doubled',
  lineEnding: 'LF',
};

/** Errors of this module: one line, naming the file (or database) and what to do. Never a password. */
export class DataError extends Error {
  override name = 'DataError';
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

function splitTable(table: string): [string, string] {
  const dot = table.indexOf('.');
  return [table.slice(0, dot), table.slice(dot + 1)];
}

function qualified(table: string): string {
  const [s, t] = splitTable(table);
  return `${quoteIdent(s)}.${quoteIdent(t)}`;
}

/** One name component in a file name: letters, digits, `_`, `-`, `$` kept, anything else as %XX of its UTF-8 bytes. */
function fileComponent(s: string): string {
  let out = '';
  for (const ch of s) {
    if (/^[\p{L}\p{N}_$-]$/u.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The file name of a table (`schema.table` as userTables gives it) without suffix: `public.patients`
 * for ordinary names; a dot, slash, space, quote… inside a name is written %XX, so the name is
 * unambiguous and safe in a path (manifest.ts unsafePathReason) whatever the table is called.
 */
export function tableFileBase(table: string): string {
  const [s, t] = splitTable(table);
  return `${fileComponent(s)}.${fileComponent(t)}`;
}

/** One RFC 4180 field (quoted when it must be). */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * pg_dump ≥ 15.14 (CVE-2025-8714) brackets a plain dump with `\restrict KEY` / `\unrestrict KEY`, KEY
 * random. The key is replaced by the first 32 hex digits of the SHA-256 of the dump with the key
 * removed: the same schema gives the same bytes, and content a source database controls cannot
 * hold the key (it would need a SHA-256 fixed point). A dump without `\restrict` is returned as is.
 */
export function stableRestrictKey(sql: string): string {
  const m = /^\\restrict ([A-Za-z0-9]+)$/m.exec(sql);
  if (!m) return sql;
  const key = m[1]!;
  const lines = sql.split('\n');
  const isKeyLine = (l: string) => l === `\\restrict ${key}` || l === `\\unrestrict ${key}`;
  const neutral = lines.map((l) => (isKeyLine(l) ? l.slice(0, l.indexOf(' ')) : l)).join('\n');
  const stable = createHash('sha256').update(neutral).digest('hex').slice(0, 32);
  return lines.map((l) => (isKeyLine(l) ? `${l.slice(0, l.indexOf(' '))} ${stable}` : l)).join('\n');
}

// --- files ------------------------------------------------------------------------------------

const TEMP_RE = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** Same-directory temp name, fsync, rename: the final name only ever holds a complete file. */
async function writeAtomicStream(path: string, fill: (sink: Writable) => Promise<void>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fill(createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

async function writeAtomicText(path: string, text: string): Promise<void> {
  await writeAtomicStream(path, async (sink) => {
    await new Promise<void>((res, rej) => {
      sink.on('error', rej);
      sink.end(text, () => res());
    });
    await new Promise<void>((res) => (sink.closed ? res() : sink.once('close', () => res())));
  });
}

/** Counts bytes on their way (progress), and lets a caller's callback abort the stream by throwing. */
function counter(onBytes: ((n: number) => void) | undefined, total: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total.bytes += chunk.length;
      try {
        onBytes?.(chunk.length);
      } catch (e) {
        cb(e as Error);
        return;
      }
      cb(null, chunk);
    },
  });
}

// --- PostgreSQL programs ----------------------------------------------------------------------

interface PgProgramTarget {
  /** URL without its password. */
  url: string;
  env: NodeJS.ProcessEnv;
}

function programTarget(url: string, appName: string): PgProgramTarget {
  const { url: withOptions, password } = splitPassword(url);
  // node-postgres' own option (libpq compatibility of sslmode): libpq refuses unknown parameters.
  const u = new URL(withOptions);
  u.searchParams.delete('uselibpqcompat');
  const bare = u.toString();
  // The password travels in the environment, never on a command line (ps would show it).
  return { url: bare, env: { ...process.env, PGAPPNAME: appName, ...(password !== undefined ? { PGPASSWORD: password } : {}) } };
}

/** The URL shown in messages: no password. */
function shown(url: string): string {
  const u = new URL(url);
  u.password = '';
  u.search = '';
  return u.toString();
}

function lastLines(stderr: string[]): string {
  const lines = stderr
    .join('')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.find((l) => /\bERROR\b|error:|FATAL/.test(l)) ?? lines.at(-1) ?? '').slice(0, 300);
}

function collect(p: ChildProcess, stderr: string[]): Promise<number> {
  p.stderr?.on('data', (d: Buffer) => {
    stderr.push(d.toString());
    if (stderr.length > 200) stderr.shift();
  });
  return new Promise((res, rej) => {
    p.on('error', rej);
    p.on('close', (code) => res(code ?? 1));
  });
}

/** `pg_dump --version` of `pgBin`: e.g. { major: 15, text: '15.18' }. */
export async function pgDumpVersion(pgBin = DEFAULT_PG_BIN): Promise<{ major: number; text: string }> {
  const { stdout } = await execFileP(join(pgBin, 'pg_dump'), ['--version']);
  const m = /(\d+)(?:\.(\d+))?/.exec(stdout);
  if (!m) throw new DataError(`${join(pgBin, 'pg_dump')} --version printed no version: ${stdout.trim().slice(0, 100)}`);
  return { major: Number(m[1]), text: m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1]! };
}

/** Whether pg_dump can dump this server: its major version must be at least the server's (pg_dump refuses a newer server). */
export async function pgDumpVersionOk(c: pg.ClientBase, pgBin = DEFAULT_PG_BIN): Promise<{ ok: boolean; pgDump: string; server: string; message: string }> {
  const dump = await pgDumpVersion(pgBin);
  const r = await c.query<{ n: string; v: string }>("SELECT current_setting('server_version_num') AS n, current_setting('server_version') AS v");
  const serverMajor = Math.floor(Number(r.rows[0]!.n) / 10000);
  const server = r.rows[0]!.v.split(' ')[0]!;
  const ok = dump.major >= serverMajor;
  return {
    ok,
    pgDump: dump.text,
    server,
    message: ok
      ? `pg_dump ${dump.text} can dump server ${server}`
      : `pg_dump ${dump.text} (${pgBin}) is older than the server ${server}: install the PostgreSQL ${serverMajor} client and pass its bin directory`,
  };
}

// --- export -----------------------------------------------------------------------------------

export interface ExportDatabaseOptions {
  /** libpq URL of the domain's database (the password in it, else PGPASSWORD or ~/.pgpass); TLS parameters kept. */
  url: string;
  /** The domain (database) name, as written in the descriptions and the relative paths. */
  domain: string;
  /** Where the files go: `<export>/data/<domain>` (created 0700; files 0600: production data). */
  dir: string;
  /**
   * A snapshot exported by the caller (`pg_export_snapshot()` in a transaction it keeps open until
   * this returns): every file is read in it. Default: one taken here, READ ONLY REPEATABLE READ.
   */
  snapshot?: string;
  /**
   * Files already complete from an interrupted run (relative paths `data/<domain>/<file>`): not
   * written again. A table is skipped only when both its CSV and its description are; its
   * fingerprint is then read from the description on disk.
   * @default nothing is skipped
   */
  skip?: (relPath: string) => boolean;
  /** After each file is renamed to its final name (relative path, size). */
  onFile?: (relPath: string, bytes: number) => void;
  /** Bytes written so far, as they stream (progress bars); throwing aborts the export. */
  onBytes?: (n: number) => void;
  /** @default DEFAULT_PG_BIN */
  pgBin?: string;
}

export interface ExportDatabaseResult {
  /** Every file of the domain (written now or skipped), `data/<domain>/<file>`, sorted. */
  files: string[];
  /** Per table (`schema.table`): rows, hash and the CSV's relative path. */
  tables: Record<string, TableFingerprint & { csv: string }>;
  /** The snapshot every file was read in. */
  snapshot: string;
  /** now() of the reading transaction, ISO 8601 (the snapshot's time when taken here; a caller's snapshot is older). */
  snapshotAt: string;
}

interface TablePlan {
  table: string;
  base: string;
  columns: ColumnDescription[];
  primaryKey: string[];
  /** The COPY … TO STDOUT statement. */
  copy: string;
}

async function describeTable(c: pg.ClientBase, table: string): Promise<TablePlan> {
  const cols = await c.query<{ name: string; type: string; nullable: boolean; def: string | null; identity: string; generated: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
            pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity AS identity, a.attgenerated AS generated
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [qualified(table)],
  );
  const pk = await c.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1::regclass AND i.indisprimary
      ORDER BY k.ord`,
    [qualified(table)],
  );
  const columns: ColumnDescription[] = cols.rows
    .filter((x) => x.generated === '')
    .map((x, i) => {
      const def = x.identity === 'a' ? 'GENERATED ALWAYS AS IDENTITY' : x.identity === 'd' ? 'GENERATED BY DEFAULT AS IDENTITY' : x.def;
      return { name: x.name, type: x.type, nullable: x.nullable, position: i + 1, ...(def !== null ? { default: def } : {}) };
    });
  const primaryKey = pk.rows.map((x) => x.name);
  return { table, base: tableFileBase(table), columns, primaryKey, copy: copyOutStatement({ table, columns, primaryKey }) };
}

/**
 * The `COPY … TO STDOUT` that writes a table's CSV, from its description alone — the export writes
 * the file with it, and a copy (bootstrap, importDatabase) reads its tables back with it, so the
 * same rows give the same bytes on both sides: the exported columns in their CSV position, the rows
 * in primary-key order, else in the C-collation order of the exported columns' record text (a
 * total order on what the CSV shows). The session must have FINGERPRINT_SETTINGS.
 */
export function copyOutStatement(d: Pick<TableDescription, 'table' | 'columns' | 'primaryKey'>): string {
  const cols = csvColumns(d);
  const list = cols.join(', ');
  const order = d.primaryKey.length ? d.primaryKey.map(quoteIdent).join(', ') : cols.length ? `ROW(${list})::text COLLATE "C"` : '';
  return `COPY (SELECT ${list} FROM ONLY ${qualified(d.table)}${order ? ` ORDER BY ${order}` : ''}) TO STDOUT WITH (FORMAT csv, HEADER)`;
}

/** The CSV's columns, quoted, in their CSV position (the description's `position`). */
function csvColumns(d: Pick<TableDescription, 'columns'>): string[] {
  return [...d.columns].sort((a, b) => a.position - b.position).map((x) => quoteIdent(x.name));
}

/** The `COPY … FROM STDIN` that loads a table from its CSV (the columns named, in CSV order). */
export function copyInStatement(d: Pick<TableDescription, 'table' | 'columns'>, header: 'true' | 'MATCH' = 'true'): string {
  return `COPY ${qualified(d.table)} (${csvColumns(d).join(', ')}) FROM STDIN WITH (FORMAT csv, HEADER ${header})`;
}

/** Feeds every chunk to `hash` on its way. */
function hashing(hash: Hash): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

/**
 * The fingerprint of each table as the export defines it (TableFingerprint): its rows read with
 * copyOutStatement, counted and hashed (SHA-256) as they stream — nothing written, bounded memory.
 * Reads in the client's current transaction (one snapshot when the caller opened one); sets
 * FINGERPRINT_SETTINGS on the session.
 */
export async function contentFingerprints(
  c: pg.ClientBase,
  tables: ReadonlyArray<Pick<TableDescription, 'table' | 'columns' | 'primaryKey'>>,
): Promise<Record<string, TableFingerprint>> {
  return contentFingerprintsIn([c], tables);
}

/**
 * contentFingerprints on several sessions at once (schedule.ts runInOrder, no dependencies): each
 * session takes the next table, the largest by `size` first (default: in the given order). The
 * caller puts every session in the same snapshot (pg_export_snapshot / SET TRANSACTION SNAPSHOT)
 * when the tables must be read at one instant. The first failure stops the others from taking a
 * table and is thrown. The result is in the given order.
 */
export async function contentFingerprintsIn(
  clients: readonly pg.ClientBase[],
  tables: ReadonlyArray<Pick<TableDescription, 'table' | 'columns' | 'primaryKey'>>,
  size: (table: string) => number = (t) => -tables.findIndex((d) => d.table === t),
): Promise<Record<string, TableFingerprint>> {
  for (const c of clients) for (const s of FINGERPRINT_SETTINGS) await c.query(s);
  const byTable = new Map(tables.map((d) => [d.table, d]));
  const found = new Map<string, TableFingerprint>();
  await runInOrder([...byTable.keys()], new Map(), size, clients.length, async (t, i) => {
    const h = createHash('sha256');
    const copy = clients[i]!.query(copyTo(copyOutStatement(byTable.get(t)!)));
    for await (const chunk of copy) h.update(chunk as Buffer);
    found.set(t, { rows: Number(copy.rowCount ?? 0), hash: h.digest('hex') });
  });
  const out: Record<string, TableFingerprint> = {};
  for (const d of tables) out[d.table] = found.get(d.table)!;
  return out;
}

/** contentFingerprints of `tables` (default: every user table), each described from the database itself. */
export async function tableContentFingerprints(c: pg.ClientBase, tables?: readonly string[]): Promise<Record<string, TableFingerprint>> {
  const plans: TablePlan[] = [];
  for (const t of tables ?? (await userTables(c))) plans.push(await describeTable(c, t));
  return contentFingerprints(c, plans);
}

async function listSequences(c: pg.ClientBase): Promise<Array<{ schema: string; name: string }>> {
  const r = await c.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, s.relname AS name
       FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
      WHERE s.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema', '${RESTORE_SCHEMA}')
        AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`,
  );
  return r.rows;
}

function descriptionJson(domain: string, p: TablePlan, csvRel: string, fp: TableFingerprint): string {
  const d: TableDescription = {
    domain,
    table: p.table,
    csv: csvRel,
    columns: p.columns,
    primaryKey: p.primaryKey,
    rows: fp.rows,
    fingerprint: { rows: fp.rows, hash: fp.hash },
    encoding: CSV_ENCODING,
  };
  return `${JSON.stringify(d, null, 2)}\n`;
}

async function readDescription(path: string): Promise<TableDescription | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as TableDescription;
  } catch {
    return undefined;
  }
}

/** Removes the temp files a killed export left in `dir` (ours only: `.<name>.<12 hex>.tmp`). */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (TEMP_RE.test(name)) await rm(join(dir, name), { force: true });
}

async function beginSnapshot(c: pg.ClientBase, snapshot: string | undefined): Promise<{ snapshot: string; at: string }> {
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  if (snapshot !== undefined) await c.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}`);
  const r = await c.query<{ snap: string | null; at: Date }>(
    snapshot === undefined ? 'SELECT pg_export_snapshot() AS snap, now() AS at' : 'SELECT NULL AS snap, now() AS at',
  );
  return { snapshot: snapshot ?? r.rows[0]!.snap!, at: r.rows[0]!.at.toISOString() };
}

async function session(url: string, appName: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: appName });
  await c.connect();
  // A long COPY is no statement to time out; the snapshot holder waits while pg_dump runs.
  await c.query('SET statement_timeout = 0');
  await c.query('SET idle_in_transaction_session_timeout = 0');
  await c.query("SET client_encoding = 'UTF8'");
  return c;
}

/**
 * Exports one database in open formats plus a native dump, all from one snapshot (see the file's
 * comment). Refuses (DataError) a pg_dump older than the server.
 */
export async function exportDatabase(o: ExportDatabaseOptions): Promise<ExportDatabaseResult> {
  const pgBin = o.pgBin ?? DEFAULT_PG_BIN;
  const prefix = `data/${o.domain}/`;
  const skip = o.skip ?? (() => false);
  await mkdir(o.dir, { recursive: true, mode: 0o700 });
  await chmod(o.dir, 0o700);
  await removeStaleTemps(o.dir);

  const files: string[] = [];
  const tables: Record<string, TableFingerprint & { csv: string }> = {};
  const wrote = async (name: string) => {
    const st = await stat(join(o.dir, name));
    o.onFile?.(prefix + name, st.size);
  };

  const holder = await session(o.url, 'hdsctl-reversibility-export');
  const abort = new AbortController();
  try {
    const v = await pgDumpVersionOk(holder, pgBin);
    if (!v.ok) throw new DataError(`${o.domain}: ${v.message}`);
    const snap = await beginSnapshot(holder, o.snapshot);
    for (const s of FINGERPRINT_SETTINGS) await holder.query(s);
    const names = await userTables(holder);
    const plans: TablePlan[] = [];
    for (const t of names) plans.push(await describeTable(holder, t));

    // Which tables are done already: both files skipped and the description readable.
    const kept = new Map<string, TableDescription>();
    for (const p of plans) {
      const csv = `${p.base}${CSV_SUFFIX}`;
      const json = `${p.base}${DESCRIPTION_SUFFIX}`;
      if (!(skip(prefix + csv) && skip(prefix + json))) continue;
      const d = await readDescription(join(o.dir, json));
      const csvThere = await stat(join(o.dir, csv)).then(
        () => true,
        () => false,
      );
      if (d && csvThere && d.table === p.table && d.fingerprint) kept.set(p.table, d);
    }

    // The DDL and the native dump: pg_dump in the same snapshot, alongside.
    const target = programTarget(o.url, 'hdsctl-reversibility-export-dump');
    const dumpArgs = ['--no-password', `--snapshot=${snap.snapshot}`, `--exclude-schema=${RESTORE_SCHEMA}`, '-d', target.url];
    const dumps = (async () => {
      if (!skip(prefix + SCHEMA_FILE)) {
        const stderr: string[] = [];
        const p = spawn(join(pgBin, 'pg_dump'), ['--schema-only', '--no-owner', '--no-privileges', ...dumpArgs], {
          env: target.env,
          stdio: ['ignore', 'pipe', 'pipe'],
          signal: abort.signal,
        });
        const chunks: Buffer[] = [];
        p.stdout!.on('data', (d: Buffer) => chunks.push(d));
        const code = await collect(p, stderr);
        if (code !== 0) throw new DataError(`${prefix}${SCHEMA_FILE}: pg_dump --schema-only of ${shown(o.url)} exited ${code}: ${lastLines(stderr)}`);
        const sql = stableRestrictKey(Buffer.concat(chunks).toString('utf8'));
        o.onBytes?.(Buffer.byteLength(sql));
        await writeAtomicText(join(o.dir, SCHEMA_FILE), sql);
        await wrote(SCHEMA_FILE);
      }
      if (!skip(prefix + DUMP_FILE)) {
        const stderr: string[] = [];
        const p = spawn(join(pgBin, 'pg_dump'), ['-Fc', `--compress=${DUMP_COMPRESSION}`, ...dumpArgs], {
          env: target.env,
          stdio: ['ignore', 'pipe', 'pipe'],
          signal: abort.signal,
        });
        const exited = collect(p, stderr);
        exited.catch(() => undefined);
        try {
          await writeAtomicStream(join(o.dir, DUMP_FILE), async (sink) => {
            await pipeline(p.stdout!, counter(o.onBytes, { bytes: 0 }), sink, { signal: abort.signal });
            const code = await exited;
            if (code !== 0) throw new DataError(`${prefix}${DUMP_FILE}: pg_dump -Fc of ${shown(o.url)} exited ${code}: ${lastLines(stderr)}`);
          });
        } catch (e) {
          p.kill('SIGTERM');
          throw e;
        }
        await wrote(DUMP_FILE);
      }
    })();
    dumps.catch(() => abort.abort());

    const tablesDone = (async () => {
      for (const p of plans) {
        const csv = `${p.base}${CSV_SUFFIX}`;
        const json = `${p.base}${DESCRIPTION_SUFFIX}`;
        const k = kept.get(p.table);
        if (k) {
          tables[p.table] = { rows: k.fingerprint.rows, hash: k.fingerprint.hash, csv: prefix + csv };
          continue;
        }
        if (abort.signal.aborted) throw new DataError(`${o.domain}: export aborted`);
        // The fingerprint is taken from the stream being written: rows counted, bytes hashed.
        const copy = holder.query(copyTo(p.copy));
        const h = createHash('sha256');
        await writeAtomicStream(join(o.dir, csv), (sink) => pipeline(copy, hashing(h), counter(o.onBytes, { bytes: 0 }), sink, { signal: abort.signal }));
        const fp: TableFingerprint = { rows: Number(copy.rowCount ?? 0), hash: h.digest('hex') };
        await wrote(csv);
        await writeAtomicText(join(o.dir, json), descriptionJson(o.domain, p, prefix + csv, fp));
        await wrote(json);
        tables[p.table] = { rows: fp.rows, hash: fp.hash, csv: prefix + csv };
      }
      if (!skip(prefix + SEQUENCES_FILE)) {
        const lines = ['schema,sequence,last_value,is_called'];
        for (const s of await listSequences(holder)) {
          const r = await holder.query<{ v: string; c: boolean }>(
            `SELECT last_value::text AS v, is_called AS c FROM ${quoteIdent(s.schema)}.${quoteIdent(s.name)}`,
          );
          lines.push([csvField(s.schema), csvField(s.name), r.rows[0]!.v, r.rows[0]!.c ? 't' : 'f'].join(','));
        }
        await writeAtomicText(join(o.dir, SEQUENCES_FILE), `${lines.join('\n')}\n`);
        await wrote(SEQUENCES_FILE);
      }
    })();
    tablesDone.catch(() => abort.abort());

    const [d, t] = await Promise.allSettled([dumps, tablesDone]);
    // The first cause, not the abort it caused in the other branch.
    if (t.status === 'rejected' && !(d.status === 'rejected' && abort.signal.aborted && isAbort(t.reason))) throw t.reason;
    if (d.status === 'rejected') throw d.reason;
    await holder.query('COMMIT');

    for (const p of plans) files.push(`${prefix}${p.base}${CSV_SUFFIX}`, `${prefix}${p.base}${DESCRIPTION_SUFFIX}`);
    files.push(prefix + SCHEMA_FILE, prefix + DUMP_FILE, prefix + SEQUENCES_FILE);
    files.sort(comparePaths);
    return { files, tables, snapshot: snap.snapshot, snapshotAt: snap.at };
  } finally {
    abort.abort();
    await holder.end().catch(() => undefined);
  }
}

function isAbort(e: unknown): boolean {
  return (e as Error)?.name === 'AbortError' || /export aborted/.test((e as Error)?.message ?? '');
}

// --- import -----------------------------------------------------------------------------------

export interface ImportDatabaseOptions {
  /** libpq URL of a maintenance database (e.g. /postgres) as a role that may create databases (csv mode: a superuser). */
  adminUrl: string;
  /** The database to create: must not exist, unless an earlier import created it (then it is replaced). */
  domain: string;
  /** The exported `data/<domain>` directory. */
  dir: string;
  /** Owner of the new database and of every object loaded in it. @default the admin role */
  owner?: string;
  mode: 'csv' | 'native';
  /** Bytes read from the CSVs as they stream. */
  onBytes?: (n: number) => void;
  log?: (line: string) => void;
  /** @default DEFAULT_PG_BIN */
  pgBin?: string;
}

export interface ImportDatabaseResult {
  /** Every user table of the new database, fingerprinted in one snapshot after the load. */
  tables: Record<string, TableFingerprint>;
}

const DB_NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

/** The descriptions of an exported domain directory, sorted by table; one-line error on a bad one. */
export async function readTableDescriptions(dir: string): Promise<TableDescription[]> {
  const out: TableDescription[] = [];
  const names = (await readdir(dir)).filter((n) => n.endsWith(DESCRIPTION_SUFFIX) && !n.startsWith('.')).sort(comparePaths);
  for (const name of names) {
    const path = join(dir, name);
    let d: TableDescription;
    try {
      d = JSON.parse(await readFile(path, 'utf8')) as TableDescription;
    } catch (e) {
      throw new DataError(`${path}: not JSON (${(e as Error).message.split('\n')[0]}); restore the file from the export`);
    }
    const problem =
      typeof d.table !== 'string' || !d.table.includes('.')
        ? '/table: not a `schema.table` name'
        : `${tableFileBase(d.table)}${DESCRIPTION_SUFFIX}` !== name
          ? `/table: ${d.table} does not match the file name`
          : typeof d.csv !== 'string' || basename(d.csv) !== `${tableFileBase(d.table)}${CSV_SUFFIX}`
            ? `/csv: expected …/${tableFileBase(d.table)}${CSV_SUFFIX}`
            : !Array.isArray(d.columns) || d.columns.some((c) => typeof c?.name !== 'string')
              ? '/columns: expected an array of { name, type, … }'
              : undefined;
    if (problem) throw new DataError(`${path}: ${problem}; restore the file from the export`);
    out.push(d);
  }
  return out;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
}

async function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string[] }> {
  const stderr: string[] = [];
  const p = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  return { code: await collect(p, stderr), stderr };
}

/** `COPY t, line 3, column born: "…"` → ` line 3 (column born)`, without the value (it may be personal data). */
function copyLocation(e: unknown): { line?: string; column?: string } {
  const where = (e as { where?: string }).where ?? '';
  const m = /\bline (\d+)(?:, column ([^:]+))?/.exec(where);
  return m ? { line: m[1], ...(m[2] ? { column: m[2] } : {}) } : {};
}

/** The server's message, a data exception's quoted value replaced by "…" (a value may be personal data). */
function withoutValues(e: unknown): string {
  const msg = (e as Error).message.split('\n')[0] ?? '';
  return String((e as { code?: string }).code ?? '').startsWith('22') ? msg.replace(/"(?:[^"]|"")*"/g, '"…"') : msg;
}

/**
 * One line for a failed `COPY … FROM` of `file`: `file:line: message (column c)`, the server's
 * message without the offending value (it may be personal data).
 */
export function copyFailure(file: string, e: unknown): string {
  const at = copyLocation(e);
  return `${file}${at.line ? `:${at.line}` : ''}: ${withoutValues(e)}${at.column ? ` (column ${at.column})` : ''}`;
}

async function loadCsv(c: pg.Client, o: ImportDatabaseOptions, descs: TableDescription[], headerMatch: boolean): Promise<void> {
  await c.query('BEGIN');
  // No foreign-key or user trigger fires during the load (any order works; no trigger adds rows).
  await c.query('SET LOCAL session_replication_role = replica');
  for (const s of FINGERPRINT_SETTINGS) await c.query(s);
  for (const d of descs) {
    const file = join(o.dir, `${tableFileBase(d.table)}${CSV_SUFFIX}`);
    const stream = c.query(copyFrom(copyInStatement(d, headerMatch ? 'MATCH' : 'true')));
    try {
      await pipeline(createReadStream(file), counter(o.onBytes, { bytes: 0 }), stream);
    } catch (e) {
      throw new DataError(`${copyFailure(file, e)}; the CSV does not fit the table ${d.table} of schema.sql: check the export (sha256sum -c SHA256SUMS)`);
    }
    o.log?.(`${o.domain}: ${d.table} ${stream.rowCount} rows`);
  }
  // Sequence values (sequences.csv), through a temporary table: the server parses the CSV.
  const seqFile = join(o.dir, SEQUENCES_FILE);
  if (
    await stat(seqFile).then(
      () => true,
      () => false,
    )
  ) {
    await c.query('CREATE TEMP TABLE hds_import_sequences (schema text, sequence text, last_value bigint, is_called boolean) ON COMMIT DROP');
    try {
      await pipeline(
        createReadStream(seqFile),
        c.query(copyFrom(`COPY hds_import_sequences FROM STDIN WITH (FORMAT csv, HEADER ${headerMatch ? 'MATCH' : 'true'})`)),
      );
      await c.query("SELECT setval(format('%I.%I', schema, sequence)::regclass, last_value, is_called) FROM hds_import_sequences");
    } catch (e) {
      const at = copyLocation(e);
      throw new DataError(`${seqFile}${at.line ? `:${at.line}` : ''}: ${withoutValues(e)}; check the export (sha256sum -c SHA256SUMS)`);
    }
  }
  // Every foreign key dropped and added again: adding it checks every loaded row.
  const fks = await c.query<{ schema: string; tab: string; name: string; def: string }>(
    `SELECT n.nspname AS schema, t.relname AS tab, k.conname AS name, pg_get_constraintdef(k.oid) AS def
       FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE k.contype = 'f' AND k.conparentid = 0 AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      ORDER BY 1, 2, 3`,
  );
  for (const k of fks.rows) {
    const t = `${quoteIdent(k.schema)}.${quoteIdent(k.tab)}`;
    try {
      await c.query(`ALTER TABLE ${t} DROP CONSTRAINT ${quoteIdent(k.name)}, ADD CONSTRAINT ${quoteIdent(k.name)} ${k.def}`);
    } catch (e) {
      throw new DataError(
        `${join(o.dir, `${tableFileBase(`${k.schema}.${k.tab}`)}${CSV_SUFFIX}`)}: foreign key ${k.name} of ${k.schema}.${k.tab} does not hold (${withoutValues(e)}); the export is inconsistent: export again`,
      );
    }
  }
  await c.query('COMMIT');
}

/** Gives `owner` the schemas, relations, routines and types of the database (extension members left alone). */
async function reassign(c: pg.Client, owner: string): Promise<void> {
  const own = quoteIdent(owner);
  const r = await c.query<{ stmt: string }>(
    `WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%'),
          ext AS (SELECT objid FROM pg_depend WHERE deptype = 'e')
     SELECT format('ALTER SCHEMA %I OWNER TO ${own.replace(/%/g, '%%')}', nspname) AS stmt FROM ns WHERE oid NOT IN (SELECT objid FROM ext)
     UNION ALL
     SELECT format('ALTER TABLE %I.%I OWNER TO ${own.replace(/%/g, '%%')}', n.nspname, c.relname)
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        AND c.oid NOT IN (SELECT objid FROM ext)
        AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
     UNION ALL
     SELECT format('ALTER ROUTINE %s OWNER TO ${own.replace(/%/g, '%%')}', p.oid::regprocedure)
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND p.oid NOT IN (SELECT objid FROM ext)
     UNION ALL
     SELECT format('ALTER TYPE %I.%I OWNER TO ${own.replace(/%/g, '%%')}', n.nspname, t.typname)
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_class c ON c.oid = t.typrelid
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND t.oid NOT IN (SELECT objid FROM ext)
        AND (t.typtype IN ('d', 'e', 'r') OR (t.typtype = 'c' AND c.relkind = 'c'))`,
  );
  for (const { stmt } of r.rows) await c.query(stmt);
}

/**
 * Creates database `domain` and loads it from an exported `data/<domain>` directory, in open
 * formats (csv) or from the native dump; then reads every table back (readBack). On any failure the
 * database it created is dropped: nothing half-loaded stays.
 */
export async function importDatabase(o: ImportDatabaseOptions): Promise<ImportDatabaseResult> {
  const pgBin = o.pgBin ?? DEFAULT_PG_BIN;
  if (!DB_NAME_RE.test(o.domain))
    throw new DataError(
      `--domain ${JSON.stringify(o.domain)}: not a database name this import creates; use letters, digits, _ and - (at most 63, not starting with a digit)`,
    );
  if (o.owner !== undefined && !/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/.test(o.owner))
    throw new DataError(`--owner ${JSON.stringify(o.owner)}: not a role name; use letters, digits, _ and -`);
  // Every input is read before anything is created.
  const needed = o.mode === 'native' ? [DUMP_FILE] : [SCHEMA_FILE];
  for (const f of needed) {
    if (!(await stat(join(o.dir, f)).catch(() => undefined))?.isFile())
      throw new DataError(`${join(o.dir, f)}: missing; an import needs the exported ${o.mode === 'native' ? 'native dump' : 'DDL'}`);
  }
  // Both modes read the descriptions: the copy's tables are read back as the export wrote them.
  const descs = await readTableDescriptions(o.dir);
  if (o.mode === 'csv')
    for (const d of descs) {
      const csv = join(o.dir, `${tableFileBase(d.table)}${CSV_SUFFIX}`);
      if (!(await stat(csv).catch(() => undefined))?.isFile())
        throw new DataError(`${csv}: missing, but ${tableFileBase(d.table)}${DESCRIPTION_SUFFIX} describes it; restore it from the export`);
    }

  const admin = new pg.Client({ connectionString: o.adminUrl, application_name: 'hdsctl-reversibility-import' });
  await admin.connect();
  const db = quoteIdent(o.domain);
  let created = false;
  try {
    const ex = await admin.query<{ comment: string | null }>("SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1", [
      o.domain,
    ]);
    if (ex.rowCount) {
      if (!(ex.rows[0]!.comment ?? '').startsWith(IMPORT_MARKER))
        throw new DataError(
          `database ${o.domain} already exists on ${shown(o.adminUrl)} and no import created it: import under another name, or drop it yourself`,
        );
      o.log?.(`${o.domain}: replacing the database an earlier import created`);
      await admin.query(`DROP DATABASE ${db} WITH (FORCE)`);
    }
    const sv = Number((await admin.query<{ n: string }>("SELECT current_setting('server_version_num') AS n")).rows[0]!.n);
    await admin.query(`CREATE DATABASE ${db} TEMPLATE template0 ENCODING 'UTF8'${o.owner ? ` OWNER ${quoteIdent(o.owner)}` : ''}`);
    created = true;
    await admin.query(`COMMENT ON DATABASE ${db} IS ${quoteLiteral(`${IMPORT_MARKER} (${o.mode}) of ${o.dir}`)}`);

    const url = withDatabase(o.adminUrl, o.domain);
    const target = programTarget(url, 'hdsctl-reversibility-import');
    if (o.mode === 'native') {
      const r = await run(
        join(pgBin, 'pg_restore'),
        ['--no-password', '--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '-d', target.url, join(o.dir, DUMP_FILE)],
        target.env,
      );
      if (r.code !== 0) throw new DataError(`${join(o.dir, DUMP_FILE)}: pg_restore into ${o.domain} exited ${r.code}: ${lastLines(r.stderr)}`);
    } else {
      const r = await run(
        join(pgBin, 'psql'),
        ['-X', '-q', '--no-password', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', join(o.dir, SCHEMA_FILE), '-d', target.url],
        target.env,
      );
      if (r.code !== 0)
        throw new DataError(
          `${lastLines(r.stderr) || join(o.dir, SCHEMA_FILE)} (psql exit ${r.code}); the DDL does not apply: check the export and the PostgreSQL version`,
        );
    }
    const c = await session(url, 'hdsctl-reversibility-import');
    try {
      if (o.mode === 'csv') await loadCsv(c, o, descs, sv >= 150000);
      if (o.owner) await reassign(c, o.owner);
      await c.query('ANALYZE');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      await c.end().catch(() => undefined);
    }
    return { tables: await readBack(url, descs) };
  } catch (e) {
    if (created) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
    throw e;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/**
 * Every user table of a copy, fingerprinted in one REPEATABLE READ snapshot as the export
 * fingerprinted it: a described table with its description's statement (copyOutStatement), any
 * other table described from the copy itself (compareTables names it "not in the export").
 */
async function readBack(url: string, descs: readonly TableDescription[]): Promise<Record<string, TableFingerprint>> {
  const c = await session(url, 'hdsctl-reversibility-import-verify');
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const byTable = new Map(descs.map((d) => [d.table, d]));
    const plans: Array<Pick<TableDescription, 'table' | 'columns' | 'primaryKey'>> = [];
    for (const t of await userTables(c)) plans.push(byTable.get(t) ?? (await describeTable(c, t)));
    const tables = await contentFingerprints(c, plans);
    await c.query('COMMIT');
    return tables;
  } finally {
    await c.end().catch(() => undefined);
  }
}

// --- comparison -------------------------------------------------------------------------------

/**
 * The differences between the export's fingerprints and a copy's, one line each naming the table
 * and both values; empty when every table has the same rows and hash.
 */
export function compareTables(expected: Readonly<Record<string, TableFingerprint>>, actual: Readonly<Record<string, TableFingerprint>>): string[] {
  return compareTableFingerprints(expected, actual).map((d) => {
    const e = d.source;
    const a = d.restored;
    switch (d.kind) {
      case 'missing':
        return `${d.table}: missing from the copy (export: ${e!.rows} rows, hash ${e!.hash})`;
      case 'unexpected':
        return `${d.table}: not in the export (copy: ${a!.rows} rows, hash ${a!.hash})`;
      case 'rows':
        return `${d.table}: rows differ (export ${e!.rows}, copy ${a!.rows})`;
      case 'content':
        return `${d.table}: content hash differs (export ${e!.hash}, copy ${a!.hash}; ${e!.rows} rows each)`;
      default: {
        const never: never = d.kind;
        return never;
      }
    }
  });
}
