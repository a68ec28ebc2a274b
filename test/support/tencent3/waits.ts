// Reads and waits of the API 3.0 fixtures, through the official SDK: every wait goes through
// pollUntil with a bound; nothing here sleeps for a state.

import assert from 'node:assert/strict';
import { pollUntil } from '../poll.ts';
import type { CvmClient, Eni, Instance, VpcClient, VpcModels } from './client.ts';

/** DescribeInstances by id, 100 at a time. */
export async function describeInstances(cvm: CvmClient, ids: string[]): Promise<Instance[]> {
  const out: Instance[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const { InstanceSet } = await cvm.DescribeInstances({ InstanceIds: ids.slice(i, i + 100), Limit: 100 });
    out.push(...(InstanceSet ?? []));
  }
  return out;
}

export async function waitInstances(cvm: CvmClient, ids: string[], state: string, timeoutMs = 15_000): Promise<Instance[]> {
  return pollUntil(
    async () => {
      const set = await describeInstances(cvm, ids);
      return set.length === ids.length && set.every((i) => i.InstanceState === state) ? set : false;
    },
    { what: `instances ${ids.join(',')} ${state}`, timeoutMs },
  );
}

/** The ENI, or undefined when Describe by id no longer returns it. */
export async function getEni(vpc: VpcClient, id: string): Promise<Eni | undefined> {
  const { NetworkInterfaceSet, TotalCount } = await vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: [id] });
  assert.equal(TotalCount, NetworkInterfaceSet!.length);
  return NetworkInterfaceSet![0];
}

export async function mustGetEni(vpc: VpcClient, id: string): Promise<Eni> {
  const e = await getEni(vpc, id);
  assert.ok(e, `ENI ${id} should exist`);
  return e;
}

/** The primary ENI of an instance. */
export async function primaryEniOf(vpc: VpcClient, instanceId: string): Promise<Eni> {
  const { NetworkInterfaceSet } = await vpc.DescribeNetworkInterfaces({
    Filters: [
      { Name: 'attachment.instance-id', Values: [instanceId] },
      { Name: 'is-primary', Values: ['true'] },
    ],
  });
  assert.equal(NetworkInterfaceSet!.length, 1, `instance ${instanceId} should have exactly one primary ENI`);
  return NetworkInterfaceSet![0]!;
}

/** Every ENI of the account in the VPC (paging through DescribeNetworkInterfaces). */
export async function listEnis(vpc: VpcClient, vpcId: string): Promise<Eni[]> {
  const out: Eni[] = [];
  for (let offset = 0; ; offset += 100) {
    const { NetworkInterfaceSet, TotalCount } = await vpc.DescribeNetworkInterfaces({
      Filters: [{ Name: 'vpc-id', Values: [vpcId] }],
      Offset: offset,
      Limit: 100,
    });
    out.push(...NetworkInterfaceSet!);
    if (out.length >= TotalCount! || NetworkInterfaceSet!.length === 0) return out;
  }
}

/** The instance an ENI is attached to or attaching to, as Describe shows it. */
export const holderOf = (e: Eni): string | undefined => e.Attachment?.InstanceId || undefined;

/** Poll DescribeVpcTaskResult until it is no longer RUNNING; return the final status. */
export async function waitTask(vpc: VpcClient, taskId: string, timeoutMs = 15_000): Promise<VpcModels.DescribeVpcTaskResultResponse> {
  return pollUntil(
    async () => {
      const r = await vpc.DescribeVpcTaskResult({ TaskId: taskId });
      return r.Status !== 'RUNNING' ? r : false;
    },
    { what: `task ${taskId} to finish`, timeoutMs },
  );
}

export async function waitTaskSuccess(vpc: VpcClient, taskId: string, timeoutMs = 15_000): Promise<void> {
  const r = await waitTask(vpc, taskId, timeoutMs);
  assert.equal(r.Status, 'SUCCESS', `task ${taskId}: ${r.Output}`);
}

/** Terraform's waitEniReady: ENI present, State AVAILABLE, every IP State AVAILABLE. */
export async function waitEniReady(vpc: VpcClient, id: string, timeoutMs = 15_000): Promise<Eni> {
  return pollUntil(
    async () => {
      const e = await getEni(vpc, id);
      return e && e.State === 'AVAILABLE' && e.PrivateIpAddressSet!.every((p) => p.State === 'AVAILABLE') ? e : false;
    },
    { what: `ENI ${id} ready`, timeoutMs },
  );
}
