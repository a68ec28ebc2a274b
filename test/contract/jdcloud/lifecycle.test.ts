// The JD Cloud OpenAPI ENI lifecycle through the official jdcloud-sdk-js against a real eniplane
// server, on SQLite and on PostgreSQL: VPC and regional subnets, instances (pending → running),
// synchronous ENI creation, attach with autoDelete true/false, deviceIndex and attachmentStatus,
// paging and filters, secondary IPs, modify calls, detach, delete, stop/start, instance types and
// statuses, EIPs, and deleteInstance with autoDelete true (ENI gone) and false (ENI survives).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pollUntil } from '../../support/poll.ts';
import { startServer, type RunningServer } from '../../support/server.ts';
import { freshDb, skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { expectJdError, JD_AZ_A, JD_AZ_B, jdId, type JdNetworkInterface, jdSession, type JdSession } from '../../support/jdcloud/client.ts';
import { getEni, getInstance, waitEniOn, waitGone, waitStatus } from '../../support/jdcloud/waits.ts';
import { attach, createEni, createInstancesNoWait, createSubnet, createVpc } from '../../support/jdcloud/world.ts';

// Long enough that pending/stopping/starting/deleting are reliably seen by the describe call made
// right after the request; short enough to keep the file quick on both stores.
const LATENCY_MS = 400;

/** Retry while the ENI or instance still runs its previous task (clients retry, as terraform does). */
async function whenIdle<T>(what: string, fn: () => Promise<T>): Promise<T> {
  return pollUntil(
    async () => {
      try {
        return { v: await fn() };
      } catch (e) {
        const msg = (e as { error?: { message?: unknown } }).error?.message;
        if (typeof msg === 'string' && msg.startsWith('Conflict with underlay task')) return false;
        throw e;
      }
    },
    { timeoutMs: 20_000, what },
  ).then((r) => r.v);
}

const secondaryIpsOf = (e: JdNetworkInterface) => e.secondaryIps.map((i) => i.privateIpAddress).sort();

for (const kind of STORE_KINDS) {
  describe(`JD Cloud lifecycle (${kind})`, { skip: await skipUnless(kind) }, () => {
    let server: RunningServer;
    let cleanupDb: () => Promise<void> = async () => {};
    let s: JdSession;
    const w = { vpc: '', subA: '', subB: '', i1: '', i2: '', p1: '', p2: '', eT: '', eF: '', eD: '', eX: '', eip1: '', eip2: '' };

    before(async () => {
      const db = await freshDb(kind);
      cleanupDb = db.cleanup;
      server = await startServer({ db: db.db, latency: String(LATENCY_MS), rateLimit: 'off' });
      s = await jdSession(server);
    });

    after(async () => {
      await server?.stop();
      await cleanupDb();
    });

    test('createVpc, createSubnet (regional, 4 reserved addresses), describeVpcs/describeSubnets', async () => {
      w.vpc = await createVpc(s, '10.20.0.0/16', 'life-vpc');
      assert.match(w.vpc, jdId('vpc'));
      w.subA = await createSubnet(s, w.vpc, '10.20.1.0/24', 'life-a');
      w.subB = await createSubnet(s, w.vpc, '10.20.2.0/24', 'life-b');
      assert.match(w.subA, jdId('subnet'));

      const vpcs = (await s.vpc.describeVpcs({ filters: [{ name: 'vpcIds', values: [w.vpc] }] })).result;
      assert.equal(vpcs.totalCount, 1);
      const v = vpcs.vpcs[0]!;
      assert.equal(v.vpcId, w.vpc);
      assert.equal(v.vpcName, 'life-vpc');
      assert.equal(v.addressPrefix, '10.20.0.0/16');
      assert.deepEqual(v.subnets.map((x) => x.subnetId).sort(), [w.subA, w.subB].sort());
      assert.match(v.createdTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

      const subnets = (await s.vpc.describeSubnets({ filters: [{ name: 'vpcId', values: [w.vpc] }] })).result;
      assert.equal(subnets.totalCount, 2);
      const a = subnets.subnets.find((x) => x.subnetId === w.subA)!;
      assert.equal(a.vpcId, w.vpc);
      assert.equal(a.subnetName, 'life-a');
      assert.equal(a.addressPrefix, '10.20.1.0/24');
      assert.equal(a.ipMaskLen, 24);
      assert.equal(a.startIp, '10.20.1.0');
      assert.equal(a.endIp, '10.20.1.255');
      // Regional: no az. Network, .1, .2 and broadcast are reserved: 256 - 4.
      assert.equal(a.az, '');
      assert.equal(a.availableIpCount, 252);
      assert.deepEqual((await s.vpc.describeSubnet({ subnetId: w.subA })).result.subnet, a);
      assert.deepEqual((await s.vpc.describeVpc({ vpcId: w.vpc })).result.vpc.vpcId, w.vpc);
    });

    test('createInstances: pending → running; the primary NIC is deviceIndex 1, first usable address .3', async () => {
      const [[i1], [i2]] = await Promise.all([
        createInstancesNoWait(s, w.subA, { az: JD_AZ_A, instanceType: 'g.n2.xlarge', name: 'life-1' }),
        createInstancesNoWait(s, w.subA, { az: JD_AZ_B, instanceType: 'g.n2.xlarge', name: 'life-2' }),
      ]);
      w.i1 = i1!;
      w.i2 = i2!;
      assert.match(w.i1, jdId('i'));
      assert.equal((await getInstance(s, w.i1)).status, 'pending');
      const ins1 = await waitStatus(s, w.i1, 'running');
      const ins2 = await waitStatus(s, w.i2, 'running');

      assert.equal(ins1.instanceName, 'life-1');
      assert.equal(ins1.instanceType, 'g.n2.xlarge');
      assert.equal(ins1.az, JD_AZ_A);
      assert.equal(ins2.az, JD_AZ_B);
      assert.equal(ins1.vpcId, w.vpc);
      assert.equal(ins1.subnetId, w.subA);
      assert.deepEqual([ins1.privateIpAddress, ins2.privateIpAddress].sort(), ['10.20.1.3', '10.20.1.4']);
      assert.ok(ins1.primaryNetworkInterface);
      assert.equal(ins1.primaryNetworkInterface.deviceIndex, 1);
      assert.equal(ins1.primaryNetworkInterface.autoDelete, true);
      assert.equal(ins1.primaryNetworkInterface.networkInterface.primaryIp.privateIpAddress, ins1.privateIpAddress);
      assert.ok(Array.isArray(ins1.primaryNetworkInterface.networkInterface.securityGroups));
      assert.equal(ins1.secondaryNetworkInterfaces, undefined, 'no secondaries: the key is omitted');
      w.p1 = ins1.primaryNetworkInterface.networkInterface.networkInterfaceId;
      w.p2 = ins2.primaryNetworkInterface!.networkInterface.networkInterfaceId;
      assert.match(w.p1, jdId('port'));

      const p = await getEni(s, w.p1);
      assert.equal(p.role, 'Primary');
      assert.equal(p.deviceIndex, 1);
      assert.equal(p.attachmentStatus, 'attached');
      assert.equal(p.instanceId, w.i1);
      assert.equal(p.instanceType, 'compute');
      assert.equal(p.instanceOwnerId, s.account.ownerUin);

      const sub = (await s.vpc.describeSubnet({ subnetId: w.subA })).result.subnet;
      assert.equal(sub.availableIpCount, 250);

      const st = (await s.vm.describeInstanceStatus({ filters: [{ name: 'instanceId', values: [w.i1, w.i2] }] })).result;
      assert.equal(st.totalCount, 2);
      assert.deepEqual(
        [...st.instanceStatuses].sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
        [w.i1, w.i2].sort().map((instanceId) => ({ instanceId, status: 'running' })),
      );
      const list = (await s.vm.describeInstances({ filters: [{ name: 'vpcId', values: [w.vpc] }, { name: 'az', values: [JD_AZ_B] }] })).result;
      assert.deepEqual(list.instances.map((i) => i.instanceId), [w.i2]);
      assert.equal(list.totalCount, 1);
    });

    test('describeInstanceTypes: nicLimit counts the primary NIC', async () => {
      const res = (await s.vm.describeInstanceTypes({ filters: [{ name: 'instanceTypes', values: ['g.n2.medium', 'g.n2.xlarge', 'g.n2.2xlarge'] }] })).result;
      assert.equal(res.totalCount, 3);
      const limit = Object.fromEntries(res.instanceTypes.map((t) => [t.instanceType, t.nicLimit]));
      assert.deepEqual(limit, { 'g.n2.medium': 2, 'g.n2.xlarge': 4, 'g.n2.2xlarge': 8 });
      const medium = res.instanceTypes.find((t) => t.instanceType === 'g.n2.medium')!;
      assert.equal(medium.cpu, 1);
      assert.equal(medium.memoryMB, 4096);
      assert.ok(medium.state.some((x) => x.az === JD_AZ_A && x.inStock));
    });

    test('createNetworkInterface is synchronous: detached, deviceIndex 0, usable at once', async () => {
      w.eT = await createEni(s, w.subA, { networkInterfaceName: 'life-t', secondaryIpCount: 2, description: 'the T one' });
      assert.match(w.eT, jdId('port'));
      const e = await getEni(s, w.eT);
      assert.equal(e.networkInterfaceId, w.eT);
      assert.equal(e.networkInterfaceName, 'life-t');
      assert.equal(e.description, 'the T one');
      assert.equal(e.role, 'Secondary');
      assert.equal(e.vpcId, w.vpc);
      assert.equal(e.subnetId, w.subA);
      assert.equal(e.instanceId, '');
      assert.equal(e.instanceType, '');
      assert.equal(e.instanceOwnerId, '');
      assert.equal(e.deviceIndex, 0);
      assert.equal(e.attachmentStatus, 'detached');
      assert.equal(e.networkInterfaceStatus, 'enabled');
      assert.match(e.macAddress, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      assert.equal(e.primaryIp.privateIpAddress, '10.20.1.5');
      assert.deepEqual(secondaryIpsOf(e), ['10.20.1.6', '10.20.1.7']);
      assert.deepEqual(e.secondaryCidrs, []);
      assert.deepEqual(e.networkSecurityGroupIds, []);

      w.eF = await createEni(s, w.subA, { primaryIpAddress: '10.20.1.50', networkInterfaceName: 'life-f' });
      assert.equal((await getEni(s, w.eF)).primaryIp.privateIpAddress, '10.20.1.50');
      w.eD = await createEni(s, w.subB, { networkInterfaceName: 'life-d' });
      w.eX = await createEni(s, w.subB, { networkInterfaceName: 'life-x' });

      // Usable at once: attach right after creation, no waiting.
      const attached = await attach(s, w.i1, w.eT, true);
      assert.equal(attached.deviceIndex, 2);
      assert.equal(attached.attachmentStatus, 'attached');
      assert.equal(attached.instanceType, 'compute');
      assert.equal(attached.instanceOwnerId, s.account.ownerUin);
    });

    test('attachNetworkInterface: autoDelete false and default; deviceIndex 2.. ; secondaryNetworkInterfaces', async () => {
      // Different instances run their tasks independently.
      const [f, d] = await Promise.all([attach(s, w.i1, w.eF, false), attach(s, w.i2, w.eD)]);
      assert.equal(f.deviceIndex, 3);
      assert.equal(d.deviceIndex, 2, 'ENIs attach to any instance in the VPC, whatever its az');
      assert.equal(d.instanceId, w.i2);

      const ins1 = await getInstance(s, w.i1);
      assert.deepEqual(
        ins1.secondaryNetworkInterfaces!.map((a) => [a.deviceIndex, a.autoDelete, a.networkInterface.networkInterfaceId]),
        [
          [2, true, w.eT],
          [3, false, w.eF],
        ],
      );
      const t = ins1.secondaryNetworkInterfaces![0]!.networkInterface;
      assert.equal(t.vpcId, w.vpc);
      assert.equal(t.subnetId, w.subA);
      assert.equal(t.primaryIp.privateIpAddress, '10.20.1.5');
      assert.deepEqual(t.secondaryIps.map((i) => i.privateIpAddress).sort(), ['10.20.1.6', '10.20.1.7']);
      const ins2 = await getInstance(s, w.i2);
      assert.deepEqual(ins2.secondaryNetworkInterfaces!.map((a) => [a.deviceIndex, a.autoDelete, a.networkInterface.networkInterfaceId]), [[2, false, w.eD]]);
      // describeInstances filter networkInterfaceId matches secondaries too.
      const byEni = (await s.vm.describeInstances({ filters: [{ name: 'networkInterfaceId', values: [w.eF] }] })).result;
      assert.deepEqual(byEni.instances.map((i) => i.instanceId), [w.i1]);
    });

    test('describeNetworkInterfaces: paging (last page past the end) and filters', async () => {
      const vpcP = await createVpc(s, '10.30.0.0/16', 'paging');
      const pA = await createSubnet(s, vpcP, '10.30.1.0/24');
      const pB = await createSubnet(s, vpcP, '10.30.2.0/24');
      const inA: string[] = [];
      const inB: string[] = [];
      for (let n = 0; n < 7; n++) inA.push(await createEni(s, pA, { networkInterfaceName: `pa-${n}` }));
      for (let n = 0; n < 5; n++) inB.push(await createEni(s, pB, { networkInterfaceName: `pb-${n}` }));
      const all = [...inA, ...inB].sort();
      const ids = (r: { networkInterfaces: JdNetworkInterface[] }) => r.networkInterfaces.map((e) => e.networkInterfaceId);
      const inVpc = [{ name: 'vpcId', values: [vpcP] }];

      const p1 = (await s.vpc.describeNetworkInterfaces({ pageNumber: 1, pageSize: 10, filters: inVpc })).result;
      const p2 = (await s.vpc.describeNetworkInterfaces({ pageNumber: 2, pageSize: 10, filters: inVpc })).result;
      const p9 = (await s.vpc.describeNetworkInterfaces({ pageNumber: 9, pageSize: 10, filters: inVpc })).result;
      assert.equal(p1.totalCount, 12);
      assert.equal(p2.totalCount, 12);
      assert.equal(p9.totalCount, 12);
      assert.equal(p1.networkInterfaces.length, 10);
      assert.equal(p2.networkInterfaces.length, 2);
      assert.deepEqual(ids(p9), ids(p2), 'a pageNumber past the end returns the last page');
      assert.deepEqual([...ids(p1), ...ids(p2)].sort(), all, 'the pages partition the result');
      // Default pageSize 20 holds all 12.
      assert.deepEqual(ids((await s.vpc.describeNetworkInterfaces({ filters: inVpc })).result).sort(), all);

      // vpcId and the doc's vpcIds spelling are the same filter.
      const viaVpcIds = (await s.vpc.describeNetworkInterfaces({ filters: [{ name: 'vpcIds', values: [vpcP] }] })).result;
      assert.equal(viaVpcIds.totalCount, 12);
      assert.deepEqual(ids(viaVpcIds).sort(), all);
      assert.deepEqual(ids((await s.vpc.describeNetworkInterfaces({ filters: [{ name: 'subnetId', values: [pA] }] })).result).sort(), [...inA].sort());
      assert.deepEqual(ids((await s.vpc.describeNetworkInterfaces({ filters: [{ name: 'subnetIds', values: [pB] }] })).result).sort(), [...inB].sort());
      // Filters are ANDed.
      assert.equal((await s.vpc.describeNetworkInterfaces({ filters: [...inVpc, { name: 'subnetId', values: [pB] }] })).result.totalCount, 5);
      assert.equal((await s.vpc.describeNetworkInterfaces({ filters: [{ name: 'vpcId', values: [w.vpc] }, { name: 'subnetId', values: [pB] }] })).result.totalCount, 0);
      const three = [inA[0]!, inA[3]!, inB[4]!];
      const byId = (await s.vpc.describeNetworkInterfaces({ filters: [{ name: 'networkInterfaceIds', values: three }] })).result;
      assert.equal(byId.totalCount, 3);
      assert.deepEqual(ids(byId).sort(), [...three].sort());
      const names = (await s.vpc.describeNetworkInterfaces({ filters: [{ name: 'networkInterfaceNames', values: ['pb-2'] }] })).result;
      assert.deepEqual(ids(names), [inB[2]]);

      const prim = (await s.vpc.describeNetworkInterfaces({ filters: [{ name: 'vpcId', values: [w.vpc] }, { name: 'role', values: ['Primary'] }] })).result;
      assert.deepEqual(ids(prim).sort(), [w.p1, w.p2].sort());
      assert.ok(prim.networkInterfaces.every((e) => e.role === 'Primary' && e.deviceIndex === 1));
      const sec = (await s.vpc.describeNetworkInterfaces({ filters: [{ name: 'vpcId', values: [w.vpc] }, { name: 'role', values: ['Secondary'] }] })).result;
      assert.deepEqual(ids(sec).sort(), [w.eT, w.eF, w.eD, w.eX].sort());
      assert.equal((await s.vpc.describeNetworkInterfaces({ filters: [...inVpc, { name: 'role', values: ['Primary'] }] })).result.totalCount, 0);
      // Without a role filter, primary NICs are listed too.
      assert.equal((await s.vpc.describeNetworkInterfaces({ filters: [{ name: 'vpcId', values: [w.vpc] }] })).result.totalCount, 6);

      for (const id of all) await s.vpc.deleteNetworkInterface({ networkInterfaceId: id });
      await pollUntil(async () => (await s.vpc.describeNetworkInterfaces({ filters: inVpc })).result.totalCount === 0, {
        timeoutMs: 20_000,
        what: 'the paging ENIs to be deleted',
      });
    });

    test('assignSecondaryIps / unassignSecondaryIps on an attached ENI', async () => {
      await s.vpc.assignSecondaryIps({ networkInterfaceId: w.eF, secondaryIps: ['10.20.1.100'] });
      await pollUntil(async () => secondaryIpsOf(await getEni(s, w.eF)).includes('10.20.1.100'), { timeoutMs: 20_000, what: '10.20.1.100 on eF' });
      await whenIdle('assign by count', () => s.vpc.assignSecondaryIps({ networkInterfaceId: w.eF, secondaryIpCount: 2 }));
      const e = await pollUntil(async () => {
        const x = await getEni(s, w.eF);
        return x.secondaryIps.length === 3 ? x : false;
      }, { timeoutMs: 20_000, what: 'three secondary IPs on eF' });
      assert.deepEqual(secondaryIpsOf(e), ['10.20.1.100', '10.20.1.8', '10.20.1.9']);
      const inVm = (await getInstance(s, w.i1)).secondaryNetworkInterfaces!.find((a) => a.networkInterface.networkInterfaceId === w.eF)!;
      assert.deepEqual(inVm.networkInterface.secondaryIps.map((i) => i.privateIpAddress).sort(), ['10.20.1.100', '10.20.1.8', '10.20.1.9']);

      await whenIdle('unassign', () => s.vpc.unassignSecondaryIps({ networkInterfaceId: w.eF, secondaryIps: ['10.20.1.100', '10.20.1.8'] }));
      const after1 = await pollUntil(async () => {
        const x = await getEni(s, w.eF);
        return x.secondaryIps.length === 1 ? x : false;
      }, { timeoutMs: 20_000, what: 'one secondary IP left on eF' });
      assert.deepEqual(secondaryIpsOf(after1), ['10.20.1.9']);
      assert.equal(after1.primaryIp.privateIpAddress, '10.20.1.50');
    });

    test('modifyNetworkInterface and modifyInstanceNetworkAttribute', async () => {
      const [sgA, sgB] = await Promise.all(
        ['life-a', 'life-b'].map(async (name) => (await s.vpc.createNetworkSecurityGroup({ vpcId: w.vpc, networkSecurityGroupName: name })).result.networkSecurityGroupId),
      );
      await s.vpc.modifyNetworkInterface({ networkInterfaceId: w.eX, networkInterfaceName: 'renamed', description: 'new text', securityGroups: [sgA!, sgB!] });
      const x = await getEni(s, w.eX);
      assert.equal(x.networkInterfaceName, 'renamed');
      assert.equal(x.description, 'new text');
      assert.deepEqual(x.networkSecurityGroupIds, [sgA, sgB]);
      // Only the name: the rest stays.
      await s.vpc.modifyNetworkInterface({ networkInterfaceId: w.eX, networkInterfaceName: 'renamed2' });
      const x2 = await getEni(s, w.eX);
      assert.equal(x2.networkInterfaceName, 'renamed2');
      assert.equal(x2.description, 'new text');
      assert.deepEqual(x2.networkSecurityGroupIds, [sgA, sgB]);

      await s.vm.modifyInstanceNetworkAttribute({
        instanceId: w.i1,
        networks: [
          { networkInterfaceId: w.eT, autoDelete: false },
          { networkInterfaceId: w.eF, autoDelete: true },
        ],
      });
      const flags = async () => (await getInstance(s, w.i1)).secondaryNetworkInterfaces!.map((a) => [a.networkInterface.networkInterfaceId, a.autoDelete]);
      assert.deepEqual(await flags(), [
        [w.eT, false],
        [w.eF, true],
      ]);
      await s.vm.modifyInstanceNetworkAttribute({
        instanceId: w.i1,
        networks: [
          { networkInterfaceId: w.eT, autoDelete: true },
          { networkInterfaceId: w.eF, autoDelete: false },
        ],
      });
      assert.deepEqual(await flags(), [
        [w.eT, true],
        [w.eF, false],
      ]);
    });

    test('detachNetworkInterface: detached, deviceIndex 0; deleteNetworkInterface', async () => {
      await whenIdle('detach eF', () => s.vm.detachNetworkInterface({ instanceId: w.i1, networkInterfaceId: w.eF }));
      const e = await waitEniOn(s, w.eF, '');
      assert.equal(e.deviceIndex, 0);
      assert.equal(e.attachmentStatus, 'detached');
      assert.equal(e.instanceType, '');
      assert.equal(e.instanceOwnerId, '');
      assert.deepEqual(secondaryIpsOf(e), ['10.20.1.9'], 'addresses stay with the ENI');
      assert.deepEqual((await getInstance(s, w.i1)).secondaryNetworkInterfaces!.map((a) => a.networkInterface.networkInterfaceId), [w.eT]);

      await s.vpc.deleteNetworkInterface({ networkInterfaceId: w.eF });
      await waitGone(`ENI ${w.eF}`, () => getEni(s, w.eF));
      await expectJdError(s.vpc.describeNetworkInterface({ networkInterfaceId: w.eF }), 404, 'NOT_FOUND');
    });

    test('stopInstance / startInstance: stopping → stopped → starting → running; attach to a stopped instance', async () => {
      await whenIdle('stop i2', () => s.vm.stopInstance({ instanceId: w.i2 }));
      assert.equal((await getInstance(s, w.i2)).status, 'stopping');
      await waitStatus(s, w.i2, 'stopped');
      const st = (await s.vm.describeInstanceStatus({ filters: [{ name: 'status', values: ['stopped'] }] })).result;
      assert.deepEqual(st.instanceStatuses, [{ instanceId: w.i2, status: 'stopped' }]);

      const x = await attach(s, w.i2, w.eX, false);
      assert.equal(x.deviceIndex, 3);
      assert.equal((await getInstance(s, w.i2)).status, 'stopped', 'attach does not change the instance status');

      await whenIdle('start i2', () => s.vm.startInstance({ instanceId: w.i2 }));
      assert.equal((await getInstance(s, w.i2)).status, 'starting');
      await waitStatus(s, w.i2, 'running');
    });

    test('EIPs: create, describe, associate/disassociate on an ENI, vm associateElasticIp, delete refused while associated', async () => {
      const created = await s.vpc.createElasticIps({ maxCount: 2, elasticIpSpec: { bandwidthMbps: 5, provider: 'bgp' } });
      assert.equal(created.result.elasticIpIds.length, 2);
      assert.equal(created.result.requestId, created.requestId, 'requestId is repeated inside result');
      [w.eip1, w.eip2] = created.result.elasticIpIds as [string, string];
      assert.match(w.eip1, jdId('fip'));
      const listed = (await s.vpc.describeElasticIps({ filters: [{ name: 'elasticIpIds', values: [w.eip1, w.eip2] }] })).result;
      assert.equal(listed.totalCount, 2);
      for (const e of listed.elasticIps) {
        assert.equal(e.status, 'NOT_ASSOCIATED');
        assert.equal(e.az, '', 'the SDK creates all-AZ EIPs');
        assert.equal(e.bandwidthMbps, 5);
        assert.equal(e.provider, 'bgp');
        assert.equal(e.networkInterfaceId, '');
        assert.match(e.elasticIpAddress, /^\d+\.\d+\.\d+\.\d+$/);
      }

      // On an attached secondary ENI's primary IP.
      await s.vpc.associateElasticIp({ networkInterfaceId: w.eT, elasticIpId: w.eip1 });
      const t = await getEni(s, w.eT);
      const eip1 = (await s.vpc.describeElasticIp({ elasticIpId: w.eip1 })).result.elasticIp;
      assert.equal(t.primaryIp.elasticIpId, w.eip1);
      assert.equal(t.primaryIp.elasticIpAddress, eip1.elasticIpAddress);
      assert.equal(eip1.status, 'ASSOCIATED');
      assert.equal(eip1.networkInterfaceId, w.eT);
      assert.equal(eip1.privateIpAddress, '10.20.1.5');
      assert.equal(eip1.instanceId, w.i1);
      assert.equal(eip1.instanceType, 'compute');
      const assoc = (await s.vpc.describeElasticIps({ filters: [{ name: 'status', values: ['ASSOCIATED'] }] })).result;
      assert.deepEqual(assoc.elasticIps.map((e) => e.elasticIpId), [w.eip1]);

      await expectJdError(s.vpc.deleteElasticIp({ elasticIpId: w.eip1 }), 400, 'FAILED_PRECONDITION', `ElasticIp '${w.eip1}' is in use: it is associated with ${w.eT}`);
      assert.equal((await s.vpc.describeElasticIp({ elasticIpId: w.eip1 })).result.elasticIp.status, 'ASSOCIATED', 'the refused delete changed nothing');

      // On a secondary IP, by address.
      await s.vpc.disassociateElasticIp({ networkInterfaceId: w.eT, elasticIpId: w.eip1 });
      assert.equal((await getEni(s, w.eT)).primaryIp.elasticIpId, '');
      assert.equal((await s.vpc.describeElasticIp({ elasticIpId: w.eip1 })).result.elasticIp.status, 'NOT_ASSOCIATED');
      await s.vpc.associateElasticIp({ networkInterfaceId: w.eT, elasticIpAddress: eip1.elasticIpAddress, privateIpAddress: '10.20.1.6' });
      const t2 = await getEni(s, w.eT);
      assert.equal(t2.primaryIp.elasticIpId, '');
      assert.deepEqual(t2.secondaryIps.find((i) => i.privateIpAddress === '10.20.1.6'), { privateIpAddress: '10.20.1.6', elasticIpId: w.eip1, elasticIpAddress: eip1.elasticIpAddress });
      await s.vpc.disassociateElasticIp({ networkInterfaceId: w.eT, elasticIpAddress: eip1.elasticIpAddress });

      // vm associateElasticIp: the instance's primary NIC, mirrored at the top level.
      await s.vm.associateElasticIp({ instanceId: w.i1, elasticIpId: w.eip2 });
      const ins = await getInstance(s, w.i1);
      const eip2 = (await s.vpc.describeElasticIp({ elasticIpId: w.eip2 })).result.elasticIp;
      assert.equal(ins.elasticIpId, w.eip2);
      assert.equal(ins.elasticIpAddress, eip2.elasticIpAddress);
      assert.equal(ins.primaryNetworkInterface!.networkInterface.primaryIp.elasticIpId, w.eip2);
      assert.equal(eip2.networkInterfaceId, w.p1);
      assert.equal(eip2.privateIpAddress, ins.privateIpAddress);
      assert.equal((await getEni(s, w.p1)).primaryIp.elasticIpId, w.eip2);
      await expectJdError(s.vpc.deleteElasticIp({ elasticIpId: w.eip2 }), 400, 'FAILED_PRECONDITION', `ElasticIp '${w.eip2}' is in use: it is associated with ${w.p1}`);
      await s.vpc.disassociateElasticIp({ networkInterfaceId: w.p1, elasticIpId: w.eip2 });
      assert.equal((await getInstance(s, w.i1)).elasticIpId, '');

      await s.vpc.deleteElasticIp({ elasticIpId: w.eip1 });
      await s.vpc.deleteElasticIp({ elasticIpId: w.eip2 });
      await expectJdError(s.vpc.describeElasticIp({ elasticIpId: w.eip1 }), 404, 'NOT_FOUND');
      assert.equal((await s.vpc.describeElasticIps({ filters: [{ name: 'elasticIpIds', values: [w.eip1, w.eip2] }] })).result.totalCount, 0);
    });

    test('deleteInstance: autoDelete true takes the ENI (404), false leaves it detached at deviceIndex 0', async () => {
      await whenIdle('delete i1', () => s.vm.deleteInstance({ instanceId: w.i1 }));
      assert.equal((await getInstance(s, w.i1)).status, 'deleting');
      await waitGone(`instance ${w.i1}`, () => getInstance(s, w.i1));
      await expectJdError(s.vm.describeInstance({ instanceId: w.i1 }), 404, 'NOT_FOUND', `Instance '${w.i1}' not found.`);
      await expectJdError(s.vpc.describeNetworkInterface({ networkInterfaceId: w.eT }), 404, 'NOT_FOUND');
      await expectJdError(s.vpc.describeNetworkInterface({ networkInterfaceId: w.p1 }), 404, 'NOT_FOUND');

      await whenIdle('delete i2', () => s.vm.deleteInstance({ instanceId: w.i2 }));
      await waitGone(`instance ${w.i2}`, () => getInstance(s, w.i2));
      await expectJdError(s.vpc.describeNetworkInterface({ networkInterfaceId: w.p2 }), 404, 'NOT_FOUND', /not found/);
      for (const id of [w.eD, w.eX]) {
        const e = await getEni(s, id);
        assert.equal(e.instanceId, '');
        assert.equal(e.deviceIndex, 0);
        assert.equal(e.attachmentStatus, 'detached');
        assert.equal(e.instanceType, '');
      }
      const left = (await s.vpc.describeNetworkInterfaces({ filters: [{ name: 'vpcId', values: [w.vpc] }] })).result;
      assert.deepEqual(left.networkInterfaces.map((e) => e.networkInterfaceId).sort(), [w.eD, w.eX].sort());
      const inst = (await s.vm.describeInstances({ filters: [{ name: 'vpcId', values: [w.vpc] }] })).result;
      assert.equal(inst.totalCount, 0);
      // The survivors are usable: delete them.
      await s.vpc.deleteNetworkInterface({ networkInterfaceId: w.eD });
      await waitGone(`ENI ${w.eD}`, () => getEni(s, w.eD));
    });
  });
}
