/**
 * The workloads rules (K8S-*) beyond their pass/fail fixtures (rules.test.ts): skip and
 * not-applicable semantics, per-cluster judgement, the 10× arithmetic, no secret in a finding,
 * and the shipped environments' real manifests (the workloads plan) judged, then broken.
 */
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../modules/model/workloads.ts';
import { SAMPLE_WORKLOADS, sampleManifests } from '../modules/workloads/validate/samples.ts';
import { runRule } from './engine.ts';
import { workloadManifests } from './input.ts';
import { peakExemption, peakReplicas, WORKLOAD_RULES } from './rules/workloads.ts';
import { productionInput, shipped } from './testing/fixture.ts';
import type { PolicyInput } from './types.ts';

const rule = (id: string) => WORKLOAD_RULES.find((r) => r.id === id)!;
// biome-ignore lint/suspicious/noExplicitAny: tests poke into untyped manifest bodies
type Any = any;

/** The production input (topology only) with the given manifests per site and the sample catalog. */
function withClusters(clusters: Record<string, K8sObject[]>): PolicyInput {
  const input: PolicyInput = {
    target: 'production',
    topology: structuredClone(shipped().topologies.get('production')!),
    peers: [],
    waivers: [],
    today: '2026-11-23',
  };
  input.topology!.workloads = structuredClone(SAMPLE_WORKLOADS);
  input.manifests = Object.values(clusters).flat();
  input.manifestSites = Object.entries(clusters).flatMap(([site, objects]) => objects.map(() => site));
  return input;
}

describe('K8S rules: when they run', () => {
  it('skipped without manifests (e.g. --tf alone), not applicable to an environment without workloads', () => {
    const none = withClusters({});
    delete none.manifests;
    const empty = withClusters({});
    for (const r of WORKLOAD_RULES) {
      expect(runRule(r, none).status, r.id).toBe('skipped');
      expect(runRule(r, empty).status, r.id).toBe('not-applicable');
    }
  });

  it('the lab environment runs no workloads: empty manifests, so not applicable', () => {
    expect(workloadManifests(shipped().topologies.get('lab')!)).toEqual({ manifests: [], manifestSites: [] });
  });
});

describe('K8S rules on hand-built manifests', () => {
  it('default deny is judged per cluster: DC2 without it fails, DC1 does not', () => {
    const dc2 = sampleManifests().filter((o) => o.metadata.name !== 'default-deny');
    const r = runRule(rule('K8S-002'), withClusters({ DC1: sampleManifests(), DC2: dc2 }));
    expect(r.findings.map((f) => f.subject)).toEqual(['DC2:Namespace/documents']);
    expect(r.findings[0]!.evidence[0]).toMatchObject({ file: 'manifest:DC2/Namespace/documents', pointer: '/metadata/name' });
  });

  it('a default deny with a selector or only one direction is not one', () => {
    const objects = sampleManifests();
    const deny = objects.find((o) => o.metadata.name === 'default-deny')! as Any;
    deny.spec.policyTypes = ['Ingress'];
    expect(runRule(rule('K8S-002'), withClusters({ DC1: objects })).status).toBe('fail');
    deny.spec.policyTypes = ['Ingress', 'Egress'];
    deny.spec.podSelector = { matchLabels: { app: 'x' } };
    expect(runRule(rule('K8S-002'), withClusters({ DC1: objects })).status).toBe('fail');
  });

  it('restricted-v2: the pod-level securityContext counts when the container has none; runAsUser 0 does not', () => {
    const objects = sampleManifests();
    const c = (objects.find((o) => o.kind === 'Deployment') as Any).spec.template.spec.containers[0];
    delete c.securityContext.runAsNonRoot;
    delete c.securityContext.seccompProfile;
    expect(runRule(rule('K8S-003'), withClusters({ DC1: objects })).status).toBe('pass');
    c.securityContext.runAsUser = 0;
    c.securityContext.capabilities.add = ['NET_ADMIN'];
    expect(runRule(rule('K8S-003'), withClusters({ DC1: objects })).findings.map((f) => f.evidence[0]!.pointer)).toEqual([
      '/spec/template/spec/containers/0/securityContext/runAsUser',
      '/spec/template/spec/containers/0/securityContext/capabilities',
    ]);
  });

  it('images: a tag after the internal registry is not a digest; another registry is not internal', () => {
    const objects = sampleManifests();
    const c = (objects.find((o) => o.kind === 'CronJob') as Any).spec.jobTemplate.spec.template.spec.containers[0];
    c.image = 'registry.hds.internal/mes/documents-purge:latest';
    const r = runRule(rule('K8S-005'), withClusters({ DC1: objects }));
    expect(r.findings.map((f) => f.message.en)).toEqual([
      'DC1 CronJob documents/documents-purge: container documents-purge: image not pinned by digest (@sha256:…).',
    ]);
    c.image = `registry.example.com/mes/documents-purge@sha256:${'a'.repeat(64)}`;
    expect(runRule(rule('K8S-005'), withClusters({ DC1: objects })).findings[0]!.message.en).toContain('outside the internal registry registry.hds.internal');
  });

  it('PDB: a single-replica Deployment needs none; one that lets every pod go does not count', () => {
    const objects = sampleManifests().filter((o) => o.kind !== 'HorizontalPodAutoscaler');
    const d = objects.find((o) => o.kind === 'Deployment') as Any;
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget') as Any;
    d.spec.replicas = 1;
    pdb.spec = { maxUnavailable: '100%', selector: pdb.spec.selector };
    expect(runRule(rule('K8S-006'), withClusters({ DC1: objects })).status).toBe('pass');
    d.spec.replicas = 3;
    expect(runRule(rule('K8S-006'), withClusters({ DC1: objects })).findings.map((f) => f.message.en)).toEqual([
      'DC1 PodDisruptionBudget documents/documents-api: this budget lets every pod of documents-api go.',
    ]);
  });

  it('10× peak: recomputed from the catalog (load factor, editor slots), not read from the HPA', () => {
    expect(peakReplicas({ load: { averageRps: 200, rpsPerReplica: 50 } }, 1)).toBe(58);
    expect(peakReplicas({ load: { averageRps: 200, rpsPerReplica: 50 } }, 0.02)).toBe(2);
    expect(peakReplicas({ load: { averageRps: 35, rpsPerReplica: 50 } }, 1)).toBe(10);
    expect(peakReplicas({ load: { averageRps: 2, rpsPerReplica: 10 }, perEditorSlot: true }, 1, 30)).toBe(86);
    expect(peakReplicas({ load: { averageRps: 0, rpsPerReplica: 10 } }, 1)).toBe(1);
    // The catalog says 58; an HPA at 57 fails even if the resolver (or the HPA's annotation) said 57.
    const input = withClusters({ DC1: sampleManifests() });
    input.topology!.workloads!.components[0]!.maxReplicas = 57;
    (input.manifests!.find((o) => o.kind === 'HorizontalPodAutoscaler') as Any).spec.maxReplicas = 57;
    expect(runRule(rule('K8S-007'), input).findings.map((f) => f.message.en)).toEqual([
      'DC1 HorizontalPodAutoscaler documents/documents-api: maxReplicas 57 < 58 needed for 10× the average load of documents-api.',
    ]);
  });

  it('10× peak: without an HPA the replicas must carry the peak; an HPA on an unknown target is reported', () => {
    const objects = sampleManifests();
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler') as Any;
    hpa.spec.scaleTargetRef.name = 'documents-web';
    const r = runRule(rule('K8S-007'), withClusters({ DC1: objects }));
    expect(r.findings.map((f) => f.evidence[0]!.pointer)).toEqual(['/spec/replicas', '/spec/scaleTargetRef/name']);
  });

  it('no secret: findings name the field and never quote the value', () => {
    const objects = sampleManifests();
    const d = objects.find((o) => o.kind === 'Deployment') as Any;
    d.spec.template.spec.containers[0].env.push(
      { name: 'API_TOKEN', value: 'Zm9vYmFyYmF6cXV4' },
      { name: 'DB_PASSWORD', value: 'openbao:kv/data/hds/sample/documents/documents-api#password' },
      { name: 'KAFKA_PASSWORD', value: 'kv/data/hds/sample/documents/documents-api' },
    );
    d.spec.template.metadata.annotations['example.com/api-key'] = 'Zm9vYmFyYmF6cXV4';
    d.spec.template.metadata.annotations['example.com/private'] = '-----BEGIN RSA PRIVATE KEY-----';
    const r = runRule(rule('K8S-009'), withClusters({ DC1: objects }));
    expect(r.findings.map((f) => f.evidence[0]!.pointer)).toEqual([
      '/spec/template/metadata/annotations/example.com~1api-key',
      '/spec/template/metadata/annotations/example.com~1private',
      '/spec/template/spec/containers/0/env/2/value',
    ]);
    const text = JSON.stringify(r.findings);
    expect(text).not.toContain('Zm9vYmFyYmF6cXV4');
    expect(text).not.toContain('BEGIN RSA');
  });
});

describe('the shipped environments’ real manifests (the workloads plan)', { timeout: 120_000 }, () => {
  it('production: both clusters judged, every K8S rule passes', () => {
    const input = productionInput();
    expect(new Set(input.manifestSites)).toEqual(new Set(['DC1', 'DC2']));
    const kinds = new Set(input.manifests!.map((o) => o.kind));
    for (const k of ['Namespace', 'NetworkPolicy', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Route', 'KafkaTopic'])
      expect(kinds).toContain(k);
    for (const r of WORKLOAD_RULES) {
      const res = runRule(r, input);
      expect(
        res.findings.map((f) => f.message.en),
        r.id,
      ).toEqual([]);
      expect(res.status, r.id).toBe('pass');
    }
  });

  it("OpenBao's StatefulSet (a quorum) is judged by K8S-003/004/005/006; K8S-007 exempts it with its reason, and refuses an HPA on it", () => {
    const base = productionInput();
    const sts = (i: PolicyInput) => i.manifests!.filter((o) => o.kind === 'StatefulSet') as Any[];
    expect(sts(base).map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['platform/openbao', 'platform/openbao']);
    const bao = base.topology!.workloads!.components.find((c) => c.name === 'openbao')!;
    expect(peakExemption(bao)).toBe(
      'openbao is a quorum of 3 (Raft voters): sized for fault tolerance, never scaled by load; its peak is checked against its members by the resolver (E_WORKLOADS_QUORUM)',
    );
    expect(peakExemption({ name: 'accounts-api' })).toBeUndefined();
    const subject = 'DC2:StatefulSet/platform/openbao';
    const breaks: Array<[string, (o: Any) => void, string]> = [
      ['K8S-003', (o) => (o.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true), subject],
      ['K8S-004', (o) => delete o.spec.template.spec.containers[0].resources.requests, subject],
      ['K8S-005', (o) => (o.spec.template.spec.containers[0].image = 'quay.io/openbao/openbao:2.2'), subject],
    ];
    for (const [id, edit, expected] of breaks) {
      const input = structuredClone(base);
      edit(sts(input)[1]);
      const r = runRule(rule(id), input);
      expect(r.status, id).toBe('fail');
      expect(new Set(r.findings.map((f) => f.subject)), id).toEqual(new Set([expected]));
    }
    // K8S-006: without its budget, the 3-member group may lose its majority to a drain.
    const noPdb = structuredClone(base);
    const k = noPdb.manifests!.findIndex((o, j) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'openbao' && noPdb.manifestSites![j] === 'DC1');
    noPdb.manifests!.splice(k, 1);
    noPdb.manifestSites!.splice(k, 1);
    expect(runRule(rule('K8S-006'), noPdb).findings.map((f) => f.message.en)).toEqual([
      'DC1 StatefulSet platform/openbao: 3 replicas and no PodDisruptionBudget.',
    ]);
    // K8S-007: the 10× rule would ask more than 3 members at a 100× load; the quorum is exempt, not failed.
    const heavy = structuredClone(base);
    heavy.topology!.workloads!.components.find((c) => c.name === 'openbao')!.load.averageRps *= 100;
    expect(runRule(rule('K8S-007'), heavy).status).toBe('pass');
    // ... but an HPA scaling the voter set is refused.
    const scaled = structuredClone(base);
    const hpa = structuredClone(scaled.manifests!.find((o) => o.kind === 'HorizontalPodAutoscaler')!) as Any;
    hpa.metadata = { ...hpa.metadata, name: 'openbao', namespace: 'platform' };
    hpa.spec.scaleTargetRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'openbao' };
    scaled.manifests!.push(hpa);
    scaled.manifestSites!.push('DC1');
    expect(runRule(rule('K8S-007'), scaled).findings.map((f) => f.message.en)).toEqual([
      'DC1 HorizontalPodAutoscaler platform/openbao: an HPA scales the quorum openbao: a Raft voter set must not follow the load.',
    ]);
  });

  it('production broken in one place per rule: the right rule fails on the real manifests', () => {
    const drop = (i: PolicyInput, k: number) => {
      expect(k).toBeGreaterThanOrEqual(0);
      i.manifests!.splice(k, 1);
      i.manifestSites!.splice(k, 1);
    };
    const first = (i: PolicyInput, kind: string) => i.manifests!.find((o) => o.kind === kind) as Any;
    const container = (i: PolicyInput) => first(i, 'Deployment').spec.template.spec.containers[0];
    const isDefaultDeny = (o: Any) => o.kind === 'NetworkPolicy' && o.spec.policyTypes?.length === 2 && !o.spec.ingress?.length && !o.spec.egress?.length;
    const breaks: Array<[string, (i: PolicyInput) => void]> = [
      ['K8S-001', (i) => (first(i, 'KafkaTopic').spec.retentionMs = 1)],
      ['K8S-002', (i) => drop(i, i.manifests!.findIndex(isDefaultDeny))],
      ['K8S-003', (i) => (container(i).securityContext.readOnlyRootFilesystem = false)],
      ['K8S-004', (i) => delete first(i, 'CronJob').spec.jobTemplate.spec.template.spec.containers[0].resources.limits],
      ['K8S-005', (i) => (container(i).image = `quay.io/x/y@sha256:${'b'.repeat(64)}`)],
      [
        'K8S-006',
        (i) =>
          drop(
            i,
            i.manifests!.findIndex((o) => o.kind === 'PodDisruptionBudget'),
          ),
      ],
      ['K8S-007', (i) => (first(i, 'HorizontalPodAutoscaler').spec.maxReplicas = 1)],
      ['K8S-008', (i) => (first(i, 'Route').spec.tls.insecureEdgeTerminationPolicy = 'Allow')],
      ['K8S-009', (i) => (container(i).env = [{ name: 'DB_PASSWORD', value: 'S3cr3t-value' }])],
    ];
    const base = productionInput();
    for (const [id, edit] of breaks) {
      const input = structuredClone(base);
      edit(input);
      const r = runRule(rule(id), input);
      expect(r.status, id).toBe('fail');
      expect(r.findings.length, id).toBe(1);
    }
  });
});
