/** The endpoints an operator (or a test, a drill) uses to reach the running lab. */

import { PORTS } from '../model/ports.ts';
import { edgeSites, objectGateways, prometheusUrl } from './edgeEndpoints.ts';
import { backupSite, etcdMembers, haproxyEndpoints, patroniNodes } from './endpoints.ts';
import type { LabPlan } from './types.ts';

export function labEndpoints(plan: LabPlan): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of edgeSites(plan)) out[`waf ${e.site.id} (TLS, reference API)`] = e.waf.url;
  for (const h of haproxyEndpoints(plan)) {
    for (const c of h.clusters) {
      out[`postgres ${c.domain} write via HAProxy ${h.site.id}`] = `${h.address}:${c.writePort}`;
      out[`postgres ${c.domain} read via HAProxy ${h.site.id}`] = `${h.address}:${c.readPort}`;
    }
  }
  for (const d of plan.postgresDomains) for (const n of patroniNodes(plan, d.name)) out[`patroni ${n.name} REST`] = n.restUrl;
  out['etcd'] = etcdMembers(plan)
    .map((m) => m.clientUrl)
    .join(',');
  for (const g of objectGateways(plan)) out[`ceph object gateway ${g.site.id} (S3, TLS)`] = g.url;
  out['pgbackrest repository (DC3)'] = `${backupSite(plan).address}:${PORTS.pgbackrestTls}`;
  out['prometheus'] = prometheusUrl(plan);
  return out;
}
