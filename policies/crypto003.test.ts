/**
 * CRYPTO-003 on Kafka (issue 12): every broker's and KRaft controller's rendered server.properties
 * is judged — TLS-only listeners, TLS 1.2/1.3, pinned AEAD suites, mutual TLS — and each fault,
 * alone, fails the rule with the node, the property and the value.
 */
import { describe, expect, it } from 'vitest';
import { runRule } from './engine.ts';
import { RULES } from './index.ts';
import { cryptoInventory, isKafkaConfig, kafkaTls } from './rules/crypto.ts';
import { productionInput } from './testing/fixture.ts';
import type { PolicyInput, RenderedConfig } from './types.ts';

const rule = RULES.find((r) => r.id === 'CRYPTO-003')!;
const kafkaFindings = (i: PolicyInput) =>
  runRule(rule, i)
    .findings.filter((f) => f.subject.startsWith('kafka:'))
    .map((f) => `${f.subject} ${f.evidence[0]!.pointer} ${f.message.en}`);
const configs = (i: PolicyInput) => i.rendered!.filter(isKafkaConfig);
const broker = (i: PolicyInput) => configs(i).find((r) => /^process\.roles=broker$/m.test(r.content))!;
const controller = (i: PolicyInput) => configs(i).find((r) => /^process\.roles=controller$/m.test(r.content))!;
const edit = (f: RenderedConfig, from: RegExp, to: string) => {
  expect(f.content).toMatch(from);
  f.content = f.content.replace(from, to);
};

describe('CRYPTO-003 judges Kafka TLS from the rendered server.properties', () => {
  it('passes on production: all 11 Kafka nodes (6 brokers, 5 controllers) judged, TLS 1.2 floor, AEAD suites, no problem', () => {
    const i = productionInput();
    const nodes = configs(i);
    expect(nodes).toHaveLength(11);
    for (const f of nodes) {
      const { listeners, problems } = kafkaTls(f);
      expect(problems).toEqual([]);
      expect(listeners.map((l) => l.minVersion)).toEqual(['TLSv1.2']);
      expect(listeners[0]!.suites.length).toBeGreaterThan(0);
    }
    expect(kafkaFindings(i)).toEqual([]);
    expect(runRule(rule, i).status).toBe('pass');
    // The post-quantum cartography now sees Kafka's suites too.
    expect(
      cryptoInventory(i)
        .filter((u) => u.component === 'kafka')
        .map((u) => u.algorithm),
    ).toEqual(expect.arrayContaining(['AES-256-GCM', 'ECDHE', 'ECDSA', 'RSA']));
  });

  it('the rule’s fail fixture breaks a Kafka broker too: three Kafka findings besides the WAF’s', () => {
    const i = productionInput();
    rule.fixtures.fail.mutate(i);
    const b = broker(i);
    expect(kafkaFindings(i)).toEqual([
      `kafka:${b.owner} /ssl.enabled.protocols ${b.owner} (kafka): TLS floor TLSv1.1.`,
      `kafka:${b.owner} /listener.security.protocol.map ${b.owner} (kafka): listener PLAINTEXT is PLAINTEXT (data in clear).`,
      `kafka:${b.owner} /ssl.client.auth ${b.owner} (kafka): ssl.client.auth = requested: mutual TLS is not required.`,
    ]);
  });

  it('fails on a PLAINTEXT listener added to a broker', () => {
    const i = productionInput();
    const b = broker(i);
    edit(b, /^listeners=(.*)$/m, 'listeners=$1,PLAINTEXT://0.0.0.0:9092');
    edit(b, /^listener\.security\.protocol\.map=(.*)$/m, 'listener.security.protocol.map=$1,PLAINTEXT:PLAINTEXT');
    expect(kafkaFindings(i)).toEqual([`kafka:${b.owner} /listener.security.protocol.map ${b.owner} (kafka): listener PLAINTEXT is PLAINTEXT (data in clear).`]);
  });

  it('fails on a SASL_PLAINTEXT controller listener, and on a broker left without listeners (PLAINTEXT://:9092 by default)', () => {
    const i = productionInput();
    const c = controller(i);
    edit(c, /^listener\.security\.protocol\.map=CONTROLLER:SSL$/m, 'listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT');
    const b = broker(i);
    edit(b, /^listeners=.*\n/m, '');
    expect(kafkaFindings(i)).toEqual([
      `kafka:${b.owner} /listeners ${b.owner} (kafka): listeners absent: a broker then listens on PLAINTEXT://:9092 (data in clear).`,
      `kafka:${c.owner} /listener.security.protocol.map ${c.owner} (kafka): listener CONTROLLER is SASL_PLAINTEXT (data in clear).`,
    ]);
  });

  it('fails on TLS 1.1 enabled, on a weak suite, and on a listener override that enables TLS 1.0', () => {
    const i = productionInput();
    const [a, b] = configs(i);
    edit(a!, /^ssl\.enabled\.protocols=.*$/m, 'ssl.enabled.protocols=TLSv1.3,TLSv1.2,TLSv1.1');
    edit(b!, /^ssl\.cipher\.suites=(.*)$/m, 'ssl.cipher.suites=$1,TLS_RSA_WITH_AES_128_CBC_SHA\nlistener.name.tls.ssl.enabled.protocols=TLSv1,TLSv1.2');
    const findings = runRule(rule, i).findings.filter((f) => f.subject.startsWith('kafka:'));
    expect(findings.map((f) => `${f.subject} ${f.evidence[0]!.pointer} ${f.message.en}`)).toEqual([
      `kafka:${a!.owner} /ssl.enabled.protocols ${a!.owner} (kafka): TLS floor TLSv1.1.`,
      `kafka:${b!.owner} /ssl.enabled.protocols ${b!.owner}: suites not accepted TLS_RSA_WITH_AES_128_CBC_SHA.`,
      `kafka:${b!.owner} /listener.name.tls.ssl.enabled.protocols ${b!.owner} (kafka): TLS floor TLSv1.`,
      `kafka:${b!.owner} /listener.name.tls.ssl.enabled.protocols ${b!.owner}: suites not accepted TLS_RSA_WITH_AES_128_CBC_SHA.`,
    ]);
  });

  it('fails when mutual TLS is not required (globally or on one listener) and when the suites are not pinned', () => {
    const i = productionInput();
    const [a, b, c] = configs(i);
    edit(a!, /^ssl\.client\.auth=required$/m, 'ssl.client.auth=requested');
    edit(b!, /^ssl\.client\.auth=required$/m, 'ssl.client.auth=required\nlistener.name.tls.ssl.client.auth=none');
    edit(c!, /^ssl\.cipher\.suites=.*\n/m, '');
    expect(kafkaFindings(i)).toEqual([
      `kafka:${a!.owner} /ssl.client.auth ${a!.owner} (kafka): ssl.client.auth = requested: mutual TLS is not required.`,
      `kafka:${b!.owner} /listener.name.tls.ssl.client.auth ${b!.owner} (kafka): listener.name.tls.ssl.client.auth = none: mutual TLS is not required on TLS.`,
      `kafka:${c!.owner} /ssl.cipher.suites ${c!.owner} (kafka): ssl.cipher.suites absent: the JVM default suites (CBC included) are offered.`,
    ]);
  });

  it('fails on a Kafka configuration the renderer refused, and on an unmapped listener name', () => {
    const i = productionInput();
    const b = broker(i);
    edit(b, /^inter\.broker\.listener\.name=TLS$/m, 'inter.broker.listener.name=REPLICATION');
    const c = controller(i);
    Object.assign(c, { content: '', error: 'a Kafka cluster needs brokers and controllers (got 6 and 0)' });
    expect(kafkaFindings(i)).toEqual([
      `kafka:${b.owner} /inter.broker.listener.name ${b.owner} (kafka): listener REPLICATION (inter.broker.listener.name) has no protocol in listener.security.protocol.map.`,
      `kafka:${c.owner} / ${c.owner} (kafka): configuration not rendered (a Kafka cluster needs brokers and controllers (got 6 and 0)).`,
    ]);
  });
});
