/**
 * HorizontalPodAutoscalers (autoscaling/v2) of the serving components — not of a quorum (a
 * StatefulSet of Raft voters: a voter set is sized for fault tolerance and changed one member at
 * a time by an operator, never scaled by load; the 10× rule does not apply to it, the resolver
 * checks instead that its members carry the peak, E_WORKLOADS_QUORUM). The bounds are the
 * resolved component's (minReplicas, maxReplicas: derived by the catalog resolver from the load
 * figures so the maximum absorbs PEAK_FACTOR × the average load, EXG_VOL_5, EXG_ARA_3); the
 * HPA targets HPA_TARGET_CPU_UTILIZATION_PCT of the CPU requests. Each HPA carries the
 * derivation as an annotation, so a reviewer reads where its maximum comes from.
 */
import { HPA_TARGET_CPU_UTILIZATION_PCT, type K8sObject, PEAK_FACTOR, type ResolvedComponent } from '../../model/workloads.ts';
import { componentLabels, componentNamespace, isBatch, isStateful, type PlanContext } from './context.ts';
import { ANNOTATION } from './labels.ts';

/**
 * The load figures behind a component's HPA bounds, in one line (the rule is the resolver's,
 * replicasFor in modules/model/workloadsResolve.ts: the maximum serves PEAK_FACTOR × the
 * environment's average load at the HPA's CPU target).
 */
export function hpaDerivation(c: ResolvedComponent, loadFactor: number, editorSlots?: number): string {
  const round = (n: number) => Number(n.toPrecision(6));
  const source = c.perEditorSlot ? `× ${editorSlots ?? 0} editor slots (EXG_ENV_10)` : `× load factor ${loadFactor}`;
  return (
    `average ${round(c.load.averageRps)} rps ${source} = ${round(c.environmentRps)} rps; ` +
    `peak ${PEAK_FACTOR} × ${round(c.environmentRps)} = ${round(PEAK_FACTOR * c.environmentRps)} rps; ` +
    `${round(c.load.rpsPerReplica)} rps per replica at ${HPA_TARGET_CPU_UTILIZATION_PCT} % CPU; ` +
    `replicas ${c.minReplicas}..${c.maxReplicas}`
  );
}

export function autoscalerObjects(ctx: PlanContext): K8sObject[] {
  return ctx.components
    .filter((c) => !isBatch(c) && !isStateful(c))
    .map((c) => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: {
        name: c.name,
        namespace: componentNamespace(c),
        labels: componentLabels(ctx, c),
        annotations: {
          [ANNOTATION.hpaDerivation]: hpaDerivation(c, ctx.workloads.loadFactor, ctx.t.environment.editorSlots),
          [ANNOTATION.requirements]: 'EXG_VOL_5,EXG_ARA_3',
        },
      },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: c.name },
        minReplicas: c.minReplicas,
        maxReplicas: c.maxReplicas,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: HPA_TARGET_CPU_UTILIZATION_PCT } } }],
      },
    }));
}
