/** What the shared PV blocks (markdown.ts, html.ts) take: raw values from the run, escaped by the block. */
import type { PvDecision } from './labels.ts';

/** One line of a key-value table: a label and its value, both raw text. */
export interface Row {
  label: string;
  value: string;
}

/** A file of the run directory the PV names as evidence (drills and restore tests record the same). */
export interface PvEvidenceFile {
  /** Path relative to the run directory. */
  path: string;
  what: string;
  bytes: number;
  sha256: string;
}

/**
 * One signatory of the validation block. A field left `undefined` is a blank to fill in by hand
 * (Markdown `| |`); a string, even empty, is what the run recorded (Markdown `| x |`). Both print
 * the same in HTML: the value in bold, or a line to write on.
 */
export interface PvSignatory {
  /** The role as printed (already a label). */
  role: string;
  name?: string;
  position?: string;
  date?: string;
}

export interface PvValidation {
  /** The box ticked; none when the PV is still to be signed. */
  decision?: PvDecision;
  /** Free text printed under the boxes when not blank. */
  reserves?: unknown;
  signatories: PvSignatory[];
}

/** What the page header of every PV shows; the whole run is passed, its SHA-256 is printed. */
export interface PvRun {
  id: string;
  startedAt: string;
  endedAt: string;
  operator: string;
}
