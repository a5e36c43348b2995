/**
 * ajv errors (from the compiled kubernetes-models validators and from the CRD schemas, both ajv)
 * turned into one readable line each: the JSON pointer of the offending field and what is wrong
 * with it. The alternatives' errors of a failed `oneOf`/`anyOf` are folded into one message.
 */
import type { ErrorObject } from 'ajv';

export interface FieldError {
  /** JSON pointer inside the resource. */
  path: string;
  message: string;
}

const decode = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');
export const encodeSegment = (segment: string | number) => String(segment).replace(/~/g, '~0').replace(/\//g, '~1');

/** The value at a JSON pointer, or undefined. */
export function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const s of pointer.split('/').slice(1).map(decode)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[s];
  }
  return node;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** What is wrong, without the path: `predicate` alone reads after the value ("must be of type integer"). */
interface Described {
  path: string;
  value?: string;
  predicate: string;
}

const text = (d: Described) => (d.value === undefined ? d.predicate : `${d.value} ${d.predicate}`);

function describe(e: ErrorObject, root: unknown): Described {
  const value = show(valueAt(root, e.instancePath));
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: `${e.instancePath}/${encodeSegment(String(p.missingProperty))}`, predicate: `required field "${String(p.missingProperty)}" is missing` };
    case 'additionalProperties':
      return { path: `${e.instancePath}/${encodeSegment(String(p.additionalProperty))}`, predicate: `unknown field "${String(p.additionalProperty)}"` };
    case 'type':
      return { path: e.instancePath, value, predicate: `must be of type ${Array.isArray(p.type) ? p.type.join(' or ') : String(p.type)}` };
    case 'enum':
      return { path: e.instancePath, value, predicate: `is not one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { path: e.instancePath, value, predicate: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'format':
      return { path: e.instancePath, value, predicate: `is not a valid ${String(p.format)}` };
    case 'pattern':
      return { path: e.instancePath, value, predicate: `does not match ${String(p.pattern)}` };
    case 'not':
      return { path: e.instancePath, predicate: `breaks a constraint of the schema (${e.schemaPath})` };
    default:
      return { path: e.instancePath, value, predicate: e.message ?? `fails ${e.keyword}` };
  }
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * Readable errors, in the validator's order. ajv evaluates a schema's `oneOf`/`anyOf` before its
 * other keywords and reports the alternatives' errors just before the `oneOf` error itself: the
 * trailing errors under that path are its alternatives, folded into "… or …".
 */
export function describeErrors(errors: readonly ErrorObject[], root: unknown): FieldError[] {
  const stack: Described[] = [];
  for (const e of errors) {
    if (e.keyword !== 'oneOf' && e.keyword !== 'anyOf') {
      stack.push(describe(e, root));
      continue;
    }
    const alternatives: Described[] = [];
    while (stack.length && under(stack[stack.length - 1]!.path, e.instancePath)) alternatives.unshift(stack.pop()!);
    const reasons = [...new Set(alternatives.map((a) => (a.path === e.instancePath ? a.predicate : `${a.path.slice(e.instancePath.length + 1)}: ${text(a)}`)))];
    stack.push({
      path: e.instancePath,
      value: show(valueAt(root, e.instancePath)),
      predicate: reasons.length
        ? `matches none of the allowed forms: ${reasons.join(', or ')}`
        : `breaks a constraint of the schema (${e.keyword} at ${e.schemaPath})`,
    });
  }
  // One line per field: what is wrong with one value is said once ("5.5 must be of type integer, and is not a valid int32").
  const byPath = new Map<string, Described[]>();
  for (const d of stack) byPath.set(d.path, [...(byPath.get(d.path) ?? []), d]);
  return [...byPath].map(([path, ds]) => {
    const withValue = ds.filter((d) => d.value !== undefined);
    const parts = [
      ...new Set([
        ...(withValue.length ? [`${withValue[0]!.value} ${[...new Set(withValue.map((d) => d.predicate))].join(', and ')}`] : []),
        ...ds.filter((d) => d.value === undefined).map((d) => d.predicate),
      ]),
    ];
    return { path, message: parts.join('; ') };
  });
}
