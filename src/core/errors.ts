/**
 * The closed set of things that can go wrong in the core. Each dialect maps every kind to its
 * vendor's code, message and status in one total table, so the compiler reports a forgotten kind.
 */

export type ResourceKind =
  | 'vpc' | 'subnet' | 'eni' | 'instance' | 'task' | 'zone' | 'instanceType' | 'ip' | 'region' | 'eip' | 'account'
  | 'securityGroup' | 'securityGroupRule' | 'routeTable' | 'image' | 'disk' | 'snapshot' | 'fault';

/**
 * The request values core checks, in neutral words. Each dialect's error table renders them as its
 * vendor's parameter names (`NetworkInterfaceName`, `networkInterfaceName`, ...), so no vendor
 * vocabulary lives in core.
 */
export type Field =
  | 'vpc.name' | 'vpc.cidr' | 'vpc.dnsServers' | 'vpc.domainName'
  | 'subnet.name' | 'subnet.cidr' | 'subnet.zone'
  | 'eni.name' | 'eni.description' | 'eni.addresses' | 'eni.addresses.primary'
  | 'address'
  | 'instance.name' | 'instance.addresses' | 'instance.userData'
  | 'eip.count'
  | 'securityGroup.name' | 'securityGroup.description' | 'securityGroups'
  | 'rule.protocol' | 'rule.ports' | 'rule.target' | 'rule.action' | 'rule.description' | 'rule.index'
  | 'tags' | 'tag.key' | 'tag.value'
  | 'snapshot.name' | 'world' | 'fault' | 'transition';

export interface DomainErrorData {
  /**
   * A request parameter failed a rule that is not about a resource (bad CIDR, name too long...).
   * `limit` and `unit` say what a length rule allowed, `min` a lower bound.
   */
  InvalidValue: {
    field: Field;
    reason: 'malformed' | 'tooLong' | 'tooShort' | 'range' | 'duplicate' | 'empty' | 'limitExceeded' | 'reserved';
    value?: unknown;
    limit?: number;
    unit?: 'bytes' | 'chars';
  };
  NotFound: { resource: ResourceKind; id: string };
  /**
   * The resource exists but belongs to another account. Only vendors with a documented permission
   * error show this (JD Cloud "No NetworkInterface permissions."); the others answer it as NotFound.
   */
  PermissionDenied: { resource: ResourceKind; id: string };
  /** An elastic IP bound to the ENI is tied to a zone other than the instance's. */
  EipZoneMismatch: { eipId: string; az: string; instanceZone: string };
  /** A resource exists but does not belong with another one named in the same request. */
  ResourceMismatch: { resource: ResourceKind; id: string; expected: string };
  CidrNotAllowed: { cidr: string };
  CidrOutsideVpc: { cidr: string; vpcCidr: string };
  CidrOverlap: { cidr: string; otherId: string };
  ResourceInUse: { resource: ResourceKind; id: string; reason: string };
  VpcQuotaExceeded: { limit: number };
  SubnetQuotaExceeded: { vpcId: string; limit: number };
  EniQuotaPerVpcExceeded: { vpcId: string; limit: number };
  EniAlreadyAttached: { eniId: string; instanceId: string };
  /** `onDestination`: a migrate found the ENI already on (or moving to) this, its destination. */
  EniNotAttached: { eniId: string; instanceId: string; onDestination?: string };
  PrimaryEniImmutable: { eniId: string };
  EniInvalidState: { eniId: string; state: string };
  EniBusy: { eniId: string; taskId: string };
  InstanceInvalidState: { instanceId: string; state: string; operation: string };
  InstanceBusy: { instanceId: string; taskId: string };
  VpcMismatch: { eniId: string; instanceId: string };
  ZoneMismatch: { eniId: string; zone: string; instanceZone: string };
  UnsupportedInstanceFamily: { instanceId: string; instanceType: string };
  EniQuotaExceeded: { instanceId: string; limit: number; attachType: number };
  IpQuotaExceeded: { eniId: string; limit: number };
  SubnetExhausted: { subnetId: string };
  IpOutsideSubnet: { ip: string; subnetId: string };
  IpReserved: { ip: string };
  IpInUse: { ip: string };
  IpNotOnEni: { ip: string; eniId: string };
  PrimaryIpImmutable: { ip: string };
  SubnetMismatch: { ip: string; eniId: string };
  /** The account's security groups in this region (or VPC, where groups belong to one) are at their quota. */
  SecurityGroupQuotaExceeded: { limit: number };
  /** A group would hold more rules than the provider allows (per direction where it counts so). */
  SecurityGroupRuleQuotaExceeded: { securityGroupId: string; limit: number };
  /** The same rule (protocol, ports, peer, action) twice in one direction of a group. */
  SecurityGroupRuleDuplicate: { securityGroupId: string };
  /** More groups named for one ENI or instance than the provider allows. */
  SecurityGroupsPerResourceExceeded: { resource: 'eni' | 'instance'; limit: number };
  /** A rule change named the version of the rules it read, and they have changed since. */
  PolicyVersionMismatch: { securityGroupId: string; version: number; current: number };
  IdempotencyMismatch: { token: string };
  IdempotencyInProgress: { token: string };
  /** The data plane refused or failed an effect; recorded on the task and the resource rolled back. */
  DataplaneFailure: { operation: string; detail: string };
  Unavailable: { detail: string };
  /** A fault injected through the control plane: answered with exactly this vendor code. */
  InjectedFault: { code: string; message: string; status: number | null };
  /** A dry run passed every check; nothing was changed. */
  DryRunPassed: { operation: string };
}

export type DomainErrorKind = keyof DomainErrorData;

/**
 * An error that is an answer, not a bug: a refusal the API returns to its caller. No stack trace is
 * captured; capturing one cost more than all the rest of a refused request, and it is never shown.
 */
export class AnswerError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

export class DomainError<K extends DomainErrorKind = DomainErrorKind> extends AnswerError {
  constructor(
    readonly kind: K,
    readonly data: DomainErrorData[K],
  ) {
    super(`${kind}: ${JSON.stringify(data)}`);
    this.name = 'DomainError';
  }
}

export function fail<K extends DomainErrorKind>(kind: K, data: DomainErrorData[K]): never {
  throw new DomainError(kind, data);
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

/** A domain error as stored on a failed task, and rebuilt from there. */
export interface StoredError {
  kind: DomainErrorKind;
  data: unknown;
}
