/**
 * The durable task engine. Tasks are rows: claimed with a lease, executed through the data-plane
 * driver, finished in one more transaction. A lease that outlives its node (a crash, kill -9) simply
 * expires and any node claims the task again, so every accepted operation reaches a terminal state.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { FaultBook } from '../core/faults.ts';
import { isDomainError } from '../core/errors.ts';
import { isProvider } from '../core/catalog.ts';
import type { Scope, Task } from '../core/model.ts';
import type { Driver } from '../dataplane/driver.ts';
import type { Store } from '../core/ports/repo.ts';
import { transitionOf } from '../core/transitions/index.ts';

export interface EngineOptions {
  store: Store;
  clock: Clock;
  driver: Driver;
  /** How long a claim is exclusive; a node that dies loses its tasks to others after this. */
  leaseMs?: number;
  pollMs?: number;
  batch?: number;
  log?: (level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) => void;
  /** Task-stage faults: a hit fails the task with the fault's code (the effect is not applied) and rolls it back. */
  faults?: FaultBook;
  /** Told of each task this node finishes (for metrics). */
  onFinished?: (task: Task, result: 'SUCCESS' | 'FAILED') => void;
}

export class TaskEngine {
  readonly owner = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private pass: Promise<void> = Promise.resolve();
  private stopped = true;
  private failures = 0;
  private readonly inflight = new Set<Promise<void>>();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly batch: number;

  constructor(private readonly o: EngineOptions) {
    this.leaseMs = o.leaseMs ?? 15_000;
    this.pollMs = o.pollMs ?? 25;
    this.batch = o.batch ?? 32;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops claiming, waits for the tasks in hand to finish, and frees any lease still held. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // A pass may be claiming right now: let it finish, so its claims are among the tasks we wait for.
    await this.pass;
    await Promise.allSettled([...this.inflight]);
    await this.o.store.write((tx) => tx.releaseLeasesOf(this.owner)).catch(() => {});
  }

  /** New work was committed: look now rather than at the next poll. */
  wake(): void {
    if (!this.stopped && !this.ticking) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.pass = this.tick();
    }, ms);
    this.timer.unref?.();
  }

  /** One background pass: claim what is due and start it; tasks run on while the next pass looks. */
  private async tick(): Promise<void> {
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    try {
      const claimed = await this.claim(this.batch - this.inflight.size);
      for (const t of claimed) this.track(this.execute(t));
      this.failures = 0;
    } catch (e) {
      // The database is away: back off instead of hammering it, and try again by ourselves.
      this.failures++;
      if (this.failures === 1 || this.failures % 100 === 0) {
        this.o.log?.('warn', 'task engine cannot reach the store; retrying', { error: String(e), failures: this.failures });
      }
    } finally {
      this.ticking = false;
      if (!this.stopped) this.schedule(this.failures ? Math.min(this.pollMs * 2 ** this.failures, 2_000) : this.pollMs);
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((e: unknown) => {
      // The lease stays with us until it expires; then this or another node claims the task again.
      this.o.log?.('warn', 'task could not be finished; its lease will expire and it will be retried', { error: String(e) });
    });
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  /** One pass that also waits for the claimed tasks to finish (tests drive time with this). */
  async runOnce(): Promise<number> {
    const claimed = await this.claim(this.batch);
    await Promise.all(claimed.map((t) => this.execute(t)));
    return claimed.length;
  }

  private async claim(room: number): Promise<Task[]> {
    if (room <= 0) return [];
    const now = this.o.clock.now();
    // One statement needs no snapshot: peek, not a read transaction (three round trips on PostgreSQL).
    const next = await this.o.store.peek((tx) => tx.nextDueAt());
    if (next === undefined || next > now) return [];
    return this.o.store.write((tx) => tx.claimDueTasks(now, this.owner, this.leaseMs, room));
  }

  private async execute(task: Task): Promise<void> {
    // Outside the effect's try: a store that is away here leaves the task for a later claim.
    // A held task the control plane failed carries its code already; otherwise a task fault may hit.
    const preset = task.errorCode !== null ? { code: task.errorCode, message: task.errorMessage ?? task.errorCode } : undefined;
    const fault = preset ? undefined : await this.o.faults?.match({ stage: 'task', provider: task.provider, dialect: task.dialect, name: task.kind, accountId: task.accountId });
    let failure: { code: string; message: string } | undefined = preset ?? (fault && { code: fault.error.code, message: fault.error.message });
    // A data plane may take longer than a lease: keep renewing it while the effect is applied.
    const renew = setInterval(() => {
      void this.o.store.write((tx) => tx.renewLease(task.id, this.owner, this.o.clock.now() + this.leaseMs)).catch(() => {});
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    renew.unref?.();
    try {
      if (!failure) await this.o.driver.apply({ taskId: task.id, kind: task.kind, resourceIds: task.resourceIds, payload: task.payload });
    } catch (e) {
      if (!isDomainError(e)) throw e;
      failure = { code: e.kind, message: (e.data as { detail?: string }).detail ?? e.message };
    } finally {
      clearInterval(renew);
    }
    // The effect is in place; if the store is briefly away, keep trying to record it while our
    // lease lasts rather than leaving the task to wait out the lease and be redone.
    // Counted in the delays waited, not read from a clock: a fake clock in a test stands still.
    let waited = 0;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        await this.finish(task, failure);
        return;
      } catch (e) {
        if (!(isDomainError(e) && e.kind === 'Unavailable') || waited + delay > this.leaseMs || this.stopped) throw e;
        await new Promise((r) => setTimeout(r, delay).unref?.());
        waited += delay;
      }
    }
  }
  private async finish(task: Task, failure: { code: string; message: string } | undefined): Promise<void> {
    const transition = transitionOf(task);
    const payload = task.payload as never;
    await this.o.store.write(async (tx) => {
      const current = await tx.getTaskLocked(task.id);
      // Someone else reclaimed it after our lease ran out, or it already ended: theirs to finish.
      if (!current || current.status !== 'RUNNING' || current.leaseOwner !== this.owner) return;
      // The provider is recorded with the task; only tasks from before it was are looked up.
      const provider = isProvider(task.provider) ? task.provider : ((await tx.getAccount(task.accountId))?.provider ?? 'tencent');
      const scope: Scope = { accountId: task.accountId, region: task.region, provider };
      // Ids name instances or ENIs; locking each id in both tables keeps the fixed order and
      // matches only the rows that exist, whatever a provider's id prefixes look like.
      await tx.lock({ instances: task.resourceIds, enis: task.resourceIds });
      const now = this.o.clock.now();
      if (failure) {
        await transition.rollback(tx, scope, payload, now, failure.message);
        await tx.finishTask(task.id, 'FAILED', now, failure);
      } else {
        await transition.complete(tx, scope, payload, now);
        await tx.finishTask(task.id, 'SUCCESS', now);
      }
    });
    const result = failure ? 'FAILED' : 'SUCCESS';
    this.o.onFinished?.(task, result);
    this.o.driver.finished?.({ taskId: task.id, kind: task.kind, resourceIds: task.resourceIds, payload: task.payload }, result);
    if (failure) this.o.log?.('info', 'task failed and was rolled back', { taskId: task.id, kind: task.kind, ...failure });
  }
}
