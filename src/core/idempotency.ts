/**
 * Invariant 7: a repeated request with the same ClientToken does the work once. The record is
 * written in the same transaction as the work, so a request that failed leaves no token behind.
 */
import { createHash } from 'node:crypto';
import { fail } from './errors.ts';
import type { Repo } from './ports/repo.ts';
import type { Scope } from './model.ts';

export function paramsHash(params: unknown): string {
  return createHash('sha256').update(stableJson(params)).digest('hex');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export interface Idempotent<T> {
  result: T;
  /** True when this answer is the stored one from an earlier request with the same token. */
  replayed: boolean;
}

/**
 * Runs `work` once per (account, action, token). Same token with other parameters is a mismatch;
 * same token while the first request's task is still running is "in progress"; otherwise the
 * first result is returned again. Semantics follow the AWS-style model the vendor's codes imply
 * (spec §8.6, unconfirmed in Tencent's docs).
 */
export async function once<T extends { taskId?: string }>(
  tx: Repo,
  scope: Scope,
  action: string,
  token: string | undefined,
  params: unknown,
  now: number,
  work: () => Promise<T>,
): Promise<Idempotent<T>> {
  if (!token) return { result: await work(), replayed: false };
  const hash = paramsHash(params);
  const prior = await tx.getIdempotency(scope.accountId, action, token);
  if (prior) {
    if (prior.paramsHash !== hash) fail('IdempotencyMismatch', { token });
    if (prior.taskId) {
      const task = await tx.getTask(prior.taskId);
      if (task?.status === 'RUNNING') fail('IdempotencyInProgress', { token });
    }
    return { result: prior.result as T, replayed: true };
  }
  const result = await work();
  await tx.putIdempotency({
    accountId: scope.accountId,
    action,
    token,
    paramsHash: hash,
    result,
    taskId: result.taskId ?? null,
    createdAt: now,
  });
  return { result, replayed: false };
}
