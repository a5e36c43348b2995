/**
 * pgBackRest renderer (EXG_PRA_1/PRA_2: encrypted, off-site backups with retention).
 *
 * Topology: the repository lives on a host of the backup site (DC3) and is served by
 * `pgbackrest server` over TLS with client certificates; `tls-server-auth` maps each
 * client certificate CN to the stanzas it may use. Every PostgreSQL host also runs
 * `pgbackrest server`, so backups run FROM the repository host (pgN-host-type=tls) and a
 * compromised database host cannot delete the repository. The repository is encrypted
 * (`repo1-cipher-type=aes-256-cbc`, AES-256 at rest); the passphrase is an input and only
 * the repository host's file (mode 0600) holds it.
 *
 * The offline copy (EXG_PRA_2 "stored offline and off-site"; docs/backup.md), when given: a
 * second repository, repo2, with its own cipher passphrase and its own retention, on storage the
 * repository host can add to but that nothing can rewrite — an S3 bucket with object lock in
 * production (`repo2-type=s3`), a posix path the lab makes immutable. pgBackRest 2.45 copies no
 * backup between repositories: repo2 takes its own backups (`backup --repo=2`, ./schedule.ts),
 * and archive-push sends every WAL segment to each repository the PostgreSQL host knows, so the
 * PostgreSQL hosts reach repo2 through the repository host's TLS server like repo1
 * (`repo2-host=` the same host; the remote gets `--repo=2` and reads repo2 from its own config:
 * the bucket's keys and repo2's passphrase stay on the repository host). With asynchronous
 * archiving a segment repo2 refuses still reaches repo1; PostgreSQL retries it (failed_count,
 * the PgBackRestWalArchiveFailing alert) until the queue bound drops it for repo2 only.
 * repo2's retention counts fulls in days (`repo2-retention-full-type=time`: the policy's months
 * and years) and keeps the WAL of the last `archive` sets only (`repo2-retention-archive-type=diff`):
 * older sets restore to their own end, recent ones to any point in time.
 */
import type { RenderedFile } from '../types.ts';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

export type CompressType = 'zst' | 'lz4' | 'gz' | 'none';

export interface PgBackRestPaths {
  /**
   * Absolute path this host's config is installed at, when not the default
   * /etc/pgbackrest/pgbackrest.conf: the other side's remote is started with it
   * (repo1-host-config / pgN-host-config), else the remote reads the default file.
   */
  configPath?: string;
  logPath: string;
  /** Per host: several lab hosts share one filesystem, /tmp/pgbackrest must not be shared. */
  lockPath: string;
}

export interface PgBackRestRepositoryInput extends PgBackRestPaths {
  site: string;
  address: string;
  tlsPort: number;
  repoPath: string;
  /** Server side of `pgbackrest server` on the repository host. */
  serverTls: TlsFiles;
  /** Client certificate the repository host presents to the PostgreSQL hosts. */
  clientTls: { certFile: string; keyFile: string; commonName: string };
  cipherPass: string;
  /** EXG_PRA_2: full backups kept (count) and differential backups kept. */
  retention: { full: number; diff: number };
  /**
   * The offline copy, repo2 (header).
   * @default none: one repository
   */
  offline?: PgBackRestOfflineRepository;
  /**
   * Restore sites allowed to read the stanzas (restore tests, environment refresh; renderRestoreClient):
   * each client certificate CN gets a `tls-server-auth` line for its stanzas. pgBackRest 2.45
   * authorises by stanza, not by command: the repository's immutability is the offline copy's job.
   * @default none
   */
  restoreClients?: PgBackRestRestoreClient[];
}

export interface PgBackRestRestoreClient {
  commonName: string;
  stanzas: string[];
}

/** Where repo2 lives: a posix path on the repository host (lab), or an S3 bucket (production). */
export type PgBackRestOfflineStorage =
  | { type: 'posix'; path: string }
  | {
      type: 's3';
      /** Host (name or IPv4) of the S3 endpoint; addressed in path style (`repo2-s3-uri-style=path`), so an address works. */
      endpoint: string;
      port: number;
      bucket: string;
      /** Region the endpoint signs for (Ceph RGW: its zonegroup's name). */
      region: string;
      /** Prefix of the repository in the bucket, e.g. `/pgbackrest`. */
      path: string;
      /** CA bundle that verifies the endpoint's certificate (`repo2-storage-ca-file`). */
      caFile: string;
      /** Access key and secret key (placeholders): only the repository host's file holds them. */
      accessKey: string;
      secretKey: string;
    };

export interface PgBackRestOfflineRetention {
  /** Full backups are expired once older than this many days (`repo2-retention-full-type=time`). */
  fullDays: number;
  /** Differential backups kept (count). */
  diff: number;
  /** Full and differential sets whose WAL is kept for point-in-time recovery (`repo2-retention-archive-type=diff`). */
  archive: number;
}

export interface PgBackRestOfflineRepository {
  storage: PgBackRestOfflineStorage;
  /** repo2's own passphrase (at least 32 characters, not repo1's). */
  cipherPass: string;
  retention: PgBackRestOfflineRetention;
}

export interface PgBackRestPgHostInput extends PgBackRestPaths {
  /**
   * Asynchronous WAL archiving through this spool directory: archive-push queues and returns,
   * so neither commits nor a shutdown wait on an unreachable repository (DC3 lost); the
   * queue is bounded (archiveQueueMax) — beyond it WAL is skipped from the archive (PITR gap,
   * alerted) rather than filling pg_wal.
   */
  spoolPath?: string;
  /** Bound of the async queue, e.g. `4GiB`. */
  archiveQueueMax?: string;
  site: string;
  address: string;
  tlsPort: number;
  serverTls: TlsFiles;
  /** Client certificate this host presents to the repository (archive-push, archive-get). */
  clientTls: { certFile: string; keyFile: string; commonName: string };
}

export interface PgBackRestStanzaInput {
  /** Stanza = business domain = Patroni scope. */
  name: string;
  members: Array<{ site: string; pgPath: string; pgPort: number; socketPath: string }>;
}

export interface PgBackRestInput {
  repository: PgBackRestRepositoryInput;
  pgHosts: PgBackRestPgHostInput[];
  stanzas: PgBackRestStanzaInput[];
  /** zst by default (pgBackRest 2.45 on Debian 12 is built with zstd and lz4). */
  compressType?: CompressType;
  compressLevel?: number;
  processMax?: number;
}

const NAME_RE = /^[a-z][a-z0-9_-]{0,62}$/;
/** S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending alphanumeric. */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const HOST_RE = /^[A-Za-z0-9.-]{1,253}$/;

export function repositoryConfigPath(): string {
  return 'repository.conf';
}

export function pgHostConfigPath(site: string): string {
  return `${site.toLowerCase()}.conf`;
}

function validate(input: PgBackRestInput): void {
  const r = input.repository;
  if (r.cipherPass.length < 32) throw new Error('pgBackRest: repo1-cipher-pass must be at least 32 characters');
  if (!Number.isInteger(r.retention.full) || r.retention.full < 1) throw new Error('pgBackRest: retention.full must be an integer >= 1');
  if (!Number.isInteger(r.retention.diff) || r.retention.diff < 1) throw new Error('pgBackRest: retention.diff must be an integer >= 1');
  const sites = new Set(input.pgHosts.map((h) => h.site));
  for (const s of input.stanzas) {
    if (!NAME_RE.test(s.name)) throw new Error(`pgBackRest: invalid stanza name ${JSON.stringify(s.name)}`);
    if (s.members.length === 0) throw new Error(`pgBackRest: stanza ${s.name} has no member`);
    for (const m of s.members) if (!sites.has(m.site)) throw new Error(`pgBackRest: stanza ${s.name} member on ${m.site}, which is not among pgHosts`);
  }
  for (const h of input.pgHosts) {
    if (h.clientTls.commonName === r.clientTls.commonName)
      throw new Error('pgBackRest: the repository and PostgreSQL hosts need distinct client certificate CNs');
  }
  if (input.compressType !== undefined && !['zst', 'lz4', 'gz', 'none'].includes(input.compressType))
    throw new Error(`pgBackRest: unsupported compress-type ${input.compressType}`);
  if (r.offline) validateOffline(r, r.offline);
  const cns = new Set([r.clientTls.commonName, ...input.pgHosts.map((h) => h.clientTls.commonName)]);
  const known = new Set(input.stanzas.map((s) => s.name));
  for (const c of r.restoreClients ?? []) {
    if (cns.has(c.commonName)) throw new Error(`pgBackRest: restore client CN ${c.commonName} is already another host's`);
    cns.add(c.commonName);
    for (const st of c.stanzas) if (!known.has(st)) throw new Error(`pgBackRest: restore client ${c.commonName} names stanza ${st}, which is not declared`);
  }
}

function validateOffline(r: PgBackRestRepositoryInput, o: PgBackRestOfflineRepository): void {
  if (o.cipherPass.length < 32) throw new Error('pgBackRest: repo2-cipher-pass must be at least 32 characters');
  if (o.cipherPass === r.cipherPass) throw new Error("pgBackRest: the offline copy (repo2) needs its own cipher passphrase, not repo1's");
  for (const [k, v] of Object.entries(o.retention))
    if (!Number.isInteger(v) || v < 1) throw new Error(`pgBackRest: offline retention.${k} must be an integer >= 1`);
  if (o.retention.fullDays > 9999999) throw new Error("pgBackRest: offline retention.fullDays above pgBackRest's maximum (9999999)");
  const s = o.storage;
  if (s.type === 'posix') {
    if (!s.path.startsWith('/') || /\s/.test(s.path)) throw new Error(`pgBackRest: repo2-path must be absolute without spaces: ${s.path}`);
    // pgBackRest refuses two local posix repositories on one path.
    if (s.path.replace(/\/+$/, '') === r.repoPath.replace(/\/+$/, ''))
      throw new Error(`pgBackRest: repo1 and repo2 are both at ${s.path}: the offline copy needs its own storage`);
    return;
  }
  if (!BUCKET_RE.test(s.bucket)) throw new Error(`pgBackRest: invalid S3 bucket name ${JSON.stringify(s.bucket)}`);
  if (!HOST_RE.test(s.endpoint)) throw new Error(`pgBackRest: invalid S3 endpoint ${JSON.stringify(s.endpoint)} (host name or address, no scheme or port)`);
  if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535) throw new Error(`pgBackRest: invalid S3 port ${s.port}`);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(s.region)) throw new Error(`pgBackRest: invalid S3 region ${JSON.stringify(s.region)}`);
  for (const p of [s.path, s.caFile]) if (!p.startsWith('/') || /\s/.test(p)) throw new Error(`pgBackRest: path must be absolute without spaces: ${p}`);
  if (s.accessKey === '' || s.secretKey === '') throw new Error('pgBackRest: the S3 offline copy needs an access key and a secret key');
}

/** repo2's lines of the repository host's config (header): storage, encryption, retention. */
function offlineRepositoryLines(o: PgBackRestOfflineRepository): string[] {
  const s = o.storage;
  const storage =
    s.type === 'posix'
      ? ['repo2-type=posix', `repo2-path=${s.path}`]
      : [
          'repo2-type=s3',
          `repo2-path=${s.path}`,
          `repo2-s3-bucket=${s.bucket}`,
          `repo2-s3-endpoint=${s.endpoint}`,
          `repo2-storage-port=${s.port}`,
          `repo2-s3-region=${s.region}`,
          'repo2-s3-uri-style=path',
          `repo2-storage-ca-file=${s.caFile}`,
          `repo2-s3-key=${s.accessKey}`,
          `repo2-s3-key-secret=${s.secretKey}`,
          // Small files bundled: fewer objects (and object versions kept under the lock).
          'repo2-bundle=y',
        ];
  return [
    ...storage,
    'repo2-cipher-type=aes-256-cbc',
    `repo2-cipher-pass=${o.cipherPass}`,
    'repo2-retention-full-type=time',
    `repo2-retention-full=${o.retention.fullDays}`,
    `repo2-retention-diff=${o.retention.diff}`,
    'repo2-retention-archive-type=diff',
    `repo2-retention-archive=${o.retention.archive}`,
  ];
}

/** How a PostgreSQL host reaches repository `k` (`repo1`, `repo2`): the repository host's TLS server. */
function repoHostLines(k: 'repo1' | 'repo2', r: Pick<PgBackRestRepositoryInput, 'address' | 'tlsPort' | 'configPath'>, tls: TlsFiles): string[] {
  return [
    `${k}-host=${r.address}`,
    ...(r.configPath ? [`${k}-host-config=${r.configPath}`] : []),
    `${k}-host-type=tls`,
    `${k}-host-port=${r.tlsPort}`,
    `${k}-host-cert-file=${tls.certFile}`,
    `${k}-host-key-file=${tls.keyFile}`,
    `${k}-host-ca-file=${tls.caFile}`,
  ];
}

function header(what: string): string[] {
  return [
    `# pgBackRest ${what} — rendered by hds-platform, do not edit.`,
    '# Encrypted repository (aes-256-cbc) on the backup site, TLS with client certificates (EXG_PRA_1, EXG_PRA_2).',
  ];
}

function common(input: PgBackRestInput, paths: PgBackRestPaths): string[] {
  return [
    `log-path=${paths.logPath}`,
    `lock-path=${paths.lockPath}`,
    'log-level-console=info',
    'log-level-file=detail',
    `compress-type=${input.compressType ?? 'zst'}`,
    ...(input.compressLevel !== undefined ? [`compress-level=${input.compressLevel}`] : []),
    `process-max=${input.processMax ?? 2}`,
  ];
}

function tlsServer(address: string, port: number, tls: TlsFiles, auth: string[]): string[] {
  return [
    `tls-server-address=${address}`,
    `tls-server-port=${port}`,
    `tls-server-cert-file=${tls.certFile}`,
    `tls-server-key-file=${tls.keyFile}`,
    `tls-server-ca-file=${tls.caFile}`,
    ...auth.map((a) => `tls-server-auth=${a}`),
  ];
}

export function renderPgBackRest(input: PgBackRestInput): RenderedFile[] {
  validate(input);
  const r = input.repository;
  const hostBySite = new Map(input.pgHosts.map((h) => [h.site, h]));
  const files: RenderedFile[] = [];

  // Repository host (DC3): holds the cipher passphrase; backs up every stanza over TLS.
  const stanzasOf = (site: string) => input.stanzas.filter((s) => s.members.some((m) => m.site === site)).map((s) => s.name);
  const repo = [
    ...header(`repository host (${r.site})`),
    '[global]',
    `repo1-path=${r.repoPath}`,
    'repo1-cipher-type=aes-256-cbc',
    `repo1-cipher-pass=${r.cipherPass}`,
    'repo1-retention-full-type=count',
    `repo1-retention-full=${r.retention.full}`,
    `repo1-retention-diff=${r.retention.diff}`,
    ...(r.offline ? offlineRepositoryLines(r.offline) : []),
    'start-fast=y',
    'archive-check=y',
    ...common(input, r),
    ...tlsServer(r.address, r.tlsPort, r.serverTls, [
      ...input.pgHosts.filter((h) => stanzasOf(h.site).length > 0).map((h) => `${h.clientTls.commonName}=${stanzasOf(h.site).join(',')}`),
      ...(r.restoreClients ?? []).filter((c) => c.stanzas.length > 0).map((c) => `${c.commonName}=${c.stanzas.join(',')}`),
    ]),
    '',
  ];
  for (const s of input.stanzas) {
    repo.push(`[${s.name}]`);
    s.members.forEach((m, i) => {
      const h = hostBySite.get(m.site)!;
      const k = `pg${i + 1}`;
      repo.push(
        `${k}-host=${h.address}`,
        ...(h.configPath ? [`${k}-host-config=${h.configPath}`] : []),
        `${k}-host-type=tls`,
        `${k}-host-port=${h.tlsPort}`,
        `${k}-host-cert-file=${r.clientTls.certFile}`,
        `${k}-host-key-file=${r.clientTls.keyFile}`,
        `${k}-host-ca-file=${r.serverTls.caFile}`,
        `${k}-path=${m.pgPath}`,
        `${k}-port=${m.pgPort}`,
        `${k}-socket-path=${m.socketPath}`,
      );
    });
    repo.push('');
  }
  files.push({ path: repositoryConfigPath(), content: repo.join('\n'), mode: 0o600 });

  // PostgreSQL hosts: client of the repository (archive-push/get) and TLS server for the repository host.
  for (const h of input.pgHosts) {
    const hostTls = { certFile: h.clientTls.certFile, keyFile: h.clientTls.keyFile, caFile: h.serverTls.caFile };
    const mine = input.stanzas.filter((s) => s.members.some((m) => m.site === h.site));
    const lines = [
      ...header(`PostgreSQL host (${h.site})`),
      '[global]',
      ...repoHostLines('repo1', r, hostTls),
      // The offline copy gets every WAL segment too (header), through the same repository host.
      ...(r.offline ? repoHostLines('repo2', r, hostTls) : []),
      ...common(input, h),
      ...(h.spoolPath ? ['archive-async=y', `spool-path=${h.spoolPath}`, `archive-push-queue-max=${h.archiveQueueMax ?? '4GiB'}`, 'archive-timeout=10'] : []),
      ...tlsServer(h.address, h.tlsPort, h.serverTls, mine.length > 0 ? [`${r.clientTls.commonName}=${mine.map((s) => s.name).join(',')}`] : []),
      '',
    ];
    for (const s of mine) {
      const m = s.members.find((x) => x.site === h.site)!;
      lines.push(`[${s.name}]`, `pg1-path=${m.pgPath}`, `pg1-port=${m.pgPort}`, `pg1-socket-path=${m.socketPath}`, '');
    }
    files.push({ path: pgHostConfigPath(h.site), content: lines.join('\n'), mode: 0o600 });
  }
  return files;
}

export interface RestoreClientInput extends PgBackRestPaths {
  /** The repository as the PostgreSQL hosts reach it (address, port, config path; repo2 when it has an offline copy). */
  repository: Pick<PgBackRestRepositoryInput, 'address' | 'tlsPort' | 'configPath' | 'offline'>;
  /** The restore site's client certificate (its CN among `repository.restoreClients`) and the CA of the repository's server certificate. */
  clientTls: TlsFiles;
  stanza: string;
  /** Where the copy's data directory is restored, and how its PostgreSQL is reached locally. */
  pgPath: string;
  pgPort: number;
  socketPath: string;
  /** Parallel restore processes (decompression and decryption run in the repository host's remote too), default 2. */
  processMax?: number;
}

/**
 * The pgBackRest config of a restore site (restore tests, environment refresh): a client of the
 * repository host's TLS server like a PostgreSQL host (it never holds a cipher passphrase), with
 * one stanza whose pg1 is the copy. The copy's PostgreSQL reads WAL with it (`archive-get` in
 * `restore_command`) and never archives (`archive_mode=off`: a copy must not write to the source's
 * repository). Pure.
 */
export function renderRestoreClient(input: RestoreClientInput): RenderedFile {
  if (!NAME_RE.test(input.stanza)) throw new Error(`pgBackRest: invalid stanza name ${JSON.stringify(input.stanza)}`);
  for (const p of [input.pgPath, input.socketPath, input.logPath, input.lockPath])
    if (!p.startsWith('/') || /\s/.test(p)) throw new Error(`pgBackRest: restore site path must be absolute without spaces: ${p}`);
  const r = input.repository;
  const lines = [
    ...header('restore site'),
    '[global]',
    ...repoHostLines('repo1', r, input.clientTls),
    ...(r.offline ? repoHostLines('repo2', r, input.clientTls) : []),
    `log-path=${input.logPath}`,
    `lock-path=${input.lockPath}`,
    'log-level-console=info',
    'log-level-file=detail',
    `process-max=${input.processMax ?? 2}`,
    '',
    `[${input.stanza}]`,
    `pg1-path=${input.pgPath}`,
    `pg1-port=${input.pgPort}`,
    `pg1-socket-path=${input.socketPath}`,
    '',
  ];
  return { path: 'restore-site.conf', content: lines.join('\n'), mode: 0o600 };
}
