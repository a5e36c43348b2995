/**
 * Shared conventions of the topology → renderer-input adapters (one file per service here):
 * production paths, ports, TLS file locations, role names and secret references. Pure: no I/O.
 *
 * TLS: every guest gets, at first boot and before its services start, a server certificate
 * (SANs: the guest's FQDN and every NIC address, the addresses also as DNS SANs because
 * pgBackRest 2.45 matches only CN/DNS SANs, as in the lab) and a client certificate (CN = the
 * guest name) issued by the platform PKI, under /etc/hds/tls/. Key files are group-readable by
 * the service users (postgres, etcd, haproxy, prometheus, www-data): the enrolment sets that.
 * The WAF's public certificate (RGS) is a separate pair.
 */
import type { Guest, Nic, Topology } from '../../model/topology.ts';
import type { Zone } from '../../model/types.ts';
import { secretRef } from '../../proxmox/cloudinit/secrets.ts';
import { SERVICE_PORTS } from '../ports.ts';
import type { RenderedFile } from '../types.ts';

/** Production listens on the same ports as the lab (modules/services/ports.ts); the WAF and the ingress on 443. */
export const PORTS = { ...SERVICE_PORTS, waf: 443, ingress: 443 } as const;

export const TLS = {
  dir: '/etc/hds/tls',
  caFile: '/etc/hds/tls/ca.crt',
  serverCert: '/etc/hds/tls/server.crt',
  serverKey: '/etc/hds/tls/server.key',
  clientCert: '/etc/hds/tls/client.crt',
  clientKey: '/etc/hds/tls/client.key',
  /** The WAF's public endpoint (RGS certificate, EXG_SEC_4.2), not the platform PKI. */
  publicCert: '/etc/hds/tls/public.crt',
  publicKey: '/etc/hds/tls/public.key',
} as const;

export const serverTls = { certFile: TLS.serverCert, keyFile: TLS.serverKey, caFile: TLS.caFile };
export const clientTls = { certFile: TLS.clientCert, keyFile: TLS.clientKey };

/** PostgreSQL role names: the lab's (modules/lab/endpoints.ts roleNames), asserted equal in the tests. */
export function roleNames(domain: string) {
  return { superuser: 'postgres', replication: 'replicator', rewind: 'rewind_user', app: `${domain}_app`, restApi: 'patroni' };
}

/** `@@secret:<env>/<cluster>/<name>#<field>@@`, resolved at first boot by hds-secrets. */
export function envSecret(t: Topology, cluster: string, name: string, field = 'password'): string {
  return secretRef(`${t.environment.name}/${cluster}/${name}`, field);
}

export function nicOf(g: Guest, zone: Zone): Nic {
  const n = g.nics.find((x) => x.zone === zone);
  if (!n) throw new Error(`${g.name} has no NIC in the ${zone} zone`);
  return n;
}

/** The NIC carrying the service's traffic (the first one, topology.ts). */
export function serviceNic(g: Guest): Nic {
  const n = g.nics[0];
  if (!n) throw new Error(`${g.name} has no NIC`);
  return n;
}

export const isPgData = (g: Guest) => g.service === 'postgresql' && (g.role === 'primary' || g.role === 'standby') && g.domain !== undefined;

/** The business domains of the environment, in model order (HAProxy port i ↔ domain i, as in the lab). */
export function pgDomains(t: Topology): string[] {
  const out: string[] = [];
  for (const g of t.guests) if (isPgData(g) && !out.includes(g.domain!)) out.push(g.domain!);
  return out;
}

/** Data nodes of a domain, primary first. */
export function pgNodes(t: Topology, domain: string): Guest[] {
  return t.guests.filter((g) => isPgData(g) && g.domain === domain).sort((a, b) => (a.role === b.role ? 0 : a.role === 'primary' ? -1 : 1));
}

/** The zone subnet (CIDR) holding an address. */
export function zoneSubnetOf(t: Topology, ip: string): string {
  const z = t.zones.find((x) => inCidr(ip, x.cidr));
  if (!z) throw new Error(`no zone subnet of ${t.environment.name} holds ${ip}`);
  return z.cidr;
}

function toInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(len));
  const base = toInt(net);
  const x = toInt(ip);
  return x >= base && x < base + size;
}

/** Places a renderer's file at its production path; the content (and mode) stay the renderer's, byte for byte. */
export function place(f: RenderedFile | undefined, path: string, what: string): RenderedFile {
  if (!f) throw new Error(`renderer output lacks ${what}`);
  return { ...f, path };
}

/** Per-topology memo: a renderer input (and output) shared by many guests is built once. */
export function memo<T>(build: (t: Topology) => T): (t: Topology) => T {
  const cache = new WeakMap<Topology, T>();
  return (t) => {
    let v = cache.get(t);
    if (v === undefined) {
      v = build(t);
      cache.set(t, v);
    }
    return v;
  };
}
