/**
 * Test fixture of the workloads program (capture, CLI): a small hand-written cluster plan with
 * one object of every kind the program maps — the core kinds through typed classes and the
 * operators' kinds as CustomResources — shaped like the workloads plan's objects.
 */
import type { K8sObject } from '../model/workloads.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const labels = (component: string) => ({ 'app.kubernetes.io/name': component, 'app.kubernetes.io/part-of': 'mes-dmp', 'hds.platform/domain': 'documents' });

/** One namespace, `documents`, with a Deployment and what goes with it, in apply order. */
export function fixtureObjects(namespace = 'documents'): K8sObject[] {
  const ns = namespace;
  const pod = {
    metadata: { labels: labels('documents-api') },
    spec: {
      serviceAccountName: 'documents-api',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'documents-api' } },
        },
      ],
      containers: [
        {
          name: 'documents-api',
          image: `registry.hds.internal/mes/documents-api@${DIGEST}`,
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/live', port: 'http' }, periodSeconds: 10 },
          env: [{ name: 'DB_CREDENTIALS_PATH', value: 'openbao://kv/production/documents/db' }],
        },
      ],
    },
  };
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'hds.platform/environment': 'production', 'hds.platform/data-classification': 'health' } },
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'quota', namespace: ns },
      spec: { hard: { 'requests.cpu': '8', 'requests.memory': '16Gi', pods: '40' } },
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
      metadata: { name: 'documents-api-egress-postgresql', namespace: ns },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'documents-api' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.20.3.10/32' } }], ports: [{ protocol: 'TCP', port: 5000 }] }],
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'documents-api', namespace: ns }, automountServiceAccountToken: false },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'documents-api', namespace: ns }, data: { SECRETS_BACKEND: 'openbao', LOG_LEVEL: 'info' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'documents-api', namespace: ns, labels: labels('documents-api') },
      spec: { selector: { 'app.kubernetes.io/name': 'documents-api' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'documents-api', namespace: ns, labels: labels('documents-api') },
      spec: { replicas: 3, selector: { matchLabels: { 'app.kubernetes.io/name': 'documents-api' } }, template: pod },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'documents-purge', namespace: ns },
      spec: {
        schedule: '0 2 * * *',
        concurrencyPolicy: 'Forbid',
        jobTemplate: { spec: { template: { ...pod, spec: { ...pod.spec, restartPolicy: 'OnFailure' } } } },
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'documents-api', namespace: ns },
      spec: { minAvailable: 2, selector: { matchLabels: { 'app.kubernetes.io/name': 'documents-api' } } },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'documents-api', namespace: ns },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'documents-api' },
        minReplicas: 3,
        maxReplicas: 30,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      },
    },
    {
      apiVersion: 'route.openshift.io/v1',
      kind: 'Route',
      metadata: { name: 'documents-api', namespace: ns, annotations: { 'haproxy.router.openshift.io/ip_whitelist': '10.20.1.0/24' } },
      spec: {
        path: '/documents',
        to: { kind: 'Service', name: 'documents-api' },
        port: { targetPort: 'http' },
        tls: { termination: 'reencrypt', insecureEdgeTerminationPolicy: 'None' },
      },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'documents-api', namespace: ns },
      spec: { selector: { matchLabels: { 'app.kubernetes.io/name': 'documents-api' } }, endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }] },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'documents-api-slo', namespace: ns },
      spec: {
        groups: [
          {
            name: 'documents-api-slo',
            rules: [
              { alert: 'DocumentsApiErrorBudgetBurn', expr: 'slo:burn_rate:1h{component="documents-api"} > 14.4', for: '2m', labels: { severity: 'page' } },
            ],
          },
        ],
      },
    },
    {
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaTopic',
      metadata: { name: 'documents.events', namespace: ns, labels: { 'strimzi.io/cluster': 'kafka' } },
      spec: { partitions: 12, replicas: 4, config: { 'min.insync.replicas': '3', 'retention.ms': '604800000' } },
    },
  ];
}
