/** The JSON Schemas of environments/schema, compiled once with defaults applied (ajv). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'environments', 'schema');

let compiled: { environment: ValidateFunction; platform: ValidateFunction; catalog: ValidateFunction } | undefined;

export function schemas(): { environment: ValidateFunction; platform: ValidateFunction; catalog: ValidateFunction } {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTuples: false, verbose: true });
    const load = (name: string) => JSON.parse(readFileSync(join(SCHEMA_DIR, name), 'utf8'));
    compiled = {
      environment: ajv.compile(load('environment.schema.json')),
      platform: ajv.compile(load('platform.schema.json')),
      catalog: ajv.compile(load('catalog.schema.json')),
    };
  }
  return compiled;
}

export interface SchemaProblem {
  path: Array<string | number>;
  message: string;
  hint: string;
}

/** ajv errors as (path, message, hint), the path pointing at the offending node. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  for (const e of errors ?? []) {
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const where = path.length ? path.join('.') : 'document';
    switch (e.keyword) {
      case 'required':
        out.push({
          path,
          message: `missing required property "${e.params.missingProperty}" in ${where}`,
          hint: `add ${e.params.missingProperty}: (see environments/schema)`,
        });
        break;
      case 'additionalProperty':
      case 'additionalProperties': {
        const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        out.push({
          path: [...path, e.params.additionalProperty],
          message: `unknown property "${e.params.additionalProperty}"`,
          hint: known.length ? `known properties here: ${known.join(', ')}` : 'remove it',
        });
        break;
      }
      case 'dependencies':
      case 'dependentRequired': {
        // One property requires another (catalog: quorum needs peerPort and storage; peerPort and
        // storage need quorum): read as a missing property of the object, never its whole value.
        const { property, missingProperty } = e.params as { property: string; missingProperty: string };
        const name = (e.data as { name?: unknown } | null)?.name;
        out.push({
          path,
          message: `missing property "${missingProperty}" in ${where}${typeof name === 'string' ? ` (${name})` : ''}, required with "${property}"`,
          hint: `add ${missingProperty}: (see environments/schema), or remove ${property}`,
        });
        break;
      }
      case 'enum':
        out.push({ path, message: `value ${JSON.stringify(e.data)} is not allowed`, hint: `use one of: ${(e.params.allowedValues as unknown[]).join(', ')}` });
        break;
      case 'const':
        out.push({ path, message: `value ${JSON.stringify(e.data)} is not allowed`, hint: `use ${JSON.stringify(e.params.allowedValue)}` });
        break;
      case 'type':
        out.push({ path, message: `value ${JSON.stringify(e.data)} should be ${e.params.type}`, hint: `write a ${e.params.type}` });
        break;
      case 'pattern':
        out.push({ path, message: `value ${JSON.stringify(e.data)} does not match ${e.params.pattern}`, hint: 'see the examples in environments/schema' });
        break;
      default:
        out.push({ path, message: `value ${JSON.stringify(e.data)} ${e.message ?? 'is invalid'}`, hint: 'see environments/schema' });
    }
  }
  return out;
}
