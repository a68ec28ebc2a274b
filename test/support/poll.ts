// Bounded polling for tests: the only sanctioned way for a test to wait for state to change.
// Tests must never sleep a fixed time; they poll a condition until it holds or a deadline passes,
// and on timeout the error names what was awaited and the last value seen, so failures are diagnosable.

import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';

export interface PollOptions {
  /** Give up after this many milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Wait this long between attempts (default 25). */
  intervalMs?: number;
  /** Human-readable description of the awaited condition, used in the timeout error. */
  what?: string;
}

/**
 * Call `fn` until it returns something other than `undefined` or `false`, and return that value.
 * `fn` is always called at least once, even with a zero timeout. If `fn` throws, the error is
 * remembered and polling continues; on timeout it is reported (and attached as `cause`).
 */
export async function pollUntil<T>(
  fn: () => Promise<T | undefined | false>,
  opts: PollOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 25;
  const what = opts.what ?? 'condition';
  const started = Date.now();
  const deadline = started + timeoutMs;
  let attempts = 0;
  let last: { kind: 'value'; value: unknown } | { kind: 'error'; error: unknown } | undefined;

  for (;;) {
    attempts++;
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = { kind: 'value', value: v };
    } catch (error) {
      last = { kind: 'error', error };
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await delay(Math.min(intervalMs, remaining));
  }

  const elapsed = Date.now() - started;
  const lastText =
    last === undefined
      ? 'nothing'
      : last.kind === 'value'
        ? `value ${inspect(last.value, { depth: 6, breakLength: Infinity })}`
        : `error ${last.error instanceof Error ? `${last.error.name}: ${last.error.message}` : inspect(last.error)}`;
  throw new Error(
    `pollUntil: timed out after ${elapsed} ms (${attempts} attempts) waiting for ${what}; last ${lastText}`,
    last?.kind === 'error' ? { cause: last.error } : undefined,
  );
}
