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
} as const;
