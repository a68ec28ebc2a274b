// Contract: faults injected at run time through /_eniplane/faults and the CLI, on both stores, seen
// through each dialect's official SDK. A request fault answers in the dialect's own envelope with the
// vendor code given and changes nothing; a task fault accepts the call, fails its task with that
// code and rolls back; counts and hits hold; bad input is 400/404 and adds nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { admin, type Admin } from '../../support/admin.ts';
import { pollUntil } from '../../support/poll.ts';
import { runCli, serverOn, type ServerOn } from '../../support/server.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { expectJdError, jdSession, type JdSession } from '../../support/jdcloud/client.ts';
import { refusedJd } from '../../support/jdcloud/snapshots.ts';
import { getEni as jdGetEni } from '../../support/jdcloud/waits.ts';
import { attach as jdAttach, createEni as jdCreateEni, createInstances as jdCreateInstances, createSubnet as jdCreateSubnet, createVpc as jdCreateVpc } from '../../support/jdcloud/world.ts';
import { expect2, ok2, session2, type Session2 } from '../../support/tencent2/client.ts';
import { unchanged } from '../../support/tencent2/snapshots.ts';
import { expectTcError, session, type Session } from '../../support/tencent3/client.ts';
import { refused } from '../../support/tencent3/snapshots.ts';
import { getEni, waitTask } from '../../support/tencent3/waits.ts';
import { createEni, createSubnet, createVpc, runInstances } from '../../support/tencent3/world.ts';

for (const kind of STORE_KINDS) {
  describe(`faults at run time (${kind})`, { skip: await skipUnless(kind) }, () => {
    let srv: ServerOn;
    let s: Session;
    let s2: Session2;
    let jd: JdSession;
    let ctl: Admin;
    const net = { vpcId: '', subnetId: '', ins: '' };

    before(async () => {
      srv = await serverOn(kind, { latency: '30' });
      [s, s2, jd] = await Promise.all([session(srv.server), session2(srv.server), jdSession(srv.server)]);
      ctl = admin(srv.server);
      net.vpcId = await createVpc(s, '10.10.0.0/16');
      net.subnetId = await createSubnet(s, net.vpcId, '10.10.1.0/24');
      [net.ins] = (await runInstances(s.cvm, net, 1, 'S5.LARGE8')) as [string];
    });
    after(async () => srv?.stop());

    const add = async (spec: Record<string, unknown>) => {
      const a = await ctl.call('POST', 'faults', spec);
      assert.equal(a.status, 201, JSON.stringify(a.json));
      return a.json as { id: string };
    };

    test('API 3.0: a request fault answers the vendor code once and changes nothing; then calls pass', async () => {
      const eni = await createEni(s, net);
      const f = await add({ stage: 'request', dialect: 'tencent3', action: 'AttachNetworkInterface', probability: 1, count: 1, error: { code: 'InternalError.UnknownError', message: 'injected' } });
      await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: net.ins }), 'InternalError.UnknownError');
      const listed = (await ctl.call('GET', 'faults')).json.faults.find((x: { id: string }) => x.id === f.id);
      assert.deepEqual([listed.hits, listed.count], [1, 1]);
      const { RequestId } = await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: net.ins });
      assert.equal((await waitTask(s.vpc, RequestId!)).Status, 'SUCCESS');
      assert.equal((await ctl.call('DELETE', `faults/${f.id}`)).status, 200);
    });

    test('API 3.0: a task fault accepts the call, fails the task with the code and rolls back', async () => {
      const eni = await createEni(s, net);
      await add({ stage: 'task', operation: 'eni.attach', accountId: s.account.accountId, probability: 1, count: 1, error: { code: 'FailedOperation.Injected', message: 'the attach broke' } });
      const { RequestId } = await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: net.ins });
      const t = await waitTask(s.vpc, RequestId!);
      assert.equal(t.Status, 'FAILED');
      assert.match(t.Output!, /FailedOperation\.Injected: the attach broke/);
      const e = await getEni(s.vpc, eni);
      assert.deepEqual([e!.State, e!.Attachment ?? null], ['AVAILABLE', null], 'rolled back');
      assert.equal((await ctl.call('DELETE', 'faults')).status, 200);
    });

    test('API 2.0 and JD Cloud: the fault in each dialect’s envelope', async () => {
      await add({ stage: 'request', dialect: 'tencent2', action: 'CreateVpc', probability: 1, count: 1, error: { code: 'InternalError.ResourceOpFailed', status: 5100 } });
      const create = () => s2.c.vpc({ Action: 'CreateVpc', vpcName: 'faulty', cidrBlock: '10.11.0.0/16' });
      await unchanged(s2, async () => expect2(await create(), 5100, 'InternalError.ResourceOpFailed'));
      ok2(await create());
      await add({ stage: 'request', provider: 'jdcloud', action: 'createVpc', probability: 1, count: 2, error: { code: 'UNAVAILABLE', message: 'Service unavailable, please retry later' } });
      await refusedJd(jd, () => jd.vpc.createVpc({ vpcName: 'x', addressPrefix: '10.9.0.0/16' }), 503, 'UNAVAILABLE', 'Service unavailable, please retry later');
      await expectJdError(jd.vpc.createVpc({ vpcName: 'y', addressPrefix: '10.9.0.0/16' }), 503, 'UNAVAILABLE');
      assert.ok((await jd.vpc.createVpc({ vpcName: 'z', addressPrefix: '10.9.0.0/16' })).result.vpcId);
      // Another dialect's calls are not hit.
      await add({ stage: 'request', dialect: 'jdcloud', probability: 1, error: { code: 'INTERNAL' } });
      assert.ok((await s.vpc.DescribeVpcs({})).TotalCount! >= 1);
      await ctl.call('DELETE', 'faults');
    });

    test('JD Cloud: a task fault accepts the attach, fails its task with the code and rolls back', async () => {
      const vpcId = await jdCreateVpc(jd, '10.12.0.0/16');
      const subnetId = await jdCreateSubnet(jd, vpcId, '10.12.1.0/24');
      const [instanceId] = (await jdCreateInstances(jd, subnetId)) as [string];
      const port = await jdCreateEni(jd, subnetId);
      await add({ stage: 'task', provider: 'jdcloud', dialect: 'jdcloud', operation: 'eni.attach', probability: 1, count: 1, error: { code: 'INTERNAL', message: 'the underlay broke' } });
      await jd.vm.attachNetworkInterface({ instanceId, networkInterfaceId: port });
      const failed = await pollUntil(
        async () => (await ctl.call('GET', 'tasks?state=FAILED')).json.tasks.find((t: { resourceIds: string[] }) => t.resourceIds.includes(port)),
        { what: 'the JD attach task to fail', timeoutMs: 15_000 },
      );
      assert.deepEqual([failed.operation, failed.errorCode], ['eni.attach', 'INTERNAL']);
      const e = await jdGetEni(jd, port);
      assert.equal(e.instanceId, '', 'rolled back: on no instance');
      // The fault is used up: the next attach goes through.
      assert.equal((await jdAttach(jd, instanceId, port)).instanceId, instanceId);
      assert.equal((await ctl.call('DELETE', 'faults')).status, 200);
    });

    test('bad faults are 400 or 404 and add nothing; the CLI adds, lists and clears', async () => {
      for (const spec of [
        { stage: 'request', probability: 2, error: { code: 'X' } },
        { stage: 'request', probability: 1, count: 0, error: { code: 'X' } },
        { stage: 'request', probability: 1, latencyMs: -1, error: { code: 'X' } },
        { stage: 'later', probability: 1, error: { code: 'X' } },
        { stage: 'request', probability: 1, error: { code: 'bad code!' } },
        { stage: 'task', action: 'AttachNetworkInterface', probability: 1, error: { code: 'X' } },
        { stage: 'request', probability: 1, error: { code: 'X' }, extra: true },
        { stage: 'request', probability: '1', error: { code: 'X' } },
      ]) {
        const a = await ctl.call('POST', 'faults', spec);
        assert.equal(a.status, 400, `${JSON.stringify(spec)} → ${JSON.stringify(a.json)}`);
      }
      assert.equal((await ctl.call('DELETE', 'faults/fault-zzzzzzzz')).status, 404);
      assert.deepEqual((await ctl.call('GET', 'faults')).json.faults, []);

      const env = { ENIPLANE_DATA_DIR: srv.server.dataDir };
      const db = srv.server.db;
      const added = await runCli(['faults', 'add', JSON.stringify({ stage: 'request', dialect: 'tencent3', action: 'DescribeVpcs', probability: 1, count: 1, error: { code: 'RequestLimitExceeded' } }), '--db', db, '--json'], { env });
      assert.equal(added.code, 0, added.stderr);
      // The server re-reads the faults at most every 500 ms.
      await expectTcErrorWithin(s, 'RequestLimitExceeded');
      const list = await runCli(['faults', 'list', '--db', db, '--json'], { env });
      assert.deepEqual(JSON.parse(list.stdout).map((f: { hits: number }) => f.hits), [1]);
      const cleared = await runCli(['faults', 'clear', '--db', db, '--json'], { env });
      assert.deepEqual(JSON.parse(cleared.stdout), { removed: 1 });
    });
  });
}

/** DescribeVpcs fails with `code` within a bounded time (a fault added elsewhere reaches this node). */
async function expectTcErrorWithin(s: Session, code: string): Promise<void> {
  const err = await pollUntil(
    async () => {
      try {
        await s.vpc.DescribeVpcs({});
        return false;
      } catch (e) {
        return e;
      }
    },
    { what: `DescribeVpcs to fail with ${code}`, timeoutMs: 5_000 },
  );
  await expectTcError(Promise.reject(err), code);
}
