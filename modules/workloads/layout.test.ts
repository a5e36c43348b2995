import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../model/workloads.ts';
import { countByKind, LayoutError, layoutEntries, layoutResources, parseStackName, resourceType, stackName } from './layout.ts';
import { fixtureObjects } from './testing.ts';

describe('stack names', () => {
  it('are <env>-<site lower> and parse back, environment names with dashes included', () => {
    expect(stackName('production', 'DC1')).toBe('production-dc1');
    expect(parseStackName(stackName('preprod-n1', 'DC2'))).toEqual({ environment: 'preprod-n1', cluster: 'dc2' });
    expect(parseStackName('production')).toBeUndefined();
    expect(parseStackName('production-')).toBeUndefined();
    expect(parseStackName('-dc1')).toBeUndefined();
  });
});

describe('layoutResources', () => {
  it('groups by namespace in plan order, the Namespace first, and names resources namespace/name', () => {
    const a = fixtureObjects('accounts');
    const d = fixtureObjects('documents');
    // Objects of a namespace may come before its Namespace in the plan; the layout still creates it first.
    const mixed = [a[3]!, ...d, ...a.filter((_, k) => k !== 3)];
    const l = layoutResources(mixed);
    expect(l.namespaces.map((g) => g.namespace)).toEqual(['accounts', 'documents']);
    expect(l.clusterScoped).toEqual([]);
    const entries = layoutEntries(l);
    expect(entries).toHaveLength(mixed.length);
    expect(entries[0]!.object.kind).toBe('Namespace');
    expect(entries[0]!.name).toBe('accounts');
    expect(entries.find((e) => e.object.kind === 'Deployment')!.name).toBe('accounts/documents-api');
    expect(l.namespaces[0]!.resources.filter((e) => e.typed === undefined).map((e) => e.type)).toEqual([
      'kubernetes:route.openshift.io/v1:Route',
      'kubernetes:monitoring.coreos.com/v1:ServiceMonitor',
      'kubernetes:monitoring.coreos.com/v1:PrometheusRule',
      'kubernetes:kafka.strimzi.io/v1beta2:KafkaTopic',
    ]);
  });

  it("creates a quorum's StatefulSet with the typed apps/v1 class, like a Deployment", () => {
    const sts: K8sObject = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'openbao', namespace: 'platform' } };
    const [e] = layoutEntries(layoutResources([sts]));
    expect([e!.typed, e!.type, e!.name]).toEqual(['apps/v1 StatefulSet', 'kubernetes:apps/v1:StatefulSet', 'platform/openbao']);
  });

  it('types resources as @pulumi/kubernetes registers them', () => {
    expect(resourceType({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } })).toBe('kubernetes:core/v1:Namespace');
    expect(resourceType({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'x' } })).toBe(
      'kubernetes:networking.k8s.io/v1:NetworkPolicy',
    );
  });

  it('keeps cluster-scoped objects apart', () => {
    const scc: K8sObject = { apiVersion: 'security.openshift.io/v1', kind: 'SecurityContextConstraints', metadata: { name: 'hds-restricted' } };
    const l = layoutResources([scc, ...fixtureObjects()]);
    expect(l.clusterScoped.map((e) => e.name)).toEqual(['hds-restricted']);
  });

  it('refuses Secrets, core kinds without a typed class, duplicates and nameless objects, naming the object', () => {
    const cases: Array<[K8sObject[], string]> = [
      [
        [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'ns' } }],
        'Secret ns/db: a Secret in the workloads program; secrets never enter the program',
      ],
      [[{ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 's', namespace: 'ns' } }], 'DaemonSet ns/s: apps/v1 DaemonSet has no typed class'],
      [[{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } }], 'Pod ns/p: v1 Pod has no typed class'],
      [[fixtureObjects()[1]!, fixtureObjects()[1]!], 'ResourceQuota documents/quota: appears twice in the plan'],
      [[{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '' } }], 'metadata.name is missing'],
      [[{ apiVersion: 'apps/v1/beta', kind: 'Deployment', metadata: { name: 'd' } }], 'apiVersion "apps/v1/beta" is not of the form [group/]version'],
    ];
    for (const [objects, message] of cases) {
      expect(() => layoutResources(objects)).toThrow(LayoutError);
      expect(() => layoutResources(objects)).toThrow(message);
    }
  });

  it('counts by kind', () => {
    expect(countByKind(fixtureObjects())).toMatchObject({ Deployment: 1, NetworkPolicy: 2, Namespace: 1 });
    expect(Object.keys(countByKind(fixtureObjects()))).toEqual([...Object.keys(countByKind(fixtureObjects()))].sort());
  });
});
