/** Core objects in API 2.0's field names (spec §3): camelCase, integer zone ids, legacy-id echoes. */
import { createHash } from 'node:crypto';
import type { Catalog, InstanceTypeInfo } from '../../core/catalog.ts';
import type { Eni, Instance, SecurityGroup, Vpc } from '../../core/model.ts';
import type { SubnetView } from '../../core/model.ts';
import { beijingTime } from '../shared/time.ts';

/** The numeric zone id API 2.0 speaks (e.g. 100003 for ap-guangzhou-3). */
export function zoneIdOf(catalog: Catalog, zone: string): number {
  for (const r of catalog.providers.tencent.regions) for (const z of r.zones) if (z.zone === zone) return Number(z.zoneId);
  return 0;
}

export function zoneById(catalog: Catalog, region: string, zoneId: number): string | undefined {
  const r = catalog.providers.tencent.regions.find((x) => x.region === region);
  return r?.zones.find((z) => Number(z.zoneId) === zoneId)?.zone;
}

/**
 * 2.0 instance records carry VPC and subnet as legacy integers (0 = classic network). We have no
 * legacy ids, so a stable positive integer is derived from the new id, and `unVpcId`/`unSubnetId`
 * carry the ids the ENI calls use (spec §3.17 recommendation).
 */
export function legacyNumber(id: string): number {
  return (createHash('sha256').update(id).digest().readUInt32BE(0) % 9_000_000) + 1_000_000;
}

export function vpc2Shape(v: Vpc, counts: { subnets: number; devices: number }): Record<string, unknown> {
  return {
    vpcId: v.id,
    unVpcId: v.id,
    vpcName: v.name,
    cidrBlock: v.cidr,
    subnetNum: counts.subnets,
    routeTableNum: 1,
    vpnGwNum: 0,
    vpcPeerNum: 0,
    vpcDeviceNum: counts.devices,
    classicLinkNum: 0,
    vpgNum: 0,
    natNum: 0,
    createTime: beijingTime(v.createdAt),
    isDefault: v.isDefault,
    isMulticast: v.enableMulticast,
  };
}

export function subnet2Shape(catalog: Catalog, s: SubnetView, vpc: Vpc | undefined, devices: number): Record<string, unknown> {
  const zoneId = zoneIdOf(catalog, s.zone);
  const [a, b, c, d] = s.cidr.split('/')[0]!.split('.').map(Number) as [number, number, number, number];
  const size = s.totalIpCount;
  const n = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d + size - 1;
  return {
    vpcId: s.vpcId,
    unVpcId: s.vpcId,
    vpcName: vpc?.name ?? '',
    vpcCidrBlock: vpc?.cidr ?? '',
    subnetId: s.id,
    unSubnetId: s.id,
    subnetName: s.name,
    subnetCreateTime: beijingTime(s.createdAt),
    routeTableId: s.routeTableId,
    unRouteTableId: s.routeTableId,
    routeTableName: 'default',
    cidrBlock: s.cidr,
    zoneId,
    zoneIds: [zoneId],
    vpcDevices: devices,
    networkAclId: 0,
    totalIPNum: s.totalIpCount,
    availableIPNum: s.availableIpCount,
    broadcast: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'),
  };
}

export function eni2Shape(catalog: Catalog, e: Eni, vpcName: string, groups: ReadonlyMap<string, SecurityGroup>): Record<string, unknown> {
  const ips = [...e.ips].sort((x, y) => Number(y.primary) - Number(x.primary));
  return {
    vpcId: e.vpcId,
    vpcName,
    subnetId: e.subnetId,
    zoneId: zoneIdOf(catalog, e.zone),
    eniName: e.name,
    eniDescription: e.description,
    networkInterfaceId: e.id,
    primary: e.primary,
    macAddress: e.mac,
    createTime: beijingTime(e.createdAt),
    flowLogsSet: [],
    privateIpAddressesSet: ips.map((p) => ({
      privateIpAddress: p.address,
      primary: p.primary,
      description: p.description,
      wanIp: '',
      isWanIpBlocked: false,
      eipId: '',
    })),
    // An unattached ENI has an object of empty strings, not null (spec §3.8). API 2.0 has no
    // transitional ENI state, so the attachment shows once its task has completed.
    instanceSet: e.instanceId
      ? { instanceId: e.instanceId, attachTime: e.attachedAt === null ? '' : beijingTime(e.attachedAt) }
      : { instanceId: '', attachTime: '' },
    groupSet: e.securityGroupIds.map((sgId) => ({ sgId, sgName: groups.get(sgId)?.name ?? '', projectId: Number(groups.get(sgId)?.projectId ?? 0) })),
  };
}

/** v2 CVM status codes (spec §3.17): 2 running, 4 stopped, 3 creating, 8 starting, 9 stopping... */
export const STATUS: Record<Instance['state'], number> = {
  PENDING: 3,
  LAUNCH_FAILED: -1,
  RUNNING: 2,
  STOPPED: 4,
  STARTING: 8,
  STOPPING: 9,
  REBOOTING: 7,
  TERMINATING: 6,
};

export function instance2Shape(catalog: Catalog, i: Instance & { primaryIps: string[] }, type: InstanceTypeInfo | undefined): Record<string, unknown> {
  const zone = catalog.providers.tencent.regions.flatMap((r) => r.zones).find((z) => z.zone === i.zone);
  return {
    instanceName: i.name,
    unInstanceId: i.id,
    instanceId: i.id,
    lanIp: i.primaryIps[0] ?? '',
    wanIpSet: [],
    cpu: type?.cpu ?? 0,
    mem: type?.memory ?? 0,
    bandwidth: 0,
    unImgId: i.imageId,
    imageId: i.imageId,
    status: STATUS[i.state],
    Region: i.region,
    createTime: beijingTime(i.createdAt),
    deadlineTime: '',
    autoRenew: 0,
    projectId: 0,
    os: 'TencentOS Server 3.1 (TK4)',
    cvmPayMode: 2,
    networkPayMode: 2,
    zoneId: zone ? Number(zone.zoneId) : 0,
    zoneName: zone?.nameZh ?? '',
    vpcId: legacyNumber(i.vpcId),
    subnetId: legacyNumber(i.subnetId),
    unVpcId: i.vpcId,
    unSubnetId: i.subnetId,
    isVpcGateway: 0,
    diskInfo: { rootId: `disk-${i.id.slice(4)}`, rootType: 'CLOUD_PREMIUM', rootSize: 50, storageId: '', storageType: '', storageSize: 0 },
    uuid: i.id,
    statusTime: beijingTime(i.createdAt),
  };
}
