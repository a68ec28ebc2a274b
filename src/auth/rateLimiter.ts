import type { Clock } from '../core/clock.ts';

export interface RateLimiter {
  /** true = allowed. Asynchronous because a limiter shared by a cell keeps its counts in Redis. */
  take(key: string, limitPerSecond: number): Promise<boolean> | boolean;
}

/**
 * Counts requests per key in fixed windows aligned to the clock (`floor(now / windowMs)`), the
 * simplest scheme that matches how Tencent documents limits ("100 req/s"). A burst of up to twice
 * the limit can straddle a window boundary; that is accepted for an emulator.
 *
 * Only the current window's counts are kept: moving to a new window drops the whole map, so memory
 * is bounded by the keys seen in one window and old windows cost nothing to prune.
 * The limit applies per window; with the default 1000 ms window it is per second.
 */
export class FixedWindowRateLimiter implements RateLimiter {
  private window = Number.NaN;
  private counts = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 1000,
  ) {}

  take(key: string, limitPerSecond: number): boolean {
    const window = Math.floor(this.clock.now() / this.windowMs);
    if (window !== this.window) {
      this.window = window;
      this.counts = new Map();
    }
    const used = this.counts.get(key) ?? 0;
    if (used >= limitPerSecond) return false;
    this.counts.set(key, used + 1);
    return true;
  }
}
