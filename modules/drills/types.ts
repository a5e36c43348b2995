/**
 * The shapes of a PRA/PCA drill (EXG_PCA_2, EXG_PCA_7, EXG_PRA_4): a run injects one or more
 * faults into the running lab while a bounded workload writes through the real paths, records
 * every operation in a ledger, builds a timeline per fault and checks the ledger. The JSON of a
 * `DrillRun` is the source of truth of the PV (procès-verbal, the signed validation record);
 * Markdown and HTML are rendered from it (modules/drills/pv/).
 */

/** The fault kinds `hdsctl drill` injects and heals for real. */
export const FAULT_KINDS = [
  'site-loss',
  'partition',
  'postmaster-crash',
  'patroni-crash',
  'etcd-loss',
  'dc3-loss',
  'waf-loss',
  'hsm-loss',
  'switchover',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  kind: FaultKind;
  /** The site the fault hits (site-loss, etcd-loss, waf-loss); for crashes and switchover: the current leader's. */
  site?: string;
  /** Seconds between injection and healing. */
  holdSeconds: number;
  /** A combined fault: injected as soon as the previous fault is healed, before the cluster is whole again. */
  whileHealing?: boolean;
}

/** Where an operation went: through a DC's WAF to the API, or SQL through a DC's HAProxy. */
export type OpPath = 'api' | 'sql';

/** One operation of the workload, as the ledger records it. */
export interface LedgerEntry {
  /** Unique id the operation wrote (document title or SQL key). */
  id: string;
  /** Writer, e.g. `api-DC1`, `sql-DC2`. */
  writer: string;
  path: OpPath;
  site: string;
  /** ms since the run's epoch (DrillRun.startedAt). */
  start: number;
  end: number;
  /** ok: acknowledged; failed: refused (the write surely did not happen); unknown: timeout / connection lost after sending. */
  outcome: 'ok' | 'failed' | 'unknown';
  /** SQL writes: the server that acknowledged (address) and its timeline. */
  server?: string;
  timeline?: number;
  /** A short error (no request value: ids only). */
  error?: string;
  /** API writes: SHA-256 of the document content sent (the checker reads it back after the drill). */
  contentSha256?: string;
}

/** Every kind of timeline event, in the order they usually happen (the PV labels each). */
export const TIMELINE_EVENT_KINDS = [
  'injected',
  'detected',
  'leader-lost',
  'promoted',
  'proxy-switched',
  'first-write-after',
  'sync-standby-lost',
  'healed',
  'site-back',
  'sync-standby-back',
  'failback',
  'failback-write-after',
] as const;
export type TimelineEventKind = (typeof TIMELINE_EVENT_KINDS)[number];

export interface TimelineEvent {
  kind: TimelineEventKind;
  /** ms since the run's epoch. */
  at: number;
  detail: string;
}

export interface FaultResult {
  spec: FaultSpec;
  /** The site actually hit (resolved, e.g. the leader's site for a crash). */
  site?: string;
  events: TimelineEvent[];
  /** ms from injection to the first acknowledged write through a surviving site's WAF (the RTO); undefined when writes never stopped. */
  rtoMs?: number;
  /** Switchover: ms from the failback's start to the first acknowledged write through the WAF after it (a second interruption). */
  failbackRtoMs?: number;
  /** ms from injection to the first acknowledged write through any path after the first failure. */
  writeGapMs?: number;
  /** ms during which the leader ran without a synchronous standby (RPO exposure). */
  rpoExposureMs: number;
  /** Acknowledged writes lost (must be 0). */
  lost: number;
  /** Unavailability set against the month's DIMA budget: (rtoMs + failbackRtoMs) / budget. */
  dimaShare: number;
  /** Verdict against the targets: RTO bound, 0 lost, back to leader + sync standby. */
  verdict: 'pass' | 'fail';
  reasons: string[];
}

export interface CheckerResult {
  acknowledged: number;
  failed: number;
  unknown: number;
  /** Acknowledged and absent from the final leader. */
  lost: string[];
  /** Acknowledged and absent from the synchronous standby once healed. */
  missingOnStandby: string[];
  /** Unknown operations that did happen after all. */
  unknownPresent: number;
  /** Evidence of two leaders accepting writes at once (server switch back and forth). */
  splitBrain: string[];
  /**
   * Acknowledged API documents read back through the WAFs after the drill (their contents live in
   * the object store, their metadata in PostgreSQL): how many, and those missing or altered.
   * Absent in runs recorded before the object store was checked.
   */
  contents?: { checked: number; bad: string[] };
  verdict: 'pass' | 'fail';
}

/** One point per second and path for the chart: throughput and latency. */
export interface SeriesPoint {
  /** Second since the epoch of the run. */
  t: number;
  path: OpPath;
  ok: number;
  failed: number;
  unknown: number;
  /** Median and max latency of the acknowledged operations of that second, ms. */
  p50Ms?: number;
  maxMs?: number;
}

export interface EvidenceFile {
  /** Path relative to the run directory. */
  path: string;
  sha256: string;
  bytes: number;
  what: string;
}

export interface LogExcerpt {
  /** 1-based index of the fault in the run. */
  fault: number;
  event: TimelineEventKind;
  /** Process log the lines come from, e.g. `patroni-lab-dc1-pg-documents-01`. */
  source: string;
  lines: string[];
}

export interface DrillRun {
  /** e.g. `2026-11-30T07-30-00Z-site-loss-dc1`. */
  id: string;
  kind: 'single' | 'campaign';
  /** Campaign name, or the fault kind. */
  title: string;
  environment: string;
  /** The operator (USER or --operator). */
  operator: string;
  startedAt: string;
  endedAt: string;
  /** The targets the verdicts use. */
  targets: { rtoSeconds: number; lostWrites: 0; dimaMonthSeconds: number };
  /** Workload: rate per writer (ops/s), writers. */
  workload: { ratePerWriter: number; writers: string[] };
  faults: FaultResult[];
  checker: CheckerResult;
  series: SeriesPoint[];
  excerpts: LogExcerpt[];
  evidence: EvidenceFile[];
  verdict: 'pass' | 'fail';
  /** Free text the operator completes (lessons learned, retour d'expérience). */
  rex: string;
}
