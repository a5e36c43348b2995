/**
 * The bpg/proxmox provider schema the synthesized JSON is checked against: a copy of
 * shared/reference/proxmox-provider/schema.json (provider v0.111.1+16, see its README) kept in
 * the repository so a clean clone checks the same way; HDS_PROVIDER_SCHEMA points elsewhere.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AttributeSchema {
  type: string;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  enum?: Array<string | number>;
  sensitive?: boolean;
  deprecated?: boolean;
  attr_as_block?: boolean;
  nested?: { attributes: Record<string, AttributeSchema> };
}

export interface BlockSchema {
  nesting: 'single' | 'list' | 'set';
  min?: number;
  max?: number;
  attributes: Record<string, AttributeSchema>;
  blocks: Record<string, BlockSchema>;
}

export interface ResourceSchema {
  preferred_type: string;
  aliases: string[];
  attributes: Record<string, AttributeSchema>;
  blocks: Record<string, BlockSchema>;
}

export interface ProviderSchema {
  provider: { attributes: Record<string, AttributeSchema>; blocks: Record<string, BlockSchema> };
  resources: Record<string, ResourceSchema>;
  aliases: Record<string, string>;
}

const VENDORED_SCHEMA = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema', 'bpg-proxmox.schema.json');

let cached: ProviderSchema | undefined;

export function loadProviderSchema(path = process.env.HDS_PROVIDER_SCHEMA ?? VENDORED_SCHEMA): ProviderSchema {
  if (!cached || path !== VENDORED_SCHEMA) {
    const s = JSON.parse(readFileSync(path, 'utf8')) as ProviderSchema;
    if (path !== VENDORED_SCHEMA) return s;
    cached = s;
  }
  return cached;
}

/** The schema of a resource type, by its long name or its short alias. */
export function resourceSchema(schema: ProviderSchema, type: string): { schema: ResourceSchema; long: string } | undefined {
  const long = schema.resources[type] ? type : schema.aliases[type];
  const s = long ? schema.resources[long] : undefined;
  return s && long ? { schema: s, long } : undefined;
}
