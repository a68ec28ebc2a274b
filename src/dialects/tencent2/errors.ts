/**
 * The API 2.0 error table: every core error kind to its numeric code, codeDesc and message. The
 * seeds name InvalidVpc.NotFound, InvalidNetworkInterface.NotFound, InvalidInstance.NotFound,
 * InvalidNetworkInterface.AlreadyAssociated and InvalidNetworkInterface.NotAttached; the rest are
 * spec §4.4's choices. Client-caused errors carry 4000, server-side 6000, ActionLocked 5100 (§2.4).
 */
import type { DomainError, DomainErrorData, DomainErrorKind, Field } from '../../core/errors.ts';

export interface Tc2ErrorBody {
  code: number;
  codeDesc: string;
  message: string;
}

type Mapper<K extends DomainErrorKind> = (d: DomainErrorData[K], action: string) => Tc2ErrorBody;

const client = (codeDesc: string, message: string): Tc2ErrorBody => ({ code: 4000, codeDesc, message });

const NOT_FOUND: Record<string, string> = {
  vpc: 'InvalidVpc.NotFound',
  subnet: 'InvalidSubnet.NotFound',
  eni: 'InvalidNetworkInterface.NotFound',
  instance: 'InvalidInstance.NotFound',
  zone: 'InvalidZone.NotFound',
  securityGroup: 'InvalidSecurityGroup.NotFound',
};

const IN_USE: Record<string, string> = {
  vpc: 'InvalidVpc.CannotDelete',
  subnet: 'InvalidSubnet.CannotDelete',
  // Sic: Tencent spells this one with a capital N.
  eni: 'InvalidNetworkInterface.CanNotDelete',
};

/** API 2.0's parameter names for core's fields (fields 2.0 has no parameter for keep the 3.0 name). */
const FIELD: Record<Field, string> = {
  'vpc.name': 'vpcName',
  'vpc.cidr': 'cidrBlock',
  'vpc.dnsServers': 'dnsServers',
  'vpc.domainName': 'domainName',
  'subnet.name': 'subnetName',
  'subnet.cidr': 'cidrBlock',
  'subnet.zone': 'zoneId',
  'eni.name': 'eniName',
  'eni.description': 'eniDescription',
  'eni.addresses': 'privateIpAddressSet',
  'eni.addresses.primary': 'privateIpAddressSet.primary',
  address: 'privateIpAddress',
  'instance.name': 'InstanceName',
  'instance.addresses': 'VirtualPrivateCloud.PrivateIpAddresses',
  'instance.userData': 'UserData',
  'eip.count': 'count',
  'securityGroup.name': 'sgName',
  'securityGroup.description': 'sgRemark',
  securityGroups: 'sgIds',
  'rule.protocol': 'ipProtocol',
  'rule.ports': 'portRange',
  'rule.target': 'cidrIp',
  'rule.action': 'policy',
  'rule.description': 'desc',
  'rule.index': 'index',
  tags: 'tags',
  'tag.key': 'tagKey',
  'tag.value': 'tagValue',
  // The control plane's own (never in a cloud answer).
  'snapshot.name': 'name',
  world: 'world',
  fault: 'fault',
  transition: 'transition',
};

const NAME_CODES: Partial<Record<Field, string>> = {
  'vpc.name': 'InvalidVpcName',
  'subnet.name': 'InvalidSubnetName',
  'eni.name': 'InvalidNetworkInterfaceName',
};

const table: { [K in DomainErrorKind]: Mapper<K> } = {
  InvalidValue: (d) =>
    d.reason === 'tooLong' && NAME_CODES[d.field]
      ? client(NAME_CODES[d.field]!, `(${FIELD[d.field]}) is longer than ${d.limit} ${d.unit === 'bytes' ? 'bytes' : 'characters'}.`)
      : client('InvalidParameter', `(${FIELD[d.field]}) ${d.reason}${d.value === undefined ? '' : `: ${String(d.value)}`}.`),
  NotFound: (d) =>
    d.resource === 'task'
      ? // An unknown task id is a bad parameter in 2.0 (spec §3.16 choice).
        client('InvalidParameter', `(taskId) the task ${d.id} does not exist.`)
      : client(NOT_FOUND[d.resource] ?? 'InvalidParameter', `The ${d.resource} ${d.id} does not exist.`),
  PermissionDenied: (d, action) => table.NotFound({ resource: d.resource, id: d.id }, action),
  EipZoneMismatch: (d) => client('UnsupportedOperation.ZoneMismatch', `The EIP ${d.eipId} is bound to ${d.az}, not ${d.instanceZone}.`),
  ResourceMismatch: (d) =>
    d.resource === 'subnet'
      ? client('InvalidSubnet.NotFound', `The subnet ${d.id} is not in ${d.expected}.`)
      : client('InvalidParameter', `The ${d.resource} ${d.id} does not belong to ${d.expected}.`),
  CidrNotAllowed: (d, action) => client(action === 'CreateVpc' ? 'InvalidVpcCidr' : 'InvalidSubnetCidr', `The CIDR block ${d.cidr} is not allowed.`),
  CidrOutsideVpc: (d) => client('InvalidSubnetCidr', `The subnet CIDR block ${d.cidr} is not inside the VPC CIDR block ${d.vpcCidr}.`),
  CidrOverlap: (d) => client('InvalidSubnet.Conflict', `The CIDR block ${d.cidr} overlaps the subnet ${d.otherId}.`),
  ResourceInUse: (d) => client(IN_USE[d.resource] ?? 'InvalidPrivateIpAddress.InUse', `The ${d.resource} ${d.id} is in use: ${d.reason}.`),
  VpcQuotaExceeded: (d) => client('VpcLimitExceeded', `The number of VPCs has reached the quota (${d.limit}).`),
  SubnetQuotaExceeded: (d) => client('SubnetLimitExceeded', `The number of subnets in ${d.vpcId} has reached the quota (${d.limit}).`),
  EniQuotaPerVpcExceeded: (d) => client('NetworkInterfaceLimitExceeded', `The number of ENIs in ${d.vpcId} has reached the quota (${d.limit}).`),
  EniAlreadyAttached: (d) => client('InvalidNetworkInterface.AlreadyAssociated', `The ENI ${d.eniId} is already attached to ${d.instanceId}.`),
  // An ENI already on the destination of a migrate is also "not on the source"; spec §4.4 answers the
  // more specific AlreadyAssociated, which the seed lists for Migrate.
  EniNotAttached: (d) =>
    d.onDestination
      ? client('InvalidNetworkInterface.AlreadyAssociated', `The ENI ${d.eniId} is already attached to ${d.onDestination}.`)
      : client('InvalidNetworkInterface.NotAttached', `The ENI ${d.eniId} is not attached to ${d.instanceId}.`),
  PrimaryEniImmutable: (d, action) =>
    action === 'DeleteNetworkInterface'
      ? client('InvalidNetworkInterface.CanNotDelete', `The ENI ${d.eniId} is a primary ENI and cannot be deleted.`)
      : client('UnsupportedOperation', `The ENI ${d.eniId} is a primary ENI and cannot be attached, detached or migrated.`),
  EniInvalidState: (d) => client('UnsupportedOperation.InvalidState', `The ENI ${d.eniId} is in state ${d.state}.`),
  EniBusy: (d) => ({ code: 5100, codeDesc: 'ActionLocked', message: `Another task (${d.taskId}) is running on ${d.eniId}; retry when it has finished.` }),
  InstanceInvalidState: (d, action) =>
    action === 'StartInstances' || action === 'StopInstances'
      ? client('OperationConstraints.InvaildInstanceStatus', `The instance ${d.instanceId} is in state ${d.state}.`)
      : client('UnsupportedOperation.InvalidState', `The instance ${d.instanceId} is in state ${d.state}; it must be running or stopped.`),
  InstanceBusy: (d) => ({ code: 5100, codeDesc: 'ActionLocked', message: `Another task (${d.taskId}) is running on ${d.instanceId}; retry when it has finished.` }),
  VpcMismatch: (d) => client('UnsupportedOperation.VpcMismatch', `The ENI ${d.eniId} and the instance ${d.instanceId} are in different VPCs.`),
  ZoneMismatch: (d) => client('UnsupportedOperation.ZoneMismatch', `The ENI ${d.eniId} is in ${d.zone} but the instance is in ${d.instanceZone}.`),
  UnsupportedInstanceFamily: (d) =>
    client('UnsupportedOperation.UnsupportedInstanceFamily', `The instance type ${d.instanceType} of ${d.instanceId} does not support ENIs.`),
  EniQuotaExceeded: (d) => client('NetworkInterfaceLimitExceeded', `The instance ${d.instanceId} already has its maximum of ${d.limit} ENIs.`),
  IpQuotaExceeded: (d) => client('LimitExceeded', `The ENI ${d.eniId} would exceed its quota of ${d.limit} private IP addresses.`),
  SubnetExhausted: (d) => client('ResourceInsufficient.Subnet', `The subnet ${d.subnetId} has no free IP address.`),
  IpOutsideSubnet: (d) => client('InvalidParameter', `The address ${d.ip} is not in the subnet ${d.subnetId}.`),
  IpReserved: (d) => client('InvalidParameter', `The address ${d.ip} is reserved by the system.`),
  IpInUse: (d) => client('InvalidPrivateIpAddress.InUse', `The address ${d.ip} is already in use.`),
  IpNotOnEni: (d) => client('InvalidParameter', `The address ${d.ip} is not on the ENI ${d.eniId}.`),
  // Sic: lower-case "ip", as Tencent spells it.
  PrimaryIpImmutable: (d) => client('InvalidPrivateip.IsPrimary', `The address ${d.ip} is a primary IP.`),
  SubnetMismatch: (d) => client('InvalidParameter', `The address ${d.ip} can only move between ENIs of one subnet; ${d.eniId} is in another.`),
  SecurityGroupQuotaExceeded: (d) => client('LimitExceeded', `The number of security groups has reached the quota (${d.limit}).`),
  SecurityGroupRuleQuotaExceeded: (d) => client('LimitExceeded', `The security group ${d.securityGroupId} would exceed its quota of ${d.limit} rules.`),
  SecurityGroupsPerResourceExceeded: (d) => client('InvalidParameter', `An ${d.resource === 'eni' ? 'ENI' : 'instance'} may be in at most ${d.limit} security groups.`),
  SecurityGroupRuleDuplicate: (d) => client('InvalidParameter', `The security group ${d.securityGroupId} already has this rule.`),
  PolicyVersionMismatch: (d) => client('InvalidParameter', `The rules of ${d.securityGroupId} have changed since version ${d.version}.`),
  IdempotencyMismatch: (d) => client('InvalidParameter', `The token ${d.token} was already used with different parameters.`),
  IdempotencyInProgress: (d) => ({ code: 5100, codeDesc: 'ActionLocked', message: `The request with token ${d.token} is still being processed.` }),
  DataplaneFailure: (d) => ({ code: 5100, codeDesc: 'InternalError.ResourceOpFailed', message: `The operation ${d.operation} failed: ${d.detail}.` }),
  Unavailable: () => ({ code: 6000, codeDesc: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please retry later.' }),
  // The fault's status is its numeric code (default 4000); its code the codeDesc.
  InjectedFault: (d) => ({ code: d.status ?? 4000, codeDesc: d.code, message: d.message }),
  DryRunPassed: (d) => client('InvalidParameter', `Dry run of ${d.operation} passed.`),
};

/**
 * The security-group actions of dfw.api.qcloud.com number their errors their own way: 7001 no such
 * group (or not the caller's), 7002 a quota, 9003 a name, remark or rule malformed or too long,
 * 7000 any other refusal of the group backend. Kinds not listed keep the table's answer.
 */
const dfw: Partial<{ [K in DomainErrorKind]: Mapper<K> }> = {
  NotFound: (d, a) => (d.resource === 'securityGroup' ? { code: 7001, codeDesc: 'InvalidSecurityGroup.NotFound', message: `The security group ${d.id} does not exist.` } : table.NotFound(d, a)),
  PermissionDenied: (d, a) => dfw.NotFound!(d, a),
  SecurityGroupQuotaExceeded: (d) => ({ code: 7002, codeDesc: 'LimitExceeded', message: `The number of security groups has reached the quota (${d.limit}).` }),
  SecurityGroupRuleQuotaExceeded: (d) => ({ code: 7002, codeDesc: 'LimitExceeded', message: `The security group ${d.securityGroupId} would exceed its quota of ${d.limit} rules.` }),
  InvalidValue: (d, a) => ({ ...table.InvalidValue(d, a), code: 9003 }),
  ResourceInUse: (d) => ({ code: 7000, codeDesc: 'InvalidSecurityGroup.InUse', message: `The ${d.resource} ${d.id} is in use: ${d.reason}.` }),
  SecurityGroupsPerResourceExceeded: (d) => ({ code: 7000, codeDesc: 'LimitExceeded', message: `An ${d.resource === 'eni' ? 'ENI' : 'instance'} may be in at most ${d.limit} security groups.` }),
};

export function tc2ErrorOf(err: DomainError, action: string, host?: string): Tc2ErrorBody {
  const mapper = (host === 'dfw' ? dfw[err.kind] : undefined) ?? table[err.kind];
  return (mapper as Mapper<DomainErrorKind>)(err.data, action);
}

/** A failed task's error as DescribeVpcTaskResult reports it in data.output (errorCode, errorMsg). */
export function taskOutput(errorKind: string | null, message: string | null): { errorCode: number; errorMsg: string } {
  if (errorKind === 'DataplaneFailure') return { errorCode: 5100, errorMsg: message ?? 'operation failed' };
  return { errorCode: 6000, errorMsg: message ?? 'operation failed' };
}
