/**
 * The policy report: the JSON document every other format is rendered from (the source of truth).
 * It carries the SHA-256 of every input it judged, the rules, the results per target, the
 * waivers and their state, the requirement coverage and the cryptographic inventory.
 */
import { reportPath } from '../loader/paths.ts';
import { RULE_SET_TITLES } from '../../policies/index.ts';
import type { Coverage } from '../../policies/coverage.ts';
import { failing } from '../../policies/engine.ts';
import { classify } from '../../policies/rules/crypto.ts';
import {
  FRAMEWORKS,
  type Framework,
  type Lang,
  type RequirementRef,
  type Rule,
  type RuleSetId,
  SEVERITIES,
  type Severity,
  type TargetResult,
  type Text,
  type Waiver,
} from '../../policies/types.ts';

export const REPORT_SCHEMA = 'hds-platform/policy-report/v1';

export interface InputHash {
  /** `manifests`: one OpenShift cluster's workload manifests (`manifests:<env>/<site>`, hdsctl policy's manifestsSha256). */
  kind: 'environment' | 'platform' | 'terraform' | 'waivers' | 'catalog' | 'rendered' | 'manifests';
  path: string;
  sha256: string;
}

export interface RuleSummary {
  id: string;
  set: RuleSetId;
  severity: Severity;
  title: Text;
  description: Text;
  remediation: Text;
  requirements: RequirementRef[];
}

export interface WaiverState extends Waiver {
  state: 'active' | 'expired' | 'unused';
  findings: number;
}

export interface PolicyReport {
  schema: typeof REPORT_SCHEMA;
  tool: { name: string; version: string };
  generatedAt: string;
  today: string;
  lang: Lang;
  failOn: Severity;
  inputs: InputHash[];
  rules: RuleSummary[];
  targets: TargetResult[];
  waivers: WaiverState[];
  waiverErrors: string[];
  coverage?: Coverage;
  summary: {
    bySeverity: Record<Severity, { failed: number; waived: number }>;
    byFramework: Record<Framework, { rules: number; failed: number; passed: number }>;
    bySet: Record<RuleSetId, { title: Text; failed: number; passed: number; waived: number }>;
    statuses: Record<string, number>;
  };
  outcome: { failing: number; exitCode: 0 | 2 };
}

export interface BuildOptions {
  rules: readonly Rule[];
  targets: TargetResult[];
  inputs: InputHash[];
  waivers: Waiver[];
  waiverErrors: string[];
  coverage?: Coverage;
  failOn: Severity;
  lang: Lang;
  today: string;
  generatedAt: string;
  version: string;
}

export function buildReport(o: BuildOptions): PolicyReport {
  const findings = o.targets.flatMap((t) => t.results.flatMap((r) => r.findings));
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, { failed: 0, waived: 0 }])) as PolicyReport['summary']['bySeverity'];
  for (const f of findings) bySeverity[f.severity][f.waiver ? 'waived' : 'failed']++;
  const statusOf = (ruleId: string) => o.targets.map((t) => t.results.find((r) => r.rule === ruleId)?.status);
  const byFramework = Object.fromEntries(
    FRAMEWORKS.map((fw) => {
      const rules = o.rules.filter((r) => r.requirements.some((q) => q.framework === fw));
      const failed = rules.filter((r) => statusOf(r.id).includes('fail')).length;
      const passed = rules.filter((r) => !statusOf(r.id).includes('fail') && statusOf(r.id).some((s) => s === 'pass' || s === 'waived')).length;
      return [fw, { rules: rules.length, failed, passed }];
    }),
  ) as PolicyReport['summary']['byFramework'];
  const bySet = Object.fromEntries(
    (Object.keys(RULE_SET_TITLES) as RuleSetId[]).map((set) => {
      const rs = o.targets.flatMap((t) => t.results).filter((r) => o.rules.find((x) => x.id === r.rule)?.set === set);
      return [
        set,
        {
          title: RULE_SET_TITLES[set],
          failed: rs.filter((r) => r.status === 'fail').length,
          passed: rs.filter((r) => r.status === 'pass').length,
          waived: rs.filter((r) => r.status === 'waived').length,
        },
      ];
    }),
  ) as PolicyReport['summary']['bySet'];
  const statuses: Record<string, number> = {};
  for (const r of o.targets.flatMap((t) => t.results)) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const failingCount = failing(o.targets, o.failOn).length;
  const targetsNames = new Set(o.targets.map((t) => t.target));
  const waivers: WaiverState[] = o.waivers.map((w) => {
    const n = findings.filter((f) => f.waiver?.id === w.id).length;
    return {
      ...w,
      state:
        w.expires < o.today
          ? 'expired'
          : n > 0 || ![...targetsNames].some((t) => w.scope.environment === '*' || w.scope.environment.split(',').includes(t))
            ? 'active'
            : 'unused',
      findings: n,
    };
  });
  return {
    schema: REPORT_SCHEMA,
    tool: { name: 'hdsctl policy', version: o.version },
    generatedAt: o.generatedAt,
    today: o.today,
    lang: o.lang,
    failOn: o.failOn,
    inputs: o.inputs.map((i) => ({ ...i, path: reportPath(i.path) })),
    rules: o.rules.map((r) => ({
      id: r.id,
      set: r.set,
      severity: r.severity,
      title: r.title,
      description: r.description,
      remediation: r.remediation,
      requirements: r.requirements,
    })),
    // Reports never carry an absolute path of the machine that made them.
    targets: o.targets.map((t) => ({
      ...t,
      target: reportPath(t.target),
      results: t.results.map((r) => ({
        ...r,
        findings: r.findings.map((f) => ({ ...f, target: reportPath(f.target), evidence: f.evidence.map((e) => ({ ...e, file: reportPath(e.file) })) })),
      })),
      cryptoInventory: t.cryptoInventory.map((c) => ({ ...c, evidence: { ...c.evidence, file: reportPath(c.evidence.file) } })),
    })),
    waivers,
    waiverErrors: o.waiverErrors,
    ...(o.coverage ? { coverage: o.coverage } : {}),
    summary: { bySeverity, byFramework, bySet, statuses },
    outcome: { failing: failingCount, exitCode: failingCount > 0 ? 2 : 0 },
  };
}

/** Quantum exposure of an inventoried algorithm, for the reports. */
export function exposureOf(algorithm: string): { exposure: string; anssiOk: boolean; note: string } {
  const c = classify(algorithm);
  return c ? { exposure: c.exposure, anssiOk: c.anssiOk, note: c.note } : { exposure: 'unknown', anssiOk: false, note: 'not classified' };
}
