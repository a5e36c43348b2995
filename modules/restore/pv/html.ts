/**
 * The restore-test PV as one self-contained HTML page (every PV's page and stylesheet,
 * modules/reports/pv/html.ts: no script, no font, no link, no image; a Content-Security-Policy
 * that forbids any load), ready to print and sign: verdict and key figures, identification, the
 * choice and how to replay it, isolation, phases and restore rate, checks, destruction, evidence,
 * REX and the validation block. Every value from the run is escaped.
 */
import type { Lang } from '../../../policies/types.ts';
import { escHtml as esc } from '../../reports/pv/escape.ts';
import { colon } from '../../reports/pv/format.ts';
import { evidenceHtml, htmlPage, kvHtml as kv, PV_CSS, rexHtml, validationHtml } from '../../reports/pv/html.ts';
import type { RestoreTestRun } from '../types.ts';
import { restoreView, verdictText } from './common.ts';
import { label as L } from './labels.ts';

const CSS = `${PV_CSS}.st-skipped{color:#8a6d00}pre.cmd{white-space:pre;overflow-x:auto}.req{font-size:11px;color:#555}
section#verdict .verdict{font-size:18px}ul.findings{margin:8px 0 0;padding-left:20px}
`;

export function toHtml(run: RestoreTestRun, lang: Lang = 'fr'): string {
  const c = colon(lang);
  const v = restoreView(run, lang);
  const parts: string[] = [];

  parts.push(
    `<section id="verdict"><h2>${esc(L('overall', lang))}</h2><p><span class="verdict ${v.verdict === 'pass' ? 'ok' : 'ko'}" data-verdict="${v.verdict}">${esc(verdictText(v.verdict, lang))}</span></p>${
      v.findings.length
        ? `<h3>${esc(L('findings', lang))}</h3><ul class="findings">${v.findings.map((f) => `<li class="st-fail">${esc(f)}</li>`).join('')}</ul>`
        : `<p class="st-pass">${esc(L('noFinding', lang))}</p>`
    }<h3>${esc(L('keyFigures', lang))}</h3>${kv(v.keyFigures)}</section>`,
  );

  parts.push(`<section id="identification"><h2>${esc(L('identification', lang))}</h2>${kv(v.identification)}</section>`);

  parts.push(
    `<section id="choice"><h2>${esc(L('choice', lang))}</h2><div class="grid2"><div>${kv(v.choice)}</div><div><h3>${esc(L('backupSet', lang))}</h3>${kv(v.backupSet)}</div></div><h3>${esc(L('replay', lang))}</h3><pre class="cmd">${esc(v.replay.command)}</pre><p><small>${esc(v.replay.note)}</small></p></section>`,
  );

  parts.push(`<section id="isolation"><h2>${esc(L('isolation', lang))}</h2><p>${esc(L('isolationIntro', lang))}</p>${kv(v.isolation)}</section>`);

  parts.push(
    `<section id="phases"><h2>${esc(L('phases', lang))}</h2>${
      v.phases.length
        ? `<table><tr><th>${esc(L('phase', lang))}</th><th>${esc(L('start', lang))}</th><th class="n">${esc(L('phaseDuration', lang))}</th><th>${esc(L('detail', lang))}</th></tr>${v.phases
            .map((p) => `<tr><td>${esc(p.phase)}</td><td>${esc(p.start)}</td><td class="n">${esc(p.duration)}</td><td>${esc(p.detail)}</td></tr>`)
            .join('')}<tr><th>${esc(L('total', lang))}</th><td></td><td class="n"><b>${esc(v.phasesTotal)}</b></td><td></td></tr></table>`
        : `<p>${esc(L('noPhase', lang))}</p>`
    }<p><b>${esc(L('rate', lang))}</b>${esc(c)}${esc(v.rate)}</p></section>`,
  );

  parts.push(
    `<section id="checks"><h2>${esc(L('checks', lang))}</h2>${
      v.checks.length
        ? `<table><tr><th>${esc(L('check', lang))}</th><th>${esc(L('requirements', lang))}</th><th>${esc(L('verdict', lang))}</th><th>${esc(L('detail', lang))}</th><th>${esc(L('evidenceFile', lang))}</th></tr>${v.checks
            .map(
              (r) =>
                `<tr data-check="${esc(r.id)}" data-status="${r.status}"><td>${esc(r.title)}<br><code>${esc(r.id)}</code></td><td class="req">${esc(r.requirements)}</td><td class="st-${r.status}">${esc(r.verdict)}</td><td>${esc(r.detail)}</td><td>${r.evidence ? `<code>${esc(r.evidence)}</code>` : ''}</td></tr>`,
            )
            .join('')}</table>`
        : `<p class="st-fail">${esc(L('noCheck', lang))}</p>`
    }</section>`,
  );

  parts.push(
    `<section id="destruction"><h2>${esc(L('destruction', lang))}</h2>${
      v.destroyed
        ? kv([
            { label: L('destroyedAt', lang), value: v.destroyed.at },
            { label: L('destroyedWhat', lang), value: v.destroyed.what.join(' · ') },
          ])
        : `<p class="st-fail">${esc(L('notDestroyed', lang))}</p>`
    }</section>`,
  );

  parts.push(evidenceHtml(run.evidence, lang), rexHtml(run.rex, lang), validationHtml(v.validation, lang));

  return htmlPage(run, {
    lang,
    title: L('title', lang),
    about: [run.domain, run.environment],
    facts: [],
    gloss: L('glossary', lang),
    css: CSS,
    sections: parts,
  });
}
