/**
 * Routes (route.openshift.io/v1) of the public components: reachable only through the WAF.
 *
 * Naming rule: a Route's host is the environment's public name, the first name the WAF serves
 * (`waf.<environment>.hds`, wafServerNames in modules/services/fromTopology/waf.ts): the WAF
 * forwards the client's Host unchanged, so the router selects the Route by that host and the
 * component's `routePath` (path-based routing; the IngressController admits one host across
 * namespaces with `routeAdmission.namespaceOwnership: InterNamespaceAllowed`).
 *
 * TLS: terminated by the router and re-encrypted to the pod (`reencrypt`), whose serving
 * certificate comes from OpenShift's service CA (trusted by the router without a
 * destinationCACertificate); plain HTTP is redirected.
 *
 * Source restriction: the router annotation `haproxy.router.openshift.io/ip_allowlist` holds
 * the subnets of the WAF zone that the model's `waf-to-ingress` flow lets reach this site's
 * routers (same-site flow: the WAFs of the cluster's own site), so a Route is unreachable from
 * anywhere but the WAF zone even inside the platform.
 */
import type { K8sObject } from '../../model/workloads.ts';
import { wafServerNames } from '../../services/fromTopology/waf.ts';
import { componentLabels, componentNamespace, type PlanContext, WorkloadPlanError } from './context.ts';
import { PORT_NAME } from './deployments.ts';
import { ANNOTATION } from './labels.ts';

/** CIDRs of the WAF zone subnets whose WAFs reach the routers of `ctx.site` (flow waf-to-ingress). */
export function wafSourceSubnets(ctx: PlanContext): string[] {
  const { t, site } = ctx;
  const cidrs = new Set<string>();
  for (const e of t.flowMatrix) {
    if (e.flow !== 'waf-to-ingress' || e.destination.site !== site) continue;
    const zone = t.zones.find((z) => z.site === e.source.site && z.zone === e.source.zone);
    if (zone) cidrs.add(zone.cidr);
  }
  return [...cidrs].sort();
}

/** The public host of the environment's Routes (the WAF's first served name). */
export function publicHost(ctx: PlanContext): string | undefined {
  const waf = ctx.t.guests.find((g) => g.service === 'waf' && g.site === ctx.site);
  return waf ? wafServerNames(ctx.t, waf)[0] : undefined;
}

export function routeObjects(ctx: PlanContext): K8sObject[] {
  const publics = ctx.components.filter((c) => c.exposure === 'public');
  if (!publics.length) return [];
  const host = publicHost(ctx);
  const allow = wafSourceSubnets(ctx);
  const problems: string[] = [];
  if (!host || !allow.length)
    problems.push(`public components (${publics.map((c) => c.name).join(', ')}) but site ${ctx.site} has no WAF in front of its routers`);
  const paths = new Map<string, string>();
  for (const c of publics) {
    const path = c.routePath ?? '';
    if (!path.startsWith('/')) problems.push(`public component ${c.name} has no routePath starting with "/"`);
    const other = paths.get(path);
    if (other) problems.push(`public components ${other} and ${c.name} share the route path ${path}`);
    paths.set(path, c.name);
  }
  if (problems.length) throw new WorkloadPlanError(ctx.environment, problems);
  return publics.map((c) => ({
    apiVersion: 'route.openshift.io/v1',
    kind: 'Route',
    metadata: {
      name: c.name,
      namespace: componentNamespace(c),
      labels: componentLabels(ctx, c),
      annotations: { [ANNOTATION.routerIpAllowlist]: allow.join(' '), [ANNOTATION.requirements]: 'EXG_WAF_1,EXG_ART_1.2' },
    },
    spec: {
      host,
      path: c.routePath,
      to: { kind: 'Service', name: c.name, weight: 100 },
      port: { targetPort: PORT_NAME },
      tls: { termination: 'reencrypt', insecureEdgeTerminationPolicy: 'Redirect' },
      wildcardPolicy: 'None',
    },
  }));
}
