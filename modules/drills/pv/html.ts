/**
 * The PV as one self-contained HTML page (inline CSS and SVG; no script, no font, no link, no
 * image; a Content-Security-Policy that forbids any load), ready to print and sign: identification,
 * targets and verdict, the chart, each fault (spec, figures, timeline), the ledger check, log
 * excerpts, evidence, REX and the validation block. Every value from the run is escaped.
 */
import type { Lang } from '../../../policies/types.ts';
import type { DrillRun } from '../types.ts';
import { chartSvg } from './chart.ts';
import {
  arr,
  capped,
  dimaTotal,
  faultTitle,
  figureRows,
  identificationRows,
  type Row,
  specRows,
  targetRows,
  timelineRows,
  verdictShort,
  verdictText,
} from './common.ts';
import { escHtml as esc } from './escape.ts';
import { jsonSha256 } from './json.ts';
import { colon, duration, eventLabel, faultPrefix, int, label as L, more, percent, seconds } from './labels.ts';

const CSS = `
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

const kv = (rows: Row[]) => `<table class="kv">${rows.map((r) => `<tr><th>${esc(r.label)}</th><td>${esc(r.value)}</td></tr>`).join('')}</table>`;

const badge = (v: string, lang: Lang, small = false) =>
  `<span class="verdict ${v === 'pass' ? 'ok' : 'ko'}${small ? ' small' : ''}">${esc(small ? verdictShort(v, lang) : verdictText(v, lang))}</span>`;

const list = (items: string[] | undefined, lang: Lang, code = true) => {
  const { shown, rest } = capped(items);
  if (!shown.length) return `<p><small>${esc(L('none', lang))}</small></p>`;
  return `<p>${shown.map((s) => (code ? `<code>${esc(s)}</code>` : esc(s))).join(code ? ' ' : '<br>')}${rest ? ` <small>${esc(more(rest, lang))}</small>` : ''}</p>`;
};

export function toHtml(run: DrillRun, lang: Lang = 'fr'): string {
  const c = colon(lang);
  const faults = arr(run.faults);
  const parts: string[] = [];

  parts.push(`<section id="identification"><h2>${esc(L('identification', lang))}</h2>${kv(identificationRows(run, lang))}</section>`);

  const summary = `<table><tr><th>${esc(L('fault', lang))}</th><th class="n">${esc(L('rto', lang))}</th><th class="n">${esc(L('writeGap', lang))}</th><th class="n">${esc(L('rpoExposureShort', lang))}</th><th class="n">${esc(L('lost', lang))}</th><th class="n">${esc(L('dimaShareShort', lang))}</th><th>${esc(L('verdict', lang))}</th></tr>${faults
    .map(
      (f, i) =>
        `<tr><td>${i + 1}. ${esc(faultTitle(f, lang))}</td><td class="n">${esc(seconds(f?.rtoMs, lang))}</td><td class="n">${esc(seconds(f?.writeGapMs, lang))}</td><td class="n">${esc(seconds(f?.rpoExposureMs, lang))}</td><td class="n">${esc(int(f?.lost))}</td><td class="n">${esc(percent(f?.dimaShare, lang))}</td><td>${badge(f?.verdict, lang, true)}</td></tr>`,
    )
    .join(
      '',
    )}<tr><th>${esc(L('dimaTotal', lang))}</th><td></td><td></td><td></td><td></td><td class="n"><b>${esc(percent(dimaTotal(run), lang))}</b></td><td></td></tr></table>`;
  parts.push(
    `<section id="verdict"><h2>${esc(L('targets', lang))} · ${esc(L('overall', lang))}</h2><div class="grid2"><div>${kv(targetRows(run, lang))}</div><div><p>${badge(run.verdict, lang)}</p><p><small>${esc(L('dimaTarget', lang))}${c}${esc(duration(run.targets?.dimaMonthSeconds, lang))} · ${esc(L('environment', lang))}${c}${esc(run.environment)}</small></p></div></div><h3>${esc(L('summary', lang))}</h3>${summary}</section>`,
  );

  parts.push(
    `<section id="chart" class="chart"><h2>${esc(L('chart', lang))}</h2>${chartSvg(run, lang)}<p><small>${esc(L('chartCaption', lang))}</small></p></section>`,
  );

  faults.forEach((f, i) => {
    const rows = timelineRows(f, lang);
    const reasons = arr(f?.reasons);
    parts.push(
      `<section class="fault" id="fault-${i + 1}"><h2>${esc(L('fault', lang))} ${i + 1} / ${faults.length}${c}${esc(faultTitle(f, lang))} ${badge(f?.verdict, lang, true)}</h2>
<div class="grid2"><div><h3>${esc(L('spec', lang))}</h3>${kv(specRows(f, lang))}</div><div><h3>${esc(L('figures', lang))}</h3>${kv(figureRows(f, run, lang))}</div></div>
<h3>${esc(L('reasons', lang))}</h3>${reasons.length ? `<ul>${reasons.map((r) => `<li class="st-fail">${esc(r)}</li>`).join('')}</ul>` : `<p class="st-pass">${esc(L('noReason', lang))}</p>`}
<h3>${esc(L('timeline', lang))}</h3>${rows.length ? `<table><tr><th>${esc(L('event', lang))}</th><th class="n">${esc(L('sinceInjection', lang))}</th><th>${esc(L('detail', lang))}</th></tr>${rows.map((r) => `<tr><td>${esc(r.event)}</td><td class="n">${esc(r.t)}</td><td>${esc(r.detail)}</td></tr>`).join('')}</table>` : `<p>${esc(L('noEvent', lang))}</p>`}</section>`,
    );
  });

  const ck = run.checker;
  parts.push(
    `<section id="checker"><h2>${esc(L('checker', lang))} ${badge(ck?.verdict, lang, true)}</h2><table><tr><th class="n">${esc(L('acknowledged', lang))}</th><th class="n">${esc(L('failed', lang))}</th><th class="n">${esc(L('unknown', lang))}</th><th class="n">${esc(L('unknownPresent', lang))}</th><th class="n">${esc(L('lost', lang))}</th></tr><tr><td class="n">${esc(int(ck?.acknowledged))}</td><td class="n">${esc(int(ck?.failed))}</td><td class="n">${esc(int(ck?.unknown))}</td><td class="n">${esc(int(ck?.unknownPresent))}</td><td class="n">${arr(ck?.lost).length}</td></tr></table>
<h3>${esc(L('lostIds', lang))} (${arr(ck?.lost).length})</h3>${list(ck?.lost, lang)}
<h3>${esc(L('missingOnStandby', lang))} (${arr(ck?.missingOnStandby).length})</h3>${list(ck?.missingOnStandby, lang)}
<h3>${esc(L('splitBrain', lang))} (${arr(ck?.splitBrain).length})</h3>${list(ck?.splitBrain, lang, false)}${
      ck?.contents
        ? `<h3>${esc(L('contentsBad', lang))} (${arr(ck.contents.bad).length})</h3><p>${esc(L('contentsChecked', lang).replace('{n}', int(ck.contents.checked)))}</p>${list(ck.contents.bad, lang, false)}`
        : ''
    }</section>`,
  );

  const excerpts = arr(run.excerpts);
  parts.push(
    `<section id="logs"><h2>${esc(L('logs', lang))}</h2>${
      excerpts.length
        ? excerpts
            .map(
              (x) =>
                `<h3>${esc(faultPrefix(x?.fault, lang))}${esc(eventLabel(x?.event, lang))} — <code>${esc(x?.source)}</code></h3><pre>${arr(x?.lines).map(esc).join('\n')}</pre>`,
            )
            .join('')
        : `<p>${esc(L('noLog', lang))}</p>`
    }</section>`,
  );

  const evidence = arr(run.evidence);
  parts.push(
    `<section id="evidence"><h2>${esc(L('evidence', lang))}</h2>${
      evidence.length
        ? `<table><tr><th>${esc(L('file', lang))}</th><th>${esc(L('content', lang))}</th><th class="n">${esc(L('bytes', lang))}</th><th>SHA-256</th></tr>${evidence.map((e) => `<tr><td><code>${esc(e?.path)}</code></td><td>${esc(e?.what)}</td><td class="n">${esc(int(e?.bytes))}</td><td><code class="h">${esc(e?.sha256)}</code></td></tr>`).join('')}</table>`
        : `<p>${esc(L('noEvidence', lang))}</p>`
    }</section>`,
  );

  const rex = typeof run.rex === 'string' ? run.rex.trim() : '';
  parts.push(
    `<section id="rex"><h2>${esc(L('rex', lang))}</h2>${rex ? `<div class="rex">${esc(rex)}</div>` : `<p class="todo">${esc(L('rexTodo', lang))}</p>`}</section>`,
  );

  const sign = (role: string, name = '') =>
    `<div class="sign"><h3>${esc(role)}</h3><p>${esc(L('name', lang))}${c}${name ? `<b>${esc(name)}</b>` : '<span class="line"></span>'}</p><p>${esc(L('position', lang))}${c}<span class="line"></span></p><p>${esc(L('date', lang))}${c}<span class="line"></span></p><p>${esc(L('readApproved', lang))}${c.trimEnd()}</p><div class="box"></div></div>`;
  parts.push(
    `<section id="validation"><h2>${esc(L('validation', lang))}</h2><p>${esc(L('decision', lang))}${c}☐ ${esc(L('validated', lang))} &nbsp; ☐ ${esc(L('validatedWithReserves', lang))} &nbsp; ☐ ${esc(L('notValidated', lang))}</p><div class="signs">${sign(L('roleOperator', lang), run.operator)}${sign(L('roleOwner', lang))}${sign(L('roleAuditor', lang))}</div></section>`,
  );

  const gloss = L('glossary', lang);
  return `<!DOCTYPE html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(L('title', lang))} — ${esc(run.id)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(L('title', lang))} — ${esc(run.title)}</h1><p>${esc(run.id)} · ${esc(run.environment)} · ${esc(run.startedAt)} → ${esc(run.endedAt)} · ${esc(L('operator', lang))}${c}${esc(run.operator)}</p>${gloss ? `<p class="gloss">${esc(gloss)}</p>` : ''}</header>
<main>${parts.join('\n')}</main>
<footer>${esc(L('renderedFrom', lang))} <code>${jsonSha256(run)}</code></footer></body></html>
`;
}
