/**
 * WAF (service `waf`) from the topology: nginx + ModSecurity + CRS listening on the guest's
 * front NIC on 443 (flow internet-to-waf), re-encrypting to the OpenShift ingress routers (role
 * `infra`) of its OWN site on 443 (flow waf-to-ingress is same-site: production and the other
 * environments never cross a site here).
 *
 * Routes: the reference API's positive model (REFERENCE_API_ROUTES) for now. The real
 * per-application API contracts (OpenAPI of each MES/DMP micro-service) come from the
 * workloads issue, which will pass them here instead.
 *
 * Not rendered when the site has no ingress router (the `lab` environment: its WAF fronts the
 * reference service the lab runs itself).
 */
import type { Guest, Topology } from '../../model/topology.ts';
import type { RenderedFile } from '../types.ts';
import { REFERENCE_API_ROUTES, renderWaf, WAF_FILES, type WafRenderInput, wafRuntimePaths } from '../waf/render.ts';
import { nicOf, PORTS, place, serviceNic, TLS } from './common.ts';

export const WAF_PATHS = { confDir: '/etc/nginx', runDir: '/var/lib/nginx/hds', tmpfiles: '/etc/tmpfiles.d/hds-waf.conf' } as const;

export const isWaf = (g: Guest) => g.service === 'waf';

/** Ingress routers of the WAF's site, on their service NIC. */
export function wafUpstreams(t: Topology, g: Guest): Array<{ address: string; port: number }> {
  return t.guests
    .filter((x) => x.service === 'openshift' && x.role === 'infra' && x.site === g.site)
    .map((x) => ({ address: serviceNic(x).ip, port: PORTS.ingress }));
}

export function wafInput(t: Topology, g: Guest): WafRenderInput | undefined {
  const upstreams = wafUpstreams(t, g);
  if (upstreams.length === 0) return undefined;
  return {
    name: g.name,
    confDir: WAF_PATHS.confDir,
    runDir: WAF_PATHS.runDir,
    listen: { address: nicOf(g, 'front').ip, port: PORTS.waf },
    tls: { certPath: TLS.publicCert, keyPath: TLS.publicKey },
    upstreams,
    // The ingress routers' certificate is issued by the platform PKI for the cluster's apps domain.
    upstreamTls: { caFile: TLS.caFile, serverName: `apps.${g.cluster.replace(/^waf-/, 'ocp-')}.${t.environment.name}.hds` },
    routes: REFERENCE_API_ROUTES,
    workerUser: 'www-data',
    workerProcesses: 4,
  };
}

export function wafFilesFor(t: Topology, g: Guest): RenderedFile[] {
  const input = wafInput(t, g);
  if (!input) return [];
  const files = renderWaf(input);
  const byName = (p: string) => files.find((f) => f.path === p);
  const rt = wafRuntimePaths(input);
  return [
    ...Object.values(WAF_FILES).map((p) => place(byName(p), `${WAF_PATHS.confDir}/${p}`, `WAF ${p}`)),
    {
      path: WAF_PATHS.tmpfiles,
      content: `# Managed by hds-platform: runtime directories of the WAF (pid, logs, ModSecurity temp and audit log).\n${rt.dirs.map((d, i) => `d ${d} ${i === 0 ? '0711' : '0755'} ${i === 0 ? 'root root' : 'www-data www-data'} -`).join('\n')}\n`,
      mode: 0o644,
    },
  ];
}
