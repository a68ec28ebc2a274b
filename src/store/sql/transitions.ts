/** Held tasks and their operations' modes. SQL for the TransitionRepo of core/ports/repo.ts. */
import { sql } from 'kysely';
import type { Task } from '../../core/model.ts';
import type { TransitionMode, TransitionRepo, TransitionSetting } from '../../core/ports/repo.ts';
import { taskFromRow } from '../rows.ts';
import { SqlBase } from './base.ts';

export class TransitionSql extends SqlBase implements TransitionRepo {
  async setTransitionMode({ operation, mode, polls = 0 }: TransitionSetting, at: number): Promise<void> {
    // Tasks still counting describes follow the new mode: `auto` ends them now, `manual` holds them.
    if (mode !== 'polls') {
      await this.db
        .updateTable('tasks')
        .set({ polls_left: null, ...(mode === 'auto' && { due_at: at }) })
        .where('kind', '=', operation)
        .where('status', '=', 'RUNNING')
        .where('polls_left', 'is not', null)
        .execute();
    }
    if (mode === 'auto') {
      await this.db.deleteFrom('transition_modes').where('operation', '=', operation).execute();
      return;
    }
    await this.db
      .insertInto('transition_modes')
      .values({ operation, mode, polls, updated_at: at })
      .onConflict((oc) => oc.column('operation').doUpdateSet({ mode, polls, updated_at: at }))
      .execute();
  }

  async listTransitionModes(): Promise<TransitionSetting[]> {
    const rows = await this.db.selectFrom('transition_modes').select(['operation', 'mode', 'polls']).orderBy('operation').execute();
    return rows.map((r) => ({ operation: r.operation, mode: r.mode as TransitionMode, ...(r.mode === 'polls' && { polls: Number(r.polls) }) }));
  }

  async countPolls(accountId: string, q: { resourceIds?: readonly string[]; taskId?: string }, now: number): Promise<number> {
    // The account's counting tasks are few: read them and match the ids here, however many a describe names.
    const counting = await this.db
      .selectFrom('tasks')
      .select(['id', 'resource_ids'])
      .where('status', '=', 'RUNNING')
      .where('polls_left', 'is not', null)
      .where('account_id', '=', accountId)
      .execute();
    const named = new Set(q.resourceIds ?? []);
    let released = 0;
    for (const t of counting) {
      if (t.id !== q.taskId && !(JSON.parse(t.resource_ids) as string[]).some((id) => named.has(id))) continue;
      // One statement per task, reading the count it changes: two describes at once (two nodes) both
      // count, whichever waits for the other's row lock; the last one makes the task due.
      const rows = await sql<{ polls_left: number | null }>`
        update tasks set
          polls_left = case when polls_left > 1 then polls_left - 1 else null end,
          due_at = case when polls_left > 1 then due_at else ${now} end
        where id = ${t.id} and status = 'RUNNING' and polls_left is not null
        returning polls_left`.execute(this.db);
      if (rows.rows.length && rows.rows[0]!.polls_left === null) released++;
    }
    return released;
  }

  async countStrayPolls(): Promise<number> {
    const r = await sql<{ n: number }>`
      select count(*) as n from tasks
      where status = 'RUNNING' and polls_left is not null
        and kind not in (select operation from transition_modes where mode = 'polls')`.execute(this.db);
    return Number(r.rows[0]?.n ?? 0);
  }

  async settleStrayPolls(now: number): Promise<number> {
    // One statement over the modes as they are now, so a task of an operation switched to polls
    // meanwhile is not taken for a stray; held ones of manual operations stay held.
    const r = await sql`
      update tasks set
        polls_left = null,
        due_at = case when kind in (select operation from transition_modes where mode = 'manual') then due_at else ${now} end
      where status = 'RUNNING' and polls_left is not null
        and kind not in (select operation from transition_modes where mode = 'polls')`.execute(this.db);
    return Number(r.numAffectedRows ?? 0);
  }

  async listTasks(status?: Task['status'], o: { limit?: number; resourceId?: string } = {}): Promise<Task[]> {
    let q = this.db.selectFrom('tasks').selectAll();
    if (status !== undefined) q = q.where('status', '=', status);
    if (o.resourceId !== undefined) q = q.where('resource_ids', 'like', `%${JSON.stringify(o.resourceId).replace(/[%_\\]/g, '')}%`);
    if (o.limit === undefined) return (await q.orderBy('seq').execute()).map(taskFromRow);
    return (await q.orderBy('seq', 'desc').limit(o.limit).execute()).map(taskFromRow).reverse();
  }

  async releaseTask(id: string, now: number, failure?: { code: string; message: string }): Promise<boolean> {
    const r = await this.db
      .updateTable('tasks')
      .set({ due_at: now, ...(failure ? { error_code: failure.code, error_message: failure.message } : {}) })
      .where('id', '=', id)
      .where('status', '=', 'RUNNING')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
