/**
 * The whole world as rows: export, import (replace), reset and snapshots. SQL for the WorldRepo of
 * core/ports/repo.ts. Rows travel as the schema stores them (0/1 booleans, JSON text), so a world
 * exported from SQLite imports into PostgreSQL unchanged.
 */
import { sql } from 'kysely';
import { WorldMismatch, type WorldDocument, type WorldRepo, type WorldView } from '../../core/ports/repo.ts';
import type { PrivateIp } from '../../core/model.ts';
import { accountFromRow, eipFromRow, eniFromRow, instanceFromRow, ipFromRow, securityGroupFromRow, subnetFromRow, vpcFromRow } from '../rows.ts';
import { schemaVersion } from '../migrations.ts';
import type { Database } from '../schema.ts';
import { SqlBase } from './base.ts';
import { sortIps } from './enis.ts';

type Table = keyof Database;

/** Tables of a world, parents before children (inserts in this order, deletes in reverse). */
const ACCOUNT_TABLES = ['accounts', 'api_keys'] as const satisfies readonly Table[];
const RESOURCE_TABLES = ['vpcs', 'subnets', 'security_groups', 'instances', 'enis', 'private_ips', 'elastic_ips', 'tasks', 'task_resources', 'idempotency'] as const satisfies readonly Table[];
const WORLD_TABLES = [...ACCOUNT_TABLES, ...RESOURCE_TABLES] as const;
type WorldTable = (typeof WORLD_TABLES)[number];

/** How each table's rows are ordered in a document: by its key, so two exports of one world are equal. */
const ORDER: Record<WorldTable, string[]> = {
  accounts: ['id'],
  api_keys: ['secret_id'],
  vpcs: ['id'],
  subnets: ['id'],
  security_groups: ['id'],
  instances: ['id'],
  enis: ['id'],
  private_ips: ['subnet_id', 'address'],
  elastic_ips: ['id'],
  tasks: ['seq'],
  task_resources: ['resource_id', 'task_seq'],
  idempotency: ['account_id', 'action', 'token'],
};

/** Rows per insert statement: well under both databases' limits on bound values. */
const CHUNK = 100;

export class WorldSql extends SqlBase implements WorldRepo {
  async exportWorld(): Promise<WorldDocument> {
    const tables: WorldDocument['tables'] = {};
    for (const t of WORLD_TABLES) {
      let q = this.db.selectFrom(t as 'vpcs').selectAll();
      for (const col of ORDER[t]) q = q.orderBy(col as 'id');
      tables[t] = (await q.execute()) as unknown as Array<Record<string, unknown>>;
    }
    return { format: 'eniplane-world', version: schemaVersion(), tables };
  }

  async importWorld(doc: WorldDocument): Promise<void> {
    if (doc.version !== schemaVersion()) throw new WorldMismatch(`the world is of schema version ${doc.version}; this store is at ${schemaVersion()}`);
    for (const t of Object.keys(doc.tables)) if (!(WORLD_TABLES as readonly string[]).includes(t)) throw new WorldMismatch(`unknown table "${t}"`);
    await this.lockWorld();
    await this.quietCapture(true);
    for (const t of [...WORLD_TABLES].reverse()) await this.db.deleteFrom(t as 'vpcs').execute();
    for (const t of WORLD_TABLES) {
      const rows = (doc.tables[t] ?? []).map((r) => (t === 'tasks' ? { ...r, lease_owner: null, lease_expires_at: null } : r));
      for (let i = 0; i < rows.length; i += CHUNK) {
        try {
          await this.db.insertInto(t as 'vpcs').values(rows.slice(i, i + CHUNK) as never).execute();
        } catch (e) {
          throw new WorldMismatch(`table "${t}", rows ${i + 1}–${Math.min(i + CHUNK, rows.length)}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
    // PostgreSQL hands out task numbers from a sequence, which must move past the imported ones.
    if (this.dialect === 'postgres') {
      await sql`select setval(pg_get_serial_sequence('tasks', 'seq'), coalesce((select max(seq) from tasks), 0) + 1, false)`.execute(this.db);
    }
    await this.quietCapture(false);
    await this.worldEvent('imported', null);
  }

  /**
   * PostgreSQL: no other node writes the world while it is replaced or reset (a row inserted by a
   * request meanwhile would survive the delete). SQLite serialises writers already.
   */
  private async lockWorld(): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await sql`lock table ${sql.join(WORLD_TABLES.map((t) => sql.table(t)))} in exclusive mode`.execute(this.db);
  }

  async resetWorld(accountId?: string): Promise<{ removed: number }> {
    await this.lockWorld();
    await this.quietCapture(true);
    const out = await this.removeResources(accountId);
    await this.quietCapture(false);
    await this.worldEvent('reset', accountId ?? null);
    return out;
  }

  private async removeResources(accountId?: string): Promise<{ removed: number }> {
    let removed = 0;
    const count = (r: { numDeletedRows: bigint }[]) => (removed += r.reduce((n, x) => n + Number(x.numDeletedRows), 0));
    if (accountId === undefined) {
      for (const t of [...RESOURCE_TABLES].reverse()) count(await this.db.deleteFrom(t).execute());
      return { removed };
    }
    // Children first; rows without an account of their own go with their parent's.
    count(await this.db.deleteFrom('task_resources').where('task_seq', 'in', this.db.selectFrom('tasks').select('seq').where('account_id', '=', accountId)).execute());
    count(await this.db.deleteFrom('private_ips').where('eni_id', 'in', this.db.selectFrom('enis').select('id').where('account_id', '=', accountId)).execute());
    for (const t of ['tasks', 'idempotency', 'elastic_ips', 'enis', 'instances', 'security_groups', 'subnets', 'vpcs'] as const) {
      count(await this.db.deleteFrom(t).where('account_id', '=', accountId).execute());
    }
    return { removed };
  }

  async countResources(): Promise<Array<{ provider: string; kind: string; count: number }>> {
    const kinds = { vpcs: 'vpc', subnets: 'subnet', security_groups: 'securityGroup', instances: 'instance', enis: 'eni', elastic_ips: 'eip' } as const;
    const out: Array<{ provider: string; kind: string; count: number }> = [];
    for (const [table, kind] of Object.entries(kinds) as Array<[keyof typeof kinds, string]>) {
      const rows = await this.db
        .selectFrom(table)
        .innerJoin('accounts', 'accounts.id', `${table}.account_id` as 'vpcs.account_id')
        .select(['accounts.provider', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('accounts.provider')
        .execute();
      for (const r of rows) out.push({ provider: r.provider, kind, count: Number(r.n) });
    }
    return out;
  }

  async viewWorld(): Promise<WorldView> {
    const last = await this.db.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    const seq = Number(last?.seq ?? 0);
    const ips = new Map<string, PrivateIp[]>();
    for (const r of await this.db.selectFrom('private_ips').selectAll().execute()) {
      const ip = ipFromRow(r);
      ips.set(r.eni_id, [...(ips.get(r.eni_id) ?? []), ip]);
    }
    const byCreation = <T extends { createdAt: number; id: string }>(xs: T[]) => xs.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    return {
      seq,
      accounts: byCreation((await this.db.selectFrom('accounts').selectAll().execute()).map(accountFromRow)),
      vpcs: byCreation((await this.db.selectFrom('vpcs').selectAll().execute()).map(vpcFromRow)),
      subnets: byCreation((await this.db.selectFrom('subnets').selectAll().execute()).map(subnetFromRow)),
      securityGroups: byCreation((await this.db.selectFrom('security_groups').selectAll().execute()).map(securityGroupFromRow)),
      instances: byCreation((await this.db.selectFrom('instances').selectAll().execute()).map(instanceFromRow)),
      // Primary address first, then by number, as every Describe lists them.
      enis: byCreation((await this.db.selectFrom('enis').selectAll().execute()).map((r) => eniFromRow(r, sortIps(ips.get(r.id) ?? [])))),
      eips: byCreation((await this.db.selectFrom('elastic_ips').selectAll().execute()).map(eipFromRow)),
    };
  }

  async ownerOf(table: 'vpcs' | 'subnets' | 'security_groups' | 'instances' | 'enis', id: string): Promise<{ accountId: string; region: string } | undefined> {
    const r = await this.db.selectFrom(table as 'vpcs').select(['account_id', 'region']).where('id', '=', id).executeTakeFirst();
    return r && { accountId: r.account_id, region: r.region };
  }

  async putSnapshot(name: string, at: number, doc: WorldDocument): Promise<void> {
    const document = JSON.stringify(doc);
    await this.db
      .insertInto('snapshots')
      .values({ name, created_at: at, document })
      .onConflict((oc) => oc.column('name').doUpdateSet({ created_at: at, document }))
      .execute();
  }

  async getSnapshot(name: string): Promise<{ name: string; createdAt: number; document: WorldDocument } | undefined> {
    const r = await this.db.selectFrom('snapshots').selectAll().where('name', '=', name).executeTakeFirst();
    return r && { name: r.name, createdAt: Number(r.created_at), document: JSON.parse(r.document) as WorldDocument };
  }

  async listSnapshots(): Promise<Array<{ name: string; createdAt: number }>> {
    const rows = await this.db.selectFrom('snapshots').select(['name', 'created_at']).orderBy('created_at').orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, createdAt: Number(r.created_at) }));
  }

  async deleteSnapshot(name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('snapshots').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
