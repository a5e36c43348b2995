import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cephNotReady, formatCephStatus, parseCephStatus, parseMonDump } from './health.ts';

/** Outputs captured from Ceph 16.2.15 (`ceph status -f json`, `ceph mon dump -f json`) on this kind of machine. */
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8'));
const want = { monitors: 3, osds: 4 };

describe('parseCephStatus / cephNotReady', () => {
  it('ready: HEALTH_OK, quorum of 3, 4 OSDs up and in, every PG active+clean', () => {
    const s = parseCephStatus(fixture('status-ok'));
    expect(s).toMatchObject({ health: 'HEALTH_OK', quorum: ['dc1', 'dc2', 'dc3'], monitors: 3, osds: { total: 4, up: 4, in: 4 }, managerAvailable: true });
    expect(s.pgs).toEqual({ total: 57, activeClean: 57, byState: { 'active+clean': 57 } });
    expect(cephNotReady(s, want)).toEqual([]);
  });

  it('HEALTH_OK while every PG is peering is NOT ready (Ceph reports OK before the manager sees the PGs)', () => {
    const s = parseCephStatus(fixture('status-peering'));
    expect(s.health).toBe('HEALTH_OK');
    expect(cephNotReady(s, want)).toEqual(['PGs not all active+clean: 57 peering']);
  });

  it('OSDs still booting and no pool yet: not ready, both reasons named', () => {
    const s = parseCephStatus(fixture('status-osds-booting'));
    expect(cephNotReady(s, want)).toEqual(['OSDs 2 up / 4 in / 4, want 4', '0 PGs']);
  });

  it('a health check makes it not ready and names the check and its message', () => {
    const s = parseCephStatus(fixture('status-mgr-module-error'));
    expect(s.checks).toEqual(["MGR_MODULE_ERROR: Module 'prometheus' has failed: Timeout('Port 9283 not free on ::.')"]);
    expect(cephNotReady(s, want)[0]).toMatch(/^HEALTH_ERR \(MGR_MODULE_ERROR: /);
  });

  it('a missing monitor in the quorum is named', () => {
    const s = { ...parseCephStatus(fixture('status-ok')), quorum: ['dc2', 'dc3'] };
    expect(cephNotReady(s, want)).toEqual(['quorum 2/3 monitors [dc2,dc3]']);
  });

  it('refuses a document that is not a status', () => {
    expect(() => parseCephStatus({ fsid: 'x' })).toThrow(/health/);
    expect(() => parseCephStatus([])).toThrow(/not an object/);
  });

  it('formats one status line for lab status', () => {
    expect(formatCephStatus(parseCephStatus(fixture('status-ok')))).toBe(
      'HEALTH_OK: mon 3/3 in quorum, osd 4 up/4 in/4, 57 PGs active+clean, 0 objects, 1.1 GiB used of 16.0 GiB',
    );
    expect(formatCephStatus(parseCephStatus(fixture('status-peering')))).toContain('0/57 PGs active+clean');
    expect(formatCephStatus(parseCephStatus(fixture('status-mgr-module-error')))).toMatch(/ — MGR_MODULE_ERROR$/);
  });
});

describe('parseMonDump', () => {
  it('reads stretch mode, the tie-breaker, the election strategy and the monitors locations', () => {
    expect(parseMonDump(fixture('mon-dump-stretch'))).toEqual({
      stretchMode: true,
      tiebreaker: 'dc3',
      electionStrategy: 3,
      locations: { dc1: '{datacenter=dc1}', dc2: '{datacenter=dc2}', dc3: '{datacenter=dc3}' },
    });
  });
  it('a cluster without stretch mode', () => {
    expect(parseMonDump({ mons: [{ name: 'a', crush_location: '{}' }], election_strategy: 1 })).toEqual({
      stretchMode: false,
      tiebreaker: '',
      electionStrategy: 1,
      locations: { a: '{}' },
    });
  });
});
