/**
 * Which injected fault, if any, hits a request or a task. The faults of the store are read at most
 * every `refreshMs` (and at once after a change on this node), so a call with no faults configured
 * costs no query; a hit is counted in the store, so a fault's count holds across a cell.
 */
import type { Clock } from './clock.ts';
import type { Fault } from './model.ts';
import type { Store } from './ports/repo.ts';

export interface FaultQuery {
  stage: 'request' | 'task';
  provider?: string;
  dialect?: string;
  /** The action (request stage) or the task kind (task stage). */
  name: string;
  accountId?: string;
}

export class FaultBook {
  private faults: Fault[] = [];
  private readAt = Number.NEGATIVE_INFINITY;
  /** The read in flight: requests arriving meanwhile wait for it instead of each reading again. */
  private reading: Promise<void> | undefined;
  /** Bumped by changed(): a read begun before a change must not stand for the store after it. */
  private generation = 0;

  constructor(
    private readonly o: { store: Store; clock: Clock; random: () => number; refreshMs?: number; onHit?: (f: Fault) => void },
  ) {}

  /** Forget the cached faults: the next match reads the store. */
  changed(): void {
    this.readAt = Number.NEGATIVE_INFINITY;
    this.reading = undefined;
    this.generation++;
  }

  async match(q: FaultQuery): Promise<Fault | undefined> {
    const now = this.o.clock.now();
    if (now - this.readAt >= (this.o.refreshMs ?? 500)) {
      const generation = this.generation;
      const reading = (this.reading ??= this.o.store
        .peek((tx) => tx.listFaults())
        .then((faults) => {
          if (generation !== this.generation) return;
          this.faults = faults;
          this.readAt = now;
        })
        .finally(() => {
          if (this.reading === reading) this.reading = undefined;
        }));
      await reading;
    }
    for (const f of this.faults) {
      if (f.stage !== q.stage) continue;
      if (f.provider !== null && f.provider !== q.provider) continue;
      if (f.dialect !== null && f.dialect !== q.dialect) continue;
      const name = q.stage === 'request' ? f.action : f.operation;
      if (name !== null && name !== q.name) continue;
      if (f.accountId !== null && f.accountId !== q.accountId) continue;
      if (this.o.random() >= f.probability) continue;
      if (await this.o.store.write((tx) => tx.takeFaultHit(f.id))) {
        this.o.onHit?.(f);
        return f;
      }
    }
    return undefined;
  }
}
