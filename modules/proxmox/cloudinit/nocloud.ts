/**
 * The file channel of the bare-metal servers (Ceph OSD hosts, issue 13: "production's Ceph hosts
 * get them the same way the other services do"): one cloud-init NoCloud seed per server, the way
 * bare-metal fleets are provisioned. The Proxmox stacks reach VMs only; a server boots its
 * installer over PXE and cloud-init reads the seed either over HTTP
 * (`ds=nocloud-net;s=http://<seed-server>/<host>/`) or from a seed ISO labelled `cidata`.
 *
 * A seed is three files (docs/storage.md, "Production hosts"):
 * - `user-data`: THE SAME `buildUserData` as the VMs (userData.ts) with the same `configFor` hook
 *   (stacks/serviceConfig.ts: the default set, then `guestFiles(topology, guest, PRODUCTION)`), so
 *   an OSD host's ceph.conf is byte for byte the file the policies judge and the lab runs. Secrets
 *   are placeholders resolved at first boot by hds-secrets from OpenBao (secrets.ts), never values:
 *   buildUserData refuses anything that looks like one.
 * - `network-config` (version 2): the server's ports bonded (LACP) to the top-of-rack pair, one
 *   VLAN interface per NIC of the model (its zone's VLAN id and address with the zone prefix), the
 *   default route through the first NIC's zone gateway, as the VMs' `ip_config` has it
 *   (plan/compute.ts: gateway on the service NIC only).
 * - `meta-data`: `instance-id` (a digest of user-data and network-config: any change to a file of
 *   the host makes cloud-init run again at the next boot, as Proxmox does for VMs) and
 *   `local-hostname`.
 *
 * Pure: the same topology and options give byte-identical seeds (no clock, no I/O).
 */
import { createHash } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { parseCidr } from '../../model/cidr.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import type { ProxmoxOptions } from '../plan/options.ts';
import type { ConfigFor } from './types.ts';
import { buildUserData, type WriteFile } from './userData.ts';

/** The names of a NoCloud seed's files, as the datasource reads them (HTTP or `cidata` volume). */
export const SEED_FILES = ['user-data', 'meta-data', 'network-config'] as const;
export type SeedFile = (typeof SEED_FILES)[number];

/** Volume label of a NoCloud seed ISO or vfat image (cloud-init also accepts CIDATA). */
export const SEED_VOLUME_LABEL = 'cidata';

/** How a server's NICs of the model reach its switches. */
export interface BareMetalNetworkOptions {
  /**
   * The server's ports cabled to the top-of-rack pair, by interface name (the hardware inventory's
   * names; explicit names work with every cloud-init network renderer, a glob does not).
   * @default ['eno1', 'eno2']
   */
  uplinks: string[];
  /** Name of the bond over the uplinks; the zones' VLANs are tagged on it (`<bond>.<vlan>`). @default 'bond0' */
  bond: string;
  /** Bonding mode: LACP to an MLAG pair, or active-backup where the switches have no MLAG. @default '802.3ad' */
  bondMode: '802.3ad' | 'active-backup';
}

export const DEFAULT_BAREMETAL_NETWORK: BareMetalNetworkOptions = { uplinks: ['eno1', 'eno2'], bond: 'bond0', bondMode: '802.3ad' };

/** A Linux interface name: at most 15 characters (IFNAMSIZ), no slash, no space, no colon. */
export const INTERFACE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

export interface NoCloudInput {
  topology: Topology;
  /** The stacks' options: DNS domain and servers, secret store, break-glass keys (the VMs' own). */
  options: ProxmoxOptions;
  /** The stacks' hook (stacks/serviceConfig.ts): the same files the VMs get. */
  configFor: ConfigFor;
  /** @default DEFAULT_BAREMETAL_NETWORK */
  network?: BareMetalNetworkOptions;
}

export interface NoCloudSeed {
  host: string;
  site: string;
  service: Guest['service'];
  role: Guest['role'];
  /** The meta-data's instance-id: `hds-` and 16 hex digits of SHA-256 over user-data and network-config. */
  instanceId: string;
  files: Record<SeedFile, string>;
}

/** The servers that get a seed: every guest of the topology hosted on bare metal (HSM appliances are not Linux installs). */
export function bareMetalHosts(t: Topology): Guest[] {
  return t.guests.filter((g) => g.hosting === 'baremetal');
}

function checkNetwork(g: Guest, n: BareMetalNetworkOptions): void {
  const names = [...n.uplinks, n.bond];
  const bad = names.find((x) => !INTERFACE_NAME.test(x));
  if (bad !== undefined)
    throw new Error(`${g.name}: ${JSON.stringify(bad)} is not an interface name (up to 15 letters, digits, _ . -, starting with a letter)`);
  if (n.uplinks.length === 0) throw new Error(`${g.name}: no uplink port to bond; name the server's ports cabled to the switches`);
  if (new Set(names).size !== names.length) throw new Error(`${g.name}: the uplinks and the bond must have distinct names (${names.join(', ')})`);
  const vlanName = `${n.bond}.${Math.max(...g.nics.map((x) => x.vlan))}`;
  if (!INTERFACE_NAME.test(vlanName)) throw new Error(`${g.name}: VLAN interface ${vlanName} is longer than 15 characters; give a shorter bond name`);
}

/** The network-config (version 2) of a server: bond over its uplinks, a VLAN per NIC of the model, the default route on the first. */
export function networkConfig(t: Topology, g: Guest, opts: Pick<ProxmoxOptions, 'dnsDomain' | 'dnsServers'>, n: BareMetalNetworkOptions): string {
  checkNetwork(g, n);
  if (g.nics.length === 0) throw new Error(`${g.name} has no NIC in the model`);
  const vlans: Record<string, unknown> = {};
  g.nics.forEach((nic, k) => {
    const zone = t.zones.find((z) => z.site === g.site && z.zone === nic.zone);
    if (!zone) throw new Error(`${g.name}: no ${nic.zone} zone on ${g.site}`);
    const prefix = parseCidr(zone.cidr);
    if (!prefix.ok) throw new Error(`${g.name}: invalid subnet ${zone.cidr} of zone ${nic.zone}`);
    const name = `${n.bond}.${nic.vlan}`;
    if (vlans[name]) throw new Error(`${g.name}: two NICs on VLAN ${nic.vlan}`);
    vlans[name] = {
      id: nic.vlan,
      link: n.bond,
      addresses: [`${nic.ip}/${prefix.cidr.prefix}`],
      // As the VMs: the service zone's gateway is the default route; the other zones are on-link.
      ...(k === 0
        ? {
            routes: [{ to: '0.0.0.0/0', via: zone.gateway }],
            nameservers: { search: [opts.dnsDomain], ...(opts.dnsServers.length ? { addresses: opts.dnsServers } : {}) },
          }
        : {}),
    };
  });
  const doc = {
    version: 2,
    ethernets: Object.fromEntries(n.uplinks.map((u) => [u, { dhcp4: false, dhcp6: false }])),
    bonds: {
      [n.bond]: {
        interfaces: n.uplinks,
        dhcp4: false,
        dhcp6: false,
        parameters:
          n.bondMode === '802.3ad'
            ? { mode: '802.3ad', 'lacp-rate': 'fast', 'mii-monitor-interval': 100, 'transmit-hash-policy': 'layer3+4' }
            : { mode: 'active-backup', 'mii-monitor-interval': 100, primary: n.uplinks[0] },
      },
    },
    vlans,
  };
  const zones = g.nics.map((x) => `${x.zone} VLAN ${x.vlan}`).join(', ');
  return `# Managed by hds-platform (modules/proxmox/cloudinit/nocloud.ts): ${g.name}, ${zones}.\n${stringify(doc, { lineWidth: 0 })}`;
}

/** `hds-` and the first 16 hex digits of SHA-256 over the user-data, a NUL and the network-config. */
export function seedInstanceId(userData: string, network: string): string {
  return `hds-${createHash('sha256').update(userData).update('\0').update(network).digest('hex').slice(0, 16)}`;
}

export function metaData(g: Guest, instanceId: string): string {
  return stringify({ 'instance-id': instanceId, 'local-hostname': g.name }, { lineWidth: 0 });
}

/** The NoCloud seed of one bare-metal server. */
export function noCloudSeed(input: NoCloudInput, g: Guest): NoCloudSeed {
  const { topology: t, options, configFor, network = DEFAULT_BAREMETAL_NETWORK } = input;
  if (g.hosting !== 'baremetal') throw new Error(`${g.name} is hosted as ${g.hosting}, not on bare metal: it gets no NoCloud seed`);
  const userData = buildUserData({ topology: t, guest: g, options, configFor });
  const net = networkConfig(t, g, options, network);
  const instanceId = seedInstanceId(userData, net);
  return {
    host: g.name,
    site: g.site,
    service: g.service,
    role: g.role,
    instanceId,
    files: { 'user-data': userData, 'meta-data': metaData(g, instanceId), 'network-config': net },
  };
}

/** The seeds of every bare-metal server of the topology, model order. */
export function noCloudSeeds(input: NoCloudInput): NoCloudSeed[] {
  return bareMetalHosts(input.topology).map((g) => noCloudSeed(input, g));
}

/** The list of files holding secret placeholders that hds-secrets resolves at first boot (userData.ts). */
export const SECRETS_LIST = '/etc/hds/secrets.list';

/** What a seed's user-data writes: every path, and those holding secret placeholders (listed for hds-secrets). */
export function seedContents(seed: NoCloudSeed): { paths: string[]; withPlaceholders: string[] } {
  const files = (parse(seed.files['user-data']) as { write_files: WriteFile[] }).write_files;
  const list = files.find((f) => f.path === SECRETS_LIST);
  return {
    paths: files.map((f) => f.path),
    withPlaceholders: list ? Buffer.from(list.content, 'base64').toString('utf8').split('\n').filter(Boolean) : [],
  };
}
