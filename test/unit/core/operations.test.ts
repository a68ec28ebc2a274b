/**
 * CoreContext operations and the task engine together, in process, on both stores. Time moves only through
 * FakeClock; the engine runs only when a test calls runOnce(), so every transitional state is seen.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findInstanceType } from '../../../src/core/catalog.ts';
import { DomainError, isDomainError } from '../../../src/core/errors.ts';
import { checkRequestedIp, parseCidr, parseIpv4 } from '../../../src/core/ipam.ts';
import type { Eni, Scope } from '../../../src/core/model.ts';
import { createAccount } from '../../../src/core/ops/accounts.ts';
import { attachEni, createEni, deleteEni, detachEni, listEnis, migrateEni } from '../../../src/core/ops/enis.ts';
import { changePower, listInstances, runInstances } from '../../../src/core/ops/instances.ts';
import { createSubnet } from '../../../src/core/ops/network.ts';
import { getTask } from '../../../src/core/ops/tasks.ts';
import type { Driver, Effect } from '../../../src/dataplane/driver.ts';
import { SimDriver, type FaultRates } from '../../../src/dataplane/sim.ts';
import { skipUnless, STORE_KINDS, type StoreKind } from '../../support/stores.ts';
import { availableEni, instanceOf, LATENCY, mustEni, PLACES, rejectsDomain, runningInstances, runningTaskCount, withCoreWorld, eniOf, type CoreWorld } from '../../support/core/world.ts';
import { seededRandom } from '../../../src/core/ids.ts';

const LEASE = 15_000;
const REGION = PLACES.tencent.region;
const ZONE = PLACES.tencent.zone;
const OTHER_ZONE = PLACES.tencent.otherZone;

type World = CoreWorld;

const withWorld = (kind: StoreKind, body: (w: World) => Promise<void>, faults: FaultRates = {}, seed = 1): Promise<void> =>
  withCoreWorld(kind, 'tencent', body, seed, faults);
const taskOf = (w: World, id: string) => getTask(w.core, w.scope, { id });
const runningTasks = runningTaskCount;

/** A driver that holds its first effect until released (a node stuck mid-task), then succeeds or fails. */
class GatedDriver implements Driver {
  readonly name = 'gated';
  readonly entered: Promise<Effect>;
  private enter!: (e: Effect) => void;
  private readonly gate: Promise<void>;
  release!: () => void;
  constructor(private readonly outcome: 'succeed' | 'fail' = 'succeed') {
    this.entered = new Promise((r) => (this.enter = r));
    this.gate = new Promise((r) => (this.release = r));
  }
  async apply(effect: Effect): Promise<void> {
    this.enter(effect);
    await this.gate;
    if (this.outcome === 'fail') throw new DomainError('DataplaneFailure', { operation: effect.kind, detail: 'gated failure' });
  }
}

for (const kind of STORE_KINDS) {
  describe(`core operations and task engine: ${kind}`, { skip: await skipUnless(kind) }, () => {
    test('runInstances: PENDING with an attached primary ENI until the latency has passed and the engine ran, then RUNNING', async () => {
      await withWorld(kind, async (w) => {
        const { instanceIds, taskId } = await runInstances(
          w.core,
          w.scope,
          { zone: ZONE, vpcId: w.vpcId, subnetId: w.subnetId, count: 2, instanceType: 'S5.MEDIUM4', name: 'web' },
          w.meta(),
        );
        assert.equal(instanceIds.length, 2);
        for (const id of instanceIds) {
          const i = (await instanceOf(w, id))!;
          assert.equal(i.state, 'PENDING');
          assert.equal(i.latestOperationState, 'OPERATING');
          const enis = await listEnis(w.core, w.scope, { instanceId: id });
          assert.equal(enis.length, 1);
          const [primary] = enis;
          assert.equal(primary!.primary, true);
          assert.equal(primary!.deviceIndex, 0);
          assert.equal(primary!.ips.length, 1);
          assert.equal(primary!.ips[0]!.primary, true);
          assert.equal(checkRequestedIp(parseCidr('10.0.1.0/24')!, parseIpv4(primary!.ips[0]!.address)!), 'ok');
        }
        assert.deepEqual((await listInstances(w.core, w.scope, instanceIds)).map((i) => i.name).sort(), ['web1', 'web2']);
        // Not yet due: nothing runs, even though the engine is asked.
        assert.equal(await w.tick(LATENCY - 1), 0);
        assert.equal((await instanceOf(w, instanceIds[0]!))!.state, 'PENDING');
        assert.equal((await taskOf(w, taskId)).status, 'RUNNING');
        assert.equal(await w.tick(1), 1);
        for (const id of instanceIds) {
          const i = (await instanceOf(w, id))!;
          assert.equal(i.state, 'RUNNING');
          assert.equal(i.latestOperationState, 'SUCCESS');
        }
        const t = await taskOf(w, taskId);
        assert.equal(t.status, 'SUCCESS');
        assert.equal(t.finishedAt, w.clock.now());
        assert.equal(await w.tick(), 0);
      });
    });

    test('createEni: PENDING (addresses PENDING) until its task completes, then AVAILABLE', async () => {
      await withWorld(kind, async (w) => {
        const { eni, taskId } = await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 'data', secondaryCount: 2 }, w.meta());
        const pending = await mustEni(w, eni.id);
        assert.equal(pending.state, 'PENDING');
        assert.equal(pending.primary, false);
        assert.equal(pending.ips.length, 3);
        assert.deepEqual(pending.ips.map((i) => i.state), ['PENDING', 'PENDING', 'PENDING']);
        assert.equal(pending.ips.filter((i) => i.primary).length, 1);
        assert.match(pending.mac, /^20:90:6F(:[0-9A-F]{2}){3}$/);
        assert.equal(await w.tick(LATENCY - 1), 0);
        assert.equal((await mustEni(w, eni.id)).state, 'PENDING');
        assert.equal(await w.tick(1), 1);
        const ready = await mustEni(w, eni.id);
        assert.equal(ready.state, 'AVAILABLE');
        assert.deepEqual(ready.ips.map((i) => i.state), ['AVAILABLE', 'AVAILABLE', 'AVAILABLE']);
        assert.equal(ready.instanceId, null);
        assert.equal((await taskOf(w, taskId)).status, 'SUCCESS');
      });
    });

    test('attach: ATTACHING with targetInstanceId, not run before due, then AVAILABLE and attached', async () => {
      await withWorld(kind, async (w) => {
        const [ins] = await runningInstances(w, 1);
        const eniId = await availableEni(w);
        const { taskId, replayed } = await attachEni(w.core, w.scope, { eniId, instanceId: ins!, attachType: 0 }, w.meta());
        assert.equal(replayed, false);
        const attaching = await mustEni(w, eniId);
        assert.equal(attaching.state, 'ATTACHING');
        assert.equal(attaching.targetInstanceId, ins);
        assert.equal(attaching.instanceId, null);
        assert.equal(attaching.deviceIndex, 1);
        // Counts against the instance's quota while in flight.
        assert.equal(await w.store.read((tx) => tx.countEnisOn(ins!, 0)), 2);
        // A task not yet due is not run.
        assert.equal(await w.tick(LATENCY - 1), 0);
        assert.equal((await mustEni(w, eniId)).state, 'ATTACHING');
        assert.equal((await taskOf(w, taskId)).status, 'RUNNING');
        // Operations in flight block others on the same ENI and instance.
        await rejectsDomain(detachEni(w.core, w.scope, { eniId, instanceId: ins! }, w.meta()), 'EniNotAttached');
        await rejectsDomain(changePower(w.core, w.scope, 'stop', [ins!], w.meta()), 'InstanceBusy', { instanceId: ins!, taskId });
        await rejectsDomain(attachEni(w.core, w.scope, { eniId, instanceId: ins!, attachType: 0 }, w.meta()), 'EniAlreadyAttached', { eniId, instanceId: ins! });
        assert.equal(await w.tick(1), 1);
        const attached = await mustEni(w, eniId);
        assert.equal(attached.state, 'AVAILABLE');
        assert.equal(attached.instanceId, ins);
        assert.equal(attached.targetInstanceId, null);
        assert.equal(attached.attachedAt, w.clock.now());
        assert.equal(attached.deviceIndex, 1);
        assert.equal((await taskOf(w, taskId)).status, 'SUCCESS');
        assert.deepEqual((await listEnis(w.core, w.scope, { instanceId: ins! })).map((e) => [e.primary, e.deviceIndex]).sort(), [
          [false, 1],
          [true, 0],
        ]);
      });
    });

    test('detach: DETACHING until done, then AVAILABLE with no instance', async () => {
      await withWorld(kind, async (w) => {
        const [ins] = await runningInstances(w, 1);
        const eniId = await availableEni(w);
        await attachEni(w.core, w.scope, { eniId, instanceId: ins!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        const { taskId } = await detachEni(w.core, w.scope, { eniId, instanceId: ins! }, w.meta());
        const detaching = await mustEni(w, eniId);
        assert.equal(detaching.state, 'DETACHING');
        assert.equal(detaching.instanceId, ins);
        assert.equal(await w.tick(LATENCY - 1), 0);
        assert.equal(await w.tick(1), 1);
        const free = await mustEni(w, eniId);
        assert.deepEqual([free.state, free.instanceId, free.targetInstanceId, free.deviceIndex, free.attachedAt], ['AVAILABLE', null, null, null, null]);
        assert.equal((await taskOf(w, taskId)).status, 'SUCCESS');
        assert.equal(await w.store.read((tx) => tx.countEnisOn(ins!, 0)), 1);
      });
    });

    test('migrate: ATTACHING from source to destination, then attached to the destination only', async () => {
      await withWorld(kind, async (w) => {
        const [a, b] = await runningInstances(w, 2);
        const eniId = await availableEni(w);
        await attachEni(w.core, w.scope, { eniId, instanceId: a!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        const { taskId } = await migrateEni(w.core, w.scope, { eniId, sourceInstanceId: a!, destinationInstanceId: b!, attachType: 0 }, w.meta());
        const moving = await mustEni(w, eniId);
        assert.deepEqual([moving.state, moving.instanceId, moving.targetInstanceId], ['ATTACHING', a, b]);
        assert.equal(await w.store.read((tx) => tx.countEnisOn(b!, 0)), 2);
        assert.equal(await w.tick(LATENCY - 1), 0);
        assert.equal(await w.tick(1), 1);
        const moved = await mustEni(w, eniId);
        assert.deepEqual([moved.state, moved.instanceId, moved.targetInstanceId, moved.deviceIndex], ['AVAILABLE', b, null, 1]);
        assert.equal((await taskOf(w, taskId)).status, 'SUCCESS');
        assert.deepEqual((await listEnis(w.core, w.scope, { instanceId: a! })).map((e) => e.primary), [true]);
        // Migrating to the instance it is already on is refused.
        await rejectsDomain(
          migrateEni(w.core, w.scope, { eniId, sourceInstanceId: b!, destinationInstanceId: b!, attachType: 0 }, w.meta()),
          'EniAlreadyAttached',
          { eniId, instanceId: b! },
        );
      });
    });

    test('preconditions through the operations: primary, attached, quota, zone, state, other account', async () => {
      await withWorld(kind, async (w) => {
        const [small] = await runningInstances(w, 1, { instanceType: 'S5.SMALL1' });
        const [big] = await runningInstances(w, 1);
        const [primary] = await listEnis(w.core, w.scope, { instanceId: small! });
        const e1 = await availableEni(w);
        const e2 = await availableEni(w);
        await rejectsDomain(attachEni(w.core, w.scope, { eniId: primary!.id, instanceId: big!, attachType: 0 }, w.meta()), 'PrimaryEniImmutable', { eniId: primary!.id });
        await rejectsDomain(detachEni(w.core, w.scope, { eniId: primary!.id, instanceId: small! }, w.meta()), 'PrimaryEniImmutable');
        await rejectsDomain(
          migrateEni(w.core, w.scope, { eniId: primary!.id, sourceInstanceId: small!, destinationInstanceId: big!, attachType: 0 }, w.meta()),
          'PrimaryEniImmutable',
        );
        await attachEni(w.core, w.scope, { eniId: e1, instanceId: small!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        // S5.SMALL1 holds 2 ENIs including the primary.
        await rejectsDomain(attachEni(w.core, w.scope, { eniId: e2, instanceId: small!, attachType: 0 }, w.meta()), 'EniQuotaExceeded', {
          instanceId: small!,
          limit: findInstanceType(w.core.catalog, 'tencent', 'S5.SMALL1')!.eniQuota,
          attachType: 0,
        });
        await rejectsDomain(attachEni(w.core, w.scope, { eniId: e1, instanceId: big!, attachType: 0 }, w.meta()), 'EniAlreadyAttached', { eniId: e1, instanceId: small! });
        await rejectsDomain(detachEni(w.core, w.scope, { eniId: e2, instanceId: big! }, w.meta()), 'EniNotAttached');
        // Another zone's ENI cannot join.
        const sub4 = await createSubnet(w.core, w.scope, { vpcId: w.vpcId, name: 's4', cidr: '10.0.4.0/24', zone: OTHER_ZONE }, w.meta());
        const far = await availableEni(w, { subnetId: sub4.id });
        await rejectsDomain(attachEni(w.core, w.scope, { eniId: far, instanceId: big!, attachType: 0 }, w.meta()), 'ZoneMismatch', {
          eniId: far,
          zone: OTHER_ZONE,
          instanceZone: ZONE,
        });
        // A stopping instance accepts no ENI; a stopped one does.
        await changePower(w.core, w.scope, 'stop', [big!], w.meta());
        await rejectsDomain(attachEni(w.core, w.scope, { eniId: e2, instanceId: big!, attachType: 0 }, w.meta()), 'InstanceInvalidState', {
          instanceId: big!,
          state: 'STOPPING',
          operation: 'AttachNetworkInterface',
        });
        assert.equal(await w.tick(), 1);
        assert.equal((await instanceOf(w, big!))!.state, 'STOPPED');
        await attachEni(w.core, w.scope, { eniId: e2, instanceId: big!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        assert.equal((await mustEni(w, e2)).instanceId, big);
        // Another account sees nothing and changes nothing. The core says the ENI is someone
        // else's; the Tencent dialects answer that as not found, JD Cloud with its permission error.
        const { account } = await createAccount({ store: w.store, clock: w.clock, ids: w.core.ids }, 'tencent', 'intruder');
        const intruder: Scope = { accountId: account.id, provider: 'tencent', region: REGION };
        await rejectsDomain(detachEni(w.core, intruder, { eniId: e2, instanceId: big! }, w.meta()), 'PermissionDenied', { resource: 'eni', id: e2 });
        await rejectsDomain(attachEni(w.core, intruder, { eniId: e2, instanceId: big!, attachType: 0 }, w.meta()), 'PermissionDenied');
        assert.deepEqual(await listEnis(w.core, intruder), []);
        assert.equal((await mustEni(w, e2)).state, 'AVAILABLE');
      });
    });

    test('fault injection: a failed attach is FAILED with the vendor error and the ENI rolls back to AVAILABLE, unattached', async () => {
      await withWorld(
        kind,
        async (w) => {
          const [a, b] = await runningInstances(w, 2);
          const eniId = await availableEni(w);
          const { taskId } = await attachEni(w.core, w.scope, { eniId, instanceId: a!, attachType: 0 }, w.meta());
          assert.equal((await mustEni(w, eniId)).state, 'ATTACHING');
          assert.equal(await w.tick(), 1);
          const t = await taskOf(w, taskId);
          assert.equal(t.status, 'FAILED');
          assert.equal(t.errorCode, 'DataplaneFailure');
          assert.match(t.errorMessage ?? '', /injected/);
          const back = await mustEni(w, eniId);
          assert.deepEqual([back.state, back.instanceId, back.targetInstanceId, back.deviceIndex, back.attachedAt], ['AVAILABLE', null, null, null, null]);
          assert.equal(await w.store.read((tx) => tx.countEnisOn(a!, 0)), 1);

          // The same ENI through a healthy node: attached. Then a failed migrate and detach leave it where it was.
          const healthy = w.engineWith(new SimDriver());
          await attachEni(w.core, w.scope, { eniId, instanceId: a!, attachType: 0 }, w.meta());
          assert.equal(await w.tick(LATENCY, healthy), 1);
          const before = await mustEni(w, eniId);
          assert.deepEqual([before.instanceId, before.deviceIndex], [a, 1]);
          // The destination already holds index 1, so the migrate moves the ENI to index 2 while in flight.
          const { eni: occupant } = await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 'occupant', attachTo: { instanceId: b!, attachType: 0 } }, w.meta());
          assert.equal(await w.tick(LATENCY, healthy), 1);
          assert.deepEqual([(await mustEni(w, occupant.id)).instanceId, (await mustEni(w, occupant.id)).deviceIndex], [b, 1]);
          const failing = w.engineWith(new SimDriver({ 'eni.migrate': 1, 'eni.detach': 1 }));
          const m = await migrateEni(w.core, w.scope, { eniId, sourceInstanceId: a!, destinationInstanceId: b!, attachType: 0 }, w.meta());
          const inFlight = await mustEni(w, eniId);
          assert.deepEqual([inFlight.state, inFlight.instanceId, inFlight.targetInstanceId, inFlight.deviceIndex], ['ATTACHING', a, b, 2]);
          assert.equal(await w.tick(LATENCY, failing), 1);
          assert.equal((await taskOf(w, m.taskId)).status, 'FAILED');
          const afterMigrate = await mustEni(w, eniId);
          assert.deepEqual(afterMigrate, before);
          const d = await detachEni(w.core, w.scope, { eniId, instanceId: a! }, w.meta());
          assert.equal(await w.tick(LATENCY, failing), 1);
          assert.equal((await taskOf(w, d.taskId)).status, 'FAILED');
          assert.deepEqual(await mustEni(w, eniId), before);
        },
        { 'eni.attach': 1 },
      );
    });

    test('lease reclaim: tasks claimed by a node that died are completed by another after the lease expires', async () => {
      await withWorld(kind, async (w) => {
        const [ins] = await runningInstances(w, 1);
        const e1 = await availableEni(w);
        const { taskId: attachTask } = await attachEni(w.core, w.scope, { eniId: e1, instanceId: ins!, attachType: 0 }, w.meta());
        const { eni: e2, taskId: createTask } = await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: 'late' }, w.meta());
        w.clock.advance(LATENCY);
        // A node claims both and dies without finishing.
        const claimed = await w.store.write((tx) => tx.claimDueTasks(w.clock.now(), 'dead', LEASE, 100));
        assert.deepEqual(claimed.map((t) => t.id).sort(), [attachTask, createTask].sort());
        const b = w.engineWith(new SimDriver());
        assert.equal(await b.runOnce(), 0);
        assert.equal(await w.tick(LEASE - 1, b), 0);
        assert.equal((await mustEni(w, e1)).state, 'ATTACHING');
        assert.equal((await mustEni(w, e2.id)).state, 'PENDING');
        // At the expiry itself the lease still holds; one millisecond later it does not.
        assert.equal(await w.tick(1, b), 0);
        assert.equal(await w.tick(1, b), 2);
        const attached = await mustEni(w, e1);
        assert.deepEqual([attached.state, attached.instanceId, attached.targetInstanceId], ['AVAILABLE', ins, null]);
        assert.equal((await mustEni(w, e2.id)).state, 'AVAILABLE');
        for (const id of [attachTask, createTask]) {
          const t = await taskOf(w, id);
          assert.equal(t.status, 'SUCCESS');
          assert.equal(t.attempts, 2);
          assert.equal(t.leaseOwner, null);
        }
        assert.equal(await runningTasks(w), 0);
      });
    });

    test('lease reclaim: a node that wakes after losing its lease finishes nothing; the new owner decides', async () => {
      await withWorld(kind, async (w) => {
        const [ins] = await runningInstances(w, 1);
        const eniId = await availableEni(w);
        const { taskId } = await attachEni(w.core, w.scope, { eniId, instanceId: ins!, attachType: 0 }, w.meta());
        const gatedA = new GatedDriver('succeed');
        const gatedB = new GatedDriver('fail');
        const a = w.engineWith(gatedA);
        const b = w.engineWith(gatedB);
        w.clock.advance(LATENCY);
        const aRun = a.runOnce();
        assert.equal((await gatedA.entered).taskId, taskId);
        // A is stuck in the data plane. While its lease holds, B gets nothing.
        assert.equal(await b.runOnce(), 0);
        // The lease runs out: B claims the task and is itself busy in the data plane.
        w.clock.advance(LEASE + 1);
        const bRun = b.runOnce();
        assert.equal((await gatedB.entered).taskId, taskId);
        // A wakes up having succeeded, but the task is B's now: A changes nothing.
        gatedA.release();
        assert.equal(await aRun, 1);
        let t = await taskOf(w, taskId);
        assert.deepEqual([t.status, t.leaseOwner, t.attempts], ['RUNNING', b.owner, 2]);
        let e = await mustEni(w, eniId);
        assert.deepEqual([e.state, e.instanceId, e.targetInstanceId], ['ATTACHING', null, ins]);
        // B's outcome (a failure) is the one recorded, and the ENI is rolled back.
        w.clock.advance(5);
        gatedB.release();
        assert.equal(await bRun, 1);
        t = await taskOf(w, taskId);
        assert.deepEqual([t.status, t.errorCode, t.finishedAt, t.leaseOwner], ['FAILED', 'DataplaneFailure', w.clock.now(), null]);
        e = await mustEni(w, eniId);
        assert.deepEqual([e.state, e.instanceId, e.targetInstanceId], ['AVAILABLE', null, null]);
      });
    });

    test('terminate: secondary ENIs come back detached, the primary ENI and its address are deleted', async () => {
      await withWorld(kind, async (w) => {
        const [ins, keep] = await runningInstances(w, 2);
        const [primary] = await listEnis(w.core, w.scope, { instanceId: ins! });
        const s1 = await availableEni(w);
        const s2 = await availableEni(w);
        for (const eniId of [s1, s2]) {
          await attachEni(w.core, w.scope, { eniId, instanceId: ins!, attachType: 0 }, w.meta());
          assert.equal(await w.tick(), 1);
        }
        const { taskId } = await changePower(w.core, w.scope, 'terminate', [ins!], w.meta());
        assert.equal((await instanceOf(w, ins!))!.state, 'TERMINATING');
        await rejectsDomain(detachEni(w.core, w.scope, { eniId: s1, instanceId: ins! }, w.meta()), 'InstanceInvalidState');
        assert.equal(await w.tick(), 1);
        assert.equal((await taskOf(w, taskId)).status, 'SUCCESS');
        assert.equal(await instanceOf(w, ins!), undefined);
        assert.equal(await eniOf(w, primary!.id), undefined);
        const used = await w.store.read((tx) => tx.usedAddresses(w.subnetId));
        assert.ok(!used.includes(primary!.ips[0]!.address), 'the primary address is freed');
        for (const id of [s1, s2]) {
          const e = await mustEni(w, id);
          assert.deepEqual([e.state, e.instanceId, e.targetInstanceId, e.deviceIndex, e.attachedAt], ['AVAILABLE', null, null, null, null]);
          assert.equal(e.ips.length, 1);
        }
        // The other instance is untouched and the freed ENIs can join it.
        assert.equal((await instanceOf(w, keep!))!.state, 'RUNNING');
        await attachEni(w.core, w.scope, { eniId: s1, instanceId: keep!, attachType: 0 }, w.meta());
        assert.equal(await w.tick(), 1);
        assert.equal((await mustEni(w, s1)).instanceId, keep);
      });
    });

    test('idempotency: same token replays, other params mismatch, running is in progress, failures leave no token', async () => {
      await withWorld(kind, async (w) => {
        const [a, b] = await runningInstances(w, 2);
        const eniId = await availableEni(w);
        const tasksBefore = await w.store.read((tx) => tx.countTasks('SUCCESS'));
        // A request that fails records nothing: the token is still free afterwards.
        await rejectsDomain(attachEni(w.core, w.scope, { eniId, instanceId: 'ins-missing0', attachType: 0 }, w.meta('tok-1')), 'NotFound');
        const input = { eniId, instanceId: a!, attachType: 0 as const };
        const first = await attachEni(w.core, w.scope, input, w.meta('tok-1'));
        assert.equal(first.replayed, false);
        await rejectsDomain(attachEni(w.core, w.scope, input, w.meta('tok-1')), 'IdempotencyInProgress', { token: 'tok-1' });
        await rejectsDomain(attachEni(w.core, w.scope, { ...input, instanceId: b! }, w.meta('tok-1')), 'IdempotencyMismatch', { token: 'tok-1' });
        assert.equal(await w.tick(), 1);
        const again = await attachEni(w.core, w.scope, input, w.meta('tok-1'));
        assert.deepEqual(again, { taskId: first.taskId, replayed: true });
        assert.equal(await runningTasks(w), 0);
        assert.equal(await w.store.read((tx) => tx.countTasks('SUCCESS')), tasksBefore + 1);
        await rejectsDomain(attachEni(w.core, w.scope, { ...input, instanceId: b! }, w.meta('tok-1')), 'IdempotencyMismatch');
        // Tokens are per action and per account: the same token elsewhere is a new request.
        const d = await detachEni(w.core, w.scope, { eniId, instanceId: a! }, w.meta('tok-1'));
        assert.equal(d.replayed, false);
        assert.equal(await w.tick(), 1);

        // createEni with a token makes one ENI however often it is sent.
        const params = { vpcId: w.vpcId, subnetId: w.subnetId, name: 'once' };
        const c1 = await createEni(w.core, w.scope, params, w.meta('tok-2'));
        assert.equal(await w.tick(), 1);
        const c2 = await createEni(w.core, w.scope, params, w.meta('tok-2'));
        assert.equal(c2.replayed, true);
        assert.equal(c2.eni.id, c1.eni.id);
        assert.equal(c2.taskId, c1.taskId);
        assert.equal((await listEnis(w.core, w.scope)).filter((e) => e.name === 'once').length, 1);
        await rejectsDomain(createEni(w.core, w.scope, { ...params, name: 'twice' }, w.meta('tok-2')), 'IdempotencyMismatch');
      });
    });

    test('concurrent requests: creates in one subnet get distinct addresses and MACs; one token sent twice at once works once', async () => {
      await withWorld(kind, async (w) => {
        const creates = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: `c${i}`, secondaryCount: 1 }, w.meta())),
        );
        const errors = creates.flatMap((c) => (c.status === 'rejected' ? [String(c.reason)] : []));
        assert.deepEqual(errors, []);
        const launched = await Promise.allSettled(
          Array.from({ length: 4 }, () => runInstances(w.core, w.scope, { zone: ZONE, vpcId: w.vpcId, subnetId: w.subnetId, count: 2 }, w.meta())),
        );
        assert.deepEqual(launched.flatMap((c) => (c.status === 'rejected' ? [String(c.reason)] : [])), []);
        const enis = await listEnis(w.core, w.scope);
        assert.equal(enis.length, 8 + 8);
        const addresses = enis.flatMap((e) => e.ips.map((i) => i.address));
        assert.equal(new Set(addresses).size, addresses.length, `addresses ${addresses}`);
        assert.equal(addresses.length, 8 * 2 + 8);
        assert.equal(new Set(enis.map((e) => e.mac)).size, enis.length);
        while ((await w.tick()) > 0);
        assert.equal(await runningTasks(w), 0);

        // The same ClientToken twice at once: one ENI is made, the other request gets that one back.
        const params = { vpcId: w.vpcId, subnetId: w.subnetId, name: 'token-race' };
        const twice = await Promise.allSettled([createEni(w.core, w.scope, params, w.meta('race')), createEni(w.core, w.scope, params, w.meta('race'))]);
        for (const r of twice) {
          if (r.status === 'rejected') {
            assert.ok(isDomainError(r.reason) && r.reason.kind === 'IdempotencyInProgress', `unexpected ${String(r.reason)}`);
          }
        }
        const made = twice.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        assert.ok(made.length >= 1);
        assert.equal(new Set(made.map((m) => m.eni.id)).size, 1);
        assert.equal((await listEnis(w.core, w.scope)).filter((e) => e.name === 'token-race').length, 1);
      });
    });

    test('invariants hold through a random mix of ~200 attach/detach/migrate/power/create/delete operations with faults and concurrency', async (t) => {
      const seed = 20260101 + (kind === 'postgres' ? 1 : 0);
      await withWorld(
        kind,
        async (w) => {
          const rnd = seededRandom(seed);
          const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
          const sub4 = await createSubnet(w.core, w.scope, { vpcId: w.vpcId, name: 's4', cidr: '10.0.4.0/28', zone: OTHER_ZONE }, w.meta());
          const subnets = new Map([
            [w.subnetId, parseCidr('10.0.1.0/24')!],
            [sub4.id, parseCidr('10.0.4.0/28')!],
          ]);
          // The node that launches instances never fails; the random walk then runs on two faulty nodes.
          const launch = w.engineWith(new SimDriver());
          const launchAll = async (count: number, type: string, subnetId: string, zone: string) => {
            const { instanceIds } = await runInstances(w.core, w.scope, { zone, vpcId: w.vpcId, subnetId, count, instanceType: type }, w.meta());
            return instanceIds;
          };
          const roomy = await launchAll(3, 'S5.LARGE8', w.subnetId, ZONE);
          const instanceIds = [
            ...roomy,
            ...(await launchAll(2, 'S5.SMALL1', w.subnetId, ZONE)),
            ...(await launchAll(1, 'S1.SMALL1', w.subnetId, ZONE)),
            ...(await launchAll(1, 'S5.LARGE8', sub4.id, OTHER_ZONE)),
          ];
          const secondaries: string[] = [];
          for (let i = 0; i < 9; i++) secondaries.push((await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: w.subnetId, name: `e${i}`, secondaryCount: i % 3 }, w.meta())).eni.id);
          for (let i = 0; i < 2; i++) secondaries.push((await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId: sub4.id, name: `far${i}` }, w.meta())).eni.id);
          assert.ok((await w.tick(LATENCY, launch)) > 0);
          while (await launch.runOnce());
          assert.equal(await runningTasks(w), 0);
          const primaries = new Map<string, string>(); // primary ENI -> its instance
          const typeOf = new Map<string, string>();
          for (const i of await listInstances(w.core, w.scope)) {
            assert.equal(i.state, 'RUNNING');
            typeOf.set(i.id, i.instanceType);
            for (const e of await listEnis(w.core, w.scope, { instanceId: i.id })) if (e.primary) primaries.set(e.id, i.id);
          }
          assert.equal(primaries.size, instanceIds.length);
          const allEnis = [...secondaries, ...primaries.keys()];

          const nodes = [
            w.engineWith(new SimDriver({ '*': 0.15 }, seededRandom(seed + 1))),
            w.engineWith(new SimDriver({ '*': 0.15 }, seededRandom(seed + 2))),
          ];
          const accepted: Record<string, number> = {};
          const refused: Record<string, number> = {};

          let opCount = 0;
          const randomOp = async (): Promise<void> => {
            const r = rnd();
            // Every 20th request names a primary ENI, so the primary rule is always exercised.
            const primaryTurn = ++opCount % 20 === 0;
            const current = await listEnis(w.core, w.scope);
            // Detach and migrate mostly pick an ENI that is attached, so that many of them are accepted.
            const attached = current.filter((e) => !e.primary && e.instanceId).map((e) => e.id);
            const eniId = primaryTurn ? pick([...primaries.keys()]) : r >= 0.38 && attached.length && rnd() < 0.7 ? pick(attached) : rnd() < 0.9 ? pick(secondaries) : pick(allEnis);
            const eni = current.find((e) => e.id === eniId);
            const instanceId = pick(instanceIds);
            const attachType = rnd() < 0.05 ? 1 : 0;
            let op: string;
            let run: () => Promise<unknown>;
            if (r < 0.38) {
              op = 'attach';
              run = () => attachEni(w.core, w.scope, { eniId, instanceId, attachType }, w.meta());
            } else if (r < 0.63) {
              op = 'detach';
              const from = rnd() < 0.8 && eni?.instanceId ? eni.instanceId : instanceId;
              run = () => detachEni(w.core, w.scope, { eniId, instanceId: from }, w.meta());
            } else if (r < 0.88) {
              op = 'migrate';
              const from = rnd() < 0.8 && eni?.instanceId ? eni.instanceId : pick(instanceIds);
              // Mostly towards an instance that can take ENIs, so that many migrations are accepted.
              const to = rnd() < 0.7 ? pick(roomy) : instanceId;
              run = () => migrateEni(w.core, w.scope, { eniId, sourceInstanceId: from, destinationInstanceId: to, attachType }, w.meta());
            } else if (r < 0.96) {
              const ins = (await listInstances(w.core, w.scope, [instanceId]))[0];
              op = ins?.state === 'STOPPED' ? 'start' : 'stop';
              run = () => changePower(w.core, w.scope, op as 'start' | 'stop', [instanceId], w.meta());
            } else if (r < 0.98) {
              op = 'create';
              const subnetId = rnd() < 0.8 ? w.subnetId : sub4.id;
              run = async () => secondaries.push((await createEni(w.core, w.scope, { vpcId: w.vpcId, subnetId, name: 'walk', secondaryCount: Math.floor(rnd() * 3) }, w.meta())).eni.id);
            } else {
              op = 'delete';
              run = () => deleteEni(w.core, w.scope, eniId, w.meta());
            }
            try {
              await run();
              accepted[op] = (accepted[op] ?? 0) + 1;
            } catch (e) {
              // Refusals are fine; anything but a domain error (a constraint, a deadlock) is a bug.
              if (!isDomainError(e)) throw e;
              refused[`${op}:${e.kind}`] = (refused[`${op}:${e.kind}`] ?? 0) + 1;
            }
          };

          const check = async (quiescent: boolean, step: number): Promise<void> => {
            const where = `step ${step}${quiescent ? ' (quiescent)' : ''}`;
            const { enis, instances, busy } = await w.store.read(async (tx) => {
              const enis = await tx.listEnis(w.scope);
              const instances = await tx.listInstances(w.scope);
              const busy = new Map<string, string>();
              for (const id of [...enis.map((e) => e.id), ...instances.map((i) => i.id)]) {
                const t = await tx.runningTaskFor(id);
                if (t) busy.set(id, t.kind);
              }
              return { enis, instances, busy };
            });
            const byId = new Map(instances.map((i) => [i.id, i]));
            assert.equal(instances.length, instanceIds.length, where);
            const addresses = new Set<string>();
            const macs = new Set<string>();
            const linked = new Map<string, Eni[]>();
            for (const e of enis) {
              // Invariant 3: primaries stay on their instance, settled, at index 0.
              if (e.primary) {
                assert.deepEqual([e.instanceId, e.targetInstanceId, e.deviceIndex, e.state], [primaries.get(e.id), null, 0, 'AVAILABLE'], `${where}: primary ${e.id}`);
              }
              // Invariant 1: one holder; a second one only as the target of a migrate in flight.
              if (e.targetInstanceId !== null) {
                assert.equal(e.state, 'ATTACHING', `${where}: ${e.id} has a target but is ${e.state}`);
                const kindInFlight = busy.get(e.id);
                assert.ok(kindInFlight === (e.instanceId ? 'eni.migrate' : 'eni.attach'), `${where}: ${e.id} arriving without its task (${kindInFlight})`);
                assert.notEqual(e.targetInstanceId, e.instanceId, `${where}: ${e.id}`);
              }
              // Invariant 6: transitional only while a task runs for it.
              if (e.state !== 'AVAILABLE') assert.ok(busy.has(e.id), `${where}: ${e.id} is ${e.state} with no task running`);
              if (e.state === 'DETACHING') assert.ok(e.instanceId, `${where}: ${e.id} detaching from nothing`);
              for (const holder of [e.instanceId, e.targetInstanceId]) {
                if (!holder) continue;
                const ins = byId.get(holder);
                assert.ok(ins, `${where}: ${e.id} linked to missing instance ${holder}`);
                // Invariant 4: same VPC and zone.
                assert.equal(e.vpcId, ins.vpcId, `${where}: ${e.id} VPC`);
                assert.equal(e.zone, ins.zone, `${where}: ${e.id} zone`);
                linked.set(holder, [...(linked.get(holder) ?? []), e]);
              }
              // Invariant 5: addresses unique, inside their subnet, usable; MACs unique.
              assert.ok(!macs.has(e.mac), `${where}: MAC ${e.mac} twice`);
              macs.add(e.mac);
              assert.ok(e.ips.length >= 1, `${where}: ${e.id} without addresses`);
              assert.equal(e.ips.filter((i) => i.primary).length, 1, `${where}: ${e.id} primary IP count`);
              for (const ip of e.ips) {
                const key = `${ip.subnetId}/${ip.address}`;
                assert.ok(!addresses.has(key), `${where}: ${key} held twice`);
                addresses.add(key);
                assert.equal(ip.eniId, e.id);
                assert.equal(ip.subnetId, e.subnetId);
                assert.equal(checkRequestedIp(subnets.get(e.subnetId)!, parseIpv4(ip.address)!), 'ok', `${where}: ${key} outside or reserved`);
              }
            }
            for (const i of instances) {
              const type = findInstanceType(w.core.catalog, 'tencent', i.instanceType)!;
              const mine = linked.get(i.id) ?? [];
              // Invariant 2, per attach type.
              assert.ok(mine.filter((e) => e.attachType === 0).length <= type.eniQuota, `${where}: ${i.id} over its ENI quota`);
              assert.ok(mine.filter((e) => e.attachType === 1).length <= type.extendEniQuota, `${where}: ${i.id} over its extended quota`);
              const settled = mine.filter((e) => e.instanceId === i.id && e.targetInstanceId === null && e.state === 'AVAILABLE');
              const indexes = settled.map((e) => e.deviceIndex);
              assert.equal(new Set(indexes).size, indexes.length, `${where}: ${i.id} device indexes ${indexes}`);
              if (!['RUNNING', 'STOPPED'].includes(i.state)) assert.ok(busy.has(i.id), `${where}: ${i.id} ${i.state} with no task`);
              assert.equal(typeOf.get(i.id), i.instanceType);
            }
            if (quiescent) {
              assert.equal(busy.size, 0, `${where}: tasks still running`);
              for (const e of enis) assert.deepEqual([e.state, e.targetInstanceId], ['AVAILABLE', null], `${where}: ${e.id} left transitional`);
              for (const i of instances) assert.ok(['RUNNING', 'STOPPED'].includes(i.state), `${where}: ${i.id} left ${i.state}`);
            }
          };

          await check(true, 0);
          const STEPS = 200;
          let done = 0;
          for (let step = 1; done < STEPS; step++) {
            // One to three requests at once, racing one engine pass on each node.
            const n = Math.min(1 + Math.floor(rnd() * 3), STEPS - done);
            done += n;
            w.clock.advance(Math.floor(rnd() * 1600));
            const ops = Array.from({ length: n }, () => randomOp());
            const engines = nodes.map((e) => e.runOnce());
            await Promise.all([...ops, ...engines]);
            await check(false, step);
          }
          for (let i = 0; (await runningTasks(w)) > 0; i++) {
            assert.ok(i < 20, 'all tasks should end');
            w.clock.advance(LATENCY);
            await Promise.all(nodes.map((e) => e.runOnce()));
          }
          await check(true, STEPS + 1);

          // The walk did real work on every path, including roll-backs.
          const failed = await w.store.read((tx) => tx.countTasks('FAILED'));
          const succeeded = await w.store.read((tx) => tx.countTasks('SUCCESS'));
          const summary = JSON.stringify({ accepted, refused, failed, succeeded });
          t.diagnostic(summary);
          // Interleavings differ between runs and stores, so these only prove each path was taken.
          assert.ok((accepted.attach ?? 0) >= 3, summary);
          assert.ok((accepted.detach ?? 0) >= 1, summary);
          assert.ok((accepted.migrate ?? 0) >= 1, summary);
          assert.ok(failed >= 1, summary);
          for (const kind of ['PrimaryEniImmutable', 'EniAlreadyAttached', 'ZoneMismatch']) {
            assert.ok(Object.keys(refused).some((k) => k.endsWith(`:${kind}`)), `${kind} never seen: ${summary}`);
          }
        },
        {},
        seed,
      );
    });
  });
}
