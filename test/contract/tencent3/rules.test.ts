// Contract: every business rule of spec §8.2 and §4.11–4.13 (plus the IP, VPC and subnet rules of
// §4.1–4.7, §4.15–4.16, §8.3–8.4) answers its documented or suggested code AND changes nothing:
// after the refusal DescribeVpcs/Subnets/NetworkInterfaces/Instances show exactly what they showed
// before, and the error's RequestId names no task. A data-plane failure of an accepted attach is a
// FAILED task with an Output text and a rolled-back ENI.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../support/server.ts';
import { expectTcError, loose, session, type Session, ZONE4 } from '../../support/tencent3/client.ts';
import { refused, snapshot } from '../../support/tencent3/snapshots.ts';
import { getEni, mustGetEni, primaryEniOf, waitEniReady, waitInstances, waitTask } from '../../support/tencent3/waits.ts';
import { attach, createEni, createEniNoWait, createSubnet, createVpc, runInstances, runInstancesNoWait } from '../../support/tencent3/world.ts';

const SLOW_MS = 3000;
const MISSING_ENI = 'eni-zzzzzzzz';
const MISSING_INS = 'ins-zzzzzzzz';

let fast: RunningServer;
let slow: RunningServer;
let faulty: RunningServer;

/** The main world on the fast server. */
let s: Session;
const w = {
  vpc1: '',
  vpc2: '',
  subA: '', // 10.0.1.0/24, zone 3
  subZ4: '', // 10.0.2.0/24, zone 4
  subTiny: '', // 10.0.3.0/28, zone 3: 13 usable addresses
  subV2: '', // 10.1.1.0/24 in vpc2, zone 3
  i1: '',
  i2: '',
  i3: '',
  iSmall: '', // S5.SMALL2: 2 ENIs including the primary
  iLegacy: '', // S1.SMALL1: no ENI support
  iV2: '', // in vpc2
  eAtt: '', // attached to i1
  eFree: '', // AVAILABLE, unattached
  eV2: '', // in vpc2
  eV2att: '', // in vpc2, attached to iV2
  eZ4: '', // in the zone-4 subnet
  eQuota: '', // used to fill iSmall
};

before(async () => {
  [fast, slow, faulty] = await Promise.all([
    startServer({ latency: '20', rateLimit: 'off' }),
    startServer({ latency: String(SLOW_MS), rateLimit: 'off' }),
    startServer({ latency: '20', rateLimit: 'off', faults: 'attach=1' }),
  ]);
  s = await session(fast);
  w.vpc1 = await createVpc(s, '10.0.0.0/16');
  w.vpc2 = await createVpc(s, '10.1.0.0/16');
  [w.subA, w.subZ4, w.subTiny, w.subV2] = await Promise.all([
    createSubnet(s, w.vpc1, '10.0.1.0/24'),
    createSubnet(s, w.vpc1, '10.0.2.0/24', ZONE4),
    createSubnet(s, w.vpc1, '10.0.3.0/28'),
    createSubnet(s, w.vpc2, '10.1.1.0/24'),
  ]);
  const netA = { vpcId: w.vpc1, subnetId: w.subA };
  const netV2 = { vpcId: w.vpc2, subnetId: w.subV2 };
  const [[i1, i2, i3], [iSmall], [iLegacy], [iV2]] = await Promise.all([
    runInstances(s.cvm, netA, 3, 'S5.MEDIUM4'),
    runInstances(s.cvm, netA, 1, 'S5.SMALL2'),
    runInstances(s.cvm, netA, 1, 'S1.SMALL1'),
    runInstances(s.cvm, netV2, 1, 'S5.MEDIUM4'),
  ]);
  Object.assign(w, { i1, i2, i3, iSmall, iLegacy, iV2 });
  [w.eAtt, w.eFree, w.eV2, w.eV2att, w.eZ4, w.eQuota] = await Promise.all([
    createEni(s, netA, { name: 'att' }),
    createEni(s, netA, { name: 'free', secondary: 1 }),
    createEni(s, netV2, { name: 'v2' }),
    createEni(s, netV2, { name: 'v2att' }),
    createEni(s, { vpcId: w.vpc1, subnetId: w.subZ4 }, { name: 'z4' }),
    createEni(s, netA, { name: 'quota' }),
  ]);
  await Promise.all([attach(s, w.eAtt, w.i1), attach(s, w.eV2att, w.iV2)]);
});

after(async () => {
  await Promise.all([fast?.stop(), slow?.stop(), faulty?.stop()]);
});

describe('attach/detach/migrate/delete preconditions (spec §8.2, §4.9, §4.11–4.13)', () => {
  test('unknown ENI or instance → ResourceNotFound', async () => {
    await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: MISSING_ENI, InstanceId: w.i2 }), 'ResourceNotFound');
    await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: w.eFree, InstanceId: MISSING_INS }), 'ResourceNotFound');
    await refused(s, () => s.vpc.DetachNetworkInterface({ NetworkInterfaceId: MISSING_ENI, InstanceId: w.i1 }), 'ResourceNotFound');
    await refused(s, () => s.vpc.DetachNetworkInterface({ NetworkInterfaceId: w.eAtt, InstanceId: MISSING_INS }), 'ResourceNotFound');
    await refused(
      s,
      () => s.vpc.MigrateNetworkInterface({ NetworkInterfaceId: w.eAtt, SourceInstanceId: w.i1, DestinationInstanceId: MISSING_INS }),
      'ResourceNotFound',
    );
    await refused(
      s,
      () => s.vpc.MigrateNetworkInterface({ NetworkInterfaceId: MISSING_ENI, SourceInstanceId: w.i1, DestinationInstanceId: w.i2 }),
      'ResourceNotFound',
    );
    await refused(s, () => s.vpc.DeleteNetworkInterface({ NetworkInterfaceId: MISSING_ENI }), 'ResourceNotFound');
    await refused(s, () => s.vpc.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: MISSING_ENI, NetworkInterfaceName: 'x' }), 'ResourceNotFound');
    await refused(s, () => s.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: MISSING_ENI, SecondaryPrivateIpAddressCount: 1 }), 'ResourceNotFound');
  });

  test('malformed ids → InvalidParameterValue.Malformed', async () => {
    const code = 'InvalidParameterValue.Malformed';
    await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: 'eni-1', InstanceId: w.i2 }), code);
    await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: w.eFree, InstanceId: 'i-abcdefgh' }), code);
    await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: 'ENI-ABCDEFGH', InstanceId: w.i2 }), code);
    await refused(s, () => s.vpc.DetachNetworkInterface({ NetworkInterfaceId: w.eAtt, InstanceId: 'ins-123456789' }), code);
    await refused(s, () => s.vpc.DeleteNetworkInterface({ NetworkInterfaceId: 'vpc-abcdefgh' }), code);
    await refused(s, () => s.vpc.MigrateNetworkInterface({ NetworkInterfaceId: w.eAtt, SourceInstanceId: w.i1, DestinationInstanceId: 'ins_bad' }), code);
    await refused(s, () => s.vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: ['not-an-id'] }), code);
  });

  test('ENI already attached (to this or another instance) → UnsupportedOperation.AttachmentAlreadyExists', async () => {
    const code = 'UnsupportedOperation.AttachmentAlreadyExists';
    await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: w.eAtt, InstanceId: w.i1 }), code);
    await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: w.eAtt, InstanceId: w.i2 }), code);
    assert.equal((await mustGetEni(s.vpc, w.eAtt)).Attachment?.InstanceId, w.i1);
  });

  test('primary ENI cannot be attached, detached, migrated or deleted → UnsupportedOperation', async () => {
    const primary = (await primaryEniOf(s.vpc, w.i1)).NetworkInterfaceId!;
    assert.equal((await mustGetEni(s.vpc, primary)).Primary, true);
    await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: primary, InstanceId: w.i2 }), 'UnsupportedOperation');
    await refused(s, () => s.vpc.DetachNetworkInterface({ NetworkInterfaceId: primary, InstanceId: w.i1 }), 'UnsupportedOperation');
    await refused(
      s,
      () => s.vpc.MigrateNetworkInterface({ NetworkInterfaceId: primary, SourceInstanceId: w.i1, DestinationInstanceId: w.i2 }),
      'UnsupportedOperation',
    );
    await refused(s, () => s.vpc.DeleteNetworkInterface({ NetworkInterfaceId: primary }), 'UnsupportedOperation');
  });

  test('instance in another VPC → UnsupportedOperation.VpcMismatch', async () => {
    await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: w.eV2, InstanceId: w.i2 }), 'UnsupportedOperation.VpcMismatch');
    await refused(
      s,
      () => s.vpc.MigrateNetworkInterface({ NetworkInterfaceId: w.eV2att, SourceInstanceId: w.iV2, DestinationInstanceId: w.i2 }),
      'UnsupportedOperation.VpcMismatch',
    );
  });

  test('subnet zone differs from the instance zone → UnsupportedOperation.ZoneMismatch', async () => {
    const e = await mustGetEni(s.vpc, w.eZ4);
    assert.equal(e.Zone, ZONE4);
    await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: w.eZ4, InstanceId: w.i2 }), 'UnsupportedOperation.ZoneMismatch');
  });

  test('instance type without ENI support (S1.SMALL1) → UnsupportedOperation.UnsupportedInstanceFamily', async () => {
    await refused(
      s,
      () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: w.eFree, InstanceId: w.iLegacy }),
      'UnsupportedOperation.UnsupportedInstanceFamily',
    );
  });

  test('instance ENI quota full (S5.SMALL2 holds 2 including the primary) → LimitExceeded', async () => {
    const limit = await s.vpc.DescribeNetworkInterfaceLimit({ InstanceId: w.iSmall });
    assert.equal(limit.EniQuantity, 2);
    await attach(s, w.eQuota, w.iSmall);
    await refused(s, () => s.vpc.AttachNetworkInterface({ NetworkInterfaceId: w.eFree, InstanceId: w.iSmall }), 'LimitExceeded');
    // Migrating onto the full instance is refused the same way.
    await refused(
      s,
      () => s.vpc.MigrateNetworkInterface({ NetworkInterfaceId: w.eAtt, SourceInstanceId: w.i1, DestinationInstanceId: w.iSmall }),
      'LimitExceeded',
    );
  });

  test('detach from an instance the ENI is not attached to → UnsupportedOperation.InvalidState', async () => {
    await refused(s, () => s.vpc.DetachNetworkInterface({ NetworkInterfaceId: w.eAtt, InstanceId: w.i2 }), 'UnsupportedOperation.InvalidState');
    await refused(s, () => s.vpc.DetachNetworkInterface({ NetworkInterfaceId: w.eFree, InstanceId: w.i2 }), 'UnsupportedOperation.InvalidState');
  });

  test('migrate with the wrong source → UnsupportedOperation.AttachmentNotFound', async () => {
    const code = 'UnsupportedOperation.AttachmentNotFound';
    await refused(s, () => s.vpc.MigrateNetworkInterface({ NetworkInterfaceId: w.eAtt, SourceInstanceId: w.i2, DestinationInstanceId: w.i3 }), code);
    await refused(s, () => s.vpc.MigrateNetworkInterface({ NetworkInterfaceId: w.eFree, SourceInstanceId: w.i2, DestinationInstanceId: w.i3 }), code);
  });

  test('delete an attached ENI → ResourceInUse', async () => {
    await refused(s, () => s.vpc.DeleteNetworkInterface({ NetworkInterfaceId: w.eAtt }), 'ResourceInUse');
  });
});

describe('private IP rules (spec §4.7, §4.15, §4.16, §8.3)', () => {
  const netA = () => ({ vpcId: w.vpc1, subnetId: w.subA });
  const create = (ips: string[], extra: Record<string, unknown> = {}) => () =>
    s.vpc.CreateNetworkInterface(
      loose({ VpcId: w.vpc1, SubnetId: w.subA, NetworkInterfaceName: 'ip-rule', PrivateIpAddresses: ips.map((ip) => ({ PrivateIpAddress: ip })), ...extra }),
    );
  const assign = (eniId: string, ips: string[]) => () =>
    s.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: eniId, PrivateIpAddresses: ips.map((ip) => ({ PrivateIpAddress: ip })) });

  test('requested IP outside the subnet → InvalidParameterValue.Range', async () => {
    await refused(s, create(['10.0.2.5']), 'InvalidParameterValue.Range');
    await refused(s, create(['192.168.0.10']), 'InvalidParameterValue.Range');
    await refused(s, assign(w.eFree, ['10.0.9.9']), 'InvalidParameterValue.Range');
  });

  test('reserved addresses (.0, .1, .255) → InvalidParameterValue.Reserved', async () => {
    for (const ip of ['10.0.1.0', '10.0.1.1', '10.0.1.255']) {
      await refused(s, create([ip]), 'InvalidParameterValue.Reserved');
      await refused(s, assign(w.eFree, [ip]), 'InvalidParameterValue.Reserved');
    }
  });

  test('address already in use → ResourceInUse', async () => {
    const taken = (await mustGetEni(s.vpc, w.eAtt)).PrivateIpAddressSet![0]!.PrivateIpAddress!;
    await refused(s, create([taken]), 'ResourceInUse');
    await refused(s, assign(w.eFree, [taken]), 'ResourceInUse');
    // A mix of a free and a taken address is refused as a whole.
    await refused(s, create(['10.0.1.200', taken]), 'ResourceInUse');
  });

  test('more than 10 addresses in one call → InvalidParameterValue.LimitExceeded', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `10.0.1.${100 + i}`);
    await refused(s, create(eleven), 'InvalidParameterValue.LimitExceeded');
    await refused(s, assign(w.eFree, eleven), 'InvalidParameterValue.LimitExceeded');
  });

  test('per-ENI IP quota → InvalidParameterValue.LimitExceeded (create) / LimitExceeded (assign)', async () => {
    const limit = await s.vpc.DescribeNetworkInterfaceLimit({ InstanceId: w.eFree });
    assert.equal(limit.EniPrivateIpAddressQuantity, 10);
    // 1 primary + 10 secondaries = 11 > 10.
    await refused(
      s,
      () => s.vpc.CreateNetworkInterface({ VpcId: w.vpc1, SubnetId: w.subA, NetworkInterfaceName: 'too-many', SecondaryPrivateIpAddressCount: 10 }),
      'InvalidParameterValue.LimitExceeded',
    );
    const full = await createEni(s, netA(), { name: 'full', secondary: 9 });
    assert.equal((await mustGetEni(s.vpc, full)).PrivateIpAddressSet!.length, 10);
    await refused(s, () => s.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: full, SecondaryPrivateIpAddressCount: 1 }), 'LimitExceeded');
    await refused(s, assign(full, ['10.0.1.230']), 'LimitExceeded');
  });

  test('subnet exhaustion (a /28 has 13 usable addresses) → ResourceInsufficient.Subnet', async () => {
    const tiny = { vpcId: w.vpc1, subnetId: w.subTiny };
    const { SubnetSet } = await s.vpc.DescribeSubnets({ SubnetIds: [w.subTiny] });
    assert.equal(SubnetSet![0]!.AvailableIpAddressCount, 13);
    const big = await createEni(s, tiny, { name: 'tiny-10', secondary: 9 }); // 10 used, 3 left
    const two = await createEni(s, tiny, { name: 'tiny-2', secondary: 1 }); // 12 used, 1 left
    assert.ok(big && two);
    const after = await s.vpc.DescribeSubnets({ SubnetIds: [w.subTiny] });
    assert.equal(after.SubnetSet![0]!.AvailableIpAddressCount, 1);
    await refused(
      s,
      () => s.vpc.CreateNetworkInterface({ VpcId: w.vpc1, SubnetId: w.subTiny, NetworkInterfaceName: 'no-room', SecondaryPrivateIpAddressCount: 1 }),
      'ResourceInsufficient.Subnet',
    );
    await refused(s, () => s.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: two, SecondaryPrivateIpAddressCount: 2 }), 'ResourceInsufficient.Subnet');
  });

  test('unassign the primary IP → UnsupportedOperation.PrimaryIp', async () => {
    const e = await mustGetEni(s.vpc, w.eFree);
    const primaryIp = e.PrivateIpAddressSet!.find((p) => p.Primary)!.PrivateIpAddress!;
    await refused(
      s,
      () => s.vpc.UnassignPrivateIpAddresses({ NetworkInterfaceId: w.eFree, PrivateIpAddresses: [{ PrivateIpAddress: primaryIp }] }),
      'UnsupportedOperation.PrimaryIp',
    );
  });
});

describe('VPC and subnet rules (spec §4.1–4.6, §8.4)', () => {
  test('bad VPC CIDR → InvalidParameterValue.Malformed', async () => {
    for (const cidr of ['not-a-cidr', '10.0.0.0/33', '10.0.0.300/16', '8.8.0.0/16']) {
      await refused(s, () => s.vpc.CreateVpc({ VpcName: 'bad', CidrBlock: cidr }), 'InvalidParameterValue.Malformed');
    }
  });

  test('overlapping subnet → InvalidParameterValue.SubnetOverlap', async () => {
    await refused(
      s,
      () => s.vpc.CreateSubnet({ VpcId: w.vpc1, SubnetName: 'overlap', CidrBlock: '10.0.1.128/25', Zone: 'ap-guangzhou-3' }),
      'InvalidParameterValue.SubnetOverlap',
    );
    await refused(
      s,
      () => s.vpc.CreateSubnet({ VpcId: w.vpc1, SubnetName: 'overlap', CidrBlock: '10.0.0.0/22', Zone: 'ap-guangzhou-3' }),
      'InvalidParameterValue.SubnetOverlap',
    );
  });

  test('subnet outside the VPC CIDR → InvalidParameterValue.SubnetRange', async () => {
    await refused(
      s,
      () => s.vpc.CreateSubnet({ VpcId: w.vpc1, SubnetName: 'outside', CidrBlock: '10.5.0.0/24', Zone: 'ap-guangzhou-3' }),
      'InvalidParameterValue.SubnetRange',
    );
  });

  test('delete a VPC or subnet that still holds resources → ResourceInUse', async () => {
    await refused(s, () => s.vpc.DeleteVpc({ VpcId: w.vpc1 }), 'ResourceInUse');
    await refused(s, () => s.vpc.DeleteVpc({ VpcId: w.vpc2 }), 'ResourceInUse');
    await refused(s, () => s.vpc.DeleteSubnet({ SubnetId: w.subA }), 'ResourceInUse');
  });
});

describe(`transitional states (server latency ${SLOW_MS} ms)`, () => {
  // One account per scenario, so a transition still running in one cannot disturb another's snapshot.
  let sPending: Session;
  let sStopping: Session;
  let sBusy: Session;
  const p = { vpc: '', subnet: '', eni: '' };
  const st = { instance: '', eni: '' };
  const b = { vpc: '', subnet: '', instance: '', e1: '', e2: '' };

  before(async () => {
    [sPending, sStopping, sBusy] = await Promise.all([session(slow), session(slow), session(slow)]);
    const world = async (x: Session) => {
      const vpc = await createVpc(x, '10.0.0.0/16');
      const subnet = await createSubnet(x, vpc, '10.0.1.0/24');
      return { vpc, subnet };
    };
    const [np, ns, nb] = await Promise.all([world(sPending), world(sStopping), world(sBusy)]);
    const t = SLOW_MS * 4;
    const [pe, [si], se, [bi], be1, be2] = await Promise.all([
      createEni(sPending, { vpcId: np.vpc, subnetId: np.subnet }, {}, t),
      runInstances(sStopping.cvm, { vpcId: ns.vpc, subnetId: ns.subnet }, 1, 'S5.MEDIUM4', t),
      createEni(sStopping, { vpcId: ns.vpc, subnetId: ns.subnet }, {}, t),
      runInstances(sBusy.cvm, { vpcId: nb.vpc, subnetId: nb.subnet }, 1, 'S5.LARGE8', t),
      createEni(sBusy, { vpcId: nb.vpc, subnetId: nb.subnet }, {}, t),
      createEni(sBusy, { vpcId: nb.vpc, subnetId: nb.subnet }, {}, t),
    ]);
    Object.assign(p, { vpc: np.vpc, subnet: np.subnet, eni: pe });
    Object.assign(st, { instance: si!, eni: se });
    Object.assign(b, { vpc: nb.vpc, subnet: nb.subnet, instance: bi!, e1: be1, e2: be2 });
  });

  test('instance PENDING → UnsupportedOperation.InvalidState', async () => {
    const [ins] = await runInstancesNoWait(sPending.cvm, { vpcId: p.vpc, subnetId: p.subnet }, 1, 'S5.MEDIUM4');
    const { InstanceSet } = await sPending.cvm.DescribeInstances({ InstanceIds: [ins!] });
    assert.equal(InstanceSet![0]!.InstanceState, 'PENDING');
    await refused(sPending, () => sPending.vpc.AttachNetworkInterface({ NetworkInterfaceId: p.eni, InstanceId: ins! }), 'UnsupportedOperation.InvalidState');
    await refused(
      sPending,
      () => sPending.vpc.CreateAndAttachNetworkInterface({ VpcId: p.vpc, SubnetId: p.subnet, NetworkInterfaceName: 'caa', InstanceId: ins! }),
      'UnsupportedOperation.InvalidState',
    );
    assert.equal((await sPending.cvm.DescribeInstances({ InstanceIds: [ins!] })).InstanceSet![0]!.InstanceState, 'PENDING');
  });

  test('instance STOPPING → UnsupportedOperation.InvalidState', async () => {
    await sStopping.cvm.StopInstances({ InstanceIds: [st.instance] });
    const { InstanceSet } = await sStopping.cvm.DescribeInstances({ InstanceIds: [st.instance] });
    assert.equal(InstanceSet![0]!.InstanceState, 'STOPPING');
    await refused(
      sStopping,
      () => sStopping.vpc.AttachNetworkInterface({ NetworkInterfaceId: st.eni, InstanceId: st.instance }),
      'UnsupportedOperation.InvalidState',
    );
    assert.equal((await sStopping.cvm.DescribeInstances({ InstanceIds: [st.instance] })).InstanceSet![0]!.InstanceState, 'STOPPING');
    // Once STOPPED the same attach is allowed (RUNNING or STOPPED, spec §4.11).
    await waitInstances(sStopping.cvm, [st.instance], 'STOPPED', SLOW_MS * 4);
    const { RequestId } = await sStopping.vpc.AttachNetworkInterface({ NetworkInterfaceId: st.eni, InstanceId: st.instance });
    assert.ok(RequestId);
  });

  test('ENI busy (operation in flight) → UnsupportedOperation.InvalidState / MutexOperationTaskRunning', async () => {
    const x = sBusy;
    // A PENDING ENI (create still running) cannot be attached.
    const pending = await createEniNoWait(x, { vpcId: b.vpc, subnetId: b.subnet });
    assert.equal((await getEni(x.vpc, pending.id))?.State, 'PENDING');
    await refused(x, () => x.vpc.AttachNetworkInterface({ NetworkInterfaceId: pending.id, InstanceId: b.instance }), 'UnsupportedOperation.InvalidState');
    await refused(x, () => x.vpc.DeleteNetworkInterface({ NetworkInterfaceId: pending.id }), 'UnsupportedOperation.InvalidState');

    // e1 ATTACHING: IP changes and detach are refused while the attach runs.
    await x.vpc.AttachNetworkInterface({ NetworkInterfaceId: b.e1, InstanceId: b.instance });
    assert.equal((await mustGetEni(x.vpc, b.e1)).State, 'ATTACHING');
    await refused(x, () => x.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: b.e1, SecondaryPrivateIpAddressCount: 1 }), 'UnsupportedOperation.InvalidState');
    await refused(x, () => x.vpc.DetachNetworkInterface({ NetworkInterfaceId: b.e1, InstanceId: b.instance }), 'UnsupportedOperation.InvalidState');
    // The instance is busy with that attach: a second ENI waits its turn.
    await refused(
      x,
      () => x.vpc.AttachNetworkInterface({ NetworkInterfaceId: b.e2, InstanceId: b.instance }),
      'UnsupportedOperation.MutexOperationTaskRunning',
    );

    // e2 AVAILABLE with an IP task running: a second IP task or a delete is a mutex conflict.
    const assigned = await x.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: b.e2, SecondaryPrivateIpAddressCount: 1 });
    assert.equal(assigned.PrivateIpAddressSet!.length, 1);
    const e2 = await mustGetEni(x.vpc, b.e2);
    assert.equal(e2.State, 'AVAILABLE');
    assert.ok(e2.PrivateIpAddressSet!.some((ip) => ip.State === 'PENDING'));
    await refused(
      x,
      () => x.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: b.e2, SecondaryPrivateIpAddressCount: 1 }),
      'UnsupportedOperation.MutexOperationTaskRunning',
    );
    await refused(x, () => x.vpc.DeleteNetworkInterface({ NetworkInterfaceId: b.e2 }), 'UnsupportedOperation.MutexOperationTaskRunning');
  });
});

describe('a failed task (server --faults attach=1)', () => {
  test('DescribeVpcTaskResult FAILED with Output text; ENI rolled back to AVAILABLE, unattached', async () => {
    const f = await session(faulty);
    const vpcId = await createVpc(f, '10.0.0.0/16');
    const subnetId = await createSubnet(f, vpcId, '10.0.1.0/24');
    const [ins] = await runInstances(f.cvm, { vpcId, subnetId }, 1, 'S5.MEDIUM4');
    const eni = await createEni(f, { vpcId, subnetId });
    const before = await snapshot(f);
    const { RequestId } = await f.vpc.AttachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: ins! });
    const result = await waitTask(f.vpc, RequestId!);
    assert.equal(result.Status, 'FAILED');
    assert.equal(typeof result.Output, 'string');
    assert.match(result.Output!, /^FailedOperation: .+/, `Output explains the failure: ${result.Output}`);
    const e = await waitEniReady(f.vpc, eni);
    assert.equal(e.State, 'AVAILABLE');
    assert.equal(e.Attachment, null);
    // Everything, the ENI included, is exactly as before the attempt.
    assert.deepEqual(await snapshot(f), before);
    // The task stays FAILED.
    assert.equal((await f.vpc.DescribeVpcTaskResult({ TaskId: RequestId! })).Status, 'FAILED');
    await expectTcError(f.vpc.DescribeVpcTaskResult({ TaskId: 'not-a-task' }), 'ResourceNotFound');
  });
});
