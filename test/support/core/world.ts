/**
 * A CoreContext built by hand for one provider, on one store kind, with a FakeClock and a TaskEngine that
 * runs only when a test calls tick(): every transitional state is observable and nothing sleeps.
 */
import assert from 'node:assert/strict';
import { loadCatalog } from '../../../src/core/catalog.ts';
import { FakeClock } from '../../../src/core/clock.ts';
import { defaultLimits, type CoreContext, type RequestMeta } from '../../../src/core/context.ts';
import { DomainError, type DomainErrorData, type DomainErrorKind } from '../../../src/core/errors.ts';
import { seededIdSource, seededRandom } from '../../../src/core/ids.ts';
import type { Eni, Instance, Provider, Scope } from '../../../src/core/model.ts';
import { createAccount } from '../../../src/core/ops/accounts.ts';
import { createEni, listEnis } from '../../../src/core/ops/enis.ts';
import { listInstances, runInstances } from '../../../src/core/ops/instances.ts';
import { createSubnet, createVpc } from '../../../src/core/ops/network.ts';
import type { Driver } from '../../../src/dataplane/driver.ts';
import { SimDriver, type FaultRates } from '../../../src/dataplane/sim.ts';
import type { Store } from '../../../src/core/ports/repo.ts';
import { TaskEngine } from '../../../src/tasks/engine.ts';
import { parseLatency } from '../../../src/tasks/timing.ts';
import { freshStore, type StoreKind } from '../stores.ts';

export const LATENCY = 1000;

/** Where each provider's worlds live: a region, two of its zones and an ENI-capable type with room for 4 ENIs. */
export const PLACES = {
  tencent: { region: 'ap-guangzhou', zone: 'ap-guangzhou-3', otherZone: 'ap-guangzhou-4', subnetZone: 'ap-guangzhou-3', type: 'S5.LARGE8', otherRegion: 'ap-shanghai', otherRegionZone: 'ap-shanghai-2' },
  // JD Cloud subnets are regional: their zone is ''.
  jdcloud: { region: 'cn-north-1', zone: 'cn-north-1a', otherZone: 'cn-north-1b', subnetZone: '', type: 'g.n2.xlarge', otherRegion: 'cn-east-2', otherRegionZone: 'cn-east-2a' },
} as const;

export interface CoreWorld {
  store: Store;
  clock: FakeClock;
  core: CoreContext;
  provider: Provider;
  scope: Scope;
  place: (typeof PLACES)[Provider];
  engine: TaskEngine;
  engineWith(driver: Driver): TaskEngine;
  meta(clientToken?: string): RequestMeta;
  /** Moves time by ms (default: the latency) and runs one engine pass; returns how many tasks it ran. */
  tick(ms?: number, engine?: TaskEngine): Promise<number>;
  /** A second account of the same provider, in the same region. */
  otherAccount(name?: string): Promise<Scope>;
  /** A VPC 10.0.0.0/16 with one subnet 10.0.1.0/24 (in the provider's subnet zone) under `scope`. */
  networkFor(scope: Scope): Promise<{ vpcId: string; subnetId: string }>;
  vpcId: string;
  subnetId: string;
  cleanup(): Promise<void>;
}

export async function coreWorld(kind: StoreKind, provider: Provider, seed = 1, faults: FaultRates = {}): Promise<CoreWorld> {
  const { store, cleanup } = await freshStore(kind);
  const clock = new FakeClock();
  const ids = seededIdSource(seed);
  const core: CoreContext = { store, clock, ids, catalog: loadCatalog(), limits: defaultLimits, timing: parseLatency(String(LATENCY)), notify() {} };
  const place = PLACES[provider];
  const { account } = await createAccount({ store, clock, ids }, provider, `${provider}-test`);
  const scope: Scope = { accountId: account.id, provider, region: place.region };
  const engineWith = (driver: Driver) => new TaskEngine({ store, clock, driver, leaseMs: 15_000 });
  const engine = engineWith(new SimDriver(faults, seededRandom(seed)));
  let n = 0;
  const meta = (clientToken?: string): RequestMeta => ({ requestId: `req-${seed}-${++n}-${ids.uuid()}`, clientToken });
  const vpc = await createVpc(core, scope, { name: 'v', cidr: '10.0.0.0/16' }, meta());
  const sub = await createSubnet(core, scope, { vpcId: vpc.id, name: 's', cidr: '10.0.1.0/24', zone: place.subnetZone }, meta());
  return {
    store,
    clock,
    core,
    provider,
    scope,
    place,
    engine,
    engineWith,
    meta,
    async tick(ms = LATENCY, e = engine) {
      clock.advance(ms);
      return e.runOnce();
    },
    async otherAccount(name = 'other') {
      const other = await createAccount({ store, clock, ids }, provider, name);
      return { accountId: other.account.id, provider, region: place.region };
    },
    async networkFor(other) {
      const v = await createVpc(core, other, { name: 'v', cidr: '10.0.0.0/16', subnets: [{ name: 's', cidr: '10.0.1.0/24', zone: place.subnetZone }] }, meta());
      return { vpcId: v.id, subnetId: v.subnets[0]!.id };
    },
    vpcId: vpc.id,
    subnetId: sub.id,
    cleanup,
  };
}

export async function withCoreWorld(kind: StoreKind, provider: Provider, body: (w: CoreWorld) => Promise<void>, seed = 1, faults: FaultRates = {}): Promise<void> {
  const w = await coreWorld(kind, provider, seed, faults);
  try {
    await body(w);
  } finally {
    await w.cleanup();
  }
}

export const eniOf = async (w: CoreWorld, id: string, scope = w.scope): Promise<Eni | undefined> => (await listEnis(w.core, scope, { ids: [id] }))[0];

export async function mustEni(w: CoreWorld, id: string, scope = w.scope): Promise<Eni> {
  const e = await eniOf(w, id, scope);
  assert.ok(e, `ENI ${id} should exist`);
  return e;
}

export const instanceOf = async (w: CoreWorld, id: string): Promise<Instance | undefined> => (await listInstances(w.core, w.scope, [id]))[0];

export const runningTaskCount = (w: CoreWorld): Promise<number> => w.store.read((tx) => tx.countTasks('RUNNING'));

/** `count` RUNNING instances in `zone` (default the world's zone), after their launch task ran. */
export async function runningInstances(
  w: CoreWorld,
  count: number,
  opts: { zone?: string; subnetId?: string; vpcId?: string; instanceType?: string; scope?: Scope } = {},
): Promise<string[]> {
  const scope = opts.scope ?? w.scope;
  const { instanceIds } = await runInstances(
    w.core,
    scope,
    { zone: opts.zone ?? w.place.zone, vpcId: opts.vpcId ?? w.vpcId, subnetId: opts.subnetId ?? w.subnetId, count, instanceType: opts.instanceType ?? w.place.type },
    w.meta(),
  );
  assert.equal(await w.tick(), 1);
  for (const i of await listInstances(w.core, scope, instanceIds)) assert.equal(i.state, 'RUNNING');
  return instanceIds;
}

/** A new secondary ENI, AVAILABLE (after its task where the provider creates asynchronously). */
export async function availableEni(
  w: CoreWorld,
  opts: { subnetId?: string; vpcId?: string; secondaryCount?: number; scope?: Scope; name?: string } = {},
): Promise<string> {
  const scope = opts.scope ?? w.scope;
  const { eni, taskId } = await createEni(
    w.core,
    scope,
    { vpcId: opts.vpcId ?? w.vpcId, subnetId: opts.subnetId ?? w.subnetId, name: opts.name ?? 'e', secondaryCount: opts.secondaryCount },
    w.meta(),
  );
  if (taskId !== '') assert.equal(await w.tick(), 1);
  assert.equal((await mustEni(w, eni.id, scope)).state, 'AVAILABLE');
  return eni.id;
}

/** Rejects with a DomainError of `kind`; with `data`, the error's data must equal it exactly. */
export async function rejectsDomain<K extends DomainErrorKind>(p: Promise<unknown>, kind: K, data?: DomainErrorData[K]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DomainError, `expected DomainError ${kind}, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (data !== undefined) assert.deepEqual(e.data, data, `${kind} data`);
    return true;
  });
}
