/**
 * The engine: run every rule on an input, apply the waivers, return results. Pure: the same
 * input gives the same output; the CLI supplies files, hashes and the date.
 */
import { cryptoInventory, RULES } from './index.ts';
import { type Finding, type PolicyInput, type Rule, type RuleResult, severityRank, type Severity, type TargetResult, type Waiver } from './types.ts';
import { waiverExpired, waiverInScope } from './waiverScope.ts';

function glob(pattern: string, s: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(s);
}

/** The active (not expired) waiver covering a finding, if any. */
function waiverFor(waivers: Waiver[], f: Pick<Finding, 'rule' | 'target' | 'subject'>, today: string): Waiver | undefined {
  return waivers.find((w) => w.rule === f.rule && waiverInScope(w, f.target) && glob(w.scope.subject ?? '*', f.subject) && !waiverExpired(w, today));
}

function missing(rule: Rule, input: PolicyInput): string | undefined {
  const absent = rule.needs.filter((n) => input[n] === undefined);
  return absent.length ? `needs ${absent.join(', ')}` : undefined;
}

export function runRule(rule: Rule, input: PolicyInput): RuleResult {
  const why = missing(rule, input);
  if (why) return { rule: rule.id, status: 'skipped', reason: why, findings: [] };
  if (rule.appliesTo && !rule.appliesTo(input)) return { rule: rule.id, status: 'not-applicable', findings: [] };
  let violations: ReturnType<Rule['check']>;
  try {
    violations = rule.check(input);
  } catch (e) {
    violations = [{ subject: 'rule-error', message: { fr: `La règle a échoué : ${String(e)}`, en: `The rule failed: ${String(e)}` }, evidence: [] }];
  }
  const findings: Finding[] = violations.map((v) => {
    const base: Finding = {
      rule: rule.id,
      set: rule.set,
      severity: rule.severity,
      target: input.target,
      subject: v.subject,
      message: v.message,
      evidence: v.evidence,
    };
    const w = waiverFor(input.waivers, base, input.today);
    return w ? { ...base, waiver: { id: w.id, owner: w.owner, expires: w.expires, justification: w.justification } } : base;
  });
  const open = findings.filter((f) => !f.waiver);
  return { rule: rule.id, status: findings.length === 0 ? 'pass' : open.length === 0 ? 'waived' : 'fail', findings };
}

export function runPolicies(input: PolicyInput, rules: readonly Rule[] = RULES): TargetResult {
  return {
    target: input.target,
    kind: input.topology ? 'environment' : 'terraform',
    ...(input.topology ? { environmentClass: input.topology.environment.class } : {}),
    results: rules.map((r) => runRule(r, input)),
    cryptoInventory: cryptoInventory(input),
  };
}

/** Unwaived findings at or above the threshold. */
export function failing(results: TargetResult[], threshold: Severity): Finding[] {
  return results.flatMap((r) => r.results.flatMap((x) => x.findings)).filter((f) => !f.waiver && severityRank(f.severity) <= severityRank(threshold));
}
