/**
 * Every component of the lab, in start order: the Ceph cluster when the environment has one
 * (in the background: its bootstrap runs alongside the rest), the data plane (etcd, pgBackRest
 * servers, Patroni per domain, HAProxy, pgBackRest stanzas), then the HSM tokens, the reference
 * service (waits for Ceph: its documents' contents live there), the WAF and supervision.
 * labDown stops them in reverse order.
 */
import type { LabComponent } from '../context.ts';
import type { LabPlan } from '../types.ts';
import { cephComponent, labHasCeph } from './ceph.ts';
import { etcdComponent } from './etcd.ts';
import { haproxyComponent } from './haproxy.ts';
import { hsmComponent } from './hsm.ts';
import { monitoringComponent } from './monitoring.ts';
import { pgbackrestServersComponent, pgbackrestStanzasComponent } from './pgbackrest.ts';
import { postgresComponents } from './postgres.ts';
import { refserviceComponent } from './refservice.ts';
import { wafComponent } from './waf.ts';

export function labComponents(plan: LabPlan): LabComponent[] {
  return [
    ...(labHasCeph(plan) ? [cephComponent()] : []),
    etcdComponent(),
    pgbackrestServersComponent(),
    ...plan.postgresDomains.flatMap((d) => postgresComponents(d.name)),
    haproxyComponent(),
    pgbackrestStanzasComponent(),
    hsmComponent(),
    refserviceComponent(labHasCeph(plan) ? ['ceph'] : []),
    wafComponent(),
    monitoringComponent(),
  ];
}
