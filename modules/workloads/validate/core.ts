/**
 * Core Kubernetes kinds against the schemas the `kubernetes-models` package (4.5.1) ships: one
 * ajv validator per kind, precompiled from the Kubernetes OpenAPI definitions, reached through
 * the model class (`Kind.prototype.validate` runs it on `this`, and throws an error whose
 * `errors` are ajv's, with `instancePath`).
 *
 * Those validators check types, formats (quantities, int-or-string), enums and required fields,
 * but not unknown fields (the OpenAPI definitions have no `additionalProperties: false`), whereas
 * the API server rejects them (server-side field validation `Strict`, kubectl's default). So the
 * object is validated through a proxy that records every field the validator reads: a validator
 * reads each property its schema declares (`data.replicas === undefined`, …) and every key of a
 * map (`labels`, `data`); a field of the object that it never read is unknown to the schema.
 */
import { createRequire } from 'node:module';
import type { ErrorObject } from 'ajv';
import { describeErrors, encodeSegment, type FieldError } from './messages.ts';

interface ModelClass {
  apiVersion: string;
  kind: string;
  prototype: { validate(): void };
}

/**
 * `apiVersion/kind` of the core kinds the workloads plan may emit; the kubernetes-models module of
 * each is `kubernetes-models/<apiVersion>/<kind>` (`v1/Namespace`, `apps/v1/Deployment`). Secret is
 * here so that a Secret is judged by the policy (K8S-009: no secret data in manifests), not
 * refused as an unknown kind.
 */
export const CORE_KINDS: readonly string[] = [
  'v1/Namespace',
  'v1/ResourceQuota',
  'v1/LimitRange',
  'v1/ServiceAccount',
  'v1/Service',
  'v1/ConfigMap',
  'v1/Secret',
  'v1/PersistentVolumeClaim',
  'networking.k8s.io/v1/NetworkPolicy',
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'batch/v1/Job',
  'batch/v1/CronJob',
  'policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding',
];

const require = createRequire(import.meta.url);
const loaded = new Map<string, ModelClass>();

/**
 * The model class of a core kind, loaded on first use (each pulls in its precompiled validators:
 * loading all of them eagerly would cost every command that imports the policies ~0.3 s).
 */
export function coreClass(apiVersion: string, kind: string): ModelClass | undefined {
  const key = `${apiVersion}/${kind}`;
  if (!CORE_KINDS.includes(key)) return undefined;
  let cls = loaded.get(key);
  if (!cls) {
    cls = (require(`kubernetes-models/${key}`) as Record<string, ModelClass>)[kind];
    if (!cls || cls.apiVersion !== apiVersion || cls.kind !== kind) throw new Error(`kubernetes-models/${key} does not export ${kind} ${apiVersion}`);
    loaded.set(key, cls);
  }
  return cls;
}

/** Keys read by the validator, per JSON pointer of the object that holds them. */
type ReadLog = Map<string, Set<string>>;

function tracked(value: unknown, pointer: string, log: ReadLog): unknown {
  if (value === null || typeof value !== 'object') return value;
  const read = log.get(pointer) ?? new Set<string>();
  log.set(pointer, read);
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return v;
      // Every declared property is read (`data.x === undefined`), present or not: the known fields.
      read.add(key);
      return Object.hasOwn(target, key) ? tracked(v, `${pointer}/${encodeSegment(key)}`, log) : v;
    },
  });
}

function unread(value: unknown, pointer: string, log: ReadLog, out: FieldError[]): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, k) => {
      unread(v, `${pointer}/${k}`, log, out);
    });
    return;
  }
  const read = log.get(pointer);
  // Not visited at all: the validator stopped above (a type error there is already reported).
  if (!read) return;
  for (const [key, v] of Object.entries(value)) {
    const at = `${pointer}/${encodeSegment(key)}`;
    if (!read.has(key)) {
      const known = [...read].sort();
      const list = known.length > 15 ? `${known.slice(0, 15).join(', ')}, …` : known.join(', ');
      out.push({ path: at, message: `unknown field "${key}"${known.length ? ` (known here: ${list})` : ''}` });
    } else unread(v, at, log, out);
  }
}

/** Run a model class's validator on `data`: schema errors, then unknown fields. */
export function validateWith(cls: ModelClass, data: unknown): FieldError[] {
  const log: ReadLog = new Map();
  let errors: ErrorObject[] = [];
  try {
    cls.prototype.validate.call(tracked(data, '', log));
  } catch (e) {
    const list = (e as { errors?: ErrorObject[] }).errors;
    if (!Array.isArray(list)) throw e;
    errors = list;
  }
  const out = describeErrors(errors, data);
  unread(data, '', log, out);
  return out;
}

/** A core object (its class found by apiVersion and kind). */
export function validateCore(cls: ModelClass, obj: unknown): FieldError[] {
  return validateWith(cls, obj);
}

/**
 * `metadata` of a custom resource: the API server validates it as an ObjectMeta. It is checked
 * as the metadata of an otherwise empty ConfigMap (same ObjectMeta schema), which keeps to the
 * one declared dependency (`kubernetes-models`, not its `@kubernetes-models/apimachinery`).
 */
export function validateObjectMeta(metadata: unknown): FieldError[] {
  return validateWith(coreClass('v1', 'ConfigMap')!, { apiVersion: 'v1', kind: 'ConfigMap', metadata });
}
