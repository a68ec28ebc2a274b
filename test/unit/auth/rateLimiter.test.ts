import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/clock.ts';
import { FixedWindowRateLimiter } from '../../../src/auth/rateLimiter.ts';

const takeN = (l: FixedWindowRateLimiter, key: string, limit: number, n: number) =>
  Array.from({ length: n }, () => l.take(key, limit)).filter(Boolean).length;

test('allows the limit per second, then refuses until the next second', () => {
  const clock = new FakeClock(10_000);
  const limiter = new FixedWindowRateLimiter(clock);
  assert.equal(takeN(limiter, 'AKID:AttachNetworkInterface', 3, 5), 3);
  clock.advance(999);
  assert.equal(limiter.take('AKID:AttachNetworkInterface', 3), false, 'same window');
  clock.advance(1);
  assert.equal(takeN(limiter, 'AKID:AttachNetworkInterface', 3, 5), 3, 'new window');
});

test('windows are aligned to the clock, not to the first request', () => {
  const clock = new FakeClock(10_900);
  const limiter = new FixedWindowRateLimiter(clock);
  assert.equal(takeN(limiter, 'k', 2, 2), 2);
  clock.advance(100); // 11_000: a new aligned window although only 100 ms passed
  assert.equal(limiter.take('k', 2), true);
});

test('keys are counted separately', () => {
  const clock = new FakeClock(0);
  const limiter = new FixedWindowRateLimiter(clock);
  assert.equal(takeN(limiter, 'a', 1, 3), 1);
  assert.equal(takeN(limiter, 'b', 1, 3), 1);
});

test('a limit of 0 refuses everything; refusals do not consume budget', () => {
  const clock = new FakeClock(0);
  const limiter = new FixedWindowRateLimiter(clock);
  assert.equal(limiter.take('z', 0), false);
  assert.equal(takeN(limiter, 'k', 2, 10), 2);
  assert.equal(limiter.take('k', 5), true, 'a larger limit for the same key has room left');
});

test('a custom window length', () => {
  const clock = new FakeClock(0);
  const limiter = new FixedWindowRateLimiter(clock, 100);
  assert.equal(takeN(limiter, 'k', 1, 2), 1);
  clock.advance(100);
  assert.equal(takeN(limiter, 'k', 1, 2), 1);
});
