// Contract: API 3.0 security groups through tencentcloud-sdk-nodejs, on both stores. Groups are real
// resources: created with and without policies, described (ids, filters, paging), renamed, their
// rules added, listed, replaced and removed under the policy version, counted by association, and
// refused for deletion while in use. ENIs and instances may only join groups that exist, are the
// caller's and are at most five; every refusal changes nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { serverOn, type ServerOn } from '../../support/server.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { expectTcError, loose, session, type Session, type VpcModels } from '../../support/tencent3/client.ts';
import { refused } from '../../support/tencent3/snapshots.ts';
import { describeInstances, mustGetEni, primaryEniOf, waitEniReady, waitInstances } from '../../support/tencent3/waits.ts';
import { createEni, createSubnet, createVpc } from '../../support/tencent3/world.ts';

type Policy = VpcModels.SecurityGroupPolicy;

async function createGroup(s: Session, name: string, policies?: VpcModels.SecurityGroupPolicySet): Promise<string> {
  const r = policies
    ? await s.vpc.CreateSecurityGroupWithPolicies({ GroupName: name, GroupDescription: `${name} desc`, SecurityGroupPolicySet: policies })
    : await s.vpc.CreateSecurityGroup({ GroupName: name, GroupDescription: `${name} desc`, Tags: [{ Key: 'team', Value: 'net' }] });
  assert.match(r.SecurityGroup!.SecurityGroupId!, /^sg-[a-z0-9]{8}$/);
  return r.SecurityGroup!.SecurityGroupId!;
}

const policies = async (s: Session, id: string) => (await s.vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: id })).SecurityGroupPolicySet!;
const brief = (p: Policy) => `${p.PolicyIndex}:${p.Protocol}:${p.Port}:${p.CidrBlock || p.SecurityGroupId}:${p.Action}`;

for (const kind of STORE_KINDS) {
  describe(`API 3.0 security groups (${kind})`, { skip: await skipUnless(kind) }, () => {
    let srv: ServerOn;
    let a: Session;
    let b: Session;
    const net = { vpcId: '', subnetId: '' };

    before(async () => {
      srv = await serverOn(kind, { latency: '20' });
      [a, b] = await Promise.all([session(srv.server), session(srv.server)]);
      net.vpcId = await createVpc(a, '10.40.0.0/16');
      net.subnetId = await createSubnet(a, net.vpcId, '10.40.1.0/24');
    });
    after(async () => srv?.stop());

    test('create, describe by id and by filter, modify; the group is the caller’s alone', async () => {
      const id = await createGroup(a, 'web');
      const { SecurityGroupSet, TotalCount } = await a.vpc.DescribeSecurityGroups({ SecurityGroupIds: [id] });
      assert.equal(TotalCount, 1);
      const g = SecurityGroupSet![0]!;
      assert.deepEqual(
        { id: g.SecurityGroupId, name: g.SecurityGroupName, desc: g.SecurityGroupDesc, project: g.ProjectId, isDefault: g.IsDefault, tags: g.TagSet },
        { id, name: 'web', desc: 'web desc', project: '0', isDefault: false, tags: [{ Key: 'team', Value: 'net' }] },
      );
      assert.match(g.CreatedTime!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      const byName = await a.vpc.DescribeSecurityGroups({ Filters: [{ Name: 'security-group-name', Values: ['web'] }] });
      assert.deepEqual(byName.SecurityGroupSet!.map((x) => x.SecurityGroupId), [id]);
      const byTag = await a.vpc.DescribeSecurityGroups({ Filters: [{ Name: 'tag:team', Values: ['net'] }] });
      assert.ok(byTag.SecurityGroupSet!.some((x) => x.SecurityGroupId === id));
      await a.vpc.ModifySecurityGroupAttribute({ SecurityGroupId: id, GroupName: 'web-2', GroupDescription: 'renamed' });
      const after = (await a.vpc.DescribeSecurityGroups({ SecurityGroupIds: [id] })).SecurityGroupSet![0]!;
      assert.deepEqual([after.SecurityGroupName, after.SecurityGroupDesc], ['web-2', 'renamed']);
      // Another account sees nothing and can change nothing.
      assert.equal((await b.vpc.DescribeSecurityGroups({ SecurityGroupIds: [id] })).TotalCount, 0);
      await refused(b, () => b.vpc.ModifySecurityGroupAttribute({ SecurityGroupId: id, GroupName: 'pwned' }), 'ResourceNotFound', [a]);
      await refused(b, () => b.vpc.DeleteSecurityGroup({ SecurityGroupId: id }), 'ResourceNotFound', [a]);
      await refused(b, () => b.vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: id }), 'ResourceNotFound', [a]);
      await refused(a, () => a.vpc.DescribeSecurityGroups({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] }), 'InvalidParameter.FilterInvalidKey');
      await refused(a, () => a.vpc.CreateSecurityGroup({ GroupName: 'x'.repeat(61), GroupDescription: 'd' }), 'InvalidParameterValue.TooLong');
      await refused(a, () => a.vpc.CreateSecurityGroup(loose({ GroupName: 'n' })), 'MissingParameter');
    });

    test('policies: with the group, added at an index, replaced, removed by index and by content, under the version', async () => {
      const id = await createGroup(a, 'rules', {
        Ingress: [
          { Protocol: 'TCP', Port: '22', CidrBlock: '10.0.0.0/8', Action: 'ACCEPT', PolicyDescription: 'ssh' },
          { Protocol: 'tcp', Port: '80,443', CidrBlock: '0.0.0.0/0', Action: 'accept' },
        ],
        Egress: [{ Protocol: 'ALL', Port: 'ALL', CidrBlock: '0.0.0.0/0', Action: 'ACCEPT' }],
      });
      let set = await policies(a, id);
      assert.equal(set.Version, '1');
      assert.deepEqual(set.Ingress!.map(brief), ['0:TCP:22:10.0.0.0/8:ACCEPT', '1:TCP:80,443:0.0.0.0/0:ACCEPT']);
      assert.deepEqual(set.Egress!.map(brief), ['0:ALL:ALL:0.0.0.0/0:ACCEPT']);
      assert.equal(set.Ingress![0]!.PolicyDescription, 'ssh');
      assert.deepEqual(set.PolicyStatistics, { IngressIPv4TotalCount: 2, IngressIPv6TotalCount: 0, EgressIPv4TotalCount: 1, EgressIPv6TotalCount: 0 });

      // Insert at the front; a peer group may be named.
      const peer = await createGroup(a, 'peer');
      await a.vpc.CreateSecurityGroupPolicies({
        SecurityGroupId: id,
        SecurityGroupPolicySet: { Version: '1', Ingress: [{ PolicyIndex: 0, Protocol: 'UDP', Port: '53', SecurityGroupId: peer, Action: 'DROP' }] },
      });
      set = await policies(a, id);
      assert.equal(set.Version, '2');
      assert.deepEqual(set.Ingress!.map(brief), [`0:UDP:53:${peer}:DROP`, '1:TCP:22:10.0.0.0/8:ACCEPT', '2:TCP:80,443:0.0.0.0/0:ACCEPT']);

      // A stale version, a bad rule, a missing peer and a bad index are refused and change nothing.
      // Version 2 is current: a caller may name it or the next (3, as Terraform does); 1 is stale.
      await refused(a, () => a.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Version: '1', Egress: [{ Protocol: 'TCP', Port: '1', CidrBlock: '1.1.1.1', Action: 'ACCEPT' }] } }), 'UnsupportedOperation.VersionMismatch');
      await refused(a, () => a.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Version: '4', Egress: [{ Protocol: 'TCP', Port: '1', CidrBlock: '1.1.1.1', Action: 'ACCEPT' }] } }), 'UnsupportedOperation.VersionMismatch');
      await refused(a, () => a.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [{ Protocol: 'TCP', Port: '70000', CidrBlock: '1.1.1.1', Action: 'ACCEPT' }] } }), 'InvalidParameterValue.Malformed');
      await refused(a, () => a.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [{ Protocol: 'SCTP', CidrBlock: '1.1.1.1', Action: 'ACCEPT' }] } }), 'InvalidParameterValue.Malformed');
      await refused(a, () => a.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [{ Protocol: 'TCP', Port: '1', CidrBlock: '1.1.1.1', Action: 'MAYBE' }] } }), 'InvalidParameterValue.Malformed');
      await refused(a, () => a.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [{ Protocol: 'TCP', Port: '1', Action: 'ACCEPT' }] } }), 'InvalidParameterValue.Malformed');
      await refused(a, () => a.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [{ Protocol: 'TCP', Port: '1', SecurityGroupId: 'sg-zzzzzzzz', Action: 'ACCEPT' }] } }), 'ResourceNotFound');
      await refused(a, () => a.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 9, Protocol: 'TCP', Port: '1', CidrBlock: '1.1.1.1', Action: 'ACCEPT' }] } }), 'InvalidParameterValue.Range');
      await refused(a, () => a.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: {} }), 'InvalidParameterValue.Empty');
      await refused(a, () => a.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [{ Protocol: 'TCP', Port: '9', CidrBlock: '1.1.1.1', Action: 'ACCEPT' }], Egress: [{ Protocol: 'TCP', Port: '9', CidrBlock: '1.1.1.1', Action: 'ACCEPT' }] } }), 'InvalidParameter.Coexist');
      await refused(a, () => a.vpc.CreateSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [{ Protocol: 'tcp', Port: '22', CidrBlock: '10.0.0.0/8', Action: 'accept' }] } }), 'UnsupportedOperation.DuplicatePolicy');

      // Replace one in place, then remove by index and by content.
      await a.vpc.ReplaceSecurityGroupPolicy({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 2, Protocol: 'TCP', Port: '8080', CidrBlock: '10.1.0.0/16', Action: 'ACCEPT' }] } });
      await a.vpc.DeleteSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 0 }] } });
      set = await policies(a, id);
      assert.deepEqual(set.Ingress!.map(brief), ['0:TCP:22:10.0.0.0/8:ACCEPT', '1:TCP:8080:10.1.0.0/16:ACCEPT']);
      await a.vpc.DeleteSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Egress: [{ Protocol: 'ALL', Port: 'ALL', CidrBlock: '0.0.0.0/0', Action: 'ACCEPT' }] } });
      await refused(a, () => a.vpc.DeleteSecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 7 }] } }), 'ResourceNotFound');
      assert.deepEqual((await policies(a, id)).Egress, []);

      // Modify makes the set given the group's rules: a direction left out is emptied.
      await a.vpc.ModifySecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Egress: [{ Protocol: 'ICMP', CidrBlock: '10.0.0.0/8', Action: 'ACCEPT' }] } });
      set = await policies(a, id);
      assert.deepEqual([set.Ingress!.length, set.Egress!.map(brief)], [0, ['0:ICMP:ALL:10.0.0.0/8:ACCEPT']]);
      await a.vpc.ModifySecurityGroupPolicies({ SecurityGroupId: id, SecurityGroupPolicySet: { Ingress: [], Egress: [] } });
      set = await policies(a, id);
      assert.deepEqual([set.Ingress, set.Egress], [[], []]);
      // The peer group is named by a rule no more: it can go.
      await a.vpc.DeleteSecurityGroup({ SecurityGroupId: peer });
    });

    test('ENIs and instances join groups that exist, are the caller’s, at most five; a group in use stays', async () => {
      const [g1, g2] = [await createGroup(a, 'eni-1'), await createGroup(a, 'eni-2')];
      const foreign = await createGroup(b, 'theirs');
      const eni = await createEni(a, net);
      const more = await Promise.all([1, 2, 3, 4, 5].map((i) => createGroup(a, `many-${i}`)));

      await refused(a, () => a.vpc.CreateNetworkInterface({ VpcId: net.vpcId, SubnetId: net.subnetId, NetworkInterfaceName: 'x', SecurityGroupIds: ['sg-zzzzzzzz'] }), 'ResourceNotFound');
      await refused(a, () => a.vpc.CreateNetworkInterface({ VpcId: net.vpcId, SubnetId: net.subnetId, NetworkInterfaceName: 'x', SecurityGroupIds: [foreign] }), 'ResourceNotFound', [b]);
      await refused(a, () => a.vpc.CreateNetworkInterface({ VpcId: net.vpcId, SubnetId: net.subnetId, NetworkInterfaceName: 'x', SecurityGroupIds: [g1, ...more] }), 'LimitExceeded');
      await refused(a, () => a.vpc.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni, SecurityGroupIds: [g1, g1] }), 'InvalidParameterValue.DuplicatePara');
      await refused(a, () => a.vpc.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni, SecurityGroupIds: [foreign] }), 'ResourceNotFound', [b]);

      await a.vpc.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni, SecurityGroupIds: [g2, g1] });
      assert.deepEqual((await mustGetEni(a.vpc, eni)).GroupSet, [g2, g1]);
      const withGroups = (await a.vpc.CreateNetworkInterface({ VpcId: net.vpcId, SubnetId: net.subnetId, NetworkInterfaceName: 'sg', SecurityGroupIds: [g1] })).NetworkInterface!;
      assert.deepEqual(withGroups.GroupSet, [g1]);
      // Settled before the refusals below compare snapshots.
      await waitEniReady(a.vpc, withGroups.NetworkInterfaceId!);

      // Instances: CVM's own codes.
      const run = (groups: string[]) =>
        a.cvm.RunInstances({ Placement: { Zone: 'ap-guangzhou-3' }, InstanceType: 'S5.MEDIUM4', SecurityGroupIds: groups, VirtualPrivateCloud: { VpcId: net.vpcId, SubnetId: net.subnetId } });
      await refused(a, () => run(['sg-zzzzzzzz']), 'InvalidSecurityGroupId.NotFound');
      await refused(a, () => run([foreign]), 'InvalidSecurityGroupId.NotFound', [b]);
      const { InstanceIdSet } = await run([g2]);
      await waitInstances(a.cvm, InstanceIdSet!, 'RUNNING');
      const [grouped] = await describeInstances(a.cvm, InstanceIdSet!);
      assert.deepEqual(grouped!.SecurityGroupIds, [g2]);
      const primary = await primaryEniOf(a.vpc, InstanceIdSet![0]!);
      assert.deepEqual(primary.GroupSet, [g2]);
      // A primary ENI's groups are its instance's: changing one changes the other.
      await a.vpc.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: primary.NetworkInterfaceId!, SecurityGroupIds: [g2, g1] });
      assert.deepEqual((await describeInstances(a.cvm, InstanceIdSet!))[0]!.SecurityGroupIds, [g2, g1]);
      await a.cvm.ModifyInstancesAttribute({ InstanceIds: InstanceIdSet!, SecurityGroups: [g2] });
      assert.deepEqual((await primaryEniOf(a.vpc, InstanceIdSet![0]!)).GroupSet, [g2]);
      await refused(a, () => run([g1, ...more]), 'LimitExceeded.AssociateUSGLimitExceeded');

      // Association statistics count members; a group with members cannot be deleted.
      const stats = (await a.vpc.DescribeSecurityGroupAssociationStatistics({ SecurityGroupIds: [g1, g2] })).SecurityGroupAssociationStatisticsSet!;
      assert.deepEqual(stats.map((x) => [x.SecurityGroupId, x.ENI, x.CVM]), [[g1, 2, 0], [g2, 1, 1]], 'an instance counts under CVM, its primary ENI not again under ENI');
      await refused(a, () => a.vpc.DeleteSecurityGroup({ SecurityGroupId: g1 }), 'ResourceInUse');
      await expectTcError(a.vpc.DescribeSecurityGroupAssociationStatistics({ SecurityGroupIds: ['sg-zzzzzzzz'] }), 'ResourceNotFound');
      // Associate adds after the ENI's own groups, Disassociate takes away; primaries are refused.
      await a.vpc.AssociateNetworkInterfaceSecurityGroups({ NetworkInterfaceIds: [eni], SecurityGroupIds: [more[0]!] });
      assert.deepEqual((await mustGetEni(a.vpc, eni)).GroupSet, [g2, g1, more[0]]);
      await a.vpc.DisassociateNetworkInterfaceSecurityGroups({ NetworkInterfaceIds: [eni], SecurityGroupIds: [more[0]!] });
      assert.deepEqual((await mustGetEni(a.vpc, eni)).GroupSet, [g2, g1]);
      await refused(a, () => a.vpc.AssociateNetworkInterfaceSecurityGroups({ NetworkInterfaceIds: [primary.NetworkInterfaceId!], SecurityGroupIds: [g1] }), 'UnsupportedOperation');
      await refused(a, () => a.vpc.AssociateNetworkInterfaceSecurityGroups({ NetworkInterfaceIds: [], SecurityGroupIds: [g1] }), 'MissingParameter');
      await refused(a, () => a.vpc.DisassociateNetworkInterfaceSecurityGroups({ NetworkInterfaceIds: [eni], SecurityGroupIds: ['sg-zzzzzzzz'] }), 'ResourceNotFound');
      // Leaving the group frees it.
      await a.vpc.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni, SecurityGroupIds: [g2] });
      await a.vpc.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: withGroups.NetworkInterfaceId!, SecurityGroupIds: [] });
      await a.vpc.DeleteSecurityGroup({ SecurityGroupId: g1 });
      assert.equal((await a.vpc.DescribeSecurityGroups({ SecurityGroupIds: [g1] })).TotalCount, 0);
    });
  });
}
