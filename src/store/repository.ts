/**
 * Every query the core and the task engine make, written once against Kysely so that SQLite and
 * PostgreSQL run the same statements. A Repo is bound to one open transaction (or, for peek(), to a
 * connection outside any: then each statement stands alone).
 */
import { sql, type Compilable, type Kysely } from 'kysely';
import type { SqlDialect } from './migrations.ts';
import { runTemplate } from './templates.ts';
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

const COLUMN: Record<Exclude<EniField, 'shownInstanceId'>, string> = { id: 'id', vpcId: 'vpc_id', subnetId: 'subnet_id', instanceId: 'instance_id' };

/** What makes two condition lists compile to the same SQL: their fields and how many values each has. */
function shapeOf(where: Array<{ field: EniField; anyOf: readonly string[] }>): string {
  return where.map((c) => `${c.field}:${c.anyOf.length}`).join(',');
}

/** The SQL expression of a field, qualified by `table` when given. */
function eniColumn(field: EniField, table?: string) {
  const ref = (c: string) => sql.ref(table ? `${table}.${c}` : c);
  return field === 'shownInstanceId' ? sql<string>`coalesce(${ref('instance_id')}, ${ref('target_instance_id')})` : ref(COLUMN[field]);
}

/** The query as `field in (values)` conditions; undefined when one of them can match nothing. */
function conditionsOf(q: EniQuery): Array<{ field: EniField; anyOf: readonly string[] }> | undefined {
  const all = [...(q.where ?? [])];
  if (q.ids) all.push({ field: 'id', anyOf: q.ids });
  if (q.vpcId !== undefined) all.push({ field: 'vpcId', anyOf: [q.vpcId] });
  if (q.subnetId !== undefined) all.push({ field: 'subnetId', anyOf: [q.subnetId] });
  if (q.instanceId !== undefined) all.push({ field: 'instanceId', anyOf: [q.instanceId] });
  return all.some((c) => c.anyOf.length === 0) ? undefined : all;
}

export class Repo {
  constructor(
    private readonly db: Kysely<Database>,
    /** Row locks exist only where writers run concurrently (PostgreSQL); SQLite serialises writers. */
    private readonly rowLocks: boolean,
    private readonly dialect: SqlDialect,
  ) {}

  /** A hot statement, built and compiled once per shape (see templates.ts). */
  private template<R>(shape: string, values: readonly unknown[], build: (slots: readonly any[]) => Compilable<R>): Promise<R[]> {
    return runTemplate(this.db, this.dialect, shape, values, build);
  }

  /** `update <table> set <columns> where id = ?`, one template per table and set of columns. */
  private async updateRow(table: 'enis' | 'instances' | 'tasks', id: string, columns: Record<string, unknown>): Promise<void> {
    const names = Object.keys(columns);
    await this.template(`update ${table} ${names.join(',')}`, [...names.map((n) => columns[n]), id], (slots) =>
      this.db
        .updateTable(table)
        .set(Object.fromEntries(names.map((n, i) => [n, slots[i]])) as any)
        .where('id', '=', slots[names.length]),
    );
  }

  /** `insert into <table> (<columns>) values (…)`, optionally returning one column. */
  private insertRow(table: 'audit_log' | 'tasks', row: Record<string, unknown>, returning?: 'seq'): Promise<Array<{ seq: number }>> {
    const names = Object.keys(row);
    return this.template(`insert ${table} ${names.join(',')} ${returning ?? ''}`, names.map((n) => row[n]), (slots) => {
      const q = this.db.insertInto(table).values(Object.fromEntries(names.map((n, i) => [n, slots[i]])) as any);
      return (returning ? q.returning(returning) : q) as unknown as Compilable<{ seq: number }>;
    });
  }

  // ---- locking -------------------------------------------------------------------------------

  /**
   * Locks the rows an operation will change, always instances before ENIs and each sorted by id,
   * so that two operations can never wait on each other in opposite orders.
   */
  async lock(ids: { instances?: string[]; enis?: string[] }): Promise<void> {
    if (!this.rowLocks) return;
    const instances = [...new Set(ids.instances ?? [])].sort();
    const enis = [...new Set(ids.enis ?? [])].sort();
    for (const [table, ids] of [['instances', instances], ['enis', enis]] as const) {
      if (!ids.length) continue;
      await this.template(`lock ${table} ${ids.length}`, ids, (slots) => this.db.selectFrom(table).select('id').where('id', 'in', slots).orderBy('id').forUpdate());
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
    await this.template('lockTask', [id], ([i]) => this.db.selectFrom('tasks').select('seq').where('id', '=', i).forUpdate());
  }

  // ---- accounts and keys ---------------------------------------------------------------------

  async insertAccount(a: Account): Promise<void> {
    await this.db.insertInto('accounts').values(accountToRow(a)).execute();
  }
  async getAccount(id: string): Promise<Account | undefined> {
    const [r] = await this.template('getAccount', [id], ([i]) => this.db.selectFrom('accounts').selectAll().where('id', '=', i));
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
    await this.insertRow('audit_log', {
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
    });
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

  // ---- bulk loading ----------------------------------------------------------------------------

  /**
   * Inserts many resources with multi-row statements (bulk loads: benchmarks, imports). Rows are sent
   * in chunks that stay under both drivers' bound-parameter limits (SQLite 32766, PostgreSQL 65535).
   */
  async insertMany(r: { vpcs?: Vpc[]; subnets?: Subnet[]; instances?: Instance[]; enis?: Eni[] }): Promise<void> {
    const chunked = async <T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>) => {
      for (let i = 0; i < rows.length; i += 500) await insert(rows.slice(i, i + 500));
    };
    await chunked((r.vpcs ?? []).map(vpcToRow), (c) => this.db.insertInto('vpcs').values(c).execute());
    await chunked((r.subnets ?? []).map(subnetToRow), (c) => this.db.insertInto('subnets').values(c).execute());
    await chunked((r.instances ?? []).map(instanceToRow), (c) => this.db.insertInto('instances').values(c).execute());
    await chunked((r.enis ?? []).map(eniToRow), (c) => this.db.insertInto('enis').values(c).execute());
    await chunked((r.enis ?? []).flatMap((e) => e.ips.map(ipToRow)), (c) => this.db.insertInto('private_ips').values(c).execute());
  }

  /** A key and its account in one statement: the lookup every signed request makes. */
  async getKeyAndAccount(secretId: string): Promise<{ key: ApiKey; account: Account } | undefined> {
    const [r] = await this.template('keyAndAccount', [secretId], ([id]) =>
      this.db
        .selectFrom('api_keys as k')
        .innerJoin('accounts as a', 'a.id', 'k.account_id')
        .select(['k.secret_id', 'k.secret_key', 'k.account_id', 'k.status', 'k.created_at', 'a.provider', 'a.name', 'a.owner_uin', 'a.status as account_status', 'a.created_at as account_created_at'])
        .where('k.secret_id', '=', id),
    );
    if (!r) return undefined;
    return {
      key: keyFromRow(r),
      account: accountFromRow({ id: r.account_id, provider: r.provider, name: r.name, owner_uin: r.owner_uin, status: r.account_status, created_at: r.account_created_at }),
    };
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
    const [r] = await this.template('getInstance', [id, scope.accountId, scope.region], ([i, a, rg]) =>
      this.db.selectFrom('instances').selectAll().where('id', '=', i).where('account_id', '=', a).where('region', '=', rg),
    );
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
    await this.updateRow('instances', id, rest);
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
  /**
   * The ENIs matching the query with their addresses, in creation order: one statement (ENIs joined to
   * their addresses), so it is consistent on its own. With `page`, the page is cut in SQL, by index.
   */
  async listEnis(scope: Scope, query: EniQuery = {}): Promise<Eni[]> {
    const where = conditionsOf(query);
    if (where === undefined) return [];
    const page = query.page;
    const values = [scope.accountId, scope.region, ...where.flatMap((c) => c.anyOf), ...(page ? [page.limit, page.offset] : [])];
    const rows = await this.template(`listEnis ${shapeOf(where)} ${page ? 'page' : ''}`, values, ([account, region, ...rest]) => {
      const matching = <Q extends { where: (...a: any[]) => Q }>(q: Q, table?: string): Q => {
        let i = 0;
        for (const c of where) {
          const items = rest.slice(i, (i += c.anyOf.length));
          q = q.where((eb: any) => eb(eniColumn(c.field, table), 'in', items));
        }
        return q;
      };
      let q = this.db
        .selectFrom('enis')
        .leftJoin('private_ips as ip', 'ip.eni_id', 'enis.id')
        .selectAll('enis')
        .select(['ip.address as ip_address', 'ip.subnet_id as ip_subnet_id', 'ip.is_primary as ip_is_primary', 'ip.state as ip_state', 'ip.description as ip_description', 'ip.qos_level as ip_qos_level']);
      if (page) {
        // The page's ids come from the scope's index, in order; the outer query then fetches exactly
        // those rows by primary key (a scope condition there would tempt the planner to scan the scope).
        const [limit, offset] = rest.slice(-2);
        const ids = matching(this.db.selectFrom('enis').select('id').where('account_id', '=', account).where('region', '=', region));
        q = q.where('enis.id', 'in', ids.orderBy('created_at').orderBy('id').limit(limit).offset(offset));
      } else {
        q = matching(q.where('enis.account_id', '=', account).where('enis.region', '=', region), 'enis');
      }
      return q.orderBy('enis.created_at').orderBy('enis.id');
    });
    const out: Eni[] = [];
    let current: Eni | undefined;
    for (const r of rows) {
      if (current?.id !== r.id) out.push((current = eniFromRow(r, [])));
      if (r.ip_address !== null) {
        current.ips.push(ipFromRow({ subnet_id: r.ip_subnet_id!, address: r.ip_address, eni_id: r.id, is_primary: r.ip_is_primary!, state: r.ip_state!, description: r.ip_description!, qos_level: r.ip_qos_level! }));
      }
    }
    for (const e of out) if (e.ips.length > 1) e.ips.sort((a, b) => Number(b.primary) - Number(a.primary) || ipOrder(a.address, b.address));
    return out;
  }
  /** How many ENIs match the query (its page aside). */
  async countEnis(scope: Scope, query: EniQuery = {}): Promise<number> {
    const where = conditionsOf(query);
    if (where === undefined) return 0;
    const values = [scope.accountId, scope.region, ...where.flatMap((c) => c.anyOf)];
    const [r] = await this.template(`countEnis ${shapeOf(where)}`, values, ([account, region, ...rest]) => {
      let q = this.db
        .selectFrom('enis')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', account)
        .where('region', '=', region);
      let i = 0;
      for (const c of where) {
        const items = rest.slice(i, (i += c.anyOf.length));
        q = q.where((eb) => eb(eniColumn(c.field), 'in', items));
      }
      return q;
    });
    return Number(r!.n);
  }
  /** Saves the ENI's own columns; its addresses change only through the address methods. */
  async updateEni(e: Eni): Promise<void> {
    const { id, ...rest } = eniToRow(e);
    await this.updateRow('enis', id, rest);
  }
  async deleteEni(id: string): Promise<void> {
    await this.unbindEipsOf(id);
    await this.db.deleteFrom('private_ips').where('eni_id', '=', id).execute();
    await this.db.deleteFrom('enis').where('id', '=', id).execute();
  }
  /** ENIs attached, attaching or migrating to the instance with the given attach type. */
  async countEnisOn(instanceId: string, attachType: number): Promise<number> {
    const [r] = await this.template('countEnisOn', [instanceId, attachType], ([i, type]) =>
      this.db
        .selectFrom('enis')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where((eb) => eb.or([eb('instance_id', '=', i), eb('target_instance_id', '=', i)]))
        .where('attach_type', '=', type),
    );
    return Number(r!.n);
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
    const rows = await this.template('usedDeviceIndexes', [instanceId], ([i]) =>
      this.db
        .selectFrom('enis')
        .select('device_index')
        .where((eb) => eb.or([eb('instance_id', '=', i), eb('target_instance_id', '=', i)])),
    );
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
    const [r] = await this.insertRow('tasks', {
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
    }, 'seq');
    const seq = Number(r!.seq);
    if (t.status === 'RUNNING') {
      const ids = [...new Set(t.resourceIds)];
      if (ids.length) {
        await this.template(`insert task_resources ${ids.length}`, [seq, ...ids], ([s, ...slots]) =>
          this.db.insertInto('task_resources').values(slots.map((id) => ({ resource_id: id, task_seq: s }))),
        );
      }
    }
    return { ...t, seq };
  }
  async getTask(id: string): Promise<Task | undefined> {
    const [r] = await this.template('getTask', [id], ([i]) => this.db.selectFrom('tasks').selectAll().where('id', '=', i));
    return r && taskFromRow(r);
  }
  async getTaskBySeq(seq: number): Promise<Task | undefined> {
    const r = await this.db.selectFrom('tasks').selectAll().where('seq', '=', seq).executeTakeFirst();
    return r && taskFromRow(r);
  }
  /** The unfinished task, if any, that names this resource: the "operation in flight" check. */
  async runningTaskFor(resourceId: string): Promise<Task | undefined> {
    const [r] = await this.template('runningTaskFor', [resourceId], ([id]) =>
      this.db
        .selectFrom('task_resources as r')
        .innerJoin('tasks', 'tasks.seq', 'r.task_seq')
        .selectAll('tasks')
        .where('r.resource_id', '=', id)
        .where('tasks.status', '=', 'RUNNING')
        // The oldest first; ordered by the index column so that no sort is needed. A literal LIMIT:
        // SQLite plans `LIMIT ?` without knowing it is 1, which cost 18 µs more per call.
        .orderBy('r.task_seq')
        .limit(sql.lit(1)),
    );
    return r && taskFromRow(r);
  }
  /**
   * Takes up to `limit` due tasks whose lease is free or expired. PostgreSQL skips rows another
   * node is claiming at this moment instead of waiting for them.
   */
  async claimDueTasks(now: number, owner: string, leaseMs: number, limit: number): Promise<Task[]> {
    const picked = await this.template(`claim ${this.rowLocks}`, [now, limit], ([at, n]) => {
      const q = this.db
        .selectFrom('tasks')
        .select('seq')
        .where('status', '=', 'RUNNING')
        .where('due_at', '<=', at)
        .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', at)]))
        .orderBy('due_at')
        .orderBy('seq')
        .limit(n);
      return this.rowLocks ? q.forUpdate().skipLocked() : q;
    });
    if (!picked.length) return [];
    const seqs = picked.map((p) => p.seq);
    const rows = await this.template(`lease ${seqs.length}`, [owner, now + leaseMs, ...seqs], ([who, until, ...slots]) =>
      this.db
        .updateTable('tasks')
        .set((eb) => ({ lease_owner: who, lease_expires_at: until, attempts: eb('attempts', '+', 1) }))
        .where('seq', 'in', slots)
        .returningAll(),
    );
    return rows.map(taskFromRow).sort((a, b) => a.seq - b.seq);
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
    const [r] = await this.template('nextDueAt', [], () =>
      this.db.selectFrom('tasks').select((eb) => eb.fn.min('due_at').as('d')).where('status', '=', 'RUNNING'),
    );
    return r?.d == null ? undefined : Number(r.d);
  }
  async finishTask(id: string, status: 'SUCCESS' | 'FAILED', now: number, error?: { code: string; message: string }): Promise<void> {
    await this.template('release task_resources', [id], ([i]) =>
      this.db.deleteFrom('task_resources').where('task_seq', 'in', this.db.selectFrom('tasks').select('seq').where('id', '=', i)),
    );
    await this.updateRow('tasks', id, {
      status,
      finished_at: now,
      lease_owner: null,
      lease_expires_at: null,
      error_code: error?.code ?? null,
      error_message: error?.message ?? null,
    });
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
