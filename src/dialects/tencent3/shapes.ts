/**
 * Core objects → Tencent Cloud API 3.0 response objects (spec §6), with the exact wire field names.
 * Every field an object carries is always present: clients such as Terraform treat a missing or null
 * `State` as a hard failure, so nothing here is ever `undefined`.
 */
import { createHash } from 'node:crypto';
import type { Eni, Instance, PrivateIp, RuleDirection, SecurityGroup, SecurityGroupRule, Tag, Vpc } from '../../core/model.ts';
import type { InstanceTypeInfo, RegionInfo, ZoneInfo } from '../../core/catalog.ts';
import type { SubnetView } from '../../core/model.ts';
import type { RouteTableView } from '../../core/model.ts';
import type {
  NetworkInterface as WireEni,
  NetworkInterfaceAttachment as WireAttachment,
  PrivateIpAddressSpecification as WirePrivateIp,
  SecurityGroup as WireSecurityGroup,
  SecurityGroupPolicy as WirePolicy,
  PolicyStatistics as WirePolicyStatistics,
  RouteTable as WireRouteTable,
  Subnet as WireSubnet,
  Tag as WireTag,
  Vpc as WireVpc,
} from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_models.js';
import type {
  Instance as WireInstance,
  RegionInfo as WireRegion,
  ZoneInfo as WireZone,
} from 'tencentcloud-sdk-nodejs/tencentcloud/services/cvm/v20170312/cvm_models.js';

export type Language = 'zh-CN' | 'en-US';

/** Every field of an SDK wire type, required and never undefined. */
export type Full<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
/** The listed fields of an SDK wire type, required; each may be null where the vendor sends null. */
type Fields<T, K extends keyof T> = { [P in K]-?: Exclude<T[P], undefined> | null };

import { beijingTime, isoUtc } from '../shared/time.ts';

export { BEIJING_OFFSET_MS, beijingTime, isoUtc } from '../shared/time.ts';

const digest = (salt: string, id: string): Buffer => createHash('sha256').update(`${salt}:${id}`).digest();

/** The system disk every instance shows (it is not a resource of its own). */
export const SYSTEM_DISK = { type: 'CLOUD_PREMIUM', sizeGb: 50 } as const;

/** A stable `disk-` + 8 `[a-z0-9]` id for an instance's (emulated) system disk. */
export function systemDiskId(instanceId: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = digest('disk', instanceId);
  let out = '';
  for (let i = 0; i < 8; i++) out += alphabet[bytes[i]! % alphabet.length];
  return `disk-${out}`;
}

/** A stable, UUID-looking (version 4 layout) string for an instance: its `Uuid` field and `uuid` filter. */
export function instanceUuid(instanceId: string): string {
  const b = digest('uuid', instanceId).subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `EniType`: 0 secondary, 1 primary, 2 trunk (spec §6.1); the `eni-type` filter uses the same rule. */
export function eniType(e: Pick<Eni, 'primary' | 'trunking'>): 0 | 1 | 2 {
  return e.primary ? 1 : e.trunking ? 2 : 0;
}

const tagSet = (tags: Tag[]): Array<Full<WireTag>> => tags.map((t) => ({ Key: t.key, Value: t.value }));

export function privateIpShape(p: PrivateIp): Record<string, unknown> {
  const out: Full<WirePrivateIp> = {
    PrivateIpAddress: p.address,
    Primary: p.primary,
    PublicIpAddress: '',
    AddressId: '',
    Description: p.description,
    IsWanIpBlocked: false,
    State: p.state,
    QosLevel: p.qosLevel,
  };
  return out;
}

/**
 * A NetworkInterface (spec §6.1). `State` is the core state, so an attached, settled ENI shows
 * `AVAILABLE` as the real service does; `NetworkInterfaceState` shows `INUSE` for it instead.
 * `Attachment` is set while the ENI is attached, being detached, or being attached (arriving).
 */
export function eniShape(e: Eni, ownerUin: string): Record<string, unknown> {
  const attachedTo = e.instanceId ?? e.targetInstanceId;
  const attachment: Full<WireAttachment> | null =
    attachedTo === null
      ? null
      : {
          InstanceId: attachedTo,
          DeviceIndex: e.deviceIndex ?? 0,
          InstanceAccountId: ownerUin,
          AttachTime: e.attachedAt === null ? '' : beijingTime(e.attachedAt),
        };
  const ips = [...e.ips].sort((a, b) => Number(b.primary) - Number(a.primary));
  const out: Omit<Full<WireEni>, 'Attachment'> & { Attachment: Full<WireAttachment> | null } = {
    NetworkInterfaceId: e.id,
    NetworkInterfaceName: e.name,
    NetworkInterfaceDescription: e.description,
    SubnetId: e.subnetId,
    VpcId: e.vpcId,
    GroupSet: [...e.securityGroupIds],
    Primary: e.primary,
    MacAddress: e.mac,
    State: e.state,
    NetworkInterfaceState: e.state === 'AVAILABLE' && e.instanceId !== null ? 'INUSE' : e.state,
    PrivateIpAddressSet: ips.map((p) => privateIpShape(p) as Full<WirePrivateIp>),
    Attachment: attachment,
    Zone: e.zone,
    CreatedTime: beijingTime(e.createdAt),
    Ipv6AddressSet: [],
    TagSet: tagSet(e.tags),
    EniType: eniType(e),
    Business: 'cvm',
    CdcId: '',
    AttachType: e.attachType,
    ResourceId: '',
    QosLevel: e.qosLevel,
  };
  return out;
}

/** A Vpc (spec §6.3). No DHCP options sets, IPv6 or CCN route publishing in this emulator. */
export function vpcShape(v: Vpc): Record<string, unknown> {
  const out: Full<WireVpc> = {
    VpcName: v.name,
    VpcId: v.id,
    CidrBlock: v.cidr,
    IsDefault: v.isDefault,
    EnableMulticast: v.enableMulticast,
    CreatedTime: beijingTime(v.createdAt),
    DnsServerSet: [...v.dnsServers],
    DomainName: v.domainName,
    DhcpOptionsId: '',
    EnableDhcp: true,
    Ipv6CidrBlock: '',
    TagSet: tagSet(v.tags),
    AssistantCidrSet: [],
    EnableRouteVpcPublish: false,
    Ipv6CidrBlockSet: [],
    EnableRouteVpcPublishIpv6: false,
  };
  return out;
}

/** A Subnet (spec §6.4). */
export function subnetShape(s: SubnetView): Record<string, unknown> {
  const out: Full<WireSubnet> = {
    VpcId: s.vpcId,
    SubnetId: s.id,
    SubnetName: s.name,
    CidrBlock: s.cidr,
    IsDefault: s.isDefault,
    EnableBroadcast: s.enableBroadcast,
    Zone: s.zone,
    RouteTableId: s.routeTableId,
    CreatedTime: beijingTime(s.createdAt),
    AvailableIpAddressCount: s.availableIpCount,
    Ipv6CidrBlock: '',
    NetworkAclId: s.networkAclId,
    IsRemoteVpcSnat: false,
    TotalIpAddressCount: s.totalIpCount,
    TagSet: tagSet(s.tags),
    CdcId: '',
    IsCdcSubnet: 0,
  };
  return out;
}

type InstanceField =
  | 'Placement' | 'InstanceId' | 'InstanceType' | 'CPU' | 'Memory' | 'RestrictState' | 'InstanceName'
  | 'InstanceChargeType' | 'SystemDisk' | 'DataDisks' | 'PrivateIpAddresses' | 'PublicIpAddresses'
  | 'InternetAccessible' | 'VirtualPrivateCloud' | 'ImageId' | 'RenewFlag' | 'CreatedTime' | 'ExpiredTime'
  | 'OsName' | 'SecurityGroupIds' | 'LoginSettings' | 'InstanceState' | 'Tags' | 'StopChargingMode' | 'Uuid'
  | 'LatestOperation' | 'LatestOperationState' | 'LatestOperationRequestId' | 'LatestOperationErrorMsg'
  | 'IPv6Addresses' | 'CamRoleName' | 'DisableApiTermination' | 'DefaultLoginUser' | 'DefaultLoginPort'
  | 'IsolatedSource' | 'LicenseType';

/**
 * A CVM Instance (spec §6.5): the fields an SDK user reads. Pay-as-you-go, no public IP, no IPv6, a
 * fixed 50 GiB premium system disk. `t` is the catalog entry for the instance type (CPU/Memory 0 if
 * the type is not in the catalog).
 */
export function instanceShape(i: Instance & { primaryIps: string[] }, t: InstanceTypeInfo | undefined): Record<string, unknown> {
  const out: Fields<WireInstance, InstanceField> = {
    Placement: { Zone: i.zone, ProjectId: 0 },
    InstanceId: i.id,
    InstanceType: i.instanceType,
    CPU: t?.cpu ?? 0,
    Memory: t?.memory ?? 0,
    RestrictState: 'NORMAL',
    InstanceName: i.name,
    InstanceChargeType: i.chargeType,
    SystemDisk: { DiskType: SYSTEM_DISK.type, DiskId: systemDiskId(i.id), DiskSize: SYSTEM_DISK.sizeGb },
    DataDisks: null,
    PrivateIpAddresses: [...i.primaryIps],
    PublicIpAddresses: null,
    InternetAccessible: { InternetChargeType: 'TRAFFIC_POSTPAID_BY_HOUR', InternetMaxBandwidthOut: 0, PublicIpAssigned: false },
    VirtualPrivateCloud: {
      VpcId: i.vpcId,
      SubnetId: i.subnetId,
      AsVpcGateway: false,
      PrivateIpAddresses: [...i.primaryIps],
      Ipv6AddressCount: 0,
    },
    ImageId: i.imageId,
    RenewFlag: null,
    CreatedTime: isoUtc(i.createdAt),
    ExpiredTime: null,
    OsName: 'TencentOS Server 3.1 (TK4)',
    SecurityGroupIds: [...i.securityGroupIds],
    LoginSettings: { KeyIds: [] },
    InstanceState: i.state,
    Tags: tagSet(i.tags),
    StopChargingMode: 'NOT_APPLICABLE',
    Uuid: instanceUuid(i.id),
    LatestOperation: i.latestOperation,
    LatestOperationState: i.latestOperationState,
    LatestOperationRequestId: i.latestOperationRequestId,
    LatestOperationErrorMsg: i.latestOperationError,
    IPv6Addresses: null,
    CamRoleName: '',
    DisableApiTermination: false,
    DefaultLoginUser: 'root',
    DefaultLoginPort: 22,
    IsolatedSource: 'NOTISOLATED',
    LicenseType: 'TencentCloud',
  };
  return out;
}

/** A DescribeZones ZoneInfo (spec §5.7); the name follows the request's `Language`. */
export function zoneShape(z: ZoneInfo, lang: Language): Record<string, unknown> {
  const out: Full<WireZone> = {
    Zone: z.zone,
    ZoneName: lang === 'en-US' ? z.nameEn : z.nameZh,
    ZoneId: z.zoneId,
    ZoneState: z.state,
  };
  return out;
}

/** A DescribeRegions RegionInfo (spec §5.8); the name follows the request's `Language`. */
export function regionShape(r: RegionInfo, lang: Language): Record<string, unknown> {
  const out: Full<WireRegion> = {
    Region: r.region,
    RegionName: lang === 'en-US' ? r.nameEn : r.nameZh,
    RegionState: 'AVAILABLE',
  };
  return out;
}

/** A SecurityGroup of DescribeSecurityGroups and the Create calls. */
export function securityGroupShape(g: SecurityGroup): Record<string, unknown> {
  const out: Full<Pick<WireSecurityGroup, 'SecurityGroupId' | 'SecurityGroupName' | 'SecurityGroupDesc' | 'ProjectId' | 'IsDefault' | 'CreatedTime' | 'TagSet' | 'UpdateTime'>> = {
    SecurityGroupId: g.id,
    SecurityGroupName: g.name,
    SecurityGroupDesc: g.description,
    ProjectId: g.projectId,
    IsDefault: g.isDefault,
    CreatedTime: beijingTime(g.createdAt),
    TagSet: tagSet(g.tags),
    UpdateTime: beijingTime(g.updatedAt),
  };
  return out;
}

/** One rule as a SecurityGroupPolicy; `PolicyIndex` is its place in its direction's list. */
export function policyShape(r: SecurityGroupRule, index: number): Record<string, unknown> {
  const out: Full<Pick<WirePolicy, 'PolicyIndex' | 'Protocol' | 'Port' | 'ServiceTemplate' | 'CidrBlock' | 'Ipv6CidrBlock' | 'SecurityGroupId' | 'AddressTemplate' | 'Action' | 'PolicyDescription' | 'ModifyTime'>> = {
    PolicyIndex: index,
    Protocol: r.protocol,
    Port: r.ports,
    ServiceTemplate: { ServiceId: '', ServiceGroupId: '' },
    CidrBlock: r.cidr,
    Ipv6CidrBlock: r.ipv6Cidr,
    // The peer group a rule names; rules about addresses carry none.
    SecurityGroupId: r.peerGroupId,
    AddressTemplate: { AddressId: '', AddressGroupId: '' },
    Action: r.action,
    PolicyDescription: r.description,
    ModifyTime: beijingTime(r.modifiedAt),
  };
  return out;
}

/** The SecurityGroupPolicySet of DescribeSecurityGroupPolicies. */
export function policySetShape(g: SecurityGroup): Record<string, unknown> {
  const of = (d: RuleDirection) => g.rules.filter((r) => r.direction === d);
  const count = (d: RuleDirection, v6: boolean) => of(d).filter((r) => (r.ipv6Cidr !== '') === v6).length;
  return {
    Version: String(g.policyVersion),
    Egress: of('egress').map((r, i) => policyShape(r, i)),
    Ingress: of('ingress').map((r, i) => policyShape(r, i)),
    PolicyStatistics: {
      IngressIPv4TotalCount: count('ingress', false),
      IngressIPv6TotalCount: count('ingress', true),
      EgressIPv4TotalCount: count('egress', false),
      EgressIPv6TotalCount: count('egress', true),
    } satisfies Full<WirePolicyStatistics>,
  };
}

/** The name Tencent gives every VPC's main route table. */
export const ROUTE_TABLE_NAME = 'default';

/** A VPC's main route table. Its local routes are implicit: RouteSet lists none. */
export function routeTableShape(r: RouteTableView): Record<string, unknown> {
  const out: Full<Pick<WireRouteTable, 'VpcId' | 'RouteTableId' | 'RouteTableName' | 'AssociationSet' | 'RouteSet' | 'Main' | 'CreatedTime' | 'TagSet' | 'LocalCidrForCcn'>> = {
    VpcId: r.vpcId,
    RouteTableId: r.id,
    RouteTableName: ROUTE_TABLE_NAME,
    AssociationSet: r.subnetIds.map((SubnetId) => ({ SubnetId, RouteTableId: r.id })),
    RouteSet: [],
    Main: true,
    CreatedTime: beijingTime(r.createdAt),
    TagSet: tagSet(r.tags),
    LocalCidrForCcn: [],
  };
  return out;
}
