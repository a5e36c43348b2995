/** The lab's certificates: one per site (server + peer client), and client certificates per role. */

import type { CertPaths } from '../../runtime/pki.ts';
import type { LabContext } from '../context.ts';
import type { LabSite } from '../types.ts';

/**
 * Server certificate of a site (IP SAN = site address); also a client cert (etcd peers).
 * The address is ALSO a DNS SAN: pgBackRest 2.45 matches the host it dials only against
 * the CN and DNS SANs (not IP SANs), and the lab has no DNS. Clients that know IP SANs
 * (Go, Python, Node, libpq) keep matching the IP SAN.
 */
export function siteCert(ctx: LabContext, site: LabSite): Promise<CertPaths> {
  const n = site.id.toLowerCase();
  return ctx.cert({
    name: `site-${n}`,
    commonName: `${n}.lab.hds`,
    dnsNames: [`${n}.lab.hds`, site.netns, site.address],
    ipAddresses: [site.address],
    usage: 'both',
  });
}

/** Client certificate with CN = `cn` (Patroni to etcd, pgBackRest hosts to each other). */
export function clientCert(ctx: LabContext, cn: string): Promise<CertPaths> {
  return ctx.cert({ name: `client-${cn}`, commonName: cn, dnsNames: [], ipAddresses: [], usage: 'client' });
}
