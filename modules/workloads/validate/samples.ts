/**
 * A small hand-built set of manifests, valid against every schema and compliant with every
 * workloads policy (K8S-*): one domain namespace (`documents`) with its quota, limits, default
 * deny and one allowed flow, a Deployment under the restricted-v2 SCC with its Service,
 * HorizontalPodAutoscaler, PodDisruptionBudget, Route, ServiceMonitor and SLO PrometheusRule, a
 * batch CronJob, a Kafka topic and user. With `SAMPLE_WORKLOADS`, the catalog resolution it
 * comes from. Used by the validation tests and the policy fixtures: each test breaks one thing.
 *
 * Independent of the workloads plan on purpose: the plan is judged by the same rules on the
 * real catalog; these samples pin what the rules and schemas accept.
 */
import type { K8sObject, ResolvedComponent, ResolvedWorkloads } from '../../model/workloads.ts';

export const SAMPLE_REGISTRY = 'registry.hds.internal';
export const SAMPLE_DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

const slo = { name: 'standard', availabilityPct: 99.9, latency: { pct: 95, ms: 500 }, requirements: ['EXG_DIS_2.1'] };

const api: ResolvedComponent = {
  name: 'documents-api',
  tier: 'business',
  description: 'Documents micro-service',
  domain: 'documents',
  image: { repository: `${SAMPLE_REGISTRY}/mes/documents-api`, digest: SAMPLE_DIGEST },
  port: 8080,
  resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
  // Peak 10 × 200 = 2000 rps; 50 rps per replica at 70 % CPU → ceil(2000 / 35) = 58 replicas.
  load: { averageRps: 200, rpsPerReplica: 50 },
  slo: 'standard',
  exposure: 'public',
  routePath: '/documents',
  needs: [{ platform: 'postgresql' }, { platform: 'kafka' }],
  kafka: { produces: ['documents.events'] },
  minReplicas: 2,
  maxReplicas: 58,
  sloClass: slo,
  pgDomain: 'documents',
  environmentRps: 200,
};

const purge: ResolvedComponent = {
  ...api,
  name: 'documents-purge',
  tier: 'batch',
  description: 'Mass processing over all spaces',
  image: { repository: `${SAMPLE_REGISTRY}/mes/documents-purge`, digest: SAMPLE_DIGEST },
  load: { averageRps: 0, rpsPerReplica: 1 },
  exposure: 'internal',
  routePath: undefined,
  kafka: undefined,
  schedule: '0 2 * * *',
  minReplicas: 1,
  maxReplicas: 1,
  environmentRps: 0,
};

export const SAMPLE_WORKLOADS: ResolvedWorkloads = {
  catalog: 'sample',
  registry: SAMPLE_REGISTRY,
  loadFactor: 1,
  domains: [{ name: 'documents', classification: 'health' }],
  components: [api, purge],
  topics: [{ name: 'documents.events', domain: 'documents', partitions: 12, retentionHours: 168 }],
  sloClasses: [slo],
  secrets: { component: 'openbao', pathPrefix: 'kv/data/hds' },
};

const ns = 'documents';
const labels = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'mes-dmp', 'hds.platform/domain': ns });

function restrictedContainer(name: string, image: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    image,
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    ...extra,
  };
}

function podSpec(component: string, containers: unknown[]) {
  return {
    serviceAccountName: component,
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers,
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
  };
}

const image = (c: ResolvedComponent) => `${c.image.repository}@${c.image.digest}`;

/** A fresh copy of the sample manifests (one cluster), in apply order. */
export function sampleManifests(): K8sObject[] {
  const apiLabels = labels(api.name);
  const objects: K8sObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'hds.platform/environment': 'sample', 'hds.platform/domain': ns, 'hds.platform/data-classification': 'health' } },
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'quota', namespace: ns },
      spec: { hard: { 'requests.cpu': '20', 'requests.memory': '40Gi', 'limits.cpu': '80', 'limits.memory': '80Gi', pods: '80' } },
    },
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'limits', namespace: ns },
      spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: ns },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'documents-api-from-router', namespace: ns },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': api.name } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { 'policy-group.network.openshift.io/ingress': '' } } }],
            ports: [{ protocol: 'TCP', port: api.port }],
          },
        ],
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: api.name, namespace: ns, labels: apiLabels }, automountServiceAccountToken: false },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${api.name}-config`, namespace: ns, labels: apiLabels },
      data: {
        'application.properties':
          'db.url=jdbc:postgresql://pg-documents:5432/documents\ndb.password.ref=openbao:kv/data/hds/sample/documents/documents-api#password\n',
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: api.name, namespace: ns, labels: apiLabels },
      spec: {
        replicas: api.minReplicas,
        selector: { matchLabels: { 'app.kubernetes.io/name': api.name } },
        template: {
          metadata: {
            labels: apiLabels,
            annotations: {
              'openbao.openbao.org/agent-inject': 'true',
              'openbao.openbao.org/agent-inject-secret-config': 'kv/data/hds/sample/documents/documents-api',
              'openbao.openbao.org/role': api.name,
            },
          },
          spec: {
            ...podSpec(api.name, [
              restrictedContainer(api.name, image(api), {
                ports: [{ name: 'http', containerPort: api.port }],
                env: [
                  { name: 'DB_HOST', value: 'pg-documents.hds.internal' },
                  { name: 'DB_PASSWORD_FILE', value: '/openbao/secrets/config' },
                ],
                readinessProbe: { httpGet: { path: '/health/ready', port: 'http' }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: '/health/live', port: 'http' }, periodSeconds: 10 },
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              }),
            ]),
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'DoNotSchedule',
                labelSelector: { matchLabels: { 'app.kubernetes.io/name': api.name } },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: api.name, namespace: ns, labels: apiLabels },
      spec: { selector: { 'app.kubernetes.io/name': api.name }, ports: [{ name: 'http', port: api.port, targetPort: 'http' }] },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: api.name, namespace: ns, labels: apiLabels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: api.name },
        minReplicas: api.minReplicas,
        maxReplicas: api.maxReplicas,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: api.name, namespace: ns, labels: apiLabels },
      spec: { minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': api.name } } },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: purge.name, namespace: ns, labels: labels(purge.name) },
      spec: {
        schedule: purge.schedule,
        concurrencyPolicy: 'Forbid',
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            template: {
              metadata: { labels: labels(purge.name) },
              spec: { ...podSpec(purge.name, [restrictedContainer(purge.name, image(purge))]), restartPolicy: 'OnFailure' },
            },
          },
        },
      },
    },
    {
      apiVersion: 'route.openshift.io/v1',
      kind: 'Route',
      metadata: { name: api.name, namespace: ns, labels: apiLabels },
      spec: {
        host: 'api.mes.hds.internal',
        path: api.routePath,
        to: { kind: 'Service', name: api.name, weight: 100 },
        port: { targetPort: 'http' },
        tls: { termination: 'reencrypt', insecureEdgeTerminationPolicy: 'Redirect' },
      },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: api.name, namespace: ns, labels: apiLabels },
      spec: { selector: { matchLabels: { 'app.kubernetes.io/name': api.name } }, endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }] },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: `${api.name}-slo`, namespace: ns, labels: apiLabels },
      spec: {
        groups: [
          {
            name: `${api.name}-slo-burn`,
            rules: [
              {
                alert: 'DocumentsApiErrorBudgetBurn',
                expr: 'sum(rate(http_requests_total{job="documents-api",code=~"5.."}[1h])) / sum(rate(http_requests_total{job="documents-api"}[1h])) > 14.4 * 0.001',
                for: '2m',
                labels: { severity: 'critical' },
                annotations: { summary: 'documents-api burns its monthly error budget 14.4 times too fast' },
              },
            ],
          },
        ],
      },
    },
    {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: { name: 'documents.events', namespace: ns, labels: { 'strimzi.io/cluster': 'kafka' } },
      spec: { partitions: 12, replicas: 4, config: { 'retention.ms': 604800000 } },
    },
    {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaUser',
      metadata: { name: api.name, namespace: ns, labels: { 'strimzi.io/cluster': 'kafka' } },
      spec: {
        authentication: { type: 'tls' },
        authorization: {
          type: 'simple',
          acls: [{ resource: { type: 'topic', name: 'documents.events', patternType: 'literal' }, operations: ['Write', 'Describe'] }],
        },
      },
    },
  ];
  return structuredClone(objects);
}
