/**
 * The bootstrap plan renderer on a synthetic stretched cluster (EXG_PCA_2, EXG_PRA_1): CRUSH
 * hierarchy, the stretch rule (compiled and exercised with crushtool when installed: 2 copies in
 * each datacenter on distinct hosts), the tie-breaker in the third site, every pool 4 / 2 on the
 * stretch rule, and the order Ceph 16 demands. The shipped environments' plans: stacks/ceph.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CephStep, type CrushPlanInput, renderCrushPlan, STRETCH_RULE, stretchRuleText } from './crush.ts';

const base = (): CrushPlanInput => ({
  dataSites: [
    { site: 'DC1', bucket: 'dc1' },
    { site: 'DC2', bucket: 'dc2' },
  ],
  tiebreaker: { monitor: 'm3', site: 'DC3', bucket: 'dc3' },
  monitors: [
    { id: 'm1', site: 'DC1' },
    { id: 'm2', site: 'DC2' },
    { id: 'm3', site: 'DC3' },
  ],
  hosts: [
    { name: 'h1', site: 'DC1', osds: [0] },
    { name: 'h2', site: 'DC1', osds: [1] },
    { name: 'h3', site: 'DC2', osds: [2] },
    { name: 'h4', site: 'DC2', osds: [3] },
  ],
  managers: [
    { id: 'm1', address: '10.0.1.1', metricsPort: 9283 },
    { id: 'm2', address: '10.0.2.1', metricsPort: 9283 },
  ],
  pools: [
    { name: '.rgw.root', pgNum: 8, application: 'rgw' },
    { name: 'z.rgw.buckets.data', pgNum: 32, application: 'rgw' },
  ],
  stretch: { size: 4, minSize: 2 },
});

const argv = (s: CephStep) => (s.kind === 'run' ? s.argv.join(' ') : `crush-rule ${s.rule.name}`);
const index = (steps: CephStep[], re: RegExp) => steps.findIndex((s) => re.test(argv(s)));

describe('renderCrushPlan', () => {
  const plan = renderCrushPlan(base());
  it('CRUSH: the two datacenters under root default, their hosts and OSDs', () => {
    expect(plan.datacenters).toEqual([
      {
        bucket: 'dc1',
        site: 'DC1',
        hosts: [
          { name: 'h1', osds: [0] },
          { name: 'h2', osds: [1] },
        ],
      },
      {
        bucket: 'dc2',
        site: 'DC2',
        hosts: [
          { name: 'h3', osds: [2] },
          { name: 'h4', osds: [3] },
        ],
      },
    ]);
    for (const re of [
      /^ceph osd crush add-bucket dc1 datacenter$/,
      /^ceph osd crush move dc1 root=default$/,
      /^ceph osd crush add-bucket h4 host$/,
      /^ceph osd crush move h4 datacenter=dc2$/,
    ])
      expect(index(plan.steps, re), String(re)).toBeGreaterThan(-1);
  });

  it('the stretch rule takes each datacenter and two hosts in it', () => {
    expect(plan.rule).toEqual({ name: STRETCH_RULE, id: 1, text: stretchRuleText(['dc1', 'dc2']) });
    expect(plan.rule.text.match(/step take (\S+)/g)).toEqual(['step take dc1', 'step take dc2']);
    expect(plan.rule.text.match(/step chooseleaf firstn 2 type host/g)).toHaveLength(2);
  });

  it('monitors located in their datacenters; the DC3 monitor breaks ties', () => {
    expect(plan.monitorLocations.map((l) => [l.monitor, l.datacenter])).toEqual([
      ['m1', 'dc1'],
      ['m2', 'dc2'],
      ['m3', 'dc3'],
    ]);
    expect(plan.tiebreaker).toBe('m3');
    const stretch = plan.steps.find((s) => s.kind === 'run' && s.argv[2] === 'enable_stretch_mode');
    expect(stretch?.kind === 'run' && stretch.argv).toEqual(['ceph', 'mon', 'enable_stretch_mode', 'm3', STRETCH_RULE, 'datacenter']);
  });

  it('every pool 4 / 2 on the stretch rule, created on it with its application', () => {
    for (const p of plan.pools) expect([p.size, p.minSize, p.rule], p.name).toEqual([4, 2, STRETCH_RULE]);
    expect(index(plan.steps, /^ceph osd pool create z\.rgw\.buckets\.data 32 32 replicated stretch_rule$/)).toBeGreaterThan(-1);
    expect(index(plan.steps, /^ceph osd pool application enable \.rgw\.root rgw$/)).toBeGreaterThan(-1);
  });

  it("in Ceph 16's order: connectivity, locations, rule, default rule, pools, then stretch mode", () => {
    const s = plan.steps;
    const order = [
      index(s, /^ceph mon set election_strategy connectivity$/),
      Math.max(...s.map((x, i) => (/^ceph mon set_location /.test(argv(x)) ? i : -1))),
      index(s, /^crush-rule /),
      index(s, /^ceph config set global osd_pool_default_crush_rule 1$/),
      index(s, /^ceph osd pool create /),
      Math.max(...s.map((x, i) => (/^ceph osd pool /.test(argv(x)) ? i : -1))),
      index(s, /^ceph mon enable_stretch_mode /),
    ];
    expect(
      order.every((v, i, a) => v > -1 && (i === 0 || v > a[i - 1]!)),
      String(order),
    ).toBe(true);
    expect(s.slice(0, order[2]).every((x) => x.phase === 'monitors')).toBe(true);
    expect(s.slice(order[2]).every((x) => x.phase === 'osds')).toBe(true);
    for (const x of s) if (x.kind === 'run') expect(x.argv[0]).toBe('ceph');
  });

  it("each manager's exporter on its own address", () => {
    expect(index(plan.steps, /^ceph mgr module enable prometheus$/)).toBeGreaterThan(-1);
    expect(index(plan.steps, /^ceph config set mgr mgr\/prometheus\/m2\/server_addr 10\.0\.2\.1$/)).toBeGreaterThan(-1);
  });
});

describe('renderCrushPlan refuses', () => {
  it('accepts the minimal stretched cluster', () => expect(renderCrushPlan(base()).pools).toHaveLength(2));
  it('three data sites', () => {
    const i = base();
    i.dataSites.push({ site: 'DC4', bucket: 'dc4' });
    expect(() => renderCrushPlan(i)).toThrow(/exactly two data sites/);
  });
  it('a tie-breaker in a data site', () => {
    const i = base();
    i.tiebreaker = { monitor: 'm1', site: 'DC1', bucket: 'dc1' };
    expect(() => renderCrushPlan(i)).toThrow(/tie-breaker monitor is in DC1, a data site/);
  });
  it('one OSD host in a site', () => {
    const i = base();
    i.hosts = i.hosts.filter((h) => h.name !== 'h4');
    expect(() => renderCrushPlan(i)).toThrow(/DC2 has 1 OSD host/);
  });
  it('unequal sites, a data site without monitor, pools other than 4 / 2, pg_num not a power of two', () => {
    const uneven = base();
    uneven.hosts[0]!.osds = [0, 4];
    expect(() => renderCrushPlan(uneven)).toThrow(/weigh the same/);
    const noMon = base();
    noMon.monitors = noMon.monitors.filter((m) => m.site !== 'DC2');
    expect(() => renderCrushPlan(noMon)).toThrow(/DC2 has no monitor/);
    const three = base();
    three.stretch = { size: 3, minSize: 2 };
    expect(() => renderCrushPlan(three)).toThrow(/4 \/ 2/);
    const pg = base();
    pg.pools[0]!.pgNum = 12;
    expect(() => renderCrushPlan(pg)).toThrow(/power of two/);
  });
});

const crushtool = ['/usr/bin/crushtool', '/usr/local/bin/crushtool'].find(existsSync);
describe.skipIf(!crushtool)('the stretch rule in crushtool (Ceph 16)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hds-crush-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles into the planned hierarchy and maps 4 copies: two hosts of dc1, then two of dc2', () => {
    const plan = renderCrushPlan(base());
    let id = -2;
    const hosts = plan.datacenters.flatMap((d) => d.hosts);
    const bucket = (type: string, name: string, items: string[]) =>
      `${type} ${name} {\n\tid ${id--}\n\talg straw2\n\thash 0\n${items.map((x) => `\titem ${x} weight 1.000`).join('\n')}\n}\n`;
    const map = [
      'tunable choose_total_tries 50\ntunable chooseleaf_descend_once 1\ntunable chooseleaf_vary_r 1\ntunable chooseleaf_stable 1\n',
      ...hosts.flatMap((h) => h.osds.map((n) => `device ${n} osd.${n} class hdd\n`)),
      'type 0 osd\ntype 1 host\ntype 8 datacenter\ntype 11 root\n',
      ...hosts.map((h) =>
        bucket(
          'host',
          h.name,
          h.osds.map((n) => `osd.${n}`),
        ),
      ),
      ...plan.datacenters.map((d) =>
        bucket(
          'datacenter',
          d.bucket,
          d.hosts.map((h) => h.name),
        ),
      ),
      bucket(
        'root',
        'default',
        plan.datacenters.map((d) => d.bucket),
      ),
      plan.rule.text,
    ].join('');
    writeFileSync(join(dir, 'map.txt'), map);
    execFileSync(crushtool!, ['-c', join(dir, 'map.txt'), '-o', join(dir, 'map.bin')]);
    const out = execFileSync(
      crushtool!,
      ['-i', join(dir, 'map.bin'), '--test', '--rule', String(plan.rule.id), '--num-rep', '4', '--show-mappings', '--min-x', '0', '--max-x', '63'],
      {
        encoding: 'utf8',
      },
    );
    const siteOf = new Map(plan.datacenters.flatMap((d) => d.hosts.flatMap((h) => h.osds.map((n) => [n, d.bucket] as const))));
    const mappings = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(/\[(.*)\]/.exec(l)![0]) as number[]);
    expect(mappings).toHaveLength(64);
    for (const m of mappings) {
      expect(m).toHaveLength(4);
      expect(new Set(m).size).toBe(4);
      expect(m.map((n) => siteOf.get(n))).toEqual(['dc1', 'dc1', 'dc2', 'dc2']);
    }
  });
});
