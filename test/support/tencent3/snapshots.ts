// "Nothing changed": a snapshot of everything an account can see through API 3.0, and `refused`,
// which proves a refused call left every observer's world as it was and queued no task.

import assert from 'node:assert/strict';
import { expectTcError, type Session, type TcError } from './client.ts';

export interface Snapshot {
  vpcs: unknown[];
  subnets: unknown[];
  enis: unknown[];
  instances: unknown[];
  /** Each group with its rules. */
  securityGroups: unknown[];
}

/** Everything the session's account can see in its region, in a deterministic order. */
export async function snapshot(s: Session): Promise<Snapshot> {
  const [vpcs, subnets, enis, instances, groups] = await Promise.all([
    s.vpc.DescribeVpcs({ Limit: '100' }),
    s.vpc.DescribeSubnets({ Limit: '100' }),
    s.vpc.DescribeNetworkInterfaces({ Limit: 100 }),
    s.cvm.DescribeInstances({ Limit: 100 }),
    s.vpc.DescribeSecurityGroups({ Limit: '100' }),
  ]);
  assert.equal(groups.SecurityGroupSet!.length, groups.TotalCount);
  const securityGroups = await Promise.all(
    [...groups.SecurityGroupSet!]
      .sort((a, b) => (a.SecurityGroupId! < b.SecurityGroupId! ? -1 : 1))
      .map(async (g) => ({ ...g, policies: (await s.vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: g.SecurityGroupId! })).SecurityGroupPolicySet })),
  );
  // Every list must fit in one page, or the snapshot would silently miss things.
  assert.equal(vpcs.VpcSet!.length, vpcs.TotalCount);
  assert.equal(subnets.SubnetSet!.length, subnets.TotalCount);
  assert.equal(enis.NetworkInterfaceSet!.length, enis.TotalCount);
  assert.equal(instances.InstanceSet!.length, instances.TotalCount);
  const byKey = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return {
    vpcs: [...vpcs.VpcSet!].sort(byKey((v) => v.VpcId!)),
    subnets: [...subnets.SubnetSet!].sort(byKey((v) => v.SubnetId!)),
    enis: [...enis.NetworkInterfaceSet!].sort(byKey((v) => v.NetworkInterfaceId!)),
    instances: [...instances.InstanceSet!].sort(byKey((v) => v.InstanceId!)),
    securityGroups,
  };
}

/** The error's RequestId names no task: a refused call must not have queued anything. */
export async function assertNoTask(s: Session, err: TcError): Promise<void> {
  assert.ok(err.requestId, `the error ${err.code} should carry a RequestId`);
  await expectTcError(s.vpc.DescribeVpcTaskResult({ TaskId: err.requestId }), 'ResourceNotFound');
}

/**
 * Run `call`, expect exactly `code`, and prove that nothing the account can see changed and that
 * no task was created. Returns the error for further checks.
 */
export async function refused(s: Session, call: () => Promise<unknown>, code: string, observers: Session[] = []): Promise<TcError> {
  const all = [s, ...observers];
  const before = await Promise.all(all.map(snapshot));
  const err = await expectTcError(call(), code);
  const after = await Promise.all(all.map(snapshot));
  for (let i = 0; i < all.length; i++) {
    assert.deepEqual(after[i], before[i], `${code}: the refused call must change nothing (account ${all[i]!.account.accountId})`);
  }
  await assertNoTask(s, err);
  return err;
}
