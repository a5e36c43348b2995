/**
 * The reversibility documents as self-contained HTML pages (every PV's page and stylesheet,
 * modules/reports/pv/html.ts: no script, no font, no link, no image; a Content-Security-Policy
 * that forbids any load), ready to print and sign: the dry-run report and the destruction
 * certificate. Every value from the record is escaped. The verdict badge carries
 * `data-verdict` (passed/failed, destroyed/incomplete) and every judged row `data-status`.
 */
import type { Lang } from '../../../policies/types.ts';
import { escHtml as esc } from '../../reports/pv/escape.ts';
import { evidenceHtml, htmlPage, kvHtml as kv, PV_CSS, rexHtml, validationHtml } from '../../reports/pv/html.ts';
import { label as L } from './labels.ts';
import type { DestructionCertificate, ReversibilityDryRun } from './types.ts';
import { destructionView, dryRunView } from './view.ts';

const CSS = `${PV_CSS}.st-skipped{color:#8a6d00}section#verdict .verdict{font-size:18px}ul.findings{margin:8px 0 0;padding-left:20px}
pre.sig{white-space:pre-wrap;word-break:break-all}.warn{font-weight:700}.signs{grid-template-columns:repeat(2,1fr)}
`;

const th = (s: string, n = false) => `<th${n ? ' class="n"' : ''}>${esc(s)}</th>`;
const code = (s: string) => (s ? `<code>${esc(s)}</code>` : '');
const ul = (items: string[]) => `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;

function verdictSection(verdict: string, ok: boolean, text: string, findings: string[], none: string, keyFigures: string, lang: Lang): string {
  return `<section id="verdict"><h2>${esc(L('overall', lang))}</h2><p><span class="verdict ${ok ? 'ok' : 'ko'}" data-verdict="${esc(verdict)}">${esc(text)}</span></p>${
    findings.length
      ? `<h3>${esc(L('findings', lang))}</h3><ul class="findings">${findings.map((f) => `<li class="st-fail">${esc(f)}</li>`).join('')}</ul>`
      : `<p class="st-pass">${esc(none)}</p>`
  }<h3>${esc(L('keyFigures', lang))}</h3>${keyFigures}</section>`;
}

function whatWhyHtml(rows: Array<{ what: string; why: string }>, none: string, lang: Lang): string {
  return rows.length
    ? `<table><tr>${th(L('what', lang))}${th(L('why', lang))}</tr>${rows.map((r) => `<tr><td>${esc(r.what)}</td><td>${esc(r.why)}</td></tr>`).join('')}</table>`
    : `<p>${esc(none)}</p>`;
}

/** The dry-run report (rapport de tir à blanc) as one HTML page. */
export function dryRunHtml(run: ReversibilityDryRun, lang: Lang = 'fr'): string {
  const v = dryRunView(run, lang);
  const ok = v.verdict === 'passed';
  const parts: string[] = [];
  parts.push(verdictSection(v.verdict, ok, L(ok ? 'dryRunPass' : 'dryRunFail', lang), v.findings, L('dryRunNoFinding', lang), kv(v.keyFigures), lang));
  parts.push(`<section id="identification"><h2>${esc(L('identification', lang))}</h2>${kv(v.identification)}</section>`);
  parts.push(
    `<section id="phases"><h2>${esc(L('phases', lang))}</h2>${
      v.phases.length
        ? `<table><tr>${th(L('phase', lang))}${th(L('start', lang))}${th(L('phaseDuration', lang), true)}${th(L('result', lang))}${th(L('detail', lang))}</tr>${v.phases
            .map(
              (p) =>
                `<tr data-phase="${esc(p.name)}" data-status="${p.status}"><td>${esc(p.phase)}<br><code>${esc(p.name)}</code></td><td>${esc(p.start)}</td><td class="n">${esc(p.duration)}</td><td class="st-${p.status}">${esc(p.result)}</td><td>${esc(p.detail)}</td></tr>`,
            )
            .join('')}<tr><th>${esc(L('total', lang))}</th><td></td><td class="n"><b>${esc(v.phasesTotal)}</b></td><td></td><td></td></tr></table>`
        : `<p class="st-fail">${esc(L('noPhase', lang))}</p>`
    }</section>`,
  );
  parts.push(
    `<section id="volumes"><h2>${esc(L('volumes', lang))}</h2><div class="grid2"><div>${kv(v.volumes)}</div><div><table><tr>${th(L('section', lang))}${th(L('files', lang), true)}${th(L('bytes', lang), true)}</tr>${v.sections
      .map((s) => `<tr><td>${esc(s.section)} <code>${esc(s.name)}/</code></td><td class="n">${esc(s.files)}</td><td class="n">${esc(s.bytes)}</td></tr>`)
      .join('')}</table></div></div></section>`,
  );
  parts.push(
    `<section id="differences"><h2>${esc(L('differences', lang))}</h2>${
      v.differences.length
        ? `<table><tr>${th(L('kind', lang))}${th(L('where', lang))}${th(L('expected', lang))}${th(L('found', lang))}${th(L('detail', lang))}</tr>${v.differences
            .map(
              (d) =>
                `<tr data-status="fail"><td class="st-fail">${esc(d.kind)}</td><td>${code(d.where)}</td><td>${code(d.expected)}</td><td>${code(d.found)}</td><td>${esc(d.detail)}</td></tr>`,
            )
            .join('')}</table>`
        : `<p class="st-pass">${esc(L('noDifference', lang))}</p>`
    }</section>`,
  );
  parts.push(
    `<section id="rebuilt"><h2>${esc(L('rebuilt', lang))}</h2>${
      v.rebuilt
        ? `${v.rebuilt.length ? kv(v.rebuilt) : ''}${
            v.smoke.length
              ? `<h3>${esc(L('smoke', lang))}</h3><table><tr>${th(L('check', lang))}${th(L('result', lang))}${th(L('detail', lang))}</tr>${v.smoke
                  .map(
                    (s) =>
                      `<tr data-status="${s.status}"><td>${esc(s.name)}</td><td class="st-${s.status}">${esc(s.result)}</td><td>${esc(s.detail)}</td></tr>`,
                  )
                  .join('')}</table>`
              : ''
          }`
        : `<p>${esc(L('noRebuilt', lang))}</p>`
    }</section>`,
  );
  parts.push(
    `<section id="availability"><h2>${esc(L('availability', lang))}</h2><p>${esc(L('availabilityIntro', lang))}</p>${
      v.availability ? kv(v.availability) : `<p class="st-fail warn">${esc(L('notMeasuredLong', lang))}</p>`
    }${v.firstErrors.length ? `<h3>${esc(L('firstErrors', lang))}</h3>${ul(v.firstErrors)}` : ''}</section>`,
  );
  parts.push(`<section id="rate"><h2>${esc(L('rate', lang))}</h2>${kv(v.rate)}</section>`);
  parts.push(
    `<section id="not-included"><h2>${esc(L('notIncluded', lang))}</h2>${whatWhyHtml(v.notIncluded, L('nothingExcluded', lang), lang)}${
      v.notDone.length ? `<h3>${esc(L('notDone', lang))}</h3>${ul(v.notDone)}` : ''
    }</section>`,
  );
  parts.push(evidenceHtml(run.evidence, lang));
  if (v.lessons.length) parts.push(`<section id="lessons"><h2>${esc(L('lessons', lang))}</h2>${ul(v.lessons)}</section>`);
  parts.push(rexHtml(run.rex, lang), validationHtml(v.validation, lang));
  return htmlPage(run, {
    lang,
    title: L('dryRunTitle', lang),
    about: [run.environment],
    facts: [],
    gloss: L('dryRunGlossary', lang),
    css: CSS,
    sections: parts,
  });
}

/** The destruction certificate as one HTML page. */
export function destructionHtml(cert: DestructionCertificate, lang: Lang = 'fr'): string {
  const v = destructionView(cert, lang);
  const ok = v.verdict === 'destroyed';
  const parts: string[] = [];
  parts.push(
    verdictSection(v.verdict, ok, L(ok ? 'destructionPass' : 'destructionFail', lang), v.findings, L('destructionNoFinding', lang), kv(v.keyFigures), lang),
  );
  parts.push(
    `<section id="identification"><h2>${esc(L('identification', lang))}</h2>${kv(v.identification)}${
      v.noApproval ? `<p class="st-fail warn">${esc(L('noApproval', lang))}</p>` : ''
    }</section>`,
  );
  parts.push(
    `<section id="destroyed"><h2>${esc(L('destroyedItems', lang))}</h2>${
      v.items.length
        ? `<table><tr>${th(L('kind', lang))}${th(L('name', lang))}${th(L('site', lang))}${th(L('method', lang))}${th(L('at', lang))}${th(L('result', lang))}${th(L('detail', lang))}</tr>${v.items
            .map(
              (i) =>
                `<tr data-item="${esc(i.name)}" data-status="${i.status}"><td>${esc(i.kind)}</td><td><code>${esc(i.name)}</code></td><td>${esc(i.site)}</td><td><code>${esc(i.method)}</code></td><td>${esc(i.at)}</td><td class="st-${i.status}">${esc(i.result)}</td><td>${esc(i.detail)}</td></tr>`,
            )
            .join('')}</table>`
        : `<p class="st-fail warn">${esc(L('noItem', lang))}</p>`
    }${v.afterSignature ? `<p><b>${esc(L('afterSignature', lang))}</b> ${esc(v.afterSignature)}</p>` : ''}</section>`,
  );
  const tokens = v.tokens.length
    ? `<table><tr>${th(L('token', lang))}${th(L('site', lang))}${th(L('labelsFound', lang))}${th(L('destroyedKeysFound', lang))}</tr>${v.tokens
        .map(
          (k) =>
            `<tr data-status="${k.status}"><td><code>${esc(k.token)}</code></td><td>${esc(k.site)}</td><td>${esc(k.labels)}</td><td class="st-${k.status}">${
              k.destroyedFound.length ? k.destroyedFound.map(code).join(', ') : esc(L('noneFound', lang))
            }</td></tr>`,
        )
        .join('')}</table>`
    : `<p class="st-fail warn">${esc(L('noToken', lang))}</p>`;
  const listings = v.listings.length
    ? `<table><tr>${th(L('kind', lang))}${th(L('name', lang))}${th(L('site', lang))}${th(L('command', lang))}${th(L('entries', lang), true)}${th(L('detail', lang))}</tr>${v.listings
        .map((l) => {
          const s = l.empty ? 'pass' : 'fail';
          return `<tr data-status="${s}"><td>${esc(l.kind)}</td><td><code>${esc(l.name)}</code></td><td>${esc(l.site)}</td><td><code>${esc(l.command)}</code></td><td class="n st-${s}">${esc(l.entries)}${l.sample ? `<br><small>${esc(l.sample)}</small>` : ''}</td><td>${esc(l.detail)}</td></tr>`;
        })
        .join('')}</table>`
    : `<p>${esc(L('noListing', lang))}</p>`;
  const documents = v.documents.length
    ? `<table><tr>${th(L('domain', lang))}${th(L('document', lang))}${th(L('readableBefore', lang))}${th(L('readableAfter', lang))}${th(L('errorSeen', lang))}${th(L('apiStatusAfter', lang))}</tr>${v.documents
        .map((d) => {
          const s = d.proven ? 'pass' : 'fail';
          const hashes = d.hashes.map((h) => `<br><small>${esc(h.label)} <code>${esc(h.value)}</code></small>`).join('');
          return `<tr data-status="${s}"><td>${esc(d.domain)}</td><td><code>${esc(d.id)}</code>${hashes}</td><td>${esc(d.before)}</td><td class="st-${s}">${esc(d.after)}</td><td>${code(d.error)}</td><td>${esc(d.api)}</td></tr>`;
        })
        .join('')}</table>`
    : `<p class="st-fail warn">${esc(L('noDocument', lang))}</p>`;
  parts.push(
    `<section id="proofs"><h2>${esc(L('proofs', lang))}</h2><h3>${esc(L('tokenProofs', lang))}</h3>${tokens}<h3>${esc(L('listingProofs', lang))}</h3>${listings}<h3>${esc(L('documentProofs', lang))}</h3>${documents}</section>`,
  );
  parts.push(`<section id="not-covered"><h2>${esc(L('notCovered', lang))}</h2>${whatWhyHtml(v.notCovered, L('nothingUncovered', lang), lang)}</section>`);
  const signed = kv([{ label: L('signedSha256', lang), value: v.signedSha256 }, ...(v.signature ?? [])]);
  const status = v.signatureStatus
    ? `<p data-signature-check="${v.signatureStatus.status}"><b>${esc(L('signatureCheck', lang))}</b> <span class="st-${v.signatureStatus.status}">${esc(v.signatureStatus.text)}</span></p>`
    : '';
  parts.push(
    `<section id="signature"><h2>${esc(L('signature', lang))}</h2><p><small>${esc(L('signatureIntro', lang))}</small></p>${signed}${status}${
      cert.signature
        ? `<h3>${esc(L('signatureValue', lang))}</h3><pre class="sig" data-signed="true">${esc(cert.signature.sig)}</pre>`
        : `<p class="st-fail warn" data-signed="false">${esc(L('unsigned', lang))}</p>`
    }</section>`,
  );
  parts.push(evidenceHtml(cert.evidence, lang), rexHtml(cert.rex, lang), validationHtml(v.validation, lang));
  return htmlPage(cert, {
    lang,
    title: L('destructionTitle', lang),
    about: [cert.environment],
    facts: [],
    gloss: L('destructionGlossary', lang),
    css: CSS,
    sections: parts,
  });
}
