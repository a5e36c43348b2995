/** ProcessSpec builders for Prometheus, the blackbox exporter and postgres_exporter (Debian binaries). */

import { MONITORING_FILES } from '../../services/monitoring/render.ts';
import type { ProcessSpec } from '../process.ts';

interface Common {
  name: string;
  netns?: string;
  /** Unix user, omitted = root. */
  user?: string;
}

function withCommon(c: Common, command: string, args: string[], env?: Record<string, string>): ProcessSpec {
  const spec: ProcessSpec = { name: c.name, command, args };
  if (env) spec.env = env;
  if (c.netns !== undefined) spec.netns = c.netns;
  if (c.user !== undefined) spec.user = c.user;
  return spec;
}

export interface PrometheusProcessInput extends Common {
  /** Directory renderMonitoring's files were written to. */
  confDir: string;
  /** TSDB directory (must exist, writable by `user`). */
  dataDir: string;
  /** host:port */
  listen: string;
  retention?: string;
  bin?: string;
}

export function prometheusProcessSpec(i: PrometheusProcessInput): ProcessSpec {
  return withCommon(i, i.bin ?? '/usr/bin/prometheus', [
    `--config.file=${i.confDir.replace(/\/+$/, '')}/${MONITORING_FILES.prometheus}`,
    `--storage.tsdb.path=${i.dataDir}`,
    `--storage.tsdb.retention.time=${i.retention ?? '15d'}`,
    `--web.listen-address=${i.listen}`,
    '--web.enable-lifecycle',
    '--log.format=json',
  ]);
}

export interface BlackboxProcessInput extends Common {
  confDir: string;
  /** host:port */
  listen: string;
  bin?: string;
}

export function blackboxProcessSpec(i: BlackboxProcessInput): ProcessSpec {
  return withCommon(i, i.bin ?? '/usr/bin/prometheus-blackbox-exporter', [
    `--config.file=${i.confDir.replace(/\/+$/, '')}/${MONITORING_FILES.blackbox}`,
    `--web.listen-address=${i.listen}`,
    '--log.format=json',
  ]);
}

export interface PostgresExporterProcessInput extends Common {
  /** host:port to listen on. */
  listen: string;
  /** PostgreSQL to scrape (a local member, not HAProxy: each instance is observed). */
  pg: { host: string; port: number; database: string; sslmode?: 'disable' | 'require' | 'verify-full' };
  /** Monitoring role (member of pg_monitor). */
  pgUser: string;
  /** 0600 file holding that role's password (readable by `user`). */
  passwordFile: string;
  /** Extra queries (`--extend.query-path`), e.g. the rendered replication query. */
  queriesFile?: string;
  bin?: string;
}

/**
 * The password never appears in argv or env: postgres_exporter reads DATA_SOURCE_PASS_FILE.
 * Site/cluster labels come from the Prometheus scrape config, not from the exporter.
 */
export function postgresExporterProcessSpec(i: PostgresExporterProcessInput): ProcessSpec {
  const extra = i.queriesFile ? [`--extend.query-path=${i.queriesFile}`] : [];
  return withCommon(i, i.bin ?? '/usr/bin/prometheus-postgres-exporter', [`--web.listen-address=${i.listen}`, '--log.format=json', ...extra], {
    DATA_SOURCE_URI: `${i.pg.host}:${i.pg.port}/${i.pg.database}?sslmode=${i.pg.sslmode ?? 'disable'}`,
    DATA_SOURCE_USER: i.pgUser,
    DATA_SOURCE_PASS_FILE: i.passwordFile,
  });
}

export interface NodeExporterProcessInput extends Common {
  /** host:port */
  listen: string;
  /**
   * The textfile collector's directory (`--collector.textfile.directory`): the `*.prom` files it
   * exposes, e.g. the backup jobs' last-success series (BACKUP_METRICS) on the repository host.
   * @default none: the collector reads nothing
   */
  textfileDir?: string;
  bin?: string;
}

/** The node exporter (host metrics, EXG_MON_6), every guest's in production, one per site namespace in the lab. */
export function nodeExporterProcessSpec(i: NodeExporterProcessInput): ProcessSpec {
  const textfile = i.textfileDir !== undefined ? [`--collector.textfile.directory=${i.textfileDir}`] : [];
  return withCommon(i, i.bin ?? '/usr/bin/prometheus-node-exporter', [`--web.listen-address=${i.listen}`, '--log.format=json', ...textfile]);
}
