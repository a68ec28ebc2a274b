/**
 * autoDelete (JD Cloud scope): set at attach or later, honoured when the instance is terminated; and
 * the permission error for another account's ENI. On both stores; time moves only through FakeClock.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { associateEip, createEips, listEips } from '../../../src/core/ops/eips.ts';
import { attachEni, createEni, deleteEni, detachEni, listEnis, setAutoDelete } from '../../../src/core/ops/enis.ts';
import { changePower } from '../../../src/core/ops/instances.ts';
import { getTask } from '../../../src/core/ops/tasks.ts';
import { SimDriver } from '../../../src/dataplane/sim.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import {
  availableEni,
  eniOf,
  instanceOf,
  mustEni,
  rejectsDomain,
  runningInstances,
  runningTaskCount,
  withCoreWorld,
  type CoreWorld,
} from '../../support/core/world.ts';

async function attached(w: CoreWorld, eniId: string, instanceId: string, autoDelete?: boolean): Promise<void> {
  await attachEni(w.core, w.scope, { eniId, instanceId, attachType: 0, ...(autoDelete === undefined ? {} : { autoDelete }) }, w.meta());
  assert.equal(await w.tick(), 1);
  assert.equal((await mustEni(w, eniId)).instanceId, instanceId);
}

const autoDeleteOf = async (w: CoreWorld, id: string): Promise<boolean> => (await mustEni(w, id)).autoDelete;

for (const kind of STORE_KINDS) {
  describe(`autoDelete and ENI permissions: ${kind}`, { skip: await skipUnless(kind) }, () => {
    test('attach with autoDelete true, false or absent; detach and a failed attach reset it; the primary always has it', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const [a] = await runningInstances(w, 1);
        const [primary] = await listEnis(w.core, w.scope, { instanceId: a! });
        assert.deepEqual([primary!.primary, primary!.autoDelete], [true, true]);

        const [yes, no, absent] = [await availableEni(w), await availableEni(w), await availableEni(w)];
        await attachEni(w.core, w.scope, { eniId: yes, instanceId: a!, attachType: 0, autoDelete: true }, w.meta());
        let e = await mustEni(w, yes);
        assert.deepEqual([e.state, e.targetInstanceId, e.autoDelete], ['ATTACHING', a, true]);
        assert.equal(await w.tick(), 1);
        assert.deepEqual([(await mustEni(w, yes)).instanceId, await autoDeleteOf(w, yes)], [a, true]);
        await attached(w, no, a!, false);
        assert.equal(await autoDeleteOf(w, no), false);

        // Detaching forgets it: attached again without the flag, the ENI no longer goes with the instance.
        await detachEni(w.core, w.scope, { eniId: yes, instanceId: a! }, w.meta());
        assert.equal(await w.tick(), 1);
        e = await mustEni(w, yes);
        assert.deepEqual([e.instanceId, e.autoDelete], [null, false]);
        await attached(w, yes, a!);
        assert.equal(await autoDeleteOf(w, yes), false);

        // A failed attachment rolls the flag back with it.
        const failing = w.engineWith(new SimDriver({ 'eni.attach': 1 }));
        const { taskId } = await attachEni(w.core, w.scope, { eniId: absent, instanceId: a!, attachType: 0, autoDelete: true }, w.meta());
        assert.equal(await autoDeleteOf(w, absent), true);
        assert.equal(await w.tick(undefined, failing), 1);
        assert.equal((await getTask(w.core, w.scope, { id: taskId })).status, 'FAILED');
        e = await mustEni(w, absent);
        assert.deepEqual([e.state, e.instanceId, e.targetInstanceId, e.autoDelete], ['AVAILABLE', null, null, false]);

        // Create-and-attach carries it too.
        const [b] = await runningInstances(w, 1, { zone: w.place.otherZone });
        const ca = await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 'ca', attachTo: { instanceId: b!, attachType: 0, autoDelete: true } }, w.meta());
        assert.equal(await w.tick(), 1);
        e = await mustEni(w, ca.eni.id);
        assert.deepEqual([e.instanceId, e.autoDelete], [b, true]);
      });
    });

    test('setAutoDelete: switches attached secondaries; refused for the primary and for ENIs not attached to that instance, all or nothing', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const [a, b] = await runningInstances(w, 2);
        const [primary] = await listEnis(w.core, w.scope, { instanceId: a! });
        const [e1, e2, onB, loose, arriving] = [await availableEni(w), await availableEni(w), await availableEni(w), await availableEni(w), await availableEni(w)];
        await attached(w, e1, a!, false);
        await attached(w, e2, a!, true);
        await attached(w, onB, b!, false);

        await setAutoDelete(w.core, w.scope, a!, [{ eniId: e1, autoDelete: true }, { eniId: e2, autoDelete: false }]);
        assert.deepEqual([await autoDeleteOf(w, e1), await autoDeleteOf(w, e2)], [true, false]);
        await setAutoDelete(w.core, w.scope, a!, []);
        assert.deepEqual([await autoDeleteOf(w, e1), await autoDeleteOf(w, e2)], [true, false]);

        await rejectsDomain(setAutoDelete(w.core, w.scope, a!, [{ eniId: primary!.id, autoDelete: false }]), 'PrimaryEniImmutable', { eniId: primary!.id });
        assert.equal(await autoDeleteOf(w, primary!.id), true);
        await rejectsDomain(setAutoDelete(w.core, w.scope, a!, [{ eniId: onB, autoDelete: true }]), 'EniNotAttached', { eniId: onB, instanceId: a! });
        await rejectsDomain(setAutoDelete(w.core, w.scope, a!, [{ eniId: loose, autoDelete: true }]), 'EniNotAttached', { eniId: loose, instanceId: a! });
        await attachEni(w.core, w.scope, { eniId: arriving, instanceId: a!, attachType: 0 }, w.meta());
        await rejectsDomain(setAutoDelete(w.core, w.scope, a!, [{ eniId: arriving, autoDelete: true }]), 'EniNotAttached', { eniId: arriving, instanceId: a! });
        assert.equal(await w.tick(), 1);
        // One bad entry refuses the whole request: e1 keeps its value.
        await rejectsDomain(setAutoDelete(w.core, w.scope, a!, [{ eniId: e1, autoDelete: false }, { eniId: onB, autoDelete: true }]), 'EniNotAttached', {
          eniId: onB,
          instanceId: a!,
        });
        assert.deepEqual([await autoDeleteOf(w, e1), await autoDeleteOf(w, onB), await autoDeleteOf(w, loose)], [true, false, false]);
        await rejectsDomain(setAutoDelete(w.core, w.scope, 'i-missing0000', [{ eniId: e1, autoDelete: false }]), 'NotFound', { resource: 'instance', id: 'i-missing0000' });
        await rejectsDomain(setAutoDelete(w.core, w.scope, a!, [{ eniId: 'port-missing000', autoDelete: false }]), 'NotFound', { resource: 'eni', id: 'port-missing000' });
        assert.equal(await autoDeleteOf(w, e1), true);
      });
    });

    test('terminate: the primary and autoDelete ENIs go with their addresses (freed, reusable) and EIPs unbound; the others come back detached', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const [gone, keep] = await runningInstances(w, 2);
        const [primary] = await listEnis(w.core, w.scope, { instanceId: gone! });
        const d1 = await availableEni(w, { secondaryCount: 2 });
        const d2 = await availableEni(w);
        const k1 = await availableEni(w, { secondaryCount: 1 });
        const k2 = await availableEni(w);
        await attached(w, d1, gone!, true);
        await attached(w, d2, gone!, false);
        await attached(w, k1, gone!, true);
        await attached(w, k2, keep!, true);
        // Changed after the attach: d2 now goes, k1 now stays.
        await setAutoDelete(w.core, w.scope, gone!, [{ eniId: d2, autoDelete: true }, { eniId: k1, autoDelete: false }]);
        const [eipPrimary, eipD1, eipK1] = await createEips(w.core, w.scope, { count: 3, bandwidthMbps: 1, isp: 'bgp' });
        await associateEip(w.core, w.scope, primary!.id, { eipId: eipPrimary!.id });
        await associateEip(w.core, w.scope, d1, { eipId: eipD1!.id });
        await associateEip(w.core, w.scope, k1, { eipId: eipK1!.id });
        const freed = (await listEnis(w.core, w.scope, { ids: [primary!.id, d1, d2] })).flatMap((e) => e.ips.map((i) => i.address));
        assert.equal(freed.length, 5);
        const k1Before = await mustEni(w, k1);

        const { taskId } = await changePower(w.core, w.scope, 'terminate', [gone!], w.meta());
        assert.equal((await instanceOf(w, gone!))!.state, 'TERMINATING');
        assert.equal((await listEnis(w.core, w.scope, { instanceId: gone! })).length, 4, 'nothing goes before the task completes');
        assert.equal(await w.tick(), 1);
        assert.equal((await getTask(w.core, w.scope, { id: taskId })).status, 'SUCCESS');
        assert.equal(await instanceOf(w, gone!), undefined);
        for (const id of [primary!.id, d1, d2]) assert.equal(await eniOf(w, id), undefined, `${id} is deleted`);

        const k = await mustEni(w, k1);
        assert.deepEqual(
          [k.state, k.instanceId, k.targetInstanceId, k.deviceIndex, k.attachedAt, k.attachType, k.autoDelete],
          ['AVAILABLE', null, null, null, null, 0, false],
        );
        assert.deepEqual(k.ips, k1Before.ips, 'a surviving ENI keeps its addresses');
        const other = await mustEni(w, k2);
        assert.deepEqual([other.instanceId, other.autoDelete], [keep, true], 'an ENI on another instance is untouched');
        assert.equal((await instanceOf(w, keep!))!.state, 'RUNNING');

        // Addresses of deleted ENIs are free and can be named again; their EIPs survive, unbound.
        const used = await w.store.read((tx) => tx.usedAddresses(w.subnetId));
        for (const address of freed) assert.ok(!used.includes(address), `${address} is freed`);
        const reuse = await createEni(
          w.core,
          w.scope,
          { vpcId: w.vpcId, subnetId: w.subnetId, name: 'reuse', addresses: freed.map((address, i) => ({ address, primary: i === 0 })) },
          w.meta(),
        );
        assert.deepEqual((await mustEni(w, reuse.eni.id)).ips.map((i) => i.address).sort(), [...freed].sort());
        const eips = new Map((await listEips(w.core, w.scope)).map((e) => [e.id, [e.eniId, e.privateIp]]));
        assert.deepEqual(eips.get(eipPrimary!.id), [null, null]);
        assert.deepEqual(eips.get(eipD1!.id), [null, null]);
        assert.deepEqual(eips.get(eipK1!.id), [k1, k1Before.ips.find((i) => i.primary)!.address], 'a surviving ENI keeps its EIP');

        // The detached survivor can join another instance.
        await attached(w, k1, keep!);
        assert.equal(await runningTaskCount(w), 0);
      });
    });

    test('another account’s ENI is PermissionDenied on attach, detach, delete and setAutoDelete; an unknown one is NotFound', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const [mineIns] = await runningInstances(w, 1);
        const loose = await availableEni(w);
        const busy = await availableEni(w);
        await attached(w, busy, mineIns!, true);

        const other = await w.otherAccount();
        const net = await w.networkFor(other);
        const [theirIns] = await runningInstances(w, 1, { scope: other, ...net });
        const denied = (id: string) => ({ resource: 'eni' as const, id });
        await rejectsDomain(attachEni(w.core, other, { eniId: loose, instanceId: theirIns!, attachType: 0 }, w.meta()), 'PermissionDenied', denied(loose));
        await rejectsDomain(attachEni(w.core, other, { eniId: loose, instanceId: 'i-missing0000', attachType: 0 }, w.meta()), 'PermissionDenied', denied(loose));
        await rejectsDomain(detachEni(w.core, other, { eniId: busy, instanceId: theirIns! }, w.meta()), 'PermissionDenied', denied(busy));
        await rejectsDomain(detachEni(w.core, other, { eniId: busy, instanceId: mineIns! }, w.meta()), 'PermissionDenied', denied(busy));
        await rejectsDomain(deleteEni(w.core, other, loose, w.meta()), 'PermissionDenied', denied(loose));
        await rejectsDomain(setAutoDelete(w.core, other, theirIns!, [{ eniId: busy, autoDelete: false }]), 'PermissionDenied', denied(busy));
        assert.deepEqual(await listEnis(w.core, other, { ids: [loose, busy] }), [], 'still invisible to them');

        // Unknown everywhere: NotFound. Same account, another region: NotFound too (not someone else's).
        const unknown = 'port-unknown000';
        const notFound = { resource: 'eni' as const, id: unknown };
        await rejectsDomain(attachEni(w.core, w.scope, { eniId: unknown, instanceId: mineIns!, attachType: 0 }, w.meta()), 'NotFound', notFound);
        await rejectsDomain(detachEni(w.core, w.scope, { eniId: unknown, instanceId: mineIns! }, w.meta()), 'NotFound', notFound);
        await rejectsDomain(deleteEni(w.core, w.scope, unknown, w.meta()), 'NotFound', notFound);
        await rejectsDomain(deleteEni(w.core, other, unknown, w.meta()), 'NotFound', notFound);
        const elsewhere = { ...w.scope, region: w.place.otherRegion };
        await rejectsDomain(deleteEni(w.core, elsewhere, loose, w.meta()), 'NotFound', denied(loose));

        // Nothing changed for the owner.
        const l = await mustEni(w, loose);
        assert.deepEqual([l.state, l.instanceId], ['AVAILABLE', null]);
        const b = await mustEni(w, busy);
        assert.deepEqual([b.state, b.instanceId, b.autoDelete], ['AVAILABLE', mineIns, true]);
        assert.equal(await runningTaskCount(w), 0);
      });
    });
  });
}
