/**
 * Supervision of the workloads (EXG_MON_2, EXG_MON_9, EXG_DIS_1.9): a ServiceMonitor per serving
 * component (HTTPS, /metrics on its port, the service CA verifying the pod's certificate) and a
 * PrometheusRule per namespace with the SLO burn-rate alerts of each component.
 *
 * SLO alerts are multi-window, multi-burn-rate (Google SRE workbook, "Alerting on SLOs"): for an
 * objective of A % the error budget is 1 − A/100; an alert fires when the error ratio exceeds
 * burn rate × budget over BOTH a long and a short window (the short one makes it stop soon
 * after the problem does):
 *   14.4 × over 1 h and 5 min   → page   (2 % of a 30-day budget spent in an hour)
 *    6   × over 6 h and 30 min  → page   (5 % in six hours)
 *    1   × over 3 d and 6 h     → ticket (10 % in three days)
 * The same policy applies to the latency objective (the share of requests slower than the
 * class's latency threshold, budget 1 − pct/100).
 *
 * Metrics contract of every serving component: the OpenTelemetry HTTP server histogram
 * exported to Prometheus, `http_server_request_duration_seconds` (labels
 * `http_response_status_code`; a bucket boundary at the SLO class's latency threshold).
 * Errors are 5xx answers. Batch components are not scraped: a failed run raises a ticket from
 * kube-state-metrics' job status.
 */
import {
  BURN_RATE_POLICY,
  type BurnRateWindow,
  cleanRatio as clean,
  type K8sObject,
  type ResolvedComponent,
  type SloClassDoc,
  sloObjectiveProblem,
} from '../../model/workloads.ts';
import { componentLabels, componentNamespace, isBatch, type NamespacePlan, type PlanContext, podSelector, sloRuleName } from './context.ts';
import { PORT_NAME } from './deployments.ts';
import { ANNOTATION, CLUSTER, LABEL } from './labels.ts';

/** The policy itself is declared in the model (the catalog checks refuse objectives it cannot alert on). */
export { BURN_RATE_POLICY, type BurnRateWindow };

/** The period the error budget is counted over (the availability figures are monthly, EXG_DIS_2.1). */
export const SLO_PERIOD_HOURS = 30 * 24;

export interface BurnRateThreshold extends BurnRateWindow {
  /** 1 − objective, as a ratio (0.001 for 99.9 %). */
  errorBudget: number;
  /** Error ratio above which the alert fires: burnRate × errorBudget. */
  threshold: number;
  /** Share of the period's budget spent when the long window fires (percent). */
  budgetSpentPct: number;
}

const hours = (w: string): number => {
  const m = /^(\d+)([mhd])$/.exec(w);
  if (!m) throw new Error(`window "${w}" is not a duration in m, h or d`);
  return Number(m[1]) * (m[2] === 'm' ? 1 / 60 : m[2] === 'h' ? 1 : 24);
};

/**
 * The burn-rate thresholds of an objective in percent (availability, or the share of requests
 * under the latency threshold). Throws a RangeError when sloObjectiveProblem (the model's
 * condition, which the catalog checks apply first) finds one: the objective is not in ]0, 100[
 * or so loose that the fastest alert could never fire (threshold above 100 % errors).
 */
export function burnRateThresholds(objectivePct: number): BurnRateThreshold[] {
  const problem = sloObjectiveProblem(objectivePct);
  if (problem) throw new RangeError(problem);
  const errorBudget = clean(1 - objectivePct / 100);
  return BURN_RATE_POLICY.map((w) => ({
    ...w,
    errorBudget,
    threshold: clean(w.burnRate * errorBudget),
    budgetSpentPct: clean((100 * w.burnRate * hours(w.longWindow)) / SLO_PERIOD_HOURS),
  }));
}

export const SLI_METRIC = 'http_server_request_duration_seconds';
const WINDOWS = [...new Set(BURN_RATE_POLICY.flatMap((w) => [w.shortWindow, w.longWindow]))].sort((a, b) => hours(a) - hours(b));
const RECORD = { errors: (w: string) => `hds:slo_errors:ratio_rate${w}`, slow: (w: string) => `hds:slo_latency_slow:ratio_rate${w}` };

/** Requirement ids every SLO alert names: its class's and supervision's. */
export function alertRequirements(slo: SloClassDoc): string {
  return [...new Set([...slo.requirements, 'EXG_DIS_1.9', 'EXG_MON_2', 'EXG_MON_9'])].sort().join(',');
}

function sloRules(c: ResolvedComponent): Record<string, unknown>[] {
  const ns = componentNamespace(c);
  const sel = `namespace="${ns}",service="${c.name}"`;
  const by = 'sum by (namespace, service)';
  const le = String(c.sloClass.latency.ms / 1000);
  const rules: Record<string, unknown>[] = [];
  for (const w of WINDOWS) {
    rules.push({
      record: RECORD.errors(w),
      expr: `${by} (rate(${SLI_METRIC}_count{${sel},http_response_status_code=~"5.."}[${w}])) / ${by} (rate(${SLI_METRIC}_count{${sel}}[${w}]))`,
    });
    rules.push({
      record: RECORD.slow(w),
      expr: `1 - (${by} (rate(${SLI_METRIC}_bucket{${sel},le="${le}"}[${w}])) / ${by} (rate(${SLI_METRIC}_count{${sel}}[${w}])))`,
    });
  }
  const objectives = [
    { kind: 'availability', alert: 'SLOAvailabilityBudgetBurn', record: RECORD.errors, pct: c.sloClass.availabilityPct, what: 'of requests failing (5xx)' },
    {
      kind: 'latency',
      alert: 'SLOLatencyBudgetBurn',
      record: RECORD.slow,
      pct: c.sloClass.latency.pct,
      what: `of requests slower than ${c.sloClass.latency.ms} ms`,
    },
  ] as const;
  for (const o of objectives) {
    for (const th of burnRateThresholds(o.pct)) {
      rules.push({
        alert: o.alert,
        expr: `${o.record(th.longWindow)}{${sel}} > ${th.threshold} and ${o.record(th.shortWindow)}{${sel}} > ${th.threshold}`,
        labels: {
          severity: th.severity,
          component: c.name,
          slo: o.kind,
          slo_class: c.sloClass.name,
          long_window: th.longWindow,
          requirements: alertRequirements(c.sloClass),
        },
        annotations: {
          summary: `${c.name}: ${o.kind} error budget burning ${th.burnRate}× too fast`,
          description:
            `More than ${clean(th.threshold * 100)} % ${o.what} over ${th.longWindow} and ${th.shortWindow} ` +
            `(objective ${o.pct} %, budget ${clean(th.errorBudget * 100)} %): ${th.budgetSpentPct} % of the 30-day budget spent.`,
        },
      });
    }
  }
  return rules;
}

function batchRules(c: ResolvedComponent): Record<string, unknown>[] {
  return [
    {
      alert: 'BatchJobFailed',
      expr: `kube_job_status_failed{namespace="${componentNamespace(c)}",job_name=~"${c.name}-.*"} > 0`,
      labels: { severity: 'ticket', component: c.name, requirements: 'EXG_ARA_1,EXG_MON_2,EXG_MON_9' },
      annotations: { summary: `${c.name}: a run of the batch failed`, description: `A Job of the CronJob ${c.name} failed (backoff limit reached).` },
    },
  ];
}

function serviceMonitor(ctx: PlanContext, c: ResolvedComponent): K8sObject {
  const ns = componentNamespace(c);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: c.name, namespace: ns, labels: componentLabels(ctx, c), annotations: { [ANNOTATION.requirements]: 'EXG_MON_2' } },
    spec: {
      // Same namespace only: user workload monitoring ignores namespace selectors anyway.
      selector: { matchLabels: podSelector(c) },
      endpoints: [
        {
          port: PORT_NAME,
          scheme: 'https',
          path: '/metrics',
          interval: '30s',
          tlsConfig: { ca: { configMap: { ...CLUSTER.serviceCaConfigMap } }, serverName: `${c.name}.${ns}.svc` },
        },
      ],
    },
  };
}

function prometheusRule(ctx: PlanContext, ns: NamespacePlan): K8sObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: sloRuleName(ns.name),
      namespace: ns.name,
      labels: { [LABEL.environment]: ctx.environment, [LABEL.domain]: ns.domain },
      annotations: { [ANNOTATION.requirements]: 'EXG_DIS_1.9,EXG_MON_2,EXG_MON_9' },
    },
    spec: { groups: ns.components.map((c) => ({ name: `${c.name}.slo`, rules: isBatch(c) ? batchRules(c) : sloRules(c) })) },
  };
}

export function monitoringObjects(ctx: PlanContext): K8sObject[] {
  return [...ctx.components.filter((c) => !isBatch(c)).map((c) => serviceMonitor(ctx, c)), ...ctx.namespaces.map((ns) => prometheusRule(ctx, ns))];
}
