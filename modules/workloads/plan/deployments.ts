/**
 * The workloads of a component: its ServiceAccount, its Service (not for batch), its
 * Deployment — a StatefulSet for a component with a `quorum`, a CronJob for a `schedule`d one —
 * and its PodDisruptionBudget.
 *
 * A quorum (OpenBao's Raft voters) is a StatefulSet: `quorum` replicas, never autoscaled; stable
 * member names (`openbao-0.openbao-peers.platform.svc`) under the headless `<name>-peers` Service
 * (serviceName); one ReadWriteOnce volume per member from the catalog's `storage`
 * (volumeClaimTemplate `data`, kept when the StatefulSet is deleted or scaled down:
 * persistentVolumeClaimRetentionPolicy Retain). podManagementPolicy is Parallel: with
 * OrderedReady, member 1 waits until member 0 is Ready, and a Raft member is ready only once the
 * group has a leader, which needs a majority — after a full stop (a cluster restart, a DC's
 * return) member 0 alone would never become ready and the group would never start. Parallel only
 * changes scaling; rolling updates still replace one member at a time, highest ordinal first,
 * each waiting for the previous to be Ready (unsealed by the HSM, rejoined), so a 3-member group
 * keeps its majority, as its PodDisruptionBudget (maxUnavailable 1) does for evictions. The pods
 * run under the same restricted-v2 context; OpenShift assigns the fsGroup from the namespace's
 * range, and fsGroupChangePolicy OnRootMismatch spares a recursive chown of the volume at each start.
 *
 * Every pod template is compliant with OpenShift's `restricted-v2` SCC and the `restricted`
 * Pod Security Standard the namespaces enforce: runAsNonRoot, no privilege escalation, every
 * capability dropped, seccomp RuntimeDefault, read-only root file system (writable /tmp is an
 * emptyDir), and no runAsUser — OpenShift assigns one from the namespace's range.
 *
 * Secrets: ONLY OpenBao references. The OpenBao agent injector (openbao-k8s, a mutating webhook)
 * sees the pod annotations, authenticates with a short-lived projected service-account token
 * (audience `openbao`; the application container mounts no token, automountServiceAccountToken
 * is false) and renders `<pathPrefix>/<environment>/<domain>/<component>` into a memory volume.
 * No Secret object and no secret value is ever in the plan. The one Secret a pod mounts is the
 * serving certificate OpenShift's service CA generates inside the cluster for the component's
 * Service (`<component>-tls`): a reference to a key that never leaves the cluster.
 */
import type { ResolvedComponent } from '../../model/workloads.ts';
import type { K8sObject } from '../../model/workloads.ts';
import { componentLabels, componentNamespace, injectsSecrets, isBatch, isStateful, type PlanContext, podSelector, secretPath } from './context.ts';
import { ANNOTATION } from './labels.ts';
import { cpuMillis, memoryMiB } from './quantities.ts';

/** Annotation prefix of the OpenBao agent injector (openbao-k8s). */
export const OPENBAO_ANNOTATION_PREFIX = 'openbao.openbao.org/';

/**
 * Resources of the injected OpenBao agent (init and sidecar), set by annotation so the quota
 * and the LimitRange account for them (the injector's own default is larger).
 */
export const AGENT_RESOURCES = { requests: { cpu: '25m', memory: '64Mi' }, limits: { cpu: '250m', memory: '128Mi' } } as const;

/** Rolling updates add at most this share of pods (rounded up) and never remove one first (EXG_DIS_2.3). */
export const MAX_SURGE_PCT = 25;

/** Time zone of the batch schedules (the catalog's cron expressions are French civil time). */
export const BATCH_TIME_ZONE = 'Europe/Paris';

/**
 * The probe contract every serving component implements, on its HTTPS port: `/health/live`
 * (the process is sound; restart otherwise) and `/health/ready` (it can serve; out of the
 * Service otherwise). The startup probe gives a slow start 5 minutes before liveness applies.
 */
export const PROBES = {
  startup: { path: '/health/live', periodSeconds: 5, failureThreshold: 60, timeoutSeconds: 2 },
  liveness: { path: '/health/live', periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
  readiness: { path: '/health/ready', periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 2 },
} as const;

/** Name of the container port, the Service port and the ServiceMonitor endpoint. */
export const PORT_NAME = 'https';

/** Name of a quorum member's peer port (container and headless Service): OpenBao's cluster port. */
export const PEER_PORT_NAME = 'peers';

/** Name of the headless Service of a quorum's members. */
export const peersServiceName = (c: ResolvedComponent): string => `${c.name}-peers`;

const TOKEN_VOLUME = 'openbao-token';
const TLS_MOUNT = '/etc/tls/private';

export const servingCertSecretName = (c: ResolvedComponent): string => `${c.name}-tls`;

/**
 * `<repository>@<digest>`: the catalog's repository names the internal registry
 * (`<registry>/<path>`, checked by planContext) and the image is pinned by digest.
 */
export function imageReference(c: ResolvedComponent): string {
  return `${c.image.repository}@${c.image.digest}`;
}

/** The OpenBao agent injector annotations of a component's pods (empty for OpenBao itself). */
export function openbaoAnnotations(ctx: PlanContext, c: ResolvedComponent): Record<string, string> {
  if (!injectsSecrets(ctx, c)) return {};
  const bao = ctx.secrets.component;
  const a = (k: string, v: string): [string, string] => [`${OPENBAO_ANNOTATION_PREFIX}${k}`, v];
  return Object.fromEntries([
    a('agent-inject', 'true'),
    a('agent-inject-secret-config', secretPath(ctx, c)),
    a('role', c.name),
    a('service', `https://${bao.name}.${componentNamespace(bao)}.svc:${bao.port}`),
    a('agent-service-account-token-volume-name', TOKEN_VOLUME),
    // restricted-v2: OpenShift assigns the UID; the injector's fixed runAsUser would be refused.
    a('agent-set-security-context', 'false'),
    a('agent-requests-cpu', AGENT_RESOURCES.requests.cpu),
    a('agent-requests-mem', AGENT_RESOURCES.requests.memory),
    a('agent-limits-cpu', AGENT_RESOURCES.limits.cpu),
    a('agent-limits-mem', AGENT_RESOURCES.limits.memory),
  ]);
}

/** Requests and limits of one pod of the component, the OpenBao agent included (millicores, MiB). */
export function podResources(ctx: PlanContext, c: ResolvedComponent): { requests: { cpu: number; memory: number }; limits: { cpu: number; memory: number } } {
  const agent = injectsSecrets(ctx, c) ? 1 : 0;
  return {
    requests: {
      cpu: cpuMillis(c.resources.requests.cpu) + agent * cpuMillis(AGENT_RESOURCES.requests.cpu),
      memory: memoryMiB(c.resources.requests.memory) + agent * memoryMiB(AGENT_RESOURCES.requests.memory),
    },
    limits: {
      cpu: cpuMillis(c.resources.limits.cpu) + agent * cpuMillis(AGENT_RESOURCES.limits.cpu),
      memory: memoryMiB(c.resources.limits.memory) + agent * memoryMiB(AGENT_RESOURCES.limits.memory),
    },
  };
}

/**
 * Pods of the component at its HPA maximum during a rolling update (batch: its parallelism,
 * maxReplicas; a StatefulSet: its quorum, replaced one pod at a time without surge).
 */
export function podsAtMax(c: ResolvedComponent): number {
  if (isBatch(c) || isStateful(c)) return c.maxReplicas;
  return c.maxReplicas + Math.ceil((c.maxReplicas * MAX_SURGE_PCT) / 100);
}

const RESTRICTED_CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** Name of a StatefulSet's volumeClaimTemplate (and of the pod volume it provides). */
export const DATA_VOLUME = 'data';

/** Probe paths of a component: the catalog's `health`, else the platform's contract (PROBES). */
export function probePaths(c: ResolvedComponent): { live: string; ready: string } {
  return c.health ? { ...c.health } : { live: PROBES.liveness.path, ready: PROBES.readiness.path };
}

function httpProbe(p: { periodSeconds: number; failureThreshold: number; timeoutSeconds: number }, path: string): Record<string, unknown> {
  return {
    httpGet: { path, port: PORT_NAME, scheme: 'HTTPS' },
    periodSeconds: p.periodSeconds,
    failureThreshold: p.failureThreshold,
    timeoutSeconds: p.timeoutSeconds,
  };
}

function podTemplate(ctx: PlanContext, c: ResolvedComponent): Record<string, unknown> {
  const batch = isBatch(c);
  const inject = injectsSecrets(ctx, c);
  const volumes: Record<string, unknown>[] = [{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }];
  const mounts: Record<string, unknown>[] = [{ name: 'tmp', mountPath: '/tmp' }];
  if (!batch) {
    volumes.push({ name: 'serving-cert', secret: { secretName: servingCertSecretName(c), defaultMode: 0o440 } });
    mounts.push({ name: 'serving-cert', mountPath: TLS_MOUNT, readOnly: true });
  }
  // A member's volume comes from the StatefulSet's volumeClaimTemplate of the same name.
  if (isStateful(c) && c.storage) mounts.push({ name: DATA_VOLUME, mountPath: c.storage.mountPath });
  const paths = probePaths(c);
  if (inject) {
    // Mounted by the injector into the OpenBao agent containers only (annotation above).
    volumes.push({ name: TOKEN_VOLUME, projected: { sources: [{ serviceAccountToken: { audience: 'openbao', expirationSeconds: 3600, path: 'token' } }] } });
  }
  const container: Record<string, unknown> = {
    name: c.name,
    image: imageReference(c),
    imagePullPolicy: 'IfNotPresent',
    ports: [
      { name: PORT_NAME, containerPort: c.port, protocol: 'TCP' },
      ...(c.peerPort !== undefined ? [{ name: PEER_PORT_NAME, containerPort: c.peerPort, protocol: 'TCP' }] : []),
    ],
    resources: { requests: { ...c.resources.requests }, limits: { ...c.resources.limits } },
    securityContext: structuredClone(RESTRICTED_CONTAINER_SECURITY),
    volumeMounts: mounts,
    ...(batch
      ? {}
      : {
          startupProbe: httpProbe(PROBES.startup, paths.live),
          livenessProbe: httpProbe(PROBES.liveness, paths.live),
          readinessProbe: httpProbe(PROBES.readiness, paths.ready),
        }),
  };
  const spec: Record<string, unknown> = {
    serviceAccountName: c.name,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      ...(isStateful(c) ? { fsGroupChangePolicy: 'OnRootMismatch' } : {}),
    },
    containers: [container],
    volumes,
    terminationGracePeriodSeconds: 30,
    ...(batch ? { restartPolicy: 'Never' } : {}),
  };
  if (!batch) {
    spec.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: c.minReplicas >= 2 ? 'DoNotSchedule' : 'ScheduleAnyway',
        labelSelector: { matchLabels: podSelector(c) },
      },
    ];
  }
  const annotations = openbaoAnnotations(ctx, c);
  return { metadata: { labels: componentLabels(ctx, c), ...(Object.keys(annotations).length ? { annotations } : {}) }, spec };
}

function meta(ctx: PlanContext, c: ResolvedComponent, annotations?: Record<string, string>): K8sObject['metadata'] {
  return { name: c.name, namespace: componentNamespace(c), labels: componentLabels(ctx, c), ...(annotations ? { annotations } : {}) };
}

/**
 * The headless Service of a quorum's members, `<name>-peers`: one DNS record per member, ready or
 * not (publishNotReadyAddresses). A member that has not joined the Raft cluster yet is sealed
 * or uninitialised, hence not ready, and must still be found: OpenBao's `retry_join` names
 * `https://<name>-peers.<namespace>.svc:<port>` as `leader_api_addr` (with `leader_tls_servername`
 * `<name>.<namespace>.svc`, the name on the service-CA certificate), and the members then talk
 * Raft on their pod addresses at peerPort. Its ports are named `api` and `peers`, never
 * PORT_NAME, so the component's ServiceMonitor (endpoint port PORT_NAME) scrapes each pod once,
 * through the ordinary Service.
 */
function peersService(ctx: PlanContext, c: ResolvedComponent, peerPort: number): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...meta(ctx, c), name: peersServiceName(c) },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: podSelector(c),
      ports: [
        { name: 'api', port: c.port, targetPort: PORT_NAME, protocol: 'TCP' },
        { name: PEER_PORT_NAME, port: peerPort, targetPort: PEER_PORT_NAME, protocol: 'TCP' },
      ],
    },
  };
}

/** The StatefulSet of a quorum (header): `quorum` members, Parallel, one volume each, no HPA. */
function statefulSet(ctx: PlanContext, c: ResolvedComponent): K8sObject {
  const storage = c.storage!; // planContext refuses a quorum without storage
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(ctx, c, { [ANNOTATION.requirements]: 'EXG_DIS_2.3,EXG_DIS_2.1' }),
    spec: {
      replicas: c.quorum,
      serviceName: peersServiceName(c),
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      revisionHistoryLimit: 5,
      selector: { matchLabels: podSelector(c) },
      template: podTemplate(ctx, c),
      volumeClaimTemplates: [
        {
          metadata: { name: DATA_VOLUME, labels: componentLabels(ctx, c) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            volumeMode: 'Filesystem',
            ...(storage.class !== undefined ? { storageClassName: storage.class } : {}),
            resources: { requests: { storage: storage.size } },
          },
        },
      ],
    },
  };
}

/** ServiceAccount, Service (and the peers' headless Service of a quorum), Deployment, StatefulSet or CronJob, and PodDisruptionBudget of a component. */
export function componentWorkloads(ctx: PlanContext, c: ResolvedComponent): K8sObject[] {
  const out: K8sObject[] = [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(ctx, c), automountServiceAccountToken: false }];
  if (isBatch(c)) {
    out.push({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta(ctx, c, { [ANNOTATION.requirements]: 'EXG_ARA_1' }),
      spec: {
        schedule: c.schedule,
        timeZone: BATCH_TIME_ZONE,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels: componentLabels(ctx, c) },
          spec: {
            // Mass processing over all spaces (EXG_ARA_1): one shard per index, JOB_COMPLETION_INDEX.
            completionMode: 'Indexed',
            completions: c.maxReplicas,
            parallelism: c.maxReplicas,
            backoffLimit: 3,
            template: podTemplate(ctx, c),
          },
        },
      },
    });
    return out;
  }
  out.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(ctx, c, { [ANNOTATION.servingCert]: servingCertSecretName(c) }),
    spec: { type: 'ClusterIP', selector: podSelector(c), ports: [{ name: PORT_NAME, port: c.port, targetPort: PORT_NAME, protocol: 'TCP' }] },
  });
  if (c.quorum !== undefined && c.peerPort !== undefined) out.push(peersService(ctx, c, c.peerPort));
  if (isStateful(c)) out.push(statefulSet(ctx, c));
  else
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(ctx, c, { [ANNOTATION.requirements]: 'EXG_DIS_2.3,EXG_ARA_3' }),
      spec: {
        replicas: c.minReplicas,
        revisionHistoryLimit: 5,
        selector: { matchLabels: podSelector(c) },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: `${MAX_SURGE_PCT}%`, maxUnavailable: 0 } },
        template: podTemplate(ctx, c),
      },
    });
  // A quorum of 3 keeps its majority with one member away (maxUnavailable 1).
  if (c.minReplicas >= 2) {
    out.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(ctx, c),
      spec: { maxUnavailable: 1, selector: { matchLabels: podSelector(c) } },
    });
  }
  return out;
}
