/**
 * Kafka on production's VMs (issue 12, docs/adr/0007): what every broker's and controller's
 * cloud-init carries (decoded user-data), checked against the model — racks, KRaft quorum,
 * TLS-only listeners on the flow matrix, durability (EXG_PCA_2) — and the located error a
 * stretched Kafka without a witness site gets.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { evaluate, formatDiagnostic, loadWorkspace } from '../modules/loader/load.ts';
import { quorumAfterSiteLoss } from '../modules/model/kafka.ts';
import { isKafkaBroker, isKafkaController } from '../modules/model/roles.ts';
import type { Guest, Topology } from '../modules/model/topology.ts';
import { buildUserData } from '../modules/proxmox/cloudinit/userData.ts';
import { PORTS } from '../modules/model/ports.ts';
import { kafkaBootstrapServers, kafkaMetricsEndpoint } from '../modules/services/fromTopology/kafka.ts';
import { KAFKA_PATHS, MONITORING_PATHS } from '../modules/services/fromTopology/paths.ts';
import { PRODUCTION } from '../modules/services/fromTopology/profile.ts';
import { kafkaClusterId } from '../modules/services/kafka/identity.ts';
import { JMX_EXPORTER } from '../modules/services/kafka/metrics.ts';
import { parseProperties } from '../modules/services/kafka/render.ts';
import { jmxExporterMetricName, promqlMetricNames } from '../modules/services/kafka/testing.ts';
import { kafkaDurability } from '../modules/services/kafka/topics.ts';
import { MONITORING_FILES } from '../modules/services/monitoring/render.ts';
import { renderedEvidence } from '../policies/evidence/services.ts';
import { stackOptionsFromEnv } from './options.ts';
import { configFor } from './serviceConfig.ts';

const envDir = join(import.meta.dirname, '..', 'environments');
const ev = evaluate(loadWorkspace(envDir));
const prod = ev.topologies.get('production')!;
const options = stackOptionsFromEnv({}, { backend: 'local' }).proxmox;

function written(t: Topology, g: Guest): Map<string, { content: string; owner: string; permissions: string }> {
  const doc = parseYaml(buildUserData({ topology: t, guest: g, options, configFor }).replace(/^#cloud-config\n/, '')) as {
    write_files: Array<{ path: string; content: string; owner: string; permissions: string }>;
  };
  return new Map(
    doc.write_files.map((f) => [f.path, { content: Buffer.from(f.content, 'base64').toString('utf8'), owner: f.owner, permissions: f.permissions }]),
  );
}

const ip = (g: Guest) => g.nics[0]!.ip;
const brokers = prod.guests.filter(isKafkaBroker);
const controllers = prod.guests.filter(isKafkaController);
const nodes = [...brokers, ...controllers];
const files = new Map(nodes.map((g) => [g.name, written(prod, g)]));
const props = (g: Guest) => {
  const f = files.get(g.name)!.get(KAFKA_PATHS.config);
  expect(f, `${g.name} carries ${KAFKA_PATHS.config}`).toBeDefined();
  return parseProperties(f!.content);
};
const flows = (id: string) => new Set(prod.flowMatrix.filter((e) => e.flow === id).map((e) => `${e.source.ip}>${e.destination.ip}:${e.port}`));

describe('Kafka guests of production (ADR 0007)', () => {
  it('6 brokers (3 per datacenter) and 5 KRaft controllers (2 + 2 + the DC3 tie-breaker)', () => {
    expect(brokers.map((g) => g.site)).toEqual(['DC1', 'DC1', 'DC1', 'DC2', 'DC2', 'DC2']);
    expect(controllers.map((g) => g.site)).toEqual(['DC1', 'DC1', 'DC2', 'DC2', 'DC3']);
    expect(nodes.every((g) => g.hosting === 'vm' && g.nics[0]!.zone === 'back')).toBe(true);
  });

  it("every Kafka guest's cloud-init carries its server.properties (root, 0640), the unit and the pre-start script, and no secret", () => {
    for (const g of nodes) {
      const w = files.get(g.name)!;
      expect(w.get(KAFKA_PATHS.config)).toMatchObject({ owner: 'root:root', permissions: '0640' });
      expect(w.get(KAFKA_PATHS.unit)?.content).toContain(`ExecStart=${KAFKA_PATHS.home}/bin/kafka-server-start.sh ${KAFKA_PATHS.config}\n`);
      expect(w.get(KAFKA_PATHS.prestart)).toMatchObject({ permissions: '0755' });
      expect(w.get(KAFKA_PATHS.prestart)!.content).toContain(`CLUSTER_ID='${kafkaClusterId('production')}'`);
      for (const path of [KAFKA_PATHS.config, KAFKA_PATHS.unit, KAFKA_PATHS.prestart])
        expect(w.get(path)!.content).not.toMatch(/@@secret:|PRIVATE KEY|password=/);
    }
  });

  it('brokers: node.id, broker.rack = site, TLS listener on their back address; controllers: the controller listener only', () => {
    const ids = new Set<string>();
    for (const g of nodes) {
      const p = props(g);
      ids.add(p.get('node.id')!);
      expect(p.get('process.roles')).toBe(g.role);
      if (isKafkaBroker(g)) {
        expect(p.get('broker.rack')).toBe(g.site);
        expect(p.get('listeners')).toBe(`TLS://${ip(g)}:9093`);
        expect(p.get('advertised.listeners')).toBe(`TLS://${ip(g)}:9093`);
        expect(p.get('log.dirs')).toBe(KAFKA_PATHS.dataDir);
      } else {
        expect(p.get('listeners')).toBe(`CONTROLLER://${ip(g)}:9094`);
        expect(p.has('broker.rack')).toBe(false);
      }
      expect(p.get('listener.security.protocol.map')).not.toMatch(/PLAINTEXT|SASL/);
      expect(p.get('ssl.client.auth')).toBe('required');
    }
    expect(ids.size).toBe(nodes.length);
    // Every broker's data directory is on its encrypted data disk (mounted at /var/lib/kafka).
    for (const g of brokers)
      expect(files.get(g.name)!.get('/etc/systemd/system/kafka.service.d/hds-data-volume.conf')?.content).toContain('RequiresMountsFor=/var/lib/kafka');
  });

  it('every node lists every controller as a voter, and the quorum keeps a majority when any one site is lost', () => {
    const want = controllers.map((c) => `${props(c).get('node.id')}@${ip(c)}:9094`);
    for (const g of nodes) expect(props(g).get('controller.quorum.voters')!.split(',')).toEqual(want);
    const bySite: Record<string, number> = {};
    for (const c of controllers) bySite[c.site] = (bySite[c.site] ?? 0) + 1;
    for (const l of quorumAfterSiteLoss(bySite)) expect(l.survives, `${l.site} lost: ${l.left} voters of ${l.majority}`).toBe(true);
  });

  it('the flow matrix opens exactly what the configuration dials: voters on 9094 from every node, brokers on 9093 from brokers and workers, never controllers to clients', () => {
    const quorum = flows('kafka-quorum');
    for (const from of nodes)
      for (const c of controllers) if (from !== c) expect(quorum.has(`${ip(from)}>${ip(c)}:9094`), `${from.name} → ${c.name}`).toBe(true);
    const peers = flows('kafka-peers');
    for (const a of brokers) for (const b of brokers) if (a !== b) expect(peers.has(`${ip(a)}>${ip(b)}:9093`)).toBe(true);
    const apps = prod.flowMatrix.filter((e) => e.flow === 'app-to-kafka');
    expect(apps.length).toBeGreaterThan(0);
    expect(new Set(apps.map((e) => e.destination.name))).toEqual(new Set(brokers.map((g) => g.name)));
    expect(kafkaBootstrapServers(prod, PRODUCTION)).toEqual(brokers.map((g) => `${ip(g)}:9093`));
  });

  it('durability from the topology: RF 4, min ISR 3 on every node (acks=all writes in both datacenters, EXG_PCA_2)', () => {
    const d = kafkaDurability(prod);
    expect(d).toMatchObject({ replicationFactor: 4, minInsyncReplicas: 3, sites: ['DC1', 'DC2'] });
    for (const g of nodes) {
      const p = props(g);
      expect(p.get('default.replication.factor')).toBe('4');
      expect(p.get('min.insync.replicas')).toBe('3');
      expect(p.get('unclean.leader.election.enable')).toBe('false');
    }
  });

  it('every environment with Kafka renders it (RPO 0 holds for each), and the policy evidence carries the same files', () => {
    for (const [name, t] of ev.topologies) {
      if (!t.guests.some(isKafkaBroker)) continue;
      const d = kafkaDurability(t);
      expect(d.minInsyncReplicas, name).toBeGreaterThan(d.replicasPerSite);
      for (const g of t.guests.filter((x) => isKafkaBroker(x) || isKafkaController(x)))
        expect(configFor(t, g).map((f) => f.path)).toContain(KAFKA_PATHS.config);
    }
    const evidence = renderedEvidence(prod).filter((r) => r.service === 'kafka');
    expect(evidence.filter((r) => r.file === KAFKA_PATHS.config).map((r) => r.owner)).toEqual(nodes.map((g) => g.name));
    for (const r of evidence) expect(r.content).toBe(files.get(r.owner)!.get(r.file)!.content);
  });
});

describe('Kafka metrics of production: JMX exporter on the admin plane, scraped through monitoring-kafka (EXG_MON_6, EXG_PCA_2)', () => {
  const admin = (g: Guest) => g.nics.find((n) => n.zone === 'admin')!.ip;
  const monitors = prod.guests.filter((g) => g.service === 'monitoring');
  const monitorFile = (m: Guest, name: string) => written(prod, m).get(`${MONITORING_PATHS.confDir}/${name}`)!.content;
  const agentOf = (g: Guest) => {
    const unit = files.get(g.name)!.get(KAFKA_PATHS.unit)!.content;
    const opts = [...unit.matchAll(/^Environment="KAFKA_OPTS=(.*)"$/gm)].map((m) => m[1]!);
    expect(opts, g.name).toHaveLength(1);
    const m = /^-javaagent:([^=]+)=([\d.]+):(\d+):(\S+)$/.exec(opts[0]!);
    expect(m, opts[0]).not.toBeNull();
    return { jar: m![1]!, address: m![2]!, port: Number(m![3]), rules: m![4]! };
  };

  it("every node's unit loads the pinned agent on its admin address and PORTS.kafkaMetrics (not the back NIC, never 0.0.0.0)", () => {
    for (const g of nodes) {
      const a = agentOf(g);
      expect(a).toEqual({
        jar: `${KAFKA_PATHS.jmxExporterDir}/${JMX_EXPORTER.jar}`,
        address: admin(g),
        port: PORTS.kafkaMetrics,
        rules: KAFKA_PATHS.jmxExporterRules,
      });
      expect(a.address).not.toBe(ip(g));
      expect(`${a.address}:${a.port}`).toBe(kafkaMetricsEndpoint(PRODUCTION, g));
      for (const [path, f] of files.get(g.name)!) expect(f.content, `${g.name} ${path}`).not.toMatch(/0\.0\.0\.0|JMX_PORT/);
    }
  });

  it('every node carries the rules file (root, 0644) and a pre-start that refuses any other jar than the pinned one', () => {
    for (const g of nodes) {
      expect(files.get(g.name)!.get(KAFKA_PATHS.jmxExporterRules)).toMatchObject({ owner: 'root:root', permissions: '0644' });
      const prestart = files.get(g.name)!.get(KAFKA_PATHS.prestart)!.content;
      expect(prestart).toContain(`JMX_AGENT='${KAFKA_PATHS.jmxExporterDir}/${JMX_EXPORTER.jar}'\n`);
      expect(prestart).toContain(`'${JMX_EXPORTER.sha256}' "$JMX_AGENT" | sha256sum --check --status || {`);
    }
  });

  it("the Prometheus kafka job scrapes exactly the agents' endpoints, each on a line of flow monitoring-kafka, and the flow opens nothing else", () => {
    const endpoints = nodes.map((g) => {
      const a = agentOf(g);
      return `${a.address}:${a.port}`;
    });
    const lines = prod.flowMatrix.filter((e) => e.flow === 'monitoring-kafka');
    expect(new Set(lines.map((e) => `${e.destination.ip}:${e.port}`))).toEqual(new Set(endpoints));
    expect(new Set(lines.map((e) => e.destination.zone))).toEqual(new Set(['admin']));
    expect(new Set(lines.map((e) => e.source.name))).toEqual(new Set(monitors.map((m) => m.name)));
    expect(monitors.length).toBeGreaterThan(0);
    for (const m of monitors) {
      const prom = parseYaml(monitorFile(m, MONITORING_FILES.prometheus)) as {
        scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
      };
      const kafka = prom.scrape_configs.find((j) => j.job_name === 'kafka')!;
      const targets = kafka.static_configs.flatMap((c) => c.targets);
      expect(targets.sort()).toEqual([...endpoints].sort());
      for (const t of targets)
        expect(
          lines.some((e) => e.source.name === m.name && `${e.destination.ip}:${e.port}` === t && e.protocol === 'tcp'),
          `${m.name} → ${t}`,
        ).toBe(true);
    }
  });

  it("every metric the production hds-kafka alerts read is produced by the nodes' rules file from a Kafka MBean", () => {
    const rules = parseYaml(monitorFile(monitors[0]!, MONITORING_FILES.rules)) as { groups: Array<{ name: string; rules: Array<{ expr: string }> }> };
    const read = new Set(rules.groups.find((g) => g.name === 'hds-kafka')!.rules.flatMap((r) => promqlMetricNames(r.expr)));
    expect(read.size).toBeGreaterThan(0);
    for (const g of nodes) {
      const text = files.get(g.name)!.get(KAFKA_PATHS.jmxExporterRules)!.content;
      const queried = (parseYaml(text) as { includeObjectNames: string[] }).includeObjectNames;
      const produced = new Set(queried.map((mbean) => jmxExporterMetricName(text, mbean)));
      for (const name of read) expect(produced.has(name), `${g.name}: ${name}`).toBe(true);
    }
  });
});

describe('hdsctl validate: a stretched Kafka without a witness site', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hds-kafka-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is one located error naming the fix', () => {
    cpSync(envDir, dir, { recursive: true });
    const file = join(dir, 'production.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('controllers: { perSite: 2, witnessSite: DC3,');
    writeFileSync(file, text.replace('controllers: { perSite: 2, witnessSite: DC3,', 'controllers: { perSite: 2,'));
    const lines = evaluate(loadWorkspace(dir), 'production')
      .diagnostics.filter((d) => d.pointer.startsWith('/services/kafka'))
      .map(formatDiagnostic);
    const line = text.split('\n').findIndex((l) => l.includes('controllers: {')) + 1;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`production\\.yaml:${line}:\\d+ /services/kafka/controllers/perSite: `));
    expect(lines[0]).toContain('the KRaft controller quorum (2 on DC1 + 2 on DC2) has no majority left when DC1 is lost (2 of 3 needed)');
    expect(lines[0]).toContain('set services.kafka.controllers.witnessSite: DC3');
  });
});
