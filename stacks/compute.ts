/**
 * Compute stack of one environment on one site: the environment's pool, one VM per guest
 * (modules/proxmox/plan/compute.ts) with its cloud-init snippet, its firewall (default deny
 * both ways, the security groups of its roles, anti-spoofing IP filters) and its HA
 * resource, and the anti-affinity HA rules (modules/proxmox/plan/ha.ts).
 */
import type { Construct } from 'constructs';
import {
  FirewallIpset,
  FirewallOptions,
  FirewallRules,
  HaResource,
  HaRule,
  networkDevice,
  Pool,
  ProxmoxFile,
  VirtualMachine,
  type VirtualMachineConfig,
} from '../modules/proxmox/bindings/index.ts';
import { buildUserData } from '../modules/proxmox/cloudinit/userData.ts';
import type { Topology } from '../modules/model/topology.ts';
import type { VmPlan } from '../modules/proxmox/plan/compute.ts';
import type { SiteFirewallPlan } from '../modules/proxmox/plan/firewall.ts';
import type { SiteHaPlan } from '../modules/proxmox/plan/ha.ts';
import { tfId } from '../modules/proxmox/plan/ids.ts';
import { ProxmoxStack } from './base.ts';
import type { ClusterStack } from './cluster.ts';
import type { NetworkStack } from './network.ts';
import type { StackOptions } from './options.ts';
import type { SecurityStack } from './security.ts';

export interface ComputeInput {
  name: string;
  topology: Topology;
  site: string;
  vms: VmPlan[];
  firewall: SiteFirewallPlan;
  ha: SiteHaPlan;
  cluster: ClusterStack;
  network: NetworkStack;
  security: SecurityStack;
}

export class ComputeStack extends ProxmoxStack {
  readonly vms = new Map<string, VirtualMachine>();

  constructor(scope: Construct, input: ComputeInput, opts: StackOptions) {
    const { topology: t, site } = input;
    super(scope, { name: input.name, layer: 'compute', cluster: input.cluster.meta.cluster, site, environment: t.environment.name }, opts, { ssh: true });
    this.addDependency(input.security); // security groups are referenced by name
    const pool = new Pool(this, 'pool', { pool_id: t.environment.name, comment: `environment ${t.environment.name} (${t.environment.class})` });
    const groupsOf = new Map(input.firewall.vms.map((v) => [v.guest, v.groups]));
    const ha = new Map<string, HaResource>();

    for (const v of input.vms) {
      const id = tfId(v.name);
      const config: VirtualMachineConfig = {
        node_name: v.node,
        name: v.name,
        vm_id: v.vmid,
        description: v.description,
        tags: v.tags,
        pool_id: pool.poolIdAttr,
        protection: v.protection,
        on_boot: true,
        started: true,
        bios: 'ovmf',
        machine: 'q35',
        scsi_hardware: 'virtio-scsi-single',
        stop_on_destroy: false,
        agent: [{ enabled: true, trim: true, type: 'virtio' }],
        cpu: [{ cores: v.cores, sockets: 1, type: 'x86-64-v2-AES', numa: v.cores > 16 }],
        memory: [{ dedicated: v.memoryMiB, floating: 0 }],
        efi_disk: [{ datastore_id: v.datastore.vm, type: '4m', pre_enrolled_keys: true }],
        disk: [
          {
            interface: 'scsi0',
            datastore_id: v.datastore.vm,
            size: v.systemDiskGiB,
            iothread: true,
            discard: 'on',
            ssd: true,
            backup: true,
            replicate: true,
            ...(v.boot.kind === 'cloud-init' ? { import_from: v.boot.image } : {}),
          },
          // Data holders: the data disk, empty; the guest formats it LUKS2 at first boot (cloudinit/dataVolume.ts).
          ...(v.dataDisk
            ? [
                {
                  interface: v.dataDisk.interface,
                  datastore_id: v.datastore.vm,
                  size: v.dataDisk.sizeGiB,
                  serial: v.dataDisk.serial,
                  iothread: true,
                  discard: 'on' as const,
                  ssd: true,
                  backup: true,
                  replicate: true,
                },
              ]
            : []),
        ],
        network_device: v.nics.map((n) =>
          networkDevice({ bridge: input.network.vnets.get(n.zone)!.idAttr, model: 'virtio', firewall: true, mac_address: n.mac, queues: Math.min(v.cores, 8) }),
        ),
        operating_system: [{ type: 'l26' }],
        serial_device: [{ device: 'socket' }],
        vga: [{ type: 'serial0' }],
        rng: [{ source: '/dev/urandom' }],
        watchdog: [{ enabled: true, model: 'i6300esb', action: 'reset' }],
      };
      if (v.boot.kind === 'cloud-init') {
        const snippet = new ProxmoxFile(this, `${id}_user_data`, {
          node_name: v.node,
          datastore_id: v.datastore.snippets,
          content_type: 'snippets',
          overwrite: true,
          source_raw: [
            { file_name: `${v.name}.user-data.yaml`, data: buildUserData({ topology: t, guest: v.guest, options: opts.proxmox, configFor: opts.configFor }) },
          ],
        });
        config.initialization = [
          {
            datastore_id: v.datastore.vm,
            interface: 'ide2',
            type: 'nocloud',
            user_data_file_id: snippet.volumeId,
            dns: [{ domain: opts.proxmox.dnsDomain, ...(opts.proxmox.dnsServers.length ? { servers: opts.proxmox.dnsServers } : {}) }],
            ip_config: v.nics.map((n) => ({ ipv4: [{ address: n.cidr, ...(n.gateway ? { gateway: n.gateway } : {}) }] })),
          },
        ];
        config.boot_order = ['scsi0'];
      } else {
        // OpenShift/OKD: the agent-based installer ISO carries ignition and the static network (ADR 0004).
        config.cdrom = [{ file_id: v.boot.iso, interface: 'ide2' }];
        config.boot_order = ['scsi0', 'ide2'];
      }
      const vm = new VirtualMachine(this, id, config);
      this.vms.set(v.name, vm);

      // Firewall of the VM: anti-spoofing (one address per NIC), default deny, its roles' groups.
      const filters = v.nics.map(
        (n, k) =>
          new FirewallIpset(
            this,
            `${id}_ipfilter_net${k}`,
            { node_name: v.node, vm_id: v.vmid, name: `ipfilter-net${k}`, comment: `${n.zone} address`, cidr: [{ name: n.ip }] },
            { dependsOn: [vm] },
          ),
      );
      const groups = groupsOf.get(v.name) ?? [];
      const rules = groups.length
        ? [
            new FirewallRules(
              this,
              `${id}_firewall_rules`,
              { node_name: v.node, vm_id: v.vmid, rule: groups.map((g) => ({ security_group: g, comment: 'flows of the role (EXG_ART_1.2)', enabled: true })) },
              { dependsOn: [vm] },
            ),
          ]
        : [];
      new FirewallOptions(
        this,
        `${id}_firewall_options`,
        {
          node_name: v.node,
          vm_id: v.vmid,
          enabled: true,
          input_policy: 'DROP',
          output_policy: 'DROP',
          dhcp: false,
          ipfilter: true,
          macfilter: true,
          ndp: false,
          radv: false,
          log_level_in: 'info',
          log_level_out: 'info',
        },
        { dependsOn: [vm, ...filters, ...rules] },
      );
      ha.set(
        v.name,
        new HaResource(this, `${id}_ha`, {
          resource_id: `vm:${vm.vmIdAttr}`,
          state: 'started',
          max_restart: 2,
          max_relocate: 1,
          comment: `${v.guest.service} ${v.guest.role}`,
        }),
      );
    }

    for (const r of input.ha.rules) {
      new HaRule(
        this,
        tfId('ha_rule', r.group),
        { rule: r.rule, type: 'resource-affinity', affinity: 'negative', resources: r.resources, comment: `members of ${r.group} never share a node` },
        { dependsOn: r.members.map((m) => ha.get(m)!) },
      );
    }
  }
}
