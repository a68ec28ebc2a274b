/** Held tasks and their operations' modes. SQL for the TransitionRepo of core/ports/repo.ts. */
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
      .select(['id', 'resource_ids', 'polls_left'])
      .where('status', '=', 'RUNNING')
      .where('polls_left', 'is not', null)
      .where('account_id', '=', accountId)
      .execute();
    if (!counting.length) return 0;
    const named = new Set(q.resourceIds ?? []);
    let released = 0;
    for (const t of counting) {
      if (t.id !== q.taskId && !(JSON.parse(t.resource_ids) as string[]).some((id) => named.has(id))) continue;
      const left = Number(t.polls_left) - 1;
      await this.db
        .updateTable('tasks')
        .set(left > 0 ? { polls_left: left } : { polls_left: null, due_at: now })
        .where('id', '=', t.id)
        .where('status', '=', 'RUNNING')
        .where('polls_left', '=', Number(t.polls_left))
        .execute();
      if (left <= 0) released++;
    }
    return released;
  }

  async countStrayPolls(pollsKinds: readonly string[]): Promise<number> {
    let q = this.db.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'RUNNING').where('polls_left', 'is not', null);
    if (pollsKinds.length) q = q.where('kind', 'not in', [...pollsKinds]);
    return Number((await q.executeTakeFirst())?.n ?? 0);
  }

  async settleStrayPolls(pollsKinds: readonly string[], manualKinds: readonly string[], now: number): Promise<number> {
    let q = this.db.selectFrom('tasks').select('id').where('status', '=', 'RUNNING').where('polls_left', 'is not', null);
    if (pollsKinds.length) q = q.where('kind', 'not in', [...pollsKinds]);
    const stray = (await q.execute()).map((r) => r.id);
    if (!stray.length) return 0;
    const held = new Set(manualKinds);
    for (const id of stray) {
      const task = await this.db.selectFrom('tasks').select('kind').where('id', '=', id).executeTakeFirst();
      await this.db
        .updateTable('tasks')
        .set(task && held.has(task.kind) ? { polls_left: null } : { polls_left: null, due_at: now })
        .where('id', '=', id)
        .where('status', '=', 'RUNNING')
        .execute();
    }
    return stray.length;
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
