import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../../model/workloads.ts';
import { CORE_KINDS } from './core.ts';
import { applyDefaults, CRD_DIR, CRD_FILES, crdValidators, toJsonSchema } from './crd.ts';
import { formatManifestError, type ManifestError, resourceId, supportedKinds, validateObjects } from './index.ts';
import { workloadObjects } from '../plan/index.ts';
import { fixtureTopology } from '../plan/testing.ts';
import { sampleManifests } from './samples.ts';

const find = (objects: K8sObject[], kind: string, name?: string) => objects.find((o) => o.kind === kind && (!name || o.metadata.name === name))!;
/** Errors of one broken copy of the samples, as `resource path: message` lines. */
function broken(edit: (objects: K8sObject[]) => void): ManifestError[] {
  const objects = sampleManifests();
  edit(objects);
  return validateObjects(objects);
}
// biome-ignore lint/suspicious/noExplicitAny: tests poke into untyped manifest bodies
type Any = any;

describe('valid manifests', () => {
  it('one valid object of every kind the samples hold passes (core and custom resources)', () => {
    const objects = sampleManifests();
    const kinds = new Set(objects.map((o) => `${o.apiVersion}/${o.kind}`));
    for (const k of [
      'v1/Namespace',
      'v1/ResourceQuota',
      'v1/LimitRange',
      'networking.k8s.io/v1/NetworkPolicy',
      'v1/ServiceAccount',
      'v1/Service',
      'apps/v1/Deployment',
      'batch/v1/CronJob',
      'policy/v1/PodDisruptionBudget',
      'autoscaling/v2/HorizontalPodAutoscaler',
      'v1/ConfigMap',
      'kafka.strimzi.io/v1/KafkaTopic',
      'kafka.strimzi.io/v1/KafkaUser',
      'route.openshift.io/v1/Route',
      'monitoring.coreos.com/v1/ServiceMonitor',
      'monitoring.coreos.com/v1/PrometheusRule',
    ])
      expect(kinds).toContain(k);
    expect(validateObjects(objects).map(formatManifestError)).toEqual([]);
  });

  it('the other supported core kinds accept a minimal valid object', () => {
    const minimal: K8sObject[] = [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, type: 'Opaque' },
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'p', namespace: 'n' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'r', namespace: 'n' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'rb', namespace: 'n' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
        subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'n' }],
      },
    ];
    expect(validateObjects(minimal)).toEqual([]);
    expect(supportedKinds()).toEqual(expect.arrayContaining([...CORE_KINDS, 'kafka.strimzi.io/v1/KafkaTopic', 'route.openshift.io/v1/Route']));
  });

  it('validation does not change the objects (CRD defaults are applied to a copy)', () => {
    const objects = sampleManifests();
    const before = structuredClone(objects);
    validateObjects(objects);
    expect(objects).toEqual(before);
  });
});

describe('a wrong field fails with the resource and the JSON path', () => {
  it('core: a string where an integer is expected (Deployment spec.replicas: "two")', () => {
    const errors = broken((o) => {
      (find(o, 'Deployment').spec as Any).replicas = 'two';
    });
    expect(errors).toEqual([{ resource: 'Deployment documents/documents-api', path: '/spec/replicas', message: '"two" must be of type integer' }]);
    expect(formatManifestError(errors[0]!)).toBe('Deployment documents/documents-api /spec/replicas: "two" must be of type integer');
  });

  it('core: a container without a name', () => {
    const errors = broken((o) => {
      delete (find(o, 'Deployment').spec as Any).template.spec.containers[0].name;
    });
    expect(errors).toEqual([
      { resource: 'Deployment documents/documents-api', path: '/spec/template/spec/containers/0/name', message: 'required field "name" is missing' },
    ]);
  });

  it('core: an unknown field (misspelt) is an error, with the known fields of that object', () => {
    const errors = broken((o) => {
      const c = (find(o, 'Deployment').spec as Any).template.spec.containers[0];
      c.securityContext.readOnlyRootFileSystem = true;
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('/spec/template/spec/containers/0/securityContext/readOnlyRootFileSystem');
    expect(errors[0]!.message).toMatch(/^unknown field "readOnlyRootFileSystem" \(known here: .*readOnlyRootFilesystem/);
  });

  it('core: a bad quantity and a bad enum in a CronJob and an HPA', () => {
    const errors = broken((o) => {
      (find(o, 'CronJob').spec as Any).jobTemplate.spec.template.spec.containers[0].resources.limits.memory = '1 GB';
      (find(o, 'CronJob').spec as Any).concurrencyPolicy = 'Never';
      (find(o, 'HorizontalPodAutoscaler').spec as Any).maxReplicas = 5.5;
    });
    expect(errors.map((e) => `${e.resource} ${e.path}`)).toEqual([
      'HorizontalPodAutoscaler documents/documents-api /spec/maxReplicas',
      'CronJob documents/documents-purge /spec/concurrencyPolicy',
      'CronJob documents/documents-purge /spec/jobTemplate/spec/template/spec/containers/0/resources/limits/memory',
    ]);
    expect(errors[0]!.message).toBe('5.5 must be of type integer, and is not a valid int32');
    expect(errors[1]!.message).toBe('"Never" is not one of: "Allow", "Forbid", "Replace"');
    expect(errors[2]!.message).toBe('"1 GB" matches none of the allowed forms: must be of type number, or is not a valid quantity');
  });

  it("StatefulSet (a quorum): the plan's is valid; a wrong enum, a bad claim size and a misspelt claim field fail at their paths", () => {
    const objects = workloadObjects(fixtureTopology(), 'DC1');
    const sts = structuredClone(objects.find((o) => o.kind === 'StatefulSet')!) as Any;
    expect(validateObjects([sts])).toEqual([]);
    sts.spec.podManagementPolicy = 'InParallel';
    sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '5 GB';
    sts.spec.volumeClaimTemplates[0].spec.storageClass = 'ocs-external-storagecluster-ceph-rbd';
    const errors = validateObjects([sts]);
    expect(errors.map((e) => `${e.resource} ${e.path}`).sort()).toEqual([
      'StatefulSet platform/openbao /spec/podManagementPolicy',
      'StatefulSet platform/openbao /spec/volumeClaimTemplates/0/spec/resources/requests/storage',
      'StatefulSet platform/openbao /spec/volumeClaimTemplates/0/spec/storageClass',
    ]);
    expect(errors.find((e) => e.path.endsWith('storageClass'))!.message).toMatch(/^unknown field "storageClass" \(known here: .*storageClassName/);
  });

  it('Route: spec.tls.termination "reencrypted" (an enum of the CRD)', () => {
    const errors = broken((o) => {
      (find(o, 'Route').spec as Any).tls.termination = 'reencrypted';
    });
    expect(errors).toEqual([
      { resource: 'Route documents/documents-api', path: '/spec/tls/termination', message: '"reencrypted" is not one of: "edge", "reencrypt", "passthrough"' },
    ]);
  });

  it('KafkaTopic: an unknown field in spec (pruned silently by a cluster, refused here)', () => {
    const errors = broken((o) => {
      (find(o, 'KafkaTopic').spec as Any).retentionMs = 604800000;
    });
    expect(errors).toEqual([{ resource: 'KafkaTopic documents/documents.events', path: '/spec/retentionMs', message: 'unknown field "retentionMs"' }]);
  });

  it('KafkaTopic: spec.config keeps unknown keys (x-kubernetes-preserve-unknown-fields)', () => {
    expect(
      broken((o) => {
        (find(o, 'KafkaTopic').spec as Any).config['cleanup.policy'] = 'compact';
      }),
    ).toEqual([]);
  });

  it('KafkaUser and ServiceMonitor: a wrong enum, a wrong type, a missing required field', () => {
    const errors = broken((o) => {
      (find(o, 'KafkaUser').spec as Any).authorization.acls[0].operations = ['Publish'];
      (find(o, 'ServiceMonitor').spec as Any).endpoints[0].honorLabels = 'yes';
      delete (find(o, 'ServiceMonitor').spec as Any).selector;
    });
    expect(errors.map((e) => `${e.resource} ${e.path}: ${e.message}`)).toEqual([
      'ServiceMonitor documents/documents-api /spec/selector: required field "selector" is missing',
      'ServiceMonitor documents/documents-api /spec/endpoints/0/honorLabels: "yes" must be of type boolean',
      'KafkaUser documents/documents-api /spec/authorization/acls/0/operations/0: "Publish" is not one of: "Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction", "AlterConfigs", "DescribeConfigs", "IdempotentWrite", "All"',
    ]);
  });

  it('PrometheusRule: an int-or-string field and a Go (?i) pattern are handled', () => {
    expect(
      broken((o) => {
        (find(o, 'PrometheusRule').spec as Any).groups[0].partial_response_strategy = 'WARN';
      }),
    ).toEqual([]);
    const errors = broken((o) => {
      (find(o, 'PrometheusRule').spec as Any).groups[0].partial_response_strategy = 'ignore';
    });
    expect(errors.map((e) => e.path)).toEqual(['/spec/groups/0/partial_response_strategy']);
  });

  it('custom resources: metadata is an ObjectMeta (unknown field, wrong label type)', () => {
    const errors = broken((o) => {
      (find(o, 'Route').metadata as Any).label = { a: 'b' };
      (find(o, 'KafkaTopic').metadata.labels as Any).replicas = 3;
    });
    expect(errors.map((e) => `${e.resource} ${e.path}`)).toEqual([
      'Route documents/documents-api /metadata/label',
      'KafkaTopic documents/documents.events /metadata/labels/replicas',
    ]);
  });

  it('int-or-string: a Route targetPort takes a name or a number, not a boolean', () => {
    expect(broken((o) => ((find(o, 'Route').spec as Any).port.targetPort = 8080))).toEqual([]);
    const errors = broken((o) => ((find(o, 'Route').spec as Any).port.targetPort = true));
    expect(errors.map((e) => e.path)).toEqual(['/spec/port/targetPort']);
  });
});

describe('kinds without a schema', () => {
  it('an unknown kind is an error, never a silent pass', () => {
    const errors = validateObjects([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'n' } }]);
    expect(errors).toEqual([
      {
        resource: 'Widget n/w',
        path: '/kind',
        message: 'no schema for kind Widget (apiVersion example.com/v1): add its CRD to modules/workloads/crds/ or use a supported kind',
      },
    ]);
  });

  it('a known kind in another apiVersion names the supported one', () => {
    const errors = validateObjects([{ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'n' } }]);
    expect(errors[0]!.message).toBe('no schema for kind HorizontalPodAutoscaler in autoscaling/v1: use apiVersion autoscaling/v2');
  });

  it('an object without a name is reported, and named by kind', () => {
    const errors = validateObjects([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} as K8sObject['metadata'] }]);
    expect(errors).toEqual([{ resource: 'ConfigMap (unnamed)', path: '/metadata/name', message: 'required field "name" is missing' }]);
    expect(resourceId({ kind: 'Namespace', metadata: { name: 'documents' } })).toBe('Namespace documents');
  });
});

describe('CRD schemas', () => {
  it('the copied CRD files are the ones SOURCES.md lists, byte for byte (sha256)', () => {
    const table = readFileSync(join(CRD_DIR, 'SOURCES.md'), 'utf8');
    const rows = new Map([...table.matchAll(/^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$/gm)].map((m) => [m[1]!, m[2]!]));
    const files = readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml'));
    expect([...rows.keys()].sort()).toEqual([...files].sort());
    expect([...CRD_FILES].sort()).toEqual([...files].sort());
    for (const f of files)
      expect(
        createHash('sha256')
          .update(readFileSync(join(CRD_DIR, f)))
          .digest('hex'),
        f,
      ).toBe(rows.get(f));
  });

  it('every served version compiles once and is reused; what is not evaluated is listed', () => {
    const first = crdValidators();
    expect(crdValidators()).toBe(first);
    expect([...first.keys()].sort()).toEqual([
      'kafka.strimzi.io/v1/KafkaTopic',
      'kafka.strimzi.io/v1/KafkaUser',
      'monitoring.coreos.com/v1/PrometheusRule',
      'monitoring.coreos.com/v1/ServiceMonitor',
      'route.openshift.io/v1/Route',
    ]);
    expect(first.get('route.openshift.io/v1/Route')!.unchecked.some((u) => u.endsWith('x-kubernetes-validations'))).toBe(true);
  });

  it('conversion: unknown fields refused on structural nodes only, int-or-string, exclusive bounds, preserved objects', () => {
    const crd = {
      spec: {
        group: 'example.com',
        names: { kind: 'Widget' },
        versions: [
          { name: 'v1alpha1', served: false, schema: { openAPIV3Schema: { type: 'object' } } },
          {
            name: 'v1',
            served: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    description: 'dropped',
                    anyOf: [{ properties: { a: { maxLength: 0 } } }],
                    properties: {
                      port: { 'x-kubernetes-int-or-string': true },
                      ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
                      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                      size: { type: 'string', default: 'small' },
                    },
                  },
                },
              },
            },
          },
        ],
      },
    };
    const [v1, ...others] = toJsonSchema(crd, 'widget.yaml');
    expect(others).toEqual([]);
    expect(v1!.apiVersion).toBe('example.com/v1');
    const spec = (v1!.schema.properties as Any).spec;
    expect(spec.additionalProperties).toBe(false);
    expect(spec.description).toBeUndefined();
    expect(spec.anyOf[0].additionalProperties).toBeUndefined();
    expect(spec.properties.port).toEqual({ type: ['integer', 'string'] });
    expect(spec.properties.ratio).toEqual({ type: 'number', exclusiveMinimum: 0 });
    expect(spec.properties.free.additionalProperties).toBeUndefined();
    const data: Any = { spec: {} };
    applyDefaults(v1!.schema, data);
    expect(data.spec.size).toBe('small');
    expect(() =>
      toJsonSchema({ spec: { ...crd.spec, versions: [{ name: 'v1', served: true, schema: { openAPIV3Schema: { 'x-kubernetes-new-thing': 1 } } }] } }, 'w.yaml'),
    ).toThrow(/x-kubernetes-new-thing is not handled/);
  });
});
