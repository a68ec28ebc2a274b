// Contract: accounts are isolated. Account B sees none of account A's VPCs, subnets, instances, ENIs
// or tasks (Describe returns empty sets; lookups by id are ResourceNotFound or the CVM equivalent),
// and every attempt by B to change them fails as if they did not exist, leaving A's view unchanged.
// A's own resources are likewise invisible from another region of A's own account.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../support/server.ts';
import { expectTcError, session, type Session } from '../../support/tencent3/client.ts';
import { refused, snapshot } from '../../support/tencent3/snapshots.ts';
import { mustGetEni, primaryEniOf, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { attach, createEni, createSubnet, createVpc, runInstances } from '../../support/tencent3/world.ts';

let server: RunningServer;
let a: Session;
let b: Session;
/** A's resources. */
const A = { vpc: '', subnet: '', ins1: '', ins2: '', eniAttached: '', eniFree: '', primary: '', freeIp: '', task: '' };
/** B's own resources, of the same shape, so B's calls are otherwise valid. */
const B = { vpc: '', subnet: '', ins: '', eni: '' };

before(async () => {
  server = await startServer({ latency: '20', rateLimit: 'off' });
  [a, b] = await Promise.all([session(server), session(server)]);
  assert.notEqual(a.account.accountId, b.account.accountId);
  const build = async (x: Session) => {
    // The same CIDRs in both accounts: address spaces are per account too.
    const vpc = await createVpc(x, '10.0.0.0/16');
    const subnet = await createSubnet(x, vpc, '10.0.1.0/24');
    return { vpc, subnet };
  };
  const [na, nb] = await Promise.all([build(a), build(b)]);
  Object.assign(A, na);
  Object.assign(B, nb);
  const [[i1, i2], [bi]] = await Promise.all([
    runInstances(a.cvm, { vpcId: A.vpc, subnetId: A.subnet }, 2, 'S5.MEDIUM4'),
    runInstances(b.cvm, { vpcId: B.vpc, subnetId: B.subnet }, 1, 'S5.MEDIUM4'),
  ]);
  Object.assign(A, { ins1: i1, ins2: i2 });
  B.ins = bi!;
  [A.eniAttached, A.eniFree, B.eni] = await Promise.all([
    createEni(a, { vpcId: A.vpc, subnetId: A.subnet }),
    createEni(a, { vpcId: A.vpc, subnetId: A.subnet }, { secondary: 1 }),
    createEni(b, { vpcId: B.vpc, subnetId: B.subnet }),
  ]);
  // A's last async call: its RequestId is the task B will try to read.
  const { RequestId } = await a.vpc.AttachNetworkInterface({ NetworkInterfaceId: A.eniAttached, InstanceId: A.ins1 });
  A.task = RequestId!;
  await waitTaskSuccess(a.vpc, A.task);
  A.primary = (await primaryEniOf(a.vpc, A.ins1)).NetworkInterfaceId!;
  A.freeIp = (await mustGetEni(a.vpc, A.eniFree)).PrivateIpAddressSet!.find((p) => !p.Primary)!.PrivateIpAddress!;
});

after(async () => {
  await server?.stop();
});

describe("account B cannot see account A's resources", () => {
  test('Describe* without ids shows only B’s own resources', async () => {
    const [vpcs, subnets, enis, instances] = await Promise.all([
      b.vpc.DescribeVpcs({}),
      b.vpc.DescribeSubnets({}),
      b.vpc.DescribeNetworkInterfaces({}),
      b.cvm.DescribeInstances({}),
    ]);
    assert.deepEqual(vpcs.VpcSet!.map((v) => v.VpcId), [B.vpc]);
    assert.deepEqual(subnets.SubnetSet!.map((v) => v.SubnetId), [B.subnet]);
    assert.deepEqual(instances.InstanceSet!.map((v) => v.InstanceId), [B.ins]);
    // B's ENIs: its instance's primary and its own secondary.
    const ids = enis.NetworkInterfaceSet!.map((e) => e.NetworkInterfaceId!);
    assert.equal(enis.TotalCount, 2);
    assert.ok(ids.includes(B.eni));
    for (const id of [A.eniAttached, A.eniFree, A.primary]) assert.ok(!ids.includes(id), `B must not see ${id}`);
  });

  test("Describe* by A's ids and filters returns empty sets", async () => {
    const vpcs = await b.vpc.DescribeVpcs({ VpcIds: [A.vpc] });
    assert.equal(vpcs.TotalCount, 0);
    assert.deepEqual(vpcs.VpcSet, []);
    const vpcsF = await b.vpc.DescribeVpcs({ Filters: [{ Name: 'vpc-id', Values: [A.vpc] }] });
    assert.equal(vpcsF.TotalCount, 0);
    const subnets = await b.vpc.DescribeSubnets({ SubnetIds: [A.subnet] });
    assert.equal(subnets.TotalCount, 0);
    assert.deepEqual(subnets.SubnetSet, []);
    const subnetsF = await b.vpc.DescribeSubnets({ Filters: [{ Name: 'vpc-id', Values: [A.vpc] }] });
    assert.equal(subnetsF.TotalCount, 0);
    const enis = await b.vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: [A.eniAttached, A.eniFree, A.primary] });
    assert.equal(enis.TotalCount, 0);
    assert.deepEqual(enis.NetworkInterfaceSet, []);
    for (const f of [
      { Name: 'vpc-id', Values: [A.vpc] },
      { Name: 'attachment.instance-id', Values: [A.ins1] },
      { Name: 'address-ip', Values: [A.freeIp] },
    ]) {
      const r = await b.vpc.DescribeNetworkInterfaces({ Filters: [f] });
      assert.equal(r.TotalCount, 0, `filter ${f.Name}`);
    }
    const instances = await b.cvm.DescribeInstances({ InstanceIds: [A.ins1, A.ins2] });
    assert.equal(instances.TotalCount, 0);
    assert.deepEqual(instances.InstanceSet, []);
    const instancesF = await b.cvm.DescribeInstances({ Filters: [{ Name: 'vpc-id', Values: [A.vpc] }] });
    assert.equal(instancesF.TotalCount, 0);
  });

  test("A's task and limits are ResourceNotFound to B", async () => {
    // Sanity: A itself can read the task.
    assert.equal((await a.vpc.DescribeVpcTaskResult({ TaskId: A.task })).Status, 'SUCCESS');
    await expectTcError(b.vpc.DescribeVpcTaskResult({ TaskId: A.task }), 'ResourceNotFound');
    await expectTcError(b.vpc.DescribeNetworkInterfaceLimit({ InstanceId: A.eniFree }), 'ResourceNotFound');
    await expectTcError(b.vpc.DescribeNetworkInterfaceLimit({ InstanceId: A.ins1 }), 'InvalidInstanceId.NotFound');
  });
});

describe("account B cannot change account A's resources", () => {
  // Every refusal is checked against both accounts' full views.
  const no = (call: () => Promise<unknown>, code = 'ResourceNotFound') => refused(b, call, code, [a]);

  test('ENI operations on A’s ENIs and instances → ResourceNotFound', async () => {
    // A's ENI onto A's instance, A's ENI onto B's instance, B's ENI onto A's instance.
    await no(() => b.vpc.AttachNetworkInterface({ NetworkInterfaceId: A.eniFree, InstanceId: A.ins2 }));
    await no(() => b.vpc.AttachNetworkInterface({ NetworkInterfaceId: A.eniFree, InstanceId: B.ins }));
    await no(() => b.vpc.AttachNetworkInterface({ NetworkInterfaceId: B.eni, InstanceId: A.ins2 }));
    await no(() => b.vpc.DetachNetworkInterface({ NetworkInterfaceId: A.eniAttached, InstanceId: A.ins1 }));
    await no(() => b.vpc.MigrateNetworkInterface({ NetworkInterfaceId: A.eniAttached, SourceInstanceId: A.ins1, DestinationInstanceId: A.ins2 }));
    await no(() => b.vpc.MigrateNetworkInterface({ NetworkInterfaceId: A.eniAttached, SourceInstanceId: A.ins1, DestinationInstanceId: B.ins }));
    await no(() => b.vpc.DeleteNetworkInterface({ NetworkInterfaceId: A.eniFree }));
    await no(() => b.vpc.DeleteNetworkInterface({ NetworkInterfaceId: A.primary }));
    await no(() => b.vpc.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: A.eniFree, NetworkInterfaceName: 'pwned', SecurityGroupIds: ['sg-evil0000'] }));
    await no(() => b.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: A.eniFree, SecondaryPrivateIpAddressCount: 1 }));
    await no(() => b.vpc.UnassignPrivateIpAddresses({ NetworkInterfaceId: A.eniFree, PrivateIpAddresses: [{ PrivateIpAddress: A.freeIp }] }));
    await no(() => b.vpc.MigratePrivateIpAddress({ SourceNetworkInterfaceId: A.eniFree, DestinationNetworkInterfaceId: B.eni, PrivateIpAddress: A.freeIp }));
    await no(() => b.vpc.MigratePrivateIpAddress({ SourceNetworkInterfaceId: B.eni, DestinationNetworkInterfaceId: A.eniFree, PrivateIpAddress: A.freeIp }));
  });

  test("creating inside A's VPC/subnet, or deleting them → ResourceNotFound", async () => {
    await no(() => b.vpc.CreateNetworkInterface({ VpcId: A.vpc, SubnetId: A.subnet, NetworkInterfaceName: 'intruder' }));
    await no(() => b.vpc.CreateAndAttachNetworkInterface({ VpcId: B.vpc, SubnetId: B.subnet, NetworkInterfaceName: 'intruder', InstanceId: A.ins2 }));
    await no(() => b.vpc.CreateSubnet({ VpcId: A.vpc, SubnetName: 'intruder', CidrBlock: '10.0.9.0/24', Zone: 'ap-guangzhou-3' }));
    await no(() => b.vpc.DeleteSubnet({ SubnetId: A.subnet }));
    await no(() => b.vpc.DeleteVpc({ VpcId: A.vpc }));
  });

  test("CVM calls on A's instances → InvalidInstanceId.NotFound; RunInstances into A's VPC refused", async () => {
    await no(() => b.cvm.StopInstances({ InstanceIds: [A.ins2] }), 'InvalidInstanceId.NotFound');
    await no(() => b.cvm.StartInstances({ InstanceIds: [A.ins2] }), 'InvalidInstanceId.NotFound');
    await no(() => b.cvm.TerminateInstances({ InstanceIds: [A.ins2] }), 'InvalidInstanceId.NotFound');
    await no(
      () =>
        b.cvm.RunInstances({
          Placement: { Zone: 'ap-guangzhou-3' },
          InstanceType: 'S5.MEDIUM4',
          VirtualPrivateCloud: { VpcId: A.vpc, SubnetId: A.subnet },
        }),
      'InvalidParameterValue.VpcIdNotExist',
    );
  });

  test("B's own address space is separate: B may use the address A holds", async () => {
    const eni = await createEni(b, { vpcId: B.vpc, subnetId: B.subnet }, { ips: [A.freeIp] });
    assert.equal((await mustGetEni(b.vpc, eni)).PrivateIpAddressSet![0]!.PrivateIpAddress, A.freeIp);
    // ...and A still holds it.
    const mine = await mustGetEni(a.vpc, A.eniFree);
    assert.ok(mine.PrivateIpAddressSet!.some((p) => p.PrivateIpAddress === A.freeIp));
  });

  test("A still sees and controls everything it owns", async () => {
    const e = await mustGetEni(a.vpc, A.eniAttached);
    assert.equal(e.Attachment?.InstanceId, A.ins1);
    assert.equal((await mustGetEni(a.vpc, A.eniFree)).NetworkInterfaceName, 'err-eni');
    await attach(a, A.eniFree, A.ins2);
  });
});

describe('another region of the same account shows nothing', () => {
  test('ap-shanghai sees none of the ap-guangzhou resources and cannot touch them', async () => {
    const sh = await session(server, { region: 'ap-shanghai' }, a.account);
    const before = await snapshot(a);
    const view = await snapshot(sh);
    assert.deepEqual(view, { vpcs: [], subnets: [], enis: [], instances: [], securityGroups: [] });
    assert.equal((await sh.vpc.DescribeVpcs({ VpcIds: [A.vpc] })).TotalCount, 0);
    assert.equal((await sh.vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: [A.eniAttached] })).TotalCount, 0);
    assert.equal((await sh.cvm.DescribeInstances({ InstanceIds: [A.ins1] })).TotalCount, 0);
    await refused(sh, () => sh.vpc.DetachNetworkInterface({ NetworkInterfaceId: A.eniAttached, InstanceId: A.ins1 }), 'ResourceNotFound', [a]);
    await refused(sh, () => sh.vpc.DeleteNetworkInterface({ NetworkInterfaceId: A.eniAttached }), 'ResourceNotFound', [a]);
    await refused(sh, () => sh.vpc.DeleteVpc({ VpcId: A.vpc }), 'ResourceNotFound', [a]);
    await refused(sh, () => sh.cvm.StopInstances({ InstanceIds: [A.ins1] }), 'InvalidInstanceId.NotFound', [a]);
    await expectTcError(sh.vpc.DescribeVpcTaskResult({ TaskId: A.task }), 'ResourceNotFound');
    assert.deepEqual(await snapshot(a), before);
  });
});
