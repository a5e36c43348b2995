/**
 * Kafka topics and users as Strimzi resources (kafka.strimzi.io/v1, the version of the CRDs the
 * platform validates against: ../shared/reference/kubernetes-crds, Strimzi ≥ 0.49).
 *
 * Ownership: the Kafka cluster is ONE cluster stretched over the data sites (brokers on VMs,
 * racks = datacenters). Its topics and users are declared once, in the namespace `kafka` of the
 * first OpenShift site's cluster (kafkaOwnerSite), where Strimzi's standalone topic and user
 * operators reconcile them against the external brokers. The other cluster's program declares
 * none, so two operators never fight over one topic.
 *
 * Topics: partitions, retention and clean-up policy from the catalog; the replication factor
 * from kafkaDurability(t) (RPO 0 when a datacenter is lost); the HSM key domain encrypting the
 * payloads (topicKeyDomain) as an annotation (EXG_SEC_4.3). No `min.insync.replicas` in
 * spec.config: every topic inherits the brokers' default, which the Kafka renderer writes into
 * their server.properties from the same kafkaDurability (modules/services/kafka/render.ts). A
 * per-topic value would be enforced by the Topic Operator, which would revert the DC-loss
 * runbook's step of lowering min.insync.replicas (docs/adr/0007-kafka-on-vms-and-strimzi-operators.md).
 *
 * Users: one per component that produces or consumes, `simple` authorization with literal ACLs:
 * Write + Describe on produced topics, Read + Describe on consumed topics, Read on its consumer
 * group (named after the component). Authentication is `tls-external`: the component's client
 * certificate (CN = the user name) is issued by OpenBao's PKI and delivered by the OpenBao agent
 * like every other secret. `tls` would make the user operator write the private key into a
 * Kubernetes Secret of the `kafka` namespace of ONE cluster — out of reach of the pods of the
 * other cluster and of the other namespaces, and a secret outside OpenBao.
 */
import { type K8sObject, type ResolvedComponent, topicKeyDomain } from '../../model/workloads.ts';
import { kafkaDurability } from '../../services/kafka/topics.ts';
import { KAFKA_NAMESPACE, type PlanContext, type PlanProblem, WorkloadPlanError } from './context.ts';
import { ANNOTATION, LABEL, toDns1123Subdomain } from './labels.ts';

export const STRIMZI_API_VERSION = 'kafka.strimzi.io/v1';

/** The Kafka cluster name the Strimzi resources name in `strimzi.io/cluster` (the model's Kafka service). */
export function kafkaClusterName(ctx: PlanContext): string | undefined {
  return ctx.t.services.find((s) => s.kind === 'kafka')?.id;
}

/** The consumer group of a component (Read ACL of its KafkaUser). */
export const consumerGroup = (c: ResolvedComponent): string => c.name;

export function kafkaObjects(ctx: PlanContext): K8sObject[] {
  if (!ctx.ownsKafkaResources) return [];
  const cluster = kafkaClusterName(ctx);
  const topics = [...ctx.workloads.topics].sort((a, b) => a.name.localeCompare(b.name));
  const known = new Set(topics.map((t) => t.name));
  const problems: Array<string | PlanProblem> = [];
  if (!cluster) problems.push('the catalog declares Kafka topics but the environment has no Kafka cluster');
  for (const c of ctx.components) {
    for (const name of [...(c.kafka?.produces ?? []), ...(c.kafka?.consumes ?? [])]) {
      if (!known.has(name))
        problems.push({
          resource: `KafkaUser ${KAFKA_NAMESPACE}/${c.name}`,
          reason: `component ${c.name} uses topic ${name}, which is not among the running topics`,
        });
    }
  }
  const metaNames = new Map<string, string>();
  for (const t of topics) {
    let name: string;
    try {
      name = toDns1123Subdomain(t.name);
    } catch (e) {
      problems.push({ resource: `KafkaTopic ${KAFKA_NAMESPACE}/${t.name}`, reason: (e as Error).message });
      continue;
    }
    const other = metaNames.get(name);
    if (other) problems.push({ resource: `KafkaTopic ${KAFKA_NAMESPACE}/${name}`, reason: `topics ${other} and ${t.name} map to this same resource name` });
    metaNames.set(name, t.name);
  }
  if (problems.length) throw new WorkloadPlanError(ctx.environment, problems);

  const durability = kafkaDurability(ctx.t);
  const labels = { [LABEL.strimziCluster]: cluster!, [LABEL.environment]: ctx.environment };
  const out: K8sObject[] = topics.map((t) => {
    const name = toDns1123Subdomain(t.name);
    return {
      apiVersion: STRIMZI_API_VERSION,
      kind: 'KafkaTopic',
      metadata: {
        name,
        namespace: KAFKA_NAMESPACE,
        labels: { ...labels, [LABEL.domain]: t.domain },
        annotations: { [ANNOTATION.keyDomain]: topicKeyDomain(t), [ANNOTATION.requirements]: 'EXG_SEC_4.3,EXG_PCA_2' },
      },
      spec: {
        ...(name !== t.name ? { topicName: t.name } : {}),
        partitions: t.partitions,
        replicas: durability.replicationFactor,
        config: {
          'retention.ms': t.retentionHours * 3_600_000,
          'cleanup.policy': t.compacted ? 'compact' : 'delete',
        },
      },
    };
  });
  for (const c of ctx.components) {
    const produces = new Set(c.kafka?.produces ?? []);
    const consumes = new Set(c.kafka?.consumes ?? []);
    if (!produces.size && !consumes.size) continue;
    const acls: Record<string, unknown>[] = [];
    for (const topic of [...new Set([...produces, ...consumes])].sort()) {
      const ops = [...(produces.has(topic) ? ['Write'] : []), ...(consumes.has(topic) ? ['Read'] : []), 'Describe'].sort();
      acls.push({ type: 'allow', resource: { type: 'topic', name: topic, patternType: 'literal' }, operations: ops });
    }
    if (consumes.size) acls.push({ type: 'allow', resource: { type: 'group', name: consumerGroup(c), patternType: 'literal' }, operations: ['Read'] });
    out.push({
      apiVersion: STRIMZI_API_VERSION,
      kind: 'KafkaUser',
      metadata: {
        name: c.name,
        namespace: KAFKA_NAMESPACE,
        labels: { ...labels, [LABEL.domain]: c.domain },
        annotations: { [ANNOTATION.requirements]: 'EXG_SEC_4.3' },
      },
      spec: { authentication: { type: 'tls-external' }, authorization: { type: 'simple', acls } },
    });
  }
  return out;
}
