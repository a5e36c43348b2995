/**
 * The PV (procès-verbal) of a restore test (EXG_PRA_3): rendered from the `RestoreTestRun` JSON
 * (the source of truth) as stable JSON, Markdown and a self-contained HTML page, French by default
 * (`--lang en` for English); written as pv.json, pv.md and pv.html all or nothing
 * (modules/reports/pv/write.ts), like the drill PV.
 */
import type { Lang } from '../../../policies/types.ts';
import type { OutputTarget } from '../../loader/safeOutput.ts';
import { stableJson } from '../../reports/pv/json.ts';
import { type RenderedPv, writePvFiles } from '../../reports/pv/write.ts';
import type { RestoreTestRun } from '../types.ts';
import { toHtml } from './html.ts';
import { toMarkdown } from './markdown.ts';

export { jsonSha256, stableJson } from '../../reports/pv/json.ts';
export { PV_FILES, type RenderedPv } from '../../reports/pv/write.ts';
export { effectiveVerdict, replayCommand } from './common.ts';
export { toHtml } from './html.ts';
export { toMarkdown } from './markdown.ts';

export function renderRestorePv(run: RestoreTestRun, lang: Lang = 'fr'): RenderedPv {
  return { json: stableJson(run), md: toMarkdown(run, lang), html: toHtml(run, lang) };
}

/** Writes pv.json, pv.md and pv.html into `dir`, all or nothing; returns the paths written. */
export function writeRestorePv(dir: string, run: RestoreTestRun, lang: Lang = 'fr', target: OutputTarget = { command: 'restore-test' }): string[] {
  return writePvFiles(dir, renderRestorePv(run, lang), target);
}
