/** Cluster stack: what one Proxmox VE cluster holds once for all the environments placed on it (modules/proxmox/plan/cluster.ts). */

import { TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { PORTS } from '../modules/model/ports.ts';
import {
  Acl,
  ClusterFirewall,
  FirewallAlias,
  FirewallIpset,
  FirewallRules,
  LinuxBridge,
  Role,
  SdnApplier,
  SdnZoneVlan,
  User,
  UserToken,
} from '../modules/proxmox/bindings/index.ts';
import { AUTOMATION_PRIVILEGES, AUTOMATION_ROLE, AUTOMATION_TOKEN, AUTOMATION_USER, type ClusterPlan } from '../modules/proxmox/plan/cluster.ts';
import { tfId } from '../modules/proxmox/plan/ids.ts';
import { ProxmoxStack } from './base.ts';
import type { StackOptions } from './options.ts';

export class ClusterStack extends ProxmoxStack {
  readonly sdnZone: SdnZoneVlan;

  constructor(scope: Construct, plan: ClusterPlan, opts: StackOptions) {
    super(scope, { name: `cluster-${plan.name}`, layer: 'cluster', cluster: plan.name, site: plan.site }, opts);
    const bridges = plan.nodes.map(
      (node) =>
        new LinuxBridge(this, tfId('bridge', node), {
          node_name: node,
          name: plan.uplinkBridge,
          ports: plan.uplinkPorts,
          vlan_aware: true,
          vids: plan.vids,
          autostart: true,
          comment: `${plan.segregation} uplink of ${plan.site}: carries only ${plan.segregation} VLANs (EXG_PSE_4)`,
        }),
    );
    this.sdnZone = new SdnZoneVlan(this, 'sdn_zone', { id: plan.sdnZone, bridge: plan.uplinkBridge, nodes: plan.nodes, ipam: 'pve' }, { dependsOn: bridges });
    new SdnApplier(this, 'sdn_applier', { on_create: true, on_destroy: true }, { dependsOn: [this.sdnZone] });

    // Datacenter firewall: default deny in; the hosts' own ports (8006, 22, 3128, 5900-5999) only from
    // the `management` IP set, which PVE uses instead of the local network once it exists.
    const management = plan.management.length
      ? new FirewallIpset(this, 'management', {
          name: 'management',
          comment: 'Bastions of the class: the only sources of administration (EXG_PSE_5)',
          cidr: plan.management.map((ip) => ({ name: ip, comment: 'bastion' })),
        })
      : undefined;
    const adminCidr = new TerraformVariable(this, 'admin_workstations_cidr', {
      type: 'string',
      description: "Administrators' workstations network, the only source allowed to reach the bastions (flow admin-to-bastion)",
    });
    const alias = new FirewallAlias(this, 'admin_workstations', {
      name: 'admin-workstations',
      cidr: adminCidr.stringValue,
      comment: 'Administrator workstations (flow admin-to-bastion)',
    });
    if (!management) {
      // No bastion guest of this class (the embedded lab): the workstations reach the hosts directly.
      new FirewallRules(
        this,
        'cluster_rules',
        {
          rule: [
            {
              type: 'in',
              action: 'ACCEPT',
              source: 'admin-workstations',
              proto: 'tcp',
              dport: `${PORTS.ssh},${PORTS.proxmoxApi}`,
              comment: 'administration without a bastion guest',
              enabled: true,
            },
          ],
        },
        { dependsOn: [alias] },
      );
    }
    new ClusterFirewall(
      this,
      'firewall',
      {
        enabled: true,
        ebtables: true,
        input_policy: 'DROP',
        output_policy: 'ACCEPT',
        forward_policy: 'DROP',
        log_ratelimit: [{ enabled: true, burst: 10, rate: '5/second' }],
      },
      { dependsOn: management ? [management, alias] : [alias] },
    );

    // The automation account OpenTofu uses: a role with what the stacks create, a token with its own ACL.
    const role = new Role(this, 'automation_role', { role_id: AUTOMATION_ROLE, privileges: AUTOMATION_PRIVILEGES });
    const user = new User(this, 'automation_user', { user_id: AUTOMATION_USER, comment: 'OpenTofu automation (hds-platform stacks)', enabled: true });
    const token = new UserToken(this, 'automation_token', {
      user_id: user.userIdAttr,
      token_name: AUTOMATION_TOKEN,
      privileges_separation: true,
      comment: 'used through TF_VAR_proxmox_api_token',
    });
    new Acl(
      this,
      'automation_acl',
      { path: '/', role_id: role.roleIdAttr, token_id: `${AUTOMATION_USER}!${AUTOMATION_TOKEN}`, propagate: true },
      { dependsOn: [token] },
    );
    new Acl(this, 'automation_user_acl', { path: '/', role_id: role.roleIdAttr, user_id: user.userIdAttr, propagate: true });
  }
}
