/**
 * Operator kinds (Strimzi, OpenShift Route, Prometheus operator) against the openAPIV3Schema of
 * the CRD version served, from the CRD files copied into modules/workloads/crds/ (SOURCES.md).
 *
 * A CRD schema is a *structural* OpenAPI v3 schema with Kubernetes extensions; `toJsonSchema`
 * turns it into the JSON Schema ajv compiles:
 * - unknown fields: the API server prunes the fields a structural schema does not declare,
 *   silently, unless `x-kubernetes-preserve-unknown-fields: true`. Here they are an error
 *   (`additionalProperties: false` on every object node without that extension): stricter than
 *   a cluster, and what catches a misspelt field before it is lost;
 * - `x-kubernetes-int-or-string: true` → integer or string; `format: int-or-string` accepted;
 * - OpenAPI 3.0 boolean `exclusiveMinimum`/`exclusiveMaximum` → JSON Schema numbers;
 * - Go regular expressions: a leading `(?i)` becomes the `i` flag;
 * - defaults are applied (to a copy) before validation, as the API server does;
 * - `metadata` is validated apart, as an ObjectMeta (core.ts), as the API server does;
 * - not evaluated: `x-kubernetes-validations` (CEL rules), list-type/map-type uniqueness
 *   (`x-kubernetes-list-type: map|set`). They are dropped, and counted in `CrdSchema.unchecked`.
 *
 * Cost: the five CRDs are read and compiled once per process, on the first custom resource
 * validated (0.4 to 1 s on the build machine, the ServiceMonitor schema dominating), then
 * reused: production's ≈ 790 objects then validate in ≈ 0.1 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describeErrors, type FieldError } from './messages.ts';

export const CRD_DIR = join(import.meta.dirname, '..', 'crds');

/** The CRD files the workloads use (modules/workloads/crds/SOURCES.md says where each comes from). */
export const CRD_FILES = [
  'strimzi-043-Crd-kafkatopic.yaml',
  'strimzi-044-Crd-kafkauser.yaml',
  'openshift-route.crd.yaml',
  'prometheus-operator-servicemonitors.crd.yaml',
  'prometheus-operator-prometheusrules.crd.yaml',
] as const;

type Schema = Record<string, unknown>;

export interface CrdSchema {
  /** `group/version` */
  apiVersion: string;
  kind: string;
  file: string;
  schema: Schema;
  /** Kubernetes extensions dropped because they are not evaluated here (CEL rules, list types). */
  unchecked: string[];
}

const DROPPED = new Set(['description', 'example', 'externalDocs', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type']);
const UNCHECKED = new Set(['x-kubernetes-validations', 'x-kubernetes-list-type']);
const VALUE_VALIDATIONS = new Set(['allOf', 'anyOf', 'oneOf', 'not']);

/**
 * A structural schema node as JSON Schema. `structural` is false inside value validations
 * (allOf/anyOf/oneOf/not): they constrain values and never declare fields, so they get no
 * `additionalProperties`.
 */
function convert(node: Schema, at: string, unchecked: string[], structural: boolean): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (v === null || DROPPED.has(k)) continue;
    if (UNCHECKED.has(k)) {
      unchecked.push(`${at} ${k}`);
      continue;
    }
    if (k === 'properties') {
      out.properties = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([p, s]) => [p, convert(s, `${at}/${p}`, unchecked, structural)]));
    } else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) {
      out[k] = convert(v as Schema, `${at}/${k === 'items' ? '*' : '{}'}`, unchecked, structural);
    } else if (VALUE_VALIDATIONS.has(k)) {
      out[k] = Array.isArray(v) ? v.map((s: Schema) => convert(s, at, unchecked, false)) : convert(v as Schema, at, unchecked, false);
    } else if ((k === 'exclusiveMinimum' || k === 'exclusiveMaximum') && typeof v === 'boolean') {
      // OpenAPI 3.0: a flag on minimum/maximum (converted below); JSON Schema: the bound itself.
    } else if (k === 'x-kubernetes-int-or-string' || k === 'x-kubernetes-preserve-unknown-fields') {
      // handled below (x-kubernetes-embedded-resource is not: no CRD used here has one, and it throws below)
    } else if (k.startsWith('x-kubernetes-')) {
      throw new Error(`${at}: Kubernetes extension ${k} is not handled by the CRD validator; handle it in modules/workloads/validate/crd.ts`);
    } else out[k] = v;
  }
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (node[flag] === true && typeof node[bound] === 'number') {
      out[flag] = node[bound];
      delete out[bound];
    }
  }
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    if (!out.anyOf && !out.oneOf) out.type = ['integer', 'string'];
  }
  const objectNode = out.type === 'object' || out.properties !== undefined;
  if (structural && objectNode && out.additionalProperties === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true)
    out.additionalProperties = false;
  return out;
}

/** The JSON Schema of one served version of a CRD document, its `metadata` left to ObjectMeta. */
export function toJsonSchema(crd: unknown, file: string): CrdSchema[] {
  const spec = (crd as { spec?: { group?: string; names?: { kind?: string }; versions?: Array<Record<string, unknown>> } } | null)?.spec;
  if (!spec?.group || !spec.names?.kind || !Array.isArray(spec.versions))
    throw new Error(`${file}: not a CustomResourceDefinition (spec.group, spec.names.kind, spec.versions)`);
  return spec.versions
    .filter((v) => v.served === true)
    .map((v) => {
      const root = (v.schema as { openAPIV3Schema?: Schema } | undefined)?.openAPIV3Schema;
      if (!root) throw new Error(`${file}: version ${String(v.name)} has no schema.openAPIV3Schema`);
      const unchecked: string[] = [];
      const schema = convert(root, '', unchecked, true);
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      props.metadata = { type: 'object' };
      schema.properties = props;
      schema.required = [...new Set([...((schema.required as string[] | undefined) ?? []), 'apiVersion', 'kind', 'metadata'])];
      return { apiVersion: `${spec.group}/${String(v.name)}`, kind: spec.names!.kind!, file, schema, unchecked };
    });
}

/** Go's RE2 syntax where it differs from JavaScript's, for the patterns the CRDs use: `(?i)` at the start (after an optional `^`). */
function goRegExp(pattern: string, flags: string): RegExp {
  const m = /^(\^?)\(\?i\)/.exec(pattern);
  return m ? new RegExp(m[1] + pattern.slice(m[0].length), `${flags}i`) : new RegExp(pattern, flags);
}
goRegExp.code = 'goRegExp';

const INT32 = { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 } as const;
const INT64 = { type: 'number', validate: (n: number) => Number.isInteger(n) } as const;
const FORMATS = {
  int32: INT32,
  int64: INT64,
  float: { type: 'number', validate: () => true },
  double: { type: 'number', validate: () => true },
  'int-or-string': true,
  byte: /^[A-Za-z0-9+/]*={0,2}$/,
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
} as const;

export interface CompiledCrd extends CrdSchema {
  validate: ValidateFunction;
}

let compiled: Map<string, CompiledCrd> | undefined;

/** Every served version of every CRD file, compiled once (lazy). Keyed by `apiVersion/kind`. */
export function crdValidators(dir: string = CRD_DIR, files: readonly string[] = CRD_FILES): Map<string, CompiledCrd> {
  if (compiled && dir === CRD_DIR && files === CRD_FILES) return compiled;
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    formats: FORMATS,
    code: { regExp: goRegExp },
  });
  const out = new Map<string, CompiledCrd>();
  for (const file of files) {
    for (const s of toJsonSchema(parseYaml(readFileSync(join(dir, file), 'utf8')), file)) {
      out.set(`${s.apiVersion}/${s.kind}`, { ...s, validate: ajv.compile(s.schema) });
    }
  }
  if (dir === CRD_DIR && files === CRD_FILES) compiled = out;
  return out;
}

/** Structural defaulting, as the API server does before validation: missing properties that declare a `default`, at every level present. */
export function applyDefaults(schema: Schema, data: unknown): void {
  if (data === null || typeof data !== 'object') return;
  if (Array.isArray(data)) {
    if (schema.items && typeof schema.items === 'object') for (const v of data) applyDefaults(schema.items as Schema, v);
    return;
  }
  const obj = data as Record<string, unknown>;
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const [k, s] of Object.entries(props)) {
    if (obj[k] === undefined && s.default !== undefined) obj[k] = structuredClone(s.default);
    applyDefaults(s, obj[k]);
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
    for (const [k, v] of Object.entries(obj)) if (!(k in props)) applyDefaults(schema.additionalProperties as Schema, v);
}

/**
 * A custom resource against its compiled schema (metadata excepted). The API server applies the
 * schema's defaults before it validates (some rules rely on them: a Route's `wildcardPolicy`
 * defaults to `None`), so a copy of the object is defaulted and validated; the object is untouched.
 */
export function validateCustom(crd: CompiledCrd, obj: unknown): FieldError[] {
  const defaulted = structuredClone(obj);
  applyDefaults(crd.schema, defaulted);
  if (crd.validate(defaulted)) return [];
  return describeErrors((crd.validate.errors ?? []) as ErrorObject[], defaulted);
}
