/**
 * One namespace per domain of the running components (and the Kafka resources' namespace in
 * the cluster that owns them), each with its ResourceQuota and LimitRange, from the catalog.
 *
 * Namespaces enforce the `restricted` Pod Security Standard; OpenShift's label synchroniser is
 * turned off for them so the enforced level stays the one declared here.
 *
 * ResourceQuota: what the namespace runs at its HPA maxima WHILE a rolling update adds its
 * surge pods (MAX_SURGE_PCT of each Deployment, rounded up as Kubernetes does), the OpenBao
 * agent of every pod included; batch components count their parallelism (concurrencyPolicy
 * Forbid: one run at a time). That surge is the quota's headroom: a rollout at peak is never
 * blocked by the quota, and nothing else fits in it. A StatefulSet (a quorum) has no surge: its
 * quorum of pods, and one PersistentVolumeClaim of its storage size per member
 * (`persistentvolumeclaims`, `requests.storage`); every other namespace may claim no volume (0).
 *
 * LimitRange: the catalog sets requests and limits on every container, so the LimitRange only
 * matters for a container that comes without (a debug pod). Its defaults are the SMALLEST
 * declared container of the namespace, the OpenBao agent included (such a container gets the
 * most modest size, not a large one by accident), and its maximum the LARGEST declared limit,
 * so no container can exceed what the catalog declares for the namespace.
 *
 * The `kafka` namespace holds only KafkaTopic and KafkaUser resources (no pod of the plan):
 * default deny, no quota or limit range from the plan.
 */
import type { K8sObject } from '../../model/workloads.ts';
import { injectsSecrets, isBatch, isStateful, KAFKA_NAMESPACE, type NamespacePlan, type PlanContext } from './context.ts';
import { AGENT_RESOURCES, podResources, podsAtMax } from './deployments.ts';
import { LABEL } from './labels.ts';
import { cpuMillis, formatCpu, formatMemory, memoryMiB } from './quantities.ts';

function namespaceObject(ctx: PlanContext, name: string, domain: string, classification: string): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        [LABEL.environment]: ctx.environment,
        [LABEL.domain]: domain,
        [LABEL.classification]: classification,
        [LABEL.partOf]: 'hds-platform',
        [LABEL.managedBy]: 'pulumi',
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
        'security.openshift.io/scc.podSecurityLabelSync': 'false',
      },
    },
  };
}

/** Quota figures of a namespace (exported for the capacity summary and the tests). */
export function namespaceQuota(
  ctx: PlanContext,
  ns: NamespacePlan,
): { pods: number; requests: { cpu: number; memory: number }; limits: { cpu: number; memory: number }; claims: number; storageMiB: number } {
  const q = { pods: 0, requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 }, claims: 0, storageMiB: 0 };
  for (const c of ns.components) {
    if (isStateful(c) && c.storage) {
      // One claim per member (volumeClaimTemplates: one template), kept across restarts and updates.
      q.claims += c.maxReplicas;
      q.storageMiB += c.maxReplicas * memoryMiB(c.storage.size);
    }
    const n = podsAtMax(c);
    const r = podResources(ctx, c);
    q.pods += n;
    q.requests.cpu += n * r.requests.cpu;
    q.requests.memory += n * r.requests.memory;
    q.limits.cpu += n * r.limits.cpu;
    q.limits.memory += n * r.limits.memory;
  }
  return q;
}

function resourceQuota(ctx: PlanContext, ns: NamespacePlan): K8sObject {
  const q = namespaceQuota(ctx, ns);
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: `${ns.name}-quota`, namespace: ns.name, labels: { [LABEL.environment]: ctx.environment, [LABEL.domain]: ns.domain } },
    spec: {
      hard: {
        pods: String(q.pods),
        'requests.cpu': formatCpu(q.requests.cpu),
        'requests.memory': formatMemory(q.requests.memory),
        'limits.cpu': formatCpu(q.limits.cpu),
        'limits.memory': formatMemory(q.limits.memory),
        // The plan's Services: each serving component's, and the peers' headless Service of a quorum.
        services: String(
          ns.components.filter((c) => !isBatch(c)).length + ns.components.filter((c) => c.quorum !== undefined && c.peerPort !== undefined).length,
        ),
        // Nothing in the plan creates these: none may be created by hand either.
        'services.loadbalancers': '0',
        'services.nodeports': '0',
        persistentvolumeclaims: String(q.claims),
        'requests.storage': formatMemory(q.storageMiB),
      },
    },
  };
}

function limitRange(ctx: PlanContext, ns: NamespacePlan): K8sObject {
  const containers = ns.components.map((c) => ({
    requests: { cpu: cpuMillis(c.resources.requests.cpu), memory: memoryMiB(c.resources.requests.memory) },
    limits: { cpu: cpuMillis(c.resources.limits.cpu), memory: memoryMiB(c.resources.limits.memory) },
  }));
  if (ns.components.some((c) => injectsSecrets(ctx, c))) {
    containers.push({
      requests: { cpu: cpuMillis(AGENT_RESOURCES.requests.cpu), memory: memoryMiB(AGENT_RESOURCES.requests.memory) },
      limits: { cpu: cpuMillis(AGENT_RESOURCES.limits.cpu), memory: memoryMiB(AGENT_RESOURCES.limits.memory) },
    });
  }
  const min = (f: (x: (typeof containers)[number]) => number) => Math.min(...containers.map(f));
  const max = (f: (x: (typeof containers)[number]) => number) => Math.max(...containers.map(f));
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: `${ns.name}-limits`, namespace: ns.name, labels: { [LABEL.environment]: ctx.environment, [LABEL.domain]: ns.domain } },
    spec: {
      limits: [
        {
          type: 'Container',
          defaultRequest: { cpu: formatCpu(min((x) => x.requests.cpu)), memory: formatMemory(min((x) => x.requests.memory)) },
          default: { cpu: formatCpu(min((x) => x.limits.cpu)), memory: formatMemory(min((x) => x.limits.memory)) },
          max: { cpu: formatCpu(max((x) => x.limits.cpu)), memory: formatMemory(max((x) => x.limits.memory)) },
        },
      ],
    },
  };
}

/** Namespace, ResourceQuota and LimitRange of every domain namespace; the Kafka namespace where owned. */
export function namespaceObjects(ctx: PlanContext): K8sObject[] {
  const out: K8sObject[] = [];
  for (const ns of ctx.namespaces) out.push(namespaceObject(ctx, ns.name, ns.domain, ns.classification), resourceQuota(ctx, ns), limitRange(ctx, ns));
  if (ctx.ownsKafkaResources) {
    out.push(namespaceObject(ctx, KAFKA_NAMESPACE, KAFKA_NAMESPACE, 'internal'));
  }
  return out;
}

/** Every namespace the plan creates in this cluster (domain namespaces, then Kafka's when owned). */
export function plannedNamespaces(ctx: PlanContext): string[] {
  return [...ctx.namespaces.map((n) => n.name), ...(ctx.ownsKafkaResources ? [KAFKA_NAMESPACE] : [])];
}
