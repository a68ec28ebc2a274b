// Contract: the control plane on a two-node cell (one PostgreSQL). Modes, snapshots and held tasks
// live in the store: a snapshot saved through one node, with a task in flight, is restored through
// the other; both nodes' SDK clients then see the old world, and the task completes from there.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admin } from '../../support/admin.ts';
import { pollUntil } from '../../support/poll.ts';
import { startServer, type RunningServer } from '../../support/server.ts';
import { freshDb, skipUnless } from '../../support/stores.ts';
import { session, type Session } from '../../support/tencent3/client.ts';
import { getEni } from '../../support/tencent3/waits.ts';
import { createEni, createSubnet, createVpc, runInstances } from '../../support/tencent3/world.ts';

test('two nodes: a snapshot with a held attach, saved on one, restored on the other, completes again', { skip: await skipUnless('postgres') }, async () => {
  const { db, cleanup } = await freshDb('postgres');
  const nodes: RunningServer[] = [];
  try {
    for (let i = 0; i < 2; i++) nodes.push(await startServer({ db, rateLimit: 'off', latency: '50' }));
    const [a, b] = nodes as [RunningServer, RunningServer];
    const [ctlA, ctlB] = [admin(a), admin(b)];
    const account = await a.createAccount();
    const [sa, sb]: Session[] = [await session(a, {}, account), await session(b, {}, account)];
    const vpcId = await createVpc(sa!, '10.40.0.0/16');
    const subnetId = await createSubnet(sa!, vpcId, '10.40.1.0/24');
    const [ins] = (await runInstances(sa!.cvm, { vpcId, subnetId }, 1, 'S5.LARGE8')) as [string];
    const eni = await createEni(sa!, { vpcId, subnetId });

    // Held through node A (which reads its modes again at once), saved through node B.
    assert.equal((await ctlA.call('PUT', 'transitions', { operation: 'eni.attach', mode: 'manual' })).status, 200);
    const task = (await sa!.vpc.AttachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: ins })).RequestId!;
    assert.equal((await ctlB.call('POST', 'snapshots', { name: 'mid-attach' })).status, 201);
    assert.equal((await ctlA.call('PUT', 'transitions', { operation: 'eni.attach', mode: 'auto' })).status, 200);

    // The world moves on: the attach completes, another VPC appears.
    assert.equal((await ctlA.call('POST', `tasks/${task}/complete`)).status, 200);
    await pollUntil(async () => (await getEni(sb!.vpc, eni))?.State === 'AVAILABLE', { what: 'the attach to complete', timeoutMs: 15_000 });
    const later = await createVpc(sb!, '10.41.0.0/16', 'later');

    // Restored through node B: both nodes see the ENI on its way again, and no later VPC.
    assert.equal((await ctlB.call('POST', 'snapshots/mid-attach/restore')).status, 200);
    for (const s of [sa!, sb!]) {
      assert.equal((await getEni(s.vpc, eni))!.State, 'ATTACHING');
      assert.equal((await s.vpc.DescribeVpcTaskResult({ TaskId: task })).Status, 'RUNNING');
      assert.deepEqual((await s.vpc.DescribeVpcs({ VpcIds: [later] }).catch(() => ({ VpcSet: [] }))).VpcSet, []);
    }
    // Still held, as saved; completed through node B, finished by whichever node's engine takes it.
    const held = (await ctlA.call('GET', 'tasks?state=RUNNING')).json.tasks.find((t: { id: string }) => t.id === task);
    assert.equal(held.held, true);
    assert.equal((await ctlB.call('POST', `tasks/${task}/complete`)).status, 200);
    for (const s of [sa!, sb!]) {
      const done = await pollUntil(async () => {
        const e = await getEni(s.vpc, eni);
        return e?.State === 'AVAILABLE' && e;
      }, { what: 'the restored attach to complete', timeoutMs: 15_000 });
      assert.equal(done.Attachment?.InstanceId, ins);
    }
  } finally {
    for (const n of nodes) await n.stop().catch(() => n.kill9());
    await cleanup();
  }
});
