/**
 * The base of the hand-written bpg/proxmox bindings (no prebuilt provider package exists):
 * a provider block and a resource class whose config is written with the provider's own
 * argument names (snake_case, as in schema.json and the provider docs), so what is typed
 * here is exactly what lands in the Terraform JSON. One of the two places that import cdktf
 * (docs/adr/0001-cdktf-and-opentofu.md).
 */
import { type ITerraformDependable, TerraformProvider, TerraformResource, type TerraformResourceLifecycle } from 'cdktf';
import type { Construct } from 'constructs';

/** Provider source and the version the bindings were written against (schema.json, v0.111.1). */
const PROVIDER_SOURCE = 'bpg/proxmox';
const PROVIDER_VERSION = '~> 0.111.1';

export interface ProxmoxProviderConfig {
  /** API URL of one Proxmox VE cluster, e.g. https://pve-dc1-prod.example:8006/. */
  endpoint: string;
  /** API token "USER@REALM!TOKENID=SECRET": pass a variable reference, never a literal. */
  api_token?: string;
  insecure?: boolean;
  min_tls?: string;
  /** Snippet uploads go over SSH (README of the provider schema, mistake 4). */
  ssh?: Array<{ agent?: boolean; username?: string; node?: Array<{ name: string; address: string; port?: number }> }>;
  /** Provider alias when one stack talks to several clusters. */
  alias?: string;
}

export class ProxmoxProvider extends TerraformProvider {
  private readonly config: ProxmoxProviderConfig;

  constructor(scope: Construct, id: string, config: ProxmoxProviderConfig) {
    super(scope, id, {
      terraformResourceType: 'proxmox',
      terraformProviderSource: PROVIDER_SOURCE,
      terraformGeneratorMetadata: { providerName: 'proxmox', providerVersionConstraint: PROVIDER_VERSION },
    });
    this.config = config;
  }

  override get alias(): string | undefined {
    return this.config.alias;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const { alias: _alias, ...rest } = this.config;
    return clean(rest) as Record<string, unknown>;
  }
}

export interface ResourceMeta {
  provider?: TerraformProvider;
  dependsOn?: ITerraformDependable[];
  lifecycle?: TerraformResourceLifecycle;
}

/**
 * A resource of the provider. `C` is the argument set of the resource as schema.json names
 * it; computed-only attributes are read with the typed getters of each subclass.
 */
export abstract class ProxmoxResource<C extends object> extends TerraformResource {
  protected readonly args: C;

  constructor(scope: Construct, id: string, type: string, args: C, meta: ResourceMeta = {}) {
    super(scope, id, { terraformResourceType: type, terraformGeneratorMetadata: { providerName: 'proxmox' }, ...meta });
    this.args = args;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return clean(this.args) as Record<string, unknown>;
  }

  /** The resource's `id` attribute (what most references need). */
  get idAttr(): string {
    return this.getStringAttribute('id');
  }
}

/** Drop undefined values (Terraform JSON has no "unset" other than leaving the key out), keep explicit nulls. */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = clean(v);
    return out;
  }
  return value;
}
