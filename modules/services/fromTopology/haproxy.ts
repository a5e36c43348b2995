/**
 * HAProxy (role `haproxy`, clusters `pglb-<site>`) from the topology: every business domain of
 * the environment gets a write and a read frontend (ports 5000 + 2i and 5001 + 2i, domain i in
 * model order, as in the lab) whose servers are the domain's two data nodes, on both sites
 * (flow pg-haproxy-to-pg is any-site), health-checked on Patroni's REST /primary and /replica
 * over TLS. Frontends bind the service (back) NIC, the stats/metrics page the admin NIC (flow
 * monitoring-pg). Both guests of a pair get the same file but their own addresses.
 */
import type { Guest, Topology } from '../../model/topology.ts';
import { type HaproxyInput, renderHaproxy } from '../haproxy/render.ts';
import type { RenderedFile } from '../types.ts';
import { nicOf, PORTS, pgDomains, pgNodes, place, serviceNic, TLS } from './common.ts';

export const HAPROXY_CONFIG = '/etc/haproxy/haproxy.cfg';

export const isHaproxy = (g: Guest) => g.service === 'postgresql' && g.role === 'haproxy';

export function haproxyInput(t: Topology, g: Guest): HaproxyInput {
  return {
    site: g.site,
    bindAddress: serviceNic(g).ip,
    statsBindAddress: nicOf(g, 'admin').ip,
    caFile: TLS.caFile,
    statsPort: PORTS.haproxyStats,
    clusters: pgDomains(t).map((domain, i) => ({
      name: domain,
      writePort: PORTS.haproxyWrite + 2 * i,
      readPort: PORTS.haproxyWrite + 2 * i + 1,
      servers: pgNodes(t, domain).map((n) => ({ name: n.name, address: serviceNic(n).ip, pgPort: PORTS.postgres, restPort: PORTS.patroniRest })),
    })),
  };
}

export function haproxyFilesFor(t: Topology, g: Guest): RenderedFile[] {
  return [place(renderHaproxy(haproxyInput(t, g))[0], HAPROXY_CONFIG, `the HAProxy config of ${g.name}`)];
}
