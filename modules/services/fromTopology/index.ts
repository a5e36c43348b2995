/**
 * The service configuration of a guest, from the topology, through the same pure renderers the
 * local lab runs (modules/services/<svc>/render.ts): the adapters of this folder only build the
 * renderers' inputs from the model and place the files at their production paths; the content is
 * the renderer's, byte for byte. Dispatch on the guest's service and role:
 *
 * | guest | files |
 * | --- | --- |
 * | postgresql primary/standby | Patroni config.yml + post-bootstrap script, pgbackrest.conf (client) |
 * | postgresql etcd/witness (`pg-dcs`) | etcd.yml, /etc/default/etcd |
 * | postgresql haproxy | haproxy.cfg |
 * | backup, first server of the policy | pgbackrest.conf (repository) |
 * | waf | nginx.conf, ModSecurity main/CRS setup/positive model, tmpfiles.d |
 * | monitoring | prometheus.yml, alert rules, blackbox.yml |
 *
 * Everything else (OpenShift nodes boot the agent ISO; Kafka, Ceph, bastion have no renderer
 * yet; HSMs are appliances) gets only the default set.
 */
import type { Guest, Topology } from '../../model/topology.ts';
import type { RenderedFile } from '../types.ts';
import { pgbackrestFilesFor } from './backup.ts';
import { isPgData } from './common.ts';
import { etcdFilesFor, isEtcdMember } from './etcd.ts';
import { haproxyFilesFor, isHaproxy } from './haproxy.ts';
import { isMonitoring, monitoringFilesFor } from './monitoring.ts';
import { patroniFilesFor } from './postgres.ts';
import { isWaf, wafFilesFor } from './waf.ts';

export function serviceFilesFor(t: Topology, g: Guest): RenderedFile[] {
  if (g.hosting !== 'vm') return [];
  switch (g.service) {
    case 'postgresql':
      if (isPgData(g)) return [...patroniFilesFor(t, g), ...pgbackrestFilesFor(t, g)];
      if (isEtcdMember(g)) return etcdFilesFor(t, g);
      if (isHaproxy(g)) return haproxyFilesFor(t, g);
      return [];
    case 'backup':
      return pgbackrestFilesFor(t, g);
    case 'waf':
      return isWaf(g) ? wafFilesFor(t, g) : [];
    case 'monitoring':
      return isMonitoring(g) ? monitoringFilesFor(t, g) : [];
    default:
      return [];
  }
}
