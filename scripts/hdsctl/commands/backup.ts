/**
 * `hdsctl backup run|verify|info`: the lab's pgBackRest backups on demand (issue 14; EXG_PRA_2),
 * what the repository host's scheduled services do in production (docs/backup.md):
 * - `run --domain D --type full|diff|incr --repo 1|2`: a backup set; repo 2 (the offline copy) is
 *   sealed afterwards (its files made immutable); the success is recorded for the hds-backup alerts
 *   and `hdsctl lab status`.
 * - `verify --domain D --repo 1|2`: `pgbackrest verify`, every file of the repository against its
 *   checksum; exit 2 with the bad files named when it finds any.
 * - `info --domain D [--repo 1|2]`: the backup sets (label, type, stop time, sizes, repository).
 * - `config --env NAME [--out DIR]`: the configuration and key-metadata backup set (modules/backup/):
 *   the environments files, every guest's rendered files (production profile, secrets as
 *   placeholders), the waivers and the HSM keys' metadata, refused if any file holds a secret;
 *   written atomically as `<out>/<id>/config-set.tar.gz` + `manifest.json`. Any environment; the lab's
 *   default `--out` is its repository guest's PGBACKREST_PATHS.configSetPath, and against the lab the
 *   guard knows the lab's secret values and the key metadata comes from DC1's SoftHSM token.
 * Every flag is checked before anything runs; run, verify and info accept only environments of
 * platform lab.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { labHsmKeys, labKnownSecrets, readEnvironmentTree, readWaivers, toolCommit } from '../../../modules/backup/collect.ts';
import { ConfigSetError, configSetEntries, type HsmKeySource, KEYS_PATH, WAIVERS_PATH } from '../../../modules/backup/configSet.ts';
import { writeConfigSet } from '../../../modules/backup/write.ts';
import { labBackupRun, labBackupSets, labHasRepo, labVerify } from '../../../modules/lab/backup.ts';
import { backupSite } from '../../../modules/lab/endpoints.ts';
import { LabPlanError, labPlanFromEvaluation } from '../../../modules/lab/fromTopology.ts';
import { guestPath, labGuests } from '../../../modules/lab/guests.ts';
import { assertRoot, networkStatus } from '../../../modules/lab/netns.ts';
import type { LabPlan } from '../../../modules/lab/types.ts';
import { formatDiagnostic } from '../../../modules/loader/load.ts';
import { displayPath } from '../../../modules/loader/paths.ts';
import type { Topology } from '../../../modules/model/topology.ts';
import { RestorePlanError } from '../../../modules/restore/plan.ts';
import type { BackupType } from '../../../modules/services/backup/schedule.ts';
import { PGBACKREST_PATHS } from '../../../modules/services/fromTopology/paths.ts';
import { ArgProblem, checkOptions, environmentsDir, existingFile, type Field, oneOf, outputPath } from '../args.ts';
import { resolveLabPlan, stateRoot } from '../labPlan.ts';
import { CliError, EXIT_FINDINGS, EXIT_OK, green, log, out, printJson, red, yellow } from '../output.ts';
import { table } from '../table.ts';
import { evaluateEnvironments } from '../workspace.ts';

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

export interface ConfigFlags {
  env?: string;
  dir?: string;
  out?: string;
  waivers?: string;
  json?: boolean;
}

/** The waivers file when --waivers is not given, relative to the current directory (as `hdsctl policy`). */
const DEFAULT_WAIVERS = join('policies', 'waivers.yaml');

/** What `backup config` works on, every flag checked. */
export interface ConfigTarget {
  /** The environments directory (absolute). */
  dir: string;
  topology: Topology;
  /** The lab's plan when the environment runs on platform lab. */
  plan: LabPlan | undefined;
  /** Where `<id>/` is written. */
  out: string;
  /** The waivers file to include; undefined when there is none (`note` says so). */
  waivers: string | undefined;
  notes: string[];
}

/**
 * Every flag of `hdsctl backup config`, checked before anything is read or written (exported for
 * the unit test). The environment must be valid; --out is required except for a lab environment
 * with a repository guest (default: that guest's PGBACKREST_PATHS.configSetPath under its root).
 */
export function checkConfigFlags(f: ConfigFlags): ConfigTarget {
  const o = checkOptions(f, {
    dir: environmentsDir,
    out: outputPath('backups/config'),
    waivers: existingFile('a waivers file', 'policies/waivers.yaml'),
  });
  const name = f.env ?? 'lab';
  const evaluation = evaluateEnvironments({ dir: o.dir }, name);
  const topology = evaluation.topologies.get(name);
  if (evaluation.diagnostics.length || !topology)
    throw new CliError(`environment ${name} is not valid, fix it first:\n${evaluation.diagnostics.map(formatDiagnostic).join('\n')}`);
  let plan: LabPlan | undefined;
  if (topology.environment.platform === 'lab') {
    try {
      plan = labPlanFromEvaluation(evaluation, name, join(stateRoot(), name));
    } catch (e) {
      if (e instanceof LabPlanError) throw new CliError(e.message);
      throw e;
    }
  }
  const repository = plan ? labGuests(plan).repository : undefined;
  const outDir = o.out ?? (plan && repository ? guestPath(plan, repository, PGBACKREST_PATHS.configSetPath) : undefined);
  if (outDir === undefined)
    throw new CliError(
      `--out is required for environment ${name}${plan ? ' (its lab has no repository guest)' : ` (platform ${topology.environment.platform})`}: only a lab has a default, its repository guest's ${PGBACKREST_PATHS.configSetPath}; give a directory (e.g. --out backups/config)`,
    );
  const notes: string[] = [];
  let waivers = o.waivers;
  if (waivers === undefined) {
    if (existsSync(DEFAULT_WAIVERS)) waivers = DEFAULT_WAIVERS;
    else notes.push(`no waivers file: ${DEFAULT_WAIVERS} not found in ${process.cwd()} and no --waivers given`);
  }
  return { dir: o.dir, topology, plan, out: outDir, waivers, notes };
}

/** Summary of what a set holds, for the operator. */
function describeSet(paths: string[]): string {
  const env = paths.filter((p) => p.startsWith('environments/')).length;
  const rendered = paths.filter((p) => p.startsWith('rendered/'));
  const guests = new Set(rendered.map((p) => p.split('/')[1])).size;
  return `${env} environment file(s), ${rendered.length} rendered file(s) of ${guests} guest(s)${paths.includes(WAIVERS_PATH) ? ', the waivers' : ''}, ${KEYS_PATH}`;
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

  backup
    .command('config')
    .description(
      "the configuration and key-metadata backup set: environments files, every guest's rendered files (secrets as placeholders), waivers, HSM keys' metadata (EXG_PRA_2)",
    )
    .option('--env <name>', 'environment (any platform)', 'lab')
    .option('--dir <path>', 'environments directory')
    .option('--out <dir>', `where <id>/ is written (default for a lab: its repository guest's ${PGBACKREST_PATHS.configSetPath})`)
    .option('--waivers <file>', 'the waivers file to include (default: policies/waivers.yaml when present)')
    .option('--json', 'machine-readable output')
    .action(async (opts: ConfigFlags) => {
      const t = checkConfigFlags(opts);
      const env = t.topology.environment.name;
      const hsm: HsmKeySource = t.plan
        ? labHsmKeys(t.plan)
        : { status: 'unavailable', reason: `no key metadata for environment ${env}: this tool reads only the lab's SoftHSM tokens, not ${env}'s HSMs` };
      const notes = [...t.notes, ...(hsm.status === 'unavailable' ? [hsm.reason] : [])];
      try {
        const entries = configSetEntries({
          topology: t.topology,
          environmentFiles: readEnvironmentTree(t.dir),
          waivers: t.waivers === undefined ? undefined : readWaivers(t.waivers),
          hsm,
          knownSecrets: t.plan ? labKnownSecrets(t.plan.stateDir) : [],
        });
        const w = await writeConfigSet(t.out, entries, { environment: env, createdAt: new Date(), toolCommit: toolCommit(), notes });
        if (opts.json)
          printJson({
            environment: env,
            dir: displayPath(w.dir),
            id: w.id,
            archive: w.manifest.archive,
            contentSha256: w.manifest.contentSha256,
            files: w.manifest.entries.length,
            hsmKeys: hsm.status === 'read' ? hsm.keys.length : 0,
            notes,
          });
        else {
          out(`${displayPath(w.dir)}: ${describeSet(entries.map((e) => e.path))}`);
          out(`config-set.tar.gz sha256 ${w.manifest.archive.sha256} (${w.manifest.archive.bytes} bytes); manifest.json lists every file's SHA-256`);
        }
        for (const n of notes) log(yellow(`note: ${n}`));
        log(green(`config set ${w.id} of ${env}: written${hsm.status === 'read' ? `, ${hsm.keys.length} HSM key(s) described` : ''}`));
      } catch (e) {
        if (e instanceof ConfigSetError) throw new CliError(e.message);
        throw e;
      }
      setExit(EXIT_OK);
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
