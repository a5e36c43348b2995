import { describe, expect, it } from 'vitest';
import type { CephStep } from '../../services/ceph/crush.ts';
import { cephClusterInput, cephPlan } from '../../services/fromTopology/ceph.ts';
import { labProfile } from '../../services/fromTopology/profile.ts';
import {
  bootstrapAdmin,
  bootstrapDigest,
  cephProcessSpecs,
  crushHasRule,
  daemonEntity,
  forceManagerStep,
  monmapArgs,
  runnableDaemons,
  stepUnits,
} from './bootstrap.ts';
import { cephProcessSpec } from './processes.ts';
import { LOOPBACK_SITES, labCephTopology } from './testing.ts';

const t = labCephTopology();
const profile = labProfile({ stateDir: '/s', siteAddress: (site) => LOOPBACK_SITES[site]! });
const cluster = cephClusterInput(t, profile);
const plan = cephPlan(t, profile);

describe('the daemons the lab runs', () => {
  const daemons = runnableDaemons(cluster);
  const count = (k: string) => daemons.filter((d) => d.kind === k).length;
  it('3 monitors on three sites, 4 OSDs on two, one gateway per site address (the second would bind the same port)', () => {
    expect(count('mon')).toBe(3);
    expect(new Set(daemons.filter((d) => d.kind === 'mon').map((d) => d.site))).toEqual(new Set(['DC1', 'DC2', 'DC3']));
    expect(daemons.filter((d) => d.kind === 'osd').map((d) => d.site)).toEqual(['DC1', 'DC1', 'DC2', 'DC2']);
    const gateways = daemons.filter((d) => d.kind === 'rgw');
    expect(gateways.map((g) => `${g.site} ${g.address}`)).toEqual(['DC1 127.0.1.1', 'DC2 127.0.2.1']);
    expect(cluster.hosts.flatMap((h) => h.daemons).filter((d) => d.kind === 'rgw').length).toBeGreaterThan(gateways.length);
  });
  it('every daemon is a ProcessSpec dropping to ceph, in start order, with a unique name', () => {
    const specs = cephProcessSpecs({ cluster });
    expect(specs.map((s) => s.name.split('.')[0])).toEqual([
      'ceph-mon',
      'ceph-mon',
      'ceph-mon',
      'ceph-mgr',
      'ceph-mgr',
      'ceph-osd',
      'ceph-osd',
      'ceph-osd',
      'ceph-osd',
      'ceph-rgw',
      'ceph-rgw',
    ]);
    expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
    for (const s of specs) expect(s.args.slice(-4)).toEqual(['--setuser', 'ceph', '--setgroup', 'ceph']);
    const netns = cephProcessSpecs({ cluster, netns: (d) => `hds-${d.site.toLowerCase()}` });
    expect(new Set(netns.map((s) => s.netns))).toEqual(new Set(['hds-dc1', 'hds-dc2', 'hds-dc3']));
  });
  it('a gateway is named by its client entity, the others by id', () => {
    const rgw = daemons.find((d) => d.kind === 'rgw')!;
    expect(cephProcessSpec(rgw)).toEqual({
      name: `ceph-rgw.${rgw.id}`,
      command: '/usr/bin/radosgw',
      args: ['-f', '-c', rgw.confPath, '-n', `client.rgw.${rgw.id}`, '--setuser', 'ceph', '--setgroup', 'ceph'],
    });
    const osd = daemons.find((d) => d.kind === 'osd')!;
    expect(cephProcessSpec(osd, { user: 'x', netns: 'n' })).toEqual({
      name: 'ceph-osd.0',
      netns: 'n',
      command: '/usr/bin/ceph-osd',
      args: ['-f', '-c', osd.confPath, '-i', '0', '--setuser', 'x', '--setgroup', 'x'],
    });
  });
});

describe('bootstrap inputs', () => {
  it('the monmap lists every monitor at its msgr2 address only (msgr1 is not bound)', () => {
    const args = monmapArgs(cluster, '/tmp/monmap');
    expect(args.slice(0, 6)).toEqual(['--create', '--fsid', cluster.fsid, '--enable-all-features', '--set-min-mon-release', 'pacific']);
    const addrs = args.filter((a) => a.startsWith('['));
    expect(addrs).toEqual(['[v2:127.0.1.1:3300]', '[v2:127.0.2.1:3300]', '[v2:127.0.3.1:3300]']);
    expect(args.at(-1)).toBe('/tmp/monmap');
  });
  it("each daemon's cephx entity and caps; the monitors share mon.", () => {
    const [mon, mgr, osd, rgw] = (['mon', 'mgr', 'osd', 'rgw'] as const).map((k) => runnableDaemons(cluster).find((d) => d.kind === k)!);
    expect(daemonEntity(mon!).name).toBe('mon.');
    expect(daemonEntity(mgr!)).toEqual({ name: mgr!.name, caps: { mon: 'allow profile mgr', osd: 'allow *', mds: 'allow *' } });
    expect(daemonEntity(osd!).caps.mon).toBe('allow profile osd');
    expect(daemonEntity(rgw!).name).toMatch(/^client\.rgw\./);
  });
  it('the admin CLI uses the first monitor host', () => {
    expect(bootstrapAdmin(cluster)).toEqual({ conf: cluster.hosts[0]!.confPath, keyring: cluster.hosts[0]!.adminKeyring });
  });
});

describe('the plan as units of work', () => {
  const units = stepUnits(plan.steps);
  it('keeps the order, batches consecutive ceph commands, runs radosgw-admin and CRUSH rules alone', () => {
    expect(units.map((u) => u.kind)).toEqual([
      'ceph-batch',
      'crush-rule',
      'ceph-batch',
      ...plan.steps.filter((s) => s.kind === 'run' && s.argv[0] === 'radosgw-admin').map(() => 'radosgw-admin'),
    ]);
    const flat = units.flatMap((u) =>
      u.kind === 'ceph-batch' ? u.commands.map((c) => ['ceph', ...c]) : u.kind === 'radosgw-admin' ? [['radosgw-admin', ...u.args]] : [['RULE']],
    );
    expect(flat).toEqual(plan.steps.map((s) => (s.kind === 'run' ? s.argv : ['RULE'])));
  });
  it('refuses any other tool (no shell, no arbitrary binary from a plan file)', () => {
    const bad: CephStep = { phase: 'monitors', kind: 'run', argv: ['sh', '-c', 'true'], why: 'x' };
    expect(() => stepUnits([bad])).toThrow(/only ceph and radosgw-admin/);
  });
  it('manager settings are forced (Ceph 16 refuses a module option before a manager loaded it), nothing else', () => {
    const run = (...argv: string[]): CephStep => ({ phase: 'monitors', kind: 'run', argv, why: '' });
    const argv = (s: CephStep) => (s.kind === 'run' ? s.argv : []);
    expect(argv(forceManagerStep(run('ceph', 'config', 'set', 'mgr', 'mgr/prometheus/a/server_addr', '1.2.3.4')))).toEqual([
      'ceph',
      'config',
      'set',
      'mgr',
      'mgr/prometheus/a/server_addr',
      '1.2.3.4',
      '--force',
    ]);
    expect(argv(forceManagerStep(run('ceph', 'mgr', 'module', 'enable', 'prometheus')))).toEqual(['ceph', 'mgr', 'module', 'enable', 'prometheus', '--force']);
    expect(argv(forceManagerStep(run('ceph', 'config', 'set', 'global', 'osd_pool_default_crush_rule', '1')))).not.toContain('--force');
    expect(argv(forceManagerStep(run('ceph', 'mgr', 'module', 'enable', 'x', '--force'))).filter((a) => a === '--force')).toHaveLength(1);
  });
  it('a CRUSH map that has the rule is left alone', () => {
    expect(crushHasRule(`# rules\nrule replicated_rule {\n\tid 0\n}\n${plan.crush.rule.text}`, 'stretch_rule')).toBe(true);
    expect(crushHasRule('rule replicated_rule {\n}\nrule stretch_rule_old {\n}\n', 'stretch_rule')).toBe(false);
  });
  it('the marker digest changes with the plan and holds no secret value', () => {
    const d = bootstrapDigest(plan);
    expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(bootstrapDigest({ ...plan, steps: plan.steps.slice(1) })).not.toBe(d);
    expect(bootstrapDigest(cephPlan(t, profile))).toBe(d);
  });
});
