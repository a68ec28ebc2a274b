// Contract: API 3.0 (official tencentcloud-sdk-nodejs) and API 2.0 (official qcloudapi-sdk) are two
// views of ONE state, on both stores. Resources made through 3.0 are driven through 2.0 with the same
// ids and back: attach via 2.0 → seen by 3.0; migrate via 3.0 → seen by 2.0; detach via 2.0 → seen
// by 3.0. A 3.0 task has a 2.0 number its own account can poll, and no other account can.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { serverOn } from '../../support/server.ts';
import { capiClients, expect2, ok2, type Qc2Body, session2, type Session2, taskIdOf } from '../../support/tencent2/client.ts';
import { holder2, mustEni2, waitTask2 } from '../../support/tencent2/waits.ts';
import { ZONE3_ID } from '../../support/tencent2/world.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { mustGetEni, waitEniReady, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { buildWorld, type World } from '../../support/tencent3/world.ts';

for (const kind of STORE_KINDS) {
  describe(`3.0 ⇄ 2.0 on one state, ${kind}`, async () => {
    const skip = await skipUnless(kind);
    let stop: (() => Promise<void>) | undefined;
    let s: Session2;
    let other: Session2;
    let w: World;
    let eni = '';

    before(async () => {
      if (skip) return;
      const srv = await serverOn(kind, { latency: '30' });
      stop = srv.stop;
      [s, other] = await Promise.all([session2(srv.server), session2(srv.server)]);
      // Everything below is made through API 3.0 only.
      w = await buildWorld(s.vpc3, s.cvm3, { count: 2, type: 'S5.LARGE8', cidrOctet: 70 });
      const made = await s.vpc3.CreateNetworkInterface({
        VpcId: w.vpcId,
        SubnetId: w.subnetId,
        NetworkInterfaceName: 'from-3.0',
        NetworkInterfaceDescription: 'made by tencentcloud-sdk-nodejs',
        SecondaryPrivateIpAddressCount: 1,
      });
      eni = made.NetworkInterface!.NetworkInterfaceId!;
      await waitEniReady(s.vpc3, eni);
    });

    after(async () => {
      await stop?.();
    });

    test('3.0-made VPC, subnet, instances and ENI look the same through 2.0', { skip, timeout: 20_000 }, async () => {
      const e3 = await mustGetEni(s.vpc3, eni);
      const e2 = await mustEni2(s, eni);
      assert.deepEqual(
        {
          networkInterfaceId: e2.networkInterfaceId,
          vpcId: e2.vpcId,
          subnetId: e2.subnetId,
          zoneId: e2.zoneId,
          eniName: e2.eniName,
          eniDescription: e2.eniDescription,
          macAddress: e2.macAddress,
          primary: e2.primary,
          ips: (e2.privateIpAddressesSet as Qc2Body[]).map((p) => [p.privateIpAddress, p.primary]).sort(),
          instanceSet: e2.instanceSet,
        },
        {
          networkInterfaceId: e3.NetworkInterfaceId,
          vpcId: w.vpcId,
          subnetId: w.subnetId,
          zoneId: ZONE3_ID, // e3.Zone === 'ap-guangzhou-3'
          eniName: e3.NetworkInterfaceName,
          eniDescription: e3.NetworkInterfaceDescription,
          macAddress: e3.MacAddress,
          primary: false,
          ips: e3.PrivateIpAddressSet!.map((p) => [p.PrivateIpAddress, p.Primary]).sort(),
          instanceSet: { instanceId: '', attachTime: '' },
        },
      );
      assert.equal(e3.Zone, 'ap-guangzhou-3');
      const vx = ok2(await s.c.vpc({ Action: 'DescribeVpcEx', vpcId: w.vpcId }));
      assert.deepEqual(
        vx.data.map((v: Qc2Body) => [v.unVpcId, v.vpcName, v.cidrBlock]),
        [[w.vpcId, 'ct-vpc', '10.70.0.0/16']],
      );
      const sx = ok2(await s.c.vpc({ Action: 'DescribeSubnetEx', subnetId: w.subnetId }));
      assert.deepEqual(
        sx.data.map((x: Qc2Body) => [x.unSubnetId, x.unVpcId, x.cidrBlock, x.zoneId]),
        [[w.subnetId, w.vpcId, '10.70.0.0/20', ZONE3_ID]],
      );
      const { InstanceSet } = await s.cvm3.DescribeInstances({ InstanceIds: w.instanceIds });
      const ins2 = ok2(await s.c.cvm({ Action: 'DescribeInstances', instanceIds: w.instanceIds }));
      const view2 = Object.fromEntries((ins2.instanceSet as Qc2Body[]).map((i) => [i.unInstanceId, [i.lanIp, i.status, i.zoneId, i.unVpcId]]));
      const view3 = Object.fromEntries(InstanceSet!.map((i) => [i.InstanceId, [i.PrivateIpAddresses![0], i.InstanceState === 'RUNNING' ? 2 : -99, ZONE3_ID, i.VirtualPrivateCloud!.VpcId]]));
      assert.deepEqual(view2, view3);
    });

    test('attach via 2.0 → 3.0 sees it; migrate via 3.0 → 2.0 sees it; detach via 2.0 → 3.0 sees it', { skip, timeout: 30_000 }, async () => {
      const [a, b] = w.instanceIds as [string, string];

      // Attach through 2.0, polled by its 2.0 taskId.
      const t = taskIdOf(await s.c.vpc({ Action: 'AttachNetworkInterface', vpcId: w.vpcId, networkInterfaceId: eni, instanceId: a }));
      assert.deepEqual(await waitTask2(s.c.vpc, t), { status: 0 });
      const afterAttach = await mustGetEni(s.vpc3, eni);
      assert.equal(afterAttach.NetworkInterfaceId, eni);
      assert.equal(afterAttach.State, 'AVAILABLE');
      assert.equal(afterAttach.Attachment?.InstanceId, a);
      const onA = await s.vpc3.DescribeNetworkInterfaces({ Filters: [{ Name: 'attachment.instance-id', Values: [a] }] });
      assert.deepEqual(onA.NetworkInterfaceSet!.map((e) => e.NetworkInterfaceId).sort(), [eni, (await primaryOf(a))].sort());

      // Migrate through 3.0 (SourceInstanceId/DestinationInstanceId), seen through 2.0.
      const m = await s.vpc3.MigrateNetworkInterface({ NetworkInterfaceId: eni, SourceInstanceId: a, DestinationInstanceId: b });
      await waitTaskSuccess(s.vpc3, m.RequestId!);
      assert.equal(await holder2(s, eni), b);
      const onB2 = ok2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', instanceId: b }));
      assert.ok((onB2.data.data as Qc2Body[]).some((e) => e.networkInterfaceId === eni && e.primary === false));

      // 2.0 refuses what 3.0 just changed: the ENI is no longer on a.
      expect2(
        await s.c.vpc({ Action: 'DetachNetworkInterface', vpcId: w.vpcId, networkInterfaceId: eni, instanceId: a }),
        4000,
        'InvalidNetworkInterface.NotAttached',
      );

      // Detach through 2.0, seen through 3.0.
      const d = taskIdOf(await s.c.vpc({ Action: 'DetachNetworkInterface', vpcId: w.vpcId, networkInterfaceId: eni, instanceId: b }));
      assert.deepEqual(await waitTask2(s.c.vpc, d), { status: 0 });
      const afterDetach = await mustGetEni(s.vpc3, eni);
      assert.equal(afterDetach.State, 'AVAILABLE');
      assert.ok(!afterDetach.Attachment?.InstanceId, `3.0 shows no attachment: ${JSON.stringify(afterDetach.Attachment)}`);
      assert.deepEqual((await mustEni2(s, eni)).instanceSet, { instanceId: '', attachTime: '' });
    });

    async function primaryOf(instanceId: string): Promise<string> {
      const { NetworkInterfaceSet } = await s.vpc3.DescribeNetworkInterfaces({
        Filters: [
          { Name: 'attachment.instance-id', Values: [instanceId] },
          { Name: 'is-primary', Values: ['true'] },
        ],
      });
      assert.equal(NetworkInterfaceSet!.length, 1);
      return NetworkInterfaceSet![0]!.NetworkInterfaceId!;
    }

    test("a 3.0 task has a 2.0 number its own account can poll and no other account (or region) can see", { skip, timeout: 20_000 }, async () => {
      const [a] = w.instanceIds as [string];
      // Bracket one 3.0 task between two 2.0 tasks: task numbers are allocated in order.
      const t1 = taskIdOf(await s.c.vpc({ Action: 'AssignPrivateIpAddresses', vpcId: w.vpcId, networkInterfaceId: eni, secondaryPrivateIpAddressCount: 1 }));
      assert.deepEqual(await waitTask2(s.c.vpc, t1), { status: 0 });
      const r3 = await s.vpc3.AttachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: a });
      await waitTaskSuccess(s.vpc3, r3.RequestId!);
      const t3 = taskIdOf(await s.c.vpc({ Action: 'AssignPrivateIpAddresses', vpcId: w.vpcId, networkInterfaceId: eni, secondaryPrivateIpAddressCount: 1 }));
      assert.equal(t3, t1 + 2, `exactly one task (the 3.0 attach) lies between ${t1} and ${t3}`);
      const n3 = t1 + 1;
      assert.deepEqual(await waitTask2(s.c.vpc, n3), { status: 0 }, 'the 3.0 attach, polled by its 2.0 number');
      assert.deepEqual(await waitTask2(s.c.vpc, t3), { status: 0 });

      // Another account: neither the 3.0 task nor the 2.0 ones exist for it.
      for (const id of [n3, t1, t3]) {
        const body = expect2(await other.c.vpc({ Action: 'DescribeVpcTaskResult', taskId: id }), 4000, 'InvalidParameter', `task ${id} of another account`);
        assert.equal(body.message, `(taskId) the task ${id} does not exist.`);
      }
      // Tasks are regional: the same account in another region does not see it; 'gz' is the same region.
      const sh = capiClients(s.server.port, s.account, { region: 'ap-shanghai' });
      expect2(await sh.vpc({ Action: 'DescribeVpcTaskResult', taskId: n3 }), 4000, 'InvalidParameter', 'task in another region');
      const gz = capiClients(s.server.port, s.account, { region: 'gz' });
      assert.deepEqual(ok2(await gz.vpc({ Action: 'DescribeVpcTaskResult', taskId: n3 })).data, { status: 0 });
      // And the other account cannot drive the ENI either, even naming the right VPC.
      expect2(
        await other.c.vpc({ Action: 'DetachNetworkInterface', vpcId: w.vpcId, networkInterfaceId: eni, instanceId: a }),
        4000,
        'InvalidVpc.NotFound',
      );
      assert.equal(await holder2(s, eni), a);
    });
  });
}
