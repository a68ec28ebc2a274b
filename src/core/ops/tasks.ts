/**
 * Reading the outcome of accepted operations; a task is visible only to the account that made it,
 * and only in the region it was made in (like every other resource, tasks are regional).
 */
import type { CoreContext } from '../context.ts';
import { fail } from '../errors.ts';
import type { Scope, Task } from '../model.ts';

export async function getTask(core: CoreContext, scope: Scope, ref: { id: string } | { seq: number }): Promise<Task> {
  const task = await core.store.read((tx) => ('id' in ref ? tx.getTask(ref.id) : tx.getTaskBySeq(ref.seq)));
  const id = 'id' in ref ? ref.id : String(ref.seq);
  if (!task || task.accountId !== scope.accountId || task.region !== scope.region) fail('NotFound', { resource: 'task', id });
  await described(core, scope, { taskId: task.id });
  return task;
}

/**
 * A describe of these resources (or of this task), for tasks in `polls` mode: each such task counts
 * it, and one that has had its count ends. Costs nothing while no operation is in that mode.
 */
export async function described(core: CoreContext, scope: Scope, q: { resourceIds?: readonly string[]; taskId?: string }): Promise<void> {
  if (!core.timing.polling?.()) return;
  const released = await core.store.write((tx) => tx.countPolls(scope.accountId, q, core.clock.now()));
  if (released) core.notify();
}

/** A describe answered with these resources (what the caller sees, after filters and paging). */
export function describedResources(core: CoreContext, scope: Scope, ids: readonly string[]): Promise<void> {
  return ids.length ? described(core, scope, { resourceIds: ids }) : Promise.resolve();
}
