/**
 * Reading the synthesized Terraform JSON for rules: typed views of the resources rules look at,
 * each with its evidence location (`stacks/<stack>/cdk.tf.json` + JSON pointer). Pure: the
 * directory is read by the CLI (modules/proxmox/check/synthesized.ts) before rules run.
 */
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { jsonPointer } from '../../modules/model/diagnostics.ts';
import { resolve, resources, type Synthesized, type TfJson } from '../../modules/proxmox/check/synthesized.ts';
import type { Evidence } from '../types.ts';

export interface TfResource {
  stack: string;
  type: string;
  name: string;
  body: Record<string, unknown>;
}

export function stackFile(stack: string): string {
  return `stacks/${stack}/cdk.tf.json`;
}

export function tfEvidence(r: Pick<TfResource, 'stack' | 'type' | 'name'>, path: Array<string | number> = [], value?: unknown): Evidence {
  return { file: stackFile(r.stack), pointer: jsonPointer(['resource', r.type, r.name, ...path]), ...(value !== undefined ? { value } : {}) };
}

/** Short and long provider type names are both accepted by the bpg provider. */
export function ofType(tf: Synthesized, ...types: string[]): TfResource[] {
  const wanted = new Set(
    types.flatMap((x) => [
      x,
      x.replace(/^proxmox_virtual_environment_/, 'proxmox_'),
      x.replace(/^proxmox_(?!virtual_environment_)/, 'proxmox_virtual_environment_'),
    ]),
  );
  return [...resources(tf)].filter((r) => wanted.has(r.type));
}

export function value(tf: Synthesized, r: TfResource, v: unknown): unknown {
  return resolve(tf, r.stack, v);
}

export interface FirewallRule {
  owner: TfResource;
  index: number;
  type: string;
  action: string;
  proto?: string;
  dport?: string;
  source?: string;
  dest?: string;
  comment?: string;
  securityGroup?: string;
}

/** Every rule of every security group and VM rule set. */
export function firewallRules(tf: Synthesized): FirewallRule[] {
  const out: FirewallRule[] = [];
  for (const r of ofType(tf, 'proxmox_virtual_environment_cluster_firewall_security_group', 'proxmox_virtual_environment_firewall_rules')) {
    const rules = (r.body.rule as Array<Record<string, unknown>> | undefined) ?? [];
    rules.forEach((x, index) => {
      out.push({
        owner: r,
        index,
        type: String(x.type ?? ''),
        action: String(x.action ?? ''),
        ...(x.proto !== undefined ? { proto: String(x.proto) } : {}),
        ...(x.dport !== undefined ? { dport: String(x.dport) } : {}),
        ...(x.source !== undefined ? { source: String(x.source) } : {}),
        ...(x.dest !== undefined ? { dest: String(x.dest) } : {}),
        ...(x.comment !== undefined ? { comment: String(x.comment) } : {}),
        ...(x.security_group !== undefined ? { securityGroup: String(x.security_group) } : {}),
      });
    });
  }
  return out;
}

/** Addresses of an IP set by name (`+name` in a rule), per stack. */
export function ipsetAddresses(tf: Synthesized, stack: string, ref: string): string[] | undefined {
  const name = ref.replace(/^\+/, '');
  const set = ofType(tf, 'proxmox_virtual_environment_firewall_ipset').find((r) => r.stack === stack && r.body.name === name && r.body.vm_id === undefined);
  if (!set) return undefined;
  return ((set.body.cidr as Array<{ name: string }> | undefined) ?? []).map((c) => c.name);
}

/** Split "443,22" and "6800:7300" into comparable tokens. */
export function ports(dport: string | undefined): string[] {
  return (dport ?? '')
    .split(',')
    .map((p) => p.trim().replace(':', '-'))
    .filter(Boolean);
}

export function stacksOf(tf: Synthesized, predicate: (name: string, json: TfJson) => boolean): string[] {
  return [...tf.stacks].filter(([n, j]) => predicate(n, j)).map(([n]) => n);
}

/** The part of a synthesized output that concerns one environment: its stacks and its clusters' stacks. */
export function restrictTo(tf: Synthesized, environment: string, clusters: string[]): Synthesized {
  const keep = (name: string) => name.startsWith(`${environment}-`) || clusters.some((c) => name === `cluster-${c}`);
  const stacks = new Map([...tf.stacks].filter(([name]) => keep(name)));
  const manifest = Object.fromEntries(Object.entries(tf.manifest).filter(([name]) => keep(name)));
  return { dir: tf.dir, manifest, stacks };
}

/** A file of a cloud-init snippet's write_files, decoded. */
export interface CloudInitFile {
  path: string;
  content: string;
  permissions: string;
}

/** The source text of a proxmox_virtual_environment_file snippet (source_raw[0].data), resolved. */
export function snippetText(tf: Synthesized, r: TfResource): string {
  const raw = (r.body.source_raw as Array<{ data?: unknown }> | undefined)?.[0]?.data;
  const v = value(tf, r, raw);
  return typeof v === 'string' ? v : '';
}

/** The write_files of a #cloud-config user-data text, decoded (base64 or plain). */
export function cloudInitFiles(text: string): CloudInitFile[] {
  if (!text) return [];
  let doc: { write_files?: Array<{ path?: string; content?: string; encoding?: string; permissions?: string }> } | null;
  try {
    doc = parseYaml(text) as typeof doc;
  } catch {
    return [];
  }
  return (doc?.write_files ?? []).map((f) => ({
    path: String(f.path ?? ''),
    content: /^(b64|base64)$/.test(f.encoding ?? '') ? Buffer.from(String(f.content ?? ''), 'base64').toString('utf8') : String(f.content ?? ''),
    permissions: String(f.permissions ?? ''),
  }));
}

/** Rewrites the write_files of a #cloud-config text (tests and rule fixtures): edit gets and returns decoded files. */
export function rewriteCloudInit(text: string, edit: (files: CloudInitFile[]) => CloudInitFile[]): string {
  const doc = parseYaml(text) as { write_files?: Array<Record<string, unknown>> };
  const files = edit(cloudInitFiles(text));
  doc.write_files = files.map((f) => ({
    path: f.path,
    encoding: 'b64',
    content: Buffer.from(f.content).toString('base64'),
    owner: 'root:root',
    permissions: f.permissions,
  }));
  return `#cloud-config\n${stringifyYaml(doc, { lineWidth: 0 })}`;
}
