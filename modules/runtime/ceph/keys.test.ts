import { describe, expect, it } from 'vitest';
import { CEPH_CAPS, keyringText, parseKeyring } from './keys.ts';

const KEY = 'AQBY0eZmAAAAABAAvVZ3JmM4c8hJ6Jd0q2yK1Q==';

describe('keyring text', () => {
  it("writes ceph-authtool's format: section, key, caps", () => {
    expect(keyringText([{ name: 'client.admin', key: KEY, caps: CEPH_CAPS.admin }])).toBe(
      `[client.admin]\n\tkey = ${KEY}\n\tcaps mon = "allow *"\n\tcaps osd = "allow *"\n\tcaps mds = "allow *"\n\tcaps mgr = "allow *"\n`,
    );
  });
  it('round-trips several entities', () => {
    const text = keyringText([
      { name: 'mon.', key: KEY, caps: CEPH_CAPS.mon },
      { name: 'osd.3', key: KEY.replace('AQBY', 'AQBZ'), caps: CEPH_CAPS.osd },
      { name: 'client.rgw.lab-dc1-ceph-osd-01', key: KEY.replace('AQBY', 'AQCA'), caps: CEPH_CAPS.rgw },
    ]);
    expect([...parseKeyring(text)]).toEqual([
      ['mon.', KEY],
      ['osd.3', KEY.replace('AQBY', 'AQBZ')],
      ['client.rgw.lab-dc1-ceph-osd-01', KEY.replace('AQBY', 'AQCA')],
    ]);
  });
  it('refuses a malformed key, entity or cap (nothing half-valid reaches the monitors)', () => {
    expect(() => keyringText([{ name: 'client.admin', key: 'short', caps: {} }])).toThrow(/invalid cephx key for client.admin/);
    expect(() => keyringText([{ name: 'admin', key: KEY, caps: {} }])).toThrow(/invalid cephx entity/);
    expect(() => keyringText([{ name: 'client.x', key: KEY, caps: { mon: 'allow "*"' } }])).toThrow(/double quote/);
  });
  it('the error for a bad key never carries the key', () => {
    const bad = `${KEY}x`;
    try {
      keyringText([{ name: 'client.x', key: bad, caps: {} }]);
    } catch (e) {
      expect((e as Error).message).not.toContain(bad);
    }
    expect.assertions(1);
  });
  it('caps follow the documented profiles (bootstrap-osd, osd, mgr)', () => {
    expect(CEPH_CAPS.bootstrapOsd.mon).toBe('profile bootstrap-osd');
    expect(CEPH_CAPS.osd).toEqual({ mon: 'allow profile osd', mgr: 'allow profile osd', osd: 'allow *' });
    expect(CEPH_CAPS.mgr.mon).toBe('allow profile mgr');
  });
});
