/**
 * Endpoints of the lab's edge and supervision services (HSM tokens, reference service, WAF,
 * Prometheus), derived from the plan like endpoints.ts does for the data plane.
 */
import { join } from 'node:path';
import { SERVICE_PORTS } from '../services/ports.ts';
import { haproxyEndpoints, pgSites } from './endpoints.ts';
import type { LabPlan, LabSite } from './types.ts';

/** The lab's WAF listens on 8443 (production: 443); the rest are the services' usual ports. */
export const EDGE_PORTS = {
  waf: 8443,
  refservice: 8080,
  pgExporter: SERVICE_PORTS.pgExporter,
  blackbox: SERVICE_PORTS.blackbox,
  prometheus: 9090,
} as const;

/** TLS server name of the WAF certificate (the lab has no DNS; clients pin it with servername). */
export const WAF_SERVER_NAME = 'waf.lab.hds';
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
  refservice: { process: string; url: string; port: number };
  waf: { process: string; url: string; port: number };
  /** HAProxy write port of the reference service's domain on this site. */
  pgWritePort: number;
}

/** DC1 and DC2 each run a WAF and a reference service in front of their HAProxy. */
export function edgeSites(plan: LabPlan): EdgeSite[] {
  const domain = refserviceDomain(plan);
  return pgSites(plan).map((site) => {
    const id = site.id.toLowerCase();
    const h = haproxyEndpoints(plan).find((x) => x.site.id === site.id)!;
    const writePort = h.clusters.find((c) => c.domain === domain)!.writePort;
    return {
      site,
      id,
      refservice: { process: `refservice-${id}`, url: `http://${site.address}:${EDGE_PORTS.refservice}`, port: EDGE_PORTS.refservice },
      waf: { process: `waf-${id}`, url: `https://${site.address}:${EDGE_PORTS.waf}`, port: EDGE_PORTS.waf },
      pgWritePort: writePort,
    };
  });
}

/** The site running Prometheus and the blackbox exporter: DC3, which survives the loss of either DC. */
export function monitoringSite(plan: LabPlan): LabSite {
  return plan.sites.find((s) => s.id === 'DC3') ?? plan.sites[plan.sites.length - 1]!;
}

export function prometheusUrl(plan: LabPlan): string {
  return `http://${monitoringSite(plan).address}:${EDGE_PORTS.prometheus}`;
}

export function hsmPaths(stateDir: string, siteId: string): { confDir: string; tokenDir: string } {
  const id = siteId.toLowerCase();
  return { confDir: join(stateDir, 'etc', 'hsm', id), tokenDir: join(stateDir, 'data', 'hsm', id, 'tokens') };
}
