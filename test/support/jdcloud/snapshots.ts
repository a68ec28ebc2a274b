// "Nothing changed" through JD Cloud's eyes: a snapshot of everything an account sees, and refusedJd.

import assert from 'node:assert/strict';
import { expectJdError, type JdClients, type JdElasticIp, type JdErrorSeen, type JdInstance, type JdNetworkInterface, type JdSecurityGroup, type JdSubnet, type JdVpc } from './client.ts';

export interface JdSnapshot {
  vpcs: JdVpc[];
  subnets: JdSubnet[];
  enis: JdNetworkInterface[];
  instances: JdInstance[];
  eips: JdElasticIp[];
  securityGroups: JdSecurityGroup[];
}

/** Everything an account can see, each list in one page of 100 (asserted), sorted by id. */
export async function jdSnapshot(c: JdClients): Promise<JdSnapshot> {
  const page = { pageNumber: 1, pageSize: 100 };
  const [v, s, n, i, e, g] = await Promise.all([
    c.vpc.describeVpcs(page),
    c.vpc.describeSubnets(page),
    c.vpc.describeNetworkInterfaces(page),
    c.vm.describeInstances(page),
    c.vpc.describeElasticIps(page),
    c.vpc.describeNetworkSecurityGroups(page),
  ]);
  for (const [what, total] of [['vpcs', v.result.totalCount], ['subnets', s.result.totalCount], ['enis', n.result.totalCount], ['instances', i.result.totalCount], ['eips', e.result.totalCount], ['security groups', g.result.totalCount]] as const) {
    assert.ok(total <= 100, `snapshot: ${what} do not fit one page (${total})`);
  }
  const by = <T>(k: keyof T) => (a: T, b: T) => String(a[k]).localeCompare(String(b[k]));
  return {
    vpcs: [...v.result.vpcs].sort(by<JdVpc>('vpcId')),
    subnets: [...s.result.subnets].sort(by<JdSubnet>('subnetId')),
    enis: [...n.result.networkInterfaces].sort(by<JdNetworkInterface>('networkInterfaceId')),
    instances: [...i.result.instances].sort(by<JdInstance>('instanceId')),
    eips: [...e.result.elasticIps].sort(by<JdElasticIp>('elasticIpId')),
    securityGroups: [...g.result.networkSecurityGroups].sort(by<JdSecurityGroup>('networkSecurityGroupId')),
  };
}

/**
 * Assert `call` is refused with exactly httpCode/status/message and that every observer's snapshot
 * (default: the caller's) is deep-equal before and after.
 */
export async function refusedJd(
  c: JdClients,
  call: () => Promise<unknown>,
  httpCode: number,
  status: string,
  message?: string | RegExp,
  observers: JdClients[] = [],
): Promise<JdErrorSeen> {
  const all = [c, ...observers];
  const before = await Promise.all(all.map(jdSnapshot));
  const seen = await expectJdError(call(), httpCode, status, message);
  const after = await Promise.all(all.map(jdSnapshot));
  for (let k = 0; k < all.length; k++) {
    assert.deepEqual(after[k], before[k], `${httpCode} ${status} ${String(message)}: the refused call must change nothing (observer ${k})`);
  }
  return seen;
}
