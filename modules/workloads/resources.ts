/**
 * The one place the workloads plan's objects become @pulumi/kubernetes resources (issue 12):
 * a typed class for every core kind, `apiextensions.CustomResource` for the operators' kinds
 * (Strimzi, OpenShift Route, Prometheus operator), grouped under thin components — one
 * `hds:workloads:Namespace` per namespace holding its objects, each depending on its Namespace,
 * and one `hds:workloads:ClusterScoped` — all through one explicit Kubernetes provider.
 *
 * Shared by the Pulumi program (stacks/workloads/) and the capture under mocks (capture.ts), so
 * what `hdsctl workloads render` writes is what `pulumi up` sends. No secret is ever an input:
 * the plan references OpenBao paths only, and the kubeconfig stays in the provider.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { K8sObject } from '../model/workloads.ts';
import { COMPONENT_TYPES, countByKind, layoutEntries, type NamespaceGroup, type ResourceEntry, type ResourceLayout, type TypedKind } from './layout.ts';

type Ctor = new (name: string, args: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** The typed class of each core kind (layout.ts TYPED_KINDS; the compiler checks both lists agree). */
const TYPED: Record<TypedKind, Ctor> = {
  'v1 Namespace': k8s.core.v1.Namespace as unknown as Ctor,
  'v1 ResourceQuota': k8s.core.v1.ResourceQuota as unknown as Ctor,
  'v1 LimitRange': k8s.core.v1.LimitRange as unknown as Ctor,
  'v1 ServiceAccount': k8s.core.v1.ServiceAccount as unknown as Ctor,
  'v1 Service': k8s.core.v1.Service as unknown as Ctor,
  'v1 ConfigMap': k8s.core.v1.ConfigMap as unknown as Ctor,
  'networking.k8s.io/v1 NetworkPolicy': k8s.networking.v1.NetworkPolicy as unknown as Ctor,
  'apps/v1 Deployment': k8s.apps.v1.Deployment as unknown as Ctor,
  'apps/v1 StatefulSet': k8s.apps.v1.StatefulSet as unknown as Ctor,
  'batch/v1 CronJob': k8s.batch.v1.CronJob as unknown as Ctor,
  'policy/v1 PodDisruptionBudget': k8s.policy.v1.PodDisruptionBudget as unknown as Ctor,
  'autoscaling/v2 HorizontalPodAutoscaler': k8s.autoscaling.v2.HorizontalPodAutoscaler as unknown as Ctor,
  'rbac.authorization.k8s.io/v1 Role': k8s.rbac.v1.Role as unknown as Ctor,
  'rbac.authorization.k8s.io/v1 RoleBinding': k8s.rbac.v1.RoleBinding as unknown as Ctor,
};

/** One resource for one object. Typed classes set apiVersion and kind themselves and keep only their schema's fields. */
function createResource(e: ResourceEntry, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  if (e.typed) {
    const { apiVersion: _a, kind: _k, ...args } = e.object;
    return new TYPED[e.typed](e.name, args, opts);
  }
  return new k8s.apiextensions.CustomResource(e.name, e.object as k8s.apiextensions.CustomResourceArgs, opts);
}

/** A namespace and what runs in it: its objects depend on the Namespace when the plan creates it. */
export class NamespaceWorkloads extends pulumi.ComponentResource {
  readonly resources: pulumi.CustomResource[] = [];
  constructor(group: NamespaceGroup, provider: k8s.Provider, opts: pulumi.ComponentResourceOptions = {}) {
    super(COMPONENT_TYPES.namespace, group.namespace, {}, opts);
    const ns = group.namespaceResource ? createResource(group.namespaceResource, { parent: this, provider }) : undefined;
    if (ns) this.resources.push(ns);
    for (const e of group.resources) this.resources.push(createResource(e, { parent: this, provider, ...(ns ? { dependsOn: [ns] } : {}) }));
    this.registerOutputs({});
  }
}

/** Cluster-scoped objects other than Namespaces (none today; the slot exists so the mapping is total). */
export class ClusterScopedWorkloads extends pulumi.ComponentResource {
  readonly resources: pulumi.CustomResource[];
  constructor(entries: ResourceEntry[], provider: k8s.Provider, opts: pulumi.ComponentResourceOptions = {}) {
    super(COMPONENT_TYPES.clusterScoped, 'cluster-scoped', {}, opts);
    this.resources = entries.map((e) => createResource(e, { parent: this, provider }));
    this.registerOutputs({});
  }
}

export interface ProviderSettings {
  /** A kubeconfig (Pulumi secret config); when absent the provider reads $KUBECONFIG or ~/.kube/config of the operator. */
  kubeconfig?: pulumi.Input<string>;
  /** A context of that kubeconfig. */
  context?: string;
}

/** The explicit provider of one OpenShift cluster (server-side apply: field ownership, no last-applied annotation). */
export function clusterProvider(site: string, settings: ProviderSettings = {}): k8s.Provider {
  return new k8s.Provider(`openshift-${site.toLowerCase()}`, {
    enableServerSideApply: true,
    ...(settings.kubeconfig !== undefined ? { kubeconfig: settings.kubeconfig } : {}),
    ...(settings.context !== undefined ? { context: settings.context } : {}),
  });
}

/** What a stack exports: names and counts, never a value of a resource (no secret can leak through outputs). */
export interface WorkloadsOutputs {
  namespaces: string[];
  counts: Record<string, number>;
  resources: number;
}

/**
 * Creates the resources of `objects` (already laid out, so nothing here throws for a bad object)
 * under the current Pulumi stack. Returns the stack outputs.
 */
export function createWorkloads(layout: ResourceLayout, provider: k8s.Provider): WorkloadsOutputs {
  if (layout.clusterScoped.length) new ClusterScopedWorkloads(layout.clusterScoped, provider);
  for (const g of layout.namespaces) new NamespaceWorkloads(g, provider);
  const objects: K8sObject[] = layoutEntries(layout).map((e) => e.object);
  return { namespaces: layout.namespaces.map((g) => g.namespace), counts: countByKind(objects), resources: objects.length };
}
