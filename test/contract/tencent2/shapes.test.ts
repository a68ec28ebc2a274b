// Contract: the 2.0 answer shapes (spec §3) through qcloudapi-sdk, on both stores. Exact 2.0 field
// names (data.totalNum + data.data[] for ENIs, privateIpAddressesSet, instanceSet of empty strings,
// integer zoneId), VPC/subnet listing with paging and order, CreateVpc+subnetSet atomicity,
// CreateSubnet batches, CannotDelete refusals, the private-IP actions, failed tasks (status 1 with
// output.errorCode/errorMsg), and the CVM DescribeInstances / batch Start/StopInstances format.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pollUntil } from '../../support/poll.ts';
import { serverOn } from '../../support/server.ts';
import { expect2, ok2, type Qc2Body, session2, type Session2, taskIdOf } from '../../support/tencent2/client.ts';
import { unchanged } from '../../support/tencent2/snapshots.ts';
import { holder2, mustEni2, primaryEni2, runTask2, waitTask2 } from '../../support/tencent2/waits.ts';
import { createEni2, createVpc2, instances, MISSING_VPC, ZONE3_ID, ZONE4_ID } from '../../support/tencent2/world.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';

const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
const keys = (o: object) => Object.keys(o).sort();

const ENI_FIELDS = [
  'createTime',
  'eniDescription',
  'eniName',
  'flowLogsSet',
  'groupSet',
  'instanceSet',
  'macAddress',
  'networkInterfaceId',
  'primary',
  'privateIpAddressesSet',
  'subnetId',
  'vpcId',
  'vpcName',
  'zoneId',
];
const IP_FIELDS = ['description', 'eipId', 'isWanIpBlocked', 'primary', 'privateIpAddress', 'wanIp'];
const VPC_FIELDS = [
  'vpcId',
  'unVpcId',
  'vpcName',
  'cidrBlock',
  'subnetNum',
  'routeTableNum',
  'vpnGwNum',
  'vpcPeerNum',
  'vpcDeviceNum',
  'classicLinkNum',
  'vpgNum',
  'natNum',
  'createTime',
];
const SUBNET_FIELDS = [
  'vpcId',
  'unVpcId',
  'vpcName',
  'vpcCidrBlock',
  'subnetId',
  'unSubnetId',
  'subnetName',
  'subnetCreateTime',
  'routeTableId',
  'unRouteTableId',
  'routeTableName',
  'cidrBlock',
  'zoneId',
  'zoneIds',
  'vpcDevices',
  'networkAclId',
  'totalIPNum',
  'availableIPNum',
  'broadcast',
];

function hasFields(o: Qc2Body, fields: string[], what: string): void {
  for (const f of fields) assert.ok(f in o, `${what} lacks ${f}: ${JSON.stringify(o)}`);
}

const ipsOf = (e: Qc2Body) => (e.privateIpAddressesSet as Array<{ privateIpAddress: string; primary: boolean }>).map((p) => [p.privateIpAddress, p.primary]);

for (const kind of STORE_KINDS) {
  describe(`API 2.0 shapes on ${kind}`, async () => {
    const skip = await skipUnless(kind);
    const stops: Array<() => Promise<void>> = [];
    let s: Session2; // ENIs, IPs and instances
    let l: Session2; // a second account that only lists VPCs and subnets, so counts are exact
    let f: Session2; // on the server whose every attach fails
    const w = { vpc: '', sub: '', sub4: '', i1: '', i2: '', i3: '', eA: '', eB: '', eSg: '', sg: '' };

    before(async () => {
      if (skip) return;
      const [fast, faulty] = await Promise.all([serverOn(kind, { latency: '30' }), serverOn(kind, { latency: '30', faults: 'attach=1' })]);
      stops.push(fast.stop, faulty.stop);
      [s, l, f] = await Promise.all([session2(fast.server), session2(fast.server), session2(faulty.server)]);
      const v = await createVpc2(s, '10.20.0.0/16', [
        { subnetName: 'main', cidrBlock: '10.20.1.0/24', zoneId: ZONE3_ID },
        { subnetName: 'z4', cidrBlock: '10.20.2.0/24', zoneId: ZONE4_ID },
      ]);
      w.vpc = v.vpcId;
      [w.sub, w.sub4] = v.subnetIds as [string, string];
      // A real group (API 2.0 has no action for one; the 3.0 SDK makes it in the same account).
      w.sg = (await s.vpc3.CreateSecurityGroup({ GroupName: 'web-sg', GroupDescription: 'for gamma' })).SecurityGroup!.SecurityGroupId!;
      const [ins, eA, eB, eSg] = await Promise.all([
        instances(s, w.vpc, w.sub, 3),
        createEni2(s, w.vpc, w.sub, 'alpha', { eniDescription: 'first one' }),
        createEni2(s, w.vpc, w.sub, 'beta'),
        createEni2(s, w.vpc, w.sub, 'gamma', { sgIds: [w.sg], secondaryPrivateIpAddressCount: 2 }),
      ]);
      [w.i1, w.i2, w.i3] = ins as [string, string, string];
      Object.assign(w, { eA, eB, eSg });
    });

    after(async () => {
      for (const stop of stops) await stop();
    });

    test('DescribeNetworkInterfaces: data.totalNum + data.data[], exact 2.0 field names, limit ≤ 50', { skip, timeout: 20_000 }, async () => {
      const r = ok2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', vpcId: w.vpc }));
      assert.deepEqual(keys(r.data), ['data', 'totalNum']);
      assert.equal(r.data.totalNum, 6, '3 created + 3 primary ENIs');
      assert.equal(r.data.data.length, 6);
      const a = r.data.data.find((e: Qc2Body) => e.networkInterfaceId === w.eA) as Qc2Body;
      assert.deepEqual(keys(a), ENI_FIELDS);
      assert.equal(a.vpcId, w.vpc);
      assert.equal(a.subnetId, w.sub);
      assert.equal(a.zoneId, ZONE3_ID);
      assert.ok(Number.isInteger(a.zoneId));
      assert.equal(a.eniName, 'alpha');
      assert.equal(a.eniDescription, 'first one');
      assert.equal(a.vpcName, 'v2-10.20.0.0/16');
      assert.equal(a.primary, false);
      assert.match(a.macAddress, /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
      assert.match(a.createTime, TIME);
      assert.deepEqual(a.flowLogsSet, []);
      assert.deepEqual(a.groupSet, []);
      // Unattached: an object of empty strings, not null and not an array.
      assert.deepEqual(a.instanceSet, { instanceId: '', attachTime: '' });
      assert.equal(a.privateIpAddressesSet.length, 1);
      assert.deepEqual(keys(a.privateIpAddressesSet[0]), IP_FIELDS);
      assert.equal(a.privateIpAddressesSet[0].primary, true);
      assert.match(a.privateIpAddressesSet[0].privateIpAddress, /^10\.20\.1\.\d+$/);
      assert.equal(a.privateIpAddressesSet[0].wanIp, '');
      assert.equal(a.privateIpAddressesSet[0].eipId, '');
      assert.equal('privateIpAddressSet' in a, false, 'the output spells it privateIpAddressesSet');

      const g = r.data.data.find((e: Qc2Body) => e.networkInterfaceId === w.eSg) as Qc2Body;
      assert.deepEqual(
        g.groupSet.map((x: Qc2Body) => [x.sgId, x.sgName, x.projectId]),
        [[w.sg, 'web-sg', 0]],
      );
      hasFields(g.groupSet[0], ['sgId', 'sgName', 'projectId'], 'groupSet item');
      assert.deepEqual(
        g.privateIpAddressesSet.map((p: Qc2Body) => p.primary),
        [true, false, false],
        'the primary address first, then 2 secondaries',
      );
      const p = r.data.data.find((e: Qc2Body) => e.networkInterfaceId === (r.data.data as Qc2Body[]).find((x) => x.primary)!.networkInterfaceId) as Qc2Body;
      assert.match(p.instanceSet.instanceId, /^ins-[0-9a-z]{8}$/);
      assert.match(p.instanceSet.attachTime, TIME);

      // Paging and order.
      const byName = ok2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', vpcId: w.vpc, orderField: 'eniName', orderDirection: 'asc', offset: 1, limit: 2 }));
      assert.equal(byName.data.totalNum, 6);
      assert.deepEqual(
        byName.data.data.map((e: Qc2Body) => e.eniName),
        ['Primary ENI', 'Primary ENI'],
      );
      const first = ok2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', vpcId: w.vpc, orderField: 'eniName', orderDirection: 'desc', limit: 3 }));
      assert.deepEqual(
        first.data.data.map((e: Qc2Body) => e.eniName),
        ['gamma', 'beta', 'alpha'],
      );
      const fuzzy = ok2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', eniName: 'amm' }));
      assert.deepEqual(
        fuzzy.data.data.map((e: Qc2Body) => e.networkInterfaceId),
        [w.eSg],
      );
      assert.equal(ok2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', limit: 50 })).data.totalNum, 6);
      expect2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', limit: 51 }), 4000, 'InvalidParameter', 'limit 51');
      // Device counts agree: the VPC's vpcDeviceNum is the sum of its subnets' vpcDevices (3 instances,
      // each with its primary ENI, + 3 secondary ENIs = 6; an instance is not counted twice).
      const vx = ok2(await s.c.vpc({ Action: 'DescribeVpcEx', vpcId: w.vpc }));
      const sx = ok2(await s.c.vpc({ Action: 'DescribeSubnetEx', vpcId: w.vpc }));
      assert.equal(vx.data[0].vpcDeviceNum, 6, JSON.stringify(vx.data[0]));
      assert.deepEqual(
        Object.fromEntries((sx.data as Qc2Body[]).map((x) => [x.subnetName, x.vpcDevices])),
        { main: 6, z4: 0 },
      );
      expect2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', vpcId: MISSING_VPC }), 4000, 'InvalidVpc.NotFound', 'unknown vpcId');
    });

    test('DescribeVpcEx / DescribeSubnetEx: fields, paging and order; CreateVpc+subnetSet is atomic', { skip, timeout: 20_000 }, async () => {
      const names = ['vb', 'va', 'vc'];
      const made: string[] = [];
      for (const [i, n] of names.entries()) {
        made.push((await createVpc2(l, `10.${30 + i}.0.0/16`, [{ subnetName: `s-${n}`, cidrBlock: `10.${30 + i}.1.0/24`, zoneId: ZONE3_ID }], n)).vpcId);
      }
      const all = ok2(await l.c.vpc({ Action: 'DescribeVpcEx' }));
      assert.equal(all.totalCount, 3);
      // Default order: createTime desc.
      assert.deepEqual(
        all.data.map((v: Qc2Body) => v.vpcId),
        [...made].reverse(),
      );
      const vb = all.data.find((v: Qc2Body) => v.vpcName === 'vb') as Qc2Body;
      hasFields(vb, VPC_FIELDS, 'DescribeVpcEx item');
      assert.deepEqual(
        { vpcId: vb.vpcId, unVpcId: vb.unVpcId, cidrBlock: vb.cidrBlock, subnetNum: vb.subnetNum, vpcDeviceNum: vb.vpcDeviceNum },
        { vpcId: made[0], unVpcId: made[0], cidrBlock: '10.30.0.0/16', subnetNum: 1, vpcDeviceNum: 0 },
      );
      assert.match(vb.createTime, TIME);
      const page = ok2(await l.c.vpc({ Action: 'DescribeVpcEx', orderField: 'vpcName', orderDirection: 'asc', offset: 1, limit: 1 }));
      assert.equal(page.totalCount, 3);
      assert.deepEqual(
        page.data.map((v: Qc2Body) => v.vpcName),
        ['vb'],
      );
      const named = ok2(await l.c.vpc({ Action: 'DescribeVpcEx', vpcName: 'c' }));
      assert.deepEqual(
        named.data.map((v: Qc2Body) => v.vpcId),
        [made[2]],
      );
      // A vpcId matching nothing is an empty list (spec §3.2 unconfirmed; the implementation's choice).
      assert.equal(ok2(await l.c.vpc({ Action: 'DescribeVpcEx', vpcId: MISSING_VPC })).totalCount, 0);

      // CreateSubnet: several at once, all answered.
      const cs = ok2(
        await l.c.vpc({
          Action: 'CreateSubnet',
          vpcId: made[0],
          subnetSet: [
            { subnetName: 'zz', cidrBlock: '10.30.2.0/24', zoneId: ZONE3_ID },
            { subnetName: 'aa', cidrBlock: '10.30.3.0/28', zoneId: ZONE4_ID },
          ],
        }),
      );
      assert.equal(cs.subnetSet.length, 2);
      for (const x of cs.subnetSet as Qc2Body[]) {
        assert.deepEqual(keys(x), ['cidrBlock', 'routeTableId', 'subnetId', 'subnetName', 'unRouteTableId', 'unSubnetId', 'zoneId']);
        assert.match(x.unSubnetId, /^subnet-[0-9a-z]{8}$/);
        assert.equal(x.subnetId, x.unSubnetId);
      }
      assert.deepEqual(
        cs.subnetSet.map((x: Qc2Body) => [x.subnetName, x.cidrBlock, x.zoneId]),
        [
          ['zz', '10.30.2.0/24', ZONE3_ID],
          ['aa', '10.30.3.0/28', ZONE4_ID],
        ],
      );
      const subs = ok2(await l.c.vpc({ Action: 'DescribeSubnetEx', vpcId: made[0], orderField: 'subnetName', orderDirection: 'asc' }));
      assert.equal(subs.totalCount, 3);
      assert.deepEqual(
        subs.data.map((x: Qc2Body) => x.subnetName),
        ['aa', 's-vb', 'zz'],
      );
      const aa = subs.data[0] as Qc2Body;
      hasFields(aa, SUBNET_FIELDS, 'DescribeSubnetEx item');
      assert.deepEqual(
        {
          vpcId: aa.vpcId,
          unVpcId: aa.unVpcId,
          vpcName: aa.vpcName,
          vpcCidrBlock: aa.vpcCidrBlock,
          cidrBlock: aa.cidrBlock,
          zoneId: aa.zoneId,
          zoneIds: aa.zoneIds,
          totalIPNum: aa.totalIPNum,
          broadcast: aa.broadcast,
          vpcDevices: aa.vpcDevices,
        },
        {
          vpcId: made[0],
          unVpcId: made[0],
          vpcName: 'vb',
          vpcCidrBlock: '10.30.0.0/16',
          cidrBlock: '10.30.3.0/28',
          zoneId: ZONE4_ID,
          zoneIds: [ZONE4_ID],
          totalIPNum: 16,
          broadcast: '10.30.3.15',
          vpcDevices: 0,
        },
      );
      assert.ok(Number.isInteger(aa.availableIPNum) && aa.availableIPNum > 0 && aa.availableIPNum < 16, `availableIPNum ${aa.availableIPNum}`);
      assert.match(aa.subnetCreateTime, TIME);
      const paged = ok2(await l.c.vpc({ Action: 'DescribeSubnetEx', orderField: 'subnetName', orderDirection: 'desc', offset: 1, limit: 2 }));
      assert.equal(paged.totalCount, 5);
      assert.deepEqual(
        paged.data.map((x: Qc2Body) => x.subnetName),
        ['s-vc', 's-vb'],
      );
      const inZ4 = ok2(await l.c.vpc({ Action: 'DescribeSubnetEx', zoneIds: [ZONE4_ID] }));
      assert.deepEqual(
        inZ4.data.map((x: Qc2Body) => x.subnetName),
        ['aa'],
      );
      expect2(await l.c.vpc({ Action: 'DescribeSubnetEx', vpcId: MISSING_VPC }), 4000, 'InvalidVpc.NotFound');

      // A bad subnet anywhere in the set: an error and NO VPC (nor subnet) created.
      const bad: Array<[Array<Record<string, unknown>>, string]> = [
        [
          [
            { subnetName: 'ok', cidrBlock: '10.40.1.0/24', zoneId: ZONE3_ID },
            { subnetName: 'overlap', cidrBlock: '10.40.1.128/25', zoneId: ZONE3_ID },
          ],
          'InvalidSubnet.Conflict',
        ],
        [
          [
            { subnetName: 'ok', cidrBlock: '10.40.1.0/24', zoneId: ZONE3_ID },
            { subnetName: 'outside', cidrBlock: '10.41.1.0/24', zoneId: ZONE3_ID },
          ],
          'InvalidSubnetCidr',
        ],
        [[{ subnetName: 'ok', cidrBlock: '10.40.1.0/24', zoneId: ZONE3_ID }, { subnetName: 'nozone', cidrBlock: '10.40.2.0/24', zoneId: 199999 }], 'InvalidZone.NotFound'],
      ];
      for (const [subnetSet, codeDesc] of bad) {
        await unchanged(l, async () => expect2(await l.c.vpc({ Action: 'CreateVpc', vpcName: 'never', cidrBlock: '10.40.0.0/16', subnetSet }), 4000, codeDesc, codeDesc));
      }
      assert.equal(ok2(await l.c.vpc({ Action: 'DescribeVpcEx', vpcName: 'never' })).totalCount, 0);
      // CreateSubnet is atomic as well.
      await unchanged(l, async () =>
        expect2(
          await l.c.vpc({
            Action: 'CreateSubnet',
            vpcId: made[1],
            subnetSet: [
              { subnetName: 'fine', cidrBlock: '10.31.5.0/24', zoneId: ZONE3_ID },
              { subnetName: 'clash', cidrBlock: '10.31.1.0/24', zoneId: ZONE3_ID },
            ],
          }),
          4000,
          'InvalidSubnet.Conflict',
        ),
      );
    });

    test('DeleteSubnet / DeleteVpc: CannotDelete while resources remain, then deleted', { skip, timeout: 20_000 }, async () => {
      const v = await createVpc2(s, '10.50.0.0/16', [
        { subnetName: 'busy', cidrBlock: '10.50.1.0/24', zoneId: ZONE3_ID },
        { subnetName: 'empty', cidrBlock: '10.50.2.0/24', zoneId: ZONE3_ID },
      ]);
      const [busy, empty] = v.subnetIds as [string, string];
      const eni = await createEni2(s, v.vpcId, busy, 'blocker');
      await unchanged(s, async () => expect2(await s.c.vpc({ Action: 'DeleteSubnet', vpcId: v.vpcId, subnetId: busy }), 4000, 'InvalidSubnet.CannotDelete'));
      await unchanged(s, async () => expect2(await s.c.vpc({ Action: 'DeleteVpc', vpcId: v.vpcId }), 4000, 'InvalidVpc.CannotDelete'));
      await unchanged(s, async () => expect2(await s.c.vpc({ Action: 'DeleteSubnet', vpcId: w.vpc, subnetId: empty }), 4000, 'InvalidSubnet.NotFound'));
      await unchanged(s, async () => expect2(await s.c.vpc({ Action: 'DeleteVpc', vpcId: MISSING_VPC }), 4000, 'InvalidVpc.NotFound'));

      const del = ok2(await s.c.vpc({ Action: 'DeleteSubnet', vpcId: v.vpcId, subnetId: empty }));
      assert.equal(del.data, undefined);
      await runTask2(s.c, { Action: 'DeleteNetworkInterface', vpcId: v.vpcId, networkInterfaceId: eni });
      ok2(await s.c.vpc({ Action: 'DeleteSubnet', vpcId: v.vpcId, subnetId: busy }));
      ok2(await s.c.vpc({ Action: 'DeleteVpc', vpcId: v.vpcId }));
      assert.equal(ok2(await s.c.vpc({ Action: 'DescribeVpcEx', vpcId: v.vpcId })).totalCount, 0);
      expect2(await s.c.vpc({ Action: 'DeleteVpc', vpcId: v.vpcId }), 4000, 'InvalidVpc.NotFound');
    });

    test('Assign / Unassign / MigratePrivateIpAddress and their refusals', { skip, timeout: 20_000 }, async () => {
      const A = await mustEni2(s, w.eA);
      const primaryA = A.privateIpAddressesSet[0].privateIpAddress as string;
      await runTask2(s.c, {
        Action: 'AssignPrivateIpAddresses',
        vpcId: w.vpc,
        networkInterfaceId: w.eA,
        privateIpAddressSet: [{ privateIpAddress: '10.20.1.200', primary: false }],
      });
      await runTask2(s.c, { Action: 'AssignPrivateIpAddresses', vpcId: w.vpc, networkInterfaceId: w.eA, secondaryPrivateIpAddressCount: 2 });
      const a2 = await mustEni2(s, w.eA);
      assert.equal(a2.privateIpAddressesSet.length, 4);
      assert.deepEqual(ipsOf(a2)[0], [primaryA, true]);
      assert.ok(
        ipsOf(a2).some(([ip, primary]) => ip === '10.20.1.200' && primary === false),
        JSON.stringify(a2.privateIpAddressesSet),
      );

      // Refusals, each changing nothing.
      await unchanged(s, async () =>
        expect2(
          await s.c.vpc({ Action: 'AssignPrivateIpAddresses', vpcId: w.vpc, networkInterfaceId: w.eB, privateIpAddressSet: [{ privateIpAddress: '10.20.1.200', primary: false }] }),
          4000,
          'InvalidPrivateIpAddress.InUse',
        ),
      );
      await unchanged(s, async () =>
        expect2(await s.c.vpc({ Action: 'UnassignPrivateIpAddresses', vpcId: w.vpc, networkInterfaceId: w.eA, privateIpAddress: [primaryA] }), 4000, 'InvalidPrivateip.IsPrimary'),
      );
      await unchanged(s, async () =>
        expect2(
          await s.c.vpc({ Action: 'MigratePrivateIpAddress', vpcId: w.vpc, privateIpAddress: primaryA, oldNetworkInterfaceId: w.eA, newNetworkInterfaceId: w.eB }),
          4000,
          'InvalidPrivateip.IsPrimary',
        ),
      );
      await unchanged(s, async () =>
        expect2(
          await s.c.vpc({ Action: 'AssignPrivateIpAddresses', vpcId: MISSING_VPC, networkInterfaceId: w.eA, secondaryPrivateIpAddressCount: 1 }),
          4000,
          'InvalidVpc.NotFound',
        ),
      );

      await runTask2(s.c, { Action: 'UnassignPrivateIpAddresses', vpcId: w.vpc, networkInterfaceId: w.eA, privateIpAddress: ['10.20.1.200'] });
      assert.ok(!ipsOf(await mustEni2(s, w.eA)).some(([ip]) => ip === '10.20.1.200'));
      const moving = ipsOf(await mustEni2(s, w.eA)).find(([, primary]) => !primary)![0] as string;
      await runTask2(s.c, { Action: 'MigratePrivateIpAddress', vpcId: w.vpc, privateIpAddress: moving, oldNetworkInterfaceId: w.eA, newNetworkInterfaceId: w.eB });
      assert.ok(!ipsOf(await mustEni2(s, w.eA)).some(([ip]) => ip === moving));
      assert.ok(ipsOf(await mustEni2(s, w.eB)).some(([ip, primary]) => ip === moving && primary === false));
      // The released address is free again: it can be assigned explicitly.
      await runTask2(s.c, { Action: 'AssignPrivateIpAddresses', vpcId: w.vpc, networkInterfaceId: w.eB, privateIpAddressSet: [{ privateIpAddress: '10.20.1.200' }] });
      assert.ok(ipsOf(await mustEni2(s, w.eB)).some(([ip]) => ip === '10.20.1.200'));
    });

    test('DescribeVpcTaskResult: a failed task is status 1 with output.errorCode/errorMsg; an unknown taskId is 4000', { skip, timeout: 20_000 }, async () => {
      const v = await createVpc2(f, '10.60.0.0/16', [{ subnetName: 'f', cidrBlock: '10.60.1.0/24', zoneId: ZONE3_ID }]);
      const sub = v.subnetIds[0]!;
      const [[ins], eni] = await Promise.all([instances(f, v.vpcId, sub, 1), createEni2(f, v.vpcId, sub, 'doomed')]);
      const before = await mustEni2(f, eni);
      const taskId = taskIdOf(await f.c.vpc({ Action: 'AttachNetworkInterface', vpcId: v.vpcId, networkInterfaceId: eni, instanceId: ins }));
      const out = await waitTask2(f.c.vpc, taskId);
      assert.equal(out.status, 1, JSON.stringify(out));
      assert.deepEqual(keys(out.output!), ['errorCode', 'errorMsg']);
      assert.ok(Number.isInteger(out.output!.errorCode) && out.output!.errorCode !== 0, JSON.stringify(out));
      assert.ok(out.output!.errorMsg.length > 0, JSON.stringify(out));
      // Rolled back: the ENI is as it was.
      assert.deepEqual(await mustEni2(f, eni), before);
      assert.equal(await holder2(f, eni), '');

      expect2(await f.c.vpc({ Action: 'DescribeVpcTaskResult', taskId: 987654 }), 4000, 'InvalidParameter', 'unknown taskId');
      expect2(await f.c.vpc({ Action: 'DescribeVpcTaskResult', taskId: 'abc' }), 4000, 'InvalidParameter', 'non-numeric taskId');
      expect2(await f.c.vpc({ Action: 'DescribeVpcTaskResult' }), 4000, 'InvalidParameter', 'no taskId');
      // Another account's task is not visible by its number.
      const other = await session2(f.server);
      expect2(await other.c.vpc({ Action: 'DescribeVpcTaskResult', taskId }), 4000, 'InvalidParameter', "another account's taskId");
    });

    test('CVM DescribeInstances fields; Start/StopInstances batch detail (0 all ok, 5100 all failed, 5400 partial)', { skip, timeout: 25_000 }, async () => {
      const d = ok2(await s.c.cvm({ Action: 'DescribeInstances', instanceIds: [w.i1] }));
      assert.equal(d.totalCount, 1);
      const i = d.instanceSet[0] as Qc2Body;
      hasFields(
        i,
        ['instanceName', 'unInstanceId', 'instanceId', 'lanIp', 'wanIpSet', 'cpu', 'mem', 'status', 'Region', 'createTime', 'zoneId', 'zoneName', 'vpcId', 'subnetId', 'diskInfo'],
        'DescribeInstances item',
      );
      assert.equal(i.unInstanceId, w.i1);
      assert.equal(i.status, 2);
      assert.equal(i.zoneId, ZONE3_ID);
      assert.equal(i.Region, 'ap-guangzhou');
      assert.deepEqual({ cpu: i.cpu, mem: i.mem }, { cpu: 4, mem: 8 });
      assert.ok(Number.isInteger(i.vpcId) && i.vpcId > 0, 'vpcId is a legacy integer, non-zero for a VPC instance');
      assert.ok(Number.isInteger(i.subnetId) && i.subnetId > 0);
      assert.equal(i.unVpcId, w.vpc);
      assert.equal(i.unSubnetId, w.sub);
      // lanIp is the primary address of the primary ENI.
      const primary = await mustEni2(s, await primaryEni2(s, w.i1));
      assert.equal(i.lanIp, primary.privateIpAddressesSet.find((p: Qc2Body) => p.primary).privateIpAddress);
      const byIp = ok2(await s.c.cvm({ Action: 'DescribeInstances', lanIps: [i.lanIp] }));
      assert.deepEqual(
        byIp.instanceSet.map((x: Qc2Body) => x.unInstanceId),
        [w.i1],
      );
      expect2(await s.c.cvm({ Action: 'DescribeInstances', limit: 101 }), 4000, 'InvalidParameter', 'limit 101');

      const statusOf = async (ids: string[]) =>
        Object.fromEntries(
          (ok2(await s.c.cvm({ Action: 'DescribeInstances', instanceIds: ids })).instanceSet as Qc2Body[]).map((x) => [x.unInstanceId, x.status]),
        );
      const waitStatus = (ids: string[], status: number) =>
        pollUntil(async () => Object.values(await statusOf(ids)).every((x) => x === status), { what: `${ids.join(',')} status ${status}` });

      // All succeed → code 0 with a detail per instance.
      const stop = await s.c.cvm({ Action: 'StopInstances', instanceIds: [w.i1, w.i2] });
      assert.equal(stop.code, 0, JSON.stringify(stop));
      assert.deepEqual(keys(stop.detail), [w.i1, w.i2].sort());
      for (const id of [w.i1, w.i2]) {
        assert.equal(stop.detail[id].code, 0);
        assert.equal(typeof stop.detail[id].requestId, 'string');
      }
      await waitStatus([w.i1, w.i2], 4);

      // All fail (already stopped) → 5100.
      const again = await s.c.cvm({ Action: 'StopInstances', instanceIds: [w.i1, w.i2] });
      assert.equal(again.code, 5100, JSON.stringify(again));
      for (const id of [w.i1, w.i2]) {
        assert.equal(again.detail[id].code, 4000, JSON.stringify(again));
        assert.match(again.detail[id].message, /OperationConstraints\.InvaildInstanceStatus/);
      }
      assert.deepEqual(await statusOf([w.i1, w.i2, w.i3]), { [w.i1]: 4, [w.i2]: 4, [w.i3]: 2 }, 'a refused stop changes nothing');

      // Some fail → 5400: i1 starts, i3 (running) cannot.
      const partial = await s.c.cvm({ Action: 'StartInstances', instanceIds: [w.i1, w.i3] });
      assert.equal(partial.code, 5400, JSON.stringify(partial));
      assert.equal(partial.detail[w.i1].code, 0);
      assert.equal(partial.detail[w.i3].code, 4000);
      await waitStatus([w.i1, w.i3], 2);
      assert.equal((await statusOf([w.i2]))[w.i2], 4);

      // An ENI can be attached to a stopped instance (status 4), and the rest stay consistent.
      await runTask2(s.c, { Action: 'AttachNetworkInterface', vpcId: w.vpc, networkInterfaceId: w.eSg, instanceId: w.i2 });
      assert.equal(await holder2(s, w.eSg), w.i2);
      const start = await s.c.cvm({ Action: 'StartInstances', instanceIds: [w.i2] });
      assert.equal(start.code, 0, JSON.stringify(start));
      await waitStatus([w.i2], 2);
      expect2(await s.c.cvm({ Action: 'StartInstances' }), 4000, 'InvalidParameter', 'no instanceIds');
    });
  });
}
