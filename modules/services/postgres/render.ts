/**
 * Patroni/PostgreSQL renderer: one Patroni YAML per node of one business-domain cluster.
 *
 * Requirements carried by this file:
 * - EXG_PCA_2 (PDMA / RPO 0): `synchronous_mode: true` + `synchronous_mode_strict: true`:
 *   a commit is acknowledged only once written on the other DC's node, and the primary stops
 *   accepting writes rather than running alone; `primary_start_timeout: 0` is then safe and
 *   fails over at once on a crashed primary (DIMA).
 * - EXG_SEC (TLS everywhere): PostgreSQL `ssl: on` (TLS 1.2+), `hostssl` + scram-sha-256
 *   only, limited to the given subnets; Patroni REST API over TLS; etcd3 DCS over TLS with
 *   client certificates.
 * - Integrity: initdb with data checksums (also what lets pg_rewind run).
 * - EXG_PRA_2 (backups): archive_mode on, WAL pushed to the pgBackRest repository.
 * Passwords are inputs; nothing secret is written here. Output files holding passwords are 0600.
 */
import { stringify } from 'yaml';
import type { RenderedFile } from '../types.ts';

export interface Credentials {
  username: string;
  password: string;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

export interface PatroniNodeInput {
  /** Patroni member name, unique in the cluster, e.g. `dc1-documents`. */
  name: string;
  site: string;
  address: string;
  pgPort: number;
  restPort: number;
  /**
   * Address the REST API listens on, default `address`. Production sets 0.0.0.0 so the
   * monitoring scrape (admin NIC, flow monitoring-pg) and HAProxy's checks (service NIC) both
   * reach it; the VM firewall admits only the flow matrix.
   */
  restListenAddress?: string;
  dataDir: string;
  /** Per-node socket directory (nodes sharing a filesystem must not share /var/run/postgresql). */
  socketDir: string;
  /** Per-node pgpass file written by Patroni. */
  pgpassFile: string;
  /** Server certificate with the node's IP, used by PostgreSQL and the REST API. */
  serverTls: TlsFiles;
  /** Client certificate: etcd client auth and REST calls to the other members. */
  clientTls: { certFile: string; keyFile: string };
  /** Extra Patroni tags (site is always added as `dc`). */
  tags?: Record<string, string | boolean | number>;
}

export interface PatroniClusterInput {
  /** Business domain = Patroni scope = pgBackRest stanza, e.g. `documents`. */
  domain: string;
  /** DCS key prefix, default `/hds/`. */
  dcsNamespace?: string;
  /** Absolute directory the rendered files are installed in (the post-bootstrap script is referenced by path). */
  configRoot: string;
  /** Default /usr/lib/postgresql/15/bin (PostgreSQL 15). */
  binDir?: string;
  /** Subnets allowed in pg_hba (the supernet of the environment). */
  allowedSubnets: string[];
  /** The DCS endpoints this node uses, and only those (rendered with `use_proxies: true`). */
  etcd: { hosts: string[]; caFile: string; certFile: string; keyFile: string };
  users: {
    superuser: Credentials;
    replication: Credentials;
    rewind: Credentials;
    /** The application role; owns the domain's database. */
    app: Credentials;
    /** Basic-auth user of the REST API's unsafe methods (POST/PATCH/DELETE). */
    restApi: Credentials;
  };
  /** pgBackRest: stanza and, when not the default /etc/pgbackrest/pgbackrest.conf, the config path. */
  pgbackrest: { stanza: string; configPath?: string };
  /** Patroni timing (ttl >= loop_wait + 2 * retry_timeout). */
  timing?: { ttl: number; loopWait: number; retryTimeout: number };
  /**
   * Synchronous replication (EXG_PCA_2). `strict: true` refuses every commit while no
   * synchronous standby is connected (RPO 0 always, writes stop when either DC is lost);
   * `strict: false` lets the leader run alone, alerted, while its partner is away — only the
   * synchronous standby of record may ever be promoted, so no acknowledged write is lost
   * (docs/adr/0006-ha-design.md). Default strict.
   */
  synchronous?: { strict: boolean };
  /**
   * Replication and TCP timeouts that bound how long a commit waits for a standby that is gone
   * (wal_sender_timeout, tcp_user_timeout, keepalives) and how fast a standby notices its
   * primary is gone (wal_receiver_timeout). Seconds; default PostgreSQL's (60 s, none).
   */
  replicationTimeoutSeconds?: number;
  /** Patroni's watchdog (fencing of a primary whose Patroni died): `required` in production. Default off. */
  watchdog?: { mode: 'required' | 'automatic' | 'off'; device?: string; safetyMargin?: number };
  /** postgresql.conf parameters added to (or overriding) the defaults below. */
  extraParameters?: Record<string, string | number | boolean>;
  nodes: PatroniNodeInput[];
}

const DEFAULT_BIN_DIR = '/usr/lib/postgresql/15/bin';
const DEFAULT_TIMING = { ttl: 20, loopWait: 5, retryTimeout: 5 };
const IDENT_RE = /^[a-z_][a-z0-9_]{0,62}$/;
const CIDR_RE = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

export function patroniConfigPath(node: Pick<PatroniNodeInput, 'name'>): string {
  return `${node.name}/patroni.yml`;
}

/**
 * Fencing of an orphaned postmaster (ADR 0006), run before every start of Patroni (systemd
 * `ExecStartPre=-` in production, the lab supervisor's pre-start in the lab), as `postgres`.
 *
 * Patroni starts PostgreSQL in its own session, so a Patroni that crashes leaves the postmaster
 * running. Patroni 3.0.2 restarted next to a running primary rewrites postgresql.conf without
 * `synchronous_standby_names` and, seeing the DCS `/sync` key already name the standby it would
 * pick, never sets it again: the primary acknowledges commits the standby does not have while
 * the DCS still allows that standby's promotion — RPO 0 silently lost (measured in the lab:
 * minutes of exposure after one Patroni kill). In production the watchdog resets the VM when
 * Patroni dies, unless Patroni comes back within its timeout; this stop closes that window too.
 * Patroni then starts PostgreSQL under its control: primary again with a synchronous standby if it
 * still holds the leader key, else a replica (pg_rewind).
 */
export function renderFenceOrphanScript(input: { dataDir: string; binDir?: string }): string {
  const bin = input.binDir ?? DEFAULT_BIN_DIR;
  return [
    '#!/bin/sh',
    '# Fencing of an orphaned postmaster before Patroni starts — rendered by hds-platform (ADR 0006), do not edit.',
    '# A postmaster still running on the data directory was left by a Patroni that crashed: stop it',
    '# at once (immediate shutdown, as the watchdog reset would) so Patroni restarts it under its control.',
    'set -u',
    `data=${shellQuote(input.dataDir)}`,
    `if ${shellQuote(`${bin}/pg_ctl`)} status -D "$data" >/dev/null 2>&1; then`,
    '  echo "hds-fence: stopping the postmaster left running on $data (immediate shutdown)" >&2',
    `  ${shellQuote(`${bin}/pg_ctl`)} stop -D "$data" -m immediate -w -t 30 >&2`,
    'fi',
    'exit 0',
    '',
  ].join('\n');
}

/** systemd drop-in of Debian's patroni.service: the fencing script before every start. */
export function renderPatroniFenceDropIn(scriptPath: string): string {
  return [
    '# Managed by hds-platform (ADR 0006): stop a postmaster a crashed Patroni left running, before Patroni starts.',
    '[Service]',
    `ExecStartPre=-${scriptPath}`,
    '',
  ].join('\n');
}

export function postBootstrapPath(domain: string): string {
  return `${domain}-post-bootstrap.sh`;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** `pgbackrest [--config=...] --stanza=<domain> <cmd>` */
function pgbackrestCmd(input: PatroniClusterInput, rest: string): string {
  const cfg = input.pgbackrest.configPath ? ` --config=${input.pgbackrest.configPath}` : '';
  return `pgbackrest${cfg} --stanza=${input.pgbackrest.stanza} ${rest}`;
}

function validate(input: PatroniClusterInput): void {
  if (!IDENT_RE.test(input.domain)) throw new Error(`invalid domain ${JSON.stringify(input.domain)}: lower-case SQL identifier expected`);
  if (input.nodes.length < 2) throw new Error(`domain ${input.domain}: a synchronous cluster needs 2 nodes (one per DC), got ${input.nodes.length}`);
  if (new Set(input.nodes.map((n) => n.site)).size !== input.nodes.length) throw new Error(`domain ${input.domain}: nodes must be on distinct sites`);
  if (input.allowedSubnets.length === 0) throw new Error(`domain ${input.domain}: allowedSubnets is empty`);
  for (const s of input.allowedSubnets) if (!CIDR_RE.test(s) || s.endsWith('/0')) throw new Error(`domain ${input.domain}: invalid or too wide subnet ${s}`);
  for (const [role, c] of Object.entries(input.users)) {
    if (role !== 'restApi' && !IDENT_RE.test(c.username)) throw new Error(`invalid ${role} role name ${JSON.stringify(c.username)}`);
    if (c.password.length < 16) throw new Error(`${role} password too short (16 characters at least)`);
  }
  const names = [input.users.superuser, input.users.replication, input.users.rewind, input.users.app].map((c) => c.username);
  if (new Set(names).size !== names.length) throw new Error('superuser, replication, rewind and application roles must be distinct');
  const t = input.timing ?? DEFAULT_TIMING;
  if (t.ttl < t.loopWait + 2 * t.retryTimeout) throw new Error('Patroni timing: ttl must be >= loop_wait + 2 * retry_timeout');
}

/**
 * Bounds on a lost peer: the walsender drops a silent standby after `s` seconds (then Patroni,
 * non-strict, lets commits proceed), TCP gives up on unacknowledged data after `s` seconds,
 * keepalives probe an idle link, and the walreceiver drops a silent primary after `s` seconds.
 */
function replicationTimeouts(s: number | undefined): Record<string, string | number> {
  if (s === undefined) return {};
  return {
    wal_sender_timeout: `${s}s`,
    wal_receiver_timeout: `${s}s`,
    tcp_user_timeout: `${s * 1000}ms`,
    tcp_keepalives_idle: Math.max(1, Math.floor(s / 2)),
    tcp_keepalives_interval: 1,
    tcp_keepalives_count: 3,
  };
}

/** pg_hba: TLS-only, scram-sha-256, limited to the given subnets; peer for the local postgres OS user. */
export function pgHba(input: Pick<PatroniClusterInput, 'allowedSubnets' | 'users'>): string[] {
  const { superuser, replication } = input.users;
  return [
    `local   all             ${superuser.username.padEnd(15)} peer`,
    'local   all             all             scram-sha-256',
    'host    all             all             127.0.0.1/32    scram-sha-256',
    // Patroni reads a replica's timeline over a local replication connection (IDENTIFY_SYSTEM).
    `host    replication     ${replication.username.padEnd(15)} 127.0.0.1/32    scram-sha-256`,
    ...input.allowedSubnets.map((s) => `hostssl replication     ${replication.username.padEnd(15)} ${s.padEnd(15)} scram-sha-256`),
    ...input.allowedSubnets.map((s) => `hostssl all             all             ${s.padEnd(15)} scram-sha-256`),
    // Anything else, including non-TLS connections from the allowed subnets, is rejected.
    'host    all             all             0.0.0.0/0       reject',
  ];
}

export function renderPatroni(input: PatroniClusterInput): RenderedFile[] {
  validate(input);
  const binDir = input.binDir ?? DEFAULT_BIN_DIR;
  const timing = input.timing ?? DEFAULT_TIMING;
  const { users } = input;
  const scriptPath = `${input.configRoot}/${postBootstrapPath(input.domain)}`;

  // Runs once, on the bootstrap node, before Patroni creates the `users` below. It makes the
  // application role (NOLOGIN, no password here) own the domain database; Patroni then ALTERs
  // it to LOGIN with its password, so no password is ever written in a script.
  const script = [
    '#!/bin/sh',
    `# post_bootstrap of the ${input.domain} cluster — rendered by hds-platform, do not edit.`,
    '# $1 is the superuser connection string Patroni passes (password in PGPASSFILE).',
    'set -eu',
    `"${binDir}/psql" "$1" -v ON_ERROR_STOP=1 -c ${shellQuote(`CREATE ROLE ${users.app.username} NOLOGIN`)} -c ${shellQuote(`CREATE DATABASE ${input.domain} OWNER ${users.app.username}`)} -c ${shellQuote(`REVOKE ALL ON DATABASE ${input.domain} FROM PUBLIC`)}`,
    '',
  ].join('\n');

  const files: RenderedFile[] = [{ path: postBootstrapPath(input.domain), content: script, mode: 0o755 }];

  for (const node of input.nodes) {
    const config = {
      scope: input.domain,
      namespace: input.dcsNamespace ?? '/hds/',
      name: node.name,
      log: { level: 'INFO', format: '%(asctime)s %(levelname)s: %(message)s' },
      restapi: {
        listen: `${node.restListenAddress ?? node.address}:${node.restPort}`,
        connect_address: `${node.address}:${node.restPort}`,
        certfile: node.serverTls.certFile,
        keyfile: node.serverTls.keyFile,
        cafile: node.serverTls.caFile,
        // GET health endpoints (/primary, /replica) stay open to HAProxy's checks over TLS;
        // unsafe methods need basic auth.
        verify_client: 'optional',
        authentication: { username: users.restApi.username, password: users.restApi.password },
      },
      // Client side of REST calls to the other members (and patronictl).
      ctl: {
        certfile: node.clientTls.certFile,
        keyfile: node.clientTls.keyFile,
        cacert: node.serverTls.caFile,
      },
      etcd3: {
        hosts: input.etcd.hosts,
        // The listed hosts are the only ones used: no discovery of the other members (see
        // etcdHosts in fromTopology/postgres.ts — never a member of the other data site).
        use_proxies: true,
        protocol: 'https',
        cacert: input.etcd.caFile,
        cert: input.etcd.certFile,
        key: input.etcd.keyFile,
      },
      bootstrap: {
        dcs: {
          ttl: timing.ttl,
          loop_wait: timing.loopWait,
          retry_timeout: timing.retryTimeout,
          maximum_lag_on_failover: 1048576,
          // EXG_PCA_2: RPO 0 — synchronous replication; only the synchronous standby of record
          // may be promoted. Strict or not: see PatroniClusterInput.synchronous.
          synchronous_mode: true,
          synchronous_mode_strict: input.synchronous?.strict ?? true,
          synchronous_node_count: 1,
          // Keep the primary when the DCS is unreachable but every member still answers it.
          failsafe_mode: true,
          // Safe with synchronous_mode: fail over at once when the primary crashes.
          primary_start_timeout: 0,
          postgresql: {
            use_pg_rewind: true,
            use_slots: true,
            parameters: {
              wal_level: 'replica',
              hot_standby: 'on',
              wal_log_hints: 'on',
              max_connections: 200,
              max_wal_senders: 10,
              max_replication_slots: 10,
              wal_keep_size: '512MB',
              max_wal_size: '1GB',
              password_encryption: 'scram-sha-256',
              ...replicationTimeouts(input.replicationTimeoutSeconds),
            },
          },
        },
        // Data checksums: detect silent corruption (and allow pg_rewind).
        initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums', { 'auth-local': 'peer' }, { 'auth-host': 'scram-sha-256' }],
        post_bootstrap: scriptPath,
        users: {
          [users.app.username]: { password: users.app.password, options: ['LOGIN'] },
        },
      },
      postgresql: {
        listen: `${node.address},127.0.0.1:${node.pgPort}`,
        connect_address: `${node.address}:${node.pgPort}`,
        data_dir: node.dataDir,
        bin_dir: binDir,
        pgpass: node.pgpassFile,
        use_unix_socket: true,
        authentication: {
          superuser: { username: users.superuser.username, password: users.superuser.password },
          replication: {
            username: users.replication.username,
            password: users.replication.password,
            sslmode: 'verify-ca',
            sslrootcert: node.serverTls.caFile,
          },
          rewind: {
            username: users.rewind.username,
            password: users.rewind.password,
            sslmode: 'verify-ca',
            sslrootcert: node.serverTls.caFile,
          },
        },
        parameters: {
          unix_socket_directories: node.socketDir,
          ssl: 'on',
          ssl_cert_file: node.serverTls.certFile,
          ssl_key_file: node.serverTls.keyFile,
          ssl_ca_file: node.serverTls.caFile,
          ssl_min_protocol_version: 'TLSv1.2',
          // EXG_PRA_2: continuous WAL archiving to the encrypted off-site repository.
          archive_mode: 'on',
          archive_command: pgbackrestCmd(input, 'archive-push %p'),
          archive_timeout: '60s',
          ...input.extraParameters,
        },
        recovery_conf: {
          restore_command: pgbackrestCmd(input, 'archive-get %f "%p"'),
        },
        create_replica_methods: ['basebackup'],
        basebackup: [{ checkpoint: 'fast' }],
        pg_hba: pgHba(input),
      },
      watchdog: {
        mode: input.watchdog?.mode ?? 'off',
        ...(input.watchdog?.device ? { device: input.watchdog.device } : {}),
        ...(input.watchdog?.safetyMargin !== undefined ? { safety_margin: input.watchdog.safetyMargin } : {}),
      },
      tags: { dc: node.site, nofailover: false, noloadbalance: false, clonefrom: false, nosync: false, ...node.tags },
    };
    const header = `# Patroni ${input.domain} / ${node.name} (${node.site}) — rendered by hds-platform, do not edit.\n# Synchronous replication: RPO 0 (EXG_PCA_2). Holds passwords: mode 0600.\n`;
    files.push({ path: patroniConfigPath(node), content: header + stringify(config, { lineWidth: 0 }), mode: 0o600 });
  }
  return files;
}
