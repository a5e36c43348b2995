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
 *
 * Everything else (OpenShift nodes boot the agent ISO; Kafka, Ceph, bastion have no renderer
 * yet; HSMs are appliances) gets no service file.
 */
import { isDcsMember, isHaproxy, isMonitoring, isPgData, isWaf } from '../../model/roles.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import type { GuestFile } from '../types.ts';
import { pgbackrestFilesFor } from './backup.ts';
import { etcdFilesFor } from './etcd.ts';
import { haproxyFilesFor } from './haproxy.ts';
import { monitoringFilesFor } from './monitoring.ts';
import { patroniFilesFor } from './postgres.ts';
import type { DeploymentProfile } from './profile.ts';
import { wafFilesFor } from './waf.ts';

export function guestFiles(t: Topology, g: Guest, p: DeploymentProfile): GuestFile[] {
  if (g.hosting !== 'vm') return [];
  if (isPgData(g)) return [...patroniFilesFor(t, p, g), ...pgbackrestFilesFor(t, p, g)];
  if (isDcsMember(g)) return etcdFilesFor(t, p, g);
  if (isHaproxy(g)) return haproxyFilesFor(t, p, g);
  if (isWaf(g)) return wafFilesFor(t, p, g);
  if (isMonitoring(g)) return monitoringFilesFor(t, p, g);
  if (g.service === 'backup') return pgbackrestFilesFor(t, p, g);
  return [];
}
