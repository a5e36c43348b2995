/**
 * Properties of the workloads plan, on the fixture catalog (testing.ts) and on the shipped
 * production environment: default deny everywhere, exactly the model's flows, restricted-v2
 * pods, HPA bounds from the 10× rule, PDBs, topics' durability, no secret, determinism.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PORTS } from '../../model/ports.ts';
import { isHaproxy, isHsm, kafkaBrokers, pgDomains } from '../../model/roles.ts';
import type { Topology } from '../../model/topology.ts';
import { HPA_TARGET_CPU_UTILIZATION_PCT, type K8sObject, PEAK_FACTOR, type ResolvedComponent, type ResolvedWorkloads } from '../../model/workloads.ts';
import { replicaFloor, replicasFor } from '../../model/workloadsResolve.ts';
import { kafkaInput } from '../../services/fromTopology/kafka.ts';
import { PRODUCTION } from '../../services/fromTopology/profile.ts';
import { kafkaConfigPath, parseProperties, renderKafka } from '../../services/kafka/render.ts';
import { kafkaDurability } from '../../services/kafka/topics.ts';
import { formatManifestError, validateObjects } from '../validate/index.ts';
import { kafkaOwnerSite, openshiftSites, WorkloadPlanError, workloadObjects } from './index.ts';
import { fixtureTopology, fixtureWorkloads, shippedTopology } from './testing.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests poke into untyped manifest bodies
type Any = any;
type Obj = K8sObject & { spec?: Any };
const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind) as Obj[];
const find = (objs: K8sObject[], kind: string, name: string, ns?: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name && (ns === undefined || o.metadata.namespace === ns)) as Obj | undefined;

/** The Deployment or, for a quorum, the StatefulSet of a serving component. */
const workloadOf = (objs: K8sObject[], name: string, ns?: string) => find(objs, 'Deployment', name, ns) ?? find(objs, 'StatefulSet', name, ns);

/** Pod templates of Deployments, StatefulSets and CronJobs, with the component they run. */
function podTemplates(objs: K8sObject[]): Array<{ owner: string; component: string; template: Any }> {
  return [
    ...byKind(objs, 'Deployment').map((d) => ({ owner: `Deployment ${d.metadata.name}`, component: d.metadata.name, template: d.spec.template })),
    ...byKind(objs, 'StatefulSet').map((d) => ({ owner: `StatefulSet ${d.metadata.name}`, component: d.metadata.name, template: d.spec.template })),
    ...byKind(objs, 'CronJob').map((c) => ({ owner: `CronJob ${c.metadata.name}`, component: c.metadata.name, template: c.spec.jobTemplate.spec.template })),
  ];
}

/** Every allowed (direction, namespace, component, peer, protocol/port) the policies of a plan open. */
function allowedTuples(objs: K8sObject[]): Set<string> {
  const out = new Set<string>();
  for (const p of byKind(objs, 'NetworkPolicy')) {
    if (p.metadata.name === 'default-deny') continue;
    const app = p.spec.podSelector.matchLabels['app.kubernetes.io/name'];
    for (const dir of ['ingress', 'egress'] as const) {
      for (const rule of p.spec[dir] ?? []) {
        for (const peer of rule[dir === 'ingress' ? 'from' : 'to']) {
          const key = peer.ipBlock
            ? `ip:${peer.ipBlock.cidr}`
            : `ns:${JSON.stringify(peer.namespaceSelector?.matchLabels ?? {})}/pods:${JSON.stringify(peer.podSelector?.matchLabels ?? {})}`;
          for (const port of rule.ports) out.add(`${dir}|${p.metadata.namespace}/${app}|${key}|${port.protocol}/${port.port}`);
        }
      }
    }
  }
  return out;
}

/** The same tuples, derived here from the catalog and the topology, independently of the plan. */
function expectedTuples(t: Topology, site: string): Set<string> {
  const w = t.workloads!;
  const out = new Set<string>();
  const byName = new Map(w.components.map((c) => [c.name, c]));
  const podPeer = (c: ResolvedComponent) =>
    `ns:${JSON.stringify({ 'kubernetes.io/metadata.name': c.domain })}/pods:${JSON.stringify({ 'app.kubernetes.io/name': c.name })}`;
  const add = (dir: string, c: ResolvedComponent, peer: string, ports: string[]) => {
    for (const port of ports) out.add(`${dir}|${c.domain}/${c.name}|${peer}|${port}`);
  };
  const ips = (guests: Topology['guests']) => guests.map((g) => `ip:${g.nics[0]!.ip}/32`);
  for (const c of w.components) {
    const targets = c.needs.flatMap((n) => ('component' in n ? [byName.get(n.component)!] : []));
    if (c.name !== w.secrets.component) targets.push(byName.get(w.secrets.component)!);
    for (const x of targets) {
      add('egress', c, podPeer(x), [`TCP/${x.port}`]);
      add('ingress', x, podPeer(c), [`TCP/${x.port}`]);
    }
    if (c.exposure === 'public') add('ingress', c, `ns:${JSON.stringify({ 'policy-group.network.openshift.io/ingress': '' })}/pods:{}`, [`TCP/${c.port}`]);
    if (c.schedule === undefined) {
      add(
        'ingress',
        c,
        `ns:${JSON.stringify({ 'kubernetes.io/metadata.name': 'openshift-user-workload-monitoring' })}/pods:${JSON.stringify({ 'app.kubernetes.io/name': 'prometheus' })}`,
        [`TCP/${c.port}`],
      );
    }
    add(
      'egress',
      c,
      `ns:${JSON.stringify({ 'kubernetes.io/metadata.name': 'openshift-dns' })}/pods:${JSON.stringify({ 'dns.operator.openshift.io/daemonset-dns': 'default' })}`,
      ['UDP/53', 'TCP/53', 'UDP/5353', 'TCP/5353'],
    );
    for (const n of c.needs) {
      if (!('platform' in n)) continue;
      if (n.platform === 'postgresql') {
        const i = pgDomains(t).indexOf(c.pgDomain!);
        expect(i).toBeGreaterThanOrEqual(0);
        for (const peer of ips(t.guests.filter((g) => isHaproxy(g) && g.site === site))) add('egress', c, peer, [`TCP/${5000 + 2 * i}`, `TCP/${5001 + 2 * i}`]);
      }
      if (n.platform === 'kafka')
        for (const peer of ips(t.guests.filter((g) => g.service === 'kafka' && g.role === 'broker'))) add('egress', c, peer, [`TCP/${PORTS.kafkaTls}`]);
      if (n.platform === 'hsm') for (const peer of ips(t.guests.filter((g) => isHsm(g) && g.site === site))) add('egress', c, peer, [`TCP/${PORTS.hsmKmip}`]);
      if (n.platform === 'object-storage')
        for (const peer of ips(t.guests.filter((g) => g.service === 'ceph' && g.role === 'osd'))) add('egress', c, peer, [`TCP/${PORTS.cephRgw}`]);
      if (n.platform === 'kubernetes-api')
        for (const peer of ips(t.guests.filter((g) => g.service === 'openshift' && g.role === 'master' && g.site === site)))
          add('egress', c, peer, [`TCP/${PORTS.ocpApi}`]);
    }
    // A quorum's members reach each other: Raft on the peer port, the join on the leader's API port.
    if (c.quorum !== undefined) {
      expect(c.peerPort, `${c.name} has a quorum`).toBeDefined();
      for (const dir of ['ingress', 'egress']) add(dir, c, podPeer(c), [`TCP/${c.port}`, `TCP/${c.peerPort}`]);
    }
  }
  return out;
}

/** Whether a flow-matrix port (a number or a range "a-b") covers `port`. */
function covers(matrixPort: number | string, port: number): boolean {
  if (typeof matrixPort === 'number') return matrixPort === port;
  const [lo, hi] = matrixPort.split('-').map(Number);
  return hi === undefined ? lo === port : lo! <= port && port <= hi;
}

/** Why a pod template breaks OpenShift's restricted-v2 SCC / the restricted Pod Security Standard. */
function restrictedViolations(template: Any): string[] {
  const v: string[] = [];
  const pod = template.spec;
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) v.push('host namespaces');
  if (pod.securityContext?.runAsNonRoot !== true) v.push('pod runAsNonRoot');
  if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') v.push('pod seccomp');
  if (pod.securityContext?.runAsUser !== undefined) v.push('pod runAsUser (OpenShift assigns it)');
  if (pod.automountServiceAccountToken !== false) v.push('service account token mounted');
  for (const vol of pod.volumes ?? []) if (vol.hostPath) v.push(`hostPath volume ${vol.name}`);
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const s = c.securityContext ?? {};
    if (s.allowPrivilegeEscalation !== false) v.push(`${c.name}: privilege escalation`);
    if (!s.capabilities?.drop?.includes('ALL') || (s.capabilities?.add ?? []).length) v.push(`${c.name}: capabilities`);
    if (s.privileged) v.push(`${c.name}: privileged`);
    if (s.readOnlyRootFilesystem !== true) v.push(`${c.name}: writable root file system`);
    if (s.runAsUser !== undefined) v.push(`${c.name}: runAsUser`);
    if (s.runAsNonRoot === false) v.push(`${c.name}: runAsNonRoot false`);
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.cpu || !c.resources?.limits?.memory)
      v.push(`${c.name}: requests/limits`);
    if ((c.ports ?? []).some((p: Any) => p.hostPort)) v.push(`${c.name}: hostPort`);
    if (!c.volumeMounts?.some((m: Any) => m.mountPath === '/tmp' && pod.volumes.find((x: Any) => x.name === m.name)?.emptyDir))
      v.push(`${c.name}: no emptyDir /tmp`);
  }
  return v;
}

/** Every string of an object, with its path. */
function strings(x: unknown, path = ''): Array<{ path: string; value: string }> {
  if (typeof x === 'string') return [{ path, value: x }];
  if (Array.isArray(x)) return x.flatMap((y, i) => strings(y, `${path}/${i}`));
  if (x && typeof x === 'object') return Object.entries(x).flatMap(([k, y]) => [{ path: `${path}/${k}#key`, value: k }, ...strings(y, `${path}/${k}`)]);
  return [];
}

const SECRET_LOOKING = [/-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)/, /(password|passwd|secret|token|api[-_]?key)\s*[=:]\s*\S/i];
/** A run of 32+ base64 characters mixing upper case, lower case and digits (paths and hex digests are single-case). */
const looksRandom = (s: string): boolean => (s.match(/[A-Za-z0-9+/=]{32,}/g) ?? []).some((run) => /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run));
/** Strings that look like a secret value: PEM blocks, key=value credentials, long random tokens. */
function secretLooking(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs) {
    for (const s of strings(o)) if (SECRET_LOOKING.some((re) => re.test(s.value)) || looksRandom(s.value)) out.push(`${o.kind} ${o.metadata.name} ${s.path}`);
  }
  return out;
}

function propertiesOf(label: string, topology: () => Topology) {
  describe(label, () => {
    let t: Topology;
    const plans = new Map<string, K8sObject[]>();
    beforeAll(() => {
      t = topology();
      for (const site of openshiftSites(t)) plans.set(site, workloadObjects(t, site));
    });
    const each = (fn: (site: string, objs: K8sObject[]) => void) => () => {
      expect(plans.size).toBe(2);
      for (const [site, objs] of plans) fn(site, objs);
    };

    it(
      'emits namespaces first and every object validates against its schema',
      each((_site, objs) => {
        const firstOther = objs.findIndex((o) => o.kind !== 'Namespace');
        expect(firstOther).toBeGreaterThan(0);
        expect(objs.slice(firstOther).some((o) => o.kind === 'Namespace')).toBe(false);
        expect(validateObjects(objs).map(formatManifestError)).toEqual([]);
      }),
    );

    it(
      'creates one namespace per domain of running components, labelled and restricted, with a quota and a limit range',
      each((site, objs) => {
        const w = t.workloads!;
        const domains = [...new Set(w.components.map((c) => c.domain))].sort();
        const kafka = site === kafkaOwnerSite(t) && w.topics.length ? ['kafka'] : [];
        expect(byKind(objs, 'Namespace').map((n) => n.metadata.name)).toEqual([...domains, ...kafka].sort());
        for (const d of domains) {
          const ns = find(objs, 'Namespace', d)!;
          expect(ns.metadata.labels).toMatchObject({
            'hds.platform/environment': t.environment.name,
            'hds.platform/domain': d,
            'hds.platform/data-classification': w.domains.find((x) => x.name === d)!.classification,
            'pod-security.kubernetes.io/enforce': 'restricted',
          });
          expect(find(objs, 'ResourceQuota', `${d}-quota`, d)).toBeDefined();
          expect(find(objs, 'LimitRange', `${d}-limits`, d)).toBeDefined();
        }
      }),
    );

    it(
      'sizes every quota for the HPA maxima plus the rolling-update surge (none for a StatefulSet), OpenBao agents and volumes included',
      each((_site, objs) => {
        const w = t.workloads!;
        for (const q of byKind(objs, 'ResourceQuota')) {
          const members = w.components.filter((c) => c.domain === q.metadata.namespace);
          const pods = members.reduce((n, c) => n + (c.schedule || c.quorum ? c.maxReplicas : c.maxReplicas + Math.ceil(c.maxReplicas / 4)), 0);
          expect(Number(q.spec.hard.pods)).toBe(pods);
          // One claim of storage.size per quorum member; no claim anywhere else.
          const quorums = members.filter((c) => c.quorum !== undefined);
          expect(Number(q.spec.hard.persistentvolumeclaims), q.metadata.namespace).toBe(quorums.reduce((n, c) => n + c.quorum!, 0));
          const mib = (size: string) => Number.parseInt(size, 10) * (size.endsWith('Gi') ? 1024 : 1);
          expect(q.spec.hard['requests.storage'], q.metadata.namespace).toBe(`${quorums.reduce((n, c) => n + c.quorum! * mib(c.storage!.size), 0)}Mi`);
          // Every Service of the namespace (the peers' headless ones included) fits its quota.
          expect(Number(q.spec.hard.services), q.metadata.namespace).toBe(
            byKind(objs, 'Service').filter((x) => x.metadata.namespace === q.metadata.namespace).length,
          );
          const atMaxCpu = members.reduce(
            (n, c) => n + c.maxReplicas * (Number.parseFloat(c.resources.requests.cpu) * (c.resources.requests.cpu.endsWith('m') ? 1 : 1000)),
            0,
          );
          expect(Number.parseInt(q.spec.hard['requests.cpu'], 10)).toBeGreaterThanOrEqual(atMaxCpu);
        }
      }),
    );

    it(
      'puts a default deny of ingress and egress in every namespace',
      each((_site, objs) => {
        for (const ns of byKind(objs, 'Namespace')) {
          const deny = find(objs, 'NetworkPolicy', 'default-deny', ns.metadata.name);
          expect(deny, ns.metadata.name).toBeDefined();
          expect(deny!.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
        }
        const namespaces = new Set(byKind(objs, 'Namespace').map((n) => n.metadata.name));
        for (const p of byKind(objs, 'NetworkPolicy')) expect(namespaces.has(p.metadata.namespace!)).toBe(true);
      }),
    );

    it(
      'allows exactly the flows derived from the model, each policy naming its flow and EXG_ART_1.2',
      each((site, objs) => {
        const allowed = allowedTuples(objs);
        const expected = expectedTuples(t, site);
        expect([...allowed].filter((x) => !expected.has(x)).sort()).toEqual([]);
        expect([...expected].filter((x) => !allowed.has(x)).sort()).toEqual([]);
        for (const p of byKind(objs, 'NetworkPolicy')) {
          expect(p.metadata.annotations?.['hds.platform/flow']).toBeTruthy();
          expect(p.metadata.annotations?.['hds.platform/requirements']).toContain('EXG_ART_1.2');
          if (p.metadata.name !== 'default-deny') expect(p.spec.policyTypes).toHaveLength(1);
        }
      }),
    );

    it(
      'runs every pod under restricted-v2, from the internal registry pinned by digest',
      each((_site, objs) => {
        const w = t.workloads!;
        const templates = podTemplates(objs);
        expect(templates).toHaveLength(w.components.length);
        for (const { owner, template } of templates) {
          expect(restrictedViolations(template), owner).toEqual([]);
          for (const c of template.spec.containers) expect(c.image).toMatch(new RegExp(`^${w.registry.replace(/\./g, '\\.')}/[^@]+@sha256:[0-9a-f]{64}$`));
        }
      }),
    );

    it(
      'gives serving pods probes, a spread over nodes and a serving certificate; batch pods none of them',
      each((_site, objs) => {
        for (const { owner, component, template } of podTemplates(objs)) {
          const c = t.workloads!.components.find((x) => x.name === component)!;
          const container = template.spec.containers[0];
          if (c.schedule) {
            expect(container.readinessProbe, owner).toBeUndefined();
            expect(find(objs, 'Service', c.name, c.domain), owner).toBeUndefined();
            continue;
          }
          for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) expect(container[probe]?.httpGet?.port, `${owner} ${probe}`).toBe('https');
          // The platform's probe contract, unless the catalog names the component's own (OpenBao: /v1/sys/health).
          expect([container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path], owner).toEqual(
            c.health ? [c.health.live, c.health.ready] : ['/health/live', '/health/ready'],
          );
          const spread = template.spec.topologySpreadConstraints[0];
          expect(spread).toMatchObject({
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: c.minReplicas >= 2 ? 'DoNotSchedule' : 'ScheduleAnyway',
          });
          const svc = find(objs, 'Service', c.name, c.domain)!;
          expect(svc.spec.type).toBe('ClusterIP');
          expect(svc.metadata.annotations?.['service.beta.openshift.io/serving-cert-secret-name']).toBe(`${c.name}-tls`);
          expect(workloadOf(objs, c.name, c.domain)!.spec.replicas).toBe(c.minReplicas);
        }
      }),
    );

    it(
      'bounds every HPA by the resolved replicas, whose maximum absorbs 10× the average load',
      each((_site, objs) => {
        const w = t.workloads!;
        // Not a quorum: a Raft voter set runs exactly its quorum, never scaled by load (no HPA).
        const serving = w.components.filter((c) => !c.schedule && c.quorum === undefined);
        expect(w.components.some((c) => c.quorum !== undefined)).toBe(true);
        expect(
          byKind(objs, 'HorizontalPodAutoscaler')
            .map((h) => h.metadata.name)
            .sort(),
        ).toEqual(serving.map((c) => c.name).sort());
        for (const c of serving) {
          const hpa = find(objs, 'HorizontalPodAutoscaler', c.name, c.domain)!;
          const rule = replicasFor({
            rps: c.environmentRps,
            rpsPerReplica: c.load.rpsPerReplica,
            floor: replicaFloor(t.environment.class),
          });
          // The fixture's kpi keeps the floor of a non-production class (a component below two replicas).
          if (!(label.startsWith('fixture') && c.name === 'kpi')) expect([hpa.spec.minReplicas, hpa.spec.maxReplicas], c.name).toEqual([rule.min, rule.max]);
          expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([c.minReplicas, c.maxReplicas]);
          expect(hpa.spec.maxReplicas * c.load.rpsPerReplica * (HPA_TARGET_CPU_UTILIZATION_PCT / 100)).toBeGreaterThanOrEqual(
            PEAK_FACTOR * c.environmentRps - 1e-9,
          );
          expect(hpa.spec.metrics[0].resource.target).toEqual({ type: 'Utilization', averageUtilization: HPA_TARGET_CPU_UTILIZATION_PCT });
          expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: c.name });
          expect(hpa.metadata.annotations?.['hds.platform/hpa-derivation']).toContain(`peak ${PEAK_FACTOR} ×`);
        }
      }),
    );

    it(
      'has a PodDisruptionBudget for a Deployment or StatefulSet iff it keeps at least two replicas',
      each((_site, objs) => {
        for (const c of t.workloads!.components.filter((x) => !x.schedule)) {
          const pdb = find(objs, 'PodDisruptionBudget', c.name, c.domain);
          if (c.minReplicas >= 2) expect(pdb?.spec, c.name).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': c.name } } });
          else expect(pdb, c.name).toBeUndefined();
        }
        for (const pdb of byKind(objs, 'PodDisruptionBudget')) expect(workloadOf(objs, pdb.metadata.name, pdb.metadata.namespace)).toBeDefined();
      }),
    );

    it(
      'exposes only public components, through reencrypt Routes reachable from the WAF zone only',
      each((site, objs) => {
        const publics = t.workloads!.components.filter((c) => c.exposure === 'public');
        expect(
          byKind(objs, 'Route')
            .map((r) => r.metadata.name)
            .sort(),
        ).toEqual(publics.map((c) => c.name).sort());
        const wafZones = t.zones.filter((z) => z.site === site && t.guests.some((g) => g.service === 'waf' && g.site === site && g.nics[0]!.zone === z.zone));
        for (const r of byKind(objs, 'Route')) {
          expect(r.spec.tls).toEqual({ termination: 'reencrypt', insecureEdgeTerminationPolicy: 'Redirect' });
          expect(r.spec.host).toBe(`waf.${t.environment.name}.hds`);
          expect(r.metadata.annotations?.['haproxy.router.openshift.io/ip_allowlist']?.split(' ')).toEqual(wafZones.map((z) => z.cidr).sort());
        }
      }),
    );

    it(
      'monitors every serving component and alerts on its SLO burn rates',
      each((_site, objs) => {
        const w = t.workloads!;
        for (const c of w.components.filter((x) => !x.schedule)) {
          const sm = find(objs, 'ServiceMonitor', c.name, c.domain)!;
          expect(sm.spec.endpoints[0]).toMatchObject({ port: 'https', scheme: 'https', path: '/metrics' });
          const rule = find(objs, 'PrometheusRule', `${c.domain}-slo`, c.domain)!;
          const group = rule.spec.groups.find((g: Any) => g.name === `${c.name}.slo`);
          const alerts = group.rules.filter((r: Any) => r.alert);
          expect(alerts.map((a: Any) => `${a.labels.slo}/${a.labels.long_window}/${a.labels.severity}`)).toEqual([
            'availability/1h/page',
            'availability/6h/page',
            'availability/3d/ticket',
            'latency/1h/page',
            'latency/6h/page',
            'latency/3d/ticket',
          ]);
          const budget = 1 - c.sloClass.availabilityPct / 100;
          expect(alerts[0].expr).toContain(`> ${Number((14.4 * budget).toPrecision(10))}`);
          for (const a of alerts) expect(a.labels.requirements).toMatch(/EXG_DIS_.*EXG_MON_/);
        }
      }),
    );

    it(
      "declares topics and users in the Kafka owner's cluster only, with the durability of kafkaDurability",
      each((site, objs) => {
        const w = t.workloads!;
        const topics = byKind(objs, 'KafkaTopic');
        const users = byKind(objs, 'KafkaUser');
        if (site !== kafkaOwnerSite(t)) {
          expect([...topics, ...users]).toEqual([]);
          return;
        }
        const d = kafkaDurability(t);
        expect(topics.map((x) => x.spec.topicName ?? x.metadata.name).sort()).toEqual(w.topics.map((x) => x.name).sort());
        // min.insync.replicas is the brokers' default, rendered into every broker's server.properties
        // from the same durability; a per-topic value would make the Topic Operator revert the
        // DC-loss runbook's step (ADR 0007).
        const brokers = kafkaBrokers(t);
        expect(brokers.length).toBeGreaterThan(0);
        const rendered = renderKafka(kafkaInput(t, PRODUCTION));
        for (const b of brokers) {
          const props = parseProperties(rendered.find((f) => f.path === kafkaConfigPath(b))!.content);
          expect(props.get('min.insync.replicas'), b.name).toBe(String(d.minInsyncReplicas));
          expect(props.get('default.replication.factor'), b.name).toBe(String(d.replicationFactor));
        }
        for (const x of topics) {
          expect(x.spec.replicas).toBe(d.replicationFactor);
          expect(Object.keys(x.spec.config), x.metadata.name).not.toContain('min.insync.replicas');
          expect(x.metadata.labels?.['strimzi.io/cluster']).toBe('kafka');
          const topic = w.topics.find((y) => y.name === (x.spec.topicName ?? x.metadata.name))!;
          expect(x.metadata.annotations?.['hds.platform/key-domain']).toBe(topic.dataDomain ?? topic.domain);
        }
        const clients = w.components.filter((c) => (c.kafka?.produces?.length ?? 0) + (c.kafka?.consumes?.length ?? 0) > 0);
        expect(users.map((u) => u.metadata.name).sort()).toEqual(clients.map((c) => c.name).sort());
        for (const c of clients) {
          const acls = find(objs, 'KafkaUser', c.name)!.spec.authorization.acls as Any[];
          const ops = (type: string, name: string) => acls.find((a) => a.resource.type === type && a.resource.name === name)?.operations ?? [];
          for (const tp of c.kafka?.produces ?? []) expect(ops('topic', tp)).toEqual(expect.arrayContaining(['Write', 'Describe']));
          for (const tp of c.kafka?.consumes ?? []) expect(ops('topic', tp)).toEqual(expect.arrayContaining(['Read', 'Describe']));
          expect(ops('group', c.name)).toEqual(c.kafka?.consumes?.length ? ['Read'] : []);
          const granted = new Set(acls.filter((a) => a.resource.type === 'topic').map((a) => a.resource.name));
          expect([...granted].sort()).toEqual([...new Set([...(c.kafka?.produces ?? []), ...(c.kafka?.consumes ?? [])])].sort());
        }
      }),
    );

    it(
      'holds no Secret and no secret value; secrets are OpenBao references only',
      each((_site, objs) => {
        expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
        expect(objs.filter((o) => 'data' in o || 'stringData' in o)).toEqual([]);
        expect(secretLooking(objs)).toEqual([]);
        const w = t.workloads!;
        for (const { component, template } of podTemplates(objs)) {
          const c = w.components.find((x) => x.name === component)!;
          for (const ct of template.spec.containers) {
            for (const e of ct.env ?? []) expect(e.valueFrom?.secretKeyRef, `${component} env ${e.name}`).toBeUndefined();
            expect(ct.envFrom).toBeUndefined();
          }
          const path = template.metadata.annotations?.['openbao.openbao.org/agent-inject-secret-config'];
          if (component === w.secrets.component) expect(path).toBeUndefined();
          else expect(path).toBe(`${w.secrets.pathPrefix.replace(/\/+$/, '')}/${t.environment.name}/${c.domain}/${c.name}`);
        }
      }),
    );

    it(
      'opens every ipBlock egress only where the flow matrix has it, from every worker of the site (VM firewalls and pod policies agree)',
      each((site, objs) => {
        const workers = t.guests.filter((g) => g.service === 'openshift' && g.role === 'worker' && g.site === site);
        expect(workers.length).toBeGreaterThan(0);
        const missing: string[] = [];
        let checked = 0;
        for (const p of byKind(objs, 'NetworkPolicy')) {
          for (const rule of p.spec.egress ?? []) {
            for (const peer of rule.to) {
              if (!peer.ipBlock) continue;
              const ip = peer.ipBlock.cidr.replace(/\/32$/, '');
              for (const port of rule.ports) {
                checked++;
                for (const w of workers) {
                  const line = t.flowMatrix.find(
                    (f) => f.source.ip === w.nics[0]!.ip && f.destination.ip === ip && f.protocol === port.protocol.toLowerCase() && covers(f.port, port.port),
                  );
                  if (!line) missing.push(`${p.metadata.namespace}/${p.metadata.name}: ${w.name} → ${ip} ${port.protocol}/${port.port}`);
                }
              }
            }
          }
        }
        expect(checked).toBeGreaterThan(0);
        expect(missing).toEqual([]);
      }),
    );

    it(
      'runs every quorum as a StatefulSet of exactly its quorum: Parallel, under its peers Service, a volume per member, a PDB, no Deployment and no HPA',
      each((_site, objs) => {
        const quorums = t.workloads!.components.filter((c) => c.quorum !== undefined);
        expect(quorums.length).toBeGreaterThan(0);
        expect(byKind(objs, 'StatefulSet').map((x) => x.metadata.name)).toEqual(quorums.map((c) => c.name));
        for (const c of quorums) {
          expect(find(objs, 'Deployment', c.name), c.name).toBeUndefined();
          expect(find(objs, 'HorizontalPodAutoscaler', c.name), c.name).toBeUndefined();
          expect(byKind(objs, 'HorizontalPodAutoscaler').filter((h) => h.spec.scaleTargetRef.name === c.name)).toEqual([]);
          const sts = find(objs, 'StatefulSet', c.name, c.domain)!;
          expect(sts.spec).toMatchObject({
            replicas: c.quorum,
            serviceName: `${c.name}-peers`,
            podManagementPolicy: 'Parallel',
            updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
            persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
            selector: { matchLabels: { 'app.kubernetes.io/name': c.name } },
          });
          expect([c.minReplicas, c.maxReplicas]).toEqual([c.quorum, c.quorum]);
          // The claim template: ReadWriteOnce, the catalog's size and class (none: the cluster's default), mounted where the catalog says.
          expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
          const claim = sts.spec.volumeClaimTemplates[0];
          expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
          expect(claim.spec.resources.requests.storage).toBe(c.storage!.size);
          expect(claim.spec.storageClassName).toBe(c.storage!.class);
          const pod = sts.spec.template.spec;
          expect(pod.containers[0].volumeMounts).toContainEqual({ name: claim.metadata.name, mountPath: c.storage!.mountPath });
          expect(pod.volumes.map((v: Any) => v.name)).not.toContain(claim.metadata.name);
          expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, fsGroupChangePolicy: 'OnRootMismatch' });
          expect(pod.securityContext.fsGroup).toBeUndefined(); // restricted-v2 assigns it from the namespace's range
          expect(restrictedViolations(sts.spec.template), c.name).toEqual([]);
          // A majority survives one voluntary eviction.
          expect(find(objs, 'PodDisruptionBudget', c.name, c.domain)?.spec).toEqual({
            maxUnavailable: 1,
            selector: { matchLabels: { 'app.kubernetes.io/name': c.name } },
          });
          expect(c.quorum! - 1).toBeGreaterThanOrEqual(Math.floor(c.quorum! / 2) + 1);
        }
        // Only quorums keep state: every other pod template has no claim and no volume outside emptyDir, secrets and projections.
        for (const { owner, template } of podTemplates(objs))
          for (const v of template.spec.volumes)
            expect(
              Object.keys(v).filter((k) => k !== 'name'),
              `${owner} ${v.name}`,
            ).toEqual([expect.stringMatching(/^(emptyDir|secret|projected)$/)]);
      }),
    );

    it(
      'gives every quorum a headless peers Service that publishes members not ready yet, scraped by no ServiceMonitor',
      each((_site, objs) => {
        const quorums = t.workloads!.components.filter((c) => c.quorum !== undefined);
        expect(quorums.length).toBeGreaterThan(0);
        for (const c of quorums) {
          const peers = find(objs, 'Service', `${c.name}-peers`, c.domain)!;
          expect(peers, c.name).toBeDefined();
          expect(peers.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, selector: { 'app.kubernetes.io/name': c.name } });
          expect(peers.spec.ports.map((p: Any) => p.port).sort()).toEqual([c.port, c.peerPort].sort());
          const container = find(objs, 'StatefulSet', c.name, c.domain)!.spec.template.spec.containers[0];
          for (const p of peers.spec.ports)
            expect(
              container.ports.map((x: Any) => x.name),
              p.name,
            ).toContain(p.targetPort);
        }
        // Each ServiceMonitor endpoint matches exactly one Service port: no pod is scraped twice.
        for (const sm of byKind(objs, 'ServiceMonitor')) {
          const selected = byKind(objs, 'Service').filter(
            (svc) =>
              svc.metadata.namespace === sm.metadata.namespace &&
              Object.entries(sm.spec.selector.matchLabels as Record<string, string>).every(([k, v]) => svc.metadata.labels?.[k] === v),
          );
          for (const e of sm.spec.endpoints) {
            const ports = selected.flatMap((svc) => svc.spec.ports.filter((p: Any) => p.name === e.port).map(() => svc.metadata.name));
            expect(ports, `${sm.metadata.namespace}/${sm.metadata.name}`).toEqual([sm.metadata.name]);
          }
        }
      }),
    );

    it('is deterministic', () => {
      for (const [site, objs] of plans) expect(JSON.stringify(workloadObjects(t, site))).toBe(JSON.stringify(objs));
    });
  });
}

propertiesOf('fixture catalog on the production topology', () => fixtureTopology());
propertiesOf('shipped production environment', () => {
  const t = shippedTopology('production');
  if (!t.workloads) throw new Error('production declares no workloads');
  return t;
});

describe('workloads plan edge cases', () => {
  it('does not depend on the order of the catalog', () => {
    const w = fixtureWorkloads();
    const reversed: ResolvedWorkloads = {
      ...w,
      components: [...w.components].reverse().map((c) => ({ ...c, needs: [...c.needs].reverse() })),
      topics: [...w.topics].reverse(),
      domains: [...w.domains].reverse(),
    };
    for (const site of ['DC1', 'DC2'])
      expect(JSON.stringify(workloadObjects(fixtureTopology(reversed), site))).toBe(JSON.stringify(workloadObjects(fixtureTopology(w), site)));
  });

  it('drops the flows of a need that is removed, and nothing else changes', () => {
    const w = fixtureWorkloads();
    const fewer: ResolvedWorkloads = {
      ...w,
      components: w.components.map((c) =>
        c.name === 'bff' ? { ...c, needs: c.needs.filter((n) => !('component' in n) || n.component !== 'documents-api') } : c,
      ),
    };
    const names = (objs: K8sObject[]) => objs.filter((o) => o.kind === 'NetworkPolicy').map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    const before = names(workloadObjects(fixtureTopology(w), 'DC1'));
    const after = names(workloadObjects(fixtureTopology(fewer), 'DC1'));
    expect(before.filter((n) => !after.includes(n))).toEqual(['documents/in-bff-to-documents-api', 'front/out-bff-to-documents-api']);
    expect(after.filter((n) => !before.includes(n))).toEqual([]);
  });

  it('plans nothing for an environment without workloads', () => {
    const t = fixtureTopology();
    delete t.workloads;
    expect(workloadObjects(t, 'DC1')).toEqual([]);
  });

  it('refuses, listing every problem, a catalog it cannot render', () => {
    const w = fixtureWorkloads();
    const broken: ResolvedWorkloads = {
      ...w,
      components: w.components.map((c) =>
        c.name === 'kpi'
          ? { ...c, domain: 'openshift-monitoring', needs: [...c.needs, { component: 'ghost' }] }
          : c.name === 'bff'
            ? { ...c, image: { ...c.image, repository: 'docker.io/library/nginx' } }
            : c,
      ),
      domains: [...w.domains, { name: 'openshift-monitoring', classification: 'internal' }],
    };
    let error: unknown;
    try {
      workloadObjects(fixtureTopology(broken), 'DC1');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkloadPlanError);
    const problems = (error as WorkloadPlanError).problems.join('\n');
    expect(problems).toContain('kpi needs ghost');
    expect(problems).toContain('openshift-monitoring');
    expect(problems).toContain('docker.io/library/nginx');
  });

  /** The WorkloadPlanError a plan throws (fails the test when it throws nothing or something else). */
  const planError = (w: ResolvedWorkloads): WorkloadPlanError => {
    try {
      workloadObjects(fixtureTopology(w), 'DC1');
    } catch (e) {
      expect(e).toBeInstanceOf(WorkloadPlanError);
      return e as WorkloadPlanError;
    }
    throw new Error('the plan did not refuse');
  };

  it("names the resource of a duplicate object (a component named like a quorum's peers Service)", () => {
    const w = fixtureWorkloads();
    const bao = w.components.find((c) => c.name === 'openbao')!;
    const twin = { ...structuredClone(bao), name: 'openbao-peers', quorum: undefined, peerPort: undefined, needs: [] };
    delete twin.quorum;
    delete twin.peerPort;
    const e = planError({ ...w, components: [...w.components, twin] });
    expect(e.details).toEqual([{ resource: 'Service platform/openbao-peers', reason: expect.stringContaining('emitted twice') }]);
    expect(e.message).toContain('workloads plan of production: Service platform/openbao-peers: emitted twice');
  });

  it('names the resource of an invalid object name (a peers Service longer than a DNS label)', () => {
    const w = fixtureWorkloads();
    const long = 'o'.repeat(60);
    const renamed: ResolvedWorkloads = {
      ...w,
      components: w.components.map((c) => (c.name === 'openbao' ? { ...c, name: long } : c)),
      secrets: { ...w.secrets, component: long },
    };
    const e = planError(renamed);
    // Every object name too long is listed (the flows' NetworkPolicies too), each with its resource.
    const peers = e.details.find((d) => d.resource === `Service platform/${long}-peers`);
    expect(peers?.reason).toMatch(/not a valid Kubernetes name \(DNS-1123 label: at most 63/);
    expect(e.details.map((d) => d.resource)).toContain(`NetworkPolicy platform/in-${long}-peers`);
    for (const d of e.details) expect(d.reason, d.resource).toMatch(/not a valid Kubernetes name/);
    expect(e.problems).toContain(`Service platform/${long}-peers: ${peers!.reason}`);
  });

  it('refuses a quorum without a peer port, and an SLO objective the burn-rate alerts cannot handle, naming the PrometheusRule', () => {
    const w = fixtureWorkloads();
    const e = planError({
      ...w,
      components: w.components.map((c) => {
        if (c.name === 'openbao') {
          const { peerPort: _, ...rest } = c;
          return rest;
        }
        return c.name === 'kpi' ? { ...c, sloClass: { ...c.sloClass, name: 'lax', availabilityPct: 90 } } : c;
      }),
    });
    expect(e.details).toEqual([
      {
        resource: 'PrometheusRule transverse/transverse-slo',
        reason: 'component kpi, availability of SLO class lax: SLO objective 90 % is too loose for a 14.4× burn-rate alert (threshold 1.44 ≥ 1)',
      },
      { reason: 'component openbao has a quorum of 3 but no peerPort: its members could not reach each other' },
    ]);
  });

  it('refuses a quorum without storage, or with replicas other than its quorum (an autoscaled voter set), naming the StatefulSet', () => {
    const w = fixtureWorkloads();
    const e = planError({
      ...w,
      components: w.components.map((c) => {
        if (c.name !== 'openbao') return c;
        const { storage: _, ...rest } = c;
        return { ...rest, maxReplicas: 7 };
      }),
    });
    expect(e.details).toEqual([
      {
        resource: 'StatefulSet platform/openbao',
        reason: 'component openbao has a quorum of 3 but no storage: its members would lose their Raft log on every restart',
      },
      { resource: 'StatefulSet platform/openbao', reason: 'replicas 3..7 of a quorum of 3: a voter set runs exactly its quorum, never scaled by load' },
    ]);
  });

  it('refuses a site without an OpenShift cluster', () => {
    expect(() => workloadObjects(fixtureTopology(), 'DC3')).toThrow(/DC3 has no OpenShift cluster/);
  });

  it('refuses a need the environment cannot serve (no HSM on the site)', () => {
    const t = fixtureTopology();
    t.guests = t.guests.filter((g) => !(isHsm(g) && g.site === 'DC2'));
    expect(() => workloadObjects(t, 'DC2')).toThrow(/needs hsm, but site DC2 has no HSM/);
  });

  it('flags secret-looking values (the detector the no-secret property relies on)', () => {
    const planted: K8sObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { a: 'password=hunter2', b: '-----BEGIN PRIVATE KEY-----', c: 'dGhpcyBpcyBhIHNlY3JldCB0b2tlbjEyMw9Xz4Q1kL7' },
    };
    expect(secretLooking([planted])).toHaveLength(3);
    const digestOnly: K8sObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'y' }, image: `r/x@sha256:${'ab'.repeat(32)}` };
    expect(secretLooking([digestOnly])).toEqual([]);
  });
});
