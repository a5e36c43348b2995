/**
 * The two reversibility documents people sign (docs/reversibility.md), each a JSON source of truth
 * rendered as Markdown and a self-contained HTML page (modules/reversibility/pv/):
 *
 * - `ReversibilityDryRun`, the dry-run report (rapport de tir à blanc, EXG_REV_9; the yearly blank
 *   switchover, EXG_REV_11): export → bootstrap into an isolated copy → verify → teardown, with
 *   durations, volumes, differences (none to pass), the source's availability during the export
 *   (EXG_REV_1), the export rate against pg_dump, evidence, what is not included, REX, validation.
 * - `DestructionCertificate`, the destruction certificate (EXG_REV_7, EXG_REV_18, DUI-C3d-7):
 *   crypto-shredding (HSM domain keys destroyed), then databases, backup repositories, buckets,
 *   data directories and state; the proofs (no key object left on any token, every listing empty,
 *   previously readable documents now undecryptable), signed with the HSM key.
 *
 * Every field is what the runtime recorded: the PV never recomputes a measure, but it never shows
 * "passed" when the record itself shows a failure (view.ts: dryRunFindings, destructionFindings).
 */
import type { PvDecision } from '../../reports/pv/labels.ts';
import type { PvEvidenceFile } from '../../reports/pv/types.ts';
import type { ExportManifest } from '../types.ts';

/** What the runtime recorded as the outcome; the PV shows `failed` whenever a finding says so. */
export type ReversibilityVerdict = 'passed' | 'failed';

/** Who signs the validation block of both documents, in print order. */
export const REVERSIBILITY_ROLES = ['operator', 'owner', 'auditor', 'controller'] as const;

/**
 * - `operator`: who ran the command (the run's operator when no name is given);
 * - `owner`: the platform owner (the hosting provider's side);
 * - `auditor`: auditor / CISO (RSSI), witness;
 * - `controller`: the data controller (responsable de traitement) or the health authority's
 *   representative: the formal agreement DUI-C3d-7 asks for, the report EXG_REV_9 hands over.
 */
export type ReversibilityRole = (typeof REVERSIBILITY_ROLES)[number];

/** One signatory; a field left out is a blank to fill in by hand. */
export interface ReversibilitySignatory {
  role: ReversibilityRole;
  name?: string;
  position?: string;
  date?: string;
}

/** The validation block, blank until filled in (decision boxes, reserves, one box per signatory). */
export interface ReversibilityValidation {
  decision?: PvDecision;
  reserves?: string;
  /** The recorded signatories; the four roles are always printed, blank when not recorded. */
  signatures?: ReversibilitySignatory[];
}

/** Something the export or the destruction does not cover, and why (said plainly, never skipped silently). */
export type NotIncluded = ExportManifest['notIncluded'][number];

// ---------------------------------------------------------------------------------------------
// The dry run (tir à blanc)
// ---------------------------------------------------------------------------------------------

/** The phases a dry run may record, in order (each has a label). */
export const DRY_RUN_PHASES = ['export', 'bootstrap', 'verify', 'install', 'workspace', 'rebuild', 'load', 'documents', 'check', 'smoke', 'teardown'] as const;

/**
 * - `export`: hdsctl reversibility export, with the availability probes running;
 * - `bootstrap`: the export's bootstrap.sh as a whole (the taker's side), its steps below;
 * - `verify`: bootstrap.sh checks the manifest's signature and every file's SHA-256;
 * - `install`: the packages the kit needs;
 * - `workspace`: the toolkit checked out from the kit, the environment from the export;
 * - `rebuild`: the lab rebuilt from the kit and the exported configuration, in its own namespaces;
 * - `load`: the databases loaded from the export, row counts and content hashes checked;
 * - `documents`: the documents re-imported with the taker's keys into its own HSM token;
 * - `check`: row counts and content hashes against the manifest (when a step of its own);
 * - `smoke`: the smoke checks of the rebuilt platform;
 * - `teardown`: the copy destroyed.
 *
 * A step of a phase may be recorded as `parent: step` (`bootstrap: verify`, `export: data`).
 */
export type DryRunPhaseName = (typeof DRY_RUN_PHASES)[number];

/**
 * The phases every dry run must record as passed (as `name` or `parent: name`): without any of
 * them the rebuild is not proven. The others may be absent or `skipped`.
 */
export const REQUIRED_PHASES: readonly DryRunPhaseName[] = ['export', 'verify', 'rebuild', 'load', 'smoke', 'teardown'];

export type PhaseResult = 'passed' | 'failed' | 'skipped';

export interface DryRunPhase {
  /** A `DryRunPhaseName`; another name prints as recorded. */
  name: string;
  startedAt?: string;
  durationMs: number;
  result: PhaseResult;
  detail?: string;
}

/** The top-level parts of an export (modules/reversibility/types.ts, the layout). */
export const EXPORT_SECTIONS = ['data', 'documents', 'platform', 'inventory', 'kit'] as const;
export type ExportSection = (typeof EXPORT_SECTIONS)[number];

export interface SectionVolume {
  files?: number;
  bytes: number;
}

export interface DryRunVolumes {
  /** Every file of the export, the manifest and its signature included. */
  files: number;
  bytes: number;
  tables: number;
  rows: number;
  documents: number;
  /** Per section; a section absent from the record prints as '—'. */
  sections: Partial<Record<ExportSection, SectionVolume>>;
}

/** The kinds of difference bootstrap and the checks report; another kind prints as recorded. */
export const DIFFERENCE_KINDS = ['file-hash', 'file-missing', 'file-extra', 'signature', 'row-count', 'table-hash', 'document', 'smoke'] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

/** One difference between the source (the manifest) and the rebuilt copy; a plain string is printed as its detail. */
export type DryRunDifference = DryRunDifferenceDetail | string;

export interface DryRunDifferenceDetail {
  kind: string;
  /** The file (relative to the export), `domain/schema.table`, a document id or a smoke check. */
  where: string;
  expected?: string;
  found?: string;
  detail?: string;
}

/** The source's service during the export, measured by probes through the WAF (EXG_REV_1: no discontinuity). */
export interface SourceAvailability {
  /** What the probes asked, e.g. `GET /health and GET /documents/{id} through the WAF of DC1 and DC2`. */
  probe: string;
  /** Probe period. */
  intervalMs: number;
  from?: string;
  to?: string;
  requests: number;
  errors: number;
  /** Successful requests over requests, a fraction in [0, 1]. */
  availability: number;
  latencyMs: { p50: number; p95: number; max: number };
  /** The first errors seen, each `site status/message`. */
  firstErrors?: string[];
}

export interface Throughput {
  bytes: number;
  durationMs: number;
  bytesPerSecond: number;
}

/** The export's rate, and pg_dump's over the same databases in the same run when measured (goal: ≥ 0.8×). */
export interface ExportRate extends Throughput {
  pgDump?: Throughput;
}

/** Which export was dry-run. */
export interface ExportReference {
  /** SHA-256 of manifest.json (what SHA256SUMS.sig covers through SHA256SUMS). */
  manifestSha256: string;
  /** The toolkit's commit in the kit. */
  commit: string;
  snapshotAt: string;
  /** Subject of the certificate the documents are encrypted for (--recipient), when any. */
  recipient?: string;
}

/** One smoke check of the rebuilt platform. */
export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

/** The rebuilt copy: its network slot and namespaces, and its smoke checks. */
export interface RebuiltCopy {
  slot?: number;
  netns?: string[];
  smoke?: SmokeCheck[];
}

export interface ReversibilityDryRun {
  kind?: 'hds-platform-reversibility-dry-run';
  version?: 1;
  id: string;
  environment: string;
  operator: string;
  startedAt: string;
  endedAt: string;
  verdict: ReversibilityVerdict;
  export?: ExportReference;
  /** Where the copy was rebuilt and how it is isolated from the source (namespaces, no route). */
  isolation?: string;
  /** Null when bootstrap did not get as far as a rebuilt copy. */
  rebuilt?: RebuiltCopy | null;
  /** Whether the export directory was kept after the run (--keep-export). */
  exportKept?: boolean;
  phases: DryRunPhase[];
  volumes: DryRunVolumes;
  /** Must be empty to pass. */
  differences: DryRunDifference[];
  /** Null when not measured (the PV says so). */
  availability: SourceAvailability | null;
  rate?: ExportRate;
  evidence: PvEvidenceFile[];
  notIncluded: NotIncluded[];
  /** What the run did not try, and why (e.g. `packages not installed: --no-install`). */
  notDone?: string[];
  /** What the runtime noticed for the lessons learned (printed above the operator's REX). */
  lessons?: string[];
  /** Lessons learned (retour d'expérience), completed by the operator. */
  rex: string;
  validation?: ReversibilityValidation;
}

// ---------------------------------------------------------------------------------------------
// The destruction certificate
// ---------------------------------------------------------------------------------------------

export const DESTROYED_KINDS = ['hsm-key', 'database', 'backup-repository', 'bucket', 'data-directory', 'state'] as const;
export type DestroyedKind = (typeof DESTROYED_KINDS)[number];

/** `already-absent`: nothing left to destroy (a resumed destruction); anything else than these reads as a failure. */
export type DestroyedResult = 'destroyed' | 'already-absent' | 'failed';

export interface DestroyedItem {
  kind: DestroyedKind;
  /** Key label, database, stanza, bucket, directory... */
  name: string;
  site: string;
  /** How, e.g. `C_DestroyObject`, `DROP DATABASE`, `pgbackrest stanza-delete + rm -r`, `S3 DeleteObjects + DeleteBucket`, `wipe`. */
  method: string;
  at: string;
  result: DestroyedResult;
  detail?: string;
}

/** One HSM token searched after the destruction: every object label found on it. */
export interface TokenProof {
  token: string;
  site: string;
  /** Labels of every object found after; none of the destroyed keys may be among them. */
  labelsFound: string[];
  /** The domain keys the runtime found left on this token (must be none). */
  domainKeysLeft?: string[];
  /** The runtime's own judgment: `false` always shows as a failure. */
  ok?: boolean;
}

/**
 * A database, repository, bucket or directory looked up after the destruction: must be empty
 * (`entries` 0: no database of that name, no backup set, no object). A negative count is
 * "could not list" and shows as a failure.
 */
export interface ListingProof {
  kind: DestroyedKind;
  name: string;
  site: string;
  /** The command or request that listed it, e.g. `pgbackrest info --output=json`, `HeadBucket documents`. */
  command: string;
  entries: number;
  /** A few of the entries found, or what the listing answered. */
  sample?: string[];
  detail?: string;
  /** The runtime's own judgment: `false` always shows as a failure. */
  ok?: boolean;
}

/** A document readable before the destruction, tried again after: must not decrypt. */
export interface DocumentProof {
  domain: string;
  id: string;
  readableBefore: boolean;
  readableAfter: boolean;
  /** The error seen when decrypting after, e.g. `CKR_KEY_HANDLE_INVALID: no key labelled dek-documents`. */
  error: string;
  /** SHA-256 of the clear content read before. */
  contentSha256Before?: string;
  /** SHA-256 of the ciphertext kept to try again after. */
  ciphertextSha256?: string;
  /** HTTP status of the API's answer for the document after (anything but 200). */
  apiStatusAfter?: number;
  /** The runtime's own judgment: `false` always shows as a failure. */
  ok?: boolean;
}

export interface DestructionProofs {
  tokens: TokenProof[];
  listings: ListingProof[];
  documents: DocumentProof[];
}

/**
 * The detached signature of the certificate, made with the non-extractable HSM key (as the export's
 * manifest): over `destructionSignedPayload(cert)` (view.ts: the canonical JSON without
 * `signature`, `validation` and `rex`, which are filled in after signing).
 */
export interface CertificateSignature {
  /** e.g. `ECDSA-P256-SHA256`. */
  algorithm: string;
  /** SHA-256 of the signing certificate (DER). */
  certificateSha256: string;
  /** The signing certificate (PEM): when present, the PV checks the signature against it. */
  certificatePem?: string;
  /** SHA-256 of what was signed (`destructionSignedPayload`), as the signer computed it. */
  signedSha256?: string;
  /** The signature, base64. */
  sig: string;
}

/** What the destruction concludes; the PV shows `incomplete` whenever a finding says so. */
export type DestructionVerdict = 'destroyed' | 'incomplete';

export interface DestructionCertificate {
  kind?: 'hds-platform-destruction-certificate';
  version?: 1;
  id: string;
  environment: string;
  /** The environment's class (`production`, `recette`...): a production destruction needs a second, explicit flag. */
  environmentClass?: string;
  operator: string;
  /** Who asked for the destruction (the data controller, the health authority). */
  requestedBy?: string;
  /** The formal agreement (DUI-C3d-7): decision, letter or ticket reference; null when none was given (the PV says so). */
  approval: string | null;
  approvedAt?: string;
  /** When the taker took the service over; EXG_REV_18 gives two months from then. */
  takeoverAt?: string;
  startedAt: string;
  endedAt: string;
  verdict: DestructionVerdict;
  items: DestroyedItem[];
  proofs: DestructionProofs;
  /** What happens right after the signature and so cannot be in it (the lab's state directory wiped...). */
  afterSignature?: string;
  /** What this destruction does not reach, and why (offline media under a procedure, the export handed over...). */
  notCovered: NotIncluded[];
  evidence: PvEvidenceFile[];
  /** Null until the lead signs. */
  signature: CertificateSignature | null;
  rex: string;
  validation?: ReversibilityValidation;
}

// ---------------------------------------------------------------------------------------------
// Why a document shows as failed (view.ts)
// ---------------------------------------------------------------------------------------------

/** Why a dry run fails, whatever verdict the runtime recorded. */
export const DRY_RUN_FINDING_CODES = ['recorded-fail', 'differences', 'phase-failed', 'phase-missing', 'phase-skipped', 'smoke-failed'] as const;
export type DryRunFindingCode = (typeof DRY_RUN_FINDING_CODES)[number];

/** Why a destruction is not proven, whatever verdict the runtime recorded. */
export const DESTRUCTION_FINDING_CODES = [
  'recorded-fail',
  'item-failed',
  'no-key',
  'key-present',
  'no-token',
  'listing-not-empty',
  'listing-missing',
  'document-readable',
  'document-not-proven',
  'no-document',
  'signature-invalid',
] as const;
export type DestructionFindingCode = (typeof DESTRUCTION_FINDING_CODES)[number];

/** One reason, with the values its sentence names (`{phase}`, `{count}`, `{what}`, `{label}`, `{token}`, `{name}`, `{entries}`, `{id}`). */
export interface Finding<C extends string> {
  code: C;
  values?: Record<string, string>;
}
