/**
 * Test helper: the shipped production topology with a small hand-built application catalog
 * (ResolvedWorkloads) attached, covering every case the plan handles: public components behind
 * the WAF, pod-to-pod needs across namespaces, every platform dependency, a batch component,
 * a component below two replicas (kpi, floor 1), a quorum with its peer port and storage (OpenBao: a StatefulSet; it also
 * calls the Kubernetes API), a produced, a consumed and a compacted topic (one encrypted with
 * another domain's key: dataDomain), and a catalog domain no running component uses (no namespace). Replicas follow
 * the resolver's rule (replicasFor).
 */
import { join } from 'node:path';
import { evaluate, loadWorkspace } from '../../loader/load.ts';
import type { Topology } from '../../model/topology.ts';
import type { ComponentDoc, ResolvedComponent, ResolvedWorkloads, SloClassDoc } from '../../model/workloads.ts';
import { replicasFor } from '../../model/workloadsResolve.ts';

let production: Topology | undefined;

/** The shipped production topology (loaded once per process; callers get a copy). */
export function shippedTopology(name = 'production'): Topology {
  if (name === 'production' && production) return structuredClone(production);
  const t = evaluate(loadWorkspace(join(import.meta.dirname, '..', '..', '..', 'environments')), name).topologies.get(name);
  if (!t) throw new Error(`environment ${name} does not evaluate`);
  if (name === 'production') production = t;
  return structuredClone(t);
}

const SLO: Record<string, SloClassDoc> = {
  critical: { name: 'critical', availabilityPct: 99.9, latency: { pct: 99, ms: 300 }, requirements: ['EXG_DIS_2.1'] },
  standard: { name: 'standard', availabilityPct: 99.5, latency: { pct: 95, ms: 1000 }, requirements: ['EXG_DIS_2.1'] },
};

/** A digest-looking, deterministic `sha256:` + 64 hex for a name. */
function digest(name: string): string {
  let hex = '';
  for (let i = 0; hex.length < 64; i++) hex += ((name.charCodeAt(i % name.length) * (i + 7)) % 256).toString(16).padStart(2, '0');
  return `sha256:${hex.slice(0, 64)}`;
}

type Spec = Omit<ComponentDoc, 'image' | 'resources' | 'description' | 'slo'> & {
  slo: keyof typeof SLO;
  cpu?: [string, string];
  memory?: [string, string];
  pgDomain?: string;
  hsmKeyDomain?: string;
};

export const FIXTURE_REGISTRY = 'registry.hds.internal';

/** Resolved as the resolver does (replicasFor, production floor 2): the fixture follows the rule. */
function component(s: Spec, loadFactor: number): ResolvedComponent {
  const { cpu = ['250m', '1'], memory = ['512Mi', '1Gi'], slo, pgDomain, hsmKeyDomain, ...doc } = s;
  const environmentRps = s.load.averageRps * loadFactor;
  const { min, max } = replicasFor({
    rps: environmentRps,
    rpsPerReplica: s.load.rpsPerReplica,
    floor: s.name === 'kpi' ? 1 : 2,
    ...(s.quorum ? { quorum: s.quorum } : {}),
  });
  return {
    ...doc,
    description: `${s.name} (test fixture)`,
    image: { repository: `${FIXTURE_REGISTRY}/mesdmp/${s.name}`, digest: digest(s.name) },
    resources: { requests: { cpu: cpu[0], memory: memory[0] }, limits: { cpu: cpu[1], memory: memory[1] } },
    slo,
    sloClass: SLO[slo]!,
    minReplicas: min,
    maxReplicas: max,
    environmentRps,
    ...(pgDomain ? { pgDomain } : {}),
    ...(hsmKeyDomain ? { hsmKeyDomain } : {}),
  };
}

/** The fixture catalog, resolved (production load factor 1). */
export function fixtureWorkloads(loadFactor = 1): ResolvedWorkloads {
  const specs: Spec[] = [
    {
      name: 'openbao',
      tier: 'platform',
      domain: 'platform',
      port: 8200,
      exposure: 'internal',
      load: { averageRps: 50, rpsPerReplica: 500 },
      slo: 'critical',
      needs: [
        { platform: 'hsm', purpose: 'auto-unseal with the HSM-held key' },
        { platform: 'kubernetes-api', purpose: 'kubernetes auth method (TokenReview)' },
      ],
      quorum: 3,
      peerPort: 8201,
      // No class: the claims take the cluster's default StorageClass (the shipped catalog names one).
      storage: { size: '5Gi', mountPath: '/openbao/data' },
    },
    {
      name: 'accounts-api',
      tier: 'business',
      domain: 'accounts',
      port: 8443,
      exposure: 'internal',
      load: { averageRps: 200, rpsPerReplica: 100 },
      slo: 'critical',
      needs: [{ platform: 'postgresql' }],
      kafka: { produces: ['accounts.events'] },
      pgDomain: 'accounts',
    },
    {
      name: 'documents-api',
      tier: 'business',
      domain: 'documents',
      port: 8443,
      exposure: 'internal',
      load: { averageRps: 400, rpsPerReplica: 100 },
      slo: 'critical',
      needs: [{ platform: 'postgresql' }, { platform: 'object-storage' }, { platform: 'hsm' }, { component: 'accounts-api', purpose: 'owner checks' }],
      kafka: { consumes: ['accounts.events'], produces: ['documents.indexed'] },
      pgDomain: 'documents',
      hsmKeyDomain: 'documents',
      cpu: ['500m', '2'],
      memory: ['1Gi', '2Gi'],
    },
    {
      name: 'ens-web',
      tier: 'front',
      domain: 'front',
      port: 8080,
      exposure: 'public',
      routePath: '/',
      load: { averageRps: 300, rpsPerReplica: 300 },
      slo: 'standard',
      needs: [{ component: 'bff' }],
      cpu: ['100m', '500m'],
      memory: ['256Mi', '512Mi'],
    },
    {
      name: 'bff',
      tier: 'front',
      domain: 'front',
      port: 8443,
      exposure: 'public',
      routePath: '/api',
      load: { averageRps: 600, rpsPerReplica: 200 },
      slo: 'critical',
      needs: [{ component: 'accounts-api' }, { component: 'documents-api' }],
    },
    {
      name: 'kpi',
      tier: 'transverse',
      domain: 'transverse',
      port: 8443,
      exposure: 'internal',
      load: { averageRps: 2, rpsPerReplica: 50 },
      slo: 'standard',
      needs: [{ platform: 'kafka' }],
      kafka: { consumes: ['documents.indexed'], produces: ['kpi.digest'] },
    },
    {
      name: 'mass-processing',
      tier: 'batch',
      domain: 'documents',
      port: 8443,
      exposure: 'internal',
      load: { averageRps: 4, rpsPerReplica: 1 },
      slo: 'standard',
      needs: [{ platform: 'postgresql' }, { platform: 'kafka' }],
      kafka: { consumes: ['accounts.events'] },
      schedule: '0 2 * * *',
      pgDomain: 'documents',
      cpu: ['1', '2'],
      memory: ['2Gi', '4Gi'],
    },
  ];
  return {
    catalog: 'fixture',
    registry: FIXTURE_REGISTRY,
    loadFactor,
    domains: [
      { name: 'accounts', classification: 'health' },
      { name: 'documents', classification: 'health' },
      { name: 'front', classification: 'personal' },
      { name: 'platform', classification: 'internal' },
      { name: 'transverse', classification: 'internal' },
      { name: 'unused', classification: 'public', description: 'no running component: no namespace' },
    ],
    components: specs.map((s) => component(s, loadFactor)),
    topics: [
      { name: 'accounts.events', domain: 'accounts', partitions: 12, retentionHours: 168 },
      { name: 'documents.indexed', domain: 'documents', partitions: 6, retentionHours: 720, compacted: true },
      { name: 'kpi.digest', domain: 'transverse', dataDomain: 'documents', partitions: 3, retentionHours: 24 },
    ],
    sloClasses: Object.values(SLO),
    secrets: { component: 'openbao', pathPrefix: 'kv/hds' },
  };
}

/** The production topology running the fixture catalog. */
export function fixtureTopology(workloads: ResolvedWorkloads = fixtureWorkloads()): Topology {
  return { ...shippedTopology('production'), workloads };
}
