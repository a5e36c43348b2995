/**
 * HAProxy (role `haproxy`, clusters `pglb-<site>`) from the topology: every business domain of
 * the environment gets a write and a read frontend (the model's HAProxy port rule,
 * model/ports.ts haproxyPorts) whose servers are the domain's two data nodes, on both sites
 * (flow pg-haproxy-to-pg is any-site), health-checked on Patroni's REST /primary and /replica
 * over TLS. Frontends bind the service (back) NIC, the stats/metrics page the admin NIC (flow
 * monitoring-pg). Both guests of a pair get the same file but their own addresses.
 */
import { haproxyPorts, PORTS } from '../../model/ports.ts';
import { pgDomains, pgNodes } from '../../model/roles.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import { type HaproxyInput, renderHaproxy } from '../haproxy/render.ts';
import type { GuestFile } from '../types.ts';
import { at, place, serviceAddress, TLS } from './common.ts';
import { HAPROXY_PATHS } from './paths.ts';
import type { DeploymentProfile } from './profile.ts';

export function haproxyInput(t: Topology, p: DeploymentProfile, g: Guest): HaproxyInput {
  return {
    site: g.site,
    bindAddress: serviceAddress(p, g),
    statsBindAddress: p.address(g, 'admin'),
    caFile: at(p, g, TLS.caFile),
    statsPort: PORTS.haproxyStats,
    clusters: pgDomains(t).map((domain, i) => ({
      name: domain,
      writePort: haproxyPorts(i).write,
      readPort: haproxyPorts(i).read,
      servers: pgNodes(t, domain).map((n) => ({ name: n.name, address: serviceAddress(p, n), pgPort: PORTS.postgres, restPort: PORTS.patroniRest })),
    })),
  };
}

export function haproxyFilesFor(t: Topology, p: DeploymentProfile, g: Guest): GuestFile[] {
  return [place(renderHaproxy(haproxyInput(t, p, g))[0], at(p, g, HAPROXY_PATHS.config), `the HAProxy config of ${g.name}`, 'haproxy', 'haproxy')];
}
