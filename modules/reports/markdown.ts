/** Markdown for merge requests: verdict, summary, open findings, waivers, coverage ratio. */
import type { Lang } from '../../policies/types.ts';
import { label as L, severityLabel, statusLabel } from './i18n.ts';
import type { PolicyReport } from './report.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function toMarkdown(report: PolicyReport, lang: Lang = report.lang): string {
  const rules = new Map(report.rules.map((r) => [r.id, r]));
  const out: string[] = [];
  const ok = report.outcome.failing === 0;
  out.push(`# ${L('title', lang)}`, '');
  out.push(
    `**${L('verdict', lang)}** : ${ok ? '✅' : '❌'} ${ok ? L('ok', lang) : L('ko', lang)} — ${L('threshold', lang)} : ${severityLabel(report.failOn, lang)} — ${report.targets.map((t) => t.target).join(', ')}`,
    '',
  );
  out.push(`## ${L('bySeverity', lang)}`, '', `| ${L('severity', lang)} | ${L('failed', lang)} | ${L('waived', lang)} |`, '| --- | ---: | ---: |');
  for (const [s, v] of Object.entries(report.summary.bySeverity)) out.push(`| ${severityLabel(s, lang)} | ${v.failed} | ${v.waived} |`);
  out.push(
    '',
    `## ${L('byFramework', lang)}`,
    '',
    `| ${L('framework', lang)} | ${L('rules', lang)} | ${L('passed', lang)} | ${L('failed', lang)} |`,
    '| --- | ---: | ---: | ---: |',
  );
  for (const [f, v] of Object.entries(report.summary.byFramework)) out.push(`| ${f} | ${v.rules} | ${v.passed} | ${v.failed} |`);
  const findings = report.targets.flatMap((t) => t.results.flatMap((r) => r.findings.filter((f) => !f.waiver)));
  out.push('', `## ${L('findings', lang)} (${findings.length})`, '');
  if (!findings.length) out.push(L('noFinding', lang));
  else {
    out.push(
      `| ${L('severity', lang)} | ${L('target', lang)} | ${L('rule', lang)} | ${L('message', lang)} | ${L('evidence', lang)} |`,
      '| --- | --- | --- | --- | --- |',
    );
    for (const f of findings.slice(0, 200))
      out.push(
        `| ${severityLabel(f.severity, lang)} | ${f.target} | ${f.rule} | ${cell(f.message[lang])} | ${cell(f.evidence.map((e) => `\`${e.file}${e.line ? `:${e.line}` : ''}\` \`${e.pointer}\``).join('<br>'))} |`,
      );
    if (findings.length > 200) out.push('', `… ${findings.length - 200} more (JSON report)`);
  }
  out.push(
    '',
    `## ${L('results', lang)}`,
    '',
    `| ${L('rule', lang)} | ${L('severity', lang)} | ${report.targets.map((t) => t.target).join(' | ')} |`,
    `| --- | --- | ${report.targets.map(() => '---').join(' | ')} |`,
  );
  for (const r of report.rules)
    out.push(
      `| ${r.id} ${cell(r.title[lang])} | ${severityLabel(r.severity, lang)} | ${report.targets.map((t) => statusLabel(t.results.find((x) => x.rule === r.id)?.status ?? '', lang)).join(' | ')} |`,
    );
  out.push('', `## ${L('waivers', lang)}`, '');
  if (report.waivers.length) {
    out.push(
      `| id | ${L('rule', lang)} | scope | ${L('owner', lang)} | ${L('expires', lang)} | ${L('state', lang)} |`,
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const w of report.waivers)
      out.push(
        `| ${w.id} | ${w.rule} | ${w.scope.environment}${w.scope.subject ? ` / ${w.scope.subject}` : ''} | ${cell(w.owner)} | ${w.expires} | ${statusLabel(w.state, lang)} |`,
      );
  }
  if (report.coverage) {
    const c = report.coverage.primary;
    out.push('', `## ${L('coverage', lang)}`, '', `${c.covered} / ${c.total} = **${(c.ratio * 100).toFixed(1)} %**`);
  }
  out.push(
    '',
    `<sub>${L('generated', lang)} ${report.generatedAt} — ${rules.size} ${L('rules', lang).toLowerCase()} — ${report.inputs.length} inputs hashed</sub>`,
    '',
  );
  return out.join('\n');
}
