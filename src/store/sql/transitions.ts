/** Held tasks and their operations' modes. SQL for the TransitionRepo of core/ports/repo.ts. */
import type { Task } from '../../core/model.ts';
import type { TransitionMode, TransitionRepo } from '../../core/ports/repo.ts';
import { taskFromRow } from '../rows.ts';
import { SqlBase } from './base.ts';

export class TransitionSql extends SqlBase implements TransitionRepo {
  async setTransitionMode(operation: string, mode: TransitionMode, at: number): Promise<void> {
    if (mode === 'auto') {
      await this.db.deleteFrom('transition_modes').where('operation', '=', operation).execute();
      return;
    }
    await this.db
      .insertInto('transition_modes')
      .values({ operation, mode, updated_at: at })
      .onConflict((oc) => oc.column('operation').doUpdateSet({ mode, updated_at: at }))
      .execute();
  }

  async listTransitionModes(): Promise<Array<{ operation: string; mode: TransitionMode }>> {
    const rows = await this.db.selectFrom('transition_modes').select(['operation', 'mode']).orderBy('operation').execute();
    return rows.map((r) => ({ operation: r.operation, mode: r.mode as TransitionMode }));
  }

  async listTasks(status?: Task['status']): Promise<Task[]> {
    let q = this.db.selectFrom('tasks').selectAll();
    if (status !== undefined) q = q.where('status', '=', status);
    return (await q.orderBy('seq').execute()).map(taskFromRow);
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
