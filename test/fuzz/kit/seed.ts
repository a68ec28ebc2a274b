// The seeded world: real resources of each provider whose ids the fuzz mixes into parameters.

import { type AccountInfo, type RunningServer } from '../../support/server.ts';
import { createJdAccount, type JdAccount } from '../../support/jdcloud/client.ts';
import { type StateProbe } from './probe.ts';
import { buildJd, buildT3, type JdKeys, type Keys } from './sign.ts';
import { send, type WireIn } from './wire.ts';


// ================================================================================================
// The world: real resources whose ids the fuzz mixes into parameters.

export interface Pools {
  vpc: string[];
  subnet: string[];
  instance: string[];
  eni: string[];
  eip: string[];
  eipAddress: string[];
  /** Security groups of the account (one with members, one without). */
  securityGroup: string[];
  ip: string[];
  task: string[];
  taskSeq: number[];
  zone: string[];
  cidr: string[];
  instanceType: string[];
  /** Ids that belong to another account of the same provider. */
  foreign: string[];
  /** Names a filter may carry. */
  filterNames: string[];
}

const errorOf = (res: WireIn) => `HTTP ${res.status} ${res.text.slice(0, 800)}`;

/** A correctly signed TC3 POST; throws unless it succeeds. Returns Response. */
export async function t3Ok(port: number, keys: Keys, action: string, params: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await send(port, buildT3(port, keys, { mode: 'tc3-post', action, params, auth: 'ok' }));
  const r = (res.json as { Response?: Record<string, any> } | undefined)?.Response;
  if (!r || r.Error) throw new Error(`seed: ${action} ${JSON.stringify(params)} failed: ${errorOf(res)}`);
  return r;
}

export interface TencentWorld {
  keys: Keys;
  account: AccountInfo;
  other: AccountInfo;
  jd: JdAccount;
  pools: Pools;
}

/**
 * Two Tencent accounts and one JD account; in the first: VPC A (10.0.0.0/16; subnets in zones 3
 * and 4), VPC B (172.16.0.0/16), four running instances, three ENIs (one attached, one with two
 * secondary IPs); in the other: a VPC, a subnet and an ENI (ids of a resource the caller may not use).
 */
export async function seedTencent(server: RunningServer, probe: StateProbe): Promise<TencentWorld> {
  const [account, other, jd] = await Promise.all([server.createAccount(), server.createAccount(), createJdAccount(server)]);
  const port = server.port;
  const keys: Keys = { own: account, foreign: { secretId: jd.accessKey, secretKey: jd.secretKey } };
  const otherKeys: Keys = { own: other, foreign: keys.foreign };
  const call = (action: string, params: Record<string, unknown>) => t3Ok(port, keys, action, params);

  const vpcA = (await call('CreateVpc', { VpcName: 'fz-a', CidrBlock: '10.0.0.0/16' })).Vpc.VpcId as string;
  const a1 = (await call('CreateSubnet', { VpcId: vpcA, SubnetName: 'fz-a1', CidrBlock: '10.0.1.0/24', Zone: 'ap-guangzhou-3' })).Subnet.SubnetId as string;
  const a2 = (await call('CreateSubnet', { VpcId: vpcA, SubnetName: 'fz-a2', CidrBlock: '10.0.2.0/24', Zone: 'ap-guangzhou-4' })).Subnet.SubnetId as string;
  const vpcB = (await call('CreateVpc', { VpcName: 'fz-b', CidrBlock: '172.16.0.0/16' })).Vpc.VpcId as string;
  const b1 = (await call('CreateSubnet', { VpcId: vpcB, SubnetName: 'fz-b1', CidrBlock: '172.16.1.0/24', Zone: 'ap-guangzhou-3' })).Subnet.SubnetId as string;
  const tasks: string[] = [];
  const runA = await call('RunInstances', {
    Placement: { Zone: 'ap-guangzhou-3' },
    InstanceType: 'S5.MEDIUM4',
    InstanceCount: 3,
    InstanceName: 'fz-',
    VirtualPrivateCloud: { VpcId: vpcA, SubnetId: a1 },
  });
  const runB = await call('RunInstances', {
    Placement: { Zone: 'ap-guangzhou-3' },
    InstanceType: 'S5.MEDIUM4',
    InstanceCount: 1,
    VirtualPrivateCloud: { VpcId: vpcB, SubnetId: b1 },
  });
  tasks.push(runA.RequestId, runB.RequestId);
  const instances = [...(runA.InstanceIdSet as string[]), ...(runB.InstanceIdSet as string[])];
  await probe.quiet();
  const enis: string[] = [];
  for (const [i, extra] of [{}, { SecondaryPrivateIpAddressCount: 2 }, { PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.77', Primary: true }] }].entries()) {
    const r = await call('CreateNetworkInterface', { VpcId: vpcA, SubnetId: a1, NetworkInterfaceName: `fz-eni-${i}`, ...extra });
    enis.push(r.NetworkInterface.NetworkInterfaceId as string);
    tasks.push(r.RequestId);
  }
  await probe.quiet();
  const sgs: string[] = [];
  for (const name of ['fz-sg-a', 'fz-sg-b']) {
    sgs.push((await call('CreateSecurityGroupWithPolicies', { GroupName: name, GroupDescription: name, SecurityGroupPolicySet: { Ingress: [{ Protocol: 'TCP', Port: '22', CidrBlock: '10.0.0.0/8', Action: 'ACCEPT' }] } })).SecurityGroup.SecurityGroupId as string);
  }
  await call('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: enis[1], SecurityGroupIds: [sgs[0]] });
  tasks.push((await call('AttachNetworkInterface', { NetworkInterfaceId: enis[0], InstanceId: instances[0] })).RequestId);
  await probe.quiet();
  const all = (await call('DescribeNetworkInterfaces', { Limit: 100 })).NetworkInterfaceSet as Array<{ NetworkInterfaceId: string; PrivateIpAddressSet: Array<{ PrivateIpAddress: string }> }>;
  const ips = all.flatMap((e) => e.PrivateIpAddressSet.map((p) => p.PrivateIpAddress));

  // The other account's resources.
  const ocall = (action: string, params: Record<string, unknown>) => t3Ok(port, otherKeys, action, params);
  const ovpc = (await ocall('CreateVpc', { VpcName: 'fz-other', CidrBlock: '10.0.0.0/16' })).Vpc.VpcId as string;
  const osub = (await ocall('CreateSubnet', { VpcId: ovpc, SubnetName: 'fz-o', CidrBlock: '10.0.1.0/24', Zone: 'ap-guangzhou-3' })).Subnet.SubnetId as string;
  const oeni = (await ocall('CreateNetworkInterface', { VpcId: ovpc, SubnetId: osub, NetworkInterfaceName: 'fz-o-eni' })).NetworkInterface.NetworkInterfaceId as string;
  await probe.quiet();

  return {
    keys,
    account,
    other,
    jd,
    pools: {
      vpc: [vpcA, vpcB],
      subnet: [a1, a2, b1],
      instance: instances,
      eni: [...new Set([...enis, ...all.map((e) => e.NetworkInterfaceId)])],
      eip: [],
      eipAddress: [],
      securityGroup: sgs,
      ip: [...new Set([...ips, '10.0.1.200', '10.0.2.9', '172.16.1.20', '10.0.1.0', '10.0.1.255', '10.0.1.1'])],
      task: tasks,
      taskSeq: [1, 2, 3, 5, 8],
      zone: ['ap-guangzhou-3', 'ap-guangzhou-4', 'ap-guangzhou-6', 'ap-shanghai-2', 'ap-guangzhou-1'],
      cidr: ['10.0.3.0/24', '10.1.0.0/16', '192.168.0.0/16', '10.0.1.0/24', '172.16.2.0/28', '10.0.0.0/8', '10.0.4.0/29', '11.0.0.0/16'],
      instanceType: ['S5.MEDIUM4', 'S5.LARGE8', 'SA2.MEDIUM4', 'S1.SMALL1', 'g.n2.xlarge', 'NOPE.TYPE'],
      foreign: [ovpc, osub, oeni],
      filterNames: [
        'vpc-id', 'subnet-id', 'network-interface-id', 'attachment.instance-id', 'private-ip-address', 'network-interface-name',
        'zone', 'instance-id', 'instance-name', 'instance-state', 'vpc-name', 'cidr-block', 'tag-key', 'is-default', 'is-primary',
        'instance-family', 'instance-type', 'eni-type', 'address-ip', 'no-such-filter', 'constructor', '__proto__', 'toString', 'tag:k',
      ],
    },
  };
}

/** A correctly signed JD request; throws unless it answers 200. Returns `result`. */
export async function jdOk(port: number, keys: JdKeys, service: 'vm' | 'vpc', method: string, path: string, body?: unknown, query?: string): Promise<Record<string, any>> {
  const res = await send(
    port,
    buildJd(port, keys, {
      method,
      path: `/v1/regions/cn-north-1${path}`,
      ...(query ? { query } : {}),
      ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
      service,
      region: 'cn-north-1',
      auth: 'ok',
    }),
  );
  if (res.status !== 200) throw new Error(`seed: ${method} ${path} ${JSON.stringify(body)} failed: ${errorOf(res)}`);
  return ((res.json as { result?: Record<string, any> }).result ?? {}) as Record<string, any>;
}

export interface JdWorld {
  keys: JdKeys;
  account: JdAccount;
  pools: Pools;
}

/**
 * Two JD accounts and one Tencent account; in the first: a VPC with two subnets, two running
 * instances, three ENIs (one attached), two EIPs (one associated); in the other: a VPC and an ENI.
 */
export async function seedJd(server: RunningServer, probe: StateProbe): Promise<JdWorld> {
  const [account, other, tc] = await Promise.all([createJdAccount(server), createJdAccount(server), server.createAccount()]);
  const port = server.port;
  const keys: JdKeys = { own: account, foreign: { accessKey: tc.secretId, secretKey: tc.secretKey } };
  const okeys: JdKeys = { own: other, foreign: keys.foreign };
  const vpc = (await jdOk(port, keys, 'vpc', 'POST', '/vpcs/', { vpcName: 'fz-vpc', addressPrefix: '10.30.0.0/16' })).vpcId as string;
  const sa = (await jdOk(port, keys, 'vpc', 'POST', '/subnets/', { vpcId: vpc, subnetName: 'fz-a', addressPrefix: '10.30.1.0/24' })).subnetId as string;
  const sb = (await jdOk(port, keys, 'vpc', 'POST', '/subnets/', { vpcId: vpc, subnetName: 'fz-b', addressPrefix: '10.30.2.0/24' })).subnetId as string;
  const instances = (
    await jdOk(port, keys, 'vm', 'POST', '/instances', {
      instanceSpec: {
        az: 'cn-north-1a',
        instanceType: 'g.n2.xlarge',
        imageId: 'img-eniplane01',
        name: 'fz-ins',
        primaryNetworkInterface: { networkInterface: { subnetId: sa } },
      },
      maxCount: 2,
    })
  ).instanceIds as string[];
  await probe.quiet();
  const enis: string[] = [];
  for (const [i, extra] of [{}, { secondaryIpCount: 2 }, { primaryIpAddress: '10.30.2.50' }].entries()) {
    enis.push((await jdOk(port, keys, 'vpc', 'POST', '/networkInterfaces/', { subnetId: i === 2 ? sb : sa, networkInterfaceName: `fz-${i}`, ...extra })).networkInterfaceId as string);
  }
  await jdOk(port, keys, 'vm', 'POST', `/instances/${instances[0]}:attachNetworkInterface`, { networkInterfaceId: enis[0], autoDelete: false });
  await probe.quiet();
  const sgs: string[] = [];
  for (const name of ['fz-sg-a', 'fz-sg-b']) sgs.push((await jdOk(port, keys, 'vpc', 'POST', '/networkSecurityGroups/', { vpcId: vpc, networkSecurityGroupName: name })).networkSecurityGroupId as string);
  await jdOk(port, keys, 'vpc', 'PATCH', `/networkInterfaces/${enis[1]}`, { securityGroups: [sgs[0]] });
  const eips = (await jdOk(port, keys, 'vpc', 'POST', '/elasticIps/', { maxCount: 2, elasticIpSpec: { bandwidthMbps: 1, provider: 'bgp' } })).elasticIpIds as string[];
  await jdOk(port, keys, 'vpc', 'POST', `/networkInterfaces/${enis[1]}:associateElasticIp`, { elasticIpId: eips[0] });
  const all = (await jdOk(port, keys, 'vpc', 'GET', '/networkInterfaces/', undefined, 'pageSize=100')).networkInterfaces as Array<{
    networkInterfaceId: string;
    primaryIp: { privateIpAddress: string };
    secondaryIps: Array<{ privateIpAddress: string }>;
  }>;
  const eipList = (await jdOk(port, keys, 'vpc', 'GET', '/elasticIps/', undefined, 'pageSize=100')).elasticIps as Array<{ elasticIpAddress: string }>;
  const ovpc = (await jdOk(port, okeys, 'vpc', 'POST', '/vpcs/', { vpcName: 'fz-o', addressPrefix: '10.30.0.0/16' })).vpcId as string;
  const osub = (await jdOk(port, okeys, 'vpc', 'POST', '/subnets/', { vpcId: ovpc, subnetName: 'fz-o', addressPrefix: '10.30.1.0/24' })).subnetId as string;
  const oeni = (await jdOk(port, okeys, 'vpc', 'POST', '/networkInterfaces/', { subnetId: osub })).networkInterfaceId as string;
  await probe.quiet();
  return {
    keys,
    account,
    pools: {
      vpc: [vpc],
      subnet: [sa, sb],
      instance: instances,
      eni: [...new Set([...enis, ...all.map((e) => e.networkInterfaceId)])],
      eip: eips,
      eipAddress: eipList.map((e) => e.elasticIpAddress),
      securityGroup: sgs,
      ip: [...new Set([...all.flatMap((e) => [e.primaryIp.privateIpAddress, ...e.secondaryIps.map((s) => s.privateIpAddress)]), '10.30.1.200', '10.30.2.9', '10.30.1.0', '10.30.1.255'])],
      task: [],
      taskSeq: [],
      zone: ['cn-north-1a', 'cn-north-1b', 'cn-north-1c', 'cn-east-2a', 'ap-guangzhou-3'],
      cidr: ['10.30.3.0/24', '10.31.0.0/16', '192.168.0.0/16', '10.30.1.0/24', '10.30.4.0/28', '10.0.0.0/8', '10.30.5.0/29', '11.0.0.0/16'],
      instanceType: ['g.n2.xlarge', 'g.n2.medium', 'c.n2.large', 'S5.MEDIUM4', 'nope.type'],
      foreign: [ovpc, osub, oeni],
      filterNames: [
        'vpcIds', 'vpcNames', 'subnetIds', 'subnetNames', 'vpcId', 'subnetId', 'networkInterfaceIds', 'networkInterfaceNames', 'role',
        'instanceId', 'privateIpAddress', 'az', 'status', 'name', 'imageId', 'networkInterfaceId', 'instanceType', 'elasticIpIds',
        'elasticIpAddress', 'instanceTypes', 'architecture', 'azs', 'routeTableId', 'chargeStatus', 'noSuchFilter', 'constructor', '__proto__',
      ],
    },
  };
}

