// Contract: every provokable error row of the attachNetworkInterface seed table (JD spec §4.1), the
// detach/delete/create rows (§4.2, §4.13, §4.15) and eniplane's choices for the documented gaps,
// each with its exact HTTP status, body error.code/status/message, requestId and header, AND with
// nothing changed: every list an account can see is deep-equal before and after the refusal.
// A data-plane failure of an accepted attach leaves the ENI detached.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../support/server.ts';
import { expectJdError, JD_AZ_A, JD_AZ_B, jdSession, type JdSession } from '../../support/jdcloud/client.ts';
import { refusedJd } from '../../support/jdcloud/snapshots.ts';
import { getEni, getInstance, waitEniOn, waitIdleRunning, waitStatus } from '../../support/jdcloud/waits.ts';
import { attach, createEni, createInstances, createInstancesNoWait, createSubnet, createVpc } from '../../support/jdcloud/world.ts';

const FP = 'FAILED_PRECONDITION';
const MISSING_INSTANCE = 'i-zzzzzzzzzz';

const one = async (ids: Promise<string[]>): Promise<string> => {
  const [id] = await ids;
  assert.ok(id, 'createInstances returned no id');
  return id;
};

let fast: RunningServer;
let slow: RunningServer;
let faulty: RunningServer;
let a: JdSession; // the main account on the fast server
let b: JdSession; // another JD account on the fast server

const w = {
  vpc1: '',
  vpc2: '',
  sub1: '',
  sub2: '',
  iA: '', // g.n2.xlarge, az a
  iB: '', // g.n2.xlarge, az b
  iSmall: '', // g.n2.medium: nicLimit 2, filled by eSmall
  iV2: '', // in vpc2
  pA: '', // primary NIC of iA
  pB: '', // primary NIC of iB
  eAtt: '', // attached to iA
  eFree: '', // detached
  eSmall: '', // attached to iSmall
  eV2: '', // detached, in vpc2
  eZone: '', // detached, carries an EIP bound to az b
  eipB: '',
  bSub: '', // account b's subnet
  bEni: '', // account b's ENI
};

async function buildFast(): Promise<void> {
  [a, b] = await Promise.all([jdSession(fast), jdSession(fast)]);
  w.vpc1 = await createVpc(a, '10.0.0.0/16');
  w.vpc2 = await createVpc(a, '10.1.0.0/16');
  w.sub1 = await createSubnet(a, w.vpc1, '10.0.1.0/24');
  w.sub2 = await createSubnet(a, w.vpc2, '10.1.1.0/24');
  const bVpc = await createVpc(b, '10.9.0.0/16');
  w.bSub = await createSubnet(b, bVpc, '10.9.1.0/24');
  w.bEni = await createEni(b, w.bSub);
  [w.iA, w.iB, w.iSmall, w.iV2] = await Promise.all([
    one(createInstances(a, w.sub1, { az: JD_AZ_A, name: 'rules-a' })),
    one(createInstances(a, w.sub1, { az: JD_AZ_B, name: 'rules-b' })),
    one(createInstances(a, w.sub1, { az: JD_AZ_A, instanceType: 'g.n2.medium', name: 'rules-small' })),
    one(createInstances(a, w.sub2, { az: JD_AZ_A, name: 'rules-v2' })),
  ]);
  w.pA = (await getInstance(a, w.iA)).primaryNetworkInterface!.networkInterface.networkInterfaceId;
  w.pB = (await getInstance(a, w.iB)).primaryNetworkInterface!.networkInterface.networkInterfaceId;
  [w.eAtt, w.eFree, w.eSmall, w.eV2, w.eZone] = await Promise.all([
    createEni(a, w.sub1, { networkInterfaceName: 'att' }),
    createEni(a, w.sub1, { networkInterfaceName: 'free' }),
    createEni(a, w.sub1, { networkInterfaceName: 'small' }),
    createEni(a, w.sub2, { networkInterfaceName: 'v2' }),
    createEni(a, w.sub1, { networkInterfaceName: 'zone' }),
  ]);
  await Promise.all([attach(a, w.iA, w.eAtt), attach(a, w.iSmall, w.eSmall)]);
  // eniplane's extension: elasticIpSpec.az makes an EIP bound to one az (the SDK passes it through).
  w.eipB = (await a.vpc.createElasticIps({ maxCount: 1, elasticIpSpec: { bandwidthMbps: 1, provider: 'bgp', az: JD_AZ_B } })).result.elasticIpIds[0]!;
  // Bound to an unattached ENI, the az is not checked yet.
  await a.vpc.associateElasticIp({ networkInterfaceId: w.eZone, elasticIpId: w.eipB });
}

before(async () => {
  [fast, slow, faulty] = await Promise.all([
    startServer({ latency: '30', rateLimit: 'off' }),
    startServer({ latency: '2000', rateLimit: 'off' }),
    startServer({ latency: '30', rateLimit: 'off', faults: 'attach=1' }),
  ]);
  await buildFast();
});

after(async () => {
  await Promise.all([fast?.stop(), slow?.stop(), faulty?.stop()]);
});

describe('vm attachNetworkInterface: the seed table', () => {
  test("404 NOT_FOUND Instance 'xx' not found.", async () => {
    const msg = `Instance '${MISSING_INSTANCE}' not found.`;
    await refusedJd(a, () => a.vm.attachNetworkInterface({ instanceId: MISSING_INSTANCE, networkInterfaceId: w.eFree }), 404, 'NOT_FOUND', msg);
    await refusedJd(a, () => a.vm.detachNetworkInterface({ instanceId: MISSING_INSTANCE, networkInterfaceId: w.eAtt }), 404, 'NOT_FOUND', msg);
    await refusedJd(a, () => a.vm.stopInstance({ instanceId: MISSING_INSTANCE }), 404, 'NOT_FOUND', msg);
    await refusedJd(a, () => a.vm.startInstance({ instanceId: MISSING_INSTANCE }), 404, 'NOT_FOUND', msg);
    await refusedJd(a, () => a.vm.deleteInstance({ instanceId: MISSING_INSTANCE }), 404, 'NOT_FOUND', msg);
    await expectJdError(a.vm.describeInstance({ instanceId: MISSING_INSTANCE }), 404, 'NOT_FOUND', msg);
  });

  test('400 Flavor constraints. NetworkInterface limit exceeded (nicLimit counts the primary)', async () => {
    const types = (await a.vm.describeInstanceTypes({ filters: [{ name: 'instanceTypes', values: ['g.n2.medium'] }] })).result.instanceTypes;
    assert.equal(types[0]!.nicLimit, 2);
    assert.equal((await getInstance(a, w.iSmall)).secondaryNetworkInterfaces!.length, 1, 'primary + one secondary fill g.n2.medium');
    await refusedJd(
      a,
      () => a.vm.attachNetworkInterface({ instanceId: w.iSmall, networkInterfaceId: w.eFree, autoDelete: true }),
      400,
      FP,
      'Flavor constraints. NetworkInterface limit exceeded',
    );
  });

  test('400 NetworkInterface has been attached on other device (elsewhere, here, or a primary NIC)', async () => {
    const msg = 'NetworkInterface has been attached on other device';
    await refusedJd(a, () => a.vm.attachNetworkInterface({ instanceId: w.iB, networkInterfaceId: w.eAtt }), 400, FP, msg);
    await refusedJd(a, () => a.vm.attachNetworkInterface({ instanceId: w.iA, networkInterfaceId: w.eAtt }), 400, FP, msg);
    await refusedJd(a, () => a.vm.attachNetworkInterface({ instanceId: w.iA, networkInterfaceId: w.pB }), 400, FP, msg);
    await refusedJd(a, () => a.vm.attachNetworkInterface({ instanceId: w.iA, networkInterfaceId: w.pA }), 400, FP, msg);
  });

  test('400 No NetworkInterface permissions. (another account’s ENI); neither account changes', async () => {
    const msg = 'No NetworkInterface permissions.';
    await refusedJd(a, () => a.vm.attachNetworkInterface({ instanceId: w.iA, networkInterfaceId: w.bEni }), 400, FP, msg, [b]);
    await refusedJd(a, () => a.vm.detachNetworkInterface({ instanceId: w.iA, networkInterfaceId: w.bEni }), 400, FP, msg, [b]);
    assert.equal((await getEni(b, w.bEni)).instanceId, '');
  });

  test("400 ElasticIp 'xx' and instance are not in the same az; the same-az instance accepts it", async () => {
    const eip = (await a.vpc.describeElasticIp({ elasticIpId: w.eipB })).result.elasticIp;
    assert.equal(eip.az, JD_AZ_B);
    assert.equal(eip.networkInterfaceId, w.eZone);
    await refusedJd(a, () => a.vm.attachNetworkInterface({ instanceId: w.iA, networkInterfaceId: w.eZone }), 400, FP, `ElasticIp '${w.eipB}' and instance are not in the same az`);
    // The EIP on an attached ENI: associating it to an ENI on an az-a instance is refused the same way.
    await a.vpc.disassociateElasticIp({ networkInterfaceId: w.eZone, elasticIpId: w.eipB });
    await refusedJd(a, () => a.vpc.associateElasticIp({ networkInterfaceId: w.eAtt, elasticIpId: w.eipB }), 400, FP, `ElasticIp '${w.eipB}' and instance are not in the same az`);
    await refusedJd(a, () => a.vm.associateElasticIp({ instanceId: w.iA, elasticIpId: w.eipB }), 400, FP, `ElasticIp '${w.eipB}' and instance are not in the same az`);
    await a.vpc.associateElasticIp({ networkInterfaceId: w.eZone, elasticIpId: w.eipB });
    // The az-b instance takes it.
    const e = await attach(a, w.iB, w.eZone);
    assert.equal(e.deviceIndex, 2);
    assert.equal(e.primaryIp.elasticIpId, w.eipB);
  });

  test('400 ENI in another VPC (our message; spec gap)', async () => {
    await refusedJd(
      a,
      () => a.vm.attachNetworkInterface({ instanceId: w.iA, networkInterfaceId: w.eV2 }),
      400,
      FP,
      `NetworkInterface '${w.eV2}' and instance '${w.iA}' are not in the same vpc`,
    );
  });
});

describe('vm detachNetworkInterface, vpc deleteNetworkInterface/createNetworkInterface', () => {
  test("400 Can't detach primaryNetworkInterface", async () => {
    await refusedJd(a, () => a.vm.detachNetworkInterface({ instanceId: w.iA, networkInterfaceId: w.pA }), 400, FP, "Can't detach primaryNetworkInterface");
  });

  test('400 detaching an ENI not attached to that instance (our message; spec gap)', async () => {
    await refusedJd(
      a,
      () => a.vm.detachNetworkInterface({ instanceId: w.iB, networkInterfaceId: w.eAtt }),
      400,
      FP,
      `NetworkInterface '${w.eAtt}' is not attached to instance '${w.iB}'`,
    );
    await refusedJd(
      a,
      () => a.vm.detachNetworkInterface({ instanceId: w.iA, networkInterfaceId: w.eFree }),
      400,
      FP,
      `NetworkInterface '${w.eFree}' is not attached to instance '${w.iA}'`,
    );
  });

  test('400 deleting an attached ENI or a primary NIC (our messages; spec gap)', async () => {
    await refusedJd(
      a,
      () => a.vpc.deleteNetworkInterface({ networkInterfaceId: w.eAtt }),
      400,
      FP,
      `NetworkInterface '${w.eAtt}' is in use: the ENI is attached to an instance; detach it first`,
    );
    await refusedJd(a, () => a.vpc.deleteNetworkInterface({ networkInterfaceId: w.pA }), 400, FP, "Can't delete primaryNetworkInterface");
    await refusedJd(a, () => a.vpc.deleteNetworkInterface({ networkInterfaceId: 'port-zzzzzzzzzz' }), 404, 'NOT_FOUND', "NetworkInterface 'port-zzzzzzzzzz' not found");
  });

  test("404 Resource 'subnetId' not found; 409 Resource 'primaryIp' already be used", async () => {
    await refusedJd(a, () => a.vpc.createNetworkInterface({ subnetId: 'subnet-zzzzzzzzzz' }), 404, 'NOT_FOUND', "Resource 'subnetId' not found");
    // Another account's subnet is not found either.
    await refusedJd(a, () => a.vpc.createNetworkInterface({ subnetId: w.bSub }), 404, 'NOT_FOUND', "Resource 'subnetId' not found", [b]);
    const taken = (await getInstance(a, w.iA)).privateIpAddress;
    assert.equal(taken, '10.0.1.3');
    await refusedJd(a, () => a.vpc.createNetworkInterface({ subnetId: w.sub1, primaryIpAddress: taken }), 409, 'ALREADY_EXISTS', "Resource 'primaryIp' already be used");
    const eniIp = (await getEni(a, w.eFree)).primaryIp.privateIpAddress;
    await refusedJd(a, () => a.vpc.createNetworkInterface({ subnetId: w.sub1, primaryIpAddress: eniIp }), 409, 'ALREADY_EXISTS', "Resource 'primaryIp' already be used");
  });
});

describe('busy and transitional instances (latency 2000 ms)', () => {
  let s: JdSession;
  const v = { sub: '', iRun: '', iStop: '', e1: '', e2: '', e3: '' };

  before(async () => {
    s = await jdSession(slow);
    const vpc = await createVpc(s, '10.2.0.0/16');
    v.sub = await createSubnet(s, vpc, '10.2.1.0/24');
    [v.iRun, v.iStop] = await Promise.all([one(createInstances(s, v.sub, { name: 'busy' })), one(createInstances(s, v.sub, { name: 'stopper' }))]);
    [v.e1, v.e2, v.e3] = await Promise.all([createEni(s, v.sub), createEni(s, v.sub), createEni(s, v.sub)]);
  });

  test('400 Invalid instance status pending', async () => {
    const pending = await one(createInstancesNoWait(s, v.sub, { name: 'pending' }));
    await refusedJd(s, () => s.vm.attachNetworkInterface({ instanceId: pending, networkInterfaceId: v.e3 }), 400, FP, 'Invalid instance status pending');
    assert.equal((await getInstance(s, pending)).status, 'pending', 'the refusal was seen while pending');
    // Settle it, so that later snapshots on this server do not see it change.
    await waitStatus(s, pending, 'running');
  });

  test('400 Conflict with underlay task <id>: the instance runs one task at a time', async () => {
    const first = await s.vm.attachNetworkInterface({ instanceId: v.iRun, networkInterfaceId: v.e1 });
    const msg = `Conflict with underlay task ${first.requestId}`;
    await refusedJd(s, () => s.vm.attachNetworkInterface({ instanceId: v.iRun, networkInterfaceId: v.e2 }), 400, FP, msg);
    await refusedJd(s, () => s.vm.stopInstance({ instanceId: v.iRun }), 400, FP, msg);
    await refusedJd(s, () => s.vm.deleteInstance({ instanceId: v.iRun }), 400, FP, msg);
    // Reads are never blocked, and the instance status stays running throughout.
    assert.equal((await getInstance(s, v.iRun)).status, 'running');
    const e1 = await waitEniOn(s, v.e1, v.iRun);
    assert.equal(e1.deviceIndex, 2);
    assert.equal((await getEni(s, v.e2)).instanceId, '');
  });

  test('400 Invalid instance status stopping; start during the stop is a task conflict', async () => {
    const stop = await s.vm.stopInstance({ instanceId: v.iStop });
    assert.equal((await getInstance(s, v.iStop)).status, 'stopping');
    await refusedJd(s, () => s.vm.attachNetworkInterface({ instanceId: v.iStop, networkInterfaceId: v.e2 }), 400, FP, 'Invalid instance status stopping');
    await refusedJd(s, () => s.vm.detachNetworkInterface({ instanceId: v.iStop, networkInterfaceId: v.e2 }), 400, FP, `NetworkInterface '${v.e2}' is not attached to instance '${v.iStop}'`);
    await refusedJd(s, () => s.vm.startInstance({ instanceId: v.iStop }), 400, FP, `Conflict with underlay task ${stop.requestId}`);
    await waitStatus(s, v.iStop, 'stopped');
    await refusedJd(s, () => s.vm.stopInstance({ instanceId: v.iStop }), 400, FP, 'Invalid instance status stopped');
  });
});

describe('a failed data-plane task', () => {
  test('an accepted attach whose task fails leaves the ENI detached and the instance without it', async () => {
    const f = await jdSession(faulty);
    const vpc = await createVpc(f, '10.3.0.0/16');
    const sub = await createSubnet(f, vpc, '10.3.1.0/24');
    const [ins] = await createInstances(f, sub);
    const eni = await createEni(f, sub);
    const before = await getEni(f, eni);
    await f.vm.attachNetworkInterface({ instanceId: ins!, networkInterfaceId: eni, autoDelete: true });
    await waitIdleRunning(f, ins!);
    const afterFail = await getEni(f, eni);
    assert.deepEqual(afterFail, before, 'the ENI is exactly as it was before the attach');
    assert.equal(afterFail.instanceId, '');
    assert.equal(afterFail.deviceIndex, 0);
    assert.equal(afterFail.attachmentStatus, 'detached');
    const instance = await getInstance(f, ins!);
    assert.equal(instance.secondaryNetworkInterfaces, undefined);
    assert.equal(instance.status, 'running');
    // The ENI is free again: it can be deleted.
    await f.vpc.deleteNetworkInterface({ networkInterfaceId: eni });
  });
});
