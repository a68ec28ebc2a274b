/** Instances. SQL for the InstanceRepo of core/ports/repo.ts. */
import type { Instance, Scope } from '../../core/model.ts';
import { instanceFromRow, instanceToRow } from '../rows.ts';
import type { Container, InstanceRepo } from '../../core/ports/repo.ts';
import { SqlBase } from './base.ts';

export class InstanceSql extends SqlBase implements InstanceRepo {
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

  async countInstancesIn(container: Container, id: string): Promise<number> {
    return this.countIn('instances', container, id);
  }
}
