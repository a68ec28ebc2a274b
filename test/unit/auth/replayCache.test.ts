import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/clock.ts';
import { ReplayCache } from '../../../src/auth/replayCache.ts';

test('a key is a replay only within the window', () => {
  const clock = new FakeClock(1_000_000);
  const cache = new ReplayCache(clock, 600_000);
  assert.equal(cache.checkAndRecord('AKID|1763683200|42|sig'), false);
  assert.equal(cache.checkAndRecord('AKID|1763683200|42|sig'), true);
  assert.equal(cache.checkAndRecord('AKID|1763683200|43|sig'), false);
  clock.advance(599_999);
  assert.equal(cache.checkAndRecord('AKID|1763683200|42|sig'), true, 'still inside the window');
  clock.advance(1);
  assert.equal(cache.checkAndRecord('AKID|1763683200|42|sig'), false, 'window over: recorded afresh');
  assert.equal(cache.checkAndRecord('AKID|1763683200|42|sig'), true);
});

test('a replay does not extend the first sighting', () => {
  const clock = new FakeClock(0);
  const cache = new ReplayCache(clock, 1000);
  cache.checkAndRecord('k');
  clock.advance(900);
  assert.equal(cache.checkAndRecord('k'), true);
  clock.advance(100);
  assert.equal(cache.checkAndRecord('k'), false);
});

test('expired entries are pruned lazily', () => {
  const clock = new FakeClock(0);
  const cache = new ReplayCache(clock, 1000);
  for (let i = 0; i < 50; i++) cache.checkAndRecord(`old-${i}`);
  clock.advance(500);
  for (let i = 0; i < 10; i++) cache.checkAndRecord(`new-${i}`);
  assert.equal(cache.size(), 60);
  clock.advance(500);
  cache.checkAndRecord('trigger');
  assert.equal(cache.size(), 11, 'the 50 old keys are gone, the 10 newer ones and the trigger stay');
  assert.equal(cache.checkAndRecord('new-3'), true);
});

test('maxEntries bounds memory by evicting the oldest', () => {
  const clock = new FakeClock(0);
  const cache = new ReplayCache(clock, 60_000, 3);
  for (const k of ['a', 'b', 'c', 'd']) {
    cache.checkAndRecord(k);
    clock.advance(1);
  }
  assert.equal(cache.size(), 3);
  assert.equal(cache.checkAndRecord('b'), true);
  assert.equal(cache.checkAndRecord('d'), true);
  // 'a' was evicted, so it is (knowingly) accepted again; that evicts 'b'.
  assert.equal(cache.checkAndRecord('a'), false);
  assert.equal(cache.size(), 3);
  assert.equal(cache.checkAndRecord('b'), false);
});
