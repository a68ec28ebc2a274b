/**
 * Row shapes of the one schema both stores share. Booleans are 0/1 integers and lists are JSON
 * text, so that SQLite and PostgreSQL hold identical values and one query layer serves both.
 */
import type { Generated } from 'kysely';

export interface AccountsTable {
  id: string;
  provider: string;
  name: string;
  owner_uin: string;
  status: string;
  created_at: number;
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: number;
  account_id: string | null;
  key_id: string | null;
  source: string;
  dialect: string;
  action: string;
  resource_ids: string;
  result_code: string;
  http_status: number;
  request_id: string;
}

export interface ApiKeysTable {
  secret_id: string;
  secret_key: string;
  account_id: string;
  status: string;
  created_at: number;
}

export interface VpcsTable {
  id: string;
  account_id: string;
  region: string;
  name: string;
  cidr: string;
  is_default: number;
  enable_multicast: number;
  dns_servers: string;
  domain_name: string;
  route_table_id: string;
  tags: string;
  created_at: number;
}

export interface SubnetsTable {
  id: string;
  account_id: string;
  region: string;
  vpc_id: string;
  name: string;
  cidr: string;
  zone: string;
  is_default: number;
  route_table_id: string;
  network_acl_id: string;
  enable_broadcast: number;
  tags: string;
  created_at: number;
}

export interface InstancesTable {
  id: string;
  account_id: string;
  region: string;
  zone: string;
  vpc_id: string;
  subnet_id: string;
  name: string;
  instance_type: string;
  image_id: string;
  state: string;
  charge_type: string;
  user_data: string;
  security_group_ids: string;
  tags: string;
  latest_operation: string | null;
  latest_operation_state: string | null;
  latest_operation_request_id: string | null;
  latest_operation_error: string | null;
  created_at: number;
}

export interface EnisTable {
  id: string;
  account_id: string;
  region: string;
  vpc_id: string;
  subnet_id: string;
  zone: string;
  name: string;
  description: string;
  mac: string;
  is_primary: number;
  state: string;
  instance_id: string | null;
  target_instance_id: string | null;
  device_index: number | null;
  attach_type: number;
  attached_at: number | null;
  security_group_ids: string;
  tags: string;
  qos_level: string;
  trunking: number;
  auto_delete: number;
  created_at: number;
}

export interface ElasticIpsTable {
  id: string;
  account_id: string;
  region: string;
  address: string;
  bandwidth_mbps: number;
  isp: string;
  az: string;
  eni_id: string | null;
  private_ip: string | null;
  created_at: number;
}

export interface PrivateIpsTable {
  subnet_id: string;
  address: string;
  eni_id: string;
  is_primary: number;
  state: string;
  description: string;
  qos_level: string;
}

export interface TasksTable {
  seq: Generated<number>;
  id: string;
  account_id: string;
  region: string;
  kind: string;
  status: string;
  payload: string;
  resource_ids: string;
  error_code: string | null;
  error_message: string | null;
  due_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  attempts: number;
  created_at: number;
  finished_at: number | null;
  /** The provider and dialect that accepted it ('' for tasks older than these columns). */
  provider: Generated<string>;
  dialect: Generated<string>;
  /** In `polls` mode: describes of its resources still to come before it ends; null otherwise. */
  polls_left: number | null;
}

export interface IdempotencyTable {
  account_id: string;
  action: string;
  token: string;
  params_hash: string;
  result: string;
  task_id: string | null;
  created_at: number;
}

export interface SecurityGroupsTable {
  id: string;
  account_id: string;
  region: string;
  /** '' for regional (Tencent) groups. */
  vpc_id: string;
  name: string;
  description: string;
  project_id: string;
  is_default: number;
  tags: string;
  policy_version: number;
  /** The ordered rules as JSON: they are always read and rewritten with their group. */
  rules: string;
  created_at: number;
  updated_at: number;
}

export interface SnapshotsTable {
  name: string;
  created_at: number;
  /** The world as exportWorld gives it, as JSON. */
  document: string;
}

export interface FaultsTable {
  id: string;
  /** The fault without its hits, as JSON. */
  spec: string;
  hits: number;
  created_at: number;
}

export interface TransitionModesTable {
  operation: string;
  mode: string;
  /** For `polls`: how many describes a task waits for. */
  polls: Generated<number>;
  updated_at: number;
}

/** One captured change (changeCapture.ts): written by triggers, read by the events stream. */
export interface EventsTable {
  seq: Generated<number>;
  at: number;
  account_id: string | null;
  region: string | null;
  kind: string;
  resource_id: string;
  change: string;
  /** JSON of the captured fields, null for a creation (before) or a deletion (after). */
  before: string | null;
  after: string | null;
}

export interface Database {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  vpcs: VpcsTable;
  subnets: SubnetsTable;
  instances: InstancesTable;
  enis: EnisTable;
  private_ips: PrivateIpsTable;
  tasks: TasksTable;
  idempotency: IdempotencyTable;
  elastic_ips: ElasticIpsTable;
  audit_log: AuditLogTable;
  task_resources: TaskResourcesTable;
  security_groups: SecurityGroupsTable;
  snapshots: SnapshotsTable;
  faults: FaultsTable;
  transition_modes: TransitionModesTable;
  events: EventsTable;
}

/** Which resources each RUNNING task names: the index behind "one operation at a time". */
export interface TaskResourcesTable {
  resource_id: string;
  task_seq: number;
}
