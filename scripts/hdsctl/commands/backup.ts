/**
 * `hdsctl backup run|verify|info`: the lab's pgBackRest backups on demand (issue 14; EXG_PRA_2),
 * what the repository host's scheduled services do in production (docs/backup.md):
 * - `run --domain D --type full|diff|incr --repo 1|2`: a backup set; repo 2 (the offline copy) is
 *   sealed afterwards (its files made immutable); the success is recorded for the hds-backup alerts
 *   and `hdsctl lab status`.
 * - `verify --domain D --repo 1|2`: `pgbackrest verify`, every file of the repository against its
 *   checksum; exit 2 with the bad files named when it finds any.
 * - `info --domain D [--repo 1|2]`: the backup sets (label, type, stop time, sizes, repository).
 * Every flag is checked before anything runs; only environments of platform lab are accepted.
 */
import type { Command } from 'commander';
import { labBackupRun, labBackupSets, labHasRepo, labVerify } from '../../../modules/lab/backup.ts';
import { backupSite } from '../../../modules/lab/endpoints.ts';
import { assertRoot, networkStatus } from '../../../modules/lab/netns.ts';
import type { LabPlan } from '../../../modules/lab/types.ts';
import { RestorePlanError } from '../../../modules/restore/plan.ts';
import type { BackupType } from '../../../modules/services/backup/schedule.ts';
import { ArgProblem, checkOptions, environmentsDir, type Field, oneOf } from '../args.ts';
import { resolveLabPlan } from '../labPlan.ts';
import { CliError, EXIT_FINDINGS, EXIT_OK, green, log, out, printJson, red } from '../output.ts';
import { table } from '../table.ts';

export const BACKUP_TYPES = ['full', 'diff', 'incr'] as const satisfies readonly BackupType[];
const REPOS = ['1', '2'] as const;

export interface BackupFlags {
  env?: string;
  dir?: string;
  domain?: string;
  type?: string;
  repo?: string;
  json?: boolean;
}

/** `--domain`: one of the lab's PostgreSQL domains; optional when there is only one. */
function domainField(plan: LabPlan): Field<string> & { required: string } {
  const names = plan.postgresDomains.map((d) => d.name);
  return {
    check: oneOf(names, `PostgreSQL domain of ${plan.topology.environment.name}`),
    fallback: () => (names.length === 1 ? { raw: names[0]!, label: '--domain' } : undefined),
    required: `give one of: ${names.join(', ')} (e.g. --domain ${names[0] ?? 'documents'})`,
  };
}

/** `--repo 2` needs the offline copy in the environment's model. */
function repoField(plan: LabPlan): Field<1 | 2> {
  const known = oneOf(REPOS, 'repository');
  return {
    check: (raw, flag) => {
      const repo = Number(known(raw, flag)) as 1 | 2;
      if (!labHasRepo(plan, repo))
        throw new ArgProblem(
          `${JSON.stringify(raw)} is the offline copy, which environment ${plan.topology.environment.name} does not declare (services.backup.offlineCopy: false); use --repo 1, or set offlineCopy: true in its file`,
        );
      return repo;
    },
  };
}

/**
 * The lab plan and every flag of `hdsctl backup <command>`, checked before anything is touched:
 * each bad value one line naming the flag, the value and the allowed values (CliError, exit 1).
 * Exported for the unit test.
 */
export function checkBackupFlags(
  command: 'run' | 'verify' | 'info',
  f: BackupFlags,
): { plan: LabPlan; domain: string; type: BackupType; repo: 1 | 2 | undefined } {
  // --type is checked with the environment flags: its values do not depend on the environment.
  const { dir } = checkOptions(f, { dir: environmentsDir, ...(command === 'run' ? { type: oneOf(BACKUP_TYPES, 'backup type') } : {}) });
  const plan = resolveLabPlan({ ...(f.env !== undefined ? { env: f.env } : {}), dir });
  if (!plan.topology.backup) throw new CliError(`environment ${plan.topology.environment.name} declares no backup (services.backup); add one to its file`);
  const o = checkOptions(f, { domain: domainField(plan), repo: repoField(plan) });
  const repo = o.repo ?? (command === 'info' ? undefined : 1);
  return { plan, domain: o.domain, type: (f.type ?? 'full') as BackupType, repo };
}

/** Root and the running lab's backup site, checked after the flags and before pgBackRest runs. */
async function requireRunningLab(plan: LabPlan, what: string): Promise<void> {
  assertRoot(what);
  const ns = backupSite(plan).netns;
  if (!(await networkStatus(plan)).netns[ns]) throw new CliError(`the lab is not running (namespace ${ns} absent); start it with: hdsctl lab up`);
}

const mib = (bytes: number | undefined) =>
  bytes === undefined ? '-' : bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/** An age for a terminal: `45 s`, `12 min`, `3 h 05 min`, `2 d 04 h`. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${pad(Math.floor((seconds % 3600) / 60))} min`;
  return `${Math.floor(seconds / 86400)} d ${pad(Math.floor((seconds % 86400) / 3600))} h`;
}

/** pgBackRest's failures as one line (the command, its exit code and its last output lines). */
async function pgbackrestErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof RestorePlanError) throw new CliError(e.message);
    if (e instanceof Error && !(e instanceof CliError))
      throw new CliError(
        e.message
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .join(' | '),
      );
    throw e;
  }
}

export function register(program: Command, setExit: (code: number) => void): void {
  const backup = program
    .command('backup')
    .description("the lab's pgBackRest backups on demand: take, verify, list (EXG_PRA_2; production runs them from timers)");
  const common = (c: Command) =>
    c
      .option('--env <name>', 'lab environment (platform lab)', 'lab')
      .option('--dir <path>', 'environments directory')
      .option('--domain <name>', 'PostgreSQL domain (pgBackRest stanza); default: the only one')
      .option('--json', 'machine-readable output');

  common(backup.command('run').description('take a backup set; repo 2 (the offline copy) is sealed afterwards; the success is recorded'))
    .option('--type <full|diff|incr>', 'backup type', 'full')
    .option('--repo <1|2>', 'repository: 1 (DC3) or 2 (the offline copy)', '1')
    .action(async (opts: BackupFlags) => {
      const { plan, domain, type, repo } = checkBackupFlags('run', opts);
      await requireRunningLab(plan, 'hdsctl backup run');
      const r = await pgbackrestErrors(() => labBackupRun(plan, { domain, type, repo: repo ?? 1 }));
      const seconds = r.durationMs / 1000;
      if (opts.json)
        printJson({
          domain,
          repo: repo ?? 1,
          requestedType: type,
          type: r.type,
          label: r.label,
          durationSeconds: seconds,
          ...(r.sealed ? { sealed: { files: r.sealed.sealed.length, alreadySealed: r.sealed.alreadySealed, leftWritable: r.sealed.skipped } } : {}),
        });
      else {
        out(
          `${r.label} (${r.type}${r.type !== type ? `, asked ${type}: pgBackRest found no prior full` : ''}) of ${domain} in repo${repo ?? 1}, ${seconds.toFixed(1)} s`,
        );
        if (r.sealed)
          out(
            `offline copy sealed: ${r.sealed.sealed.length} file(s) made immutable, ${r.sealed.alreadySealed} already, ${r.sealed.skipped.length} left writable (info files, sets in progress)`,
          );
      }
      log(green(`backup ${r.label}: done`));
      setExit(EXIT_OK);
    });

  common(backup.command('verify').description('check every file of a repository against its checksum (exit 2 with the bad files when it finds any)'))
    .option('--repo <1|2>', 'repository: 1 (DC3) or 2 (the offline copy)', '1')
    .action(async (opts: BackupFlags) => {
      const { plan, domain, repo } = checkBackupFlags('verify', opts);
      await requireRunningLab(plan, 'hdsctl backup verify');
      const v = await pgbackrestErrors(() => labVerify(plan, { domain, repo: repo ?? 1 }));
      if (opts.json) printJson({ domain, repo: repo ?? 1, ok: v.ok, findings: v.findings, warnings: v.warnings, durationSeconds: v.durationMs / 1000 });
      else {
        for (const f of v.findings) out(`FINDING ${f}`);
        for (const w of v.warnings) out(`warning ${w}`);
      }
      log(
        v.ok
          ? green(`verify of ${domain} in repo${repo ?? 1}: ok (${(v.durationMs / 1000).toFixed(1)} s)`)
          : red(`verify of ${domain} in repo${repo ?? 1}: ${v.findings.length} finding(s)`),
      );
      setExit(v.ok ? EXIT_OK : EXIT_FINDINGS);
    });

  common(backup.command('info').description('the backup sets of a domain: label, type, stop time, sizes, repository'))
    .option('--repo <1|2>', 'only this repository (default: every one)')
    .action(async (opts: BackupFlags) => {
      const { plan, domain, repo } = checkBackupFlags('info', opts);
      await requireRunningLab(plan, 'hdsctl backup info');
      const sets = await pgbackrestErrors(() => labBackupSets(plan, domain, repo));
      if (opts.json) printJson(sets);
      else if (sets.length === 0) out(`no backup set of ${domain}${repo ? ` in repo${repo}` : ''}; take one with: hdsctl backup run --domain ${domain}`);
      else
        for (const l of table(
          ['label', 'type', 'stopped at', 'database', 'in repository', 'repo'],
          sets.map((s) => [s.label, s.type, s.stoppedAt, mib(s.sizeBytes), mib(s.repoSizeBytes), `repo${s.repo}`]),
        ))
          out(l);
      setExit(EXIT_OK);
    });
}
