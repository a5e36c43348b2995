/**
 * `hdsctl restore-test [--domain D] [--at TIME | --random [--seed S]] [--repo 1|2]`: a restore test
 * of the lab's backups (EXG_PRA_3): choose a set and a time, restore into an isolated restore site,
 * start PostgreSQL there, verify, destroy, write the PV (JSON, Markdown, HTML; French by default)
 * under .state/restore-tests/<run>/. Exit 0 when it passes, 2 when a check fails (findings), 1 on
 * bad input or when the lab is not running. `hdsctl restore-test report RUN` re-renders a PV.
 */
import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { recordBackupMetric } from '../../../modules/lab/backup.ts';
import { type ChooseOptions, parseAtFlag, RestorePlanError } from '../../../modules/restore/plan.ts';
import { effectiveVerdict, renderRestorePv, writeRestorePv } from '../../../modules/restore/pv/index.ts';
import { restoreDomains, runRestoreTest } from '../../../modules/restore/run.ts';
import type { RestoreTestRun } from '../../../modules/restore/types.ts';
import { checkOptions, environmentsDir, oneOf, text } from '../args.ts';
import { resolveLabPlan } from '../labPlan.ts';
import { CliError, EXIT_FINDINGS, EXIT_OK, green, log, out, printJson, red } from '../output.ts';
import { operatorOf, registerPvReport } from '../pvReport.ts';
import { table } from '../table.ts';

const LANGS = ['fr', 'en'] as const;

export interface RestoreTestFlags {
  env?: string;
  dir?: string;
  domain?: string;
  at?: string;
  random?: boolean;
  seed?: string;
  repo?: string;
  lang?: string;
  operator?: string;
  mark?: boolean;
  json?: boolean;
}

/** The choice from the flags, every conflict refused before anything runs. Exported for the unit test. */
export function choiceOf(f: Pick<RestoreTestFlags, 'at' | 'random' | 'seed'>): ChooseOptions {
  if (f.at !== undefined && f.random) throw new CliError('--at and --random: give one of them (a time to restore to, or a time drawn from --seed)');
  if (f.seed !== undefined && !f.random) throw new CliError(`--seed ${JSON.stringify(f.seed)}: only with --random (the seed draws the set and the time)`);
  if (f.seed !== undefined && !/^[A-Za-z0-9._:-]{1,64}$/.test(f.seed))
    throw new CliError(`--seed ${JSON.stringify(f.seed)}: 1 to 64 letters, digits, '.', '_', ':' or '-' (e.g. --seed 2026-11-30)`);
  if (f.at !== undefined) {
    try {
      return { mode: 'at', at: parseAtFlag(f.at), given: f.at };
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  }
  if (f.random) return { mode: 'random', seed: f.seed ?? randomBytes(8).toString('hex') };
  return { mode: 'latest' };
}

export function repoOf(v: string | undefined): 1 | 2 {
  if (v === undefined || v === '1') return 1;
  if (v === '2') return 2;
  throw new CliError(`--repo ${JSON.stringify(v)}: 1 (the repository in DC3) or 2 (the offline copy)`);
}

function runsDir(stateDir: string): string {
  return join(stateDir, 'restore-tests');
}

function summarize(run: RestoreTestRun, dir: string, json: boolean | undefined): number {
  const rel = relative(process.cwd(), dir) || '.';
  const { verdict, findings } = effectiveVerdict(run);
  if (json) printJson({ id: run.id, dir: rel, verdict, findings, choice: run.choice, phases: run.phases, rate: run.rate, checks: run.checks });
  else {
    out(
      `set ${run.choice.backupSet.label} (${run.choice.backupSet.type}), target ${run.choice.targetTime}${run.choice.mark ? ` (mark ${run.choice.mark})` : ''}`,
    );
    for (const l of table(
      ['phase', 'seconds'],
      run.phases.map((p) => [p.name, (p.durationMs / 1000).toFixed(1)]),
    ))
      out(l);
    for (const l of table(
      ['check', 'verdict', 'detail'],
      run.checks.map((c) => [c.id, c.verdict, c.detail]),
    ))
      out(l);
    out(
      `restore rate: ${(run.rate.bytesPerSecond / 1048576).toFixed(1)} MiB/s (${(run.rate.bytes / 1048576).toFixed(0)} MiB in ${(run.rate.durationMs / 1000).toFixed(1)} s)`,
    );
    out(`PV: ${rel}/pv.html (also pv.md, pv.json)`);
  }
  log(verdict === 'pass' ? green(`restore test ${run.id}: pass`) : red(`restore test ${run.id}: FAIL`));
  return verdict === 'pass' ? EXIT_OK : EXIT_FINDINGS;
}

export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('restore-test')
    .description('restore a backup of the lab into an isolated site, verify it, destroy it, write the PV (EXG_PRA_3)')
    .option('--env <name>', 'lab environment', 'lab')
    .option('--dir <path>', 'environments directory')
    .option('--domain <name>', 'PostgreSQL domain (pgBackRest stanza); default: the first')
    .option('--at <time>', 'restore to this time (ISO 8601 with its zone), to the latest restore mark at or before it')
    .option('--random', 'draw the backup set and the time from --seed (an auditor replays the same choice)')
    .option('--seed <seed>', 'seed of --random (default: a random one, printed in the PV)')
    .option('--repo <1|2>', 'repository: 1 (DC3) or 2 (the offline copy)', '1')
    .option('--no-mark', 'do not take a fresh restore mark first (use the marks already taken)')
    .option('--lang <fr|en>', 'language of the PV', 'fr')
    .option('--operator <name>', 'who runs the test (default: $SUDO_USER or $USER)')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (opts: RestoreTestFlags) => {
      const o = checkOptions(opts, { dir: environmentsDir, lang: oneOf(LANGS, 'language'), operator: text(80, 'jdupont') });
      const choice = choiceOf(opts);
      const repo = repoOf(opts.repo);
      const plan = resolveLabPlan({ ...(opts.env !== undefined ? { env: opts.env } : {}), dir: o.dir! });
      if (opts.domain !== undefined && !restoreDomains(plan).includes(opts.domain))
        throw new CliError(
          `--domain ${JSON.stringify(opts.domain)}: not a PostgreSQL domain of ${plan.topology.environment.name}; give one of ${restoreDomains(plan).join(', ')}`,
        );
      let result: Awaited<ReturnType<typeof runRestoreTest>>;
      try {
        result = await runRestoreTest(plan, {
          ...(opts.domain !== undefined ? { domain: opts.domain } : {}),
          choice,
          repo,
          mark: opts.mark !== false,
          operator: operatorOf(o.operator),
          log: (l) => log(`[restore-test] ${l}`),
        });
      } catch (e) {
        if (e instanceof RestorePlanError) throw new CliError(e.message);
        throw e;
      }
      const { run, dir } = result;
      writeRestorePv(dir, run, o.lang ?? 'fr');
      if (effectiveVerdict(run).verdict === 'pass')
        await recordBackupMetric(plan, 'restoreTest', { stanza: run.domain }, Math.floor(Date.parse(run.endedAt) / 1000));
      setExit(summarize(run, dir, opts.json));
    });

  registerPvReport(
    cmd,
    {
      runsHelp: '.state/<env>/restore-tests/',
      runsDir: (plan) => runsDir(plan.stateDir),
      render: renderRestorePv,
      write: (dir, run: RestoreTestRun, lang) => writeRestorePv(dir, run, lang),
    },
    setExit,
  );
}
