import { describe, expect, it } from 'vitest';
import { inCidr } from '../model/cidr.ts';
import { validateNetworkPlan } from './netns.ts';
import { shippedLabPlan } from './testing.ts';

describe('lab network plan checks', () => {
  const plan = shippedLabPlan('/tmp/x');
  it('accepts the plan of the shipped lab environment', () => {
    expect(() => validateNetworkPlan(plan)).not.toThrow();
  });
  it('every address is inside the supernet', () => {
    for (const s of plan.sites) expect(inCidr(s.address, plan.supernet)).toBe(true);
    expect(inCidr('10.200.0.1', plan.supernet)).toBe(false);
  });
  it('refuses an address outside the supernet, a prefix mismatch and long interface names', () => {
    expect(() => validateNetworkPlan({ ...plan, bridge: { ...plan.bridge, address: '192.168.1.1' } })).toThrow(/outside the supernet/);
    expect(() => validateNetworkPlan({ ...plan, prefixLength: 24 })).toThrow(/prefixLength/);
    expect(() => validateNetworkPlan({ ...plan, bridge: { ...plan.bridge, name: 'a-very-long-bridge-name' } })).toThrow(/invalid interface name/);
  });
});
