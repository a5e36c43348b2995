/**
 * Names, labels and annotations of the workloads plan, declared once. Every object the plan
 * emits takes its labels from here, and the NetworkPolicies select pods and namespaces with the
 * same keys, so a selector and the objects it must match cannot drift apart.
 */

/** Label keys the plan sets (Kubernetes recommended labels plus the platform's own). */
export const LABEL = {
  /** Pod selector of every workload, Service, PDB and NetworkPolicy: the component name. */
  app: 'app.kubernetes.io/name',
  tier: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  environment: 'hds.platform/environment',
  domain: 'hds.platform/domain',
  classification: 'hds.platform/data-classification',
  /** Set by Kubernetes itself on every namespace (1.21+): how policies select a namespace by name. */
  namespaceName: 'kubernetes.io/metadata.name',
  /** Strimzi: the Kafka cluster a KafkaTopic or KafkaUser belongs to. */
  strimziCluster: 'strimzi.io/cluster',
} as const;

/** Annotation keys the plan sets on its own objects. */
export const ANNOTATION = {
  /** The flow a NetworkPolicy implements (EXG_ART_1.2): `<source>-to-<destination>`. */
  flow: 'hds.platform/flow',
  purpose: 'hds.platform/purpose',
  /** Requirement ids an object implements, comma separated. */
  requirements: 'hds.platform/requirements',
  /** How an HPA's bounds were derived from the catalog's load figures (EXG_VOL_5, EXG_ARA_3). */
  hpaDerivation: 'hds.platform/hpa-derivation',
  /** HSM key domain that encrypts a topic's payloads (EXG_SEC_4.3). */
  keyDomain: 'hds.platform/key-domain',
  /** OpenShift service CA: generates the Service's serving certificate into a Secret of this name. */
  servingCert: 'service.beta.openshift.io/serving-cert-secret-name',
  /** OpenShift router: only these source CIDRs may reach the Route (space separated). */
  routerIpAllowlist: 'haproxy.router.openshift.io/ip_allowlist',
} as const;

/**
 * Namespaces and labels of the OpenShift cluster the policies allow traffic from or to. They
 * are OpenShift's own (4.14+), not the model's.
 */
export const CLUSTER = {
  /** CoreDNS daemon set; pods listen on 5353 (the dns-default Service maps 53 to 5353). */
  dnsNamespace: 'openshift-dns',
  dnsPodLabels: { 'dns.operator.openshift.io/daemonset-dns': 'default' } as Record<string, string>,
  /**
   * The ingress routers run on the infra nodes' host network (on-premises IngressController,
   * HostNetwork strategy): OVN-Kubernetes matches their traffic with this namespace label, which
   * OpenShift sets on openshift-ingress and on the host network; a name selector would miss it.
   */
  ingressPolicyGroup: { 'policy-group.network.openshift.io/ingress': '' } as Record<string, string>,
  /** Prometheus of OpenShift's user workload monitoring: scrapes ServiceMonitors of user namespaces. */
  monitoringNamespace: 'openshift-user-workload-monitoring',
  /** ConfigMap OpenShift injects in every namespace with the service CA bundle. */
  serviceCaConfigMap: { name: 'openshift-service-ca.crt', key: 'service-ca.crt' },
} as const;

/** Kubernetes and OpenShift own these namespace names; no catalog domain may take one. */
export function isReservedNamespace(name: string): boolean {
  return name === 'default' || name.startsWith('kube-') || name.startsWith('openshift') || name === 'openshift';
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 label: namespaces, Services, container and port names (at most 63 characters). */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** RFC 1123 subdomain: names of most other objects (at most 253 characters, dot-separated labels). */
export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && s.split('.').every((part) => part.length <= 63 && DNS1123_LABEL.test(part));
}

/**
 * A DNS-1123 subdomain for a name that may not be one (a Kafka topic `accounts_events` becomes
 * `accounts-events`): lower case, anything else than [a-z0-9.-] becomes `-`, trimmed.
 */
export function toDns1123Subdomain(s: string): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .split('.')
    .map((part) => part.replace(/^-+|-+$/g, ''))
    .filter((part) => part.length > 0)
    .join('.');
  if (!out || !isDns1123Subdomain(out)) throw new Error(`"${s}" cannot be turned into a Kubernetes object name (DNS-1123 subdomain)`);
  return out;
}
