/**
 * One self-contained HTML page (no external asset, no script): summary by framework and severity,
 * the findings with their evidence, the waivers, the requirement coverage and the crypto inventory.
 */
import type { Lang } from '../../policies/types.ts';
import { exposureLabel, label as L, severityLabel, statusLabel } from './i18n.ts';
import { exposureOf, type PolicyReport } from './report.ts';

const esc = (s: unknown) =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#12325b;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}header p{margin:0;opacity:.85}
main{padding:18px 28px;max-width:1320px}section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:14px 18px;margin:0 0 16px}
h2{font-size:17px;margin:0 0 10px;color:#12325b}table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e6e9ee;padding:5px 7px;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f0f2f5;padding:1px 4px;border-radius:3px;word-break:break-all}
.verdict{display:inline-block;padding:6px 12px;border-radius:6px;font-weight:700}.ok{background:#dff3e4;color:#175c2c}.ko{background:#fbe0e0;color:#8a1414}
.sev{display:inline-block;min-width:64px;text-align:center;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;color:#fff}
.critical{background:#7a0d0d}.high{background:#c0392b}.medium{background:#d68910}.low{background:#2e86c1}.info{background:#7f8c8d}
.st-pass{color:#1e7e34}.st-fail{color:#b00020;font-weight:600}.st-waived{color:#8a6d00}.st-skipped,.st-not-applicable{color:#888}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{flex:1;min-width:150px;border:1px solid #e0e4ea;border-radius:8px;padding:10px 12px}.card b{display:block;font-size:22px}
.bar{height:10px;background:#e6e9ee;border-radius:5px;overflow:hidden}.bar span{display:block;height:100%;background:#1e7e34}
details summary{cursor:pointer;color:#12325b}small{color:#666}
`;

export function toHtml(report: PolicyReport, lang: Lang = report.lang): string {
  const rules = new Map(report.rules.map((r) => [r.id, r]));
  const ok = report.outcome.failing === 0;
  const open = report.targets.flatMap((t) => t.results.flatMap((r) => r.findings.filter((f) => !f.waiver)));
  const waived = report.targets.flatMap((t) => t.results.flatMap((r) => r.findings.filter((f) => f.waiver)));
  const sev = (s: string) => `<span class="sev ${esc(s)}">${esc(severityLabel(s, lang))}</span>`;
  const ev = (e: { file: string; pointer: string; line?: number; col?: number; value?: unknown }) =>
    `<code>${esc(e.file)}${e.line ? `:${e.line}:${e.col ?? 1}` : ''}</code> <code>${esc(e.pointer)}</code>${e.value !== undefined ? ` = <code>${esc(JSON.stringify(e.value))}</code>` : ''}`;
  const parts: string[] = [];
  parts.push(`<section><h2>${esc(L('summary', lang))}</h2><p><span class="verdict ${ok ? 'ok' : 'ko'}">${esc(ok ? L('ok', lang) : L('ko', lang))}</span> &nbsp; ${esc(L('threshold', lang))} : ${sev(report.failOn)} &nbsp; ${esc(L('target', lang))} : ${report.targets.map((t) => `<code>${esc(t.target)}</code>`).join(' ')}</p>
<div class="cards">${Object.entries(report.summary.bySeverity)
    .map(
      ([s, v]) =>
        `<div class="card">${sev(s)}<b>${v.failed}</b><small>${esc(L('failed', lang))} · ${v.waived} ${esc(L('waived', lang).toLowerCase())}</small></div>`,
    )
    .join('')}</div></section>`);
  parts.push(
    `<section><h2>${esc(L('byFramework', lang))}</h2><table><tr><th>${esc(L('framework', lang))}</th><th>${esc(L('rules', lang))}</th><th>${esc(L('passed', lang))}</th><th>${esc(L('failed', lang))}</th></tr>${Object.entries(
      report.summary.byFramework,
    )
      .map(([f, v]) => `<tr><td>${esc(f)}</td><td class="n">${v.rules}</td><td class="n">${v.passed}</td><td class="n">${v.failed}</td></tr>`)
      .join(
        '',
      )}</table><h2 style="margin-top:14px">${esc(L('bySet', lang))}</h2><table><tr><th></th><th>${esc(L('passed', lang))}</th><th>${esc(L('waived', lang))}</th><th>${esc(L('failed', lang))}</th></tr>${Object.values(
      report.summary.bySet,
    )
      .map((v) => `<tr><td>${esc(v.title[lang])}</td><td class="n">${v.passed}</td><td class="n">${v.waived}</td><td class="n">${v.failed}</td></tr>`)
      .join('')}</table></section>`,
  );
  const findingRows = (list: typeof open) =>
    list
      .map((f) => {
        const r = rules.get(f.rule)!;
        return `<tr><td>${sev(f.severity)}</td><td><code>${esc(f.target)}</code></td><td><b>${esc(f.rule)}</b><br><small>${esc(r.title[lang])}</small></td><td>${esc(f.message[lang])}${f.waiver ? `<br><small>${esc(f.waiver.id)} — ${esc(f.waiver.owner)} — ${esc(f.waiver.expires)}</small>` : `<br><small>${esc(L('remediation', lang))} : ${esc(r.remediation[lang])}</small>`}</td><td>${f.evidence.map(ev).join('<br>')}</td></tr>`;
      })
      .join('');
  const head = `<tr><th>${esc(L('severity', lang))}</th><th>${esc(L('target', lang))}</th><th>${esc(L('rule', lang))}</th><th>${esc(L('message', lang))}</th><th>${esc(L('evidence', lang))}</th></tr>`;
  parts.push(
    `<section><h2>${esc(L('findings', lang))} (${open.length})</h2>${open.length ? `<table>${head}${findingRows(open)}</table>` : `<p>${esc(L('noFinding', lang))}</p>`}</section>`,
  );
  parts.push(
    `<section><h2>${esc(L('results', lang))}</h2><table><tr><th>${esc(L('rule', lang))}</th><th>${esc(L('severity', lang))}</th><th>${esc(L('requirements', lang))}</th>${report.targets.map((t) => `<th>${esc(t.target)}</th>`).join('')}</tr>${report.rules
      .map(
        (r) =>
          `<tr><td><b>${esc(r.id)}</b> ${esc(r.title[lang])}<details><summary><small>${esc(L('inspects', lang))}</small></summary><small>${esc(r.description[lang])}</small></details></td><td>${sev(r.severity)}</td><td><small>${r.requirements.map((q) => `${esc(q.framework)} ${esc(q.id)}`).join('<br>')}</small></td>${report.targets
            .map((t) => {
              const s = t.results.find((x) => x.rule === r.id)?.status ?? '';
              return `<td class="st-${esc(s)}">${esc(statusLabel(s, lang))}</td>`;
            })
            .join('')}</tr>`,
      )
      .join('')}</table></section>`,
  );
  parts.push(
    `<section><h2>${esc(L('waivers', lang))}</h2><table><tr><th>id</th><th>${esc(L('rule', lang))}</th><th>scope</th><th>${esc(L('justification', lang))}</th><th>${esc(L('owner', lang))}</th><th>${esc(L('expires', lang))}</th><th>${esc(L('state', lang))}</th><th>${esc(L('findings', lang))}</th></tr>${report.waivers
      .map(
        (w) =>
          `<tr><td><code>${esc(w.id)}</code></td><td>${esc(w.rule)}</td><td>${esc(w.scope.environment)}${w.scope.subject ? ` / ${esc(w.scope.subject)}` : ''}</td><td>${esc(w.justification)}</td><td>${esc(w.owner)}</td><td>${esc(w.expires)}</td><td class="st-${w.state === 'expired' ? 'fail' : 'pass'}">${esc(statusLabel(w.state, lang))}</td><td class="n">${w.findings}</td></tr>`,
      )
      .join(
        '',
      )}</table>${report.waiverErrors.length ? `<p class="st-fail">${esc(L('waiverErrors', lang))} : ${report.waiverErrors.map(esc).join('; ')}</p>` : ''}${waived.length ? `<details><summary>${waived.length} ${esc(L('waived', lang).toLowerCase())}</summary><table>${head}${findingRows(waived)}</table></details>` : ''}</section>`,
  );
  if (report.coverage) {
    const c = report.coverage.primary;
    const pct = (c.ratio * 100).toFixed(1);
    parts.push(
      `<section><h2>${esc(L('coverage', lang))}</h2><p><b>${c.covered} / ${c.total} = ${pct} %</b></p><div class="bar"><span style="width:${pct}%"></span></div><br><table><tr><th>${esc(L('requirement', lang))}</th><th>${esc(L('area', lang))}</th><th>${esc(L('coveredBy', lang))}</th></tr>${report.coverage.rows
        .filter((r) => r.kind === 'primary')
        .map(
          (r) =>
            `<tr><td><code>${esc(r.id)}</code><br><small>${esc(r.en)}</small></td><td>${esc(r.area)}</td><td class="${r.covered ? 'st-pass' : 'st-fail'}">${r.covered ? esc(r.rules.join(', ')) : esc(L('notCovered', lang))}</td></tr>`,
        )
        .join('')}</table></section>`,
    );
  }
  const inv = report.targets.flatMap((t) => t.cryptoInventory.map((u) => ({ ...u, target: t.target })));
  if (inv.length) {
    const seen = new Set<string>();
    const uniq = inv.filter((u) => {
      const key = `${u.component}|${u.usage}|${u.algorithm}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    parts.push(
      `<section><h2>${esc(L('inventory', lang))}</h2><table><tr><th>${esc(L('component', lang))}</th><th>${esc(L('usage', lang))}</th><th>${esc(L('algorithm', lang))}</th><th>${esc(L('exposure', lang))}</th><th>ANSSI</th><th>${esc(L('evidence', lang))}</th></tr>${uniq
        .map((u) => {
          const x = exposureOf(u.algorithm);
          return `<tr><td>${esc(u.component)}</td><td>${esc(u.usage)}</td><td><code>${esc(u.algorithm)}</code></td><td>${esc(exposureLabel(x.exposure, lang))}</td><td class="${x.anssiOk ? 'st-pass' : 'st-fail'}">${x.anssiOk ? '✔' : '✘'}</td><td>${ev(u.evidence)}</td></tr>`;
        })
        .join('')}</table></section>`,
    );
  }
  parts.push(
    `<section><h2>${esc(L('inputs', lang))}</h2><details><summary>${report.inputs.length}</summary><table>${report.inputs.map((i) => `<tr><td>${esc(i.kind)}</td><td><code>${esc(i.path)}</code></td><td><code>${esc(i.sha256)}</code></td></tr>`).join('')}</table></details></section>`,
  );
  return `<!DOCTYPE html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(L('title', lang))} — ${esc(report.targets.map((t) => t.target).join(', '))}</title><style>${CSS}</style></head>
<body><header><h1>${esc(L('title', lang))}</h1><p>${esc(L('generated', lang))} ${esc(report.generatedAt)} · ${esc(report.tool.name)} ${esc(report.tool.version)} · ${report.rules.length} ${esc(L('rules', lang).toLowerCase())}</p></header>
<main>${parts.join('\n')}</main></body></html>
`;
}
