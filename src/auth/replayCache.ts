import type { Clock } from '../core/clock.ts';

/**
 * Remembers request keys (e.g. `SecretId|Timestamp|Nonce|Signature`) for `windowMs` so a captured
 * request cannot be sent twice.
 *
 * For the check to be airtight the window must cover the whole time a timestamp stays acceptable:
 * with a ±5 min skew allowance a request may be first seen at T-5m and replayed until T+5m, so use
 * at least twice the skew. When more than `maxEntries` keys are live the oldest are forgotten; memory
 * stays bounded at the price of admitting those replays (the timestamp window still bounds them).
 */
export class ReplayCache {
  // Map iteration order is insertion order, and every key is (re)inserted when recorded, so the
  // first entries are the oldest: expiry and eviction only ever look at the front.
  private readonly expiresAt = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  /** true if key was already seen within the window (a replay); otherwise records it and returns false */
  checkAndRecord(key: string): boolean {
    const now = this.clock.now();
    this.pruneExpired(now);
    const until = this.expiresAt.get(key);
    if (until !== undefined && until > now) return true;
    this.expiresAt.delete(key);
    this.expiresAt.set(key, now + this.windowMs);
    while (this.expiresAt.size > this.maxEntries) {
      const oldest = this.expiresAt.keys().next();
      if (oldest.done) break;
      this.expiresAt.delete(oldest.value);
    }
    return false;
  }

  size(): number {
    return this.expiresAt.size;
  }

  private pruneExpired(now: number): void {
    for (const [key, until] of this.expiresAt) {
      if (until > now) break;
      this.expiresAt.delete(key);
    }
  }
}
