/**
 * The PV (procès-verbal) of a PRA/PCA drill: rendered from the `DrillRun` JSON (the source of
 * truth) as stable JSON, Markdown and a self-contained HTML page, French by default; written as
 * pv.json, pv.md and pv.html all or nothing (modules/reports/pv/write.ts).
 */
import type { Lang } from '../../../policies/types.ts';
import type { OutputTarget } from '../../loader/safeOutput.ts';
import { stableJson } from '../../reports/pv/json.ts';
import { type RenderedPv, writePvFiles } from '../../reports/pv/write.ts';
import type { DrillRun } from '../types.ts';
import { toHtml } from './html.ts';
import { toMarkdown } from './markdown.ts';

export { jsonSha256, stableJson } from '../../reports/pv/json.ts';
export { PV_FILES, type RenderedPv } from '../../reports/pv/write.ts';
export { chartSvg } from './chart.ts';
export { toHtml } from './html.ts';
export { toMarkdown } from './markdown.ts';

export function renderPv(run: DrillRun, lang: Lang = 'fr'): RenderedPv {
  return { json: stableJson(run), md: toMarkdown(run, lang), html: toHtml(run, lang) };
}

/** Writes pv.json, pv.md and pv.html into `dir`, all or nothing; returns the paths written. */
export function writePv(dir: string, run: DrillRun, lang: Lang = 'fr', target: OutputTarget = { command: 'drill' }): string[] {
  return writePvFiles(dir, renderPv(run, lang), target);
}
