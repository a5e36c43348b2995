/**
 * The shapes of a restore test (EXG_PRA_3: regular, random restore tests with traces and a PV; the
 * restored copy lives in a site secured like production) of the backups EXG_PRA_2 asks for, and of
 * the point-in-time choice an environment refresh reuses (EXG_DIS_4.2 refresh to a given date,
 * EXG_EVO_36 reference database copies restored on acceptance environments).
 *
 * A run picks a pgBackRest backup set and a target time inside the restore window (modules/restore/
 * plan.ts, pure), restores it into an isolated site, starts PostgreSQL there, checks the copy, then
 * destroys it. The JSON of a `RestoreTestRun` is the source of truth of the PV (procès-verbal, the
 * signed validation record); Markdown and HTML are rendered from it (modules/restore/pv/).
 */
import type { EvidenceFile } from '../drills/types.ts';

export type { EvidenceFile };

/** pgBackRest's backup types (`--type`), as `info --output=json` reports them. */
export const BACKUP_SET_TYPES = ['full', 'diff', 'incr'] as const;
export type BackupSetType = (typeof BACKUP_SET_TYPES)[number];

/** One backup set of a stanza, from `pgbackrest info --output=json` (see `parseBackupInfo`). */
export interface BackupSet {
  /** e.g. `20261129-010002F`, `20261130-010001F_20261130-050003I`. */
  label: string;
  type: BackupSetType;
  /** `timestamp.start` / `timestamp.stop` (database clock, whole seconds) as ISO 8601 UTC. */
  startedAt: string;
  stoppedAt: string;
  /** `info.size`: size of the database (the data directory the restore writes), bytes. */
  sizeBytes: number;
  /**
   * `info.repository.size`: what the set takes in the repository (compressed, encrypted), bytes.
   * Absent when pgBackRest reports a block-incremental size map instead.
   */
  repoSizeBytes?: number;
  /** `database.repo-key`: the repository holding the set (1: DC3 repository, 2: the offline copy). */
  repo: 1 | 2;
  /** `prior`: the set a differential or incremental set depends on. */
  prior?: string;
  /** `archive.start` / `archive.stop`: the WAL segments the set needs to be consistent (null when pgBackRest did not check the archive). */
  walStart?: string;
  walStop?: string;
  /** `error`: pgBackRest found page checksum errors while taking the set. */
  pageErrors?: boolean;
}

/** The interval a point-in-time recovery can reach, ISO 8601 UTC. */
export interface RestoreWindow {
  from: string;
  to: string;
}

/** How the backup set and target time were chosen (`hdsctl restore-test --at TIME | --random [--seed S]`, default latest). */
export type ChoiceMode = 'at' | 'random' | 'latest';

export interface RestoreChoice {
  mode: ChoiceMode;
  /** `--random`: the seed the choice derives from; the same seed, backup list and window give the same choice. */
  seed?: string;
  /** `--at`: the time the operator asked for, as given. */
  requestedAt?: string;
  backupSet: BackupSet;
  /** The recovery target (`recovery_target_time`, inclusive), ISO 8601 UTC with milliseconds. */
  targetTime: string;
  window: RestoreWindow;
  /** How many backup sets the choice was made among. */
  candidates?: number;
  /** The time given or drawn, before the choice moved to a restore mark (modules/restore/marks.ts). */
  drawnTime?: string;
  /** The restore mark recovered to: its instant is `targetTime` (microseconds in the mark itself). */
  mark?: string;
}

/** The phases of a restore test, in order; a runtime may add its own (printed as named). */
export const RESTORE_PHASES = ['choose', 'restore', 'start', 'checks', 'destroy'] as const;
export type RestorePhaseName = (typeof RESTORE_PHASES)[number];

export interface RestorePhase {
  name: RestorePhaseName | (string & {});
  startedAt: string;
  durationMs: number;
  /** Optional one-line detail (e.g. `pgbackrest restore --set … --type=time`). */
  detail?: string;
}

/** The restore rate: the restored data directory over the `restore` phase. */
export interface RestoreRate {
  /** Size of the restored data directory, bytes. */
  bytes: number;
  /** Duration of the restore proper (pgBackRest restore, without the WAL replay at start), ms. */
  durationMs: number;
  bytesPerSecond: number;
  /** The physical limit measured in the same run (a plain copy of the source data directory), when measured. */
  baselineBytesPerSecond?: number;
}

/** The checks every restore test runs (EXG_PRA_3); a runtime may add its own with a `title`. */
export const RESTORE_CHECK_IDS = [
  'physical.checksums',
  'physical.amcheck',
  'logical.ledger-before',
  'logical.ledger-after',
  'logical.table-hashes',
  'service.document-read',
] as const;
export type RestoreCheckId = (typeof RESTORE_CHECK_IDS)[number];

/** The checks that must pass for the test to pass; the others may be skipped with a reason (never failed). */
export const REQUIRED_CHECKS: readonly RestoreCheckId[] = [
  'physical.checksums',
  'physical.amcheck',
  'logical.ledger-before',
  'logical.ledger-after',
  'logical.table-hashes',
];

export type CheckVerdict = 'pass' | 'fail' | 'skipped';

export interface RestoreCheck {
  id: RestoreCheckId | (string & {});
  /** Title of a check the PV has no label for (a known id uses the PV's labels). */
  title?: { fr: string; en: string };
  verdict: CheckVerdict;
  /** What was checked and found, one line (counts, first differences); no data values. */
  detail: string;
  /** Path of the evidence file (relative to the run directory) that holds the full result. */
  evidence?: string;
}

/** What was destroyed after the checks, and when (the restored copy must not outlive the test). */
export interface DestructionRecord {
  at: string;
  /** e.g. the data directory, the network namespace, the encryption key of the restore site. */
  what: string[];
}

/** How the restore site is secured like production (EXG_PRA_3). */
export interface RestoreIsolation {
  /** The network namespace of the restore site. */
  netns: string;
  /** No route out of the restore site. */
  route: 'none';
  /** PostgreSQL of the restore site accepts TLS connections only. */
  tls: boolean;
  /** How the restored data directory is encrypted at rest (e.g. `LUKS2 aes-xts-plain64 256-bit, key from the HSM`). */
  encryptedAtRest: string;
  /** Who can reach it (e.g. `operator only: unix socket 0700, pg_hba local peer`). */
  access: string;
}

export type ValidationDecision = 'validated' | 'validatedWithReserves' | 'notValidated';

export interface Signatory {
  role: 'operator' | 'owner' | 'auditor';
  name?: string;
  position?: string;
  date?: string;
}

/**
 * The validation block of the PV, as the drill PV prints it (decision boxes; role, name, position,
 * date, « Lu et approuvé » and a blank signature box per signatory). Blank until filled in; the
 * operator's name comes from the run.
 */
export interface ValidationBlock {
  decision?: ValidationDecision;
  reserves?: string;
  signatories?: Signatory[];
}

export interface RestoreTestRun {
  /** e.g. `2026-11-30T02-17-00Z-restore-documents`. */
  id: string;
  environment: string;
  /** The PostgreSQL domain (pgBackRest stanza) restored. */
  domain: string;
  /** The operator (USER or --operator). */
  operator: string;
  startedAt: string;
  endedAt: string;
  choice: RestoreChoice;
  phases: RestorePhase[];
  rate: RestoreRate;
  checks: RestoreCheck[];
  /** Absent when the copy was not destroyed (the test then fails). */
  destroyed?: DestructionRecord;
  isolation: RestoreIsolation;
  evidence: EvidenceFile[];
  /** The verdict the runtime recorded (`restoreTestVerdict`); the PV shows a failure whenever a check failed. */
  verdict: 'pass' | 'fail';
  validation?: ValidationBlock;
  /** Free text the operator completes (lessons learned, retour d'expérience). */
  rex: string;
}
