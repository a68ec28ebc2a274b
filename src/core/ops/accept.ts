/**
 * Step 1 of the async contract: inside the API transaction, record the task that the engine will
 * finish. The task id is the request id the vendor answers with, so clients can poll it.
 */
import type { CoreContext, RequestMeta } from '../context.ts';
import type { Scope, Task, TaskKind, TaskPayloads } from '../model.ts';
import type { Repo } from '../ports/repo.ts';

export async function accept<K extends TaskKind>(
  core: CoreContext,
  tx: Repo,
  scope: Scope,
  meta: RequestMeta,
  kind: K,
  payload: TaskPayloads[K],
  resourceIds: string[],
): Promise<Task> {
  const now = core.clock.now();
  return tx.insertTask({
    id: meta.requestId,
    accountId: scope.accountId,
    region: scope.region,
    kind,
    status: 'RUNNING',
    payload: payload as unknown as Record<string, unknown>,
    resourceIds,
    errorCode: null,
    errorMessage: null,
    dueAt: core.timing.dueAt(kind, now),
    leaseOwner: null,
    leaseExpiresAt: null,
    attempts: 0,
    createdAt: now,
    finishedAt: null,
    provider: scope.provider,
    dialect: meta.dialect ?? '',
    pollsLeft: core.timing.polls?.(kind) ?? null,
  });
}
