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
  return task;
}
