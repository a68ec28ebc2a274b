// Shared fixtures for the Tencent API 3.0 contract tests (lifecycle, durability, concurrency): a VPC
// with a subnet and running instances built through the official SDK, plus small polling helpers.
// Every wait goes through pollUntil; nothing here sleeps for state.

import assert from 'node:assert/strict';
import { pollUntil } from '../../support/poll.ts';
import type { CvmClient, CvmModels, VpcClient, VpcModels } from '../../support/tencent.ts';

export const ZONE = 'ap-guangzhou-3';

export type Eni = VpcModels.NetworkInterface;
export type Instance = CvmModels.Instance;

export interface World {
  vpcId: string;
  subnetId: string;
  instanceIds: string[];
}

/** Create a VPC (10.x.0.0/16), one /20 subnet in ZONE and `count` instances of `type`, all RUNNING. */
export async function buildWorld(
  vpc: VpcClient,
  cvm: CvmClient,
  opts: { count: number; type?: string; cidrOctet?: number; timeoutMs?: number },
): Promise<World> {
  const o = opts.cidrOctet ?? 0;
  const { Vpc } = await vpc.CreateVpc({ VpcName: 'ct-vpc', CidrBlock: `10.${o}.0.0/16` });
  const vpcId = Vpc!.VpcId!;
  const { Subnet } = await vpc.CreateSubnet({ VpcId: vpcId, SubnetName: 'ct-subnet', CidrBlock: `10.${o}.0.0/20`, Zone: ZONE });
  const subnetId = Subnet!.SubnetId!;
  const instanceIds = await runInstances(cvm, { vpcId, subnetId }, opts.count, opts.type ?? 'S5.MEDIUM4', opts.timeoutMs);
  return { vpcId, subnetId, instanceIds };
}

export async function runInstances(
  cvm: CvmClient,
  w: { vpcId: string; subnetId: string },
  count: number,
  type: string,
  timeoutMs = 15_000,
): Promise<string[]> {
  const { InstanceIdSet } = await cvm.RunInstances({
    Placement: { Zone: ZONE },
    InstanceType: type,
    InstanceCount: count,
    InstanceName: 'ct-',
    VirtualPrivateCloud: { VpcId: w.vpcId, SubnetId: w.subnetId },
  });
  const ids = InstanceIdSet!;
  assert.equal(ids.length, count);
  await waitInstances(cvm, ids, 'RUNNING', timeoutMs);
  return ids;
}

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

/** Codes an SDK error carries (undefined for transport failures). */
export function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}
