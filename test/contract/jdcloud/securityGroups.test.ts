// Contract: JD Cloud networkSecurityGroups through jdcloud-sdk-js, on both stores. A group belongs to
// one VPC; its rules carry JD's protocol numbers, directions and port ranges; ENIs and instances
// may only join groups of their own VPC, at most five; a group bound to an ENI cannot be deleted;
// another account sees nothing. Every refusal changes nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { serverOn, type ServerOn } from '../../support/server.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { expectJdError, jdSession, type JdSession } from '../../support/jdcloud/client.ts';
import { refusedJd } from '../../support/jdcloud/snapshots.ts';
import { getEni, waitStatus } from '../../support/jdcloud/waits.ts';
import { createEni, createInstancesNoWait, createSubnet, createVpc } from '../../support/jdcloud/world.ts';

const INVALID = 'INVALID_ARGUMENT';

for (const kind of STORE_KINDS) {
  describe(`JD Cloud networkSecurityGroups (${kind})`, { skip: await skipUnless(kind) }, () => {
    let srv: ServerOn;
    let a: JdSession;
    let b: JdSession;
    const w = { vpc: '', vpc2: '', sub: '', sub2: '' };

    const group = async (s: JdSession, vpcId: string, name: string): Promise<string> =>
      (await s.vpc.createNetworkSecurityGroup({ vpcId, networkSecurityGroupName: name, description: `${name} group` })).result.networkSecurityGroupId;
    const describe1 = async (s: JdSession, id: string) => (await s.vpc.describeNetworkSecurityGroup({ networkSecurityGroupId: id })).result.networkSecurityGroup;

    before(async () => {
      srv = await serverOn(kind, { latency: '20' });
      [a, b] = await Promise.all([jdSession(srv.server), jdSession(srv.server)]);
      w.vpc = await createVpc(a, '10.60.0.0/16');
      w.vpc2 = await createVpc(a, '10.61.0.0/16');
      w.sub = await createSubnet(a, w.vpc, '10.60.1.0/24');
      w.sub2 = await createSubnet(a, w.vpc2, '10.61.1.0/24');
    });
    after(async () => srv?.stop());

    test('create in a VPC, describe, list with filters, modify; names by JD’s rules', async () => {
      const id = await group(a, w.vpc, 'web_1');
      assert.match(id, /^sg-[a-z0-9]{10}$/);
      const g = await describe1(a, id);
      assert.deepEqual(
        { id: g.networkSecurityGroupId, name: g.networkSecurityGroupName, desc: g.description, vpc: g.vpcId, rules: g.securityGroupRules, type: g.networkSecurityGroupType, enis: g.networkInterfaceIds },
        { id, name: 'web_1', desc: 'web_1 group', vpc: w.vpc, rules: [], type: 'custom', enis: [] },
      );
      assert.match(g.createdTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const byVpc = (await a.vpc.describeNetworkSecurityGroups({ filters: [{ name: 'vpcId', values: [w.vpc] }] })).result;
      assert.ok(byVpc.networkSecurityGroups.some((x) => x.networkSecurityGroupId === id));
      const byName = (await a.vpc.describeNetworkSecurityGroups({ filters: [{ name: 'networkSecurityGroupNames', values: ['web_1'] }] })).result;
      assert.deepEqual(byName.networkSecurityGroups.map((x) => x.networkSecurityGroupId), [id]);
      await a.vpc.modifyNetworkSecurityGroup({ networkSecurityGroupId: id, networkSecurityGroupName: 'web-2' });
      assert.deepEqual([(await describe1(a, id)).networkSecurityGroupName, (await describe1(a, id)).description], ['web-2', 'web_1 group']);

      await refusedJd(a, () => a.vpc.createNetworkSecurityGroup({ vpcId: 'vpc-zzzzzzzzzz', networkSecurityGroupName: 'x' }), 404, 'NOT_FOUND');
      await refusedJd(a, () => a.vpc.createNetworkSecurityGroup({ vpcId: w.vpc, networkSecurityGroupName: 'bad name!' }), 400, INVALID);
      await refusedJd(a, () => a.vpc.createNetworkSecurityGroup({ vpcId: w.vpc, networkSecurityGroupName: 'x'.repeat(33) }), 400, INVALID);
      // Another account: not found, and nothing of a's changes.
      await refusedJd(b, () => b.vpc.describeNetworkSecurityGroup({ networkSecurityGroupId: id }), 404, 'NOT_FOUND', `NetworkSecurityGroup '${id}' not found`, [a]);
      await refusedJd(b, () => b.vpc.deleteNetworkSecurityGroup({ networkSecurityGroupId: id }), 404, 'NOT_FOUND', undefined, [a]);
      assert.equal((await b.vpc.describeNetworkSecurityGroups({})).result.totalCount, 0);
    });

    test('rules: JD protocol numbers, directions and port ranges; modified in place; removed by id', async () => {
      const id = await group(a, w.vpc, 'rules');
      await a.vpc.addNetworkSecurityGroupRules({
        networkSecurityGroupId: id,
        networkSecurityGroupRuleSpecs: [
          { protocol: 6, direction: 0, addressPrefix: '10.0.0.0/8', fromPort: 22, toPort: 22, description: 'ssh' },
          { protocol: 17, direction: 0, addressPrefix: '0.0.0.0/0', fromPort: 1000, toPort: 2000 },
          { protocol: 300, direction: 1, addressPrefix: '0.0.0.0/0' },
          { protocol: 1, direction: 0, addressPrefix: '192.168.0.0/16' },
          { protocol: 6, direction: 1, addressPrefix: '10.1.0.0/16' },
        ],
      });
      let rules = (await describe1(a, id)).securityGroupRules;
      const brief = (r: (typeof rules)[number]) => [r.direction, r.protocol, r.addressPrefix, r.fromPort, r.toPort];
      assert.deepEqual(rules.map(brief), [
        [0, 6, '10.0.0.0/8', 22, 22],
        [0, 17, '0.0.0.0/0', 1000, 2000],
        [0, 1, '192.168.0.0/16', 0, 0],
        [1, 300, '0.0.0.0/0', 0, 0],
        [1, 6, '10.1.0.0/16', 1, 65535],
      ]);
      assert.ok(rules.every((r) => /^sgr-[a-z0-9]{10}$/.test(r.ruleId) && r.ipVersion === 4));
      assert.equal(rules[0]!.description, 'ssh');

      const ssh = rules[0]!.ruleId;
      await a.vpc.modifyNetworkSecurityGroupRules({ networkSecurityGroupId: id, modifySecurityGroupRuleSpecs: [{ ruleId: ssh, fromPort: 2222, toPort: 2222, description: 'ssh moved' }] });
      rules = (await describe1(a, id)).securityGroupRules;
      assert.deepEqual([rules[0]!.ruleId, ...brief(rules[0]!), rules[0]!.description], [ssh, 0, 6, '10.0.0.0/8', 2222, 2222, 'ssh moved']);

      await refusedJd(a, () => a.vpc.addNetworkSecurityGroupRules({ networkSecurityGroupId: id, networkSecurityGroupRuleSpecs: [{ protocol: 47, direction: 0, addressPrefix: '0.0.0.0/0' }] }), 400, INVALID);
      await refusedJd(a, () => a.vpc.addNetworkSecurityGroupRules({ networkSecurityGroupId: id, networkSecurityGroupRuleSpecs: [{ protocol: 6, direction: 2, addressPrefix: '0.0.0.0/0' }] }), 400, INVALID);
      await refusedJd(a, () => a.vpc.addNetworkSecurityGroupRules({ networkSecurityGroupId: id, networkSecurityGroupRuleSpecs: [{ protocol: 6, direction: 0, addressPrefix: '0.0.0.0/0', fromPort: 90, toPort: 80 }] }), 400, INVALID);
      await refusedJd(a, () => a.vpc.addNetworkSecurityGroupRules({ networkSecurityGroupId: id, networkSecurityGroupRuleSpecs: [{ protocol: 6, direction: 0, addressPrefix: 'not-a-cidr', fromPort: 80, toPort: 80 }] }), 400, INVALID);
      await refusedJd(a, () => a.vpc.removeNetworkSecurityGroupRules({ networkSecurityGroupId: id, ruleIds: [ssh, 'sgr-zzzzzzzzzz'] }), 404, 'NOT_FOUND', 'SecurityGroup or SecurityGroupRule not found');
      await refusedJd(a, () => a.vpc.modifyNetworkSecurityGroupRules({ networkSecurityGroupId: id, modifySecurityGroupRuleSpecs: [{ ruleId: 'sgr-zzzzzzzzzz', fromPort: 1 }] }), 404, 'NOT_FOUND');

      await a.vpc.removeNetworkSecurityGroupRules({ networkSecurityGroupId: id, ruleIds: [ssh, rules[4]!.ruleId] });
      assert.deepEqual((await describe1(a, id)).securityGroupRules.map((r) => r.ruleId), [rules[1]!.ruleId, rules[2]!.ruleId, rules[3]!.ruleId]);
    });

    test('ENIs and instances join groups of their own VPC, at most five; a bound group stays', async () => {
      const [g1, g2, other] = [await group(a, w.vpc, 'eni-1'), await group(a, w.vpc, 'eni-2'), await group(a, w.vpc2, 'elsewhere')];
      const more = await Promise.all([1, 2, 3, 4].map((i) => group(a, w.vpc, `more-${i}`)));
      const theirs = await group(b, await createVpc(b, '10.62.0.0/16'), 'theirs');

      await refusedJd(a, () => a.vpc.createNetworkInterface({ subnetId: w.sub, securityGroups: [other] }), 400, INVALID, `SecurityGroup '${other}' not in the same vpc`);
      await refusedJd(a, () => a.vpc.createNetworkInterface({ subnetId: w.sub, securityGroups: ['sg-zzzzzzzzzz'] }), 404, 'NOT_FOUND', "SecurityGroups 'sg-zzzzzzzzzz' not found");
      await refusedJd(a, () => a.vpc.createNetworkInterface({ subnetId: w.sub, securityGroups: [theirs] }), 404, 'NOT_FOUND', `SecurityGroups '${theirs}' not found`, [b]);
      await refusedJd(a, () => a.vpc.createNetworkInterface({ subnetId: w.sub, securityGroups: [g1, g2, ...more] }), 400, INVALID);

      const eni = await createEni(a, w.sub, { securityGroups: [g2, g1] });
      assert.deepEqual((await getEni(a, eni)).networkSecurityGroupIds, [g2, g1]);
      assert.deepEqual((await describe1(a, g1)).networkInterfaceIds, [eni]);
      await refusedJd(a, () => a.vpc.modifyNetworkInterface({ networkInterfaceId: eni, securityGroups: [other] }), 400, INVALID);
      await refusedJd(a, () => a.vpc.deleteNetworkSecurityGroup({ networkSecurityGroupId: g1 }), 400, 'FAILED_PRECONDITION');

      // An instance's primary NIC takes the groups of createInstances.
      await refusedJd(a, () => createInstancesNoWait(a, w.sub, { securityGroups: ['sg-zzzzzzzzzz'] }), 404, 'NOT_FOUND', "SecurityGroups 'sg-zzzzzzzzzz' not found");
      const [ins] = await createInstancesNoWait(a, w.sub, { securityGroups: [g2] });
      const described = (await a.vm.describeInstance({ instanceId: ins! })).result.instance;
      assert.deepEqual(described.primaryNetworkInterface!.networkInterface.securityGroups, [{ groupId: g2, groupName: 'eni-2' }]);

      await a.vpc.modifyNetworkInterface({ networkInterfaceId: eni, securityGroups: [g2] });
      await a.vpc.deleteNetworkSecurityGroup({ networkSecurityGroupId: g1 });
      // A VPC goes only once its groups have gone (the instance settled first: snapshots compare states).
      await waitStatus(a, ins!, 'running');
      const lone = await createVpc(a, '10.63.0.0/16');
      const held = await group(a, lone, 'holds-the-vpc');
      await refusedJd(a, () => a.vpc.deleteVpc({ vpcId: lone }), 400, 'FAILED_PRECONDITION');
      await a.vpc.deleteNetworkSecurityGroup({ networkSecurityGroupId: held });
      await a.vpc.deleteVpc({ vpcId: lone });
      await expectJdError(a.vpc.describeNetworkSecurityGroup({ networkSecurityGroupId: g1 }), 404, 'NOT_FOUND');
    });
  });
}
