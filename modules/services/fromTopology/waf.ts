/**
 * WAF (service `waf`) from the topology: nginx + ModSecurity + CRS listening on the guest's
 * front NIC (flow internet-to-waf), re-encrypting to the OpenShift ingress routers (role
 * `infra`) of its OWN site (flow waf-to-ingress is same-site: production and the other
 * environments never cross a site here).
 *
 * An environment without OpenShift on the WAF's site (the `lab` environment) has no ingress
 * to front: its WAF forwards, in plain HTTP inside the guest, to the reference documents
 * service on the WAF's own service address (PORTS.refservice) — the stand-in the lab runs for
 * the applications. That is a property of the environment, not of the deployment profile.
 *
 * Routes: the reference API's contract (REFERENCE_API_ROUTES, from modules/model/apiContract.ts)
 * for now. The real per-application API contracts come with the workloads issue.
 */
import { PORTS } from '../../model/ports.ts';
import { isIngressRouter } from '../../model/roles.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import type { GuestFile } from '../types.ts';
import { REFERENCE_API_ROUTES, renderWaf, WAF_FILES, type WafRenderInput, wafRuntimePaths } from '../waf/render.ts';
import { renderWafLogRelayConfig, WAF_LOG_FILES } from '../waf/logging.ts';
import { at, place, serviceAddress, TLS } from './common.ts';
import { WAF_PATHS } from './paths.ts';
import type { DeploymentProfile } from './profile.ts';

/** The user nginx workers run as (Debian's). */
export const WAF_WORKER_USER = 'www-data';

/** Ingress routers of the WAF's site on their service NIC, or the reference service stand-in. */
export function wafUpstreams(t: Topology, p: DeploymentProfile, g: Guest): { upstreams: Array<{ address: string; port: number }>; ingress: boolean } {
  const routers = t.guests.filter((x) => isIngressRouter(x) && x.site === g.site).map((x) => ({ address: serviceAddress(p, x), port: PORTS.ingress }));
  if (routers.length) return { upstreams: routers, ingress: true };
  return { upstreams: [{ address: serviceAddress(p, g), port: PORTS.refservice }], ingress: false };
}

/**
 * The names a WAF serves (nginx server_name; any other Host gets 421, docs/waf.md): the
 * environment's public service name `waf.<environment>.hds` (the lab's WAF_SERVER_NAME) and the
 * guest's own name. A request addressed to the WAF's front address is accepted too (probes).
 */
export function wafServerNames(t: Topology, g: Guest): string[] {
  return [`waf.${t.environment.name}.hds`, g.name];
}

export function wafInput(t: Topology, p: DeploymentProfile, g: Guest): WafRenderInput {
  const { upstreams, ingress } = wafUpstreams(t, p, g);
  return {
    name: g.name,
    confDir: at(p, g, WAF_PATHS.confDir),
    runDir: at(p, g, WAF_PATHS.runDir),
    listen: { address: p.address(g, 'front'), port: PORTS.waf },
    tls: { certPath: at(p, g, TLS.publicCert), keyPath: at(p, g, TLS.publicKey) },
    upstreams,
    // The ingress routers' certificate is issued by the platform PKI for the cluster's apps domain.
    ...(ingress ? { upstreamTls: { caFile: at(p, g, TLS.caFile), serverName: `apps.${g.cluster.replace(/^waf-/, 'ocp-')}.${t.environment.name}.hds` } } : {}),
    routes: REFERENCE_API_ROUTES,
    serverNames: wafServerNames(t, g),
    virtualPatches: t.virtualPatches ?? [],
    workerUser: WAF_WORKER_USER,
    // Twice the vCPUs, at least 4: a worker inspecting a large body holds its CPU for ~2 s
    // (docs/waf.md); with more workers than cores, concurrent uploads still leave workers free
    // to accept and answer, and the kernel shares the CPU among them.
    workerProcesses: Math.max(4, 2 * g.size.vcpu),
  };
}

export function wafFilesFor(t: Topology, p: DeploymentProfile, g: Guest): GuestFile[] {
  const input = wafInput(t, p, g);
  const files = renderWaf(input);
  const byName = (name: string) => files.find((f) => f.path === name);
  const rt = wafRuntimePaths(input);
  return [
    ...Object.values(WAF_FILES).map((name) => place(byName(name), `${input.confDir}/${name}`, `WAF ${name}`, 'waf')),
    // The log relay (issue 11): whitelisted SIEM lines and the blocked-request counters, scraped on the admin NIC.
    place(renderWafLogRelayConfig(input, files, { host: p.address(g, 'admin') }), `${input.confDir}/${WAF_LOG_FILES.relayConfig}`, 'the WAF log relay config', 'waf'),
    {
      path: at(p, g, WAF_PATHS.tmpfiles),
      content: `# Managed by hds-platform: runtime directories of the WAF (pid, logs, ModSecurity temp and audit log).\n${rt.dirs.map((d, i) => `d ${d} ${i === 0 ? '0711' : '0755'} ${i === 0 ? 'root root' : `${WAF_WORKER_USER} ${WAF_WORKER_USER}`} -`).join('\n')}\n`,
      mode: 0o644,
      service: 'waf',
    },
  ];
}
