/**
 * Shared conventions of the topology → renderer-input adapter (one file per service here):
 * TLS file locations, secret names, addresses and per-(topology, profile) memoisation. Pure.
 *
 * TLS: every guest gets, at first boot and before its services start, a server certificate
 * (SANs: the guest's FQDN and every NIC address, the addresses also as DNS SANs because
 * pgBackRest 2.45 matches only CN/DNS SANs) and a client certificate (CN = the guest name)
 * issued by the platform PKI, under /etc/hds/tls/; the lab issues the same pair per guest from
 * its own CA. Key files are group-readable by the service users (postgres, etcd, haproxy,
 * prometheus, www-data): the enrolment sets that. The WAF's public certificate (RGS) is a
 * separate pair.
 */
import { inCidr } from '../../model/cidr.ts';
import type { Guest, Topology } from '../../model/topology.ts';
import type { Zone } from '../../model/types.ts';
import { secretRef } from '../secrets.ts';
import type { ConfigService, GuestFile, RenderedFile } from '../types.ts';
import type { DeploymentProfile } from './profile.ts';

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

/** `path` (absolute, production) as it lands on `g` under profile `p`. */
export function at(p: DeploymentProfile, g: Pick<Guest, 'name'>, path: string): string {
  return `${p.root(g)}${path}`;
}

export function serverTls(p: DeploymentProfile, g: Pick<Guest, 'name'>) {
  return { certFile: at(p, g, TLS.serverCert), keyFile: at(p, g, TLS.serverKey), caFile: at(p, g, TLS.caFile) };
}

export function clientTls(p: DeploymentProfile, g: Pick<Guest, 'name'>) {
  return { certFile: at(p, g, TLS.clientCert), keyFile: at(p, g, TLS.clientKey) };
}

/** `@@secret:<env>/<cluster>/<name>#<field>@@`: resolved at first boot (production) or by the lab. */
export function envSecret(t: Topology, cluster: string, name: string, field = 'password'): string {
  return secretRef(`${t.environment.name}/${cluster}/${name}`, field);
}

/** The zone of the NIC carrying the guest's service traffic (its first NIC, topology.ts). */
export function serviceZone(g: Guest): Zone {
  const n = g.nics[0];
  if (!n) throw new Error(`${g.name} has no NIC`);
  return n.zone;
}

/** The address of the guest's service NIC under profile `p`. */
export function serviceAddress(p: DeploymentProfile, g: Guest): string {
  return p.address(g, serviceZone(g));
}

/** The zone subnet (CIDR) holding an address of the topology. */
export function zoneSubnetOf(t: Topology, ip: string): string {
  const z = t.zones.find((x) => inCidr(ip, x.cidr));
  if (!z) throw new Error(`no zone subnet of ${t.environment.name} holds ${ip}`);
  return z.cidr;
}

/** Places a renderer's file at `path` on the guest; content and mode stay the renderer's, byte for byte. */
export function place(f: RenderedFile | undefined, path: string, what: string, service: ConfigService, owner?: string): GuestFile {
  if (!f) throw new Error(`renderer output lacks ${what}`);
  return { path, content: f.content, ...(f.mode !== undefined ? { mode: f.mode } : {}), service, ...(owner ? { owner } : {}) };
}

/** Per-(topology, profile) memo: a renderer input (and output) shared by many guests is built once. */
export function memo<T>(build: (t: Topology, p: DeploymentProfile) => T): (t: Topology, p: DeploymentProfile) => T {
  const cache = new WeakMap<Topology, Map<DeploymentProfile, T>>();
  return (t, p) => {
    let byProfile = cache.get(t);
    if (!byProfile) {
      byProfile = new Map();
      cache.set(t, byProfile);
    }
    let v = byProfile.get(p);
    if (v === undefined) {
      v = build(t, p);
      byProfile.set(p, v);
    }
    return v;
  };
}
