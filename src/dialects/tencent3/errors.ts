/**
 * The API 3.0 error table: every core error kind to its Tencent code and message. The table is a
 * Record over all kinds, so a kind added to the core and forgotten here does not compile.
 * Codes marked "inferred" in spec §4 are our choice where Tencent does not say; they live only here.
 */
import type { DomainError, DomainErrorData, DomainErrorKind, Field } from '../../core/errors.ts';

/** API 3.0's parameter names for core's fields. */
const FIELD: Record<Field, string> = {
  'vpc.name': 'VpcName',
  'vpc.cidr': 'CidrBlock',
  'vpc.dnsServers': 'DnsServers',
  'vpc.domainName': 'DomainName',
  'subnet.name': 'SubnetName',
  'subnet.cidr': 'CidrBlock',
  'subnet.zone': 'Zone',
  'eni.name': 'NetworkInterfaceName',
  'eni.description': 'NetworkInterfaceDescription',
  'eni.addresses': 'PrivateIpAddresses',
  'eni.addresses.primary': 'PrivateIpAddresses.Primary',
  address: 'PrivateIpAddress',
  'instance.name': 'InstanceName',
  'instance.addresses': 'VirtualPrivateCloud.PrivateIpAddresses',
  'instance.userData': 'UserData',
  'eip.count': 'AddressCount',
  'securityGroup.name': 'GroupName',
  'securityGroup.description': 'GroupDescription',
  securityGroups: 'SecurityGroupIds',
  'rule.protocol': 'Protocol',
  'rule.ports': 'Port',
  'rule.target': 'CidrBlock',
  'rule.action': 'Action',
  'rule.description': 'PolicyDescription',
  'rule.index': 'PolicyIndex',
  tags: 'Tags',
  'tag.key': 'TagKey',
  'tag.value': 'TagValue',
  // The control plane's own (never in a cloud answer).
  'snapshot.name': 'name',
  world: 'world',
  fault: 'fault',
  transition: 'transition',
};

export type Product = 'vpc' | 'cvm' | 'cbs' | 'tag';

export interface TcErrorBody {
  code: string;
  message: string;
}

interface Ctx {
  product: Product;
  action: string;
}

type Mapper<K extends DomainErrorKind> = (d: DomainErrorData[K], c: Ctx) => TcErrorBody;

const e = (code: string, message: string): TcErrorBody => ({ code, message });

const pascal = (s: string): string => s.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u, ch: string) => ch.toUpperCase());

const notFoundCvm: Record<string, string> = {
  instance: 'InvalidInstanceId.NotFound',
  zone: 'InvalidZone.MismatchRegion',
  instanceType: 'InvalidParameterValue.InstanceTypeNotFound',
  vpc: 'InvalidParameterValue.VpcIdNotExist',
  subnet: 'InvalidParameterValue.SubnetNotExist',
  securityGroup: 'InvalidSecurityGroupId.NotFound',
};

/** Tags break the tag service's documented rules; every product that takes tags answers with them. */
const TAG_CODES: Partial<Record<string, string>> = {
  'tag.key:empty': 'InvalidParameterValue.TagKeyEmpty',
  'tag.key:tooLong': 'InvalidParameterValue.TagKeyLengthExceeded',
  'tag.key:malformed': 'InvalidParameterValue.TagKeyCharacterIllegal',
  'tag.key:reserved': 'InvalidParameter.ReservedTagKey',
  'tag.value:tooLong': 'InvalidParameterValue.TagValueLengthExceeded',
  'tag.value:malformed': 'InvalidParameterValue.TagValueCharacterIllegal',
  'tags:limitExceeded': 'LimitExceeded.ResourceAttachedTags',
  'tags:duplicate': 'InvalidParameter.TagKeyDuplicate',
};

const table: { [K in DomainErrorKind]: Mapper<K> } = {
  InvalidValue: (d, c) => {
    const v = d.value === undefined ? '' : ` (\`${String(d.value)}\`)`;
    const tagCode = TAG_CODES[`${d.field}:${d.reason}`];
    if (tagCode) return e(tagCode, `The tag${v} is not allowed: ${d.field} ${d.reason}${d.limit ? ` (limit ${d.limit})` : ''}.`);
    const name = FIELD[d.field];
    switch (d.reason) {
      case 'malformed':
        return e('InvalidParameterValue.Malformed', `The value of \`${name}\`${v} is malformed.`);
      case 'tooLong':
        return c.product === 'cvm' && d.field === 'instance.name'
          ? e('InvalidInstanceName.TooLong', 'The instance name is too long.')
          : e('InvalidParameterValue.TooLong', `The value of \`${name}\` is too long.`);
      case 'tooShort':
        return e('InvalidParameterValue.TooShort', `The value of \`${name}\` is too short.`);
      case 'range':
        // CreateSubnet reports a mask outside /16–/28 with its own code.
        return d.field === 'subnet.cidr' && c.action === 'CreateSubnet'
          ? e('InvalidParameterValue.SubnetRange', `The subnet CIDR block${v} must have a mask between /16 and /28.`)
          : e('InvalidParameterValue.Range', `The value of \`${name}\`${v} is out of range.`);
      case 'duplicate':
        return e('InvalidParameterValue.DuplicatePara', `The parameter \`${name}\` contains duplicate values${v}.`);
      case 'empty':
        return e('InvalidParameterValue.Empty', `The parameter \`${name}\` must not be empty.`);
      case 'limitExceeded':
        return e('InvalidParameterValue.LimitExceeded', `The parameter \`${name}\` has too many values.`);
      case 'reserved':
        return e('InvalidParameterValue', `The value of \`${name}\`${v} is reserved.`);
    }
  },
  NotFound: (d, c) => {
    if (c.product === 'cvm' && notFoundCvm[d.resource]) return e(notFoundCvm[d.resource]!, `The ${d.resource} \`${d.id}\` does not exist.`);
    if (d.resource === 'instance' && c.action === 'DescribeNetworkInterfaceLimit') {
      return e('InvalidInstanceId.NotFound', `The instance \`${d.id}\` does not exist.`);
    }
    if (d.resource === 'zone') return e('InvalidParameterValue', `The zone \`${d.id}\` is not in this region.`);
    return e('ResourceNotFound', `The resource \`${d.id}\` does not exist.`);
  },
  // Tencent documents no permission error for another account's resource: it does not exist here.
  PermissionDenied: (d, c) => table.NotFound({ resource: d.resource, id: d.id }, c),
  EipZoneMismatch: (d) => e('UnsupportedOperation.ZoneMismatch', `The EIP \`${d.eipId}\` is bound to ${d.az}, not ${d.instanceZone}.`),
  ResourceMismatch: (d, c) => {
    if (c.product === 'cvm') {
      return d.expected.startsWith('vpc-')
        ? e('InvalidParameterValue.VpcIdSubnetIdNotMatch', `The subnet \`${d.id}\` is not in the VPC \`${d.expected}\`.`)
        : e('InvalidParameterValue.SubnetIdZoneIdNotMatch', `The subnet \`${d.id}\` is not in the zone \`${d.expected}\`.`);
    }
    return e('UnsupportedOperation.ResourceMismatch', `The ${d.resource} \`${d.id}\` does not belong to \`${d.expected}\`.`);
  },
  CidrNotAllowed: (d) =>
    e('InvalidParameterValue.Malformed', `The CIDR block \`${d.cidr}\` must be inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a mask up to /28.`),
  CidrOutsideVpc: (d) => e('InvalidParameterValue.SubnetRange', `The subnet CIDR block \`${d.cidr}\` is not inside the VPC CIDR block \`${d.vpcCidr}\`.`),
  CidrOverlap: (d) => e('InvalidParameterValue.SubnetOverlap', `The CIDR block \`${d.cidr}\` overlaps the subnet \`${d.otherId}\`.`),
  ResourceInUse: (d) => e('ResourceInUse', `The ${d.resource === 'securityGroup' ? 'security group' : d.resource} \`${d.id}\` is in use: ${d.reason}.`),
  VpcQuotaExceeded: (d) => e('LimitExceeded', `The number of VPCs in this region has reached the quota (${d.limit}).`),
  SubnetQuotaExceeded: (d) => e('LimitExceeded', `The number of subnets in \`${d.vpcId}\` has reached the quota (${d.limit}).`),
  EniQuotaPerVpcExceeded: (d) =>
    e('LimitExceeded.NetworkInterfaceLimitExceeded', `The number of ENIs in \`${d.vpcId}\` has reached the quota (${d.limit}).`),
  EniAlreadyAttached: (d) =>
    e('UnsupportedOperation.AttachmentAlreadyExists', `The ENI \`${d.eniId}\` is already attached to \`${d.instanceId}\`.`),
  // Detach has no AttachmentNotFound in its documented list; InvalidState is what Terraform retries on.
  EniNotAttached: (d, c) =>
    c.action === 'DetachNetworkInterface'
      ? e('UnsupportedOperation.InvalidState', `The ENI \`${d.eniId}\` is not attached to \`${d.instanceId}\`.`)
      : e('UnsupportedOperation.AttachmentNotFound', `The ENI \`${d.eniId}\` is not attached to \`${d.instanceId}\`.`),
  PrimaryEniImmutable: (d) => e('UnsupportedOperation', `The ENI \`${d.eniId}\` is a primary ENI and cannot be attached, detached, migrated or deleted.`),
  EniInvalidState: (d) => e('UnsupportedOperation.InvalidState', `The ENI \`${d.eniId}\` is in state ${d.state}; the operation needs AVAILABLE.`),
  EniBusy: (d) => e('UnsupportedOperation.MutexOperationTaskRunning', `Another task (${d.taskId}) is running on \`${d.eniId}\`.`),
  InstanceInvalidState: (d, c) =>
    c.product === 'cvm'
      ? e(`UnsupportedOperation.InstanceState${pascal(d.state)}`, `The instance \`${d.instanceId}\` is in state ${d.state}; ${d.operation} is not allowed.`)
      : e('UnsupportedOperation.InvalidState', `The instance \`${d.instanceId}\` is in state ${d.state}; it must be RUNNING or STOPPED.`),
  InstanceBusy: (d, c) =>
    c.product === 'cvm'
      ? e('OperationDenied.InstanceOperationInProgress', `An operation (${d.taskId}) is in progress on \`${d.instanceId}\`.`)
      : e('UnsupportedOperation.MutexOperationTaskRunning', `Another task (${d.taskId}) is running on the instance \`${d.instanceId}\`.`),
  VpcMismatch: (d) => e('UnsupportedOperation.VpcMismatch', `The ENI \`${d.eniId}\` and the instance \`${d.instanceId}\` are in different VPCs.`),
  ZoneMismatch: (d) =>
    e('UnsupportedOperation.ZoneMismatch', `The ENI \`${d.eniId}\` is in ${d.zone} but the instance is in ${d.instanceZone}.`),
  UnsupportedInstanceFamily: (d) =>
    e('UnsupportedOperation.UnsupportedInstanceFamily', `The instance type ${d.instanceType} of \`${d.instanceId}\` does not support ENIs.`),
  EniQuotaExceeded: (d) =>
    e('LimitExceeded', `The instance \`${d.instanceId}\` already has its maximum of ${d.limit} ENIs of attach type ${d.attachType}.`),
  IpQuotaExceeded: (d, c) =>
    e(
      c.action.startsWith('Create') ? 'InvalidParameterValue.LimitExceeded' : 'LimitExceeded',
      `The ENI \`${d.eniId}\` would exceed its quota of ${d.limit} private IP addresses.`,
    ),
  SubnetExhausted: (d, c) =>
    c.product === 'cvm'
      ? e('FailedOperation.NoAvailableIpAddressCountInSubnet', `The subnet \`${d.subnetId}\` has no free IP address.`)
      : e('ResourceInsufficient.Subnet', `The subnet \`${d.subnetId}\` has no free IP address.`),
  IpOutsideSubnet: (d, c) =>
    c.product === 'cvm'
      ? e('VpcAddrNotInSubNet', `The address ${d.ip} is not in the subnet \`${d.subnetId}\`.`)
      : e('InvalidParameterValue.Range', `The address ${d.ip} is not in the subnet \`${d.subnetId}\`.`),
  IpReserved: (d) => e('InvalidParameterValue.Reserved', `The address ${d.ip} is reserved by the system.`),
  IpInUse: (d, c) => (c.product === 'cvm' ? e('VpcIpIsUsed', `The address ${d.ip} is already in use.`) : e('ResourceInUse', `The address ${d.ip} is already in use.`)),
  IpNotOnEni: (d) => e('ResourceNotFound', `The address ${d.ip} is not on the ENI \`${d.eniId}\`.`),
  PrimaryIpImmutable: (d) => e('UnsupportedOperation.PrimaryIp', `The address ${d.ip} is a primary IP and cannot be assigned, released or migrated.`),
  SubnetMismatch: (d) => e('UnsupportedOperation', `The address ${d.ip} can only move between ENIs of the same subnet; \`${d.eniId}\` is in another.`),
  SecurityGroupQuotaExceeded: (d) => e('LimitExceeded', `The number of security groups in this region has reached the quota (${d.limit}).`),
  SecurityGroupRuleQuotaExceeded: (d) =>
    e('LimitExceeded.SecurityGroupPolicySet', `The security group \`${d.securityGroupId}\` would exceed its quota of ${d.limit} rules in one direction.`),
  // CVM names its own code for too many groups on an instance; VPC reports the parameter's limit.
  SecurityGroupsPerResourceExceeded: (d, c) =>
    c.product === 'cvm'
      ? e('LimitExceeded.AssociateUSGLimitExceeded', `An instance may be in at most ${d.limit} security groups.`)
      : e('LimitExceeded', `An ENI may be in at most ${d.limit} security groups.`),
  SecurityGroupRuleDuplicate: (d) => e('UnsupportedOperation.DuplicatePolicy', `The security group \`${d.securityGroupId}\` already has this rule.`),
  PolicyVersionMismatch: (d) =>
    e('UnsupportedOperation.VersionMismatch', `The rules of \`${d.securityGroupId}\` are at version ${d.current}, not ${d.version}; read them again.`),
  IdempotencyMismatch: (d) =>
    e('UnsupportedOperation.IdempotentParameterMismatch', `The ClientToken \`${d.token}\` was already used with different parameters.`),
  IdempotencyInProgress: (d) =>
    e('UnsupportedOperation.IdempotentProcessing', `The request with ClientToken \`${d.token}\` is still being processed; retry later.`),
  DataplaneFailure: (d) => e('FailedOperation', `The operation ${d.operation} failed: ${d.detail}.`),
  Unavailable: () => e('ServiceUnavailable', 'The service is temporarily unavailable. Please retry later.'),
  InjectedFault: (d) => e(d.code, d.message),
  DryRunPassed: (d) => e('DryRunOperation', `The ${d.operation} request would have succeeded, but DryRun was set.`),
};

export function tcErrorOf(err: DomainError, ctx: Ctx): TcErrorBody {
  return (table[err.kind] as Mapper<DomainErrorKind>)(err.data, ctx);
}

/** A failed task records the core kind; DescribeVpcTaskResult reports it in Tencent words. */
export function taskFailureText(code: string | null, message: string | null): string {
  return code ? `${code === 'DataplaneFailure' ? 'FailedOperation' : code}: ${message ?? ''}` : 'FAILED';
}
