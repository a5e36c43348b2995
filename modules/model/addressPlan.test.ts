import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { environmentBlock, hostAddress, SITE_SLOTS, zoneSubnet } from './addressPlan.ts';
import { overlaps, parseCidr } from './cidr.ts';
import { ZONES } from './types.ts';

interface Env {
  slot: number;
}

/** The plan of a set of environments: every zone subnet keyed by env/site/zone. */
function plan(supernet: string, environmentPrefix: number, envs: Env[], sites: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const env of envs) {
    const b = environmentBlock({ supernet, environmentPrefix, slot: env.slot });
    if (!b.ok) throw new Error(b.error.reason);
    for (let s = 0; s < sites; s++) {
      for (const zone of ZONES) out.set(`${env.slot}/${s}/${zone}`, zoneSubnet(b.block, s, `S${s}`, zone)!.cidr);
    }
  }
  return out;
}

const arbitraryPlanInput = fc
  .record({
    octet: fc.integer({ min: 1, max: 254 }),
    supernetPrefix: fc.integer({ min: 12, max: 18 }),
    extraBits: fc.integer({ min: 0, max: 6 }),
    sites: fc.integer({ min: 1, max: SITE_SLOTS }),
  })
  .chain((r) => {
    const environmentPrefix = r.supernetPrefix + r.extraBits;
    const slots = 2 ** r.extraBits;
    return fc.record({
      supernet: fc.constant(`${r.octet}.0.0.0/${r.supernetPrefix}`),
      environmentPrefix: fc.constant(environmentPrefix),
      sites: fc.constant(r.sites),
      slotSet: fc.uniqueArray(fc.integer({ min: 0, max: slots - 1 }), { minLength: 1, maxLength: Math.min(slots, 12) }),
    });
  });

describe('address planner', () => {
  it('never allocates two overlapping subnets', () => {
    fc.assert(
      fc.property(arbitraryPlanInput, ({ supernet, environmentPrefix, sites, slotSet }) => {
        const subnets = [...plan(supernet, environmentPrefix, slotSet.map((slot) => ({ slot })), sites).values()].map((c) => {
          const p = parseCidr(c);
          if (!p.ok) throw new Error(p.reason);
          return p.cidr;
        });
        for (let i = 0; i < subnets.length; i++) for (let j = i + 1; j < subnets.length; j++) expect(overlaps(subnets[i]!, subnets[j]!)).toBe(false);
        const sup = parseCidr(supernet);
        if (!sup.ok) throw new Error(sup.reason);
        for (const s of subnets) expect(s.network >= sup.cidr.network && s.network < sup.cidr.network + 2 ** (32 - sup.cidr.prefix)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic: the same input gives the same plan', () => {
    fc.assert(
      fc.property(arbitraryPlanInput, ({ supernet, environmentPrefix, sites, slotSet }) => {
        const envs = slotSet.map((slot) => ({ slot }));
        expect(plan(supernet, environmentPrefix, envs, sites)).toEqual(plan(supernet, environmentPrefix, envs, sites));
        // Order of environments does not matter either.
        expect(plan(supernet, environmentPrefix, [...envs].reverse(), sites)).toEqual(plan(supernet, environmentPrefix, envs, sites));
      }),
      { numRuns: 200 },
    );
  });

  it('is stable: adding an environment never renumbers an existing one', () => {
    fc.assert(
      fc.property(arbitraryPlanInput, ({ supernet, environmentPrefix, sites, slotSet }) => {
        fc.pre(slotSet.length >= 2);
        const before = plan(supernet, environmentPrefix, slotSet.slice(0, -1).map((slot) => ({ slot })), sites);
        const after = plan(supernet, environmentPrefix, slotSet.map((slot) => ({ slot })), sites);
        for (const [key, value] of before) expect(after.get(key)).toBe(value);
        expect(after.size).toBe(before.size + sites * ZONES.length);
      }),
      { numRuns: 200 },
    );
  });

  it('reports exhaustion with the slot range', () => {
    const r = environmentBlock({ supernet: '10.39.0.0/16', environmentPrefix: 20, slot: 16 });
    expect(r).toEqual({ ok: false, error: { code: 'E_ADDR_EXHAUSTED', reason: 'slot 16 is outside 10.39.0.0/16, which holds 16 environment blocks of /20 (slots 0-15)' } });
    const tooSmall = environmentBlock({ supernet: '10.39.0.0/16', environmentPrefix: 26, slot: 0 });
    expect(tooSmall.ok).toBe(false);
  });

  it('hands out guest addresses after the reserved ones and stops at the end of the subnet', () => {
    const b = environmentBlock({ supernet: '10.38.0.0/16', environmentPrefix: 18, slot: 0 });
    if (!b.ok) throw new Error('block');
    const z = zoneSubnet(b.block, 1, 'DC2', 'back')!;
    expect(z).toMatchObject({ cidr: '10.38.18.0/23', gateway: '10.38.18.1', firstHost: '10.38.18.10', capacity: 501 });
    expect(hostAddress(z, 0)).toBe('10.38.18.10');
    expect(hostAddress(z, 500)).toBe(z.lastHost);
    expect(hostAddress(z, 501)).toBeUndefined();
  });
});
