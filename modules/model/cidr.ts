/**
 * IPv4 CIDR arithmetic on unsigned 32-bit integers. Pure and total: parse errors are
 * returned, never thrown, so validation can report every bad value at once.
 *
 * The one IPv4 module of the repository: the model, the Proxmox plans, the service adapters and
 * the lab network all use it (addresses as numbers: parseIpv4/formatIpv4; blocks: Cidr).
 */
export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  network: number;
  prefix: number;
}

export type ParseResult = { ok: true; cidr: Cidr } | { ok: false; reason: string };

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function parseCidr(text: string): ParseResult {
  const [addr, len, extra] = text.split('/');
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d{1,2}$/.test(len)) {
    return { ok: false, reason: `"${text}" is not in a.b.c.d/len form` };
  }
  const ip = parseIpv4(addr);
  const prefix = Number(len);
  if (ip === undefined) return { ok: false, reason: `"${addr}" is not an IPv4 address` };
  if (prefix > 32) return { ok: false, reason: `prefix /${prefix} is longer than 32` };
  if (ip % blockSize(prefix) !== 0) {
    return { ok: false, reason: `"${text}" has host bits set; the network is ${formatCidr(networkOf(ip, prefix))}` };
  }
  return { ok: true, cidr: { network: ip, prefix } };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.network)}/${c.prefix}`;
}

export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** The block of length `prefix` that holds `ip` (host bits cleared): 10.38.1.7, 16 → 10.38.0.0/16. */
export function networkOf(ip: number, prefix: number): Cidr {
  return { network: ip - (ip % blockSize(prefix)), prefix };
}

export function lastAddress(c: Cidr): number {
  return c.network + blockSize(c.prefix) - 1;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.network >= outer.network && lastAddress(inner) <= lastAddress(outer);
}

/** How many subnets of length `prefix` the block holds (0 when prefix is shorter than the block's). */
export function subnetCount(block: Cidr, prefix: number): number {
  return prefix < block.prefix ? 0 : 2 ** (prefix - block.prefix);
}

/** The index-th subnet of length `prefix` inside `block`, or undefined when it does not fit. */
export function subnet(block: Cidr, prefix: number, index: number): Cidr | undefined {
  if (prefix > 32 || !Number.isInteger(index) || index < 0 || index >= subnetCount(block, prefix)) return undefined;
  return { network: block.network + index * blockSize(prefix), prefix };
}

/** Usable host addresses (network and broadcast excluded for prefixes up to /30). */
export function usableHosts(prefix: number): number {
  return prefix >= 31 ? blockSize(prefix) : blockSize(prefix) - 2;
}

/** True when `ip` (a.b.c.d) lies inside `cidr` (a.b.c.d/len); false for anything unparsable. */
export function inCidr(ip: string, cidr: string): boolean {
  const a = parseIpv4(ip);
  const c = parseCidr(cidr);
  if (a === undefined || !c.ok) return false;
  return a >= c.cidr.network && a < c.cidr.network + blockSize(c.cidr.prefix);
}
