/**
 * The ENI world in vendor-neutral terms. Dialects translate these into their own field names;
 * nothing here knows a wire format.
 */
import type { Provider } from './catalog.ts';

export type { Provider };

export interface Tag {
  key: string;
  value: string;
}

/** The resources that carry tags. */
export type TaggableKind = 'vpc' | 'subnet' | 'eni' | 'securityGroup' | 'instance';

export interface TagRef {
  kind: TaggableKind;
  id: string;
}

export interface Tagged {
  ref: TagRef;
  tags: Tag[];
}

export interface TagChange {
  ref: TagRef;
  /** Keys set to these values (a new key is added at the end; an existing one keeps its place). */
  set?: readonly Tag[];
  /** Keys removed; a key the resource does not have is no error. */
  remove?: readonly string[];
}

export interface Account {
  id: string;
  provider: Provider;
  name: string;
  /** Numeric owner id shown by vendors that expose one (Tencent's uin / AppId). */
  ownerUin: string;
  /** A disabled account's keys are refused at once, on every node. */
  status: 'enabled' | 'disabled';
  createdAt: number;
}

/** One mutating call as the audit trail keeps it. Never holds a secret. */
export interface AuditEntry {
  seq?: number;
  at: number;
  accountId: string | null;
  keyId: string | null;
  source: string;
  dialect: string;
  action: string;
  resourceIds: string[];
  resultCode: string;
  httpStatus: number;
  requestId: string;
}

export type KeyStatus = 'enabled' | 'disabled';

export interface ApiKey {
  secretId: string;
  secretKey: string;
  accountId: string;
  status: KeyStatus;
  createdAt: number;
}

/** Who is asking and where: every read and write is confined to one account and one region. */
export interface Scope {
  accountId: string;
  provider: Provider;
  region: string;
}

export interface Vpc {
  id: string;
  accountId: string;
  region: string;
  name: string;
  cidr: string;
  isDefault: boolean;
  enableMulticast: boolean;
  dnsServers: string[];
  domainName: string;
  /** The main route table the VPC is born with; every subnet of the VPC is associated with it. */
  routeTableId: string;
  tags: Tag[];
  createdAt: number;
}

export interface Subnet {
  id: string;
  accountId: string;
  region: string;
  vpcId: string;
  name: string;
  cidr: string;
  zone: string;
  isDefault: boolean;
  routeTableId: string;
  networkAclId: string;
  enableBroadcast: boolean;
  tags: Tag[];
  createdAt: number;
}

/** A subnet as the APIs show it: with how many of its addresses are usable and free. */
export interface SubnetView extends Subnet {
  availableIpCount: number;
  totalIpCount: number;
}

export type InstanceState =
  | 'PENDING'
  | 'LAUNCH_FAILED'
  | 'RUNNING'
  | 'STOPPED'
  | 'STARTING'
  | 'STOPPING'
  | 'REBOOTING'
  | 'TERMINATING';

export type OperationState = 'SUCCESS' | 'OPERATING' | 'FAILED';

export interface Instance {
  id: string;
  accountId: string;
  region: string;
  zone: string;
  vpcId: string;
  subnetId: string;
  name: string;
  instanceType: string;
  imageId: string;
  state: InstanceState;
  chargeType: string;
  /** The user data given at launch (base64, as the APIs carry it); '' when none. */
  userData: string;
  securityGroupIds: string[];
  tags: Tag[];
  latestOperation: string | null;
  latestOperationState: OperationState | null;
  latestOperationRequestId: string | null;
  latestOperationError: string | null;
  createdAt: number;
}

export type EniState = 'PENDING' | 'AVAILABLE' | 'ATTACHING' | 'DETACHING' | 'DELETING';
export type IpState = 'PENDING' | 'AVAILABLE' | 'MIGRATING' | 'DELETING';

export interface PrivateIp {
  subnetId: string;
  address: string;
  eniId: string;
  primary: boolean;
  state: IpState;
  description: string;
  qosLevel: string;
}

/** 0 = standard, 1 = extended: selects which per-instance quota an attachment uses. */
export type AttachType = 0 | 1;

export interface Eni {
  id: string;
  accountId: string;
  region: string;
  vpcId: string;
  subnetId: string;
  zone: string;
  name: string;
  description: string;
  mac: string;
  primary: boolean;
  state: EniState;
  /** The instance the ENI is attached to (settled or being detached/migrated away from). */
  instanceId: string | null;
  /** The instance an attach or migrate in flight is moving the ENI to; counts against its quota. */
  targetInstanceId: string | null;
  deviceIndex: number | null;
  attachType: AttachType;
  attachedAt: number | null;
  securityGroupIds: string[];
  tags: Tag[];
  qosLevel: string;
  trunking: boolean;
  /** Deleted together with the instance it is attached to (JD Cloud `autoDelete`); primary ENIs always are. */
  autoDelete: boolean;
  createdAt: number;
  ips: PrivateIp[];
}

/** Which way a security-group rule matches traffic, seen from the resources in the group. */
export type RuleDirection = 'ingress' | 'egress';

/**
 * One rule of a security group, in neutral terms. Tencent addresses rules by their index in each
 * direction's ordered list; JD Cloud by `id`; both are kept so each dialect answers in its way.
 */
export interface SecurityGroupRule {
  id: string;
  direction: RuleDirection;
  /** 'ALL', 'TCP', 'UDP', 'ICMP', 'ICMPv6', 'GRE' (upper case), as the APIs name them. */
  protocol: string;
  /** 'ALL', one port '80', a range '8000-8010' or a list '80,443'. */
  ports: string;
  /** IPv4 source (ingress) or destination (egress) block; '' when the rule names another way. */
  cidr: string;
  ipv6Cidr: string;
  /** Another security group whose members the rule matches (Tencent); '' when none. */
  peerGroupId: string;
  action: 'ACCEPT' | 'DROP';
  description: string;
  modifiedAt: number;
}

/**
 * A set of rules that ENIs and instances are placed in. Tencent groups belong to a region; JD Cloud
 * `networkSecurityGroup`s to one VPC (`vpcId`), and only that VPC's ENIs may join them.
 */
export interface SecurityGroup {
  id: string;
  accountId: string;
  region: string;
  /** '' where groups are regional. */
  vpcId: string;
  name: string;
  description: string;
  projectId: string;
  isDefault: boolean;
  tags: Tag[];
  /** Bumped on every change to the rules (Tencent's SecurityGroupPolicySet.Version). */
  policyVersion: number;
  /** Ingress rules in order, then egress rules in order. */
  rules: SecurityGroupRule[];
  createdAt: number;
  updatedAt: number;
}

/** A rule as a caller states it; what is left out takes the default (every protocol and port, accept). */
export interface RuleSpec {
  protocol?: string;
  ports?: string;
  cidr?: string;
  ipv6Cidr?: string;
  peerGroupId?: string;
  action?: string;
  description?: string;
}

export type RuleSpecs = Partial<Record<RuleDirection, RuleSpec[]>>;

/** A VPC's main route table: its id, its VPC and the subnets associated with it. */
export interface RouteTableView {
  id: string;
  vpcId: string;
  createdAt: number;
  tags: Tag[];
  subnetIds: string[];
}

/**
 * A failure injected at run time (the control plane's faults). `request`: a matching call is refused
 * with `error` before it changes anything. `task`: a matching operation is accepted, then its task
 * fails with `error.code` and rolls back. Empty selectors match everything.
 */
export interface Fault {
  id: string;
  stage: 'request' | 'task';
  provider: Provider | null;
  dialect: string | null;
  /** The API action (request stage), e.g. AttachNetworkInterface or attachNetworkInterface. */
  action: string | null;
  /** The task kind (task stage), e.g. eni.attach. */
  operation: string | null;
  accountId: string | null;
  /** 0–1: the chance each matching call or task is hit. */
  probability: number;
  /** Hits after which the fault stops firing; null: no end. */
  count: number | null;
  /** Delay before the failure is answered (request stage). */
  latencyMs: number;
  /** `status`: the HTTP status (JD Cloud) or numeric code (API 2.0); each dialect has a default. */
  error: { code: string; message: string; status: number | null };
  hits: number;
  createdAt: number;
}

/** A public address that can be bound to one private IP of an ENI. */
export interface ElasticIp {
  id: string;
  accountId: string;
  region: string;
  address: string;
  bandwidthMbps: number;
  /** The line provider (JD Cloud `provider`: bgp...). */
  isp: string;
  /** '' means usable in every zone; otherwise the ENI's instance must be in this zone. */
  az: string;
  eniId: string | null;
  privateIp: string | null;
  createdAt: number;
}

export type TaskStatus = 'RUNNING' | 'SUCCESS' | 'FAILED';

/** What each kind of task carries to its completion or roll-back (its prior state included). */
export interface TaskPayloads {
  'eni.create': { eniId: string };
  'eni.delete': { eniId: string };
  'eni.attach': { eniId: string; instanceId: string };
  'eni.detach': { eniId: string; instanceId: string };
  'eni.migrate': {
    eniId: string;
    sourceInstanceId: string;
    destinationInstanceId: string;
    /** The attachment on the source, restored if the move fails. */
    prior: Pick<Eni, 'attachType' | 'deviceIndex' | 'attachedAt'>;
  };
  'eni.assignIps': { eniId: string; addresses: string[] };
  'eni.unassignIps': { eniId: string; addresses: string[] };
  'ip.migrate': { sourceEniId: string; destinationEniId: string; subnetId: string; address: string };
  'instance.run': { instanceIds: string[] };
  'instance.start': PowerPayload;
  'instance.stop': PowerPayload;
  'instance.terminate': PowerPayload;
}

/** A start, stop or terminate: the instances and the state each had before, for a roll-back. */
export interface PowerPayload {
  instanceIds: string[];
  prior: Record<string, Instance['state']>;
}

export type TaskKind = keyof TaskPayloads;

export interface Task {
  id: string;
  /** A small number for dialects whose task ids are integers (API 2.0 taskId). */
  seq: number;
  accountId: string;
  region: string;
  kind: TaskKind;
  status: TaskStatus;
  /** TaskPayloads[kind], as stored. */
  payload: Record<string, unknown>;
  resourceIds: string[];
  errorCode: string | null;
  errorMessage: string | null;
  dueAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  attempts: number;
  createdAt: number;
  finishedAt: number | null;
  /** Where it was accepted ('' when not known): task-stage faults may match on these. */
  provider: string;
  dialect: string;
  /** In `polls` mode, the describes of its resources it still waits for; null otherwise. */
  pollsLeft: number | null;
}

/** A resource kind an event names; `world` is a reset or an import (a snapshot restore) as one event. */
export type EventKind = 'vpc' | 'subnet' | 'securityGroup' | 'instance' | 'eni' | 'privateIp' | 'eip' | 'task' | 'call' | 'world';

/**
 * One change to the world, as the store captured it: a resource created, changed or deleted (with
 * the fields watchers follow, before and after), a task started (`created`) or ended (`changed`),
 * an audited call answered (`call`: its dialect, action, code), or the whole world reset or imported.
 */
export interface ChangeEvent {
  seq: number;
  at: number;
  accountId: string | null;
  region: string | null;
  kind: EventKind;
  id: string;
  change: 'created' | 'changed' | 'deleted' | 'reset' | 'imported';
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}
