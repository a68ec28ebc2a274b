// Contract: tags as one concept, through tencentcloud-sdk-nodejs's tag and vpc clients, on both
// stores. What a create call or the tag service writes is what every Describe and the tag service
// read; the tag rules (reserved prefixes, lengths, characters, 50 per resource, no key twice) answer
// with the tag service's documented codes and change nothing; names of another uin, region or kind
// are refused; TagResources reports each resource it could not tag.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { serverOn, type ServerOn } from '../../support/server.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { REGION, session, type Session } from '../../support/tencent3/client.ts';
import { refused } from '../../support/tencent3/snapshots.ts';
import { createEni, createSubnet, createVpc } from '../../support/tencent3/world.ts';

const name = (service: string, prefix: string, id: string, uin = '', region = REGION) => `qcs::${service}:${region}:uin/${uin}:${prefix}/${id}`;

for (const kind of STORE_KINDS) {
  describe(`tags (${kind})`, { skip: await skipUnless(kind) }, () => {
    let srv: ServerOn;
    let s: Session;
    let other: Session;
    const w = { vpc: '', subnet: '', eni: '', sg: '' };

    before(async () => {
      srv = await serverOn(kind, { latency: '20' });
      [s, other] = await Promise.all([session(srv.server), session(srv.server)]);
      w.vpc = await createVpc(s, '10.90.0.0/16');
      w.subnet = await createSubnet(s, w.vpc, '10.90.1.0/24');
      w.eni = await createEni(s, { vpcId: w.vpc, subnetId: w.subnet });
      w.sg = (await s.vpc.CreateSecurityGroup({ GroupName: 'tagged', GroupDescription: '' })).SecurityGroup!.SecurityGroupId!;
    });
    after(async () => srv?.stop());

    test('one store: the tag service writes, every Describe and tag:<key>/tag-key filter reads', async () => {
      await s.tag.TagResources({ ResourceList: [name('vpc', 'vpc', w.vpc), name('vpc', 'subnet', w.subnet), name('vpc', 'eni', w.eni), name('cvm', 'sg', w.sg)], Tags: [{ TagKey: 'team', TagValue: 'net' }] });
      await s.tag.ModifyResourceTags({ Resource: name('vpc', 'eni', w.eni, s.account.ownerUin), ReplaceTags: [{ TagKey: 'role', TagValue: 'data plane' }] });
      const byTag = async () => ({
        vpcs: (await s.vpc.DescribeVpcs({ Filters: [{ Name: 'tag:team', Values: ['net'] }] })).VpcSet!.map((x) => x.VpcId),
        subnets: (await s.vpc.DescribeSubnets({ Filters: [{ Name: 'tag-key', Values: ['team'] }] })).SubnetSet!.map((x) => x.SubnetId),
        enis: (await s.vpc.DescribeNetworkInterfaces({ Filters: [{ Name: 'tag:role', Values: ['data plane'] }] })).NetworkInterfaceSet!.map((x) => x.NetworkInterfaceId),
        groups: (await s.vpc.DescribeSecurityGroups({ Filters: [{ Name: 'tag:team', Values: ['net'] }] })).SecurityGroupSet!.map((x) => x.SecurityGroupId),
      });
      assert.deepEqual(await byTag(), { vpcs: [w.vpc], subnets: [w.subnet], enis: [w.eni], groups: [w.sg] });
      const eni = (await s.vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: [w.eni] })).NetworkInterfaceSet![0]!;
      assert.deepEqual(eni.TagSet, [{ Key: 'team', Value: 'net' }, { Key: 'role', Value: 'data plane' }]);

      const all = await s.tag.GetResources({ TagFilters: [{ TagKey: 'team', TagValue: ['net'] }] });
      assert.deepEqual(all.ResourceTagMappingList!.map((r) => r.Resource).sort(), [
        name('cvm', 'sg', w.sg, s.account.ownerUin), name('vpc', 'eni', w.eni, s.account.ownerUin), name('vpc', 'subnet', w.subnet, s.account.ownerUin), name('vpc', 'vpc', w.vpc, s.account.ownerUin),
      ].sort());
      assert.equal(all.PaginationToken, '');
      const page1 = await s.tag.GetResources({ TagFilters: [{ TagKey: 'team' }], MaxResults: 3 });
      assert.equal(page1.ResourceTagMappingList!.length, 3);
      const page2 = await s.tag.GetResources({ TagFilters: [{ TagKey: 'team' }], MaxResults: 3, PaginationToken: page1.PaginationToken! });
      assert.deepEqual([page2.ResourceTagMappingList!.length, page2.PaginationToken], [1, '']);

      await s.tag.UnTagResources({ ResourceList: [name('vpc', 'vpc', w.vpc), name('vpc', 'subnet', w.subnet)], TagKeys: ['team'] });
      assert.deepEqual((await byTag()).vpcs, []);
      const rows = await s.tag.DescribeResourceTagsByResourceIds({ ServiceType: 'vpc', ResourcePrefix: 'eni', ResourceRegion: REGION, ResourceIds: [w.eni], Limit: 20, Offset: 0 });
      assert.deepEqual(rows.Tags!.map((t) => [t.TagKey, t.TagValue, t.ResourceId, t.ServiceType]), [['team', 'net', w.eni, 'vpc'], ['role', 'data plane', w.eni, 'vpc']]);
      assert.match(rows.Tags![0]!.TagKeyMd5!, /^[0-9a-f]{32}$/);
      // Another account reads nothing of these resources.
      const theirs = await other.tag.DescribeResourceTagsByResourceIds({ ServiceType: 'vpc', ResourcePrefix: 'eni', ResourceRegion: REGION, ResourceIds: [w.eni], Limit: 20, Offset: 0 });
      assert.deepEqual(theirs.Tags, []);
    });

    test('the tag rules answer with the tag service’s codes and change nothing', async () => {
      const eni = name('vpc', 'eni', w.eni);
      const modify = (tags: Array<{ TagKey: string; TagValue: string }>) => () => s.tag.ModifyResourceTags({ Resource: eni, ReplaceTags: tags });
      await refused(s, modify([{ TagKey: 'qcloud:x', TagValue: 'v' }]), 'InvalidParameter.ReservedTagKey');
      await refused(s, modify([{ TagKey: 'project', TagValue: 'v' }]), 'InvalidParameter.ReservedTagKey');
      await refused(s, modify([{ TagKey: 'k'.repeat(128), TagValue: 'v' }]), 'InvalidParameterValue.TagKeyLengthExceeded');
      await refused(s, modify([{ TagKey: 'k', TagValue: 'v'.repeat(256) }]), 'InvalidParameterValue.TagValueLengthExceeded');
      await refused(s, modify([{ TagKey: 'bad*key', TagValue: 'v' }]), 'InvalidParameterValue.TagKeyCharacterIllegal');
      await refused(s, modify([{ TagKey: ' padded', TagValue: 'v' }]), 'InvalidParameterValue.TagKeyCharacterIllegal');
      await refused(s, modify([{ TagKey: 'k', TagValue: 'bad#value' }]), 'InvalidParameterValue.TagValueCharacterIllegal');
      await refused(s, () => s.tag.ModifyResourceTags({ Resource: eni, ReplaceTags: [{ TagKey: 'a', TagValue: '1' }], DeleteTags: [{ TagKey: 'a' }] }), 'InvalidParameterValue.DeleteTagsParamError');
      await refused(s, () => s.tag.ModifyResourceTags({ Resource: eni }), 'MissingParameter');
      await refused(s, () => s.tag.ModifyResourceTags({ Resource: 'eni-123', ReplaceTags: [{ TagKey: 'a', TagValue: '1' }] }), 'InvalidParameterValue.ResourceDescriptionError');
      await refused(s, () => s.tag.ModifyResourceTags({ Resource: name('vpc', 'eni', w.eni, '1234567890'), ReplaceTags: [{ TagKey: 'a', TagValue: '1' }] }), 'InvalidParameterValue.UinInvalid');
      await refused(s, () => s.tag.ModifyResourceTags({ Resource: name('vpc', 'eni', w.eni, '', 'ap-nowhere'), ReplaceTags: [{ TagKey: 'a', TagValue: '1' }] }), 'InvalidParameterValue.RegionInvalid');
      await refused(s, () => s.tag.ModifyResourceTags({ Resource: name('cvm', 'volume', 'disk-abcdefgh'), ReplaceTags: [{ TagKey: 'a', TagValue: '1' }] }), 'InvalidParameterValue.ResourcePrefixInvalid');
      await refused(s, () => s.tag.ModifyResourceTags({ Resource: name('vpc', 'eni', 'eni-zzzzzzzz'), ReplaceTags: [{ TagKey: 'a', TagValue: '1' }] }), 'ResourceNotFound');
      // Another account's resource is not found to this one.
      await refused(other, () => other.tag.ModifyResourceTags({ Resource: eni, ReplaceTags: [{ TagKey: 'a', TagValue: '1' }] }), 'ResourceNotFound', [s]);
      // At most 50 per resource: calls of at most 10 fill it, the 51st is refused.
      const g = name('cvm', 'sg', w.sg);
      const has = (await s.vpc.DescribeSecurityGroups({ SecurityGroupIds: [w.sg] })).SecurityGroupSet![0]!.TagSet!.length;
      for (let n = has; n < 50; n += 10) {
        await s.tag.ModifyResourceTags({ Resource: g, ReplaceTags: Array.from({ length: Math.min(10, 50 - n) }, (_, i) => ({ TagKey: `k${n + i}`, TagValue: 'v' })) });
      }
      assert.equal((await s.vpc.DescribeSecurityGroups({ SecurityGroupIds: [w.sg] })).SecurityGroupSet![0]!.TagSet!.length, 50);
      await refused(s, () => s.tag.ModifyResourceTags({ Resource: g, ReplaceTags: [{ TagKey: 'one-more', TagValue: 'v' }] }), 'LimitExceeded.ResourceAttachedTags');
      // Create calls obey the same rules.
      await refused(s, () => s.vpc.CreateVpc({ VpcName: 'x', CidrBlock: '10.91.0.0/16', Tags: [{ Key: 'qcs:x', Value: 'v' }] }), 'InvalidParameter.ReservedTagKey');
      await refused(s, () => s.vpc.CreateVpc({ VpcName: 'x', CidrBlock: '10.91.0.0/16', Tags: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] }), 'InvalidParameter.TagKeyDuplicate');
      // TagResources reports a resource it could not tag and tags the others.
      const r = await s.tag.TagResources({ ResourceList: [name('vpc', 'vpc', w.vpc), name('vpc', 'vpc', 'vpc-zzzzzzzz')], Tags: [{ TagKey: 'batch', TagValue: '1' }] });
      assert.deepEqual(r.FailedResources!.map((f) => [f.Resource, f.Code]), [[name('vpc', 'vpc', 'vpc-zzzzzzzz'), 'ResourceNotFound']]);
      assert.deepEqual((await s.vpc.DescribeVpcs({ VpcIds: [w.vpc] })).VpcSet![0]!.TagSet, [{ Key: 'batch', Value: '1' }]);
    });
  });
}
