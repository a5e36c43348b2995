/**
 * Kafka renderer (KRaft, Apache Kafka 4.1 or later on VMs; docs/adr/0007): pure functions from the
 * cluster's input to each node's `server.properties`, plus the systemd unit and the pre-start
 * script every node runs. Nothing here reads a file, a clock or a random source.
 *
 * What every node's configuration guarantees (render.test.ts checks each on production):
 * - KRaft: `process.roles` broker or controller (never combined: the Kafka documentation does not
 *   recommend it for critical deployments), `controller.quorum.voters` = every controller;
 * - TLS only: one SSL listener per role (clients and inter-broker on PORTS.kafkaTls, the controller
 *   listener on PORTS.kafkaController), on the node's service address; no PLAINTEXT or SASL
 *   listener, mutual TLS (`ssl.client.auth=required`), PEM key and trust stores (no store
 *   password: Kafka ≥ 3.3 reads unencrypted PKCS#8 keys), TLS 1.3/1.2 with AES-GCM suites;
 * - authorization: StandardAuthorizer, deny when no ACL matches, super users = the Kafka nodes and
 *   the operators; principals are the certificate's `CN=<name>` (identity.ts);
 * - durability (topics.ts): `broker.rack` = site, default RF and min.insync.replicas from
 *   kafkaDurability, the same for the internal topics, no unclean election, no automatic topic
 *   creation, no topic deletion (a KafkaTopic deleted by mistake cannot delete data);
 * - the defaults a KRaft controller applies to topic creation (RF, partitions, min ISR) are
 *   rendered on controllers too: in KRaft the controller, not the broker, creates topics;
 * - metrics (metrics.ts): the unit loads the Prometheus JMX exporter java agent bound to the
 *   node's admin address only, and the pre-start refuses a jar that is not the pinned one.
 */
import { quorumAfterSiteLoss } from '../../model/kafka.ts';
import type { RenderedFile } from '../types.ts';
import { type KafkaMetricsAgent, kafkaJavaagentOption, renderArtefactCheck } from './metrics.ts';

/** The oldest Kafka release this configuration is written for (PEM stores, KRaft only, ELR on by default). */
export const KAFKA_VERSION_FLOOR = '4.1';

export type KafkaProcessRole = 'broker' | 'controller';

export interface KafkaTlsFiles {
  /** PEM file: the node's private key (PKCS#8, unencrypted) then its certificate chain. */
  keystore: string;
  /** PEM file: the platform CA. */
  truststore: string;
}

export interface KafkaNodeInput {
  /** Guest name; its certificate's CN, so its principal is `User:CN=<name>`. */
  name: string;
  /** `node.id` (identity.ts kafkaNodeId): unique in the cluster, never changed. */
  nodeId: number;
  /** Site = rack (`broker.rack`) for brokers; quorum placement for controllers. */
  site: string;
  role: KafkaProcessRole;
  /** The node's service address: listeners bind and advertise it. */
  address: string;
  /** `log.dirs`: partitions on a broker (its data disk), the metadata log on a controller. */
  logDir: string;
  tls: KafkaTlsFiles;
}

export interface KafkaClusterInput {
  /** KRaft cluster id (identity.ts kafkaClusterId): 22 characters of base64url. */
  clusterId: string;
  ports: {
    /** Client and inter-broker listener (TLS). */
    client: number;
    /** KRaft controller listener (TLS). */
    controller: number;
  };
  nodes: KafkaNodeInput[];
  /** From kafkaDurability (topics.ts). */
  durability: { replicationFactor: number; minInsyncReplicas: number };
  /** Principals granted everything besides the nodes themselves: the operators (`User:CN=…`). */
  superUsers: string[];
  /** Partitions of a topic created without a count. @default 12 */
  numPartitions?: number;
  /** A follower that has not caught up for this long leaves the ISR. @default 30000 */
  replicaLagTimeMaxMs?: number;
}

export const KAFKA_DEFAULTS = { numPartitions: 12, replicaLagTimeMaxMs: 30_000 } as const;

export const LISTENER = { client: 'TLS', controller: 'CONTROLLER' } as const;

/** TLS 1.3 and TLS 1.2 suites (JSSE names), ECDHE + AES-GCM only (ANSSI guide TLS, like the WAF and etcd). */
export const KAFKA_CIPHER_SUITES = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
] as const;

/**
 * Maps any certificate subject to its `CN=<name>` part (whatever the order and the other RDNs), the
 * form Strimzi's User Operator writes ACLs for (`tls-external`); DEFAULT keeps the full DN of a
 * subject without CN, which then matches no ACL and no super user.
 */
export const PRINCIPAL_MAPPING_RULES = 'RULE:^(?:.*,)?(CN=[^,]+)(?:,.*)?$/$1/,DEFAULT';

export function kafkaConfigPath(n: Pick<KafkaNodeInput, 'name'>): string {
  return `${n.name}.properties`;
}

type Entry = readonly [key: string, value: string | number | boolean] | string;

const KEY = /^[a-z][a-z0-9._-]*$/;

/** Java properties: one `key=value` per line; backslashes escaped, no line breaks. */
function properties(entries: readonly Entry[]): string {
  const seen = new Set<string>();
  return `${entries
    .map((e) => {
      if (typeof e === 'string') return e === '' ? '' : `# ${e}`;
      const [k, v] = e;
      if (!KEY.test(k)) throw new Error(`invalid property name ${k}`);
      if (seen.has(k)) throw new Error(`property ${k} rendered twice`);
      seen.add(k);
      const text = String(v);
      if (/[\r\n]/.test(text)) throw new Error(`property ${k} has a line break`);
      return `${k}=${text.replace(/\\/g, '\\\\')}`;
    })
    .join('\n')}\n`;
}

/** `key=value` lines back to a map (comments and blank lines skipped), for tests and evidence. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i <= 0) throw new Error(`not a property line: ${line}`);
    out.set(line.slice(0, i), line.slice(i + 1).replace(/\\\\/g, '\\'));
  }
  return out;
}

function validate(input: KafkaClusterInput): void {
  const ids = new Set<number>();
  const names = new Set<string>();
  for (const n of input.nodes) {
    if (!Number.isInteger(n.nodeId) || n.nodeId < 0) throw new Error(`${n.name}: node.id ${n.nodeId} is not a non-negative integer`);
    if (ids.has(n.nodeId)) throw new Error(`node.id ${n.nodeId} is used twice`);
    if (names.has(n.name)) throw new Error(`Kafka node ${n.name} is declared twice`);
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(n.address)) throw new Error(`${n.name}: address ${n.address} is not an IPv4 address`);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(n.name)) throw new Error(`invalid Kafka node name ${n.name}`);
    if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/.test(n.site)) throw new Error(`${n.name}: invalid rack ${n.site}`);
    ids.add(n.nodeId);
    names.add(n.name);
  }
  if (!/^[A-Za-z0-9_-]{22}$/.test(input.clusterId)) throw new Error(`invalid KRaft cluster id ${input.clusterId} (22 characters of base64url)`);
  const brokers = input.nodes.filter((n) => n.role === 'broker');
  const controllers = input.nodes.filter((n) => n.role === 'controller');
  if (brokers.length === 0 || controllers.length === 0)
    throw new Error(`a Kafka cluster needs brokers and controllers (got ${brokers.length} and ${controllers.length})`);
  const voters: Record<string, number> = {};
  for (const c of controllers) voters[c.site] = (voters[c.site] ?? 0) + 1;
  // A cluster whose nodes all sit in one site dies with it anyway; otherwise no site may take the quorum down.
  const lost = new Set(input.nodes.map((n) => n.site)).size > 1 ? quorumAfterSiteLoss(voters).filter((l) => !l.survives) : [];
  if (lost.length > 0)
    throw new Error(
      `the KRaft quorum (${controllers.length} voters) keeps no majority when ${lost.map((l) => l.site).join(' or ')} is lost: add a controller in a third site`,
    );
  const { replicationFactor: rf, minInsyncReplicas: m } = input.durability;
  if (!(Number.isInteger(rf) && Number.isInteger(m) && m >= 1 && m <= rf && rf <= brokers.length))
    throw new Error(`replication factor ${rf} and min.insync.replicas ${m} do not fit ${brokers.length} brokers (need 1 ≤ min ISR ≤ RF ≤ brokers)`);
  for (const u of input.superUsers)
    if (!/^User:CN=[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(u)) throw new Error(`super user ${u} is not a User:CN=<name> principal`);
}

/** One `server.properties` per node, `<name>.properties`, mode 0640 (no secret in it: no store password). */
export function renderKafka(input: KafkaClusterInput): RenderedFile[] {
  validate(input);
  const { client, controller } = input.ports;
  const controllers = input.nodes.filter((n) => n.role === 'controller');
  const voters = controllers.map((c) => `${c.nodeId}@${c.address}:${controller}`).join(',');
  const superUsers = [...input.nodes.map((n) => `User:CN=${n.name}`), ...input.superUsers].join(';');
  const { replicationFactor: rf, minInsyncReplicas: m } = input.durability;
  const numPartitions = input.numPartitions ?? KAFKA_DEFAULTS.numPartitions;
  const lag = input.replicaLagTimeMaxMs ?? KAFKA_DEFAULTS.replicaLagTimeMaxMs;
  const bySite = [...new Set(controllers.map((c) => c.site))].map((s) => `${controllers.filter((c) => c.site === s).length} on ${s}`).join(' + ');

  return input.nodes.map((n) => {
    const isBroker = n.role === 'broker';
    const own = isBroker ? `${LISTENER.client}://${n.address}:${client}` : `${LISTENER.controller}://${n.address}:${controller}`;
    const entries: Entry[] = [
      `Managed by hds-platform (modules/services/kafka/render.ts, docs/adr/0007): do not edit, regenerated from the model.`,
      `${n.name}: KRaft ${n.role} ${n.nodeId} on ${n.site}, Kafka ${KAFKA_VERSION_FLOOR} or later.`,
      '',
      'Identity and metadata quorum',
      ['process.roles', n.role],
      ['node.id', n.nodeId],
      `Voters: ${bySite} — a majority is left when any one site is lost.`,
      ['controller.quorum.voters', voters],
      ['controller.listener.names', LISTENER.controller],
      '',
      'Listeners: TLS only, mutual authentication, on the service address',
      ['listeners', own],
      ...(isBroker
        ? ([
            ['advertised.listeners', own],
            ['inter.broker.listener.name', LISTENER.client],
          ] as Entry[])
        : []),
      ['listener.security.protocol.map', isBroker ? `${LISTENER.client}:SSL,${LISTENER.controller}:SSL` : `${LISTENER.controller}:SSL`],
      ['ssl.client.auth', 'required'],
      ['ssl.keystore.type', 'PEM'],
      ['ssl.keystore.location', n.tls.keystore],
      ['ssl.truststore.type', 'PEM'],
      ['ssl.truststore.location', n.tls.truststore],
      ['ssl.endpoint.identification.algorithm', 'https'],
      ['ssl.protocol', 'TLSv1.3'],
      ['ssl.enabled.protocols', 'TLSv1.3,TLSv1.2'],
      ['ssl.cipher.suites', KAFKA_CIPHER_SUITES.join(',')],
      ['ssl.principal.mapping.rules', PRINCIPAL_MAPPING_RULES],
      '',
      'Authorization: nothing without an ACL (KafkaUser resources, Strimzi User Operator)',
      ['authorizer.class.name', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'],
      ['allow.everyone.if.no.acl.found', false],
      ['super.users', superUsers],
      '',
      `Durability (topics.ts): RF ${rf}, min ISR ${m} — every acks=all write is on two sites`,
      ...(isBroker
        ? ([
            ['broker.rack', n.site],
            'Consumers read from a replica of their own datacenter (client.rack), KIP-392.',
            ['replica.selector.class', 'org.apache.kafka.common.replica.RackAwareReplicaSelector'],
          ] as Entry[])
        : []),
      ['default.replication.factor', rf],
      ['min.insync.replicas', m],
      ['offsets.topic.replication.factor', rf],
      ['transaction.state.log.replication.factor', rf],
      ['transaction.state.log.min.isr', m],
      ['share.coordinator.state.topic.replication.factor', rf],
      ['share.coordinator.state.topic.min.isr', m],
      ['unclean.leader.election.enable', false],
      ['auto.create.topics.enable', false],
      ['delete.topic.enable', false],
      ['num.partitions', numPartitions],
      ['replica.lag.time.max.ms', lag],
      '',
      isBroker ? 'Storage: the encrypted data disk (LUKS2, /var/lib/kafka)' : 'Storage: the metadata log',
      ['log.dirs', n.logDir],
    ];
    return { path: kafkaConfigPath(n), content: properties(entries), mode: 0o640 };
  });
}

export interface KafkaUnitInput {
  role: KafkaProcessRole;
  /** Where the Apache Kafka distribution is unpacked (bin/kafka-server-start.sh). */
  home: string;
  config: string;
  prestart: string;
  /** Kafka's own log4j output (LOG_DIR). */
  logDir: string;
  /** JVM heap in GiB (-Xms = -Xmx). */
  heapGiB: number;
  /** The Prometheus JMX exporter agent (metrics.ts), loaded through KAFKA_OPTS. */
  metrics: KafkaMetricsAgent;
}

/**
 * The systemd unit: runs as `kafka`, the pre-start as root (`+`), restarts on failure, sandboxed.
 * KAFKA_OPTS loads the JMX exporter agent on the admin address (kafka-run-class.sh passes it to
 * the JVM); JMX_PORT is never set, so Kafka opens no remote JMX (RMI) port: the agent reads the
 * MBeans inside the JVM.
 */
export function renderKafkaUnit(u: KafkaUnitInput): string {
  if (!Number.isInteger(u.heapGiB) || u.heapGiB < 1) throw new Error(`Kafka heap ${u.heapGiB} GiB: a whole number of GiB, at least 1`);
  const agent = kafkaJavaagentOption(u.metrics);
  return `# Managed by hds-platform (modules/services/kafka/render.ts, docs/adr/0007).
[Unit]
Description=Apache Kafka, KRaft ${u.role} (hds-platform)
Documentation=https://kafka.apache.org/documentation/#kraft
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=kafka
Group=kafka
Environment="KAFKA_HEAP_OPTS=-Xms${u.heapGiB}g -Xmx${u.heapGiB}g"
Environment="LOG_DIR=${u.logDir}"
# Prometheus JMX exporter (modules/services/kafka/metrics.ts) on the admin address only.
Environment="KAFKA_OPTS=${agent}"
ExecStartPre=+${u.prestart}
ExecStart=${u.home}/bin/kafka-server-start.sh ${u.config}
# The JVM exits 143 on SIGTERM after a controlled shutdown.
SuccessExitStatus=143
TimeoutStopSec=180
Restart=on-failure
RestartSec=10
LimitNOFILE=131072
NoNewPrivileges=true
ProtectSystem=full
ProtectHome=true
PrivateTmp=true

[Install]
WantedBy=multi-user.target
`;
}

export interface KafkaPrestartInput {
  clusterId: string;
  home: string;
  config: string;
  /** Every directory the node writes: log.dirs and LOG_DIR. */
  dataDirs: string[];
  /** The PEM keystore assembled here from the guest's TLS pair. */
  keystore: string;
  serverCert: string;
  serverKey: string;
  /** The JMX exporter jar the unit loads, and its pinned SHA-256 (metrics.ts JMX_EXPORTER). */
  metricsAgent: { jar: string; sha256: string };
}

const shq = (s: string) => {
  if (!/^[A-Za-z0-9_./-]+$/.test(s)) throw new Error(`unsafe path or value for a shell script: ${s}`);
  return `'${s}'`;
};

/**
 * The pre-start script (root): the `kafka` system user, the node's directories, the PEM keystore
 * (private key as unencrypted PKCS#8, then the certificate chain; 0640 root:kafka) from the
 * guest's TLS pair, and the KRaft storage formatted once with the environment's cluster id
 * (`--ignore-formatted`: a formatted directory is left alone; one formatted for another cluster
 * makes Kafka refuse to start). The Apache Kafka distribution and the JMX exporter jar are
 * installed by the deployment (ADR 0007), not by this script: it stops when either is missing, or
 * when the jar is not the pinned one (SHA-256).
 */
export function renderKafkaPrestart(p: KafkaPrestartInput): string {
  if (!/^[A-Za-z0-9_-]{22}$/.test(p.clusterId)) throw new Error(`invalid KRaft cluster id ${p.clusterId}`);
  return `#!/bin/sh
# Managed by hds-platform (modules/services/kafka/render.ts, docs/adr/0007). Runs as root before
# every start of kafka.service (ExecStartPre=+).
set -eu
umask 027
# The unit's KAFKA_OPTS (the JMX exporter agent) is for the server: kafka-storage.sh below must not
# load the agent (its JVM would bind the metrics port and serve nothing).
unset KAFKA_OPTS
KAFKA_HOME=${shq(p.home)}
CONFIG=${shq(p.config)}
KEYSTORE=${shq(p.keystore)}
CLUSTER_ID=${shq(p.clusterId)}
[ -x "$KAFKA_HOME/bin/kafka-server-start.sh" ] || { echo "kafka-prestart: no Apache Kafka in $KAFKA_HOME (installed by the deployment, ADR 0007)" >&2; exit 1; }
${renderArtefactCheck({ variable: 'JMX_AGENT', path: p.metricsAgent.jar, sha256: p.metricsAgent.sha256, what: 'Prometheus JMX exporter agent' })}
id -u kafka >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin kafka
${p.dataDirs.map((d) => `install -d -o kafka -g kafka -m 0750 ${shq(d)}`).join('\n')}
chgrp kafka "$CONFIG"
chmod 0640 "$CONFIG"
install -d -o root -g kafka -m 0750 "$(dirname "$KEYSTORE")"
tmp=$(mktemp "$KEYSTORE.XXXXXX")
trap 'rm -f "$tmp"' EXIT
openssl pkcs8 -topk8 -nocrypt -in ${shq(p.serverKey)} >"$tmp"
cat ${shq(p.serverCert)} >>"$tmp"
chgrp kafka "$tmp"
chmod 0640 "$tmp"
mv "$tmp" "$KEYSTORE"
trap - EXIT
runuser -u kafka -- "$KAFKA_HOME/bin/kafka-storage.sh" format --ignore-formatted --cluster-id "$CLUSTER_ID" --config "$CONFIG"
`;
}
