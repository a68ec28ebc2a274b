/**
 * Redis for the shared rate-limit tests. Redis is at 127.0.0.1:6379 on every developer and CI machine;
 * on CI (CI=true) its absence fails the run, elsewhere it skips loudly (as PostgreSQL does, stores.ts).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { REDIS_LIMITER_CLIENT_OPTIONS } from '../../src/auth/redisRateLimiter.ts';

export const REDIS_URL = process.env.ENIPLANE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

let state: Promise<boolean> | undefined;

/** Whether Redis answers PING; on CI a missing server is an error, not a skip. */
export function redisAvailable(): Promise<boolean> {
  state ??= (async () => {
    let last: unknown;
    // A loaded machine can be slow to accept a connection; only repeated failure means "absent".
    for (let attempt = 0; attempt < 3; attempt++) {
      const c = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => {});
      try {
        await c.connect();
        if ((await c.ping()) === 'PONG') return true;
      } catch (e) {
        last = e;
      } finally {
        c.disconnect();
      }
    }
    if (process.env.CI) throw new Error(`Redis is required on CI but unreachable at ${REDIS_URL}: ${String(last)}`);
    process.stderr.write(`\n!!! Redis unreachable at ${REDIS_URL}: the shared rate-limit tests are SKIPPED !!!\n\n`);
    return false;
  })();
  return state;
}

/** `skip` option for node:test: a reason string when Redis cannot be used here. */
export async function skipUnlessRedis(): Promise<string | false> {
  return (await redisAvailable()) ? false : 'Redis unreachable (not on CI): skipped';
}

/** A key prefix no other test (or test run) uses. */
export const uniquePrefix = (): string => `eniplane-test:${randomBytes(6).toString('hex')}`;

/** A client with the limiter's production options, connected (or not, for a dead address) and quiet about errors. */
export async function limiterClient(url: string = REDIS_URL, opts: { waitReady?: boolean } = {}): Promise<Redis> {
  const c = new Redis(url, { ...REDIS_LIMITER_CLIENT_OPTIONS });
  c.on('error', () => {});
  if (opts.waitReady ?? true) {
    if (c.status !== 'ready') await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis client for ${url} not ready within 5 s (status ${c.status})`)), 5_000);
      c.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return c;
}

/** Delete every key under `prefix` (a test's own key space). */
export async function dropPrefix(c: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await c.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await c.del(...keys);
  } while (cursor !== '0');
}
