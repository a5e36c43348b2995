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
});
