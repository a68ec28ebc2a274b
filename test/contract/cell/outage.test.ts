// Losing the database under load (PostgreSQL cell). Two nodes reach PostgreSQL through a TCP proxy;
// mid-load the proxy cuts every connection and refuses new ones (the database is gone, as far as the
// nodes can tell), then lets them through again. The real PostgreSQL keeps running for other tests.
//
// During the outage every failed request must be the dialect's documented service error — an HTTP 200
// `{"Response":{"Error":{"Code":"ServiceUnavailable"|"InternalError"}}}` — answered fast (no HTTP 5xx,
// no hang-up, no hang), and /healthz must say 503. Afterwards both nodes must serve again by themselves
// (same processes), every task accepted must reach a terminal state, and nothing may be half-written.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { pollUntil } from '../../support/poll.ts';
import { startServer, type RunningServer } from '../../support/server.ts';
import { freshDb, skipUnless } from '../../support/stores.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcpProxy.ts';
import { cvmClient, type Eni, vpcClient, type VpcClient } from '../../support/tencent3/client.ts';
import { listEnis, waitEniReady, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { buildWorld } from '../../support/tencent3/world.ts';
import { seededRandom } from '../../../src/core/ids.ts';

/** The documented answers to "the database is away" (spec: API 3.0 service errors). */
const OUTAGE_CODES = new Set(['ServiceUnavailable', 'InternalError']);
/** Answers the load may legitimately get at any time: it races itself on shared ENIs and instances. */
const BUSINESS_CODES = new Set([
  'UnsupportedOperation.InvalidState',
  'UnsupportedOperation.MutexOperationTaskRunning',
  'UnsupportedOperation.AttachmentAlreadyExists',
  'UnsupportedOperation.AttachmentNotFound',
  'LimitExceeded',
]);
/** Fail fast: the store gives up after 2 s (connect) / 5 s (query); nothing may take longer than this. */
const ANSWER_BOUND_MS = 8_000;
/** How long the database stays away, at least (the outage ends on observed errors, see below). */
const MIN_OUTAGE_MS = 3_000;
/** Failed requests each node must have answered during the outage before the database comes back. */
const MIN_FAILURES_PER_NODE = 20;
const CONCURRENCY = 4;
/** A safety bound on the load; it normally ends well before, when the test says stop. */
const MAX_ROUNDS_PER_WORKER = 20_000;
const MAX_CREATES = 40;

interface Call {
  node: number;
  action: string;
  start: number;
  end: number;
  ok: boolean;
  /** Response.Error.Code of an API error. */
  code?: string;
  /** Anything that is not an API error: a non-200 status, a hang-up, a timeout. */
  fault?: string;
}

interface Accepted {
  taskId: string;
  kind: string;
  node: number;
  at: number;
}

interface Created {
  eniId: string;
  addresses: string[];
  secondary: number;
}

async function healthz(url: string): Promise<{ status: number | string; ms: number }> {
  const t0 = Date.now();
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
    await res.arrayBuffer();
    return { status: res.status, ms: Date.now() - t0 };
  } catch (e) {
    return { status: e instanceof Error ? `${e.name}: ${e.message}` : String(e), ms: Date.now() - t0 };
  }
}

const skip = await skipUnless('postgres');

test('PostgreSQL lost and back under load: documented errors only, fast, and the nodes serve again by themselves', { skip, timeout: 120_000 }, async (t) => {
  const testStart = Date.now();
  const { db: realUrl, cleanup } = await freshDb('postgres');
  const u = new URL(realUrl);
  const target = { host: u.hostname, port: Number(u.port || 5432) };
  let proxy: TcpProxy | undefined;
  const servers: RunningServer[] = [];
  const sqlc = new pg.Client({ connectionString: realUrl });
  try {
    proxy = await startTcpProxy(target.host, target.port);
    const proxiedUrl = realUrl.replace(`@${u.host}/`, `@127.0.0.1:${proxy.port}/`);
    assert.notEqual(proxiedUrl, realUrl, `could not point ${realUrl} at the proxy`);
    await sqlc.connect();

    // One after the other: the first start migrates the schema and creates the default account.
    for (let i = 0; i < 2; i++) servers.push(await startServer({ db: proxiedUrl, rateLimit: 'off', latency: '50' }));
    const pids = servers.map((s) => s.pid);
    const creds = await servers[0]!.createAccount();
    // A 15 s SDK timeout: a request the node never answers shows up as a fault, not as a stuck test.
    const vpcs = servers.map((s) => vpcClient(s.port, creds, { timeoutSec: 15 }));
    const cvm = cvmClient(servers[0]!.port, creds, { timeoutSec: 15 });

    // ---- the world: a VPC, a subnet, four instances, six secondary ENIs (two attached) ----------
    const world = await buildWorld(vpcs[0]!, cvm, { count: 4, type: 'S5.LARGE8' });
    const created: Created[] = [];
    const accepted: Accepted[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await vpcs[i % 2]!.CreateNetworkInterface({ VpcId: world.vpcId, SubnetId: world.subnetId, NetworkInterfaceName: `base-${i}`, SecondaryPrivateIpAddressCount: i % 3 });
      const eni = c.NetworkInterface!;
      created.push({ eniId: eni.NetworkInterfaceId!, addresses: eni.PrivateIpAddressSet!.map((p) => p.PrivateIpAddress!), secondary: i % 3 });
    }
    for (const c of created) await waitEniReady(vpcs[0]!, c.eniId);
    for (let i = 0; i < 2; i++) {
      const a = await vpcs[1]!.AttachNetworkInterface({ NetworkInterfaceId: created[i]!.eniId, InstanceId: world.instanceIds[i]! });
      await waitTaskSuccess(vpcs[1]!, a.RequestId!);
    }

    // ---- the load ------------------------------------------------------------------------------
    const seed = Number(process.env.OUTAGE_SEED ?? Math.floor(Math.random() * 2 ** 31));
    t.diagnostic(`seed ${seed} (OUTAGE_SEED=${seed} replays the operation mix)`);
    const rand = seededRandom(seed);
    const calls: Call[] = [];
    /** What the last successful Describe showed of the secondary ENIs: state and holder. */
    const view = new Map<string, { state: string; holder: string | undefined }>();
    let stop = false;
    let creates = 0;

    const call = async <T>(node: number, action: string, fn: (vpc: VpcClient) => Promise<T>): Promise<T | undefined> => {
      const start = Date.now();
      try {
        const v = await fn(vpcs[node]!);
        calls.push({ node, action, start, end: Date.now(), ok: true });
        return v;
      } catch (e) {
        const o = (e ?? {}) as { code?: unknown; httpCode?: unknown; message?: unknown; name?: unknown };
        const c: Call = { node, action, start, end: Date.now(), ok: false };
        if (typeof o.code === 'string' && o.code !== '') c.code = o.code;
        else c.fault = typeof o.httpCode === 'number' ? `HTTP ${o.httpCode}` : `${String(o.name)}: ${String(o.message)}`;
        calls.push(c);
        return undefined;
      }
    };

    const describe = async (node: number) => {
      const r = await call(node, 'DescribeNetworkInterfaces', (v) =>
        v.DescribeNetworkInterfaces({ Filters: [{ Name: 'vpc-id', Values: [world.vpcId] }], Limit: 100 }),
      );
      if (!r) return;
      for (const e of r.NetworkInterfaceSet ?? []) {
        if (e.Primary) continue;
        view.set(e.NetworkInterfaceId!, { state: e.State!, holder: e.Attachment?.InstanceId || undefined });
      }
    };
    const pick = <T>(list: T[]): T | undefined => (list.length ? list[Math.floor(rand() * list.length)] : undefined);

    const worker = async (w: number) => {
      for (let round = 0; round < MAX_ROUNDS_PER_WORKER && !stop; round++) {
        const node = (w + round) % 2;
        const r = rand();
        if (r < 0.35) {
          await describe(node);
        } else if (r < 0.55 && creates < MAX_CREATES) {
          const n = creates++;
          const secondary = n % 3;
          const res = await call(node, 'CreateNetworkInterface', (v) =>
            v.CreateNetworkInterface({ VpcId: world.vpcId, SubnetId: world.subnetId, NetworkInterfaceName: `load-${n}`, SecondaryPrivateIpAddressCount: secondary }),
          );
          if (!res) continue;
          const eni = res.NetworkInterface!;
          created.push({ eniId: eni.NetworkInterfaceId!, addresses: eni.PrivateIpAddressSet!.map((p) => p.PrivateIpAddress!), secondary });
          accepted.push({ taskId: res.RequestId!, kind: 'create', node, at: Date.now() });
        } else if (r < 0.8) {
          const free = [...view].filter(([, e]) => e.state === 'AVAILABLE' && !e.holder).map(([id]) => id);
          const eniId = pick(free);
          const instanceId = pick(world.instanceIds);
          if (!eniId || !instanceId) {
            await describe(node);
            continue;
          }
          const res = await call(node, 'AttachNetworkInterface', (v) => v.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: instanceId }));
          if (!res) continue;
          view.set(eniId, { state: 'ATTACHING', holder: instanceId });
          accepted.push({ taskId: res.RequestId!, kind: 'attach', node, at: Date.now() });
        } else {
          const held = [...view].filter(([, e]) => e.state === 'AVAILABLE' && e.holder);
          const chosen = pick(held);
          if (!chosen) {
            await describe(node);
            continue;
          }
          const [eniId, { holder }] = chosen;
          const res = await call(node, 'DetachNetworkInterface', (v) => v.DetachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: holder! }));
          if (!res) continue;
          view.set(eniId, { state: 'DETACHING', holder });
          accepted.push({ taskId: res.RequestId!, kind: 'detach', node, at: Date.now() });
        }
      }
    };
    const load = Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));

    try {
      // Mid-load: both nodes have been serving, and tasks have been accepted that are not finished.
      await pollUntil(
        async () => {
          const okPerNode = [0, 1].map((n) => calls.filter((c) => c.ok && c.node === n).length);
          return okPerNode.every((k) => k >= 15) && accepted.length >= 8;
        },
        { what: 'load to be under way on both nodes (15 successes each, 8 accepted tasks)', timeoutMs: 20_000 },
      );

      // ---- the outage ----------------------------------------------------------------------------
      const cutAt = Date.now();
      const acceptedBeforeCut = accepted.filter((a) => a.at < cutAt).map((a) => a.taskId);
      proxy.cut();
      const healthDuring: { node: number; status: number | string; ms: number }[] = [];
      await pollUntil(
        async () => {
          const h = await Promise.all(servers.map((s) => healthz(s.url)));
          h.forEach((x, node) => healthDuring.push({ node, ...x }));
          const failures = [0, 1].map((n) => calls.filter((c) => !c.ok && c.node === n && c.start >= cutAt).length);
          return h.every((x) => x.status === 503) && failures.every((k) => k >= MIN_FAILURES_PER_NODE) && Date.now() - cutAt >= MIN_OUTAGE_MS;
        },
        { what: `both /healthz 503, ${MIN_FAILURES_PER_NODE} failed requests per node, and ${MIN_OUTAGE_MS} ms of outage`, timeoutMs: 20_000, intervalMs: 100 },
      );
      // /readyz says the same as /healthz; /livez only that the process answers.
      for (const srv of servers) {
        assert.equal((await fetch(`${srv.url}/readyz`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) })).status, 503);
        assert.equal((await fetch(`${srv.url}/livez`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) })).status, 200);
      }
      const restoreAt = Date.now();
      proxy.restore();

      // ---- recovery: same processes, no restart ------------------------------------------------
      const healthAfter = await pollUntil(
        async () => {
          const h = await Promise.all(servers.map((s) => healthz(s.url)));
          return h.every((x) => x.status === 200) ? Date.now() : false;
        },
        { what: 'both /healthz 200 after the database came back', timeoutMs: 20_000, intervalMs: 50 },
      );
      const recoveredAt: number[] = [];
      for (const node of [0, 1]) {
        recoveredAt[node] = await pollUntil(
          async () => {
            const r = await call(node, 'DescribeNetworkInterfaces', (v) => v.DescribeNetworkInterfaces({ Filters: [{ Name: 'vpc-id', Values: [world.vpcId] }] }));
            return r ? Date.now() : false;
          },
          { what: `node ${node} to answer DescribeNetworkInterfaces again`, timeoutMs: 20_000, intervalMs: 50 },
        );
      }
      // And keeps serving under load: 20 more successes per node from requests started after recovery.
      const recovered = Math.max(...recoveredAt);
      await pollUntil(
        async () => [0, 1].every((n) => calls.filter((c) => c.ok && c.node === n && c.start >= recovered).length >= 20),
        { what: 'the load to succeed again on both nodes', timeoutMs: 20_000 },
      );
      stop = true;
      await load;

      // ---- what the clients saw --------------------------------------------------------------------
      const violations: string[] = [];
      const show = (c: Call) =>
        `node ${c.node} ${c.action} t+${c.start - cutAt}..${c.end - cutAt} ms: ${c.ok ? 'ok' : (c.code ?? c.fault)}`;
      for (const c of calls) {
        if (c.end - c.start >= ANSWER_BOUND_MS) violations.push(`slower than ${ANSWER_BOUND_MS} ms: ${show(c)}`);
        if (c.fault) violations.push(`not an API error envelope: ${show(c)}`);
        if (c.start >= cutAt && c.end <= restoreAt && c.ok) violations.push(`succeeded while the database was away: ${show(c)}`);
        if (c.code && OUTAGE_CODES.has(c.code) && (c.end < cutAt || c.start >= recoveredAt[c.node]!)) {
          violations.push(`service error outside the outage: ${show(c)}`);
        }
        if (c.code && !OUTAGE_CODES.has(c.code) && !BUSINESS_CODES.has(c.code)) violations.push(`unexpected code: ${show(c)}`);
        if (c.code && BUSINESS_CODES.has(c.code) && c.start >= cutAt && c.end <= restoreAt) violations.push(`business answer without a database: ${show(c)}`);
      }
      for (const h of healthDuring) {
        if (h.status !== 503) violations.push(`/healthz of node ${h.node} during the outage: ${h.status}`);
        if (h.ms >= ANSWER_BOUND_MS) violations.push(`/healthz of node ${h.node} took ${h.ms} ms`);
      }
      assert.deepEqual(violations.slice(0, 30), [], `${violations.length} violations (first 30 shown)`);
      assert.deepEqual(servers.map((s) => s.pid), pids, 'the nodes are the same processes: nobody restarted them');
      for (const s of servers) assert.equal(s.lastExit, undefined, `a node exited: ${JSON.stringify(s.lastExit)}`);

      const during = calls.filter((c) => c.end >= cutAt && c.start < restoreAt);
      const failedDuring = during.filter((c) => !c.ok);
      const codes: Record<string, number> = {};
      for (const c of failedDuring) codes[c.code!] = (codes[c.code!] ?? 0) + 1;
      assert.ok(failedDuring.length >= 2 * MIN_FAILURES_PER_NODE);

      // ---- settling: every task terminal, nothing half-written ----------------------------------
      const settleStart = Date.now();
      await pollUntil(
        async () => Number((await sqlc.query(`select count(*) as n from tasks where status = 'RUNNING'`)).rows[0].n) === 0,
        { what: 'no task RUNNING in the database', timeoutMs: 40_000, intervalMs: 100 },
      );
      const settleMs = Date.now() - settleStart;
      for (const id of acceptedBeforeCut) {
        const r = await vpcs[0]!.DescribeVpcTaskResult({ TaskId: id });
        assert.notEqual(r.Status, 'RUNNING', `task ${id}, accepted before the cut`);
      }
      const taskRows = (await sqlc.query(`select id, status from tasks where id = any($1)`, [accepted.map((a) => a.taskId)])).rows as { id: string; status: string }[];
      assert.equal(taskRows.length, accepted.length, 'every accepted task is in the database');
      const taskStatus: Record<string, number> = {};
      for (const r of taskRows) taskStatus[r.status] = (taskStatus[r.status] ?? 0) + 1;

      const enis = await listEnis(vpcs[1]!, world.vpcId);
      const byId = new Map<string, Eni>(enis.map((e) => [e.NetworkInterfaceId!, e]));
      for (const c of created) {
        const e = byId.get(c.eniId);
        assert.ok(e, `ENI ${c.eniId}, whose CreateNetworkInterface succeeded, exists`);
        assert.deepEqual(
          e.PrivateIpAddressSet!.map((p) => p.PrivateIpAddress).sort(),
          [...c.addresses].sort(),
          `ENI ${c.eniId} has the addresses its create answered`,
        );
        assert.equal(c.addresses.length, 1 + c.secondary);
      }
      for (const e of enis) {
        assert.equal(e.State, 'AVAILABLE', `ENI ${e.NetworkInterfaceId} is settled`);
        assert.equal(e.PrivateIpAddressSet!.filter((p) => p.Primary).length, 1, `ENI ${e.NetworkInterfaceId} has one primary IP`);
        for (const p of e.PrivateIpAddressSet!) assert.equal(p.State, 'AVAILABLE', `IP ${p.PrivateIpAddress} of ${e.NetworkInterfaceId}`);
      }

      // The same, straight from the rows (every account, every region, not just what Describe shows).
      const q = async (text: string) => (await sqlc.query(text)).rows;
      assert.deepEqual(await q(`select id, state, target_instance_id from enis where state <> 'AVAILABLE' or target_instance_id is not null`), [], 'ENIs not settled');
      assert.deepEqual(await q(`select eni_id, address, state from private_ips where state <> 'AVAILABLE'`), [], 'IPs not settled');
      assert.deepEqual(
        await q(`select e.id, count(p.address) filter (where p.is_primary = 1) as primaries from enis e left join private_ips p on p.eni_id = e.id group by e.id having count(p.address) filter (where p.is_primary = 1) <> 1`),
        [],
        'ENIs without exactly one primary IP',
      );
      assert.deepEqual(await q(`select p.eni_id, p.address from private_ips p left join enis e on e.id = p.eni_id where e.id is null`), [], 'IPs of no ENI');
      assert.deepEqual(
        await q(`select instance_id, device_index, count(*) as n from enis where instance_id is not null group by instance_id, device_index having count(*) > 1`),
        [],
        'two ENIs on one device index',
      );
      const dbEnis = Number((await q(`select count(*) as n from enis where is_primary = 0`))[0].n);

      // Still serving on the same processes after all that.
      for (const node of [0, 1]) await vpcs[node]!.DescribeNetworkInterfaces({ Limit: 1 });
      assert.deepEqual(servers.map((s) => s.pid), pids);

      const failedLatencies = failedDuring.map((c) => c.end - c.start);
      t.diagnostic(
        JSON.stringify({
          requests: calls.length,
          requestsDuringOutage: during.length,
          failedDuringOutage: failedDuring.length,
          codesOfFailuresOverlappingOutage: codes,
          maxFailedLatencyMs: Math.max(...failedLatencies),
          maxLatencyMs: Math.max(...calls.map((c) => c.end - c.start)),
          outageMs: restoreAt - cutAt,
          healthzDuring: healthDuring.length,
          healthzMaxMs: Math.max(...healthDuring.map((h) => h.ms)),
          healthz200AfterMs: healthAfter - restoreAt,
          recoveredAfterMs: recoveredAt.map((r) => r - restoreAt),
          acceptedTasks: accepted.length,
          acceptedBeforeCut: acceptedBeforeCut.length,
          taskStatus,
          settleMs,
          createdOk: created.length,
          secondaryEnisInDb: dbEnis,
          proxy: proxy.stats,
          runtimeMs: Date.now() - testStart,
        }),
      );
    } finally {
      stop = true;
      await load.catch(() => {});
    }
  } catch (e) {
    if (e instanceof Error) {
      for (const [i, s] of servers.entries()) e.message += `\n--- node ${i} output (tail) ---\n${s.logs().slice(-3000)}`;
    }
    throw e;
  } finally {
    proxy?.restore();
    for (const s of servers) await s.stop().catch(() => s.kill9());
    await proxy?.close();
    await sqlc.end().catch(() => {});
    await cleanup();
  }
});
