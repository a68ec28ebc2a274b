// Invariant 6 across the nodes of a region cell: a node killed with -9 while it holds tasks in the
// middle of their data-plane effect loses them to the other node when the lease expires, and every
// one of them completes; a node stopped with SIGTERM drains (or releases) what it holds and exits 0,
// and nothing it held stays leased. The data plane takes 3 s per effect and leases last 1.5 s, so
// "in flight" is a real window, observed in the tasks table itself.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pollUntil } from '../../support/poll.ts';
import { skipUnless } from '../../support/stores.ts';
import { type VpcClient } from '../../support/tencent3/client.ts';
import { holderOf, listEnis, mustGetEni, waitEniReady } from '../../support/tencent3/waits.ts';
import { buildWorld, type World } from '../../support/tencent3/world.ts';
import { ownedBy, taskRows, whilePaused, withCell, type Cell, type TaskRow } from './cellKit.ts';

const NODE_OPTS = { latency: '0', rateLimit: 'off' as const, extraArgs: ['--lease-ms', '1500', '--dataplane-delay', '3000'] };
/** Every effect takes 3 s; world building runs many of them. */
const SLOW = 30_000;

interface Planned {
  taskId: string;
  eniId: string;
  instanceId: string;
}

async function makeWorld(cell: Cell, node: number, enis: number): Promise<World & { enis: string[] }> {
  const vpc = cell.vpc(node);
  const w = await buildWorld(vpc, cell.cvm(node), { count: 6, type: 'S5.MEDIUM4', timeoutMs: SLOW });
  const created = await Promise.all(
    Array.from({ length: enis }, (_, i) => vpc.CreateNetworkInterface({ VpcId: w.vpcId, SubnetId: w.subnetId, NetworkInterfaceName: `fo-${i}` })),
  );
  const ids = created.map((c) => c.NetworkInterface!.NetworkInterfaceId!);
  await Promise.all(ids.map((id) => waitEniReady(vpc, id, SLOW)));
  return { ...w, enis: ids };
}

/** Poll DescribeVpcTaskResult (through `vpc`) until every task is SUCCESS; fail at once on FAILED. */
async function waitAllSuccess(vpc: VpcClient, taskIds: string[], timeoutMs: number, onPoll?: () => Promise<void>): Promise<void> {
  await pollUntil(
    async () => {
      await onPoll?.();
      const results = await Promise.all(taskIds.map(async (id) => [id, await vpc.DescribeVpcTaskResult({ TaskId: id })] as const));
      for (const [id, r] of results) assert.notEqual(r.Status, 'FAILED', `task ${id}: ${r.Output}`);
      return results.every(([, r]) => r.Status === 'SUCCESS');
    },
    { what: `tasks ${taskIds.join(', ')} SUCCESS`, timeoutMs, intervalMs: 100 },
  );
}

async function assertSettled(vpc: VpcClient, vpcId: string): Promise<void> {
  for (const e of await listEnis(vpc, vpcId)) {
    assert.equal(e.State, 'AVAILABLE', `${e.NetworkInterfaceId} is not transitional`);
    for (const ip of e.PrivateIpAddressSet!) assert.equal(ip.State, 'AVAILABLE', `${e.NetworkInterfaceId} ${ip.PrivateIpAddress}`);
  }
}

const describeRows = (rows: TaskRow[]) => rows.map((r) => `${r.id.slice(0, 8)} ${r.kind} ${r.status} owner=${r.lease_owner} attempts=${r.attempts}`).join('; ');

test('kill -9 of a node holding tasks mid-effect: the other node finishes every one', { skip: await skipUnless('postgres'), timeout: 120_000 }, async (t) => {
  await withCell(2, NODE_OPTS, async (cell) => {
    const A = cell.servers[0]!;
    const B = cell.servers[1]!;
    const w = await makeWorld(cell, 1, 4);
    const vpcA = cell.vpc(0);
    const vpcB = cell.vpc(1);

    const aPid = A.pid!;
    const bPid = B.pid!;
    // No task of the world is left for anyone to hold.
    const { rows: busy } = await cell.sql.query("select id from tasks where status = 'RUNNING'");
    assert.deepEqual(busy, []);

    // Through A: four attaches and two create-and-attach, each to its own instance (one operation
    // per instance at a time, invariant 4). B is paused meanwhile, so A is the node that claims them.
    const planned: Planned[] = [];
    const claimed = await whilePaused(B, async () => {
      await Promise.all([
        ...w.enis.map(async (eniId, i) => {
          const r = await vpcA.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: w.instanceIds[i]! });
          planned.push({ taskId: r.RequestId!, eniId, instanceId: w.instanceIds[i]! });
        }),
        ...[4, 5].map(async (i) => {
          const r = await vpcA.CreateAndAttachNetworkInterface({
            VpcId: w.vpcId,
            SubnetId: w.subnetId,
            NetworkInterfaceName: `fo-new-${i}`,
            InstanceId: w.instanceIds[i]!,
          });
          planned.push({ taskId: r.RequestId!, eniId: r.NetworkInterface!.NetworkInterfaceId!, instanceId: w.instanceIds[i]! });
        }),
      ]);
      const ids = planned.map((p) => p.taskId);
      // A holds every one of them in the middle of its 3 s effect.
      return pollUntil(
        async () => {
          const rows = await taskRows(cell.sql, ids);
          return rows.length === ids.length && rows.every((r) => r.status === 'RUNNING' && ownedBy(r.lease_owner, aPid)) ? rows : false;
        },
        { what: `all ${ids.length} tasks leased by node A (pid ${aPid})`, timeoutMs: 2_000, intervalMs: 10 },
      );
    });
    const taskIds = planned.map((p) => p.taskId);
    const heldByA = claimed.filter((r) => ownedBy(r.lease_owner, aPid)).map((r) => r.id);
    t.diagnostic(`A (pid ${aPid}) held ${heldByA.length} of ${taskIds.length} tasks at the kill: ${describeRows(claimed)}`);

    await A.kill9();
    assert.equal(A.lastExit?.signal, 'SIGKILL');

    // B takes over A's tasks once their leases expire (observed in the tasks table) and finishes all.
    const takenOverByB = new Set<string>();
    const killedAt = Date.now();
    await waitAllSuccess(vpcB, taskIds, 30_000, async () => {
      for (const r of await taskRows(cell.sql, heldByA)) if (ownedBy(r.lease_owner, bPid)) takenOverByB.add(r.id);
    });
    t.diagnostic(`all tasks SUCCESS ${Date.now() - killedAt} ms after the kill; B seen holding ${takenOverByB.size} of A's`);
    assert.ok(takenOverByB.size >= 1, `node B (pid ${bPid}) was seen holding at least one of A's tasks`);

    const finalRows = await taskRows(cell.sql, taskIds);
    for (const r of finalRows) {
      assert.equal(r.status, 'SUCCESS', `task ${r.id}`);
      assert.notEqual(r.finished_at, null, `task ${r.id} has finished_at`);
      assert.equal(r.lease_owner, null, `task ${r.id} lease freed`);
      assert.equal(r.lease_expires_at, null, `task ${r.id} lease expiry cleared`);
    }
    // A never finished what it held (it died mid-effect): each was claimed again, by B.
    for (const id of heldByA) {
      const r = finalRows.find((x) => x.id === id)!;
      assert.ok(r.attempts >= 2, `task ${id} that A held was claimed again after the kill (attempts ${r.attempts})`);
    }
    const { rows: leased } = await cell.sql.query('select id from tasks where lease_owner is not null or status = $1', ['RUNNING']);
    assert.deepEqual(leased, [], 'no task RUNNING or leased anywhere in the cell');

    // The ENIs are where the requests put them, settled; nothing is transitional.
    for (const p of planned) {
      const e = await mustGetEni(vpcB, p.eniId);
      assert.equal(holderOf(e), p.instanceId, `${p.eniId} attached to ${p.instanceId}`);
      assert.equal(e.State, 'AVAILABLE');
      assert.equal(e.NetworkInterfaceState, 'INUSE');
    }
    await assertSettled(vpcB, w.vpcId);
  });
});

test('SIGTERM of a node holding tasks: it exits 0, keeps no lease, and every task completes', { skip: await skipUnless('postgres'), timeout: 120_000 }, async (t) => {
  await withCell(2, NODE_OPTS, async (cell) => {
    const B = cell.servers[0]!;
    const B2 = cell.servers[1]!;
    const w = await makeWorld(cell, 0, 4);
    const vpcB = cell.vpc(0);
    const vpcB2 = cell.vpc(1);

    // Attach the four ENIs (settled), then detach them through B2 so that B2 holds the detaches.
    const attaches = await Promise.all(w.enis.map((eniId, i) => vpcB.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: w.instanceIds[i]! })));
    await waitAllSuccess(vpcB, attaches.map((a) => a.RequestId!), SLOW);

    const b2Pid = B2.pid!;
    // B is paused while the work is handed to B2, so B2 is the node that claims it.
    const { claimed, taskIds, createdEni } = await whilePaused(B, async () => {
      const detaches = await Promise.all(w.enis.map((eniId, i) => vpcB2.DetachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: w.instanceIds[i]! })));
      const create = await vpcB2.CreateNetworkInterface({ VpcId: w.vpcId, SubnetId: w.subnetId, NetworkInterfaceName: 'fo-sigterm' });
      const ids = [...detaches.map((d) => d.RequestId!), create.RequestId!];
      const rows = await pollUntil(
        async () => {
          const rows = await taskRows(cell.sql, ids);
          return rows.length === ids.length && rows.every((r) => r.status === 'RUNNING' && ownedBy(r.lease_owner, b2Pid)) ? rows : false;
        },
        { what: `all tasks leased by B2 (pid ${b2Pid})`, timeoutMs: 2_000, intervalMs: 10 },
      );
      return { claimed: rows, taskIds: ids, createdEni: create.NetworkInterface!.NetworkInterfaceId! };
    });
    const heldByB2 = claimed.filter((r) => ownedBy(r.lease_owner, b2Pid)).map((r) => r.id);
    t.diagnostic(`B2 (pid ${b2Pid}) held ${heldByB2.length} of ${taskIds.length} at SIGTERM: ${describeRows(claimed)}`);

    const stopping = Date.now();
    await B2.stop();
    const stopMs = Date.now() - stopping;
    t.diagnostic(`B2 exited ${JSON.stringify(B2.lastExit)} after ${stopMs} ms`);
    assert.deepEqual(B2.lastExit, { code: 0, signal: null }, 'SIGTERM ends the node cleanly');
    // It may finish what it holds (3 s effects) but not take much longer than that.
    assert.ok(stopMs < 8_000, `B2 took ${stopMs} ms to stop`);

    // Nothing of B2's is left leased: each task it held is finished, or released for others.
    const { rows: stillB2 } = await cell.sql.query<{ id: string }>('select id from tasks where lease_owner like $1', [`%-${b2Pid}-%`]);
    assert.deepEqual(stillB2, [], 'no task keeps a lease of the stopped node');
    const after = await taskRows(cell.sql, heldByB2);
    for (const r of after) {
      assert.ok(r.status === 'SUCCESS' || (r.status === 'RUNNING' && !ownedBy(r.lease_owner, b2Pid)), `task ${r.id}: ${r.status} owner ${r.lease_owner}`);
      if (r.status === 'SUCCESS') assert.notEqual(r.finished_at, null);
    }
    t.diagnostic(`after SIGTERM: ${describeRows(after)}`);

    // B completes whatever remains.
    await waitAllSuccess(vpcB, taskIds, 30_000);
    const { rows: leased } = await cell.sql.query('select id from tasks where lease_owner is not null or status = $1', ['RUNNING']);
    assert.deepEqual(leased, [], 'no task RUNNING or leased anywhere in the cell');
    for (const eniId of w.enis) {
      const e = await mustGetEni(vpcB, eniId);
      assert.equal(holderOf(e), undefined, `${eniId} detached`);
      assert.equal(e.State, 'AVAILABLE');
    }
    await waitEniReady(vpcB, createdEni, 1_000);
    await assertSettled(vpcB, w.vpcId);
  });
});
