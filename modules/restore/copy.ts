/**
 * The restored copy's own PostgreSQL configuration (pure): a restored data directory carries the
 * source's postgresql.conf and pg_hba.conf (Patroni's), written for another host, with archiving
 * to the source's repository. The copy starts with its own files instead (`config_file`,
 * `hba_file`, `ident_file` on the command line; pgBackRest's recovery settings stay in the data
 * directory's postgresql.auto.conf):
 *
 * - reachable on 127.0.0.1 of the restore site only, over TLS (`hostssl`, SCRAM), and through a
 *   Unix socket in a 0700 directory with peer authentication mapped to the operator (root) and
 *   postgres — nobody else on the machine can connect (EXG_PRA_3 "secured like production");
 * - `archive_mode = off`: a copy never archives into the source's repository (its promotion opens a
 *   new timeline the source's stanza must not receive);
 * - `hot_standby = off` during recovery: the copy is read only once promoted at the target, so the
 *   source's max_connections & co. need not be matched.
 */
import { join } from 'node:path';

export interface CopyPaths {
  /** The restored data directory. */
  pgdata: string;
  /** The copy's configuration files and TLS pair. */
  conf: string;
  /** Unix socket directory (0700). */
  run: string;
  /** pgBackRest's config, log and lock of the restore site. */
  pgbackrest: string;
}

/** Where everything of a copy lives under the site's decrypted root (all on the encrypted store). */
export function copyPaths(root: string): CopyPaths {
  return { pgdata: join(root, 'pgdata'), conf: join(root, 'conf'), run: join(root, 'run'), pgbackrest: join(root, 'pgbackrest') };
}

export interface CopyConfigInput {
  paths: CopyPaths;
  port: number;
  /** Server certificate, key and CA file names inside `paths.conf`. */
  tls: { certFile: string; keyFile: string; caFile: string };
  /** OS users allowed in as `postgres` through the socket (peer map), e.g. ['postgres', 'root']. */
  operators: string[];
}

export interface CopyConfig {
  postgresqlConf: string;
  hbaConf: string;
  identConf: string;
}

const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;

export function renderCopyConfig(i: CopyConfigInput): CopyConfig {
  if (!Number.isInteger(i.port) || i.port < 1 || i.port > 65535) throw new Error(`restored copy: port ${i.port} is not a TCP port`);
  for (const u of i.operators) if (!USER_RE.test(u)) throw new Error(`restored copy: operator ${JSON.stringify(u)} is not a Unix user name`);
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const postgresqlConf = [
    '# The restored copy of a restore test — rendered by hds-platform (modules/restore/copy.ts).',
    `data_directory = ${q(i.paths.pgdata)}`,
    `hba_file = ${q(join(i.paths.conf, 'pg_hba.conf'))}`,
    `ident_file = ${q(join(i.paths.conf, 'pg_ident.conf'))}`,
    "listen_addresses = '127.0.0.1'",
    `port = ${i.port}`,
    `unix_socket_directories = ${q(i.paths.run)}`,
    'unix_socket_permissions = 0700',
    'ssl = on',
    `ssl_cert_file = ${q(join(i.paths.conf, i.tls.certFile))}`,
    `ssl_key_file = ${q(join(i.paths.conf, i.tls.keyFile))}`,
    `ssl_ca_file = ${q(join(i.paths.conf, i.tls.caFile))}`,
    "ssl_min_protocol_version = 'TLSv1.2'",
    "password_encryption = 'scram-sha-256'",
    'archive_mode = off',
    'hot_standby = off',
    'max_connections = 20',
    'shared_buffers = 128MB',
    'max_wal_size = 2GB',
    'logging_collector = off',
    "log_line_prefix = '%m [%p] '",
    "log_timezone = 'UTC'",
    "timezone = 'UTC'",
    '',
  ].join('\n');
  const hbaConf = [
    '# TYPE  DATABASE USER ADDRESS       METHOD',
    'local   all      all                peer map=operator',
    'hostssl all      all  127.0.0.1/32  scram-sha-256',
    '',
  ].join('\n');
  const identConf = ['# MAPNAME SYSTEM-USERNAME PG-USERNAME', ...i.operators.map((u) => `operator ${u} postgres`), ''].join('\n');
  return { postgresqlConf, hbaConf, identConf };
}
