/**
 * Patroni/PostgreSQL from the topology: one renderPatroni call per business domain, whose
 * nodes are the two data guests of `pg-<domain>` (primary site first), on their service (back)
 * NIC; the DCS is every `pg-dcs` member (the DC3 witness included).
 *
 * pg_hba (`allowedSubnets`): not the whole environment block but the zone subnets the flow
 * matrix says reach PostgreSQL on its port (the HAProxy pairs and the other data node: the
 * back zones of the data sites). Local clients (pgBackRest, exporters) use the socket.
 *
 * Secrets are placeholders `@@secret:<env>/pg-<domain>/<role>#password@@` (the generated
 * passwords must be YAML-safe: the stores generate [A-Za-z0-9]).
 */
import { PORTS } from '../../model/ports.ts';
import { dcsMembers, pgNodes, pgRoleNames } from '../../model/roles.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import { renderPgExporterQueries } from '../monitoring/render.ts';
import { type PatroniClusterInput, patroniConfigPath, postBootstrapPath, renderFenceOrphanScript, renderPatroni, renderPatroniFenceDropIn } from '../postgres/render.ts';
import type { GuestFile } from '../types.ts';
import { at, clientTls, envSecret, place, serverTls, serviceAddress, TLS, zoneSubnetOf } from './common.ts';
import { MONITORING_PATHS, PG_PATHS, PGBACKREST_PATHS, WATCHDOG_PATHS } from './paths.ts';
import type { DeploymentProfile } from './profile.ts';

/** Zone subnets whose guests open PostgreSQL connections to a data node of `domain` (flow matrix). */
export function pgClientSubnets(t: Topology, domain: string): string[] {
  const nodes = new Set(pgNodes(t, domain).map((g) => g.name));
  const subnets = new Set<string>();
  for (const e of t.flowMatrix) if (nodes.has(e.destination.name) && String(e.port) === String(PORTS.postgres)) subnets.add(zoneSubnetOf(t, e.source.ip));
  return [...subnets].sort();
}

/**
 * host:port of the DCS members `self`'s Patroni talks to: those of its own site and of the sites
 * that hold no data node of the domain (the DC3 tie-breaker) — never a member in the other data
 * site. Rendered with `use_proxies: true`, so Patroni does not discover the rest of the cluster.
 *
 * Why (docs/adr/0006-ha-design.md, issue 10): when a data site is lost, its packets are dropped,
 * not refused. Patroni 3.0.2's etcd3 watch on a member there stays on a dead socket until TCP
 * keepalive gives up (~31 s measured), and the surviving standby keeps following the expired
 * leader key. With the lost site's member never in the list, that cannot happen. Coverage: the
 * etcd quorum needs 2 of the 3 sites; if it exists and `self`'s site is up, at least one of
 * {own site's member, tie-breaker's member} is in it.
 */
export function etcdHosts(t: Topology, p: DeploymentProfile, self: Guest, domain: string): string[] {
  const otherDataSites = new Set(pgNodes(t, domain).map((g) => g.site).filter((s) => s !== self.site));
  const members = dcsMembers(t).filter((g) => !otherDataSites.has(g.site));
  // Own site first: it is the nearest, and the order is the one Patroni tries first.
  members.sort((a, b) => Number(b.site === self.site) - Number(a.site === self.site) || a.name.localeCompare(b.name));
  return members.map((g) => `${serviceAddress(p, g)}:${PORTS.etcdClient}`);
}

/**
 * The HA design (docs/adr/0006-ha-design.md): failover within seconds of a lost leader (ttl
 * 10 s ≥ loop_wait 2 + 2 × retry_timeout 4), a lost standby dropped from the commit path within
 * REPLICATION_TIMEOUT_S seconds, and — with `onStandbyLoss: continue-alone` — the leader going
 * on alone while its partner is away.
 */
export const PATRONI_TIMING = { ttl: 10, loopWait: 2, retryTimeout: 4 } as const;
export const REPLICATION_TIMEOUT_S = 6;

export type PgCredential = 'superuser' | 'replication' | 'rewind' | 'app' | 'restapi';

/** The placeholder of a domain's PostgreSQL credential (`@@secret:<env>/pg-<domain>/<which>#password@@`). */
export function pgCredentialRef(t: Topology, domain: string, which: PgCredential): string {
  return envSecret(t, `pg-${domain}`, which);
}

/**
 * The renderer input for `self`, a data node of `domain`: the cluster-level paths (config root,
 * etcd client certificate, pgBackRest config) are those of `self`'s own tree, the other node
 * appears with its address and its own paths. In production every root is '' so both nodes'
 * inputs are the same.
 */
export function patroniInput(t: Topology, p: DeploymentProfile, domain: string, self: Guest): PatroniClusterInput {
  const roles = pgRoleNames(domain);
  const cred = (username: string, which: PgCredential) => ({ username, password: pgCredentialRef(t, domain, which) });
  return {
    domain,
    configRoot: at(p, self, PG_PATHS.configRoot),
    allowedSubnets: pgClientSubnets(t, domain),
    etcd: { hosts: etcdHosts(t, p, self, domain), caFile: at(p, self, TLS.caFile), certFile: at(p, self, TLS.clientCert), keyFile: at(p, self, TLS.clientKey) },
    users: {
      superuser: cred(roles.superuser, 'superuser'),
      replication: cred(roles.replication, 'replication'),
      rewind: cred(roles.rewind, 'rewind'),
      app: cred(roles.app, 'app'),
      restApi: cred(roles.restApi, 'restapi'),
    },
    pgbackrest: { stanza: domain, configPath: at(p, self, PGBACKREST_PATHS.config) },
    timing: PATRONI_TIMING,
    synchronous: { strict: t.postgresql?.onStandbyLoss === 'stop-writes' },
    replicationTimeoutSeconds: REPLICATION_TIMEOUT_S,
    watchdog: p.fencing === 'watchdog' ? { mode: 'required', device: WATCHDOG_PATHS.device, safetyMargin: 5 } : { mode: 'off' },
    nodes: pgNodes(t, domain).map((g) => ({
      name: g.name,
      site: g.site,
      address: serviceAddress(p, g),
      pgPort: PORTS.postgres,
      restPort: PORTS.patroniRest,
      restListenAddress: '0.0.0.0',
      dataDir: at(p, g, PG_PATHS.dataDir),
      socketDir: at(p, g, PG_PATHS.socketDir),
      pgpassFile: at(p, g, PG_PATHS.pgpass),
      serverTls: serverTls(p, g),
      clientTls: clientTls(p, g),
    })),
  };
}

export function patroniFilesFor(t: Topology, p: DeploymentProfile, g: Guest): GuestFile[] {
  const domain = g.domain;
  if (!domain) throw new Error(`${g.name}: a PostgreSQL data node without a domain`);
  const files = renderPatroni(patroniInput(t, p, domain, g));
  return [
    place(
      files.find((f) => f.path === patroniConfigPath(g)),
      at(p, g, PG_PATHS.config),
      `the Patroni config of ${g.name}`,
      'postgresql',
      'postgres',
    ),
    place(
      files.find((f) => f.path === postBootstrapPath(domain)),
      at(p, g, `${PG_PATHS.configRoot}/${postBootstrapPath(domain)}`),
      'the post-bootstrap script',
      'postgresql',
    ),
    // The replication the primary really has, for the PostgresPrimaryNotSynchronous alert (ADR 0006).
    { path: at(p, g, MONITORING_PATHS.pgExporterQueries), content: renderPgExporterQueries(), mode: 0o644, service: 'monitoring' },
    // Fencing (ADR 0006): a postmaster a crashed Patroni left running is stopped before Patroni starts.
    { path: at(p, g, PG_PATHS.fenceScript), content: renderFenceOrphanScript({ dataDir: at(p, g, PG_PATHS.dataDir) }), mode: 0o755, service: 'postgresql' },
    { path: at(p, g, PG_PATHS.fenceDropIn), content: renderPatroniFenceDropIn(at(p, g, PG_PATHS.fenceScript)), mode: 0o644, service: 'postgresql' },
    // Fencing (ADR 0006): Patroni's watchdog on the Linux software watchdog.
    { path: at(p, g, WATCHDOG_PATHS.modulesLoad), content: '# Managed by hds-platform: Patroni watchdog (fencing, ADR 0006).\nsoftdog\n', mode: 0o644, service: 'postgresql' },
    {
      path: at(p, g, WATCHDOG_PATHS.udevRule),
      content: '# Managed by hds-platform: Patroni (user postgres) opens the watchdog (ADR 0006).\nKERNEL=="watchdog", OWNER="postgres", GROUP="postgres", MODE="0600"\n',
      mode: 0o644,
      service: 'postgresql',
    },
  ];
}
