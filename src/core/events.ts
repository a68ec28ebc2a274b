/**
 * The events stream: the store captures every change in the transaction that makes it (on any node
 * of a cell), and a follower reads them back in sequence order. A follower polls only while someone
 * listens. On PostgreSQL, sequence numbers are taken before commit, so a later number may commit
 * first: a number skipped over (or missing just before the start) is looked for again on each poll
 * for about `gapMs` and delivered, late, when it appears; one that never appears (a rolled-back
 * write) is given up. So nothing committed is missed, and the cursor a follower reports never
 * passes an event it has not delivered.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChangeEvent, EventKind } from './model.ts';
import type { Store } from './ports/repo.ts';

export const EVENT_KINDS: readonly EventKind[] = ['vpc', 'subnet', 'securityGroup', 'instance', 'eni', 'privateIp', 'eip', 'task', 'call', 'world'];

export interface EventFilter {
  accountId?: string;
  kinds?: ReadonlySet<EventKind>;
}

export interface FeedOptions {
  store: Store;
  /** How often a follower looks for new events. */
  pollMs?: number;
  /** About how long a skipped sequence number is waited for (counted in polls). */
  gapMs?: number;
  /** How many events the store keeps (the oldest are pruned every `pruneMs`). */
  keep?: number;
  pruneMs?: number;
}

const PAGE = 500;
/** Numbers before the start that are waited for, and the widest jump taken for writers in flight. */
const LOOKBACK = 500;
const MAX_GAP = 1_000;
const MAX_GAPS = 5_000;

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
    const pollMs = this.o.pollMs ?? 100;
    // How long a missing number is waited for, in polls that slept first (not read from a clock):
    // pages read back to back while catching up do not use it up.
    const patience = Math.max(1, Math.ceil((this.o.gapMs ?? 5_000) / pollMs));
    /** Missing numbers below `high`, and the polls each is still waited for. */
    const gaps = new Map<number, number>();
    const addGap = (s: number) => {
      if (gaps.size < MAX_GAPS) gaps.set(s, patience);
    };
    let high = from;
    // Numbers just below `from` that are not there may still commit (a PostgreSQL writer takes its
    // number before it commits; pruning never reaches this close to the newest): they are waited for
    // like any gap.
    if (from > 0) {
      const window = await this.o.store.peek((tx) => tx.listEvents(Math.max(0, from - LOOKBACK), LOOKBACK));
      const present = new Set(window.map((e) => e.seq));
      for (let s = Math.max(1, from - LOOKBACK + 1); s <= from; s++) if (!present.has(s)) addGap(s);
    }
    const cursorNow = () => {
      let c = high;
      for (const s of gaps.keys()) if (s - 1 < c) c = s - 1;
      return c;
    };
    /** The cursor last reported: never moves back, never passes a number still waited for. */
    let sent = cursorNow();
    let slept = false;
    while (!signal.aborted) {
      const waited = new Set(slept ? gaps.keys() : []);
      const fresh = await this.o.store.peek((tx) => tx.listEvents(high, PAGE));
      const late = gaps.size ? await this.o.store.peek((tx) => tx.eventsIn([...gaps.keys()])) : [];
      const out: ChangeEvent[] = [];
      for (const e of late) {
        if (gaps.delete(e.seq)) out.push(e);
      }
      for (const e of fresh) {
        // A jump beyond MAX_GAP is numbers pruned or never used (a replay from far back), not writers in flight.
        if (e.seq - high - 1 <= MAX_GAP) for (let s = high + 1; s < e.seq; s++) addGap(s);
        high = e.seq;
        out.push(e);
      }
      // Only the numbers already looked for after a pause count down; new ones get their full wait.
      for (const s of waited) {
        const left = gaps.get(s);
        if (left === undefined) continue;
        if (left <= 1) gaps.delete(s);
        else gaps.set(s, left - 1);
      }
      // A client that got an event and resumes from its cursor must not miss the rest of the page.
      const cursor = cursorNow();
      for (const event of out) {
        sent = Math.max(sent, Math.min(cursor, event.seq));
        if (passes(event, filter)) yield { event, cursor: sent };
      }
      sent = Math.max(sent, cursor);
      slept = false;
      if (fresh.length === PAGE) continue;
      yield { idle: true, cursor: sent };
      try {
        await sleep(pollMs, undefined, { signal });
      } catch {
        return;
      }
      slept = true;
    }
  }
}

function passes(e: ChangeEvent, f: EventFilter): boolean {
  if (f.accountId !== undefined && e.accountId !== f.accountId && !(e.kind === 'world' && e.accountId === null)) return false;
  return !f.kinds || f.kinds.has(e.kind);
}
