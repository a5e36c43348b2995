/**
 * The HTML every PV shares: the page (inline CSS; no script, no font, no link, no image; a
 * Content-Security-Policy that forbids any load), its header and footer (the SHA-256 of pv.json),
 * key-value tables, the evidence table, the REX and the validation block with a box to sign per
 * signatory. Every value from the run is escaped here.
 */
import type { Lang } from '../../../policies/types.ts';
import { escHtml as esc } from './escape.ts';
import { arr, colon, int } from './format.ts';
import { jsonSha256 } from './json.ts';
import { pvLabel as L, PV_DECISIONS } from './labels.ts';
import type { PvEvidenceFile, PvRun, PvValidation, Row } from './types.ts';

/** The stylesheet of every PV (a PV may append its own rules). */
export const PV_CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#12325b;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}header p{margin:0;opacity:.9}header .gloss{margin-top:6px;font-size:12px;opacity:.8}
main{padding:18px 28px;max-width:1320px}section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:14px 18px;margin:0 0 16px}
h2{font-size:17px;margin:0 0 10px;color:#12325b}h3{font-size:14px;margin:14px 0 6px;color:#12325b}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e6e9ee;padding:5px 7px;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}table.kv th{width:34%}
code.h{word-break:normal;white-space:nowrap}
code,pre{font:12px ui-monospace,Menlo,Consolas,monospace}code{background:#f0f2f5;padding:1px 4px;border-radius:3px;word-break:break-all}
pre{background:#f7f8fa;border:1px solid #e6e9ee;border-radius:4px;padding:8px 10px;margin:4px 0 10px;white-space:pre-wrap;word-break:break-all}
.verdict{display:inline-block;padding:6px 12px;border-radius:6px;font-weight:700}.small{padding:1px 8px;font-size:12px;vertical-align:middle}
.ok{background:#dff3e4;color:#175c2c}.ko{background:#fbe0e0;color:#8a1414}.st-pass{color:#1e7e34}.st-fail{color:#b00020;font-weight:600}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:14px}.chart svg{display:block;width:100%;max-width:1300px;height:auto}
.rex{white-space:pre-wrap}.todo{color:#8a6d00;font-style:italic}
.signs{display:grid;grid-template-columns:repeat(3,1fr);gap:14px}.sign{border:1px solid #c9ced6;border-radius:6px;padding:10px 12px}
.sign h3{margin:0 0 8px}.sign p{margin:0 0 10px}.line{display:inline-block;min-width:60%;border-bottom:1px solid #555;height:1.1em}
.sign .box{border:1px dashed #999;height:90px;border-radius:4px;margin-top:4px}small{color:#666}footer{padding:0 28px 18px;color:#666;font-size:12px}
@media print{body{background:#fff}header{background:#fff;color:#000;border-bottom:2px solid #12325b}main{max-width:none}section{break-inside:avoid;border-color:#bbb}}
`;

export function kvHtml(rows: Row[]): string {
  return `<table class="kv">${rows.map((r) => `<tr><th>${esc(r.label)}</th><td>${esc(r.value)}</td></tr>`).join('')}</table>`;
}

/** The evidence section: one row per file (path, content, bytes, SHA-256), or a line saying there is none. */
export function evidenceHtml(evidence: PvEvidenceFile[] | undefined, lang: Lang): string {
  const files = arr(evidence);
  return `<section id="evidence"><h2>${esc(L('evidence', lang))}</h2>${
    files.length
      ? `<table><tr><th>${esc(L('file', lang))}</th><th>${esc(L('content', lang))}</th><th class="n">${esc(L('bytes', lang))}</th><th>SHA-256</th></tr>${files.map((e) => `<tr><td><code>${esc(e?.path)}</code></td><td>${esc(e?.what)}</td><td class="n">${esc(int(e?.bytes))}</td><td><code class="h">${esc(e?.sha256)}</code></td></tr>`).join('')}</table>`
      : `<p>${esc(L('noEvidence', lang))}</p>`
  }</section>`;
}

/** The REX section: the operator's text as written, or what is left to complete. */
export function rexHtml(rex: unknown, lang: Lang): string {
  const text = typeof rex === 'string' ? rex.trim() : '';
  return `<section id="rex"><h2>${esc(L('rex', lang))}</h2>${text ? `<div class="rex">${esc(text)}</div>` : `<p class="todo">${esc(L('rexTodo', lang))}</p>`}</section>`;
}

/** The validation block: decision boxes (the decided one ticked), reserves, one box to sign per signatory. */
export function validationHtml(v: PvValidation, lang: Lang): string {
  const c = colon(lang);
  const reserves = typeof v.reserves === 'string' ? v.reserves.trim() : '';
  const field = (name: string, value: string | undefined) => `<p>${esc(name)}${c}${value ? `<b>${esc(value)}</b>` : '<span class="line"></span>'}</p>`;
  const boxes = PV_DECISIONS.map((k) => `${v.decision === k ? '☒' : '☐'} ${esc(L(k, lang))}`).join(' &nbsp; ');
  const signs = v.signatories
    .map(
      (s) =>
        `<div class="sign"><h3>${esc(s.role)}</h3>${field(L('name', lang), s.name)}${field(L('position', lang), s.position)}${field(L('date', lang), s.date)}<p>${esc(L('readApproved', lang))}${c.trimEnd()}</p><div class="box"></div></div>`,
    )
    .join('');
  return `<section id="validation"><h2>${esc(L('validation', lang))}</h2><p>${esc(L('decision', lang))}${c}${boxes}</p>${
    reserves ? `<p><b>${esc(L('reserves', lang))}</b>${c}${esc(reserves)}</p>` : ''
  }<div class="signs">${signs}</div></section>`;
}

export interface PvPage {
  lang: Lang;
  /** The PV's title: the page's `<title>` is `title — run id`. */
  title: string;
  /** What the PV is about, after the title in the heading (`title — about — …`). */
  about: unknown[];
  /** Facts for the line under the heading, between the run id and its period. */
  facts: unknown[];
  /** The glossary line (none when empty). */
  gloss: string;
  css: string;
  /** The sections, HTML. */
  sections: string[];
}

/** The whole page: header (title, run id, facts, period, operator, glossary), the sections, the SHA-256 of `run`'s JSON. */
export function htmlPage(run: PvRun, p: PvPage): string {
  const line = [
    esc(run.id),
    ...p.facts.map(esc),
    `${esc(run.startedAt)} → ${esc(run.endedAt)}`,
    `${esc(L('operator', p.lang))}${colon(p.lang)}${esc(run.operator)}`,
  ];
  return `<!DOCTYPE html>
<html lang="${p.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(p.title)} — ${esc(run.id)}</title><style>${p.css}</style></head>
<body><header><h1>${[p.title, ...p.about].map(esc).join(' — ')}</h1><p>${line.join(' · ')}</p>${p.gloss ? `<p class="gloss">${esc(p.gloss)}</p>` : ''}</header>
<main>${p.sections.join('\n')}</main>
<footer>${esc(L('renderedFrom', p.lang))} <code>${jsonSha256(run)}</code></footer></body></html>
`;
}
