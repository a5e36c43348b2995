/** Proxmox identifiers: unique where Proxmox needs them unique, within Proxmox's length limits. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, loadWorkspace } from '../../loader/load.ts';
import { compactRanges } from './cluster.ts';
import { firewallPlan } from './firewall.ts';
import { macAddress, securityGroupName, vmIds, vnetId } from './ids.ts';
import { networkPlan } from './network.ts';

const topologies = [...evaluate(loadWorkspace(join(import.meta.dirname, '..', '..', '..', 'environments'))).topologies.values()];

describe('identifiers', () => {
  it('VM ids are unique on every cluster and MAC addresses on every platform, across every environment', () => {
    const byCluster = new Map<string, Set<number>>();
    const macs = new Set<string>();
    for (const t of topologies) {
      const ids = vmIds(t);
      for (const g of t.guests.filter((x) => x.hosting === 'vm')) {
        const set = byCluster.get(g.placement!.hypervisorCluster) ?? new Set<number>();
        const id = ids.get(g.name)!;
        expect(set.has(id), `${g.name} ${id}`).toBe(false);
        set.add(id);
        byCluster.set(g.placement!.hypervisorCluster, set);
        expect(id).toBeGreaterThanOrEqual(100);
        g.nics.forEach((_, k) => {
          const mac = `${t.environment.platform}/${macAddress(id, k)}`;
          expect(macs.has(mac), mac).toBe(false);
          macs.add(mac);
        });
      }
    }
  });

  it('vnet ids (8 chars), security group names (18 chars) and IP set names fit Proxmox and are unique per cluster', () => {
    const vnets = new Map<string, string>();
    const groups = new Map<string, string>();
    for (const t of topologies) {
      for (const { id: site } of t.sites) {
        const cluster = t.hypervisorClusters.find((c) => c.site === site)?.name;
        for (const v of networkPlan(t, site).vnets) {
          expect(v.id).toMatch(/^[a-z][a-z0-9]{0,7}$/);
          const key = `${cluster}/${v.id}`;
          expect(vnets.get(key), key).toBeUndefined();
          vnets.set(key, t.environment.name);
        }
        const fw = firewallPlan(t, site);
        for (const g of fw.groups) {
          expect(g.name.length, g.name).toBeLessThanOrEqual(18);
          expect(g.name).toMatch(/^[A-Za-z][A-Za-z0-9_-]+$/);
          const owner = groups.get(`${cluster}/${g.name}`);
          expect(owner === undefined || owner === t.environment.name).toBe(true);
          groups.set(`${cluster}/${g.name}`, t.environment.name);
        }
        for (const s of fw.ipsets) expect(s.name).toMatch(/^[A-Za-z][A-Za-z0-9_-]{1,63}$/);
      }
    }
    const prod = topologies.find((t) => t.environment.name === 'production')!;
    expect(vnetId(prod, 'front')).toBe('p00fr');
    expect(securityGroupName(prod, { service: 'postgresql', role: 'primary' })).toBe('p00-pg-primary');
  });

  it('compacts VLAN lists to bridge-vids ranges', () => {
    expect(compactRanges([100, 101, 102, 104, 108, 109])).toBe('100-102 104 108-109');
    expect(compactRanges([])).toBe('');
  });
});
