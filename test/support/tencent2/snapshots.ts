// "Nothing changed" through API 2.0's eyes: a snapshot of what 2.0 shows, and `unchanged`.

import assert from 'node:assert/strict';
import { ok2, type Session2 } from './client.ts';
import { allEnis2 } from './waits.ts';

/** What 2.0 shows: every ENI, every instance, every VPC and subnet; for before/after comparisons. */
export async function snapshot2(s: Session2): Promise<unknown> {
  const ins = ok2(await s.c.cvm({ Action: 'DescribeInstances', limit: 100 }));
  const vpcs = ok2(await s.c.vpc({ Action: 'DescribeVpcEx', limit: 100 }));
  const subnets = ok2(await s.c.vpc({ Action: 'DescribeSubnetEx', limit: 100 }));
  return { enis: await allEnis2(s), instances: ins.instanceSet, totalInstances: ins.totalCount, vpcs: vpcs.data, subnets: subnets.data };
}

/** Run `refuse`, then prove that 2.0 shows exactly what it showed before. Returns the refusal. */
export async function unchanged<T>(s: Session2, refuse: () => Promise<T>): Promise<T> {
  const before = await snapshot2(s);
  const out = await refuse();
  assert.deepEqual(await snapshot2(s), before, 'a refused call must change nothing');
  return out;
}
