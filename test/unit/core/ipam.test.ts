import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allocateIps, checkRequestedIp, cidrContainsIp, cidrSize, cidrsOverlap, cidrWithin, formatIpv4,
  isAllowedVpcCidr, parseCidr, parseIpv4, reservedAddresses, usableCount, type Cidr,
} from '../../../src/core/ipam.ts';

const cidr = (s: string): Cidr => {
  const c = parseCidr(s);
  assert.ok(c, `test fixture ${s} should parse`);
  return c;
};
const ip = (s: string): number => {
  const n = parseIpv4(s);
  assert.ok(n !== undefined, `test fixture ${s} should parse`);
  return n;
};

test('parseIpv4 reads dotted quads as uint32 and formatIpv4 round-trips', () => {
  assert.equal(parseIpv4('0.0.0.0'), 0);
  assert.equal(parseIpv4('10.0.0.1'), 0x0a000001);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIpv4('192.168.1.200'), 3232235976);
  for (const s of ['0.0.0.0', '10.1.2.3', '172.31.255.254', '255.255.255.255']) {
    assert.equal(formatIpv4(ip(s)), s);
  }
});

test('parseIpv4 rejects malformed addresses', () => {
  for (const s of [
    '', '10.0.0', '10.0.0.0.0', '10.0.0.256', '010.0.0.1', '10.00.0.1', '1.2.3.-1', ' 10.0.0.1',
    '10.0.0.1 ', '10..0.1', 'a.b.c.d', '10.0.0.1/24', '0x0a.0.0.1', '1e1.0.0.1', '+1.0.0.1',
  ]) {
    assert.equal(parseIpv4(s), undefined, s);
  }
});

test('parseCidr accepts network addresses and canonicalises', () => {
  assert.deepEqual(parseCidr('10.0.0.0/16'), { network: 0x0a000000, prefix: 16, text: '10.0.0.0/16' });
  assert.deepEqual(parseCidr('0.0.0.0/0'), { network: 0, prefix: 0, text: '0.0.0.0/0' });
  assert.deepEqual(parseCidr('10.1.2.3/32'), { network: 0x0a010203, prefix: 32, text: '10.1.2.3/32' });
});

test('parseCidr rejects malformed input and host bits', () => {
  for (const s of [
    '10.0.0.0', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/024', '10.0.0.0/2 4',
    '10.0.0/24', '10.0.0.0/24/1', '/24', '10.0.0.1/24', '10.0.0.128/24', '192.168.1.0/16', '10.0.0.16/27',
  ]) {
    assert.equal(parseCidr(s), undefined, s);
  }
});

test('size, containment, within and overlap', () => {
  const vpc = cidr('10.0.0.0/16');
  assert.equal(cidrSize(cidr('10.0.0.0/24')), 256);
  assert.equal(cidrSize(vpc), 65536);
  assert.equal(cidrSize(cidr('0.0.0.0/0')), 2 ** 32);

  assert.equal(cidrContainsIp(vpc, ip('10.0.255.255')), true);
  assert.equal(cidrContainsIp(vpc, ip('10.1.0.0')), false);
  assert.equal(cidrContainsIp(vpc, ip('9.255.255.255')), false);
  assert.equal(cidrContainsIp(cidr('0.0.0.0/0'), ip('255.255.255.255')), true);

  assert.equal(cidrWithin(cidr('10.0.3.0/24'), vpc), true);
  assert.equal(cidrWithin(vpc, vpc), true, 'equal is allowed');
  assert.equal(cidrWithin(vpc, cidr('10.0.3.0/24')), false);
  assert.equal(cidrWithin(cidr('10.1.0.0/24'), vpc), false);

  assert.equal(cidrsOverlap(cidr('10.0.0.0/24'), cidr('10.0.0.128/25')), true);
  assert.equal(cidrsOverlap(cidr('10.0.0.128/25'), cidr('10.0.0.0/24')), true);
  assert.equal(cidrsOverlap(cidr('10.0.0.0/24'), cidr('10.0.1.0/24')), false);
  assert.equal(cidrsOverlap(cidr('10.0.0.0/25'), cidr('10.0.0.128/25')), false);
  assert.equal(cidrsOverlap(vpc, vpc), true);
});

test('VPC CIDR must be private with mask /12../28 (/16../28 in 192.168)', () => {
  const allowed = ['10.0.0.0/12', '10.16.0.0/16', '10.0.0.0/28', '172.16.0.0/12', '172.31.255.240/28',
    '192.168.0.0/16', '192.168.10.0/24'];
  const rejected = ['10.0.0.0/8', '10.0.0.0/11', '10.0.0.0/29', '172.0.0.0/12', '172.32.0.0/16',
    '192.168.0.0/15', '192.168.0.0/29', '11.0.0.0/16', '100.64.0.0/16', '192.169.0.0/16', '0.0.0.0/0'];
  for (const s of allowed) assert.equal(isAllowedVpcCidr(cidr(s)), true, s);
  for (const s of rejected) assert.equal(isAllowedVpcCidr(cidr(s)), false, s);
});

test('three reserved addresses: network, gateway, broadcast', () => {
  const c = cidr('10.0.1.0/24');
  assert.deepEqual(reservedAddresses(c).map(formatIpv4), ['10.0.1.0', '10.0.1.1', '10.0.1.255']);
  assert.equal(usableCount(c), 253);
  assert.equal(usableCount(cidr('10.0.1.0/28')), 13);
  assert.equal(usableCount(cidr('10.0.0.0/16')), 65533);

  assert.equal(checkRequestedIp(c, ip('10.0.1.0')), 'reserved');
  assert.equal(checkRequestedIp(c, ip('10.0.1.1')), 'reserved');
  assert.equal(checkRequestedIp(c, ip('10.0.1.255')), 'reserved');
  assert.equal(checkRequestedIp(c, ip('10.0.1.2')), 'ok');
  assert.equal(checkRequestedIp(c, ip('10.0.1.254')), 'ok');
  assert.equal(checkRequestedIp(c, ip('10.0.2.2')), 'outside');
  assert.equal(checkRequestedIp(c, ip('10.0.0.255')), 'outside');
});

test('allocateIps hands out the lowest free addresses, skipping reserved and used', () => {
  const c = cidr('10.0.1.0/24');
  assert.deepEqual(allocateIps(c, new Set(), 3).map(formatIpv4), ['10.0.1.2', '10.0.1.3', '10.0.1.4']);
  const used = new Set([ip('10.0.1.2'), ip('10.0.1.4'), ip('192.168.0.3')]);
  assert.deepEqual(allocateIps(c, used, 3).map(formatIpv4), ['10.0.1.3', '10.0.1.5', '10.0.1.6']);
  assert.deepEqual(allocateIps(c, used, 0), []);
  assert.deepEqual(allocateIps(c, used, -1), []);
});

test('a /28 holds exactly 13 addresses and then is exhausted', () => {
  const c = cidr('10.0.1.16/28');
  const all = allocateIps(c, new Set(), 100);
  assert.equal(all.length, 13);
  assert.equal(formatIpv4(all[0]!), '10.0.1.18');
  assert.equal(formatIpv4(all[12]!), '10.0.1.30');
  const used = new Set(all.slice(0, 12));
  assert.deepEqual(allocateIps(c, used, 5).map(formatIpv4), ['10.0.1.30']);
  assert.deepEqual(allocateIps(c, new Set(all), 1), []);
});

test('allocateIps finds the next free addresses in a /16 with many used', () => {
  const c = cidr('10.0.0.0/16');
  const used = new Set<number>();
  for (let i = 2; i < 60_002; i++) used.add(c.network + i);
  const got = allocateIps(c, used, 10);
  assert.deepEqual(got.map(formatIpv4).slice(0, 2), ['10.0.234.98', '10.0.234.99']);
  assert.equal(got.length, 10);
  // The final address before broadcast is still handed out when everything else is taken.
  const nearlyFull = new Set<number>();
  for (let i = 2; i < 65_534; i++) nearlyFull.add(c.network + i);
  assert.deepEqual(allocateIps(c, nearlyFull, 2).map(formatIpv4), ['10.0.255.254']);
});

// ---- afterNetwork: how many addresses after the network are reserved (JD Cloud: gateway and DHCP = 2) ----

test('afterNetwork defaults to 1 (Tencent): the same answers as passing 1', () => {
  const c = cidr('10.0.1.0/24');
  assert.deepEqual(reservedAddresses(c), reservedAddresses(c, 1));
  assert.equal(usableCount(c), usableCount(c, 1));
  assert.deepEqual(allocateIps(c, new Set(), 2), allocateIps(c, new Set(), 2, 1));
});

test('afterNetwork=2: four reserved addresses (network, gateway, DHCP, broadcast), 252 usable in a /24', () => {
  const c = cidr('10.0.1.0/24');
  assert.deepEqual(reservedAddresses(c, 2).map(formatIpv4), ['10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.255']);
  assert.equal(usableCount(c, 2), 252);
  assert.equal(usableCount(cidr('10.0.1.16/28'), 2), 12);
  assert.equal(usableCount(cidr('10.0.0.0/16'), 2), 65532);
  assert.equal(usableCount(cidr('172.16.0.0/12'), 2), 2 ** 20 - 4);

  assert.equal(checkRequestedIp(c, ip('10.0.1.0'), 2), 'reserved');
  assert.equal(checkRequestedIp(c, ip('10.0.1.1'), 2), 'reserved');
  assert.equal(checkRequestedIp(c, ip('10.0.1.2'), 2), 'reserved');
  assert.equal(checkRequestedIp(c, ip('10.0.1.255'), 2), 'reserved');
  assert.equal(checkRequestedIp(c, ip('10.0.1.3'), 2), 'ok');
  assert.equal(checkRequestedIp(c, ip('10.0.1.254'), 2), 'ok');
  assert.equal(checkRequestedIp(c, ip('10.0.2.3'), 2), 'outside');
  // The same address is fine where only the gateway is reserved.
  assert.equal(checkRequestedIp(c, ip('10.0.1.2'), 1), 'ok');
});

test('afterNetwork=2: allocateIps starts at network+3 and skips reserved and used', () => {
  const c = cidr('10.0.1.0/24');
  assert.deepEqual(allocateIps(c, new Set(), 3, 2).map(formatIpv4), ['10.0.1.3', '10.0.1.4', '10.0.1.5']);
  const used = new Set([ip('10.0.1.3'), ip('10.0.1.5'), ip('10.0.1.2')]);
  assert.deepEqual(allocateIps(c, used, 2, 2).map(formatIpv4), ['10.0.1.4', '10.0.1.6']);
  // A subnet not starting at .0: the reservation is relative to its own network address.
  assert.deepEqual(allocateIps(cidr('10.0.1.64/26'), new Set(), 1, 2).map(formatIpv4), ['10.0.1.67']);
  assert.deepEqual(reservedAddresses(cidr('10.0.1.64/26'), 2).map(formatIpv4), ['10.0.1.64', '10.0.1.65', '10.0.1.66', '10.0.1.127']);
});

test('afterNetwork=2: a /28 holds exactly 12 addresses and then is exhausted', () => {
  const c = cidr('10.0.1.16/28');
  const all = allocateIps(c, new Set(), 100, 2);
  assert.equal(all.length, 12);
  assert.equal(formatIpv4(all[0]!), '10.0.1.19');
  assert.equal(formatIpv4(all[11]!), '10.0.1.30');
  assert.deepEqual(allocateIps(c, new Set(all), 1, 2), []);
});

test('reserved addresses are deduplicated and clipped for tiny blocks, whatever afterNetwork', () => {
  // /30: with 1 after the network one address is usable; with 2 none is.
  assert.deepEqual(reservedAddresses(cidr('10.0.0.0/30'), 1).map(formatIpv4), ['10.0.0.0', '10.0.0.1', '10.0.0.3']);
  assert.equal(usableCount(cidr('10.0.0.0/30'), 1), 1);
  assert.deepEqual(reservedAddresses(cidr('10.0.0.0/30'), 2).map(formatIpv4), ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
  assert.equal(usableCount(cidr('10.0.0.0/30'), 2), 0);
  assert.deepEqual(allocateIps(cidr('10.0.0.0/30'), new Set(), 5, 2), []);
  // /31 and /32: never counted below zero, never beyond the block.
  assert.deepEqual(reservedAddresses(cidr('10.0.0.0/31'), 2).map(formatIpv4), ['10.0.0.0', '10.0.0.1']);
  assert.equal(usableCount(cidr('10.0.0.0/31'), 2), 0);
  assert.deepEqual(reservedAddresses(cidr('10.0.0.7/32'), 2).map(formatIpv4), ['10.0.0.7']);
  assert.equal(usableCount(cidr('10.0.0.7/32'), 2), 0);
  // afterNetwork=0: only network and broadcast.
  assert.deepEqual(reservedAddresses(cidr('10.0.1.0/24'), 0).map(formatIpv4), ['10.0.1.0', '10.0.1.255']);
  assert.equal(usableCount(cidr('10.0.1.0/24'), 0), 254);
});
