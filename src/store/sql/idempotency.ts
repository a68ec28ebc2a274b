/** Idempotency records (ClientToken). SQL for the IdempotencyRepo of core/ports/repo.ts. */
import type { IdempotencyRecord, IdempotencyRepo } from '../../core/ports/repo.ts';
import { SqlBase } from './base.ts';

export class IdempotencySql extends SqlBase implements IdempotencyRepo {
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
