/** Conversions between domain objects and the rows of schema.ts. */
import type { Account, ApiKey, ElasticIp, Eni, Instance, PrivateIp, SecurityGroup, Subnet, Task, Vpc } from '../core/model.ts';
import type { Selectable } from 'kysely';
import type {
  AccountsTable,
  ApiKeysTable,
  ElasticIpsTable,
  EnisTable,
  InstancesTable,
  PrivateIpsTable,
  SecurityGroupsTable,
  SubnetsTable,
  TasksTable,
  VpcsTable,
} from './schema.ts';

const bool = (n: number): boolean => n === 1;
const bit = (b: boolean): number => (b ? 1 : 0);
const json = <T>(s: string): T => JSON.parse(s) as T;
// PostgreSQL's bigint arrives as a string unless parsed; the stores configure the parser, this guards.
const num = (n: number | string): number => Number(n);
const numOrNull = (n: number | string | null): number | null => (n === null ? null : Number(n));

export const accountFromRow = (r: Selectable<AccountsTable>): Account => ({
  id: r.id,
  provider: r.provider as Account['provider'],
  name: r.name,
  ownerUin: r.owner_uin,
  status: r.status as Account['status'],
  createdAt: num(r.created_at),
});
export const accountToRow = (a: Account): AccountsTable => ({
  id: a.id,
  provider: a.provider,
  name: a.name,
  owner_uin: a.ownerUin,
  status: a.status,
  created_at: a.createdAt,
});

export const keyFromRow = (r: Selectable<ApiKeysTable>): ApiKey => ({
  secretId: r.secret_id,
  secretKey: r.secret_key,
  accountId: r.account_id,
  status: r.status as ApiKey['status'],
  createdAt: num(r.created_at),
});
export const keyToRow = (k: ApiKey): ApiKeysTable => ({
  secret_id: k.secretId,
  secret_key: k.secretKey,
  account_id: k.accountId,
  status: k.status,
  created_at: k.createdAt,
});

export const vpcFromRow = (r: Selectable<VpcsTable>): Vpc => ({
  id: r.id,
  accountId: r.account_id,
  region: r.region,
  name: r.name,
  cidr: r.cidr,
  isDefault: bool(r.is_default),
  enableMulticast: bool(r.enable_multicast),
  dnsServers: json(r.dns_servers),
  domainName: r.domain_name,
  routeTableId: r.route_table_id,
  tags: json(r.tags),
  createdAt: num(r.created_at),
});
export const vpcToRow = (v: Vpc): VpcsTable => ({
  id: v.id,
  account_id: v.accountId,
  region: v.region,
  name: v.name,
  cidr: v.cidr,
  is_default: bit(v.isDefault),
  enable_multicast: bit(v.enableMulticast),
  dns_servers: JSON.stringify(v.dnsServers),
  domain_name: v.domainName,
  route_table_id: v.routeTableId,
  tags: JSON.stringify(v.tags),
  created_at: v.createdAt,
});

export const subnetFromRow = (r: Selectable<SubnetsTable>): Subnet => ({
  id: r.id,
  accountId: r.account_id,
  region: r.region,
  vpcId: r.vpc_id,
  name: r.name,
  cidr: r.cidr,
  zone: r.zone,
  isDefault: bool(r.is_default),
  routeTableId: r.route_table_id,
  enableBroadcast: bool(r.enable_broadcast),
  networkAclId: r.network_acl_id,
  tags: json(r.tags),
  createdAt: num(r.created_at),
});
export const subnetToRow = (s: Subnet): SubnetsTable => ({
  id: s.id,
  account_id: s.accountId,
  region: s.region,
  vpc_id: s.vpcId,
  name: s.name,
  cidr: s.cidr,
  zone: s.zone,
  is_default: bit(s.isDefault),
  route_table_id: s.routeTableId,
  enable_broadcast: bit(s.enableBroadcast),
  network_acl_id: s.networkAclId,
  tags: JSON.stringify(s.tags),
  created_at: s.createdAt,
});

export const instanceFromRow = (r: Selectable<InstancesTable>): Instance => ({
  id: r.id,
  accountId: r.account_id,
  region: r.region,
  zone: r.zone,
  vpcId: r.vpc_id,
  subnetId: r.subnet_id,
  name: r.name,
  instanceType: r.instance_type,
  imageId: r.image_id,
  state: r.state as Instance['state'],
  chargeType: r.charge_type,
  userData: r.user_data,
  securityGroupIds: json(r.security_group_ids),
  tags: json(r.tags),
  latestOperation: r.latest_operation,
  latestOperationState: r.latest_operation_state as Instance['latestOperationState'],
  latestOperationRequestId: r.latest_operation_request_id,
  latestOperationError: r.latest_operation_error,
  createdAt: num(r.created_at),
});
export const instanceToRow = (i: Instance): InstancesTable => ({
  id: i.id,
  account_id: i.accountId,
  region: i.region,
  zone: i.zone,
  vpc_id: i.vpcId,
  subnet_id: i.subnetId,
  name: i.name,
  instance_type: i.instanceType,
  image_id: i.imageId,
  state: i.state,
  charge_type: i.chargeType,
  user_data: i.userData,
  security_group_ids: JSON.stringify(i.securityGroupIds),
  tags: JSON.stringify(i.tags),
  latest_operation: i.latestOperation,
  latest_operation_state: i.latestOperationState,
  latest_operation_request_id: i.latestOperationRequestId,
  latest_operation_error: i.latestOperationError,
  created_at: i.createdAt,
});

export const ipFromRow = (r: Selectable<PrivateIpsTable>): PrivateIp => ({
  subnetId: r.subnet_id,
  address: r.address,
  eniId: r.eni_id,
  primary: bool(r.is_primary),
  state: r.state as PrivateIp['state'],
  description: r.description,
  qosLevel: r.qos_level,
});
export const ipToRow = (p: PrivateIp): PrivateIpsTable => ({
  subnet_id: p.subnetId,
  address: p.address,
  eni_id: p.eniId,
  is_primary: bit(p.primary),
  state: p.state,
  description: p.description,
  qos_level: p.qosLevel,
});

export const eniFromRow = (r: Selectable<EnisTable>, ips: PrivateIp[]): Eni => ({
  id: r.id,
  accountId: r.account_id,
  region: r.region,
  vpcId: r.vpc_id,
  subnetId: r.subnet_id,
  zone: r.zone,
  name: r.name,
  description: r.description,
  mac: r.mac,
  primary: bool(r.is_primary),
  state: r.state as Eni['state'],
  instanceId: r.instance_id,
  targetInstanceId: r.target_instance_id,
  deviceIndex: r.device_index === null ? null : num(r.device_index),
  attachType: num(r.attach_type) as Eni['attachType'],
  attachedAt: numOrNull(r.attached_at),
  securityGroupIds: json(r.security_group_ids),
  tags: json(r.tags),
  qosLevel: r.qos_level,
  trunking: bool(r.trunking),
  autoDelete: bool(r.auto_delete),
  createdAt: num(r.created_at),
  ips,
});

export const eipFromRow = (r: Selectable<ElasticIpsTable>): ElasticIp => ({
  id: r.id,
  accountId: r.account_id,
  region: r.region,
  address: r.address,
  bandwidthMbps: num(r.bandwidth_mbps),
  isp: r.isp,
  az: r.az,
  eniId: r.eni_id,
  privateIp: r.private_ip,
  createdAt: num(r.created_at),
});
export const eipToRow = (e: ElasticIp): ElasticIpsTable => ({
  id: e.id,
  account_id: e.accountId,
  region: e.region,
  address: e.address,
  bandwidth_mbps: e.bandwidthMbps,
  isp: e.isp,
  az: e.az,
  eni_id: e.eniId,
  private_ip: e.privateIp,
  created_at: e.createdAt,
});
export const eniToRow = (e: Eni): EnisTable => ({
  id: e.id,
  account_id: e.accountId,
  region: e.region,
  vpc_id: e.vpcId,
  subnet_id: e.subnetId,
  zone: e.zone,
  name: e.name,
  description: e.description,
  mac: e.mac,
  is_primary: bit(e.primary),
  state: e.state,
  instance_id: e.instanceId,
  target_instance_id: e.targetInstanceId,
  device_index: e.deviceIndex,
  attach_type: e.attachType,
  attached_at: e.attachedAt,
  security_group_ids: JSON.stringify(e.securityGroupIds),
  tags: JSON.stringify(e.tags),
  qos_level: e.qosLevel,
  trunking: bit(e.trunking),
  auto_delete: bit(e.autoDelete),
  created_at: e.createdAt,
});

export const taskFromRow = (r: Selectable<TasksTable>): Task => ({
  id: r.id,
  seq: num(r.seq),
  accountId: r.account_id,
  region: r.region,
  kind: r.kind as Task['kind'],
  status: r.status as Task['status'],
  payload: json(r.payload),
  resourceIds: json(r.resource_ids),
  errorCode: r.error_code,
  errorMessage: r.error_message,
  dueAt: num(r.due_at),
  leaseOwner: r.lease_owner,
  leaseExpiresAt: numOrNull(r.lease_expires_at),
  attempts: num(r.attempts),
  createdAt: num(r.created_at),
  finishedAt: numOrNull(r.finished_at),
  provider: r.provider,
  dialect: r.dialect,
  pollsLeft: numOrNull(r.polls_left),
});

export const securityGroupFromRow = (r: Selectable<SecurityGroupsTable>): SecurityGroup => ({
  id: r.id,
  accountId: r.account_id,
  region: r.region,
  vpcId: r.vpc_id,
  name: r.name,
  description: r.description,
  projectId: r.project_id,
  isDefault: bool(r.is_default),
  tags: json(r.tags),
  policyVersion: num(r.policy_version),
  rules: json(r.rules),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});
export const securityGroupToRow = (g: SecurityGroup): SecurityGroupsTable => ({
  id: g.id,
  account_id: g.accountId,
  region: g.region,
  vpc_id: g.vpcId,
  name: g.name,
  description: g.description,
  project_id: g.projectId,
  is_default: bit(g.isDefault),
  tags: JSON.stringify(g.tags),
  policy_version: g.policyVersion,
  rules: JSON.stringify(g.rules),
  created_at: g.createdAt,
  updated_at: g.updatedAt,
});
