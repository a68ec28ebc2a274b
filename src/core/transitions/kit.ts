/**
 * Step 2 of the async contract, as each operation writes it beside its accept step: the final state
 * when the data plane succeeded, the roll-back to the prior state when it failed. Both run inside the
 * engine's finishing transaction; these are the pieces they share.
 */
import type { Eni, Instance, Scope, TaskKind, TaskPayloads } from '../model.ts';
import type { Repo } from '../ports/repo.ts';

export interface Transition<K extends TaskKind> {
  complete(tx: Repo, scope: Scope, payload: TaskPayloads[K], now: number): Promise<void>;
  rollback(tx: Repo, scope: Scope, payload: TaskPayloads[K], now: number, reason: string): Promise<void>;
}

export type Transitions<K extends TaskKind = TaskKind> = { [P in K]: Transition<P> };

/** Applies `change` to the ENI if it still exists (a crash can never leave a dangling reference); null deletes it. */
export async function withEni(tx: Repo, scope: Scope, id: string, change: (e: Eni) => Eni | null): Promise<void> {
  const eni = await tx.getEni(scope, id);
  if (!eni) return;
  const next = change(eni);
  if (next === null) await tx.deleteEni(id);
  else await tx.updateEni(next);
}

export const settle = (e: Eni): Eni => ({ ...e, state: 'AVAILABLE' });

/** Applies `patch` to each instance that still exists. */
export async function setInstances(tx: Repo, scope: Scope, ids: string[], patch: (id: string) => Partial<Instance>): Promise<void> {
  for (const id of ids) {
    const i = await tx.getInstance(scope, id);
    if (i) await tx.updateInstance({ ...i, ...patch(id) });
  }
}
