/**
 * The JD Cloud error table: every core error kind to an HTTP status, status string and message.
 * Messages the seed documents are used exactly ("Conflict with underlay task xx", "NetworkInterface
 * has been attached on other device", ...); the others are our wording in the same style (spec §8).
 */
import type { DomainError, DomainErrorData, DomainErrorKind, Field } from '../../core/errors.ts';
import { JdError } from './jdError.ts';

/** A task id is the request id that accepted it; JD shows request ids without dashes. */
const jdTaskId = (taskId: string) => taskId.replace(/-/g, '');

type Mapper<K extends DomainErrorKind> = (d: DomainErrorData[K], op: string) => JdError;

const invalid = (m: string) => new JdError(400, 'INVALID_ARGUMENT', m);
const precondition = (m: string) => new JdError(400, 'FAILED_PRECONDITION', m);
const notFound = (m: string) => new JdError(404, 'NOT_FOUND', m);
const quota = (m: string) => new JdError(429, 'QUOTA_EXCEEDED', m);

/** JD Cloud's parameter names for core's fields. */
const FIELD: Record<Field, string> = {
  'vpc.name': 'vpcName',
  'vpc.cidr': 'addressPrefix',
  'vpc.dnsServers': 'dnsServers',
  'vpc.domainName': 'domainName',
  'subnet.name': 'subnetName',
  'subnet.cidr': 'addressPrefix',
  'subnet.zone': 'az',
  'eni.name': 'networkInterfaceName',
  'eni.description': 'description',
  'eni.addresses': 'secondaryIpAddresses',
  'eni.addresses.primary': 'primaryIpAddress',
  address: 'privateIpAddress',
  'instance.name': 'name',
  'instance.addresses': 'primaryIpAddress',
  'instance.userData': 'userdata',
  'eip.count': 'maxCount',
  'securityGroup.name': 'networkSecurityGroupName',
  'securityGroup.description': 'description',
  securityGroups: 'securityGroups',
  'rule.protocol': 'protocol',
  'rule.ports': 'fromPort',
  'rule.target': 'addressPrefix',
  'rule.action': 'action',
  'rule.description': 'description',
  'rule.index': 'ruleId',
  tags: 'tags',
  'tag.key': 'key',
  'tag.value': 'value',
  // The control plane's own (never in a cloud answer).
  'snapshot.name': 'name',
  world: 'world',
  fault: 'fault',
  transition: 'transition',
};

/** Why a value was refused, in the words of JD's parameter rules (spec §4.11–4.13). */
function invalidReason(d: DomainErrorData['InvalidValue']): string {
  switch (d.reason) {
    case 'tooLong':
      return `must be at most ${d.limit} ${d.unit === 'bytes' ? 'bytes' : 'characters'}`;
    case 'tooShort':
      return `must be at least ${d.limit} characters`;
    case 'malformed':
      return d.field.endsWith('.name') ? 'may contain only Chinese characters, letters, digits, _ and -' : 'is malformed';
    case 'range':
      return 'is out of range';
    case 'duplicate':
      return 'contains duplicate values';
    case 'empty':
      return 'must not be empty';
    case 'limitExceeded':
      return 'has too many values';
    case 'reserved':
      return 'uses a reserved prefix';
  }
}

/** JD's names for resources in messages. */
const NAMES: Record<string, string> = {
  vpc: 'Vpc',
  subnet: 'Subnet',
  eni: 'NetworkInterface',
  instance: 'Instance',
  instanceType: 'InstanceType',
  eip: 'ElasticIp',
  zone: 'Az',
  task: 'Task',
  ip: 'Ip',
  region: 'Region',
  securityGroup: 'NetworkSecurityGroup',
  securityGroupRule: 'NetworkSecurityGroupRule',
};

/** JD's lower-case instance statuses (spec §6.1). */
export const JD_STATUS: Record<string, string> = {
  PENDING: 'pending',
  LAUNCH_FAILED: 'error',
  RUNNING: 'running',
  STOPPED: 'stopped',
  STARTING: 'starting',
  STOPPING: 'stopping',
  REBOOTING: 'rebooting',
  TERMINATING: 'deleting',
};

/** The HTTP status of each JD status string (spec §3.3). */
const HTTP_OF_STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400, FAILED_PRECONDITION: 400, OUT_OF_RANGE: 400, UNAUTHENTICATED: 401, ACCESS_ERROR: 401, PERMISSION_DENIED: 403,
  NOT_FOUND: 404, ALREADY_EXISTS: 409, ABORTED: 409, QUOTA_EXCEEDED: 429, RESOURCE_EXHAUSTED: 429, INTERNAL: 500, UNKNOWN: 500,
  NOT_IMPLEMENTED: 501, UNAVAILABLE: 503, DEADLINE_EXCEEDED: 504,
};

/** Operations that take a list of security groups for an ENI or instance. */
const GROUP_LIST_OPS = new Set(['createInstances', 'createNetworkInterface', 'modifyNetworkInterface']);

const table: { [K in DomainErrorKind]: Mapper<K> } = {
  InvalidValue: (d) => invalid(`Invalid parameter ${FIELD[d.field]}${d.value === undefined || d.reason === 'tooLong' ? '' : ` '${String(d.value)}'`}: ${invalidReason(d)}`),
  NotFound: (d, op) => {
    if (d.resource === 'instance') return notFound(`Instance '${d.id}' not found.`);
    // createNetworkInterface documents this exact text for its subnet (spec §4.13).
    if (d.resource === 'subnet' && op === 'createNetworkInterface') return notFound(`Resource 'subnetId' not found`);
    if (d.resource === 'zone') return invalid(`Invalid az '${d.id}'`);
    // A group named in an ENI's or instance's list: createInstances documents this text.
    if (d.resource === 'securityGroup' && GROUP_LIST_OPS.has(op)) return notFound(`SecurityGroups '${d.id}' not found`);
    if (d.resource === 'securityGroupRule') return notFound('SecurityGroup or SecurityGroupRule not found');
    return notFound(`${NAMES[d.resource] ?? d.resource} '${d.id}' not found`);
  },
  // The seed's permission error for an ENI the caller may not use (another account's).
  PermissionDenied: (d, op) => (d.resource === 'eni' ? precondition('No NetworkInterface permissions.') : table.NotFound(d, op)),
  EipZoneMismatch: (d) => precondition(`ElasticIp '${d.eipId}' and instance are not in the same az`),
  // Unconfirmed for ENIs; the rules API words a group of another VPC so.
  ResourceMismatch: (d) =>
    d.resource === 'securityGroup' ? invalid(`SecurityGroup '${d.id}' not in the same vpc`) : invalid(`${NAMES[d.resource] ?? d.resource} '${d.id}' does not belong to '${d.expected}'`),
  CidrNotAllowed: (d) => invalid(`Invalid addressPrefix '${d.cidr}': it must be inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a mask of 16 to 28`),
  CidrOutsideVpc: (d) => invalid(`Subnet addressPrefix '${d.cidr}' is not inside the vpc addressPrefix '${d.vpcCidr}'`),
  CidrOverlap: (d) => invalid(`Subnet addressPrefix '${d.cidr}' overlaps subnet '${d.otherId}'`),
  ResourceInUse: (d) =>
    d.resource === 'ip' ? new JdError(409, 'ALREADY_EXISTS', `Resource '${d.id}' already be used`) : precondition(`${NAMES[d.resource] ?? d.resource} '${d.id}' is in use: ${d.reason}`),
  VpcQuotaExceeded: () => quota('Vpc quota limit exceeded'),
  SubnetQuotaExceeded: () => quota('Subnet quota limit exceeded'),
  EniQuotaPerVpcExceeded: () => quota('NetworkInterface quota limit exceeded'),
  EniAlreadyAttached: () => precondition('NetworkInterface has been attached on other device'),
  EniNotAttached: (d) => precondition(`NetworkInterface '${d.eniId}' is not attached to instance '${d.instanceId}'`),
  PrimaryEniImmutable: (_d, op) =>
    op === 'detachNetworkInterface'
      ? precondition("Can't detach primaryNetworkInterface")
      : op === 'deleteNetworkInterface'
        ? precondition("Can't delete primaryNetworkInterface")
        : op === 'modifyInstanceNetworkAttribute'
          ? precondition("Can't modify the autoDelete of primaryNetworkInterface")
        : // A primary NIC is by definition attached to its instance (spec §4.1 gap; our choice).
          precondition('NetworkInterface has been attached on other device'),
  EniInvalidState: (d) => precondition(`Invalid networkInterface status ${d.state.toLowerCase()}`),
  // The task id is the requestId of the call that started it, shown as JD shows requestIds (no dashes).
  EniBusy: (d) => precondition(`Conflict with underlay task ${jdTaskId(d.taskId)}`),
  InstanceInvalidState: (d, op) =>
    op === 'deleteInstance'
      ? precondition(`Invalid instance status '${JD_STATUS[d.state] ?? d.state}'`)
      : precondition(`Invalid instance status ${JD_STATUS[d.state] ?? d.state}`),
  InstanceBusy: (d) => precondition(`Conflict with underlay task ${jdTaskId(d.taskId)}`),
  VpcMismatch: (d) => precondition(`NetworkInterface '${d.eniId}' and instance '${d.instanceId}' are not in the same vpc`),
  ZoneMismatch: (d) => precondition(`NetworkInterface '${d.eniId}' and instance are not in the same az`),
  UnsupportedInstanceFamily: (d) => precondition(`Flavor constraints. InstanceType '${d.instanceType}' does not support networkInterfaces`),
  EniQuotaExceeded: () => precondition('Flavor constraints. NetworkInterface limit exceeded'),
  IpQuotaExceeded: (d) => precondition(`NetworkInterface '${d.eniId}' can hold at most ${d.limit} private ips`),
  SubnetExhausted: () => precondition('Available Ip in segments not enough'),
  IpOutsideSubnet: (d) => invalid(`Ip '${d.ip}' is not in subnet '${d.subnetId}'`),
  IpReserved: (d) => invalid(`Ip '${d.ip}' is reserved`),
  // createNetworkInterface documents this exact text (spec §4.13); elsewhere the address is added.
  IpInUse: (d, op) =>
    op === 'createNetworkInterface'
      ? new JdError(409, 'ALREADY_EXISTS', "Resource 'primaryIp' already be used")
      : new JdError(409, 'ALREADY_EXISTS', `Resource '${op === 'assignSecondaryIps' ? 'secondaryIp' : 'primaryIp'}' already be used: ${d.ip}`),
  IpNotOnEni: (d) => invalid(`Ip '${d.ip}' is not on networkInterface '${d.eniId}'`),
  PrimaryIpImmutable: (d) => invalid(`Ip '${d.ip}' is the primary ip and cannot be unassigned`),
  SubnetMismatch: (d) => invalid(`Ip '${d.ip}' can only move between networkInterfaces of one subnet`),
  SecurityGroupQuotaExceeded: () => quota('NetworkSecurityGroup quota limit exceeded'),
  SecurityGroupRuleQuotaExceeded: () => quota('NetworkSecurityGroupRule quota limit exceeded'),
  SecurityGroupsPerResourceExceeded: (d) => invalid(`Invalid parameter securityGroups: at most ${d.limit} networkSecurityGroups`),
  // Unconfirmed: JD documents no duplicate-rule error; we refuse it as a conflict.
  SecurityGroupRuleDuplicate: (d) => new JdError(409, 'ALREADY_EXISTS', `NetworkSecurityGroup '${d.securityGroupId}' already has this rule`),
  PolicyVersionMismatch: (d) => precondition(`NetworkSecurityGroup '${d.securityGroupId}' has changed`),
  IdempotencyMismatch: (d) => invalid(`clientToken '${d.token}' was already used with other parameters`),
  IdempotencyInProgress: (d) => new JdError(409, 'ABORTED', `The request with clientToken '${d.token}' is still in progress`),
  DataplaneFailure: () => new JdError(500, 'INTERNAL', 'Internal server error'),
  Unavailable: () => new JdError(503, 'UNAVAILABLE', 'Service unavailable, please retry later'),
  // The fault's status is its HTTP status; without one, the status JD gives its code (spec §3.3).
  InjectedFault: (d) => new JdError(d.status ?? HTTP_OF_STATUS[d.code] ?? 500, d.code, d.message),
  DryRunPassed: (d) => invalid(`Dry run of ${d.operation} passed`),
};

export function jdErrorOf(err: DomainError, op: string): JdError {
  return (table[err.kind] as Mapper<DomainErrorKind>)(err.data, op);
}
