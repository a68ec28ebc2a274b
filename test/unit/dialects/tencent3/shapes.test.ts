import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Eni, Instance, PrivateIp, Vpc } from '../../../../src/core/model.ts';
import type { InstanceTypeInfo, RegionInfo, ZoneInfo } from '../../../../src/core/catalog.ts';
import type { SubnetView } from '../../../../src/core/model.ts';
import {
  beijingTime, eniShape, instanceShape, instanceUuid, isoUtc, privateIpShape, regionShape, subnetShape,
  systemDiskId, vpcShape, zoneShape,
} from '../../../../src/dialects/tencent3/shapes.ts';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0); // 2026-01-01 08:00:00 in Beijing
const T1 = Date.UTC(2026, 0, 1, 16, 30, 5, 999); // 2026-01-02 00:30:05 in Beijing

const ip = (address: string, primary: boolean, over: Partial<PrivateIp> = {}): PrivateIp => ({
  subnetId: 'subnet-aaaa0001', address, eniId: 'eni-aaaa0001', primary, state: 'AVAILABLE',
  description: '', qosLevel: 'DEFAULT', ...over,
});

const baseEni: Eni = {
  id: 'eni-aaaa0001', accountId: 'acc-1', region: 'ap-guangzhou', vpcId: 'vpc-aaaa0001',
  subnetId: 'subnet-aaaa0001', zone: 'ap-guangzhou-3', name: 'web', description: 'web eni',
  mac: '20:90:6F:2A:11:3D', primary: false, state: 'AVAILABLE', instanceId: null, targetInstanceId: null,
  deviceIndex: null, attachType: 0, attachedAt: null, securityGroupIds: ['sg-aaaa0001'],
  tags: [{ key: 'env', value: 'prod' }], qosLevel: 'DEFAULT', trunking: false, autoDelete: false, createdAt: T0,
  // Secondary listed first on purpose: the shape must put the primary IP first.
  ips: [ip('10.0.1.20', false, { description: 'second', state: 'PENDING', qosLevel: 'AU' }), ip('10.0.1.10', true)],
};

const undefinedKeys = (o: Record<string, unknown>): string[] =>
  Object.entries(o).filter(([, v]) => v === undefined).map(([k]) => k);

test('beijingTime formats in UTC+8 and isoUtc in UTC, whole seconds', () => {
  assert.equal(beijingTime(T0), '2026-01-01 08:00:00');
  assert.equal(beijingTime(T1), '2026-01-02 00:30:05');
  assert.equal(beijingTime(Date.UTC(2025, 11, 31, 15, 59, 59)), '2025-12-31 23:59:59');
  assert.equal(isoUtc(T0), '2026-01-01T00:00:00Z');
  assert.equal(isoUtc(T1), '2026-01-01T16:30:05Z');
});

test('unattached ENI: every field, Attachment null, State AVAILABLE, primary IP first', () => {
  const s = eniShape(baseEni, '251153169');
  assert.deepEqual(s, {
    NetworkInterfaceId: 'eni-aaaa0001',
    NetworkInterfaceName: 'web',
    NetworkInterfaceDescription: 'web eni',
    SubnetId: 'subnet-aaaa0001',
    VpcId: 'vpc-aaaa0001',
    GroupSet: ['sg-aaaa0001'],
    Primary: false,
    MacAddress: '20:90:6F:2A:11:3D',
    State: 'AVAILABLE',
    NetworkInterfaceState: 'AVAILABLE',
    PrivateIpAddressSet: [
      {
        PrivateIpAddress: '10.0.1.10', Primary: true, PublicIpAddress: '', AddressId: '', Description: '',
        IsWanIpBlocked: false, State: 'AVAILABLE', QosLevel: 'DEFAULT',
      },
      {
        PrivateIpAddress: '10.0.1.20', Primary: false, PublicIpAddress: '', AddressId: '', Description: 'second',
        IsWanIpBlocked: false, State: 'PENDING', QosLevel: 'AU',
      },
    ],
    Attachment: null,
    Zone: 'ap-guangzhou-3',
    CreatedTime: '2026-01-01 08:00:00',
    Ipv6AddressSet: [],
    TagSet: [{ Key: 'env', Value: 'prod' }],
    EniType: 0,
    Business: 'cvm',
    CdcId: '',
    AttachType: 0,
    ResourceId: '',
    QosLevel: 'DEFAULT',
  });
  assert.deepEqual(undefinedKeys(s), []);
  // The core object is not reordered in place.
  assert.equal(baseEni.ips[0]!.address, '10.0.1.20');
});

test('attached, settled ENI: State AVAILABLE, NetworkInterfaceState INUSE, Attachment filled', () => {
  const e: Eni = { ...baseEni, instanceId: 'ins-aaaa0001', deviceIndex: 1, attachType: 1, attachedAt: T1 };
  const s = eniShape(e, '251153169');
  assert.equal(s.State, 'AVAILABLE');
  assert.equal(s.NetworkInterfaceState, 'INUSE');
  assert.equal(s.AttachType, 1);
  assert.deepEqual(s.Attachment, {
    InstanceId: 'ins-aaaa0001', DeviceIndex: 1, InstanceAccountId: '251153169', AttachTime: '2026-01-02 00:30:05',
  });
});

test('ENI being attached shows its target in Attachment with an empty AttachTime; detaching keeps the instance', () => {
  const arriving = eniShape(
    { ...baseEni, state: 'ATTACHING', targetInstanceId: 'ins-bbbb0002', deviceIndex: 2 }, '100',
  );
  assert.equal(arriving.State, 'ATTACHING');
  assert.equal(arriving.NetworkInterfaceState, 'ATTACHING');
  assert.deepEqual(arriving.Attachment, {
    InstanceId: 'ins-bbbb0002', DeviceIndex: 2, InstanceAccountId: '100', AttachTime: '',
  });
  const leaving = eniShape(
    { ...baseEni, state: 'DETACHING', instanceId: 'ins-aaaa0001', deviceIndex: 1, attachedAt: T0 }, '100',
  );
  assert.equal(leaving.State, 'DETACHING');
  assert.equal(leaving.NetworkInterfaceState, 'DETACHING');
  assert.equal((leaving.Attachment as { InstanceId: string }).InstanceId, 'ins-aaaa0001');
  // Migrating: the settled instance is shown until the move completes.
  const migrating = eniShape(
    { ...baseEni, state: 'ATTACHING', instanceId: 'ins-aaaa0001', targetInstanceId: 'ins-bbbb0002', deviceIndex: 1, attachedAt: T0 },
    '100',
  );
  assert.equal((migrating.Attachment as { InstanceId: string }).InstanceId, 'ins-aaaa0001');
  assert.equal(migrating.NetworkInterfaceState, 'ATTACHING');
});

test('primary ENI has EniType 1 and a trunk ENI EniType 2', () => {
  const p = eniShape({ ...baseEni, primary: true, instanceId: 'ins-aaaa0001', deviceIndex: 0, attachedAt: T0 }, '1');
  assert.equal(p.Primary, true);
  assert.equal(p.EniType, 1);
  assert.equal((p.Attachment as { DeviceIndex: number }).DeviceIndex, 0);
  assert.equal(eniShape({ ...baseEni, trunking: true }, '1').EniType, 2);
  assert.equal(eniShape({ ...baseEni, state: 'PENDING' }, '1').NetworkInterfaceState, 'PENDING');
});

test('privateIpShape', () => {
  assert.deepEqual(privateIpShape(ip('10.0.1.7', false, { state: 'MIGRATING', description: 'd', qosLevel: 'PT' })), {
    PrivateIpAddress: '10.0.1.7', Primary: false, PublicIpAddress: '', AddressId: '', Description: 'd',
    IsWanIpBlocked: false, State: 'MIGRATING', QosLevel: 'PT',
  });
});

test('vpcShape: every §6.3 field', () => {
  const v: Vpc = {
    id: 'vpc-aaaa0001', accountId: 'acc-1', region: 'ap-guangzhou', name: 'main', cidr: '10.0.0.0/16',
    isDefault: true, enableMulticast: false, dnsServers: ['183.60.82.98', '183.60.83.1'], domainName: 'local',
    routeTableId: 'rtb-aaaa0001', tags: [{ key: 'k', value: 'v' }], createdAt: T0,
  };
  assert.deepEqual(vpcShape(v), {
    VpcName: 'main', VpcId: 'vpc-aaaa0001', CidrBlock: '10.0.0.0/16', IsDefault: true, EnableMulticast: false,
    CreatedTime: '2026-01-01 08:00:00', DnsServerSet: ['183.60.82.98', '183.60.83.1'], DomainName: 'local',
    DhcpOptionsId: '', EnableDhcp: true, Ipv6CidrBlock: '', TagSet: [{ Key: 'k', Value: 'v' }],
    AssistantCidrSet: [], EnableRouteVpcPublish: false, Ipv6CidrBlockSet: [], EnableRouteVpcPublishIpv6: false,
  });
});

test('subnetShape: every §6.4 field', () => {
  const s: SubnetView = {
    id: 'subnet-aaaa0001', accountId: 'acc-1', region: 'ap-guangzhou', vpcId: 'vpc-aaaa0001', name: 'a',
    cidr: '10.0.1.0/24', zone: 'ap-guangzhou-3', isDefault: false, routeTableId: 'rtb-aaaa0001',
    networkAclId: 'acl-aaaa0001', enableBroadcast: true, tags: [], createdAt: T1, availableIpCount: 250, totalIpCount: 256,
  };
  assert.deepEqual(subnetShape(s), {
    VpcId: 'vpc-aaaa0001', SubnetId: 'subnet-aaaa0001', SubnetName: 'a', CidrBlock: '10.0.1.0/24',
    IsDefault: false, EnableBroadcast: true, Zone: 'ap-guangzhou-3', RouteTableId: 'rtb-aaaa0001',
    CreatedTime: '2026-01-02 00:30:05', AvailableIpAddressCount: 250, Ipv6CidrBlock: '',
    NetworkAclId: 'acl-aaaa0001', IsRemoteVpcSnat: false, TotalIpAddressCount: 256, TagSet: [], CdcId: '',
    IsCdcSubnet: 0,
  });
});

const instance: Instance & { primaryIps: string[] } = {
  id: 'ins-aaaa0001', accountId: 'acc-1', region: 'ap-guangzhou', zone: 'ap-guangzhou-3',
  vpcId: 'vpc-aaaa0001', subnetId: 'subnet-aaaa0001', name: 'web-1', instanceType: 'S5.MEDIUM4',
  imageId: 'img-aaaa0001', state: 'RUNNING', chargeType: 'POSTPAID_BY_HOUR', userData: '', securityGroupIds: ['sg-aaaa0001'],
  tags: [{ key: 'env', value: 'prod' }], latestOperation: 'RunInstances', latestOperationState: 'SUCCESS',
  latestOperationRequestId: 'req-1', latestOperationError: null, createdAt: T1, primaryIps: ['10.0.1.10'],
};

const s5medium: InstanceTypeInfo = {
  type: 'S5.MEDIUM4', family: 'S5', cpu: 2, memory: 4, eniQuota: 2, ipQuota: 10, extendEniQuota: 0,
  extendIpQuota: 20, supportsEni: true,
};

test('instanceShape: §6.5 fields with exact values', () => {
  const s = instanceShape(instance, s5medium);
  assert.deepEqual(s, {
    Placement: { Zone: 'ap-guangzhou-3', ProjectId: 0 },
    InstanceId: 'ins-aaaa0001',
    InstanceType: 'S5.MEDIUM4',
    CPU: 2,
    Memory: 4,
    RestrictState: 'NORMAL',
    InstanceName: 'web-1',
    InstanceChargeType: 'POSTPAID_BY_HOUR',
    SystemDisk: { DiskType: 'CLOUD_PREMIUM', DiskId: systemDiskId('ins-aaaa0001'), DiskSize: 50 },
    DataDisks: null,
    PrivateIpAddresses: ['10.0.1.10'],
    PublicIpAddresses: null,
    InternetAccessible: { InternetChargeType: 'TRAFFIC_POSTPAID_BY_HOUR', InternetMaxBandwidthOut: 0, PublicIpAssigned: false },
    VirtualPrivateCloud: {
      VpcId: 'vpc-aaaa0001', SubnetId: 'subnet-aaaa0001', AsVpcGateway: false, PrivateIpAddresses: ['10.0.1.10'],
      Ipv6AddressCount: 0,
    },
    ImageId: 'img-aaaa0001',
    RenewFlag: null,
    CreatedTime: '2026-01-01T16:30:05Z',
    ExpiredTime: null,
    OsName: 'TencentOS Server 3.1 (TK4)',
    SecurityGroupIds: ['sg-aaaa0001'],
    LoginSettings: { KeyIds: [] },
    InstanceState: 'RUNNING',
    Tags: [{ Key: 'env', Value: 'prod' }],
    StopChargingMode: 'NOT_APPLICABLE',
    Uuid: instanceUuid('ins-aaaa0001'),
    LatestOperation: 'RunInstances',
    LatestOperationState: 'SUCCESS',
    LatestOperationRequestId: 'req-1',
    LatestOperationErrorMsg: null,
    IPv6Addresses: null,
    CamRoleName: '',
    DisableApiTermination: false,
    DefaultLoginUser: 'root',
    DefaultLoginPort: 22,
    IsolatedSource: 'NOTISOLATED',
    LicenseType: 'TencentCloud',
  });
  assert.deepEqual(undefinedKeys(s), []);
  const unknownType = instanceShape({ ...instance, instanceType: 'X9.HUGE' }, undefined);
  assert.equal(unknownType.CPU, 0);
  assert.equal(unknownType.Memory, 0);
});

test('system disk id and Uuid are deterministic per instance and well-formed', () => {
  assert.match(systemDiskId('ins-aaaa0001'), /^disk-[a-z0-9]{8}$/);
  assert.equal(systemDiskId('ins-aaaa0001'), systemDiskId('ins-aaaa0001'));
  assert.notEqual(systemDiskId('ins-aaaa0001'), systemDiskId('ins-aaaa0002'));
  assert.match(instanceUuid('ins-aaaa0001'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(instanceUuid('ins-aaaa0001'), instanceUuid('ins-aaaa0001'));
  assert.notEqual(instanceUuid('ins-aaaa0001'), instanceUuid('ins-aaaa0002'));
});

test('zoneShape and regionShape name in the request language', () => {
  const z: ZoneInfo = { zone: 'ap-guangzhou-3', zoneId: '100003', nameZh: '广州三区', nameEn: 'Guangzhou Zone 3', state: 'AVAILABLE' };
  assert.deepEqual(zoneShape(z, 'zh-CN'), { Zone: 'ap-guangzhou-3', ZoneName: '广州三区', ZoneId: '100003', ZoneState: 'AVAILABLE' });
  assert.deepEqual(zoneShape({ ...z, state: 'UNAVAILABLE' }, 'en-US'), {
    Zone: 'ap-guangzhou-3', ZoneName: 'Guangzhou Zone 3', ZoneId: '100003', ZoneState: 'UNAVAILABLE',
  });
  const r: RegionInfo = { region: 'ap-guangzhou', nameZh: '华南地区(广州)', nameEn: 'South China (Guangzhou)', finance: false, zones: [z] };
  assert.deepEqual(regionShape(r, 'zh-CN'), { Region: 'ap-guangzhou', RegionName: '华南地区(广州)', RegionState: 'AVAILABLE' });
  assert.deepEqual(regionShape(r, 'en-US'), { Region: 'ap-guangzhou', RegionName: 'South China (Guangzhou)', RegionState: 'AVAILABLE' });
});
