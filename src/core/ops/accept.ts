/**
 * Step 1 of the async contract: inside the API transaction, record the task that the engine will
 * finish. The task id is the request id the vendor answers with, so clients can poll it.
 */
import type { CoreContext, RequestMeta } from '../context.ts';
import type { Scope, Task, TaskKind } from '../model.ts';
import type { Repo } from '../ports/repo.ts';

export async function accept(
  core: CoreContext,
  tx: Repo,
  scope: Scope,
  meta: RequestMeta,
  kind: TaskKind,
  payload: Record<string, unknown>,
  resourceIds: string[],
): Promise<Task> {
  const now = core.clock.now();
  return tx.insertTask({
    id: meta.requestId,
    accountId: scope.accountId,
    region: scope.region,
    kind,
    status: 'RUNNING',
    payload,
    resourceIds,
    errorCode: null,
    errorMessage: null,
    dueAt: core.timing.dueAt(kind, now),
    leaseOwner: null,
    leaseExpiresAt: null,
    attempts: 0,
    createdAt: now,
    finishedAt: null,
  });
}
