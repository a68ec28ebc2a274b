/**
 * What core needs from a store, declared by core and split by aggregate; `src/store` implements it
 * for SQLite and PostgreSQL. A Repo is bound to one open transaction (or, for Store.peek(), to a
 * connection outside any: then each statement stands alone). Locks are no-ops where the database
 * serialises writers itself.
 */
import type { Account, ApiKey, AuditEntry, ChangeEvent, ElasticIp, Eni, Fault, Instance, PrivateIp, Scope, SecurityGroup, Subnet, Task, Vpc } from '../model.ts';

export interface AccountRepo {
  insertAccount(a: Account): Promise<void>;
  getAccount(id: string): Promise<Account | undefined>;
  listAccounts(): Promise<Account[]>;
  /** False when there is no such account. */
  setAccountStatus(id: string, status: Account['status']): Promise<boolean>;
  /**
   * Holds the account while a request changes its security groups: group operations of one account
   * (quota counts, peer references, deletes) then run one at a time. Taken before any other lock.
   */
  lockAccount(id: string): Promise<void>;
  insertKey(k: ApiKey): Promise<void>;
  getKey(secretId: string): Promise<ApiKey | undefined>;
  getKeyAndAccount(secretId: string): Promise<{ key: ApiKey; account: Account } | undefined>;
  listKeys(accountId: string): Promise<ApiKey[]>;
  setKeyStatus(secretId: string, status: ApiKey['status']): Promise<void>;
}

export interface AuditQuery {
  accountId?: string;
  since?: number;
  limit?: number;
  newest?: boolean;
  dialect?: string;
  action?: string;
  code?: string;
  /** Entries that name this resource id. */
  resourceId?: string;
}

export interface AuditRepo {
  insertAudit(e: AuditEntry): Promise<void>;
  /** In order of writing; with `newest`, the newest `limit` matching ones, newest first. */
  listAudit(q: AuditQuery): Promise<AuditEntry[]>;
}

/** Where a count looks: the resources of one VPC or of one subnet. */
export type Container = 'vpc' | 'subnet';

export interface NetworkRepo {
  insertVpc(v: Vpc): Promise<void>;
  getVpc(scope: Scope, id: string): Promise<Vpc | undefined>;
  listVpcs(scope: Scope): Promise<Vpc[]>;
  updateVpc(v: Vpc): Promise<void>;
  deleteVpc(id: string): Promise<void>;
  insertSubnet(s: Subnet): Promise<void>;
  getSubnet(scope: Scope, id: string): Promise<Subnet | undefined>;
  listSubnets(scope: Scope, vpcId?: string): Promise<Subnet[]>;
  updateSubnet(s: Subnet): Promise<void>;
  deleteSubnet(id: string): Promise<void>;
  /** Serialises address allocation in one subnet (two writers would both see an address free). */
  lockSubnet(id: string): Promise<void>;
  /** Holds a VPC while a request reads and rewrites it (attributes, tags) or checks what it holds. */
  lockVpc(id: string): Promise<void>;
}

export interface SecurityGroupRepo {
  insertSecurityGroup(g: SecurityGroup): Promise<void>;
  getSecurityGroup(scope: Scope, id: string): Promise<SecurityGroup | undefined>;
  /** The scope's groups in creation order; with `vpcId`, only that VPC's. */
  listSecurityGroups(scope: Scope, vpcId?: string): Promise<SecurityGroup[]>;
  updateSecurityGroup(g: SecurityGroup): Promise<void>;
  deleteSecurityGroup(id: string): Promise<void>;
  securityGroupOwnedElsewhere(id: string, accountId: string): Promise<boolean>;
  /** The ENIs (secondary, and instances' primary ones apart) and instances of the scope in the group. */
  securityGroupMembers(scope: Scope, id: string): Promise<{ enis: string[]; primaryEnis: string[]; instances: string[] }>;
  /** Holds a group while a request reads and rewrites it, or makes something its member. */
  lockSecurityGroup(id: string): Promise<void>;
}

export interface InstanceRepo {
  insertInstance(i: Instance): Promise<void>;
  getInstance(scope: Scope, id: string): Promise<Instance | undefined>;
  listInstances(scope: Scope, ids?: string[]): Promise<Instance[]>;
  updateInstance(i: Instance): Promise<void>;
  deleteInstance(id: string): Promise<void>;
  countInstancesIn(container: Container, id: string): Promise<number>;
}

/** ENI fields the store can match: `shownInstanceId` is the attached instance, or the one arriving. */
export type EniField = 'id' | 'vpcId' | 'subnetId' | 'instanceId' | 'shownInstanceId';

export interface EniQuery {
  ids?: string[];
  vpcId?: string;
  subnetId?: string;
  instanceId?: string;
  /** More conditions, all of which must hold: the field is one of the values. */
  where?: Array<{ field: EniField; anyOf: readonly string[] }>;
  /** Creation order, then id; `offset` ENIs skipped, at most `limit` returned. */
  page?: { offset: number; limit: number };
}

/**
 * How many filter values one query may hand the store: each is a bound parameter, and the databases
 * cap those (SQLite 32,766, PostgreSQL 65,535) while the APIs cap neither filters nor values.
 * Callers evaluate filters beyond this budget in memory instead.
 */
export const MAX_STORE_VALUES = 200;

export interface EniRepo {
  insertEni(e: Eni): Promise<void>;
  getEni(scope: Scope, id: string): Promise<Eni | undefined>;
  listEnis(scope: Scope, query?: EniQuery): Promise<Eni[]>;
  countEnis(scope: Scope, query?: EniQuery): Promise<number>;
  updateEni(e: Eni): Promise<void>;
  deleteEni(id: string): Promise<void>;
  countEnisIn(container: Container, id: string): Promise<number>;
  countEnisOn(instanceId: string, attachType: number): Promise<number>;
  /** ENIs attached to, or arriving at, the instance. */
  enisLinkedTo(instanceId: string): Promise<string[]>;
  usedDeviceIndexes(instanceId: string): Promise<number[]>;
  macExists(mac: string): Promise<boolean>;
  /** True when the id exists under another account (the API answers "not found" all the same). */
  eniOwnedElsewhere(id: string, accountId: string): Promise<boolean>;
  usedAddresses(subnetId: string): Promise<string[]>;
  insertIps(ips: PrivateIp[]): Promise<void>;
  setIpState(subnetId: string, addresses: string[], state: PrivateIp['state']): Promise<void>;
  setIpDescription(subnetId: string, address: string, description: string): Promise<void>;
  moveIp(subnetId: string, address: string, eniId: string, state: PrivateIp['state']): Promise<void>;
  deleteIps(subnetId: string, addresses: string[]): Promise<void>;
  insertEip(e: ElasticIp): Promise<void>;
  listEips(scope: Scope, ids?: string[]): Promise<ElasticIp[]>;
  eipsOfEni(eniId: string): Promise<ElasticIp[]>;
  updateEip(e: ElasticIp): Promise<void>;
  deleteEip(id: string): Promise<void>;
  eipAddressTaken(address: string): Promise<boolean>;
  unbindEipsOf(eniId: string, addresses?: string[]): Promise<void>;
  /** Holds an elastic IP while a request reads and changes its binding. */
  lockEip(id: string): Promise<void>;
}

export interface TaskRepo {
  insertTask(t: Omit<Task, 'seq'>): Promise<Task>;
  getTask(id: string): Promise<Task | undefined>;
  getTaskBySeq(seq: number): Promise<Task | undefined>;
  runningTaskFor(resourceId: string): Promise<Task | undefined>;
  claimDueTasks(now: number, owner: string, leaseMs: number, limit: number): Promise<Task[]>;
  renewLease(id: string, owner: string, until: number): Promise<void>;
  nextDueAt(): Promise<number | undefined>;
  finishTask(id: string, status: 'SUCCESS' | 'FAILED', now: number, error?: { code: string; message: string }): Promise<void>;
  releaseAllLeases(): Promise<number>;
  releaseLeasesOf(owner: string): Promise<void>;
  countTasks(status: Task['status']): Promise<number>;
  /** The task, its row held while it is being finished, so a node reclaiming it skips it meanwhile. */
  getTaskLocked(id: string): Promise<Task | undefined>;
}

export interface IdempotencyRecord {
  accountId: string;
  action: string;
  token: string;
  paramsHash: string;
  result: unknown;
  taskId: string | null;
  createdAt: number;
}

export interface IdempotencyRepo {
  getIdempotency(accountId: string, action: string, token: string): Promise<IdempotencyRecord | undefined>;
  putIdempotency(rec: IdempotencyRecord): Promise<void>;
}

/**
 * The whole world as plain data, for export, import and snapshots: every row of every table that
 * holds accounts, keys, resources and tasks, keyed by table. Opaque to core except for its version,
 * which is the store's schema version; the audit trail is not part of a world.
 */
export interface WorldDocument {
  format: 'eniplane-world';
  version: string;
  tables: Record<string, Array<Record<string, unknown>>>;
}

/** A world document that does not fit this store: the message names the table and row. */
export class WorldMismatch extends Error {
  override readonly name = 'WorldMismatch';
}

export interface FaultRepo {
  insertFault(f: Fault): Promise<void>;
  listFaults(): Promise<Fault[]>;
  deleteFault(id: string): Promise<boolean>;
  clearFaults(): Promise<number>;
  /** Counts one hit unless the fault has used up its count (across every node); false then. */
  takeFaultHit(id: string): Promise<boolean>;
}

/**
 * How the tasks of an operation end: by the engine when due (`auto`), only when the control plane
 * says (`manual`), or after a number of describes of their resources (`polls`).
 */
export type TransitionMode = 'auto' | 'manual' | 'polls';

export interface TransitionSetting {
  operation: string;
  mode: TransitionMode;
  /** For `polls`: how many describes a task waits for. */
  polls?: number;
}

export interface TransitionRepo {
  setTransitionMode(setting: TransitionSetting, at: number): Promise<void>;
  listTransitionModes(): Promise<TransitionSetting[]>;
  /**
   * Counts one describe against the account's running `polls` tasks that name one of `resourceIds`
   * (or are `taskId`); those that have had their count become due at `now`. Answers how many did.
   */
  countPolls(accountId: string, q: { resourceIds?: readonly string[]; taskId?: string }, now: number): Promise<number>;
  /**
   * Tasks still counting describes whose operation is no longer in `polls` mode (the mode changed
   * while they were accepted elsewhere, or a snapshot brought them back), by the modes in the store
   * at that moment: held ones of `manual` operations stay held, the others become due at `now`.
   */
  settleStrayPolls(now: number): Promise<number>;
  /** How many such tasks there are (a read, so that finding none costs no write). */
  countStrayPolls(): Promise<number>;
  /** Every task of a status, all accounts, in acceptance order (the control plane's view). */
  listTasks(status?: Task['status'], q?: { limit?: number; resourceId?: string }): Promise<Task[]>;
  /**
   * Makes a RUNNING task due at `now`, to complete, or with `failure` to fail with that code when
   * the engine takes it. False when there is no such running task.
   */
  releaseTask(id: string, now: number, failure?: { code: string; message: string }): Promise<boolean>;
}

export interface WorldView {
  seq: number;
  accounts: Account[];
  vpcs: Vpc[];
  subnets: Subnet[];
  securityGroups: SecurityGroup[];
  instances: Instance[];
  enis: Eni[];
  eips: ElasticIp[];
}

export interface WorldRepo {
  exportWorld(): Promise<WorldDocument>;
  /**
   * Replaces the world with `doc` (which must be of this schema version). Tasks come back unclaimed,
   * so any node completes them. Throws a WorldError naming the table and row that do not fit.
   */
  importWorld(doc: WorldDocument): Promise<void>;
  /**
   * Removes every resource, task and idempotency record, of one account or of all; accounts and keys
   * stay. Like importWorld, it is one `world` event, not an event per row.
   */
  resetWorld(accountId?: string): Promise<{ removed: number }>;
  /** How many of each kind of resource each provider's accounts hold. */
  countResources(): Promise<Array<{ provider: string; kind: string; count: number }>>;
  /**
   * Every account (without keys) and resource of every account, and the newest event's number read
   * in the same snapshot (the console: a picture of the world, then the events after it).
   */
  viewWorld(): Promise<WorldView>;
  /** Whose the resource with this id is, in any account (seeds: a declared id must be free or ours). */
  ownerOf(table: 'vpcs' | 'subnets' | 'security_groups' | 'instances' | 'enis', id: string): Promise<{ accountId: string; region: string } | undefined>;
  putSnapshot(name: string, at: number, doc: WorldDocument): Promise<void>;
  getSnapshot(name: string): Promise<{ name: string; createdAt: number; document: WorldDocument } | undefined>;
  listSnapshots(): Promise<Array<{ name: string; createdAt: number }>>;
  deleteSnapshot(name: string): Promise<boolean>;
}

/** The captured changes (every write of a resource row records one, in its own transaction). */
export interface EventRepo {
  /** Events after `seq`, in sequence order, at most `limit`. */
  listEvents(afterSeq: number, limit: number): Promise<ChangeEvent[]>;
  /** The highest sequence number so far (0 when there is none). */
  lastEventSeq(): Promise<number>;
  /** The events with these numbers that exist (late commits the follower waits for). */
  eventsIn(seqs: readonly number[]): Promise<ChangeEvent[]>;
  /** The newest `limit` events of one resource, oldest first. */
  eventsOf(id: string, limit: number): Promise<ChangeEvent[]>;
  /** Keeps the newest `keep` events; answers how many went. */
  pruneEvents(keep: number): Promise<number>;
}

/** Loading a world in bulk (seeds, benchmarks): one statement per table. */
export interface BulkRepo {
  insertMany(r: { vpcs?: Vpc[]; subnets?: Subnet[]; instances?: Instance[]; enis?: Eni[] }): Promise<void>;
}

export interface Repo extends AccountRepo, AuditRepo, EventRepo, NetworkRepo, SecurityGroupRepo, WorldRepo, FaultRepo, TransitionRepo, InstanceRepo, EniRepo, TaskRepo, IdempotencyRepo, BulkRepo {
  /**
   * Locks the rows an operation will change, always instances before ENIs and each sorted by id,
   * so that two operations can never wait on each other in opposite orders.
   */
  lock(ids: { instances?: string[]; enis?: string[] }): Promise<void>;
}

/** Transactions over a Repo. */
export interface Store {
  /** 'sqlite' is one process's file; 'postgres' may be shared by a cell of nodes. */
  readonly kind: 'sqlite' | 'postgres';
  /** A consistent read; no writes may happen inside. */
  read<T>(fn: (tx: Repo) => Promise<T>): Promise<T>;
  /**
   * A read of exactly one statement, which is consistent by itself: no transaction is opened around
   * it. Anything that reads twice and needs both answers to agree uses read().
   */
  peek<T>(fn: (tx: Repo) => Promise<T>): Promise<T>;
  /** One atomic write transaction: all of fn's changes commit together or none do. */
  write<T>(fn: (tx: Repo) => Promise<T>): Promise<T>;
  /** Cheap liveness probe for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
