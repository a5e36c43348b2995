/**
 * The application catalog's resolution (issue 12): replicas from the rule (EXG_VOL_5, EXG_ARA_3),
 * editor slots (EXG_ENV_10), implicit flows, and one failing fixture per diagnostic class.
 * The located form (file:line:col /pointer) of the same diagnostics is tested in modules/loader.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Diagnostic } from './diagnostics.ts';
import type { EnvironmentDoc } from './types.ts';
import {
  type CatalogDoc,
  type ComponentDoc,
  HPA_TARGET_CPU_UTILIZATION_PCT,
  MIN_SLO_OBJECTIVE_PCT,
  PEAK_FACTOR,
  sloObjectiveProblem,
  topicKeyDomain,
  WORKER_RESERVE,
} from './workloads.ts';
import { capacityFor, checkCatalog, cpuMillis, memoryMiB, peakReplicasFor, replicaFloor, replicasFor, resolveWorkloads } from './workloadsResolve.ts';

const ENVIRONMENTS = join(import.meta.dirname, '..', '..', 'environments');
const repoCatalog = (): CatalogDoc => parse(readFileSync(join(ENVIRONMENTS, 'catalogs', 'mes-dmp.yaml'), 'utf8')) as CatalogDoc;
const repoEnv = (name: string): EnvironmentDoc => parse(readFileSync(join(ENVIRONMENTS, `${name}.yaml`), 'utf8')) as EnvironmentDoc;

const DIGEST = `sha256:${'a'.repeat(64)}`;

function component(name: string, over: Partial<ComponentDoc> = {}): ComponentDoc {
  return {
    name,
    tier: 'business',
    description: name,
    domain: 'core',
    image: { repository: `registry.test/app/${name}`, digest: DIGEST },
    port: 8080,
    resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    load: { averageRps: 10, rpsPerReplica: 50 },
    slo: 'critical',
    exposure: 'internal',
    needs: [],
    ...over,
  };
}

/** A small consistent catalog: a public web front, an API with a database, a topic, a secrets server. */
function miniCatalog(): CatalogDoc {
  return {
    apiVersion: 'hds.platform/v1',
    kind: 'ApplicationCatalog',
    name: 'mini',
    registry: 'registry.test',
    secrets: { component: 'vault', pathPrefix: 'kv/data/t' },
    domains: [
      { name: 'web', classification: 'personal' },
      { name: 'core', classification: 'health' },
      { name: 'platform', classification: 'internal' },
    ],
    sloClasses: [{ name: 'critical', availabilityPct: 99.9, latency: { pct: 95, ms: 250 }, requirements: ['EXG_DIS_2.1'] }],
    components: [
      component('web', { tier: 'front', domain: 'web', exposure: 'public', routePath: '/', needs: [{ component: 'api' }] }),
      component('api', { needs: [{ platform: 'postgresql' }, { platform: 'hsm' }], kafka: { produces: ['events'] } }),
      component('vault', {
        tier: 'platform',
        domain: 'platform',
        port: 8200,
        quorum: 3,
        peerPort: 8201,
        storage: { size: '1Gi', mountPath: '/data' },
        needs: [{ platform: 'hsm' }, { platform: 'kubernetes-api' }],
      }),
    ],
    topics: [{ name: 'events', domain: 'core', partitions: 6, retentionHours: 24 }],
  };
}

function miniEnv(over: Partial<EnvironmentDoc> = {}): EnvironmentDoc {
  return {
    apiVersion: 'hds.platform/v1',
    kind: 'Environment',
    name: 'test',
    class: 'integration',
    platform: 'national',
    sites: ['DC1', 'DC2', 'DC3'],
    network: { slot: 9 },
    dataSource: 'synthetic',
    services: {
      openshift: {
        sites: ['DC1', 'DC2'],
        distribution: 'okd',
        masters: { count: 3, vcpu: 8, ramGiB: 32, diskGiB: 120 },
        infra: { count: 2, vcpu: 8, ramGiB: 32, diskGiB: 120 },
        workers: { count: 3, vcpu: 16, ramGiB: 64, diskGiB: 200 },
      },
      postgresql: {
        replication: 'synchronous',
        onStandbyLoss: 'continue-alone',
        witnessSite: 'DC3',
        node: { vcpu: 4, ramGiB: 32, diskGiB: 300 },
        witness: { vcpu: 2, ramGiB: 8, diskGiB: 50 },
        domains: [{ name: 'core', primarySite: 'DC1', standbySite: 'DC2' }],
      },
      kafka: {
        sites: ['DC1', 'DC2'],
        brokersPerSite: 1,
        node: { vcpu: 4, ramGiB: 16, diskGiB: 500 },
        controllers: { perSite: 1, witnessSite: 'DC3', node: { vcpu: 2, ramGiB: 4, diskGiB: 50 } },
      },
      hsm: { sites: ['DC1', 'DC2'], perSite: 1, keyDomains: ['core'] },
    },
    workloads: { catalog: 'mini', loadFactor: 1 },
    ...over,
  };
}

/** (code, pointer) pairs, the shape the loader turns into file:line:col. */
const where = (ds: Diagnostic[]) => ds.map((d) => `${d.code} ${d.doc.kind}:${d.doc.name} /${d.path.join('/')}`);

describe('the repository catalog', () => {
  it('passes every catalog check', () => {
    expect(checkCatalog(repoCatalog())).toEqual([]);
  });

  it('names every component the CCTP describes, each tier present', () => {
    const names = repoCatalog().components.map((c) => c.name);
    for (const n of ['ens-web', 'mobile-backend', 'support-portal', 'editors-portal', 'bff', 'api-management-rest', 'soap-mediation', 'access-management'])
      expect(names).toContain(n);
    for (const n of ['accounts-api', 'identity-api', 'documents-api', 'consents-api', 'messaging-api', 'agenda-api', 'traces-api', 'notifications'])
      expect(names).toContain(n);
    for (const n of ['broker-gateway', 'outbound-comms', 'cms', 'kpi', 'traceability', 'mass-processing', 'openbao']) expect(names).toContain(n);
    expect(new Set(repoCatalog().components.map((c) => c.tier))).toEqual(new Set(['front', 'mediation', 'business', 'transverse', 'batch', 'platform']));
  });
});

describe('replicas are derived from the load figures (EXG_VOL_5, EXG_ARA_3)', () => {
  it('follows the rule: half the load at rest, all of it ×10 at the HPA target at most', () => {
    expect(PEAK_FACTOR).toBe(10);
    expect(HPA_TARGET_CPU_UTILIZATION_PCT).toBe(70);
    // 1000 rps, 100 per replica: ⌈1000/2/100⌉ = 5 at rest, ⌈10×1000/(100×0.7)⌉ = ⌈142.86⌉ = 143 at most.
    expect(replicasFor({ rps: 1000, rpsPerReplica: 100, floor: 2 })).toEqual({ min: 5, max: 143 });
    expect(replicasFor({ rps: 1, rpsPerReplica: 100, floor: 2 })).toEqual({ min: 2, max: 2 });
    expect(replicasFor({ rps: 1, rpsPerReplica: 100, floor: 1, quorum: 3 })).toEqual({ min: 3, max: 3 });
    expect([replicaFloor('production'), replicaFloor('preprod'), replicaFloor('certification'), replicaFloor('dev'), replicaFloor('bench')]).toEqual([
      2, 2, 2, 1, 1,
    ]);
  });

  it('production: the API management gateway, by hand', () => {
    const r = resolveWorkloads(repoEnv('production'), [repoCatalog()]);
    expect(r.diagnostics).toEqual([]);
    const apim = r.workloads!.components.find((c) => c.name === 'api-management-rest')!;
    // 900 rps average, 400 per replica, load factor 1:
    //   min = max(2, ⌈900 / 2 / 400⌉ = 2) = 2;  max = ⌈10 × 900 / (400 × 0.70)⌉ = ⌈32.14⌉ = 33.
    expect(apim.environmentRps).toBe(900);
    expect([apim.minReplicas, apim.maxReplicas]).toEqual([2, 33]);
    const web = r.workloads!.components.find((c) => c.name === 'ens-web')!;
    // 320 rps, 80 per replica: max = ⌈3200 / 56⌉ = ⌈57.14⌉ = 58.
    expect([web.minReplicas, web.maxReplicas]).toEqual([2, 58]);
    // Every component absorbs 10× its average load at the HPA target, with the whole load on one cluster.
    for (const c of r.workloads!.components) {
      expect(c.maxReplicas * c.load.rpsPerReplica * 0.7).toBeGreaterThanOrEqual(PEAK_FACTOR * c.environmentRps);
      expect(c.minReplicas).toBeGreaterThanOrEqual(2);
    }
    expect(r.workloads!.components.map((c) => c.name)).not.toContain('editors-portal');
  });

  it('certification: the editors portal scales with the 30 editor slots, not the load factor (EXG_ENV_10)', () => {
    const env = repoEnv('certification');
    expect(env.editorSlots).toBe(30);
    const r = resolveWorkloads(env, [repoCatalog()]);
    expect(r.diagnostics).toEqual([]);
    const portal = r.workloads!.components.find((c) => c.name === 'editors-portal')!;
    // 2 rps per slot × 30 slots = 60 rps; 40 per replica: min = max(2, ⌈60/2/40⌉ = 1) = 2, max = ⌈600 / 28⌉ = 22.
    expect(portal.environmentRps).toBe(60);
    expect([portal.minReplicas, portal.maxReplicas]).toEqual([2, 22]);
    const doubled = resolveWorkloads({ ...env, editorSlots: 60 }, [repoCatalog()]);
    expect(doubled.workloads!.components.find((c) => c.name === 'editors-portal')!.maxReplicas).toBe(43);
    const tenfold = resolveWorkloads({ ...env, workloads: { ...env.workloads!, loadFactor: 0.5 } }, [repoCatalog()]);
    expect(tenfold.workloads!.components.find((c) => c.name === 'editors-portal')!.maxReplicas).toBe(22);
  });

  it('dev: floor 1, the Raft quorum of OpenBao kept, only the topics of running components', () => {
    const r = resolveWorkloads(repoEnv('dev'), [repoCatalog()]);
    expect(r.diagnostics).toEqual([]);
    const byName = new Map(r.workloads!.components.map((c) => [c.name, c]));
    expect([...byName.keys()]).toEqual(['accounts-api', 'identity-api', 'mass-processing', 'openbao']);
    expect(byName.get('accounts-api')!.minReplicas).toBe(1);
    expect(byName.get('openbao')!.minReplicas).toBe(3);
    expect(r.workloads!.topics.map((t) => t.name)).toEqual(['account-events', 'audit-events', 'mass-campaign']);
  });
});

describe('resolved flows and domains', () => {
  const r = resolveWorkloads(repoEnv('production'), [repoCatalog()]);
  const byName = new Map(r.workloads!.components.map((c) => [c.name, c]));

  it('every component but the secrets server needs it; topics imply the Kafka flow', () => {
    expect(r.workloads!.secrets).toEqual({ component: 'openbao', pathPrefix: 'kv/data/hds' });
    for (const c of r.workloads!.components) {
      const toSecrets = c.needs.filter((n) => 'component' in n && n.component === 'openbao');
      expect(toSecrets).toHaveLength(c.name === 'openbao' ? 0 : 1);
      const kafka = c.needs.filter((n) => 'platform' in n && n.platform === 'kafka');
      expect(kafka).toHaveLength(c.kafka?.produces?.length || c.kafka?.consumes?.length ? 1 : 0);
    }
  });

  it('identity uses the accounts cluster and key domain; OpenBao has no micro-service key domain', () => {
    expect(byName.get('identity-api')).toMatchObject({ domain: 'identity', pgDomain: 'accounts', hsmKeyDomain: 'accounts' });
    expect(byName.get('documents-api')).toMatchObject({ pgDomain: 'documents', hsmKeyDomain: 'documents' });
    expect(byName.get('openbao')!.hsmKeyDomain).toBeUndefined();
    expect(byName.get('ens-web')!.pgDomain).toBeUndefined();
  });

  it('the resolution does not alias the catalog', () => {
    const catalog = repoCatalog();
    const out = resolveWorkloads(repoEnv('production'), [catalog]);
    out.workloads!.components[0]!.needs.push({ platform: 'hsm' });
    out.workloads!.components[0]!.resources.requests.cpu = '9';
    expect(catalog.components[0]!.needs).toHaveLength(2);
    expect(catalog.components[0]!.resources.requests.cpu).toBe('500m');
  });
});

describe('each problem is one diagnostic at its JSON path', () => {
  it('the mini fixture is clean', () => {
    const r = resolveWorkloads(miniEnv(), [miniCatalog()]);
    expect(r.diagnostics).toEqual([]);
    expect(r.workloads!.components.map((c) => c.name)).toEqual(['web', 'api', 'vault']);
  });

  it('no workloads: nothing to resolve', () => {
    expect(resolveWorkloads(miniEnv({ workloads: undefined }), [miniCatalog()])).toEqual({ diagnostics: [] });
  });

  it('workloads without OpenShift', () => {
    const env = miniEnv();
    delete env.services.openshift;
    expect(where(resolveWorkloads(env, [miniCatalog()]).diagnostics)).toEqual(['E_WORKLOADS_NO_OPENSHIFT Environment:test /workloads']);
  });

  it('unknown catalog, with the known ones in the hint', () => {
    const r = resolveWorkloads(miniEnv({ workloads: { catalog: 'nope', loadFactor: 1 } }), [miniCatalog()]);
    expect(where(r.diagnostics)).toEqual(['E_WORKLOADS_CATALOG Environment:test /workloads/catalog']);
    expect(r.diagnostics[0]!.hint).toBe('use one of: mini');
    expect(r.workloads).toBeUndefined();
  });

  it('unknown names in only and except; an empty selection', () => {
    const r = resolveWorkloads(
      miniEnv({ workloads: { catalog: 'mini', loadFactor: 1, components: { only: ['web', 'api', 'vault', 'wbe'], except: ['nothing'] } } }),
      [miniCatalog()],
    );
    expect(where(r.diagnostics)).toEqual([
      'E_WORKLOADS_SELECTION Environment:test /workloads/components/only/3',
      'E_WORKLOADS_SELECTION Environment:test /workloads/components/except/0',
    ]);
    const none = resolveWorkloads(miniEnv({ workloads: { catalog: 'mini', loadFactor: 1, components: { except: ['front', 'business', 'platform'] } } }), [
      miniCatalog(),
    ]);
    expect(where(none.diagnostics)).toEqual(['E_WORKLOADS_SELECTION Environment:test /workloads/components']);
  });

  it('a flow to a component that does not run names both and suggests including it', () => {
    const r = resolveWorkloads(miniEnv({ workloads: { catalog: 'mini', loadFactor: 1, components: { except: ['api'] } } }), [miniCatalog()]);
    expect(where(r.diagnostics)).toEqual(['E_WORKLOADS_FLOW Environment:test /workloads/components/except/0']);
    expect(r.diagnostics[0]!.message).toBe('web needs api, which does not run in test');
    expect(r.diagnostics[0]!.hint).toBe('remove api (or its tier) from workloads.components.except, or leave web out too');
    const only = resolveWorkloads(miniEnv({ workloads: { catalog: 'mini', loadFactor: 1, components: { only: ['web', 'platform'] } } }), [miniCatalog()]);
    expect(where(only.diagnostics)).toEqual(['E_WORKLOADS_FLOW Environment:test /workloads/components/only']);
    expect(only.diagnostics[0]!.hint).toBe('add api to workloads.components.only, or leave web out too');
  });

  it('the secrets server left out: one diagnostic, not one per component', () => {
    const r = resolveWorkloads(miniEnv({ workloads: { catalog: 'mini', loadFactor: 1, components: { except: ['platform'] } } }), [miniCatalog()]);
    expect(where(r.diagnostics)).toEqual(['E_WORKLOADS_FLOW Environment:test /workloads/components/except/0']);
    expect(r.diagnostics[0]!.message).toBe('every component reads its secrets from vault (kv/data/t), which does not run in test');
  });

  it('a PostgreSQL cluster or an HSM key domain the environment lacks', () => {
    const env = miniEnv({ workloads: { catalog: 'mini', loadFactor: 1, components: { only: ['web', 'api', 'vault'] } } });
    env.services.postgresql!.domains = [{ name: 'other', primarySite: 'DC1', standbySite: 'DC2' }];
    env.services.hsm!.keyDomains = ['other'];
    const r = resolveWorkloads(env, [miniCatalog()]);
    expect(where(r.diagnostics)).toEqual([
      'E_WORKLOADS_POSTGRESQL Environment:test /workloads/components/only/1',
      'E_WORKLOADS_HSM Environment:test /workloads/components/only/1',
      // api's topic `events` is encrypted with the same missing key domain: reported once, for api.
    ]);
    expect(r.diagnostics[1]!.requirements).toEqual(['EXG_SEC_4.2', 'EXG_SEC_4.3']);
  });

  it('a platform service the environment does not declare (Kafka, Ceph)', () => {
    const catalog = miniCatalog();
    catalog.components[1]!.needs.push({ platform: 'object-storage' });
    const env = miniEnv();
    delete env.services.kafka;
    const r = resolveWorkloads(env, [catalog]);
    expect(where(r.diagnostics)).toEqual([
      'E_WORKLOADS_DEPENDENCY Environment:test /workloads/catalog',
      'E_WORKLOADS_DEPENDENCY Environment:test /workloads/catalog',
    ]);
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      'component api needs object storage (Ceph RGW), and environment test declares no services.ceph',
      'component api needs Kafka, and environment test declares no services.kafka',
    ]);
  });

  it('an editor-slot component without slots', () => {
    const catalog = miniCatalog();
    catalog.components[0]!.perEditorSlot = true;
    expect(where(resolveWorkloads(miniEnv(), [catalog]).diagnostics)).toEqual(['E_WORKLOADS_EDITOR_SLOTS Environment:test /workloads/catalog']);
    expect(where(resolveWorkloads(miniEnv({ editorSlots: 0 }), [catalog]).diagnostics)).toEqual(['E_WORKLOADS_EDITOR_SLOTS Environment:test /editorSlots']);
    expect(resolveWorkloads(miniEnv({ editorSlots: 5 }), [catalog]).diagnostics).toEqual([]);
  });

  it('workloads that do not fit the workers at their maximum', () => {
    const catalog = miniCatalog();
    catalog.components[1]!.load = { averageRps: 10_000, rpsPerReplica: 10 };
    const r = resolveWorkloads(miniEnv(), [catalog]);
    expect(where(r.diagnostics)).toEqual(['E_WORKLOADS_CAPACITY Environment:test /services/openshift/workers']);
    // ⌈10 × 10000 / 7⌉ = 14286 replicas × 500m = 7143 vCPU, far above 3 × (16 - 1) = 45 vCPU.
    expect(r.diagnostics[0]!.message).toContain('request 7146 vCPU');
    expect(r.diagnostics[0]!.message).toContain('offer 45 vCPU and 180 GiB after the per-worker reserve (1 vCPU, 4 GiB)');
    expect(r.workloads).toBeDefined();
  });

  it('catalog problems point into the catalog', () => {
    const c = miniCatalog();
    c.components.push(component('api'));
    c.topics.push({ name: 'events', domain: 'nowhere', partitions: 1, retentionHours: 1 });
    c.components[0]!.image.repository = 'docker.io/library/nginx';
    c.components[0]!.image.digest = 'latest';
    c.components[0]!.slo = 'gold';
    c.components[0]!.domain = 'frontage';
    c.components[0]!.needs.push({ component: 'ghost' });
    c.components[0]!.kafka = { consumes: ['evnets'] };
    c.components[1]!.resources.limits.memory = '256Mi';
    c.components[1]!.routePath = '/api';
    c.components[2]!.schedule = '0 1 * * *';
    c.components.push(component('batch', { tier: 'batch' }));
    c.secrets.component = 'openbao';
    expect(where(checkCatalog(c))).toEqual([
      'E_DUPLICATE ApplicationCatalog:mini /components/3/name',
      'E_DUPLICATE ApplicationCatalog:mini /topics/1/name',
      'E_WORKLOADS_SECRETS ApplicationCatalog:mini /secrets/component',
      'E_WORKLOADS_DOMAIN ApplicationCatalog:mini /components/0/domain',
      'E_WORKLOADS_SLO ApplicationCatalog:mini /components/0/slo',
      'E_WORKLOADS_IMAGE ApplicationCatalog:mini /components/0/image/repository',
      'E_WORKLOADS_IMAGE ApplicationCatalog:mini /components/0/image/digest',
      'E_WORKLOADS_FLOW ApplicationCatalog:mini /components/0/needs/1/component',
      'E_WORKLOADS_TOPIC ApplicationCatalog:mini /components/0/kafka/consumes/0',
      'E_WORKLOADS_RESOURCES ApplicationCatalog:mini /components/1/resources/limits/memory',
      'E_WORKLOADS_EXPOSURE ApplicationCatalog:mini /components/1/routePath',
      'E_WORKLOADS_SCHEDULE ApplicationCatalog:mini /components/2/schedule',
      'E_WORKLOADS_COMPONENT ApplicationCatalog:mini /components/4/name',
      'E_WORKLOADS_SCHEDULE ApplicationCatalog:mini /components/4/tier',
      'E_WORKLOADS_DOMAIN ApplicationCatalog:mini /topics/1/domain',
    ]);
  });

  it('an environment on a broken catalog gets the catalog diagnostics and no workloads', () => {
    const c = miniCatalog();
    c.components[0]!.slo = 'gold';
    const r = resolveWorkloads(miniEnv(), [c]);
    expect(where(r.diagnostics)).toEqual(['E_WORKLOADS_SLO ApplicationCatalog:mini /components/0/slo']);
    expect(r.workloads).toBeUndefined();
  });
});

describe('quorum members reach each other (peerPort)', () => {
  it('the repository catalog gives OpenBao its Raft cluster port and the Kubernetes API (TokenReview)', () => {
    const bao = repoCatalog().components.find((c) => c.name === 'openbao')!;
    expect([bao.quorum, bao.port, bao.peerPort]).toEqual([3, 8200, 8201]);
    expect(bao.needs).toContainEqual(expect.objectContaining({ platform: 'kubernetes-api' }));
    const r = resolveWorkloads(repoEnv('production'), [repoCatalog()]);
    expect(r.workloads!.components.find((c) => c.name === 'openbao')).toMatchObject({ quorum: 3, peerPort: 8201, minReplicas: 3 });
  });

  it('a quorum without peerPort, a peerPort without quorum, a peerPort equal to the port', () => {
    const c = miniCatalog();
    delete c.components[2]!.peerPort;
    c.components[1]!.peerPort = 9000;
    c.components.push(component('raft', { quorum: 3, peerPort: 8080, storage: { size: '1Gi', mountPath: '/data' } }));
    const ds = checkCatalog(c);
    expect(where(ds)).toEqual([
      'E_WORKLOADS_QUORUM ApplicationCatalog:mini /components/1/peerPort',
      'E_WORKLOADS_QUORUM ApplicationCatalog:mini /components/2/quorum',
      'E_WORKLOADS_QUORUM ApplicationCatalog:mini /components/3/peerPort',
    ]);
    expect(ds[1]!.message).toBe('component vault has a quorum of 3 but no peerPort: its members could not reach each other');
    expect(ds[1]!.hint).toContain('peerPort: 8201');
  });

  it('the schema requires peerPort with quorum and quorum with peerPort, and knows kubernetes-api', () => {
    const schema = JSON.parse(readFileSync(join(ENVIRONMENTS, 'schema', 'catalog.schema.json'), 'utf8'));
    const item = schema.properties.components.items;
    expect(item.dependencies).toEqual({ quorum: ['peerPort', 'storage'], peerPort: ['quorum'], storage: ['quorum'] });
    expect(item.properties.storage.required).toEqual(['size', 'mountPath']);
    expect(item.properties.needs.items.properties.platform.enum).toContain('kubernetes-api');
  });
});

describe('a quorum is a StatefulSet of exactly its members, with a volume each, never scaled by load', () => {
  it('the repository catalog gives OpenBao a Ceph RBD volume (ODF external mode) and its own health endpoint', () => {
    const bao = repoCatalog().components.find((c) => c.name === 'openbao')!;
    expect(bao.storage).toEqual({ size: '10Gi', class: 'ocs-external-storagecluster-ceph-rbd', mountPath: '/openbao/data' });
    expect(bao.health?.ready).toBe('/v1/sys/health?standbyok=true');
    expect(
      repoCatalog()
        .components.filter((c) => c.storage !== undefined || c.quorum !== undefined)
        .map((c) => c.name),
    ).toEqual(['openbao']);
  });

  it('replicas are the quorum, whatever the load or the floor; the 10× rule does not apply', () => {
    expect(replicasFor({ rps: 1, rpsPerReplica: 100, floor: 2, quorum: 3 })).toEqual({ min: 3, max: 3 });
    expect(replicasFor({ rps: 10_000, rpsPerReplica: 100, floor: 2, quorum: 3 })).toEqual({ min: 3, max: 3 });
    expect(replicasFor({ rps: 0, rpsPerReplica: 100, floor: 2, quorum: 1 })).toEqual({ min: 1, max: 1 });
    expect(peakReplicasFor({ rps: 1000, rpsPerReplica: 100 })).toBe(143);
    expect(peakReplicasFor({ rps: 0, rpsPerReplica: 100 })).toBe(1);
    for (const name of ['production', 'dev']) {
      const bao = resolveWorkloads(repoEnv(name), [repoCatalog()]).workloads!.components.find((c) => c.name === 'openbao')!;
      expect([bao.minReplicas, bao.maxReplicas], name).toEqual([3, 3]);
    }
  });

  it('storage without quorum, quorum without storage, a batch with a quorum or probe paths', () => {
    const c = miniCatalog();
    delete c.components[2]!.storage;
    c.components[1]!.storage = { size: '1Gi', mountPath: '/data' };
    c.components.push(component('nightly', { tier: 'batch', schedule: '0 1 * * *', quorum: 3, peerPort: 9000, storage: { size: '1Gi', mountPath: '/d' } }));
    c.components.push(component('sweep', { tier: 'batch', schedule: '0 2 * * *', health: { live: '/l', ready: '/r' } }));
    const ds = checkCatalog(c);
    expect(where(ds)).toEqual([
      'E_WORKLOADS_QUORUM ApplicationCatalog:mini /components/1/storage',
      'E_WORKLOADS_QUORUM ApplicationCatalog:mini /components/2/quorum',
      'E_WORKLOADS_QUORUM ApplicationCatalog:mini /components/3/quorum',
      'E_WORKLOADS_SCHEDULE ApplicationCatalog:mini /components/4/health',
    ]);
    expect(ds[1]!.message).toBe('component vault has a quorum of 3 but no storage: its members would lose their Raft log on every restart');
    expect(ds[1]!.hint).toContain('ocs-external-storagecluster-ceph-rbd');
    expect(ds[0]!.hint).toBe('remove storage (stateless components keep no state in the cluster), or declare the quorum (quorum: 3)');
  });

  it('a quorum below the floor of a production-class environment, located where the environment chose it', () => {
    const c = miniCatalog();
    c.components[2]!.quorum = 1;
    c.components[2]!.load = { averageRps: 1, rpsPerReplica: 50 }; // peak ⌈10 / 35⌉ = 1: one member carries it
    expect(resolveWorkloads(miniEnv(), [c]).diagnostics).toEqual([]); // integration: floor 1
    const r = resolveWorkloads(miniEnv({ class: 'preprod' }), [c]);
    expect(where(r.diagnostics)).toEqual(['E_WORKLOADS_QUORUM Environment:test /workloads/catalog']);
    expect(r.diagnostics[0]!.message).toBe(
      'component vault has a quorum of 1 and environment test (preprod) keeps at least 2 replicas: a node loss would stop it',
    );
    const only = resolveWorkloads(
      miniEnv({ class: 'preprod', workloads: { catalog: 'mini', loadFactor: 1, components: { only: ['web', 'api', 'platform'] } } }),
      [c],
    );
    expect(where(only.diagnostics)).toEqual(['E_WORKLOADS_QUORUM Environment:test /workloads/components/only/2']);
  });

  it('a quorum whose members cannot carry 10× the average load, at the load factor (or the editor slots)', () => {
    const c = miniCatalog();
    // 10 rps, 50 per replica: ⌈10 × 10 / 35⌉ = 3 replicas at peak, the quorum: fits.
    expect(resolveWorkloads(miniEnv(), [c]).diagnostics).toEqual([]);
    const r = resolveWorkloads(miniEnv({ workloads: { catalog: 'mini', loadFactor: 1.1 } }), [c]);
    expect(where(r.diagnostics)).toEqual(['E_WORKLOADS_QUORUM Environment:test /workloads/loadFactor']);
    expect(r.diagnostics[0]!.message).toBe(
      'component vault: 10× its average load (110 rps) needs 4 replicas at 70 % CPU, more than its quorum of 3, which is never scaled by load',
    );
    expect(r.diagnostics[0]!.requirements).toEqual(['EXG_VOL_5', 'EXG_ARA_3']);
    c.components[2]!.perEditorSlot = true;
    expect(where(resolveWorkloads(miniEnv({ editorSlots: 2 }), [c]).diagnostics)).toEqual(['E_WORKLOADS_QUORUM Environment:test /editorSlots']);
  });
});

describe('SLO objectives the burn-rate alerts can handle', () => {
  it('an objective too loose for the 14.4× alert, or not below 100, is refused where it is declared', () => {
    const c = miniCatalog();
    c.sloClasses.push({ name: 'lax', availabilityPct: 93, latency: { pct: 50, ms: 1000 }, requirements: ['EXG_DIS_5.1'] });
    c.sloClasses.push({ name: 'perfect', availabilityPct: 100, latency: { pct: 95, ms: 1000 }, requirements: ['EXG_DIS_2.1'] });
    const ds = checkCatalog(c);
    expect(where(ds)).toEqual([
      'E_WORKLOADS_SLO ApplicationCatalog:mini /sloClasses/1/availabilityPct',
      'E_WORKLOADS_SLO ApplicationCatalog:mini /sloClasses/1/latency/pct',
      'E_WORKLOADS_SLO ApplicationCatalog:mini /sloClasses/2/availabilityPct',
    ]);
    expect(ds[0]!.message).toBe(
      'SLO class lax: SLO objective 93 % is too loose for a 14.4× burn-rate alert (threshold 1.008 ≥ 1): the burn-rate alerts cannot be computed',
    );
    expect(ds[0]!.hint).toContain(`from ${MIN_SLO_OBJECTIVE_PCT} to below 100`);
    expect(ds[2]!.message).toContain('is not in ]0, 100[');
    // The environment gets the catalog's diagnostics and no workloads.
    const r = resolveWorkloads(miniEnv(), [c]);
    expect(r.workloads).toBeUndefined();
    expect(r.diagnostics).toHaveLength(3);
  });

  it('refuses exactly what the burn-rate math refuses, and the schema bound is its static form', () => {
    for (let i = 9000; i <= 10_000; i++) {
      const pct = i / 100;
      const c = miniCatalog();
      c.sloClasses[0]!.availabilityPct = pct;
      expect(checkCatalog(c).length, String(pct)).toBe(sloObjectiveProblem(pct) ? 1 : 0);
    }
    expect(sloObjectiveProblem(MIN_SLO_OBJECTIVE_PCT)).toBeUndefined();
    expect(sloObjectiveProblem(MIN_SLO_OBJECTIVE_PCT - 0.01)).toBeDefined();
    const schema = JSON.parse(readFileSync(join(ENVIRONMENTS, 'schema', 'catalog.schema.json'), 'utf8'));
    const slo = schema.properties.sloClasses.items.properties;
    expect([slo.availabilityPct.minimum, slo.latency.properties.pct.minimum]).toEqual([MIN_SLO_OBJECTIVE_PCT, MIN_SLO_OBJECTIVE_PCT]);
    expect([slo.availabilityPct.exclusiveMaximum, slo.latency.properties.pct.exclusiveMaximum]).toEqual([100, 100]);
  });
});

describe("topics' HSM key domains (EXG_SEC_4.3)", () => {
  it('every topic a running component uses is encrypted with a key domain of its environment, in every shipped environment', () => {
    const catalog = repoCatalog();
    for (const name of ['production', 'preprod-n', 'preprod-n1', 'certification', 'recette', 'integration', 'bench', 'formation', 'demo', 'dev']) {
      const env = repoEnv(name);
      const r = resolveWorkloads(env, [catalog]);
      expect(r.diagnostics, name).toEqual([]);
      for (const t of r.workloads!.topics) expect(env.services.hsm!.keyDomains, `${name} ${t.name}`).toContain(topicKeyDomain(t));
    }
    // Owner domains without a key domain of their own borrow their data domain's, as components do.
    const byName = new Map(catalog.topics.map((t) => [t.name, t]));
    expect(['outbound-requests', 'inbound-events', 'mass-campaign', 'audit-events'].map((n) => topicKeyDomain(byName.get(n)!))).toEqual([
      'messaging',
      'documents',
      'accounts',
      'traces',
    ]);
  });

  it('dev without the traces key domain: the audit topic its accounts back end produces is refused at services.hsm.keyDomains', () => {
    const env = repoEnv('dev');
    env.services.hsm!.keyDomains = env.services.hsm!.keyDomains.filter((d) => d !== 'traces');
    const r = resolveWorkloads(env, [repoCatalog()]);
    expect(where(r.diagnostics)).toEqual(['E_WORKLOADS_HSM Environment:dev /services/hsm/keyDomains']);
    expect(r.diagnostics[0]!.message).toBe(
      'topic audit-events (used by accounts-api, identity-api) is encrypted with HSM key domain traces, which is not in services.hsm.keyDomains of dev',
    );
    expect(r.diagnostics[0]!.hint).toBe('add traces to services.hsm.keyDomains, or leave out the components that produce and consume it');
    expect(r.diagnostics[0]!.requirements).toEqual(['EXG_SEC_4.2', 'EXG_SEC_4.3']);
    expect(r.workloads).toBeUndefined();
  });

  it("a topic's dataDomain names its key domain; a topic no running component uses needs none; no HSM at all", () => {
    const c = miniCatalog();
    c.domains.push({ name: 'audit', classification: 'personal' });
    c.topics.push({ name: 'clicks', domain: 'web', partitions: 3, retentionHours: 24 });
    c.topics.push({ name: 'unused', domain: 'audit', partitions: 3, retentionHours: 24 });
    c.components[0]!.kafka = { produces: ['clicks'] };
    const refused = resolveWorkloads(miniEnv(), [c]);
    expect(where(refused.diagnostics)).toEqual(['E_WORKLOADS_HSM Environment:test /services/hsm/keyDomains']);
    expect(refused.diagnostics[0]!.message).toContain('topic clicks (used by web) is encrypted with HSM key domain web');
    c.topics[1]!.dataDomain = 'core';
    expect(resolveWorkloads(miniEnv(), [c]).diagnostics).toEqual([]);
    c.topics[1]!.dataDomain = 'nowhere';
    expect(where(checkCatalog(c))).toEqual(['E_WORKLOADS_DOMAIN ApplicationCatalog:mini /topics/1/dataDomain']);
    // No HSM at all: the topic is refused at workloads, unless a component's HSM need already said so.
    const noHsm = miniEnv({ workloads: { catalog: 'mini', loadFactor: 1 } });
    delete noHsm.services.hsm;
    const quiet = miniCatalog();
    for (const x of quiet.components) x.needs = x.needs.filter((n) => !('platform' in n && n.platform === 'hsm'));
    const r = resolveWorkloads(noHsm, [quiet]);
    expect(where(r.diagnostics)).toEqual(['E_WORKLOADS_HSM Environment:test /workloads']);
    expect(r.diagnostics[0]!.message).toBe(
      'topic events (used by api) is encrypted with HSM key domain core, which needs an HSM, and test declares no services.hsm',
    );
    expect(where(resolveWorkloads(noHsm, [miniCatalog()]).diagnostics)).toEqual([
      'E_WORKLOADS_DEPENDENCY Environment:test /workloads/catalog',
      'E_WORKLOADS_DEPENDENCY Environment:test /workloads/catalog',
    ]);
  });
});

describe('quantities and capacity', () => {
  it('parses Kubernetes quantities', () => {
    expect([cpuMillis('250m'), cpuMillis('1'), cpuMillis('1.5'), cpuMillis('x')]).toEqual([250, 1000, 1500, undefined]);
    expect([memoryMiB('512Mi'), memoryMiB('2Gi'), memoryMiB('1G')]).toEqual([512, 2048, undefined]);
  });

  it('counts requests at min and max, CronJobs at their maximum in both, after the worker reserve', () => {
    const catalog = miniCatalog();
    catalog.components.push(component('nightly', { tier: 'batch', schedule: '0 1 * * *', needs: [{ component: 'api' }] }));
    const r = resolveWorkloads(miniEnv(), [catalog]);
    expect(r.diagnostics).toEqual([]);
    const cap = capacityFor(r.workloads!, 'DC1', { count: 3, vcpu: 16, ramGiB: 64 });
    // web, api, nightly: 10 rps / 50: min max(1, ⌈0.1⌉) = 1, max ⌈100/35⌉ = 3; vault: quorum 3.
    expect(r.workloads!.components.map((c) => [c.name, c.minReplicas, c.maxReplicas])).toEqual([
      ['web', 1, 3],
      ['api', 1, 3],
      ['vault', 3, 3],
      ['nightly', 1, 3],
    ]);
    // At rest: 1 + 1 + 3 + 3 (the CronJob at its maximum); at most: 3 + 3 + 3 + 3. 500m and 512Mi each.
    expect(cap.atMin).toEqual({ pods: 8, cpuMillis: 4000, memoryMiB: 8 * 512 });
    expect(cap.atMax).toEqual({ pods: 12, cpuMillis: 6000, memoryMiB: 12 * 512 });
    expect(cap.allocatable).toEqual({ cpuMillis: 3 * (16_000 - WORKER_RESERVE.cpuMillis), memoryMiB: 3 * (64 * 1024 - WORKER_RESERVE.memoryMiB) });
    expect(cap.fits).toBe(true);
    const small = capacityFor(r.workloads!, 'DC1', { count: 1, vcpu: 6, ramGiB: 16 });
    expect(small.allocatable).toEqual({ cpuMillis: 5000, memoryMiB: 12 * 1024 });
    expect(small.fits).toBe(false);
  });
});
