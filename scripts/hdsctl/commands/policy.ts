/**
 * `hdsctl policy --env NAME | --all | --tf PATH [--format ...] [--out DIR] [--lang fr|en] [--fail-on SEVERITY]`
 * and `hdsctl policy coverage`: the rules of policies/ judged on the expanded topology, the
 * synthesized Terraform JSON and the rendered service configurations, with waivers; reports in
 * JSON (source of truth, with the SHA-256 of every input), SARIF 2.1.0, JUnit, Markdown and HTML.
 * Exit 0 when nothing at or above the threshold fails, 2 when something does, 1 on error.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { type Evaluation, formatDiagnostic } from '../../../modules/loader/load.ts';
import { readSynthesized, type Synthesized } from '../../../modules/proxmox/check/synthesized.ts';
import { buildReport, type InputHash } from '../../../modules/reports/report.ts';
import { FORMATS, type Format, render, writeReports } from '../../../modules/reports/write.ts';
import { stackOptionsFromEnv } from '../../../stacks/options.ts';
import { synthesizeTo } from '../../../stacks/synthesize.ts';
import { type CatalogEntry, coverage } from '../../../policies/coverage.ts';
import { failing, runPolicies } from '../../../policies/engine.ts';
import { RULES } from '../../../policies/index.ts';
import { environmentInput, terraformInput } from '../../../policies/input.ts';
import { type Evidence, type Lang, type PolicyInput, SEVERITIES, type Severity, type TargetResult } from '../../../policies/types.ts';
import { parseWaivers } from '../../../policies/waivers.ts';
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
const display = (p: string) => {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') ? p : r;
};

export function defaultCatalogPath(): string {
  return process.env.HDS_REQUIREMENTS_CATALOG ?? resolve(process.cwd(), '..', 'shared', 'requirements', 'catalog.yaml');
}

export function loadCatalog(path: string): CatalogEntry[] {
  const doc = parseYaml(readFileSync(path, 'utf8')) as { requirements?: CatalogEntry[] };
  if (!Array.isArray(doc?.requirements)) throw new CliError(`${path}: no requirements list`);
  return doc.requirements;
}

function parseFormats(spec: string | undefined, toStdout: boolean): Format[] {
  const list = (spec ?? (toStdout ? 'md' : FORMATS.join(',')))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((f) => !(FORMATS as readonly string[]).includes(f));
  if (bad.length) throw new CliError(`unknown format(s) ${bad.join(', ')} (use ${FORMATS.join(', ')})`);
  if (toStdout && list.length > 1) throw new CliError('several formats need --out DIR');
  return list as Format[];
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

function hashInputs(inputs: PolicyInput[], tfDir: string | undefined, extra: InputHash[]): InputHash[] {
  const seen = new Map<string, InputHash>();
  const add = (h: InputHash) => seen.set(`${h.kind}:${h.path}`, h);
  for (const i of inputs) {
    if (i.environment) add({ kind: 'environment', path: display(i.environment.file), sha256: sha256(readFileSync(i.environment.file)) });
    if (i.platform) add({ kind: 'platform', path: display(i.platform.file), sha256: sha256(readFileSync(i.platform.file)) });
    if (i.terraform)
      for (const [name, json] of i.terraform.stacks)
        add({ kind: 'terraform', path: `${tfDir ? `${display(tfDir)}/` : ''}stacks/${name}/cdk.tf.json`, sha256: sha256(JSON.stringify(json)) });
    for (const r of i.rendered ?? []) add({ kind: 'rendered', path: `rendered:${r.path}`, sha256: sha256(r.content) });
  }
  for (const h of extra) add(h);
  return [...seen.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.path.localeCompare(b.path));
}

function runPolicy(opts: Options, setExit: (code: number) => void): void {
  const selectors = [opts.env ? 1 : 0, opts.all ? 1 : 0].reduce((a, b) => a + b, 0);
  if (selectors > 1 || (selectors === 0 && !opts.tf)) throw new CliError('use --env NAME, --all or --tf PATH (--tf may go with --env)');
  if (opts.all && opts.tf) throw new CliError('--tf PATH judges one synthesized output: use it alone or with --env NAME');
  if (opts.lang !== 'fr' && opts.lang !== 'en') throw new CliError('--lang is fr or en');
  if (!(SEVERITIES as readonly string[]).includes(opts.failOn)) throw new CliError(`--fail-on is one of ${SEVERITIES.join(', ')}`);
  if (opts.today && !/^\d{4}-\d{2}-\d{2}$/.test(opts.today)) throw new CliError('--today is YYYY-MM-DD');
  const lang = opts.lang as Lang;
  const failOn = opts.failOn as Severity;
  const formats = parseFormats(opts.format, !opts.out);
  const today = opts.today ?? new Date().toISOString().slice(0, 10);

  const waiversPath = opts.waivers ?? join(process.cwd(), 'policies', 'waivers.yaml');
  const waiverText = existsSync(waiversPath) ? readFileSync(waiversPath, 'utf8') : 'waivers: []\n';
  const { waivers, errors: waiverErrors } = parseWaivers(waiverText, new Set(RULES.map((r) => r.id)));
  for (const e of waiverErrors) log(red(`${display(waiversPath)}${e}`));
  const extra: InputHash[] = existsSync(waiversPath) ? [{ kind: 'waivers', path: display(waiversPath), sha256: sha256(waiverText) }] : [];
  const catalogPath = opts.catalog ?? defaultCatalogPath();
  const catalog = existsSync(catalogPath) ? loadCatalog(catalogPath) : undefined;
  if (catalog) extra.push({ kind: 'catalog', path: display(catalogPath), sha256: sha256(readFileSync(catalogPath)) });
  else log(yellow(`warning: requirements catalog not found at ${catalogPath} (HDS_REQUIREMENTS_CATALOG): no coverage table`));

  let evaluation: Evaluation | undefined;
  let inputs: PolicyInput[];
  let cleanup = () => {};
  let tfDir = opts.tf ? resolve(opts.tf) : undefined;
  if (opts.tf && !existsSync(join(tfDir!, 'manifest.json'))) throw new CliError(`${opts.tf}: not a synthesized cdktf output (no manifest.json)`);
  if (opts.env || opts.all) {
    evaluation = evaluateEnvironments(opts, opts.env);
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
    if (opts.out) {
      const written = writeReports(report, formats, opts.out, lang);
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
  const path = opts.catalog ?? defaultCatalogPath();
  if (!existsSync(path)) throw new CliError(`requirements catalog not found: ${path} (--catalog or HDS_REQUIREMENTS_CATALOG)`);
  const c = coverage(loadCatalog(path), RULES);
  if (opts.json) {
    printJson(c);
    return;
  }
  const fr = opts.lang !== 'en';
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
    .option('--out <dir>', 'write the reports there (atomically)')
    .option('--lang <lang>', 'fr (default) or en', 'fr')
    .option('--fail-on <severity>', `exit 2 when an unwaived finding is at least this severe (${SEVERITIES.join(', ')})`, 'high')
    .option('--waivers <file>', 'waivers file (default policies/waivers.yaml)')
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
