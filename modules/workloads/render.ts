/**
 * Rendering one OpenShift cluster's workloads for review or a GitOps tool (`hdsctl workloads
 * render`, `npm run bench:workloads`): the program captured under Pulumi mocks (capture.ts),
 * every captured resource validated against its schema (validate/), the YAML files (one per
 * namespace, `NN-<namespace>.yaml`, the Namespace first; cluster-scoped objects in
 * `00-cluster-scoped.yaml`) and a summary whose requests, read from the manifests, are weighed
 * against the cluster's workers (workloadCapacity, EXG_VOL_5 / EXG_ARA_3: the HPA maxima must fit).
 */
import { stringify } from 'yaml';
import type { Topology } from '../model/topology.ts';
import type { ClusterCapacity, K8sObject } from '../model/workloads.ts';
import { workloadCapacity } from '../model/workloadsResolve.ts';
import { captureWorkloads } from './capture.ts';
import { countByKind, layoutResources, stackName } from './layout.ts';
import { cpuMillis, memoryBytes } from './plan/quantities.ts';
import { type ManifestError, validateObjects } from './validate/index.ts';

/** The steps of a render, replaceable in tests (a schema error, a capture failure). */
export const renderSteps = {
  capture: captureWorkloads as (t: Topology, site: string) => Promise<K8sObject[]>,
  validate: validateObjects as (objects: K8sObject[]) => ManifestError[],
  capacity: workloadCapacity as (t: Topology, site: string) => ClusterCapacity,
};

export interface ManifestFile {
  /** Relative to the cluster's directory `<env>/<site>/`. */
  name: string;
  content: string;
}

export interface ClusterRender {
  environment: string;
  site: string;
  stack: string;
  /** The captured resources, in apply order. */
  objects: K8sObject[];
  /** Schema errors of the captured resources (none: the files may be written). */
  errors: ManifestError[];
  files: ManifestFile[];
  summary: ClusterSummary;
}

export interface Footprint {
  pods: number;
  cpuMillis: number;
  memoryMiB: number;
}

export interface ClusterSummary {
  environment: string;
  site: string;
  stack: string;
  namespaces: string[];
  resources: number;
  byKind: Record<string, number>;
  /** Deployments, StatefulSets and CronJobs. */
  workloads: number;
  /** Pods and requests read from the manifests: at rest (HPA minima, every CronJob running) and at the HPA maxima. */
  atMin: Footprint;
  atMax: Footprint;
  /** Workers' allocatable capacity of the cluster, from the model. */
  allocatable: { cpuMillis: number; memoryMiB: number };
  workers: ClusterCapacity['workers'];
  /** The requests at the HPA maxima fit the allocatable capacity. */
  fits: boolean;
  /** The model's own figures (workloadCapacity), for comparison with the manifests' (the CLI notes any difference). */
  model: { atMin: Footprint; atMax: Footprint; fits: boolean };
}

const MiB = 2 ** 20;

interface PodSpec {
  containers?: Array<{ resources?: { requests?: { cpu?: string; memory?: string } } }>;
  initContainers?: Array<{ restartPolicy?: string; resources?: { requests?: { cpu?: string; memory?: string } } }>;
}

/** Requests of one pod as the scheduler counts them: containers and native sidecars summed, the largest init container as a floor. */
export function podRequests(spec: PodSpec | undefined): { cpuMillis: number; memoryBytes: number } {
  const of = (c: { resources?: { requests?: { cpu?: string; memory?: string } } }) => ({
    cpu: c.resources?.requests?.cpu ? cpuMillis(c.resources.requests.cpu) : 0,
    mem: c.resources?.requests?.memory ? memoryBytes(c.resources.requests.memory) : 0,
  });
  const running = [...(spec?.containers ?? []), ...(spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')].map(of);
  const init = (spec?.initContainers ?? []).filter((c) => c.restartPolicy !== 'Always').map(of);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    cpuMillis: Math.max(sum(running.map((r) => r.cpu)), ...init.map((r) => r.cpu), 0),
    memoryBytes: Math.max(sum(running.map((r) => r.mem)), ...init.map((r) => r.mem), 0),
  };
}

/**
 * Pods and requests of the manifests: a Deployment or StatefulSet counts its HPA's minimum and
 * maximum (its replicas when no HPA targets it, e.g. a quorum), a CronJob its parallelism at rest and at peak.
 */
export function manifestFootprint(objects: K8sObject[]): { atMin: Footprint; atMax: Footprint } {
  const hpas = new Map<string, { min: number; max: number }>();
  for (const o of objects) {
    if (o.kind !== 'HorizontalPodAutoscaler') continue;
    const spec = o.spec as { scaleTargetRef?: { kind?: string; name?: string }; minReplicas?: number; maxReplicas?: number };
    if (spec.scaleTargetRef?.kind && spec.scaleTargetRef.name)
      hpas.set(`${o.metadata.namespace}/${spec.scaleTargetRef.kind}/${spec.scaleTargetRef.name}`, { min: spec.minReplicas ?? 1, max: spec.maxReplicas ?? 1 });
  }
  const atMin = { pods: 0, cpu: 0, mem: 0 };
  const atMax = { pods: 0, cpu: 0, mem: 0 };
  const add = (min: number, max: number, pod: PodSpec | undefined) => {
    const r = podRequests(pod);
    atMin.pods += min;
    atMin.cpu += min * r.cpuMillis;
    atMin.mem += min * r.memoryBytes;
    atMax.pods += max;
    atMax.cpu += max * r.cpuMillis;
    atMax.mem += max * r.memoryBytes;
  };
  for (const o of objects) {
    if (o.kind === 'Deployment' || o.kind === 'StatefulSet') {
      const spec = o.spec as { replicas?: number; template?: { spec?: PodSpec } };
      const hpa = hpas.get(`${o.metadata.namespace}/${o.kind}/${o.metadata.name}`);
      const replicas = spec.replicas ?? 1;
      add(hpa?.min ?? replicas, hpa?.max ?? replicas, spec.template?.spec);
    } else if (o.kind === 'CronJob') {
      const job = (o.spec as { jobTemplate?: { spec?: { parallelism?: number; template?: { spec?: PodSpec } } } }).jobTemplate?.spec;
      const p = job?.parallelism ?? 1;
      add(p, p, job?.template?.spec);
    }
  }
  const round = (f: typeof atMin): Footprint => ({ pods: f.pods, cpuMillis: f.cpu, memoryMiB: Math.ceil(f.mem / MiB) });
  return { atMin: round(atMin), atMax: round(atMax) };
}

/** One YAML stream per namespace (the Namespace first), cluster-scoped objects apart; deterministic, no timestamps. */
export function manifestFiles(objects: K8sObject[], environment: string, site: string): ManifestFile[] {
  const layout = layoutResources(objects);
  const width = Math.max(2, String(layout.namespaces.length).length);
  const header = (what: string) =>
    `# ${what} of the workloads of ${environment}, OpenShift cluster ${site} (stack ${stackName(environment, site)}).\n` +
    '# Written by `hdsctl workloads render` from the Pulumi program run under mocks; do not edit: change environments/ and render again.\n';
  const stream = (list: K8sObject[]) => list.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
  const files: ManifestFile[] = [];
  if (layout.clusterScoped.length)
    files.push({
      name: `${'0'.repeat(width)}-cluster-scoped.yaml`,
      content: header('Cluster-scoped resources') + stream(layout.clusterScoped.map((e) => e.object)),
    });
  layout.namespaces.forEach((g, k) => {
    const list = [...(g.namespaceResource ? [g.namespaceResource] : []), ...g.resources].map((e) => e.object);
    files.push({ name: `${String(k + 1).padStart(width, '0')}-${g.namespace}.yaml`, content: header(`Namespace ${g.namespace}`) + stream(list) });
  });
  return files;
}

/** Summary of a cluster: counts from the captured resources, requests from the manifests, capacity from the model. */
export function summarize(t: Topology, site: string, objects: K8sObject[], capacity: ClusterCapacity): ClusterSummary {
  const { atMin, atMax } = manifestFootprint(objects);
  const environment = t.environment.name;
  return {
    environment,
    site,
    stack: stackName(environment, site),
    namespaces: objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name),
    resources: objects.length,
    byKind: countByKind(objects),
    workloads: objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'CronJob').length,
    atMin,
    atMax,
    allocatable: { ...capacity.allocatable },
    workers: { ...capacity.workers },
    fits: atMax.cpuMillis <= capacity.allocatable.cpuMillis && atMax.memoryMiB <= capacity.allocatable.memoryMiB,
    model: { atMin: { ...capacity.atMin }, atMax: { ...capacity.atMax }, fits: capacity.fits },
  };
}

/** Capture, validate, lay out the files and summarise one cluster; writes nothing. */
export async function renderCluster(t: Topology, site: string, steps = renderSteps): Promise<ClusterRender> {
  const environment = t.environment.name;
  const objects = await steps.capture(t, site);
  const errors = steps.validate(objects);
  return {
    environment,
    site,
    stack: stackName(environment, site),
    objects,
    errors,
    files: errors.length ? [] : manifestFiles(objects, environment, site),
    summary: summarize(t, site, objects, steps.capacity(t, site)),
  };
}
