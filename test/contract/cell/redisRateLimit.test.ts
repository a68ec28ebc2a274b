// Rate limits shared across a cell. Two `eniplane serve` nodes on one PostgreSQL database and one
// Redis (`--redis`): one account's burst, split evenly across both nodes, gets exactly the documented
// per-account, per-action limit in a one-second window — not the limit once per node — and each
// dialect refuses the rest with its own throttling error, checked through its official client
// (API 3.0 RequestLimitExceeded, API 2.0 4400 InvalidRequest.LimitExceeded, JD Cloud 429 RATE_LIMIT).
// The control run, the same cell without --redis, shows each node keeping its own budget: twice
// the limit in total.
//
// Windows are the nodes' wall-clock seconds. Each burst is scheduled to start just after a second
// boundary, and is only judged when it provably ran inside one window (first request sent and last
// answer received in the same second, and no node fell back to its own limiter meanwhile); otherwise
// it is repeated in the next second, a few times at most.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { pollUntil } from '../../support/poll.ts';
import { capiClients, expect2, type Qc2Clients } from '../../support/tencent2/client.ts';
import { REDIS_URL, skipUnlessRedis } from '../../support/redis.ts';
import { skipUnless } from '../../support/stores.ts';
import { createJdAccount, expectJdError, jdClients, type JdClients } from '../../support/jdcloud/client.ts';
import { expectTcError, type VpcClient, ZONE } from '../../support/tencent3/client.ts';
import { waitEniReady } from '../../support/tencent3/waits.ts';
import { withCell, type Cell } from './cellKit.ts';

/** Documented limits: API 3.0 DescribeVpcTaskResult / DescribeNetworkInterfaceLimit and API 2.0 DescribeVpcEx 20/s; JD Cloud 100/s per operation. */
const TC_LIMIT = 20;
const JD_LIMIT = 100;
const ATTEMPTS = 5;
/** What a node logs (src/auth/redisRateLimiter.ts) when it stops sharing limits, and when it shares again. */
const FALLBACK_LOG = 'Redis unavailable';
const RECOVERY_LOG = 'Redis answers again';

/**
 * Whether a node whose output so far is `logs` counts in Redis: it has not fallen back, or has
 * recovered since. (A node that is CPU-starved can see a Redis command time out and fall back for
 * a moment; such a burst is not judged, and is repeated.)
 */
const sharing = (logs: string): boolean => logs.lastIndexOf(FALLBACK_LOG) <= logs.lastIndexOf(RECOVERY_LOG);
/** The one line a node logs per request (src/http/server.ts), before it answers. */
const REQUEST_LOG = '"msg":"request"';
const count = (text: string, needle: string): number => text.split(needle).length - 1;

type Verdict = 'accepted' | 'throttled';

interface Shot {
  node: number;
  action: string;
  /** Resolves with the verdict; anything but an answer or the dialect's throttling error rejects. */
  run(): Promise<Verdict>;
}

interface Outcome {
  node: number;
  action: string;
  verdict: Verdict;
}

/** Sleep until just after the next second boundary: scheduling the burst, not waiting for state. */
async function nextSecond(): Promise<void> {
  await delay(1000 - (Date.now() % 1000) + 5);
}

/**
 * Fire all shots at once, starting right after a second boundary, until a burst fits in one window.
 * A first, unjudged burst warms the nodes up (a fresh process runs cold code); it ends before the
 * judged burst's window begins.
 */
async function burstInOneWindow(cell: Cell, what: string, shots: () => Shot[]): Promise<Outcome[]> {
  await Promise.all(shots().map((s) => s.run()));
  const notes: string[] = [];
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    await nextSecond();
    const before = cell.servers.map((s) => s.logs());
    const list = shots();
    const t0 = Date.now();
    const outcomes = await Promise.all(list.map(async (s) => ({ node: s.node, action: s.action, verdict: await s.run() })));
    const t1 = Date.now();
    // A node logs a fall-back before the request's own line, and that before answering: once every
    // request's line has come through the pipe, so has any fall-back during the burst.
    await pollUntil(
      async () => cell.servers.every((s, i) => count(s.logs().slice(before[i]!.length), REQUEST_LOG) >= list.filter((x) => x.node === i).length),
      { what: `the request log lines of the ${what} burst`, timeoutMs: 15_000 },
    );
    const fellBack = cell.servers.some((s, i) => !sharing(before[i]!) || s.logs().slice(before[i]!.length).includes(FALLBACK_LOG));
    if (!fellBack && Math.floor(t0 / 1000) === Math.floor(t1 / 1000)) return outcomes;
    notes.push(`attempt ${attempt}: ${list.length} requests from +${t0 % 1000} ms to +${t1 - t0 + (t0 % 1000)} ms${fellBack ? ', a node counted on its own meanwhile' : ''}`);
  }
  assert.fail(`${what}: no burst ran inside one one-second window in ${ATTEMPTS} attempts:\n${notes.join('\n')}`);
}

/** Accepted answers, per action (over all nodes) or per action and node. */
function accepted(outcomes: Outcome[], action: string, node?: number): number {
  return outcomes.filter((o) => o.verdict === 'accepted' && o.action === action && (node === undefined || o.node === node)).length;
}

function summary(outcomes: Outcome[]): string {
  const rows = new Map<string, { accepted: number; throttled: number }>();
  for (const o of outcomes) {
    const k = `${o.action}@node${o.node}`;
    const r = rows.get(k) ?? { accepted: 0, throttled: 0 };
    r[o.verdict]++;
    rows.set(k, r);
  }
  return [...rows].map(([k, r]) => `${k}: ${r.accepted} accepted, ${r.throttled} throttled`).join('; ');
}

// ---- API 3.0 through tencentcloud-sdk-nodejs --------------------------------------------------

interface Tc3Targets {
  taskId: string;
  eniId: string;
}

async function tc3Targets(vpc: VpcClient): Promise<Tc3Targets> {
  const { Vpc } = await vpc.CreateVpc({ VpcName: 'rl-vpc', CidrBlock: '10.0.0.0/16' });
  const { Subnet } = await vpc.CreateSubnet({ VpcId: Vpc!.VpcId!, SubnetName: 'rl-subnet', CidrBlock: '10.0.1.0/24', Zone: ZONE });
  const created = await vpc.CreateNetworkInterface({ VpcId: Vpc!.VpcId!, SubnetId: Subnet!.SubnetId!, NetworkInterfaceName: 'rl-eni' });
  const eniId = created.NetworkInterface!.NetworkInterfaceId!;
  await waitEniReady(vpc, eniId);
  return { taskId: created.RequestId!, eniId };
}

function tc3Shot(cell: Cell, node: number, action: 'DescribeVpcTaskResult' | 'DescribeNetworkInterfaceLimit', t: Tc3Targets): Shot {
  return {
    node,
    action,
    async run() {
      const vpc = cell.vpc(node);
      try {
        if (action === 'DescribeVpcTaskResult') await vpc.DescribeVpcTaskResult({ TaskId: t.taskId });
        else await vpc.DescribeNetworkInterfaceLimit({ InstanceId: t.eniId });
        return 'accepted';
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'RequestLimitExceeded') throw e;
        const seen = await expectTcError(Promise.reject(e), 'RequestLimitExceeded');
        assert.match(seen.message, new RegExp(`${action} exceed ${TC_LIMIT} per second`));
        return 'throttled';
      }
    },
  };
}

type Tc3Action = 'DescribeVpcTaskResult' | 'DescribeNetworkInterfaceLimit';

/** `perNode` calls of each action on each node, interleaved. */
function tc3Burst(cell: Cell, t: Tc3Targets, actions: readonly Tc3Action[], perNode: number): () => Shot[] {
  return () => {
    const shots: Shot[] = [];
    for (let i = 0; i < perNode; i++) for (const node of [0, 1]) for (const a of actions) shots.push(tc3Shot(cell, node, a, t));
    return shots;
  };
}

const TC3_ACTIONS = ['DescribeVpcTaskResult', 'DescribeNetworkInterfaceLimit'] as const;

const skip = async () => (await skipUnless('postgres')) || (await skipUnlessRedis());

describe('rate limits across a cell (PostgreSQL + Redis)', { skip: await skip(), timeout: 180_000 }, () => {
  test('with --redis: one budget per account and action for the whole cell, in every dialect', async () => {
    await withCell(2, { rateLimit: 'on', latency: '20', extraArgs: ['--redis', REDIS_URL] }, async (cell) => {
      for (const [i, s] of cell.servers.entries()) {
        assert.match(s.logs(), /rate limits are shared through Redis/, `node ${i} connected to Redis at start`);
      }

      // API 3.0: 32 calls of each 20/s action, 16 on each node → exactly 20 of each accepted in all
      // (a limiter per node would accept all 32).
      const t = await tc3Targets(cell.vpc(0));
      const tc3 = await burstInOneWindow(cell, 'API 3.0', tc3Burst(cell, t, TC3_ACTIONS, 16));
      for (const action of TC3_ACTIONS) {
        assert.equal(accepted(tc3, action), TC_LIMIT, `API 3.0 ${action}: the cell accepts exactly ${TC_LIMIT} in one second (${summary(tc3)})`);
      }

      // API 2.0 (qcloudapi-sdk): DescribeVpcEx, 20/s, 24 calls on each node.
      const qc: Qc2Clients[] = [0, 1].map((i) => capiClients(cell.servers[i]!.port, cell.creds));
      const tc2 = await burstInOneWindow(cell, 'API 2.0', () =>
        Array.from({ length: 48 }, (_, i): Shot => ({
          node: i % 2,
          action: 'DescribeVpcEx',
          async run() {
            const body = await qc[i % 2]!.vpc({ Action: 'DescribeVpcEx' });
            if (body.code === 0) return 'accepted';
            expect2(body, 4400, 'InvalidRequest.LimitExceeded', 'DescribeVpcEx over the limit');
            assert.match(body.message, /DescribeVpcEx exceed 20 per second/);
            return 'throttled';
          },
        })),
      );
      assert.equal(accepted(tc2, 'DescribeVpcEx'), TC_LIMIT, `API 2.0: ${summary(tc2)}`);

      // JD Cloud (jdcloud-sdk-js): describeVpcs, 100/s per operation, 55 calls on each node.
      const jdAccount = await createJdAccount(cell.servers[0]!);
      const jd: JdClients[] = [0, 1].map((i) => jdClients(cell.servers[i]!.port, jdAccount));
      const jdOut = await burstInOneWindow(cell, 'JD Cloud', () =>
        Array.from({ length: 110 }, (_, i): Shot => ({
          node: i % 2,
          action: 'describeVpcs',
          async run() {
            try {
              await jd[i % 2]!.vpc.describeVpcs({});
              return 'accepted';
            } catch (e) {
              if ((e as { error?: { code?: unknown } }).error?.code !== 429) throw e;
              await expectJdError(Promise.reject(e), 429, 'RATE_LIMIT', /describeVpcs exceed 100 per second/);
              return 'throttled';
            }
          },
        })),
      );
      assert.equal(accepted(jdOut, 'describeVpcs'), JD_LIMIT, `JD Cloud: ${summary(jdOut)}`);
    });
  });

  test('control, without --redis: each node keeps its own budget (twice the limit across two nodes)', async () => {
    await withCell(2, { rateLimit: 'on', latency: '20' }, async (cell) => {
      // 22 DescribeVpcTaskResult calls on each node: each node accepts its own 20, 40 in all.
      const t = await tc3Targets(cell.vpc(0));
      const action = 'DescribeVpcTaskResult';
      const out = await burstInOneWindow(cell, 'API 3.0 control', tc3Burst(cell, t, [action], 22));
      for (const node of [0, 1]) {
        assert.equal(accepted(out, action, node), TC_LIMIT, `${action} on node ${node}: its own ${TC_LIMIT}/s (${summary(out)})`);
      }
      assert.equal(accepted(out, action), 2 * TC_LIMIT, `${action}: per-node limits add up (${summary(out)})`);
    });
  });
});
