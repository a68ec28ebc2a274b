// Contract: the Tencent Cloud Terraform provider's own call sequences (terraform-provider-tencentcloud
// v1.83, resource_tc_vpc.go, resource_tc_subnet.go, resource_tc_security_group(_rule_set).go,
// resource_tc_eni(_attachment).go, resource_tc_instance.go), replayed through tencentcloud-sdk-nodejs
// with the provider's parameter types (Offset/Limit as strings where its Go SDK sends strings, the
// tag service's empty uin, EnableMulticast as "false"), its polls and its notion of "gone". Every
// read must return exactly what was written, or `terraform plan` would show changes forever.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pollUntil } from '../../support/poll.ts';
import { serverOn, type ServerOn } from '../../support/server.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { cbsClient, cvmClient, REGION, session, tagClient, vpcClient, ZONE, type Session } from '../../support/tencent3/client.ts';
import { getEni, waitTask } from '../../support/tencent3/waits.ts';

const R = REGION;
/** The provider builds tag resource names with an empty uin (common.go BuildTagResourceName). */
const tagName = (service: string, prefix: string, id: string) => `qcs::${service}:${R}:uin/:${prefix}/${id}`;

/** service_tencentcloud_tag.go DescribeResourceTags: pages of 20 while a page is full, kept by ResourceId. */
async function tagsOf(s: Session, serviceType: string, prefix: string, id: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (let offset = 0; ; offset += 20) {
    const r = await s.tag.DescribeResourceTagsByResourceIds({ ServiceType: serviceType, ResourcePrefix: prefix, ResourceRegion: R, ResourceIds: [id], Limit: 20, Offset: offset });
    for (const t of r.Tags!) if (t.ResourceId === id) out[t.TagKey!] = t.TagValue!;
    if (r.Tags!.length < 20) return out;
  }
}

const asMap = (set: Array<{ Key?: string; Value?: string }> | undefined) => Object.fromEntries((set ?? []).map((t) => [t.Key!, t.Value!]));

for (const kind of STORE_KINDS) {
  describe(`the Terraform provider's call sequences (${kind})`, { skip: await skipUnless(kind) }, () => {
    let srv: ServerOn;
    let s: Session;
    const st = { vpc: '', rtb: '', subnet: '', sg: '', eni: '', instance: '', instanceIp: '' };

    before(async () => {
      srv = await serverOn(kind, { latency: '30' });
      s = await session(srv.server, { language: 'en-US' });
    });
    after(async () => srv?.stop());

    test('tencentcloud_vpc: create, read (with its main route table), update, tags', async () => {
      const created = await s.vpc.CreateVpc({
        VpcName: 'tf-vpc', CidrBlock: '10.70.0.0/16', EnableMulticast: 'false', Tags: [{ Key: 'env', Value: 'test' }],
        EnableRouteVpcPublish: false, EnableRouteVpcPublishIpv6: false,
      });
      st.vpc = created.Vpc!.VpcId!;
      assert.equal(created.Vpc!.IsDefault, false);
      const read = async () => {
        const { VpcSet, TotalCount } = await s.vpc.DescribeVpcs({ Filters: [{ Name: 'vpc-id', Values: [st.vpc] }], Offset: '0', Limit: '100' });
        assert.equal(TotalCount, 1);
        const v = VpcSet![0]!;
        for (const k of ['CidrBlock', 'CreatedTime', 'IsDefault', 'EnableMulticast', 'VpcName', 'VpcId'] as const) assert.notEqual(v[k], undefined, k);
        const rt = await s.vpc.DescribeRouteTables({ Filters: [{ Name: 'vpc-id', Values: [st.vpc] }, { Name: 'association.main', Values: ['true'] }], Offset: '0', Limit: '100' });
        assert.equal(rt.TotalCount, 1);
        const table = rt.RouteTableSet![0]!;
        assert.deepEqual([table.Main, table.VpcId, typeof table.CreatedTime, typeof table.RouteTableName], [true, st.vpc, 'string', 'string']);
        st.rtb = table.RouteTableId!;
        return { name: v.VpcName, multicast: v.EnableMulticast, dns: v.DnsServerSet, tags: asMap(v.TagSet) };
      };
      assert.deepEqual(await read(), { name: 'tf-vpc', multicast: false, dns: ['183.60.82.98', '183.60.83.1'], tags: { env: 'test' } });
      await s.vpc.ModifyVpcAttribute({ VpcId: st.vpc, VpcName: 'tf-vpc-2', DnsServers: ['10.0.0.2'], EnableMulticast: 'true', EnableRouteVpcPublish: false, EnableRouteVpcPublishIpv6: false });
      await s.tag.ModifyResourceTags({ Resource: tagName('vpc', 'vpc', st.vpc), ReplaceTags: [{ TagKey: 'team', TagValue: 'net' }], DeleteTags: [{ TagKey: 'env' }] });
      assert.deepEqual(await read(), { name: 'tf-vpc-2', multicast: true, dns: ['10.0.0.2'], tags: { team: 'net' } });
      await assert.rejects(s.vpc.ModifyVpcAttribute({ VpcId: st.vpc, DnsServers: ['not-an-ip'] }), { code: 'InvalidParameterValue.Malformed' });
      await assert.rejects(s.vpc.ModifyVpcAttribute({ VpcId: st.vpc, DomainName: 'd'.repeat(61) }), { code: 'InvalidParameterValue.TooLong' });
      await assert.rejects(s.vpc.ModifyVpcAttribute({ VpcId: st.vpc, EnableRouteVpcPublish: true }), { code: 'UnsupportedOperation' });
      assert.deepEqual(await read(), { name: 'tf-vpc-2', multicast: true, dns: ['10.0.0.2'], tags: { team: 'net' } }, 'the refusals changed nothing');
    });

    test('tencentcloud_subnet: create, ModifySubnetAttribute, tags through the tag service', async () => {
      const { Subnet } = await s.vpc.CreateSubnet({ VpcId: st.vpc, SubnetName: 'tf-subnet', CidrBlock: '10.70.1.0/24', Zone: ZONE, Tags: [{ Key: 'tier', Value: 'app' }] });
      st.subnet = Subnet!.SubnetId!;
      await s.vpc.ModifySubnetAttribute({ SubnetId: st.subnet, SubnetName: 'tf-subnet', EnableBroadcast: 'false' });
      await s.tag.ModifyResourceTags({ Resource: tagName('vpc', 'subnet', st.subnet), ReplaceTags: [{ TagKey: 'tier', TagValue: 'app' }] });
      const read = async () => {
        const { SubnetSet } = await s.vpc.DescribeSubnets({ Filters: [{ Name: 'subnet-id', Values: [st.subnet] }], Offset: '0', Limit: '100' });
        const x = SubnetSet![0]!;
        assert.equal(x.CdcId, '');
        assert.equal(x.RouteTableId, st.rtb, 'the subnet uses its VPC’s main route table');
        return { name: x.SubnetName, broadcast: x.EnableBroadcast, zone: x.Zone, tags: await tagsOf(s, 'vpc', 'subnet', st.subnet) };
      };
      assert.deepEqual(await read(), { name: 'tf-subnet', broadcast: false, zone: ZONE, tags: { tier: 'app' } });
      await s.vpc.ModifySubnetAttribute({ SubnetId: st.subnet, SubnetName: 'tf-subnet-2', EnableBroadcast: 'true' });
      await s.tag.ModifyResourceTags({ Resource: tagName('vpc', 'subnet', st.subnet), DeleteTags: [{ TagKey: 'tier' }] });
      assert.deepEqual(await read(), { name: 'tf-subnet-2', broadcast: true, zone: ZONE, tags: {} });
      const main = (await s.vpc.DescribeRouteTables({ RouteTableIds: [st.rtb] })).RouteTableSet![0]!;
      assert.deepEqual(main.AssociationSet, [{ SubnetId: st.subnet, RouteTableId: st.rtb }]);
    });

    test('tencentcloud_security_group and _rule_set: create, read, rules replaced under the next version, cleared', async () => {
      const { SecurityGroup } = await s.vpc.CreateSecurityGroup({ GroupName: 'tf-sg', GroupDescription: '', Tags: [{ Key: 'app', Value: 'web' }] });
      st.sg = SecurityGroup!.SecurityGroupId!;
      await s.tag.ModifyResourceTags({ Resource: tagName('cvm', 'sg', st.sg), ReplaceTags: [{ TagKey: 'app', TagValue: 'web' }] });
      const g = (await s.vpc.DescribeSecurityGroups({ SecurityGroupIds: [st.sg] })).SecurityGroupSet![0]!;
      assert.deepEqual([g.SecurityGroupName, g.SecurityGroupDesc, Number.isInteger(Number(g.ProjectId))], ['tf-sg', '', true]);
      assert.deepEqual(await tagsOf(s, 'cvm', 'sg', st.sg), { app: 'web' });

      // rule_set create: Modify without a version.
      await s.vpc.ModifySecurityGroupPolicies({
        SecurityGroupId: st.sg,
        SecurityGroupPolicySet: {
          Ingress: [{ Action: 'ACCEPT', CidrBlock: '10.0.0.0/8', Protocol: 'TCP', Port: '22', PolicyDescription: 'ssh' }, { Action: 'ACCEPT', CidrBlock: '0.0.0.0/0', Protocol: 'ALL' }],
          Egress: [{ Action: 'ACCEPT', CidrBlock: '0.0.0.0/0', Protocol: 'ALL' }],
        },
      });
      let set = (await s.vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: st.sg })).SecurityGroupPolicySet!;
      for (const p of [...set.Ingress!, ...set.Egress!]) {
        for (const k of ['CidrBlock', 'Ipv6CidrBlock', 'SecurityGroupId', 'Protocol', 'Port', 'PolicyDescription', 'PolicyIndex', 'Action'] as const) assert.notEqual(p[k], undefined, k);
        assert.deepEqual([p.AddressTemplate, p.ServiceTemplate], [{ AddressId: '', AddressGroupId: '' }, { ServiceId: '', ServiceGroupId: '' }]);
      }
      assert.deepEqual(set.Ingress!.map((p) => `${p.Action}#${p.CidrBlock}#${p.Port}#${p.Protocol}`), ['ACCEPT#10.0.0.0/8#22#TCP', 'ACCEPT#0.0.0.0/0#ALL#ALL']);
      // rule_set update: SortPolicys and Version = state.version + 1.
      const next = String(Number(set.Version) + 1);
      await s.vpc.ModifySecurityGroupPolicies({
        SecurityGroupId: st.sg,
        SortPolicys: true,
        SecurityGroupPolicySet: { Version: next, Ingress: [{ Action: 'DROP', CidrBlock: '10.9.0.0/16', Protocol: 'UDP', Port: '53' }], Egress: [{ Action: 'ACCEPT', CidrBlock: '0.0.0.0/0', Protocol: 'ALL' }] },
      });
      set = (await s.vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: st.sg })).SecurityGroupPolicySet!;
      assert.deepEqual(set.Ingress!.map((p) => `${p.Action}#${p.CidrBlock}#${p.Port}#${p.Protocol}`), ['DROP#10.9.0.0/16#53#UDP']);
      assert.equal(set.Version, next);
      // tencentcloud_security_group_rule: one rule inserted at index 0 with empty templates, deleted by content.
      await s.vpc.CreateSecurityGroupPolicies({
        SecurityGroupId: st.sg,
        SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 0, CidrBlock: '192.168.0.0/16', Protocol: 'TCP', Port: '443', Action: 'ACCEPT', AddressTemplate: {}, ServiceTemplate: {} }] },
      });
      assert.equal((await s.vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: st.sg })).SecurityGroupPolicySet!.Ingress![0]!.Port, '443');
      await s.vpc.DeleteSecurityGroupPolicies({ SecurityGroupId: st.sg, SecurityGroupPolicySet: { Ingress: [{ Action: 'ACCEPT', CidrBlock: '192.168.0.0/16', Protocol: 'TCP', Port: '443' }] } });
      // rule_set delete: Version "0" clears everything.
      await s.vpc.ModifySecurityGroupPolicies({ SecurityGroupId: st.sg, SecurityGroupPolicySet: { Version: '0' } });
      set = (await s.vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: st.sg })).SecurityGroupPolicySet!;
      assert.deepEqual([set.Ingress, set.Egress], [[], []]);
    });

    test('tencentcloud_eni: create with a count (every IP answered at once), wait ready, update IPs and groups', async () => {
      const r = await s.vpc.CreateNetworkInterface({
        NetworkInterfaceName: 'tf-eni', VpcId: st.vpc, SubnetId: st.subnet, NetworkInterfaceDescription: '', SecurityGroupIds: [st.sg],
        Tags: [{ Key: 'role', Value: 'data' }], SecondaryPrivateIpAddressCount: 2,
      });
      st.eni = r.NetworkInterface!.NetworkInterfaceId!;
      assert.equal(r.NetworkInterface!.PrivateIpAddressSet!.length, 3, 'ipv4_count must be answered in full');
      const ready = () =>
        pollUntil(async () => {
          const e = await getEni(s.vpc, st.eni);
          return e && e.State === 'AVAILABLE' && e.PrivateIpAddressSet!.every((p) => p.State === 'AVAILABLE') ? e : false;
        }, { what: 'the ENI ready', timeoutMs: 15_000 });
      let e = await ready();
      assert.deepEqual([e.GroupSet, asMap(e.TagSet), e.Attachment ?? null], [[st.sg], { role: 'data' }, null]);
      const primary = e.PrivateIpAddressSet!.find((p) => p.Primary)!.PrivateIpAddress!;
      await s.vpc.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: st.eni, NetworkInterfaceName: 'tf-eni-2', NetworkInterfaceDescription: 'data plane' });
      await s.vpc.ModifyPrivateIpAddressesAttribute({ NetworkInterfaceId: st.eni, PrivateIpAddresses: [{ PrivateIpAddress: primary, Description: 'the primary' }] });
      await s.tag.ModifyResourceTags({ Resource: tagName('vpc', 'eni', st.eni), ReplaceTags: [{ TagKey: 'role', TagValue: 'mgmt' }] });
      const a = await s.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: st.eni, SecondaryPrivateIpAddressCount: 1 });
      assert.equal(a.PrivateIpAddressSet!.length, 1);
      e = await ready();
      const drop = e.PrivateIpAddressSet!.find((p) => !p.Primary)!.PrivateIpAddress!;
      await s.vpc.UnassignPrivateIpAddresses({ NetworkInterfaceId: st.eni, PrivateIpAddresses: [{ PrivateIpAddress: drop }] });
      e = await pollUntil(async () => {
        const x = await getEni(s.vpc, st.eni);
        return x && !x.PrivateIpAddressSet!.some((p) => p.PrivateIpAddress === drop) && x.State === 'AVAILABLE' ? x : false;
      }, { what: `${drop} released`, timeoutMs: 15_000 });
      assert.deepEqual(
        [e.NetworkInterfaceName, e.NetworkInterfaceDescription, asMap(e.TagSet), e.PrivateIpAddressSet!.length, e.PrivateIpAddressSet!.find((p) => p.Primary)!.Description],
        ['tf-eni-2', 'data plane', { role: 'mgmt' }, 3, 'the primary'],
      );
    });

    test('tencentcloud_instance and tencentcloud_eni_attachment: run, read everything Read reads, attach, detach, terminate until the IP is free', async () => {
      const run = await s.cvm.RunInstances({
        ImageId: 'img-pi0ii46r', InstanceType: 'S5.MEDIUM4', InstanceName: 'tf-ins', Placement: { Zone: ZONE },
        InternetAccessible: { PublicIpAssigned: false }, VirtualPrivateCloud: { VpcId: st.vpc, SubnetId: st.subnet },
        SecurityGroupIds: [st.sg], EnhancedService: { SecurityService: { Enabled: true }, MonitorService: { Enabled: true }, AutomationService: { Enabled: true } },
        TagSpecification: [{ ResourceType: 'instance', Tags: [{ Key: 'svc', Value: 'api' }] }], ClientToken: 'dGVycmFmb3JtLXRva2VuLTE=',
        UserData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
      });
      st.instance = run.InstanceIdSet![0]!;
      // Visible at once (the provider dereferences InstanceState of the first answer).
      assert.equal((await s.cvm.DescribeInstances({ InstanceIds: [st.instance] })).InstanceSet!.length, 1);
      const ins = await pollUntil(async () => {
        const x = (await s.cvm.DescribeInstances({ InstanceIds: [st.instance] })).InstanceSet![0]!;
        if (x.InstanceState === 'LAUNCH_FAILED') throw new Error(x.LatestOperationErrorMsg ?? 'launch failed');
        return x.InstanceState === 'RUNNING' ? x : false;
      }, { what: 'the instance RUNNING', timeoutMs: 15_000 });
      for (const k of ['Placement', 'InternetAccessible', 'VirtualPrivateCloud', 'SystemDisk', 'LoginSettings', 'InstanceChargeType'] as const) assert.ok(ins[k], k);
      assert.deepEqual([ins.SecurityGroupIds, ins.InstanceChargeType], [[st.sg], 'POSTPAID_BY_HOUR']);
      st.instanceIp = ins.PrivateIpAddresses![0]!;
      assert.deepEqual(await tagsOf(s, 'cvm', 'instance', st.instance), { svc: 'api' });
      const images = await s.cvm.DescribeImages({});
      assert.ok(images.TotalCount! >= 1 && images.ImageSet!.some((i) => i.ImageId === 'img-pi0ii46r'));
      assert.match(ins.SystemDisk!.DiskId!, /^disk-/);
      const disk = (await s.cbs.DescribeDisks({ DiskIds: [ins.SystemDisk!.DiskId!], Limit: 100 })).DiskSet![0]!;
      assert.deepEqual([disk.DiskState, disk.InstanceId, disk.DiskUsage, typeof disk.DiskName], ['ATTACHED', st.instance, 'SYSTEM_DISK', 'string']);
      const attrs = await s.cvm.DescribeInstancesAttributes({ InstanceIds: [st.instance], Attributes: ['UserData'] });
      assert.equal(Buffer.from(attrs.InstanceSet![0]!.Attributes!.UserData ?? '', 'base64').toString(), '#!/bin/sh\necho hi\n');
      await s.cvm.ModifyInstancesAttribute({ InstanceIds: [st.instance], InstanceName: 'tf-ins-2' });
      assert.equal((await s.cvm.DescribeInstances({ InstanceIds: [st.instance] })).InstanceSet![0]!.InstanceName, 'tf-ins-2');

      // eni_attachment: Attach, its task by RequestId, then Attachment.InstanceId and AVAILABLE.
      const att = await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: st.eni, InstanceId: st.instance });
      assert.notEqual((await waitTask(s.vpc, att.RequestId!)).Status, 'RUNNING');
      await pollUntil(async () => {
        const x = await getEni(s.vpc, st.eni);
        return x?.Attachment?.InstanceId === st.instance && x.State === 'AVAILABLE';
      }, { what: 'attached', timeoutMs: 15_000 });
      // A group with members waits: ENI and CVM counts are not 0.
      const stats = (await s.vpc.DescribeSecurityGroupAssociationStatistics({ SecurityGroupIds: [st.sg] })).SecurityGroupAssociationStatisticsSet![0]!;
      assert.deepEqual([stats.CVM, stats.ENI, stats.CLB, stats.CDB, stats.SG], [1, 1, 0, 0, 0]);
      const det = await s.vpc.DetachNetworkInterface({ NetworkInterfaceId: st.eni, InstanceId: st.instance });
      await waitTask(s.vpc, det.RequestId!);
      await pollUntil(async () => {
        const x = await getEni(s.vpc, st.eni);
        return x !== undefined && (x.Attachment ?? null) === null && x.State === 'AVAILABLE';
      }, { what: 'detached', timeoutMs: 15_000 });

      // instance delete: Terminate, gone from DescribeInstances, then its IP free in DescribeUsedIpAddress.
      await s.cvm.TerminateInstances({ InstanceIds: [st.instance] });
      await pollUntil(async () => (await s.cvm.DescribeInstances({ InstanceIds: [st.instance] })).InstanceSet!.length === 0, { what: 'the instance gone', timeoutMs: 15_000 });
      await pollUntil(
        async () => (await s.vpc.DescribeUsedIpAddress({ VpcId: st.vpc, SubnetId: st.subnet, IpAddresses: [st.instanceIp], Offset: 0, Limit: 20 })).IpAddressStates!.length === 0,
        { what: `${st.instanceIp} released`, timeoutMs: 15_000 },
      );
    });

    test('the provider’s hosts: vpc, cvm, cbs and tag.tencentcloudapi.com, signed for their own service', async () => {
      const at = (service: string) => ({ endpoint: `${service}.tencentcloudapi.com`, language: 'en-US' as const });
      const [p, c] = [srv.server.port, s.account];
      assert.ok((await vpcClient(p, c, at('vpc')).DescribeVpcs({ Offset: '0', Limit: '100' })).TotalCount! >= 1);
      assert.ok((await cvmClient(p, c, at('cvm')).DescribeImages({})).TotalCount! >= 1);
      assert.equal((await cbsClient(p, c, at('cbs')).DescribeDisks({ Limit: 100 })).TotalCount, 0);
      const tags = await tagClient(p, c, at('tag')).DescribeResourceTagsByResourceIds({ ServiceType: 'vpc', ResourcePrefix: 'vpc', ResourceRegion: R, ResourceIds: [st.vpc], Limit: 20, Offset: 0 });
      assert.deepEqual(tags.Tags!.map((x) => [x.TagKey, x.TagValue]), [['team', 'net']]);
    });

    test('destroy: ENI until gone, the group once its counts are 0, subnet and VPC', async () => {
      await s.vpc.DeleteNetworkInterface({ NetworkInterfaceId: st.eni });
      await pollUntil(async () => (await getEni(s.vpc, st.eni)) === undefined, { what: 'the ENI gone', timeoutMs: 15_000 });
      await pollUntil(async () => {
        const x = (await s.vpc.DescribeSecurityGroupAssociationStatistics({ SecurityGroupIds: [st.sg] })).SecurityGroupAssociationStatisticsSet![0]!;
        return x.CVM === 0 && x.ENI === 0 && x.CLB === 0 && x.CDB === 0 && x.SG === 0;
      }, { what: 'no member left in the group', timeoutMs: 15_000 });
      await s.vpc.DeleteSecurityGroup({ SecurityGroupId: st.sg });
      assert.equal((await s.vpc.DescribeSecurityGroups({ Filters: [{ Name: 'security-group-id', Values: [st.sg] }] })).TotalCount, 0);
      await s.vpc.DeleteSubnet({ SubnetId: st.subnet });
      await s.vpc.DeleteVpc({ VpcId: st.vpc });
      assert.equal((await s.vpc.DescribeVpcs({ Filters: [{ Name: 'vpc-id', Values: [st.vpc] }], Offset: '0', Limit: '100' })).TotalCount, 0);
      assert.equal((await s.vpc.DescribeRouteTables({ Filters: [{ Name: 'vpc-id', Values: [st.vpc] }] })).TotalCount, 0);
    });
  });
}
