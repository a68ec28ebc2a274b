// Builders of the JD Cloud fixtures through the official SDK.

import { JD_AZ_A, type JdClients, type JdNetworkInterface, type JdNetworkInterfaceSpec } from './client.ts';
import { waitEniOn, waitStatus } from './waits.ts';

export async function createVpc(c: JdClients, cidr: string, name = 'jd-vpc'): Promise<string> {
  return (await c.vpc.createVpc({ vpcName: name, addressPrefix: cidr })).result.vpcId;
}

export async function createSubnet(c: JdClients, vpcId: string, cidr: string, name = `sn-${cidr.replace(/[./]/g, '-')}`): Promise<string> {
  return (await c.vpc.createSubnet({ vpcId, subnetName: name, addressPrefix: cidr })).result.subnetId;
}

export async function createEni(c: JdClients, subnetId: string, extra: Partial<JdNetworkInterfaceSpec> = {}): Promise<string> {
  return (await c.vpc.createNetworkInterface({ subnetId, ...extra })).result.networkInterfaceId;
}

export async function createInstancesNoWait(
  c: JdClients,
  subnetId: string,
  opts: { az?: string; instanceType?: string; name?: string; count?: number; primaryIpAddress?: string; securityGroups?: string[] } = {},
): Promise<string[]> {
  const res = await c.vm.createInstances({
    instanceSpec: {
      az: opts.az ?? JD_AZ_A,
      instanceType: opts.instanceType ?? 'g.n2.xlarge',
      imageId: 'img-eniplane01',
      name: opts.name ?? 'jd-instance',
      primaryNetworkInterface: {
        networkInterface: { subnetId, ...(opts.primaryIpAddress ? { primaryIpAddress: opts.primaryIpAddress } : {}), ...(opts.securityGroups ? { securityGroups: opts.securityGroups } : {}) },
      },
    },
    maxCount: opts.count ?? 1,
  });
  return res.result.instanceIds;
}

export async function createInstances(c: JdClients, subnetId: string, opts: Parameters<typeof createInstancesNoWait>[2] = {}): Promise<string[]> {
  const ids = await createInstancesNoWait(c, subnetId, opts);
  for (const id of ids) await waitStatus(c, id, 'running');
  return ids;
}

export async function attach(c: JdClients, instanceId: string, eniId: string, autoDelete?: boolean): Promise<JdNetworkInterface> {
  await c.vm.attachNetworkInterface({ instanceId, networkInterfaceId: eniId, ...(autoDelete === undefined ? {} : { autoDelete }) });
  return waitEniOn(c, eniId, instanceId);
}
