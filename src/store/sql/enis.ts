/** ENIs, their private addresses and elastic IPs. SQL for the EniRepo of core/ports/repo.ts. */
import { sql } from 'kysely';
import type { ElasticIp, Eni, PrivateIp, Scope } from '../../core/model.ts';
import { eipFromRow, eipToRow, eniFromRow, eniToRow, ipFromRow, ipToRow } from '../rows.ts';
import type { Container, EniField, EniQuery, EniRepo } from '../../core/ports/repo.ts';
import { SqlBase } from './base.ts';

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

export class EniSql extends SqlBase implements EniRepo {
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
    for (const e of out) if (e.ips.length > 1) sortIps(e.ips);
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

  async countEnisIn(container: Container, id: string): Promise<number> {
    return this.countIn('enis', container, id);
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

  async setIpDescription(subnetId: string, address: string, description: string): Promise<void> {
    await this.db.updateTable('private_ips').set({ description }).where('subnet_id', '=', subnetId).where('address', '=', address).execute();
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

  /**
   * Holds an elastic IP while a request reads and changes its binding: without it two PostgreSQL
   * transactions both see it unbound and both "associate" it. Taken last, after lock().
   */
  async lockEip(id: string): Promise<void> {
    if (!this.rowLocks) return;
    await this.db.selectFrom('elastic_ips').select('id').where('id', '=', id).forUpdate().execute();
  }
}

/** An ENI's addresses as every answer lists them: the primary first, then in dotted-quad order. */
export function sortIps(ips: PrivateIp[]): PrivateIp[] {
  return ips.sort((a, b) => Number(b.primary) - Number(a.primary) || ipOrder(a.address, b.address));
}

/** Dotted-quad order, so addresses list as people read them. */
function ipOrder(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
