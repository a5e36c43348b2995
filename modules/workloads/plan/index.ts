/**
 * The workloads plan (issue 12): pure functions from the topology (with its resolved
 * application catalog, Topology.workloads) to the Kubernetes objects of one OpenShift cluster.
 * No Pulumi here: the Pulumi program (stacks/workloads/) turns each object into a resource.
 *
 * Both clusters are active and run every running component; the plan of each differs only in
 * what is site-bound (PostgreSQL through the site's HAProxy, the site's HSM, the site's WAF
 * subnets in the Route allowlist) and in the Kafka topics and users, declared by the first
 * OpenShift site's cluster alone (kafkaOwnerSite).
 *
 * Parts: namespaces.ts (Namespace, ResourceQuota, LimitRange), networkPolicies.ts,
 * deployments.ts (ServiceAccount, Service, Deployment/StatefulSet/CronJob, PodDisruptionBudget),
 * autoscaling.ts (HPA), routes.ts, monitoring.ts (ServiceMonitor, PrometheusRule), kafka.ts
 * (KafkaTopic, KafkaUser). Names, labels and annotations: labels.ts.
 */
import type { Topology } from '../../model/topology.ts';
import type { K8sObject } from '../../model/workloads.ts';
import { autoscalerObjects } from './autoscaling.ts';
import { type PlanProblem, planContext, resourceKey, WorkloadPlanError } from './context.ts';
import { componentWorkloads } from './deployments.ts';
import { kafkaObjects } from './kafka.ts';
import { isDns1123Label, isDns1123Subdomain } from './labels.ts';
import { monitoringObjects } from './monitoring.ts';
import { namespaceObjects, plannedNamespaces } from './namespaces.ts';
import { networkPolicyObjects } from './networkPolicies.ts';
import { routeObjects } from './routes.ts';

export { kafkaOwnerSite, openshiftSites, type PlanProblem, resourceKey, WorkloadPlanError } from './context.ts';

/** Apply order: namespaces first, then what constrains the pods, then the pods and what watches them. */
export const KIND_ORDER = [
  'Namespace',
  'ResourceQuota',
  'LimitRange',
  'NetworkPolicy',
  'ServiceAccount',
  'Service',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'Route',
  'ServiceMonitor',
  'PrometheusRule',
  'KafkaTopic',
  'KafkaUser',
] as const;

const rank = (kind: string): number => {
  const i = (KIND_ORDER as readonly string[]).indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
};

/** Deterministic order: kind (KIND_ORDER), then namespace, then name. */
export function compareObjects(a: K8sObject, b: K8sObject): number {
  return (
    rank(a.kind) - rank(b.kind) || (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name)
  );
}

/** Every object of the cluster of `site` (an OpenShift site of the environment), in apply order. */
export function workloadObjects(t: Topology, site: string): K8sObject[] {
  if (!t.workloads) return [];
  const ctx = planContext(t, site, t.workloads);
  const objects = [
    ...namespaceObjects(ctx),
    ...networkPolicyObjects(ctx, plannedNamespaces(ctx)),
    ...ctx.components.flatMap((c) => componentWorkloads(ctx, c)),
    ...autoscalerObjects(ctx),
    ...routeObjects(ctx),
    ...monitoringObjects(ctx),
    ...kafkaObjects(ctx),
  ].sort(compareObjects);
  const seen = new Set<string>();
  const problems: PlanProblem[] = [];
  for (const o of objects) {
    const resource = resourceKey(o);
    if (seen.has(resource)) problems.push({ resource, reason: 'emitted twice: two components or domains map to the same object name; rename one' });
    seen.add(resource);
    const label = o.kind === 'Namespace' || o.kind === 'Service';
    const nameOk = label ? isDns1123Label(o.metadata.name) : isDns1123Subdomain(o.metadata.name);
    if (!nameOk)
      problems.push({
        resource,
        reason: `"${o.metadata.name}" is not a valid Kubernetes name (DNS-1123 ${label ? 'label: at most 63 lower-case letters, digits and "-"' : 'subdomain: at most 253 characters, dot-separated labels of at most 63'}); shorten the component or domain name`,
      });
  }
  if (problems.length) throw new WorkloadPlanError(t.environment.name, problems);
  return objects;
}
