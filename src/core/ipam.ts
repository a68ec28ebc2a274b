/**
 * IPv4 address management inside a subnet CIDR.
 *
 * Addresses are plain uint32 numbers so sets, comparisons and arithmetic are cheap; text exists
 * only at the edges (parse on the way in, format on the way out).
 */

export interface Cidr {
  /** Network address as a uint32 (host bits are always zero). */
  network: number;
  prefix: number;
  /** Canonical text, e.g. `10.0.0.0/24`. */
  text: string;
}

// One octet: 0, or 1..255 without leading zeros. Leading zeros are rejected because some parsers
// read `010` as octal (8); accepting it would let two spellings name different addresses.
const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const PREFIX = /^(0|[1-9][0-9]?)$/;

export function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v; // multiply, not shift: `<<` would go negative above 127.x.x.x
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Netmask for a prefix length as a uint32; `<< 32` is a no-op in JS, hence the /0 special case. */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIpv4(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (ip === undefined || !PREFIX.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > 32) return undefined;
  // Host bits set (10.0.0.1/24) is a typo more often than intent; reject rather than silently mask.
  if (((ip & maskOf(prefix)) >>> 0) !== ip) return undefined;
  return { network: ip, prefix, text: `${formatIpv4(ip)}/${prefix}` };
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

function lastAddress(c: Cidr): number {
  return c.network + cidrSize(c) - 1;
}

export function cidrContainsIp(c: Cidr, ip: number): boolean {
  return ip >= c.network && ip <= lastAddress(c);
}

/** inner ⊆ outer; equal CIDRs count (a subnet may span its whole VPC, spec §4.4). */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContainsIp(outer, inner.network);
}

/** Aligned blocks either nest or are disjoint, so overlap means one holds the other's start. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContainsIp(a, b.network) || cidrContainsIp(b, a.network);
}

// Private ranges a VPC may use and the widest mask allowed in each (spec api3 §4.1: /12../28, but
// /16../28 inside 192.168.0.0/16, which is itself only a /16).
const VPC_RANGES: ReadonlyArray<{ range: Cidr; minPrefix: number }> = [
  { range: parseCidr('10.0.0.0/8')!, minPrefix: 12 },
  { range: parseCidr('172.16.0.0/12')!, minPrefix: 12 },
  { range: parseCidr('192.168.0.0/16')!, minPrefix: 16 },
];
const VPC_MAX_PREFIX = 28;

export function isAllowedVpcCidr(c: Cidr): boolean {
  if (c.prefix > VPC_MAX_PREFIX) return false;
  return VPC_RANGES.some((r) => c.prefix >= r.minPrefix && cidrWithin(c, r.range));
}

/**
 * Network, the `afterNetwork` addresses after it (Tencent: the gateway; JD Cloud: gateway and
 * DHCP) and broadcast. Tencent spec §6.4 infers 3 reserved addresses from "/24 → 253 available";
 * which three is unconfirmed, these are the conventional ones.
 * Deduplicated so a /31 or /32 (never a valid subnet, but harmless) does not over-count.
 */
export function reservedAddresses(c: Cidr, afterNetwork = 1): number[] {
  const head = Array.from({ length: afterNetwork + 1 }, (_, i) => c.network + i);
  return [...new Set([...head, lastAddress(c)])].filter((ip) => ip <= lastAddress(c));
}

export function usableCount(c: Cidr, afterNetwork = 1): number {
  return Math.max(0, cidrSize(c) - reservedAddresses(c, afterNetwork).length);
}

export type IpCheck = 'ok' | 'outside' | 'reserved';

/** Validity of a caller-chosen address; whether it is already taken is the caller's question. */
export function checkRequestedIp(c: Cidr, ip: number, afterNetwork = 1): IpCheck {
  if (!cidrContainsIp(c, ip)) return 'outside';
  if (reservedAddresses(c, afterNetwork).includes(ip)) return 'reserved';
  return 'ok';
}

/**
 * Lowest free usable addresses; returns fewer than count if the subnet is exhausted. `used` holds
 * uint32s already taken (entries outside the subnet are ignored).
 *
 * Walks upward from the first usable address and stops as soon as it has `count`, so the cost is
 * O(used + count) even in a /16: no range array is built.
 */
export function allocateIps(c: Cidr, used: ReadonlySet<number>, count: number, afterNetwork = 1): number[] {
  const out: number[] = [];
  if (count <= 0) return out;
  const reserved = new Set(reservedAddresses(c, afterNetwork));
  const last = lastAddress(c);
  for (let ip = c.network; ip <= last && out.length < count; ip++) {
    if (!reserved.has(ip) && !used.has(ip)) out.push(ip);
  }
  return out;
}
