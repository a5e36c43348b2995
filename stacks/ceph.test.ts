/**
 * Ceph through the one adapter (guestFiles, modules/services/fromTopology/ceph.ts), on the shipped
 * environments and the lab with its Ceph declaration (model/ceph.ts LAB_CEPH_DECLARATION): where
 * production's daemons run (seed 000 §3.2.3: 3+3 with an external witness), what every host's
 * ceph.conf says (EXG_SEC_4.1 cephx + msgr2 secure; EXG_PCA_2 sizes and timings), the bootstrap plan
 * (stretch rule, tie-breaker, pools 4 / 2, Ceph 16's order), what the tie-breaker VM's cloud-init
 * carries, what the lab runs, and the stable identities. Here rather than next to the renderers:
 * it needs the loader and the cloud-init builder, which the services layer may not import.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { evaluate, loadWorkspace } from '../modules/loader/load.ts';
import { LAB_CEPH_DECLARATION } from '../modules/model/ceph.ts';
import type { Guest, Topology } from '../modules/model/topology.ts';
import { evaluateEnvironment } from '../modules/model/validate.ts';
import { findInlineSecrets } from '../modules/proxmox/cloudinit/secrets.ts';
import { buildUserData } from '../modules/proxmox/cloudinit/userData.ts';
import { type CephStep, STRETCH_RULE, stretchRuleText } from '../modules/services/ceph/crush.ts';
import { CEPH_FAILOVER_TIMINGS, OSD_MEMORY_TARGET_MIN, parseCephConf } from '../modules/services/ceph/render.ts';
import { cephBootstrapHost, cephDaemons, cephFilesFor, cephFsid, cephHosts, cephOsdUuid, cephPlan, stableUuid } from '../modules/services/fromTopology/ceph.ts';
import { guestFiles } from '../modules/services/fromTopology/index.ts';
import { CEPH_PATHS } from '../modules/services/fromTopology/paths.ts';
import { type DeploymentProfile, labProfile, PRODUCTION } from '../modules/services/fromTopology/profile.ts';
import { SECRET_PLACEHOLDER } from '../modules/services/secrets.ts';
import { stackOptionsFromEnv } from './options.ts';
import { configFor } from './serviceConfig.ts';

const ws = loadWorkspace(join(import.meta.dirname, '..', 'environments'));
const ev = evaluate(ws);
const prod = ev.topologies.get('production')!;
const env = ws.environments.get('lab')!.doc;
const platform = [...ws.platforms.values()].find((p) => p.doc.name === env.platform)!.doc;
const lab: Topology = evaluateEnvironment(platform, { ...env, services: { ...env.services, ceph: LAB_CEPH_DECLARATION } }).expansion.topology!;
const labP = labProfile({ stateDir: '/srv/hds-lab', siteAddress: (s) => lab.zones.find((z) => z.site === s && z.zone === 'back')!.firstHost });

const kinds = (t: Topology, p = PRODUCTION) => {
  const by = new Map<string, string[]>();
  for (const d of cephDaemons(t, p)) by.set(d.host, [...(by.get(d.host) ?? []), d.kind]);
  return by;
};

describe('production placement (seed 000 §3.2.3, docs/storage.md)', () => {
  it('3 + 3 bare-metal OSD hosts each with an OSD and a gateway; monitors 2 + 2 + the DC3 tie-breaker VM; a manager per site', () => {
    const hosts = cephHosts(prod);
    const osdHosts = hosts.filter((g) => g.role === 'osd');
    expect(osdHosts.map((g) => [g.site, g.hosting])).toEqual([...Array(3).fill(['DC1', 'baremetal']), ...Array(3).fill(['DC2', 'baremetal'])]);
    const k = kinds(prod);
    for (const g of osdHosts) expect(k.get(g.name)).toEqual(expect.arrayContaining(['osd', 'rgw']));
    const mons = cephDaemons(prod, PRODUCTION).filter((d) => d.kind === 'mon');
    expect(mons.map((m) => m.site)).toEqual(['DC1', 'DC1', 'DC2', 'DC2', 'DC3']);
    const witness = hosts.find((g) => g.site === 'DC3')!;
    expect([witness.hosting, k.get(witness.name)]).toEqual(['vm', ['mon']]);
    expect(
      cephDaemons(prod, PRODUCTION)
        .filter((d) => d.kind === 'mgr')
        .map((d) => d.site),
    ).toEqual(['DC1', 'DC2']);
  });

  it('every Ceph host gets its ceph.conf from guestFiles; the plan lands on the first monitor only', () => {
    for (const g of cephHosts(prod)) {
      const paths = guestFiles(prod, g, PRODUCTION).map((f) => f.path);
      expect(paths).toEqual(g.name === cephBootstrapHost(prod).name ? [CEPH_PATHS.config, CEPH_PATHS.bootstrapPlan] : [CEPH_PATHS.config]);
    }
    expect(cephBootstrapHost(prod).site).toBe('DC1');
    // The external DC3 cluster has no renderer yet: no file.
    for (const g of prod.guests.filter((x) => x.cluster === 'ceph-external')) expect(guestFiles(prod, g, PRODUCTION)).toEqual([]);
  });

  it("the tie-breaker VM's cloud-init writes its ceph.conf byte for byte", () => {
    const witness = cephHosts(prod).find((g) => g.hosting === 'vm')!;
    const options = stackOptionsFromEnv({}, { backend: 'local' }).proxmox;
    const doc = parseYaml(buildUserData({ topology: prod, guest: witness, options, configFor }).replace(/^#cloud-config\n/, '')) as {
      write_files: Array<{ path: string; content: string; permissions: string }>;
    };
    const f = doc.write_files.find((x) => x.path === CEPH_PATHS.config)!;
    expect(Buffer.from(f.content, 'base64').toString('utf8')).toBe(guestFiles(prod, witness, PRODUCTION)[0]!.content);
    expect(f.permissions).toBe('0644');
  });

  it('no inline secret in any Ceph file of any environment; placeholders are the environment’s own and make the file 0600', () => {
    let files = 0;
    for (const [name, t] of [...ev.topologies, ['lab+ceph', lab] as const])
      for (const g of t.guests.filter((x: Guest) => x.service === 'ceph'))
        for (const p of [PRODUCTION, labP])
          for (const f of guestFiles(t, g, p)) {
            files++;
            expect(findInlineSecrets(f.content), `${name} ${f.path}`).toEqual([]);
            const refs = [...f.content.matchAll(new RegExp(SECRET_PLACEHOLDER.source, 'g'))];
            for (const r of refs) expect(r[1]!.startsWith(`${t.environment.name}/ceph/`), r[0]).toBe(true);
            if (refs.length) expect(f.mode, `${name} ${f.path}`).toBe(0o600);
          }
    expect(files).toBeGreaterThan(40);
  });
});

describe('the lab (issue 13: monitors in DC1, DC2, DC3; two OSDs per active DC)', () => {
  const daemons = cephDaemons(lab, labP);
  it('3 monitors on 3 sites, 2 managers, 4 OSDs (2 per data site), a gateway per OSD host', () => {
    expect(daemons.filter((d) => d.kind === 'mon').map((d) => d.site)).toEqual(['DC1', 'DC2', 'DC3']);
    expect(daemons.filter((d) => d.kind === 'mgr').map((d) => d.site)).toEqual(['DC1', 'DC2']);
    expect(daemons.filter((d) => d.kind === 'osd').map((d) => [d.name, d.site])).toEqual([
      ['osd.0', 'DC1'],
      ['osd.1', 'DC1'],
      ['osd.2', 'DC2'],
      ['osd.3', 'DC2'],
    ]);
    expect(daemons.filter((d) => d.kind === 'rgw').map((d) => d.site)).toEqual(['DC1', 'DC1', 'DC2', 'DC2']);
  });

  it("every daemon's paths are under its host's root and its site's address", () => {
    for (const d of daemons) {
      const root = `/srv/hds-lab/guests/${d.host}/`;
      for (const p of [d.dataDir, d.keyring, d.adminSocket, d.logFile, d.confPath]) expect(p.startsWith(root), p).toBe(true);
      expect(d.address).toBe(lab.zones.find((z) => z.site === d.site && z.zone === 'back')!.firstHost);
    }
  });

  it('the lab files differ from production only by roots, addresses and the lab tuning lines', () => {
    const labOnly =
      /^(bluestore_cache_autotune|bluestore_cache_size|bluestore_block_create|bluestore_block_size|mon_data_avail_warn|mon_data_avail_crit|rgw_crypt_s3_kms_encryption_keys|rgw_crypt_kmip_\w+) = .*\n/gm;
    const subst: Array<[RegExp, string]> = lab.guests.flatMap((g) =>
      g.nics.map(
        (n) =>
          [new RegExp(`(?<![\\d.])${n.ip.replaceAll('.', '\\.')}(?![\\d])`, 'g'), lab.zones.find((z) => z.site === g.site && z.zone === 'back')!.firstHost] as [
            RegExp,
            string,
          ],
      ),
    );
    for (const g of cephHosts(lab)) {
      const prodConf = guestFiles(lab, g, PRODUCTION)[0]!.content;
      const labConf = guestFiles(lab, g, labP)[0]!.content;
      let mapped = prodConf;
      for (const [re, to] of subst) mapped = mapped.replace(re, to);
      const norm = (s: string) =>
        s
          .replace(/\/srv\/hds-lab\/guests\/[a-z0-9-]+/g, '')
          .replace(labOnly, '')
          .replace(/^(osd_pool_default_pg_autoscale_mode|rgw_crypt_s3_kms_backend) = \S+$/gm, '$1 = <profile>')
          // public_network lists each zone subnet once; the lab's site addresses fall in fewer subnets.
          .replace(/^public_network = .*$/m, 'public_network = <zones>');
      expect(norm(labConf), g.name).toBe(norm(mapped));
    }
  });
});

describe('stable identities', () => {
  it('fsid and OSD uuids: UUID-shaped, stable, distinct per environment and OSD', () => {
    expect(cephFsid('production')).toBe(cephFsid('production'));
    expect(cephFsid('production')).not.toBe(cephFsid('lab'));
    expect(cephFsid('production')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set([0, 1, 2, 3].map((n) => cephOsdUuid('lab', n))).size).toBe(4);
    expect(stableUuid('x')).not.toBe(stableUuid('y'));
    expect(cephPlan(prod, PRODUCTION).fsid).toBe(cephFsid('production'));
  });
});

const confsOf = (t: Topology, p: DeploymentProfile) =>
  cephHosts(t).map((g) => {
    const f = cephFilesFor(t, p, g).find((x) => x.path.endsWith(CEPH_PATHS.config))!;
    return { host: g, file: f, conf: parseCephConf(f.content) };
  });

describe.each([
  ['production', prod, PRODUCTION],
  ['lab', lab, labP],
] as const)('ceph.conf of %s', (_name, t, p) => {
  const confs = confsOf(t, p);

  it('one per Ceph host, the same fsid on each, every monitor as a msgr2 address only', () => {
    expect(confs.length).toBe(cephHosts(t).length);
    const mons = cephDaemons(t, p).filter((d) => d.kind === 'mon');
    for (const { conf } of confs) {
      const g = conf.get('global')!;
      expect(g.get('fsid')).toBe(cephFsid(t.environment.name));
      expect(g.get('mon_host')).toBe(mons.map((m) => `[v2:${m.address}:3300]`).join(','));
      expect(g.get('ms_bind_msgr1')).toBe('false');
    }
  });

  it('cephx required with signatures, every messenger mode secure (EXG_SEC_4.1)', () => {
    for (const { conf } of confs) {
      const g = conf.get('global')!;
      for (const k of ['auth_cluster_required', 'auth_service_required', 'auth_client_required']) expect(g.get(k)).toBe('cephx');
      for (const k of ['ms_cluster_mode', 'ms_service_mode', 'ms_client_mode', 'ms_mon_cluster_mode', 'ms_mon_service_mode', 'ms_mon_client_mode'])
        expect(g.get(k)).toBe('secure');
    }
  });

  it('admin sockets per daemon, unique across the cluster, under the host root; none in [global] or for the CLI', () => {
    const sockets: string[] = [];
    for (const { conf } of confs) {
      expect(conf.get('global')!.has('admin_socket')).toBe(false);
      expect(conf.get('client.admin')!.has('admin_socket')).toBe(false);
      for (const [name, s] of conf) if (/^(mon|mgr|osd|client\.rgw)\./.test(name)) sockets.push(s.get('admin_socket')!);
    }
    expect(sockets.length).toBe(cephDaemons(t, p).length);
    expect(new Set(sockets).size).toBe(sockets.length);
    for (const d of cephDaemons(t, p)) expect(d.adminSocket.startsWith(`${p.root({ name: d.host })}/var/run/ceph/`)).toBe(true);
  });

  it('pools 4 / 2 by default, the failover timings, OSD memory from the host (half its memory, ≥ the floor)', () => {
    for (const { host, conf } of confs) {
      const g = conf.get('global')!;
      expect([g.get('osd_pool_default_size'), g.get('osd_pool_default_min_size')]).toEqual(['4', '2']);
      for (const [k, v] of Object.entries(CEPH_FAILOVER_TIMINGS)) expect(g.get(k), k).toBe(String(v));
      const osd = conf.get('osd');
      if (host.role !== 'osd') expect(osd).toBeUndefined();
      else expect(Number(osd!.get('osd_memory_target'))).toBe(Math.max(OSD_MEMORY_TARGET_MIN, (host.size.ramGiB * 1024 ** 3) / 2));
    }
  });
});

describe('what only the lab profile has', () => {
  it('small fixed caches, sparse-file OSDs, a lower free-space warning and no autoscaler: lab profile only', () => {
    for (const { conf: c } of confsOf(lab, labP)) {
      expect(c.get('global')!.get('mon_data_avail_warn')).toBe('5');
      expect(c.get('global')!.get('osd_pool_default_pg_autoscale_mode')).toBe('off');
      const osd = c.get('osd');
      if (osd)
        expect([osd.get('bluestore_cache_autotune'), osd.get('bluestore_cache_size'), osd.get('bluestore_block_create')]).toEqual([
          'false',
          String(128 * 1024 ** 2),
          'true',
        ]);
    }
    // The same lab topology under the production profile, and production itself: none of it.
    for (const { conf: c } of [...confsOf(lab, PRODUCTION), ...confsOf(prod, PRODUCTION)]) {
      expect(c.get('global')!.has('mon_data_avail_warn')).toBe(false);
      expect(c.get('global')!.get('osd_pool_default_pg_autoscale_mode')).toBe('on');
      for (const k of ['bluestore_cache_autotune', 'bluestore_cache_size', 'bluestore_block_create', 'bluestore_block_size'])
        expect(c.get('osd')?.has(k) ?? false, k).toBe(false);
    }
  });
});

const argv = (s: CephStep) => (s.kind === 'run' ? s.argv.join(' ') : `crush-rule ${s.rule.name}`);
const index = (steps: CephStep[], re: RegExp) => steps.findIndex((s) => re.test(argv(s)));

describe.each([
  ['production', prod, PRODUCTION, 3],
  ['lab', lab, labP, 2],
] as const)('bootstrap plan of %s (EXG_PCA_2)', (_n, t, p, hostsPerSite) => {
  const plan = cephPlan(t, p);
  it('the CRUSH hierarchy is the model: dc1 and dc2, their OSD hosts, OSD ids in model order', () => {
    expect(plan.crush.datacenters.map((d) => [d.bucket, d.site])).toEqual([
      ['dc1', 'DC1'],
      ['dc2', 'DC2'],
    ]);
    for (const d of plan.crush.datacenters)
      expect(d.hosts.map((h) => h.name)).toEqual(
        cephHosts(t)
          .filter((g) => g.role === 'osd' && g.site === d.site)
          .map((g) => g.name),
      );
    expect(plan.crush.datacenters.every((d) => d.hosts.length === hostsPerSite)).toBe(true);
    const osds = plan.crush.datacenters.flatMap((d) => d.hosts.flatMap((h) => h.osds));
    expect(osds).toEqual(osds.map((_, i) => i));
  });

  it('the stretch rule over both datacenters; the DC3 monitor breaks ties; every pool 4 / 2 on the rule', () => {
    expect(plan.crush.rule.text).toBe(stretchRuleText(['dc1', 'dc2']));
    expect(plan.crush.tiebreaker).toBe(cephDaemons(t, p).find((d) => d.kind === 'mon' && d.site === 'DC3')!.id);
    expect(new Set(plan.crush.monitorLocations.map((l) => l.site))).toEqual(new Set(['DC1', 'DC2', 'DC3']));
    for (const pool of plan.crush.pools) expect([pool.size, pool.minSize, pool.rule], pool.name).toEqual([4, 2, STRETCH_RULE]);
    expect(plan.crush.pools.map((x) => x.name)).toEqual(
      expect.arrayContaining(['.rgw.root', `${t.environment.name}-stretched.rgw.buckets.data`, 'device_health_metrics']),
    );
  });

  it("in Ceph 16's order: connectivity, locations, rule, pools, stretch mode, then the realm", () => {
    const s = plan.steps;
    const order = [
      index(s, /^ceph mon set election_strategy connectivity$/),
      Math.max(...s.map((x, i) => (/^ceph mon set_location /.test(argv(x)) ? i : -1))),
      index(s, /^crush-rule /),
      index(s, /^ceph osd pool create /),
      index(s, /^ceph mon enable_stretch_mode /),
      index(s, /^radosgw-admin realm create/),
    ];
    expect(
      order.every((v, i, a) => v > -1 && (i === 0 || v > a[i - 1]!)),
      String(order),
    ).toBe(true);
  });
});
