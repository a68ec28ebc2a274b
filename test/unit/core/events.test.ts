// Unit: EventFeed.follow over a store whose sequence numbers commit out of order (as PostgreSQL's
// do). A number skipped over, or missing just below the start, is delivered when it appears; one
// that never appears is given up after its polls; the cursor never passes an undelivered event and
// never goes back; pages read back to back do not use up the wait.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventFeed } from '../../../src/core/events.ts';
import type { ChangeEvent } from '../../../src/core/model.ts';
import type { Repo, Store } from '../../../src/core/ports/repo.ts';

function memoryStore(): { store: Store; commit(...seqs: number[]): void } {
  const rows: ChangeEvent[] = [];
  const ev = (seq: number): ChangeEvent => ({ seq, at: 0, accountId: 'acc', region: 'r', kind: 'eni', id: `eni-${seq}`, change: 'changed', before: null, after: null });
  const tx = {
    listEvents: async (after: number, limit: number) => rows.filter((e) => e.seq > after).sort((a, b) => a.seq - b.seq).slice(0, limit),
    eventsIn: async (seqs: readonly number[]) => rows.filter((e) => seqs.includes(e.seq)),
    lastEventSeq: async () => Math.max(0, ...rows.map((e) => e.seq)),
  } as unknown as Repo;
  const store = { kind: 'postgres', peek: (fn: (t: Repo) => Promise<unknown>) => fn(tx), read: (fn: (t: Repo) => Promise<unknown>) => fn(tx) } as unknown as Store;
  return { store, commit: (...seqs) => rows.push(...seqs.map(ev)) };
}

type Item = { event: ChangeEvent; cursor: number } | { idle: true; cursor: number };

/** Takes items until `n` idle polls have passed, returning the events and the cursors seen. */
async function take(it: AsyncGenerator<Item>, idlePolls: number): Promise<{ seqs: number[]; cursors: number[]; last: number }> {
  const seqs: number[] = [];
  const cursors: number[] = [];
  let idle = 0;
  while (idle < idlePolls) {
    const { value, done } = await it.next();
    if (done) break;
    cursors.push(value.cursor);
    if ('idle' in value) idle++;
    else seqs.push(value.event.seq);
  }
  return { seqs, cursors, last: cursors.at(-1)! };
}

const monotonic = (xs: number[]) => xs.every((x, i) => i === 0 || x >= xs[i - 1]!);

test('a skipped number is waited for and delivered late; the cursor stays below it until then', async () => {
  const { store, commit } = memoryStore();
  const feed = new EventFeed({ store, pollMs: 1, gapMs: 1_000 });
  const stop = new AbortController();
  const it = feed.follow(0, {}, stop.signal);
  commit(1, 2, 4);
  const a = await take(it, 1);
  assert.deepEqual(a.seqs, [1, 2, 4]);
  assert.equal(a.last, 2, 'not past 3, which may still commit');
  commit(3);
  const b = await take(it, 1);
  assert.deepEqual(b.seqs, [3]);
  assert.equal(b.last, 4);
  assert.ok(monotonic([...a.cursors, ...b.cursors]));
  stop.abort();
});

test('numbers missing just below the start are waited for; those present are not delivered again', async () => {
  const { store, commit } = memoryStore();
  commit(2, 4);
  const feed = new EventFeed({ store, pollMs: 1, gapMs: 1_000 });
  const stop = new AbortController();
  const it = feed.follow(4, {}, stop.signal);
  const a = await take(it, 2);
  assert.deepEqual(a.seqs, []);
  assert.equal(a.last, 0, 'below 1 and 3, still awaited');
  commit(1, 3, 5);
  const b = await take(it, 1);
  assert.deepEqual(b.seqs.sort(), [1, 3, 5]);
  assert.equal(b.last, 5);
  stop.abort();
});

test('a number that never commits is given up after its polls; back-to-back pages do not use them up', async () => {
  const { store, commit } = memoryStore();
  // 1,200 events with 7 missing: three full pages of 500 are read with no pause in between.
  commit(...Array.from({ length: 1_200 }, (_, i) => i + 1).filter((s) => s !== 7));
  const feed = new EventFeed({ store, pollMs: 1, gapMs: 5 });
  const stop = new AbortController();
  const it = feed.follow(0, {}, stop.signal);
  const first = await take(it, 1);
  assert.equal(first.seqs.length, 1_199);
  assert.equal(first.last, 6, 'the full pages left 7 awaited');
  // Five polls with a pause later, it is given up and the cursor moves on.
  const later = await take(it, 6);
  assert.equal(later.last, 1_200);
  assert.ok(monotonic([...first.cursors, ...later.cursors]));
  stop.abort();
});

test('a replay from far back does not wait for the pruned numbers before the oldest kept', async () => {
  const { store, commit } = memoryStore();
  commit(...Array.from({ length: 10 }, (_, i) => 100_001 + i));
  const feed = new EventFeed({ store, pollMs: 1, gapMs: 10_000 });
  const stop = new AbortController();
  const a = await take(feed.follow(0, {}, stop.signal), 1);
  assert.equal(a.seqs.length, 10);
  assert.equal(a.last, 100_010);
  stop.abort();
});
