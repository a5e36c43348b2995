/**
 * THE adapter from the topology to the files of a guest: `guestFiles(topology, guest, profile)`.
 * Cloud-init (stacks/serviceConfig.ts), the local lab (modules/lab/guests.ts) and the policy
 * evidence (policies/evidence/services.ts) all call it; nothing else builds renderer inputs.
 * The adapters of this folder build the inputs of the pure renderers
 * (modules/services/<svc>/render.ts) from the model and place the files at their paths; the
 * content is the renderer's, byte for byte. A deployment profile (profile.ts) holds only what
 * differs between a production VM and the lab: roots, addresses, secret resolution, service
 * manager.
 *
 * | guest (model/roles.ts) | files |
 * | --- | --- |
 * | PostgreSQL data node | Patroni config.yml + post-bootstrap script, pgbackrest.conf (client) |
 * | DCS member (etcd, witness) | etcd.yml, /etc/default/etcd |
 * | HAProxy | haproxy.cfg |
 * | backup, first server of the policy | pgbackrest.conf (repository) |
 * | WAF | nginx.conf, ModSecurity main/CRS setup/positive model, tmpfiles.d |
 * | monitoring | prometheus.yml, alert rules, blackbox.yml |
 * | Kafka broker or KRaft controller | server.properties, kafka.service, its pre-start script |
 * | Ceph host of the stretched cluster (OSD host, bare metal; tie-breaker VM) | ceph.conf; the bootstrap plan on the first monitor |
 *
 * Everything else (OpenShift nodes boot the agent ISO; bastion has no renderer yet; HSMs are
 * appliances; the external Ceph cluster in DC3 is not rendered yet) gets no service file. Ceph's
 * OSD hosts are the only bare-metal guests with files: their cloud-init comes from a NoCloud seed
 * (the VMs' user-data, modules/proxmox/cloudinit/nocloud.ts, `hdsctl baremetal seeds`) served to
 * the servers' installer over HTTP or burned on a `cidata` ISO (docs/storage.md).
 */
import { CEPH_CLUSTER } from '../../model/ceph.ts';
import { isDcsMember, isHaproxy, isKafkaBroker, isKafkaController, isMonitoring, isPgData, isWaf } from '../../model/roles.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import type { GuestFile } from '../types.ts';
import { pgbackrestFilesFor } from './backup.ts';
import { cephFilesFor } from './ceph.ts';
import { etcdFilesFor } from './etcd.ts';
import { haproxyFilesFor } from './haproxy.ts';
import { kafkaFilesFor } from './kafka.ts';
import { monitoringFilesFor } from './monitoring.ts';
import { patroniFilesFor } from './postgres.ts';
import type { DeploymentProfile } from './profile.ts';
import { wafFilesFor } from './waf.ts';

export function guestFiles(t: Topology, g: Guest, p: DeploymentProfile): GuestFile[] {
  if (g.service === 'ceph' && g.cluster === CEPH_CLUSTER) return cephFilesFor(t, p, g);
  if (g.hosting !== 'vm') return [];
  if (isPgData(g)) return [...patroniFilesFor(t, p, g), ...pgbackrestFilesFor(t, p, g)];
  if (isDcsMember(g)) return etcdFilesFor(t, p, g);
  if (isHaproxy(g)) return haproxyFilesFor(t, p, g);
  if (isWaf(g)) return wafFilesFor(t, p, g);
  if (isMonitoring(g)) return monitoringFilesFor(t, p, g);
  if (isKafkaBroker(g) || isKafkaController(g)) return kafkaFilesFor(t, p, g);
  if (g.service === 'backup') return pgbackrestFilesFor(t, p, g);
  return [];
}
