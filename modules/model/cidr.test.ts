import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockSize,
  contains,
  formatCidr,
  formatIpv4,
  inCidr,
  lastAddress,
  networkOf,
  overlaps,
  parseCidr,
  parseIpv4,
  subnet,
  subnetCount,
  usableHosts,
} from './cidr.ts';

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

describe('inCidr and networkOf', () => {
  it('tells whether an address lies in a block, and is false for anything unparsable', () => {
    expect(inCidr('10.38.0.1', '10.38.0.0/16')).toBe(true);
    expect(inCidr('10.38.255.255', '10.38.0.0/16')).toBe(true);
    expect(inCidr('10.39.0.0', '10.38.0.0/16')).toBe(false);
    expect(inCidr('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(inCidr('10.38.0.1', '10.38.0.1/32')).toBe(true);
    expect(inCidr('10.38.0.1', '10.38.1.0/16')).toBe(false); // host bits set: not a block
    expect(inCidr('10.38.0.256', '10.38.0.0/16')).toBe(false);
    expect(inCidr('10.38.0.1', 'nonsense')).toBe(false);
  });

  it('clears the host bits', () => {
    expect(formatCidr(networkOf(parseIpv4('10.38.1.7')!, 16))).toBe('10.38.0.0/16');
    expect(formatCidr(networkOf(parseIpv4('255.255.255.255')!, 0))).toBe('0.0.0.0/0');
    expect(formatCidr(networkOf(parseIpv4('10.38.1.7')!, 32))).toBe('10.38.1.7/32');
  });
});

describe('cidr properties', () => {
  const ipv4 = fc.nat({ max: 2 ** 32 - 1 });
  const prefix = fc.integer({ min: 0, max: 32 });
  const block = fc.tuple(ipv4, prefix).map(([ip, p]) => networkOf(ip, p));
  /** Reference: the usual bit-mask test on 32-bit integers. */
  const maskIn = (ip: number, c: { network: number; prefix: number }) => {
    const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
    return (ip & mask) >>> 0 === c.network;
  };

  it('formats and parses addresses and blocks as inverses', () => {
    fc.assert(fc.property(ipv4, (n) => parseIpv4(formatIpv4(n)) === n));
    fc.assert(
      fc.property(block, (c) => {
        const r = parseCidr(formatCidr(c));
        return r.ok && r.cidr.network === c.network && r.cidr.prefix === c.prefix;
      }),
    );
  });

  it('inCidr agrees with the bit-mask test, and every address is in its own block', () => {
    fc.assert(fc.property(ipv4, block, (ip, c) => inCidr(formatIpv4(ip), formatCidr(c)) === maskIn(ip, c)));
    fc.assert(
      fc.property(ipv4, prefix, (ip, p) => {
        const c = networkOf(ip, p);
        return c.network <= ip && ip <= lastAddress(c) && c.network % blockSize(p) === 0 && inCidr(formatIpv4(ip), formatCidr(c));
      }),
    );
  });

  it('overlaps is symmetric and means a shared address; contains implies overlaps', () => {
    fc.assert(
      fc.property(block, block, (a, b) => {
        const shared = Math.max(a.network, b.network);
        return overlaps(a, b) === overlaps(b, a) && overlaps(a, b) === (maskIn(shared, a) && maskIn(shared, b)) && (!contains(a, b) || overlaps(a, b));
      }),
    );
  });

  it('the subnets of a block lie in it, in order, without overlapping', () => {
    fc.assert(
      fc.property(block, fc.integer({ min: 0, max: 8 }), fc.nat(), (c, extra, k) => {
        const p = Math.min(32, c.prefix + extra);
        const n = subnetCount(c, p);
        const i = k % n;
        const s = subnet(c, p, i)!;
        const next = subnet(c, p, i + 1);
        return contains(c, s) && (next === undefined ? i === n - 1 : next.network === lastAddress(s) + 1 && !overlaps(s, next));
      }),
    );
  });
});
