// The whole Tencent Cloud API 3.0 ENI lifecycle through the official SDK against a real eniplane
// server (SQLite): VPC and subnet, instances, ENIs created, attached, migrated, detached, IPs
// assigned/unassigned/migrated, quotas, deletion, power operations and termination; then paging and
// filters; then the same core calls in the other three wire modes the SDK can produce.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type AccountInfo, type RunningServer } from '../../support/server.ts';
import { cvmClient, type CvmClient, type Eni, expectTcError, type TcMode, vpcClient, type VpcClient, ZONE } from '../../support/tencent3/client.ts';
import { describeInstances, getEni, listEnis, mustGetEni, waitEniReady, waitInstances, waitTask, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { pollUntil } from '../../support/poll.ts';

// Long enough that the transitional states (PENDING, ATTACHING, RUNNING tasks...) are reliably seen
// by the Describe call made right after the request; short enough to keep the file quick.
const LATENCY_MS = 600;

const ID = (prefix: string) => new RegExp(`^${prefix}-[a-z0-9]{8}$`);

function ipInCidr(ip: string, cidr: string): boolean {
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const [base, bits] = cidr.split('/') as [string, string];
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return ((toInt(ip) & mask) >>> 0) === ((toInt(base) & mask) >>> 0);
}

const primaryIpOf = (e: Eni): string => e.PrivateIpAddressSet!.find((p) => p.Primary)!.PrivateIpAddress!;
const ipsOf = (e: Eni): string[] => e.PrivateIpAddressSet!.map((p) => p.PrivateIpAddress!).sort();

let server: RunningServer;
let creds: AccountInfo;
let vpc: VpcClient;
let cvm: CvmClient;

before(async () => {
  server = await startServer({ latency: String(LATENCY_MS), rateLimit: 'off' });
  creds = await server.createAccount();
  vpc = vpcClient(server.port, creds);
  cvm = cvmClient(server.port, creds);
});

after(async () => {
  await server?.stop();
});

describe('API 3.0 ENI lifecycle through the official SDK', () => {
  test('VPC → subnet → instances → ENI create/attach/migrate/detach/IPs/quota/delete → power → terminate → teardown', async () => {
    // ---- VPC and subnet ------------------------------------------------------------------------
    const { Vpc } = await vpc.CreateVpc({ VpcName: 'life', CidrBlock: '10.20.0.0/16' });
    assert.match(Vpc!.VpcId!, ID('vpc'));
    assert.equal(Vpc!.CidrBlock, '10.20.0.0/16');
    assert.equal(Vpc!.VpcName, 'life');
    const vpcId = Vpc!.VpcId!;

    const { Subnet } = await vpc.CreateSubnet({ VpcId: vpcId, SubnetName: 'life-a', CidrBlock: '10.20.1.0/24', Zone: ZONE });
    assert.match(Subnet!.SubnetId!, ID('subnet'));
    assert.equal(Subnet!.VpcId, vpcId);
    assert.equal(Subnet!.Zone, ZONE);
    assert.equal(Subnet!.CidrBlock, '10.20.1.0/24');
    assert.equal(Subnet!.TotalIpAddressCount, 256);
    const subnetId = Subnet!.SubnetId!;
    const availableAtStart = Subnet!.AvailableIpAddressCount!;
    assert.ok(availableAtStart > 200 && availableAtStart < 256, `AvailableIpAddressCount ${availableAtStart}`);

    // ---- two instances -------------------------------------------------------------------------
    const run = await cvm.RunInstances({
      Placement: { Zone: ZONE },
      InstanceType: 'S5.MEDIUM4',
      InstanceCount: 2,
      InstanceName: 'life-',
      VirtualPrivateCloud: { VpcId: vpcId, SubnetId: subnetId },
    });
    assert.equal(run.InstanceIdSet!.length, 2);
    const [a, b] = run.InstanceIdSet as [string, string];
    assert.match(a, ID('ins'));
    assert.match(b, ID('ins'));
    assert.notEqual(a, b);
    const pending = await describeInstances(cvm, [a, b]);
    assert.deepEqual(pending.map((i) => i.InstanceState), ['PENDING', 'PENDING']);
    const running = await waitInstances(cvm, [a, b], 'RUNNING');
    for (const i of running) {
      assert.equal(i.InstanceType, 'S5.MEDIUM4');
      assert.equal(i.Placement!.Zone, ZONE);
      assert.equal(i.VirtualPrivateCloud!.VpcId, vpcId);
      assert.equal(i.VirtualPrivateCloud!.SubnetId, subnetId);
      assert.equal(i.PrivateIpAddresses!.length, 1);
      assert.ok(ipInCidr(i.PrivateIpAddresses![0]!, '10.20.1.0/24'));
      assert.equal(i.LatestOperation, 'RunInstances');
      assert.equal(i.LatestOperationState, 'SUCCESS');
      assert.equal(i.LatestOperationRequestId, run.RequestId);
    }
    // Each instance got exactly one primary ENI carrying its private IP.
    const primaries = new Map<string, Eni>();
    for (const id of [a, b]) {
      const { NetworkInterfaceSet, TotalCount } = await vpc.DescribeNetworkInterfaces({
        Filters: [{ Name: 'attachment.instance-id', Values: [id] }],
      });
      assert.equal(TotalCount, 1);
      const p = NetworkInterfaceSet![0]!;
      assert.equal(p.Primary, true);
      assert.equal(p.EniType, 1);
      assert.equal(p.Attachment!.InstanceId, id);
      assert.equal(p.Attachment!.DeviceIndex, 0);
      assert.equal(p.State, 'AVAILABLE');
      assert.equal(primaryIpOf(p), running.find((i) => i.InstanceId === id)!.PrivateIpAddresses![0]);
      primaries.set(id, p);
    }
    // The primary ENI can be neither detached nor deleted on its own.
    await expectTcError(vpc.DetachNetworkInterface({ NetworkInterfaceId: primaries.get(a)!.NetworkInterfaceId!, InstanceId: a }), 'UnsupportedOperation');
    await expectTcError(vpc.DeleteNetworkInterface({ NetworkInterfaceId: primaries.get(a)!.NetworkInterfaceId! }), 'UnsupportedOperation');

    // ---- CreateNetworkInterface: PENDING then AVAILABLE, 1 primary + 2 secondaries -------------
    const created = await vpc.CreateNetworkInterface({
      VpcId: vpcId,
      SubnetId: subnetId,
      NetworkInterfaceName: 'life-eni',
      NetworkInterfaceDescription: 'first',
      SecondaryPrivateIpAddressCount: 2,
      Tags: [{ Key: 'env', Value: 'test' }],
    });
    const eniId = created.NetworkInterface!.NetworkInterfaceId!;
    assert.match(eniId, ID('eni'));
    assert.equal(created.NetworkInterface!.State, 'PENDING');
    assert.equal(created.NetworkInterface!.Attachment, null);
    assert.equal(created.NetworkInterface!.Primary, false);
    const justCreated = await mustGetEni(vpc, eniId);
    assert.equal(justCreated.State, 'PENDING');
    assert.ok(justCreated.PrivateIpAddressSet!.every((p) => p.State === 'PENDING'));
    assert.equal((await vpc.DescribeVpcTaskResult({ TaskId: created.RequestId! })).Status, 'RUNNING');
    const ready = await waitEniReady(vpc, eniId);
    await waitTaskSuccess(vpc, created.RequestId!);
    assert.equal(ready.PrivateIpAddressSet!.length, 3);
    assert.equal(ready.PrivateIpAddressSet!.filter((p) => p.Primary).length, 1);
    assert.equal(ready.PrivateIpAddressSet![0]!.Primary, true, 'the primary IP is listed first');
    for (const p of ready.PrivateIpAddressSet!) {
      assert.equal(p.State, 'AVAILABLE');
      assert.ok(ipInCidr(p.PrivateIpAddress!, '10.20.1.0/24'), p.PrivateIpAddress);
    }
    assert.equal(new Set(ipsOf(ready)).size, 3, 'distinct IPs');
    assert.equal(ready.VpcId, vpcId);
    assert.equal(ready.SubnetId, subnetId);
    assert.equal(ready.Zone, ZONE);
    assert.equal(ready.NetworkInterfaceName, 'life-eni');
    assert.equal(ready.NetworkInterfaceDescription, 'first');
    assert.match(ready.MacAddress!, /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/i);
    assert.equal(ready.NetworkInterfaceState, 'AVAILABLE');
    assert.equal(ready.EniType, 0);
    assert.deepEqual(ready.TagSet, [{ Key: 'env', Value: 'test' }]);
    const { SubnetSet: afterCreate } = await vpc.DescribeSubnets({ SubnetIds: [subnetId] });
    assert.equal(afterCreate![0]!.AvailableIpAddressCount, availableAtStart - 2 - 3, 'two instance IPs and three ENI IPs in use');

    // ---- AttachNetworkInterface: task RUNNING then SUCCESS, ENI INUSE on a ----------------------
    const attach = await vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: a });
    assert.equal(typeof attach.RequestId, 'string');
    assert.equal((await vpc.DescribeVpcTaskResult({ TaskId: attach.RequestId! })).Status, 'RUNNING');
    const attaching = await mustGetEni(vpc, eniId);
    assert.equal(attaching.State, 'ATTACHING');
    assert.equal(attaching.Attachment!.InstanceId, a);
    // A second operation on the ENI while the attach runs is refused.
    await expectTcError(vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: b }), 'UnsupportedOperation.AttachmentAlreadyExists');
    const attachDone = await waitTask(vpc, attach.RequestId!);
    assert.equal(attachDone.Status, 'SUCCESS');
    assert.equal(attachDone.Output, 'SUCCESS');
    const attached = await mustGetEni(vpc, eniId);
    assert.equal(attached.State, 'AVAILABLE');
    assert.equal(attached.NetworkInterfaceState, 'INUSE');
    assert.equal(attached.Attachment!.InstanceId, a);
    assert.equal(attached.Attachment!.DeviceIndex, 1);
    assert.match(attached.Attachment!.AttachTime!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    // Attaching it again, anywhere, is AttachmentAlreadyExists.
    await expectTcError(vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: a }), 'UnsupportedOperation.AttachmentAlreadyExists');

    // ---- MigrateNetworkInterface a → b ---------------------------------------------------------
    const migrate = await vpc.MigrateNetworkInterface({ NetworkInterfaceId: eniId, SourceInstanceId: a, DestinationInstanceId: b });
    assert.equal((await vpc.DescribeVpcTaskResult({ TaskId: migrate.RequestId! })).Status, 'RUNNING');
    await waitTaskSuccess(vpc, migrate.RequestId!);
    const migrated = await mustGetEni(vpc, eniId);
    assert.equal(migrated.Attachment!.InstanceId, b);
    assert.equal(migrated.State, 'AVAILABLE');
    assert.equal(migrated.NetworkInterfaceState, 'INUSE');
    assert.deepEqual(ipsOf(migrated), ipsOf(ready), 'migration keeps the IPs');

    // ---- DetachNetworkInterface: DETACHING, then Attachment null --------------------------------
    await expectTcError(vpc.DetachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: a }), 'UnsupportedOperation.InvalidState');
    const detach = await vpc.DetachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: b });
    assert.equal((await mustGetEni(vpc, eniId)).State, 'DETACHING');
    await waitTaskSuccess(vpc, detach.RequestId!);
    const detached = await mustGetEni(vpc, eniId);
    assert.equal(detached.Attachment, null);
    assert.equal(detached.State, 'AVAILABLE');
    assert.equal(detached.NetworkInterfaceState, 'AVAILABLE');

    // ---- AssignPrivateIpAddresses: one named, one by count --------------------------------------
    const named = '10.20.1.200';
    const assign = await vpc.AssignPrivateIpAddresses({
      NetworkInterfaceId: eniId,
      PrivateIpAddresses: [{ PrivateIpAddress: named }],
      SecondaryPrivateIpAddressCount: 1,
    });
    assert.equal(assign.PrivateIpAddressSet!.length, 2);
    assert.ok(assign.PrivateIpAddressSet!.some((p) => p.PrivateIpAddress === named));
    const assigned = assign.PrivateIpAddressSet!.map((p) => p.PrivateIpAddress!);
    const mid = await mustGetEni(vpc, eniId);
    assert.deepEqual(
      mid.PrivateIpAddressSet!.filter((p) => assigned.includes(p.PrivateIpAddress!)).map((p) => p.State),
      ['PENDING', 'PENDING'],
    );
    await waitTaskSuccess(vpc, assign.RequestId!);
    const withFive = await waitEniReady(vpc, eniId);
    assert.equal(withFive.PrivateIpAddressSet!.length, 5);
    for (const ip of assigned) assert.ok(ipsOf(withFive).includes(ip));
    // The named address is now taken in the subnet.
    await expectTcError(
      vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: eniId, PrivateIpAddresses: [{ PrivateIpAddress: named }] }),
      'ResourceInUse',
    );

    // ---- UnassignPrivateIpAddresses ------------------------------------------------------------
    await expectTcError(
      vpc.UnassignPrivateIpAddresses({ NetworkInterfaceId: eniId, PrivateIpAddresses: [{ PrivateIpAddress: primaryIpOf(withFive) }] }),
      'UnsupportedOperation.PrimaryIp',
    );
    const unassign = await vpc.UnassignPrivateIpAddresses({ NetworkInterfaceId: eniId, PrivateIpAddresses: [{ PrivateIpAddress: named }] });
    const deleting = await mustGetEni(vpc, eniId);
    assert.equal(deleting.PrivateIpAddressSet!.find((p) => p.PrivateIpAddress === named)?.State, 'DELETING');
    await waitTaskSuccess(vpc, unassign.RequestId!);
    const withFour = await waitEniReady(vpc, eniId);
    assert.equal(withFour.PrivateIpAddressSet!.length, 4);
    assert.ok(!ipsOf(withFour).includes(named));

    // ---- MigratePrivateIpAddress to a second ENI of the same subnet ------------------------------
    const second = await vpc.CreateNetworkInterface({ VpcId: vpcId, SubnetId: subnetId, NetworkInterfaceName: 'life-eni-2' });
    const eni2 = second.NetworkInterface!.NetworkInterfaceId!;
    await waitEniReady(vpc, eni2);
    const moving = withFour.PrivateIpAddressSet!.find((p) => !p.Primary)!.PrivateIpAddress!;
    await expectTcError(
      vpc.MigratePrivateIpAddress({ SourceNetworkInterfaceId: eniId, DestinationNetworkInterfaceId: eni2, PrivateIpAddress: primaryIpOf(withFour) }),
      'UnsupportedOperation.PrimaryIp',
    );
    const migIp = await vpc.MigratePrivateIpAddress({ SourceNetworkInterfaceId: eniId, DestinationNetworkInterfaceId: eni2, PrivateIpAddress: moving });
    assert.equal((await mustGetEni(vpc, eniId)).PrivateIpAddressSet!.find((p) => p.PrivateIpAddress === moving)?.State, 'MIGRATING');
    await waitTaskSuccess(vpc, migIp.RequestId!);
    const src = await waitEniReady(vpc, eniId);
    const dst = await waitEniReady(vpc, eni2);
    assert.equal(src.PrivateIpAddressSet!.length, 3);
    assert.ok(!ipsOf(src).includes(moving));
    assert.equal(dst.PrivateIpAddressSet!.length, 2);
    const movedIp = dst.PrivateIpAddressSet!.find((p) => p.PrivateIpAddress === moving);
    assert.ok(movedIp, 'the IP arrived on the destination ENI');
    assert.equal(movedIp.Primary, false);
    assert.equal(movedIp.State, 'AVAILABLE');

    // ---- ModifyNetworkInterfaceAttribute (synchronous) -------------------------------------------
    await vpc.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: eniId, NetworkInterfaceName: 'renamed', NetworkInterfaceDescription: 'changed' });
    const modified = await mustGetEni(vpc, eniId);
    assert.equal(modified.NetworkInterfaceName, 'renamed');
    assert.equal(modified.NetworkInterfaceDescription, 'changed');
    assert.equal(modified.State, 'AVAILABLE');

    // ---- DescribeNetworkInterfaceLimit ---------------------------------------------------------
    const insLimit = await vpc.DescribeNetworkInterfaceLimit({ InstanceId: a });
    assert.equal(insLimit.EniQuantity, 2, 'S5.MEDIUM4: 2 standard ENIs including the primary');
    assert.equal(insLimit.EniPrivateIpAddressQuantity, 10);
    assert.equal(insLimit.ExtendEniQuantity, 0);
    const eniLimit = await vpc.DescribeNetworkInterfaceLimit({ InstanceId: eniId });
    assert.equal(eniLimit.EniPrivateIpAddressQuantity, 10);
    await expectTcError(vpc.DescribeNetworkInterfaceLimit({ InstanceId: 'ins-zzzzzzzz' }), 'InvalidInstanceId.NotFound');

    // ---- CreateAndAttachNetworkInterface: Attachment set in the answer -------------------------
    const cna = await vpc.CreateAndAttachNetworkInterface({
      VpcId: vpcId,
      SubnetId: subnetId,
      NetworkInterfaceName: 'life-eni-3',
      InstanceId: a,
      SecondaryPrivateIpAddressCount: 1,
    });
    const eni3 = cna.NetworkInterface!.NetworkInterfaceId!;
    assert.equal(cna.NetworkInterface!.Attachment!.InstanceId, a);
    assert.equal(cna.NetworkInterface!.State, 'PENDING');
    assert.equal((await mustGetEni(vpc, eni3)).State, 'PENDING');
    await waitTaskSuccess(vpc, cna.RequestId!);
    const e3 = await waitEniReady(vpc, eni3);
    assert.equal(e3.Attachment!.InstanceId, a);
    assert.equal(e3.NetworkInterfaceState, 'INUSE');
    assert.equal(e3.PrivateIpAddressSet!.length, 2);
    // a now holds its primary plus eni3: its quota of 2 is full.
    await expectTcError(vpc.AttachNetworkInterface({ NetworkInterfaceId: eni2, InstanceId: a }), 'LimitExceeded');
    // An attached ENI cannot be deleted.
    await expectTcError(vpc.DeleteNetworkInterface({ NetworkInterfaceId: eni3 }), 'ResourceInUse');

    // ---- DeleteNetworkInterface: DELETING, then gone --------------------------------------------
    const del = await vpc.DeleteNetworkInterface({ NetworkInterfaceId: eni2 });
    assert.equal((await mustGetEni(vpc, eni2)).State, 'DELETING');
    assert.equal((await vpc.DescribeVpcTaskResult({ TaskId: del.RequestId! })).Status, 'RUNNING');
    await waitTaskSuccess(vpc, del.RequestId!);
    assert.equal(await getEni(vpc, eni2), undefined);
    await expectTcError(vpc.DeleteNetworkInterface({ NetworkInterfaceId: eni2 }), 'ResourceNotFound');

    // Put eniId back on b so that termination has a secondary ENI to release on each instance.
    await waitTaskSuccess(vpc, (await vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: b })).RequestId!);

    // ---- StopInstances / StartInstances ---------------------------------------------------------
    const stop = await cvm.StopInstances({ InstanceIds: [a] });
    const [stopping] = await describeInstances(cvm, [a]);
    assert.equal(stopping!.InstanceState, 'STOPPING');
    assert.equal(stopping!.LatestOperation, 'StopInstances');
    assert.equal(stopping!.LatestOperationState, 'OPERATING');
    assert.equal(stopping!.LatestOperationRequestId, stop.RequestId);
    await expectTcError(cvm.StartInstances({ InstanceIds: [a] }), 'OperationDenied.InstanceOperationInProgress');
    const [stopped] = await waitInstances(cvm, [a], 'STOPPED');
    assert.equal(stopped!.LatestOperationState, 'SUCCESS');
    assert.equal(stopped!.LatestOperationRequestId, stop.RequestId);
    // ENIs stay attached to a stopped instance.
    assert.equal((await mustGetEni(vpc, eni3)).Attachment!.InstanceId, a);
    const start = await cvm.StartInstances({ InstanceIds: [a] });
    const [starting] = await describeInstances(cvm, [a]);
    assert.equal(starting!.InstanceState, 'STARTING');
    assert.equal(starting!.LatestOperation, 'StartInstances');
    assert.equal(starting!.LatestOperationState, 'OPERATING');
    const [started] = await waitInstances(cvm, [a], 'RUNNING');
    assert.equal(started!.LatestOperationState, 'SUCCESS');
    assert.equal(started!.LatestOperationRequestId, start.RequestId);

    // ---- TerminateInstances: primary ENIs gone, secondaries detached and AVAILABLE ---------------
    const term = await cvm.TerminateInstances({ InstanceIds: [a, b] });
    const terminating = await describeInstances(cvm, [a, b]);
    assert.deepEqual(terminating.map((i) => i.InstanceState), ['TERMINATING', 'TERMINATING']);
    assert.ok(terminating.every((i) => i.LatestOperationRequestId === term.RequestId));
    await pollUntil(async () => (await cvm.DescribeInstances({ InstanceIds: [a, b] })).TotalCount === 0, { what: 'instances gone' });
    for (const p of primaries.values()) assert.equal(await getEni(vpc, p.NetworkInterfaceId!), undefined, 'primary ENI released');
    for (const id of [eniId, eni3]) {
      const e = await mustGetEni(vpc, id);
      assert.equal(e.Attachment, null, `${id} detached`);
      assert.equal(e.State, 'AVAILABLE');
      assert.equal(e.NetworkInterfaceState, 'AVAILABLE');
    }

    // ---- DeleteSubnet / DeleteVpc ----------------------------------------------------------------
    await expectTcError(vpc.DeleteVpc({ VpcId: vpcId }), 'ResourceInUse');
    await expectTcError(vpc.DeleteSubnet({ SubnetId: subnetId }), 'ResourceInUse');
    const dels = await Promise.all([eniId, eni3].map((id) => vpc.DeleteNetworkInterface({ NetworkInterfaceId: id })));
    for (const d of dels) await waitTaskSuccess(vpc, d.RequestId!);
    assert.equal((await listEnis(vpc, vpcId)).length, 0);
    const { SubnetSet: emptied } = await vpc.DescribeSubnets({ SubnetIds: [subnetId] });
    assert.equal(emptied![0]!.AvailableIpAddressCount, availableAtStart, 'every address returned to the subnet');
    await vpc.DeleteSubnet({ SubnetId: subnetId });
    assert.equal((await vpc.DescribeSubnets({ SubnetIds: [subnetId] })).TotalCount, 0);
    await vpc.DeleteVpc({ VpcId: vpcId });
    assert.equal((await vpc.DescribeVpcs({ VpcIds: [vpcId] })).TotalCount, 0);
  });

  test('DescribeZones, DescribeRegions, DescribeInstanceTypeConfigs', async () => {
    const zones = await cvm.DescribeZones();
    assert.equal(zones.TotalCount, zones.ZoneSet!.length);
    assert.deepEqual(
      zones.ZoneSet!.map((z) => z.Zone),
      ['ap-guangzhou-3', 'ap-guangzhou-4', 'ap-guangzhou-6', 'ap-guangzhou-7'],
    );
    const z3 = zones.ZoneSet!.find((z) => z.Zone === ZONE)!;
    assert.equal(z3.ZoneId, '100003');
    assert.equal(z3.ZoneState, 'AVAILABLE');
    assert.equal(typeof z3.ZoneName, 'string');
    const en = await cvmClient(server.port, creds, { language: 'en-US' }).DescribeZones();
    assert.equal(en.ZoneSet!.find((z) => z.Zone === ZONE)!.ZoneName, 'Guangzhou Zone 3');

    const regions = await cvm.DescribeRegions();
    assert.equal(regions.TotalCount, regions.RegionSet!.length);
    const names = regions.RegionSet!.map((r) => r.Region);
    for (const r of ['ap-guangzhou', 'ap-shanghai', 'ap-beijing']) assert.ok(names.includes(r), r);
    assert.ok(regions.RegionSet!.every((r) => r.RegionState === 'AVAILABLE'));

    const all = await cvm.DescribeInstanceTypeConfigs({});
    assert.ok(all.InstanceTypeConfigSet!.length > 0);
    assert.ok(all.InstanceTypeConfigSet!.every((c) => c.Zone!.startsWith('ap-guangzhou-')));
    const one = await cvm.DescribeInstanceTypeConfigs({
      Filters: [
        { Name: 'zone', Values: [ZONE] },
        { Name: 'instance-type', Values: ['S5.LARGE8'] },
      ],
    });
    assert.equal(one.InstanceTypeConfigSet!.length, 1);
    const c = one.InstanceTypeConfigSet![0]!;
    assert.equal(c.Zone, ZONE);
    assert.equal(c.InstanceType, 'S5.LARGE8');
    assert.equal(c.InstanceFamily, 'S5');
    assert.equal(c.CPU, 4);
    assert.equal(c.Memory, 8);
    const fam = await cvm.DescribeInstanceTypeConfigs({ Filters: [{ Name: 'instance-family', Values: ['S5'] }, { Name: 'zone', Values: [ZONE] }] });
    assert.ok(fam.InstanceTypeConfigSet!.length >= 8);
    assert.ok(fam.InstanceTypeConfigSet!.every((x) => x.InstanceFamily === 'S5' && x.Zone === ZONE));
    await expectTcError(cvm.DescribeInstanceTypeConfigs({ Filters: [{ Name: 'nope', Values: ['x'] }] }), 'InvalidFilter');
  });

  test('paging and filters of DescribeNetworkInterfaces, DescribeVpcs, DescribeSubnets', async () => {
    const { Vpc } = await vpc.CreateVpc({ VpcName: 'paging-vpc', CidrBlock: '10.30.0.0/16', Tags: [{ Key: 'purpose', Value: 'paging' }] });
    const vpcId = Vpc!.VpcId!;
    const { Vpc: other } = await vpc.CreateVpc({ VpcName: 'other-vpc', CidrBlock: '172.16.0.0/16' });
    const { Subnet: sa } = await vpc.CreateSubnet({ VpcId: vpcId, SubnetName: 'pg-a', CidrBlock: '10.30.1.0/24', Zone: ZONE });
    const { Subnet: sb } = await vpc.CreateSubnet({ VpcId: vpcId, SubnetName: 'pg-b', CidrBlock: '10.30.2.0/24', Zone: 'ap-guangzhou-4' });
    const { Subnet: so } = await vpc.CreateSubnet({ VpcId: other!.VpcId!, SubnetName: 'other', CidrBlock: '172.16.1.0/24', Zone: ZONE });
    const subnetA = sa!.SubnetId!;
    const subnetB = sb!.SubnetId!;

    const run = await cvm.RunInstances({
      Placement: { Zone: ZONE },
      InstanceType: 'S5.LARGE8',
      VirtualPrivateCloud: { VpcId: vpcId, SubnetId: subnetA },
    });
    const ins = run.InstanceIdSet![0]!;

    // 25 ENIs: 15 in subnet A (5 tagged team=red), 10 in subnet B; plus one in the other VPC.
    const specs = Array.from({ length: 25 }, (_, i) => ({
      VpcId: vpcId,
      SubnetId: i < 15 ? subnetA : subnetB,
      NetworkInterfaceName: `pg-${String(i).padStart(2, '0')}`,
      ...(i < 5 ? { Tags: [{ Key: 'team', Value: 'red' }] } : i < 8 ? { Tags: [{ Key: 'team', Value: 'blue' }] } : {}),
    }));
    const created = await Promise.all(specs.map((s) => vpc.CreateNetworkInterface(s)));
    const ids = created.map((c) => c.NetworkInterface!.NetworkInterfaceId!);
    assert.equal(new Set(ids).size, 25);
    const outsider = await vpc.CreateNetworkInterface({ VpcId: other!.VpcId!, SubnetId: so!.SubnetId!, NetworkInterfaceName: 'outsider' });
    await waitInstances(cvm, [ins], 'RUNNING');
    for (const c of created) await waitTaskSuccess(vpc, c.RequestId!);
    await waitTaskSuccess(vpc, outsider.RequestId!);
    const attach = await vpc.AttachNetworkInterface({ NetworkInterfaceId: ids[0]!, InstanceId: ins });
    await waitTaskSuccess(vpc, attach.RequestId!);

    const byVpc = [{ Name: 'vpc-id', Values: [vpcId] }];
    // 25 secondaries + the instance's primary.
    const TOTAL = 26;
    const first = await vpc.DescribeNetworkInterfaces({ Filters: byVpc });
    assert.equal(first.TotalCount, TOTAL);
    assert.equal(first.NetworkInterfaceSet!.length, 20, 'default Limit is 20');
    const seen: string[] = [];
    for (const [offset, size] of [[0, 10], [10, 10], [20, 6], [30, 0]] as const) {
      const pageRes = await vpc.DescribeNetworkInterfaces({ Filters: byVpc, Offset: offset, Limit: 10 });
      assert.equal(pageRes.TotalCount, TOTAL, `TotalCount at offset ${offset}`);
      assert.equal(pageRes.NetworkInterfaceSet!.length, size, `page size at offset ${offset}`);
      seen.push(...pageRes.NetworkInterfaceSet!.map((e) => e.NetworkInterfaceId!));
    }
    assert.equal(seen.length, TOTAL);
    assert.equal(new Set(seen).size, TOTAL, 'pages do not overlap');
    for (const id of ids) assert.ok(seen.includes(id), `${id} appears on some page`);
    const big = await vpc.DescribeNetworkInterfaces({ Filters: byVpc, Limit: 100 });
    assert.equal(big.NetworkInterfaceSet!.length, TOTAL);
    await expectTcError(vpc.DescribeNetworkInterfaces({ Filters: byVpc, Limit: 101 }), 'InvalidParameterValue.Range');
    await expectTcError(vpc.DescribeNetworkInterfaces({ Filters: byVpc, Offset: -1 }), 'InvalidParameterValue.Range');

    const count = async (Filters: Array<{ Name: string; Values: string[] }>) => (await vpc.DescribeNetworkInterfaces({ Filters, Limit: 100 })).TotalCount;
    assert.equal(await count([{ Name: 'subnet-id', Values: [subnetA] }]), 16, '15 + the primary');
    assert.equal(await count([{ Name: 'subnet-id', Values: [subnetB] }]), 10);
    assert.equal(await count([{ Name: 'subnet-id', Values: [subnetA, subnetB] }]), 26, 'values inside a filter are ORed');
    assert.equal(await count([...byVpc, { Name: 'subnet-id', Values: [subnetB] }]), 10, 'filters are ANDed');
    assert.equal(await count([{ Name: 'vpc-id', Values: [other!.VpcId!] }]), 1);
    const onIns = await vpc.DescribeNetworkInterfaces({ Filters: [{ Name: 'attachment.instance-id', Values: [ins] }] });
    assert.equal(onIns.TotalCount, 2);
    assert.deepEqual(onIns.NetworkInterfaceSet!.map((e) => e.Primary).sort(), [false, true]);
    assert.ok(onIns.NetworkInterfaceSet!.some((e) => e.NetworkInterfaceId === ids[0]));
    assert.equal(await count([...byVpc, { Name: 'is-primary', Values: ['true'] }]), 1);
    assert.equal(await count([...byVpc, { Name: 'is-primary', Values: ['false'] }]), 25);
    assert.equal(await count([{ Name: 'tag:team', Values: ['red'] }]), 5);
    assert.equal(await count([{ Name: 'tag:team', Values: ['red', 'blue'] }]), 8);
    assert.equal(await count([{ Name: 'tag:team', Values: ['green'] }]), 0);
    assert.equal(await count([{ Name: 'tag-key', Values: ['team'] }]), 8);
    const target = (await mustGetEni(vpc, ids[17]!)).PrivateIpAddressSet![0]!.PrivateIpAddress!;
    const byIp = await vpc.DescribeNetworkInterfaces({
      Filters: [
        { Name: 'address-ip', Values: [target] },
        { Name: 'ip-exact-match', Values: ['true'] },
      ],
    });
    assert.equal(byIp.TotalCount, 1);
    assert.equal(byIp.NetworkInterfaceSet![0]!.NetworkInterfaceId, ids[17]);
    assert.equal(await count([{ Name: 'address-ip', Values: ['10.99.99.99'] }]), 0);
    const byName = await vpc.DescribeNetworkInterfaces({ Filters: [{ Name: 'network-interface-name', Values: ['pg-03'] }] });
    assert.deepEqual(byName.NetworkInterfaceSet!.map((e) => e.NetworkInterfaceId), [ids[3]]);
    await expectTcError(vpc.DescribeNetworkInterfaces({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] }), 'InvalidParameter.FilterInvalidKey');
    await expectTcError(
      vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: [ids[0]!], Filters: byVpc }),
      'InvalidParameter.Coexist',
    );
    const byIds = await vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: [ids[1]!, ids[2]!, 'eni-zzzzzzzz'] });
    assert.equal(byIds.TotalCount, 2);
    assert.deepEqual(byIds.NetworkInterfaceSet!.map((e) => e.NetworkInterfaceId).sort(), [ids[1], ids[2]].sort());

    // ---- DescribeVpcs ----------------------------------------------------------------------------
    const vpcCount = async (Filters: Array<{ Name: string; Values: string[] }>) => {
      const r = await vpc.DescribeVpcs({ Filters });
      return r.VpcSet!.map((v) => v.VpcId).sort();
    };
    assert.deepEqual(await vpcCount([{ Name: 'vpc-id', Values: [vpcId] }]), [vpcId]);
    assert.deepEqual(await vpcCount([{ Name: 'vpc-name', Values: ['paging'] }]), [vpcId], 'vpc-name is a fuzzy match');
    assert.deepEqual(await vpcCount([{ Name: 'cidr-block', Values: ['172.16.0.0/16'] }]), [other!.VpcId]);
    assert.deepEqual(await vpcCount([{ Name: 'tag-key', Values: ['purpose'] }]), [vpcId]);
    assert.deepEqual(await vpcCount([{ Name: 'tag:purpose', Values: ['paging'] }]), [vpcId]);
    assert.deepEqual(await vpcCount([{ Name: 'vpc-id', Values: [vpcId, other!.VpcId!] }]), [vpcId, other!.VpcId].sort());
    const vpcPage = await vpc.DescribeVpcs({ Filters: [{ Name: 'vpc-id', Values: [vpcId, other!.VpcId!] }], Offset: '1', Limit: '1' });
    assert.equal(vpcPage.TotalCount, 2);
    assert.equal(vpcPage.VpcSet!.length, 1);
    await expectTcError(vpc.DescribeVpcs({ Filters: [{ Name: 'bogus', Values: ['x'] }] }), 'InvalidParameter.FilterInvalidKey');

    // ---- DescribeSubnets -------------------------------------------------------------------------
    const subnetIds = async (Filters: Array<{ Name: string; Values: string[] }>) =>
      (await vpc.DescribeSubnets({ Filters })).SubnetSet!.map((s) => s.SubnetId).sort();
    assert.deepEqual(await subnetIds([{ Name: 'vpc-id', Values: [vpcId] }]), [subnetA, subnetB].sort());
    assert.deepEqual(await subnetIds([{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'zone', Values: ['ap-guangzhou-4'] }]), [subnetB]);
    assert.deepEqual(await subnetIds([{ Name: 'subnet-id', Values: [subnetA] }]), [subnetA]);
    assert.deepEqual(await subnetIds([{ Name: 'cidr-block', Values: ['10.30.2.0/24'] }]), [subnetB]);
    assert.deepEqual(await subnetIds([{ Name: 'subnet-name', Values: ['pg-'] }]), [subnetA, subnetB].sort());
    const sbInfo = (await vpc.DescribeSubnets({ SubnetIds: [subnetB] })).SubnetSet![0]!;
    assert.equal(sbInfo.AvailableIpAddressCount, sb!.AvailableIpAddressCount! - 10, 'ten addresses taken in subnet B');
    const subnetPage = await vpc.DescribeSubnets({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }], Limit: '1' });
    assert.equal(subnetPage.TotalCount, 2);
    assert.equal(subnetPage.SubnetSet!.length, 1);
  });
});

// ---- the other wire modes ----------------------------------------------------------------------

const OTHER_MODES: TcMode[] = ['tc3-get', 'hmac-sha256', 'hmac-sha1'];

describe('the same calls in every SDK wire mode', () => {
  OTHER_MODES.forEach((mode, n) => {
    test(`${mode}: create VPC/subnet/instance/ENI, describe with filters, attach, detach, delete`, async () => {
      const v = vpcClient(server.port, creds, { mode });
      const c = cvmClient(server.port, creds, { mode });
      const octet = 40 + n;
      const { Vpc } = await v.CreateVpc({ VpcName: `mode-${mode}`, CidrBlock: `10.${octet}.0.0/16`, Tags: [{ Key: 'mode', Value: mode }] });
      const vpcId = Vpc!.VpcId!;
      const { Subnet } = await v.CreateSubnet({ VpcId: vpcId, SubnetName: 'm', CidrBlock: `10.${octet}.1.0/24`, Zone: ZONE });
      const subnetId = Subnet!.SubnetId!;
      const { InstanceIdSet } = await c.RunInstances({
        Placement: { Zone: ZONE },
        InstanceType: 'S5.MEDIUM4',
        VirtualPrivateCloud: { VpcId: vpcId, SubnetId: subnetId },
      });
      const ins = InstanceIdSet![0]!;
      const { InstanceSet } = await c.DescribeInstances({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] });
      assert.deepEqual(InstanceSet!.map((i) => i.InstanceId), [ins]);

      const named = `10.${octet}.1.77`;
      const created = await v.CreateNetworkInterface({
        VpcId: vpcId,
        SubnetId: subnetId,
        NetworkInterfaceName: `eni-${mode}`,
        PrivateIpAddresses: [{ PrivateIpAddress: named, Primary: true }],
        SecondaryPrivateIpAddressCount: 1,
        Tags: [{ Key: 'mode', Value: mode }],
      });
      const eniId = created.NetworkInterface!.NetworkInterfaceId!;
      assert.match(eniId, ID('eni'));
      assert.equal(created.NetworkInterface!.State, 'PENDING');
      await waitTaskSuccess(v, created.RequestId!);
      const ready = await waitEniReady(v, eniId);
      assert.equal(primaryIpOf(ready), named);
      assert.equal(ready.PrivateIpAddressSet!.length, 2);
      assert.equal(ready.NetworkInterfaceName, `eni-${mode}`);

      // Describe with nested Filters (flattened as Filters.N.Values.M in the v1 form).
      const found = await v.DescribeNetworkInterfaces({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: `tag:mode`, Values: [mode, 'nope'] },
        ],
        Offset: 0,
        Limit: 10,
      });
      assert.equal(found.TotalCount, 1);
      assert.equal(found.NetworkInterfaceSet![0]!.NetworkInterfaceId, eniId);
      assert.deepEqual(found.NetworkInterfaceSet![0]!.TagSet, [{ Key: 'mode', Value: mode }]);
      const { VpcSet } = await v.DescribeVpcs({ VpcIds: [vpcId] });
      assert.deepEqual(VpcSet!.map((x) => x.TagSet), [[{ Key: 'mode', Value: mode }]]);

      await waitInstances(c, [ins], 'RUNNING');
      const attach = await v.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: ins });
      assert.equal((await v.DescribeVpcTaskResult({ TaskId: attach.RequestId! })).Status, 'RUNNING');
      await waitTaskSuccess(v, attach.RequestId!);
      const attached = await mustGetEni(v, eniId);
      assert.equal(attached.Attachment!.InstanceId, ins);
      assert.equal(attached.NetworkInterfaceState, 'INUSE');
      const onIns = await v.DescribeNetworkInterfaces({ Filters: [{ Name: 'attachment.instance-id', Values: [ins] }] });
      assert.equal(onIns.TotalCount, 2);
      await expectTcError(v.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: ins }), 'UnsupportedOperation.AttachmentAlreadyExists');

      const detach = await v.DetachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: ins });
      await waitTaskSuccess(v, detach.RequestId!);
      assert.equal((await mustGetEni(v, eniId)).Attachment, null);
      const del = await v.DeleteNetworkInterface({ NetworkInterfaceId: eniId });
      await waitTaskSuccess(v, del.RequestId!);
      assert.equal(await getEni(v, eniId), undefined);

      const term = await c.TerminateInstances({ InstanceIds: [ins] });
      assert.equal(typeof term.RequestId, 'string');
      await pollUntil(async () => (await c.DescribeInstances({ InstanceIds: [ins] })).TotalCount === 0, { what: `${ins} terminated` });
      await v.DeleteSubnet({ SubnetId: subnetId });
      await v.DeleteVpc({ VpcId: vpcId });
      assert.equal((await v.DescribeVpcs({ VpcIds: [vpcId] })).TotalCount, 0);
    });
  });
});
