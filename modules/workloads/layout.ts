/**
 * How the workloads plan's objects become Pulumi stacks, resources and manifest files (issue 12),
 * as pure data: one stack per environment × OpenShift cluster (`<env>-<site>`, e.g.
 * `production-dc1`), one Pulumi resource per object, named and typed the way @pulumi/kubernetes
 * registers it, grouped by namespace. The Pulumi program (resources.ts), the capture under mocks
 * (capture.ts) and the YAML files of `hdsctl workloads render` all follow this one layout.
 *
 * No Pulumi here, so that a bad object is refused before the Pulumi runtime starts: an error
 * thrown inside a running Pulumi program also surfaces as an unhandled rejection.
 */
import type { K8sObject } from '../model/workloads.ts';

/** The Pulumi project of the workloads (stacks/workloads/Pulumi.yaml). */
export const PROJECT = 'hds-workloads';

/** Component types of the program: one per namespace, one for cluster-scoped objects. */
export const COMPONENT_TYPES = { namespace: 'hds:workloads:Namespace', clusterScoped: 'hds:workloads:ClusterScoped' } as const;

/**
 * Kubernetes and OpenShift core kinds, created with the typed @pulumi/kubernetes classes (the
 * key is `apiVersion kind`). Every other core kind is refused (add it here and in
 * resources.ts); operator kinds (Strimzi, Route, Prometheus operator) are CustomResources.
 */
export const TYPED_KINDS = [
  'v1 Namespace',
  'v1 ResourceQuota',
  'v1 LimitRange',
  'v1 ServiceAccount',
  'v1 Service',
  'v1 ConfigMap',
  'networking.k8s.io/v1 NetworkPolicy',
  'apps/v1 Deployment',
  'apps/v1 StatefulSet',
  'batch/v1 CronJob',
  'policy/v1 PodDisruptionBudget',
  'autoscaling/v2 HorizontalPodAutoscaler',
  'rbac.authorization.k8s.io/v1 Role',
  'rbac.authorization.k8s.io/v1 RoleBinding',
] as const;
export type TypedKind = (typeof TYPED_KINDS)[number];

/** `production` + `DC1` → `production-dc1`. */
export function stackName(environment: string, site: string): string {
  return `${environment}-${site.toLowerCase()}`;
}

/**
 * `preprod-n1-dc2` → environment `preprod-n1`, cluster `dc2` (the cluster is the last dash-separated
 * part); undefined when the name has no dash.
 */
export function parseStackName(stack: string): { environment: string; cluster: string } | undefined {
  const k = stack.lastIndexOf('-');
  if (k <= 0 || k === stack.length - 1) return undefined;
  return { environment: stack.slice(0, k), cluster: stack.slice(k + 1) };
}

/** A Kubernetes object the program cannot create; `resource` is `Kind namespace/name`. */
export class LayoutError extends Error {
  override name = 'LayoutError';
  constructor(
    readonly resource: string,
    message: string,
  ) {
    super(`${resource}: ${message}`);
  }
}

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped object (as validate/ names them). */
export function describeObject(o: K8sObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

export interface ResourceEntry {
  object: K8sObject;
  /** Pulumi logical name: `namespace/name`, or `name` when cluster-scoped (unique per type in a stack). */
  name: string;
  /** The type token @pulumi/kubernetes registers (`kubernetes:apps/v1:Deployment`). */
  type: string;
  /** Typed class, or a CustomResource (operator kinds). */
  typed?: TypedKind;
}

export interface NamespaceGroup {
  namespace: string;
  /** The Namespace object when the plan creates the namespace; its other objects depend on it. */
  namespaceResource?: ResourceEntry;
  resources: ResourceEntry[];
}

export interface ResourceLayout {
  /** Cluster-scoped objects other than Namespaces. */
  clusterScoped: ResourceEntry[];
  /** One group per namespace, in the order of first appearance in the plan. */
  namespaces: NamespaceGroup[];
}

const isCoreGroup = (group: string) => group === '' || !group.includes('.') || group.endsWith('.k8s.io');

/** The type token of `o`, as @pulumi/kubernetes registers it. */
export function resourceType(o: K8sObject): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/', 2) : ['', o.apiVersion];
  return `kubernetes:${group || 'core'}/${version}:${o.kind}`;
}

function entry(o: K8sObject): ResourceEntry {
  const what = describeObject(o);
  if (typeof o.apiVersion !== 'string' || !/^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/.test(o.apiVersion))
    throw new LayoutError(what, `apiVersion ${JSON.stringify(o.apiVersion)} is not of the form [group/]version`);
  if (!o.metadata?.name) throw new LayoutError(what, 'metadata.name is missing');
  const key = `${o.apiVersion} ${o.kind}`;
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
  const name = o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
  if ((TYPED_KINDS as readonly string[]).includes(key)) return { object: o, name, type: resourceType(o), typed: key as TypedKind };
  if (o.kind === 'Secret' && group === '')
    throw new LayoutError(what, 'a Secret in the workloads program; secrets never enter the program: reference their OpenBao path instead');
  if (isCoreGroup(group))
    throw new LayoutError(what, `${key} has no typed class in the workloads program; add it to TYPED_KINDS (modules/workloads/layout.ts) and resources.ts`);
  return { object: o, name, type: resourceType(o) };
}

/**
 * The resources of one stack, grouped: cluster-scoped objects, then one group per namespace.
 * Throws a LayoutError for an object the program cannot create (unknown core kind, Secret, no
 * name) or two objects with one Pulumi name and type.
 */
export function layoutResources(objects: K8sObject[]): ResourceLayout {
  const clusterScoped: ResourceEntry[] = [];
  const groups = new Map<string, NamespaceGroup>();
  const seen = new Set<string>();
  const group = (ns: string) => {
    let g = groups.get(ns);
    if (!g) {
      g = { namespace: ns, resources: [] };
      groups.set(ns, g);
    }
    return g;
  };
  for (const o of objects) {
    const e = entry(o);
    const id = `${e.type}::${e.name}`;
    if (seen.has(id)) throw new LayoutError(describeObject(o), 'appears twice in the plan');
    seen.add(id);
    if (e.typed === 'v1 Namespace') {
      const g = group(o.metadata.name);
      g.namespaceResource = e;
    } else if (o.metadata.namespace) group(o.metadata.namespace).resources.push(e);
    else clusterScoped.push(e);
  }
  return { clusterScoped, namespaces: [...groups.values()] };
}

/** Every resource of the layout in creation order: cluster-scoped, then each namespace (Namespace first). */
export function layoutEntries(l: ResourceLayout): ResourceEntry[] {
  return [...l.clusterScoped, ...l.namespaces.flatMap((g) => [...(g.namespaceResource ? [g.namespaceResource] : []), ...g.resources])];
}

/** Counts by kind, sorted by kind. */
export function countByKind(objects: K8sObject[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of [...objects].sort((a, b) => a.kind.localeCompare(b.kind))) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return counts;
}
