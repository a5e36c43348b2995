import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOUNDARY_RULES, checkBoundaries, formatViolation } from './boundaries.ts';
import { buildImportGraph, extractImports, resolveImport } from './imports.ts';

const ROOT = join(import.meta.dirname, '..', '..');
/** The folders tsconfig.json compiles, plus the TypeScript files at the root. */
const SOURCE_DIRS = ['modules', 'scripts', 'stacks', 'policies', 'runbooks', 'bin'];
const SKIP = new Set(['node_modules', '.state', 'cdktf.out', '.scratch']);

function repoFiles(): string[] {
  const files = readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name);
  for (const dir of SOURCE_DIRS) {
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      const path = relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join('/');
      if (entry.isFile() && !path.split('/').some((p) => SKIP.has(p))) files.push(path);
    }
  }
  return files;
}

function repoSources(): { sources: Map<string, string>; files: string[] } {
  const files = repoFiles();
  const sources = new Map(files.filter((f) => /\.(ts|js)$/.test(f)).map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
  return { sources, files };
}

/** The violations of a set of in-memory files. */
function check(files: Record<string, string>) {
  return checkBoundaries(buildImportGraph(new Map(Object.entries(files))));
}

describe('import extraction', () => {
  it('finds every import form, type-only and dynamic included, and nothing in comments, strings or regexes', () => {
    const src = [
      "import type { A } from './a.ts';",
      "import B, * as C from 'c';",
      "import 'side-effect';",
      'import {',
      '  d,',
      '  type E,',
      "} from './d.ts';",
      "export * from './e.ts';",
      "export type { F } from './f.ts';",
      "import g = require('g');",
      "const h = await import('./h.ts');",
      "type I = typeof import('./i.ts');",
      "// import 'commented';",
      'const s = "import x from \'in-a-string\'";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the fixture is source text with a template literal
      "const t = `${import('./in-template.ts')} import 'template-text'`;",
      "const r = /from 'in-a-regex'/.test(s) ? 1 : a / b / c;",
      'const m = import.meta.url;',
      'const j = await import(name);',
      "export { k } from './k.ts';",
    ].join('\n');
    expect(extractImports(src).map((r) => [r.line, r.kind, r.specifier])).toEqual([
      [1, 'import-type', './a.ts'],
      [2, 'import', 'c'],
      [3, 'import', 'side-effect'],
      [4, 'import', './d.ts'],
      [8, 'export-from', './e.ts'],
      [9, 'export-from', './f.ts'],
      [10, 'require', 'g'],
      [11, 'dynamic', './h.ts'],
      [12, 'dynamic', './i.ts'],
      [15, 'dynamic', './in-template.ts'],
      [18, 'dynamic', undefined],
      [19, 'export-from', './k.ts'],
    ]);
  });

  it('resolves relative specifiers to repository paths and classifies the others', () => {
    const files = new Set(['modules/model/cidr.ts', 'modules/services/index.ts']);
    expect(resolveImport('modules/services/x/y.ts', '../../model/cidr.ts', files)).toEqual({ kind: 'project', path: 'modules/model/cidr.ts' });
    expect(resolveImport('modules/services/x/y.ts', '../../model/cidr.js', files)).toEqual({ kind: 'project', path: 'modules/model/cidr.ts' });
    expect(resolveImport('modules/x.ts', './services', files)).toEqual({ kind: 'project', path: 'modules/services/index.ts' });
    expect(resolveImport('a.ts', 'node:fs/promises')).toEqual({ kind: 'builtin', name: 'fs/promises' });
    expect(resolveImport('a.ts', 'crypto')).toEqual({ kind: 'builtin', name: 'crypto' });
    expect(resolveImport('a.ts', 'fs/promises')).toEqual({ kind: 'builtin', name: 'fs/promises' });
    expect(resolveImport('a.ts', 'ajv/dist/2020.js')).toEqual({ kind: 'package', name: 'ajv' });
    expect(resolveImport('a.ts', '@pulumi/pulumi/automation')).toEqual({ kind: 'package', name: '@pulumi/pulumi' });
  });
});

describe('boundary rules', () => {
  it('have unique ids and a reason each', () => {
    expect(new Set(BOUNDARY_RULES.map((r) => r.id)).size).toBe(BOUNDARY_RULES.length);
    for (const r of BOUNDARY_RULES) expect(r.reason.length).toBeGreaterThan(10);
  });

  // Each case adds one forbidden import to an otherwise empty repository: the checker must
  // report it, with that rule id (other rules may fire too, e.g. model-standalone alongside).
  const cases: { rule: string; files: Record<string, string> }[] = [
    { rule: 'cdktf-confined', files: { 'modules/model/y.ts': "import { App } from 'cdktf';" } },
    { rule: 'cdktf-confined', files: { 'policies/rules/z.ts': "import type { Construct } from 'constructs';" } },
    { rule: 'cdktf-confined', files: { 'modules/proxmox/plan/p.ts': "const cli = await import('cdktf-cli');" } },
    { rule: 'pulumi-confined', files: { 'stacks/network.ts': "import * as pulumi from '@pulumi/pulumi';" } },
    { rule: 'pure-no-node', files: { 'modules/services/x.ts': "import { readFileSync } from 'node:fs';" } },
    { rule: 'pure-no-node', files: { 'modules/model/x.ts': "import { createHash } from 'crypto';" } },
    { rule: 'pure-no-node', files: { 'policies/rules/x.ts': "import type { Stats } from 'fs';" } },
    { rule: 'engine-no-rules', files: { 'policies/engine.ts': "import { A } from './rules/a.ts';", 'policies/rules/a.ts': 'export const A = 1;' } },
    { rule: 'model-standalone', files: { 'modules/model/x.ts': "import type { Rendered } from '../services/types.ts';" } },
    { rule: 'services-layer', files: { 'modules/services/fromTopology/x.ts': "import { s } from '../../proxmox/cloudinit/secrets.ts';" } },
    { rule: 'services-layer', files: { 'modules/services/fromTopology/x.test.ts': "import { lab } from '../../lab/lab.ts';" } },
    { rule: 'runtime-layer', files: { 'modules/runtime/x.ts': "import { l } from '../lab/lab.ts';" } },
    { rule: 'runtime-layer', files: { 'modules/runtime/hsm/x.test.ts': "import { p } from '../../../policies/engine.ts';" } },
    { rule: 'refservice-no-lab', files: { 'modules/refservice/x.ts': "export { l } from '../lab/lab.ts';" } },
    { rule: 'modules-no-apps', files: { 'modules/dataset/x.ts': "import { main } from '../../scripts/hdsctl/main.ts';" } },
    { rule: 'modules-no-apps', files: { 'modules/proxmox/plan/x.ts': "import type { Stack } from '../../../stacks/base.ts';" } },
  ];
  it.each(cases)('$rule reports a forbidden import in $files', ({ rule, files }) => {
    expect(check(files).map((v) => v.rule)).toContain(rule);
  });

  it('covers every rule with a failing fixture', () => {
    expect(new Set(cases.map((c) => c.rule))).toEqual(new Set(BOUNDARY_RULES.map((r) => r.id)));
  });

  it('allows what the rules allow', () => {
    const ok = {
      'stacks/base.ts': "import { App } from 'cdktf';\nimport { Construct } from 'constructs';",
      'modules/proxmox/bindings/vm.ts': "import { TerraformResource } from 'cdktf';",
      'stacks/workloads/w.ts': "import * as pulumi from '@pulumi/pulumi';",
      'modules/services/x.test.ts': "import { readFileSync } from 'node:fs';",
      'modules/services/y.ts': "import { inCidr } from '../model/cidr.ts';\nimport { r } from './etcd/render.ts';",
      'modules/runtime/z.ts': "import { mkdir } from 'node:fs/promises';\nimport type { T } from '../services/types.ts';",
      'policies/engine.ts': "import { RULES } from './index.ts';",
      'policies/index.ts': "import { A } from './rules/a.ts';",
      'modules/refservice/r.ts': "import { keystore } from '../runtime/hsm/keystore.ts';",
    };
    expect(check(ok)).toEqual([]);
  });

  it('prints file:line, what is imported, the rule id and its reason', () => {
    const [v] = check({ 'modules/services/x.ts': "\n\nimport { readFileSync } from 'node:fs';" });
    expect(v && formatViolation(v)).toBe(
      'modules/services/x.ts:3: imports node:fs — pure-no-node: the model, the renderers and the policy rules are pure (data in, data out); I/O belongs to loader/runtime/lab/CLI',
    );
  });
});

describe('the lint-level guard (biome.json noRestrictedImports)', () => {
  // Biome gives the package-level rules in the editor; this test stays the reference. Biome
  // replaces (does not merge) a rule's options in an override, hence the repeated lists.
  type Options = { paths?: Record<string, string>; patterns?: { group: string[] }[] };
  const biome = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')) as {
    linter: { rules: { style: Record<string, unknown> } };
    overrides: { includes: string[]; linter: { rules: { style: Record<string, unknown> } } }[];
  };
  const optionsOf = (style: Record<string, unknown>) => (style.noRestrictedImports as { options?: Options } | undefined)?.options ?? {};
  const cdktf = ['cdktf', 'constructs', 'cdktf-cli'];

  it('restricts cdktf and Pulumi everywhere, and Node built-ins in the pure layers', () => {
    expect(Object.keys(optionsOf(biome.linter.rules.style).paths ?? {})).toEqual(expect.arrayContaining(cdktf));
    expect(biome.linter.rules.style.useNodejsImportProtocol).toBe('error');
    const pure = biome.overrides.find((o) => o.includes.includes('modules/model/**'));
    expect(pure?.includes).toEqual(expect.arrayContaining(['modules/services/**', 'policies/rules/**', '!**/*.test.ts']));
    const options = optionsOf(pure?.linter.rules.style ?? {});
    expect(Object.keys(options.paths ?? {})).toEqual(expect.arrayContaining(cdktf));
    expect(options.patterns?.flatMap((p) => p.group)).toEqual(expect.arrayContaining(['node:*', '@pulumi/**']));
  });
});

describe('the repository', () => {
  const { sources, files } = repoSources();
  const edges = buildImportGraph(sources, files);

  it('is read whole (a sanity check on the walk and the extraction)', () => {
    expect(sources.has('policies/engine.ts')).toBe(true);
    expect(sources.has('modules/model/cidr.ts')).toBe(true);
    expect(edges.filter((e) => e.target.kind === 'package' && e.target.name === 'cdktf').length).toBeGreaterThan(0);
    // Every relative import resolves to a file that exists.
    const known = new Set(files);
    const dangling = edges.filter((e) => e.target.kind === 'project' && !known.has(e.target.path)).map((e) => `${e.from}:${e.line}: ${e.specifier}`);
    expect(dangling).toEqual([]);
  });

  it('keeps every architecture boundary', () => {
    expect(checkBoundaries(edges).map(formatViolation)).toEqual([]);
  });
});
