/** Every rule passes its pass fixture and fails its fail fixture, on a copy of production. */
import { describe, expect, it } from 'vitest';
import { runRule } from './engine.ts';
import { RULES } from './index.ts';
import { productionInput } from './testing/fixture.ts';
import { FRAMEWORKS, RULE_SETS, SEVERITIES } from './types.ts';

describe('rule registry', () => {
  it('has unique stable ids, both languages, requirements and fixtures', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^(HOST|CONT|NET|CRYPTO|ENV|MON|K8S|GOV)-\d{3}$/);
      for (const text of [r.title, r.description, r.remediation]) {
        expect(text.fr.length).toBeGreaterThan(5);
        expect(text.en.length).toBeGreaterThan(5);
      }
      expect(SEVERITIES).toContain(r.severity);
      expect(RULE_SETS).toContain(r.set);
      expect(r.requirements.length).toBeGreaterThan(0);
      for (const q of r.requirements) expect(FRAMEWORKS).toContain(q.framework);
    }
  });
  it('covers the rule sets the issue asks for', () => {
    for (const set of ['hosting', 'continuity', 'network', 'crypto', 'environments', 'supervision', 'workloads'])
      expect(RULES.some((r) => r.set === set)).toBe(true);
  });
});

describe.each(RULES.map((r) => [r.id, r] as const))('%s', (_id, rule) => {
  it(`passes: ${rule.fixtures.pass.description}`, () => {
    const input = productionInput();
    rule.fixtures.pass.mutate(input);
    const r = runRule(rule, input);
    expect(r.findings.map((f) => f.message.en)).toEqual([]);
    expect(r.status).toBe('pass');
  });
  it(`fails: ${rule.fixtures.fail.description}`, () => {
    const input = productionInput();
    rule.fixtures.fail.mutate(input);
    const r = runRule(rule, input);
    expect(r.status).toBe('fail');
    expect(r.findings.length).toBeGreaterThan(0);
    for (const f of r.findings) {
      expect(f.rule).toBe(rule.id);
      expect(f.message.fr && f.message.en).toBeTruthy();
    }
  });
});
