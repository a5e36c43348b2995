/**
 * Kafka from the topology (docs/adr/0007): one renderKafka call per (topology, profile) for the
 * whole cluster — the brokers of `services.kafka.sites` (rack = site) and the KRaft controllers
 * (perSite in each broker site, the tie-breaker in the witness site) — on their service (back)
 * NIC; each node takes its own server.properties, plus the systemd unit and the pre-start script.
 *
 * Identities (cluster id, node ids, principals) come from ../kafka/identity.ts, durability from
 * ../kafka/topics.ts; nothing here is a secret (the key stays in the guest's TLS pair and is
 * assembled into the PEM keystore by the pre-start script on the guest).
 *
 * Metrics (../kafka/metrics.ts): every node's unit loads the pinned Prometheus JMX exporter agent
 * on its admin-plane address and PORTS.kafkaMetrics (kafkaMetricsEndpoint, the target the
 * monitoring scrapes through flow monitoring-kafka), with the rules file placed next to
 * server.properties.
 */
import { PORTS } from '../../model/ports.ts';
import { isKafkaController, kafkaBrokers, kafkaControllers } from '../../model/roles.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import { kafkaClusterId, kafkaNodeId, kafkaOperatorNames, kafkaPrincipal } from '../kafka/identity.ts';
import { JMX_EXPORTER, type KafkaMetricsAgent, KAFKA_JMX_RULES_FILE, renderKafkaJmxRules } from '../kafka/metrics.ts';
import { type KafkaClusterInput, kafkaConfigPath, renderKafka, renderKafkaPrestart, renderKafkaUnit } from '../kafka/render.ts';
import { kafkaDurability } from '../kafka/topics.ts';
import type { GuestFile } from '../types.ts';
import { at, memo, place, serviceAddress, TLS } from './common.ts';
import { KAFKA_PATHS } from './paths.ts';
import type { DeploymentProfile } from './profile.ts';

/** Every Kafka node of the topology: brokers first, then controllers (model order). */
export function kafkaNodes(t: Topology): Guest[] {
  return [...kafkaBrokers(t), ...kafkaControllers(t)];
}

/** `host:port` of every broker: the bootstrap list of clients and of the Strimzi standalone operators. */
export function kafkaBootstrapServers(t: Topology, p: DeploymentProfile): string[] {
  return kafkaBrokers(t).map((g) => `${serviceAddress(p, g)}:${PORTS.kafkaTls}`);
}

export function kafkaInput(t: Topology, p: DeploymentProfile): KafkaClusterInput {
  const ops = kafkaOperatorNames(t.environment.name);
  const d = kafkaDurability(t);
  return {
    clusterId: kafkaClusterId(t.environment.name),
    ports: { client: PORTS.kafkaTls, controller: PORTS.kafkaController },
    nodes: kafkaNodes(t).map((g) => ({
      name: g.name,
      nodeId: kafkaNodeId(t, g),
      site: g.site,
      role: isKafkaController(g) ? 'controller' : 'broker',
      address: serviceAddress(p, g),
      logDir: at(p, g, KAFKA_PATHS.dataDir),
      tls: { keystore: at(p, g, KAFKA_PATHS.keystore), truststore: at(p, g, TLS.caFile) },
    })),
    durability: { replicationFactor: d.replicationFactor, minInsyncReplicas: d.minInsyncReplicas },
    superUsers: [ops.topicOperator, ops.userOperator, ops.admin].map(kafkaPrincipal),
  };
}

/**
 * JVM heap: a quarter of a broker's memory up to 6 GiB (the rest is page cache, which serves
 * reads and replication), half of a controller's up to 4 GiB.
 */
export function kafkaHeapGiB(g: Guest): number {
  return isKafkaController(g) ? Math.max(1, Math.min(4, Math.floor(g.size.ramGiB / 2))) : Math.max(1, Math.min(6, Math.floor(g.size.ramGiB / 4)));
}

const rendered = memo((t, p) => renderKafka(kafkaInput(t, p)));

/** `address:port` of a Kafka node's JMX exporter: its admin-plane address (never the back NIC), PORTS.kafkaMetrics. */
export function kafkaMetricsEndpoint(p: DeploymentProfile, g: Guest): string {
  return `${p.address(g, 'admin')}:${PORTS.kafkaMetrics}`;
}

/** The JMX exporter agent of a Kafka node as its unit loads it. */
export function kafkaMetricsAgent(p: DeploymentProfile, g: Guest): KafkaMetricsAgent {
  return {
    jar: at(p, g, `${KAFKA_PATHS.jmxExporterDir}/${JMX_EXPORTER.jar}`),
    rules: at(p, g, KAFKA_PATHS.jmxExporterRules),
    address: p.address(g, 'admin'),
    port: PORTS.kafkaMetrics,
  };
}

export function kafkaFilesFor(t: Topology, p: DeploymentProfile, g: Guest): GuestFile[] {
  const config = at(p, g, KAFKA_PATHS.config);
  const prestart = at(p, g, KAFKA_PATHS.prestart);
  const home = at(p, g, KAFKA_PATHS.home);
  const metrics = kafkaMetricsAgent(p, g);
  return [
    // root-owned: the pre-start script gives it to the kafka group (the user does not exist before it runs).
    place(
      rendered(t, p).find((f) => f.path === kafkaConfigPath(g)),
      config,
      `the Kafka server.properties of ${g.name}`,
      'kafka',
    ),
    {
      path: at(p, g, KAFKA_PATHS.unit),
      content: renderKafkaUnit({
        role: isKafkaController(g) ? 'controller' : 'broker',
        home,
        config,
        prestart,
        logDir: at(p, g, KAFKA_PATHS.logDir),
        heapGiB: kafkaHeapGiB(g),
        metrics,
      }),
      mode: 0o644,
      service: 'kafka',
    },
    {
      path: prestart,
      content: renderKafkaPrestart({
        clusterId: kafkaClusterId(t.environment.name),
        home,
        config,
        dataDirs: [at(p, g, KAFKA_PATHS.dataDir), at(p, g, KAFKA_PATHS.logDir)],
        keystore: at(p, g, KAFKA_PATHS.keystore),
        serverCert: at(p, g, TLS.serverCert),
        serverKey: at(p, g, TLS.serverKey),
        metricsAgent: { jar: metrics.jar, sha256: JMX_EXPORTER.sha256 },
      }),
      mode: 0o755,
      service: 'kafka',
    },
    place(renderKafkaJmxRules(), metrics.rules, `the JMX exporter rules (${KAFKA_JMX_RULES_FILE})`, 'kafka'),
  ];
}
