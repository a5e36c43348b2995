/**
 * Endpoints of the lab's edge and supervision services (HSM tokens, reference service, WAF,
 * Prometheus), derived from the plan's topology like endpoints.ts does for the data plane.
 */
import { join } from 'node:path';
import { PORTS } from '../model/ports.ts';
import type { Guest } from '../model/topology.ts';
import { runnableDaemons } from '../runtime/ceph/bootstrap.ts';
import { cephClusterInput } from '../services/fromTopology/ceph.ts';
import { haproxyEndpoints } from './endpoints.ts';
import { labGuests, labProfileOf, labSiteOf } from './guests.ts';
import type { LabPlan, LabSite } from './types.ts';

/** Label of the SoftHSM2 token of each DC. */
export const HSM_TOKEN_LABEL = 'hds-lab';

/** The business domain the reference service writes to: `documents` when the lab has it. */
export function refserviceDomain(plan: LabPlan): string {
  return (plan.postgresDomains.find((d) => d.name === 'documents') ?? plan.postgresDomains[0]!).name;
}

export interface EdgeSite {
  site: LabSite;
  /** Site id in lower case, e.g. `dc1`. */
  id: string;
  /** The WAF guest; the reference service stands in on its address for the applications. */
  guest: Guest;
  refservice: { process: string; url: string; port: number };
  waf: { process: string; url: string; port: number };
  /** Address and write port of the reference service's domain on this site's HAProxy. */
  pgWriteHost: string;
  pgWritePort: number;
}

/** Each site with a WAF runs it and the reference service behind it, writing through the site's HAProxy. */
export function edgeSites(plan: LabPlan): EdgeSite[] {
  const domain = refserviceDomain(plan);
  const profile = labProfileOf(plan);
  return labGuests(plan).waf.map((guest) => {
    const site = labSiteOf(plan, guest.site);
    const id = site.id.toLowerCase();
    const h = haproxyEndpoints(plan).find((x) => x.site.id === site.id);
    if (!h) throw new Error(`the lab has a WAF in ${site.id} but no HAProxy there`);
    const front = profile.address(guest, 'front');
    return {
      site,
      id,
      guest,
      refservice: { process: `refservice-${id}`, url: `http://${front}:${PORTS.refservice}`, port: PORTS.refservice },
      waf: { process: `waf-${id}`, url: `https://${front}:${PORTS.waf}`, port: PORTS.waf },
      pgWriteHost: h.address,
      pgWritePort: h.clusters.find((c) => c.domain === domain)!.writePort,
    };
  });
}

/** The monitoring guest the lab runs (DC3's, which survives the loss of either DC). */
export function monitoringGuest(plan: LabPlan): Guest {
  const g = labGuests(plan).monitoring[0];
  if (!g) throw new Error('the lab environment declares no monitoring');
  return g;
}

export function monitoringSite(plan: LabPlan): LabSite {
  return labSiteOf(plan, monitoringGuest(plan).site);
}

export function prometheusUrl(plan: LabPlan): string {
  return `http://${labProfileOf(plan).address(monitoringGuest(plan), 'admin')}:${PORTS.prometheusWeb}`;
}

export interface ObjectGateway {
  site: LabSite;
  /** The gateway's daemon name, e.g. `client.rgw.lab-dc1-ceph-osd-01`. */
  name: string;
  /** S3 endpoint over TLS (the platform CA), e.g. `https://10.199.0.138:7443`. */
  url: string;
}

/** The Ceph object gateway the lab runs in each data site (none when the lab has no Ceph), the site's first. */
export function objectGateways(plan: LabPlan): ObjectGateway[] {
  if (!plan.topology.ceph) return [];
  return runnableDaemons(cephClusterInput(plan.topology, labProfileOf(plan)))
    .filter((d) => d.kind === 'rgw')
    .map((d) => ({ site: labSiteOf(plan, d.site), name: d.name, url: `https://${d.address}:${d.ports[0]}` }));
}

export function hsmPaths(stateDir: string, siteId: string): { confDir: string; tokenDir: string } {
  const id = siteId.toLowerCase();
  return { confDir: join(stateDir, 'etc', 'hsm', id), tokenDir: join(stateDir, 'data', 'hsm', id, 'tokens') };
}
