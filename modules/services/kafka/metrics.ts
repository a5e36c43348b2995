/**
 * Kafka's metrics for the monitoring (docs/adr/0007, modules/services/monitoring): the Prometheus
 * JMX exporter java agent runs inside every broker and KRaft controller JVM and serves the Kafka
 * MBeans the hds-kafka alerts read, on the node's admin-plane address only (flow
 * monitoring-kafka, PORTS.kafkaMetrics). Pure: constants, the agent's command-line option, the
 * exporter's rules file and the pre-start lines that check the pinned jar.
 *
 * Naming: the metric names are those of Strimzi's examples/metrics/kafka-metrics.yaml (its generic
 * rule turns `kafka.<d>:type=<T>,name=<N>` gauges' `Value` into `kafka_<d>_<T>_<N>`, lowercased),
 * which the alerts of modules/services/monitoring/render.ts assume. The rules here are written for
 * the three MBeans the alerts need, not a copy of Strimzi's file: one explicit rule each, and
 * `includeObjectNames` so the agent queries those MBeans and no other Kafka MBean (the JVM's own
 * metrics, which the agent always adds, stay).
 */
import YAML from 'yaml';
import type { RenderedFile } from '../types.ts';
import type { KafkaProcessRole } from './render.ts';

const JMX_EXPORTER_VERSION = '1.6.0';

/**
 * The pinned Prometheus JMX exporter java agent (Maven `io.prometheus.jmx:jmx_prometheus_javaagent`).
 * Not in Debian: the deployment takes this exact jar from the platform's internal Maven repository
 * (a mirror of Maven Central, `repositoryPath` under its root; the Kafka VMs reach no Internet
 * repository) and installs it next to the Apache Kafka distribution (ADR 0007). The pre-start
 * script refuses to start Kafka unless the file has this SHA-256 (the published 1.6.0 jar's).
 * Upgrading = changing the version and the checksum here, in one commit, after review.
 */
export const JMX_EXPORTER = {
  groupId: 'io.prometheus.jmx',
  artifactId: 'jmx_prometheus_javaagent',
  version: JMX_EXPORTER_VERSION,
  jar: `jmx_prometheus_javaagent-${JMX_EXPORTER_VERSION}.jar`,
  repositoryPath: `io/prometheus/jmx/jmx_prometheus_javaagent/${JMX_EXPORTER_VERSION}/jmx_prometheus_javaagent-${JMX_EXPORTER_VERSION}.jar`,
  sha256: 'a95983fd96e865d2bcdf911cc500e7c82808c27ab9fd226bf96732b6c3d8c46e',
} as const;

export interface KafkaJmxMetric {
  /** The Kafka MBean (a Yammer gauge: one attribute, `Value`). */
  mbean: string;
  /** The process roles that register it. */
  roles: readonly KafkaProcessRole[];
  help: string;
}

/**
 * The MBeans the hds-kafka alerts read (Kafka's monitoring documentation names them):
 * under-min-ISR partitions per broker (the partitions it leads), offline partitions and the
 * active controller count on the KRaft controllers.
 */
export const KAFKA_JMX_METRICS: readonly KafkaJmxMetric[] = [
  {
    mbean: 'kafka.server:type=ReplicaManager,name=UnderMinIsrPartitionCount',
    roles: ['broker'],
    help: 'Partitions led by this broker whose ISR is smaller than min.insync.replicas (acks=all writes refused)',
  },
  {
    mbean: 'kafka.controller:type=KafkaController,name=OfflinePartitionsCount',
    roles: ['controller'],
    help: 'Partitions without a leader, as this KRaft controller sees the metadata',
  },
  {
    mbean: 'kafka.controller:type=KafkaController,name=ActiveControllerCount',
    roles: ['controller'],
    help: '1 on the active KRaft controller, 0 on the others',
  },
];

const MBEAN_RE = /^kafka\.([a-z]+):type=([A-Za-z]+),name=([A-Za-z]+)$/;

function parts(mbean: string): { domain: string; type: string; name: string } {
  const m = MBEAN_RE.exec(mbean);
  if (!m) throw new Error(`${mbean} is not a kafka.<domain>:type=<Type>,name=<Name> MBean`);
  return { domain: m[1]!, type: m[2]!, name: m[3]! };
}

/** Strimzi's name for a `kafka.<d>:type=<T>,name=<N>` gauge: `kafka_<d>_<t>_<n>`, lowercase. */
export function strimziMetricName(mbean: string): string {
  const { domain, type, name } = parts(mbean);
  return `kafka_${domain}_${type}_${name}`.toLowerCase();
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The exporter's rules file name (placed by fromTopology/kafka.ts at KAFKA_PATHS.jmxExporterRules). */
export const KAFKA_JMX_RULES_FILE = 'jmx-exporter.yml';

/**
 * The exporter's configuration (YAML, 0644, no secret). Each rule's pattern is matched by the
 * exporter against `<domain><type=<T>, name=<N>><>Value: <value>` (its documented input shape;
 * it wraps the pattern as `^.*(?:…).*$`), so one literal pattern per MBean, and the output name
 * spelled out. `lowercaseOutputName` as in Strimzi's file (the names are lowercase already).
 */
export function renderKafkaJmxRules(metrics: readonly KafkaJmxMetric[] = KAFKA_JMX_METRICS): RenderedFile {
  if (metrics.length === 0) throw new Error('the JMX exporter needs at least one Kafka MBean');
  const seen = new Set<string>();
  const rules = metrics.map((m) => {
    const { domain, type, name } = parts(m.mbean);
    if (seen.has(m.mbean)) throw new Error(`MBean ${m.mbean} listed twice`);
    seen.add(m.mbean);
    if (/[\r\n]/.test(m.help)) throw new Error(`help of ${m.mbean} has a line break`);
    return {
      pattern: `${escapeRegex(`kafka.${domain}`)}<type=${type}, name=${name}><>Value`,
      name: strimziMetricName(m.mbean),
      type: 'GAUGE',
      help: `${m.help} [${m.mbean}, ${m.roles.join(' and ')}]`,
    };
  });
  const doc = { lowercaseOutputName: true, includeObjectNames: metrics.map((m) => m.mbean), rules };
  return {
    path: KAFKA_JMX_RULES_FILE,
    content: `# Managed by hds-platform (modules/services/kafka/metrics.ts, docs/adr/0007): Prometheus JMX exporter ${JMX_EXPORTER.version}.\n# Names as Strimzi's examples/metrics/kafka-metrics.yaml; the alerts are in modules/services/monitoring/render.ts.\n${YAML.stringify(doc, { lineWidth: 0 })}`,
    mode: 0o644,
  };
}

export interface KafkaMetricsAgent {
  /** Absolute path of the agent jar on the node. */
  jar: string;
  /** Absolute path of the rules file (renderKafkaJmxRules). */
  rules: string;
  /** The node's admin-plane address: the agent's HTTP server binds it, and nothing else. */
  address: string;
  /** PORTS.kafkaMetrics. */
  port: number;
}

const SAFE_PATH = /^\/[A-Za-z0-9_./-]+$/;

/**
 * `-javaagent:<jar>=<address>:<port>:<rules>` (the agent's `[host:]port:config` argument), for
 * KAFKA_OPTS. Refuses a wildcard, loopback or malformed address: the exporter must listen on the
 * one address the monitoring flow reaches, never on every interface (the back NIC carries
 * clients and replication).
 */
export function kafkaJavaagentOption(a: KafkaMetricsAgent): string {
  for (const p of [a.jar, a.rules]) if (!SAFE_PATH.test(p)) throw new Error(`JMX exporter path ${p} must be absolute, without spaces or quotes`);
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a.address)?.slice(1).map(Number);
  if (!octets || octets.some((o) => o > 255)) throw new Error(`JMX exporter address ${a.address} is not an IPv4 address`);
  if (octets[0] === 0 || octets[0] === 127 || octets[0]! >= 224)
    throw new Error(`JMX exporter address ${a.address}: bind the node's admin address, not a wildcard, loopback or multicast address`);
  if (!Number.isInteger(a.port) || a.port < 1024 || a.port > 65535) throw new Error(`JMX exporter port ${a.port} is not in 1024..65535`);
  return `-javaagent:${a.jar}=${a.address}:${a.port}:${a.rules}`;
}

/**
 * Shell lines (POSIX sh, `set -eu`) that stop the pre-start unless `path` exists with SHA-256
 * `sha256`: the agent is loaded into the broker's JVM, which holds the TLS key, so only the
 * reviewed jar may be.
 */
export function renderArtefactCheck(c: { variable: string; path: string; sha256: string; what: string }): string {
  if (!/^[A-Z][A-Z0-9_]*$/.test(c.variable)) throw new Error(`invalid shell variable ${c.variable}`);
  if (!SAFE_PATH.test(c.path)) throw new Error(`unsafe path for a shell script: ${c.path}`);
  if (!/^[0-9a-f]{64}$/.test(c.sha256)) throw new Error(`${c.sha256} is not a SHA-256 (64 lowercase hex digits)`);
  if (/["'`$\\\n]/.test(c.what)) throw new Error(`unsafe description for a shell script: ${c.what}`);
  const v = `"$${c.variable}"`;
  return [
    `${c.variable}='${c.path}'`,
    `[ -f ${v} ] || { echo "kafka-prestart: no ${c.what} at $${c.variable} (installed by the deployment from the internal repository, ADR 0007)" >&2; exit 1; }`,
    `printf '%s  %s\\n' '${c.sha256}' ${v} | sha256sum --check --status || { echo "kafka-prestart: $${c.variable} is not the pinned ${c.what} (SHA-256 ${c.sha256} expected): refusing to load it" >&2; exit 1; }`,
  ].join('\n');
}
