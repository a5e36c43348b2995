/**
 * The PV as one self-contained HTML page (inline CSS and SVG; no script, no font, no link, no
 * image; a Content-Security-Policy that forbids any load), ready to print and sign: identification,
 * targets and verdict, the chart, each fault (spec, figures, timeline), the ledger check, log
 * excerpts, evidence, REX and the validation block. Every value from the run is escaped.
 */
import type { Lang } from '../../../policies/types.ts';
import { escHtml as esc } from '../../reports/pv/escape.ts';
import { arr, colon, duration, int, percent, seconds } from '../../reports/pv/format.ts';
import { evidenceHtml, htmlPage, kvHtml as kv, PV_CSS, rexHtml, validationHtml } from '../../reports/pv/html.ts';
import type { DrillRun } from '../types.ts';
import { chartSvg } from './chart.ts';
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

  parts.push(evidenceHtml(run.evidence, lang), rexHtml(run.rex, lang), validationHtml(validation(run, lang), lang));

  return htmlPage(run, {
    lang,
    title: L('title', lang),
    about: [run.title],
    facts: [run.environment],
    gloss: L('glossary', lang),
    css: PV_CSS,
    sections: parts,
  });
}
