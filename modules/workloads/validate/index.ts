/**
 * Validation of the workloads plan's objects against their real schemas: core kinds against
 * the Kubernetes schemas kubernetes-models ships (core.ts), operator kinds (Strimzi, OpenShift
 * Route, Prometheus operator) against their CRDs' openAPIV3Schema (crd.ts, modules/workloads/crds/).
 *
 * Stricter than a cluster on one point: a field the schema does not declare is an error for
 * every kind, core or custom (a CRD without `x-kubernetes-preserve-unknown-fields` would prune
 * it silently; the API server's strict field validation rejects it for core kinds). A kind with
 * no schema here is an error too ("no schema for kind X"), never a silent pass.
 *
 * Not checked here: CEL rules (`x-kubernetes-validations`), admission (SCC, quotas, webhooks),
 * references between objects (a Service selecting no pod): the policies (K8S-*) check the
 * properties that matter, a cluster checks the rest at `pulumi up`.
 */
import type { K8sObject } from '../../model/workloads.ts';
import { CORE_KINDS, coreClass, validateCore, validateObjectMeta } from './core.ts';
import { crdValidators, validateCustom } from './crd.ts';

export interface ManifestError {
  /** `Kind namespace/name` of the resource. */
  resource: string;
  /** JSON pointer of the offending field inside the resource (e.g. /spec/template/spec/containers/0/securityContext). */
  path: string;
  message: string;
}

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped resource. */
export function resourceId(obj: Partial<K8sObject> | null | undefined): string {
  const meta = (obj?.metadata ?? {}) as Partial<K8sObject['metadata']>;
  const name = typeof meta.name === 'string' && meta.name ? meta.name : '(unnamed)';
  return `${typeof obj?.kind === 'string' ? obj.kind : '(no kind)'} ${meta.namespace ? `${meta.namespace}/` : ''}${name}`;
}

/** One line: `Deployment documents/documents-api /spec/replicas: "two" must be of type integer`. */
export function formatManifestError(e: ManifestError): string {
  return `${e.resource} ${e.path || '/'}: ${e.message}`;
}

/** Every kind with a schema, as `apiVersion/kind` (core first, then custom resources). */
export function supportedKinds(): string[] {
  return [...CORE_KINDS, ...crdValidators().keys()];
}

function validateOne(obj: K8sObject): Array<Omit<ManifestError, 'resource'>> {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    return [{ path: '', message: 'a manifest must be an object with apiVersion, kind and metadata' }];
  const key = `${String(obj.apiVersion)}/${String(obj.kind)}`;
  const core = coreClass(String(obj.apiVersion), String(obj.kind));
  if (core) return validateCore(core, obj);
  const crds = crdValidators();
  const crd = crds.get(key);
  if (crd) {
    const out = validateCustom(crd, obj);
    if (obj.metadata && typeof obj.metadata === 'object') out.push(...validateObjectMeta(obj.metadata));
    return out;
  }
  const versions = [...CORE_KINDS, ...crds.keys()].filter((k) => k.endsWith(`/${String(obj.kind)}`)).map((k) => k.slice(0, k.lastIndexOf('/')));
  return [
    versions.length
      ? { path: '/apiVersion', message: `no schema for kind ${String(obj.kind)} in ${String(obj.apiVersion)}: use apiVersion ${versions.join(' or ')}` }
      : {
          path: '/kind',
          message: `no schema for kind ${String(obj.kind)} (apiVersion ${String(obj.apiVersion)}): add its CRD to modules/workloads/crds/ or use a supported kind`,
        },
  ];
}

/**
 * Every object against its schema; all errors, in object order (empty when all are valid).
 * The first call loads the schemas (CRDs compiled once); later calls reuse them.
 */
export function validateObjects(objects: K8sObject[]): ManifestError[] {
  const out: ManifestError[] = [];
  for (const obj of objects) {
    const resource = resourceId(obj);
    const errors = validateOne(obj);
    const name = (obj as Partial<K8sObject> | null)?.metadata?.name;
    if (obj && typeof obj === 'object' && (typeof name !== 'string' || !name) && !errors.some((e) => e.path === '/metadata/name' || e.path === '/metadata'))
      errors.unshift({ path: '/metadata/name', message: 'required field "name" is missing' });
    for (const e of errors) out.push({ resource, ...e });
  }
  return out;
}
