/**
 * Security stack of one environment on one site: the IP sets and security groups the VMs'
 * firewalls use, from the flow matrix (modules/proxmox/plan/firewall.ts, EXG_ART_1.2).
 */
import type { Construct } from 'constructs';
import { FirewallIpset, SecurityGroup } from '../modules/proxmox/bindings/index.ts';
import type { SiteFirewallPlan } from '../modules/proxmox/plan/firewall.ts';
import { tfId } from '../modules/proxmox/plan/ids.ts';
import { ProxmoxStack } from './base.ts';
import type { ClusterStack } from './cluster.ts';
import type { StackOptions } from './options.ts';

export class SecurityStack extends ProxmoxStack {
  constructor(scope: Construct, name: string, environment: string, site: string, plan: SiteFirewallPlan, cluster: ClusterStack, opts: StackOptions) {
    super(scope, { name, layer: 'security', cluster: cluster.meta.cluster, site, environment }, opts);
    this.addDependency(cluster); // the admin-workstations alias
    const ipsets = plan.ipsets.map(
      (s) => new FirewallIpset(this, tfId('ipset', s.name), { name: s.name, comment: s.comment, cidr: s.cidrs.map((ip) => ({ name: ip })) }),
    );
    for (const g of plan.groups) {
      new SecurityGroup(
        this,
        tfId('sg', g.name),
        {
          name: g.name,
          comment: g.comment,
          rule: g.rules.map((r) => ({
            type: r.type,
            action: r.action,
            ...(r.type === 'in' ? { source: r.peer } : { dest: r.peer }),
            proto: r.proto,
            dport: r.dport,
            iface: r.iface,
            comment: r.comment,
            enabled: true,
          })),
        },
        { dependsOn: ipsets },
      );
    }
  }
}
