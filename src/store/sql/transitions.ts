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

  async countPolls(q: { resourceIds?: readonly string[]; taskId?: string }, now: number): Promise<number> {
    const ids = [...new Set(q.resourceIds ?? [])];
    if (!ids.length && q.taskId === undefined) return 0;
    const named = this.db
      .selectFrom('task_resources')
      .select('task_seq')
      .where('resource_id', 'in', ids.length ? ids : ['']);
    const which = (eb: any) => (q.taskId === undefined ? eb('seq', 'in', named) : ids.length ? eb.or([eb('seq', 'in', named), eb('id', '=', q.taskId)]) : eb('id', '=', q.taskId));
    await this.db.updateTable('tasks').set((eb) => ({ polls_left: eb('polls_left', '-', 1) })).where('status', '=', 'RUNNING').where('polls_left', '>', 0).where(which).execute();
    const r = await this.db.updateTable('tasks').set({ due_at: now, polls_left: null }).where('status', '=', 'RUNNING').where('polls_left', '=', 0).where(which).executeTakeFirst();
    return Number(r.numUpdatedRows);
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
