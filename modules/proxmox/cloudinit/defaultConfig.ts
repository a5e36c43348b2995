/**
 * The configuration every Linux guest gets whatever its service: its role metadata, time
 * synchronisation, kernel hardening, the node exporter the monitoring flow scrapes (flow
 * monitoring-scrape, port 9100), and for guests that hold data the LUKS2 encryption of their data
 * disk (dataVolume.ts, EXG_SEC_4.2). The service files proper come from the renderers through the
 * `configFor` hook (stacks/serviceConfig.ts), appended after this set (modules/services/fromTopology).
 */
import { PORTS } from '../../model/ports.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import { dataVolumeFiles } from './dataVolume.ts';
import type { ConfigFor, RenderedFile } from './types.ts';

export function roleMetadata(t: Topology, g: Guest): RenderedFile {
  const meta = {
    environment: t.environment.name,
    class: t.environment.class,
    segregation: t.environment.segregation,
    site: g.site,
    service: g.service,
    role: g.role,
    cluster: g.cluster,
    ...(g.domain ? { domain: g.domain } : {}),
    nics: g.nics,
    ...(g.placement ? { placement: g.placement } : {}),
  };
  return { path: '/etc/hds/role.json', content: `${JSON.stringify(meta, null, 2)}\n`, mode: 0o644 };
}

export function chrony(t: Topology, g: Guest): RenderedFile {
  // The admin zone gateway is the site firewall pair, which relays the site's NTP sources.
  const admin = t.zones.find((z) => z.site === g.site && z.zone === 'admin');
  const servers = admin ? [admin.gateway] : [];
  const lines = [
    '# Managed by hds-platform (cloud-init). Time sources: the site firewall pair relays the stratum-1 servers of the datacenter.',
    ...servers.map((s) => `server ${s} iburst`),
    'driftfile /var/lib/chrony/chrony.drift',
    'makestep 1.0 3',
    'rtcsync',
    'cmdport 0',
    '',
  ];
  return { path: '/etc/chrony/conf.d/hds.conf', content: lines.join('\n'), mode: 0o644 };
}

export function sysctlHardening(): RenderedFile {
  const settings: Array<[string, string]> = [
    ['kernel.kptr_restrict', '2'],
    ['kernel.dmesg_restrict', '1'],
    ['kernel.yama.ptrace_scope', '1'],
    ['kernel.unprivileged_bpf_disabled', '1'],
    ['net.core.bpf_jit_harden', '2'],
    ['fs.protected_hardlinks', '1'],
    ['fs.protected_symlinks', '1'],
    ['fs.suid_dumpable', '0'],
    ['net.ipv4.conf.all.accept_redirects', '0'],
    ['net.ipv4.conf.default.accept_redirects', '0'],
    ['net.ipv4.conf.all.send_redirects', '0'],
    ['net.ipv4.conf.all.accept_source_route', '0'],
    ['net.ipv4.conf.all.rp_filter', '1'],
    ['net.ipv4.conf.all.log_martians', '1'],
    ['net.ipv4.icmp_echo_ignore_broadcasts', '1'],
    ['net.ipv4.tcp_syncookies', '1'],
    ['net.ipv6.conf.all.disable_ipv6', '1'],
  ];
  return {
    path: '/etc/sysctl.d/60-hds-hardening.conf',
    content: `# Managed by hds-platform: ANSSI BP-028 kernel settings (IPv6 is not planned, docs/model.md).\n${settings.map(([k, v]) => `${k} = ${v}`).join('\n')}\n`,
    mode: 0o644,
  };
}

export function nodeExporter(g: Guest): RenderedFile {
  const listen = g.nics.find((n) => n.zone === 'admin')?.ip ?? g.nics[0]?.ip ?? '127.0.0.1';
  return {
    path: '/etc/default/prometheus-node-exporter',
    content: `# Managed by hds-platform: listen on the admin NIC only (flow monitoring-scrape, EXG_MON_6).\nARGS="--web.listen-address=${listen}:${PORTS.nodeExporter} --collector.systemd --collector.processes"\n`,
    mode: 0o644,
  };
}

export const defaultConfigFor: ConfigFor = (t, g) => [roleMetadata(t, g), chrony(t, g), sysctlHardening(), nodeExporter(g), ...dataVolumeFiles(t, g)];
