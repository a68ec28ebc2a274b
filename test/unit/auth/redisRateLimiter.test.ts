// RedisRateLimiter against the real Redis (127.0.0.1:6379; skipped loudly when absent, an error on CI).
// Two limiters on two clients stand for two nodes of a cell; each test has its own key prefix. Time
// moves through a FakeClock: windows are computed from it, so nothing here sleeps.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { FakeClock } from '../../../src/core/clock.ts';
import { openRedisRateLimiter, RedisRateLimiter, type RedisLimiterLog } from '../../../src/auth/redisRateLimiter.ts';
import { pollUntil } from '../../support/poll.ts';
import { dropPrefix, limiterClient, REDIS_URL, skipUnlessRedis, uniquePrefix } from '../../support/redis.ts';
import { startTcpProxy } from '../../support/tcpProxy.ts';

const DEAD_URL = 'redis://127.0.0.1:1';

interface Logged {
  level: string;
  msg: string;
  data?: Record<string, unknown>;
}
const recorder = (): { log: RedisLimiterLog; lines: Logged[] } => {
  const lines: Logged[] = [];
  return { lines, log: (level, msg, data) => lines.push({ level, msg, ...(data ? { data } : {}) }) };
};

/** Sequential takes, alternating between the limiters: how many each one was allowed. */
async function alternate(limiters: RedisRateLimiter[], key: string, limit: number, n: number): Promise<number[]> {
  const allowed = limiters.map(() => 0);
  for (let i = 0; i < n; i++) if (await limiters[i % limiters.length]!.take(key, limit)) allowed[i % limiters.length]!++;
  return allowed;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const clients: Redis[] = [];
const prefixes: string[] = [];
after(async () => {
  const admin = clients.find((c) => c.status === 'ready');
  if (admin) for (const p of prefixes) await dropPrefix(admin, p).catch(() => {});
  for (const c of clients) c.disconnect();
});

async function client(url = REDIS_URL, waitReady = true): Promise<Redis> {
  const c = await limiterClient(url, { waitReady });
  clients.push(c);
  return c;
}

function prefix(): string {
  const p = uniquePrefix();
  prefixes.push(p);
  return p;
}

/** Two "nodes": limiters on separate clients, one clock, one key space. */
async function twoNodes(clock: FakeClock, opts: { windowMs?: number } = {}) {
  const p = prefix();
  const a = new RedisRateLimiter(await client(), clock, { prefix: p, ...opts });
  const b = new RedisRateLimiter(await client(), clock, { prefix: p, ...opts });
  return { a, b, p };
}

describe('RedisRateLimiter (real Redis)', { skip: await skipUnlessRedis() }, () => {
  test('two nodes share one budget per key and window: together they allow exactly the limit', async () => {
    const clock = new FakeClock(10_000);
    const { a, b } = await twoNodes(clock);
    const seq = await alternate([a, b], 'tc:acct1:DescribeVpcTaskResult', 5, 12);
    assert.equal(sum(seq), 5, `sequential: ${seq}`);
    assert.ok(seq[0]! > 0 && seq[1]! > 0, `both nodes drew on the budget: ${seq}`);
    assert.ok(a.shared && b.shared);

    // Concurrent takes from both nodes: the script is atomic, so no over-admission.
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).take('tc:acct1:DescribeNetworkInterfaceLimit', 7)));
    assert.equal(results.filter(Boolean).length, 7);

    // A single node with the in-process limiter would have allowed 5 on each node (control).
    const p2 = prefix();
    const lone = [new RedisRateLimiter(await client(), clock, { prefix: `${p2}:a` }), new RedisRateLimiter(await client(), clock, { prefix: `${p2}:b` })];
    assert.deepEqual(await alternate(lone, 'k', 5, 20), [5, 5], 'separate key spaces are separate budgets');
  });

  test('windows are aligned to the clock and roll over with it; a window key expires after two windows', async () => {
    const clock = new FakeClock(10_900);
    const { a, b, p } = await twoNodes(clock);
    assert.equal(sum(await alternate([a, b], 'k', 2, 3)), 2);
    clock.advance(99); // 10_999: same window
    assert.equal(await a.take('k', 2), false);
    assert.equal(await b.take('k', 2), false);
    clock.advance(1); // 11_000: a new window although only 100 ms passed since the first take
    assert.equal(sum(await alternate([b, a], 'k', 2, 4)), 2);

    const admin = await client();
    const pttl = await admin.pttl(`${p}:k:11`);
    assert.ok(pttl > 0 && pttl <= 2000, `window key TTL ${pttl} ms`);
    assert.equal(await admin.get(`${p}:k:11`), '2', 'refusals are not counted');
    assert.ok((await admin.pttl(`${p}:k:10`)) > 0, 'the previous window key still exists (until its TTL)');
  });

  test('refusals do not consume budget; keys are separate; a limit of 0 refuses; custom window length', async () => {
    const clock = new FakeClock(0);
    const { a, b } = await twoNodes(clock, { windowMs: 100 });
    assert.equal(await a.take('z', 0), false);
    assert.equal(sum(await alternate([a, b], 'k', 2, 10)), 2);
    assert.equal(await b.take('k', 5), true, 'a larger limit for the same key has room left');
    assert.equal(sum(await alternate([a, b], 'other', 1, 3)), 1);
    clock.advance(100);
    assert.equal(sum(await alternate([a, b], 'k', 2, 5)), 2, 'a 100 ms window rolls over after 100 ms');
  });

  test('Redis unreachable (dead port): limits locally, never throws, never waits, logs once', async () => {
    const clock = new FakeClock(50_000);
    const { log, lines } = recorder();
    const limiter = new RedisRateLimiter(await client(DEAD_URL, false), clock, { prefix: prefix(), log });
    const started = Date.now();
    const allowed: number[] = [];
    for (let w = 0; w < 3; w++) {
      let n = 0;
      for (let i = 0; i < 50; i++) if (await limiter.take('tc:acct:DescribeVpcs', 3)) n++;
      allowed.push(n);
      clock.advance(1000);
    }
    const elapsed = Date.now() - started;
    assert.deepEqual(allowed, [3, 3, 3], 'the in-process fallback limits each window');
    assert.equal(limiter.shared, false);
    assert.equal(lines.length, 1, `one log line per outage: ${JSON.stringify(lines)}`);
    assert.equal(lines[0]!.level, 'warn');
    // 150 decisions that each waited for Redis would take 150 × the command timeout (30 s).
    assert.ok(elapsed < 3_000, `150 decisions took ${elapsed} ms`);
  });

  test('openRedisRateLimiter on a dead URL: starts (logging the outage once), limits locally, closes', async () => {
    const clock = new FakeClock(0);
    const { log, lines } = recorder();
    const started = Date.now();
    const opened = await openRedisRateLimiter(DEAD_URL, clock, log);
    assert.ok(Date.now() - started < 5_000, 'opening does not wait long for a dead Redis');
    try {
      assert.equal(sum(await Promise.all(Array.from({ length: 10 }, () => opened.limiter.take('k', 4))).then((r) => r.map(Number))), 4);
      assert.deepEqual(lines.map((l) => l.level), ['warn'], JSON.stringify(lines));
      assert.doesNotMatch(JSON.stringify(lines), /password/);
    } finally {
      await opened.close();
    }
    await assert.rejects(openRedisRateLimiter('http://127.0.0.1:6379', clock), /redis:\/\//);
  });

  test('openRedisRateLimiter on the real Redis: shared limits, logged once, closed cleanly', async () => {
    const clock = new FakeClock(0);
    const { log, lines } = recorder();
    const p = prefix();
    const one = await openRedisRateLimiter(REDIS_URL, clock, log, { prefix: p });
    const two = await openRedisRateLimiter(REDIS_URL, clock, () => {}, { prefix: p });
    try {
      assert.equal(sum(await alternate([one.limiter, two.limiter], 'k', 3, 9)), 3);
      assert.deepEqual(lines.map((l) => l.level), ['info']);
    } finally {
      await one.close();
      await two.close();
    }
  });

  test('connection cut: the node falls back to its own budget (logged once), and shares again once Redis answers', async () => {
    const clock = new FakeClock(100_000);
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(REDIS_URL).port || 6379));
    let proxied: Redis | undefined;
    try {
      const { log, lines } = recorder();
      const p = prefix();
      proxied = await client(`redis://127.0.0.1:${proxy.port}`);
      const viaProxy = new RedisRateLimiter(proxied, clock, { prefix: p, log });
      const direct = new RedisRateLimiter(await client(), clock, { prefix: p });
      assert.equal(sum(await alternate([viaProxy, direct], 'k', 4, 12)), 4, 'shared before the outage');

      proxy.cut();
      clock.advance(1000);
      const during = await alternate([viaProxy, direct], 'k', 4, 20);
      assert.deepEqual(during, [4, 4], 'during the outage each node has its own budget');
      assert.equal(viaProxy.shared, false);
      assert.deepEqual(lines.map((l) => l.level), ['warn'], JSON.stringify(lines));
      for (let i = 0; i < 20; i++) await viaProxy.take('k', 4);
      assert.equal(lines.length, 1, 'still one log line for one outage');

      proxy.restore();
      await pollUntil(
        async () => {
          clock.advance(1000);
          await viaProxy.take('probe', 1_000_000);
          return viaProxy.shared;
        },
        { timeoutMs: 15_000, what: 'the limiter to use Redis again after the proxy is restored' },
      );
      assert.deepEqual(lines.map((l) => l.level), ['warn', 'info'], JSON.stringify(lines));
      clock.advance(1000);
      assert.equal(sum(await alternate([viaProxy, direct], 'k', 4, 12)), 4, 'shared again after the outage');
    } finally {
      // Close the client while its connection still leads somewhere: ioredis otherwise waits 2 s for the socket.
      proxied?.disconnect();
      await proxy.close();
    }
  });

  test('Redis hangs: one command timeout, then no round trips until the next window; recovers when it answers', async () => {
    const clock = new FakeClock(200_000);
    const hang = await startFreezableProxy(Number(new URL(REDIS_URL).port || 6379));
    let proxied: Redis | undefined;
    try {
      const { log, lines } = recorder();
      const p = prefix();
      proxied = await client(`redis://127.0.0.1:${hang.port}`);
      const limiter = new RedisRateLimiter(proxied, clock, { prefix: p, log });
      const other = new RedisRateLimiter(await client(), clock, { prefix: p });
      assert.equal(sum(await alternate([limiter, other], 'k', 3, 6)), 3);

      hang.freeze();
      clock.advance(1000);
      const t0 = Date.now();
      assert.equal(await limiter.take('k', 3), true, 'answered by the fallback');
      const waited = Date.now() - t0;
      assert.ok(waited >= 150 && waited < 3_000, `the first request waited one command timeout (${waited} ms)`);
      assert.equal(limiter.shared, false);

      const sent = hang.bytesToRedis();
      const t1 = Date.now();
      let allowed = 1;
      for (let i = 0; i < 20; i++) if (await limiter.take('k', 3)) allowed++;
      assert.equal(allowed, 3, 'the fallback limits meanwhile');
      assert.equal(hang.bytesToRedis(), sent, 'no command is sent to a hung Redis within the same window');
      assert.ok(Date.now() - t1 < 1_000, 'and so those requests did not wait');
      assert.deepEqual(lines.map((l) => l.level), ['warn']);

      hang.thaw();
      await pollUntil(
        async () => {
          clock.advance(1000);
          await limiter.take('probe', 1_000_000);
          return limiter.shared;
        },
        { timeoutMs: 15_000, what: 'the limiter to use Redis again after it answers' },
      );
      assert.deepEqual(lines.map((l) => l.level), ['warn', 'info']);
      clock.advance(1000);
      assert.equal(sum(await alternate([limiter, other], 'k', 3, 9)), 3, 'shared again');
    } finally {
      hang.thaw();
      proxied?.disconnect();
      await hang.close();
    }
  });
});

/** A TCP proxy to Redis that can stop passing Redis's replies on (keeping them) and pass them on later. */
async function startFreezableProxy(targetPort: number) {
  let frozen = false;
  let toRedis = 0;
  const held: Array<{ to: net.Socket; data: Buffer }> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    const up = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [c, up]) {
      sockets.add(s);
      s.on('error', () => {});
      s.once('close', () => {
        sockets.delete(s);
        c.destroy();
        up.destroy();
      });
    }
    c.on('data', (d: Buffer) => {
      toRedis += d.length;
      up.write(d);
    });
    up.on('data', (d: Buffer) => (frozen ? held.push({ to: c, data: d }) : c.write(d)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
      for (const h of held.splice(0)) h.to.write(h.data);
    },
    bytesToRedis: () => toRedis,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
