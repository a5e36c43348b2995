/**
 * The PV (procès-verbal) of a PRA/PCA drill: rendered from the `DrillRun` JSON (the source of
 * truth) as stable JSON, Markdown and a self-contained HTML page, French by default; written as
 * pv.json, pv.md and pv.html all or nothing (modules/loader/safeOutput.ts).
 */
import type { Lang } from '../../../policies/types.ts';
import { type OutputTarget, writeFileSet } from '../../loader/safeOutput.ts';
import type { DrillRun } from '../types.ts';
import { toHtml } from './html.ts';
import { stableJson } from './json.ts';
import { toMarkdown } from './markdown.ts';

export { chartSvg } from './chart.ts';
export { toHtml } from './html.ts';
export { jsonSha256, stableJson } from './json.ts';
export { toMarkdown } from './markdown.ts';

export const PV_FILES = { json: 'pv.json', md: 'pv.md', html: 'pv.html' } as const;

export interface RenderedPv {
  json: string;
  md: string;
  html: string;
}

export function renderPv(run: DrillRun, lang: Lang = 'fr'): RenderedPv {
  return { json: stableJson(run), md: toMarkdown(run, lang), html: toHtml(run, lang) };
}

/** Writes pv.json, pv.md and pv.html into `dir`, all or nothing; returns the paths written. */
export function writePv(dir: string, run: DrillRun, lang: Lang = 'fr', target: OutputTarget = { command: 'drill' }): string[] {
  const pv = renderPv(run, lang);
  return writeFileSet(
    dir,
    [
      { name: PV_FILES.json, content: pv.json },
      { name: PV_FILES.md, content: pv.md },
      { name: PV_FILES.html, content: pv.html },
    ],
    target,
  );
}
