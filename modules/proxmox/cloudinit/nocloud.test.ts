/**
 * NoCloud seeds of the bare-metal servers (issue 13, docs/storage.md "Production hosts"): the
 * VMs' own user-data renderer, the model's addresses in network-config, an instance-id that
 * follows the files, no secret value.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { evaluate, loadWorkspace } from '../../loader/load.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import { cephBootstrapHost } from '../../services/fromTopology/ceph.ts';
import { guestFiles } from '../../services/fromTopology/index.ts';
import { CEPH_PATHS } from '../../services/fromTopology/paths.ts';
import { PRODUCTION } from '../../services/fromTopology/profile.ts';
import { SECRET_PLACEHOLDER } from '../../services/secrets.ts';
import { DEFAULT_OPTIONS, type ProxmoxOptions } from '../plan/options.ts';
import { defaultConfigFor } from './defaultConfig.ts';
import { bareMetalHosts, DEFAULT_BAREMETAL_NETWORK, type NoCloudInput, noCloudSeed, noCloudSeeds, SEED_FILES } from './nocloud.ts';
import { findInlineSecrets } from './secrets.ts';
import type { ConfigFor } from './types.ts';
import { buildUserData, type WriteFile } from './userData.ts';

const ev = evaluate(loadWorkspace(join(import.meta.dirname, '..', '..', '..', 'environments')));
const prod = ev.topologies.get('production')!;
// As the stacks compose it (stacks/serviceConfig.ts; modules may not import stacks/): the default set, then the services' files.
const configFor: ConfigFor = (t, g) => [...defaultConfigFor(t, g), ...guestFiles(t, g, PRODUCTION)];
const options: ProxmoxOptions = {
  ...DEFAULT_OPTIONS,
  dnsServers: ['10.38.4.2', '10.38.20.2'],
  adminSshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHds admin@hds'],
};
const input = (t: Topology = prod, over: Partial<NoCloudInput> = {}): NoCloudInput => ({ topology: t, options, configFor, ...over });

const writeFiles = (userData: string): WriteFile[] => (parse(userData) as { write_files: WriteFile[] }).write_files;
const decoded = (f: WriteFile) => Buffer.from(f.content, 'base64').toString('utf8');
const osdHosts = (t: Topology) => t.guests.filter((g) => g.service === 'ceph' && g.role === 'osd' && g.hosting === 'baremetal');

describe('noCloudSeeds (production)', () => {
  const seeds = noCloudSeeds(input());

  it('a seed for every bare-metal server and nothing else: the six OSD hosts and the external DC3 cluster, no VM, no HSM appliance', () => {
    expect(osdHosts(prod)).toHaveLength(6);
    expect(seeds.map((s) => s.host)).toEqual(bareMetalHosts(prod).map((g) => g.name));
    expect(seeds.map((s) => s.host)).toEqual(expect.arrayContaining(osdHosts(prod).map((g) => g.name)));
    const hosting = new Map(prod.guests.map((g) => [g.name, g.hosting]));
    expect(seeds.every((s) => hosting.get(s.host) === 'baremetal')).toBe(true);
    expect(prod.guests.some((g) => g.hosting === 'vm' && g.service === 'ceph')).toBe(true); // the tie-breaker VM: cloud-init through Proxmox
    for (const s of seeds) expect(Object.keys(s.files).sort()).toEqual([...SEED_FILES].sort());
    const vm = prod.guests.find((g) => g.hosting === 'vm')!;
    expect(() => noCloudSeed(input(), vm)).toThrow(/hosted as vm, not on bare metal/);
  });

  it("user-data is the VMs' own buildUserData, and carries each OSD host's ceph.conf byte for byte (the plan on the first monitor)", () => {
    const bootstrap = cephBootstrapHost(prod).name;
    for (const g of osdHosts(prod)) {
      const seed = seeds.find((s) => s.host === g.name)!;
      expect(seed.files['user-data']).toBe(buildUserData({ topology: prod, guest: g, options, configFor }));
      const files = writeFiles(seed.files['user-data']);
      const expected = guestFiles(prod, g, PRODUCTION);
      const conf = files.find((f) => f.path === CEPH_PATHS.config)!;
      expect(decoded(conf)).toBe(expected.find((f) => f.path === CEPH_PATHS.config)!.content);
      expect(conf.permissions).toBe('0644');
      for (const e of expected) expect(decoded(files.find((f) => f.path === e.path)!)).toBe(e.content);
      expect(files.some((f) => f.path === CEPH_PATHS.bootstrapPlan)).toBe(g.name === bootstrap);
      expect(parse(seed.files['meta-data'])).toEqual({ 'instance-id': seed.instanceId, 'local-hostname': g.name });
      expect((parse(seed.files['user-data']) as { hostname: string }).hostname).toBe(g.name);
    }
  });

  it('a server gets no QEMU guest agent (no hypervisor to talk to); a VM still does', () => {
    for (const seed of seeds) {
      const doc = parse(seed.files['user-data']) as { packages: string[]; runcmd: string[][] };
      expect(doc.packages).not.toContain('qemu-guest-agent');
      expect(doc.runcmd.flat()).not.toContain('qemu-guest-agent');
    }
    const vm = prod.guests.find((g) => g.hosting === 'vm')!;
    const vmDoc = parse(buildUserData({ topology: prod, guest: vm, options, configFor })) as { packages: string[] };
    expect(vmDoc.packages).toContain('qemu-guest-agent');
  });

  it('network-config: a bond over the uplinks, one VLAN per NIC with the model address and zone prefix, the default route on the service NIC', () => {
    for (const g of bareMetalHosts(prod)) {
      const net = parse(seeds.find((s) => s.host === g.name)!.files['network-config']) as {
        version: number;
        ethernets: Record<string, unknown>;
        bonds: Record<string, { interfaces: string[]; parameters: { mode: string } }>;
        vlans: Record<string, { id: number; link: string; addresses: string[]; routes?: Array<{ to: string; via: string }>; nameservers?: unknown }>;
      };
      expect(net.version).toBe(2);
      expect(Object.keys(net.ethernets)).toEqual(DEFAULT_BAREMETAL_NETWORK.uplinks);
      expect(net.bonds.bond0).toMatchObject({ interfaces: DEFAULT_BAREMETAL_NETWORK.uplinks, parameters: { mode: '802.3ad' } });
      expect(Object.keys(net.vlans)).toHaveLength(g.nics.length);
      g.nics.forEach((nic, k) => {
        const zone = prod.zones.find((z) => z.site === g.site && z.zone === nic.zone)!;
        const v = net.vlans[`bond0.${nic.vlan}`]!;
        expect(v).toMatchObject({ id: nic.vlan, link: 'bond0', addresses: [`${nic.ip}/${zone.cidr.split('/')[1]}`] });
        if (k === 0) {
          expect(v.routes).toEqual([{ to: '0.0.0.0/0', via: zone.gateway }]);
          expect(v.nameservers).toEqual({ search: [options.dnsDomain], addresses: options.dnsServers });
        } else expect(v.routes).toBeUndefined();
      });
    }
    const osd = osdHosts(prod)[0]!;
    const text = seeds.find((s) => s.host === osd.name)!.files['network-config'];
    for (const nic of osd.nics) expect(text).toContain(nic.ip);
    // active-backup where the switches have no MLAG; names that are not interface names are refused.
    const ab = noCloudSeed(input(prod, { network: { uplinks: ['ens1f0', 'ens1f1'], bond: 'bond1', bondMode: 'active-backup' } }), osd);
    expect(parse(ab.files['network-config']).bonds.bond1.parameters).toEqual({ mode: 'active-backup', 'mii-monitor-interval': 100, primary: 'ens1f0' });
    for (const network of [
      { uplinks: ['eno 1'], bond: 'bond0', bondMode: '802.3ad' as const },
      { uplinks: [], bond: 'bond0', bondMode: '802.3ad' as const },
      { uplinks: ['bond0'], bond: 'bond0', bondMode: '802.3ad' as const },
      { uplinks: ['eno1'], bond: 'averyverylongbo', bondMode: '802.3ad' as const },
    ])
      expect(() => noCloudSeed(input(prod, { network }), osd)).toThrow(new RegExp(`^${osd.name}: `));
  });

  it('the instance-id follows the files: the same inputs give the same seed, a changed ceph.conf or address plan a new id', () => {
    const g = osdHosts(prod)[1]!;
    const seed = seeds.find((s) => s.host === g.name)!;
    expect(seed.instanceId).toMatch(/^hds-[0-9a-f]{16}$/);
    expect(noCloudSeed(input(), g)).toEqual(seed);
    expect(new Set(seeds.map((s) => s.instanceId)).size).toBe(seeds.length);
    const changed: ConfigFor = (t, x) => configFor(t, x).map((f) => (f.path === CEPH_PATHS.config ? { ...f, content: `${f.content}# one more line\n` } : f));
    const after = noCloudSeed(input(prod, { configFor: changed }), g);
    expect(after.files['user-data']).not.toBe(seed.files['user-data']);
    expect(after.instanceId).not.toBe(seed.instanceId);
    expect(parse(after.files['meta-data'])['instance-id']).toBe(after.instanceId);
    // Another host's seed does not change with this one's file.
    const other = osdHosts(prod)[2]!;
    const changedOne: ConfigFor = (t, x) => (x.name === g.name ? changed(t, x) : configFor(t, x));
    expect(noCloudSeed(input(prod, { configFor: changedOne }), other).instanceId).toBe(seeds.find((s) => s.host === other.name)!.instanceId);
    const moved: Guest = { ...g, nics: g.nics.map((n, k) => (k === 1 ? { ...n, ip: '10.38.4.200' } : n)) };
    const t2: Topology = { ...prod, guests: prod.guests.map((x) => (x.name === g.name ? moved : x)) };
    expect(noCloudSeed(input(t2), moved).instanceId).not.toBe(seed.instanceId);
  });
});

describe('no secret value in any seed of any environment', () => {
  it('placeholders only (the environment’s own), files holding one 0600 and listed for hds-secrets; the scanner finds nothing', () => {
    let scanned = 0;
    let withRefs = 0;
    for (const [name, t] of ev.topologies) {
      for (const seed of noCloudSeeds(input(t))) {
        for (const f of ['meta-data', 'network-config'] as const) expect(findInlineSecrets(seed.files[f]), `${name} ${seed.host} ${f}`).toEqual([]);
        // user-data: its own keys in clear, each file decoded (the scanner reads text, not base64).
        const doc = parse(seed.files['user-data']) as { write_files: WriteFile[] };
        const files = doc.write_files;
        const bare = stringify({ ...doc, write_files: files.map(({ content: _, ...rest }) => rest) });
        expect(findInlineSecrets(bare), `${name} ${seed.host} user-data`).toEqual([]);
        const listed = files.find((f) => f.path === '/etc/hds/secrets.list');
        for (const f of files) {
          scanned++;
          const content = decoded(f);
          expect(findInlineSecrets(content), `${name} ${seed.host} ${f.path}`).toEqual([]);
          const refs = [...content.matchAll(new RegExp(SECRET_PLACEHOLDER.source, 'g'))];
          if (!refs.length || f.path === '/usr/local/sbin/hds-secrets') continue;
          withRefs++;
          for (const r of refs) expect(r[1]!.startsWith(`${t.environment.name}/`), r[0]).toBe(true);
          expect(f.permissions, `${seed.host} ${f.path}`).toBe('0600');
          expect(decoded(listed!).split('\n')).toContain(f.path);
        }
      }
    }
    expect(scanned).toBeGreaterThan(200);
    // The bootstrap plan of every environment with Ceph names the S3 keys as placeholders.
    expect(withRefs).toBeGreaterThan(3);
  });
});
