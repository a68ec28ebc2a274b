// Contract: the three seed actions of API 2.0 (spec §4.1–4.3) through the official qcloudapi-sdk, on
// both stores. Attach, Migrate (oldInstanceId/newInstanceId) and Detach run end to end, each polled by
// its integer taskId through DescribeVpcTaskResult (data.status 2 → 0). Every seed error and every
// §4.4 choice answers code 4000 (5100 for ActionLocked) with the exact codeDesc, and changes nothing:
// DescribeNetworkInterfaces/DescribeInstances/DescribeVpcEx/DescribeSubnetEx are deep-equal before/after.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { serverOn } from '../../support/server.ts';
import { expect2, ok2, type Qc2Body, session2, type Session2, taskIdOf } from '../../support/tencent2/client.ts';
import { unchanged } from '../../support/tencent2/snapshots.ts';
import { eni2, holder2, mustEni2, primaryEni2, waitTask2 } from '../../support/tencent2/waits.ts';
import { createEni2, createVpc2, instances, MISSING_ENI, MISSING_INS, MISSING_VPC, ZONE3_ID, ZONE4_ID } from '../../support/tencent2/world.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';

const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

interface Case {
  what: string;
  data: Record<string, unknown>;
  code?: number;
  codeDesc: string;
}

for (const kind of STORE_KINDS) {
  describe(`API 2.0 seed actions on ${kind}`, async () => {
    const skip = await skipUnless(kind);
    const stops: Array<() => Promise<void>> = [];
    let s: Session2;
    let slow: Session2;
    const w = {
      vpc1: '',
      vpc2: '',
      subA: '',
      subZ4: '',
      subV2: '',
      i1: '',
      i2: '',
      i3: '',
      iLim: '', // S5.MEDIUM4: primary + 1 secondary, filled by eLim
      iZ4: '', // zone 4
      iV2: '', // in vpc2
      eMain: '', // driven end to end
      eAtt: '', // attached to i1
      eFree: '',
      eZ4: '',
      eV2: '',
      eV2att: '', // attached to iV2
      eLim: '', // attached to iLim
      p1: '', // primary ENI of i1
    };
    const sw = { vpc: '', sub: '', i1: '', i2: '', e1: '', e2: '', e3: '' };

    before(async () => {
      if (skip) return;
      const [fast, slowSrv] = await Promise.all([serverOn(kind, { latency: '30' }), serverOn(kind, { latency: '2000' })]);
      stops.push(fast.stop, slowSrv.stop);
      [s, slow] = await Promise.all([session2(fast.server), session2(slowSrv.server)]);

      // The slow world is built meanwhile: every step there takes 2 s.
      const slowReady = (async () => {
        const v = await createVpc2(slow, '10.9.0.0/16', [{ subnetName: 'slow', cidrBlock: '10.9.1.0/24', zoneId: ZONE3_ID }]);
        sw.vpc = v.vpcId;
        sw.sub = v.subnetIds[0]!;
        const [ins, e1, e2, e3] = await Promise.all([
          instances(slow, sw.vpc, sw.sub, 2),
          createEni2(slow, sw.vpc, sw.sub, 's1'),
          createEni2(slow, sw.vpc, sw.sub, 's2'),
          createEni2(slow, sw.vpc, sw.sub, 's3'),
        ]);
        [sw.i1, sw.i2] = ins as [string, string];
        Object.assign(sw, { e1, e2, e3 });
      })();

      const v1 = await createVpc2(s, '10.0.0.0/16', [
        { subnetName: 'a', cidrBlock: '10.0.1.0/24', zoneId: ZONE3_ID },
        { subnetName: 'z4', cidrBlock: '10.0.2.0/24', zoneId: ZONE4_ID },
      ]);
      const v2 = await createVpc2(s, '10.1.0.0/16', [{ subnetName: 'v2', cidrBlock: '10.1.1.0/24', zoneId: ZONE3_ID }]);
      w.vpc1 = v1.vpcId;
      [w.subA, w.subZ4] = v1.subnetIds as [string, string];
      w.vpc2 = v2.vpcId;
      w.subV2 = v2.subnetIds[0]!;
      const [ia, [iLim], [iZ4], [iV2], ...enis] = await Promise.all([
        instances(s, w.vpc1, w.subA, 3),
        instances(s, w.vpc1, w.subA, 1, 'S5.MEDIUM4'),
        instances(s, w.vpc1, w.subZ4, 1, 'S5.LARGE8', 'ap-guangzhou-4'),
        instances(s, w.vpc2, w.subV2, 1),
        createEni2(s, w.vpc1, w.subA, 'main'),
        createEni2(s, w.vpc1, w.subA, 'att'),
        createEni2(s, w.vpc1, w.subA, 'free'),
        createEni2(s, w.vpc1, w.subZ4, 'z4'),
        createEni2(s, w.vpc2, w.subV2, 'v2'),
        createEni2(s, w.vpc2, w.subV2, 'v2att'),
        createEni2(s, w.vpc1, w.subA, 'lim'),
      ]);
      [w.i1, w.i2, w.i3] = ia as [string, string, string];
      Object.assign(w, { iLim, iZ4, iV2 });
      [w.eMain, w.eAtt, w.eFree, w.eZ4, w.eV2, w.eV2att, w.eLim] = enis as [string, string, string, string, string, string, string];
      const attach = async (vpcId: string, eni: string, ins: string) => {
        const t = taskIdOf(await s.c.vpc({ Action: 'AttachNetworkInterface', vpcId, networkInterfaceId: eni, instanceId: ins }));
        assert.deepEqual(await waitTask2(s.c.vpc, t), { status: 0 });
      };
      await Promise.all([attach(w.vpc1, w.eAtt, w.i1), attach(w.vpc2, w.eV2att, w.iV2), attach(w.vpc1, w.eLim, w.iLim)]);
      w.p1 = await primaryEni2(s, w.i1);
      await slowReady;
    });

    after(async () => {
      for (const stop of stops) await stop();
    });

    test('Attach → Migrate → Detach end to end, each polled by taskId (status 2 → 0)', { skip, timeout: 30_000 }, async () => {
      const seen: number[] = [];
      const run = async (data: Record<string, unknown>): Promise<number> => {
        const r = ok2(await s.c.vpc(data), String(data.Action));
        const taskId = taskIdOf(r, String(data.Action));
        // The seeds' shape is data.taskId; the top-level mirror is for older clients.
        assert.equal(r.taskId, taskId);
        assert.equal(r.message, '');
        const out = await waitTask2(s.c.vpc, taskId);
        seen.push(out.status);
        assert.deepEqual(out, { status: 0 }, `${String(data.Action)} task ${taskId}`);
        return taskId;
      };
      const before = await mustEni2(s, w.eMain);
      assert.deepEqual(before.instanceSet, { instanceId: '', attachTime: '' });

      const t1 = await run({ Action: 'AttachNetworkInterface', vpcId: w.vpc1, networkInterfaceId: w.eMain, instanceId: w.i2 });
      const attached = await mustEni2(s, w.eMain);
      assert.equal(attached.instanceSet.instanceId, w.i2);
      assert.match(attached.instanceSet.attachTime, TIME);
      const onI2 = ok2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', instanceId: w.i2 }));
      assert.deepEqual(
        (onI2.data.data as Qc2Body[]).map((e) => [e.networkInterfaceId, e.primary]).sort(),
        [[w.eMain, false], [await primaryEni2(s, w.i2), true]].sort(),
      );

      const t2 = await run({ Action: 'MigrateNetworkInterface', vpcId: w.vpc1, networkInterfaceId: w.eMain, oldInstanceId: w.i2, newInstanceId: w.i3 });
      assert.equal(await holder2(s, w.eMain), w.i3);
      const leftI2 = ok2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', instanceId: w.i2 }));
      assert.equal(leftI2.data.totalNum, 1, 'only the primary ENI stays on the old instance');

      const t3 = await run({ Action: 'DetachNetworkInterface', vpcId: w.vpc1, networkInterfaceId: w.eMain, instanceId: w.i3 });
      const detached = await mustEni2(s, w.eMain);
      assert.deepEqual(detached.instanceSet, { instanceId: '', attachTime: '' });
      // Nothing else about the ENI moved: same id, addresses, MAC, VPC and subnet.
      const pick = (e: Qc2Body) => ({ ...e, instanceSet: null });
      assert.deepEqual(pick(detached), pick(before));

      assert.ok(t1 < t2 && t2 < t3, `task ids increase: ${t1}, ${t2}, ${t3}`);
      // A finished task keeps answering 0.
      assert.deepEqual(ok2(await s.c.vpc({ Action: 'DescribeVpcTaskResult', taskId: t1 })).data, { status: 0 });
      assert.deepEqual(seen, [0, 0, 0]);
    });

    test('every seed error: code 4000, the exact codeDesc, and nothing changes', { skip, timeout: 40_000 }, async () => {
      const A = (vpcId: string, eni: string, ins: string) => ({ Action: 'AttachNetworkInterface', vpcId, networkInterfaceId: eni, instanceId: ins });
      const D = (vpcId: string, eni: string, ins: string) => ({ Action: 'DetachNetworkInterface', vpcId, networkInterfaceId: eni, instanceId: ins });
      const M = (vpcId: string, eni: string, oldI: string, newI: string) => ({
        Action: 'MigrateNetworkInterface',
        vpcId,
        networkInterfaceId: eni,
        oldInstanceId: oldI,
        newInstanceId: newI,
      });
      const cases: Case[] = [
        // InvalidVpc.NotFound (seeds): an unknown vpcId wins over everything else.
        { what: 'attach, unknown vpcId', data: A(MISSING_VPC, w.eFree, w.i1), codeDesc: 'InvalidVpc.NotFound' },
        { what: 'detach, unknown vpcId', data: D(MISSING_VPC, w.eAtt, w.i1), codeDesc: 'InvalidVpc.NotFound' },
        { what: 'migrate, unknown vpcId', data: M(MISSING_VPC, w.eAtt, w.i1, w.i2), codeDesc: 'InvalidVpc.NotFound' },
        // InvalidNetworkInterface.NotFound: unknown, or in ANOTHER (existing) vpcId.
        { what: 'attach, unknown ENI', data: A(w.vpc1, MISSING_ENI, w.i1), codeDesc: 'InvalidNetworkInterface.NotFound' },
        { what: 'detach, unknown ENI', data: D(w.vpc1, MISSING_ENI, w.i1), codeDesc: 'InvalidNetworkInterface.NotFound' },
        { what: 'migrate, unknown ENI', data: M(w.vpc1, MISSING_ENI, w.i1, w.i2), codeDesc: 'InvalidNetworkInterface.NotFound' },
        { what: 'attach, ENI of vpc2 named with vpc1', data: A(w.vpc1, w.eV2, w.i1), codeDesc: 'InvalidNetworkInterface.NotFound' },
        { what: 'detach, ENI of vpc2 named with vpc1', data: D(w.vpc1, w.eV2att, w.iV2), codeDesc: 'InvalidNetworkInterface.NotFound' },
        { what: 'migrate, ENI of vpc1 named with vpc2', data: M(w.vpc2, w.eAtt, w.i1, w.i2), codeDesc: 'InvalidNetworkInterface.NotFound' },
        // InvalidInstance.NotFound: each of instanceId / oldInstanceId / newInstanceId.
        { what: 'attach, unknown instanceId', data: A(w.vpc1, w.eFree, MISSING_INS), codeDesc: 'InvalidInstance.NotFound' },
        { what: 'detach, unknown instanceId', data: D(w.vpc1, w.eAtt, MISSING_INS), codeDesc: 'InvalidInstance.NotFound' },
        { what: 'migrate, unknown oldInstanceId', data: M(w.vpc1, w.eAtt, MISSING_INS, w.i2), codeDesc: 'InvalidInstance.NotFound' },
        { what: 'migrate, unknown newInstanceId', data: M(w.vpc1, w.eAtt, w.i1, MISSING_INS), codeDesc: 'InvalidInstance.NotFound' },
        // InvalidNetworkInterface.AlreadyAssociated.
        { what: 'attach an attached ENI to another instance', data: A(w.vpc1, w.eAtt, w.i2), codeDesc: 'InvalidNetworkInterface.AlreadyAssociated' },
        { what: 'attach an attached ENI to its own instance', data: A(w.vpc1, w.eAtt, w.i1), codeDesc: 'InvalidNetworkInterface.AlreadyAssociated' },
        { what: 'migrate with old == new', data: M(w.vpc1, w.eAtt, w.i1, w.i1), codeDesc: 'InvalidNetworkInterface.AlreadyAssociated' },
        { what: 'migrate onto the instance it is already on', data: M(w.vpc1, w.eAtt, w.i2, w.i1), codeDesc: 'InvalidNetworkInterface.AlreadyAssociated' },
        // InvalidNetworkInterface.NotAttached.
        { what: 'detach an unattached ENI', data: D(w.vpc1, w.eFree, w.i1), codeDesc: 'InvalidNetworkInterface.NotAttached' },
        { what: 'detach from the wrong instance', data: D(w.vpc1, w.eAtt, w.i2), codeDesc: 'InvalidNetworkInterface.NotAttached' },
        { what: 'migrate with the wrong oldInstanceId', data: M(w.vpc1, w.eAtt, w.i2, w.i3), codeDesc: 'InvalidNetworkInterface.NotAttached' },
        { what: 'migrate an unattached ENI', data: M(w.vpc1, w.eFree, w.i1, w.i2), codeDesc: 'InvalidNetworkInterface.NotAttached' },
        // §4.4 choices.
        { what: 'attach a primary ENI', data: A(w.vpc1, w.p1, w.i2), codeDesc: 'UnsupportedOperation' },
        { what: 'detach a primary ENI', data: D(w.vpc1, w.p1, w.i1), codeDesc: 'UnsupportedOperation' },
        { what: 'migrate a primary ENI', data: M(w.vpc1, w.p1, w.i1, w.i2), codeDesc: 'UnsupportedOperation' },
        { what: 'attach across zones', data: A(w.vpc1, w.eZ4, w.i1), codeDesc: 'UnsupportedOperation.ZoneMismatch' },
        { what: 'migrate across zones', data: M(w.vpc1, w.eAtt, w.i1, w.iZ4), codeDesc: 'UnsupportedOperation.ZoneMismatch' },
        { what: 'attach to an instance of another VPC', data: A(w.vpc1, w.eFree, w.iV2), codeDesc: 'UnsupportedOperation.VpcMismatch' },
        { what: 'attach beyond the instance ENI limit', data: A(w.vpc1, w.eFree, w.iLim), codeDesc: 'NetworkInterfaceLimitExceeded' },
        { what: 'migrate beyond the target ENI limit', data: M(w.vpc1, w.eAtt, w.i1, w.iLim), codeDesc: 'NetworkInterfaceLimitExceeded' },
        // Parameters come first: a missing one is InvalidParameter.
        { what: 'attach without instanceId', data: { Action: 'AttachNetworkInterface', vpcId: w.vpc1, networkInterfaceId: w.eFree }, codeDesc: 'InvalidParameter' },
        { what: 'migrate without newInstanceId', data: { Action: 'MigrateNetworkInterface', vpcId: w.vpc1, networkInterfaceId: w.eAtt, oldInstanceId: w.i1 }, codeDesc: 'InvalidParameter' },
      ];
      for (const c of cases) {
        await unchanged(s, async () => expect2(await s.c.vpc(c.data), c.code ?? 4000, c.codeDesc, c.what));
      }
      // The fixtures are where the cases assumed them.
      assert.equal(await holder2(s, w.eAtt), w.i1);
      assert.equal(await holder2(s, w.eFree), '');
      assert.equal(await holder2(s, w.eLim), w.iLim);
    });

    test('busy: an instance or ENI with a running task → 5100 ActionLocked, nothing changes, and it clears', { skip, timeout: 30_000 }, async () => {
      const c = slow.c;
      // Attach e1 → i1 (takes 2 s) and assign an IP on e2 (takes 2 s).
      const t1 = taskIdOf(await c.vpc({ Action: 'AttachNetworkInterface', vpcId: sw.vpc, networkInterfaceId: sw.e1, instanceId: sw.i1 }));
      const t2 = taskIdOf(await c.vpc({ Action: 'AssignPrivateIpAddresses', vpcId: sw.vpc, networkInterfaceId: sw.e2, secondaryPrivateIpAddressCount: 1 }));
      assert.deepEqual(ok2(await c.vpc({ Action: 'DescribeVpcTaskResult', taskId: t1 })).data, { status: 2 }, 'attach is still running');
      assert.deepEqual(ok2(await c.vpc({ Action: 'DescribeVpcTaskResult', taskId: t2 })).data, { status: 2 }, 'assign is still running');
      // 2.0 has no transitional ENI state: e1 shows unattached until its task completes.
      assert.deepEqual((await mustEni2(slow, sw.e1)).instanceSet, { instanceId: '', attachTime: '' });

      const view = async () => ({
        e2: await eni2(slow, sw.e2),
        e3: await eni2(slow, sw.e3),
        i2: ok2(await c.cvm({ Action: 'DescribeInstances', instanceIds: [sw.i2] })).instanceSet,
      });
      const before = await view();
      expect2(
        await c.vpc({ Action: 'AttachNetworkInterface', vpcId: sw.vpc, networkInterfaceId: sw.e3, instanceId: sw.i1 }),
        5100,
        'ActionLocked',
        'attach to an instance with a running task',
      );
      expect2(
        await c.vpc({ Action: 'AttachNetworkInterface', vpcId: sw.vpc, networkInterfaceId: sw.e2, instanceId: sw.i2 }),
        5100,
        'ActionLocked',
        'attach an ENI with a running task',
      );
      assert.deepEqual(await view(), before, 'a locked call must change nothing');

      assert.deepEqual(await waitTask2(c.vpc, t1), { status: 0 });
      assert.deepEqual(await waitTask2(c.vpc, t2), { status: 0 });
      assert.equal(await holder2(slow, sw.e1), sw.i1);
      assert.equal((await mustEni2(slow, sw.e2)).privateIpAddressesSet.length, 2);
      // The lock was the running task: the same call now goes through.
      const t3 = taskIdOf(await c.vpc({ Action: 'AttachNetworkInterface', vpcId: sw.vpc, networkInterfaceId: sw.e3, instanceId: sw.i1 }));
      assert.deepEqual(await waitTask2(c.vpc, t3), { status: 0 });
      assert.equal(await holder2(slow, sw.e3), sw.i1);
    });
  });
}
