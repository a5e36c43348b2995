/**
 * `hdsctl env refresh --env TARGET --from SOURCE --target URL --at TIME [--domain D]` (EXG_DIS_4.2,
 * EXG_DIS_5.2, EXG_EVO_36): a domain's data as of TIME, from SOURCE's backups, into TARGET's
 * database, with every check of a restore test and the target's tables compared with the source's
 * at the same instant; a PV (JSON, Markdown, HTML) under .state/<source>/restore-tests/. Refused:
 * a production target (class, data source or a production network address), a production source
 * (pseudonymisation on the way is a later issue), a target that is the source.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { parseTarget, redact, refuseProduction } from '../../../modules/dataset/target.ts';
import { loadWorkspace } from '../../../modules/loader/load.ts';
import { parseAtFlag, RestorePlanError, restoreTestVerdict } from '../../../modules/restore/plan.ts';
import { effectiveVerdict, writeRestorePv } from '../../../modules/restore/pv/index.ts';
import { refreshDurationCheck, refreshInto } from '../../../modules/restore/refresh.ts';
import { restoreDomains, runRestoreTest } from '../../../modules/restore/run.ts';
import { checkOptions, environmentsDir, oneOf, text } from '../args.ts';
import { resolveLabPlan } from '../labPlan.ts';
import { CliError, EXIT_FINDINGS, EXIT_OK, green, log, out, printJson, red } from '../output.ts';
import { operatorOf } from '../pvReport.ts';
import { table } from '../table.ts';

export interface RefreshFlags {
  env?: string;
  from?: string;
  target?: string;
  at?: string;
  domain?: string;
  dir?: string;
  lang?: string;
  operator?: string;
  json?: boolean;
}

/** Every refusal before anything runs. Exported for the unit test. */
export function checkRefresh(f: RefreshFlags, envDir: string): { target: { url: string; shown: string }; at: Date } {
  if (!f.env) throw new CliError('--env: name the environment to refresh (e.g. --env recette)');
  if (!f.from) throw new CliError('--from: name the environment whose backups are restored (e.g. --from lab)');
  if (!f.target) throw new CliError("--target: give the target environment's database (e.g. --target postgres://hds@10.1.2.3:5432/documents)");
  if (!f.at) throw new CliError('--at: give the time to refresh to, ISO 8601 with its zone (e.g. --at 2026-11-30T02:00:00Z)');
  if (f.env === f.from)
    throw new CliError(`--env ${f.env} and --from ${f.from}: a refresh restores into another environment; restore tests of ${f.from} are hdsctl restore-test`);
  if (!/^postgres(ql)?:\/\//.test(f.target))
    throw new CliError(`--target ${JSON.stringify(redact(f.target))}: not a PostgreSQL URL; use postgres://user@host:port/database`);
  let at: Date;
  try {
    at = parseAtFlag(f.at);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const ws = loadWorkspace(envDir);
  const source = ws.environments.get(f.from);
  if (!source) throw new CliError(`--from: "${f.from}" is not an environment of ${envDir} (known: ${[...ws.environments.keys()].sort().join(', ')})`);
  if (source.doc.class === 'production' || source.doc.dataSource === 'production')
    throw new CliError(
      `--from: "${f.from}" is refused: it holds production data, and a refresh from production needs pseudonymisation on the way (not built yet); refresh from a non-production environment`,
    );
  try {
    refuseProduction(parseTarget(f.target), f.env, envDir);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  return { target: { url: f.target, shown: redact(f.target) }, at };
}

export function registerRefresh(env: Command, setExit: (code: number) => void): void {
  env
    .command('refresh')
    .description("restore a domain's data as of a time from another environment's backups into this environment's database, verified (EXG_DIS_4.2)")
    .option('--env <name>', 'the environment refreshed (never production)')
    .option('--from <name>', 'the environment whose backups are restored (its lab must run; never production data)')
    .option('--target <url>', "the refreshed environment's database, postgres://user@host:port/database (password: PGPASSWORD or ~/.pgpass)")
    .option('--at <time>', 'the time to refresh to, ISO 8601 with its zone (the latest restore mark at or before it)')
    .option('--domain <name>', 'PostgreSQL domain; default: the first')
    .option('--dir <path>', 'environments directory')
    .option('--lang <fr|en>', 'language of the PV', 'fr')
    .option('--operator <name>', 'who runs the refresh (default: $SUDO_USER or $USER)')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (opts: RefreshFlags) => {
      const o = checkOptions(opts, { dir: environmentsDir, lang: oneOf(['fr', 'en'] as const, 'language'), operator: text(80, 'jdupont') });
      const { target, at } = checkRefresh(opts, o.dir!);
      const plan = resolveLabPlan({ env: opts.from!, dir: o.dir! });
      if (opts.domain !== undefined && !restoreDomains(plan).includes(opts.domain))
        throw new CliError(`--domain ${JSON.stringify(opts.domain)}: not a PostgreSQL domain of ${opts.from}; give one of ${restoreDomains(plan).join(', ')}`);
      let result: Awaited<ReturnType<typeof runRestoreTest>>;
      try {
        result = await runRestoreTest(plan, {
          ...(opts.domain !== undefined ? { domain: opts.domain } : {}),
          choice: { mode: 'at', at, given: opts.at! },
          purpose: 'refresh',
          operator: operatorOf(o.operator),
          afterLogicalChecks: refreshInto(target, (l) => log(`[env refresh] ${l}`)),
          log: (l) => log(`[env refresh] ${l}`),
        });
      } catch (e) {
        if (e instanceof RestorePlanError) throw new CliError(e.message);
        throw e;
      }
      const { dir } = result;
      const checks = [...result.run.checks, refreshDurationCheck(result.run.startedAt, result.run.endedAt)];
      const run = { ...result.run, checks, verdict: restoreTestVerdict({ ...result.run, checks }) };
      writeRestorePv(dir, run, o.lang ?? 'fr', { command: 'env refresh' });
      const { verdict, findings } = effectiveVerdict(run);
      const rel = relative(process.cwd(), dir) || '.';
      if (opts.json)
        printJson({
          id: run.id,
          dir: rel,
          verdict,
          findings,
          from: opts.from,
          env: opts.env,
          target: target.shown,
          choice: run.choice,
          phases: run.phases,
          checks: run.checks,
        });
      else {
        out(`${opts.from} → ${opts.env} (${target.shown}), set ${run.choice.backupSet.label}, target ${run.choice.targetTime}`);
        for (const l of table(
          ['check', 'verdict', 'detail'],
          run.checks.map((c) => [c.id, c.verdict, c.detail]),
        ))
          out(l);
        out(`PV: ${rel}/pv.html (also pv.md, pv.json)`);
      }
      log(verdict === 'pass' ? green(`refresh ${run.id}: pass`) : red(`refresh ${run.id}: FAIL`));
      setExit(verdict === 'pass' ? EXIT_OK : EXIT_FINDINGS);
    });
}
