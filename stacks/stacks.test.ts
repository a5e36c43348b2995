/**
 * Properties of the synthesized Proxmox stacks of every environment, asserted on the JSON
 * (not snapshots): provider schema, production segregation (EXG_PSE_4, EXG_PSE_5), firewall
 * default deny and the flow matrix (EXG_ART_1.2), anti-affinity, backups (EXG_PRA_2), no
 * secret in any synthesized file, agreement with the model's totals.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Guest, Topology } from '../modules/model/topology.ts';
import { findInlineSecrets } from '../modules/proxmox/cloudinit/secrets.ts';
import { loadProviderSchema, resourceSchema } from '../modules/proxmox/check/providerSchema.ts';
import { checkStack, formatProblem } from '../modules/proxmox/check/schema.ts';
import { compareWithTopology } from '../modules/proxmox/check/summary.ts';
import { resolve, resources, type Synthesized } from '../modules/proxmox/check/synthesized.ts';
import { holdsData } from '../modules/proxmox/plan/compute.ts';
import { stackName } from './app.ts';
import { type Fixture, synthesizeAll } from './testing.ts';

let f: Fixture;
let s: Synthesized;
beforeAll(() => {
  f = synthesizeAll();
  s = f.synthesized;
}, 180_000);

type Body = Record<string, unknown>;
const VM = 'proxmox_virtual_environment_vm';
/** A Terraform variable reference, written without a template-looking literal. */
const tfVar = (name: string) => ['$', '{var.', name, '}'].join('');

function vmsOf(stack: string): Array<{ name: string; body: Body }> {
  return Object.entries(s.stacks.get(stack)?.resource?.[VM] ?? {}).map(([name, body]) => ({ name, body }));
}

function guestsOn(t: Topology, site: string): Guest[] {
  return t.guests.filter((g) => g.site === site && g.hosting === 'vm');
}

describe('provider schema', () => {
  it('every resource of every stack of every environment matches schema.json', () => {
    const schema = loadProviderSchema();
    const problems = [...s.stacks].flatMap(([name, json]) => checkStack(name, json, schema));
    expect(problems.map(formatProblem)).toEqual([]);
    expect(s.stacks.size).toBeGreaterThan(100);
  });

  it('uses the preferred type names and only types the schema knows', () => {
    const schema = loadProviderSchema();
    for (const r of resources(s)) {
      const found = resourceSchema(schema, r.type);
      expect(found, r.type).toBeDefined();
      expect(found!.schema.preferred_type).toBe(r.type);
    }
  });
});

describe('segregation of production (EXG_PSE_4, EXG_PSE_5)', () => {
  const classOf = (stack: string) => {
    const env = f.result.meta.get(stack)?.environment;
    if (env) return f.topologies.get(env)!.environment.segregation;
    const cluster = f.result.meta.get(stack)!.cluster;
    return [...f.topologies.values()].flatMap((t) => t.hypervisorClusters).find((c) => c.name === cluster)!.segregation;
  };

  it('production and non-production never share an SDN zone, a bridge, a cluster or a node', () => {
    const seen = { production: new Set<string>(), 'non-production': new Set<string>() };
    for (const r of resources(s)) {
      if (r.body === undefined) continue;
      const meta = f.result.meta.get(r.stack)!;
      if (f.topologies.get(meta.environment ?? '')?.environment.platform === 'lab' || meta.cluster.startsWith('lab-')) continue;
      const cls = classOf(r.stack);
      const keys: string[] = [`cluster:${meta.cluster}`];
      if (r.type === 'proxmox_sdn_zone_vlan') keys.push(`zone:${meta.site}:${r.body.id}`, `bridge:${meta.site}:${r.body.bridge}`);
      if (r.type === 'proxmox_network_linux_bridge') keys.push(`node:${r.body.node_name}`, `bridge:${meta.site}:${r.body.name}`);
      if (r.type === VM) keys.push(`node:${r.body.node_name}`);
      for (const k of keys) seen[cls].add(k);
    }
    const shared = [...seen.production].filter((k) => seen['non-production'].has(k));
    expect(shared).toEqual([]);
    expect(seen.production.size).toBeGreaterThan(0);
  });

  it("every VM's NICs are on vnets of its own environment, in its class's SDN zone", () => {
    for (const [env, t] of f.topologies) {
      for (const { id: site } of t.sites) {
        const compute = stackName(env, site, 'compute');
        const network = s.stacks.get(stackName(env, site, 'network'));
        if (!network) continue;
        const vnets = Object.values(network.resource?.proxmox_sdn_vnet ?? {}).map((v) => resolve(s, stackName(env, site, 'network'), v.id));
        const zones = new Set(Object.values(network.resource?.proxmox_sdn_vnet ?? {}).map((v) => resolve(s, stackName(env, site, 'network'), v.zone)));
        expect(zones.size).toBe(1);
        const cluster = s.stacks.get(`cluster-${t.hypervisorClusters.find((c) => c.site === site)!.name}`)!;
        const zone = Object.values(cluster.resource?.proxmox_sdn_zone_vlan ?? {})[0]!;
        expect([...zones][0]).toBe(zone.id);
        expect(zone.bridge).toBe(t.environment.segregation === 'production' ? 'vmbr10' : 'vmbr20');
        for (const vm of vmsOf(compute)) {
          for (const nic of vm.body.network_device as Body[]) {
            expect(vnets, `${compute} ${vm.name}`).toContain(resolve(s, compute, nic.bridge));
            expect(nic.firewall).toBe(true);
          }
        }
      }
    }
  });
});

/** What a VM's firewall accepts: (direction, peer address, own address, proto, port) from its security groups. */
function accepted(stack: string, securityStack: string, vmName: string): Set<string> {
  const json = s.stacks.get(stack)!;
  const vm = json.resource![VM]![vmName]!;
  const vmid = vm.vm_id;
  // The VM's address on netK is the one entry of its anti-spoofing set ipfilter-netK.
  const filters = Object.values(json.resource?.proxmox_virtual_environment_firewall_ipset ?? {}).filter((i) => i.vm_id === vmid);
  const addresses = filters
    .map((i) => [Number(String(i.name).replace('ipfilter-net', '')), (i.cidr as Body[])[0]!.name as string] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, ip]) => ip);
  const rules = Object.values(json.resource?.proxmox_virtual_environment_firewall_rules ?? {}).find((r) => r.vm_id === vmid);
  const sec = s.stacks.get(securityStack)!.resource!;
  const ipsets = new Map(
    Object.values(sec.proxmox_virtual_environment_firewall_ipset ?? {}).map((i) => [i.name as string, (i.cidr as Body[]).map((c) => c.name as string)]),
  );
  const groups = new Map(
    Object.values(sec.proxmox_virtual_environment_firewall_cluster_security_group ?? sec.proxmox_virtual_environment_cluster_firewall_security_group ?? {}).map(
      (g) => [g.name as string, g.rule as Body[]],
    ),
  );
  const out = new Set<string>();
  for (const ref of (rules?.rule as Body[] | undefined) ?? []) {
    for (const r of groups.get(ref.security_group as string) ?? []) {
      expect(r.action).toBe('ACCEPT');
      const own = addresses[Number(String(r.iface).replace('net', ''))];
      const peerSpec = String(r.type === 'in' ? r.source : r.dest);
      const peers = peerSpec.startsWith('+') ? (ipsets.get(peerSpec.slice(1)) ?? []) : [peerSpec];
      for (const port of String(r.dport).split(',')) for (const peer of peers) if (peer !== own) out.add(`${r.type} ${peer} ${own} ${r.proto} ${port}`);
    }
  }
  return out;
}

describe('firewall: default deny and exactly the flow matrix (EXG_ART_1.2)', () => {
  it('every VM has its firewall on, dropping by default in both directions, with anti-spoofing', () => {
    for (const [name, json] of s.stacks) {
      const vms = Object.values(json.resource?.[VM] ?? {});
      const options = Object.values(json.resource?.proxmox_virtual_environment_firewall_options ?? {});
      expect(options.length, name).toBe(vms.length);
      for (const o of options) expect(o).toMatchObject({ enabled: true, input_policy: 'DROP', output_policy: 'DROP', ipfilter: true, macfilter: true });
      for (const vm of vms) {
        const filters = Object.values(json.resource?.proxmox_virtual_environment_firewall_ipset ?? {}).filter((i) => i.vm_id === vm.vm_id);
        expect(filters.length).toBe((vm.network_device as unknown[]).length);
      }
    }
  });

  it('the datacenter firewall drops by default and admits management only from the bastions', () => {
    for (const [name, json] of s.stacks) {
      if (!name.startsWith('cluster-')) continue;
      expect(Object.values(json.resource!.proxmox_virtual_environment_cluster_firewall!)[0]).toMatchObject({
        enabled: true,
        input_policy: 'DROP',
        forward_policy: 'DROP',
      });
      const mgmt = json.resource!.proxmox_virtual_environment_firewall_ipset?.management;
      if (name.startsWith('cluster-lab-')) continue;
      const platformBastions = [...f.topologies.values()]
        .flatMap((t) => t.guests)
        .filter((g) => g.service === 'bastion')
        .map((g) => g.nics.find((n) => n.zone === 'admin')!.ip);
      expect(mgmt, name).toBeDefined();
      for (const c of mgmt!.cidr as Body[]) expect(platformBastions).toContain(c.name);
    }
  });

  it('the rules of every VM of production and of every other environment accept exactly its lines of the matrix', () => {
    for (const [env, t] of f.topologies) {
      const byName = new Map(t.guests.map((g) => [g.name, g]));
      for (const { id: site } of t.sites) {
        const compute = stackName(env, site, 'compute');
        for (const vm of vmsOf(compute)) {
          const g = byName.get(vm.body.name as string)!;
          const want = new Set<string>();
          for (const e of t.flowMatrix) {
            if (e.destination.name === g.name) want.add(`in ${e.source.ip} ${e.destination.ip} ${e.protocol} ${String(e.port).replace('-', ':')}`);
            if (e.source.name === g.name) want.add(`out ${e.destination.ip} ${e.source.ip} ${e.protocol} ${String(e.port).replace('-', ':')}`);
          }
          expect([...accepted(compute, stackName(env, site, 'security'), vm.name)].sort(), `${env} ${g.name}`).toEqual([...want].sort());
        }
      }
    }
  });

  it('SSH to guests is only accepted from the bastions, and the bastions only from the admin workstations', () => {
    const t = f.topologies.get('production')!;
    const bastions = new Set(t.guests.filter((g) => g.service === 'bastion').map((g) => g.nics.find((n) => n.zone === 'admin')!.ip));
    let checked = 0;
    for (const site of ['DC1', 'DC2']) {
      const sec = s.stacks.get(stackName('production', site, 'security'))!.resource!;
      const ipsets = new Map(
        Object.values(sec.proxmox_virtual_environment_firewall_ipset!).map((i) => [i.name as string, (i.cidr as Body[]).map((c) => c.name as string)]),
      );
      for (const g of Object.values(sec.proxmox_virtual_environment_cluster_firewall_security_group!)) {
        for (const r of g.rule as Body[]) {
          if (r.type !== 'in' || !String(r.dport).split(',').includes('22')) continue;
          if (r.source === 'admin-workstations') expect(String(g.name)).toContain('-bst-');
          else for (const ip of ipsets.get(String(r.source).slice(1))!) expect(bastions.has(ip), `${g.name} ${ip}`).toBe(true);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});

describe('HA placement', () => {
  it('members of an anti-affinity group never share a node and an HA rule keeps them apart', () => {
    for (const [env, t] of f.topologies) {
      for (const { id: site } of t.sites) {
        const compute = stackName(env, site, 'compute');
        const json = s.stacks.get(compute);
        if (!json) continue;
        const nodeOf = new Map(vmsOf(compute).map((v) => [`vm:${v.body.vm_id}`, v.body.node_name as string]));
        const rules = Object.values(json.resource?.proxmox_harule ?? {});
        const groups = new Map<string, Guest[]>();
        for (const g of guestsOn(t, site)) if (g.antiAffinityGroup) groups.set(g.antiAffinityGroup, [...(groups.get(g.antiAffinityGroup) ?? []), g]);
        const multi = [...groups.values()].filter((m) => m.length > 1);
        expect(rules.length, compute).toBe(multi.length);
        for (const r of rules) {
          expect(r).toMatchObject({ type: 'resource-affinity', affinity: 'negative' });
          const nodes = (r.resources as string[]).map((id) => nodeOf.get(id));
          expect(nodes.every(Boolean)).toBe(true);
          expect(new Set(nodes).size, `${compute} ${r.rule}`).toBe(nodes.length);
        }
        // every VM is HA-managed on its own site's cluster
        expect(Object.keys(json.resource?.proxmox_haresource ?? {}).length).toBe(nodeOf.size);
        for (const node of nodeOf.values()) expect(node.startsWith(t.hypervisorClusters.find((c) => c.site === site)!.name)).toBe(true);
      }
    }
  });

  it('PostgreSQL pairs, WAF pairs, Kafka brokers and OpenShift masters of production are spread over nodes', () => {
    const json = s.stacks.get('production-dc1-compute')!;
    const rules = Object.values(json.resource!.proxmox_harule!).map((r) => r.rule as string);
    for (const g of ['waf-dc1', 'kafka-dc1', 'ocp-dc1-masters', 'pglb-dc1']) expect(rules).toContain(`p00-aa-${g}`);
  });
});

describe('backups (EXG_PRA_2)', () => {
  it('every production VM holding data is in a data backup job of its site, to the PBS of DC3, encrypted client-side', () => {
    const t = f.topologies.get('production')!;
    const pbsGuest = t.guests.find((g) => g.name === t.backup!.servers[0])!;
    for (const site of ['DC1', 'DC2', 'DC3']) {
      const data = stackName('production', site, 'data');
      const json = s.stacks.get(data)!;
      const pbs = Object.values(json.resource!.proxmox_storage_pbs!)[0]!;
      expect(pbs.server).toBe(pbsGuest.nics.find((n) => n.zone === 'backup')!.ip);
      expect(pbsGuest.site).toBe('DC3');
      expect(pbs.encryption_key).toBe(tfVar('pbs_encryption_key'));
      expect(pbs.backups).toEqual({ keep_daily: 14, keep_weekly: 8, keep_monthly: 12, keep_yearly: 1 });
      const jobs = Object.values(json.resource!.proxmox_backup_job!);
      const dataJob = jobs.find((j) => String(j.id).endsWith('-data'));
      const inData = new Set(((dataJob?.vmid as string[]) ?? []).map((v) => Number(resolve(s, data, v))));
      const inAny = new Set(jobs.flatMap((j) => (j.vmid as string[]).map((v) => Number(resolve(s, data, v)))));
      for (const j of jobs) expect(resolve(s, data, j.storage)).toBe('pbs-production');
      for (const vm of vmsOf(stackName('production', site, 'compute'))) {
        const g = t.guests.find((x) => x.name === vm.body.name)!;
        if (g.service === 'backup') continue; // the backup servers hold the backups themselves (offline copy, not vzdump)
        if (holdsData(g)) expect(inData.has(vm.body.vm_id as number), g.name).toBe(true);
        expect(inAny.has(vm.body.vm_id as number), g.name).toBe(true);
      }
      if (dataJob)
        expect(dataJob).toMatchObject({
          schedule: '*-*-* 01:00',
          mode: 'snapshot',
          prune_backups: { 'keep-daily': '14', 'keep-weekly': '8', 'keep-monthly': '12', 'keep-yearly': '1' },
        });
    }
  });
});

describe('no secret in any synthesized file', () => {
  function* files(dir: string): Generator<string> {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) yield* files(p);
      else yield p;
    }
  }
  function* strings(v: unknown): Generator<string> {
    if (typeof v === 'string') yield v;
    else if (Array.isArray(v)) for (const x of v) yield* strings(x);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) yield* strings(x);
  }

  it('no file, no cloud-init write_files content, no sensitive argument carries a literal secret', () => {
    const findings: string[] = [];
    for (const file of files(f.result.outdir)) {
      const text = readFileSync(file, 'utf8');
      for (const x of findInlineSecrets(text)) findings.push(`${file}: ${x.kind}: ${x.excerpt}`);
      if (!file.endsWith('.json')) continue;
      for (const str of strings(JSON.parse(text))) {
        if (!str.startsWith('#cloud-config')) continue;
        for (const m of str.matchAll(/content: (\S+)/g)) {
          const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
          for (const x of findInlineSecrets(decoded)) findings.push(`${file} (write_files): ${x.kind}: ${x.excerpt}`);
        }
      }
    }
    expect(findings).toEqual([]);
    // Scans every byte of every environment's stacks, the rendered service files of each VM's
    // cloud-init included (modules/services/fromTopology): ~20 s alone, more under a parallel run.
  }, 120_000);

  it('every argument the schema marks sensitive is a variable reference', () => {
    const schema = loadProviderSchema();
    for (const r of resources(s)) {
      const rs = resourceSchema(schema, r.type)!.schema;
      for (const [k, a] of Object.entries(rs.attributes))
        if (a.sensitive && r.body[k] !== undefined) expect(r.body[k], `${r.stack} ${r.type}.${r.name}.${k}`).toMatch(/^\$\{var\.[a-z_]+\}$/);
    }
    for (const [name, json] of s.stacks) {
      const provider = (json.provider as Record<string, Body[]>).proxmox![0]!;
      expect(provider.api_token, name).toBe(tfVar('proxmox_api_token'));
      expect(json.variable?.proxmox_api_token?.sensitive).toBe(true);
      expect(json.variable?.proxmox_api_token?.default).toBeUndefined();
    }
  });
});

describe('agreement with the model (hdsctl show)', () => {
  it('per site, the compute stack holds the VMs, vCPU, RAM and disk the model placed on the cluster', () => {
    for (const [env, t] of f.topologies) {
      expect(
        compareWithTopology(t, f.result.stacks, (site) => stackName(env, site, 'compute')),
        env,
      ).toEqual([]);
    }
    const prod = f.result.stacks.find((x) => x.stack === 'production-dc1-compute')!;
    // docs/model.md: 730 of 1,152 vCPU per primary DC (722 before the two 4-vCPU KRaft controllers of ADR 0007)
    expect(prod.vcpu).toBe(730);
  });

  it('data holders have a separate data disk (scsi1, serial hds-data) besides the system disk; the others one disk', () => {
    let holders = 0;
    for (const [env, t] of f.topologies) {
      for (const { id } of t.sites) {
        for (const { body } of vmsOf(stackName(env, id, 'compute'))) {
          const g = t.guests.find((x) => x.name === body.name)!;
          const disks = body.disk as Body[];
          expect(disks[0]!.interface).toBe('scsi0');
          expect((body.boot_order as string[])[0]).toBe('scsi0');
          if (!holdsData(g)) {
            expect(disks, g.name).toHaveLength(1);
            expect(disks[0]!.size).toBe(g.size.diskGiB);
            continue;
          }
          holders++;
          expect(disks, g.name).toHaveLength(2);
          expect(disks[1]).toMatchObject({ interface: 'scsi1', serial: 'hds-data', datastore_id: disks[0]!.datastore_id });
          expect(disks[1]!.import_from).toBeUndefined();
          expect((disks[0]!.size as number) + (disks[1]!.size as number), g.name).toBe(g.size.diskGiB);
          if (env === 'production') expect(disks[0]!.size).toBe(32);
        }
      }
    }
    // production: 12 PostgreSQL data nodes, 6 Kafka brokers, 3 backup servers
    expect(holders).toBeGreaterThanOrEqual(21);
  });

  it('one VM per model guest hosted as a VM; appliances and bare metal are not Proxmox guests', () => {
    for (const [env, t] of f.topologies) {
      const names = t.sites.flatMap(({ id }) => vmsOf(stackName(env, id, 'compute')).map((v) => v.body.name as string)).sort();
      expect(names).toEqual(
        t.guests
          .filter((g) => g.hosting === 'vm')
          .map((g) => g.name)
          .sort(),
      );
    }
  });

  it('production VMs are protected, tagged, with the guest agent and a serial console; OpenShift nodes boot the agent ISO', () => {
    for (const site of ['DC1', 'DC2', 'DC3']) {
      for (const { body } of vmsOf(stackName('production', site, 'compute'))) {
        expect(body.protection).toBe(true);
        expect(body.tags).toEqual([...(body.tags as string[])].sort());
        expect(body.tags).toEqual(expect.arrayContaining(['env-production', `site-${site.toLowerCase()}`]));
        expect((body.agent as Body[])[0]!.enabled).toBe(true);
        expect(body.serial_device).toEqual([{ device: 'socket' }]);
        if (String(body.name).includes('-ocp-')) {
          expect(body.initialization).toBeUndefined();
          expect((body.cdrom as Body[])[0]!.file_id).toMatch(/agent\.x86_64\.iso$/);
        } else expect((body.disk as Body[])[0]!.import_from).toBe('local:import/debian-12-genericcloud-amd64.qcow2');
      }
    }
    for (const { body } of vmsOf(stackName('dev', 'DC1', 'compute'))) expect(body.protection).toBe(false);
  });
});
