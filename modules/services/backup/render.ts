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
    'start-fast=y',
    'archive-check=y',
    ...common(input, r),
    ...tlsServer(
      r.address,
      r.tlsPort,
      r.serverTls,
      input.pgHosts.filter((h) => stanzasOf(h.site).length > 0).map((h) => `${h.clientTls.commonName}=${stanzasOf(h.site).join(',')}`),
    ),
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
    const mine = input.stanzas.filter((s) => s.members.some((m) => m.site === h.site));
    const lines = [
      ...header(`PostgreSQL host (${h.site})`),
      '[global]',
      `repo1-host=${r.address}`,
      ...(r.configPath ? [`repo1-host-config=${r.configPath}`] : []),
      'repo1-host-type=tls',
      `repo1-host-port=${r.tlsPort}`,
      `repo1-host-cert-file=${h.clientTls.certFile}`,
      `repo1-host-key-file=${h.clientTls.keyFile}`,
      `repo1-host-ca-file=${h.serverTls.caFile}`,
      ...common(input, h),
      ...(h.spoolPath
        ? ['archive-async=y', `spool-path=${h.spoolPath}`, `archive-push-queue-max=${h.archiveQueueMax ?? '4GiB'}`, 'archive-timeout=10']
        : []),
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
