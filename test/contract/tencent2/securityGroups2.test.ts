// Contract: API 2.0 security groups on dfw.api.qcloud.com through qcloudapi-sdk (serviceType dfw), on
// both stores: groups made, listed and renamed; their policies replaced and read; an ENI's groups
// replaced by ModifySecurityGroupsOfNetworkInterface and seen by DescribeNetworkInterfaces (2.0)
// and by API 3.0; dfw's own error numbers (7001 no such group, 7000 in use, 9003 malformed); and
// every refusal changes nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { serverOn, type ServerOn } from '../../support/server.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { expect2, ok2, session2, type Qc2Body, type Session2 } from '../../support/tencent2/client.ts';
import { unchanged } from '../../support/tencent2/snapshots.ts';
import { mustEni2 } from '../../support/tencent2/waits.ts';
import { createEni2, createVpc2, ZONE3_ID } from '../../support/tencent2/world.ts';
import { mustGetEni } from '../../support/tencent3/waits.ts';

for (const kind of STORE_KINDS) {
  describe(`API 2.0 security groups (${kind})`, { skip: await skipUnless(kind) }, () => {
    let srv: ServerOn;
    let s: Session2;
    let other: Session2;
    const w = { vpc: '', sub: '', eni: '' };

    const group = async (x: Session2, name: string): Promise<string> => {
      const r = ok2(await x.c.dfw({ Action: 'CreateSecurityGroup', sgName: name, sgRemark: `${name} remark` }), 'CreateSecurityGroup');
      assert.match(r.data.sgId, /^sg-[a-z0-9]{8}$/);
      return r.data.sgId as string;
    };

    before(async () => {
      srv = await serverOn(kind, { latency: '20' });
      [s, other] = await Promise.all([session2(srv.server), session2(srv.server)]);
      const v = await createVpc2(s, '10.80.0.0/16', [{ subnetName: 'main', cidrBlock: '10.80.1.0/24', zoneId: ZONE3_ID }]);
      w.vpc = v.vpcId;
      w.sub = v.subnetIds[0]!;
      w.eni = await createEni2(s, w.vpc, w.sub, 'sg-eni');
    });
    after(async () => srv?.stop());

    test('groups: create, DescribeSecurityGroupEx, ModifySecurityGroupAttributes; another account sees nothing', async () => {
      const id = await group(s, 'legacy');
      let d = ok2(await s.c.dfw({ Action: 'DescribeSecurityGroupEx', sgId: id }));
      assert.deepEqual(
        (d.data.detail as Qc2Body[]).map((g) => [g.sgId, g.sgName, g.sgRemark, g.projectId, g.beAssociateCount]),
        [[id, 'legacy', 'legacy remark', 0, 0]],
      );
      ok2(await s.c.dfw({ Action: 'ModifySecurityGroupAttributes', sgId: id, sgName: 'legacy-2' }));
      d = ok2(await s.c.dfw({ Action: 'DescribeSecurityGroupEx', sgName: 'legacy-2' }));
      assert.equal(d.data.totalNum, 1);
      assert.equal(ok2(await other.c.dfw({ Action: 'DescribeSecurityGroupEx' })).data.totalNum, 0);
      await unchanged(s, async () => expect2(await other.c.dfw({ Action: 'DeleteSecurityGroup', sgId: id }), 7001, 'InvalidSecurityGroup.NotFound'));
      await unchanged(s, async () => expect2(await s.c.dfw({ Action: 'CreateSecurityGroup', sgName: 'x'.repeat(61) }), 9003, 'InvalidParameter'));
    });

    test('policies: ModifySecurityGroupPolicys replaces both lists; DescribeSecurityGroupPolicys reads them', async () => {
      const id = await group(s, 'pol');
      ok2(
        await s.c.dfw({
          Action: 'ModifySecurityGroupPolicys',
          sgId: id,
          ingress: [{ ipProtocol: 'tcp', cidrIp: '10.0.0.0/8', portRange: '22', action: 'ACCEPT', desc: 'ssh' }, { ipProtocol: 'udp', portRange: '53', action: 'DROP' }],
          egress: [{ action: 'ACCEPT' }],
        }),
      );
      const p = ok2(await s.c.dfw({ Action: 'DescribeSecurityGroupPolicys', sgId: id })).data;
      assert.deepEqual(
        (p.ingress as Qc2Body[]).map((x) => [x.index, x.ipProtocol, x.cidrIp, x.portRange, x.action, x.desc]),
        [[0, 'tcp', '10.0.0.0/8', '22', 'ACCEPT', 'ssh'], [1, 'udp', '0.0.0.0/0', '53', 'DROP', '']],
      );
      assert.deepEqual((p.egress as Qc2Body[]).map((x) => [x.ipProtocol, x.portRange]), [['all', 'all']]);
      await unchanged(s, async () => expect2(await s.c.dfw({ Action: 'ModifySecurityGroupPolicys', sgId: id, ingress: [{ ipProtocol: 'tcp', portRange: '99999' }] }), 9003, 'InvalidParameter'));
    });

    test('ENIs: ModifySecurityGroupsOfNetworkInterface replaces an ENI’s groups; the group in use stays', async () => {
      const [g1, g2] = [await group(s, 'eni-a'), await group(s, 'eni-b')];
      ok2(await s.c.dfw({ Action: 'ModifySecurityGroupsOfNetworkInterface', networkInterfaceSet: [{ networkInterfaceId: w.eni, sgIds: [g2, g1] }] }));
      assert.deepEqual(((await mustEni2(s, w.eni)).groupSet as Qc2Body[]).map((g) => [g.sgId, g.sgName]), [[g2, 'eni-b'], [g1, 'eni-a']]);
      assert.deepEqual((await mustGetEni(s.vpc3, w.eni)).GroupSet, [g2, g1]);
      const members = ok2(await s.c.dfw({ Action: 'DescribeNetworkInterfacesOfSecurityGroup', sgId: g1 })).data;
      assert.deepEqual(members, { totalCount: 1, networkInterfaceSet: [{ networkInterfaceId: w.eni }] });
      await unchanged(s, async () => expect2(await s.c.dfw({ Action: 'DeleteSecurityGroup', sgId: g1 }), 7000, 'InvalidSecurityGroup.InUse'));
      await unchanged(s, async () =>
        expect2(await s.c.dfw({ Action: 'ModifySecurityGroupsOfNetworkInterface', networkInterfaceSet: [{ networkInterfaceId: w.eni, sgIds: ['sg-zzzzzzzz'] }] }), 7001, 'InvalidSecurityGroup.NotFound'),
      );
      ok2(await s.c.dfw({ Action: 'ModifySecurityGroupsOfNetworkInterface', networkInterfaceSet: [{ networkInterfaceId: w.eni, sgIds: [g2] }] }));
      ok2(await s.c.dfw({ Action: 'DeleteSecurityGroup', sgId: g1 }));
      assert.equal(ok2(await s.c.dfw({ Action: 'DescribeSecurityGroupEx', sgId: g1 })).data.totalNum, 0);
    });
  });
}
