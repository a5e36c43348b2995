/**
 * Patroni/PostgreSQL from the topology: one renderPatroni call per business domain, whose
 * nodes are the two data guests of `pg-<domain>` (primary site first), on their service (back)
 * NIC; the DCS is every `pg-dcs` member (the DC3 witness included).
 *
 * pg_hba (`allowedSubnets`): not the whole environment block but the zone subnets the flow
 * matrix says reach PostgreSQL on 5432 (the HAProxy pairs and the other data node: the back
 * zones of the data sites). Local clients (pgBackRest, exporters) use the socket or 127.0.0.1.
 *
 * Secrets are placeholders `@@secret:<env>/pg-<domain>/<role>#password@@`, resolved at first
 * boot (the generated passwords must be YAML-safe: the store generates [A-Za-z0-9]).
 */
import type { Guest, Topology } from '../../model/topology.ts';
import { type PatroniClusterInput, patroniConfigPath, postBootstrapPath, renderPatroni } from '../postgres/render.ts';
import type { RenderedFile } from '../types.ts';
import { clientTls, envSecret, memo, PORTS, pgDomains, pgNodes, place, roleNames, serverTls, serviceNic, TLS, zoneSubnetOf } from './common.ts';
import { etcdHosts } from './etcd.ts';

export const PG_PATHS = {
  configRoot: '/etc/patroni',
  config: '/etc/patroni/config.yml',
  dataDir: '/var/lib/postgresql/15/main',
  socketDir: '/var/run/postgresql',
  pgpass: '/var/lib/postgresql/.pgpass.patroni',
} as const;

/** Zone subnets whose guests open PostgreSQL connections to a data node of `domain` (flow matrix, port 5432). */
export function pgClientSubnets(t: Topology, domain: string): string[] {
  const nodes = new Set(pgNodes(t, domain).map((g) => g.name));
  const subnets = new Set<string>();
  for (const e of t.flowMatrix) if (nodes.has(e.destination.name) && String(e.port) === String(PORTS.postgres)) subnets.add(zoneSubnetOf(t, e.source.ip));
  return [...subnets].sort();
}

export function patroniInput(t: Topology, domain: string): PatroniClusterInput {
  const cluster = `pg-${domain}`;
  const roles = roleNames(domain);
  const cred = (username: string, name: string) => ({ username, password: envSecret(t, cluster, name) });
  return {
    domain,
    configRoot: PG_PATHS.configRoot,
    allowedSubnets: pgClientSubnets(t, domain),
    etcd: { hosts: etcdHosts(t), caFile: TLS.caFile, certFile: TLS.clientCert, keyFile: TLS.clientKey },
    users: {
      superuser: cred(roles.superuser, 'superuser'),
      replication: cred(roles.replication, 'replication'),
      rewind: cred(roles.rewind, 'rewind'),
      app: cred(roles.app, 'app'),
      restApi: cred(roles.restApi, 'restapi'),
    },
    // Default /etc/pgbackrest/pgbackrest.conf: no --config in archive_command.
    pgbackrest: { stanza: domain },
    nodes: pgNodes(t, domain).map((g) => ({
      name: g.name,
      site: g.site,
      address: serviceNic(g).ip,
      pgPort: PORTS.postgres,
      restPort: PORTS.patroniRest,
      restListenAddress: '0.0.0.0',
      dataDir: PG_PATHS.dataDir,
      socketDir: PG_PATHS.socketDir,
      pgpassFile: PG_PATHS.pgpass,
      serverTls,
      clientTls,
    })),
  };
}

const rendered = memo((t) => new Map(pgDomains(t).map((d) => [d, renderPatroni(patroniInput(t, d))])));

export function patroniFilesFor(t: Topology, g: Guest): RenderedFile[] {
  const files = rendered(t).get(g.domain!);
  if (!files) throw new Error(`${g.name}: no Patroni cluster for domain ${g.domain}`);
  return [
    place(
      files.find((f) => f.path === patroniConfigPath(g)),
      PG_PATHS.config,
      `the Patroni config of ${g.name}`,
    ),
    place(
      files.find((f) => f.path === postBootstrapPath(g.domain!)),
      `${PG_PATHS.configRoot}/${postBootstrapPath(g.domain!)}`,
      'the post-bootstrap script',
    ),
  ];
}
