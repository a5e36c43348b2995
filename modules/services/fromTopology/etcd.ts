/**
 * etcd (the Patroni DCS) from the topology: the members are the guests of the `pg-dcs`
 * cluster (one etcd per data site and the witness in the third site), on their service (back)
 * NIC. One renderEtcd call per environment; each member takes its own file.
 */
import type { Guest, Topology } from '../../model/topology.ts';
import { type EtcdClusterInput, etcdClientUrl, renderEtcd } from '../etcd/render.ts';
import type { RenderedFile } from '../types.ts';
import { memo, PORTS, place, serverTls, serviceNic } from './common.ts';

export const ETCD_CLUSTER = 'pg-dcs';
export const ETCD_PATHS = { config: '/etc/etcd/etcd.yml', defaults: '/etc/default/etcd', dataDir: '/var/lib/etcd/default' } as const;

export const isEtcdMember = (g: Guest) => g.service === 'postgresql' && g.cluster === ETCD_CLUSTER;

export function etcdMembersOf(t: Topology): Guest[] {
  return t.guests.filter(isEtcdMember);
}

export function etcdInput(t: Topology): EtcdClusterInput {
  return {
    clusterToken: `${t.environment.name}-${ETCD_CLUSTER}`,
    members: etcdMembersOf(t).map((g) => ({
      name: g.name,
      site: g.site,
      address: serviceNic(g).ip,
      clientPort: PORTS.etcdClient,
      peerPort: PORTS.etcdPeer,
      dataDir: ETCD_PATHS.dataDir,
      tls: serverTls,
    })),
  };
}

/** host:port of every member, as Patroni's etcd3 section lists them. */
export function etcdHosts(t: Topology): string[] {
  return etcdInput(t).members.map((m) => etcdClientUrl(m).replace(/^https:\/\//, ''));
}

const rendered = memo((t) => renderEtcd(etcdInput(t)));

export function etcdFilesFor(t: Topology, g: Guest): RenderedFile[] {
  const file = rendered(t).find((f) => f.path === `${g.name}.yml`);
  return [
    place(file, ETCD_PATHS.config, `the etcd config of ${g.name}`),
    {
      path: ETCD_PATHS.defaults,
      content: `# Managed by hds-platform: the Debian unit runs etcd $DAEMON_ARGS; everything else is in the config file.\nDAEMON_ARGS="--config-file=${ETCD_PATHS.config}"\n`,
      mode: 0o644,
    },
  ];
}
