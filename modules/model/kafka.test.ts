/**
 * Kafka in the model: the KRaft quorum arithmetic, the checks of a declaration (ADR 0007,
 * EXG_PCA_2) and the guests the expansion places (brokers per site, controllers 2 + 2 + 1).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkKafka, quorumAfterSiteLoss } from './kafka.ts';
import { expandServices } from './services.ts';
import type { EnvironmentDoc, KafkaDoc } from './types.ts';

const size = { vcpu: 4, ramGiB: 8, diskGiB: 100 };
const kafka = (over: Partial<KafkaDoc> = {}, controllers: Partial<KafkaDoc['controllers']> = {}): KafkaDoc => ({
  sites: ['DC1', 'DC2'],
  brokersPerSite: 3,
  node: size,
  ...over,
  controllers: { perSite: 2, witnessSite: 'DC3', node: size, ...controllers },
});
const env = (k: KafkaDoc, sites = ['DC1', 'DC2', 'DC3']): EnvironmentDoc => ({
  apiVersion: 'hds.platform/v1',
  kind: 'Environment',
  name: 'production',
  class: 'production',
  platform: 'national',
  sites,
  network: { slot: 0 },
  dataSource: 'production',
  services: { kafka: k },
});

describe('quorumAfterSiteLoss', () => {
  it('2 + 2 + 1 keeps 3 of 5 whichever site is lost; 2 + 2 keeps 2 of the 3 it needs', () => {
    expect(quorumAfterSiteLoss({ DC1: 2, DC2: 2, DC3: 1 })).toEqual([
      { site: 'DC1', left: 3, majority: 3, survives: true },
      { site: 'DC2', left: 3, majority: 3, survives: true },
      { site: 'DC3', left: 4, majority: 3, survives: true },
    ]);
    expect(quorumAfterSiteLoss({ DC1: 2, DC2: 2 }).every((l) => !l.survives && l.left === 2 && l.majority === 3)).toBe(true);
  });

  it('for any p: p + p + 1 survives every single-site loss, p + p survives none', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), (p) => {
        expect(quorumAfterSiteLoss({ A: p, B: p, W: 1 }).every((l) => l.survives)).toBe(true);
        expect(quorumAfterSiteLoss({ A: p, B: p }).some((l) => l.survives)).toBe(false);
      }),
    );
  });
});

describe('checkKafka', () => {
  it('accepts production: brokers on DC1 + DC2, controllers 2 + 2 + 1 in DC3', () => {
    expect(checkKafka(env(kafka()))).toEqual([]);
  });

  it('refuses a stretched Kafka without witness site, pointing at controllers.perSite, with the site to name in the hint', () => {
    const [p, ...rest] = checkKafka(env(kafka({}, { witnessSite: undefined })));
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ code: 'E_KAFKA_QUORUM', path: ['services', 'kafka', 'controllers', 'perSite'], requirements: ['EXG_PCA_2', 'EXG_DIS_2.4'] });
    expect(p!.message).toBe(
      'the KRaft controller quorum (2 on DC1 + 2 on DC2) has no majority left when DC1 is lost (2 of 3 needed) or DC2 is lost (2 of 3 needed)',
    );
    expect(p!.hint).toBe('set services.kafka.controllers.witnessSite: DC3 (one controller-only node there)');
  });

  it('an environment without a third site gets the same error with the other fix (add a site), and stays valid without Kafka', () => {
    const [p] = checkKafka(env(kafka({}, { witnessSite: undefined }), ['DC1', 'DC2']));
    expect(p!.hint).toMatch(/^add a third site to the environment and set services.kafka.controllers.witnessSite/);
    expect(checkKafka({ ...env(kafka(), ['DC1', 'DC2']), services: {} })).toEqual([]);
  });

  it('refuses a witness in a broker site and a one-site Kafka', () => {
    expect(checkKafka(env(kafka({}, { witnessSite: 'DC2' })))).toMatchObject([
      { code: 'E_WITNESS_SITE', path: ['services', 'kafka', 'controllers', 'witnessSite'] },
    ]);
    const [one] = checkKafka(env(kafka({ sites: ['DC1'] })));
    expect(one).toMatchObject({ code: 'E_KAFKA_SITES', path: ['services', 'kafka', 'sites'], requirements: ['EXG_PCA_2'] });
    expect(one!.message).toBe('Kafka brokers on DC1 only: losing that site loses every acknowledged message');
  });
});

describe('expansion', () => {
  // Monitoring is declared (and expanded) after Kafka: the controllers still come last.
  const doc = env(kafka());
  doc.services.monitoring = { sites: ['DC1'], perSite: 1, node: size };
  const { guests, services } = expandServices(doc);
  const k = guests.filter((g) => g.service === 'kafka');

  it('3 brokers per site holding data (backup NIC), rack groups per site; 2 + 2 + 1 controllers without data', () => {
    const brokers = k.filter((g) => g.role === 'broker');
    const controllers = k.filter((g) => g.role === 'controller');
    expect(brokers.map((g) => g.site)).toEqual(['DC1', 'DC1', 'DC1', 'DC2', 'DC2', 'DC2']);
    expect(brokers.every((g) => g.holdsData && g.cluster === 'kafka')).toBe(true);
    expect(controllers.map((g) => g.name)).toEqual([
      'production-dc1-kafka-controller-01',
      'production-dc1-kafka-controller-02',
      'production-dc2-kafka-controller-01',
      'production-dc2-kafka-controller-02',
      'production-dc3-kafka-controller-01',
    ]);
    expect(controllers.every((g) => !g.holdsData && g.cluster === 'kafka' && g.antiAffinityGroup === 'kafka-controllers' && g.zone === 'back')).toBe(true);
    expect(services.find((s) => s.id === 'kafka-controllers')?.summary).toBe('KRaft controller quorum: 2 on DC1 + 2 on DC2 + 1 on DC3');
  });

  it('controllers come after every other guest, so declaring them moved no address of the others', () => {
    expect(guests.map((g) => `${g.service}/${g.role}`)).toEqual([...Array(6).fill('kafka/broker'), 'monitoring/node', ...Array(5).fill('kafka/controller')]);
  });
});
