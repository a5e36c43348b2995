/**
 * Where every platform-owned file and directory lives on a production guest (Debian 12
 * packages' conventions). The lab places the same paths under each guest's root
 * (profile.ts); nothing else spells these paths.
 */
export const PG_PATHS = {
  configRoot: '/etc/patroni',
  config: '/etc/patroni/config.yml',
  dataDir: '/var/lib/postgresql/15/main',
  socketDir: '/var/run/postgresql',
  pgpass: '/var/lib/postgresql/.pgpass.patroni',
  /** Fencing of an orphaned postmaster before every Patroni start (ADR 0006). */
  fenceScript: '/usr/local/lib/hds-platform/patroni-fence-orphan',
  fenceDropIn: '/etc/systemd/system/patroni.service.d/hds-fence-orphan.conf',
} as const;

export const PGBACKREST_PATHS = {
  config: '/etc/pgbackrest/pgbackrest.conf',
  repoPath: '/var/lib/pgbackrest',
  logPath: '/var/log/pgbackrest',
  lockPath: '/tmp/pgbackrest',
  spoolPath: '/var/spool/pgbackrest',
  /** The offline copy (repo2) in the lab profile: a posix repository on the repository guest (production: an S3 bucket, backup.ts). */
  offlineRepoPath: '/var/lib/pgbackrest-offline',
  /** The configuration and key-metadata backup sets on the repository host (modules/backup/, `hdsctl backup config`). */
  configSetPath: '/var/lib/pgbackrest-config',
  /** Records a scheduled job's success for the node exporter's textfile collector (../backup/schedule.ts). */
  recordScript: '/usr/local/lib/hds-platform/hds-backup-record',
  /** The scheduled jobs' systemd units (../backup/schedule.ts). */
  unitDir: '/etc/systemd/system',
  /** flock files serialising the scheduled jobs of a stanza (world-writable, sticky on Debian). */
  jobLockDir: '/run/lock',
} as const;

/** Patroni's watchdog: the softdog module loaded at boot, its device handed to postgres. */
export const WATCHDOG_PATHS = {
  device: '/dev/watchdog',
  modulesLoad: '/etc/modules-load.d/hds-softdog.conf',
  udevRule: '/etc/udev/rules.d/61-hds-watchdog.rules',
} as const;

export const ETCD_PATHS = { config: '/etc/etcd/etcd.yml', defaults: '/etc/default/etcd', dataDir: '/var/lib/etcd/default' } as const;

export const HAPROXY_PATHS = { config: '/etc/haproxy/haproxy.cfg' } as const;

export const WAF_PATHS = { confDir: '/etc/nginx', runDir: '/var/lib/nginx/hds', tmpfiles: '/etc/tmpfiles.d/hds-waf.conf' } as const;

export const MONITORING_PATHS = {
  confDir: '/etc/prometheus',
  dataDir: '/var/lib/prometheus/metrics2',
  /** postgres_exporter's extra queries on every data node (`--extend.query-path`). */
  pgExporterQueries: '/etc/prometheus-postgres-exporter/hds-queries.yaml',
  /** The node exporter's textfile collector directory (Debian's default `--collector.textfile.directory`). */
  nodeExporterTextfileDir: '/var/lib/prometheus/node-exporter',
} as const;

/**
 * Kafka (docs/adr/0007): the Apache distribution unpacked in `home` by the deployment (no Debian
 * package); everything else is rendered. Brokers keep their partitions on the encrypted data disk
 * mounted at /var/lib/kafka (modules/proxmox/cloudinit/dataVolume.ts), controllers their metadata
 * log on the system disk at the same path.
 */
export const KAFKA_PATHS = {
  home: '/opt/kafka',
  config: '/etc/kafka/server.properties',
  /** PEM keystore assembled at every start from the guest's TLS pair (key, then chain), 0640 root:kafka. */
  keystore: '/etc/kafka/tls/keystore.pem',
  dataDir: '/var/lib/kafka/data',
  logDir: '/var/log/kafka',
  unit: '/etc/systemd/system/kafka.service',
  prestart: '/usr/local/lib/hds-platform/kafka-prestart',
  /** The Prometheus JMX exporter agent's directory (jar: ../kafka/metrics.ts JMX_EXPORTER.jar), installed by the deployment like /opt/kafka. */
  jmxExporterDir: '/opt/prometheus-jmx-exporter',
  /** The exporter's rules (renderKafkaJmxRules), 0644: the MBeans of the hds-kafka alerts and their metric names. */
  jmxExporterRules: '/etc/kafka/jmx-exporter.yml',
} as const;

/**
 * Ceph (docs/storage.md): Debian's ceph packages' layout. One ceph.conf per host with a section per
 * daemon it runs; each daemon's data, keyring, admin socket and log under its own name, so two
 * daemons (or two CLI clients) of one host never share a socket. The bootstrap plan (CRUSH, stretch
 * mode, pools, RGW realm) lands on the bootstrap monitor host only.
 */
export const CEPH_PATHS = {
  confDir: '/etc/ceph',
  config: '/etc/ceph/ceph.conf',
  /** client.admin's key (monitor hosts only; cephx keys are never rendered: the bootstrap creates them, 0600). */
  adminKeyring: '/etc/ceph/ceph.client.admin.keyring',
  /** The ordered bootstrap plan (JSON): the steps the first monitor host runs once. */
  bootstrapPlan: '/etc/ceph/hds-bootstrap.json',
  dataRoot: '/var/lib/ceph',
  runDir: '/var/run/ceph',
  logDir: '/var/log/ceph',
} as const;
