/**
 * Firewall plan of one environment on one site, from the IP-level flow matrix (EXG_ART_1.2):
 * every VM's firewall drops by default in both directions and accepts exactly the matrix
 * lines it is an end of, through one security group per (service, role) and IP sets of the
 * far ends of each flow. Administration reaches guests only from the bastions (flow
 * bastion-ssh) and the bastions only from the administrators' workstations.
 *
 * Sources and destinations that are not Proxmox guests (Ceph OSD hosts, HSM appliances,
 * the internet) appear as addresses in the IP sets; rules are only written on VMs.
 */
import { parseIpv4 } from '../../model/cidr.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import { ipsetName, securityGroupName } from './ids.ts';

export interface IpsetPlan {
  name: string;
  comment: string;
  cidrs: string[];
}

export interface RulePlan {
  type: 'in' | 'out';
  action: 'ACCEPT';
  /** `+ipset`, an alias name, or an address. */
  peer: string;
  proto: 'tcp' | 'udp';
  /** Proxmox port list: "5432,8008", "6800:7300". */
  dport: string;
  /** netN of the guest's NIC the flow uses. */
  iface: string;
  flow: string;
  comment: string;
}

export interface SecurityGroupPlan {
  name: string;
  comment: string;
  rules: RulePlan[];
}

export interface VmFirewallPlan {
  guest: string;
  groups: string[];
}

export interface SiteFirewallPlan {
  ipsets: IpsetPlan[];
  groups: SecurityGroupPlan[];
  vms: VmFirewallPlan[];
}

/** External sources of the matrix and what the rules say instead. */
const EXTERNAL_PEERS: Record<string, string> = {
  '0.0.0.0/0': '0.0.0.0/0',
  'admin-workstations': 'admin-workstations',
};

const portText = (p: number | string) => String(p).replace('-', ':');

function isVm(byName: Map<string, Guest>, name: string): boolean {
  return byName.get(name)?.hosting === 'vm';
}

function iface(g: Guest, ip: string): string {
  const k = g.nics.findIndex((n) => n.ip === ip);
  if (k < 0) throw new Error(`${g.name} has no NIC with ${ip}`);
  return `net${k}`;
}

export function firewallPlan(t: Topology, site: string): SiteFirewallPlan {
  const byName = new Map(t.guests.map((g) => [g.name, g]));
  const requirements = new Map(t.flows.map((f) => [f.id, f.requirements.join(' ')]));
  const ipsets = new Map<string, IpsetPlan>();
  const groups = new Map<string, SecurityGroupPlan>();
  const vms = new Map<string, VmFirewallPlan>();
  const addToSet = (name: string, comment: string, ip: string) => {
    const s = ipsets.get(name) ?? { name, comment, cidrs: [] };
    if (!s.cidrs.includes(ip)) s.cidrs.push(ip);
    ipsets.set(name, s);
  };
  const rule = (g: Guest, r: RulePlan) => {
    const name = securityGroupName(t, g);
    const group = groups.get(name) ?? { name, comment: `${t.environment.name}: ${g.service} ${g.role} on ${site} (EXG_ART_1.2)`, rules: [] };
    const same = group.rules.find((x) => x.type === r.type && x.flow === r.flow && x.iface === r.iface && x.proto === r.proto && x.peer === r.peer);
    if (same) {
      const ports = new Set([...same.dport.split(','), ...r.dport.split(',')]);
      same.dport = [...ports].join(',');
    } else group.rules.push(r);
    groups.set(name, group);
    const vm = vms.get(g.name) ?? { guest: g.name, groups: [] };
    if (!vm.groups.includes(name)) vm.groups.push(name);
    vms.set(g.name, vm);
  };

  const lines = t.flowMatrix;
  for (const e of lines) {
    const comment = `${e.flow} [${requirements.get(e.flow) ?? 'EXG_ART_1.2'}]`;
    // Inbound, on a VM of this site.
    if (e.destination.site === site && isVm(byName, e.destination.name)) {
      const dst = byName.get(e.destination.name)!;
      let peer: string;
      if (EXTERNAL_PEERS[e.source.ip] && !e.source.site) peer = EXTERNAL_PEERS[e.source.ip]!;
      else {
        const name = ipsetName(t, e.flow, 'in');
        addToSet(name, `sources of ${e.flow} towards ${site}`, e.source.ip);
        peer = `+${name}`;
      }
      rule(dst, { type: 'in', action: 'ACCEPT', peer, proto: e.protocol, dport: portText(e.port), iface: iface(dst, e.destination.ip), flow: e.flow, comment });
    }
    // Outbound, from a VM of this site.
    if (e.source.site === site && isVm(byName, e.source.name)) {
      const src = byName.get(e.source.name)!;
      const name = ipsetName(t, e.flow, 'out');
      addToSet(name, `destinations of ${e.flow} from ${site}`, e.destination.ip);
      rule(src, {
        type: 'out',
        action: 'ACCEPT',
        peer: `+${name}`,
        proto: e.protocol,
        dport: portText(e.port),
        iface: iface(src, e.source.ip),
        flow: e.flow,
        comment,
      });
    }
  }
  // Every VM of the site gets a firewall, even one no flow reaches (it then drops everything).
  for (const g of t.guests) if (g.site === site && g.hosting === 'vm' && !vms.has(g.name)) vms.set(g.name, { guest: g.name, groups: [] });
  const sortedIpsets = [...ipsets.values()].map((s) => ({ ...s, cidrs: [...s.cidrs].sort(byAddress) }));
  return { ipsets: sortedIpsets.sort((a, b) => a.name.localeCompare(b.name)), groups: [...groups.values()], vms: [...vms.values()] };
}

function byAddress(a: string, b: string): number {
  const n = (s: string) => parseIpv4(s.split('/')[0] ?? '') ?? 0;
  return n(a) - n(b);
}
