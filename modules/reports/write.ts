/** Writing the reports: each file atomically (temp file, fsync, rename) into the output directory. */
import { join } from 'node:path';
import type { Lang } from '../../policies/types.ts';
import { writeFileAtomic } from '../loader/atomicWrite.ts';
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

export function writeReports(report: PolicyReport, formats: Format[], outDir: string, lang: Lang): string[] {
  return formats.map((f) => {
    const path = join(outDir, FILE_NAMES[f]);
    writeFileAtomic(path, render(report, f, lang));
    return path;
  });
}
