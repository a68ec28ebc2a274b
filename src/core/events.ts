/**
 * The events stream: the store captures every change in the transaction that makes it (on any node
 * of a cell), and a follower reads them back in sequence order. A follower polls only while someone
 * listens. On PostgreSQL, sequence numbers are taken before commit, so a later number may commit
 * first: a number skipped over is waited for (up to `gapMs`) and delivered when it appears, and a
 * number that never appears (a rolled-back write) is given up. So nothing committed is missed, and
 * the cursor a follower reports never passes an event it has not delivered.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from './clock.ts';
import type { ChangeEvent, EventKind } from './model.ts';
import type { Store } from './ports/repo.ts';

export const EVENT_KINDS: readonly EventKind[] = ['vpc', 'subnet', 'securityGroup', 'instance', 'eni', 'privateIp', 'eip', 'task', 'call', 'world'];

export interface EventFilter {
  accountId?: string;
  kinds?: ReadonlySet<EventKind>;
}

export interface FeedOptions {
  store: Store;
  clock: Clock;
  /** How often a follower looks for new events. */
  pollMs?: number;
  /** How long a skipped sequence number is waited for. */
  gapMs?: number;
  /** How many events the store keeps (the oldest are pruned every `pruneMs`). */
  keep?: number;
  pruneMs?: number;
}

const PAGE = 500;

export class EventFeed {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: FeedOptions) {}

  /** Prunes now and then every `pruneMs`, until stop(). */
  start(): void {
    const prune = () => void this.o.store.write((tx) => tx.pruneEvents(this.o.keep ?? 50_000)).catch(() => {});
    prune();
    this.timer = setInterval(prune, this.o.pruneMs ?? 60_000);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  latest(): Promise<number> {
    return this.o.store.peek((tx) => tx.lastEventSeq());
  }

  /**
   * The events after `from` that pass the filter, as they come, until `signal` aborts. Each comes
   * with the cursor to resume from: every event at or below it has been delivered (or given up).
   */
  async *follow(from: number, filter: EventFilter, signal: AbortSignal): AsyncGenerator<{ event: ChangeEvent; cursor: number } | { idle: true; cursor: number }> {
    let cursor = from;
    /** The cursor last reported: never moves back. */
    let sent = from;
    /** Delivered numbers above the cursor. */
    const seen = new Set<number>();
    /** Skipped numbers above the cursor, and when they were first missed. */
    const gaps = new Map<number, number>();
    const gapMs = this.o.gapMs ?? 5_000;
    while (!signal.aborted) {
      const rows = await this.o.store.peek((tx) => tx.listEvents(cursor, PAGE));
      const now = this.o.clock.now();
      let expect = cursor + 1;
      const fresh: ChangeEvent[] = [];
      for (const e of rows) {
        for (let s = expect; s < e.seq; s++) if (!seen.has(s) && !gaps.has(s)) gaps.set(s, now);
        expect = e.seq + 1;
        if (seen.has(e.seq)) continue;
        seen.add(e.seq);
        gaps.delete(e.seq);
        fresh.push(e);
      }
      for (const [s, since] of gaps) if (now - since >= gapMs) gaps.delete(s);
      // The cursor moves over everything delivered or given up, and stops at the first open gap.
      while (cursor + 1 < expect && !gaps.has(cursor + 1)) seen.delete(++cursor);
      // A client that got this event and resumes from its cursor must not miss the rest of the page.
      for (const event of fresh) {
        sent = Math.max(sent, Math.min(cursor, event.seq));
        if (passes(event, filter)) yield { event, cursor: sent };
      }
      if (rows.length === PAGE) continue;
      sent = cursor;
      yield { idle: true, cursor };
      try {
        await sleep(this.o.pollMs ?? 100, undefined, { signal, ref: false });
      } catch {
        return;
      }
    }
  }
}

function passes(e: ChangeEvent, f: EventFilter): boolean {
  if (f.accountId !== undefined && e.accountId !== f.accountId && !(e.kind === 'world' && e.accountId === null)) return false;
  return !f.kinds || f.kinds.has(e.kind);
}
