// Contract: the control plane's events stream (GET /_eniplane/events, server-sent events), the
// `polls` transition mode and task-stage faults matched by provider and dialect, on both stores,
// seen through the official SDKs; and on a two-node cell, a stream on one node sees the changes
// another node made.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { admin, openEvents, type Admin, type EventStream, type StreamedEvent } from '../../support/admin.ts';
import { pollUntil } from '../../support/poll.ts';
import { serverOn, startServer, type ServerOn } from '../../support/server.ts';
import { freshDb, skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { ok2, session2, type Session2 } from '../../support/tencent2/client.ts';
import { session, type Session } from '../../support/tencent3/client.ts';
import { getEni, waitTask, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { createEni, createSubnet, createVpc, runInstances } from '../../support/tencent3/world.ts';

const brief = (e: StreamedEvent) => `${e.data.kind} ${e.data.change} ${e.data.after?.state ?? e.data.after?.status ?? ''}`.trim();

/** Waits (bounded) until the stream has an event matching `pred`, and returns it. */
const waitEvent = (stream: EventStream, what: string, pred: (e: StreamedEvent) => boolean): Promise<StreamedEvent> =>
  pollUntil(async () => stream.events.find(pred), { what, timeoutMs: 15_000 });

for (const kind of STORE_KINDS) {
  describe(`events, polls and task faults by origin (${kind})`, { skip: await skipUnless(kind) }, () => {
    let srv: ServerOn;
    let s: Session;
    let other: Session;
    let s2: Session2;
    let ctl: Admin;
    const net = { vpcId: '', subnetId: '', ins: '' };

    before(async () => {
      srv = await serverOn(kind, { latency: '100' });
      [s, other] = await Promise.all([session(srv.server), session(srv.server)]);
      s2 = await session2(srv.server, s.account);
      ctl = admin(srv.server);
      net.vpcId = await createVpc(s, '10.20.0.0/16');
      net.subnetId = await createSubnet(s, net.vpcId, '10.20.1.0/24');
      [net.ins] = (await runInstances(s.cvm, net, 1, 'S5.LARGE8')) as [string];
    });
    after(async () => srv?.stop());

    test('a client of the stream sees an attach as it happens: the ENI ATTACHING then AVAILABLE on the instance, the task start and end', async () => {
      const eni = await createEni(s, net);
      const all = await openEvents(srv.server);
      const tasksOfOther = await openEvents(srv.server, `kind=task&accountId=${other.account.accountId}`);
      const tasksOnly = await openEvents(srv.server, 'kind=task,world');
      try {
        assert.equal(all.status, 200);
        const { RequestId } = await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: net.ins });
        const done = await waitEvent(all, 'the attach task ending', (e) => e.data.kind === 'task' && e.data.id === RequestId && e.data.change === 'changed');
        const mine = all.events.filter((e) => (e.data.id === eni || e.data.id === RequestId) && e.data.kind !== 'call');
        // The call itself is an event too: its dialect, action and answer.
        const call = await waitEvent(all, 'the attach call', (e) => e.data.kind === 'call' && e.data.id === RequestId);
        assert.deepEqual([call.data.after.dialect, call.data.after.action, call.data.after.code, call.data.after.status, call.data.accountId], ['tencent3', 'AttachNetworkInterface', 'Success', 200, s.account.accountId]);
        assert.ok(Array.isArray(call.data.after.resourceIds) && call.data.after.resourceIds.includes(eni));
        assert.deepEqual(mine.map(brief), ['eni changed ATTACHING', 'task created RUNNING', 'eni changed AVAILABLE', 'task changed SUCCESS']);
        const [attaching, started, available] = mine as [StreamedEvent, StreamedEvent, StreamedEvent];
        assert.deepEqual([attaching.data.before.state, attaching.data.after.targetInstanceId, attaching.data.accountId, attaching.data.region], ['AVAILABLE', net.ins, s.account.accountId, 'ap-guangzhou']);
        assert.deepEqual([available.data.after.instanceId, available.data.after.deviceIndex], [net.ins, 1]);
        assert.deepEqual([started.data.after.operation, Array.isArray(started.data.after.resourceIds) && started.data.after.resourceIds.includes(eni)], ['eni.attach', true]);
        assert.equal(done.data.after.errorCode, null);
        // Numbers grow, times are the server's clock, the cursor never goes back.
        const seqs = all.events.map((e) => e.data.seq);
        assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
        assert.ok(all.events.every((e, i, a) => i === 0 || Number(e.cursor) >= Number(a[i - 1]!.cursor)));
        assert.ok(Math.abs(Date.parse(done.data.at) - Date.now()) < 60_000);
        // Filters: another account's tasks are none of these; kinds keep only what was asked.
        await waitEvent(tasksOnly, 'the attach task on the task stream', (e) => e.data.id === RequestId && e.data.change === 'changed');
        assert.ok(tasksOnly.events.every((e) => e.data.kind === 'task'));
        assert.deepEqual(tasksOfOther.events, []);

        // A client that comes back with its Last-Event-ID gets what happened after it, not before.
        const cursor = all.events.at(-1)!.cursor;
        await s.vpc.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni, NetworkInterfaceName: 'renamed-in-stream' });
        const resumed = await openEvents(srv.server, '', { lastEventId: cursor });
        try {
          const renamed = await waitEvent(resumed, 'the rename after the cursor', (e) => e.data.id === eni && e.data.after?.name === 'renamed-in-stream');
          assert.equal(renamed.data.before.name !== 'renamed-in-stream', true);
          assert.ok(resumed.events.every((e) => e.data.seq > Number(cursor)));
        } finally {
          resumed.close();
        }
        // `since=0` replays what the store keeps: the VPC made before any stream was open.
        const replay = await openEvents(srv.server, 'since=0&kind=vpc');
        try {
          await waitEvent(replay, 'the VPC created before', (e) => e.data.id === net.vpcId && e.data.change === 'created');
        } finally {
          replay.close();
        }
      } finally {
        all.close();
        tasksOfOther.close();
        tasksOnly.close();
      }
    });

    test('a reset is one world event; bad stream requests are 400 or 401 and open nothing', async () => {
      const stream = await openEvents(srv.server, 'kind=world');
      try {
        assert.equal((await ctl.call('POST', 'reset', { accountId: other.account.accountId })).status, 200);
        const reset = await waitEvent(stream, 'the reset', (e) => e.data.kind === 'world');
        assert.deepEqual([reset.data.change, reset.data.id, reset.data.accountId], ['reset', other.account.accountId, other.account.accountId]);
      } finally {
        stream.close();
      }
      for (const [query, message] of [['kind=teleport', /kind/], ['since=yesterday', /since/], ['from=3', /from/]] as const) {
        const bad = await openEvents(srv.server, query);
        assert.equal(bad.status, 400, query);
        assert.match(bad.body.error.message, message);
      }
      const refused = await openEvents(srv.server, '', { token: 'wrong' });
      assert.equal(refused.status, 401);
      // A cursor from another database (beyond the newest event): told once to read the world again.
      const ahead = await openEvents(srv.server, '', { lastEventId: '999999999' });
      try {
        const reset = await waitEvent(ahead, 'the void-picture notice', (e) => e.data.kind === 'world');
        assert.equal(reset.data.change, 'reset');
      } finally {
        ahead.close();
      }
    });

    test('polls mode: an attach stays ATTACHING through N-1 describes and ends after the Nth', async () => {
      const eni = await createEni(s, net);
      for (const [body, message] of [
        [{ operation: 'eni.attach', mode: 'polls' }, /polls/],
        [{ operation: 'eni.attach', mode: 'polls', polls: 0 }, /polls/],
        [{ operation: 'eni.attach', mode: 'polls', polls: 2.5 }, /polls/],
        [{ operation: 'eni.attach', mode: 'manual', polls: 2 }, /polls/],
      ] as const) {
        const a = await ctl.call('PUT', 'transitions', body);
        assert.equal(a.status, 400, JSON.stringify(body));
        assert.match(a.json.error.message, message);
      }
      assert.equal((await ctl.call('PUT', 'transitions', { operation: 'eni.attach', mode: 'polls', polls: 3 })).status, 200);
      assert.deepEqual((await ctl.call('GET', 'transitions')).json.transitions, [{ operation: 'eni.attach', mode: 'polls', polls: 3 }]);
      try {
        const { RequestId } = await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: net.ins });
        const task = (await ctl.call('GET', 'tasks?state=RUNNING')).json.tasks.find((t: { id: string }) => t.id === RequestId);
        assert.deepEqual([task.held, task.pollsLeft], [true, 3]);
        // An auto-mode operation accepted after it, with the same latency, ends first: the latency is past.
        const helper = await createEni(s, net);
        await waitTaskSuccess(s.vpc, (await s.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: helper, SecondaryPrivateIpAddressCount: 1 })).RequestId!);
        // Two describes later, it is still on its way.
        assert.equal((await getEni(s.vpc, eni))!.State, 'ATTACHING');
        assert.equal((await s.vpc.DescribeVpcTaskResult({ TaskId: RequestId! })).Status, 'RUNNING');
        // Another account's describes do not count.
        await other.vpc.DescribeNetworkInterfaces({});
        assert.equal((await ctl.call('GET', 'tasks?state=RUNNING')).json.tasks.find((t: { id: string }) => t.id === RequestId).pollsLeft, 1);
        // The third describe answers as it stands, and lets the task end.
        assert.equal((await getEni(s.vpc, eni))!.State, 'ATTACHING');
        assert.equal((await waitTask(s.vpc, RequestId!)).Status, 'SUCCESS');
        assert.deepEqual([(await getEni(s.vpc, eni))!.State, (await getEni(s.vpc, eni))!.Attachment?.InstanceId], ['AVAILABLE', net.ins]);

        // Switching back to auto ends a task that is still counting.
        assert.equal((await ctl.call('PUT', 'transitions', { operation: 'eni.detach', mode: 'polls', polls: 50 })).status, 200);
        const detach = (await s.vpc.DetachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: net.ins })).RequestId!;
        assert.equal((await s.vpc.DescribeVpcTaskResult({ TaskId: detach })).Status, 'RUNNING');
        assert.equal((await ctl.call('POST', 'snapshots', { name: 'counting' })).status, 201);
        assert.equal((await ctl.call('PUT', 'transitions', { operation: 'eni.detach', mode: 'auto' })).status, 200);
        assert.equal((await waitTask(s.vpc, detach)).Status, 'SUCCESS');
        // Brought back by a snapshot while its operation is no longer in polls mode: it ends all the same.
        assert.equal((await ctl.call('POST', 'snapshots/counting/restore')).status, 200);
        assert.equal((await waitTask(s.vpc, detach)).Status, 'SUCCESS');
        assert.equal((await getEni(s.vpc, eni))!.Attachment ?? null, null);
      } finally {
        await ctl.call('PUT', 'transitions', { operation: 'eni.attach', mode: 'auto' });
        await ctl.call('PUT', 'transitions', { operation: 'eni.detach', mode: 'auto' });
      }
    });

    test('task faults match the provider and dialect that accepted the call', async () => {
      const [e1, e2] = [await createEni(s, net), await createEni(s, net)];
      const f = (await ctl.call('POST', 'faults', { stage: 'task', dialect: 'tencent2', operation: 'eni.attach', probability: 1, error: { code: 'FailedOperation.OnlyV2' } })).json;
      try {
        // An API 3.0 attach is not hit by an API 2.0 fault.
        const { RequestId } = await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: e1, InstanceId: net.ins });
        assert.equal((await waitTask(s.vpc, RequestId!)).Status, 'SUCCESS');
        assert.equal((await ctl.call('GET', 'faults')).json.faults[0].hits, 0);
        // The same attach through API 2.0 is.
        ok2(await s2.c.vpc({ Action: 'AttachNetworkInterface', vpcId: net.vpcId, networkInterfaceId: e2, instanceId: net.ins }));
        await pollUntil(async () => (await ctl.call('GET', 'faults')).json.faults[0].hits === 1, { what: 'the API 2.0 attach hit', timeoutMs: 15_000 });
        await pollUntil(async () => (await getEni(s.vpc, e2))?.State === 'AVAILABLE' && !(await getEni(s.vpc, e2))?.Attachment, { what: 'the attach rolled back', timeoutMs: 15_000 });
        const failed = (await ctl.call('GET', 'tasks?state=FAILED')).json.tasks.at(-1);
        assert.deepEqual([failed.operation, failed.errorCode], ['eni.attach', 'FailedOperation.OnlyV2']);
        // A provider match: every Tencent dialect, no JD Cloud one.
        const byProvider = (await ctl.call('POST', 'faults', { stage: 'task', provider: 'tencent', operation: 'eni.detach', probability: 1, count: 1, error: { code: 'FailedOperation.Tencent' } })).json;
        const detach = (await s.vpc.DetachNetworkInterface({ NetworkInterfaceId: e1, InstanceId: net.ins })).RequestId!;
        const t = await waitTask(s.vpc, detach);
        assert.deepEqual([t.Status, /FailedOperation\.Tencent/.test(t.Output!)], ['FAILED', true]);
        await ctl.call('DELETE', `faults/${byProvider.id}`);
      } finally {
        await ctl.call('DELETE', `faults/${f.id}`);
      }
    });
  });
}

describe('events on a two-node cell', { skip: await skipUnless('postgres') }, () => {
  test('a stream on one node sees the changes made through the other', async () => {
    const { db, cleanup } = await freshDb('postgres');
    const nodes = [await startServer({ db, rateLimit: 'off', latency: '50' }), await startServer({ db, rateLimit: 'off', latency: '50' })];
    try {
      const onA = await openEvents(nodes[0]!, 'kind=vpc,subnet');
      try {
        const s = await session(nodes[1]!);
        const vpcId = await createVpc(s, '10.30.0.0/16');
        const subnetId = await createSubnet(s, vpcId, '10.30.1.0/24');
        await waitEvent(onA, 'the subnet made on node B', (e) => e.data.id === subnetId && e.data.change === 'created');
        assert.deepEqual(onA.events.filter((e) => e.data.id === vpcId || e.data.id === subnetId).map((e) => `${e.data.kind} ${e.data.change}`), ['vpc created', 'subnet created']);
      } finally {
        onA.close();
      }
    } finally {
      for (const n of nodes) await n.stop().catch(() => n.kill9());
      await cleanup();
    }
  });
});
