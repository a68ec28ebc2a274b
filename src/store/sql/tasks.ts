/** Tasks: accepted operations, their leases and results. SQL for the TaskRepo of core/ports/repo.ts. */
import { sql } from 'kysely';
import type { Task } from '../../core/model.ts';
import { taskFromRow } from '../rows.ts';
import type { TaskRepo } from '../../core/ports/repo.ts';
import { SqlBase } from './base.ts';

export class TaskSql extends SqlBase implements TaskRepo {
  async insertTask(t: Omit<Task, 'seq'>): Promise<Task> {
    const [r] = await this.insertRow('tasks', {
      id: t.id,
      account_id: t.accountId,
      region: t.region,
      kind: t.kind,
      status: t.status,
      payload: JSON.stringify(t.payload),
      resource_ids: JSON.stringify(t.resourceIds),
      error_code: t.errorCode,
      error_message: t.errorMessage,
      due_at: t.dueAt,
      lease_owner: t.leaseOwner,
      lease_expires_at: t.leaseExpiresAt,
      attempts: t.attempts,
      created_at: t.createdAt,
      finished_at: t.finishedAt,
      provider: t.provider,
      dialect: t.dialect,
      polls_left: t.pollsLeft,
    }, 'seq');
    const seq = Number(r!.seq);
    if (t.status === 'RUNNING') {
      const ids = [...new Set(t.resourceIds)];
      if (ids.length) {
        await this.template(`insert task_resources ${ids.length}`, [seq, ...ids], ([s, ...slots]) =>
          this.db.insertInto('task_resources').values(slots.map((id) => ({ resource_id: id, task_seq: s }))),
        );
      }
    }
    return { ...t, seq };
  }

  async getTask(id: string): Promise<Task | undefined> {
    const [r] = await this.template('getTask', [id], ([i]) => this.db.selectFrom('tasks').selectAll().where('id', '=', i));
    return r && taskFromRow(r);
  }

  async getTaskBySeq(seq: number): Promise<Task | undefined> {
    const r = await this.db.selectFrom('tasks').selectAll().where('seq', '=', seq).executeTakeFirst();
    return r && taskFromRow(r);
  }

  /** The unfinished task, if any, that names this resource: the "operation in flight" check. */
  async runningTaskFor(resourceId: string): Promise<Task | undefined> {
    const [r] = await this.template('runningTaskFor', [resourceId], ([id]) =>
      this.db
        .selectFrom('task_resources as r')
        .innerJoin('tasks', 'tasks.seq', 'r.task_seq')
        .selectAll('tasks')
        .where('r.resource_id', '=', id)
        .where('tasks.status', '=', 'RUNNING')
        // The oldest first; ordered by the index column so that no sort is needed. A literal LIMIT:
        // SQLite plans `LIMIT ?` without knowing it is 1, which cost 18 µs more per call.
        .orderBy('r.task_seq')
        .limit(sql.lit(1)),
    );
    return r && taskFromRow(r);
  }

  /**
   * Takes up to `limit` due tasks whose lease is free or expired. PostgreSQL skips rows another
   * node is claiming at this moment instead of waiting for them.
   */
  async claimDueTasks(now: number, owner: string, leaseMs: number, limit: number): Promise<Task[]> {
    // One statement: on PostgreSQL each round trip costs more than the work (a socket write and a
    // wake-up of the backend), and the picking and the leasing never need to be apart.
    const rows = await this.template(`claim ${this.rowLocks}`, [owner, now + leaseMs, now, limit], ([who, until, at, n]) => {
      const due = this.db
        .selectFrom('tasks')
        .select('seq')
        .where('status', '=', 'RUNNING')
        .where('due_at', '<=', at)
        .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', at)]))
        .orderBy('due_at')
        .orderBy('seq')
        .limit(n);
      return this.db
        .updateTable('tasks')
        .set((eb) => ({ lease_owner: who, lease_expires_at: until, attempts: eb('attempts', '+', 1) }))
        .where('seq', 'in', this.rowLocks ? due.forUpdate().skipLocked() : due)
        .returningAll();
    });
    return rows.map(taskFromRow).sort((a, b) => a.seq - b.seq);
  }

  async renewLease(id: string, owner: string, until: number): Promise<void> {
    await this.db
      .updateTable('tasks')
      .set({ lease_expires_at: until })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'RUNNING')
      .execute();
  }

  async nextDueAt(): Promise<number | undefined> {
    const [r] = await this.template('nextDueAt', [], () =>
      this.db.selectFrom('tasks').select((eb) => eb.fn.min('due_at').as('d')).where('status', '=', 'RUNNING'),
    );
    return r?.d == null ? undefined : Number(r.d);
  }

  async finishTask(id: string, status: 'SUCCESS' | 'FAILED', now: number, error?: { code: string; message: string }): Promise<void> {
    await this.template('release task_resources', [id], ([i]) =>
      this.db.deleteFrom('task_resources').where('task_seq', 'in', this.db.selectFrom('tasks').select('seq').where('id', '=', i)),
    );
    await this.updateRow('tasks', id, {
      status,
      finished_at: now,
      lease_owner: null,
      lease_expires_at: null,
      error_code: error?.code ?? null,
      error_message: error?.message ?? null,
    });
  }

  /** Frees every lease: used by an embedded store at start-up, when no other node can hold one. */
  async releaseAllLeases(): Promise<number> {
    const r = await this.db
      .updateTable('tasks')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('status', '=', 'RUNNING')
      .where('lease_owner', 'is not', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async releaseLeasesOf(owner: string): Promise<void> {
    await this.db
      .updateTable('tasks')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('lease_owner', '=', owner)
      .where('status', '=', 'RUNNING')
      .execute();
  }

  async countTasks(status: Task['status']): Promise<number> {
    const r = await this.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', status)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Holds a task row while it is being finished, so a node reclaiming it skips it meanwhile. */
  async getTaskLocked(id: string): Promise<Task | undefined> {
    const [r] = await this.template(`getTaskLocked ${this.rowLocks}`, [id], ([i]) => {
      const q = this.db.selectFrom('tasks').selectAll().where('id', '=', i);
      return this.rowLocks ? q.forUpdate() : q;
    });
    return r && taskFromRow(r);
  }
}
