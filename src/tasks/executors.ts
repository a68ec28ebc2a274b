/**
 * Step 2 of the async contract, per task kind: the final state when the data plane succeeded, and
 * the roll-back to the prior state when it failed. Both run inside the engine's finishing transaction.
 */
import type { Eni, Scope, Task, TaskKind } from '../core/model.ts';
import type { Repo } from '../core/ports/repo.ts';

export interface Executor {
  complete(tx: Repo, scope: Scope, task: Task, now: number): Promise<void>;
  rollback(tx: Repo, scope: Scope, task: Task, now: number, reason: string): Promise<void>;
}

type P = Record<string, any>;

/** Applies `change` to the ENI if it still exists (a crash can never leave a dangling reference). */
async function withEni(tx: Repo, scope: Scope, id: string, change: (e: Eni) => Eni | null): Promise<void> {
  const eni = await tx.getEni(scope, id);
  if (!eni) return;
  const next = change(eni);
  if (next === null) await tx.deleteEni(id);
  else await tx.updateEni(next);
}

const settle = (e: Eni): Eni => ({ ...e, state: 'AVAILABLE' });

async function setInstances(tx: Repo, scope: Scope, ids: string[], patch: (id: string) => Partial<import('../core/model.ts').Instance>): Promise<void> {
  for (const id of ids) {
    const i = await tx.getInstance(scope, id);
    if (i) await tx.updateInstance({ ...i, ...patch(id) });
  }
}

/** A failed start, stop or terminate puts every instance back in the state it had before. */
const restorePriorState: Executor['rollback'] = async (tx, scope, task, _now, reason) => {
  const p = task.payload as P;
  await setInstances(tx, scope, p.instanceIds, (id) => ({ state: p.prior[id], latestOperationState: 'FAILED', latestOperationError: reason }));
};

/** Start and stop: every instance of the batch settles in `state`. */
function power(state: 'RUNNING' | 'STOPPED'): Executor {
  return {
    async complete(tx, scope, task) {
      await setInstances(tx, scope, (task.payload as P).instanceIds, () => ({ state, latestOperationState: 'SUCCESS' }));
    },
    rollback: restorePriorState,
  };
}

export const executors: Record<TaskKind, Executor> = {
  'eni.create': {
    async complete(tx, scope, task, now) {
      const p = task.payload as P;
      await withEni(tx, scope, p.eniId, (e) =>
        e.targetInstanceId ? { ...settle(e), instanceId: e.targetInstanceId, targetInstanceId: null, attachedAt: now } : settle(e),
      );
      const eni = await tx.getEni(scope, p.eniId);
      if (eni) await tx.setIpState(eni.subnetId, eni.ips.map((i) => i.address), 'AVAILABLE');
    },
    async rollback(tx, scope, task) {
      await withEni(tx, scope, (task.payload as P).eniId, () => null);
    },
  },
  'eni.delete': {
    async complete(tx, scope, task) {
      await withEni(tx, scope, (task.payload as P).eniId, () => null);
    },
    async rollback(tx, scope, task) {
      await withEni(tx, scope, (task.payload as P).eniId, settle);
    },
  },
  'eni.attach': {
    async complete(tx, scope, task, now) {
      const p = task.payload as P;
      await withEni(tx, scope, p.eniId, (e) => ({ ...settle(e), instanceId: p.instanceId, targetInstanceId: null, attachedAt: now }));
    },
    async rollback(tx, scope, task) {
      await withEni(tx, scope, (task.payload as P).eniId, (e) => ({ ...settle(e), targetInstanceId: null, deviceIndex: null, attachType: 0, autoDelete: false }));
    },
  },
  'eni.detach': {
    async complete(tx, scope, task) {
      await withEni(tx, scope, (task.payload as P).eniId, (e) => ({ ...settle(e), instanceId: null, deviceIndex: null, attachedAt: null, attachType: 0, autoDelete: false }));
    },
    async rollback(tx, scope, task) {
      await withEni(tx, scope, (task.payload as P).eniId, settle);
    },
  },
  'eni.migrate': {
    async complete(tx, scope, task, now) {
      const p = task.payload as P;
      await withEni(tx, scope, p.eniId, (e) => ({ ...settle(e), instanceId: p.destinationInstanceId, targetInstanceId: null, attachedAt: now }));
    },
    async rollback(tx, scope, task) {
      const p = task.payload as P;
      await withEni(tx, scope, p.eniId, (e) => ({ ...settle(e), targetInstanceId: null, ...p.prior }));
    },
  },
  'eni.assignIps': {
    async complete(tx, scope, task) {
      const p = task.payload as P;
      const eni = await tx.getEni(scope, p.eniId);
      if (eni) await tx.setIpState(eni.subnetId, p.addresses, 'AVAILABLE');
    },
    async rollback(tx, scope, task) {
      const p = task.payload as P;
      const eni = await tx.getEni(scope, p.eniId);
      if (eni) await tx.deleteIps(eni.subnetId, p.addresses);
    },
  },
  'eni.unassignIps': {
    async complete(tx, scope, task) {
      const p = task.payload as P;
      const eni = await tx.getEni(scope, p.eniId);
      if (eni) await tx.deleteIps(eni.subnetId, p.addresses);
    },
    async rollback(tx, scope, task) {
      const p = task.payload as P;
      const eni = await tx.getEni(scope, p.eniId);
      if (eni) await tx.setIpState(eni.subnetId, p.addresses, 'AVAILABLE');
    },
  },
  'ip.migrate': {
    async complete(tx, _scope, task) {
      const p = task.payload as P;
      await tx.moveIp(p.subnetId, p.address, p.destinationEniId, 'AVAILABLE');
    },
    async rollback(tx, _scope, task) {
      const p = task.payload as P;
      await tx.setIpState(p.subnetId, [p.address], 'AVAILABLE');
    },
  },
  'instance.run': {
    async complete(tx, scope, task) {
      await setInstances(tx, scope, (task.payload as P).instanceIds, () => ({ state: 'RUNNING', latestOperationState: 'SUCCESS' }));
    },
    async rollback(tx, scope, task, _now, reason) {
      const ids: string[] = (task.payload as P).instanceIds;
      await setInstances(tx, scope, ids, () => ({ state: 'LAUNCH_FAILED', latestOperationState: 'FAILED', latestOperationError: reason }));
      // A launch that failed never had a working NIC: free its primary ENI and address.
      for (const id of ids) for (const e of await tx.listEnis(scope, { instanceId: id })) if (e.primary) await tx.deleteEni(e.id);
    },
  },
  'instance.start': power('RUNNING'),
  'instance.stop': power('STOPPED'),
  'instance.terminate': {
    async complete(tx, scope, task) {
      for (const id of (task.payload as P).instanceIds as string[]) {
        for (const eniId of await tx.enisLinkedTo(id)) {
          await withEni(tx, scope, eniId, (e) =>
            e.primary || (e.autoDelete && e.instanceId === id)
              ? null
              : // Other secondary ENIs outlive the instance and come back detached (Tencent spec §5.5
                // choice; JD Cloud autoDelete=false, spec §6.5).
                { ...settle(e), instanceId: null, targetInstanceId: null, deviceIndex: null, attachedAt: null, attachType: 0, autoDelete: false },
          );
        }
        await tx.deleteInstance(id);
      }
    },
    rollback: restorePriorState,
  },
};
