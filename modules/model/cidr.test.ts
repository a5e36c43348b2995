import { describe, expect, it } from 'vitest';
import { contains, formatCidr, formatIpv4, overlaps, parseCidr, parseIpv4, subnet, usableHosts } from './cidr.ts';

const cidr = (s: string) => {
  const r = parseCidr(s);
  if (!r.ok) throw new Error(r.reason);
  return r.cidr;
};

describe('cidr', () => {
  it('parses and formats addresses', () => {
    expect(parseIpv4('10.38.0.1')).toBe(10 * 2 ** 24 + 38 * 2 ** 16 + 1);
    expect(formatIpv4(parseIpv4('255.255.255.255')!)).toBe('255.255.255.255');
    expect(parseIpv4('10.38.0.256')).toBeUndefined();
    expect(parseIpv4('10.38.0')).toBeUndefined();
    expect(parseIpv4('010.1.1.1')).toBeUndefined();
  });

  it('rejects host bits and says which network was meant', () => {
    const r = parseCidr('10.38.1.0/16');
    expect(r).toEqual({ ok: false, reason: '"10.38.1.0/16" has host bits set; the network is 10.38.0.0/16' });
    expect(parseCidr('10.38.0.0/33').ok).toBe(false);
    expect(parseCidr('10.38.0.0').ok).toBe(false);
  });

  it('splits, compares and counts', () => {
    const s = cidr('10.38.0.0/16');
    expect(formatCidr(subnet(s, 18, 1)!)).toBe('10.38.64.0/18');
    expect(subnet(s, 18, 4)).toBeUndefined();
    expect(overlaps(cidr('10.38.0.0/17'), cidr('10.38.127.0/24'))).toBe(true);
    expect(overlaps(cidr('10.38.0.0/17'), cidr('10.38.128.0/17'))).toBe(false);
    expect(contains(s, cidr('10.38.200.0/24'))).toBe(true);
    expect(contains(cidr('10.38.200.0/24'), s)).toBe(false);
    expect(usableHosts(24)).toBe(254);
    expect(usableHosts(31)).toBe(2);
  });
});
