// Builders of the API 2.0 fixtures: VPCs with subnets and ENIs through 2.0, instances through the
// 3.0 SDK (2.0 has no RunInstances), each waiting with a bound until usable.

import assert from 'node:assert/strict';
import { pollUntil } from '../poll.ts';
import { ok2, taskIdOf, type Session2 } from './client.ts';
import { waitTask2 } from './waits.ts';
import { runInstancesNoWait } from '../tencent3/world.ts';

export const ZONE3_ID = 100003; // ap-guangzhou-3
export const ZONE4_ID = 100004; // ap-guangzhou-4
export const MISSING_VPC = 'vpc-zzzzzzzz';
export const MISSING_ENI = 'eni-zzzzzzzz';
export const MISSING_INS = 'ins-zzzzzzzz';

export interface SubnetIn {
  subnetName: string;
  cidrBlock: string;
  zoneId: number;
}

/** CreateVpc (2.0) with subnets; returns the vpc id and the subnet ids in order. */
export async function createVpc2(s: Session2, cidr: string, subnets: SubnetIn[], name = `v2-${cidr}`): Promise<{ vpcId: string; subnetIds: string[] }> {
  const r = ok2(await s.c.vpc({ Action: 'CreateVpc', vpcName: name, cidrBlock: cidr, subnetSet: subnets }), 'CreateVpc');
  assert.equal(r.subnetSet.length, subnets.length, JSON.stringify(r));
  return { vpcId: r.vpcId as string, subnetIds: (r.subnetSet as Array<{ unSubnetId: string }>).map((x) => x.unSubnetId) };
}

/** CreateNetworkInterface (2.0), waiting for its task; returns the new eni- id. */
export async function createEni2(s: Session2, vpcId: string, subnetId: string, name = 'eni2', extra: Record<string, unknown> = {}): Promise<string> {
  const r = ok2(await s.c.vpc({ Action: 'CreateNetworkInterface', vpcId, subnetId, eniName: name, ...extra }), 'CreateNetworkInterface');
  const id = r.data.networkInterfaceId as string;
  assert.match(id, /^eni-[0-9a-z]{8}$/);
  assert.deepEqual(await waitTask2(s.c.vpc, taskIdOf(r, 'CreateNetworkInterface')), { status: 0 }, `create ${id}`);
  return id;
}

/** Instances through the 3.0 SDK (2.0 has no RunInstances), RUNNING. */
export async function instances(s: Session2, vpcId: string, subnetId: string, count: number, type = 'S5.LARGE8', zone = 'ap-guangzhou-3'): Promise<string[]> {
  const ids = await runInstancesNoWait(s.cvm3, { vpcId, subnetId, zone }, count, type);
  await pollUntil(
    async () => {
      const r = ok2(await s.c.cvm({ Action: 'DescribeInstances', instanceIds: ids, limit: 100 }));
      return r.instanceSet.length === count && (r.instanceSet as Array<{ status: number }>).every((i) => i.status === 2);
    },
    { what: `instances ${ids.join(',')} running (2.0 status 2)`, timeoutMs: 15_000 },
  );
  return ids;
}
