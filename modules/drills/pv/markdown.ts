/**
 * The PV as Markdown (merge requests, archives): the same content as the HTML, with a short table
 * of per-fault figures in place of the chart. Every value from the run is escaped (HTML entities,
 * Markdown punctuation, table pipes); log lines go in fenced blocks, literal.
 */
import type { Lang } from '../../../policies/types.ts';
import { mdCode, mdFence, mdText as t } from '../../reports/pv/escape.ts';
import { arr, colon, int, percent, seconds } from '../../reports/pv/format.ts';
import { evidenceMd, kvMd as kv, rexMd, validationMd } from '../../reports/pv/markdown.ts';
import type { DrillRun } from '../types.ts';
import {
  capped,
  dimaTotal,
  faultTitle,
  figureRows,
  identificationRows,
  specRows,
  targetRows,
  timelineRows,
  validation,
  verdictShort,
  verdictText,
} from './common.ts';
import { eventLabel, faultPrefix, label as L, more } from './labels.ts';

const icon = (v: string) => (v === 'pass' ? '✅' : '❌');

function list(items: string[] | undefined, lang: Lang, code: boolean): string[] {
  const { shown, rest } = capped(items);
  if (!shown.length) return [`_${t(L('none', lang))}_`];
  const lines = shown.map((s) => `- ${code ? mdCode(s, false) : t(s)}`);
  if (rest) lines.push(`- ${t(more(rest, lang))}`);
  return lines;
}

export function toMarkdown(run: DrillRun, lang: Lang = 'fr'): string {
  const c = colon(lang);
  const faults = arr(run.faults);
  const out: string[] = [];
  out.push(`# ${t(L('title', lang))} — ${t(run.title)}`, '');
  const gloss = L('glossary', lang);
  if (gloss) out.push(`_${t(gloss)}_`, '');
  out.push(`**${t(L('overall', lang))}**${c}${icon(run.verdict)} **${t(verdictText(run.verdict, lang))}**`, '');

  out.push(`## ${t(L('identification', lang))}`, '', kv(identificationRows(run, lang), lang), '');

  out.push(
    `## ${t(L('targets', lang))}`,
    '',
    `| ${t(L('target', lang))} | |`,
    '| --- | --- |',
    ...targetRows(run, lang).map((r) => `| ${t(r.label)} | ${t(r.value)} |`),
    '',
  );

  out.push(
    `## ${t(L('summary', lang))}`,
    '',
    `| ${t(L('fault', lang))} | ${t(L('rto', lang))} | ${t(L('writeGap', lang))} | ${t(L('rpoExposureShort', lang))} | ${t(L('lost', lang))} | ${t(L('dimaShareShort', lang))} | ${t(L('verdict', lang))} |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...faults.map(
      (f, i) =>
        `| ${i + 1}. ${t(faultTitle(f, lang))} | ${t(seconds(f?.rtoMs, lang))} | ${t(seconds(f?.writeGapMs, lang))} | ${t(seconds(f?.rpoExposureMs, lang))} | ${t(int(f?.lost))} | ${t(percent(f?.dimaShare, lang))} | ${icon(f?.verdict)} ${t(verdictShort(f?.verdict, lang))} |`,
    ),
    `| **${t(L('dimaTotal', lang))}** | | | | | **${t(percent(dimaTotal(run), lang))}** | |`,
    '',
    `> ${t(L('chartNote', lang))}`,
    '',
  );

  faults.forEach((f, i) => {
    out.push(
      `## ${t(L('fault', lang))} ${i + 1} / ${faults.length}${c}${t(faultTitle(f, lang))} — ${icon(f?.verdict)} ${t(verdictShort(f?.verdict, lang))}`,
      '',
    );
    out.push(`### ${t(L('spec', lang))}`, '', kv(specRows(f, lang), lang), '');
    out.push(`### ${t(L('figures', lang))}`, '', kv(figureRows(f, run, lang), lang), '');
    const reasons = arr(f?.reasons);
    out.push(`### ${t(L('reasons', lang))}`, '', ...(reasons.length ? reasons.map((r) => `- ${t(r)}`) : [t(L('noReason', lang))]), '');
    const rows = timelineRows(f, lang);
    out.push(`### ${t(L('timeline', lang))}`, '');
    if (rows.length)
      out.push(
        `| ${t(L('event', lang))} | ${t(L('sinceInjection', lang))} | ${t(L('detail', lang))} |`,
        '| --- | ---: | --- |',
        ...rows.map((r) => `| ${t(r.event)} | ${t(r.t)} | ${t(r.detail)} |`),
      );
    else out.push(t(L('noEvent', lang)));
    out.push('');
  });

  const ck = run.checker;
  out.push(
    `## ${t(L('checker', lang))} — ${icon(ck?.verdict)} ${t(verdictShort(ck?.verdict, lang))}`,
    '',
    `| ${t(L('acknowledged', lang))} | ${t(L('failed', lang))} | ${t(L('unknown', lang))} | ${t(L('unknownPresent', lang))} | ${t(L('lost', lang))} |`,
    '| ---: | ---: | ---: | ---: | ---: |',
    `| ${int(ck?.acknowledged)} | ${int(ck?.failed)} | ${int(ck?.unknown)} | ${int(ck?.unknownPresent)} | ${arr(ck?.lost).length} |`,
    '',
    `### ${t(L('lostIds', lang))} (${arr(ck?.lost).length})`,
    '',
    ...list(ck?.lost, lang, true),
    '',
    `### ${t(L('missingOnStandby', lang))} (${arr(ck?.missingOnStandby).length})`,
    '',
    ...list(ck?.missingOnStandby, lang, true),
    '',
    `### ${t(L('splitBrain', lang))} (${arr(ck?.splitBrain).length})`,
    '',
    ...list(ck?.splitBrain, lang, false),
    ...(ck?.contents
      ? [
          '',
          `### ${t(L('contentsBad', lang))} (${arr(ck.contents.bad).length})`,
          '',
          t(L('contentsChecked', lang).replace('{n}', int(ck.contents.checked))),
          '',
          ...list(ck.contents.bad, lang, false),
        ]
      : []),
    '',
  );

  out.push(`## ${t(L('logs', lang))}`, '');
  const excerpts = arr(run.excerpts);
  if (!excerpts.length) out.push(t(L('noLog', lang)), '');
  for (const x of excerpts)
    out.push(`### ${t(faultPrefix(x?.fault, lang))}${t(eventLabel(x?.event, lang))} — ${mdCode(x?.source, false)}`, '', ...mdFence(arr(x?.lines)), '');

  out.push(...evidenceMd(run.evidence, lang), ...rexMd(run.rex, lang), ...validationMd(validation(run, lang), run, lang));
  return out.join('\n');
}
