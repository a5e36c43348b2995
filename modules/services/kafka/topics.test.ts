/**
 * kafkaDurability on hand-made topologies (the production one is checked in
 * stacks/kafkaConfig.test.ts), and the cluster's identities (identity.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Guest, Topology } from '../../model/topology.ts';
import { base64Url, kafkaClusterId, kafkaNodeId, kafkaPrincipal } from './identity.ts';
import { kafkaDurability } from './topics.ts';

const guest = (site: string, role: 'broker' | 'controller', k: number): Guest => ({
  name: `t-${site.toLowerCase()}-kafka-${role}-${String(k).padStart(2, '0')}`,
  service: 'kafka',
  role,
  cluster: 'kafka',
  site,
  hosting: 'vm',
  size: { vcpu: 4, ramGiB: 16, diskGiB: 100 },
  nics: [],
});

/** Only what kafkaDurability and kafkaNodeId read: the environment name, its sites and its guests. */
function topology(brokersPerSite: Record<string, number>): Topology {
  const guests = Object.entries(brokersPerSite).flatMap(([site, n]) => Array.from({ length: n }, (_, k) => guest(site, 'broker', k + 1)));
  return {
    environment: { name: 't' },
    sites: ['DC1', 'DC2', 'DC3'].map((id) => ({ id })),
    guests: [...guests, guest('DC3', 'controller', 1)],
  } as unknown as Topology;
}

describe('kafkaDurability (RPO 0 when a site is lost, EXG_PCA_2)', () => {
  it('3 + 3 brokers: RF 4 (2 per site), min ISR 3 — an acknowledged write is in both datacenters; writes stop on a site loss', () => {
    const d = kafkaDurability(topology({ DC1: 3, DC2: 3 }));
    expect(d).toMatchObject({ replicationFactor: 4, minInsyncReplicas: 3, replicasPerSite: 2, sites: ['DC1', 'DC2'], writesSurviveSiteLoss: false });
    // The arithmetic: an ISR of min ISR members cannot fit in one site.
    expect(d.minInsyncReplicas).toBeGreaterThan(d.replicasPerSite);
    // Losing a site leaves fewer replicas than min ISR: NOT_ENOUGH_REPLICAS until the runbook step.
    expect(d.replicationFactor - d.replicasPerSite).toBeLessThan(d.minInsyncReplicas);
    expect(d.rationale).toMatch(/RF 4 = 2 replicas in each of DC1, DC2/);
    expect(d.rationale).toMatch(/NOT_ENOUGH_REPLICAS until the DC-loss runbook lowers min.insync.replicas to 2/);
  });

  it('1 + 1 brokers: RF 2, min ISR 2 — still RPO 0, but any broker down stops the writes', () => {
    const d = kafkaDurability(topology({ DC1: 1, DC2: 1 }));
    expect(d).toMatchObject({ replicationFactor: 2, minInsyncReplicas: 2, replicasPerSite: 1 });
    expect(d.rationale).toMatch(/any broker down stops the writes/);
  });

  it('unequal sites take the smaller one; three broker sites keep writing after a site loss', () => {
    expect(kafkaDurability(topology({ DC1: 3, DC2: 1 }))).toMatchObject({ replicationFactor: 2, minInsyncReplicas: 2 });
    const three = kafkaDurability(topology({ DC1: 2, DC2: 2, DC3: 2 }));
    expect(three).toMatchObject({ replicationFactor: 6, minInsyncReplicas: 3, writesSurviveSiteLoss: true });
  });

  it('refuses a one-site Kafka and a topology without broker, saying why', () => {
    expect(() => kafkaDurability(topology({ DC1: 6 }))).toThrow(
      /t: Kafka brokers on DC1 only — a site loss would lose every acknowledged message; RPO 0 \(EXG_PCA_2\) needs brokers on two sites/,
    );
    expect(() => kafkaDurability(topology({}))).toThrow(/t: no Kafka broker in the topology/);
  });
});

describe('identities', () => {
  it('the cluster id is 22 characters of base64url, 16 bytes, stable and distinct per environment', () => {
    const id = kafkaClusterId('production');
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(kafkaClusterId('production')).toBe(id);
    expect(kafkaClusterId('preprod-n')).not.toBe(id);
    // Decodes to 16 bytes, as Kafka's Uuid.fromString needs.
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    expect(Buffer.from(id, 'base64url').toString('base64url')).toBe(id);
  });

  it('base64Url agrees with Node for every length', () => {
    for (let n = 0; n <= 20; n++) {
      const bytes = Array.from({ length: n }, (_, k) => (k * 37 + 11) % 256);
      expect(base64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
    }
  });

  it('node ids: 100 × site position + index, controllers 50 above', () => {
    const t = topology({ DC1: 3, DC2: 3 });
    const ids = t.guests.map((g) => kafkaNodeId(t, g));
    expect(ids).toEqual([101, 102, 103, 201, 202, 203, 351]);
    expect(() => kafkaNodeId(t, { ...t.guests[0]!, site: 'DC9' })).toThrow(/no Kafka node id/);
  });

  it('principals are User:CN=<name>, names checked', () => {
    expect(kafkaPrincipal('production-kafka-admin')).toBe('User:CN=production-kafka-admin');
    expect(() => kafkaPrincipal('a,O=evil')).toThrow(/invalid certificate common name/);
  });
});
