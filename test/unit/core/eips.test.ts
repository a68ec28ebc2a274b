/**
 * Elastic IPs in the core (JD Cloud scope): creation and its zone check, binding to a private IP of
 * an ENI, the zone rule at associate, attach and migrate, unbinding when the ENI or the address goes,
 * and account isolation. On both stores; time moves only through FakeClock.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isId } from '../../../src/core/ids.ts';
import type { ElasticIp } from '../../../src/core/model.ts';
import { associateEip, associateEipToInstance, createEips, deleteEip, disassociateEip, listEips } from '../../../src/core/ops/eips.ts';
import { attachEni, deleteEni, listEnis, migrateEni, unassignIps } from '../../../src/core/ops/enis.ts';
import { getTask } from '../../../src/core/ops/tasks.ts';
import { SimDriver } from '../../../src/dataplane/sim.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { availableEni, mustEni, rejectsDomain, runningInstances, runningTaskCount, withCoreWorld, type CoreWorld } from '../../support/core/world.ts';

const ZONE_A = 'cn-north-1a';
const ZONE_B = 'cn-north-1b';

const eip = async (w: CoreWorld, az?: string, address?: string): Promise<ElasticIp> => {
  const [e] = await createEips(w.core, w.scope, { count: 1, bandwidthMbps: 5, isp: 'bgp', az, address });
  assert.ok(e);
  return e;
};

async function eipNow(w: CoreWorld, id: string): Promise<ElasticIp> {
  const [e] = await listEips(w.core, w.scope, [id]);
  assert.ok(e, `EIP ${id} should exist`);
  return e;
}

const binding = async (w: CoreWorld, id: string): Promise<[string | null, string | null]> => {
  const e = await eipNow(w, id);
  return [e.eniId, e.privateIp];
};

async function ipsOf(w: CoreWorld, eniId: string): Promise<{ primary: string; secondary: string[] }> {
  const e = await mustEni(w, eniId);
  return { primary: e.ips.find((i) => i.primary)!.address, secondary: e.ips.filter((i) => !i.primary).map((i) => i.address) };
}

for (const kind of STORE_KINDS) {
  describe(`elastic IPs: ${kind}`, { skip: await skipUnless(kind) }, () => {
    test('createEips: count, unique public addresses, fip- ids; az must be a zone of the region; an explicit address once', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        // The explicit address first, so no random address can have taken it.
        const fixed = await eip(w, undefined, '198.18.200.1');
        assert.equal(fixed.address, '198.18.200.1');
        const made = await createEips(w.core, w.scope, { count: 6, bandwidthMbps: 10, isp: 'bgp' });
        assert.equal(made.length, 6);
        for (const e of made) {
          assert.ok(isId('fip', e.id, 10), e.id);
          assert.match(e.address, /^198\.18\.\d{1,3}\.\d{1,3}$/);
          assert.deepEqual([e.az, e.eniId, e.privateIp, e.bandwidthMbps, e.isp, e.accountId, e.region], ['', null, null, 10, 'bgp', w.scope.accountId, 'cn-north-1']);
        }
        const all = await listEips(w.core, w.scope);
        assert.equal(all.length, 7);
        assert.equal(new Set(all.map((e) => e.address)).size, 7, 'addresses are unique');
        assert.equal(new Set(all.map((e) => e.id)).size, 7, 'ids are unique');
        assert.deepEqual((await listEips(w.core, w.scope, [made[2]!.id])).map((e) => e.id), [made[2]!.id]);

        const zoned = await eip(w, ZONE_B);
        assert.equal(zoned.az, ZONE_B);
        assert.equal((await eipNow(w, zoned.id)).az, ZONE_B);
        for (const az of ['cn-north-1z', 'cn-east-2a', 'ap-guangzhou-3']) {
          await rejectsDomain(createEips(w.core, w.scope, { count: 1, bandwidthMbps: 1, isp: 'bgp', az }), 'NotFound', { resource: 'zone', id: az });
        }
        await rejectsDomain(eip(w, undefined, '198.18.200.1'), 'IpInUse', { ip: '198.18.200.1' });
        await rejectsDomain(createEips(w.core, w.scope, { count: 2, bandwidthMbps: 1, isp: 'bgp', address: '198.18.200.2' }), 'InvalidValue', {
          field: 'eip.count',
          reason: 'range',
          value: 2,
        });
        // A public address is unique across accounts too.
        const other = await w.otherAccount();
        await rejectsDomain(createEips(w.core, other, { count: 1, bandwidthMbps: 1, isp: 'bgp', address: '198.18.200.1' }), 'IpInUse', { ip: '198.18.200.1' });
        assert.equal((await listEips(w.core, w.scope)).length, 8, 'refused creations made nothing');
      });
    });

    test('associateEip: the primary IP by default, a named secondary, by address; refusals; disassociate', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const eniId = await availableEni(w, { secondaryCount: 2 });
        const otherEni = await availableEni(w);
        const ips = await ipsOf(w, eniId);
        const [x, y, z] = [await eip(w), await eip(w), await eip(w)];

        await associateEip(w.core, w.scope, eniId, { eipId: x.id });
        assert.deepEqual(await binding(w, x.id), [eniId, ips.primary]);
        await associateEip(w.core, w.scope, eniId, { eipId: y.id, privateIp: ips.secondary[0] });
        assert.deepEqual(await binding(w, y.id), [eniId, ips.secondary[0]]);

        await rejectsDomain(associateEip(w.core, w.scope, otherEni, { eipId: x.id }), 'ResourceInUse', {
          resource: 'eip',
          id: x.id,
          reason: `it is already associated with ${eniId}`,
        });
        await rejectsDomain(associateEip(w.core, w.scope, eniId, { eipId: z.id }), 'ResourceInUse', {
          resource: 'ip',
          id: ips.primary,
          reason: 'the address already has an elastic IP',
        });
        await rejectsDomain(associateEip(w.core, w.scope, eniId, { eipId: z.id, privateIp: ips.secondary[0] }), 'ResourceInUse', {
          resource: 'ip',
          id: ips.secondary[0]!,
          reason: 'the address already has an elastic IP',
        });
        await rejectsDomain(associateEip(w.core, w.scope, eniId, { eipId: z.id, privateIp: '10.0.1.200' }), 'IpNotOnEni', { ip: '10.0.1.200', eniId });
        const foreignIp = (await ipsOf(w, otherEni)).primary;
        await rejectsDomain(associateEip(w.core, w.scope, eniId, { eipId: z.id, privateIp: foreignIp }), 'IpNotOnEni', { ip: foreignIp, eniId });
        await rejectsDomain(associateEip(w.core, w.scope, eniId, { eipId: 'fip-missing000' }), 'NotFound', { resource: 'eip', id: 'fip-missing000' });
        await rejectsDomain(associateEip(w.core, w.scope, 'port-missing000', { eipId: z.id }), 'NotFound', { resource: 'eni', id: 'port-missing000' });
        assert.deepEqual(await binding(w, z.id), [null, null], 'every refusal left z unbound');

        // By public address instead of id.
        await associateEip(w.core, w.scope, eniId, { address: z.address, privateIp: ips.secondary[1] });
        assert.deepEqual(await binding(w, z.id), [eniId, ips.secondary[1]]);
        const onEni = await w.store.read((tx) => tx.eipsOfEni(eniId));
        assert.deepEqual(onEni.map((e) => e.id).sort(), [x.id, y.id, z.id].sort());

        // Disassociate: only from the ENI it is on.
        await rejectsDomain(disassociateEip(w.core, w.scope, otherEni, { eipId: x.id }), 'ResourceMismatch', { resource: 'eip', id: x.id, expected: otherEni });
        assert.deepEqual(await binding(w, x.id), [eniId, ips.primary]);
        await disassociateEip(w.core, w.scope, eniId, { address: x.address });
        assert.deepEqual(await binding(w, x.id), [null, null]);
        await rejectsDomain(disassociateEip(w.core, w.scope, eniId, { eipId: x.id }), 'ResourceMismatch', { resource: 'eip', id: x.id, expected: eniId });
        // The freed primary IP takes another EIP; the freed EIP goes to another ENI.
        await associateEip(w.core, w.scope, otherEni, { eipId: x.id });
        assert.deepEqual(await binding(w, x.id), [otherEni, foreignIp]);
        const w2 = await eip(w);
        await associateEip(w.core, w.scope, eniId, { eipId: w2.id });
        assert.deepEqual(await binding(w, w2.id), [eniId, ips.primary]);
        // Associating changes nothing about the ENI itself.
        const e = await mustEni(w, eniId);
        assert.deepEqual([e.state, e.instanceId, e.ips.length], ['AVAILABLE', null, 3]);
      });
    });

    test('zone rule: an az-bound EIP on an unattached ENI is fine; attach or migrate to another zone fails EipZoneMismatch and changes nothing', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const [a] = await runningInstances(w, 1, { zone: ZONE_A });
        const [b] = await runningInstances(w, 1, { zone: ZONE_B });
        const eniId = await availableEni(w);
        const zoned = await eip(w, ZONE_A);
        await associateEip(w.core, w.scope, eniId, { eipId: zoned.id });
        const primaryIp = (await ipsOf(w, eniId)).primary;
        assert.deepEqual(await binding(w, zoned.id), [eniId, primaryIp]);

        const mismatch = { eipId: zoned.id, az: ZONE_A, instanceZone: ZONE_B };
        await rejectsDomain(attachEni(w.core, w.scope, { eniId, instanceId: b!, attachType: 0, autoDelete: true }, w.meta()), 'EipZoneMismatch', mismatch);
        let e = await mustEni(w, eniId);
        assert.deepEqual([e.state, e.instanceId, e.targetInstanceId, e.deviceIndex, e.autoDelete], ['AVAILABLE', null, null, null, false]);
        assert.deepEqual(await binding(w, zoned.id), [eniId, primaryIp]);
        assert.equal(await runningTaskCount(w), 0);
        assert.equal(await w.tick(), 0);

        // Its own zone is fine; migrating away to the other zone is refused the same way.
        await attachEni(w.core, w.scope, { eniId, instanceId: a!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        assert.equal((await mustEni(w, eniId)).instanceId, a);
        await rejectsDomain(migrateEni(w.core, w.scope, { eniId, sourceInstanceId: a!, destinationInstanceId: b!, attachType: 0 }, w.meta()), 'EipZoneMismatch', mismatch);
        e = await mustEni(w, eniId);
        assert.deepEqual([e.state, e.instanceId, e.targetInstanceId, e.deviceIndex], ['AVAILABLE', a, null, 1]);
        assert.equal(await runningTaskCount(w), 0);

        // An every-zone EIP goes anywhere.
        const free = await availableEni(w);
        const anyZone = await eip(w);
        await associateEip(w.core, w.scope, free, { eipId: anyZone.id });
        await attachEni(w.core, w.scope, { eniId: free, instanceId: b!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        assert.equal((await mustEni(w, free)).instanceId, b);

        // Associating a zone-bound EIP to an ENI already on an instance of another zone fails...
        const zonedA2 = await eip(w, ZONE_A);
        const third = await availableEni(w, { secondaryCount: 0 });
        await attachEni(w.core, w.scope, { eniId: third, instanceId: b!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        await rejectsDomain(associateEip(w.core, w.scope, third, { eipId: zonedA2.id }), 'EipZoneMismatch', { eipId: zonedA2.id, az: ZONE_A, instanceZone: ZONE_B });
        assert.deepEqual(await binding(w, zonedA2.id), [null, null]);
        // ...also while it is only arriving there (attach in flight)...
        const arriving = await availableEni(w);
        await attachEni(w.core, w.scope, { eniId: arriving, instanceId: b!, attachType: 0 }, w.meta());
        await rejectsDomain(associateEip(w.core, w.scope, arriving, { eipId: zonedA2.id }), 'EipZoneMismatch', { eipId: zonedA2.id, az: ZONE_A, instanceZone: ZONE_B });
        assert.equal(await w.tick(), 1);
        // ...and a zone-bound EIP of the instance's zone is accepted.
        const zonedB = await eip(w, ZONE_B);
        await associateEip(w.core, w.scope, third, { eipId: zonedB.id });
        assert.deepEqual(await binding(w, zonedB.id), [third, (await ipsOf(w, third)).primary]);
        // The instance form checks the same rule against the instance's own zone.
        await rejectsDomain(associateEipToInstance(w.core, w.scope, b!, { eipId: zonedA2.id }), 'EipZoneMismatch', { eipId: zonedA2.id, az: ZONE_A, instanceZone: ZONE_B });
      });
    });

    test('associateEipToInstance: binds to the primary ENI’s primary IP only', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const [a] = await runningInstances(w, 1, { zone: ZONE_A });
        const [primary] = await listEnis(w.core, w.scope, { instanceId: a! });
        assert.equal(primary!.primary, true);
        const primaryIp = primary!.ips.find((i) => i.primary)!.address;
        // A secondary ENI on the same instance is not where the instance form binds.
        const secondary = await availableEni(w);
        await attachEni(w.core, w.scope, { eniId: secondary, instanceId: a!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);

        const x = await eip(w, ZONE_A);
        // A private IP named in the input is ignored: the instance form knows only the primary.
        await associateEipToInstance(w.core, w.scope, a!, { eipId: x.id, privateIp: (await ipsOf(w, secondary)).primary });
        assert.deepEqual(await binding(w, x.id), [primary!.id, primaryIp]);
        assert.deepEqual(await w.store.read((tx) => tx.eipsOfEni(secondary)), []);
        const y = await eip(w);
        await rejectsDomain(associateEipToInstance(w.core, w.scope, a!, { address: y.address }), 'ResourceInUse', {
          resource: 'ip',
          id: primaryIp,
          reason: 'the address already has an elastic IP',
        });
        await rejectsDomain(associateEipToInstance(w.core, w.scope, 'i-missing0000', { eipId: y.id }), 'NotFound', { resource: 'instance', id: 'i-missing0000' });
        const other = await w.otherAccount();
        await rejectsDomain(associateEipToInstance(w.core, other, a!, { eipId: y.id }), 'NotFound', { resource: 'instance', id: a! });
        assert.deepEqual(await binding(w, y.id), [null, null]);
        // Disassociated through the primary ENI, like any binding.
        await disassociateEip(w.core, w.scope, primary!.id, { eipId: x.id });
        assert.deepEqual(await binding(w, x.id), [null, null]);
      });
    });

    test('deleteEip refuses an associated EIP; deleting the ENI or releasing the IP unbinds it and the EIP survives', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const eniId = await availableEni(w, { secondaryCount: 2 });
        const ips = await ipsOf(w, eniId);
        const onPrimary = await eip(w);
        const onSecondary = await eip(w, ZONE_A);
        const onKept = await eip(w);
        await associateEip(w.core, w.scope, eniId, { eipId: onPrimary.id });
        await associateEip(w.core, w.scope, eniId, { eipId: onSecondary.id, privateIp: ips.secondary[0] });
        await associateEip(w.core, w.scope, eniId, { eipId: onKept.id, privateIp: ips.secondary[1] });
        // The same private address in a twin VPC (same CIDRs), with its own EIP: releasing ours must not touch it.
        const twin = await w.networkFor(w.scope);
        const twinEni = await availableEni(w, { ...twin, secondaryCount: 2 });
        assert.deepEqual(await ipsOf(w, twinEni), ips, 'the twin ENI holds the same addresses');
        const onTwin = await eip(w);
        await associateEip(w.core, w.scope, twinEni, { eipId: onTwin.id, privateIp: ips.secondary[0] });

        await rejectsDomain(deleteEip(w.core, w.scope, onPrimary.id), 'ResourceInUse', {
          resource: 'eip',
          id: onPrimary.id,
          reason: `it is associated with ${eniId}`,
        });
        await rejectsDomain(deleteEip(w.core, w.scope, 'fip-missing000'), 'NotFound', { resource: 'eip', id: 'fip-missing000' });

        // A release the data plane refuses rolls back: the address and its EIP stay.
        const failing = w.engineWith(new SimDriver({ 'eni.unassignIps': 1 }));
        const failed = await unassignIps(w.core, w.scope, { eniId, addresses: [ips.secondary[0]!] }, w.meta());
        assert.equal(await w.tick(undefined, failing), 1);
        assert.equal((await getTask(w.core, w.scope, { id: failed.taskId })).status, 'FAILED');
        assert.deepEqual(await binding(w, onSecondary.id), [eniId, ips.secondary[0]]);

        // Releasing the secondary: bound until the task completes, then unbound; the others stay.
        await unassignIps(w.core, w.scope, { eniId, addresses: [ips.secondary[0]!] }, w.meta());
        assert.deepEqual(await binding(w, onSecondary.id), [eniId, ips.secondary[0]]);
        assert.equal(await w.tick(), 1);
        assert.deepEqual(await binding(w, onSecondary.id), [null, null]);
        assert.deepEqual(await binding(w, onPrimary.id), [eniId, ips.primary]);
        assert.deepEqual(await binding(w, onKept.id), [eniId, ips.secondary[1]]);
        assert.deepEqual((await ipsOf(w, eniId)).secondary, [ips.secondary[1]]);
        assert.deepEqual(await binding(w, onTwin.id), [twinEni, ips.secondary[0]], 'the twin address keeps its EIP');

        // Deleting the ENI unbinds everything on it; the EIPs themselves remain.
        const { taskId } = await deleteEni(w.core, w.scope, eniId, w.meta());
        assert.deepEqual(await binding(w, onPrimary.id), [eniId, ips.primary], 'still bound while DELETING');
        assert.equal(await w.tick(), 1);
        assert.equal((await getTask(w.core, w.scope, { id: taskId })).status, 'SUCCESS');
        assert.equal((await listEnis(w.core, w.scope, { ids: [eniId] })).length, 0);
        for (const id of [onPrimary.id, onSecondary.id, onKept.id]) assert.deepEqual(await binding(w, id), [null, null], id);
        assert.deepEqual(await w.store.read((tx) => tx.eipsOfEni(eniId)), []);
        assert.deepEqual(await binding(w, onTwin.id), [twinEni, ips.secondary[0]], 'the twin ENI keeps its EIP');
        assert.equal((await listEips(w.core, w.scope)).length, 4);

        // Unbound now: they can be deleted, or bound again elsewhere.
        await deleteEip(w.core, w.scope, onPrimary.id);
        assert.deepEqual((await listEips(w.core, w.scope)).map((e) => e.id).sort(), [onSecondary.id, onKept.id, onTwin.id].sort());
        await rejectsDomain(deleteEip(w.core, w.scope, onPrimary.id), 'NotFound', { resource: 'eip', id: onPrimary.id });
        const next = await availableEni(w);
        await associateEip(w.core, w.scope, next, { eipId: onKept.id });
        assert.deepEqual(await binding(w, onKept.id), [next, (await ipsOf(w, next)).primary]);
      });
    });

    test('concurrent associates of one EIP to different ENIs: exactly one wins, the other is ResourceInUse', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const enis = [await availableEni(w), await availableEni(w), await availableEni(w)];
        for (let round = 0; round < 6; round++) {
          const x = await eip(w);
          const results = await Promise.allSettled(enis.map((eniId) => associateEip(w.core, w.scope, eniId, { eipId: x.id })));
          const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [enis[i]!] : []));
          assert.equal(won.length, 1, `round ${round}: one associate succeeds, got ${won.length}`);
          for (const r of results) {
            if (r.status === 'rejected') assert.equal((r.reason as { kind?: string }).kind, 'ResourceInUse', String(r.reason));
          }
          const [eniId] = await binding(w, x.id);
          assert.equal(eniId, won[0], 'the EIP is on the ENI whose associate succeeded');
          await disassociateEip(w.core, w.scope, won[0]!, { eipId: x.id });
        }
        // Two EIPs onto one private IP at once, through the ENI form and the instance form.
        const [ins] = await runningInstances(w, 1);
        const [primary] = await listEnis(w.core, w.scope, { instanceId: ins! });
        for (let round = 0; round < 6; round++) {
          const [x, y] = [await eip(w), await eip(w)];
          const results = await Promise.allSettled([
            associateEip(w.core, w.scope, primary!.id, { eipId: x.id }),
            associateEipToInstance(w.core, w.scope, ins!, { eipId: y.id }),
          ]);
          assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}: one EIP gets the primary IP`);
          const bound = await w.store.read((tx) => tx.eipsOfEni(primary!.id));
          assert.equal(bound.length, 1, `round ${round}: one EIP on the primary IP`);
          await disassociateEip(w.core, w.scope, primary!.id, { eipId: bound[0]!.id });
        }
      });
    });

    test('another account cannot see or use the EIP; another region does not see it', async () => {
      await withCoreWorld(kind, 'jdcloud', async (w) => {
        const eniId = await availableEni(w);
        const mine = await eip(w);
        const other = await w.otherAccount();
        const theirEni = await availableEni(w, { scope: other, ...(await w.networkFor(other)) });
        const theirs = (await createEips(w.core, other, { count: 1, bandwidthMbps: 1, isp: 'bgp' }))[0]!;

        assert.deepEqual(await listEips(w.core, other), [theirs]);
        assert.deepEqual(await listEips(w.core, other, [mine.id]), []);
        assert.deepEqual(await listEips(w.core, { ...w.scope, region: 'cn-east-2' }), []);
        const notFound = { resource: 'eip' as const, id: mine.id };
        await rejectsDomain(associateEip(w.core, other, theirEni, { eipId: mine.id }), 'NotFound', notFound);
        await rejectsDomain(associateEip(w.core, other, theirEni, { address: mine.address }), 'NotFound', { resource: 'eip', id: mine.address });
        await rejectsDomain(deleteEip(w.core, other, mine.id), 'NotFound', notFound);
        // Their EIP onto my ENI: my ENI is not theirs to use.
        await rejectsDomain(associateEip(w.core, other, eniId, { eipId: theirs.id }), 'PermissionDenied', { resource: 'eni', id: eniId });
        await associateEip(w.core, w.scope, eniId, { eipId: mine.id });
        await rejectsDomain(disassociateEip(w.core, other, eniId, { eipId: mine.id }), 'PermissionDenied', { resource: 'eni', id: eniId });
        await rejectsDomain(disassociateEip(w.core, other, theirEni, { eipId: mine.id }), 'NotFound', notFound);
        // And mine cannot take theirs.
        await rejectsDomain(associateEip(w.core, w.scope, eniId, { eipId: theirs.id, privateIp: (await ipsOf(w, eniId)).primary }), 'NotFound', {
          resource: 'eip',
          id: theirs.id,
        });
        assert.deepEqual(await binding(w, mine.id), [eniId, (await ipsOf(w, eniId)).primary]);
        assert.deepEqual((await listEips(w.core, other))[0], theirs, 'their EIP is untouched');
      });
    });
  });
}

