/**
 * What the netns data plane calls things on the host. Every namespace it makes starts with the
 * server's prefix, so several servers share a host and a cleanup takes only its own.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_PREFIX = 'enp-';

/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1). */
const IFNAME_MAX = 15;

/** Letters, digits and dashes, short enough that `<prefix><id>` stays a tidy file name under /run/netns. */
export function checkPrefix(prefix: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,15}$/.test(prefix)) {
    throw new Error(`--netns-prefix: "${prefix}" must be 1 to 16 lower-case letters, digits or dashes, starting with a letter or digit`);
  }
  return prefix;
}

export function instanceNs(prefix: string, instanceId: string): string {
  return `${prefix}${instanceId}`;
}

/** A VPC's fabric: its subnets' bridges and the router between them. */
export function fabricNs(prefix: string, vpcId: string): string {
  return `${prefix}${vpcId}`;
}

/** The ENI's link inside the instance: the guest's NIC at that device index (the primary is eth0). */
export function guestLink(deviceIndex: number): string {
  return `eth${deviceIndex}`;
}

/** The ENI's end on its subnet's bridge, in the fabric. */
export function fabricLink(eniId: string): string {
  return short('v-', eniId);
}

export function bridgeOf(subnetId: string): string {
  return short('br-', subnetId);
}

/**
 * The gateway's MAC on a subnet's bridge: fixed, as a VPC's is. Left to itself a Linux bridge takes
 * the lowest MAC among its ports, so it would change as ENIs come and go and every guest's ARP
 * entry for the gateway would point nowhere until it aged out. Locally administered, unicast.
 */
export function gatewayMac(subnetId: string): string {
  const h = createHash('sha1').update(`gateway ${subnetId}`).digest();
  return ['02', ...[0, 1, 2, 3, 4].map((i) => h[i]!.toString(16).padStart(2, '0'))].join(':');
}

/** `<head><the id without its kind prefix>` when it fits an interface name, else a hash of the id. */
function short(head: string, id: string): string {
  const tail = id.slice(id.indexOf('-') + 1);
  if (head.length + tail.length <= IFNAME_MAX && /^[a-z0-9]+$/.test(tail)) return head + tail;
  return head + createHash('sha1').update(id).digest('hex').slice(0, IFNAME_MAX - head.length);
}
