/**
 * A renderer's refusal is filed under the refusing guest's own service, so the rules on that
 * service see it: a Kafka node's refusal is `kafka` evidence (it was `postgresql`), an etcd
 * member's is `etcd`, a HAProxy's `haproxy`.
 */
import { describe, expect, it } from 'vitest';
import { isKafkaController } from '../../modules/model/roles.ts';
import type { Guest } from '../../modules/model/topology.ts';
import { shipped } from '../testing/fixture.ts';
import { renderedEvidence, renderedServiceOf } from './services.ts';

const production = () => structuredClone(shipped().topologies.get('production')!);
const g = (service: Guest['service'], role: Guest['role'], domain?: string) => ({ service, role, cluster: 'c', ...(domain ? { domain } : {}) });

describe('renderedEvidence: a refusal is labelled with the guest service', () => {
  it('a Kafka renderer error (no KRaft controller left) is kafka evidence on every broker, nothing else errs', () => {
    const t = production();
    t.guests = t.guests.filter((x) => !isKafkaController(x));
    const errors = renderedEvidence(t).filter((r) => r.error);
    const brokers = t.guests.filter((x) => x.service === 'kafka').map((x) => x.name);
    expect(brokers.length).toBeGreaterThan(0);
    expect(errors.map((r) => r.owner)).toEqual(brokers);
    for (const r of errors) {
      expect(r.service).toBe('kafka');
      expect(r.guestService).toBe('kafka');
      expect(r.error).toMatch(/needs brokers and controllers/);
    }
  });

  it('labels as guestFiles does, and has no label where there is no renderer', () => {
    expect(renderedServiceOf(g('postgresql', 'primary', 'documents'))).toBe('postgresql');
    expect(renderedServiceOf(g('postgresql', 'etcd'))).toBe('etcd');
    expect(renderedServiceOf(g('postgresql', 'witness'))).toBe('etcd');
    expect(renderedServiceOf(g('postgresql', 'haproxy'))).toBe('haproxy');
    expect(renderedServiceOf(g('kafka', 'broker'))).toBe('kafka');
    expect(renderedServiceOf(g('kafka', 'controller'))).toBe('kafka');
    for (const s of ['waf', 'monitoring', 'backup', 'hsm'] as const) expect(renderedServiceOf(g(s, 'node'))).toBe(s);
    for (const s of ['bastion', 'openshift', 'ceph'] as const) expect(renderedServiceOf(g(s, 'node'))).toBeUndefined();
  });

  it('the shipped production renders without any refusal, every Kafka file labelled kafka', () => {
    const ev = renderedEvidence(production());
    expect(ev.filter((r) => r.error)).toEqual([]);
    const kafka = ev.filter((r) => r.guestService === 'kafka');
    expect(kafka.length).toBeGreaterThan(0);
    expect(new Set(kafka.map((r) => r.service))).toEqual(new Set(['kafka']));
  });
});
