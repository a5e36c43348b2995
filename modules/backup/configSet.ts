/**
 * The configuration and key-metadata backup set (issue 14; EXG_PRA_2: periodic backups of systems,
 * configurations and data): what it takes to rebuild an environment's configuration besides its
 * data — the environments directory, every rendered file of every guest, the policies' waivers and
 * the HSM key cartography — as one sorted list of files. Pure: no I/O, no clock (write.ts writes
 * the archive and its manifest; collect.ts reads the inputs).
 *
 * | path in the set | what |
 * | --- | --- |
 * | `environments/<file>` | every *.yaml of the environments directory and of its platforms/, catalogs/ and schema/ (the schemas: *.json) |
 * | `rendered/<guest>/<absolute path>` | `guestFiles` of every guest under the PRODUCTION profile: production's paths, secrets as `@@secret:…@@` placeholders |
 * | `policies/waivers.yaml` | the waivers file, when there is one |
 * | `keys/hsm-keys.json` | the HSM keys' metadata (label, CKA_ID, domain, type, mechanism, extractable, sensitive…), or why there is none: never key material |
 *
 * The guard (findSecrets, run by configSetEntries and again by writeConfigSet) refuses a set that
 * holds a secret: the value of a known secret (the lab's generated secrets when run against the
 * lab), a PEM private key, or a pgBackRest passphrase or S3 key with a real value (the
 * `@@secret:<path>#<field>@@` placeholder alone is accepted).
 */
import type { Topology } from '../model/topology.ts';
import type { KeyMetadata } from '../runtime/hsm/keystore.ts';
import { guestFiles } from '../services/fromTopology/index.ts';
import { PRODUCTION } from '../services/fromTopology/profile.ts';
import { SECRET_PLACEHOLDER } from '../services/secrets.ts';

/** A file of the set: relative POSIX path, text, POSIX mode. */
export interface ConfigSetEntry {
  path: string;
  content: string;
  mode: number;
}

/** A file read from disk, its path relative to where it was read (POSIX separators). */
export interface SourceFile {
  path: string;
  content: string;
}

/** Where the HSM key metadata came from, or why there is none (a set never omits it silently). */
export type HsmKeySource =
  | {
      status: 'read';
      /** Token label, e.g. `hds-lab`. */
      token: string;
      /** The site whose token was read, e.g. `DC1`. */
      site: string;
      keys: readonly KeyMetadata[];
    }
  | { status: 'unavailable'; reason: string };

/** A secret whose value must not appear in the set: its name (for the message) and its value (never printed). */
export interface KnownSecret {
  name: string;
  value: string;
}

export interface ConfigSetInput {
  topology: Topology;
  /** The environments directory's files (environmentTreeFilter selects them), paths relative to it. */
  environmentFiles: readonly SourceFile[];
  /** The policies' waivers file, when there is one (path: its name, e.g. `waivers.yaml`). */
  waivers?: SourceFile | undefined;
  hsm: HsmKeySource;
  /**
   * Values the set must not hold (the lab's secrets directory when run against the lab).
   * @default none
   */
  knownSecrets?: readonly KnownSecret[];
}

/** A set refused or malformed: one line naming the file (and line) and how to fix it. */
export class ConfigSetError extends Error {
  override name = 'ConfigSetError';
}

export const KEYS_PATH = 'keys/hsm-keys.json';
export const WAIVERS_PATH = 'policies/waivers.yaml';

/** The subdirectories of the environments directory that go into the set, with the files taken from each. */
export const ENVIRONMENT_TREE: ReadonlyArray<{ dir: string; files: RegExp }> = [
  { dir: '', files: /\.ya?ml$/ },
  { dir: 'platforms', files: /\.ya?ml$/ },
  { dir: 'catalogs', files: /\.ya?ml$/ },
  { dir: 'schema', files: /\.(ya?ml|json)$/ },
];

/** Whether `relPath` (relative to the environments directory) belongs in the set. */
export function environmentTreeFilter(relPath: string): boolean {
  const slash = relPath.lastIndexOf('/');
  const dir = slash < 0 ? '' : relPath.slice(0, slash);
  const name = relPath.slice(slash + 1);
  return ENVIRONMENT_TREE.some((t) => t.dir === dir && t.files.test(name));
}

const SEGMENT_RE = /^[A-Za-z0-9@%+=:,._-]+$/;

/** A relative path with plain segments (no `.`/`..`, no empty segment, no leading slash). */
export function checkEntryPath(path: string): void {
  const segments = path.split('/');
  if (path === '' || segments.some((s) => s === '' || s === '.' || s === '..' || !SEGMENT_RE.test(s)))
    throw new ConfigSetError(
      `config set: entry path ${JSON.stringify(path)} is not a plain relative path (segments of letters, digits and @%+=:,._- only, no . or ..)`,
    );
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Sorted by path (code-unit order, locale-independent); refuses unsafe paths, duplicates and a file that is also a directory. */
export function normaliseEntries(entries: readonly ConfigSetEntry[]): ConfigSetEntry[] {
  const sorted = [...entries].sort(byPath);
  for (const e of sorted) {
    checkEntryPath(e.path);
    if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o777) throw new ConfigSetError(`config set: ${e.path} has mode ${e.mode}, expected 0 to 0777`);
  }
  const paths = new Set(sorted.map((e) => e.path));
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!.path;
    if (i > 0 && sorted[i - 1]!.path === p) throw new ConfigSetError(`config set: ${p} appears twice`);
    for (let k = p.indexOf('/'); k > 0; k = p.indexOf('/', k + 1))
      if (paths.has(p.slice(0, k))) throw new ConfigSetError(`config set: ${p.slice(0, k)} is both a file and the directory of ${p}`);
  }
  return sorted;
}

/** One key of the set's `keys/hsm-keys.json`: metadata only. */
export interface HsmKeyRecord {
  label: string;
  /** The business domain the key serves (the store labels each key with its domain). */
  domain: string;
  /** CKA_ID, hex. */
  id: string;
  keyType: string;
  bits: number;
  mechanism: string;
  extractable: boolean;
  sensitive: boolean;
  neverExtractable: boolean;
  alwaysSensitive: boolean;
  /** Generated inside the token (CKA_LOCAL). */
  local: boolean;
  usage: { wrap: boolean; unwrap: boolean; encrypt: boolean };
  /** The key's creation time; null: the token does not record one (CKA_START_DATE is not set at generation). */
  createdAt: string | null;
}

/** The content of `keys/hsm-keys.json` (sorted keys, two-space JSON, final newline). */
export function renderHsmKeys(hsm: HsmKeySource): string {
  const doc =
    hsm.status === 'read'
      ? {
          format: 'hds-hsm-key-metadata/v1',
          status: 'read',
          token: hsm.token,
          site: hsm.site,
          note: 'metadata only: the keys never leave the HSM (CKA_SENSITIVE, not CKA_EXTRACTABLE); a new HSM gets new keys and the data keys are re-wrapped, or its cluster peer replicates them',
          keys: [...hsm.keys]
            .sort((a, b) => byPath({ path: `${a.label}\u0000${a.id}` }, { path: `${b.label}\u0000${b.id}` }))
            .map(
              (k): HsmKeyRecord => ({
                label: k.label,
                domain: k.label,
                id: k.id,
                keyType: k.type,
                bits: k.bits,
                mechanism: k.mechanism,
                extractable: k.extractable,
                sensitive: k.sensitive,
                neverExtractable: k.neverExtractable,
                alwaysSensitive: k.alwaysSensitive,
                local: k.local,
                usage: { wrap: k.canWrap, unwrap: k.canUnwrap, encrypt: k.canEncrypt },
                createdAt: null,
              }),
            ),
        }
      : { format: 'hds-hsm-key-metadata/v1', status: 'unavailable', reason: hsm.reason, keys: [] };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * The set's files for `input.topology`'s environment, sorted by path, after the guard: refused
 * (ConfigSetError, one line naming the file) when any file holds a secret.
 */
export function configSetEntries(input: ConfigSetInput): ConfigSetEntry[] {
  const t = input.topology;
  const entries: ConfigSetEntry[] = [];
  for (const f of input.environmentFiles) {
    if (!environmentTreeFilter(f.path))
      throw new ConfigSetError(`config set: ${f.path} is not a file of the environments tree (*.yaml, platforms/, catalogs/, schema/)`);
    entries.push({ path: `environments/${f.path}`, content: f.content, mode: 0o644 });
  }
  for (const g of [...t.guests].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    for (const f of guestFiles(t, g, PRODUCTION)) {
      if (!f.path.startsWith('/')) throw new ConfigSetError(`config set: ${g.name} has a rendered file with a relative path ${JSON.stringify(f.path)}`);
      entries.push({ path: `rendered/${g.name}${f.path}`, content: f.content, mode: f.mode ?? 0o644 });
    }
  if (input.waivers) entries.push({ path: WAIVERS_PATH, content: input.waivers.content, mode: 0o644 });
  entries.push({ path: KEYS_PATH, content: renderHsmKeys(input.hsm), mode: 0o644 });
  const sorted = normaliseEntries(entries);
  assertNoSecrets(sorted, input.knownSecrets ?? []);
  return sorted;
}

// ---------------------------------------------------------------------------------------------
// The guard

export interface SecretFinding {
  path: string;
  /** 1-based line of the first occurrence. */
  line: number;
  /** What was found, never the value. */
  what: string;
}

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/** pgBackRest's secret options as configuration lines (`repo1-cipher-pass=…`, `repo2-s3-key-secret=…`) or command-line options. */
const PGBACKREST_SECRET_LINE = /^\s*(?:--)?((?:repo\d+-)?(?:cipher-pass|s3-key|s3-key-secret|s3-token))\s*=\s*(.*?)\s*$/;
const PGBACKREST_SECRET_ENV = /\b(PGBACKREST_(?:REPO\d+_)?(?:CIPHER_PASS|S3_KEY|S3_KEY_SECRET|S3_TOKEN))=(\S*)/;
const ONE_PLACEHOLDER = new RegExp(`^${SECRET_PLACEHOLDER.source}$`);

/** A value that is a placeholder alone (or nothing) holds no secret. */
function isPlaceholderOrEmpty(v: string): boolean {
  const unquoted = v.replace(/^(["'])(.*)\1$/, '$2');
  return unquoted === '' || ONE_PLACEHOLDER.test(unquoted);
}

/** Every secret the entries hold, file by file (first occurrence of each kind per file); never the values. */
export function findSecrets(entries: readonly Pick<ConfigSetEntry, 'path' | 'content'>[], known: readonly KnownSecret[] = []): SecretFinding[] {
  const values = known.filter((k) => k.value.trim() !== '');
  const out: SecretFinding[] = [];
  for (const e of entries) {
    const lines = e.content.split('\n');
    const seen = new Set<string>();
    const add = (line: number, what: string) => {
      if (seen.has(what)) return;
      seen.add(what);
      out.push({ path: e.path, line, what });
    };
    lines.forEach((l, i) => {
      if (PEM_PRIVATE_KEY.test(l)) add(i + 1, 'a PEM private key');
      const opt = PGBACKREST_SECRET_LINE.exec(l);
      if (opt && !isPlaceholderOrEmpty(opt[2]!)) add(i + 1, `pgBackRest's ${opt[1]} with a value in clear`);
      const env = PGBACKREST_SECRET_ENV.exec(l);
      if (env && !isPlaceholderOrEmpty(env[2]!)) add(i + 1, `${env[1]} with a value in clear`);
    });
    for (const k of values) {
      const at = e.content.indexOf(k.value);
      if (at >= 0) add(e.content.slice(0, at).split('\n').length, `the value of secret ${JSON.stringify(k.name)}`);
    }
  }
  return out.sort((a, b) => byPath(a, b) || a.line - b.line);
}

/** Throws a ConfigSetError (one line: each file, line and what it holds) when the entries hold any secret. */
export function assertNoSecrets(entries: readonly Pick<ConfigSetEntry, 'path' | 'content'>[], known: readonly KnownSecret[] = []): void {
  const found = findSecrets(entries, known);
  if (found.length === 0) return;
  const list = found.map((f) => `${f.path}:${f.line} holds ${f.what}`).join('; ');
  throw new ConfigSetError(
    `config set refused: ${list}; a backup set carries no secret — put a @@secret:<path>#<field>@@ placeholder in its place (resolved at first boot)`,
  );
}
