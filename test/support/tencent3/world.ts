// Builders of the API 3.0 fixtures through the official SDK: VPCs, subnets, running instances and
// ready ENIs, each waiting (with a bound) until the resource is usable.

import assert from 'node:assert/strict';
import { ZONE, type CvmClient, type VpcClient } from './client.ts';
import { waitEniReady, waitInstances, waitTaskSuccess } from './waits.ts';

/** What the builders need: one account's clients (a Session is one). */
export interface Tc3Clients {
  vpc: VpcClient;
  cvm: CvmClient;
}

export interface Net {
  vpcId: string;
  subnetId: string;
  /** The subnet's zone, where instances are placed; default ZONE. */
  zone?: string;
}

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
  const c = { vpc, cvm };
  const vpcId = await createVpc(c, `10.${o}.0.0/16`, 'ct-vpc');
  const subnetId = await createSubnet(c, vpcId, `10.${o}.0.0/20`, ZONE, 'ct-subnet');
  const instanceIds = await runInstances(cvm, { vpcId, subnetId }, opts.count, opts.type ?? 'S5.MEDIUM4', opts.timeoutMs);
  return { vpcId, subnetId, instanceIds };
}

export async function createVpc(c: Pick<Tc3Clients, 'vpc'>, cidr: string, name = 'err-vpc'): Promise<string> {
  const { Vpc } = await c.vpc.CreateVpc({ VpcName: name, CidrBlock: cidr });
  return Vpc!.VpcId!;
}

export async function createSubnet(c: Pick<Tc3Clients, 'vpc'>, vpcId: string, cidr: string, zone = ZONE, name = `sn-${cidr}`): Promise<string> {
  const { Subnet } = await c.vpc.CreateSubnet({ VpcId: vpcId, SubnetName: name, CidrBlock: cidr, Zone: zone });
  return Subnet!.SubnetId!;
}

/** RunInstances without waiting; returns the ids. */
export async function runInstancesNoWait(cvm: CvmClient, net: Net, count: number, type: string): Promise<string[]> {
  const { InstanceIdSet } = await cvm.RunInstances({
    Placement: { Zone: net.zone ?? ZONE },
    InstanceType: type,
    InstanceCount: count,
    InstanceName: 'ct-',
    VirtualPrivateCloud: { VpcId: net.vpcId, SubnetId: net.subnetId },
  });
  assert.equal(InstanceIdSet!.length, count);
  return InstanceIdSet!;
}

/** RunInstances, then wait until every instance is RUNNING. */
export async function runInstances(cvm: CvmClient, net: Net, count: number, type: string, timeoutMs = 15_000): Promise<string[]> {
  const ids = await runInstancesNoWait(cvm, net, count, type);
  await waitInstances(cvm, ids, 'RUNNING', timeoutMs);
  return ids;
}

export interface EniSpec {
  secondary?: number;
  ips?: string[];
  name?: string;
}

/** CreateNetworkInterface without waiting. */
export async function createEniNoWait(c: Pick<Tc3Clients, 'vpc'>, net: Net, spec: EniSpec = {}): Promise<{ id: string; requestId: string }> {
  const r = await c.vpc.CreateNetworkInterface({
    VpcId: net.vpcId,
    SubnetId: net.subnetId,
    NetworkInterfaceName: spec.name ?? 'err-eni',
    ...(spec.secondary !== undefined ? { SecondaryPrivateIpAddressCount: spec.secondary } : {}),
    ...(spec.ips ? { PrivateIpAddresses: spec.ips.map((ip) => ({ PrivateIpAddress: ip })) } : {}),
  });
  return { id: r.NetworkInterface!.NetworkInterfaceId!, requestId: r.RequestId! };
}

/** CreateNetworkInterface, then wait for its task and for the ENI and each IP to be AVAILABLE. */
export async function createEni(c: Pick<Tc3Clients, 'vpc'>, net: Net, spec: EniSpec = {}, timeoutMs = 15_000): Promise<string> {
  const { id, requestId } = await createEniNoWait(c, net, spec);
  await waitTaskSuccess(c.vpc, requestId, timeoutMs);
  await waitEniReady(c.vpc, id, timeoutMs);
  return id;
}

/** AttachNetworkInterface, then wait until Describe shows it AVAILABLE on the instance. */
export async function attach(c: Pick<Tc3Clients, 'vpc'>, eniId: string, instanceId: string, timeoutMs = 15_000): Promise<void> {
  const { RequestId } = await c.vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: instanceId });
  await waitTaskSuccess(c.vpc, RequestId!, timeoutMs);
  const e = await waitEniReady(c.vpc, eniId, timeoutMs);
  assert.equal(e.Attachment?.InstanceId, instanceId);
}
