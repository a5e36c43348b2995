/** SARIF 2.1.0 rendering of a policy report (validated against the official schema in tests). */
import type { Finding, Lang } from '../../policies/types.ts';
import type { PolicyReport } from './report.ts';

const LEVEL: Record<string, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

function location(f: Finding) {
  return f.evidence.map((e) => ({
    physicalLocation: {
      artifactLocation: { uri: e.file.replace(/^(rendered|topology):/, '$1/') },
      ...(e.line ? { region: { startLine: e.line, ...(e.col ? { startColumn: e.col } : {}) } } : {}),
    },
    logicalLocations: [{ fullyQualifiedName: `${e.file}#${e.pointer}`, kind: 'element' }],
  }));
}

export function toSarif(report: PolicyReport, lang: Lang = report.lang): Record<string, unknown> {
  const index = new Map(report.rules.map((r, k) => [r.id, k]));
  const results = report.targets.flatMap((t) =>
    t.results.flatMap((r) =>
      r.findings.map((f) => ({
        ruleId: f.rule,
        ruleIndex: index.get(f.rule) ?? 0,
        level: LEVEL[f.severity] ?? 'warning',
        message: { text: `[${t.target}] ${f.message[lang]}` },
        locations: location(f),
        partialFingerprints: { 'hdsPolicy/v1': `${f.rule}|${t.target}|${f.subject}` },
        properties: { target: t.target, subject: f.subject, severity: f.severity, evidence: f.evidence },
        ...(f.waiver
          ? {
              suppressions: [
                { kind: 'external', status: 'accepted', justification: `${f.waiver.id} (${f.waiver.owner}, ${f.waiver.expires}): ${f.waiver.justification}` },
              ],
            }
          : {}),
      })),
    ),
  );
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'hdsctl-policy',
            version: report.tool.version,
            rules: report.rules.map((r) => ({
              id: r.id,
              name: r.id.replace(/[^A-Za-z0-9]/g, ''),
              shortDescription: { text: r.title[lang] },
              fullDescription: { text: r.description[lang] },
              help: { text: r.remediation[lang] },
              defaultConfiguration: { level: LEVEL[r.severity] ?? 'warning' },
              properties: { tags: [r.set, ...r.requirements.map((q) => `${q.framework}:${q.id}`)], severity: r.severity, requirements: r.requirements },
            })),
          },
        },
        invocations: [{ executionSuccessful: true, exitCode: report.outcome.exitCode }],
        artifacts: report.inputs.map((i) => ({ location: { uri: i.path }, hashes: { 'sha-256': i.sha256 }, roles: ['analysisTarget'] })),
        results,
        properties: { schema: report.schema, failOn: report.failOn, today: report.today },
      },
    ],
  };
}
