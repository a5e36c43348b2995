/**
 * The backup schedule of the pgBackRest repository host (EXG_PRA_2: periodic backups with
 * execution evidence; EXG_PRA_3: regular, random restore tests), from the model: per business
 * domain (stanza), systemd timers and oneshot services on the repository host (docs/backup.md).
 *
 * | job | when (French civil time) | what |
 * | --- | --- | --- |
 * | full | Sunday 01:00 + m | `pgbackrest --repo=1 --type=full backup` |
 * | diff | Monday to Saturday 01:00 + m | `--repo=1 --type=diff` |
 * | incr | 05:00, 09:00, 13:00, 17:00, 21:00 + m | `--repo=1 --type=incr` |
 * | verify | every day 07:00 + m | `pgbackrest --repo=1 verify` |
 * | offline-full (offlineCopy) | first Sunday of the month 01:05 + m | `--repo=2 --type=full backup` |
 * | offline-diff (offlineCopy) | every other day 01:05 + m | `--repo=2 --type=diff backup` |
 * | offline-verify (offlineCopy) | Saturday 03:00 + m | `pgbackrest --repo=2 verify` |
 * | restore-test | once a week, a weekday between 09:00 and 16:00 | `hdsctl restore-test --domain <d> --random` |
 *
 * m staggers the stanzas (stanza i of n starts i × min(10, ⌊50 / n⌋) minutes after the hour), so
 * the backups of several domains do not all checkpoint and stream at 01:00; every start stays
 * inside its hour (01:00–01:59 is never skipped or repeated by a DST change in Europe/Paris).
 *
 * Why incremental backups every 4 hours: WAL archiving already gives every point in time, but a
 * restore replays all the WAL written since its backup set; with only a daily set that is up to
 * 24 hours of WAL (the largest part of a restore, and of an environment refresh to a given date,
 * EXG_DIS_4.2); an incremental set every 4 hours bounds the replay to 4 hours of WAL for the
 * price of the files changed since the previous set. Not shorter: each set starts with a
 * checkpoint on the primary (start-fast) and adds a manifest to the repository.
 *
 * The offline copy (repo2, ./render.ts) takes its own backups (pgBackRest 2.45 copies no backup
 * between repositories): a full a month (its retention counts in months and years, in days),
 * a differential the other days, 5 minutes after the daily set of repo1. Its verify is weekly:
 * it reads back every file of the repository, which holds a year of monthly fulls in production.
 *
 * Every job of a stanza that writes the repository holds a per-stanza flock (the next one waits
 * instead of failing on pgBackRest's own lock), so the offline copy starts once the daily set is
 * taken whatever its duration, and a 05:00 incremental waits for a long Sunday full. verify and
 * the restore test only read: they take no lock.
 *
 * Execution evidence: each service, on success only, records the time in the node exporter's
 * textfile directory (BACKUP_METRICS, one file per series) — the `hds-backup` alerts
 * (../monitoring/render.ts) read it. Persistent=true runs a job missed while the host was down
 * at the next boot; RandomizedDelaySec stays under the 5 minutes that order the offline copy
 * after the daily set.
 *
 * The restore test's minute is random but stable: a hash of environment and domain picks the
 * weekday and the minute, so the tests of the environments sharing a backup site spread over
 * the week, and two domains of one environment start at least 90 minutes apart.
 *
 * Pure: no clock, no randomness, no I/O.
 */
import type { RenderedFile } from '../types.ts';

/** Time zone of the calendar events: French civil time (the catalog's batch schedules use the same). */
export const BACKUP_TIME_ZONE = 'Europe/Paris';

/**
 * The series the scheduled jobs (and the runtime: `hdsctl restore-test`, the lab) write to the node
 * exporter's textfile directory, and the `hds-backup` alerts read. Value: the Unix time (seconds)
 * of the last success. One file per series (backupMetricFile), replaced atomically: two writers of
 * the same series write the same file, never two files (the exporter refuses duplicate series).
 * verify is per repository (both repositories of a stanza are verified, on different cadences).
 */
export const BACKUP_METRICS = {
  backup: {
    name: 'hds_backup_last_success_timestamp_seconds',
    labels: ['stanza', 'type', 'repo'],
    help: 'Unix time of the last successful pgBackRest backup of a stanza, by backup type and repository.',
  },
  verify: {
    name: 'hds_backup_verify_last_success_timestamp_seconds',
    labels: ['stanza', 'repo'],
    help: 'Unix time of the last successful pgbackrest verify of a stanza in a repository.',
  },
  restoreTest: {
    name: 'hds_restore_test_last_success_timestamp_seconds',
    labels: ['stanza'],
    help: 'Unix time of the last successful restore test of a stanza (hdsctl restore-test).',
  },
} as const;

export type BackupMetricKind = keyof typeof BACKUP_METRICS;
export type BackupRepo = 'repo1' | 'repo2';
export type BackupType = 'full' | 'diff' | 'incr';

export interface BackupMetricLabels {
  backup: { stanza: string; type: BackupType; repo: BackupRepo };
  verify: { stanza: string; repo: BackupRepo };
  restoreTest: { stanza: string };
}

const STANZA_RE = /^[a-z][a-z0-9_-]{0,62}$/;

function labelValues<K extends BackupMetricKind>(kind: K, labels: BackupMetricLabels[K]): string[] {
  if (!STANZA_RE.test(labels.stanza)) throw new Error(`backup metric: invalid stanza name ${JSON.stringify(labels.stanza)}`);
  return BACKUP_METRICS[kind].labels.map((l) => {
    const v = (labels as Record<string, string | undefined>)[l];
    if (v === undefined || !/^[a-z0-9_-]+$/.test(v)) throw new Error(`backup metric ${kind}: label ${l} missing or invalid`);
    return v;
  });
}

/** The file of one series in the textfile directory, e.g. `hds_backup_documents_full_repo1.prom`. */
export function backupMetricFile<K extends BackupMetricKind>(kind: K, labels: BackupMetricLabels[K]): string {
  const v = labelValues(kind, labels);
  const stem = kind === 'backup' ? 'hds_backup' : kind === 'verify' ? 'hds_backup_verify' : 'hds_restore_test';
  return `${[stem, ...v].join('_')}.prom`;
}

/** The content of that file: HELP, TYPE and the one sample (the recorder script writes the same bytes). */
export function renderBackupMetric<K extends BackupMetricKind>(kind: K, labels: BackupMetricLabels[K], unixSeconds: number): string {
  if (!Number.isInteger(unixSeconds) || unixSeconds < 0) throw new Error(`backup metric: timestamp must be whole seconds, got ${unixSeconds}`);
  const m = BACKUP_METRICS[kind];
  const v = labelValues(kind, labels);
  const sample = m.labels.map((l, i) => `${l}="${v[i]}"`).join(',');
  return `# HELP ${m.name} ${m.help}\n# TYPE ${m.name} gauge\n${m.name}{${sample}} ${unixSeconds}\n`;
}

export type BackupJobKind = 'full' | 'diff' | 'incr' | 'verify' | 'offline-full' | 'offline-diff' | 'offline-verify' | 'restore-test';

/** One scheduled job: a oneshot service and its timer. */
export interface BackupJob {
  /** Unit name without suffix, e.g. `hds-pgbackrest-documents-full`. */
  unit: string;
  stanza: string;
  kind: BackupJobKind;
  /** systemd calendar events (time zone included); several mean any of them. */
  onCalendar: string[];
  description: string;
  /** The service's command (argv). */
  command: string[];
  user: 'postgres' | 'root';
  /** What the service records on success. */
  record: { [K in BackupMetricKind]: { kind: K; labels: BackupMetricLabels[K] } }[BackupMetricKind];
}

export interface BackupScheduleInput {
  /** Environment name: seeds the restore tests' slots. */
  environment: string;
  /** The stanzas (business domains), in model order: stanza i is staggered by i steps. */
  stanzas: string[];
  /** The policy's offline copy: repo2 exists and gets its own jobs. */
  offlineCopy: boolean;
  /** The repository host's pgBackRest config. */
  configPath: string;
  /** Directory of the per-stanza flock files (production /run/lock). */
  lockDir: string;
  /**
   * Mount points the pgBackRest jobs need (`RequiresMountsFor=`): the repository's encrypted data
   * volume, so a job never writes a backup onto the system disk when it is not mounted.
   * @default none
   */
  requiresMountsFor?: string[];
  /** pgBackRest's binary. @default /usr/bin/pgbackrest */
  pgbackrest?: string;
  /** flock's binary. @default /usr/bin/flock */
  flock?: string;
  /** The restore test's command without the domain: `--domain <d> --random` is appended. @default ['/usr/local/bin/hdsctl', 'restore-test'] */
  restoreTest?: string[];
}

/** Hour of the daily set (repo1) and of the offline copy. */
const DAILY_HOUR = 1;
/** Incremental sets every 4 hours from the daily set (header: why 4). */
const INCR_EVERY_HOURS = 4;
const VERIFY_HOUR = 7;
const OFFLINE_VERIFY = { day: 'Sat', hour: 3 } as const;
/** The offline copy starts this many minutes after the daily set (which holds the stanza's lock by then). */
export const OFFLINE_AFTER_MINUTES = 5;
/** Daily starts of the stanzas spread over this many minutes, at most STAGGER_MAX apart. */
const STAGGER_WINDOW_MINUTES = 50;
const STAGGER_MAX_MINUTES = 10;
/** The restore tests start on a weekday between these hours: a failure is read the day it happens. */
const RESTORE_TEST_WINDOW = { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], fromHour: 9, toHour: 16 } as const;
/** Two restore tests of one environment never start closer than this. */
export const RESTORE_TEST_SPACING_MINUTES = 90;

const hhmm = (h: number, m: number) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00`;
const at = (days: string, time: string) => `${days} ${time} ${BACKUP_TIME_ZONE}`;

/** Minutes after the hour at which stanza `index` of `count` starts its daily jobs. */
export function staggerMinutes(index: number, count: number): number {
  const step = Math.max(1, Math.min(STAGGER_MAX_MINUTES, Math.floor(STAGGER_WINDOW_MINUTES / Math.max(1, count))));
  return (index * step) % STAGGER_WINDOW_MINUTES;
}

/** FNV-1a (32 bits) of a string's UTF-16 code units: the stable "random" of the restore tests. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The weekly slot of each stanza's restore test: weekday and start time, from a hash of
 * `<environment>/<stanza>`; a stanza whose slot is closer than RESTORE_TEST_SPACING_MINUTES to an
 * earlier stanza's of the same environment moves later until it is not.
 */
export function restoreTestSlots(environment: string, stanzas: readonly string[]): Map<string, { day: string; hour: number; minute: number }> {
  const perDay = (RESTORE_TEST_WINDOW.toHour - RESTORE_TEST_WINDOW.fromHour) * 60;
  const week = RESTORE_TEST_WINDOW.days.length * perDay;
  if (stanzas.length > Math.floor(week / RESTORE_TEST_SPACING_MINUTES))
    throw new Error(`restore tests: ${stanzas.length} stanzas do not fit a week ${RESTORE_TEST_SPACING_MINUTES} minutes apart`);
  const taken: number[] = [];
  const out = new Map<string, { day: string; hour: number; minute: number }>();
  const near = (s: number) => taken.some((x) => Math.min(Math.abs(x - s), week - Math.abs(x - s)) < RESTORE_TEST_SPACING_MINUTES);
  for (const stanza of stanzas) {
    let slot = fnv1a(`${environment}/${stanza}`) % week;
    // Moves later minute by minute until free; the count check above guarantees a free slot exists.
    for (let tries = 0; near(slot) && tries < week; tries++) slot = (slot + 1) % week;
    taken.push(slot);
    const inDay = slot % perDay;
    out.set(stanza, {
      day: RESTORE_TEST_WINDOW.days[Math.floor(slot / perDay)]!,
      hour: RESTORE_TEST_WINDOW.fromHour + Math.floor(inDay / 60),
      minute: inDay % 60,
    });
  }
  return out;
}

function validate(i: BackupScheduleInput): void {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(i.environment)) throw new Error(`backup schedule: invalid environment name ${JSON.stringify(i.environment)}`);
  for (const s of i.stanzas) if (!STANZA_RE.test(s)) throw new Error(`backup schedule: invalid stanza name ${JSON.stringify(s)}`);
  if (new Set(i.stanzas).size !== i.stanzas.length) throw new Error('backup schedule: a stanza is listed twice');
  for (const p of [i.configPath, i.lockDir, i.pgbackrest, i.flock, i.restoreTest?.[0], ...(i.requiresMountsFor ?? [])])
    if (p !== undefined && (!p.startsWith('/') || /[\s%$"'\\]/.test(p)))
      throw new Error(`backup schedule: path must be absolute, without spaces, quotes, % or $: ${p}`);
}

/** Every scheduled job of every stanza (table in the header), stanza by stanza. */
export function backupSchedule(input: BackupScheduleInput): BackupJob[] {
  validate(input);
  const pgbackrest = input.pgbackrest ?? '/usr/bin/pgbackrest';
  const flock = input.flock ?? '/usr/bin/flock';
  const restoreTest = input.restoreTest ?? ['/usr/local/bin/hdsctl', 'restore-test'];
  const slots = restoreTestSlots(input.environment, input.stanzas);
  const jobs: BackupJob[] = [];
  input.stanzas.forEach((stanza, i) => {
    const m = staggerMinutes(i, input.stanzas.length);
    const daily = hhmm(DAILY_HOUR, m);
    const offline = hhmm(DAILY_HOUR, m + OFFLINE_AFTER_MINUTES);
    const base = [pgbackrest, `--config=${input.configPath}`, `--stanza=${stanza}`];
    const locked = (argv: string[]) => [flock, `${input.lockDir}/hds-pgbackrest-${stanza}.lock`, ...argv];
    const backup = (kind: BackupJobKind, repo: BackupRepo, type: BackupType, onCalendar: string[], what: string): BackupJob => ({
      unit: `hds-pgbackrest-${stanza}-${kind}`,
      stanza,
      kind,
      onCalendar,
      description: `pgBackRest ${what} of stanza ${stanza} (${repo})`,
      command: locked([...base, `--repo=${repo.slice(4)}`, `--type=${type}`, 'backup']),
      user: 'postgres',
      record: { kind: 'backup', labels: { stanza, type, repo } },
    });
    const verify = (kind: BackupJobKind, repo: BackupRepo, onCalendar: string[]): BackupJob => ({
      unit: `hds-pgbackrest-${stanza}-${kind}`,
      stanza,
      kind,
      onCalendar,
      description: `pgbackrest verify of stanza ${stanza} (${repo})`,
      command: [...base, `--repo=${repo.slice(4)}`, 'verify'],
      user: 'postgres',
      record: { kind: 'verify', labels: { stanza, repo } },
    });
    const incrHours = Array.from({ length: 24 / INCR_EVERY_HOURS - 1 }, (_, k) => String(DAILY_HOUR + (k + 1) * INCR_EVERY_HOURS).padStart(2, '0'));
    jobs.push(
      backup('full', 'repo1', 'full', [at('Sun *-*-*', daily)], 'full backup'),
      backup('diff', 'repo1', 'diff', [at('Mon..Sat *-*-*', daily)], 'differential backup'),
      backup('incr', 'repo1', 'incr', [at('*-*-*', `${incrHours.join(',')}:${daily.slice(3)}`)], 'incremental backup'),
      verify('verify', 'repo1', [at('*-*-*', hhmm(VERIFY_HOUR, m))]),
    );
    if (input.offlineCopy)
      jobs.push(
        backup('offline-full', 'repo2', 'full', [at('Sun *-*-01..07', offline)], 'full backup to the offline copy'),
        backup('offline-diff', 'repo2', 'diff', [at('Mon..Sat *-*-*', offline), at('Sun *-*-08..31', offline)], 'differential backup to the offline copy'),
        verify('offline-verify', 'repo2', [at(`${OFFLINE_VERIFY.day} *-*-*`, hhmm(OFFLINE_VERIFY.hour, m))]),
      );
    const slot = slots.get(stanza)!;
    jobs.push({
      unit: `hds-restore-test-${stanza}`,
      stanza,
      kind: 'restore-test',
      onCalendar: [at(`${slot.day} *-*-*`, hhmm(slot.hour, slot.minute))],
      description: `random restore test of stanza ${stanza}`,
      command: [...restoreTest, '--domain', stanza, '--random'],
      user: 'root',
      record: { kind: 'restoreTest', labels: { stanza } },
    });
  });
  return jobs;
}

export interface BackupUnitsInput extends BackupScheduleInput {
  /** Where the recorder script is installed (its unit lines call it by this path). */
  recordScript: string;
  /** The node exporter's textfile directory the recorder writes to. */
  textfileDir: string;
}

/** Random delay of every timer, seconds: under OFFLINE_AFTER_MINUTES minus the timers' 1-minute accuracy. */
export const TIMER_RANDOM_DELAY_SECONDS = 60;

/** Paths of the rendered files, relative: `systemd/<unit>.service|.timer` and the recorder script. */
export const SCHEDULE_FILES = { unitDir: 'systemd', recordScript: 'hds-backup-record' } as const;

const HEADER = '# Managed by hds-platform (modules/services/backup/schedule.ts, docs/backup.md), do not edit.';

function recordFile(r: BackupJob['record']): string {
  switch (r.kind) {
    case 'backup':
      return backupMetricFile('backup', r.labels);
    case 'verify':
      return backupMetricFile('verify', r.labels);
    case 'restoreTest':
      return backupMetricFile('restoreTest', r.labels);
    default: {
      const never: never = r;
      return never;
    }
  }
}

function recordArgs(job: BackupJob): string[] {
  const m = BACKUP_METRICS[job.record.kind];
  const labels = job.record.labels as Record<string, string>;
  return [m.name, recordFile(job.record), ...m.labels.map((l) => `${l}=${labels[l]}`)];
}

function renderService(job: BackupJob, i: BackupUnitsInput): string {
  const lines = [
    HEADER,
    '[Unit]',
    `Description=hds-platform: ${job.description}`,
    'Wants=network-online.target',
    'After=network-online.target',
    ...(job.user === 'postgres' ? (i.requiresMountsFor ?? []).map((m) => `RequiresMountsFor=${m}`) : []),
    '',
    '[Service]',
    'Type=oneshot',
    `User=${job.user}`,
    `Group=${job.user}`,
    `ExecStart=${job.command.join(' ')}`,
    '# Execution evidence (EXG_PRA_2), on success only: the time, in the node exporter textfile directory (root writes there).',
    `ExecStartPost=+${[i.recordScript, ...recordArgs(job)].join(' ')}`,
    ...(job.user === 'postgres' ? ['Nice=10', 'IOSchedulingClass=best-effort', 'IOSchedulingPriority=7'] : []),
    '',
  ];
  return lines.join('\n');
}

function renderTimer(job: BackupJob): string {
  return [
    HEADER,
    '[Unit]',
    `Description=hds-platform: when to run ${job.unit}.service`,
    '',
    '[Timer]',
    ...job.onCalendar.map((c) => `OnCalendar=${c}`),
    'Persistent=true',
    `RandomizedDelaySec=${TIMER_RANDOM_DELAY_SECONDS}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

/**
 * The recorder: `hds-backup-record <metric> <file> <label>=<value>...` writes renderBackupMetric's
 * bytes with the current time into `<textfileDir>/<file>`, through a temporary file the textfile
 * collector ignores (not `.prom`) and a rename, so the exporter never reads half a file.
 */
function renderRecordScript(i: BackupUnitsInput): string {
  if (!i.textfileDir.startsWith('/') || /[\s'"\\$`]/.test(i.textfileDir)) throw new Error(`backup schedule: invalid textfile directory ${i.textfileDir}`);
  const cases = Object.values(BACKUP_METRICS).map((m) => `  ${m.name}) help='${m.help}' ;;`);
  return `#!/bin/sh
${HEADER}
# Records a scheduled backup job's success for the hds-backup alerts (node exporter textfile collector).
# usage: hds-backup-record <metric> <file.prom> <label>=<value>...
set -eu
dir='${i.textfileDir}'
metric=$1
file=$2
shift 2
case "$metric" in
${cases.join('\n')}
  *) echo "hds-backup-record: unknown metric $metric" >&2; exit 2 ;;
esac
case "$file" in
  */* | .* | *[!a-z0-9_.-]* | '') echo "hds-backup-record: invalid file name $file" >&2; exit 2 ;;
esac
labels=''
for kv in "$@"; do
  case "$kv" in
    *[!a-z0-9_=-]* | [!a-z]* | *=*=* | *=) echo "hds-backup-record: invalid label $kv" >&2; exit 2 ;;
    *=*) labels="$labels\${labels:+,}\${kv%%=*}=\\"\${kv#*=}\\"" ;;
    *) echo "hds-backup-record: invalid label $kv" >&2; exit 2 ;;
  esac
done
tmp="$dir/.$file.$$"
printf '# HELP %s %s\\n# TYPE %s gauge\\n%s{%s} %s\\n' "$metric" "$help" "$metric" "$metric" "$labels" "$(date +%s)" > "$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$dir/$file"
`;
}

/** The timers and services of every job, and the recorder script they call. */
export function renderBackupUnits(input: BackupUnitsInput): RenderedFile[] {
  if (!input.recordScript.startsWith('/') || /[\s%$"'\\]/.test(input.recordScript))
    throw new Error(`backup schedule: invalid recorder path ${input.recordScript}`);
  const files: RenderedFile[] = [];
  for (const job of backupSchedule(input)) {
    files.push({ path: `${SCHEDULE_FILES.unitDir}/${job.unit}.service`, content: renderService(job, input), mode: 0o644 });
    files.push({ path: `${SCHEDULE_FILES.unitDir}/${job.unit}.timer`, content: renderTimer(job), mode: 0o644 });
  }
  files.push({ path: SCHEDULE_FILES.recordScript, content: renderRecordScript(input), mode: 0o755 });
  return files;
}
