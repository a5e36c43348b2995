/**
 * The capture under Pulumi mocks registers exactly the plan's objects, through the program's own
 * mapping (typed classes keep only their schema's fields), one stack after another in one process.
 */
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../model/workloads.ts';
import { CaptureError, captureObjects, captureStack } from './capture.ts';
import { LayoutError } from './layout.ts';
import { openshiftSites, workloadObjects } from './plan/index.ts';
import { fixtureTopology } from './plan/testing.ts';
import { fixtureObjects } from './testing.ts';

describe('captureStack', { timeout: 120_000 }, () => {
  it('captures, for each OpenShift cluster of the plan fixture, exactly the planned objects as the typed classes send them', async () => {
    const t = fixtureTopology();
    const sites = openshiftSites(t);
    expect(sites).toEqual(['DC1', 'DC2']);
    for (const site of sites) {
      const planned = workloadObjects(t, site);
      const c = await captureStack(t, site);
      expect(c.stack).toBe(`production-${site.toLowerCase()}`);
      expect(planned.length).toBeGreaterThan(20);
      // Same set of objects, each equal field for field to its plan (order: grouped by namespace, Namespace first).
      const key = (o: K8sObject) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      expect(c.objects.map(key).sort()).toEqual(planned.map(key).sort());
      const byKey = new Map(planned.map((o) => [key(o), o]));
      for (const o of c.objects) expect(o).toEqual(byKey.get(key(o)));
      const firstOfNamespace = new Map<string, string>();
      for (const o of c.objects)
        if (o.metadata.namespace || o.kind === 'Namespace')
          firstOfNamespace.set(o.metadata.namespace ?? o.metadata.name, firstOfNamespace.get(o.metadata.namespace ?? o.metadata.name) ?? o.kind);
      expect(new Set(firstOfNamespace.values())).toEqual(new Set(['Namespace']));
    }
  });
});

describe('captureObjects', { timeout: 60_000 }, () => {
  it('captures every planned object with the inputs Pulumi sends, equal to the plan, Namespace first', async () => {
    const planned = fixtureObjects();
    const c = await captureObjects(planned, 'DC1', 'production-dc1');
    expect(c.project).toBe('hds-workloads');
    expect(c.stack).toBe('production-dc1');
    expect(c.objects).toHaveLength(planned.length);
    // Same objects in the same order: empty selectors (default deny), numbers and lists survive serialisation.
    expect(c.objects).toEqual(planned);
    expect(c.objects.map((o) => Object.keys(o).slice(0, 3))).toEqual(planned.map(() => ['apiVersion', 'kind', 'metadata']));
    const deny = c.objects.find((o) => o.metadata.name === 'default-deny')!;
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    // Outputs are names and counts only.
    expect(c.outputs).toEqual({
      namespaces: ['documents'],
      counts: expect.objectContaining({ Deployment: 1, NetworkPolicy: 2, KafkaTopic: 1 }),
      resources: planned.length,
    });
    // Stack, one namespace component, the provider and one resource per object.
    expect(c.registered).toBe(planned.length + 3);
  });

  it('shows what the typed classes send, not the plan passed through: a field outside the schema is dropped', async () => {
    const cm: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns' }, data: { a: '1' }, spec: { replicas: 2 } };
    const route: K8sObject = {
      apiVersion: 'route.openshift.io/v1',
      kind: 'Route',
      metadata: { name: 'r', namespace: 'ns' },
      spec: { to: { kind: 'Service', name: 'x' } },
      extra: 1,
    };
    const c = await captureObjects([cm, route], 'DC1', 'lab-dc1');
    expect(c.objects[0]).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns' }, data: { a: '1' } });
    // A CustomResource sends every field: the CRD schema check (validate/) is what catches a wrong one.
    expect(c.objects[1]).toEqual(route);
  });

  it('runs several stacks in one process, one after the other, each seeing only its own resources', async () => {
    const [a, b] = await Promise.all([
      captureObjects(fixtureObjects('documents'), 'DC1', 'production-dc1'),
      captureObjects(fixtureObjects('accounts').slice(0, 4), 'DC2', 'production-dc2'),
    ]);
    expect(a!.stack).toBe('production-dc1');
    expect(b!.stack).toBe('production-dc2');
    expect(new Set(a!.objects.map((o) => o.metadata.namespace ?? o.metadata.name))).toEqual(new Set(['documents']));
    expect(b!.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/accounts',
      'ResourceQuota/quota',
      'LimitRange/limits',
      'NetworkPolicy/default-deny',
    ]);
    expect(b!.registered).toBe(4 + 3);
    const again = await captureObjects(fixtureObjects('documents'), 'DC1', 'production-dc1');
    expect(again.objects).toEqual(a!.objects);
  });

  // Pulumi marks the whole enclosing input secret (here /data), and the capture names it.
  it('refuses a value Pulumi would treat as a secret', async () => {
    const leaky: K8sObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'leaky', namespace: 'ns' },
      data: { password: { '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270', value: 'hunter2' } },
    };
    const err = await captureObjects([leaky], 'DC1', 'lab-dc1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as Error).message).toBe('ConfigMap ns/leaky /data: a secret value is an input of the workloads program; reference its OpenBao path instead');
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('refuses an object the program cannot create before the Pulumi runtime starts', () => {
    const secret: K8sObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'ns' } };
    expect(() => captureObjects([secret], 'DC1', 'lab-dc1')).toThrow(LayoutError);
    expect(() => captureObjects([secret], 'DC1', 'lab-dc1')).toThrow('Secret ns/db: a Secret in the workloads program');
  });
});
