/**
 * The rebuild kit of a reversibility export (EXG_REV_19: "kit de reconstruction", binaries and
 * configuration; EXG_REV_1: the taker — the "repreneur" — takes the service over from the export
 * alone). docs/reversibility.md.
 *
 *   kit/hds-platform.bundle   `git bundle` of the toolkit at the export's commit (complete history,
 *                             one branch `hds-platform` and HEAD; byte-identical for the same commit)
 *   kit/COMMIT                that commit (40 or 64 hex digits and a newline)
 *   kit/package-lock.json     the lockfile at that commit (`npm ci` rebuilds the same dependencies)
 *   kit/debian-packages.txt   the Debian packages the rebuild needs, one per line, with the version
 *                             installed where the export was made when dpkg-query knows it
 *   kit/node-version.txt      the Node.js version that made the export (the toolkit needs >= 20)
 *   bootstrap.sh              what the taker runs (modules/reversibility/bootstrap.sh, mode 0755)
 *   README.md                 what the export holds and how to check it with stock tools
 *
 * The bundle is made from a commit, never from a work tree: a checkout with uncommitted changes
 * to tracked files is refused unless `allowDirty`, and then the result and the README say that
 * the bundle is the commit, not the tree. Nothing is written in the repository: the bundle is
 * cut from a throw-away bare repository that borrows the repository's objects (alternates).
 * Every file is written atomically (temp file + rename).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LAB_PACKAGES } from '../lab/packages.ts';
import { writeFileAtomic } from '../runtime/fsutil.ts';

const run = promisify(execFile);

/** Errors of this module: one line, what and how to fix it. */
export class KitError extends Error {
  override name = 'KitError';
}

export const KIT_DIR = 'kit';
export const BUNDLE_FILE = 'kit/hds-platform.bundle';
/** The branch the bundle holds (a `git clone` of the bundle checks it out). */
export const BUNDLE_BRANCH = 'hds-platform';

/**
 * What bootstrap.sh itself needs on a fresh Debian besides the lab's packages: git (clone the
 * bundle), OpenSSL (verify), and a compiler toolchain and Python for node-gyp (graphene-pk11's
 * pkcs11js is a native addon built at `npm ci`).
 */
export const BOOTSTRAP_PACKAGES: readonly string[] = ['git', 'openssl', 'ca-certificates', 'make', 'g++', 'python3'];

/** The default bootstrap script: the one next to this module. */
export const BOOTSTRAP_SOURCE = fileURLToPath(new URL('./bootstrap.sh', import.meta.url));

export interface KitOptions {
  /** The toolkit's git repository (a work tree or a bare repository). */
  repoDir: string;
  /** The export's root: `kit/`, `bootstrap.sh` and `README.md` are written there. */
  outDir: string;
  /**
   * The commit to bundle (any revision git resolves to a commit).
   * @default 'HEAD'
   */
  commit?: string;
  /**
   * Bundle HEAD even when tracked files have uncommitted changes (the bundle is then HEAD, not
   * the tree, and the result and the README say so). Untracked files never matter.
   * @default false
   */
  allowDirty?: boolean;
  /**
   * Debian packages to list in kit/debian-packages.txt.
   * @default [...BOOTSTRAP_PACKAGES, ...LAB_PACKAGES] (duplicates removed)
   */
  packages?: readonly string[];
  /** @default BOOTSTRAP_SOURCE */
  bootstrapPath?: string;
}

export interface KitPackage {
  name: string;
  /** Version installed on this machine, null when dpkg-query does not report it installed. */
  version: string | null;
}

export interface KitResult {
  commit: string;
  /** True when the bundle is HEAD of a work tree whose tracked files had uncommitted changes. */
  dirty: boolean;
  /** Set when `dirty`: one sentence saying the bundle is the commit, not the tree. */
  note?: string;
  /** Files written, relative to outDir, sorted. */
  files: string[];
  packages: KitPackage[];
  nodeVersion: string;
  bundleBytes: number;
}

/** Runs git; on failure throws a KitError `<what> (git's last line of error)`. */
async function git(cwd: string, args: string[], what: string): Promise<string> {
  try {
    const r = await run('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 });
    return r.stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new KitError('git is not installed; install it (apt-get install git) to build the rebuild kit');
    const detail = String(err.stderr ?? '')
      .trim()
      .split('\n')
      .pop();
    throw new KitError(detail ? `${what} (git: ${detail})` : what);
  }
}

/** Regular-file check that names the path. */
async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/** Package name → installed version, for the packages dpkg-query reports installed (empty without dpkg). */
export async function installedVersions(packages: readonly string[]): Promise<Map<string, string>> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a JS template
  const format = '${Package}\\t${Version}\\t${db:Status-Status}\\n';
  const out = await run('dpkg-query', ['-W', '-f', format, ...packages], { encoding: 'utf8', timeout: 60_000 }).then(
    (r) => r.stdout,
    // dpkg-query exits 1 when some package is unknown and still prints the others; absent: no versions.
    (e: { stdout?: string }) => String(e.stdout ?? ''),
  );
  const versions = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [name, version, status] = line.split('\t');
    if (name && version && status === 'installed') versions.set(name, version);
  }
  return versions;
}

/** The text of kit/debian-packages.txt: comments, then `<package>[ <version>]` per line, in the given order. */
export function debianPackagesText(packages: readonly KitPackage[]): string {
  const lines = [
    '# Debian packages the rebuild needs (bootstrap.sh installs the missing ones with apt-get).',
    '# One per line: <package> [<version installed where the export was made>]; the version is',
    "# informative: bootstrap.sh installs what the taker's Debian release provides.",
  ];
  for (const p of packages) {
    if (!/^[a-z0-9][a-z0-9+.-]+$/.test(p.name)) throw new KitError(`debian package name ${JSON.stringify(p.name)} is not a Debian package name; fix the list`);
    lines.push(p.version ? `${p.name} ${p.version}` : p.name);
  }
  return `${lines.join('\n')}\n`;
}

/** What the README says about the export's contents, read from the export directory. */
export interface ReadmeFacts {
  commit: string;
  dirty: boolean;
  /** Top-level sections present in the export (data, documents, platform, inventory, kit). */
  sections: readonly string[];
  /** Domains found under data/. */
  domains: readonly string[];
}

const SECTION_TEXT: Record<string, string> = {
  data: [
    '- `data/` — every business database, per domain (`data/<domain>/`):',
    '  - `schema.sql`: the SQL DDL (`pg_dump --schema-only`);',
    '  - `<schema>.<table>.csv`: the rows, RFC 4180, UTF-8, a header line, LF line ends; an unquoted',
    '    empty field is NULL, a quoted empty field (`""`) is the empty string; values as PostgreSQL',
    '    prints them (timestamps ISO 8601 in UTC, `bytea` as `\\x` hex);',
    '  - `<schema>.<table>.columns.json`: the columns (name, type, nullable, position, default), the',
    '    primary key, the row count and the content hash (the SHA-256 of the CSV file: a copy whose',
    '    table, read back the same way, gives the same hash holds the same rows);',
    '  - `dump.pgcustom`: a native dump (`pg_dump -Fc`) for a fast `pg_restore`.',
  ].join('\n'),
  documents: [
    "- `documents/` — each document's content as CMS EnvelopedData (DER), encrypted for the taker's",
    '  certificate: `documents/<domain>/<id>.cms`, and the encrypted index `documents/index.json.cms`',
    '  (domain, id, size and SHA-256 of each clear content). Never in clear on disk.',
  ].join('\n'),
  platform: [
    '- `platform/` — the environment files, the rendered configuration of every guest, the synthesized',
    '  Terraform JSON, the workloads manifests, the policies and waivers, the last policy, drill and',
    '  restore-test reports (PV, "procès-verbal": the signed-off report).',
  ].join('\n'),
  inventory: [
    '- `inventory/` — the CMDB (`cmdb.json`, `cmdb.csv`: sites, clusters, guests, services, versions,',
    '  addresses), the flow matrix (`flows.csv`), the HSM key cartography (`hsm-keys.json`: ids, labels,',
    '  domains, mechanisms, creation dates — metadata only, no key material) and the backup plan',
    '  (`backup-plan.json`: objects, schedules, retention).',
  ].join('\n'),
  kit: [
    '- `kit/` — the rebuild kit: `hds-platform.bundle` (a `git bundle` of the toolkit, complete history),',
    '  `COMMIT` (the commit to check out), `package-lock.json` (its npm dependencies, exact versions),',
    '  `debian-packages.txt` (the Debian packages the rebuild installs) and `node-version.txt` (the',
    '  Node.js that made the export; the toolkit needs Node.js 20 or newer).',
  ].join('\n'),
};

export const README_SECTIONS = ['data', 'documents', 'platform', 'inventory', 'kit'] as const;

/** The export's README.md (pure). */
export function kitReadme(f: ReadmeFacts): string {
  const has = new Set(f.sections);
  const sections = README_SECTIONS.map((s) =>
    has.has(s) ? SECTION_TEXT[s] : `- \`${s}/\` — absent from this export (see \`notIncluded\` in \`manifest.json\`).`,
  );
  const dirty = f.dirty
    ? ['', `> The toolkit was exported from a work tree with uncommitted changes: the bundle holds commit`, `> \`${f.commit}\`, not those changes.`]
    : [];
  return [
    '# hds-platform — reversibility export',
    '',
    'This directory is a reversibility export ("réversibilité": handing the service over to another',
    'operator at the end of the contract) of the hds-platform health-data platform, made for its taker',
    '(the "repreneur": the operator who takes the service over). It holds what the taker needs to run',
    'the service without us (EXG_REV_1, EXG_REV_14, EXG_REV_19): the data in open formats (CAIH-3-1),',
    "the documents encrypted for the taker, the platform's configuration, the inventories, and the",
    `toolkit's source at commit \`${f.commit}\` with \`bootstrap.sh\`, which rebuilds the platform from`,
    'this directory alone.',
    ...dirty,
    '',
    '## What it holds',
    '',
    '- `README.md` — this file. `bootstrap.sh` — the rebuild (below).',
    '- `manifest.json` — what was exported: environment, snapshot time, toolkit commit, per table its',
    "  row count and content hash, the documents' count and recipient, the signing key, and",
    '  `notIncluded`: what this export does not hold, and why (secrets are never exported).',
    '- `SHA256SUMS` — every file but itself and its signature, with its SHA-256 (`sha256sum` format).',
    '- `SHA256SUMS.sig` — the signature of `SHA256SUMS` (ECDSA P-256, SHA-256, DER) by a key that never',
    "  left the exporter's HSM; `signing-cert.pem` — that key's certificate.",
    ...sections,
    ...(f.domains.length > 0 ? ['', `Databases (domains) in \`data/\`: ${f.domains.map((d) => `\`${d}\``).join(', ')}.`] : []),
    '',
    '## Verify it with stock tools (OpenSSL, GNU coreutils)',
    '',
    '1. The signing certificate is the one the exporter announced: compare its fingerprint with the one',
    '   given with the hand-over, through another channel (letter, phone):',
    '',
    '   ```sh',
    '   openssl x509 -in signing-cert.pem -noout -fingerprint -sha256',
    '   ```',
    '',
    '2. `SHA256SUMS` is what the exporter signed ("Verified OK"):',
    '',
    '   ```sh',
    '   openssl x509 -in signing-cert.pem -pubkey -noout > pub.pem',
    '   openssl dgst -sha256 -verify pub.pem -signature SHA256SUMS.sig SHA256SUMS',
    '   ```',
    '',
    '3. Every file is the one listed, and nothing else is there (both commands print nothing more than',
    '   the checks; the second one lists files that are not in the signed list):',
    '',
    '   ```sh',
    '   sha256sum --strict --quiet -c SHA256SUMS',
    "   find . -type f ! -name SHA256SUMS ! -name SHA256SUMS.sig -printf '%P\\n' | LC_ALL=C sort \\",
    '     | LC_ALL=C comm -23 - <(cut -c67- SHA256SUMS | LC_ALL=C sort)',
    '   ```',
    '',
    '`./bootstrap.sh --verify-only` runs these three checks (with `--trusted-ca CA.pem`, it also checks',
    'that the signing certificate was issued by that authority) and stops.',
    '',
    '## Decrypt a document',
    '',
    "With the taker's private key (`key.pem`) and the certificate the export was made for (`cert.pem`):",
    '',
    '```sh',
    'openssl cms -decrypt -inform DER -inkey key.pem -recip cert.pem -in documents/<domain>/<id>.cms -out <id>',
    'openssl cms -decrypt -inform DER -inkey key.pem -recip cert.pem -in documents/index.json.cms -out index.json',
    "sha256sum <id>    # equals the document's sha256 in index.json",
    '```',
    '',
    '## Load the data without the toolkit',
    '',
    '```sh',
    'pg_restore --no-owner --dbname <database> data/<domain>/dump.pgcustom',
    '# or, from the open formats:',
    'psql --dbname <database> -f data/<domain>/schema.sql',
    'psql --dbname <database> -c "\\copy <schema>.<table> from \'data/<domain>/<schema>.<table>.csv\' with (format csv, header)"',
    '```',
    '',
    '## Rebuild the platform: bootstrap.sh',
    '',
    'On a fresh Debian machine, as root (the rebuilt platform runs in its own network namespaces,',
    'which cannot collide with a running one), with Node.js 20 or newer and network access to the',
    'Debian and npm registries:',
    '',
    '```sh',
    'sudo ./bootstrap.sh --recipient-key key.pem --recipient-cert cert.pem [--trusted-ca ca.pem]',
    '```',
    '',
    '| option | meaning |',
    '| --- | --- |',
    '| `--export DIR` | the export (default: the directory `bootstrap.sh` is in) |',
    '| `--work DIR` | where the toolkit and the rebuilt platform go (default: `hds-takeover` next to the export); refused inside the export, and refused when it exists, is not empty and was not made by `bootstrap.sh` |',
    "| `--recipient-key KEY --recipient-cert CERT` | the taker's key pair: the documents are decrypted and re-imported under the taker's own HSM keys; without them the documents are not re-imported and the report says so |",
    '| `--trusted-ca CA.pem` | the authority that must have issued `signing-cert.pem` |',
    '| `--no-install` | install nothing: stop when a Debian package is missing |',
    '| `--keep` | leave the rebuilt platform running |',
    '| `--json` | the report as JSON on stdout |',
    '| `--verify-only` | stop after the verification (step 1); needs neither root nor network |',
    '',
    'Steps, each shown as `[n/6]` on stderr: (1) verify the signature and every file; (2) install the',
    'missing Debian packages (`kit/debian-packages.txt`); (3) rebuild the toolkit from the bundle at',
    '`kit/COMMIT` (`npm ci` from `kit/package-lock.json`); (4–6) `hdsctl reversibility import`: rebuild',
    "the platform from `platform/`, load the data and the documents, verify every table's row count and",
    "content hash and every document's hash against `manifest.json`, run the smoke checks, print the",
    'report. Exit code: 0 when the rebuilt platform matches the export, non-zero on any error or',
    'difference (1 error, 2 differences found).',
    '',
  ].join('\n');
}

/** Top-level section directories present in outDir, and the domains under data/. */
async function exportFacts(outDir: string): Promise<{ sections: string[]; domains: string[] }> {
  const dirs = async (p: string) =>
    (await readdir(p, { withFileTypes: true }).catch(() => []))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  const top = new Set(await dirs(outDir));
  return { sections: README_SECTIONS.filter((s) => top.has(s) || s === 'kit'), domains: (await dirs(join(outDir, 'data'))).filter((d) => !d.startsWith('.')) };
}

/**
 * Writes the rebuild kit, bootstrap.sh and README.md into `outDir` (the export's root).
 * Throws a KitError when the repository is not a git checkout, the commit is unknown, the
 * history is shallow, the lockfile is absent at the commit, or (without `allowDirty`) tracked
 * files have uncommitted changes — and then writes nothing.
 */
export async function writeKit(o: KitOptions): Promise<KitResult> {
  const repoDir = resolve(o.repoDir);
  const outDir = resolve(o.outDir);
  const rev = o.commit ?? 'HEAD';
  if (!(await stat(repoDir).catch(() => undefined))?.isDirectory()) throw new KitError(`${repoDir}: no such directory; give the toolkit's git checkout`);
  if ((await git(repoDir, ['rev-parse', '--is-inside-work-tree', '--is-bare-repository'], `${repoDir} is not a git repository`).catch(() => null)) === null) {
    throw new KitError(`${repoDir}: not a git repository; the rebuild kit is a git bundle of the toolkit: export from a git checkout`);
  }
  if ((await git(repoDir, ['rev-parse', '--is-shallow-repository'], repoDir)).trim() === 'true') {
    throw new KitError(`${repoDir}: a shallow clone cannot make a complete bundle; run git fetch --unshallow, then export again`);
  }
  const commit = (
    await git(
      repoDir,
      ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`],
      `${repoDir}: revision ${JSON.stringify(rev)} is not a commit; give a commit, a tag or a branch`,
    )
  ).trim();
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit))
    throw new KitError(`${repoDir}: revision ${JSON.stringify(rev)} resolved to ${JSON.stringify(commit)}, not a commit id`);
  const head = (await git(repoDir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], `${repoDir}: no HEAD commit`)).trim();
  let dirty = false;
  const isWorkTree = (await git(repoDir, ['rev-parse', '--is-inside-work-tree'], repoDir)).trim() === 'true';
  if (commit === head && isWorkTree) {
    const changed = (await git(repoDir, ['status', '--porcelain', '--untracked-files=no'], repoDir)).split('\n').filter(Boolean);
    if (changed.length > 0) {
      if (!o.allowDirty) {
        const first = changed[0]?.slice(3) ?? '';
        throw new KitError(
          `${repoDir}: ${changed.length} tracked file(s) have uncommitted changes (first: ${first}); the bundle would be HEAD, not this tree: commit them, or allow it explicitly (allowDirty)`,
        );
      }
      dirty = true;
    }
  }
  let lockfile: string;
  try {
    lockfile = (await run('git', ['cat-file', 'blob', `${commit}:package-lock.json`], { cwd: repoDir, encoding: 'utf8', maxBuffer: 256 << 20 })).stdout;
  } catch {
    throw new KitError(`${repoDir}: package-lock.json is not in commit ${commit}; commit the lockfile (npm install writes it), then export again`);
  }
  const bootstrapPath = o.bootstrapPath ?? BOOTSTRAP_SOURCE;
  if (!(await isFile(bootstrapPath))) throw new KitError(`${bootstrapPath}: the bootstrap script is missing; restore modules/reversibility/bootstrap.sh`);
  const bootstrap = await readFile(bootstrapPath);
  const names = [...new Set(o.packages ?? [...BOOTSTRAP_PACKAGES, ...LAB_PACKAGES])];
  const versions = await installedVersions(names);
  const packages = names.map((name) => ({ name, version: versions.get(name) ?? null }));
  const packagesText = debianPackagesText(packages);

  const kitDir = join(outDir, KIT_DIR);
  await mkdir(kitDir, { recursive: true, mode: 0o755 });
  const bundleBytes = await writeBundle(repoDir, commit, join(outDir, BUNDLE_FILE));
  await writeFileAtomic(join(kitDir, 'COMMIT'), `${commit}\n`);
  await writeFileAtomic(join(kitDir, 'package-lock.json'), lockfile);
  await writeFileAtomic(join(kitDir, 'debian-packages.txt'), packagesText);
  await writeFileAtomic(join(kitDir, 'node-version.txt'), `${process.version}\n`);
  await writeFileAtomic(join(outDir, 'bootstrap.sh'), bootstrap, { mode: 0o755 });
  const facts = await exportFacts(outDir);
  await writeFileAtomic(join(outDir, 'README.md'), kitReadme({ commit, dirty, ...facts }));
  const result: KitResult = {
    commit,
    dirty,
    files: ['README.md', 'bootstrap.sh', BUNDLE_FILE, 'kit/COMMIT', 'kit/debian-packages.txt', 'kit/node-version.txt', 'kit/package-lock.json'],
    packages,
    nodeVersion: process.version,
    bundleBytes,
  };
  if (dirty) result.note = `the bundle is commit ${commit} (HEAD), not the work tree: its uncommitted changes to tracked files are not in the export`;
  return result;
}

/**
 * `git bundle create` of `commit` as branch `hds-platform` (and HEAD), cut from a throw-away bare
 * repository borrowing the repository's objects, written to a temp name then renamed.
 * Single-threaded packing: the same commit gives the same bytes. Returns the bundle's size.
 */
async function writeBundle(repoDir: string, commit: string, path: string): Promise<number> {
  const objects = resolve(repoDir, (await git(repoDir, ['rev-parse', '--git-path', 'objects'], repoDir)).trim());
  const scratch = await mkdtemp(join(tmpdir(), 'hds-kit-'));
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const bare = join(scratch, 'bundle.git');
    await git(scratch, ['init', '--quiet', '--bare', bare], 'scratch repository');
    await writeFile(join(bare, 'objects', 'info', 'alternates'), `${objects}\n`);
    await git(bare, ['update-ref', `refs/heads/${BUNDLE_BRANCH}`, commit], `commit ${commit}`);
    await git(bare, ['symbolic-ref', 'HEAD', `refs/heads/${BUNDLE_BRANCH}`], 'scratch repository');
    await git(bare, ['-c', 'pack.threads=1', 'bundle', 'create', '--quiet', tmp, 'HEAD', `refs/heads/${BUNDLE_BRANCH}`], `bundle of ${commit}`);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    return (await stat(path)).size;
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
