/**
 * The control plane's operations on the whole world: reset, export, import and snapshots. They act
 * below the cloud APIs (no scope, no tenancy) and are reached only through the admin API and CLI.
 */
import type { CoreContext } from '../context.ts';
import { fail } from '../errors.ts';
import type { AuditEntry, ChangeEvent, Task, TaskKind } from '../model.ts';
import { WorldMismatch, type AuditQuery, type TransitionSetting, type WorldDocument, type WorldView } from '../ports/repo.ts';

type Ctx = Pick<CoreContext, 'store' | 'clock' | 'notify'>;

/** Snapshot names: 1–64 of letters, digits, `.`, `_` and `-` (they appear in URLs and file names). */
const SNAPSHOT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

function requireSnapshotName(name: string): void {
  if (!SNAPSHOT_NAME.test(name)) fail('InvalidValue', { field: 'snapshot.name', reason: 'malformed', value: name });
}

/** Every resource and task of one account, or of all; accounts and their keys stay. */
export async function resetWorld(core: Ctx, accountId?: string): Promise<{ removed: number }> {
  return core.store.write(async (tx) => {
    if (accountId !== undefined && !(await tx.getAccount(accountId))) fail('NotFound', { resource: 'account', id: accountId });
    return tx.resetWorld(accountId);
  });
}

/** One consistent reading of the whole world, while requests go on. */
export function exportWorld(core: Ctx): Promise<WorldDocument> {
  return core.store.read((tx) => tx.exportWorld());
}

/** Replaces the whole world; a document that does not fit changes nothing. Its tasks then run. */
export async function importWorld(core: Ctx, doc: WorldDocument): Promise<void> {
  await core.store.write(async (tx) => {
    try {
      await tx.importWorld(doc);
    } catch (e) {
      if (e instanceof WorldMismatch) fail('InvalidValue', { field: 'world', reason: 'malformed', value: e.message });
      throw e;
    }
  });
  core.notify();
}

export async function saveSnapshot(core: Ctx, name: string): Promise<{ name: string; createdAt: number }> {
  requireSnapshotName(name);
  const doc = await exportWorld(core);
  const createdAt = core.clock.now();
  await core.store.write((tx) => tx.putSnapshot(name, createdAt, doc));
  return { name, createdAt };
}

export function listSnapshots(core: Ctx): Promise<Array<{ name: string; createdAt: number }>> {
  return core.store.read((tx) => tx.listSnapshots());
}

/** The world as it was saved, tasks in flight then included (they complete again from there). */
export async function restoreSnapshot(core: Ctx, name: string): Promise<void> {
  requireSnapshotName(name);
  const snap = (await core.store.read((tx) => tx.getSnapshot(name))) ?? fail('NotFound', { resource: 'snapshot', id: name });
  await importWorld(core, snap.document);
}

export async function deleteSnapshot(core: Ctx, name: string): Promise<void> {
  requireSnapshotName(name);
  if (!(await core.store.write((tx) => tx.deleteSnapshot(name)))) fail('NotFound', { resource: 'snapshot', id: name });
}

const KINDS: readonly TaskKind[] = [
  'eni.create', 'eni.delete', 'eni.attach', 'eni.detach', 'eni.migrate', 'eni.assignIps', 'eni.unassignIps', 'ip.migrate',
  'instance.run', 'instance.start', 'instance.stop', 'instance.terminate',
];

/** Most describes a `polls` task may wait for. */
export const MAX_POLLS = 1000;

/**
 * `manual`: the operation's new tasks are held until completed or failed here; `polls`: they end
 * after `polls` describes of their resources (moto's state manager); `auto`: as usual.
 */
export async function setTransitionMode(core: Ctx, setting: TransitionSetting): Promise<void> {
  const { operation, mode, polls } = setting;
  if (!KINDS.includes(operation as TaskKind)) fail('InvalidValue', { field: 'transition', reason: 'malformed', value: `operation ${operation} (one of ${KINDS.join(', ')})` });
  if (mode === 'polls' && !(Number.isInteger(polls) && polls! >= 1 && polls! <= MAX_POLLS)) fail('InvalidValue', { field: 'transition', reason: 'malformed', value: `polls ${String(polls)} (a whole number from 1 to ${MAX_POLLS}, with mode polls)` });
  if (mode !== 'polls' && polls !== undefined) fail('InvalidValue', { field: 'transition', reason: 'malformed', value: `polls ${polls} (only with mode polls)` });
  await core.store.write((tx) => tx.setTransitionMode(setting, core.clock.now()));
}

export function listTransitionModes(core: Ctx): Promise<TransitionSetting[]> {
  return core.store.read((tx) => tx.listTransitionModes());
}

export function listTasks(core: Ctx, status?: Task['status'], q: { limit?: number; resourceId?: string } = {}): Promise<Task[]> {
  return core.store.read((tx) => tx.listTasks(status, q));
}

/** The whole world at one moment, and the number of the last event it includes. */
export function viewWorld(core: Ctx): Promise<WorldView> {
  return core.store.read((tx) => tx.viewWorld());
}

/** The audit trail, newest first. */
export function listCalls(core: Ctx, q: Omit<AuditQuery, 'newest'>): Promise<AuditEntry[]> {
  return core.store.read((tx) => tx.listAudit({ ...q, newest: true }));
}

/** What happened to one resource: the calls that named it, its tasks, its recorded changes. */
export function historyOf(core: Ctx, id: string): Promise<{ calls: AuditEntry[]; tasks: Task[]; events: ChangeEvent[] }> {
  return core.store.read(async (tx) => ({
    calls: await tx.listAudit({ resourceId: id, newest: true, limit: 100 }),
    tasks: await tx.listTasks(undefined, { resourceId: id, limit: 100 }),
    events: await tx.eventsOf(id, 200),
  }));
}

/** Lets a running (held) task end now: completed, or failed with `failure.code` and rolled back. */
export async function releaseTask(core: Ctx, id: string, failure?: { code: string; message: string }): Promise<void> {
  if (failure && !/^[A-Za-z0-9._:-]{1,100}$/.test(failure.code)) fail('InvalidValue', { field: 'transition', reason: 'malformed', value: `code ${failure.code}` });
  if (!(await core.store.write((tx) => tx.releaseTask(id, core.clock.now(), failure)))) fail('NotFound', { resource: 'task', id });
  core.notify();
}
