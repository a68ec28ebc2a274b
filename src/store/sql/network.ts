/** VPCs and subnets. SQL for the NetworkRepo of core/ports/repo.ts. */
import type { Scope, Subnet, Vpc } from '../../core/model.ts';
import { subnetFromRow, subnetToRow, vpcFromRow, vpcToRow } from '../rows.ts';
import type { NetworkRepo } from '../../core/ports/repo.ts';
import { SqlBase } from './base.ts';

export class NetworkSql extends SqlBase implements NetworkRepo {
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

  async updateVpc(v: Vpc): Promise<void> {
    const { id, ...rest } = vpcToRow(v);
    await this.db.updateTable('vpcs').set(rest).where('id', '=', id).execute();
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

  async updateSubnet(s: Subnet): Promise<void> {
    const { id, ...rest } = subnetToRow(s);
    await this.db.updateTable('subnets').set(rest).where('id', '=', id).execute();
  }

  async deleteSubnet(id: string): Promise<void> {
    await this.db.deleteFrom('subnets').where('id', '=', id).execute();
  }

  /**
   * Serialises address allocation in one subnet: without it two PostgreSQL transactions both see
   * the same address free and the second fails on the unique key. Taken last, after lock().
   */
  async lockVpc(id: string): Promise<void> {
    if (!this.rowLocks) return;
    await this.db.selectFrom('vpcs').select('id').where('id', '=', id).forUpdate().execute();
  }

  async lockSubnet(id: string): Promise<void> {
    if (!this.rowLocks) return;
    await this.db.selectFrom('subnets').select('id').where('id', '=', id).forUpdate().execute();
  }
}
