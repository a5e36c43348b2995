/**
 * The Ceph flows of the matrix (EXG_ART_1.2), expanded over a small stretched cluster: the
 * monitoring scrapes the managers' exporters on the OSD hosts' admin NICs (monitoring-ceph,
 * EXG_MON_6), and each object gateway reaches the HSM of its own site over KMIP for its server-side
 * encryption keys (ceph-to-hsm, EXG_SEC_4.3). On the shipped topologies, against the scrape targets
 * and the gateways' KMIP servers: modules/services/monitoring/ceph.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CEPH_MANAGER_HOSTS, CEPH_RGW_HOSTS, expandFlows, FLOW_DECLARATIONS } from './flows.ts';
import { PORTS } from './ports.ts';
import type { Guest } from './topology.ts';
import type { Zone } from './types.ts';

const NET: Record<string, number> = { DC1: 1, DC2: 2, DC3: 3 };
const ZONE: Record<string, number> = { back: 1, admin: 2, backup: 3 };

function guest(name: string, service: Guest['service'], role: Guest['role'], site: string, zones: Zone[], host: number): Guest {
  return {
    name,
    service,
    role,
    cluster: service,
    site,
    hosting: 'vm',
    size: { vcpu: 1, ramGiB: 1, diskGiB: 8 },
    nics: zones.map((zone, k) => ({ zone, ip: `10.${NET[site]}.${ZONE[zone]}.${host}`, vlan: 100 + k })),
  };
}

const GUESTS: Guest[] = [
  guest('mon-dc1', 'monitoring', 'node', 'DC1', ['admin'], 50),
  guest('mon-dc2', 'monitoring', 'node', 'DC2', ['admin'], 50),
  guest('osd-dc1-1', 'ceph', 'osd', 'DC1', ['back', 'admin', 'backup'], 11),
  guest('osd-dc1-2', 'ceph', 'osd', 'DC1', ['back', 'admin', 'backup'], 12),
  guest('osd-dc2-1', 'ceph', 'osd', 'DC2', ['back', 'admin', 'backup'], 11),
  guest('osd-dc2-2', 'ceph', 'osd', 'DC2', ['back', 'admin', 'backup'], 12),
  guest('tiebreaker-dc3', 'ceph', 'witness', 'DC3', ['back', 'admin'], 11),
  guest('external-dc3', 'ceph', 'external', 'DC3', ['backup', 'admin'], 20),
  guest('hsm-dc1-1', 'hsm', 'appliance', 'DC1', ['back', 'admin'], 40),
  guest('hsm-dc1-2', 'hsm', 'appliance', 'DC1', ['back', 'admin'], 41),
  guest('hsm-dc2-1', 'hsm', 'appliance', 'DC2', ['back', 'admin'], 40),
];

const lines = (id: string) =>
  expandFlows(
    FLOW_DECLARATIONS.filter((f) => f.id === id),
    GUESTS,
  ).map((e) => `${e.source.name} ${e.source.ip} -> ${e.destination.name} ${e.destination.ip}:${e.port}/${e.protocol} ${e.plane}`);

describe('Ceph flows', () => {
  it('monitoring-ceph: every monitoring guest to every OSD host (where managers run) on its admin NIC, port 9283; never the tie-breaker or the external cluster', () => {
    expect(CEPH_MANAGER_HOSTS).toEqual({ service: 'ceph', roles: ['osd'] });
    expect(PORTS.cephMgrMetrics).toBe(9283);
    const osds = ['osd-dc1-1 10.1.2.11', 'osd-dc1-2 10.1.2.12', 'osd-dc2-1 10.2.2.11', 'osd-dc2-2 10.2.2.12'];
    expect(lines('monitoring-ceph')).toEqual([
      ...osds.map((o) => `mon-dc1 10.1.2.50 -> ${o}:9283/tcp admin`),
      ...osds.map((o) => `mon-dc2 10.2.2.50 -> ${o}:9283/tcp admin`),
    ]);
    expect(FLOW_DECLARATIONS.find((f) => f.id === 'monitoring-ceph')!.requirements).toEqual(['EXG_ART_1.2', 'EXG_MON_6']);
  });

  it('ceph-to-hsm: each gateway host to the HSM appliances of its own site only, on the service NICs, KMIP 5696', () => {
    expect(CEPH_RGW_HOSTS).toEqual({ service: 'ceph', roles: ['osd'] });
    expect(PORTS.hsmKmip).toBe(5696);
    expect(lines('ceph-to-hsm')).toEqual([
      'osd-dc1-1 10.1.1.11 -> hsm-dc1-1 10.1.1.40:5696/tcp application',
      'osd-dc1-1 10.1.1.11 -> hsm-dc1-2 10.1.1.41:5696/tcp application',
      'osd-dc1-2 10.1.1.12 -> hsm-dc1-1 10.1.1.40:5696/tcp application',
      'osd-dc1-2 10.1.1.12 -> hsm-dc1-2 10.1.1.41:5696/tcp application',
      'osd-dc2-1 10.2.1.11 -> hsm-dc2-1 10.2.1.40:5696/tcp application',
      'osd-dc2-2 10.2.1.12 -> hsm-dc2-1 10.2.1.40:5696/tcp application',
    ]);
    expect(FLOW_DECLARATIONS.find((f) => f.id === 'ceph-to-hsm')!.requirements).toEqual(['EXG_ART_1.2', 'EXG_SEC_4.2', 'EXG_SEC_4.3']);
  });

  it('flow ids are unique', () => {
    const ids = FLOW_DECLARATIONS.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
