/**
 * `hdsctl drill list | run KIND | campaign FILE | report RUN | cleanup`: PRA/PCA drills against
 * the running lab (EXG_PCA_2, EXG_PCA_7, EXG_PRA_4). Each run injects real faults while a bounded
 * workload writes through the WAFs and HAProxy, checks every acknowledged write, and writes its
 * PV (JSON, Markdown, HTML; French by default) under .state/drills/<run>/. Only environments of
 * platform `lab` are accepted: production is refused.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { FAULT_CATALOG } from '../../../modules/drills/faults.ts';
import { renderPv, writePv } from '../../../modules/drills/pv/index.ts';
import { cleanupDrillData, drillsDir, runDrill } from '../../../modules/drills/run.ts';
import { type DrillRun, FAULT_KINDS, type FaultKind, type FaultSpec } from '../../../modules/drills/types.ts';
import { startSiteWriters } from '../../../modules/drills/workload.ts';
import { checkOptions, environmentsDir, existingFile, integer, oneOf, text } from '../args.ts';
import { resolveLabPlan } from '../labPlan.ts';
import { CliError, EXIT_FINDINGS, EXIT_OK, green, log, out, printJson, red } from '../output.ts';
import { operatorOf, registerPvReport } from '../pvReport.ts';
import { table } from '../table.ts';

const SITES = ['DC1', 'DC2', 'DC3'] as const;
const LANGS = ['fr', 'en'] as const;

interface Common {
  env?: string;
  dir?: string;
  lang?: string;
  operator?: string;
  rate?: string;
  json?: boolean;
}

/** The lab plan of `--env` (platform lab only: production is refused there). */
function planOf(env: string | undefined, dir: string) {
  return resolveLabPlan({ ...(env !== undefined ? { env } : {}), dir });
}

function summarize(run: DrillRun, dir: string, json: boolean | undefined): number {
  const rel = relative(process.cwd(), dir) || '.';
  if (json)
    printJson({
      id: run.id,
      dir: rel,
      verdict: run.verdict,
      faults: run.faults.map((f) => ({
        kind: f.spec.kind,
        site: f.site,
        rtoSeconds: f.rtoMs === undefined ? null : f.rtoMs / 1000,
        ...(f.failbackRtoMs !== undefined ? { failbackRtoSeconds: f.failbackRtoMs / 1000 } : {}),
        lost: f.lost,
        verdict: f.verdict,
        reasons: f.reasons,
      })),
      checker: run.checker,
    });
  else {
    for (const l of table(
      ['fault', 'site', 'hold s', 'RTO s', 'write gap s', 'RPO exposure s', 'lost', 'verdict'],
      run.faults.map((f) => [
        f.spec.kind,
        f.site ?? '-',
        f.spec.holdSeconds,
        f.rtoMs === undefined ? 'never' : (f.rtoMs / 1000).toFixed(1),
        f.writeGapMs === undefined ? 'never' : (f.writeGapMs / 1000).toFixed(1),
        (f.rpoExposureMs / 1000).toFixed(1),
        f.lost,
        f.verdict === 'pass' ? 'pass' : `FAIL: ${f.reasons.join('; ')}`,
      ]),
    ))
      out(l);
    const c = run.checker;
    out(
      `checker: ${c.acknowledged} acknowledged, ${c.failed} failed, ${c.unknown} unknown (${c.unknownPresent} of them committed), ${c.lost.length} lost, ${c.splitBrain.length} split-brain evidence: ${c.verdict}`,
    );
    out(`PV: ${rel}/pv.html (also pv.md, pv.json)`);
  }
  log(run.verdict === 'pass' ? green(`drill ${run.id}: pass`) : red(`drill ${run.id}: FAIL`));
  return run.verdict === 'pass' ? EXIT_OK : EXIT_FINDINGS;
}

const commonChecks = {
  dir: environmentsDir,
  lang: oneOf(LANGS, 'language'),
  rate: integer(1, 50, 5),
  operator: text(80, 'jdupont'),
};

/** What is wrong with one fault of a campaign file, located at `at`, or undefined. */
function faultProblem(
  f: { kind?: unknown; site?: unknown; hold?: unknown; repeat?: unknown; whileHealing?: unknown },
  at: string,
  first: boolean,
): string | undefined {
  if (!FAULT_KINDS.includes(f?.kind as FaultKind)) return `${at}/kind: ${JSON.stringify(f?.kind)} is not a fault kind; use one of ${FAULT_KINDS.join(', ')}`;
  const kind = f.kind as FaultKind;
  if (f.site !== undefined && !SITES.includes(f.site as (typeof SITES)[number]))
    return `${at}/site: ${JSON.stringify(f.site)} is not a site; use DC1, DC2 or DC3`;
  if (FAULT_CATALOG[kind].needsSite && f.site === undefined) return `${at}/site: ${kind} needs a site (DC1, DC2 or DC3)`;
  if (!(Number.isInteger(f.hold) && (f.hold as number) >= 0 && (f.hold as number) <= 600))
    return `${at}/hold: ${JSON.stringify(f.hold)} is not a whole number of seconds from 0 to 600`;
  const repeat = f.repeat === undefined ? 1 : f.repeat;
  if (!(Number.isInteger(repeat) && (repeat as number) >= 1 && (repeat as number) <= 50))
    return `${at}/repeat: ${JSON.stringify(f.repeat)} is not a whole number from 1 to 50`;
  if (f.whileHealing !== undefined && typeof f.whileHealing !== 'boolean') return `${at}/whileHealing: ${JSON.stringify(f.whileHealing)} is not true or false`;
  if (f.whileHealing === true && first) return `${at}/whileHealing: the first fault has no previous fault to combine with; remove whileHealing`;
  return undefined;
}

/** A campaign file: `{ name, rate?, faults: [{ kind, site?, hold }] }`, every error located by JSON pointer. */
export function parseCampaign(file: string, content: string): { name: string; rate?: number; faults: FaultSpec[] } {
  let doc: unknown;
  try {
    doc = parseYaml(content);
  } catch (e) {
    throw new CliError(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const problems: string[] = [];
  const d = (doc ?? {}) as { name?: unknown; rate?: unknown; faults?: unknown };
  if (typeof d.name !== 'string' || !d.name.trim()) problems.push(`${file} /name: a campaign needs a name (e.g. name: Exercice PRA annuel)`);
  if (d.rate !== undefined && !(Number.isInteger(d.rate) && (d.rate as number) >= 1 && (d.rate as number) <= 50))
    problems.push(`${file} /rate: ${JSON.stringify(d.rate)} is not a whole number from 1 to 50`);
  const faults: FaultSpec[] = [];
  if (!Array.isArray(d.faults) || d.faults.length === 0)
    problems.push(`${file} /faults: list at least one fault (e.g. - { kind: site-loss, site: DC1, hold: 60 })`);
  else
    d.faults.forEach((f: { kind?: unknown; site?: unknown; hold?: unknown; repeat?: unknown; whileHealing?: unknown }, i: number) => {
      const at = `${file} /faults/${i}`;
      const problem = faultProblem(f, at, i === 0);
      if (problem) {
        problems.push(problem);
        return;
      }
      for (let k = 0; k < ((f.repeat as number | undefined) ?? 1); k++)
        faults.push({
          kind: f.kind as FaultKind,
          ...(f.site ? { site: f.site as string } : {}),
          holdSeconds: f.hold as number,
          ...(f.whileHealing ? { whileHealing: true } : {}),
        });
    });
  if (problems.length) throw new CliError(problems.join('\nerror: '));
  return { name: (d.name as string).trim(), ...(d.rate !== undefined ? { rate: d.rate as number } : {}), faults };
}

export function register(program: Command, setExit: (code: number) => void): void {
  const drill = program.command('drill').description('PRA/PCA drills against the running lab: real faults, a ledger of every write, a PV (production refused)');
  const common = (c: Command) =>
    c
      .option('--env <name>', 'lab environment (platform lab)', 'lab')
      .option('--dir <path>', 'environments directory')
      .option('--lang <fr|en>', 'language of the PV', 'fr')
      .option('--rate <n>', 'operations per second per writer (1-50)', '5')
      .option('--operator <name>', 'who runs the drill (default: $SUDO_USER or $USER)')
      .option('--json', 'the summary as JSON on stdout');

  drill
    .command('list')
    .description('the fault kinds a drill injects and heals')
    .option('--json', 'machine-readable output')
    .option('--lang <fr|en>', 'language', 'en')
    .action((opts: { json?: boolean; lang?: string }) => {
      const { lang } = checkOptions(opts, { lang: oneOf(LANGS, 'language') });
      const rows = FAULT_KINDS.map((k) => ({ kind: k, needsSite: FAULT_CATALOG[k].needsSite, description: FAULT_CATALOG[k][lang ?? 'en'] }));
      if (opts.json) printJson(rows);
      else
        for (const l of table(
          ['kind', '--site', 'what'],
          rows.map((r) => [r.kind, r.needsSite ? 'required' : '-', r.description]),
        ))
          out(l);
      setExit(EXIT_OK);
    });

  common(
    drill
      .command('run')
      .argument('<kind>', `fault kind: ${FAULT_KINDS.join(', ')}`)
      .description('inject one fault (repeated --repeat times), heal it, check every write, write the PV'),
  )
    .option('--site <DCn>', 'site the fault hits (site-loss, etcd-loss, waf-loss)')
    .option('--hold <seconds>', 'seconds between injection and healing (0-600)', '30')
    .option('--repeat <n>', 'how many times (1-50)', '1')
    .action(async (kindArg: string, opts: Common & { site?: string; hold?: string; repeat?: string }) => {
      const o = checkOptions(
        { ...opts, kind: kindArg },
        {
          ...commonChecks,
          kind: oneOf(FAULT_KINDS, 'fault kind'),
          site: oneOf(SITES, 'site'),
          hold: integer(0, 600, 60),
          repeat: integer(1, 50, 3),
        },
      );
      const kind = o.kind!;
      if (FAULT_CATALOG[kind].needsSite && !o.site) throw new CliError(`--site is required for ${kind}; give the site it hits (e.g. --site DC1)`);
      const plan = planOf(opts.env, o.dir);
      const faults: FaultSpec[] = Array.from({ length: o.repeat ?? 1 }, () => ({ kind, ...(o.site ? { site: o.site } : {}), holdSeconds: o.hold ?? 30 }));
      const { run, dir } = await runDrill({
        plan,
        title: `${kind}${o.site ? `-${o.site}` : ''}`,
        kind: 'single',
        faults,
        rate: o.rate ?? 5,
        operator: operatorOf(o.operator),
        runsDir: drillsDir(plan),
        environmentsDir: o.dir!,
        lang: o.lang ?? 'fr',
        log,
      });
      setExit(summarize(run, dir, opts.json));
    });

  common(
    drill
      .command('campaign')
      .argument('<file>', 'YAML campaign: name, rate, faults: [{ kind, site, hold, repeat }]')
      .description('a scenario of several faults (partial or global test), one PV'),
  ).action(async (file: string, opts: Common) => {
    const o = checkOptions({ ...opts, file }, { ...commonChecks, file: existingFile('campaign file', 'runbooks/drills/campaign.yaml') });
    const c = parseCampaign(o.file!, readFileSync(o.file!, 'utf8'));
    const plan = planOf(opts.env, o.dir);
    const { run, dir } = await runDrill({
      plan,
      title: c.name,
      kind: 'campaign',
      faults: c.faults,
      rate: c.rate ?? o.rate ?? 5,
      operator: operatorOf(o.operator),
      runsDir: drillsDir(plan),
      environmentsDir: o.dir!,
      lang: o.lang ?? 'fr',
      log,
    });
    setExit(summarize(run, dir, opts.json));
  });

  registerPvReport(
    drill,
    { runsHelp: '.state/drills/', runsDir: drillsDir, render: renderPv, write: (dir, run: DrillRun, lang) => writePv(dir, run, lang) },
    setExit,
  );

  // Internal: one site's writers, run by a drill inside that site's namespace (workload.ts); the
  // ledger entries go to stdout as JSON lines; SIGTERM stops it after the operations in flight.
  drill
    .command('agent', { hidden: true })
    .requiredOption('--site <DCn>', 'site whose writers this agent runs')
    .requiredOption('--domain <name>', 'PostgreSQL domain')
    .requiredOption('--run <id>', 'run id')
    .requiredOption('--epoch <ms>', 'the run epoch (ms since 1970)')
    .option('--rate <n>', 'operations per second per writer', '5')
    .option('--env <name>', 'lab environment', 'lab')
    .option('--dir <path>', 'environments directory')
    .action(async (opts: { site?: string; domain?: string; run?: string; epoch?: string; rate?: string; env?: string; dir?: string }) => {
      const o = checkOptions(opts, {
        dir: environmentsDir,
        site: oneOf(SITES, 'site'),
        rate: integer(1, 50, 5),
        epoch: integer(0, Number.MAX_SAFE_INTEGER, 1_700_000_000_000),
      });
      if (!/^[A-Za-z0-9._-]{1,120}$/.test(opts.run ?? '')) throw new CliError(`--run: ${JSON.stringify(opts.run)} is not a run id`);
      const plan = planOf(opts.env, o.dir);
      const w = startSiteWriters({
        plan,
        domain: opts.domain!,
        runId: opts.run!,
        epoch: o.epoch!,
        rate: o.rate ?? 5,
        site: o.site!,
        record: (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
      });
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      await w.stop();
      setExit(EXIT_OK);
    });

  drill
    .command('cleanup')
    .description('drop the drill schema and the drill documents of the lab, their objects included (business data untouched)')
    .option('--env <name>', 'lab environment', 'lab')
    .option('--dir <path>', 'environments directory')
    .action(async (opts: { env?: string; dir?: string }) => {
      const o = checkOptions(opts, { dir: environmentsDir });
      const plan = planOf(opts.env, o.dir);
      const r = await cleanupDrillData(plan);
      log(`drill data removed: schema drill dropped, ${r.documents} drill documents deleted (${r.objects} of their objects in the object store)`);
      setExit(EXIT_OK);
    });
}
