/** Security groups, their rules and their members. SQL for the SecurityGroupRepo of core/ports/repo.ts. */
import type { Scope, SecurityGroup } from '../../core/model.ts';
import type { SecurityGroupRepo } from '../../core/ports/repo.ts';
import { securityGroupFromRow, securityGroupToRow } from '../rows.ts';
import { SqlBase } from './base.ts';

export class SecurityGroupSql extends SqlBase implements SecurityGroupRepo {
  async insertSecurityGroup(g: SecurityGroup): Promise<void> {
    await this.db.insertInto('security_groups').values(securityGroupToRow(g)).execute();
  }

  async getSecurityGroup(scope: Scope, id: string): Promise<SecurityGroup | undefined> {
    const r = await this.db
      .selectFrom('security_groups')
      .selectAll()
      .where('id', '=', id)
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .executeTakeFirst();
    return r && securityGroupFromRow(r);
  }

  async listSecurityGroups(scope: Scope, vpcId?: string): Promise<SecurityGroup[]> {
    let q = this.db.selectFrom('security_groups').selectAll().where('account_id', '=', scope.accountId).where('region', '=', scope.region);
    if (vpcId !== undefined) q = q.where('vpc_id', '=', vpcId);
    return (await q.orderBy('created_at').orderBy('id').execute()).map(securityGroupFromRow);
  }

  async updateSecurityGroup(g: SecurityGroup): Promise<void> {
    const { id, ...rest } = securityGroupToRow(g);
    await this.db.updateTable('security_groups').set(rest).where('id', '=', id).execute();
  }

  async deleteSecurityGroup(id: string): Promise<void> {
    await this.db.deleteFrom('security_groups').where('id', '=', id).execute();
  }

  async securityGroupOwnedElsewhere(id: string, accountId: string): Promise<boolean> {
    const r = await this.db.selectFrom('security_groups').select('id').where('id', '=', id).where('account_id', '!=', accountId).executeTakeFirst();
    return r !== undefined;
  }

  async securityGroupMembers(scope: Scope, id: string): Promise<{ enis: string[]; primaryEnis: string[]; instances: string[] }> {
    // Members keep their groups as a JSON list of ids; an id's quoted form cannot match another id.
    const quoted = `%${JSON.stringify(id)}%`;
    const [enis, instances] = await Promise.all([
      this.db
        .selectFrom('enis')
        .select(['id', 'is_primary'])
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('security_group_ids', 'like', quoted)
        .orderBy('id')
        .execute(),
      this.db
        .selectFrom('instances')
        .select('id')
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('security_group_ids', 'like', quoted)
        .orderBy('id')
        .execute(),
    ]);
    return {
      enis: enis.filter((r) => Number(r.is_primary) !== 1).map((r) => r.id),
      primaryEnis: enis.filter((r) => Number(r.is_primary) === 1).map((r) => r.id),
      instances: instances.map((r) => r.id),
    };
  }

  async lockSecurityGroup(id: string): Promise<void> {
    if (!this.rowLocks) return;
    await this.db.selectFrom('security_groups').select('id').where('id', '=', id).forUpdate().execute();
  }
}
