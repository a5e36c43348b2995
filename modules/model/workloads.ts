/**
 * The application catalog (issue 12): the MES/DMP components that run on the OpenShift
 * clusters, declared once for the platform (environments/catalogs/<name>.yaml, kind
 * ApplicationCatalog), and each environment's choice of them (EnvironmentDoc.workloads).
 *
 * Everything the workloads layer renders — namespaces, quotas, NetworkPolicies, Deployments,
 * HPAs, PDBs, Routes, ServiceMonitors, SLO alerts, Kafka topics and users — is derived from
 * these declarations and the topology; nothing in the Pulumi program is typed in.
 *
 * Requirement ids: EXG_ARA_1 (batch over all spaces), EXG_ARA_3 / EXG_VOL_5 (10× the average
 * load), EXG_SEC_4.2 / EXG_SEC_4.3 (one HSM key domain per micro-service domain), EXG_ART_1.2
 * (flow matrix), EXG_DIS_* / EXG_MON_* (SLO and supervision), EXG_ENV_10 (editor slots).
 */

/** Where a component sits in the CCTP's functional architecture (seed 000). */
export type ComponentTier = 'front' | 'mediation' | 'business' | 'transverse' | 'batch' | 'platform';

/** Data classification of a domain's namespace (label `hds.platform/data-classification`). */
export type DataClassification = 'health' | 'personal' | 'internal' | 'public';

/**
 * SLO classes of the catalog: an availability objective and a latency objective, from which
 * the burn-rate alerts are computed (multi-window, multi-burn-rate; see the workloads plan).
 */
export interface SloClassDoc {
  name: string;
  /** Availability objective in percent over the month (e.g. 99.9, EXG_DIS_2.1). */
  availabilityPct: number;
  /** Latency objective: this share (percent) of requests under `latencyMs`. */
  latency: { pct: number; ms: number };
  requirements: string[];
}

/**
 * Something outside the cluster a component opens connections to (egress by ipBlock):
 * - `postgresql`: its data domain's cluster, through the HAProxy of its site;
 * - `kafka`: the brokers of the stretched cluster;
 * - `hsm`: the HSM appliances of its site (its key domain, EXG_SEC_4.2);
 * - `object-storage`: the Ceph object gateways (RGW) of the stretched cluster;
 * - `kubernetes-api`: the API servers of its own OpenShift cluster (the master guests of the
 *   site, on PORTS.ocpApi), e.g. OpenBao's kubernetes auth method calling the TokenReview API.
 *   Pods reach it through the `kubernetes` Service; OVN-Kubernetes applies NetworkPolicies after
 *   the Service's translation to the masters' addresses, so the ipBlock names the masters.
 */
export type PlatformDependency = 'postgresql' | 'kafka' | 'hsm' | 'object-storage' | 'kubernetes-api';

/** Every PlatformDependency, in declaration order (the schema's enum lists the same). */
export const PLATFORM_DEPENDENCIES: readonly PlatformDependency[] = ['postgresql', 'kafka', 'hsm', 'object-storage', 'kubernetes-api'];

/**
 * One flow a component needs, declared once: to another component (pod-to-pod, by labels,
 * on the target's port) or to a platform service (egress by ipBlock from the address plan,
 * on the service's ports). `postgresql` means the component's own domain's PostgreSQL cluster
 * (through the HAProxy endpoints of its site); `hsm` its own key domain.
 */
export type ComponentFlowDoc = { component: string; purpose?: string } | { platform: PlatformDependency; purpose?: string };

/** Produced and consumed Kafka topics (names of CatalogDoc.topics). */
export interface ComponentKafkaDoc {
  produces?: string[];
  consumes?: string[];
}

export interface ComponentDoc {
  /** DNS label, unique in the catalog (e.g. `documents-api`). */
  name: string;
  tier: ComponentTier;
  description: string;
  /**
   * Business domain: the namespace (`<domain>`), the HSM key domain (EXG_SEC_4.2/4.3) and the
   * PostgreSQL cluster (`pg-<domain>`) the component uses.
   */
  domain: string;
  /**
   * The domain whose PostgreSQL cluster and HSM key domain the component uses, when it has none
   * of its own (e.g. `identity` keeps its records in the `accounts` cluster, the ENS business
   * base). Default: `domain`. The namespace stays `domain`.
   */
  dataDomain?: string;
  /** Image in the internal registry, pinned by digest (`sha256:` + 64 hex). */
  image: { repository: string; digest: string };
  /** The HTTP port the container listens on (probes, Service, metrics at /metrics). */
  port: number;
  /** Per replica. Quantities in Kubernetes notation ("250m", "512Mi"). */
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  /**
   * Load figures at production scale: the average requests per second the component serves
   * and what one replica sustains within its latency objective. Replicas and HPA bounds are
   * derived from these (EXG_VOL_5, EXG_ARA_3), never typed in.
   */
  load: { averageRps: number; rpsPerReplica: number };
  slo: string;
  /** Exposed to users and partners through the WAF (a Route, TLS re-encrypt). */
  exposure: 'public' | 'internal';
  /** Path prefix of the public Route, when exposure is public. */
  routePath?: string;
  needs: ComponentFlowDoc[];
  kafka?: ComponentKafkaDoc;
  /** Batch components run as CronJobs (EXG_ARA_1: mass processing over all spaces). */
  schedule?: string;
  /** Scales with the environment's editor slots (certification: EXG_ENV_10) instead of load. */
  perEditorSlot?: boolean;
  /**
   * Members of a consensus group (OpenBao's integrated Raft storage: 3). Such a component runs as
   * a StatefulSet of exactly `quorum` replicas, each with its own volume (`storage`) and stable
   * name; it has no HorizontalPodAutoscaler: a Raft voter set is sized for fault tolerance, not
   * scaled by load (minReplicas = maxReplicas = quorum; the 10× rule does not apply, the resolver
   * checks instead that the members carry the peak). Absent for stateless components.
   */
  quorum?: number;
  /**
   * The port the members of a consensus group talk to each other on (OpenBao's cluster port,
   * 8201: Raft RPCs and request forwarding to the active node). Required with `quorum`, and
   * only with it. The plan allows it between the component's own pods (with `port`, which the
   * Raft join calls on the leader) and publishes both on the headless Service `<name>-peers`.
   */
  peerPort?: number;
  /**
   * The persistent volume of each member of a consensus group (OpenBao's Raft data): a component
   * with a `quorum` runs as a StatefulSet whose volumeClaimTemplate asks for `size` of `class`,
   * mounted at `mountPath`. Required with `quorum`, and only with it: stateless components write
   * to memory-backed or emptyDir volumes only.
   */
  storage?: ComponentStorageDoc;
  /**
   * HTTP paths of the probes, when the component does not follow the platform's probe contract
   * (`/health/live`, `/health/ready`: PROBES in modules/workloads/plan/deployments.ts), e.g.
   * OpenBao's `/v1/sys/health` with its status-code parameters.
   * @default the platform's contract
   */
  health?: { live: string; ready: string };
}

/** The volume of one member of a quorum (ComponentDoc.storage). */
export interface ComponentStorageDoc {
  /** Requested size, Kubernetes binary notation ("10Gi", "512Mi"); counted in the namespace's quota (requests.storage). */
  size: string;
  /**
   * StorageClass of the volumes. Production's OpenShift clusters consume the platform's external
   * Ceph through ODF in external mode (flow `app-to-ceph`: CSI clients to the monitors and OSDs),
   * whose RBD class is `ocs-external-storagecluster-ceph-rbd` (ReadWriteOnce block volumes).
   * @default the cluster's default StorageClass (no storageClassName in the claim)
   */
  class?: string;
  /** Where the volume is mounted in the container (OpenBao: /openbao/data, its raft storage `path`). */
  mountPath: string;
}

export interface TopicDoc {
  name: string;
  /** Domain that owns the topic (its producer side); its HSM key encrypts the payloads unless `dataDomain` says otherwise. */
  domain: string;
  /**
   * The domain whose HSM key domain encrypts the payloads when the owner domain has none of its
   * own, as ComponentDoc.dataDomain (e.g. the notifications' outbound requests: messaging).
   * Default: `domain`. See topicKeyDomain.
   */
  dataDomain?: string;
  partitions: number;
  retentionHours: number;
  /** Log compaction (state topics) instead of deletion by age. */
  compacted?: boolean;
  description?: string;
}

export interface CatalogDoc {
  apiVersion: 'hds.platform/v1';
  kind: 'ApplicationCatalog';
  name: string;
  description?: string;
  /** The internal registry every image comes from (EXG_SEC: no public registry). */
  registry: string;
  /** Domains: namespace labels (data classification). */
  domains: Array<{ name: string; classification: DataClassification; description?: string }>;
  sloClasses: SloClassDoc[];
  /**
   * Where secrets come from: the component that serves them (OpenBao, in the cluster, auto-unsealed
   * by the HSM) and the path prefix of the references (`<pathPrefix>/<environment>/<domain>/<component>`).
   * Every other component implicitly needs that component; no secret value is ever in the model.
   */
  secrets: { component: string; pathPrefix: string };
  components: ComponentDoc[];
  topics: TopicDoc[];
}

/** An environment's choice of the catalog (EnvironmentDoc.workloads). */
export interface WorkloadsDoc {
  /** Name of the catalog (environments/catalogs/<name>.yaml). */
  catalog: string;
  /**
   * Share of production load this environment carries (1 for production, e.g. 0.02 for an
   * integration environment); replicas and HPA bounds follow.
   */
  loadFactor: number;
  /** Components that run: every one by default; `only` or `except` restrict (names or tiers). */
  components?: { only?: string[]; except?: string[] };
}

/** A component resolved for an environment: figures derived, references checked. */
export interface ResolvedComponent extends ComponentDoc {
  /** Replicas at rest (≥ 2 in production-class environments: one node loss, PDB); `quorum` for a quorum. */
  minReplicas: number;
  /** HPA maximum: absorbs 10× the average load (EXG_VOL_5, EXG_ARA_3); `quorum` for a quorum (no HPA). */
  maxReplicas: number;
  sloClass: SloClassDoc;
  /** The PostgreSQL domain it connects to, when it needs postgresql. */
  pgDomain?: string;
  /**
   * The HSM key domain it uses, when it needs hsm (EXG_SEC_4.2/4.3). Absent for the secrets
   * component, whose HSM use is the auto-unseal key of the platform, not a micro-service domain.
   */
  hsmKeyDomain?: string;
  /**
   * Average requests per second in this environment (before the peak factor): averageRps ×
   * loadFactor, or averageRps × editorSlots for perEditorSlot components.
   */
  environmentRps: number;
}

export interface ResolvedWorkloads {
  catalog: string;
  registry: string;
  loadFactor: number;
  domains: CatalogDoc['domains'];
  components: ResolvedComponent[];
  /** Topics used by the running components only. */
  topics: TopicDoc[];
  sloClasses: SloClassDoc[];
  /**
   * Where secrets come from (CatalogDoc.secrets): the catalog component serving OpenBao and the
   * KV path prefix; a component's secrets live at `<pathPrefix>/<environment>/<domain>/<component>`
   * and reach its pods only through the OpenBao agent injector (never a Secret object or value).
   */
  secrets: { component: string; pathPrefix: string };
}

/** Kubernetes object as the workloads plan emits it (plain data, validated against its schema). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The HSM key domain that encrypts a topic's payloads (EXG_SEC_4.3): its dataDomain, else its domain. */
export function topicKeyDomain(t: Pick<TopicDoc, 'domain' | 'dataDomain'>): string {
  return t.dataDomain ?? t.domain;
}

/** One window pair of the multi-window, multi-burn-rate SLO alerting policy. */
export interface BurnRateWindow {
  longWindow: string;
  shortWindow: string;
  burnRate: number;
  severity: 'page' | 'ticket';
}

/**
 * The SRE workbook's multi-window, multi-burn-rate policy (table 5-8), which the workloads plan
 * turns into each component's SLO alerts (modules/workloads/plan/monitoring.ts). Declared in the
 * model because the catalog checks must refuse an objective it cannot alert on.
 */
export const BURN_RATE_POLICY: readonly BurnRateWindow[] = [
  { longWindow: '1h', shortWindow: '5m', burnRate: 14.4, severity: 'page' },
  { longWindow: '6h', shortWindow: '30m', burnRate: 6, severity: 'page' },
  { longWindow: '3d', shortWindow: '6h', burnRate: 1, severity: 'ticket' },
];

/** Rounded to 10 significant digits: 14.4 × 0.001 is 0.0144, not 0.014400000000000001. */
export const cleanRatio = (n: number): number => Number(n.toPrecision(10));

/**
 * Why an SLO objective (percent: availability, or the share of requests under the latency
 * threshold) cannot be alerted on by BURN_RATE_POLICY, or undefined when it can: it must be in
 * ]0, 100[ and its error budget (1 − objective) times the fastest burn rate must stay below 1 —
 * an alert on more than 100 % of errors could never fire. With 14.4×: objective > 93.06 %.
 * The one condition the plan's burnRateThresholds and the catalog checks share.
 */
export function sloObjectiveProblem(objectivePct: number): string | undefined {
  if (!(objectivePct > 0 && objectivePct < 100)) return `SLO objective ${objectivePct} % is not in ]0, 100[`;
  const errorBudget = cleanRatio(1 - objectivePct / 100);
  for (const w of BURN_RATE_POLICY) {
    const threshold = cleanRatio(w.burnRate * errorBudget);
    if (threshold >= 1) return `SLO objective ${objectivePct} % is too loose for a ${w.burnRate}× burn-rate alert (threshold ${threshold} ≥ 1)`;
  }
  return undefined;
}

/**
 * The lowest objective the catalog schema accepts (availabilityPct, latency.pct): the static
 * form of sloObjectiveProblem, rounded up to two decimals (100 × (1 − 1/14.4) = 93.0555…).
 */
export const MIN_SLO_OBJECTIVE_PCT = 93.06;

/** Peak over average load the HPA maximum must absorb (EXG_VOL_5, EXG_ARA_3). */
export const PEAK_FACTOR = 10;
/** CPU utilisation the HPAs target; the maximum replica count is sized at this utilisation. */
export const HPA_TARGET_CPU_UTILIZATION_PCT = 70;

/**
 * What each worker keeps for the system and OpenShift's own daemons (kubelet, CRI-O, OVN,
 * monitoring agents, logging collector) before application pods: 1 vCPU and 4 GiB.
 */
export const WORKER_RESERVE = { cpuMillis: 1000, memoryMiB: 4096 } as const;

/** Requests of one OpenShift cluster's workloads against its workers (pure, from the topology). */
export interface ClusterCapacity {
  site: string;
  workers: { count: number; vcpu: number; ramGiB: number };
  /** Allocatable after the platform's reserve (system, OpenShift daemons). */
  allocatable: { cpuMillis: number; memoryMiB: number };
  atMin: { pods: number; cpuMillis: number; memoryMiB: number };
  atMax: { pods: number; cpuMillis: number; memoryMiB: number };
  fits: boolean;
}
