import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Topology } from '../../../modules/model/topology.ts';
import { runCli } from '../testing.ts';

const reference = parse(readFileSync(join(import.meta.dirname, '../../../../shared/requirements/reference-topology.yaml'), 'utf8'));

async function topology(env: string): Promise<Topology> {
  const run = await runCli(['show', '--env', env, '--json']);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Topology;
}

describe('hdsctl show --env production --json', () => {
  it('has three sites with their distances, the backup site more than 150 km away (EXG_PSE_1)', async () => {
    const t = await topology('production');
    expect(t.sites.map((s) => [s.id, s.role])).toEqual([['DC1', 'primary'], ['DC2', 'primary'], ['DC3', 'backup']]);
    const dc3 = t.sites.find((s) => s.id === 'DC3')!;
    expect(dc3.distancesKm.DC1).toBeGreaterThan(reference.mes.sites[2].distance_from_main_km_approx);
    expect(dc3.distancesKm.DC2).toBeGreaterThan(150);
    expect(t.sites[0]!.distancesKm.DC2).toBe(t.sites[1]!.distancesKm.DC1);
  });

  it('sizes OpenShift from the reference topology: one cluster per DC, 3 masters and 16 workers each', async () => {
    const t = await topology('production');
    const prodClusters = reference.mes.openshift.clusters.filter((c: { class: string }) => c.class === 'production');
    for (const site of ['DC1', 'DC2']) {
      const ocp = t.guests.filter((g) => g.service === 'openshift' && g.site === site);
      expect(ocp.filter((g) => g.role === 'master')).toHaveLength(reference.mes.openshift.masters_per_cluster);
      expect(ocp.filter((g) => g.role === 'worker')).toHaveLength(prodClusters[0].workers);
    }
    expect(t.services.filter((s) => s.kind === 'openshift').map((s) => s.sites)).toEqual([['DC1'], ['DC2']]);
  });

  it('places every PostgreSQL domain across DC1 and DC2 with its witness in DC3, and never two pair members on one node', async () => {
    const t = await topology('production');
    const pg = t.guests.filter((g) => g.service === 'postgresql' && g.domain);
    for (const domain of new Set(pg.map((g) => g.domain))) {
      const members = pg.filter((g) => g.domain === domain);
      expect(new Set(members.map((m) => m.site))).toEqual(new Set(['DC1', 'DC2']));
    }
    expect(t.guests.find((g) => g.role === 'witness' && g.service === 'postgresql')?.site).toBe('DC3');
    const groups = new Map<string, string[]>();
    for (const g of t.guests.filter((x) => x.antiAffinityGroup && x.placement)) {
      const key = `${g.placement!.hypervisorCluster}/${g.antiAffinityGroup}`;
      groups.set(key, [...(groups.get(key) ?? []), g.placement!.node]);
    }
    for (const nodes of groups.values()) expect(new Set(nodes).size).toBe(nodes.length);
  });

  it('totals add up: per-site totals sum to the whole, and match the guests', async () => {
    const t = await topology('production');
    const sum = (k: 'vcpu' | 'ramGiB' | 'diskGiB') => t.guests.reduce((a, g) => a + g.size[k], 0);
    expect(t.totals.all.vcpu).toBe(sum('vcpu'));
    expect(t.totals.all.ramGiB).toBe(sum('ramGiB'));
    expect(t.totals.all.diskGiB).toBe(sum('diskGiB'));
    expect(Object.values(t.totals.bySite).reduce((a, s) => a + s.guests, 0)).toBe(t.guests.length);
    expect(t.totals.all.vms + t.totals.all.appliances + t.totals.all.baremetal).toBe(t.guests.length);
    // Ceph: 3+3 OSD hosts and a 3-node externalisation cluster (reference §3.2.3.3.5).
    expect(t.totals.all.baremetal).toBe(9);
    // Hypervisor allocation equals the VMs placed.
    const placed = t.guests.filter((g) => g.placement).reduce((a, g) => a + g.size.vcpu, 0);
    expect(t.hypervisorClusters.reduce((a, c) => a + c.allocated.vcpu, 0)).toBe(placed);
  });

  it('gives every guest addresses inside its zone subnets, unique in the environment', async () => {
    const t = await topology('production');
    const ips = t.guests.flatMap((g) => g.nics.map((n) => n.ip));
    expect(new Set(ips).size).toBe(ips.length);
    const adminless = t.guests.filter((g) => !g.nics.some((n) => n.zone === 'admin'));
    expect(adminless).toEqual([]);
  });

  it('expands the flow matrix to IP level (EXG_ART_1.2): WAF reaches only the ingress routers of its own site', async () => {
    const t = await topology('production');
    const wafToIngress = t.flowMatrix.filter((f) => f.flow === 'waf-to-ingress');
    expect(wafToIngress.length).toBe(2 * 2 * 3); // 2 sites x 2 WAF x 3 infra nodes
    for (const f of wafToIngress) expect(f.source.site).toBe(f.destination.site);
    expect(t.flowMatrix.filter((f) => f.flow === 'internet-to-waf').every((f) => f.destination.zone === 'front')).toBe(true);
    expect(t.flowMatrix.filter((f) => f.flow === 'bastion-ssh').every((f) => f.destination.zone === 'admin')).toBe(true);
  });

  it('carries the SLO of the class, computed (EXG_DIS_2.1)', async () => {
    const t = await topology('production');
    expect(t.slo).toMatchObject({ availabilityPct: 99.9, monthlyBudgetSeconds: 2592 });
    expect((await topology('certification')).environment.editorSlots).toBe(30);
  });
});

describe('hdsctl show (text)', () => {
  it('prints sites, zones, clusters, services and totals', async () => {
    const run = await runCli(['show', '--env', 'production']);
    expect(run.code).toBe(0);
    for (const heading of ['Sites', 'Zones and subnets', 'Hypervisor clusters', 'Services', 'Guests and totals per site', 'Flows']) expect(run.stdout).toContain(heading);
    expect(run.stdout).toContain('budget 43 min 12 s a month (EXG_DIS_2.1)');
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('refuses an unknown environment with one line and exit 1', async () => {
    const run = await runCli(['show', '--env', 'nope']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
