/**
 * Validation of synthesized Terraform JSON against the provider schema: resource types,
 * argument names, block nesting and counts, required arguments, value types and enums, and
 * the preferred type name. Pure: takes the parsed JSON, returns located problems
 * ("<stack>: <type>.<name> /path: message").
 */
import { type AttributeSchema, type BlockSchema, type ProviderSchema, resourceSchema } from './providerSchema.ts';

export interface SchemaProblem {
  stack: string;
  resource: string;
  path: string;
  message: string;
}

export function formatProblem(p: SchemaProblem): string {
  return `${p.stack}: ${p.resource} ${p.path || '/'}: ${p.message}`;
}

/** Keys Terraform itself reads on every resource (meta-arguments) or cdktf adds (comments). */
const META = new Set(['//', 'depends_on', 'provider', 'lifecycle', 'count', 'for_each', 'connection', 'provisioner']);

const isExpr = (v: unknown) => typeof v === 'string' && /\$\{/.test(v);

function typeError(type: string, value: unknown, path: string, report: (path: string, m: string) => void, nested?: AttributeSchema['nested']): void {
  if (value === null || isExpr(value)) return;
  const show = () => JSON.stringify(value)?.slice(0, 60);
  const inner = /^(list|set|map)\((.+)\)$/.exec(type);
  if (type === 'string') {
    if (typeof value !== 'string') report(path, `expected a string, got ${show()}`);
  } else if (type === 'number') {
    if (typeof value !== 'number') report(path, `expected a number, got ${show()}`);
  } else if (type === 'bool') {
    if (typeof value !== 'boolean') report(path, `expected a bool, got ${show()}`);
  } else if (type === 'object') {
    if (typeof value !== 'object' || Array.isArray(value)) report(path, `expected an object, got ${show()}`);
    else if (nested) checkAttributes(nested.attributes, value as Record<string, unknown>, path, report, true);
  } else if (inner) {
    const [, kind, elem] = inner;
    if (kind === 'map') {
      if (typeof value !== 'object' || Array.isArray(value)) {
        report(path, `expected a map(${elem}), got ${show()}`);
        return;
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) typeError(elem!, v, `${path}/${k}`, report, nested);
    } else {
      if (!Array.isArray(value)) {
        report(path, `expected a ${type}, got ${show()}`);
        return;
      }
      for (const [k, v] of value.entries()) typeError(elem!, v, `${path}/${k}`, report, nested);
    }
  } else report(path, `unknown schema type ${type}`);
}

function checkAttributes(
  attributes: Record<string, AttributeSchema>,
  value: Record<string, unknown>,
  path: string,
  report: (path: string, m: string) => void,
  nestedObject = false,
): void {
  for (const [name, a] of Object.entries(attributes)) {
    if (a.required && (value[name] === undefined || value[name] === null)) report(`${path}/${name}`, 'required argument missing');
  }
  for (const [name, v] of Object.entries(value)) {
    const a = attributes[name];
    if (!a) continue; // unknown keys are reported by the caller, which also knows the blocks
    const p = `${path}/${name}`;
    if (a.computed && !a.optional && !a.required && !nestedObject) report(p, 'read-only (computed) attribute cannot be set');
    if (a.deprecated && v !== null) report(p, 'deprecated argument');
    typeError(a.type, v, p, report, a.nested);
    if (a.enum && v !== null && !isExpr(v) && !a.enum.map(String).includes(String(v))) report(p, `${JSON.stringify(v)} is not one of ${a.enum.join(', ')}`);
    if (a.attr_as_block && Array.isArray(v) && a.nested) {
      const keys = Object.keys(a.nested.attributes);
      v.forEach((item, k) => {
        const missing = keys.filter((key) => !(key in (item as object)));
        if (missing.length) report(`${p}/${k}`, `attribute-as-block objects need every key in JSON (null when unset); missing ${missing.join(', ')}`);
      });
    }
  }
  if (nestedObject) {
    for (const name of Object.keys(value))
      if (!attributes[name]) report(`${path}/${name}`, `unknown nested attribute (known: ${Object.keys(attributes).join(', ')})`);
  }
}

function checkBody(
  body: Record<string, unknown>,
  attributes: Record<string, AttributeSchema>,
  blocks: Record<string, BlockSchema>,
  path: string,
  report: (path: string, m: string) => void,
): void {
  checkAttributes(attributes, body, path, report);
  for (const name of Object.keys(body)) {
    if (META.has(name) && path === '') continue;
    if (!attributes[name] && !blocks[name]) {
      const known = [...Object.keys(attributes), ...Object.keys(blocks)].sort();
      report(`${path}/${name}`, `unknown argument or block "${name}" (known: ${known.join(', ')})`);
    }
  }
  for (const [name, b] of Object.entries(blocks)) {
    const raw = body[name];
    const p = `${path}/${name}`;
    if (raw === undefined || raw === null) {
      if ((b.min ?? 0) > 0) report(p, `block required (at least ${b.min})`);
      continue;
    }
    if (b.nesting === 'single' && Array.isArray(raw)) {
      report(p, 'single nested block: write one object, not a list');
      continue;
    }
    const items = Array.isArray(raw) ? raw : [raw];
    if ((b.min ?? 0) > items.length) report(p, `at least ${b.min} block(s) required, got ${items.length}`);
    if ((b.max ?? 0) > 0 && items.length > b.max!) report(p, `at most ${b.max} block(s) allowed, got ${items.length}`);
    for (const [k, item] of items.entries()) {
      const ip = Array.isArray(raw) ? `${p}/${k}` : p;
      if (!item || typeof item !== 'object' || Array.isArray(item)) report(ip, 'a block must be an object');
      else checkBody(item as Record<string, unknown>, b.attributes, b.blocks, ip, report);
    }
  }
}

/** Problems of one synthesized stack (cdk.tf.json parsed). */
export function checkStack(stack: string, json: Record<string, unknown>, schema: ProviderSchema): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const providers = (json.provider as Record<string, unknown[]> | undefined)?.proxmox ?? [];
  for (const [k, p] of providers.entries()) {
    checkBody(p as Record<string, unknown>, schema.provider.attributes, schema.provider.blocks, '', (path, message) =>
      problems.push({ stack, resource: `provider.proxmox[${k}]`, path, message }),
    );
  }
  const resources = (json.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  for (const [type, byName] of Object.entries(resources)) {
    const found = resourceSchema(schema, type);
    for (const [name, body] of Object.entries(byName)) {
      const resource = `${type}.${name}`;
      const report = (path: string, message: string) => problems.push({ stack, resource, path, message });
      if (!found) {
        report('', `unknown resource type ${type} for provider bpg/proxmox`);
        continue;
      }
      if (found.schema.preferred_type !== type) report('', `use the preferred type name ${found.schema.preferred_type} (${type} is deprecated)`);
      checkBody(body, found.schema.attributes, found.schema.blocks, '', report);
    }
  }
  return problems;
}
