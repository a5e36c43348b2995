/**
 * Secret placeholders: the one convention by which a rendered configuration names a secret
 * without holding it. A file that needs one carries `@@secret:<path>#<field>@@`; production
 * guests resolve placeholders at first boot from OpenBao (hds-secrets, see
 * modules/proxmox/cloudinit/secrets.ts), the lab resolves them from its git-ignored state
 * dir when it writes the files (modules/lab/materialise.ts). Pure: no I/O.
 */

const PATH = /^[a-z0-9][a-z0-9/_.-]*$/;
const FIELD = /^[a-z0-9][a-z0-9_.-]*$/;

export const SECRET_PLACEHOLDER = /@@secret:([a-z0-9][a-z0-9/_.-]*)#([a-z0-9][a-z0-9_.-]*)@@/g;

/** The placeholder to give a renderer instead of a secret value, e.g. secretRef('production/pg-documents/replication', 'password'). */
export function secretRef(path: string, field: string): string {
  if (!PATH.test(path) || !FIELD.test(field)) throw new Error(`invalid secret reference ${path}#${field} (lowercase path and field)`);
  return `@@secret:${path}#${field}@@`;
}

/**
 * How a secret is encoded when the platform generates it (hds-secrets in production, the lab's
 * state dir): a field whose name ends in `.base64` holds random bytes in standard base64 with
 * padding, for programs that decode strictly (RGW's SSE keys: `+/`, never `-_`); every other
 * field is base64url without padding, safe in URLs, YAML, INI files and connection strings.
 */
export type SecretEncoding = 'base64' | 'base64url';

export function secretEncoding(field: string): SecretEncoding {
  return field.endsWith('.base64') ? 'base64' : 'base64url';
}

export function hasSecretRefs(text: string): boolean {
  return new RegExp(SECRET_PLACEHOLDER.source).test(text);
}

/** Every placeholder of a text, in order of appearance (duplicates kept). */
export function secretRefsIn(text: string): Array<{ placeholder: string; path: string; field: string }> {
  return [...text.matchAll(new RegExp(SECRET_PLACEHOLDER.source, 'g'))].map((m) => ({ placeholder: m[0], path: m[1]!, field: m[2]! }));
}

/** Replaces every placeholder with `resolve(path, field)`; the resolver decides what an unknown secret is. */
export function resolveSecretRefs(text: string, resolve: (path: string, field: string) => string): string {
  return text.replace(new RegExp(SECRET_PLACEHOLDER.source, 'g'), (_m, path: string, field: string) => resolve(path, field));
}
