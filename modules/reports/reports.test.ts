/** Report writers: SARIF valid against the official SARIF 2.1.0 schema, JUnit, Markdown, self-contained HTML, hashes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { coverage } from '../../policies/coverage.ts';
import { runPolicies } from '../../policies/engine.ts';
import { RULES } from '../../policies/index.ts';
import { environmentInput } from '../../policies/input.ts';
import { shipped, synthesized, TODAY } from '../../policies/testing/fixture.ts';
import { toHtml } from './html.ts';
import { toJunit } from './junit.ts';
import { toMarkdown } from './markdown.ts';
import { buildReport, type PolicyReport } from './report.ts';
import { toSarif } from './sarif.ts';

const waiver = { id: 'W-T', rule: 'GOV-002', scope: { environment: 'production' }, justification: 'support <éditeur>', owner: 'DSI', expires: '2027-01-01' };

function report(): PolicyReport {
  const ev = shipped();
  const targets = ['production', 'dev'].map((n) => {
    const input = environmentInput(ev, n, synthesized(['dev', 'production']), [waiver], TODAY);
    // A known medium finding to report on: the HSM appliances without their metrics flow (MON-003).
    if (n === 'production') input.topology!.flowMatrix = input.topology!.flowMatrix.filter((e) => e.flow !== 'monitoring-hsm-snmp');
    return runPolicies(input);
  });
  return buildReport({
    rules: RULES,
    targets,
    inputs: [{ kind: 'environment', path: 'environments/production.yaml', sha256: 'a'.repeat(64) }],
    waivers: [waiver],
    waiverErrors: [],
    coverage: coverage(
      [
        { id: 'EXG_PSE_1', area: 'hosting', check: 'policy' },
        { id: 'EXG_X', area: 'x', check: 'policy' },
      ],
      RULES,
    ),
    failOn: 'medium',
    lang: 'fr',
    today: TODAY,
    generatedAt: '2026-11-23T10:00:00.000Z',
    version: '0.1.0',
  });
}

describe('reports', { timeout: 120_000 }, () => {
  const r = report();
  it('the JSON carries hashes, outcome and summaries', () => {
    expect(r.inputs[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.outcome).toEqual({ failing: expect.any(Number), exitCode: 2 }); // MON-003 is medium
    expect(r.summary.bySeverity.medium.failed).toBeGreaterThan(0);
    expect(r.summary.bySeverity.low.waived).toBe(1);
    expect(r.waivers[0]!.state).toBe('active');
    expect(r.coverage!.primary).toEqual({ total: 2, covered: 1, ratio: 0.5 });
  });
  it('SARIF validates against the SARIF 2.1.0 JSON Schema and carries suppressions', () => {
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, 'schema', 'sarif-2.1.0.json'), 'utf8'));
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    (formats as unknown as { default: (a: Ajv2020) => void }).default(ajv);
    const validate = ajv.compile(schema);
    const sarif = toSarif(r, 'en');
    const ok = validate(sarif);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const results = (sarif.runs as Array<{ results: Array<{ ruleId: string; suppressions?: unknown[] }> }>)[0]!.results;
    expect(results.find((x) => x.ruleId === 'GOV-002')!.suppressions).toHaveLength(1);
    // An invalid document is rejected (the validation is real).
    expect(validate({ version: '2.1.0', runs: [{ tool: {} }] })).toBe(false);
  });
  it('JUnit has one suite per target and a failure per failing rule', () => {
    const x = toJunit(r, 'en');
    expect(x).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect((x.match(/<testsuite /g) ?? []).length).toBe(2);
    expect(x).toContain('<failure type="medium"');
    expect(x).not.toMatch(/<éditeur>/);
  });
  it('Markdown gives the verdict in French by default', () => {
    const md = toMarkdown(r);
    expect(md).toContain('NON CONFORME');
    expect(md).toContain('MON-003');
    expect(toMarkdown(r, 'en')).toContain('FAIL');
  });
  it('never carries an absolute path: inputs, evidence and targets are made relative', () => {
    const ev = shipped();
    const abs = environmentInput(ev, 'production', undefined, [], TODAY); // files as absolute paths
    const judged = runPolicies(abs);
    judged.target = join(process.cwd(), 'cdktf.out');
    const r2 = buildReport({
      rules: RULES,
      targets: [judged],
      inputs: [{ kind: 'environment', path: join(process.cwd(), 'environments', 'production.yaml'), sha256: 'b'.repeat(64) }],
      waivers: [],
      waiverErrors: [],
      failOn: 'high',
      lang: 'fr',
      today: TODAY,
      generatedAt: '2026-11-23T10:00:00.000Z',
      version: '0.1.0',
    });
    const text = JSON.stringify(r2);
    expect(text).not.toContain(process.cwd());
    expect(r2.inputs[0]!.path).toBe('environments/production.yaml');
    expect(r2.targets[0]!.target).toBe('cdktf.out');
    const files = r2.targets.flatMap((t) => t.results.flatMap((x) => x.findings.flatMap((f) => f.evidence.map((e) => e.file))));
    expect(files).toContain('environments/production.yaml');
  });
  it('HTML is one self-contained page', () => {
    const html = toHtml(r);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/i);
    expect(html).not.toMatch(/(src|href)=["']?https?:/i);
    expect(html).toContain('support &lt;éditeur&gt;');
    for (const s of ['Par référentiel', 'Dérogations', 'Couverture des exigences', 'Cartographie cryptographique']) expect(html).toContain(s);
  });
});
