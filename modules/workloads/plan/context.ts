/**
 * What every part of the workloads plan reads: the environment, the OpenShift cluster (site)
 * being planned, the running components sorted by name, their namespaces, the secrets
 * component. Built and checked once; a catalog the resolver let through but the plan cannot
 * render (a flow to a component that does not run, a domain named like an OpenShift
 * namespace...) stops the plan with every problem listed, never a half-built plan.
 */
import type { Topology } from '../../model/topology.ts';
import { type DataClassification, type ResolvedComponent, type ResolvedWorkloads, sloObjectiveProblem } from '../../model/workloads.ts';
import { cpuMillis, memoryMiB } from '../../model/workloadsResolve.ts';
import { isDns1123Label, isReservedNamespace, LABEL } from './labels.ts';

/** Namespace of the Strimzi KafkaTopic and KafkaUser resources (watched by the standalone topic and user operators). */
export const KAFKA_NAMESPACE = 'kafka';

export interface NamespacePlan {
  name: string;
  /** The catalog domain, or `kafka` for the Kafka resources' namespace. */
  domain: string;
  classification: DataClassification;
  components: ResolvedComponent[];
}

export interface PlanContext {
  t: Topology;
  workloads: ResolvedWorkloads;
  environment: string;
  /** The OpenShift cluster's site (DC1, DC2). */
  site: string;
  /** Running components, sorted by name (the plan's output does not depend on catalog order). */
  components: ResolvedComponent[];
  byName: ReadonlyMap<string, ResolvedComponent>;
  /** Domain namespaces with at least one running component, sorted by name. */
  namespaces: NamespacePlan[];
  secrets: { component: ResolvedComponent; pathPrefix: string };
  /** Whether this cluster's program owns the Kafka topics and users (kafkaOwnerSite). */
  ownsKafkaResources: boolean;
}

/** One reason the plan cannot be rendered, with the resource it is about when there is one (`<Kind> <namespace>/<name>`). */
export interface PlanProblem {
  resource?: string;
  reason: string;
}

/**
 * The plan refuses its input: every problem found, each with its resource when it has one.
 * `problems` holds the readable lines (`<resource>: <reason>`), `details` the same as data.
 */
export class WorkloadPlanError extends Error {
  readonly problems: string[];
  readonly details: PlanProblem[];
  constructor(
    readonly environment: string,
    problems: ReadonlyArray<string | PlanProblem>,
  ) {
    const details = problems.map((p) => (typeof p === 'string' ? { reason: p } : { ...p }));
    const lines = details.map((p) => (p.resource ? `${p.resource}: ${p.reason}` : p.reason));
    super(`workloads plan of ${environment}: ${lines.join('; ')}`);
    this.name = 'WorkloadPlanError';
    this.problems = lines;
    this.details = details;
  }
}

/** `<Kind> <namespace>/<name>` (cluster-scoped: `<Kind> <name>`), how plan errors name a resource. */
export function resourceKey(o: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/** The sites of the environment's OpenShift clusters, sorted (one cluster per site, all active). */
export function openshiftSites(t: Topology): string[] {
  return [...new Set(t.services.filter((s) => s.kind === 'openshift').flatMap((s) => s.sites))].sort();
}

/**
 * The site whose program owns the KafkaTopic and KafkaUser resources: the first OpenShift site.
 * The Kafka cluster is ONE cluster stretched over the data sites (racks = datacenters); its
 * topics and users are declared once, in one cluster, where the standalone topic and user
 * operators reconcile them against the brokers. Declaring them in both clusters would make two
 * operators fight over the same topics.
 */
export function kafkaOwnerSite(t: Topology): string | undefined {
  return openshiftSites(t)[0];
}

/** The namespace a component runs in: its domain's. */
export const componentNamespace = (c: ResolvedComponent): string => c.domain;

/** The PrometheusRule of a namespace's SLO alerts (monitoring.ts). */
export const sloRuleName = (namespace: string): string => `${namespace}-slo`;

/** Batch components (a schedule) run as CronJobs: no Service, no probes, no HPA. */
export const isBatch = (c: ResolvedComponent): boolean => c.schedule !== undefined;

/**
 * Components with a quorum (OpenBao's Raft voters) run as StatefulSets: stable member names
 * behind the headless `<name>-peers` Service, one volume each, exactly `quorum` replicas, no HPA.
 */
export const isStateful = (c: ResolvedComponent): boolean => c.quorum !== undefined;

/** Whether the component's pods receive the OpenBao agent (every component but OpenBao itself). */
export const injectsSecrets = (ctx: PlanContext, c: ResolvedComponent): boolean => c.name !== ctx.secrets.component.name;

/** OpenBao KV path of a component's secrets: `<pathPrefix>/<environment>/<domain>/<component>`. */
export function secretPath(ctx: PlanContext, c: ResolvedComponent): string {
  return `${ctx.secrets.pathPrefix.replace(/\/+$/, '')}/${ctx.environment}/${c.domain}/${c.name}`;
}

export function planContext(t: Topology, site: string, workloads: ResolvedWorkloads): PlanContext {
  const environment = t.environment.name;
  const problems: Array<string | PlanProblem> = [];
  const sites = openshiftSites(t);
  if (!sites.includes(site)) problems.push(`site ${site} has no OpenShift cluster (OpenShift sites: ${sites.join(', ') || 'none'})`);

  const components = [...workloads.components].sort((a, b) => a.name.localeCompare(b.name));
  const byName = new Map(components.map((c) => [c.name, c]));
  if (byName.size !== components.length) problems.push('two running components share a name');
  const domains = new Map(workloads.domains.map((d) => [d.name, d]));

  for (const c of components) {
    if (!isDns1123Label(c.name)) problems.push(`component name "${c.name}" is not a DNS-1123 label`);
    if (!domains.has(c.domain)) problems.push(`component ${c.name}: domain "${c.domain}" is not declared in the catalog`);
    if (c.minReplicas < 1 || c.maxReplicas < c.minReplicas)
      problems.push(`component ${c.name}: replicas ${c.minReplicas}..${c.maxReplicas} are not a valid range`);
    if (!c.image.repository.startsWith(`${workloads.registry}/`))
      problems.push(`component ${c.name}: image ${c.image.repository} is not in the registry ${workloads.registry}`);
    if (!/^sha256:[0-9a-f]{64}$/.test(c.image.digest)) problems.push(`component ${c.name}: image is not pinned by a sha256 digest`);
    if (c.exposure === 'public' && isBatch(c)) problems.push(`component ${c.name}: a batch component cannot be public`);
    for (const need of c.needs) {
      if (!('component' in need)) continue;
      const target = byName.get(need.component);
      if (!target) problems.push(`component ${c.name} needs ${need.component}, which does not run in ${environment}`);
      else if (isBatch(target)) problems.push(`component ${c.name} needs ${need.component}, a batch component that serves nothing`);
    }
    if (c.needs.some((n) => 'platform' in n && n.platform === 'postgresql') && !c.pgDomain)
      problems.push(`component ${c.name} needs postgresql but has no PostgreSQL domain`);
    for (const [kind, parse] of [
      ['cpu', cpuMillis],
      ['memory', memoryMiB],
    ] as const) {
      for (const side of ['requests', 'limits'] as const) {
        if (parse(c.resources[side][kind]) === undefined)
          problems.push({
            resource: `${isBatch(c) ? 'CronJob' : 'Deployment'} ${componentNamespace(c)}/${c.name}`,
            reason: `${kind} ${side === 'requests' ? 'request' : 'limit'} "${c.resources[side][kind]}" is not a quantity the plan can sum (cpu: "250m" or "1"; memory: "512Mi" or "2Gi")`,
          });
      }
    }
    if (c.quorum !== undefined && c.peerPort === undefined)
      problems.push(`component ${c.name} has a quorum of ${c.quorum} but no peerPort: its members could not reach each other`);
    if (c.quorum !== undefined && c.storage === undefined)
      problems.push({
        resource: `StatefulSet ${componentNamespace(c)}/${c.name}`,
        reason: `component ${c.name} has a quorum of ${c.quorum} but no storage: its members would lose their Raft log on every restart`,
      });
    if (c.quorum !== undefined && (c.minReplicas !== c.quorum || c.maxReplicas !== c.quorum))
      problems.push({
        resource: `StatefulSet ${componentNamespace(c)}/${c.name}`,
        reason: `replicas ${c.minReplicas}..${c.maxReplicas} of a quorum of ${c.quorum}: a voter set runs exactly its quorum, never scaled by load`,
      });
    if (c.quorum !== undefined && isBatch(c)) problems.push(`component ${c.name}: a batch component cannot have a quorum`);
    if (c.storage !== undefined && memoryMiB(c.storage.size) === undefined)
      problems.push({
        resource: `StatefulSet ${componentNamespace(c)}/${c.name}`,
        reason: `storage size "${c.storage.size}" is not a quantity the plan can sum ("512Mi" or "10Gi")`,
      });
    if (!isBatch(c)) {
      // The burn-rate alerts of the namespace's PrometheusRule (monitoring.ts) need objectives they can alert on.
      for (const [what, pct] of [
        ['availability', c.sloClass.availabilityPct],
        ['latency', c.sloClass.latency.pct],
      ] as const) {
        const why = sloObjectiveProblem(pct);
        if (why)
          problems.push({
            resource: `PrometheusRule ${componentNamespace(c)}/${sloRuleName(componentNamespace(c))}`,
            reason: `component ${c.name}, ${what} of SLO class ${c.sloClass.name}: ${why}`,
          });
      }
    }
  }
  const namespaceNames = [...new Set(components.map(componentNamespace))].sort();
  for (const ns of namespaceNames) {
    if (!isDns1123Label(ns)) problems.push(`domain "${ns}" is not a DNS-1123 label (it names a namespace)`);
    if (isReservedNamespace(ns) || ns === KAFKA_NAMESPACE)
      problems.push(`domain "${ns}" names a namespace Kubernetes, OpenShift or the Kafka resources already use`);
  }
  const secretsComponent = byName.get(workloads.secrets.component);
  if (!secretsComponent) problems.push(`the secrets component ${workloads.secrets.component} does not run in ${environment}`);
  else if (isBatch(secretsComponent)) problems.push(`the secrets component ${workloads.secrets.component} is a batch component`);
  if (problems.length) throw new WorkloadPlanError(environment, problems);

  const namespaces: NamespacePlan[] = namespaceNames.map((name) => ({
    name,
    domain: name,
    classification: domains.get(name)!.classification,
    components: components.filter((c) => componentNamespace(c) === name),
  }));
  return {
    t,
    workloads,
    environment,
    site,
    components,
    byName,
    namespaces,
    secrets: { component: secretsComponent!, pathPrefix: workloads.secrets.pathPrefix },
    ownsKafkaResources: kafkaOwnerSite(t) === site && workloads.topics.length > 0,
  };
}

/** Labels every object of a component carries (the pod selector is LABEL.app alone). */
export function componentLabels(ctx: PlanContext, c: ResolvedComponent): Record<string, string> {
  return {
    [LABEL.app]: c.name,
    [LABEL.tier]: c.tier,
    [LABEL.partOf]: 'hds-platform',
    [LABEL.managedBy]: 'pulumi',
    [LABEL.environment]: ctx.environment,
    [LABEL.domain]: c.domain,
  };
}

/** The pod selector of a component (Deployments, Services, PDBs, NetworkPolicies, ServiceMonitors). */
export const podSelector = (c: ResolvedComponent): Record<string, string> => ({ [LABEL.app]: c.name });
