/**
 * etcd (the Patroni DCS) from the topology: the members are the guests of the `pg-dcs`
 * cluster (one etcd per data site and the witness in the third site), on their service (back)
 * NIC. One renderEtcd call per (topology, profile); each member takes its own file.
 */
import { PORTS } from '../../model/ports.ts';
import { DCS_CLUSTER, dcsMembers } from '../../model/roles.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import { type EtcdClusterInput, renderEtcd } from '../etcd/render.ts';
import type { GuestFile } from '../types.ts';
import { at, memo, place, serverTls, serviceAddress } from './common.ts';
import { ETCD_PATHS } from './paths.ts';
import type { DeploymentProfile } from './profile.ts';

export function etcdInput(t: Topology, p: DeploymentProfile): EtcdClusterInput {
  return {
    clusterToken: `${t.environment.name}-${DCS_CLUSTER}`,
    members: dcsMembers(t).map((g) => ({
      name: g.name,
      site: g.site,
      address: serviceAddress(p, g),
      clientPort: PORTS.etcdClient,
      peerPort: PORTS.etcdPeer,
      dataDir: at(p, g, ETCD_PATHS.dataDir),
      tls: serverTls(p, g),
    })),
  };
}

const rendered = memo((t, p) => renderEtcd(etcdInput(t, p)));

export function etcdFilesFor(t: Topology, p: DeploymentProfile, g: Guest): GuestFile[] {
  const config = at(p, g, ETCD_PATHS.config);
  return [
    place(
      rendered(t, p).find((f) => f.path === `${g.name}.yml`),
      config,
      `the etcd config of ${g.name}`,
      'etcd',
      'etcd',
    ),
    {
      path: at(p, g, ETCD_PATHS.defaults),
      content: `# Managed by hds-platform: the Debian unit runs etcd $DAEMON_ARGS; everything else is in the config file.\nDAEMON_ARGS="--config-file=${config}"\n`,
      mode: 0o644,
      service: 'etcd',
    },
  ];
}
