/**
 * The reversibility documents people sign: the dry-run report (rapport de tir à blanc, EXG_REV_9,
 * EXG_REV_11) and the destruction certificate (EXG_REV_7, EXG_REV_18, DUI-C3d-7). Each is rendered
 * from its JSON (the source of truth) as stable JSON, Markdown and a self-contained HTML page,
 * French by default (`--lang en` for English), and written as pv.json, pv.md and pv.html all or
 * nothing (modules/reports/pv/write.ts), like the drill and restore-test PVs: one run directory
 * per document.
 */
import type { Lang } from '../../../policies/types.ts';
import type { OutputTarget } from '../../loader/safeOutput.ts';
import { stableJson } from '../../reports/pv/json.ts';
import { type RenderedPv, writePvFiles } from '../../reports/pv/write.ts';
import { destructionHtml, dryRunHtml } from './html.ts';
import { destructionMarkdown, dryRunMarkdown } from './markdown.ts';
import type { DestructionCertificate, ReversibilityDryRun } from './types.ts';

export { jsonSha256, stableJson } from '../../reports/pv/json.ts';
export { PV_FILES, type RenderedPv } from '../../reports/pv/write.ts';
export { destructionHtml, dryRunHtml } from './html.ts';
export { destructionMarkdown, dryRunMarkdown } from './markdown.ts';
export {
  destructionSignedPayload,
  destructionSignedSha256,
  SIGNATURE_FAILURES,
  type SignatureCheck,
  type SignatureFailure,
  verifyDestructionSignature,
} from './signature.ts';
export * from './types.ts';
export { decommissionDelay, destructionFindings, destructionVerdict, dryRunFindings, dryRunVerdict, signatureCheck } from './view.ts';

export function renderDryRun(run: ReversibilityDryRun, lang: Lang = 'fr'): RenderedPv {
  return { json: stableJson(run), md: dryRunMarkdown(run, lang), html: dryRunHtml(run, lang) };
}

export function renderDestruction(cert: DestructionCertificate, lang: Lang = 'fr'): RenderedPv {
  return { json: stableJson(cert), md: destructionMarkdown(cert, lang), html: destructionHtml(cert, lang) };
}

/** Writes the dry-run report as pv.json, pv.md and pv.html into `dir`, all or nothing; returns the paths written. */
export function writeDryRunPv(dir: string, run: ReversibilityDryRun, lang: Lang = 'fr', target: OutputTarget = { command: 'reversibility dry-run' }): string[] {
  return writePvFiles(dir, renderDryRun(run, lang), target);
}

/** Writes the destruction certificate as pv.json, pv.md and pv.html into `dir`, all or nothing; returns the paths written. */
export function writeDestructionPv(
  dir: string,
  cert: DestructionCertificate,
  lang: Lang = 'fr',
  target: OutputTarget = { command: 'reversibility destroy' },
): string[] {
  return writePvFiles(dir, renderDestruction(cert, lang), target);
}
