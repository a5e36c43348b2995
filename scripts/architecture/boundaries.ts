/**
 * The architecture boundaries, as rules over the import graph (scripts/architecture/imports.ts).
 * Each rule has a stable id and a one-line reason; a violation prints as
 * `file:line: imports X — rule-id: reason`. Checked by boundaries.test.ts over the repository.
 */
import type { ImportEdge, ImportTarget } from './imports.ts';

export interface BoundaryRule {
  id: string;
  reason: string;
  /** Whether the rule applies to an importing file (repository-relative POSIX path). */
  appliesTo: (file: string) => boolean;
  /** Whether importing `target` from `file` breaks the rule. */
  forbids: (target: ImportTarget, file: string) => boolean;
}

export interface Violation {
  rule: string;
  reason: string;
  file: string;
  line: number;
  /** What was imported: the repository path for project files, the specifier otherwise. */
  imported: string;
}

const under =
  (...dirs: string[]) =>
  (file: string) =>
    dirs.some((d) => file.startsWith(`${d}/`));
const isTest = (file: string) => file.endsWith('.test.ts');
const project = (t: ImportTarget, ...dirs: string[]) => t.kind === 'project' && under(...dirs)(t.path);
const pkg = (t: ImportTarget, test: (name: string) => boolean) => t.kind === 'package' && test(t.name);

export const BOUNDARY_RULES: readonly BoundaryRule[] = [
  {
    id: 'cdktf-confined',
    reason: 'ADR 0001: cdktf/constructs live only in stacks/ and modules/proxmox/bindings/, so moving to cdktn touches two folders',
    appliesTo: (f) => !under('stacks', 'modules/proxmox/bindings')(f),
    forbids: (t) => pkg(t, (n) => n === 'cdktf' || n === 'constructs' || n === 'cdktf-cli'),
  },
  {
    id: 'pulumi-confined',
    reason: 'Pulumi (workloads) stays in stacks/workloads/ and modules/workloads/, apart from the Proxmox stacks',
    appliesTo: (f) => !under('stacks/workloads', 'modules/workloads')(f),
    forbids: (t) => pkg(t, (n) => n.startsWith('@pulumi/')),
  },
  {
    id: 'pure-no-node',
    reason: 'the model, the renderers and the policy rules are pure (data in, data out); I/O belongs to loader/runtime/lab/CLI',
    appliesTo: (f) => under('modules/model', 'modules/services', 'policies/rules')(f) && !isTest(f),
    forbids: (t) => t.kind === 'builtin',
  },
  {
    id: 'engine-no-rules',
    reason: 'the policy engine runs whatever rules it is given; rule sets are registered in policies/index.ts',
    appliesTo: (f) => f === 'policies/engine.ts',
    forbids: (t) => project(t, 'policies/rules'),
  },
  {
    id: 'model-standalone',
    reason: 'modules/model is the base layer: it imports nothing else of the project',
    appliesTo: under('modules/model'),
    forbids: (t) => t.kind === 'project' && !project(t, 'modules/model'),
  },
  {
    id: 'services-layer',
    reason: 'modules/services (renderers and their topology adapter) builds on modules/model only; its tests may also use modules/testkit',
    appliesTo: under('modules/services'),
    forbids: (t, file) => t.kind === 'project' && !project(t, 'modules/model', 'modules/services') && !(isTest(file) && project(t, 'modules/testkit')),
  },
  {
    id: 'runtime-layer',
    reason: 'modules/runtime (PKCS#11, process builders, fsutil, PKI) is shared by the lab and the services; it depends on neither',
    appliesTo: under('modules/runtime'),
    forbids: (t) => project(t, 'modules/lab', 'modules/refservice', 'modules/proxmox', 'stacks', 'scripts', 'policies'),
  },
  {
    id: 'refservice-no-lab',
    reason: 'the reference service runs outside the lab; the lab starts it, not the other way round',
    appliesTo: under('modules/refservice'),
    forbids: (t) => project(t, 'modules/lab'),
  },
  {
    id: 'modules-no-apps',
    reason: 'modules/ are libraries: the CLI (scripts/) and the cdktf app (stacks/) use them, never the reverse',
    appliesTo: under('modules'),
    forbids: (t) => project(t, 'scripts', 'stacks'),
  },
];

function describe(t: ImportTarget, specifier: string | undefined): string {
  if (t.kind === 'project') return t.path;
  return specifier ?? '(computed)';
}

/** Every import that breaks a rule, in file, line, rule order. */
export function checkBoundaries(edges: readonly ImportEdge[], rules: readonly BoundaryRule[] = BOUNDARY_RULES): Violation[] {
  const out: Violation[] = [];
  for (const e of edges) {
    for (const r of rules) {
      if (r.appliesTo(e.from) && r.forbids(e.target, e.from)) {
        out.push({ rule: r.id, reason: r.reason, file: e.from, line: e.line, imported: describe(e.target, e.specifier) });
      }
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line}: imports ${v.imported} — ${v.rule}: ${v.reason}`;
}
