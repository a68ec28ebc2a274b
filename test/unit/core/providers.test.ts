/**
 * The provider policy through the core operations: the same calls under a JD Cloud scope and a
 * Tencent scope give each vendor's ids, MACs, reserved addresses, zone rules and create timing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog, type ProviderPolicy } from '../../../src/core/catalog.ts';
import { isId, seededIdSource } from '../../../src/core/ids.ts';
import type { Provider } from '../../../src/core/model.ts';
import { attachEni, createEni, detachEni, migrateEni } from '../../../src/core/ops/enis.ts';
import { getTask } from '../../../src/core/ops/tasks.ts';
import { listInstances, runInstances } from '../../../src/core/ops/instances.ts';
import { createSubnet, createVpc, listSubnets, listVpcs } from '../../../src/core/ops/network.ts';
import { newId, policyOf, resourceIdPattern } from '../../../src/core/naming.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import {
  availableEni,
  instanceOf,
  mustEni,
  rejectsDomain,
  runningInstances,
  runningTaskCount,
  withCoreWorld,
  type CoreWorld,
} from '../../support/core/world.ts';

const JD_MAC = /^FA:16:3E(:[0-9A-F]{2}){3}$/;
const TC_MAC = /^20:90:6F(:[0-9A-F]{2}){3}$/;

describe('provider policy (no store)', () => {
  test('policyOf: each provider’s built-in policy', () => {
    const core = { catalog: loadCatalog() };
    const expected: Record<Provider, ProviderPolicy> = {
      tencent: {
        text: {
          'vpc.name': { max: 60, unit: 'bytes' },
          'subnet.name': { max: 60, unit: 'bytes' },
          'eni.name': { max: 60, unit: 'bytes' },
          'eni.description': { max: 60, unit: 'chars' },
          'instance.name': { max: 128, unit: 'chars' },
          'securityGroup.name': { max: 60, unit: 'chars' },
          'securityGroup.description': { max: 100, unit: 'chars' },
        },
        idLength: 8,
        prefixes: { vpc: 'vpc', subnet: 'subnet', eni: 'eni', instance: 'ins', routeTable: 'rtb', eip: 'eip', securityGroup: 'sg', securityGroupRule: 'sgr' },
        naming: { instance: '未命名', batchSeparator: '', primaryEni: 'Primary ENI' },
        tags: { perResource: 50, keyMax: 127, valueMax: 255, reservedKeyPrefixes: ['qcloud', 'tencent', 'project', 'qcs:', '项目'] },
        securityGroups: { vpcBound: false, quota: 50, rules: 100, rulesCountedPer: 'direction', perResource: 5 },
        macPrefix: '20:90:6F',
        eniZoneBound: true,
        vpcCidrOptional: false,
        reservedAfterNetwork: 1,
        ipsPerDetachedEni: 10,
        eniCreateAsync: true,
      },
      jdcloud: {
        text: {
          'vpc.name': { max: 32, unit: 'chars', charset: '\\u4e00-\\u9fa5A-Za-z0-9_\\-' },
          'subnet.name': { max: 32, unit: 'chars', charset: '\\u4e00-\\u9fa5A-Za-z0-9_\\-' },
          'eni.name': { max: 32, unit: 'chars', charset: '\\u4e00-\\u9fa5A-Za-z0-9_\\-' },
          'eni.description': { max: 256, unit: 'chars' },
          'instance.name': { min: 2, max: 128, unit: 'chars' },
          'securityGroup.name': { min: 1, max: 32, unit: 'chars', charset: '\\u4e00-\\u9fa5A-Za-z0-9_\\-' },
          'securityGroup.description': { max: 256, unit: 'chars' },
        },
        idLength: 10,
        prefixes: { vpc: 'vpc', subnet: 'subnet', eni: 'port', instance: 'i', routeTable: 'rtb', eip: 'fip', securityGroup: 'sg', securityGroupRule: 'sgr' },
        naming: { instance: 'instance', batchSeparator: '', primaryEni: 'Primary ENI' },
        tags: { perResource: 50, keyMax: 127, valueMax: 255, reservedKeyPrefixes: ['jrn:', 'jdc-'] },
        securityGroups: { vpcBound: true, quota: 50, rules: 100, rulesCountedPer: 'group', perResource: 5 },
        macPrefix: 'FA:16:3E',
        eniZoneBound: false,
        vpcCidrOptional: true,
        reservedAfterNetwork: 2,
        ipsPerDetachedEni: 21,
        eniCreateAsync: false,
      },
    };
    for (const p of ['tencent', 'jdcloud'] as const) assert.deepEqual(policyOf(core, p), expected[p], p);
  });

  test('newId: the provider’s prefix for each kind and its id length', () => {
    const core = { catalog: loadCatalog(), ids: seededIdSource(7) };
    const want: Record<Provider, [number, Record<keyof ProviderPolicy['prefixes'], string>]> = {
      tencent: [8, { vpc: 'vpc', subnet: 'subnet', eni: 'eni', instance: 'ins', routeTable: 'rtb', eip: 'eip', securityGroup: 'sg', securityGroupRule: 'sgr' }],
      jdcloud: [10, { vpc: 'vpc', subnet: 'subnet', eni: 'port', instance: 'i', routeTable: 'rtb', eip: 'fip', securityGroup: 'sg', securityGroupRule: 'sgr' }],
    };
    for (const [provider, [length, prefixes]] of Object.entries(want) as Array<[Provider, (typeof want)[Provider]]>) {
      for (const [kind, prefix] of Object.entries(prefixes) as Array<[keyof ProviderPolicy['prefixes'], string]>) {
        const id = newId(core, provider, kind);
        assert.ok(isId(prefix, id, length), `${provider} ${kind}: ${id}`);
        assert.match(id, new RegExp(`^${prefix}-[a-z0-9]{${length}}$`));
      }
    }
  });
});

test('resourceIdPattern: every kind of id of every provider, and nothing of another length', () => {
  const core = { catalog: loadCatalog(), ids: seededIdSource(11) };
  const ids = (['tencent', 'jdcloud'] as const).flatMap((p) =>
    (Object.keys(policyOf(core, p).prefixes) as Array<keyof ProviderPolicy['prefixes']>).map((k) => newId(core, p, k)),
  );
  const text = `x ${ids.join(',')} eni-abc eni-abcdefghi1 port-abcdefgh "sg-1234567"`;
  assert.deepEqual(text.match(resourceIdPattern(core.catalog)), ids);
});

/** The address an ENI's primary IP has, and its secondaries sorted, as stored. */
async function addressesOf(w: CoreWorld, eniId: string): Promise<{ primary: string; secondary: string[] }> {
  const e = await mustEni(w, eniId);
  const primaries = e.ips.filter((i) => i.primary);
  assert.equal(primaries.length, 1, `${eniId} has exactly one primary IP`);
  return { primary: primaries[0]!.address, secondary: e.ips.filter((i) => !i.primary).map((i) => i.address) };
}

for (const kind of STORE_KINDS) {
  describe(`provider policy through the core: ${kind}`, { skip: await skipUnless(kind) }, () => {
    test('jdcloud: ids are vpc-/subnet-/port-/i-/rtb- + 10 characters and MACs start FA:16:3E', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const [vpc] = await listVpcs(w.core, w.scope);
        assert.ok(isId('vpc', vpc!.id, 10), vpc!.id);
        const [sub] = await listSubnets(w.core, w.scope);
        assert.ok(isId('subnet', sub!.id, 10), sub!.id);
        assert.ok(isId('rtb', sub!.routeTableId, 10), sub!.routeTableId);
        const eniId = await availableEni(w);
        assert.ok(isId('port', eniId, 10), eniId);
        assert.match((await mustEni(w, eniId)).mac, JD_MAC);
        const [ins] = await runningInstances(w, 1);
        assert.ok(isId('i', ins!, 10), ins);
        const [primary] = await w.core.store.read((tx) => tx.listEnis(w.scope, { instanceId: ins! }));
        assert.ok(isId('port', primary!.id, 10), primary!.id);
        assert.equal(primary!.primary, true);
        assert.match(primary!.mac, JD_MAC);
      });
    });

    test('jdcloud: the first usable address is network+3 and a /24 has 252 usable addresses', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const [fresh] = await listSubnets(w.core, w.scope);
        assert.deepEqual([fresh!.totalIpCount, fresh!.availableIpCount], [256, 252]);
        const { eni } = await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 'a', secondaryCount: 2 }, w.meta());
        assert.deepEqual(await addressesOf(w, eni.id), { primary: '10.0.1.3', secondary: ['10.0.1.4', '10.0.1.5'] });
        assert.equal((await listSubnets(w.core, w.scope))[0]!.availableIpCount, 249);
        // Network, gateway, DHCP and broadcast cannot be named; the one before broadcast can.
        for (const address of ['10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.255']) {
          await rejectsDomain(
            createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 'r', addresses: [{ address, primary: true }] }, w.meta()),
            'IpReserved',
            { ip: address },
          );
        }
        const { eni: top } = await createEni(
          w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 't', addresses: [{ address: '10.0.1.254', primary: true }] }, w.meta(),
        );
        assert.equal((await addressesOf(w, top.id)).primary, '10.0.1.254');
        // A /28 holds 16 - 4 = 12: .3 to .14, then the subnet is exhausted.
        const small = await createSubnet(w.core, w.scope, { vpcId: w.vpcId, name: 'small', cidr: '10.0.2.0/28', zone: '' }, w.meta());
        assert.equal(small.availableIpCount, 12);
        const { eni: full } = await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: small.id, name: 'f', secondaryCount: 11 }, w.meta());
        const got = await addressesOf(w, full.id);
        assert.equal(got.primary, '10.0.2.3');
        assert.deepEqual(got.secondary, Array.from({ length: 11 }, (_, i) => `10.0.2.${4 + i}`));
        await rejectsDomain(createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: small.id, name: 'x' }, w.meta()), 'SubnetExhausted', { subnetId: small.id });
      });
    });

    test('jdcloud: a VPC without a CIDR is accepted and its subnets need only a private range', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const open = await createVpc(w.core, w.scope, { name: 'open', cidr: '' }, w.meta());
        assert.equal(open.cidr, '');
        assert.ok(isId('vpc', open.id, 10));
        for (const cidr of ['10.9.0.0/24', '172.16.5.0/24', '192.168.3.0/24', '10.200.0.0/16']) {
          const s = await createSubnet(w.core, w.scope, { vpcId: open.id, name: `s-${cidr.replace(/[./]/g, '_')}`, cidr, zone: '' }, w.meta());
          assert.deepEqual([s.cidr, s.zone, s.vpcId], [cidr, '', open.id]);
        }
        for (const cidr of ['8.8.8.0/24', '100.64.0.0/24', '11.0.0.0/16', '192.169.0.0/24']) {
          await rejectsDomain(createSubnet(w.core, w.scope, { vpcId: open.id, name: 'x', cidr, zone: '' }, w.meta()), 'CidrOutsideVpc', { cidr, vpcCidr: '' });
        }
        // The other subnet rules still hold: overlap, mask range, well-formedness.
        const overlapped = (await listSubnets(w.core, w.scope, open.id)).find((s) => s.cidr === '10.9.0.0/24')!;
        await rejectsDomain(createSubnet(w.core, w.scope, { vpcId: open.id, name: 'x', cidr: '10.9.0.128/25', zone: '' }, w.meta()), 'CidrOverlap', {
          cidr: '10.9.0.128/25',
          otherId: overlapped.id,
        });
        await rejectsDomain(createSubnet(w.core, w.scope, { vpcId: open.id, name: 'x', cidr: '10.10.0.0/29', zone: '' }, w.meta()), 'InvalidValue', {
          field: 'subnet.cidr',
          reason: 'range',
          value: '10.10.0.0/29',
        });
        assert.equal((await listSubnets(w.core, w.scope, open.id)).length, 4);
        // Subnets created with the VPC follow the same rule, atomically.
        const inline = await createVpc(w.core, w.scope, { name: 'inline', cidr: '', subnets: [{ name: 'a', cidr: '192.168.7.0/24', zone: '' }] }, w.meta());
        assert.deepEqual(inline.subnets.map((s) => s.cidr), ['192.168.7.0/24']);
        const before = (await listVpcs(w.core, w.scope)).length;
        await rejectsDomain(
          createVpc(w.core, w.scope, { name: 'bad', cidr: '', subnets: [{ name: 'a', cidr: '10.1.0.0/24', zone: '' }, { name: 'b', cidr: '9.9.9.0/24', zone: '' }] }, w.meta()),
          'CidrOutsideVpc',
          { cidr: '9.9.9.0/24', vpcCidr: '' },
        );
        assert.equal((await listVpcs(w.core, w.scope)).length, before, 'a refused subnet takes its VPC with it');
        // A VPC that has a CIDR still bounds its subnets; a malformed CIDR is still malformed.
        await rejectsDomain(createSubnet(w.core, w.scope, { vpcId: w.vpcId, name: 'x', cidr: '10.9.0.0/24', zone: '' }, w.meta()), 'CidrOutsideVpc', {
          cidr: '10.9.0.0/24',
          vpcCidr: '10.0.0.0/16',
        });
        await rejectsDomain(createVpc(w.core, w.scope, { name: 'm', cidr: '10.0.0/16' }, w.meta()), 'InvalidValue', { field: 'vpc.cidr', reason: 'malformed', value: '10.0.0/16' });
        await rejectsDomain(createVpc(w.core, w.scope, { name: 'p', cidr: '8.0.0.0/16' }, w.meta()), 'CidrNotAllowed', { cidr: '8.0.0.0/16' });
        // An ENI in a subnet of a CIDR-less VPC works like any other.
        const eniId = await availableEni(w, { vpcId: open.id, subnetId: overlapped.id });
        assert.equal((await addressesOf(w, eniId)).primary, '10.9.0.3');
      });
    });

    test('jdcloud: subnets are regional: zone "" is stored, a zone name is refused', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const [first] = await listSubnets(w.core, w.scope);
        assert.equal(first!.zone, '');
        for (const zone of ['cn-north-1a', 'cn-east-2a', 'nowhere']) {
          await rejectsDomain(createSubnet(w.core, w.scope, { vpcId: w.vpcId, name: 'z', cidr: '10.0.3.0/24', zone }, w.meta()), 'InvalidValue', {
            field: 'subnet.zone',
            reason: 'range',
            value: zone,
          });
        }
        assert.equal((await listSubnets(w.core, w.scope)).length, 1);
        // ENIs of a regional subnet carry no zone either.
        const eniId = await availableEni(w);
        assert.equal((await mustEni(w, eniId)).zone, '');
      });
    });

    test('jdcloud: ENI creation is synchronous: AVAILABLE with AVAILABLE addresses at once, no task', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const input = { vpcId: w.vpcId, subnetId: w.subnetId, name: 'sync', secondaryCount: 2 };
        const out = await createEni(w.core, w.scope, input, w.meta('tok-sync'));
        assert.deepEqual([out.taskId, out.replayed, out.eni.state], ['', false, 'AVAILABLE']);
        assert.deepEqual(out.eni.ips.map((i) => i.state), ['AVAILABLE', 'AVAILABLE', 'AVAILABLE']);
        const stored = await mustEni(w, out.eni.id);
        assert.equal(stored.state, 'AVAILABLE');
        assert.deepEqual(stored.ips.map((i) => i.state), ['AVAILABLE', 'AVAILABLE', 'AVAILABLE']);
        assert.deepEqual([stored.instanceId, stored.targetInstanceId], [null, null]);
        for (const status of ['RUNNING', 'SUCCESS', 'FAILED'] as const) assert.equal(await w.store.read((tx) => tx.countTasks(status)), 0, status);
        assert.equal(await w.tick(), 0);
        // The same token replays the synchronous answer.
        const again = await createEni(w.core, w.scope, input, w.meta('tok-sync'));
        assert.deepEqual([again.eni.id, again.taskId, again.replayed], [out.eni.id, '', true]);
        // Usable at once: it can be attached without waiting for anything.
        const [ins] = await runningInstances(w, 1);
        const { taskId } = await attachEni(w.core, w.scope, { eniId: out.eni.id, instanceId: ins!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        assert.equal((await getTask(w.core, w.scope, { id: taskId })).status, 'SUCCESS');
        assert.equal((await mustEni(w, out.eni.id)).instanceId, ins);
        // Creating and attaching in one call is still an asynchronous attachment.
        const [other] = await runningInstances(w, 1, { zone: w.place.otherZone });
        const ca = await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 'ca', attachTo: { instanceId: other!, attachType: 0 } }, w.meta());
        assert.notEqual(ca.taskId, '');
        let e = await mustEni(w, ca.eni.id);
        assert.deepEqual([e.state, e.targetInstanceId, e.ips[0]!.state], ['PENDING', other, 'PENDING']);
        assert.equal(await w.tick(), 1);
        e = await mustEni(w, ca.eni.id);
        assert.deepEqual([e.state, e.instanceId, e.targetInstanceId, e.ips[0]!.state], ['AVAILABLE', other, null, 'AVAILABLE']);
      });
    });

    test('jdcloud: attach, detach and migrate ignore zones but an ENI stays in its VPC', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const [a] = await runningInstances(w, 1, { zone: 'cn-north-1a' });
        const [b] = await runningInstances(w, 1, { zone: 'cn-north-1b' });
        assert.deepEqual([(await instanceOf(w, a!))!.zone, (await instanceOf(w, b!))!.zone], ['cn-north-1a', 'cn-north-1b']);
        const eniId = await availableEni(w);
        assert.equal((await mustEni(w, eniId)).zone, '');
        await attachEni(w.core, w.scope, { eniId, instanceId: a!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        assert.equal((await mustEni(w, eniId)).instanceId, a);
        await migrateEni(w.core, w.scope, { eniId, sourceInstanceId: a!, destinationInstanceId: b!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        assert.equal((await mustEni(w, eniId)).instanceId, b);
        await detachEni(w.core, w.scope, { eniId, instanceId: b! }, w.meta());
        assert.equal(await w.tick(), 1);
        await attachEni(w.core, w.scope, { eniId, instanceId: a!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        assert.equal((await mustEni(w, eniId)).instanceId, a);
        // Another VPC: its ENI cannot join an instance of this one.
        const vpc2 = await createVpc(w.core, w.scope, { name: 'v2', cidr: '' }, w.meta());
        const sub2 = await createSubnet(w.core, w.scope, { vpcId: vpc2.id, name: 's2', cidr: '172.16.0.0/24', zone: '' }, w.meta());
        const foreign = await availableEni(w, { vpcId: vpc2.id, subnetId: sub2.id });
        await rejectsDomain(attachEni(w.core, w.scope, { eniId: foreign, instanceId: b!, attachType: 0 }, w.meta()), 'VpcMismatch', { eniId: foreign, instanceId: b! });
        const f = await mustEni(w, foreign);
        assert.deepEqual([f.state, f.instanceId, f.targetInstanceId], ['AVAILABLE', null, null]);
        assert.equal(await runningTaskCount(w), 0);
        // An instance may use a regional subnet from any zone of the region, but not a zone of another region.
        await rejectsDomain(
          runInstances(w.core, w.scope, { zone: 'cn-east-2a', vpcId: w.vpcId, subnetId: w.subnetId, count: 1, instanceType: w.place.type }, w.meta()),
          'NotFound',
          { resource: 'zone', id: 'cn-east-2a' },
        );
      });
    });

    for (const provider of ['jdcloud', 'tencent'] as const) {
      test(`${provider}: createEni address rules (all secondary → primary from the pool; none → pool; unmarked → first)`, async () => {
        await withCoreWorld(kind, provider, async (w) => {
          const first = provider === 'jdcloud' ? 3 : 2;
          const at = (n: number) => `10.0.1.${n}`;
          const create = async (over: Partial<Parameters<typeof createEni>[2]>) => {
            const { eni, taskId } = await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 'r', ...over }, w.meta());
            if (taskId) assert.equal(await w.tick(), 1);
            return addressesOf(w, eni.id);
          };
          // All named addresses are secondaries: the primary is the lowest free address.
          assert.deepEqual(await create({ addresses: [{ address: at(40), primary: false }, { address: at(41), primary: false }] }), {
            primary: at(first),
            secondary: [at(40), at(41)],
          });
          // None named: primary and secondaries from the pool, primary the lowest.
          assert.deepEqual(await create({ secondaryCount: 1 }), { primary: at(first + 1), secondary: [at(first + 2)] });
          // Unmarked: the first named is the primary, whatever its order.
          assert.deepEqual(await create({ addresses: [{ address: at(60) }, { address: at(50) }] }), { primary: at(60), secondary: [at(50)] });
          // One marked primary wins over position.
          assert.deepEqual(await create({ addresses: [{ address: at(70) }, { address: at(71), primary: true }] }), { primary: at(71), secondary: [at(70)] });
          // Secondaries named plus a count: the primary is the first pool address, the count follows it.
          assert.deepEqual(await create({ addresses: [{ address: at(80), primary: false }], secondaryCount: 2 }), {
            primary: at(first + 3),
            secondary: [at(first + 4), at(first + 5), at(80)].sort((x, y) => Number(x.split('.')[3]) - Number(y.split('.')[3])),
          });
          await rejectsDomain(create({ addresses: [{ address: at(90), primary: true }, { address: at(91), primary: true }] }), 'InvalidValue', {
            field: 'eni.addresses.primary',
            reason: 'duplicate',
          });
          await rejectsDomain(create({ addresses: [{ address: at(92) }, { address: at(92) }] }), 'InvalidValue', {
            field: 'address',
            reason: 'duplicate',
            value: at(92),
          });
          await rejectsDomain(create({ addresses: [{ address: at(40), primary: false }] }), 'IpInUse', { ip: at(40) });
          // Refused requests took nothing: the pool continues where it was.
          assert.deepEqual(await create({}), { primary: at(first + 6), secondary: [] });
        });
      });
    }

    test('tencent: the same calls keep eni-+8 ids, 20:90:6F MACs, network+2, zone rules and asynchronous creation', async () => {
      await withCoreWorld(kind, 'tencent', async (w) => {
        const [vpc] = await listVpcs(w.core, w.scope);
        assert.ok(isId('vpc', vpc!.id, 8), vpc!.id);
        const [sub] = await listSubnets(w.core, w.scope);
        assert.ok(isId('subnet', sub!.id, 8), sub!.id);
        assert.ok(isId('rtb', sub!.routeTableId, 8), sub!.routeTableId);
        assert.deepEqual([sub!.zone, sub!.totalIpCount, sub!.availableIpCount], ['ap-guangzhou-3', 256, 253]);
        // Asynchronous create: PENDING with a task, AVAILABLE only after the engine ran it.
        const { eni, taskId } = await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 'a', secondaryCount: 1 }, w.meta());
        assert.ok(isId('eni', eni.id, 8), eni.id);
        assert.notEqual(taskId, '');
        let e = await mustEni(w, eni.id);
        assert.equal(e.state, 'PENDING');
        assert.deepEqual(e.ips.map((i) => i.state), ['PENDING', 'PENDING']);
        assert.match(e.mac, TC_MAC);
        assert.deepEqual(await addressesOf(w, eni.id), { primary: '10.0.1.2', secondary: ['10.0.1.3'] });
        assert.equal(await w.tick(), 1);
        e = await mustEni(w, eni.id);
        assert.equal(e.state, 'AVAILABLE');
        assert.equal(e.zone, 'ap-guangzhou-3');
        assert.equal((await getTask(w.core, w.scope, { id: taskId })).status, 'SUCCESS');
        // Only network, gateway and broadcast are reserved.
        await rejectsDomain(
          createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 'r', addresses: [{ address: '10.0.1.1' }] }, w.meta()),
          'IpReserved',
          { ip: '10.0.1.1' },
        );
        const [ins] = await runningInstances(w, 1);
        assert.ok(isId('ins', ins!, 8), ins);
        // Unnamed instances are 未命名, a batch of them 未命名1…n; the primary ENI has the policy's name.
        const batch = await runningInstances(w, 2);
        assert.deepEqual((await listInstances(w.core, w.scope, [ins!, ...batch])).map((i) => i.name).sort(), ['未命名', '未命名1', '未命名2']);
        const [primary] = await w.store.read((tx) => tx.listEnis(w.scope, { instanceId: ins! }));
        assert.equal(primary!.name, 'Primary ENI');
        assert.ok(isId('eni', primary!.id, 8), primary!.id);
        assert.match(primary!.mac, TC_MAC);
        assert.equal(primary!.ips[0]!.address, '10.0.1.4');
        // A VPC needs a CIDR.
        await rejectsDomain(createVpc(w.core, w.scope, { name: 'open', cidr: '' }, w.meta()), 'InvalidValue', { field: 'vpc.cidr', reason: 'malformed', value: '' });
        // A subnet needs a zone of this region.
        for (const zone of ['', 'ap-shanghai-2', 'cn-north-1a']) {
          await rejectsDomain(createSubnet(w.core, w.scope, { vpcId: w.vpcId, name: 'z', cidr: '10.0.9.0/24', zone }, w.meta()), 'NotFound', { resource: 'zone', id: zone });
        }
        // ENIs attach only to instances of their zone; an instance must use a subnet of its zone.
        const sub4 = await createSubnet(w.core, w.scope, { vpcId: w.vpcId, name: 's4', cidr: '10.0.4.0/24', zone: 'ap-guangzhou-4' }, w.meta());
        await rejectsDomain(
          runInstances(w.core, w.scope, { zone: 'ap-guangzhou-4', vpcId: w.vpcId, subnetId: w.subnetId, count: 1, instanceType: w.place.type }, w.meta()),
          'ResourceMismatch',
          { resource: 'subnet', id: w.subnetId, expected: 'ap-guangzhou-4' },
        );
        const [far] = await runningInstances(w, 1, { zone: 'ap-guangzhou-4', subnetId: sub4.id });
        await rejectsDomain(attachEni(w.core, w.scope, { eniId: eni.id, instanceId: far!, attachType: 0 }, w.meta()), 'ZoneMismatch', {
          eniId: eni.id,
          zone: 'ap-guangzhou-3',
          instanceZone: 'ap-guangzhou-4',
        });
        await rejectsDomain(
          createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 'ca', attachTo: { instanceId: far!, attachType: 0 } }, w.meta()),
          'ZoneMismatch',
        );
        assert.equal(await runningTaskCount(w), 0);
        await attachEni(w.core, w.scope, { eniId: eni.id, instanceId: ins!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        assert.equal((await mustEni(w, eni.id)).instanceId, ins);
      });
    });
  });
}
