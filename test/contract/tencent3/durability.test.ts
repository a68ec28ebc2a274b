// Durability and idempotency of the Tencent API 3.0 surface, on both stores: a restart keeps every
// resource and task with identical ids; a kill -9 with tasks in flight loses none of them and leaves
// nothing transitional; ClientToken does the work once (replay, mismatch, in-progress, concurrent).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startServer, type AccountInfo, type RunningServer, type ServerOptions } from '../../support/server.ts';
import { cvmClient, type CvmClient, errCode, expectTcError, vpcClient, type VpcClient } from '../../support/tencent3/client.ts';
import { describeInstances, listEnis, mustGetEni, waitEniReady, waitTask, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { buildWorld, runInstances, type World } from '../../support/tencent3/world.ts';
import { pollUntil } from '../../support/poll.ts';
import { freshDb, skipUnless, STORE_KINDS, type StoreKind } from '../../support/stores.ts';

interface Env {
  server: RunningServer;
  creds: AccountInfo;
  vpc: VpcClient;
  cvm: CvmClient;
  /** New clients after a restart (the port changes). */
  reconnect(): void;
}

/** A server of the given store kind on a fresh database; stopped and dropped afterwards. */
async function withServer(kind: StoreKind, opts: ServerOptions, fn: (env: Env) => Promise<void>): Promise<void> {
  const { db, cleanup } = await freshDb(kind);
  let server: RunningServer | undefined;
  try {
    server = await startServer({ ...opts, db, rateLimit: 'off' });
    const creds = await server.createAccount();
    const s = server;
    const env: Env = {
      server: s,
      creds,
      vpc: vpcClient(s.port, creds),
      cvm: cvmClient(s.port, creds),
      reconnect() {
        env.vpc = vpcClient(s.port, creds);
        env.cvm = cvmClient(s.port, creds);
      },
    };
    await fn(env);
  } catch (e) {
    if (server && e instanceof Error) e.message += `\n--- server output (tail) ---\n${server.logs().slice(-4000)}`;
    throw e;
  } finally {
    await server?.stop().catch(() => server?.kill9());
    await cleanup();
  }
}

/** Everything Describe shows about a world, in a stable order, for before/after comparison. */
async function snapshot(vpc: VpcClient, cvm: CvmClient, w: World, taskIds: string[]) {
  const sortById = <T>(list: T[], key: (t: T) => string) => [...list].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  const { VpcSet } = await vpc.DescribeVpcs({ VpcIds: [w.vpcId] });
  const { SubnetSet } = await vpc.DescribeSubnets({ Filters: [{ Name: 'vpc-id', Values: [w.vpcId] }] });
  const instances = await describeInstances(cvm, w.instanceIds);
  const enis = await listEnis(vpc, w.vpcId);
  const tasks: Record<string, unknown> = {};
  for (const id of taskIds) {
    const r = await vpc.DescribeVpcTaskResult({ TaskId: id });
    tasks[id] = { Status: r.Status, Output: r.Output, Result: r.Result };
  }
  return {
    vpcs: VpcSet,
    subnets: sortById(SubnetSet!, (s) => s.SubnetId!),
    instances: sortById(instances, (i) => i.InstanceId!),
    enis: sortById(enis, (e) => e.NetworkInterfaceId!),
    tasks,
  };
}

const TRANSITIONAL_ENI = new Set(['PENDING', 'ATTACHING', 'DETACHING', 'DELETING']);

for (const kind of STORE_KINDS) {
  // Each test has its own server and database, so they run side by side.
  describe(`durability and idempotency on ${kind}`, { concurrency: true }, async () => {
    const skip = await skipUnless(kind);

    test('a restart keeps every resource and task, with identical ids', { skip }, async () => {
      await withServer(kind, { latency: '50' }, async (env) => {
        const w = await buildWorld(env.vpc, env.cvm, { count: 2, type: 'S5.LARGE8' });
        const [a, b] = w.instanceIds as [string, string];
        const taskIds: string[] = [];
        const c1 = await env.vpc.CreateNetworkInterface({
          VpcId: w.vpcId,
          SubnetId: w.subnetId,
          NetworkInterfaceName: 'keep-1',
          SecondaryPrivateIpAddressCount: 2,
          Tags: [{ Key: 'k', Value: 'v' }],
        });
        const c2 = await env.vpc.CreateNetworkInterface({ VpcId: w.vpcId, SubnetId: w.subnetId, NetworkInterfaceName: 'keep-2' });
        const e1 = c1.NetworkInterface!.NetworkInterfaceId!;
        const e2 = c2.NetworkInterface!.NetworkInterfaceId!;
        taskIds.push(c1.RequestId!, c2.RequestId!);
        await waitEniReady(env.vpc, e1);
        await waitEniReady(env.vpc, e2);
        const att = await env.vpc.AttachNetworkInterface({ NetworkInterfaceId: e1, InstanceId: a });
        taskIds.push(att.RequestId!);
        await waitTaskSuccess(env.vpc, att.RequestId!);
        const asg = await env.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: e2, SecondaryPrivateIpAddressCount: 3 });
        taskIds.push(asg.RequestId!);
        await waitTaskSuccess(env.vpc, asg.RequestId!);
        const stop = await env.cvm.StopInstances({ InstanceIds: [b] });
        await pollUntil(async () => (await describeInstances(env.cvm, [b]))[0]!.InstanceState === 'STOPPED', { what: 'b stopped' });
        // A failed call leaves no task: an unknown task id must stay unknown after the restart too.
        const refused = await expectTcError(env.vpc.AttachNetworkInterface({ NetworkInterfaceId: e1, InstanceId: b }), 'UnsupportedOperation.AttachmentAlreadyExists');
        assert.ok(refused.requestId);
        await expectTcError(env.vpc.DescribeVpcTaskResult({ TaskId: refused.requestId }), 'ResourceNotFound');

        const before = await snapshot(env.vpc, env.cvm, w, taskIds);
        // Concrete expectations, so that an empty or wrong snapshot cannot compare equal by accident.
        assert.equal(before.vpcs!.length, 1);
        assert.equal(before.subnets.length, 1);
        assert.deepEqual(before.instances.map((i) => i.InstanceState).sort(), ['RUNNING', 'STOPPED']);
        assert.equal(before.instances.find((i) => i.InstanceId === b)!.LatestOperationRequestId, stop.RequestId);
        assert.equal(before.enis.length, 4, 'two primaries and two secondaries');
        const be1 = before.enis.find((e) => e.NetworkInterfaceId === e1)!;
        assert.equal(be1.Attachment!.InstanceId, a);
        assert.equal(be1.PrivateIpAddressSet!.length, 3);
        assert.equal(before.enis.find((e) => e.NetworkInterfaceId === e2)!.PrivateIpAddressSet!.length, 4);
        assert.deepEqual(Object.values(before.tasks).map((t) => (t as { Status: string }).Status), ['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);

        await env.server.restart();
        env.reconnect();

        const after = await snapshot(env.vpc, env.cvm, w, taskIds);
        assert.deepEqual(after, before);
        await expectTcError(env.vpc.DescribeVpcTaskResult({ TaskId: refused.requestId }), 'ResourceNotFound');
        // The restarted node still works on the same state: detach and re-attach e1 elsewhere.
        const det = await env.vpc.DetachNetworkInterface({ NetworkInterfaceId: e1, InstanceId: a });
        await waitTaskSuccess(env.vpc, det.RequestId!);
        const att2 = await env.vpc.AttachNetworkInterface({ NetworkInterfaceId: e1, InstanceId: b });
        await waitTaskSuccess(env.vpc, att2.RequestId!);
        assert.equal((await mustGetEni(env.vpc, e1)).Attachment!.InstanceId, b);
        // New ids never collide with the old ones; addresses are not handed out twice.
        const c3 = await env.vpc.CreateNetworkInterface({ VpcId: w.vpcId, SubnetId: w.subnetId, NetworkInterfaceName: 'keep-3', SecondaryPrivateIpAddressCount: 1 });
        const e3 = await waitEniReady(env.vpc, c3.NetworkInterface!.NetworkInterfaceId!);
        assert.ok(!before.enis.some((e) => e.NetworkInterfaceId === e3.NetworkInterfaceId));
        const oldIps = new Set(before.enis.flatMap((e) => e.PrivateIpAddressSet!.map((p) => p.PrivateIpAddress)));
        for (const p of e3.PrivateIpAddressSet!) assert.ok(!oldIps.has(p.PrivateIpAddress), `${p.PrivateIpAddress} reused`);
      });
    });

    test('kill -9 with tasks in flight: every task finishes after restart, nothing stays transitional', { skip }, async () => {
      await withServer(kind, { latency: '3000' }, async (env) => {
        // Set-up in parallel so that each 3 s latency is paid once.
        const { Vpc } = await env.vpc.CreateVpc({ VpcName: 'crash', CidrBlock: '10.9.0.0/16' });
        const { Subnet } = await env.vpc.CreateSubnet({ VpcId: Vpc!.VpcId!, SubnetName: 'crash', CidrBlock: '10.9.0.0/24', Zone: 'ap-guangzhou-3' });
        const w = { vpcId: Vpc!.VpcId!, subnetId: Subnet!.SubnetId! };
        const net = { VpcId: w.vpcId, SubnetId: w.subnetId };
        const mk = (name: string) => env.vpc.CreateNetworkInterface({ ...net, NetworkInterfaceName: name, SecondaryPrivateIpAddressCount: 1 });
        const [ids, c1, c2] = await Promise.all([runInstances(env.cvm, w, 2, 'S5.LARGE8'), mk('crash-1'), mk('crash-2')]);
        const [a, b] = ids as [string, string];
        const e1 = c1.NetworkInterface!.NetworkInterfaceId!;
        const e2 = c2.NetworkInterface!.NetworkInterfaceId!;
        await waitEniReady(env.vpc, e1);
        await waitEniReady(env.vpc, e2);

        // Several operations accepted and in flight at the moment of the crash.
        const attach = await env.vpc.AttachNetworkInterface({ NetworkInterfaceId: e1, InstanceId: a });
        const assign = await env.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: e2, SecondaryPrivateIpAddressCount: 2 });
        const create = await env.vpc.CreateNetworkInterface({ ...net, NetworkInterfaceName: 'crash-3' });
        const e3 = create.NetworkInterface!.NetworkInterfaceId!;
        const stop = await env.cvm.StopInstances({ InstanceIds: [b] });
        const inFlight = [attach.RequestId!, assign.RequestId!, create.RequestId!];
        for (const id of inFlight) assert.equal((await env.vpc.DescribeVpcTaskResult({ TaskId: id })).Status, 'RUNNING');
        assert.equal((await mustGetEni(env.vpc, e1)).State, 'ATTACHING');
        assert.equal((await describeInstances(env.cvm, [b]))[0]!.InstanceState, 'STOPPING');

        const pidBefore = env.server.pid;
        await env.server.kill9();
        assert.equal(env.server.lastExit?.signal, 'SIGKILL');
        await env.server.restart();
        assert.notEqual(env.server.pid, pidBefore);
        env.reconnect();

        // Still in flight right after the restart (the 3 s have not passed), and still visible.
        assert.equal((await mustGetEni(env.vpc, e1)).Attachment!.InstanceId, a);
        for (const id of inFlight) {
          const r = await waitTask(env.vpc, id, 20_000);
          assert.equal(r.Status, 'SUCCESS', `${id}: ${r.Output}`);
        }
        const attached = await mustGetEni(env.vpc, e1);
        assert.equal(attached.State, 'AVAILABLE');
        assert.equal(attached.NetworkInterfaceState, 'INUSE');
        assert.equal(attached.Attachment!.InstanceId, a);
        const assigned = await mustGetEni(env.vpc, e2);
        assert.equal(assigned.PrivateIpAddressSet!.length, 4);
        assert.ok(assigned.PrivateIpAddressSet!.every((p) => p.State === 'AVAILABLE'));
        assert.equal((await mustGetEni(env.vpc, e3)).State, 'AVAILABLE');
        const [bAfter] = await pollUntil(
          async () => {
            const set = await describeInstances(env.cvm, [b]);
            return set[0]?.InstanceState !== 'STOPPING' ? set : false;
          },
          { what: 'b out of STOPPING', timeoutMs: 20_000 },
        );
        assert.equal(bAfter!.InstanceState, 'STOPPED');
        assert.equal(bAfter!.LatestOperationState, 'SUCCESS');
        assert.equal(bAfter!.LatestOperationRequestId, stop.RequestId);

        // Nothing anywhere is left transitional.
        const enis = await listEnis(env.vpc, w.vpcId);
        assert.equal(enis.length, 5, 'two primaries and three secondaries');
        for (const e of enis) {
          assert.ok(!TRANSITIONAL_ENI.has(e.State!), `${e.NetworkInterfaceId} is ${e.State}`);
          for (const p of e.PrivateIpAddressSet!) assert.equal(p.State, 'AVAILABLE', `${e.NetworkInterfaceId} ${p.PrivateIpAddress}`);
        }
        assert.deepEqual((await describeInstances(env.cvm, [a, b])).map((i) => i.InstanceState).sort(), ['RUNNING', 'STOPPED']);
        // And the recovered node accepts new work on those resources.
        const det = await env.vpc.DetachNetworkInterface({ NetworkInterfaceId: e1, InstanceId: a });
        assert.equal((await env.vpc.DescribeVpcTaskResult({ TaskId: det.RequestId! })).Status, 'RUNNING');
      });
    });

    test('ClientToken: replay, parameter mismatch, in-progress, and Create done once', { skip }, async () => {
      await withServer(kind, { latency: '2000' }, async (env) => {
        const { Vpc } = await env.vpc.CreateVpc({ VpcName: 'tok', CidrBlock: '10.8.0.0/16' });
        const { Subnet } = await env.vpc.CreateSubnet({ VpcId: Vpc!.VpcId!, SubnetName: 'tok', CidrBlock: '10.8.0.0/24', Zone: 'ap-guangzhou-3' });
        const w = { vpcId: Vpc!.VpcId!, subnetId: Subnet!.SubnetId! };
        const net = { VpcId: w.vpcId, SubnetId: w.subnetId };
        const createParams = { ...net, NetworkInterfaceName: 'tok-eni', ClientToken: 'create-token-1' };
        const [a, b] = (await runInstances(env.cvm, w, 2, 'S5.LARGE8')) as [string, string];
        const first = await env.vpc.CreateNetworkInterface(createParams);
        const eniId = first.NetworkInterface!.NetworkInterfaceId!;

        // ---- CreateNetworkInterface with a token ---------------------------------------------------
        // While the first create's task runs, the same token is "still processing".
        await expectTcError(env.vpc.CreateNetworkInterface(createParams), 'UnsupportedOperation.IdempotentProcessing');
        await expectTcError(
          env.vpc.CreateNetworkInterface({ ...createParams, NetworkInterfaceName: 'other-name' }),
          'UnsupportedOperation.IdempotentParameterMismatch',
        );
        await waitTaskSuccess(env.vpc, first.RequestId!);
        const again = await env.vpc.CreateNetworkInterface(createParams);
        assert.equal(again.NetworkInterface!.NetworkInterfaceId, eniId, 'the replay answers with the same ENI');
        assert.equal(again.RequestId, first.RequestId, 'the replay answers with the original RequestId');
        const named = await env.vpc.DescribeNetworkInterfaces({ Filters: [{ Name: 'network-interface-name', Values: ['tok-eni'] }] });
        assert.equal(named.TotalCount, 1, 'one ENI exists');
        assert.equal((await listEnis(env.vpc, w.vpcId)).length, 3, 'two primaries + one secondary');

        // ---- AttachNetworkInterface with a token ---------------------------------------------------
        const token = 'attach-token-1';
        const attach = await env.vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: a, ClientToken: token });
        await expectTcError(
          env.vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: a, ClientToken: token }),
          'UnsupportedOperation.IdempotentProcessing',
        );
        await expectTcError(
          env.vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: b, ClientToken: token }),
          'UnsupportedOperation.IdempotentParameterMismatch',
        );
        await waitTaskSuccess(env.vpc, attach.RequestId!);
        const replay = await env.vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: a, ClientToken: token });
        assert.equal(replay.RequestId, attach.RequestId, 'same RequestId answered for the replay');
        const replay2 = await env.vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: a, ClientToken: token });
        assert.equal(replay2.RequestId, attach.RequestId);
        assert.equal((await env.vpc.DescribeVpcTaskResult({ TaskId: replay.RequestId! })).Status, 'SUCCESS');
        const e = await mustGetEni(env.vpc, eniId);
        assert.equal(e.Attachment!.InstanceId, a);
        assert.equal(e.State, 'AVAILABLE');
        const onA = await env.vpc.DescribeNetworkInterfaces({ Filters: [{ Name: 'attachment.instance-id', Values: [a] }] });
        assert.equal(onA.TotalCount, 2, 'primary + exactly one attachment');
        const onB = await env.vpc.DescribeNetworkInterfaces({ Filters: [{ Name: 'attachment.instance-id', Values: [b] }] });
        assert.equal(onB.TotalCount, 1, 'only its primary');
        // Without a token the same call is a new request and is refused on its merits.
        await expectTcError(env.vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: a }), 'UnsupportedOperation.AttachmentAlreadyExists');
        // Tokens are scoped per action: the attach token is fresh for DetachNetworkInterface.
        const detach = await env.vpc.DetachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: a, ClientToken: token });
        assert.notEqual(detach.RequestId, attach.RequestId);
        assert.equal((await mustGetEni(env.vpc, eniId)).State, 'DETACHING');
        // A token over 64 characters is a parameter error.
        await expectTcError(
          env.vpc.CreateNetworkInterface({ ...net, NetworkInterfaceName: 'long', ClientToken: 'x'.repeat(65) }),
          'InvalidParameterValue',
        );
      });
    });

    test('ClientToken: concurrent CreateNetworkInterface with one token creates one ENI', { skip }, async () => {
      await withServer(kind, { latency: '300' }, async (env) => {
        const { Vpc } = await env.vpc.CreateVpc({ VpcName: 'tok2', CidrBlock: '10.7.0.0/16' });
        const { Subnet } = await env.vpc.CreateSubnet({ VpcId: Vpc!.VpcId!, SubnetName: 'tok2', CidrBlock: '10.7.0.0/24', Zone: 'ap-guangzhou-3' });
        const params = { VpcId: Vpc!.VpcId!, SubnetId: Subnet!.SubnetId!, NetworkInterfaceName: 'race', ClientToken: 'race-token' };
        const results = await Promise.allSettled(Array.from({ length: 10 }, () => env.vpc.CreateNetworkInterface(params)));
        const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const codes = results.flatMap((r) => (r.status === 'rejected' ? [errCode(r.reason) ?? String(r.reason)] : []));
        assert.ok(ok.length >= 1, `at least one create accepted; errors: ${codes.join(', ')}`);
        assert.equal(new Set(ok.map((r) => r.NetworkInterface!.NetworkInterfaceId)).size, 1, 'every success names the same ENI');
        for (const c of codes) assert.equal(c, 'UnsupportedOperation.IdempotentProcessing');
        await waitTaskSuccess(env.vpc, ok[0]!.RequestId!);
        assert.equal((await listEnis(env.vpc, params.VpcId)).length, 1, 'exactly one ENI exists');
      });
    });
  });
}
