/**
 * The Markdown blocks every PV prints the same way: key-value lists, the evidence table, the REX
 * and the validation block (decision boxes, reserves, signatories, the SHA-256 of pv.json). Each
 * block returns its lines, ending with a blank one; every value from the run is escaped here.
 */
import type { Lang } from '../../../policies/types.ts';
import { mdCode, mdLine, mdText as t } from './escape.ts';
import { arr, colon, int } from './format.ts';
import { jsonSha256 } from './json.ts';
import { pvLabel as L, PV_DECISIONS } from './labels.ts';
import type { PvEvidenceFile, PvValidation, Row } from './types.ts';

/** `- **label** : value` lines. */
export function kvMd(rows: Row[], lang: Lang): string {
  return rows.map((r) => `- **${t(r.label)}**${colon(lang)}${t(r.value)}`).join('\n');
}

/** The evidence section: one row per file (path, content, bytes, SHA-256), or a line saying there is none. */
export function evidenceMd(evidence: PvEvidenceFile[] | undefined, lang: Lang): string[] {
  const files = arr(evidence);
  return [
    `## ${t(L('evidence', lang))}`,
    '',
    ...(files.length
      ? [
          `| ${t(L('file', lang))} | ${t(L('content', lang))} | ${t(L('bytes', lang))} | SHA-256 |`,
          '| --- | --- | ---: | --- |',
          ...files.map((e) => `| ${mdCode(e?.path)} | ${t(e?.what)} | ${int(e?.bytes)} | ${mdCode(e?.sha256)} |`),
        ]
      : [t(L('noEvidence', lang))]),
    '',
  ];
}

/** The REX section: the operator's text line by line (no line read as a block marker), or what is left to complete. */
export function rexMd(rex: unknown, lang: Lang): string[] {
  const text = typeof rex === 'string' ? rex.trim() : '';
  return [`## ${t(L('rex', lang))}`, '', ...(text ? text.split(/\r?\n/).map((l) => (l.trim() ? `${mdLine(l)}  ` : '')) : [`_${t(L('rexTodo', lang))}_`]), ''];
}

/** An undefined cell is a blank to fill in by hand; a string is what the run recorded. */
const cell = (v: string | undefined) => (v === undefined ? ' ' : ` ${t(v)} `);

/** The validation block, then the SHA-256 of the run's JSON (`run`: the whole run, as in pv.json). */
export function validationMd(v: PvValidation, run: object, lang: Lang): string[] {
  const c = colon(lang);
  const reserves = typeof v.reserves === 'string' ? v.reserves.trim() : '';
  return [
    `## ${t(L('validation', lang))}`,
    '',
    `${t(L('decision', lang))}${c.trimEnd()}`,
    '',
    ...PV_DECISIONS.map((k) => `- [${v.decision === k ? 'x' : ' '}] ${t(L(k, lang))}`),
    '',
    ...(reserves ? [`**${t(L('reserves', lang))}**${c}${t(reserves)}`, ''] : []),
    `| ${t(L('role', lang))} | ${t(L('name', lang))} | ${t(L('position', lang))} | ${t(L('date', lang))} | ${t(L('readApproved', lang))} |`,
    '| --- | --- | --- | --- | --- |',
    ...v.signatories.map((s) => `|${[s.role, s.name, s.position, s.date, undefined].map(cell).join('|')}|`),
    '',
    `<sub>${t(L('renderedFrom', lang))} ${mdCode(jsonSha256(run), false)}</sub>`,
    '',
  ];
}
