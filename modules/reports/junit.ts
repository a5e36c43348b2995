/** JUnit XML: one test suite per target, one test case per rule; failures carry the findings. */
import type { Lang } from '../../policies/types.ts';
import type { PolicyReport } from './report.ts';

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

export function toJunit(report: PolicyReport, lang: Lang = report.lang): string {
  const rules = new Map(report.rules.map((r) => [r.id, r]));
  const suites = report.targets.map((t) => {
    const cases = t.results.map((r) => {
      const rule = rules.get(r.rule)!;
      const name = xmlEscape(`${r.rule} ${rule.title[lang]}`);
      const open = r.findings.filter((f) => !f.waiver);
      let body = '';
      if (r.status === 'fail') {
        const text = open
          .map((f) => `${f.severity} ${f.subject}: ${f.message[lang]} @ ${f.evidence.map((e) => `${e.file}#${e.pointer}`).join(' ')}`)
          .join('\n');
        body = `<failure type="${rule.severity}" message="${xmlEscape(`${open.length} finding(s)`)}">${xmlEscape(text)}</failure>`;
      } else if (r.status === 'skipped' || r.status === 'not-applicable') body = `<skipped message="${xmlEscape(r.reason ?? r.status)}"/>`;
      else if (r.status === 'waived')
        body = `<system-out>${xmlEscape(r.findings.map((f) => `waived by ${f.waiver?.id}: ${f.message[lang]}`).join('\n'))}</system-out>`;
      return `    <testcase classname="${xmlEscape(`${t.target}.${rule.set}`)}" name="${name}" time="0">${body}</testcase>`;
    });
    const failures = t.results.filter((r) => r.status === 'fail').length;
    const skipped = t.results.filter((r) => r.status === 'skipped' || r.status === 'not-applicable').length;
    return `  <testsuite name="${xmlEscape(t.target)}" tests="${t.results.length}" failures="${failures}" errors="0" skipped="${skipped}" timestamp="${xmlEscape(report.generatedAt.replace(/Z$/, ''))}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const total = report.targets.reduce((a, t) => a + t.results.length, 0);
  const failures = report.targets.reduce((a, t) => a + t.results.filter((r) => r.status === 'fail').length, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="hdsctl policy" tests="${total}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}
