/** Faults injected at run time and their hit counts. SQL for the FaultRepo of core/ports/repo.ts. */
import type { Fault } from '../../core/model.ts';
import type { FaultRepo } from '../../core/ports/repo.ts';
import { SqlBase } from './base.ts';

export class FaultSql extends SqlBase implements FaultRepo {
  async insertFault(f: Fault): Promise<void> {
    const { id, hits, createdAt, ...spec } = f;
    await this.db.insertInto('faults').values({ id, hits, created_at: createdAt, spec: JSON.stringify(spec) }).execute();
  }

  async listFaults(): Promise<Fault[]> {
    const rows = await this.db.selectFrom('faults').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => ({ ...(JSON.parse(r.spec) as Omit<Fault, 'id' | 'hits' | 'createdAt'>), id: r.id, hits: Number(r.hits), createdAt: Number(r.created_at) }));
  }

  async deleteFault(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('faults').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async clearFaults(): Promise<number> {
    const r = await this.db.deleteFrom('faults').executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async takeFaultHit(id: string): Promise<boolean> {
    const [fault] = (await this.listFaults()).filter((f) => f.id === id);
    if (!fault) return false;
    // One statement: two nodes taking the last hit at once cannot both get it.
    let q = this.db.updateTable('faults').set((eb) => ({ hits: eb('hits', '+', 1) })).where('id', '=', id);
    if (fault.count !== null) q = q.where('hits', '<', fault.count);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
