/**
 * `hdsctl policy --env NAME | --all | --tf PATH [--format ...] [--out DIR] [--lang fr|en] [--fail-on SEVERITY]`
 * and `hdsctl policy coverage`: the rules of policies/ judged on the expanded topology, the
 * synthesized Terraform JSON, the rendered service configurations and the workload manifests of
 * every OpenShift cluster, with waivers; reports in JSON (source of truth, with the SHA-256 of every
 * input, one per cluster's manifests), SARIF 2.1.0, JUnit, Markdown and HTML.
 * Exit 0 when nothing at or above the threshold fails, 2 when something does, 1 on error.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { readJsonFile } from '../../../modules/loader/jsonSource.ts';
import { type Evaluation, formatDiagnostic } from '../../../modules/loader/load.ts';
import { displayPath } from '../../../modules/loader/paths.ts';
import { describeFsError, isFsError } from '../../../modules/loader/safeOutput.ts';
import { parseYaml } from '../../../modules/loader/yamlSource.ts';
import type { K8sObject } from '../../../modules/model/workloads.ts';
import { readSynthesized, type Synthesized } from '../../../modules/proxmox/check/synthesized.ts';
import { buildReport, type InputHash } from '../../../modules/reports/report.ts';
import { checkReportsOutput, FORMATS, type Format, render, writeReports } from '../../../modules/reports/write.ts';
import { stackOptionsFromEnv } from '../../../stacks/options.ts';
import { synthesizeTo } from '../../../stacks/synthesize.ts';
import { type CatalogEntry, catalogEntries, coverage } from '../../../policies/coverage.ts';
import { failing, runPolicies } from '../../../policies/engine.ts';
import { RULES } from '../../../policies/index.ts';
import { environmentInput, terraformInput } from '../../../policies/input.ts';
import { type Evidence, type Lang, type PolicyInput, SEVERITIES, type TargetResult } from '../../../policies/types.ts';
import { parseWaivers } from '../../../policies/waivers.ts';
import { calendarDate, checkOptions, environmentsDir, existingDir, existingFile, type Field, listOf, oneOf, outputPath } from '../args.ts';
import { bold, CliError, EXIT_FINDINGS, EXIT_OK, green, log, out, printJson, red, yellow } from '../output.ts';
import { evaluateEnvironments } from '../workspace.ts';

interface Options {
  env?: string;
  all?: boolean;
  tf?: string;
  format?: string;
  out?: string;
  lang: string;
  failOn: string;
  dir?: string;
  waivers?: string;
  catalog?: string;
  today?: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const display = displayPath;

/** The waivers file when --waivers is not given, relative to the current directory. */
const DEFAULT_WAIVERS = join('policies', 'waivers.yaml');

export function defaultCatalogPath(): string {
  return resolve(process.cwd(), '..', 'shared', 'requirements', 'catalog.yaml');
}

const LANG = oneOf(['fr', 'en'] as const, 'language');

/** `--catalog FILE`, else $HDS_REQUIREMENTS_CATALOG: an existing file (the default is handled by the caller). */
const CATALOG: Field<string> = {
  check: existingFile('a requirements catalog (YAML)', '../shared/requirements/catalog.yaml'),
  fallback: () =>
    process.env.HDS_REQUIREMENTS_CATALOG !== undefined ? { raw: process.env.HDS_REQUIREMENTS_CATALOG, label: 'HDS_REQUIREMENTS_CATALOG' } : undefined,
};

/** Reads a text input named by the user; a system error is one line naming the flag and the path. */
function readInput(path: string, flag: string, expected: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (isFsError(e)) throw new CliError(describeFsError(e, { path, flag, expected }));
    throw e;
  }
}

export function loadCatalog(path: string, flag = '--catalog'): CatalogEntry[] {
  const src = parseYaml(path, readInput(path, flag, 'a requirements catalog (YAML)'));
  const at = (pointer: string, message: string, hint: string) => {
    const { line, col } = src.locate(pointerPath(pointer));
    return `${display(path)}:${line}:${col} ${pointer}: ${message} (${hint})`;
  };
  if (src.syntaxErrors.length)
    throw new CliError(
      src.syntaxErrors.map((e) => `${display(path)}:${e.position.line}:${e.position.col} ${pointerOf(e.path)}: ${e.message} (${e.hint})`).join('\n'),
    );
  const { entries, problems } = catalogEntries(src.data);
  if (problems.length)
    throw new CliError(`${flag}: ${display(path)} is not a requirements catalog:\n${problems.map((p) => at(p.pointer, p.message, p.hint)).join('\n')}`);
  return entries;
}

const pointerOf = (path: Array<string | number>) => (path.length ? path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('') : '/');

/** A cdktf output given with --tf: manifest.json and every stack file parse, each error located. */
function checkSynthesizedDir(dir: string, raw: string): void {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath))
    throw new CliError(`--tf: "${raw}" is not a synthesized cdktf output (no manifest.json); give the directory hdsctl synth wrote (e.g. --tf cdktf.out)`);
  const hint = 'synthesize it again with hdsctl synth';
  const manifest = readJsonFile(manifestPath, hint) as { stacks?: Record<string, { synthesizedStackPath?: unknown }> } | null;
  const stacks = manifest && typeof manifest === 'object' ? manifest.stacks : undefined;
  if (!stacks || typeof stacks !== 'object' || Array.isArray(stacks))
    throw new CliError(`${display(manifestPath)}:1:1 /stacks: no stacks in this manifest (${hint})`);
  for (const [name, s] of Object.entries(stacks)) {
    if (!s || typeof s.synthesizedStackPath !== 'string') throw new CliError(`${display(manifestPath)}:1:1 /stacks/${name}: no synthesizedStackPath (${hint})`);
    readJsonFile(join(dir, s.synthesizedStackPath), hint);
  }
}

/** Pointer "/services/0/name" -> ["services", 0, "name"]. */
function pointerPath(pointer: string): Array<string | number> {
  if (pointer === '/' || pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Line and column of YAML evidence, from the loader's sources. */
function locateEvidence(evaluation: Evaluation | undefined, results: TargetResult[]): void {
  if (!evaluation) return;
  const sources = new Map<string, (path: Array<string | number>) => { line: number; col: number }>();
  for (const l of [...evaluation.workspace.environments.values(), ...evaluation.workspace.platforms.values()])
    sources.set(display(l.source.file), l.source.locate);
  for (const f of results.flatMap((t) => t.results.flatMap((r) => r.findings))) {
    for (const e of f.evidence as Evidence[]) {
      const locate = sources.get(e.file);
      if (!locate) continue;
      const { line, col } = locate(pointerPath(e.pointer));
      e.line = line;
      e.col = col;
    }
  }
}

function synthesizeFor(evaluation: Evaluation, environments: string[]): { synthesized?: Synthesized; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hds-policy-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    process.env.CHECKPOINT_DISABLE = '1';
    synthesizeTo(join(dir, 'out'), evaluation.topologies, environments, stackOptionsFromEnv(process.env, { backend: 'local' }));
    return { synthesized: readSynthesized(join(dir, 'out')), cleanup };
  } catch (e) {
    log(yellow(`warning: synthesis failed, rules on Terraform JSON are skipped: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`));
    return { cleanup };
  }
}

/**
 * Canonical JSON (RFC 8785, JCS): object keys sorted by UTF-16 code units at every level, no
 * whitespace, strings and numbers as JSON.stringify writes them, undefined members dropped. The
 * same object gives the same text whatever the order its keys were written in.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * SHA-256 of one cluster's manifests, independent of key order and of object order: of the
 * canonical JSON array of the objects sorted by their own canonical JSON. So an auditor gets the
 * same digest from the YAML `hdsctl workloads render` writes for that cluster (every document of
 * `<out>/<env>/<site>/*.yaml`, parsed) as from the objects the K8S-* rules judged.
 */
export function manifestsSha256(objects: readonly K8sObject[]): string {
  const texts = objects.map(canonicalJson).sort();
  return sha256(`[${texts.join(',')}]`);
}

/**
 * The hashed inputs of a report: environment and platform files, each Terraform stack, each
 * rendered file, and one entry per OpenShift cluster's manifests (`manifests:<env>/<site>`), so
 * the report names exactly the manifests it judged; then the waivers and the catalog.
 */
export function hashInputs(inputs: PolicyInput[], tfDir: string | undefined, extra: InputHash[]): InputHash[] {
  const seen = new Map<string, InputHash>();
  const add = (h: InputHash) => seen.set(`${h.kind}:${h.path}`, h);
  for (const i of inputs) {
    if (i.environment) add({ kind: 'environment', path: display(i.environment.file), sha256: sha256(readFileSync(i.environment.file)) });
    if (i.platform) add({ kind: 'platform', path: display(i.platform.file), sha256: sha256(readFileSync(i.platform.file)) });
    if (i.terraform)
      for (const [name, json] of i.terraform.stacks)
        add({ kind: 'terraform', path: `${tfDir ? `${display(tfDir)}/` : ''}stacks/${name}/cdk.tf.json`, sha256: sha256(JSON.stringify(json)) });
    for (const r of i.rendered ?? []) add({ kind: 'rendered', path: `rendered:${r.path}`, sha256: sha256(r.content) });
    const clusters = new Map<string, K8sObject[]>();
    (i.manifests ?? []).forEach((o, k) => {
      const site = i.manifestSites?.[k];
      const path = `manifests:${i.target}${site ? `/${site}` : ''}`;
      const list = clusters.get(path) ?? [];
      list.push(o);
      clusters.set(path, list);
    });
    for (const [path, objects] of clusters) add({ kind: 'manifests', path, sha256: manifestsSha256(objects) });
  }
  for (const h of extra) add(h);
  return [...seen.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.path.localeCompare(b.path));
}

function runPolicy(opts: Options, setExit: (code: number) => void): void {
  const models = opts.env !== undefined || Boolean(opts.all);
  const a = checkOptions(opts, {
    tf: existingDir('a synthesized cdktf output directory', 'cdktf.out'),
    format: listOf(FORMATS, 'format'),
    out: outputPath('reports'),
    lang: LANG,
    failOn: oneOf(SEVERITIES, 'severity'),
    waivers: existingFile('a waivers file', 'policies/waivers.yaml'),
    catalog: CATALOG,
    today: calendarDate('2026-11-23'),
    ...(models ? { dir: environmentsDir } : {}),
  });
  if (opts.env !== undefined && opts.all) throw new CliError(`--env "${opts.env}" and --all: give one of them (e.g. hdsctl policy --env ${opts.env})`);
  if (opts.all && opts.tf !== undefined) throw new CliError(`--all and --tf "${opts.tf}": --tf judges one synthesized output; use it alone or with --env NAME`);
  if (!models && opts.tf === undefined) throw new CliError('--env NAME, --all or --tf PATH is required (e.g. hdsctl policy --env production)');
  const lang = a.lang as Lang;
  const failOn = a.failOn!;
  const formats: Format[] = a.format ?? (a.out ? [...FORMATS] : ['md']);
  if (!a.out && formats.length > 1)
    throw new CliError(
      `--format: "${opts.format}" names ${formats.length} formats, and only one goes to stdout; add --out DIR for several (e.g. --out reports), or give one (e.g. --format md)`,
    );
  const today = a.today ?? new Date().toISOString().slice(0, 10);
  const target = { command: 'policy', flag: '--out', value: a.out, example: 'reports' };
  if (a.out) checkReportsOutput(a.out, formats, target);
  let tfDir = a.tf ? resolve(a.tf) : undefined;
  if (tfDir) checkSynthesizedDir(tfDir, a.tf!);

  // Waivers: the file named, or policies/waivers.yaml; a missing file is an error, never "no waivers".
  const waiversPath = a.waivers ?? DEFAULT_WAIVERS;
  if (a.waivers === undefined && !existsSync(waiversPath))
    throw new CliError(
      `waivers file "${DEFAULT_WAIVERS}" not found in the current directory (${process.cwd()}); run from the repository root or give --waivers FILE`,
    );
  const waiverText = readInput(waiversPath, '--waivers', 'a waivers file');
  const parsed = parseWaivers(waiverText, new Set(RULES.map((r) => r.id)));
  const { waivers, errors: waiverErrors } = parsed;
  const waiverSource = parseYaml(waiversPath, waiverText);
  const waiverLines = waiverSource.syntaxErrors.length
    ? waiverSource.syntaxErrors.map((e) => `${display(waiversPath)}:${e.position.line}:${e.position.col} ${pointerOf(e.path)}: ${e.message} (${e.hint})`)
    : parsed.problems.map((p) => {
        const { line, col } = waiverSource.locate(pointerPath(p.pointer));
        return `${display(waiversPath)}:${line}:${col} ${p.pointer}: ${p.message} (${p.hint})`;
      });
  for (const l of waiverLines) log(red(l));
  const extra: InputHash[] = [{ kind: 'waivers', path: display(waiversPath), sha256: sha256(waiverText) }];

  // The catalog: named (--catalog, $HDS_REQUIREMENTS_CATALOG) it must exist; the default is optional.
  const catalogPath = a.catalog ?? defaultCatalogPath();
  let catalog: CatalogEntry[] | undefined;
  if (a.catalog !== undefined || existsSync(catalogPath)) {
    catalog = loadCatalog(catalogPath, opts.catalog !== undefined ? '--catalog' : a.catalog !== undefined ? 'HDS_REQUIREMENTS_CATALOG' : 'catalog');
    extra.push({ kind: 'catalog', path: display(catalogPath), sha256: sha256(readFileSync(catalogPath)) });
  } else
    log(
      yellow(`warning: no requirements catalog at ${display(catalogPath)} (the default; give --catalog FILE or HDS_REQUIREMENTS_CATALOG): no coverage table`),
    );

  let evaluation: Evaluation | undefined;
  let inputs: PolicyInput[];
  let cleanup = () => {};
  if (models) {
    evaluation = evaluateEnvironments({ dir: a.dir! }, opts.env);
    if (evaluation.diagnostics.length)
      log(
        yellow(
          `warning: ${evaluation.diagnostics.length} validation problem(s) (hdsctl validate); the policies judge what expands:\n${evaluation.diagnostics.slice(0, 20).map(formatDiagnostic).join('\n')}`,
        ),
      );
    const names = opts.env ? [opts.env] : [...evaluation.topologies.keys()].sort();
    for (const n of names) if (!evaluation.topologies.has(n)) throw new CliError(`environment ${n} does not expand (run hdsctl validate --env ${n})`);
    let synthesized: Synthesized | undefined;
    if (tfDir) synthesized = readSynthesized(tfDir);
    else {
      log(`synthesizing ${names.join(', ')} for the Terraform rules ...`);
      const s = synthesizeFor(evaluation, names);
      synthesized = s.synthesized;
      cleanup = s.cleanup;
      tfDir = undefined;
    }
    inputs = names.map((n) => environmentInput(evaluation!, n, synthesized, waivers, today, display));
    // environmentInput keeps absolute paths for hashing; display paths in evidence.
    for (const i of inputs) {
      if (i.environment) i.environment.file = evaluation.workspace.environments.get(i.target)!.source.file;
      if (i.platform) i.platform.file = evaluation.workspace.platforms.get(i.topology!.environment.platform)!.source.file;
    }
  } else {
    inputs = [terraformInput(display(tfDir!), readSynthesized(tfDir!), waivers, today)];
  }
  try {
    const fileFor = (i: PolicyInput) => ({
      env: i.environment ? display(i.environment.file) : undefined,
      platform: i.platform ? display(i.platform.file) : undefined,
    });
    const results = inputs.map((i) => {
      const shown = fileFor(i);
      return runPolicies({
        ...i,
        ...(i.environment && shown.env ? { environment: { ...i.environment, file: shown.env } } : {}),
        ...(i.platform && shown.platform ? { platform: { ...i.platform, file: shown.platform } } : {}),
      });
    });
    locateEvidence(evaluation, results);
    const report = buildReport({
      rules: RULES,
      targets: results,
      inputs: hashInputs(inputs, tfDir, extra),
      waivers,
      waiverErrors,
      ...(catalog ? { coverage: coverage(catalog, RULES) } : {}),
      failOn,
      lang,
      today,
      generatedAt: new Date().toISOString(),
      version: '0.1.0',
    });
    if (a.out) {
      const written = writeReports(report, formats, a.out, lang, target);
      for (const p of written) log(`wrote ${display(p)}`);
    } else {
      process.stdout.write(render(report, formats[0]!, lang));
    }
    const bad = failing(results, failOn);
    const statuses = report.summary.statuses;
    const line = `${results.length} target(s), ${RULES.length} rules: ${statuses.pass ?? 0} pass, ${statuses.fail ?? 0} fail, ${statuses.waived ?? 0} waived, ${statuses.skipped ?? 0} skipped, ${statuses['not-applicable'] ?? 0} n/a`;
    if (bad.length) {
      log(red(`${line}; ${bad.length} unwaived finding(s) at or above ${failOn}`));
      for (const f of bad.slice(0, 20)) log(red(`  ${f.severity} ${f.target} ${f.rule} ${f.subject}: ${f.message[lang]}`));
    } else log(green(`${line}; nothing at or above ${failOn}`));
    setExit(bad.length || waiverErrors.length ? EXIT_FINDINGS : EXIT_OK);
  } finally {
    cleanup();
  }
}

function runCoverage(opts: { catalog?: string; json?: boolean; lang: string }): void {
  const a = checkOptions(opts, { catalog: CATALOG, lang: LANG });
  const path = a.catalog ?? defaultCatalogPath();
  if (a.catalog === undefined && !existsSync(path))
    throw new CliError(`no requirements catalog at ${display(path)} (the default); give --catalog FILE or set HDS_REQUIREMENTS_CATALOG`);
  const c = coverage(loadCatalog(path, opts.catalog !== undefined ? '--catalog' : a.catalog !== undefined ? 'HDS_REQUIREMENTS_CATALOG' : 'catalog'), RULES);
  if (opts.json) {
    printJson(c);
    return;
  }
  const fr = a.lang !== 'en';
  out(bold(fr ? 'Exigences de vérification « policy » du catalogue' : 'Catalog requirements whose check kind is “policy”', process.stdout));
  for (const r of c.rows.filter((x) => x.kind === 'primary'))
    out(`${r.covered ? '✔' : '·'} ${r.id.padEnd(22)} ${r.area.padEnd(16)} ${r.covered ? r.rules.join(', ') : fr ? '(aucune règle)' : '(no rule)'}`);
  out('');
  const pct = (c.primary.ratio * 100).toFixed(1);
  out(
    bold(
      fr
        ? `Taux d’automatisation (EXG_ENV_17) : ${c.primary.covered} / ${c.primary.total} = ${pct} %`
        : `Automation rate (EXG_ENV_17): ${c.primary.covered} / ${c.primary.total} = ${pct}%`,
      process.stdout,
    ),
  );
  out(
    fr
      ? `Exigences à vérification secondaire « policy » couvertes : ${c.secondary.covered} / ${c.secondary.total}`
      : `Requirements with policy as a secondary check covered: ${c.secondary.covered} / ${c.secondary.total}`,
  );
  if (c.unknownIds.length) log(red(`rules name ids absent from the catalog: ${c.unknownIds.join(', ')}`));
}

export function register(program: Command, setExit: (code: number) => void): void {
  const policy = program
    .command('policy')
    .description(
      'judge environments (topology, Terraform JSON, rendered configs) against HDS, SecNumCloud, ANSSI and the CCTP; reports in JSON, SARIF, JUnit, Markdown, HTML',
    )
    .option('--env <name>', 'one environment')
    .option('--all', 'every environment')
    .option('--tf <path>', 'a synthesized cdktf output directory (alone: only the Terraform rules run)')
    .option('--format <list>', `comma list of ${FORMATS.join(', ')} (default: md on stdout, all with --out)`)
    .option('--out <dir>', 'write the reports there, all formats or none')
    .option('--lang <lang>', 'fr (default) or en', 'fr')
    .option('--fail-on <severity>', `exit 2 when an unwaived finding is at least this severe (${SEVERITIES.join(', ')})`, 'high')
    .option('--waivers <file>', 'waivers file (default policies/waivers.yaml; a missing file is an error)')
    .option('--catalog <file>', 'requirements catalog (default ../shared/requirements/catalog.yaml or $HDS_REQUIREMENTS_CATALOG)')
    .option('--today <date>', 'judge waivers as of this date (YYYY-MM-DD; default today)')
    .option('--dir <path>', 'environments directory (default: ./environments or $HDS_ENVIRONMENTS_DIR)')
    .action((opts: Options) => runPolicy(opts, setExit));
  policy
    .command('coverage')
    .description('catalog requirements whose check kind is policy, and the rules covering each (the automation rate, EXG_ENV_17)')
    .option('--catalog <file>', 'requirements catalog')
    .option('--lang <lang>', 'fr (default) or en', 'fr')
    .option('--json', 'as JSON')
    .action((opts: { catalog?: string; json?: boolean; lang: string }) => runCoverage(opts));
}
