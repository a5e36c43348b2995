/**
 * The Kafka renderer on a production-shaped cluster (3 + 3 brokers, KRaft 2 + 2 + 1): properties
 * of every node's server.properties (docs/adr/0007, EXG_PCA_2, EXG_SEC_4.2 TLS), and its refusals.
 */
import { describe, expect, it } from 'vitest';
import { quorumAfterSiteLoss } from '../../model/kafka.ts';
import { type KafkaClusterInput, type KafkaNodeInput, parseProperties, renderKafka, renderKafkaPrestart, renderKafkaUnit } from './render.ts';

const tls = { keystore: '/etc/kafka/tls/keystore.pem', truststore: '/etc/hds/tls/ca.crt' };
const node = (role: KafkaNodeInput['role'], site: string, k: number): KafkaNodeInput => {
  const s = Number(site.slice(2));
  return {
    name: `prod-${site.toLowerCase()}-kafka-${role}-0${k}`,
    nodeId: 100 * s + (role === 'controller' ? 50 : 0) + k,
    site,
    role,
    address: `10.0.${s}.${role === 'controller' ? 50 + k : 10 + k}`,
    logDir: '/var/lib/kafka/data',
    tls,
  };
};
const brokers = ['DC1', 'DC2'].flatMap((s) => [1, 2, 3].map((k) => node('broker', s, k)));
const controllers = [...['DC1', 'DC2'].flatMap((s) => [1, 2].map((k) => node('controller', s, k))), node('controller', 'DC3', 1)];
const input: KafkaClusterInput = {
  clusterId: 'e3UUGHx1Fat9dRc-fnUY0Q',
  ports: { client: 9093, controller: 9094 },
  nodes: [...brokers, ...controllers],
  durability: { replicationFactor: 4, minInsyncReplicas: 3 },
  superUsers: ['User:CN=prod-kafka-topic-operator', 'User:CN=prod-kafka-admin'],
};

describe('renderKafka: one server.properties per node', () => {
  const files = renderKafka(input);
  const props = new Map(files.map((f) => [f.path.replace(/\.properties$/, ''), parseProperties(f.content)]));
  const of = (n: KafkaNodeInput) => props.get(n.name)!;

  it('one file per node, 0640, its own node.id and process role (never combined)', () => {
    expect(files.map((f) => f.path)).toEqual(input.nodes.map((n) => `${n.name}.properties`));
    for (const f of files) expect(f.mode).toBe(0o640);
    for (const n of input.nodes) {
      expect(of(n).get('node.id')).toBe(String(n.nodeId));
      expect(of(n).get('process.roles')).toBe(n.role);
    }
  });

  it('every broker has broker.rack = its site; controllers have no rack', () => {
    for (const b of brokers) expect(of(b).get('broker.rack')).toBe(b.site);
    for (const c of controllers) expect(of(c).has('broker.rack')).toBe(false);
  });

  it('controller.quorum.voters is every controller (id@address:9094) on every node, and keeps a majority when any one site is lost', () => {
    const want = controllers.map((c) => `${c.nodeId}@${c.address}:9094`);
    for (const n of input.nodes) {
      const voters = of(n).get('controller.quorum.voters')!.split(',');
      expect(voters).toEqual(want);
    }
    const bySite: Record<string, number> = {};
    for (const c of controllers) bySite[c.site] = (bySite[c.site] ?? 0) + 1;
    const losses = quorumAfterSiteLoss(bySite);
    expect(losses.map((l) => l.site).sort()).toEqual(['DC1', 'DC2', 'DC3']);
    for (const l of losses) expect(l.survives, `${l.site} lost: ${l.left} of ${l.majority}`).toBe(true);
    expect(losses.find((l) => l.site === 'DC1')).toMatchObject({ left: 3, majority: 3 });
  });

  it('TLS-only listeners on the node address: brokers 9093 (clients and inter-broker), controllers 9094; mutual TLS with PEM stores', () => {
    for (const b of brokers) {
      expect(of(b).get('listeners')).toBe(`TLS://${b.address}:9093`);
      expect(of(b).get('advertised.listeners')).toBe(`TLS://${b.address}:9093`);
      expect(of(b).get('inter.broker.listener.name')).toBe('TLS');
    }
    for (const c of controllers) {
      expect(of(c).get('listeners')).toBe(`CONTROLLER://${c.address}:9094`);
      expect(of(c).has('advertised.listeners')).toBe(false);
    }
    for (const n of input.nodes) {
      const p = of(n);
      const protocols = p
        .get('listener.security.protocol.map')!
        .split(',')
        .map((x) => x.split(':')[1]);
      expect(new Set(protocols)).toEqual(new Set(['SSL']));
      expect(p.get('controller.listener.names')).toBe('CONTROLLER');
      expect(p.get('ssl.client.auth')).toBe('required');
      expect(p.get('ssl.keystore.type')).toBe('PEM');
      expect(p.get('ssl.truststore.type')).toBe('PEM');
      expect(p.get('ssl.keystore.location')).toBe(tls.keystore);
      expect(p.get('ssl.enabled.protocols')).toBe('TLSv1.3,TLSv1.2');
      for (const suite of p.get('ssl.cipher.suites')!.split(',')) expect(suite).toMatch(/^TLS_(ECDHE_(ECDSA|RSA)_WITH_)?AES_(128|256)_GCM_SHA(256|384)$/);
      // No password of any store or key is needed (unencrypted PKCS#8 PEM key), so none is rendered.
      expect([...p.keys()].filter((k) => /password/.test(k))).toEqual([]);
    }
  });

  it('no PLAINTEXT, SASL or clear-text listener anywhere', () => {
    for (const f of files) {
      expect(f.content).not.toMatch(/PLAINTEXT|SASL/);
      expect(f.content).not.toMatch(/:\/\/[^,\n]*:9092\b/);
    }
  });

  it('RF 4 and min ISR 3 as defaults and for the internal topics; no unclean election, no auto-creation, no deletion', () => {
    for (const n of input.nodes) {
      const p = of(n);
      expect(p.get('default.replication.factor')).toBe('4');
      expect(p.get('min.insync.replicas')).toBe('3');
      expect(p.get('offsets.topic.replication.factor')).toBe('4');
      expect(p.get('transaction.state.log.replication.factor')).toBe('4');
      expect(p.get('transaction.state.log.min.isr')).toBe('3');
      expect(p.get('unclean.leader.election.enable')).toBe('false');
      expect(p.get('auto.create.topics.enable')).toBe('false');
      expect(p.get('delete.topic.enable')).toBe('false');
      expect(p.get('num.partitions')).toBe('12');
      expect(p.get('replica.lag.time.max.ms')).toBe('30000');
      expect(p.get('log.dirs')).toBe('/var/lib/kafka/data');
    }
  });

  it('StandardAuthorizer, deny without ACL, super users = every node and the operators, principals by CN', () => {
    const want = [...input.nodes.map((n) => `User:CN=${n.name}`), ...input.superUsers];
    for (const n of input.nodes) {
      const p = of(n);
      expect(p.get('authorizer.class.name')).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
      expect(p.get('allow.everyone.if.no.acl.found')).toBe('false');
      expect(p.get('super.users')!.split(';')).toEqual(want);
    }
    // The mapping rule keeps the CN whatever the order of the subject's RDNs (Java prints RFC 2253).
    const rule = /^RULE:(.*)\/(.*)\/,DEFAULT$/.exec(of(brokers[0]!).get('ssl.principal.mapping.rules')!)!;
    const re = new RegExp(rule[1]!);
    for (const dn of ['O=hds-platform,CN=prod-dc1-kafka-broker-01', 'CN=prod-dc1-kafka-broker-01,O=hds-platform', 'CN=prod-dc1-kafka-broker-01'])
      expect(dn.replace(re, rule[2]!)).toBe('CN=prod-dc1-kafka-broker-01');
  });

  it('is deterministic', () => {
    expect(renderKafka(input)).toEqual(files);
  });
});

describe('renderKafka refuses what cannot work', () => {
  it('a quorum that loses its majority with one site (controllers on DC1 and DC2 only)', () => {
    const twoSites = input.nodes.filter((n) => n.site !== 'DC3');
    expect(() => renderKafka({ ...input, nodes: twoSites })).toThrow(/no majority when DC1 or DC2 is lost: add a controller in a third site/);
  });
  it('no controller, duplicate node ids, a replication factor larger than the brokers, a malformed cluster id or super user', () => {
    expect(() => renderKafka({ ...input, nodes: brokers })).toThrow(/needs brokers and controllers/);
    expect(() => renderKafka({ ...input, nodes: [...input.nodes, { ...brokers[0]!, name: 'x' }] })).toThrow(/node.id 101 is used twice/);
    expect(() => renderKafka({ ...input, durability: { replicationFactor: 7, minInsyncReplicas: 3 } })).toThrow(/do not fit 6 brokers/);
    expect(() => renderKafka({ ...input, durability: { replicationFactor: 4, minInsyncReplicas: 5 } })).toThrow(/min ISR/);
    expect(() => renderKafka({ ...input, clusterId: 'short' })).toThrow(/cluster id/);
    expect(() => renderKafka({ ...input, superUsers: ['User:*'] })).toThrow(/super user/);
  });
});

describe('unit and pre-start script', () => {
  const metrics = {
    jar: '/opt/prometheus-jmx-exporter/jmx_prometheus_javaagent-1.6.0.jar',
    rules: '/etc/kafka/jmx-exporter.yml',
    address: '10.0.4.11',
    port: 9404,
  };
  const unit = {
    role: 'broker' as const,
    home: '/opt/kafka',
    config: '/etc/kafka/server.properties',
    prestart: '/usr/local/lib/hds-platform/kafka-prestart',
    logDir: '/var/log/kafka',
    heapGiB: 6,
    metrics,
  };
  it('the unit runs Kafka as kafka with the pre-start as root, restarts on failure, no secret', () => {
    const u = renderKafkaUnit(unit);
    expect(u).toContain('User=kafka\n');
    expect(u).toContain('ExecStartPre=+/usr/local/lib/hds-platform/kafka-prestart\n');
    expect(u).toContain('ExecStart=/opt/kafka/bin/kafka-server-start.sh /etc/kafka/server.properties\n');
    expect(u).toContain('Environment="KAFKA_HEAP_OPTS=-Xms6g -Xmx6g"\n');
    expect(u).toContain('Restart=on-failure\n');
    expect(() => renderKafkaUnit({ ...unit, heapGiB: 0 })).toThrow(/heap/);
  });
  it('the unit loads the JMX exporter agent on the given address and port only, and opens no remote JMX port', () => {
    const u = renderKafkaUnit(unit);
    const opts = u.split('\n').filter((l) => l.includes('KAFKA_OPTS'));
    expect(opts).toEqual([
      'Environment="KAFKA_OPTS=-javaagent:/opt/prometheus-jmx-exporter/jmx_prometheus_javaagent-1.6.0.jar=10.0.4.11:9404:/etc/kafka/jmx-exporter.yml"',
    ]);
    expect(u).not.toMatch(/JMX_PORT|jmxremote\.port|0\.0\.0\.0/);
    for (const address of ['0.0.0.0', '127.0.0.1', '10.0.4', '10.0.4.300'])
      expect(() => renderKafkaUnit({ ...unit, metrics: { ...metrics, address } }), address).toThrow(/JMX exporter address/);
    expect(() => renderKafkaUnit({ ...unit, metrics: { ...metrics, port: 80 } })).toThrow(/port 80/);
    expect(() => renderKafkaUnit({ ...unit, metrics: { ...metrics, rules: 'jmx.yml' } })).toThrow(/absolute/);
  });
  it('the pre-start assembles the PEM keystore from the TLS pair and formats the storage once with the cluster id', () => {
    const s = renderKafkaPrestart({
      clusterId: input.clusterId,
      home: '/opt/kafka',
      config: '/etc/kafka/server.properties',
      dataDirs: ['/var/lib/kafka/data', '/var/log/kafka'],
      keystore: '/etc/kafka/tls/keystore.pem',
      serverCert: '/etc/hds/tls/server.crt',
      serverKey: '/etc/hds/tls/server.key',
      metricsAgent: { jar: metrics.jar, sha256: 'ab'.repeat(32) },
    });
    expect(s.startsWith('#!/bin/sh\n')).toBe(true);
    // The pinned agent is checked before anything else is touched, right after the Kafka install check.
    const lines = s.split('\n');
    const kafkaCheck = lines.findIndex((l) => l.includes('no Apache Kafka in'));
    expect(lines[kafkaCheck + 1]).toBe(`JMX_AGENT='${metrics.jar}'`);
    expect(lines[kafkaCheck + 3]).toContain(`'${'ab'.repeat(32)}' "$JMX_AGENT" | sha256sum --check --status || {`);
    expect(lines.findIndex((l) => l.startsWith('id -u kafka'))).toBeGreaterThan(kafkaCheck + 3);
    // The unit's KAFKA_OPTS (the agent) reaches ExecStartPre too: kafka-storage.sh runs without it.
    expect(lines.indexOf('unset KAFKA_OPTS')).toBeGreaterThan(0);
    expect(lines.indexOf('unset KAFKA_OPTS')).toBeLessThan(lines.findIndex((l) => l.startsWith('runuser -u kafka -- ') && l.includes('kafka-storage.sh')));
    expect(s).toContain('openssl pkcs8 -topk8 -nocrypt -in \'/etc/hds/tls/server.key\' >"$tmp"');
    expect(s).toContain('cat \'/etc/hds/tls/server.crt\' >>"$tmp"');
    expect(s).toContain('format --ignore-formatted --cluster-id "$CLUSTER_ID"');
    expect(s).toContain(`CLUSTER_ID='${input.clusterId}'`);
    expect(s).not.toMatch(/PRIVATE KEY/);
    expect(() =>
      renderKafkaPrestart({
        clusterId: input.clusterId,
        home: '/opt/kafka; rm -rf /',
        config: '/c',
        dataDirs: [],
        keystore: '/k',
        serverCert: '/c',
        serverKey: '/k',
        metricsAgent: { jar: metrics.jar, sha256: 'ab'.repeat(32) },
      }),
    ).toThrow(/unsafe/);
  });
});
