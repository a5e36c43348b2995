import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ClusterCapacity, K8sObject } from '../model/workloads.ts';
import { manifestFiles, manifestFootprint, podRequests, summarize } from './render.ts';
import { fixtureTopology } from './plan/testing.ts';
import { fixtureObjects } from './testing.ts';

const parse = (content: string) => parseAllDocuments(content).map((d) => d.toJS() as K8sObject);

describe('manifestFiles', () => {
  it('writes one multi-document file per namespace, Namespace first, that parses back to the objects', () => {
    const scc: K8sObject = { apiVersion: 'security.openshift.io/v1', kind: 'SecurityContextConstraints', metadata: { name: 'hds-restricted' }, priority: 0 };
    const objects = [...fixtureObjects('accounts'), ...fixtureObjects('documents'), scc];
    const files = manifestFiles(objects, 'production', 'DC1');
    expect(files.map((f) => f.name)).toEqual(['00-cluster-scoped.yaml', '01-accounts.yaml', '02-documents.yaml']);
    expect(parse(files[0]!.content)).toEqual([scc]);
    expect(parse(files[1]!.content)).toEqual(fixtureObjects('accounts'));
    expect(parse(files[2]!.content)[0]!.kind).toBe('Namespace');
    expect(files[1]!.content).toMatch(
      /^# Namespace accounts of the workloads of production, OpenShift cluster DC1 \(stack production-dc1\)\.\n# .*\n---\napiVersion: v1\nkind: Namespace\n/,
    );
    // Deterministic: same objects, same bytes.
    expect(manifestFiles(objects, 'production', 'DC1')).toEqual(files);
    // Quantities and cron schedules that look like numbers or aliases stay strings.
    expect(files[1]!.content).toContain('pods: "40"');
    expect(files[1]!.content).toContain('schedule: 0 2 * * *');
  });

  it('pads the number to the count of namespaces', () => {
    const many = Array.from({ length: 120 }, (_, k) => fixtureObjects(`ns${k}`)[0]!);
    const names = manifestFiles(many, 'production', 'DC1').map((f) => f.name);
    expect(names[0]).toBe('001-ns0.yaml');
    expect(names[119]).toBe('120-ns119.yaml');
  });
});

describe('manifestFootprint', () => {
  it('counts a Deployment at its HPA bounds and a CronJob at its parallelism, with per-pod requests', () => {
    // documents-api: HPA 3..30, 250m / 512Mi per pod; documents-purge: one pod of the same size.
    const f = manifestFootprint(fixtureObjects());
    expect(f.atMin).toEqual({ pods: 4, cpuMillis: 4 * 250, memoryMiB: 4 * 512 });
    expect(f.atMax).toEqual({ pods: 31, cpuMillis: 31 * 250, memoryMiB: 31 * 512 });
    const noHpa = fixtureObjects().filter((o) => o.kind !== 'HorizontalPodAutoscaler' && o.kind !== 'CronJob');
    expect(manifestFootprint(noHpa).atMax.pods).toBe(3);
  });

  it('adds native sidecars to the containers and takes the largest init container as a floor', () => {
    const c = (cpu: string, memory: string, restartPolicy?: string) => ({
      resources: { requests: { cpu, memory } },
      ...(restartPolicy ? { restartPolicy } : {}),
    });
    expect(podRequests({ containers: [c('250m', '256Mi')], initContainers: [c('50m', '64Mi', 'Always')] })).toEqual({
      cpuMillis: 300,
      memoryBytes: 320 * 2 ** 20,
    });
    expect(podRequests({ containers: [c('250m', '256Mi')], initContainers: [c('1', '64Mi')] })).toEqual({ cpuMillis: 1000, memoryBytes: 256 * 2 ** 20 });
    expect(podRequests(undefined)).toEqual({ cpuMillis: 0, memoryBytes: 0 });
  });
});

describe('summarize', () => {
  const capacity = (cpuMillis: number, memoryMiB: number): ClusterCapacity => ({
    site: 'DC1',
    workers: { count: 2, vcpu: 4, ramGiB: 8 },
    allocatable: { cpuMillis, memoryMiB },
    atMin: { pods: 4, cpuMillis: 1000, memoryMiB: 2048 },
    atMax: { pods: 31, cpuMillis: 7750, memoryMiB: 15872 },
    fits: true,
  });

  it('weighs the requests of the manifests at the HPA maxima against the allocatable capacity', () => {
    const t = fixtureTopology();
    const ok = summarize(t, 'DC1', fixtureObjects(), capacity(7750, 15872));
    expect(ok).toMatchObject({ environment: 'production', site: 'DC1', stack: 'production-dc1', namespaces: ['documents'], workloads: 2, fits: true });
    expect(ok.resources).toBe(fixtureObjects().length);
    expect(summarize(t, 'DC1', fixtureObjects(), capacity(7749, 15872)).fits).toBe(false);
    expect(summarize(t, 'DC1', fixtureObjects(), capacity(7750, 15871)).fits).toBe(false);
  });
});
