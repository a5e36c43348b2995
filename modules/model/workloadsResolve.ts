/**
 * Resolution of an environment's application workloads (issue 12): the catalog it names
 * (environments/catalogs/<name>.yaml), the components it runs, their replicas and HPA bounds
 * derived from the catalog's load figures, every reference checked. Pure: no I/O.
 *
 * Replicas, per OpenShift cluster. Both clusters are active (one per DC), so each one normally
 * serves half of the load, but must absorb all of it, at peak, when the other datacenter is lost:
 *
 *   rps         = averageRps × loadFactor            (perEditorSlot: averageRps × editorSlots)
 *   minReplicas = max(floor, ⌈rps / 2 / rpsPerReplica⌉)
 *   maxReplicas = max(minReplicas, ⌈PEAK_FACTOR × rps / (rpsPerReplica × HPA_TARGET_CPU_UTILIZATION_PCT / 100)⌉)
 *   quorum:       minReplicas = maxReplicas = quorum  (a StatefulSet, no HPA)
 *
 * floor = 2 in production, preprod and certification (a node may be lost while a
 * PodDisruptionBudget keeps one replica up), 1 elsewhere. PEAK_FACTOR = 10 (EXG_VOL_5, EXG_ARA_3);
 * the maximum is sized at the HPA's target CPU utilisation (70 %), so the peak is absorbed before
 * the pods saturate. For perEditorSlot components the load factor does not apply: the slots are
 * the load (EXG_ENV_10). A batch component (a CronJob) runs maxReplicas pods in parallel.
 *
 * A component with a quorum (OpenBao's Raft voters) is not scaled by load: adding voters adds
 * no capacity (every write goes through the leader and is replicated to a majority) and a voter
 * set must change one member at a time, by an operator, never by an autoscaler. Its replicas are
 * its quorum, and two checks take the place of the 10× rule: the quorum is at least the floor
 * (a production-class environment loses a node without losing the group), and its members carry
 * the peak (⌈PEAK_FACTOR × rps / (rpsPerReplica × 70 %)⌉ ≤ quorum), both E_WORKLOADS_QUORUM.
 *
 * Capacity, per cluster: workers × (vCPU, RAM) minus WORKER_RESERVE per worker (1 vCPU, 4 GiB for
 * the system and OpenShift's daemons), against the requests at minReplicas and at maxReplicas
 * (CronJobs count at their maximum in both). The maximum must fit (E_WORKLOADS_CAPACITY).
 *
 * Checks, each a diagnostic located in the catalog or in the environment (docs/model.md):
 * duplicates, unknown domains, SLO classes, topics and flow targets, images outside the catalog's
 * registry or not pinned by digest, limits below requests, public exposure without a route, batch
 * without a schedule, a quorum without its peerPort or storage (or either without a quorum), a
 * batch with a quorum or probe paths, an SLO
 * objective the burn-rate alerts cannot handle (sloObjectiveProblem) (catalog); unknown catalog,
 * unknown names in only/except, a flow to a component that does not run, a PostgreSQL cluster,
 * HSM key domain, Kafka or Ceph the environment lacks, the HSM key domain of a topic a running
 * component produces or consumes (topicKeyDomain) missing from services.hsm.keyDomains,
 * editor-slot components without slots, a quorum below the floor or below its peak, workloads
 * without OpenShift, capacity (environment).
 */
import type { Diagnostic, DocumentRef } from './diagnostics.ts';
import type { Topology } from './topology.ts';
import type { EnvironmentClass, EnvironmentDoc } from './types.ts';
import {
  BURN_RATE_POLICY,
  type CatalogDoc,
  type ClusterCapacity,
  type ComponentDoc,
  type ComponentFlowDoc,
  type ComponentTier,
  HPA_TARGET_CPU_UTILIZATION_PCT,
  MIN_SLO_OBJECTIVE_PCT,
  PEAK_FACTOR,
  type ResolvedComponent,
  type ResolvedWorkloads,
  sloObjectiveProblem,
  topicKeyDomain,
  WORKER_RESERVE,
} from './workloads.ts';

export const COMPONENT_TIERS: readonly ComponentTier[] = ['front', 'mediation', 'business', 'transverse', 'batch', 'platform'];

/** Classes whose components keep at least two replicas per cluster (node loss + PDB). */
export const TWO_REPLICA_CLASSES: readonly EnvironmentClass[] = ['production', 'preprod', 'certification'];

export function replicaFloor(envClass: EnvironmentClass): number {
  return TWO_REPLICA_CLASSES.includes(envClass) ? 2 : 1;
}

/** Replicas that carry PEAK_FACTOR × `rps` at the HPA's CPU target (the 10× rule, without floor or quorum). */
export function peakReplicasFor(input: { rps: number; rpsPerReplica: number }): number {
  return Math.max(1, Math.ceil((PEAK_FACTOR * input.rps) / ((input.rpsPerReplica * HPA_TARGET_CPU_UTILIZATION_PCT) / 100)));
}

/**
 * The replica rule of the file header, for one component in one cluster. With a quorum: exactly
 * the quorum (min = max), whatever the load and the floor; the resolver reports a quorum below
 * either (E_WORKLOADS_QUORUM).
 */
export function replicasFor(input: { rps: number; rpsPerReplica: number; floor: number; quorum?: number }): { min: number; max: number } {
  if (input.quorum !== undefined) return { min: input.quorum, max: input.quorum };
  const { rps, rpsPerReplica, floor } = input;
  const min = Math.max(floor, Math.ceil(rps / 2 / rpsPerReplica));
  const max = Math.max(min, peakReplicasFor({ rps, rpsPerReplica }));
  return { min, max };
}

/** "250m" → 250, "1.5" → 1500; undefined when not a Kubernetes CPU quantity. */
export function cpuMillis(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q);
  if (!m) return undefined;
  return m[2] ? Number(m[1]) : Math.round(Number(m[1]) * 1000);
}

/** "512Mi" → 512, "2Gi" → 2048; undefined when not a binary memory quantity. */
export function memoryMiB(q: string): number | undefined {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Marks "the environment has no HSM" among the reported key domains (not a domain name: the schema's pattern refuses "*"). */
const NO_HSM = '*';

const FASTEST_BURN_RATE = Math.max(...BURN_RATE_POLICY.map((w) => w.burnRate));

type Report = (path: Array<string | number>, code: string, message: string, hint: string, requirements?: string[]) => void;

function reporter(out: Diagnostic[], doc: DocumentRef): Report {
  return (path, code, message, hint, requirements) => out.push({ doc, path, code, message, hint, ...(requirements ? { requirements } : {}) });
}

function duplicates<T extends { name: string }>(list: readonly T[], report: (k: number, name: string) => void): void {
  const seen = new Set<string>();
  list.forEach((x, k) => {
    if (seen.has(x.name)) report(k, x.name);
    seen.add(x.name);
  });
}

/** Topics a component produces or consumes, with the JSON path of each reference. */
function topicRefs(c: ComponentDoc): Array<{ topic: string; path: Array<string | number> }> {
  const refs: Array<{ topic: string; path: Array<string | number> }> = [];
  for (const side of ['produces', 'consumes'] as const) {
    for (const [k, topic] of (c.kafka?.[side] ?? []).entries()) refs.push({ topic, path: ['kafka', side, k] });
  }
  return refs;
}

/** Checks of a catalog on its own; diagnostics point into the catalog document. */
export function checkCatalog(c: CatalogDoc): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = reporter(out, { kind: 'ApplicationCatalog', name: c.name });
  duplicates(c.domains, (k, n) => report(['domains', k, 'name'], 'E_DUPLICATE', `domain ${n} is declared twice`, 'give each domain one entry'));
  duplicates(c.sloClasses, (k, n) => report(['sloClasses', k, 'name'], 'E_DUPLICATE', `SLO class ${n} is declared twice`, 'give each SLO class one entry'));
  duplicates(c.components, (k, n) =>
    report(['components', k, 'name'], 'E_DUPLICATE', `component ${n} is declared twice`, 'component names are unique in a catalog: rename one'),
  );
  duplicates(c.topics, (k, n) =>
    report(['topics', k, 'name'], 'E_DUPLICATE', `topic ${n} is declared twice`, 'topic names are unique in a catalog: rename one'),
  );

  const domains = new Set(c.domains.map((d) => d.name));
  const known = (set: Set<string>) => [...set].join(', ') || '(none)';
  const slos = new Set(c.sloClasses.map((s) => s.name));
  const components = new Set(c.components.map((x) => x.name));
  const topics = new Set(c.topics.map((t) => t.name));
  const routes = new Map<string, string>();

  c.sloClasses.forEach((slo, k) => {
    for (const path of [['availabilityPct'], ['latency', 'pct']] as const) {
      const pct = path.length === 1 ? slo.availabilityPct : slo.latency.pct;
      const why = sloObjectiveProblem(pct);
      if (why)
        report(
          ['sloClasses', k, ...path],
          'E_WORKLOADS_SLO',
          `SLO class ${slo.name}: ${why}: the burn-rate alerts cannot be computed`,
          `use an objective from ${MIN_SLO_OBJECTIVE_PCT} to below 100: the fastest alert fires at ${FASTEST_BURN_RATE}× the error budget (100 − objective), which must stay under 100 % errors`,
          ['EXG_DIS_1.9', 'EXG_MON_9'],
        );
    }
  });

  if (!components.has(c.secrets.component)) {
    report(
      ['secrets', 'component'],
      'E_WORKLOADS_SECRETS',
      `secrets component "${c.secrets.component}" is not a component of catalog ${c.name}`,
      `name the component that serves secrets (OpenBao), one of: ${known(components)}`,
    );
  }
  c.components.forEach((x, i) => {
    const at = (...p: Array<string | number>) => ['components', i, ...p];
    if ((COMPONENT_TIERS as readonly string[]).includes(x.name)) {
      report(at('name'), 'E_WORKLOADS_COMPONENT', `component name "${x.name}" is also a tier name`, 'rename it: only/except read tier names as whole tiers');
    }
    if (!domains.has(x.domain))
      report(
        at('domain'),
        'E_WORKLOADS_DOMAIN',
        `component ${x.name}: domain "${x.domain}" is not declared in domains`,
        `declare it under domains (name, classification) or use one of: ${known(domains)}`,
      );
    if (x.dataDomain !== undefined && !domains.has(x.dataDomain)) {
      report(
        at('dataDomain'),
        'E_WORKLOADS_DOMAIN',
        `component ${x.name}: dataDomain "${x.dataDomain}" is not declared in domains`,
        `use one of: ${known(domains)}`,
      );
    }
    if (!slos.has(x.slo))
      report(at('slo'), 'E_WORKLOADS_SLO', `component ${x.name}: SLO class "${x.slo}" is not declared in sloClasses`, `use one of: ${known(slos)}`, [
        'EXG_DIS_2.1',
      ]);
    if (!x.image.repository.startsWith(`${c.registry}/`)) {
      report(
        at('image', 'repository'),
        'E_WORKLOADS_IMAGE',
        `component ${x.name}: image ${x.image.repository} is not in the catalog's registry ${c.registry}`,
        `push the image to ${c.registry} and write ${c.registry}/<path>; no public registry`,
      );
    }
    if (!DIGEST.test(x.image.digest)) {
      report(
        at('image', 'digest'),
        'E_WORKLOADS_IMAGE',
        `component ${x.name}: image digest "${x.image.digest}" is not a sha256 digest`,
        'pin the image by digest: sha256: and 64 lower-case hex digits (no tags)',
      );
    }
    for (const kind of ['cpu', 'memory'] as const) {
      const parse = kind === 'cpu' ? cpuMillis : memoryMiB;
      const req = parse(x.resources.requests[kind]);
      const lim = parse(x.resources.limits[kind]);
      if (req === undefined)
        report(
          at('resources', 'requests', kind),
          'E_WORKLOADS_RESOURCES',
          `component ${x.name}: ${kind} request "${x.resources.requests[kind]}" is not a quantity`,
          kind === 'cpu' ? 'write millicores ("250m") or cores ("1")' : 'write "512Mi" or "2Gi"',
        );
      if (lim === undefined)
        report(
          at('resources', 'limits', kind),
          'E_WORKLOADS_RESOURCES',
          `component ${x.name}: ${kind} limit "${x.resources.limits[kind]}" is not a quantity`,
          kind === 'cpu' ? 'write millicores ("250m") or cores ("1")' : 'write "512Mi" or "2Gi"',
        );
      if (req !== undefined && lim !== undefined && lim < req) {
        report(
          at('resources', 'limits', kind),
          'E_WORKLOADS_RESOURCES',
          `component ${x.name}: ${kind} limit ${x.resources.limits[kind]} is below the request ${x.resources.requests[kind]}`,
          'raise the limit to at least the request',
        );
      }
    }
    if (x.exposure === 'public' && x.routePath === undefined) {
      report(
        at('exposure'),
        'E_WORKLOADS_EXPOSURE',
        `component ${x.name} is public but has no routePath`,
        'give the path prefix of its Route behind the WAF (e.g. routePath: /api), or make it internal',
      );
    }
    if (x.exposure === 'internal' && x.routePath !== undefined) {
      report(at('routePath'), 'E_WORKLOADS_EXPOSURE', `component ${x.name} is internal but has a routePath`, 'remove routePath, or make it public');
    }
    if (x.exposure === 'public' && x.routePath !== undefined) {
      const other = routes.get(x.routePath);
      if (other)
        report(
          at('routePath'),
          'E_WORKLOADS_EXPOSURE',
          `component ${x.name}: route path ${x.routePath} is already used by ${other}`,
          'give each public component its own path prefix',
        );
      else routes.set(x.routePath, x.name);
    }
    if (x.tier === 'batch' && x.schedule === undefined) {
      report(
        at('tier'),
        'E_WORKLOADS_SCHEDULE',
        `batch component ${x.name} has no schedule`,
        'give a cron schedule (e.g. schedule: "0 1 * * *"): batches run as CronJobs (EXG_ARA_1)',
        ['EXG_ARA_1'],
      );
    }
    if (x.tier !== 'batch' && x.schedule !== undefined) {
      report(at('schedule'), 'E_WORKLOADS_SCHEDULE', `component ${x.name} has a schedule but is not in the batch tier`, 'remove schedule, or set tier: batch');
    }
    if (x.quorum !== undefined && x.peerPort === undefined) {
      report(
        at('quorum'),
        'E_WORKLOADS_QUORUM',
        `component ${x.name} has a quorum of ${x.quorum} but no peerPort: its members could not reach each other`,
        'give the port the members talk to each other on (OpenBao Raft: peerPort: 8201)',
        ['EXG_ART_1.2'],
      );
    }
    if (x.peerPort !== undefined && x.quorum === undefined) {
      report(at('peerPort'), 'E_WORKLOADS_QUORUM', `component ${x.name} has a peerPort but no quorum`, 'remove peerPort, or declare the quorum (quorum: 3)');
    }
    if (x.peerPort !== undefined && x.peerPort === x.port) {
      report(
        at('peerPort'),
        'E_WORKLOADS_QUORUM',
        `component ${x.name}: peerPort ${x.peerPort} is also its port`,
        "give the members' port its own number (OpenBao: port 8200, peerPort 8201)",
      );
    }
    if (x.quorum !== undefined && x.storage === undefined) {
      report(
        at('quorum'),
        'E_WORKLOADS_QUORUM',
        `component ${x.name} has a quorum of ${x.quorum} but no storage: its members would lose their Raft log on every restart`,
        'give each member its volume (storage: { size: 10Gi, class: ocs-external-storagecluster-ceph-rbd, mountPath: /openbao/data })',
      );
    }
    if (x.storage !== undefined && x.quorum === undefined) {
      report(
        at('storage'),
        'E_WORKLOADS_QUORUM',
        `component ${x.name} has storage but no quorum: only the members of a consensus group get a persistent volume`,
        'remove storage (stateless components keep no state in the cluster), or declare the quorum (quorum: 3)',
      );
    }
    if (x.storage !== undefined && memoryMiB(x.storage.size) === undefined) {
      report(
        at('storage', 'size'),
        'E_WORKLOADS_RESOURCES',
        `component ${x.name}: storage size "${x.storage.size}" is not a quantity`,
        'write "512Mi" or "10Gi"',
      );
    }
    if (x.tier === 'batch' && x.quorum !== undefined) {
      report(
        at('quorum'),
        'E_WORKLOADS_QUORUM',
        `batch component ${x.name} has a quorum`,
        'remove quorum: a batch runs as a CronJob, not as a consensus group',
      );
    }
    if (x.tier === 'batch' && x.health !== undefined) {
      report(at('health'), 'E_WORKLOADS_SCHEDULE', `batch component ${x.name} has probe paths (health)`, 'remove health: batch pods are not probed');
    }
    x.needs.forEach((n, j) => {
      if (!('component' in n)) return;
      if (n.component === x.name)
        report(
          at('needs', j, 'component'),
          'E_WORKLOADS_FLOW',
          `component ${x.name} declares a flow to itself`,
          'remove it: flows go from one component to another',
        );
      else if (!components.has(n.component)) {
        report(
          at('needs', j, 'component'),
          'E_WORKLOADS_FLOW',
          `component ${x.name} needs "${n.component}", which is not a component of catalog ${c.name}`,
          `use one of: ${known(components)}`,
          ['EXG_ART_1.2'],
        );
      }
    });
    for (const { topic, path } of topicRefs(x)) {
      if (!topics.has(topic))
        report(
          at(...path),
          'E_WORKLOADS_TOPIC',
          `component ${x.name}: topic "${topic}" is not declared in topics`,
          `declare it under topics or use one of: ${known(topics)}`,
        );
    }
  });
  c.topics.forEach((t, k) => {
    if (!domains.has(t.domain))
      report(
        ['topics', k, 'domain'],
        'E_WORKLOADS_DOMAIN',
        `topic ${t.name}: domain "${t.domain}" is not declared in domains`,
        `use one of: ${known(domains)}`,
      );
    if (t.dataDomain !== undefined && !domains.has(t.dataDomain))
      report(
        ['topics', k, 'dataDomain'],
        'E_WORKLOADS_DOMAIN',
        `topic ${t.name}: dataDomain "${t.dataDomain}" is not declared in domains`,
        `use one of: ${known(domains)}`,
      );
  });
  return out;
}

export interface WorkloadsResolution {
  /** Present when the workloads resolve without reference errors (capacity errors still resolve). */
  workloads?: ResolvedWorkloads;
  diagnostics: Diagnostic[];
}

function matches(entry: string, c: ComponentDoc): boolean {
  return entry === c.name || entry === c.tier;
}

/** Resolve `env.workloads` against the catalogs of the workspace. */
export function resolveWorkloads(env: EnvironmentDoc, catalogs: readonly CatalogDoc[]): WorkloadsResolution {
  const w = env.workloads;
  if (!w) return { diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  const report = reporter(diagnostics, { kind: 'Environment', name: env.name });
  const openshift = env.services.openshift;
  if (!openshift) {
    report(
      ['workloads'],
      'E_WORKLOADS_NO_OPENSHIFT',
      `environment ${env.name} declares workloads but no OpenShift cluster to run them`,
      'declare services.openshift, or remove workloads',
    );
    return { diagnostics };
  }
  const catalog = catalogs.find((c) => c.name === w.catalog);
  if (!catalog) {
    const names = catalogs.map((c) => c.name).sort();
    report(
      ['workloads', 'catalog'],
      'E_WORKLOADS_CATALOG',
      `application catalog "${w.catalog}" does not exist`,
      names.length ? `use one of: ${names.join(', ')}` : `add environments/catalogs/${w.catalog}.yaml (kind ApplicationCatalog)`,
    );
    return { diagnostics };
  }
  const catalogProblems = checkCatalog(catalog);
  diagnostics.push(...catalogProblems);

  // Selection: only (names or tiers), then except.
  const selection = w.components ?? {};
  const validEntries = `component names or tiers (${COMPONENT_TIERS.join(', ')})`;
  for (const list of ['only', 'except'] as const) {
    selection[list]?.forEach((entry, k) => {
      if (!catalog.components.some((c) => matches(entry, c)) && !(COMPONENT_TIERS as readonly string[]).includes(entry)) {
        report(
          ['workloads', 'components', list, k],
          'E_WORKLOADS_SELECTION',
          `"${entry}" is not a component or a tier of catalog ${catalog.name}`,
          `use ${validEntries}, e.g. ${catalog.components
            .map((c) => c.name)
            .slice(0, 4)
            .join(', ')}`,
        );
      }
    });
  }
  const runs = (c: ComponentDoc) => (!selection.only || selection.only.some((e) => matches(e, c))) && !selection.except?.some((e) => matches(e, c));
  const running = catalog.components.filter(runs);
  if (running.length === 0) {
    report(
      ['workloads', 'components'],
      'E_WORKLOADS_SELECTION',
      `no component of catalog ${catalog.name} runs in ${env.name}`,
      'widen only or shorten except, or remove workloads',
    );
    return { diagnostics };
  }
  const runningNames = new Set(running.map((c) => c.name));
  const byName = new Map(catalog.components.map((c) => [c.name, c]));

  /** Where the environment chose (or dropped) a component: the only/except entry, else the catalog reference. */
  const chosenAt = (c: ComponentDoc): Array<string | number> => {
    const k = selection.only?.findIndex((e) => matches(e, c)) ?? -1;
    return k >= 0 ? ['workloads', 'components', 'only', k] : ['workloads', 'catalog'];
  };
  const droppedAt = (c: ComponentDoc): Array<string | number> => {
    const k = selection.except?.findIndex((e) => matches(e, c)) ?? -1;
    if (k >= 0) return ['workloads', 'components', 'except', k];
    return selection.only ? ['workloads', 'components', 'only'] : ['workloads', 'components'];
  };
  const include = (t: ComponentDoc) =>
    selection.except?.some((e) => matches(e, t))
      ? `remove ${t.name} (or its tier) from workloads.components.except`
      : `add ${t.name} to workloads.components.only`;

  const pg = env.services.postgresql;
  const pgDomains = new Set(pg?.domains.map((d) => d.name) ?? []);
  const hsm = env.services.hsm;
  const keyDomains = new Set(hsm?.keyDomains ?? []);
  const missingService = (c: ComponentDoc, what: string, service: string) =>
    report(
      chosenAt(c),
      'E_WORKLOADS_DEPENDENCY',
      `component ${c.name} needs ${what}, and environment ${env.name} declares no services.${service}`,
      `declare services.${service}, or leave ${c.name} out (workloads.components.except)`,
    );

  const secretsServer = byName.get(catalog.secrets.component);
  if (secretsServer && !runningNames.has(secretsServer.name)) {
    report(
      droppedAt(secretsServer),
      'E_WORKLOADS_FLOW',
      `every component reads its secrets from ${secretsServer.name} (${catalog.secrets.pathPrefix}), which does not run in ${env.name}`,
      `${include(secretsServer)}`,
      ['EXG_ART_1.2'],
    );
  }

  /** Key domains already reported missing for a component (NO_HSM: the HSM itself): a topic does not repeat them. */
  const reportedKeyDomains = new Set<string>();
  const floor = replicaFloor(env.class);
  const slos = new Map(catalog.sloClasses.map((s) => [s.name, s]));
  const resolved: ResolvedComponent[] = [];
  for (const c of running) {
    const dataDomain = c.dataDomain ?? c.domain;
    const isSecrets = c.name === catalog.secrets.component;
    const needs: ComponentFlowDoc[] = c.needs.map((n) => ({ ...n }));
    if (!isSecrets && !needs.some((n) => 'component' in n && n.component === catalog.secrets.component)) {
      needs.push({ component: catalog.secrets.component, purpose: `secrets by reference (${catalog.secrets.pathPrefix})` });
    }
    const usesTopics = topicRefs(c).length > 0;
    if (usesTopics && !needs.some((n) => 'platform' in n && n.platform === 'kafka'))
      needs.push({ platform: 'kafka', purpose: 'Kafka topics (produces/consumes)' });

    for (const n of needs) {
      if ('component' in n) {
        const target = byName.get(n.component);
        if (target && target.name !== catalog.secrets.component && !runningNames.has(target.name)) {
          report(
            droppedAt(target),
            'E_WORKLOADS_FLOW',
            `${c.name} needs ${target.name}${n.purpose ? ` (${n.purpose})` : ''}, which does not run in ${env.name}`,
            `${include(target)}, or leave ${c.name} out too`,
            ['EXG_ART_1.2'],
          );
        }
        continue;
      }
      switch (n.platform) {
        case 'postgresql':
          if (!pg) missingService(c, 'PostgreSQL', 'postgresql');
          else if (!pgDomains.has(dataDomain)) {
            report(
              chosenAt(c),
              'E_WORKLOADS_POSTGRESQL',
              `component ${c.name} needs the PostgreSQL cluster of domain ${dataDomain}, which environment ${env.name} does not declare`,
              `add ${dataDomain} to services.postgresql.domains, or leave ${c.name} out (workloads.components.except)`,
            );
          }
          break;
        case 'hsm':
          if (!hsm) {
            missingService(c, 'the HSM', 'hsm');
            reportedKeyDomains.add(NO_HSM);
          } else if (!isSecrets && !keyDomains.has(dataDomain)) {
            reportedKeyDomains.add(dataDomain);
            report(
              chosenAt(c),
              'E_WORKLOADS_HSM',
              `component ${c.name} needs HSM key domain ${dataDomain}, which is not in services.hsm.keyDomains of ${env.name}`,
              `add ${dataDomain} to services.hsm.keyDomains, or leave ${c.name} out (workloads.components.except)`,
              ['EXG_SEC_4.2', 'EXG_SEC_4.3'],
            );
          }
          break;
        case 'kafka':
          if (!env.services.kafka) missingService(c, 'Kafka', 'kafka');
          break;
        case 'object-storage':
          if (!env.services.ceph) missingService(c, 'object storage (Ceph RGW)', 'ceph');
          break;
        case 'kubernetes-api':
          // The API servers of the cluster the component runs in: workloads need OpenShift (checked above).
          break;
        default: {
          const never: never = n.platform;
          throw new Error(`unhandled platform dependency ${String(never)}`);
        }
      }
    }
    if (c.perEditorSlot && !env.editorSlots) {
      report(
        env.editorSlots === 0 ? ['editorSlots'] : chosenAt(c),
        'E_WORKLOADS_EDITOR_SLOTS',
        `component ${c.name} scales with editor slots and environment ${env.name} has none`,
        `set editorSlots (certification: 30, EXG_ENV_10), or leave ${c.name} out (workloads.components.except)`,
        ['EXG_ENV_10'],
      );
    }
    const sloClass = slos.get(c.slo);
    if (!sloClass) continue; // reported by checkCatalog
    const rps = c.perEditorSlot ? c.load.averageRps * (env.editorSlots ?? 0) : c.load.averageRps * w.loadFactor;
    const { min, max } = replicasFor({ rps, rpsPerReplica: c.load.rpsPerReplica, floor, ...(c.quorum !== undefined ? { quorum: c.quorum } : {}) });
    if (c.quorum !== undefined) {
      if (c.quorum < floor)
        report(
          chosenAt(c),
          'E_WORKLOADS_QUORUM',
          `component ${c.name} has a quorum of ${c.quorum} and environment ${env.name} (${env.class}) keeps at least ${floor} replicas: a node loss would stop it`,
          `declare quorum: 3 in catalog ${catalog.name} (a majority survives one member lost), or leave ${c.name} out`,
          ['EXG_DIS_2.1'],
        );
      const peak = peakReplicasFor({ rps, rpsPerReplica: c.load.rpsPerReplica });
      if (peak > c.quorum)
        report(
          c.perEditorSlot ? ['editorSlots'] : ['workloads', 'loadFactor'],
          'E_WORKLOADS_QUORUM',
          `component ${c.name}: ${PEAK_FACTOR}× its average load (${Number((PEAK_FACTOR * rps).toPrecision(6))} rps) needs ${peak} replicas at ${HPA_TARGET_CPU_UTILIZATION_PCT} % CPU, more than its quorum of ${c.quorum}, which is never scaled by load`,
          `raise load.rpsPerReplica in catalog ${catalog.name} (larger members: resources), or lower the load`,
          ['EXG_VOL_5', 'EXG_ARA_3'],
        );
    }
    const needsPlatform = (p: string) => needs.some((n) => 'platform' in n && n.platform === p);
    resolved.push({
      ...structuredClone(c),
      needs,
      minReplicas: min,
      maxReplicas: max,
      sloClass: structuredClone(sloClass),
      ...(needsPlatform('postgresql') ? { pgDomain: dataDomain } : {}),
      ...(needsPlatform('hsm') && !isSecrets ? { hsmKeyDomain: dataDomain } : {}),
      environmentRps: rps,
    });
  }
  // Topics' key domains (EXG_SEC_4.3): every topic a running component produces or consumes is
  // encrypted with its key domain's HSM key, which the environment's HSM must hold.
  const topicUsers = new Map<string, string[]>();
  for (const c of running) for (const { topic } of topicRefs(c)) topicUsers.set(topic, [...new Set([...(topicUsers.get(topic) ?? []), c.name])]);
  const missingKeyDomains = new Map<string, string[]>();
  for (const t of catalog.topics) {
    const users = topicUsers.get(t.name);
    if (!users) continue;
    const keyDomain = topicKeyDomain(t);
    if (hsm ? keyDomains.has(keyDomain) || reportedKeyDomains.has(keyDomain) : reportedKeyDomains.has(NO_HSM)) continue;
    missingKeyDomains.set(keyDomain, [...(missingKeyDomains.get(keyDomain) ?? []), `${t.name} (used by ${users.join(', ')})`]);
  }
  for (const [keyDomain, topics] of missingKeyDomains) {
    report(
      hsm ? ['services', 'hsm', 'keyDomains'] : ['workloads'],
      'E_WORKLOADS_HSM',
      `topic${topics.length > 1 ? 's' : ''} ${topics.join(', ')} ${topics.length > 1 ? 'are' : 'is'} encrypted with HSM key domain ${keyDomain}, which ${hsm ? `is not in services.hsm.keyDomains of ${env.name}` : `needs an HSM, and ${env.name} declares no services.hsm`}`,
      hsm
        ? `add ${keyDomain} to services.hsm.keyDomains, or leave out the components that produce and consume ${topics.length > 1 ? 'them' : 'it'}`
        : 'declare services.hsm with its key domains, or leave out the components that use Kafka topics',
      ['EXG_SEC_4.2', 'EXG_SEC_4.3'],
    );
  }
  if (diagnostics.length) return { diagnostics };

  const used = new Set(running.flatMap((c) => topicRefs(c).map((r) => r.topic)));
  const workloads: ResolvedWorkloads = {
    catalog: catalog.name,
    registry: catalog.registry,
    loadFactor: w.loadFactor,
    domains: structuredClone(catalog.domains),
    components: resolved,
    topics: catalog.topics.filter((t) => used.has(t.name)).map((t) => structuredClone(t)),
    sloClasses: structuredClone(catalog.sloClasses),
    secrets: { ...catalog.secrets },
  };
  const overflowing = openshift.sites.map((site) => capacityFor(workloads, site, openshift.workers)).filter((cap) => !cap.fits);
  if (overflowing.length) {
    const cap = overflowing[0]!;
    const sites = overflowing.map((o) => o.site).join(', ');
    report(
      ['services', 'openshift', 'workers'],
      'E_WORKLOADS_CAPACITY',
      `at the HPA maximum (${PEAK_FACTOR}× the average load) the workloads request ${fmtCpu(cap.atMax.cpuMillis)} vCPU and ${fmtGiB(cap.atMax.memoryMiB)} GiB in each OpenShift cluster (${sites}); ${cap.workers.count} workers of ${cap.workers.vcpu} vCPU and ${cap.workers.ramGiB} GiB offer ${fmtCpu(cap.allocatable.cpuMillis)} vCPU and ${fmtGiB(cap.allocatable.memoryMiB)} GiB after the per-worker reserve (${WORKER_RESERVE.cpuMillis / 1000} vCPU, ${WORKER_RESERVE.memoryMiB / 1024} GiB)`,
      'add workers or larger workers, lower workloads.loadFactor, or leave components out',
      ['EXG_VOL_5', 'EXG_ARA_3'],
    );
  }
  return { workloads, diagnostics };
}

function fmtCpu(millis: number): string {
  return String(Math.round(millis / 100) / 10);
}

function fmtGiB(mib: number): string {
  return String(Math.round((mib / 1024) * 10) / 10);
}

/** Requests of `workloads` in the cluster of `site`, against workers of the given size. */
export function capacityFor(workloads: ResolvedWorkloads, site: string, workers: { count: number; vcpu: number; ramGiB: number }): ClusterCapacity {
  const allocatable = {
    cpuMillis: Math.max(0, workers.count * (workers.vcpu * 1000 - WORKER_RESERVE.cpuMillis)),
    memoryMiB: Math.max(0, workers.count * (workers.ramGiB * 1024 - WORKER_RESERVE.memoryMiB)),
  };
  const atMin = { pods: 0, cpuMillis: 0, memoryMiB: 0 };
  const atMax = { pods: 0, cpuMillis: 0, memoryMiB: 0 };
  for (const c of workloads.components) {
    const cpu = cpuMillis(c.resources.requests.cpu) ?? 0;
    const mem = memoryMiB(c.resources.requests.memory) ?? 0;
    const atRest = c.schedule !== undefined ? c.maxReplicas : c.minReplicas;
    atMin.pods += atRest;
    atMin.cpuMillis += atRest * cpu;
    atMin.memoryMiB += atRest * mem;
    atMax.pods += c.maxReplicas;
    atMax.cpuMillis += c.maxReplicas * cpu;
    atMax.memoryMiB += c.maxReplicas * mem;
  }
  return {
    site,
    workers: { ...workers },
    allocatable,
    atMin,
    atMax,
    fits: atMax.cpuMillis <= allocatable.cpuMillis && atMax.memoryMiB <= allocatable.memoryMiB,
  };
}

/**
 * Requests of the environment's workloads in the OpenShift cluster of `site` against its
 * workers (from the topology's guests). No workloads: zero requests; no workers: zero capacity.
 */
export function workloadCapacity(t: Topology, site: string): ClusterCapacity {
  const workers = t.guests.filter((g) => g.service === 'openshift' && g.role === 'worker' && g.site === site);
  const size = workers[0]?.size ?? { vcpu: 0, ramGiB: 0 };
  const empty: ResolvedWorkloads = {
    catalog: '',
    registry: '',
    loadFactor: 0,
    domains: [],
    components: [],
    topics: [],
    sloClasses: [],
    secrets: { component: '', pathPrefix: '' },
  };
  return capacityFor(t.workloads ?? empty, site, { count: workers.length, vcpu: size.vcpu, ramGiB: size.ramGiB });
}
