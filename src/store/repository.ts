/**
 * Every query the core and the task engine make, written once against Kysely so that SQLite and
 * PostgreSQL run the same statements. A Repo is bound to one open transaction.
 */
import type { Kysely } from 'kysely';
import type { Account, ApiKey, AuditEntry, ElasticIp, Eni, Instance, PrivateIp, Scope, Subnet, Task, Vpc } from '../core/model.ts';
import type { Database } from './schema.ts';
import {
  accountFromRow,
  accountToRow,
  eipFromRow,
  eipToRow,
  eniFromRow,
  eniToRow,
  instanceFromRow,
  instanceToRow,
  ipFromRow,
  ipToRow,
  keyFromRow,
  keyToRow,
  subnetFromRow,
  subnetToRow,
  taskFromRow,
  vpcFromRow,
  vpcToRow,
} from './rows.ts';

export interface IdempotencyRecord {
  accountId: string;
  action: string;
  token: string;
  paramsHash: string;
  result: unknown;
  taskId: string | null;
  createdAt: number;
}

export interface EniQuery {
  ids?: string[];
  vpcId?: string;
  subnetId?: string;
  instanceId?: string;
}

export class Repo {
  constructor(
    private readonly db: Kysely<Database>,
    /** Row locks exist only where writers run concurrently (PostgreSQL); SQLite serialises writers. */
    private readonly rowLocks: boolean,
  ) {}

  // ---- locking -------------------------------------------------------------------------------

  /**
   * Locks the rows an operation will change, always instances before ENIs and each sorted by id,
   * so that two operations can never wait on each other in opposite orders.
   */
  async lock(ids: { instances?: string[]; enis?: string[] }): Promise<void> {
    if (!this.rowLocks) return;
    const instances = [...new Set(ids.instances ?? [])].sort();
    const enis = [...new Set(ids.enis ?? [])].sort();
    if (instances.length) {
      await this.db.selectFrom('instances').select('id').where('id', 'in', instances).orderBy('id').forUpdate().execute();
    }
    if (enis.length) {
      await this.db.selectFrom('enis').select('id').where('id', 'in', enis).orderBy('id').forUpdate().execute();
    }
  }

  /**
   * Serialises address allocation in one subnet: without it two PostgreSQL transactions both see
   * the same address free and the second fails on the unique key. Taken last, after lock().
   */
  async lockSubnet(id: string): Promise<void> {
    if (!this.rowLocks) return;
    await this.db.selectFrom('subnets').select('id').where('id', '=', id).forUpdate().execute();
  }

  /**
   * Holds an elastic IP while a request reads and changes its binding: without it two PostgreSQL
   * transactions both see it unbound and both "associate" it. Taken last, after lock().
   */
  async lockEip(id: string): Promise<void> {
    if (!this.rowLocks) return;
    await this.db.selectFrom('elastic_ips').select('id').where('id', '=', id).forUpdate().execute();
  }

  /** Holds a task row while it is being finished, so a node reclaiming it skips it meanwhile. */
  async lockTask(id: string): Promise<void> {
    if (!this.rowLocks) return;
    await this.db.selectFrom('tasks').select('seq').where('id', '=', id).forUpdate().execute();
  }

  // ---- accounts and keys ---------------------------------------------------------------------

  async insertAccount(a: Account): Promise<void> {
    await this.db.insertInto('accounts').values(accountToRow(a)).execute();
  }
  async getAccount(id: string): Promise<Account | undefined> {
    const r = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return r && accountFromRow(r);
  }
  async listAccounts(): Promise<Account[]> {
    const rows = await this.db.selectFrom('accounts').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(accountFromRow);
  }
  async setAccountStatus(id: string, status: Account['status']): Promise<boolean> {
    const r = await this.db.updateTable('accounts').set({ status }).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async listKeys(accountId: string): Promise<ApiKey[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('secret_id').execute();
    return rows.map(keyFromRow);
  }
  async setKeyStatus(secretId: string, status: ApiKey['status']): Promise<void> {
    await this.db.updateTable('api_keys').set({ status }).where('secret_id', '=', secretId).execute();
  }

  // ---- audit trail ---------------------------------------------------------------------------

  async insertAudit(e: AuditEntry): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        at: e.at,
        account_id: e.accountId,
        key_id: e.keyId,
        source: e.source,
        dialect: e.dialect,
        action: e.action,
        resource_ids: JSON.stringify(e.resourceIds),
        result_code: e.resultCode,
        http_status: e.httpStatus,
        request_id: e.requestId,
      })
      .execute();
  }
  async listAudit(q: { accountId?: string; since?: number; limit?: number }): Promise<AuditEntry[]> {
    let sel = this.db.selectFrom('audit_log').selectAll();
    if (q.accountId !== undefined) sel = sel.where('account_id', '=', q.accountId);
    if (q.since !== undefined) sel = sel.where('at', '>=', q.since);
    const rows = await sel.orderBy('seq').limit(q.limit ?? 10_000).execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: Number(r.at),
      accountId: r.account_id,
      keyId: r.key_id,
      source: r.source,
      dialect: r.dialect,
      action: r.action,
      resourceIds: JSON.parse(r.resource_ids) as string[],
      resultCode: r.result_code,
      httpStatus: Number(r.http_status),
      requestId: r.request_id,
    }));
  }

  async insertKey(k: ApiKey): Promise<void> {
    await this.db.insertInto('api_keys').values(keyToRow(k)).execute();
  }
  async getKey(secretId: string): Promise<ApiKey | undefined> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('secret_id', '=', secretId).executeTakeFirst();
    return r && keyFromRow(r);
  }

  // ---- VPCs and subnets ----------------------------------------------------------------------

  async insertVpc(v: Vpc): Promise<void> {
    await this.db.insertInto('vpcs').values(vpcToRow(v)).execute();
  }
  async getVpc(scope: Scope, id: string): Promise<Vpc | undefined> {
    const r = await this.db
      .selectFrom('vpcs')
      .selectAll()
      .where('id', '=', id)
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .executeTakeFirst();
    return r && vpcFromRow(r);
  }
  async listVpcs(scope: Scope): Promise<Vpc[]> {
    const rows = await this.db
      .selectFrom('vpcs')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(vpcFromRow);
  }
  async deleteVpc(id: string): Promise<void> {
    await this.db.deleteFrom('vpcs').where('id', '=', id).execute();
  }

  async insertSubnet(s: Subnet): Promise<void> {
    await this.db.insertInto('subnets').values(subnetToRow(s)).execute();
  }
  async getSubnet(scope: Scope, id: string): Promise<Subnet | undefined> {
    const r = await this.db
      .selectFrom('subnets')
      .selectAll()
      .where('id', '=', id)
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .executeTakeFirst();
    return r && subnetFromRow(r);
  }
  async listSubnets(scope: Scope, vpcId?: string): Promise<Subnet[]> {
    let q = this.db
      .selectFrom('subnets')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region);
    if (vpcId !== undefined) q = q.where('vpc_id', '=', vpcId);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map(subnetFromRow);
  }
  async deleteSubnet(id: string): Promise<void> {
    await this.db.deleteFrom('subnets').where('id', '=', id).execute();
  }
  async countInstancesIn(column: 'vpc_id' | 'subnet_id', id: string): Promise<number> {
    const r = await this.db
      .selectFrom('instances')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(column, '=', id)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
  async countEnisIn(column: 'vpc_id' | 'subnet_id', id: string): Promise<number> {
    const r = await this.db
      .selectFrom('enis')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(column, '=', id)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // ---- instances -----------------------------------------------------------------------------

  async insertInstance(i: Instance): Promise<void> {
    await this.db.insertInto('instances').values(instanceToRow(i)).execute();
  }
  async getInstance(scope: Scope, id: string): Promise<Instance | undefined> {
    const r = await this.db
      .selectFrom('instances')
      .selectAll()
      .where('id', '=', id)
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .executeTakeFirst();
    return r && instanceFromRow(r);
  }
  async listInstances(scope: Scope, ids?: string[]): Promise<Instance[]> {
    let q = this.db
      .selectFrom('instances')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region);
    if (ids) {
      if (!ids.length) return [];
      q = q.where('id', 'in', ids);
    }
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map(instanceFromRow);
  }
  async updateInstance(i: Instance): Promise<void> {
    const { id, ...rest } = instanceToRow(i);
    await this.db.updateTable('instances').set(rest).where('id', '=', id).execute();
  }
  async deleteInstance(id: string): Promise<void> {
    await this.db.deleteFrom('instances').where('id', '=', id).execute();
  }

  // ---- ENIs and their addresses ----------------------------------------------------------------

  async insertEni(e: Eni): Promise<void> {
    await this.db.insertInto('enis').values(eniToRow(e)).execute();
    if (e.ips.length) await this.db.insertInto('private_ips').values(e.ips.map(ipToRow)).execute();
  }
  async getEni(scope: Scope, id: string): Promise<Eni | undefined> {
    const [e] = await this.listEnis(scope, { ids: [id] });
    return e;
  }
  async listEnis(scope: Scope, query: EniQuery = {}): Promise<Eni[]> {
    let q = this.db
      .selectFrom('enis')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region);
    if (query.ids) {
      if (!query.ids.length) return [];
      q = q.where('id', 'in', query.ids);
    }
    if (query.vpcId !== undefined) q = q.where('vpc_id', '=', query.vpcId);
    if (query.subnetId !== undefined) q = q.where('subnet_id', '=', query.subnetId);
    if (query.instanceId !== undefined) q = q.where('instance_id', '=', query.instanceId);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    if (!rows.length) return [];
    const ips = await this.ipsOf(rows.map((r) => r.id));
    return rows.map((r) => eniFromRow(r, ips.get(r.id) ?? []));
  }
  private async ipsOf(eniIds: string[]): Promise<Map<string, PrivateIp[]>> {
    const out = new Map<string, PrivateIp[]>();
    // Chunked so that a large page never exceeds a driver's bound-parameter limit.
    for (let i = 0; i < eniIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('private_ips')
        .selectAll()
        .where('eni_id', 'in', eniIds.slice(i, i + 500))
        .execute();
      for (const r of rows) {
        const ip = ipFromRow(r);
        const list = out.get(ip.eniId) ?? [];
        list.push(ip);
        out.set(ip.eniId, list);
      }
    }
    for (const list of out.values()) list.sort((a, b) => Number(b.primary) - Number(a.primary) || ipOrder(a.address, b.address));
    return out;
  }
  /** Saves the ENI's own columns; its addresses change only through the address methods. */
  async updateEni(e: Eni): Promise<void> {
    const { id, ...rest } = eniToRow(e);
    await this.db.updateTable('enis').set(rest).where('id', '=', id).execute();
  }
  async deleteEni(id: string): Promise<void> {
    await this.unbindEipsOf(id);
    await this.db.deleteFrom('private_ips').where('eni_id', '=', id).execute();
    await this.db.deleteFrom('enis').where('id', '=', id).execute();
  }
  /** ENIs attached, attaching or migrating to the instance with the given attach type. */
  async countEnisOn(instanceId: string, attachType: number): Promise<number> {
    const r = await this.db
      .selectFrom('enis')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where((eb) => eb.or([eb('instance_id', '=', instanceId), eb('target_instance_id', '=', instanceId)]))
      .where('attach_type', '=', attachType)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
  /** ENIs linked to the instance in any way (attached, leaving or arriving). */
  async enisLinkedTo(instanceId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('enis')
      .select('id')
      .where((eb) => eb.or([eb('instance_id', '=', instanceId), eb('target_instance_id', '=', instanceId)]))
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  }
  async usedDeviceIndexes(instanceId: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom('enis')
      .select('device_index')
      .where((eb) => eb.or([eb('instance_id', '=', instanceId), eb('target_instance_id', '=', instanceId)]))
      .execute();
    return rows.flatMap((r) => (r.device_index === null ? [] : [Number(r.device_index)]));
  }

  async usedAddresses(subnetId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('private_ips').select('address').where('subnet_id', '=', subnetId).execute();
    return rows.map((r) => r.address);
  }
  async insertIps(ips: PrivateIp[]): Promise<void> {
    if (ips.length) await this.db.insertInto('private_ips').values(ips.map(ipToRow)).execute();
  }
  async setIpState(subnetId: string, addresses: string[], state: PrivateIp['state']): Promise<void> {
    if (!addresses.length) return;
    await this.db
      .updateTable('private_ips')
      .set({ state })
      .where('subnet_id', '=', subnetId)
      .where('address', 'in', addresses)
      .execute();
  }
  async moveIp(subnetId: string, address: string, eniId: string, state: PrivateIp['state']): Promise<void> {
    // An elastic IP bound to the address moves with it.
    await this.db
      .updateTable('elastic_ips')
      .set({ eni_id: eniId })
      .where('private_ip', '=', address)
      .where('eni_id', 'in', this.db.selectFrom('private_ips').select('eni_id').where('subnet_id', '=', subnetId).where('address', '=', address))
      .execute();
    await this.db
      .updateTable('private_ips')
      .set({ eni_id: eniId, state })
      .where('subnet_id', '=', subnetId)
      .where('address', '=', address)
      .execute();
  }
  async deleteIps(subnetId: string, addresses: string[]): Promise<void> {
    if (!addresses.length) return;
    // An EIP on a released address is unbound automatically (Tencent spec §4.16).
    await this.db.updateTable('elastic_ips').set({ eni_id: null, private_ip: null }).where('private_ip', 'in', addresses).where('eni_id', 'in', this.db.selectFrom('private_ips').select('eni_id').where('subnet_id', '=', subnetId).where('address', 'in', addresses)).execute();
    await this.db.deleteFrom('private_ips').where('subnet_id', '=', subnetId).where('address', 'in', addresses).execute();
  }
  async macExists(mac: string): Promise<boolean> {
    const r = await this.db.selectFrom('enis').select('id').where('mac', '=', mac).executeTakeFirst();
    return r !== undefined;
  }

  /** Whether the ENI exists under another account: vendors with a permission error say so. */
  async eniOwnedElsewhere(id: string, accountId: string): Promise<boolean> {
    const r = await this.db.selectFrom('enis').select('id').where('id', '=', id).where('account_id', '!=', accountId).executeTakeFirst();
    return r !== undefined;
  }

  // ---- elastic IPs ----------------------------------------------------------------------------

  async insertEip(e: ElasticIp): Promise<void> {
    await this.db.insertInto('elastic_ips').values(eipToRow(e)).execute();
  }
  async listEips(scope: Scope, ids?: string[]): Promise<ElasticIp[]> {
    let q = this.db
      .selectFrom('elastic_ips')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region);
    if (ids) {
      if (!ids.length) return [];
      q = q.where('id', 'in', ids);
    }
    return (await q.orderBy('created_at').orderBy('id').execute()).map(eipFromRow);
  }
  async eipsOfEni(eniId: string): Promise<ElasticIp[]> {
    return (await this.db.selectFrom('elastic_ips').selectAll().where('eni_id', '=', eniId).orderBy('id').execute()).map(eipFromRow);
  }
  async updateEip(e: ElasticIp): Promise<void> {
    const { id, ...rest } = eipToRow(e);
    await this.db.updateTable('elastic_ips').set(rest).where('id', '=', id).execute();
  }
  async deleteEip(id: string): Promise<void> {
    await this.db.deleteFrom('elastic_ips').where('id', '=', id).execute();
  }
  async eipAddressTaken(address: string): Promise<boolean> {
    return (await this.db.selectFrom('elastic_ips').select('id').where('address', '=', address).executeTakeFirst()) !== undefined;
  }
  /** Addresses whose ENI goes away are released from it, never deleted with it. */
  async unbindEipsOf(eniId: string, addresses?: string[]): Promise<void> {
    let q = this.db.updateTable('elastic_ips').set({ eni_id: null, private_ip: null }).where('eni_id', '=', eniId);
    if (addresses) {
      if (!addresses.length) return;
      q = q.where('private_ip', 'in', addresses);
    }
    await q.execute();
  }

  // ---- tasks ---------------------------------------------------------------------------------

  async insertTask(t: Omit<Task, 'seq'>): Promise<Task> {
    const r = await this.db
      .insertInto('tasks')
      .values({
        id: t.id,
        account_id: t.accountId,
        region: t.region,
        kind: t.kind,
        status: t.status,
        payload: JSON.stringify(t.payload),
        resource_ids: JSON.stringify(t.resourceIds),
        error_code: t.errorCode,
        error_message: t.errorMessage,
        due_at: t.dueAt,
        lease_owner: t.leaseOwner,
        lease_expires_at: t.leaseExpiresAt,
        attempts: t.attempts,
        created_at: t.createdAt,
        finished_at: t.finishedAt,
      })
      .returning('seq')
      .executeTakeFirstOrThrow();
    return { ...t, seq: Number(r.seq) };
  }
  async getTask(id: string): Promise<Task | undefined> {
    const r = await this.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
    return r && taskFromRow(r);
  }
  async getTaskBySeq(seq: number): Promise<Task | undefined> {
    const r = await this.db.selectFrom('tasks').selectAll().where('seq', '=', seq).executeTakeFirst();
    return r && taskFromRow(r);
  }
  /** The unfinished task, if any, that names this resource: the "operation in flight" check. */
  async runningTaskFor(resourceId: string): Promise<Task | undefined> {
    // resource_ids is a JSON array of ids; ids never contain quotes, so a quoted match is exact.
    const r = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('status', '=', 'RUNNING')
      .where('resource_ids', 'like', `%"${resourceId}"%`)
      .orderBy('seq')
      .executeTakeFirst();
    return r && taskFromRow(r);
  }
  /**
   * Takes up to `limit` due tasks whose lease is free or expired. PostgreSQL skips rows another
   * node is claiming at this moment instead of waiting for them.
   */
  async claimDueTasks(now: number, owner: string, leaseMs: number, limit: number): Promise<Task[]> {
    let q = this.db
      .selectFrom('tasks')
      .select('seq')
      .where('status', '=', 'RUNNING')
      .where('due_at', '<=', now)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('due_at')
      .orderBy('seq')
      .limit(limit);
    if (this.rowLocks) q = q.forUpdate().skipLocked();
    const picked = await q.execute();
    if (!picked.length) return [];
    const seqs = picked.map((p) => p.seq);
    await this.db
      .updateTable('tasks')
      .set((eb) => ({ lease_owner: owner, lease_expires_at: now + leaseMs, attempts: eb('attempts', '+', 1) }))
      .where('seq', 'in', seqs)
      .execute();
    const rows = await this.db.selectFrom('tasks').selectAll().where('seq', 'in', seqs).orderBy('seq').execute();
    return rows.map(taskFromRow);
  }
  async renewLease(id: string, owner: string, until: number): Promise<void> {
    await this.db
      .updateTable('tasks')
      .set({ lease_expires_at: until })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'RUNNING')
      .execute();
  }
  async nextDueAt(): Promise<number | undefined> {
    const r = await this.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.min('due_at').as('d'))
      .where('status', '=', 'RUNNING')
      .executeTakeFirst();
    return r?.d == null ? undefined : Number(r.d);
  }
  async finishTask(id: string, status: 'SUCCESS' | 'FAILED', now: number, error?: { code: string; message: string }): Promise<void> {
    await this.db
      .updateTable('tasks')
      .set({
        status,
        finished_at: now,
        lease_owner: null,
        lease_expires_at: null,
        error_code: error?.code ?? null,
        error_message: error?.message ?? null,
      })
      .where('id', '=', id)
      .execute();
  }
  /** Frees every lease: used by an embedded store at start-up, when no other node can hold one. */
  async releaseAllLeases(): Promise<number> {
    const r = await this.db
      .updateTable('tasks')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('status', '=', 'RUNNING')
      .where('lease_owner', 'is not', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
  async releaseLeasesOf(owner: string): Promise<void> {
    await this.db
      .updateTable('tasks')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('lease_owner', '=', owner)
      .where('status', '=', 'RUNNING')
      .execute();
  }
  async countTasks(status: Task['status']): Promise<number> {
    const r = await this.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', status)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // ---- idempotency ---------------------------------------------------------------------------

  async getIdempotency(accountId: string, action: string, token: string): Promise<IdempotencyRecord | undefined> {
    const r = await this.db
      .selectFrom('idempotency')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('action', '=', action)
      .where('token', '=', token)
      .executeTakeFirst();
    return (
      r && {
        accountId: r.account_id,
        action: r.action,
        token: r.token,
        paramsHash: r.params_hash,
        result: JSON.parse(r.result),
        taskId: r.task_id,
        createdAt: Number(r.created_at),
      }
    );
  }
  async putIdempotency(rec: IdempotencyRecord): Promise<void> {
    await this.db
      .insertInto('idempotency')
      .values({
        account_id: rec.accountId,
        action: rec.action,
        token: rec.token,
        params_hash: rec.paramsHash,
        result: JSON.stringify(rec.result),
        task_id: rec.taskId,
        created_at: rec.createdAt,
      })
      .execute();
  }
}

function ipOrder(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
