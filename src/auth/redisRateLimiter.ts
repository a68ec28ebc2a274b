/**
 * The rate limiter of a cell: the same fixed one-second windows as FixedWindowRateLimiter, but the
 * counts live in Redis, so every node of the cell draws on one budget per account and action.
 *
 * Each take() is one atomic round trip (a Lua script): read the window's count, refuse at the limit,
 * otherwise INCR it and, on the first hit, give the key a TTL of two windows so old windows expire
 * by themselves. Like the in-process limiter, a refusal does not consume budget.
 *
 * Redis is an accelerator, never a dependency of a request: when it is down, slow or answers with an
 * error, the node falls back to its own in-process limiter (limits then hold per node, as they do
 * without Redis), logs the outage once, and goes back to the shared counts as soon as Redis answers.
 * The client never queues commands while disconnected and gives up on a command after a short
 * timeout; while an outage lasts, at most one request at a time (and at most one per window after a
 * failure on a live connection) probes Redis, so a dead or hung Redis does not slow the node down.
 *
 * Windows come from each node's clock (`floor(now / windowMs)`): nodes of a cell need synchronised
 * clocks (NTP), as they already do for signature timestamps.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Clock } from '../core/clock.ts';
import { FixedWindowRateLimiter, type RateLimiter } from './rateLimiter.ts';

export type RedisLimiterLog = (level: 'warn' | 'info', msg: string, data?: Record<string, unknown>) => void;

export interface RedisRateLimiterOptions {
  /** Window length; default 1000 ms (limits are per second). */
  windowMs?: number;
  /** Key prefix; keys are `${prefix}:${key}:${windowIndex}`. Default `eniplane:rl`. */
  prefix?: string;
  /** Used while Redis is unavailable; default an in-process FixedWindowRateLimiter on the same clock. */
  fallback?: RateLimiter;
  log?: RedisLimiterLog;
}

/** KEYS[1] = the window's key; ARGV[1] = the limit; ARGV[2] = the key's TTL in ms. Returns the new count, 0 if refused. */
const TAKE_LUA = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
`;

const COMMAND = 'eniplaneRateTake';

type TakeCommand = (key: string, limit: number, ttlMs: number) => Promise<unknown>;

export class RedisRateLimiter implements RateLimiter {
  private readonly windowMs: number;
  private readonly prefix: string;
  private readonly fallback: RateLimiter;
  private readonly log: RedisLimiterLog;
  private readonly command: TakeCommand;
  /** Whether requests are currently counted by the fallback. */
  private outage = false;
  /** A probe of Redis is in flight during an outage (only one at a time). */
  private probing = false;
  /** After a failure on a connection that looked ready, Redis is not tried again before this instant. */
  private retryAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    opts: RedisRateLimiterOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? 1000;
    this.prefix = opts.prefix ?? 'eniplane:rl';
    this.fallback = opts.fallback ?? new FixedWindowRateLimiter(clock, this.windowMs);
    this.log = opts.log ?? (() => {});
    redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: TAKE_LUA });
    const fn = (redis as unknown as Record<string, TakeCommand>)[COMMAND]!;
    this.command = fn.bind(redis);
  }

  /** Whether the last decision came from Redis (false while falling back). */
  get shared(): boolean {
    return !this.outage;
  }

  async take(key: string, limitPerSecond: number): Promise<boolean> {
    const now = this.clock.now();
    if (this.redis.status !== 'ready') {
      this.down(`the connection is ${this.redis.status}`);
      return this.fallback.take(key, limitPerSecond);
    }
    if (now < this.retryAt || (this.outage && this.probing)) return this.fallback.take(key, limitPerSecond);
    const probe = this.outage;
    if (probe) this.probing = true;
    try {
      const window = Math.floor(now / this.windowMs);
      const n = Number(await this.command(`${this.prefix}:${key}:${window}`, limitPerSecond, 2 * this.windowMs));
      if (!Number.isFinite(n)) throw new Error(`unexpected reply from the rate-limit script`);
      this.up();
      return n > 0;
    } catch (e) {
      this.retryAt = this.clock.now() + this.windowMs;
      this.down(e instanceof Error ? e.message : String(e));
      return this.fallback.take(key, limitPerSecond);
    } finally {
      if (probe) this.probing = false;
    }
  }

  /** Enter an outage (logged once per outage): decisions come from the fallback until Redis answers. */
  reportOutage(reason: string): void {
    this.down(reason);
  }

  private down(reason: string): void {
    if (this.outage) return;
    this.outage = true;
    this.log('warn', 'Redis unavailable: rate limits hold per node until it answers', { reason });
  }

  private up(): void {
    this.retryAt = Number.NEGATIVE_INFINITY;
    if (!this.outage) return;
    this.outage = false;
    this.log('info', 'Redis answers again: rate limits hold across the cell');
  }
}

/** Client options for a limiter that must never hold a request up: no queueing, short timeouts, quick reconnects. */
export const REDIS_LIMITER_CLIENT_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 200,
  connectTimeout: 1000,
  retryStrategy: (times) => Math.min(100 * times, 1000),
  connectionName: 'eniplane-rate-limit',
};

/** The URL without its password, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Connect to Redis at `url` (redis:// or rediss://) and build a limiter on it. Waits briefly for the
 * connection (at most ~1 s); an unreachable Redis is logged and is not an error: the node then
 * limits on its own until Redis answers.
 */
export async function openRedisRateLimiter(
  url: string,
  clock: Clock,
  log: RedisLimiterLog = () => {},
  opts: Omit<RedisRateLimiterOptions, 'log'> = {},
): Promise<{ limiter: RedisRateLimiter; close(): Promise<void> }> {
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    throw new Error(`--redis: "${redactRedisUrl(url)}" is not a URL (expected redis://host:port)`);
  }
  if (scheme !== 'redis:' && scheme !== 'rediss:') throw new Error(`--redis: expected a redis:// or rediss:// URL, got ${scheme}//…`);

  const client = new Redis(url, { ...REDIS_LIMITER_CLIENT_OPTIONS });
  // Connection errors are expected while Redis is away; the limiter reports outages itself.
  client.on('error', () => {});
  const limiter = new RedisRateLimiter(client, clock, { ...opts, log });

  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, 1500);
    client.once('ready', done);
    client.once('error', done);
  });
  if (client.status === 'ready') log('info', 'rate limits are shared through Redis', { redis: redactRedisUrl(url) });
  else limiter.reportOutage(`not reachable at ${redactRedisUrl(url)} (status ${client.status})`);

  return {
    limiter,
    async close() {
      if (client.status === 'ready') {
        await Promise.race([client.quit().catch(() => {}), new Promise((r) => setTimeout(r, 500).unref())]);
      }
      client.disconnect();
    },
  };
}
