/**
 * One path per rule. The VPC an API 2.0 call names is checked inside the operation's own write
 * transaction (no read before it that a concurrent change could outdate); create-and-attach refuses
 * exactly what attach refuses, through the same precondition; a migrate onto the instance the ENI
 * is already on says so in the error's data, for the dialects' error tables to word. On both stores.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreContext } from '../../../src/core/context.ts';
import { DomainError } from '../../../src/core/errors.ts';
import type { Store } from '../../../src/core/ports/repo.ts';
import { assignIps, attachEni, createEni, deleteEni, detachEni, migrateEni, migrateIp, unassignIps } from '../../../src/core/ops/enis.ts';
import { createVpc } from '../../../src/core/ops/network.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { availableEni, mustEni, rejectsDomain, runningInstances, withCoreWorld, type CoreWorld } from '../../support/core/world.ts';

/** The world's core over a store that counts the transactions it is asked for. */
function counted(w: CoreWorld): { core: CoreContext; calls: { read: number; peek: number; write: number } } {
  const calls = { read: 0, peek: 0, write: 0 };
  const store: Store = {
    kind: w.store.kind,
    read: (fn) => (calls.read++, w.store.read(fn)),
    peek: (fn) => (calls.peek++, w.store.peek(fn)),
    write: (fn) => (calls.write++, w.store.write(fn)),
    ping: () => w.store.ping(),
    close: () => w.store.close(),
  };
  return { core: { ...w.core, store }, calls };
}

async function errorOf(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DomainError, String(e));
    return e;
  }
  return assert.fail('expected a refusal');
}

for (const kind of STORE_KINDS) {
  describe(`one path per rule: ${kind}`, { skip: await skipUnless(kind) }, () => {
    test('a named VPC is checked in the one write transaction of each ENI operation', async () => {
      await withCoreWorld(kind, 'tencent', async (w) => {
        const [a, b] = await runningInstances(w, 2);
        const eni = await availableEni(w);
        const other = await availableEni(w);
        const elsewhere = await createVpc(w.core, w.scope, { name: 'x', cidr: '10.9.0.0/16' }, w.meta());
        const { core, calls } = counted(w);
        const once = async (what: string, run: (vpcId: string) => Promise<unknown>) => {
          // Another VPC of the account: this ENI is not found there. An unknown VPC: not found first.
          await rejectsDomain(run(elsewhere.id), 'NotFound');
          assert.equal(((await errorOf(run(elsewhere.id))).data as unknown as { resource: string }).resource, 'eni', what);
          await rejectsDomain(run('vpc-nothere'), 'NotFound', { resource: 'vpc', id: 'vpc-nothere' });
          Object.assign(calls, { read: 0, peek: 0, write: 0 });
          await run(w.vpcId);
          assert.deepEqual(calls, { read: 0, peek: 0, write: 1 }, `${what}: one write transaction, no read before it`);
          await w.tick();
        };
        await once('attach', (vpcId) => attachEni(core, w.scope, { eniId: eni, instanceId: a!, attachType: 0, vpcId }, w.meta()));
        await once('migrate', (vpcId) => migrateEni(core, w.scope, { eniId: eni, sourceInstanceId: a!, destinationInstanceId: b!, attachType: 0, vpcId }, w.meta()));
        await once('detach', (vpcId) => detachEni(core, w.scope, { eniId: eni, instanceId: b!, vpcId }, w.meta()));
        await once('assign', (vpcId) => assignIps(core, w.scope, { eniId: eni, addresses: [{ address: '10.0.1.200' }], vpcId }, w.meta()));
        await once('migrate-ip', (vpcId) => migrateIp(core, w.scope, { sourceEniId: eni, destinationEniId: other, address: '10.0.1.200', vpcId }, w.meta()));
        await once('unassign', (vpcId) => unassignIps(core, w.scope, { eniId: other, addresses: ['10.0.1.200'], vpcId }, w.meta()));
        await once('delete', (vpcId) => deleteEni(core, w.scope, eni, w.meta(), vpcId));
      });
    });

    test('create-and-attach refuses what attach refuses: a busy instance, a full one', async () => {
      await withCoreWorld(kind, 'tencent', async (w) => {
        const [a] = await runningInstances(w, 1);
        const spec = { vpcId: w.vpcId, subnetId: w.subnetId, name: 'ca', attachTo: { instanceId: a!, attachType: 0 as const } };
        // An attach under way holds the instance.
        const first = await availableEni(w);
        const waiting = await availableEni(w);
        await attachEni(w.core, w.scope, { eniId: first, instanceId: a!, attachType: 0 }, w.meta());
        const viaAttach = await errorOf(attachEni(w.core, w.scope, { eniId: waiting, instanceId: a!, attachType: 0 }, w.meta()));
        const viaCreate = await errorOf(createEni(w.core, w.scope, spec, w.meta()));
        assert.equal(viaCreate.kind, viaAttach.kind);
        await w.tick();
        // Fill the instance (its type holds 4 ENIs), then one more either way.
        for (let i = 0; i < 2; i++) {
          const more = await availableEni(w);
          await attachEni(w.core, w.scope, { eniId: more, instanceId: a!, attachType: 0 }, w.meta());
          await w.tick();
        }
        const full = await errorOf(attachEni(w.core, w.scope, { eniId: waiting, instanceId: a!, attachType: 0 }, w.meta()));
        assert.equal(full.kind, 'EniQuotaExceeded');
        assert.equal((await errorOf(createEni(w.core, w.scope, spec, w.meta()))).kind, full.kind);
        assert.equal((await mustEni(w, waiting)).instanceId, null);
      });
    });

    test('a migrate onto the instance the ENI is on is EniNotAttached with onDestination', async () => {
      await withCoreWorld(kind, 'tencent', async (w) => {
        const [a, b] = await runningInstances(w, 2);
        const eni = await availableEni(w);
        await attachEni(w.core, w.scope, { eniId: eni, instanceId: b!, attachType: 0 }, w.meta());
        await w.tick();
        await rejectsDomain(migrateEni(w.core, w.scope, { eniId: eni, sourceInstanceId: a!, destinationInstanceId: b!, attachType: 0 }, w.meta()), 'EniNotAttached', {
          eniId: eni,
          instanceId: a!,
          onDestination: b!,
        });
        const [c] = await runningInstances(w, 1);
        await rejectsDomain(migrateEni(w.core, w.scope, { eniId: eni, sourceInstanceId: a!, destinationInstanceId: c!, attachType: 0 }, w.meta()), 'EniNotAttached', {
          eniId: eni,
          instanceId: a!,
        });
      });
    });
  });
}
