/** Core objects in JD Cloud's shapes (spec §5): vm and vpc see an ENI differently. */
import type { Catalog, InstanceTypeInfo } from '../../core/catalog.ts';
import type { ElasticIp, Eni, Instance, SecurityGroup, SecurityGroupRule, Vpc } from '../../core/model.ts';
import type { SubnetView } from '../../core/model.ts';
import { formatIpv4, parseCidr } from '../../core/ipam.ts';
import { beijingTime } from '../shared/time.ts';
import { JD_STATUS } from './errors.ts';

/** `2021-07-30T13:43:51Z`, as the vpc objects show it. */
export function isoTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** JD's MACs are lower-case (`fa:16:3e:…`). */
const mac = (m: string): string => m.toLowerCase();

/** JD numbers NICs from 1 (the primary); attached secondaries 2–8; 0 is a detached secondary (spec §5.5). */
export function jdDeviceIndex(e: Eni): number {
  if (!e.instanceId) return 0;
  return (e.deviceIndex ?? 0) + 1;
}

function privateIp(address: string, eips: ElasticIp[]): Record<string, unknown> {
  const eip = eips.find((x) => x.privateIp === address);
  return { privateIpAddress: address, elasticIpId: eip?.id ?? '', elasticIpAddress: eip?.address ?? '' };
}

const primaryOf = (e: Eni) => e.ips.find((i) => i.primary);
const secondariesOf = (e: Eni) => e.ips.filter((i) => !i.primary);

/** vpc's NetworkInterface (§5.5). */
export function eniShape(e: Eni, eips: ElasticIp[], ownerUin: string): Record<string, unknown> {
  const attached = !!e.instanceId;
  return {
    networkInterfaceName: e.name,
    networkInterfaceId: e.id,
    azType: 'standard',
    // Documented as ineffective; standard NICs show '' (newer docs; our choice).
    az: '',
    role: e.primary ? 'Primary' : 'Secondary',
    macAddress: mac(e.mac),
    vpcId: e.vpcId,
    subnetId: e.subnetId,
    networkSecurityGroupIds: e.securityGroupIds,
    sanityCheck: 1,
    primaryIp: privateIp(primaryOf(e)?.address ?? '', eips),
    secondaryIps: secondariesOf(e).map((i) => privateIp(i.address, eips)),
    secondaryCidrs: [],
    instanceType: attached ? 'compute' : '',
    instanceId: e.instanceId ?? '',
    instanceOwnerId: attached ? ownerUin : '',
    deviceIndex: jdDeviceIndex(e),
    description: e.description,
    attachmentStatus: attached ? 'attached' : 'detached',
    networkInterfaceStatus: 'enabled',
    createdTime: isoTime(e.createdAt),
    tags: e.tags.map((t) => ({ key: t.key, value: t.value })),
  };
}

/** vm's embedded view of a NIC (§5.3): security groups as objects with their names. */
function instanceEni(e: Eni, eips: ElasticIp[], groupNames: ReadonlyMap<string, string>): Record<string, unknown> {
  return {
    networkInterfaceId: e.id,
    macAddress: mac(e.mac),
    vpcId: e.vpcId,
    subnetId: e.subnetId,
    securityGroups: e.securityGroupIds.map((groupId) => ({ groupId, groupName: groupNames.get(groupId) ?? '' })),
    sanityCheck: 1,
    primaryIp: privateIp(primaryOf(e)?.address ?? '', eips),
    secondaryIps: secondariesOf(e).map((i) => privateIp(i.address, eips)),
  };
}

export function instanceShape(i: Instance, enis: Eni[], eips: ElasticIp[], groupNames: ReadonlyMap<string, string>): Record<string, unknown> {
  const primary = enis.find((e) => e.primary);
  const secondaries = enis.filter((e) => !e.primary && e.instanceId === i.id).sort((a, b) => (a.deviceIndex ?? 0) - (b.deviceIndex ?? 0));
  const primaryIp = primary ? primaryOf(primary)?.address ?? '' : '';
  const primaryEip = eips.find((x) => x.privateIp === primaryIp && x.eniId === primary?.id);
  const out: Record<string, unknown> = {
    instanceId: i.id,
    instanceName: i.name,
    hostname: i.name,
    instanceType: i.instanceType,
    vpcId: i.vpcId,
    subnetId: i.subnetId,
    privateIpAddress: primaryIp,
    elasticIpId: primaryEip?.id ?? '',
    elasticIpAddress: primaryEip?.address ?? '',
    status: JD_STATUS[i.state] ?? i.state.toLowerCase(),
    description: '',
    imageId: i.imageId,
    systemDisk: { diskCategory: 'cloud', autoDelete: true, deviceName: 'vda', status: 'attached' },
    dataDisks: [],
    primaryNetworkInterface: primary ? { deviceIndex: 1, autoDelete: true, networkInterface: instanceEni(primary, eips, groupNames) } : null,
    launchTime: beijingTime(i.createdAt),
    az: i.zone,
    keyNames: [],
    charge: { chargeMode: 'postpaid_by_duration', chargeStatus: 'normal', chargeStartTime: isoTime(i.createdAt), chargeExpiredTime: '', chargeRetireTime: '' },
    faultDomain: '',
    tags: i.tags.map((t) => ({ key: t.key, value: t.value })),
    chargeOnStopped: 'keepCharging',
  };
  // The doc example omits the key when there are none.
  if (secondaries.length) {
    out.secondaryNetworkInterfaces = secondaries.map((e) => ({ deviceIndex: jdDeviceIndex(e), autoDelete: e.autoDelete, networkInterface: instanceEni(e, eips, groupNames) }));
  }
  return out;
}

export function vpcShape(v: Vpc, subnets: Array<Record<string, unknown>>): Record<string, unknown> {
  return {
    vpcId: v.id,
    vpcName: v.name,
    addressPrefix: v.cidr,
    description: '',
    aclIds: [],
    routeTableIds: [],
    subnets,
    createdTime: isoTime(v.createdAt),
  };
}

export function subnetShape(s: SubnetView): Record<string, unknown> {
  const c = parseCidr(s.cidr)!;
  const last = c.network + s.totalIpCount - 1;
  return {
    subnetId: s.id,
    subnetName: s.name,
    vpcId: s.vpcId,
    addressPrefix: s.cidr,
    availableIpCount: s.availableIpCount,
    ipMaskLen: c.prefix,
    description: '',
    routeTableId: s.routeTableId,
    aclId: '',
    startIp: formatIpv4(c.network),
    endIp: formatIpv4(last),
    createdTime: isoTime(s.createdAt),
    subnetType: 'standard',
    az: '',
    publicSubnet: false,
  };
}

export function eipShape(e: ElasticIp, instanceId: string | null): Record<string, unknown> {
  return {
    elasticIpId: e.id,
    elasticIpAddress: e.address,
    bandwidthMbps: e.bandwidthMbps,
    provider: e.isp,
    privateIpAddress: e.privateIp ?? '',
    networkInterfaceId: e.eniId ?? '',
    instanceId: instanceId ?? '',
    instanceType: instanceId ? 'compute' : '',
    // '' means every zone; this is the field the attach rule reads.
    az: e.az,
    ipType: 'standard',
    status: e.eniId ? 'ASSOCIATED' : 'NOT_ASSOCIATED',
    state: 'UP',
    createdTime: isoTime(e.createdAt),
  };
}

export function instanceTypeShape(catalog: Catalog, region: string, t: InstanceTypeInfo): Record<string, unknown> {
  const zones = catalog.providers.jdcloud.regions.find((r) => r.region === region)?.zones ?? [];
  return {
    family: t.family,
    instanceType: t.type,
    cpu: t.cpu,
    memoryMB: t.memory * 1024,
    // The NICs the type takes, the primary included (spec §4.10).
    nicLimit: t.eniQuota,
    cloudDiskCountLimit: 8,
    desc: `${t.cpu}C ${t.memory}G`,
    generation: 2,
    architecture: 'x86_64',
    gpu: { model: '', number: t.gpu ?? 0 },
    localDisks: [],
    state: zones.map((z) => ({ az: z.zone, inStock: true, availableCount: 100 })),
  };
}

/** JD's protocol numbers for the neutral names (vpc AddSecurityGroupRules). */
export const JD_PROTOCOL: Record<string, number> = { ALL: 300, TCP: 6, UDP: 17, ICMP: 1 };

/** fromPort/toPort of a rule: 1–65535 for every TCP/UDP port, 0/0 for protocols without ports. */
export function jdPorts(r: SecurityGroupRule): { fromPort: number; toPort: number } {
  if (r.protocol !== 'TCP' && r.protocol !== 'UDP') return { fromPort: 0, toPort: 0 };
  if (r.ports === 'ALL') return { fromPort: 1, toPort: 65535 };
  const [from, to] = r.ports.split('-');
  return { fromPort: Number(from), toPort: Number(to ?? from) };
}

export function securityGroupRuleShape(r: SecurityGroupRule): Record<string, unknown> {
  return {
    ruleId: r.id,
    direction: r.direction === 'ingress' ? 0 : 1,
    protocol: JD_PROTOCOL[r.protocol] ?? 300,
    addressPrefix: r.cidr || r.ipv6Cidr,
    ipVersion: r.ipv6Cidr ? 6 : 4,
    ...jdPorts(r),
    createdTime: isoTime(r.modifiedAt),
    description: r.description,
    ruleType: 'custom',
    ruleAction: r.action === 'DROP' ? 'DENY' : 'ALLOW',
  };
}

/** A NetworkSecurityGroup with its rules and the ENIs bound to it. */
export function securityGroupShape(g: SecurityGroup, networkInterfaceIds: string[]): Record<string, unknown> {
  return {
    networkSecurityGroupId: g.id,
    networkSecurityGroupName: g.name,
    description: g.description,
    vpcId: g.vpcId,
    securityGroupRules: g.rules.map(securityGroupRuleShape),
    createdTime: isoTime(g.createdAt),
    networkSecurityGroupType: g.isDefault ? 'default' : 'custom',
    networkInterfaceIds,
  };
}
