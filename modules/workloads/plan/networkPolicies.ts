/**
 * NetworkPolicies (EXG_ART_1.2): in EVERY namespace the plan creates, a default deny of ingress
 * and egress; then exactly the flows the model derives, one NetworkPolicy per flow end, each
 * annotated with the flow it implements. Nothing else is allowed.
 *
 * The flows of a component c (componentFlows):
 * - `Y-to-c` for every running Y that declares `needs: {component: c}`: ingress on c from Y's
 *   pods (namespace by name label + pod by app label) on c's port, and the matching egress on Y;
 * - `Y-to-<secrets>`: every component but OpenBao reaches the secrets component (its agent);
 * - `router-to-c` for public components: ingress from the OpenShift ingress routers (host
 *   network, matched by OpenShift's ingress policy-group label) on c's port;
 * - `monitoring-to-c` for serving components: ingress from user workload monitoring's
 *   Prometheus on c's port (metrics at /metrics on the same HTTPS port);
 * - `c-to-dns`: egress to the cluster DNS only (openshift-dns pods, 53 and 5353 in UDP and TCP).
 *   Needed because every other destination is named (Services, OpenBao, the platform's hosts
 *   by their DNS names in the apps' configuration); with egress denied by default, name
 *   resolution fails first. 5353 is the port the DNS pods listen on (the dns-default Service
 *   maps 53 to it, and OVN-Kubernetes applies policies after that translation); 53 is kept for
 *   a resolver reached without translation;
 * - `c-to-postgresql`: egress by ipBlock /32 to the HAProxy guests OF THE SAME SITE on the write
 *   and read ports of c's PostgreSQL domain (5000 + 2i, 5001 + 2i; i = the domain's index in
 *   the model, the rule of modules/model/ports.ts and the HAProxy renderer);
 * - `c-to-kafka`: egress to every broker of the stretched cluster (both sites) on the TLS port
 *   (clients talk to brokers only; the KRaft controllers are the brokers' business);
 * - `c-to-hsm`: egress to the HSM appliances of the same site on KMIP (flow app-to-hsm is same-site);
 * - `c-to-object-storage`: egress to the Ceph RGW of the stretched cluster's OSD hosts (both
 *   sites) on PORTS.cephRgw (flow app-to-rgw, any-site);
 * - `c-to-kubernetes-api`: egress to the master guests OF THE SAME SITE (its own cluster's API
 *   servers) on PORTS.ocpApi (flow ocp-api). Pods call the `kubernetes` Service; OVN-Kubernetes
 *   applies the policy after the Service's translation to the masters' addresses;
 * - `c-peers`, for a component with a quorum: ingress AND egress between its own pods on its
 *   peerPort (OpenBao's cluster port: Raft RPCs, forwarding to the active node) and on its port
 *   (the Raft join: a new member calls the leader's API address, `retry_join.leader_api_addr`).
 *   Other components reach the quorum's port through their own `Y-to-c` flows only.
 *
 * Every ipBlock egress is a line of the model's flow matrix from each worker of the site
 * (flows.ts: app-to-pg-haproxy, app-to-kafka, app-to-hsm, app-to-rgw, ocp-api), so the VM
 * firewalls and the pod policies allow the same thing.
 */
import { CEPH_RGW_HOSTS, endpointGuests } from '../../model/flows.ts';
import { PORTS, haproxyPorts } from '../../model/ports.ts';
import { isHaproxy, isHsm, kafkaBrokers, pgDomains } from '../../model/roles.ts';
import type { Guest } from '../../model/topology.ts';
import type { K8sObject, PlatformDependency, ResolvedComponent } from '../../model/workloads.ts';
import { componentNamespace, injectsSecrets, isBatch, type PlanContext, type PlanProblem, podSelector, WorkloadPlanError } from './context.ts';
import { ANNOTATION, CLUSTER, LABEL } from './labels.ts';

export type PolicyPeer =
  | { namespace: string; pods: Record<string, string> }
  | { namespaceLabels: Record<string, string>; pods?: Record<string, string> }
  | { cidr: string };
export interface PolicyPort {
  protocol: 'TCP' | 'UDP';
  port: number;
}

/** One end of one flow: the pods of `component` accept (ingress) or open (egress) it. */
export interface PolicyFlow {
  /** `<source>-to-<destination>`, the same on both ends of a pod-to-pod flow. */
  flow: string;
  direction: 'ingress' | 'egress';
  namespace: string;
  component: string;
  peers: PolicyPeer[];
  ports: PolicyPort[];
  purpose: string;
}

const tcp = (port: number): PolicyPort => ({ protocol: 'TCP', port });
const hostPeers = (guests: Guest[]): PolicyPeer[] => [...new Set(guests.map((g) => g.nics[0]!.ip))].sort().map((ip) => ({ cidr: `${ip}/32` }));

/** Pod-to-pod flows: who opens connections to whom (needs, plus every component to OpenBao). */
function componentEdges(ctx: PlanContext): Array<{ from: ResolvedComponent; to: ResolvedComponent; purpose: string }> {
  const edges = new Map<string, { from: ResolvedComponent; to: ResolvedComponent; purpose: string }>();
  for (const c of ctx.components) {
    for (const need of c.needs) {
      if (!('component' in need)) continue;
      const to = ctx.byName.get(need.component)!;
      edges.set(`${c.name}>${to.name}`, { from: c, to, purpose: need.purpose ?? `${c.name} calls ${to.name}` });
    }
    if (injectsSecrets(ctx, c) && !edges.has(`${c.name}>${ctx.secrets.component.name}`)) {
      edges.set(`${c.name}>${ctx.secrets.component.name}`, { from: c, to: ctx.secrets.component, purpose: `OpenBao agent of ${c.name} fetches its secrets` });
    }
  }
  return [...edges.values()].sort((a, b) => a.from.name.localeCompare(b.from.name) || a.to.name.localeCompare(b.to.name));
}

function platformFlow(ctx: PlanContext, c: ResolvedComponent, dep: PlatformDependency, purpose: string | undefined): PolicyFlow {
  const { t, site } = ctx;
  const flow = `${c.name}-to-${dep}`;
  const fail = (why: string): never => {
    throw new WorkloadPlanError(ctx.environment, [
      {
        resource: `NetworkPolicy ${componentNamespace(c)}/${policyName({ flow, direction: 'egress' })}`,
        reason: `component ${c.name} needs ${dep}, but ${why}`,
      },
    ]);
  };
  let peers: PolicyPeer[];
  let ports: PolicyPort[];
  switch (dep) {
    case 'postgresql': {
      const index = pgDomains(t).indexOf(c.pgDomain ?? '');
      if (index < 0) fail(`the environment has no PostgreSQL cluster for domain "${c.pgDomain}"`);
      const haproxies = t.guests.filter((g) => isHaproxy(g) && g.site === site);
      if (!haproxies.length) fail(`site ${site} has no PostgreSQL HAProxy`);
      const p = haproxyPorts(index);
      peers = hostPeers(haproxies);
      ports = [tcp(p.write), tcp(p.read)];
      break;
    }
    case 'kafka': {
      const brokers = kafkaBrokers(t);
      if (!brokers.length) fail('the environment has no Kafka broker');
      peers = hostPeers(brokers);
      ports = [tcp(PORTS.kafkaTls)];
      break;
    }
    case 'hsm': {
      const hsms = t.guests.filter((g) => isHsm(g) && g.site === site);
      if (!hsms.length) fail(`site ${site} has no HSM`);
      peers = hostPeers(hsms);
      ports = [tcp(PORTS.hsmKmip)];
      break;
    }
    case 'object-storage': {
      const rgws = endpointGuests(CEPH_RGW_HOSTS, t.guests);
      if (!rgws.length) fail('the environment has no Ceph cluster with an object gateway');
      peers = hostPeers(rgws);
      ports = [tcp(PORTS.cephRgw)];
      break;
    }
    case 'kubernetes-api': {
      const masters = t.guests.filter((g) => g.service === 'openshift' && g.role === 'master' && g.site === site);
      if (!masters.length) fail(`the OpenShift cluster of ${site} has no master guest`);
      peers = hostPeers(masters);
      ports = [tcp(PORTS.ocpApi)];
      break;
    }
    default: {
      const never: never = dep;
      throw new Error(`unknown platform dependency ${String(never)}`);
    }
  }
  const defaults: Record<PlatformDependency, string> = {
    postgresql: `PostgreSQL ${c.pgDomain} through the HAProxy of ${site} (write and read endpoints)`,
    kafka: 'Kafka brokers (TLS) of the stretched cluster',
    hsm: c.hsmKeyDomain ? `HSM cluster of ${site}, key domain ${c.hsmKeyDomain} (EXG_SEC_4.2)` : `HSM cluster of ${site}`,
    'object-storage': 'Ceph object gateway (S3, TLS) of the stretched cluster',
    'kubernetes-api': `Kubernetes API of the OpenShift cluster of ${site} (its masters)`,
  };
  return {
    flow,
    direction: 'egress',
    namespace: componentNamespace(c),
    component: c.name,
    peers,
    ports,
    purpose: purpose ?? defaults[dep],
  };
}

/** Every flow end of the cluster, derived from the catalog and the topology (sorted). */
export function componentFlows(ctx: PlanContext): PolicyFlow[] {
  const out: PolicyFlow[] = [];
  for (const e of componentEdges(ctx)) {
    const flow = `${e.from.name}-to-${e.to.name}`;
    const ports = [tcp(e.to.port)];
    out.push({
      flow,
      direction: 'ingress',
      namespace: componentNamespace(e.to),
      component: e.to.name,
      peers: [{ namespace: componentNamespace(e.from), pods: podSelector(e.from) }],
      ports,
      purpose: e.purpose,
    });
    out.push({
      flow,
      direction: 'egress',
      namespace: componentNamespace(e.from),
      component: e.from.name,
      peers: [{ namespace: componentNamespace(e.to), pods: podSelector(e.to) }],
      ports,
      purpose: e.purpose,
    });
  }
  for (const c of ctx.components) {
    const ns = componentNamespace(c);
    if (c.exposure === 'public') {
      out.push({
        flow: `router-to-${c.name}`,
        direction: 'ingress',
        namespace: ns,
        component: c.name,
        peers: [{ namespaceLabels: { ...CLUSTER.ingressPolicyGroup } }],
        ports: [tcp(c.port)],
        purpose: 'OpenShift ingress routers (behind the WAF) to a public component',
      });
    }
    if (!isBatch(c)) {
      out.push({
        flow: `monitoring-to-${c.name}`,
        direction: 'ingress',
        namespace: ns,
        component: c.name,
        peers: [{ namespaceLabels: { [LABEL.namespaceName]: CLUSTER.monitoringNamespace }, pods: { 'app.kubernetes.io/name': 'prometheus' } }],
        ports: [tcp(c.port)],
        purpose: 'Prometheus (user workload monitoring) scrapes /metrics',
      });
    }
    out.push({
      flow: `${c.name}-to-dns`,
      direction: 'egress',
      namespace: ns,
      component: c.name,
      peers: [{ namespaceLabels: { [LABEL.namespaceName]: CLUSTER.dnsNamespace }, pods: { ...CLUSTER.dnsPodLabels } }],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
        { protocol: 'UDP', port: 5353 },
        { protocol: 'TCP', port: 5353 },
      ],
      purpose: 'name resolution by the cluster DNS only',
    });
    for (const need of c.needs) if ('platform' in need) out.push(platformFlow(ctx, c, need.platform, need.purpose));
    if (c.quorum !== undefined && c.peerPort !== undefined) {
      for (const direction of ['ingress', 'egress'] as const) {
        out.push({
          flow: peerFlowName(c),
          direction,
          namespace: ns,
          component: c.name,
          peers: [{ namespace: ns, pods: podSelector(c) }],
          ports: [tcp(c.port), tcp(c.peerPort)],
          purpose: `members of the ${c.quorum}-member quorum of ${c.name}: Raft on ${c.peerPort}, the join on the leader's API port ${c.port}`,
        });
      }
    }
  }
  const seen = new Set<string>();
  const unique = out.filter((f) => {
    const k = `${f.direction}|${f.namespace}|${f.component}|${f.flow}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return unique.sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) ||
      a.component.localeCompare(b.component) ||
      a.direction.localeCompare(b.direction) ||
      a.flow.localeCompare(b.flow),
  );
}

function peerJson(p: PolicyPeer): Record<string, unknown> {
  if ('cidr' in p) return { ipBlock: { cidr: p.cidr } };
  if ('namespace' in p) return { namespaceSelector: { matchLabels: { [LABEL.namespaceName]: p.namespace } }, podSelector: { matchLabels: { ...p.pods } } };
  return { namespaceSelector: { matchLabels: { ...p.namespaceLabels } }, ...(p.pods ? { podSelector: { matchLabels: { ...p.pods } } } : {}) };
}

/** The flow between the members of a component's quorum (ingress and egress on its own pods). */
export const peerFlowName = (c: ResolvedComponent): string => `${c.name}-peers`;

/** The name of a flow end's policy: `in-<flow>` on the destination, `out-<flow>` on the source. */
export function policyName(f: Pick<PolicyFlow, 'flow' | 'direction'>): string {
  return `${f.direction === 'ingress' ? 'in' : 'out'}-${f.flow}`;
}

function policyObject(ctx: PlanContext, f: PolicyFlow): K8sObject {
  const rule = { [f.direction === 'ingress' ? 'from' : 'to']: f.peers.map(peerJson), ports: f.ports.map((p) => ({ protocol: p.protocol, port: p.port })) };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: policyName(f),
      namespace: f.namespace,
      labels: { [LABEL.environment]: ctx.environment, [LABEL.app]: f.component },
      annotations: { [ANNOTATION.flow]: f.flow, [ANNOTATION.purpose]: f.purpose, [ANNOTATION.requirements]: 'EXG_ART_1.2' },
    },
    spec: {
      podSelector: { matchLabels: { [LABEL.app]: f.component } },
      policyTypes: [f.direction === 'ingress' ? 'Ingress' : 'Egress'],
      [f.direction]: [rule],
    },
  };
}

/** The default deny of a namespace: every pod, no ingress, no egress. */
export function defaultDeny(ctx: PlanContext, namespace: string): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: 'default-deny',
      namespace,
      labels: { [LABEL.environment]: ctx.environment },
      annotations: {
        [ANNOTATION.flow]: 'default-deny',
        [ANNOTATION.purpose]: 'deny every flow the model does not declare',
        [ANNOTATION.requirements]: 'EXG_ART_1.2',
      },
    },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}

/** Default deny in every planned namespace, then one policy per flow end. */
export function networkPolicyObjects(ctx: PlanContext, namespaces: string[]): K8sObject[] {
  const flows = componentFlows(ctx);
  const names = new Set<string>();
  const problems: PlanProblem[] = [];
  for (const f of flows) {
    const resource = `NetworkPolicy ${f.namespace}/${policyName(f)}`;
    if (names.has(resource)) problems.push({ resource, reason: `two flows render it (${f.flow}): rename a component` });
    names.add(resource);
  }
  if (problems.length) throw new WorkloadPlanError(ctx.environment, problems);
  return [...namespaces.map((ns) => defaultDeny(ctx, ns)), ...flows.map((f) => policyObject(ctx, f))];
}
