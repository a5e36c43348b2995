/**
 * Loading the environments directory: YAML with positions, schema validation with
 * defaults, then the model's semantic checks. Every problem becomes a located diagnostic
 * (`file:line:col /json/pointer: message (hint)`); nothing is thrown for bad input.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../model/diagnostics.ts';
import { jsonPointer } from '../model/diagnostics.ts';
import type { Topology } from '../model/topology.ts';
import type { EnvironmentDoc, PlatformDoc } from '../model/types.ts';
import { checkAcrossEnvironments, checkPlatform, evaluateEnvironment, type EnvironmentResult } from '../model/validate.ts';
import type { CatalogDoc } from '../model/workloads.ts';
import { checkCatalog } from '../model/workloadsResolve.ts';
import { displayPath } from './paths.ts';
import { isFsError } from './safeOutput.ts';
import { describeSchemaErrors, schemas } from './schemas.ts';
import { parseYaml, type YamlSource } from './yamlSource.ts';

export interface LocatedDiagnostic {
  file: string;
  line: number;
  col: number;
  pointer: string;
  code: string;
  message: string;
  hint: string;
  requirements?: string[];
}

export interface Loaded<T> {
  doc: T;
  source: YamlSource;
}

export interface Workspace {
  dir: string;
  platforms: Map<string, Loaded<PlatformDoc>>;
  environments: Map<string, Loaded<EnvironmentDoc>>;
  /** Application catalogs (environments/catalogs/*.yaml, kind ApplicationCatalog), by name. */
  catalogs: Map<string, Loaded<CatalogDoc>>;
  /** Catalog files that could not be loaded (YAML or schema errors, reported in `diagnostics`). */
  unloadedCatalogs?: string[];
  diagnostics: LocatedDiagnostic[];
}

type DocKind = 'Environment' | 'Platform' | 'ApplicationCatalog';

const KIND_LABEL: Record<DocKind, string> = { Environment: 'environment', Platform: 'platform', ApplicationCatalog: 'application catalog' };

export function defaultEnvironmentsDir(): string {
  return process.env.HDS_ENVIRONMENTS_DIR ?? join(process.cwd(), 'environments');
}

function yamlFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

function located(source: YamlSource, path: Array<string | number>, code: string, message: string, hint: string, requirements?: string[]): LocatedDiagnostic {
  const { line, col } = source.locate(path);
  return { file: displayPath(source.file), line, col, pointer: jsonPointer(path), code, message, hint, ...(requirements ? { requirements } : {}) };
}

function readDoc<T>(file: string, kind: DocKind, out: LocatedDiagnostic[]): Loaded<T> | undefined {
  const label = KIND_LABEL[kind];
  let text: string;
  try {
    const st = statSync(file);
    if (st.isDirectory()) {
      out.push({
        file: displayPath(file),
        line: 1,
        col: 1,
        pointer: '/',
        code: 'E_READ',
        message: `is a directory, expected a YAML ${label} file`,
        hint: 'rename or remove that directory: every *.yaml here is read as a file',
      });
      return undefined;
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (!isFsError(e)) throw e;
    const why = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'ENOENT' ? 'it disappeared or is a broken symbolic link' : e.code;
    out.push({
      file: displayPath(file),
      line: 1,
      col: 1,
      pointer: '/',
      code: 'E_READ',
      message: `cannot be read (${why}), expected a YAML ${label} file`,
      hint: 'fix its permissions or the link, or remove it',
    });
    return undefined;
  }
  const source = parseYaml(file, text);
  for (const e of source.syntaxErrors) {
    out.push({ file: displayPath(file), ...e.position, pointer: jsonPointer(e.path), code: 'E_YAML', message: e.message, hint: e.hint });
  }
  if (source.syntaxErrors.length) return undefined;
  const data = source.data as { kind?: unknown } | null;
  if (!data || typeof data !== 'object') {
    out.push(located(source, [], 'E_SCHEMA', 'the document is empty or not a mapping', `start from an existing ${label} file`));
    return undefined;
  }
  const validate = kind === 'Environment' ? schemas().environment : kind === 'Platform' ? schemas().platform : schemas().catalog;
  if (!validate(data)) {
    for (const p of describeSchemaErrors(validate.errors)) out.push(located(source, p.path, 'E_SCHEMA', p.message, p.hint));
    return undefined;
  }
  return { doc: data as T, source };
}

/** Load and schema-check every environment, platform and application catalog of `dir`. */
export function loadWorkspace(dir: string): Workspace {
  const diagnostics: LocatedDiagnostic[] = [];
  const platforms = new Map<string, Loaded<PlatformDoc>>();
  const environments = new Map<string, Loaded<EnvironmentDoc>>();
  const catalogs = new Map<string, Loaded<CatalogDoc>>();
  const unloadedCatalogs: string[] = [];
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    diagnostics.push({
      file: displayPath(dir),
      line: 1,
      col: 1,
      pointer: '/',
      code: 'E_NO_DIR',
      message: 'environments directory not found',
      hint: 'run from the repository root or pass --dir',
    });
    return { dir, platforms, environments, catalogs, diagnostics };
  }
  for (const file of yamlFiles(join(dir, 'platforms'))) {
    const loaded = readDoc<PlatformDoc>(file, 'Platform', diagnostics);
    if (!loaded) continue;
    if (platforms.has(loaded.doc.name)) {
      diagnostics.push(located(loaded.source, ['name'], 'E_DUPLICATE', `platform name ${loaded.doc.name} is used by two files`, 'rename one of them'));
      continue;
    }
    platforms.set(loaded.doc.name, loaded);
  }
  for (const file of yamlFiles(join(dir, 'catalogs'))) {
    const loaded = readDoc<CatalogDoc>(file, 'ApplicationCatalog', diagnostics);
    if (!loaded) {
      unloadedCatalogs.push(displayPath(file));
      continue;
    }
    const twin = catalogs.get(loaded.doc.name);
    if (twin) {
      diagnostics.push(
        located(
          loaded.source,
          ['name'],
          'E_DUPLICATE',
          `application catalog name ${loaded.doc.name} is also used by ${displayPath(twin.source.file)}`,
          'rename one of them',
        ),
      );
      continue;
    }
    catalogs.set(loaded.doc.name, loaded);
  }
  for (const file of yamlFiles(dir)) {
    const loaded = readDoc<EnvironmentDoc>(file, 'Environment', diagnostics);
    if (!loaded) continue;
    if (environments.has(loaded.doc.name)) {
      diagnostics.push(
        located(
          loaded.source,
          ['name'],
          'E_DUPLICATE',
          `environment name ${loaded.doc.name} is also used by ${displayPath(environments.get(loaded.doc.name)!.source.file)}`,
          'rename one of them',
        ),
      );
      continue;
    }
    environments.set(loaded.doc.name, loaded);
  }
  return { dir, platforms, environments, catalogs, diagnostics, ...(unloadedCatalogs.length ? { unloadedCatalogs } : {}) };
}

export interface Evaluation {
  workspace: Workspace;
  topologies: Map<string, Topology>;
  diagnostics: LocatedDiagnostic[];
}

/**
 * Run every semantic check. Cross-environment checks always see all environments of a
 * platform (a new environment must not clash with existing ones), but with `only` set,
 * only diagnostics about that environment and the platforms are kept.
 */
export function evaluate(workspace: Workspace, only?: string): Evaluation {
  const diagnostics = [...workspace.diagnostics];
  const topologies = new Map<string, Topology>();
  const place = (d: Diagnostic): LocatedDiagnostic | undefined => {
    const docs: Map<string, { source: YamlSource }> =
      d.doc.kind === 'Platform' ? workspace.platforms : d.doc.kind === 'ApplicationCatalog' ? workspace.catalogs : workspace.environments;
    const loaded = docs.get(d.doc.name);
    return loaded ? located(loaded.source, d.path, d.code, d.message, d.hint, d.requirements) : undefined;
  };
  // Platforms and catalogs are shared: their problems are kept whichever environment is checked.
  const keep = (d: Diagnostic) => !only || d.doc.kind !== 'Environment' || d.doc.name === only;
  const push = (list: Diagnostic[]) => {
    for (const d of list.filter(keep)) {
      const l = place(d);
      if (l && !diagnostics.some((x) => x.file === l.file && x.pointer === l.pointer && x.message === l.message)) diagnostics.push(l);
    }
  };
  for (const { doc } of workspace.platforms.values()) push(checkPlatform(doc));
  for (const { doc } of workspace.catalogs.values()) push(checkCatalog(doc));
  const catalogs = [...workspace.catalogs.values()].map((c) => c.doc);
  const byPlatform = new Map<string, EnvironmentResult[]>();
  for (const { doc, source } of workspace.environments.values()) {
    const platform = workspace.platforms.get(doc.platform);
    if (!platform) {
      if (keep({ doc: { kind: 'Environment', name: doc.name } } as Diagnostic)) {
        diagnostics.push(
          located(
            source,
            ['platform'],
            'E_PLATFORM_UNKNOWN',
            `platform "${doc.platform}" does not exist`,
            `use one of: ${[...workspace.platforms.keys()].join(', ') || '(none: add environments/platforms/<name>.yaml)'}`,
          ),
        );
      }
      continue;
    }
    const result = evaluateEnvironment(platform.doc, doc, catalogs);
    push(result.diagnostics.map((d) => unloadedCatalogCause(d, workspace.unloadedCatalogs)));
    if (result.expansion.topology) topologies.set(doc.name, result.expansion.topology);
    const list = byPlatform.get(doc.platform) ?? [];
    list.push(result);
    byPlatform.set(doc.platform, list);
  }
  for (const [name, results] of byPlatform) push(checkAcrossEnvironments(workspace.platforms.get(name)!.doc, results));
  diagnostics.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  return { workspace, topologies, diagnostics };
}

/**
 * An unknown catalog while a catalog file failed to load: the cause is that file's errors (reported
 * with their own location), not a missing catalog — say so instead of "does not exist".
 */
function unloadedCatalogCause(d: Diagnostic, unloaded: string[] | undefined): Diagnostic {
  if (d.code !== 'E_WORKLOADS_CATALOG' || !unloaded?.length) return d;
  return {
    ...d,
    message: d.message.replace(/ does not exist$/, ` is not loaded: ${unloaded.join(', ')} could not be read as a catalog`),
    hint: `fix the errors reported for ${unloaded.length === 1 ? 'that file' : 'those files'}`,
  };
}

export function formatDiagnostic(d: LocatedDiagnostic): string {
  const req = d.requirements?.length ? ` [${d.requirements.join(', ')}]` : '';
  return `${d.file}:${d.line}:${d.col} ${d.pointer}: ${d.message} (${d.hint})${req}`;
}
