/**
 * Group commit: work items that arrive together are written in one transaction instead of one
 * transaction each. Every caller still waits until its own item is committed, so nothing is
 * answered before it is durable; under load one commit carries dozens of items.
 *
 * If a batch's transaction fails, each of its items is retried in a transaction of its own, so an
 * item the store refuses never costs the others theirs, and each caller gets its own outcome.
 */
import type { Repo, Store } from '../core/ports/repo.ts';

interface Pending<T> {
  item: T;
  done(error?: unknown): void;
}

export class GroupCommit<T> {
  private queue: Array<Pending<T>> = [];
  private flushing = false;

  constructor(
    private readonly store: Store,
    private readonly apply: (tx: Repo, item: T) => Promise<void>,
    private readonly maxBatch = 256,
  ) {}

  /** Resolves once the item is committed; rejects with the store's error if it could not be. */
  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, done: (e) => (e === undefined ? resolve() : reject(e)) });
      if (!this.flushing) {
        this.flushing = true;
        // Items submitted in this turn of the event loop join the first batch.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.store.write(async (tx) => {
            for (const p of batch) await this.apply(tx, p.item);
          });
          for (const p of batch) p.done();
        } catch {
          for (const p of batch) {
            await this.store.write((tx) => this.apply(tx, p.item)).then(
              () => p.done(),
              (e: unknown) => p.done(e ?? new Error('write failed')),
            );
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
