/**
 * Writing the reports: the whole set of formats all or nothing (staged next to the output
 * directory, then renamed into place; see modules/loader/safeOutput.ts).
 */
import type { Lang } from '../../policies/types.ts';
import { checkFileSet, type OutputTarget, writeFileSet } from '../loader/safeOutput.ts';
import { toHtml } from './html.ts';
import { toJunit } from './junit.ts';
import { toMarkdown } from './markdown.ts';
import type { PolicyReport } from './report.ts';
import { toSarif } from './sarif.ts';

export const FORMATS = ['json', 'sarif', 'junit', 'md', 'html'] as const;
export type Format = (typeof FORMATS)[number];

export const FILE_NAMES: Record<Format, string> = {
  json: 'policy-report.json',
  sarif: 'policy-report.sarif',
  junit: 'policy-report.junit.xml',
  md: 'policy-report.md',
  html: 'policy-report.html',
};

export function render(report: PolicyReport, format: Format, lang: Lang): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'sarif':
      return `${JSON.stringify(toSarif(report, lang), null, 2)}\n`;
    case 'junit':
      return toJunit(report, lang);
    case 'md':
      return toMarkdown(report, lang);
    case 'html':
      return toHtml(report, lang);
  }
}

/** Refuses, before any work, an output directory the reports cannot be written to (one-line OutputError). */
export function checkReportsOutput(outDir: string, formats: Format[], target: OutputTarget = { command: 'policy' }): void {
  checkFileSet(
    outDir,
    formats.map((f) => FILE_NAMES[f]),
    target,
  );
}

/** Writes every format, all or nothing; returns the paths written. */
export function writeReports(report: PolicyReport, formats: Format[], outDir: string, lang: Lang, target: OutputTarget = { command: 'policy' }): string[] {
  return writeFileSet(
    outDir,
    formats.map((f) => ({ name: FILE_NAMES[f], content: render(report, f, lang) })),
    target,
  );
}
