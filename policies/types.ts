/**
 * Policy as code: the shapes every rule, input and result share.
 *
 * A rule is a pure function `PolicyInput -> Violation[]` with a stable id, a French and English
 * title and remediation, a severity, the requirement ids it checks and two fixtures (a change to
 * the production input it passes and one it fails). No I/O here or in any rule: the CLI reads the
 * files, hashes them and writes the reports (scripts/hdsctl/commands/policy.ts, modules/reports).
 */
import type { ServiceKind, Topology } from '../modules/model/topology.ts';
import type { EnvironmentDoc, PlatformDoc } from '../modules/model/types.ts';
import type { K8sObject } from '../modules/model/workloads.ts';
import type { Synthesized } from '../modules/proxmox/check/synthesized.ts';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Lower is more severe. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export const RULE_SETS = ['hosting', 'continuity', 'network', 'crypto', 'environments', 'supervision', 'workloads', 'governance'] as const;
export type RuleSetId = (typeof RULE_SETS)[number];

/** CCTP = the catalog's ids (EXG_*, MESDMP-*, DUI-*, MD23-*, CAIH-*); the others are chapter or guide references. */
export const FRAMEWORKS = ['CCTP', 'HDS', 'SecNumCloud', 'ANSSI'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface Text {
  fr: string;
  en: string;
}

export type Lang = keyof Text;

export interface RequirementRef {
  framework: Framework;
  /** Catalog id (CCTP), SecNumCloud 3.2 chapter, ANSSI guide reference or HDS referential item. */
  id: string;
}

/** Where the evidence is: a file of the judged inputs and a JSON pointer inside it. */
export interface Evidence {
  /** `environments/production.yaml`, `stacks/<stack>/cdk.tf.json`, `rendered:<service>/<path>`. */
  file: string;
  pointer: string;
  /** The value seen there (never a secret: rules only quote non-sensitive attributes). */
  value?: unknown;
  /** Filled in by the CLI for YAML inputs (line and column of the pointer). */
  line?: number;
  col?: number;
}

export interface Violation {
  /** Stable key of what is wrong, for waivers (e.g. `DC3`, `pg-documents`, `production-dc1-network`). */
  subject: string;
  message: Text;
  evidence: Evidence[];
}

/** A configuration file rendered from the topology by the pure renderers of modules/services. */
export interface RenderedConfig {
  service: 'postgresql' | 'haproxy' | 'etcd' | 'backup' | 'waf' | 'monitoring' | 'hsm' | 'kafka' | 'ceph';
  /** The guest the file is for, and its service. */
  owner: string;
  guestService: ServiceKind;
  /** Absolute path of the file on the guest (the paths of modules/services/fromTopology/paths.ts). */
  file: string;
  /** `<guest>:<file>`: how reports cite it (`rendered:<guest>:<file>`). */
  path: string;
  content: string;
  /** Set when the renderer refused the input the topology implies (the refusal is evidence too). */
  error?: string;
}

/** An asymmetric (or symmetric) algorithm in use, for the post-quantum cartography (CAIH-4.3-1). */
export interface CryptoUse {
  component: string;
  usage: string;
  algorithm: string;
  evidence: Evidence;
}

export interface Waiver {
  id: string;
  rule: string;
  /** Environment name or `*`; subject pattern with `*` wildcards (default `*`). */
  scope: { environment: string; subject?: string };
  justification: string;
  owner: string;
  /** ISO date (YYYY-MM-DD); the waiver holds until the end of that day (UTC). */
  expires: string;
}

export interface PolicyInput {
  /** What is judged: an environment name, or the Terraform directory for `--tf PATH`. */
  target: string;
  topology?: Topology;
  environment?: { doc: EnvironmentDoc; file: string };
  platform?: { doc: PlatformDoc; file: string };
  /** The other environments of the same platform (segregation, catalogue of environments). */
  peers: Topology[];
  /** The synthesized cdktf output, restricted to the target's stacks and its clusters' stacks. */
  terraform?: Synthesized;
  /** Service configurations rendered from the topology (policies/evidence/services.ts). */
  rendered?: RenderedConfig[];
  /**
   * Kubernetes manifests of the environment's application workloads: the workloads plan's objects
   * of every OpenShift cluster (modules/workloads/plan), cluster after cluster. Absent: not
   * rendered (e.g. `--tf` alone), the K8S-* rules are skipped; empty: the environment runs no
   * workloads, they do not apply.
   */
  manifests?: K8sObject[];
  /** The OpenShift site (cluster) of each manifest, same index as `manifests`; absent: one cluster. */
  manifestSites?: string[];
  waivers: Waiver[];
  /** Date of the judgement (YYYY-MM-DD), for waiver expiry. */
  today: string;
}

export type InputPart = 'topology' | 'terraform' | 'rendered' | 'manifests';

export interface Fixture {
  description: string;
  /** Changes the (cloned) production input in place. */
  mutate(input: PolicyInput): void;
}

export interface Rule {
  id: string;
  set: RuleSetId;
  severity: Severity;
  title: Text;
  /** What the rule inspects, honestly: which input, which attribute, what it cannot see. */
  description: Text;
  remediation: Text;
  requirements: RequirementRef[];
  /** Inputs the rule needs; it is skipped (not passed) when one is missing. */
  needs: InputPart[];
  /** False when the rule does not concern this target (e.g. production-only rules on dev). */
  appliesTo?(input: PolicyInput): boolean;
  check(input: PolicyInput): Violation[];
  fixtures: { pass: Fixture; fail: Fixture };
}

export type RuleStatus = 'pass' | 'fail' | 'waived' | 'skipped' | 'not-applicable';

export interface Finding {
  rule: string;
  set: RuleSetId;
  severity: Severity;
  target: string;
  subject: string;
  message: Text;
  evidence: Evidence[];
  waiver?: { id: string; owner: string; expires: string; justification: string };
}

export interface RuleResult {
  rule: string;
  status: RuleStatus;
  /** Why the rule was skipped or not applicable. */
  reason?: string;
  findings: Finding[];
}

export interface TargetResult {
  target: string;
  kind: 'environment' | 'terraform';
  environmentClass?: string;
  results: RuleResult[];
  cryptoInventory: CryptoUse[];
}

// Small helpers the rules share.
export const cctp = (...ids: string[]): RequirementRef[] => ids.map((id) => ({ framework: 'CCTP', id }));
export const secnum = (...ids: string[]): RequirementRef[] => ids.map((id) => ({ framework: 'SecNumCloud', id }));
export const anssi = (...ids: string[]): RequirementRef[] => ids.map((id) => ({ framework: 'ANSSI', id }));
export const hds = (...ids: string[]): RequirementRef[] => ids.map((id) => ({ framework: 'HDS', id }));
export const t = (fr: string, en: string): Text => ({ fr, en });
