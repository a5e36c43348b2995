import { describe, expect, it } from 'vitest';
import { shippedLabPlan } from './testing.ts';

describe('lab plan from the lab environment', () => {
  const plan = shippedLabPlan('/tmp/state');

  it('puts each site in its namespace on the first guest address of its back zone', () => {
    expect(plan.sites).toEqual([
      { id: 'DC1', netns: 'hds-dc1', vethHost: 'hdsv-dc1', vethNs: 'hdsn-dc1', address: '10.199.0.138' },
      { id: 'DC2', netns: 'hds-dc2', vethHost: 'hdsv-dc2', vethNs: 'hdsn-dc2', address: '10.199.4.138' },
      { id: 'DC3', netns: 'hds-dc3', vethHost: 'hdsv-dc3', vethNs: 'hdsn-dc3', address: '10.199.8.138' },
    ]);
  });

  it('keeps everything on-link inside the environment block, the host at its last usable address', () => {
    expect(plan.supernet).toBe('10.199.0.0/20');
    expect(plan.prefixLength).toBe(20);
    expect(plan.bridge).toEqual({ name: 'hdslab0', address: '10.199.15.254' });
  });

  it('takes PostgreSQL domains, HSM key domains and retention from the model', () => {
    expect(plan.postgresDomains).toEqual([{ name: 'documents', primarySite: 'DC1', standbySite: 'DC2' }]);
    expect(plan.hsmKeyDomains).toEqual(['documents', 'identity', 'messaging']);
    expect(plan.backupRetention).toEqual({ full: 2, diff: 6 });
  });

  it('keeps interface names within the kernel limit of 15 characters', () => {
    for (const s of plan.sites) for (const n of [s.netns, s.vethHost, s.vethNs]) expect(n.length).toBeLessThanOrEqual(15);
  });

  it('gives a lab on another network slot its own names and addresses (a taker rebuilding beside a running lab)', () => {
    const other = shippedLabPlan('/tmp/state-other', (doc) => ({ ...doc, network: { ...doc.network, slot: 3 } }));
    expect(other.sites.map((s) => s.netns)).toEqual(['hds-s3-dc1', 'hds-s3-dc2', 'hds-s3-dc3']);
    expect(other.bridge.name).toBe('hdslab0s3');
    const names = (p: typeof plan) => [p.bridge.name, ...p.sites.flatMap((s) => [s.netns, s.vethHost, s.vethNs])];
    const mine = new Set(names(plan));
    for (const n of names(other)) {
      expect(mine.has(n)).toBe(false);
      expect(n.length).toBeLessThanOrEqual(15);
    }
    const addrs = new Set([plan.bridge.address, ...plan.sites.map((s) => s.address)]);
    for (const a of [other.bridge.address, ...other.sites.map((s) => s.address)]) expect(addrs.has(a)).toBe(false);
    expect(other.supernet).not.toBe(plan.supernet);
  });
});
