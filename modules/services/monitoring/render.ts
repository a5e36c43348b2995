/**
 * Monitoring renderer: prometheus.yml, the alert rules and blackbox.yml (Debian packages
 * prometheus 2.42, prometheus-blackbox-exporter 0.23, prometheus-postgres-exporter 0.11).
 *
 * Scraped: Patroni REST /metrics over TLS (lab CA), HAProxy /metrics, PostgreSQL through
 * postgres_exporter, the WAF log relays (blocked requests per rule family and route, EXG_SEC_5.4),
 * the Kafka nodes' JMX exporters, and synthetic user probes through the WAF with the blackbox
 * exporter (EXG_DIS_1.5). Alerts
 * name the requirement ids they serve in their annotations.
 *
 * Metric names checked against the installed versions: Patroni 3.0.2 exposes
 * patroni_primary, patroni_replica, patroni_sync_standby, patroni_xlog_location (primary),
 * patroni_xlog_replayed_location (replicas), all labelled {scope="<cluster>"};
 * postgres_exporter exposes pg_stat_database_tup_inserted{datname}; HAProxy 2.6's built-in
 * exporter exposes haproxy_backend_active_servers{proxy}.
 *
 * Kafka (job `kafka`, no broker runs here, so the names are an assumption the tests pin): the
 * Prometheus JMX exporter (jmx_prometheus_javaagent) in every broker and KRaft controller, with
 * the rule set of Strimzi's examples/metrics/kafka-metrics.yaml (`lowercaseOutputName: true`,
 * `kafka.(\w+)<type=(.+), name=(.+)><>Value` → `kafka_$1_$2_$3`), so the MBeans
 * kafka.server:type=ReplicaManager,name=UnderMinIsrPartitionCount (brokers, partitions they lead),
 * kafka.controller:type=KafkaController,name=OfflinePartitionsCount and ActiveControllerCount
 * (KRaft controllers) read kafka_server_replicamanager_underminisrpartitioncount,
 * kafka_controller_kafkacontroller_offlinepartitionscount and
 * kafka_controller_kafkacontroller_activecontrollercount. Not kafka_exporter (danielqsj): it reads
 * the cluster as a client and has neither the under-min-ISR count nor the active controller.
 *
 * Ceph (job `ceph`): the `prometheus` module of every ceph-mgr (Ceph 16.2, names checked in the
 * installed /usr/share/ceph/mgr/prometheus/module.py): ceph_health_status (0 OK, 1 WARN, 2 ERR),
 * ceph_pg_<state>{pool_id} for every state of a pool's PGs (`active`, `degraded`, `undersized`, ...)
 * and ceph_pg_total{pool_id}, ceph_pool_metadata{pool_id,name}, ceph_osd_up{ceph_daemon},
 * ceph_mon_quorum_status{ceph_daemon}, ceph_cluster_total_bytes and
 * ceph_cluster_total_used_raw_bytes. Only the active manager has metrics: a standby's exporter
 * answers /metrics with an empty 200. Both are scraped (a failover needs no reconfiguration), so
 * a series' `instance` changes with the active manager: the rules aggregate it away.
 *
 * Pure function: input -> RenderedFile[].
 */
import YAML from 'yaml';
import { BACKUP_METRICS, type BackupRepo } from '../backup/schedule.ts';
import type { RenderedFile } from '../types.ts';

export interface ScrapeTarget {
  /** host:port */
  target: string;
  /** DC of the target, e.g. `DC1` (label `site`). */
  site: string;
}

export interface PatroniTarget extends ScrapeTarget {
  /** Patroni scope (cluster name), label `cluster`. */
  cluster: string;
}

export interface PostgresExporterTarget extends ScrapeTarget {
  cluster: string;
}

export interface SyntheticProbe {
  /** Short name, label `probe`, e.g. `waf-dc1-health`. */
  name: string;
  /** Full URL through the WAF, e.g. `https://10.199.0.138:443/health`. */
  url: string;
  site: string;
  /** TLS server name to verify when the URL holds an IP, e.g. `waf-dc1`. */
  serverName?: string;
}

/** A Kafka node's JMX exporter endpoint (job `kafka`, labels `site` and `role`). */
export interface KafkaExporterTarget extends ScrapeTarget {
  role: 'broker' | 'controller';
}

/**
 * A Ceph manager's Prometheus exporter (ceph-mgr `prometheus` module), job `ceph`, labels `site`
 * and `role`. Every manager is a target, the standby too.
 */
export interface CephExporterTarget extends ScrapeTarget {
  role: 'mgr';
}

/**
 * Raw capacity used, as a share of the cluster's (ceph_cluster_total_used_raw_bytes /
 * ceph_cluster_total_bytes), above which the CephCapacity alerts fire. Ceph's own thresholds are
 * per OSD: nearfull 0.85 (HEALTH_WARN), backfillfull 0.90 (no more recovery onto it), full 0.95
 * (writes stop). This ratio is the cluster's average, and the fullest OSD sits above the average
 * (PG placement is never perfectly even): the warning at 0.75 leaves ten points of that spread and
 * the weeks a hardware order takes before an OSD reaches nearfull, at a steady 400 M documents a
 * year; at 0.85 the fullest OSDs are at nearfull or past it and recovery from a lost host (its
 * copies go to the other hosts of the same site) would push them past backfillfull and full: the
 * writes of the platform are at risk, critical. Raw use (total − available), not
 * total_used_bytes: the OSD ratios count BlueStore's own space too (`ceph osd df`, %USE).
 */
export const CEPH_CAPACITY_ALERT = { warning: 0.75, critical: 0.85 } as const;

/** What the `hds-backup` alerts watch (fromTopology/backup.ts backupAlertInput). */
export interface BackupAlertInput {
  /** The pgBackRest stanzas (business domains). */
  stanzas: string[];
  /** The repositories every stanza is backed up to: repo1, and repo2 with an offline copy. */
  repos: BackupRepo[];
}

/**
 * Thresholds of the `hds-backup` alerts, from the cadence of ../backup/schedule.ts: a full or
 * differential set every day (warning once a day's set is missed plus 2 hours for a long one,
 * critical once two are), repo1 verified daily and the offline copy weekly (the same 2 hours of
 * slack), a restore test a week (a day of slack), and the WAL archive: a segment is switched at
 * least every minute while there are writes (archive_timeout 60 s), so 15 minutes without an
 * archived segment while writes went on is a stuck archive, not an idle database.
 */
export const BACKUP_ALERT = {
  backupWarningHours: 26,
  backupCriticalHours: 50,
  verifyHours: { repo1: 26, repo2: 7 * 24 + 2 },
  restoreTestDays: 8,
  archiveLagMinutes: 15,
} as const;

export interface NonEventRule {
  /** Application database whose writes must not stop, e.g. `documents`. */
  database: string;
  /** Alert when no row was inserted for this many minutes (EXG_MON_4). */
  minutes: number;
}

export interface MonitoringRenderInput {
  /** Absolute directory the files are written to (rule_files and CA paths are absolute). */
  confDir: string;
  /** PEM of the lab CA (Patroni REST TLS, WAF TLS). */
  caPath: string;
  /** Client certificate for Patroni REST if it requires one (verify_client). */
  patroniClientCert?: { certPath: string; keyPath: string };
  scrapeIntervalSeconds?: number;
  externalLabels?: Record<string, string>;
  patroni: PatroniTarget[];
  haproxy: ScrapeTarget[];
  postgresExporters: PostgresExporterTarget[];
  /** Node exporters (host:port), job `node`; none in the lab (its namespaces share one host). */
  nodeExporters?: ScrapeTarget[];
  /** host:port of the blackbox exporter, as Prometheus reaches it. */
  blackboxExporter: string;
  /** GET /health through the WAF, expecting 200 and a body matching healthBodyRegex. */
  healthProbes: SyntheticProbe[];
  /** Regex the /health body must match, default `"status":"ok"`. */
  healthBodyRegex?: string;
  /** Probe that an attack is blocked (403) by the WAF: the base URL gets a SQLi query appended. */
  wafBlockingProbes?: SyntheticProbe[];
  /**
   * WAF log relays' metrics endpoints (PORTS.wafLogMetrics on each WAF's admin address), job
   * `waf_log_relay`: blocked requests per rule family and route (EXG_SEC_5.4), the SIEM feed's health.
   */
  wafLogRelays?: ScrapeTarget[];
  /**
   * Blocked requests per second on one WAF, over 5 minutes, above which WafBlockedRequestsSurge
   * fires (default 5: six times the ~0.8/s average of 500,000 blocked requests a week, EXG_SEC_5.4).
   */
  wafBlockedPerSecondAlert?: number;
  /**
   * The JMX exporters of every Kafka broker and KRaft controller (job `kafka`); when present, the
   * `hds-kafka` alert group (under-min-ISR partitions, offline partitions, active controllers ≠ 1).
   * @default none: no Kafka job, no Kafka alerts
   */
  kafkaExporters?: KafkaExporterTarget[];
  /**
   * The Prometheus exporter of every Ceph manager, active and standby (job `ceph`,
   * `honor_labels: true`); when present, the `hds-ceph` alert group (health, PGs inactive,
   * undersized or degraded, OSDs down, monitors out of quorum, capacity, no exporter / no active
   * manager).
   * @default none: no Ceph job, no Ceph alerts
   */
  cephExporters?: CephExporterTarget[];
  /**
   * The pgBackRest stanzas and repositories; when present, the `hds-backup` alert group: age of the
   * last backup, verify and restore test of every stanza (BACKUP_METRICS, written on the repository
   * host's node exporter textfile directory by the scheduled jobs), WAL archiving failing or stuck
   * (postgres_exporter's pg_stat_archiver).
   * @default none: no backup alerts
   */
  backup?: BackupAlertInput;
  /** Replication lag alert threshold, bytes (default 16 MiB). */
  replicationLagBytes?: number;
  nonEvents: NonEventRule[];
}

/**
 * postgres_exporter's extra query (`--extend.query-path`): the replication a primary really has,
 * from its own pg_stat_replication. Patroni's `patroni_sync_standby` only repeats the DCS `/sync`
 * key, which can name a standby the primary does not wait for (ADR 0006): this is the metric that
 * says whether commits are protected (RPO 0, EXG_PCA_2).
 */
export function renderPgExporterQueries(): string {
  return YAML.stringify(
    {
      pg_hds_replication: {
        query:
          "SELECT (NOT pg_is_in_recovery())::int AS is_primary, count(*) FILTER (WHERE sync_state = 'sync' AND state = 'streaming') AS sync_standbys FROM pg_stat_replication",
        metrics: [
          { is_primary: { usage: 'GAUGE', description: '1 when this instance runs as primary' } },
          { sync_standbys: { usage: 'GAUGE', description: "standbys streaming with sync_state = 'sync' in this instance's pg_stat_replication" } },
        ],
      },
    },
    { lineWidth: 0 },
  );
}

export const MONITORING_FILES = {
  prometheus: 'prometheus.yml',
  rules: 'rules/hds-alerts.yml',
  blackbox: 'blackbox.yml',
} as const;

export const BLACKBOX_MODULES = {
  health: 'hds_http_health_tls',
  wafBlocks: 'hds_http_waf_blocks_tls',
} as const;

const TARGET_RE = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;
const DB_RE = /^[a-z_][a-z0-9_]{0,62}$/;
const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

function validate(i: MonitoringRenderInput): void {
  for (const p of [i.confDir, i.caPath, i.patroniClientCert?.certPath, i.patroniClientCert?.keyPath]) {
    if (p !== undefined && (!p.startsWith('/') || /\s/.test(p))) throw new Error(`path must be absolute without spaces: ${p}`);
  }
  for (const t of [
    ...i.patroni,
    ...i.haproxy,
    ...i.postgresExporters,
    ...(i.nodeExporters ?? []),
    ...(i.wafLogRelays ?? []),
    ...(i.kafkaExporters ?? []),
    ...(i.cephExporters ?? []),
    { target: i.blackboxExporter, site: 'x' },
  ]) {
    if (!TARGET_RE.test(t.target)) throw new Error(`invalid scrape target ${t.target} (expected host:port)`);
  }
  for (const p of [...i.healthProbes, ...(i.wafBlockingProbes ?? [])]) {
    if (!NAME_RE.test(p.name)) throw new Error(`invalid probe name ${p.name}`);
    const u = new URL(p.url);
    if (u.protocol !== 'https:') throw new Error(`probe ${p.name} must use https (TLS through the WAF)`);
  }
  if (i.nonEvents.length === 0) throw new Error('at least one non-event rule is required (EXG_MON_4)');
  for (const n of i.nonEvents) {
    if (!DB_RE.test(n.database)) throw new Error(`invalid database name ${n.database}`);
    if (!Number.isInteger(n.minutes) || n.minutes < 2 || n.minutes > 7 * 24 * 60)
      throw new Error(`non-event window must be 2..10080 minutes, got ${n.minutes}`);
  }
  const si = i.scrapeIntervalSeconds ?? 15;
  if (!Number.isInteger(si) || si < 1 || si > 300) throw new Error('scrape interval must be 1..300 s');
  const surge = i.wafBlockedPerSecondAlert ?? 5;
  if (!(surge > 0 && surge <= 1e6)) throw new Error('wafBlockedPerSecondAlert must be a positive rate');
  if (i.backup) {
    for (const st of i.backup.stanzas) if (!/^[a-z][a-z0-9_-]{0,62}$/.test(st)) throw new Error(`invalid pgBackRest stanza name ${st}`);
    if (i.backup.stanzas.length === 0) throw new Error('backup alerts need at least one stanza');
    if (i.backup.repos.length === 0 || i.backup.repos.some((r) => r !== 'repo1' && r !== 'repo2'))
      throw new Error(`backup alerts: repositories must be repo1 and/or repo2, got ${i.backup.repos.join(', ')}`);
  }
}

function staticConfigs(targets: Array<ScrapeTarget & { cluster?: string; role?: string }>) {
  // One static config per (site, cluster, role) so labels stay exact.
  const groups = new Map<string, { targets: string[]; labels: Record<string, string> }>();
  for (const t of targets) {
    const labels: Record<string, string> = { site: t.site };
    if (t.cluster !== undefined) labels.cluster = t.cluster;
    if (t.role !== undefined) labels.role = t.role;
    const key = JSON.stringify(labels);
    const g = groups.get(key) ?? { targets: [], labels };
    g.targets.push(t.target);
    groups.set(key, g);
  }
  return [...groups.values()];
}

function probeJob(jobName: string, module: string, blackbox: string, probes: Array<{ url: string; name: string; site: string }>) {
  return {
    job_name: jobName,
    metrics_path: '/probe',
    params: { module: [module] },
    static_configs: probes.map((p) => ({ targets: [p.url], labels: { probe: p.name, site: p.site } })),
    relabel_configs: [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { source_labels: ['__param_target'], target_label: 'instance' },
      { target_label: '__address__', replacement: blackbox },
    ],
  };
}

function renderPrometheus(i: MonitoringRenderInput): string {
  const conf = i.confDir.replace(/\/+$/, '');
  const si = i.scrapeIntervalSeconds ?? 15;
  const patroniTls: Record<string, string> = { ca_file: i.caPath };
  if (i.patroniClientCert) {
    patroniTls.cert_file = i.patroniClientCert.certPath;
    patroniTls.key_file = i.patroniClientCert.keyPath;
  }
  const scrape: unknown[] = [];
  if (i.patroni.length > 0) {
    scrape.push({ job_name: 'patroni', scheme: 'https', metrics_path: '/metrics', tls_config: patroniTls, static_configs: staticConfigs(i.patroni) });
  }
  if (i.haproxy.length > 0) scrape.push({ job_name: 'haproxy', metrics_path: '/metrics', static_configs: staticConfigs(i.haproxy) });
  if (i.postgresExporters.length > 0) scrape.push({ job_name: 'postgres', metrics_path: '/metrics', static_configs: staticConfigs(i.postgresExporters) });
  if (i.nodeExporters && i.nodeExporters.length > 0)
    scrape.push({ job_name: 'node', metrics_path: '/metrics', static_configs: staticConfigs(i.nodeExporters) });
  if (i.wafLogRelays && i.wafLogRelays.length > 0)
    scrape.push({ job_name: 'waf_log_relay', metrics_path: '/metrics', static_configs: staticConfigs(i.wafLogRelays) });
  if (i.kafkaExporters && i.kafkaExporters.length > 0)
    scrape.push({ job_name: 'kafka', metrics_path: '/metrics', static_configs: staticConfigs(i.kafkaExporters) });
  // honor_labels as Ceph's documentation asks for the manager's exporter: the few series that carry
  // their own `instance` (ceph_disk_occupation: the OSD's host) keep it. No common `instance` label
  // on the targets: two targets with the same labels are one target to Prometheus, and the standby
  // would not be scraped.
  if (i.cephExporters && i.cephExporters.length > 0)
    scrape.push({ job_name: 'ceph', honor_labels: true, metrics_path: '/metrics', static_configs: staticConfigs(i.cephExporters) });
  scrape.push({ job_name: 'blackbox', metrics_path: '/metrics', static_configs: [{ targets: [i.blackboxExporter] }] });
  if (i.healthProbes.length > 0) scrape.push(probeJob('synthetic_health', BLACKBOX_MODULES.health, i.blackboxExporter, i.healthProbes));
  const waf = (i.wafBlockingProbes ?? []).map((p) => ({ ...p, url: `${p.url}${p.url.includes('?') ? '&' : '?'}id=1%27%20OR%20%271%27%3D%271` }));
  if (waf.length > 0) scrape.push(probeJob('synthetic_waf_blocking', BLACKBOX_MODULES.wafBlocks, i.blackboxExporter, waf));
  const doc = {
    global: {
      scrape_interval: `${si}s`,
      evaluation_interval: `${si}s`,
      scrape_timeout: `${Math.min(10, si)}s`,
      ...(i.externalLabels ? { external_labels: i.externalLabels } : {}),
    },
    rule_files: [`${conf}/${MONITORING_FILES.rules}`],
    scrape_configs: scrape,
  };
  return `# Rendered by hds-platform (modules/services/monitoring), do not edit.\n${YAML.stringify(doc, { lineWidth: 0 })}`;
}

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function rule(alert: string, expr: string, forDur: string, severity: string, requirements: string[], summary: string, description: string): AlertRule {
  return { alert, expr, for: forDur, labels: { severity }, annotations: { summary, description, requirements: requirements.join(' ') } };
}

function renderRules(i: MonitoringRenderInput): string {
  const lag = i.replicationLagBytes ?? 16 * 1024 * 1024;
  const body = i.healthBodyRegex ?? '"status":"ok"';
  const availability: AlertRule[] = [
    rule(
      'TargetDown',
      'up == 0',
      '1m',
      'critical',
      ['EXG_MON_1', 'EXG_MON_2', 'EXG_MON_9'],
      '{{ $labels.job }} target {{ $labels.instance }} is down',
      'Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}, site {{ $labels.site }}) for 1 minute.',
    ),
    rule(
      'SyntheticUserProbeFailed',
      `probe_success{job="synthetic_health"} == 0`,
      '1m',
      'critical',
      ['EXG_DIS_1.5', 'EXG_MON_2', 'EXG_MON_8'],
      'Synthetic user probe {{ $labels.probe }} fails',
      `GET /health through the WAF ({{ $labels.instance }}) did not return 200 with a body matching ${body} over TLS for 1 minute.`,
    ),
    rule(
      'WafNotBlockingAttacks',
      `probe_success{job="synthetic_waf_blocking"} == 0`,
      '2m',
      'critical',
      ['EXG_WAF_1'],
      'WAF {{ $labels.probe }} lets a SQL injection through',
      'A classic SQL injection sent through the WAF was not answered with 403 for 2 minutes: ModSecurity or the CRS may be off.',
    ),
    rule(
      'TlsCertificateExpiringSoon',
      `probe_ssl_earliest_cert_expiry{job="synthetic_health"} - time() < 14 * 86400`,
      '10m',
      'warning',
      ['EXG_SEC_4.2'],
      'TLS certificate of {{ $labels.instance }} expires in less than 14 days',
      'Renew the WAF certificate.',
    ),
  ];
  const postgres: AlertRule[] = [
    rule(
      'PostgresNoPrimary',
      'sum by (scope) (patroni_primary) < 1',
      '1m',
      'critical',
      ['EXG_PCA_2', 'EXG_MON_1'],
      'Patroni cluster {{ $labels.scope }} has no primary',
      'No member of {{ $labels.scope }} reports itself leader for 1 minute: writes are unavailable.',
    ),
    rule(
      'PostgresNoSynchronousStandby',
      'sum by (scope) (patroni_sync_standby) < 1',
      '1m',
      'critical',
      ['EXG_PCA_2', 'EXG_MON_1'],
      'Patroni cluster {{ $labels.scope }} has no synchronous standby',
      'No member of {{ $labels.scope }} is a synchronous standby for 1 minute: RPO 0 (PDMA 0) is not guaranteed until one is back.',
    ),
    rule(
      'PostgresPrimaryNotSynchronous',
      'max by (instance) (pg_hds_replication_is_primary) == 1 and on (instance) max by (instance) (pg_hds_replication_sync_standbys) == 0',
      '1m',
      'critical',
      ['EXG_PCA_2', 'EXG_MON_1'],
      'PostgreSQL primary {{ $labels.instance }} commits without a synchronous standby',
      "The primary's own pg_stat_replication shows no standby streaming with sync_state = sync for 1 minute, whatever Patroni's DCS says: acknowledged commits are not replicated synchronously (RPO 0 exposure).",
    ),
    rule(
      'PostgresReplicationLagHigh',
      `max by (scope) (patroni_xlog_location and on (instance) (patroni_primary == 1)) - on (scope) min by (scope) (patroni_xlog_replayed_location and on (instance) (patroni_replica == 1)) > ${lag}`,
      '2m',
      'warning',
      ['EXG_PCA_2', 'EXG_MON_1'],
      'Replication lag of {{ $labels.scope }} above threshold',
      `A replica of {{ $labels.scope }} has replayed {{ $value | humanize1024 }}B less WAL than the primary (threshold ${lag} bytes) for 2 minutes.`,
    ),
    rule(
      'HaproxyBackendWithoutServer',
      'haproxy_backend_active_servers == 0',
      '1m',
      'critical',
      ['EXG_MON_1', 'EXG_PCA_2'],
      'HAProxy backend {{ $labels.proxy }} has no active server',
      'HAProxy on {{ $labels.instance }} has no healthy server in backend {{ $labels.proxy }} for 1 minute.',
    ),
  ];
  const nonEvents: AlertRule[] = i.nonEvents.map((n) =>
    rule(
      `NoWriteActivity_${n.database}`,
      `sum by (datname) (increase(pg_stat_database_tup_inserted{datname="${n.database}"}[${n.minutes}m])) == 0`,
      '1m',
      'warning',
      ['EXG_MON_4'],
      `No write in database ${n.database} for ${n.minutes} minutes (non-event)`,
      `No row was inserted in ${n.database} on any instance during the last ${n.minutes} minutes: an upstream flow has probably stopped.`,
    ),
  );
  const doc = {
    groups: [
      { name: 'hds-availability', rules: availability },
      { name: 'hds-postgres', rules: postgres },
      { name: 'hds-non-events', rules: nonEvents },
      ...(i.wafLogRelays && i.wafLogRelays.length > 0 ? [{ name: 'hds-waf', rules: wafRules(i) }] : []),
      ...(i.kafkaExporters && i.kafkaExporters.length > 0 ? [{ name: 'hds-kafka', rules: kafkaRules() }] : []),
      ...(i.cephExporters && i.cephExporters.length > 0 ? [{ name: 'hds-ceph', rules: cephRules() }] : []),
      ...(i.backup ? [{ name: 'hds-backup', rules: backupRules(i.backup) }] : []),
    ],
  };
  return `# Rendered by hds-platform (modules/services/monitoring), do not edit.\n${YAML.stringify(doc, { lineWidth: 0 })}`;
}

/**
 * The WAF's security statistics and SIEM feed (issue 11; EXG_SEC_5.4, EXG_WAF_1), from the log
 * relays' counters (modules/runtime/wafLogRelay): hds_waf_blocked_requests_total{waf,family,route},
 * hds_waf_rule_matches_total{waf,family,rule_id}, hds_waf_audit_entries_total{waf,outcome},
 * hds_waf_log_relay_write_errors_total{waf,log}, hds_waf_nginx_errors_total{waf,level,kind}.
 */
function wafRules(i: MonitoringRenderInput): AlertRule[] {
  const surge = i.wafBlockedPerSecondAlert ?? 5;
  return [
    rule(
      'WafLogRelayDown',
      'up{job="waf_log_relay"} == 0',
      '2m',
      'critical',
      ['EXG_SEC_5.4', 'EXG_WAF_1', 'EXG_MON_1'],
      'The SIEM feed of WAF {{ $labels.instance }} is down',
      'The WAF log relay on {{ $labels.instance }} (site {{ $labels.site }}) does not answer for 2 minutes: ModSecurity audit entries are dropped (libmodsecurity does not retry) and no blocked request is counted. Restart the relay.',
    ),
    rule(
      'WafLogRelayWriteErrors',
      'increase(hds_waf_log_relay_write_errors_total[5m]) > 0',
      '0m',
      'critical',
      ['EXG_SEC_5.4', 'EXG_SEC_6.1'],
      'WAF {{ $labels.waf }} cannot write its {{ $labels.log }} log',
      'The WAF log relay failed to append to its {{ $labels.log }} log in the last 5 minutes (disk full, permissions): SIEM lines are lost.',
    ),
    rule(
      'WafAuditEntriesUnreadable',
      'increase(hds_waf_audit_entries_total{outcome="unreadable"}[15m]) > 0',
      '0m',
      'warning',
      ['EXG_SEC_5.4'],
      'WAF {{ $labels.waf }} sent audit entries the relay cannot read',
      'The SIEM has a line per unreadable entry (event waf_audit_unreadable) but without its rule ids: check the libmodsecurity version and the relay.',
    ),
    rule(
      'WafBlockedRequestsSurge',
      `sum by (waf) (rate(hds_waf_blocked_requests_total[5m])) > ${surge}`,
      '5m',
      'warning',
      ['EXG_SEC_5.4', 'EXG_WAF_1'],
      'WAF {{ $labels.waf }} blocks {{ $value | humanize }} requests/s',
      `More than ${surge} requests/s blocked for 10 minutes on {{ $labels.waf }}: an attack in progress, or a release that breaks the API contract (see hds_waf_blocked_requests_total by family and route).`,
    ),
    rule(
      'WafUpstreamErrors',
      'sum by (waf) (increase(hds_waf_nginx_errors_total{kind=~"upstream_.*"}[5m])) > 10',
      '5m',
      'warning',
      ['EXG_MON_1', 'EXG_WAF_1'],
      'WAF {{ $labels.waf }} fails to reach its upstreams',
      'More than 10 upstream errors (connect failures, timeouts, prematurely closed connections) in 5 minutes on {{ $labels.waf }}, for 5 minutes.',
    ),
  ];
}

/**
 * Kafka's durability and quorum (docs/adr/0007; EXG_PCA_2 RPO 0, EXG_MON_1/2), on the JMX
 * exporter's names (header of this file). Every topic keeps min.insync.replicas in-sync replicas
 * over both DCs: below it, acks=all writes are refused (NotEnoughReplicas) rather than acknowledged
 * on one DC only — the alert is the signal that writes stop, and the ADR's runbook lowers
 * min.insync.replicas when a DC is lost. Offline partitions have no leader at all. The KRaft
 * quorum has exactly one active controller: 0 freezes metadata (no leader election), more than 1
 * is a split brain; no controller answering at all counts as 0.
 */
function kafkaRules(): AlertRule[] {
  return [
    rule(
      'KafkaUnderMinIsrPartitions',
      'kafka_server_replicamanager_underminisrpartitioncount{job="kafka"} > 0',
      '1m',
      'critical',
      ['EXG_PCA_2', 'EXG_MON_1', 'EXG_MON_2'],
      'Kafka broker {{ $labels.instance }} leads {{ $value }} partitions under min.insync.replicas',
      'For 1 minute, partitions led by {{ $labels.instance }} (site {{ $labels.site }}) have fewer in-sync replicas than min.insync.replicas: producers with acks=all get NotEnoughReplicas and those writes stop (RPO 0 is kept by refusing them). A lost DC is the expected cause: follow the runbook of docs/adr/0007.',
    ),
    rule(
      'KafkaOfflinePartitions',
      'max(kafka_controller_kafkacontroller_offlinepartitionscount{job="kafka"}) > 0',
      '1m',
      'critical',
      ['EXG_PCA_2', 'EXG_MON_1', 'EXG_MON_2'],
      'Kafka has {{ $value }} offline partitions',
      'For 1 minute, the active KRaft controller reports partitions without a leader: nothing can be produced to or consumed from them. Unclean leader election is off: bring a replica of the ISR back, never force an out-of-sync one.',
    ),
    rule(
      'KafkaActiveControllerCount',
      '(sum(kafka_controller_kafkacontroller_activecontrollercount{job="kafka"}) or vector(0)) != 1',
      '1m',
      'critical',
      ['EXG_PCA_2', 'EXG_MON_1', 'EXG_MON_2'],
      'Kafka has {{ $value }} active KRaft controllers (expected 1)',
      'For 1 minute, the KRaft controllers do not report exactly one active controller: 0 means no quorum leader (metadata frozen, no partition leader can be elected), more than 1 a split brain. Check the controllers of each site and the quorum (kafka-metadata-quorum.sh describe --status).',
    ),
  ];
}

/**
 * The stretched Ceph cluster (issue 13; EXG_PCA_2 RPO 0, EXG_MON_1/2, EXG_VOL_3 capacity), on the
 * manager exporter's names (header of this file), the way Ceph's own monitoring/ceph-mixin reads
 * them but tighter: this platform's bound for writes to resume after a site loss is 30 s, so an
 * inactive PG (its objects can be neither read nor written) pages after 1 minute, not 5.
 *
 * Every expression aggregates the `instance` away (max by the series' own labels): after a manager
 * failover the same series comes from the other exporter, and an alert's `for` carries on across
 * it. A PG is undersized when its acting set has fewer OSDs than the pool's size (a copy has no
 * OSD), degraded when some of its objects have fewer copies than the size (also while recovery
 * catches up): both are expected for the minutes after an OSD or a site is lost, hence 15 minutes
 * before a warning. Ceph 16 exports no metric for degraded stretch mode (writes acknowledged by
 * one site): after a site loss, CephPGsUndersized and CephOSDDown are the signal. When the monitors
 * lose their quorum the manager serves its last figures; the synthetic probes through the WAF are
 * the end-to-end signal then.
 */
function cephRules(): AlertRule[] {
  const rpo = ['EXG_PCA_2', 'EXG_MON_1', 'EXG_MON_2'];
  const blind = ['EXG_MON_1', 'EXG_MON_2', 'EXG_MON_9'];
  const capacity = ['EXG_VOL_3', 'EXG_MON_1', 'EXG_MON_2'];
  const perPool = (metric: string) => `(${metric}) * on (pool_id) group_left (name) max by (pool_id, name) (ceph_pool_metadata{job="ceph"}) > 0`;
  const used = 'max(ceph_cluster_total_used_raw_bytes{job="ceph"}) / max(ceph_cluster_total_bytes{job="ceph"})';
  const { warning, critical } = CEPH_CAPACITY_ALERT;
  return [
    rule(
      'CephHealthError',
      'max(ceph_health_status{job="ceph"}) == 2',
      '1m',
      'critical',
      rpo,
      'Ceph reports HEALTH_ERR',
      'For 1 minute the stretched Ceph cluster has reported HEALTH_ERR: objects may be unreadable or unwritable (full OSDs, inactive or damaged PGs). Run `ceph health detail` on a monitor host.',
    ),
    rule(
      'CephHealthWarning',
      'max(ceph_health_status{job="ceph"}) == 1',
      '10m',
      'warning',
      rpo,
      'Ceph reports HEALTH_WARN for 10 minutes',
      'The stretched Ceph cluster has reported HEALTH_WARN for 10 minutes (a daemon down, degraded PGs, an OSD nearfull, a clock skew...). Run `ceph health detail` on a monitor host.',
    ),
    rule(
      'CephPGsInactive',
      perPool('max by (pool_id) (ceph_pg_total{job="ceph"}) - max by (pool_id) (ceph_pg_active{job="ceph"})'),
      '1m',
      'critical',
      rpo,
      'Ceph pool {{ $labels.name }} has {{ $value }} inactive PGs',
      'For 1 minute, {{ $value }} placement groups of pool {{ $labels.name }} have not been active: reads and writes of their objects block. After a site loss they re-peer within the 30 s bound; longer means too few OSDs or monitors are left. Check `ceph pg dump_stuck inactive`.',
    ),
    rule(
      'CephPGsUndersized',
      perPool('max by (pool_id) (ceph_pg_undersized{job="ceph"})'),
      '15m',
      'warning',
      rpo,
      'Ceph pool {{ $labels.name }} has {{ $value }} undersized PGs',
      'For 15 minutes, {{ $value }} placement groups of pool {{ $labels.name }} have had fewer OSDs than the pool size: a copy has nowhere to go (an OSD or a host down and not replaced, or a whole site lost: then writes are acknowledged by one site only until it is back). Bring the OSDs back or add a host to the site.',
    ),
    rule(
      'CephPGsDegraded',
      perPool('max by (pool_id) (ceph_pg_degraded{job="ceph"})'),
      '15m',
      'warning',
      rpo,
      'Ceph pool {{ $labels.name }} has {{ $value }} degraded PGs',
      'For 15 minutes, {{ $value }} placement groups of pool {{ $labels.name }} have held objects with fewer copies than the pool size, and recovery has not restored them. Check `ceph pg dump_stuck degraded` and the recovery throughput.',
    ),
    rule(
      'CephOSDDown',
      'max by (ceph_daemon) (ceph_osd_up{job="ceph"}) == 0',
      '1m',
      'warning',
      rpo,
      'Ceph {{ $labels.ceph_daemon }} is down',
      '{{ $labels.ceph_daemon }} has been marked down for 1 minute: its copies are missing until it is back, or marked out and copied again within its site (mon_osd_down_out_interval). Check the daemon and its host.',
    ),
    rule(
      'CephMonQuorumLost',
      'max by (ceph_daemon) (ceph_mon_quorum_status{job="ceph"}) == 0',
      '1m',
      'critical',
      rpo,
      'Ceph {{ $labels.ceph_daemon }} is out of the monitor quorum',
      '{{ $labels.ceph_daemon }} has been out of the quorum for 1 minute. The stretched cluster survives the loss of a site only with every other monitor in the quorum: until it is back, losing a site may stop the whole cluster. Check the monitor, its host and its clock.',
    ),
    rule(
      'CephCapacity',
      `${used} > ${warning}`,
      '15m',
      'warning',
      capacity,
      'Ceph uses {{ $value | humanizePercentage }} of its raw capacity',
      `More than ${warning * 100} % of the stretched cluster's raw capacity has been used for 15 minutes: order OSD hosts now (Ceph warns at 85 % on an OSD and stops writes at 95 %).`,
    ),
    rule(
      'CephCapacity',
      `${used} > ${critical}`,
      '5m',
      'critical',
      capacity,
      'Ceph uses {{ $value | humanizePercentage }} of its raw capacity',
      `More than ${critical * 100} % of the stretched cluster's raw capacity has been used for 5 minutes: the fullest OSDs are at Ceph's nearfull ratio, recovering a lost host would fill them, and writes stop when one reaches full (95 %). Add OSD hosts in both sites.`,
    ),
    rule(
      'CephMgrExporterDown',
      'absent(up{job="ceph"} == 1)',
      '2m',
      'critical',
      blind,
      'No Ceph manager exporter answers',
      'For 2 minutes no ceph-mgr exporter has answered its scrape: every Ceph alert is blind. Check the managers (`ceph mgr stat`) and their prometheus module.',
    ),
    rule(
      'CephNoActiveManager',
      'absent(ceph_health_status{job="ceph"}) and on () count(up{job="ceph"} == 1) > 0',
      '2m',
      'critical',
      blind,
      'The Ceph manager exporters answer without metrics',
      'For 2 minutes the manager exporters have answered with no metrics: no manager is active (the cluster has no PG statistics and every Ceph alert is blind). Check `ceph mgr stat` and the monitors.',
    ),
  ];
}

/**
 * Backups that are proven (issue 14; EXG_PRA_2 periodic backups with execution evidence, EXG_PRA_3
 * regular restore tests), thresholds BACKUP_ALERT. Ages come from the repository host's textfile
 * series (BACKUP_METRICS: the time of the last success; a failed job writes nothing, so a failure
 * shows as age); a stanza whose series was never written is caught by `absent` for as long as the
 * threshold. Full and differential sets count for the daily age, not incrementals (the daily set
 * is the one the retention keeps). The WAL archive, from postgres_exporter 0.11's pg_stat_archiver
 * (names checked with `--dumpmaps`: pg_stat_archiver_failed_count, a counter;
 * pg_stat_archiver_last_archive_age, seconds, NaN on an instance that never archived — a standby):
 * failures sustained for 10 minutes (a DC3 cut of a minute is not one: asynchronous archiving
 * catches up), and no segment archived for 15 minutes while rows were written.
 */
function backupRules(b: BackupAlertInput): AlertRule[] {
  const { backup, verify, restoreTest } = BACKUP_METRICS;
  const pra2 = ['EXG_PRA_2', 'EXG_MON_1'];
  const pra3 = ['EXG_PRA_3', 'EXG_MON_1'];
  const h = (hours: number) => hours * 3600;
  const daily = `${backup.name}{type=~"full|diff"}`;
  const pairs = b.stanzas.flatMap((st) => b.repos.map((repo) => ({ st, repo })));
  const absentEach = (name: string, selectors: string[]) => selectors.map((sel) => `absent(${name}{${sel}})`).join(' or ');
  const dailyMissing = absentEach(
    backup.name,
    pairs.map((x) => `stanza="${x.st}",repo="${x.repo}",type=~"full|diff"`),
  );
  const { backupWarningHours: warn, backupCriticalHours: crit, verifyHours, restoreTestDays, archiveLagMinutes } = BACKUP_ALERT;
  const staleDescription = (hours: number) =>
    `The last successful full or differential backup of stanza {{ $labels.stanza }} in {{ $labels.repo }} is older than ${hours} hours: the daily backup (01:00) has not succeeded since. On the repository host: systemctl status hds-pgbackrest-{{ $labels.stanza }}-diff.service (repo1) or -offline-diff.service (repo2), then pgbackrest info --stanza={{ $labels.stanza }}.`;
  const rules: AlertRule[] = [
    rule(
      'PgBackRestBackupStale',
      `time() - max by (stanza, repo) (${daily}) > ${h(warn)}`,
      '5m',
      'warning',
      pra2,
      'No backup of {{ $labels.stanza }} in {{ $labels.repo }} for {{ $value | humanizeDuration }}',
      staleDescription(warn),
    ),
    rule(
      'PgBackRestBackupStale',
      `time() - max by (stanza, repo) (${daily}) > ${h(crit)}`,
      '5m',
      'critical',
      pra2,
      'No backup of {{ $labels.stanza }} in {{ $labels.repo }} for {{ $value | humanizeDuration }}',
      staleDescription(crit),
    ),
    ...(
      [
        [warn, 'warning'],
        [crit, 'critical'],
      ] as const
    ).map(([hours, severity]) =>
      rule(
        'PgBackRestBackupNeverRecorded',
        dailyMissing,
        `${hours}h`,
        severity,
        pra2,
        'No backup of {{ $labels.stanza }} in {{ $labels.repo }} was ever recorded',
        `For ${hours} hours, no successful full or differential backup of stanza {{ $labels.stanza }} in {{ $labels.repo }} has been recorded on the repository host (${backup.name}): its timers are not enabled, its jobs fail, or the node exporter does not read the textfile directory. Check systemctl list-timers 'hds-*' there.`,
      ),
    ),
  ];
  // One rule per repository (each has its own cadence), told apart by a `repo` rule label (the series' own).
  const ofRepo = (r: AlertRule, repo: BackupRepo): AlertRule => ({ ...r, labels: { ...r.labels, repo } });
  for (const repo of b.repos) {
    const hours = verifyHours[repo];
    const sel = `${verify.name}{repo="${repo}"}`;
    rules.push(
      ...[
        rule(
          'PgBackRestVerifyStale',
          `time() - max by (stanza, repo) (${sel}) > ${h(hours)}`,
          '5m',
          'warning',
          pra2,
          'pgbackrest verify of {{ $labels.stanza }} in {{ $labels.repo }} has not succeeded for {{ $value | humanizeDuration }}',
          `The last successful pgbackrest verify of stanza {{ $labels.stanza }} in {{ $labels.repo }} is older than ${hours} hours: it failed (a backup or WAL file unreadable, its checksum wrong: the repository may be corrupted) or did not run. On the repository host: journalctl -u hds-pgbackrest-{{ $labels.stanza }}-${repo === 'repo2' ? 'offline-' : ''}verify.service.`,
        ),
        rule(
          'PgBackRestVerifyNeverRecorded',
          absentEach(
            verify.name,
            b.stanzas.map((st) => `stanza="${st}",repo="${repo}"`),
          ),
          `${hours}h`,
          'warning',
          pra2,
          'pgbackrest verify of {{ $labels.stanza }} in {{ $labels.repo }} was never recorded',
          `For ${hours} hours, no successful pgbackrest verify of stanza {{ $labels.stanza }} in {{ $labels.repo }} has been recorded on the repository host (${verify.name}).`,
        ),
      ].map((r) => ofRepo(r, repo)),
    );
  }
  const days = restoreTestDays;
  rules.push(
    rule(
      'RestoreTestStale',
      `time() - max by (stanza) (${restoreTest.name}) > ${days * 86400}`,
      '5m',
      'warning',
      pra3,
      'No successful restore test of {{ $labels.stanza }} for {{ $value | humanizeDuration }}',
      `The last successful restore test of stanza {{ $labels.stanza }} is older than ${days} days (one runs every week): the backups are not proven restorable. Read its last PV and journalctl -u hds-restore-test-{{ $labels.stanza }}.service on the repository host.`,
    ),
    rule(
      'RestoreTestNeverRecorded',
      absentEach(
        restoreTest.name,
        b.stanzas.map((st) => `stanza="${st}"`),
      ),
      `${days * 24}h`,
      'warning',
      pra3,
      'No restore test of {{ $labels.stanza }} was ever recorded',
      `For ${days} days, no successful restore test of stanza {{ $labels.stanza }} has been recorded (${restoreTest.name}).`,
    ),
    rule(
      'PgBackRestWalArchiveFailing',
      'increase(pg_stat_archiver_failed_count{job="postgres"}[5m]) > 0',
      '10m',
      'warning',
      pra2,
      'WAL archiving of {{ $labels.cluster }} fails on {{ $labels.instance }}',
      "For 10 minutes, archive_command (pgbackrest archive-push) has kept failing on {{ $labels.instance }} (site {{ $labels.site }}): a repository is unreachable or refuses the segments (DC3 cut off, repo2's bucket, a full disk). Commits go on (asynchronous archiving) but WAL piles up in pg_wal up to archive-push-queue-max, beyond which it is dropped from the archive. Read the spool's error and the pgBackRest log on that host.",
    ),
    rule(
      'PgBackRestWalArchiveLagging',
      `max by (instance, cluster, site) (pg_stat_archiver_last_archive_age{job="postgres"}) > ${archiveLagMinutes * 60} and on (instance) sum by (instance) (increase(pg_stat_database_tup_inserted{job="postgres"}[${archiveLagMinutes}m]) + increase(pg_stat_database_tup_updated{job="postgres"}[${archiveLagMinutes}m]) + increase(pg_stat_database_tup_deleted{job="postgres"}[${archiveLagMinutes}m])) > 0`,
      '5m',
      'critical',
      pra2,
      'No WAL of {{ $labels.cluster }} archived for {{ $value | humanizeDuration }} on {{ $labels.instance }}',
      `Rows were written on {{ $labels.instance }} (site {{ $labels.site }}) in the last ${archiveLagMinutes} minutes but no WAL segment has been archived for more than ${archiveLagMinutes} minutes (a segment is switched every minute with writes): point-in-time recovery and the backups' consistency stop at the last archived segment. Check archive-push on that host and the repository host's pgBackRest server.`,
    ),
  );
  return rules;
}

function renderBlackbox(i: MonitoringRenderInput): string {
  const tls = (serverName?: string) => ({ ca_file: i.caPath, min_version: 'TLS12', ...(serverName ? { server_name: serverName } : {}) });
  // One server name for the module: probes with different names need their own module.
  const names = [...new Set(i.healthProbes.map((p) => p.serverName).filter((s): s is string => s !== undefined))];
  if (names.length > 1) throw new Error('all health probes must share one serverName (one blackbox module)');
  const blockNames = [...new Set((i.wafBlockingProbes ?? []).map((p) => p.serverName).filter((s): s is string => s !== undefined))];
  if (blockNames.length > 1) throw new Error('all WAF blocking probes must share one serverName');
  // The Host header carries the server name when the probe URL holds an IP (avoids CRS 920350 noise).
  const common = (serverName?: string) => ({
    preferred_ip_protocol: 'ip4',
    ip_protocol_fallback: false,
    fail_if_not_ssl: true,
    no_follow_redirects: true,
    headers: { 'User-Agent': 'hds-synthetic-probe/1.0', Accept: 'application/json', ...(serverName ? { Host: serverName } : {}) },
  });
  const doc = {
    modules: {
      [BLACKBOX_MODULES.health]: {
        prober: 'http',
        timeout: '5s',
        http: {
          ...common(names[0]),
          method: 'GET',
          valid_status_codes: [200],
          valid_http_versions: ['HTTP/1.1', 'HTTP/2.0'],
          fail_if_body_not_matches_regexp: [i.healthBodyRegex ?? '"status":"ok"'],
          tls_config: tls(names[0]),
        },
      },
      [BLACKBOX_MODULES.wafBlocks]: {
        prober: 'http',
        timeout: '5s',
        http: { ...common(blockNames[0]), method: 'GET', valid_status_codes: [403], tls_config: tls(blockNames[0]) },
      },
    },
  };
  return `# Rendered by hds-platform (modules/services/monitoring), do not edit.\n${YAML.stringify(doc, { lineWidth: 0 })}`;
}

export function renderMonitoring(input: MonitoringRenderInput): RenderedFile[] {
  validate(input);
  return [
    { path: MONITORING_FILES.prometheus, content: renderPrometheus(input) },
    { path: MONITORING_FILES.rules, content: renderRules(input) },
    { path: MONITORING_FILES.blackbox, content: renderBlackbox(input) },
  ];
}
