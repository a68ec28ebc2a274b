/**
 * Repo.listEnis / Repo.countEnis with `where` conditions and `page`, property-tested against an
 * in-memory reference on both stores, and the DescribeNetworkInterfaces filter push-down
 * (eniStoreConditions + the store) against filterEnis.
 *
 * Budget: ENIPLANE_FUZZ_RUNS=N runs N cases per property and store (default a bounded CI run);
 * ENIPLANE_FUZZ_SEED fixes the seed (printed on failure).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { seed, REGION } from '../../bench/seed.ts';
import { seededRandom } from '../../src/core/ids.ts';
import { formatIpv4, parseIpv4 } from '../../src/core/ipam.ts';
import type { Eni, PrivateIp, Scope } from '../../src/core/model.ts';
import { eniStoreConditions, filterEnis, type Filter } from '../../src/dialects/tencent3/filters.ts';
import type { EniField, EniQuery, Store } from '../../src/core/ports/repo.ts';
import { freshStore, skipUnless, STORE_KINDS } from '../support/stores.ts';

// ---- budget ------------------------------------------------------------------------------------

const envRuns = Number(process.env.ENIPLANE_FUZZ_RUNS ?? '');
const RUNS = Number.isInteger(envRuns) && envRuns > 0 ? envRuns : 120;
const SEED = process.env.ENIPLANE_FUZZ_SEED ? Number(process.env.ENIPLANE_FUZZ_SEED) : randomInt(2 ** 31 - 1);

async function property<T>(name: string, arb: fc.Arbitrary<T>, body: (c: T) => Promise<void>): Promise<void> {
  const details = await fc.check(fc.asyncProperty(arb, body), { numRuns: RUNS, seed: SEED, endOnFailure: true });
  if (details.failed) {
    const err = details.errorInstance;
    const msg = err instanceof Error ? err.message : inspect(err);
    throw new Error(`${name} failed after ${details.numRuns} case(s); rerun with ENIPLANE_FUZZ_SEED=${SEED}\ncounterexample: ${inspect(details.counterexample, { depth: 6 })}\n${msg}`);
  }
}

// ---- the reference semantics -------------------------------------------------------------------

const FIELDS: EniField[] = ['id', 'vpcId', 'subnetId', 'instanceId', 'shownInstanceId'];
const fieldOf: Record<EniField, (e: Eni) => string | null> = {
  id: (e) => e.id,
  vpcId: (e) => e.vpcId,
  subnetId: (e) => e.subnetId,
  instanceId: (e) => e.instanceId,
  shownInstanceId: (e) => e.instanceId ?? e.targetInstanceId,
};

/** Creation order, then id, compared by code unit (ids are [a-z0-9-]). */
const byCreation = (a: Eni, b: Eni): number => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** What listEnis(scope, q) must return, computed in JS over all of the scope's ENIs. */
function reference(all: readonly Eni[], q: EniQuery): Eni[] {
  const conds = [...(q.where ?? [])];
  if (q.ids) conds.push({ field: 'id', anyOf: q.ids });
  if (q.vpcId !== undefined) conds.push({ field: 'vpcId', anyOf: [q.vpcId] });
  if (q.subnetId !== undefined) conds.push({ field: 'subnetId', anyOf: [q.subnetId] });
  if (q.instanceId !== undefined) conds.push({ field: 'instanceId', anyOf: [q.instanceId] });
  const matching = all
    .filter((e) =>
      conds.every((c) => {
        const v = fieldOf[c.field](e);
        return v !== null && c.anyOf.includes(v);
      }),
    )
    .sort(byCreation);
  return q.page ? matching.slice(q.page.offset, q.page.offset + q.page.limit) : matching;
}

const ipNum = (a: string): number => parseIpv4(a)!;
/** Addresses as the store must return them: the primary first, the rest in numeric order. */
const sortedIps = (ips: readonly PrivateIp[]): PrivateIp[] => [...ips].sort((a, b) => Number(b.primary) - Number(a.primary) || ipNum(a.address) - ipNum(b.address));

const uniq = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];
const nonNull = <T>(xs: Array<T | null>): T[] => xs.filter((x): x is T => x !== null);
const show = (x: unknown) => JSON.stringify(x);

// ---- the world ---------------------------------------------------------------------------------

interface World {
  A: Scope;
  B: Scope;
  /** Account A in another region: holds ENIs copied from A's VPCs, subnets and instances. */
  C: Scope;
  allA: Eni[];
  allB: Eni[];
  allC: Eni[];
  /** Ids of ENIs outside A (in B or C) made to share A's VPC, subnet and instance ids. */
  intruderIds: string[];
  pools: Record<EniField, string[]>;
  /** ENIs given extra addresses, with the addresses they must list, in order. */
  extraIps: Map<string, string[]>;
  noIps: string[];
  arriving: Map<string, string>;
  leaving: Map<string, string>;
}

async function buildWorld(store: Store): Promise<World> {
  const seeded = await seed(store, { enis: 600, vpcsPerAccount: 3, enisPerVpc: 100, seed: 11 });
  assert.equal(seeded.accounts.length, 2);
  const A: Scope = { accountId: seeded.accounts[0]!.accountId, provider: 'tencent', region: REGION };
  const B: Scope = { ...A, accountId: seeded.accounts[1]!.accountId };
  const C: Scope = { ...A, region: 'ap-shanghai' };
  const seededA = await store.read((tx) => tx.listEnis(A));
  assert.equal(seededA.length, 300);

  const insA = uniq(nonNull(seededA.map((e) => e.instanceId)));
  const detached = seededA.filter((e) => e.instanceId === null);
  const secondaries = seededA.filter((e) => e.instanceId !== null && !e.primary);
  const arriving = new Map<string, string>();
  const leaving = new Map<string, string>();
  const extraIps = new Map<string, string[]>();
  const noIps: string[] = [];
  const intruderIds: string[] = [];
  const earliest = Math.min(...seededA.map((e) => e.createdAt)) - 1000;

  await store.write(async (tx) => {
    // Arriving: detached, with an instance on the way, so shownInstanceId = targetInstanceId.
    for (let k = 0; k < 15; k++) {
      const e = detached[k * 7]!;
      const target = insA[(k * 3) % insA.length]!;
      arriving.set(e.id, target);
      await tx.updateEni({ ...e, state: 'ATTACHING', targetInstanceId: target, deviceIndex: 3 });
    }
    // Leaving for another instance: shownInstanceId stays instanceId.
    for (let k = 0; k < 10; k++) {
      const e = secondaries[k * 5]!;
      const target = insA.find((i) => i !== e.instanceId)!;
      leaving.set(e.id, target);
      await tx.updateEni({ ...e, targetInstanceId: target, state: 'DETACHING' });
    }
    // Several ENIs moved to one earlier creation time: ties broken by id, ahead of all others.
    for (let k = 0; k < 6; k++) {
      const e = seededA[k * 43 + 10]!;
      if (arriving.has(e.id) || leaving.has(e.id)) continue;
      await tx.updateEni({ ...e, createdAt: earliest });
    }
    // Extra addresses, inserted out of order; numeric order differs from text order (x.x.7.x < x.x.15.x).
    const netUsed = new Set<string>();
    for (let k = 0; k < 10; k++) {
      const e = seededA[k * 29 + 1]!;
      const primary = e.ips[0]!;
      const p = ipNum(primary.address);
      const net = p & ~0x3fff; // the seeded subnets are /18s
      const addrs = [formatIpv4(p + 4000), formatIpv4(p + 2000)];
      if (!netUsed.has(e.subnetId)) {
        netUsed.add(e.subnetId);
        addrs.push(formatIpv4(net + 1)); // numerically below every primary of the subnet
      }
      const ips = addrs.map((address): PrivateIp => ({ subnetId: e.subnetId, address, eniId: e.id, primary: false, state: 'AVAILABLE', description: `extra ${k}`, qosLevel: 'DEFAULT' }));
      await tx.insertIps(ips);
      extraIps.set(e.id, [primary.address, ...[...addrs].sort((a, b) => ipNum(a) - ipNum(b))]);
    }
    // ENIs without any address: the left join must still return them.
    for (let k = 0; k < 3; k++) {
      const e = seededA[k * 31 + 5]!;
      if (extraIps.has(e.id)) continue;
      await tx.deleteIps(e.subnetId, e.ips.map((i) => i.address));
      noIps.push(e.id);
    }
    // Intruders: ENIs of account B (same region) and of account A in region C that carry A's VPC,
    // subnet and instance ids and A's creation times; none may ever appear in A's answers.
    for (let k = 0; k < 8; k++) {
      const src = seededA[k * 37 + 2]!;
      for (const [scope, tag] of [[B, 'b'], [C, 'c']] as const) {
        const id = `eni-x${tag}00000${k}`;
        intruderIds.push(id);
        const net = ipNum(src.ips[0]!.address) & ~0x3fff;
        const arrivingIntruder = k % 2 === 0;
        await tx.insertEni({
          ...src,
          id,
          accountId: scope.accountId,
          region: scope.region,
          mac: `FE:00:00:00:0${tag === 'b' ? 1 : 2}:0${k}`,
          instanceId: arrivingIntruder ? null : src.instanceId ?? insA[k]!,
          targetInstanceId: arrivingIntruder ? insA[k]! : null,
          ips: [{ subnetId: src.subnetId, address: formatIpv4(net + (tag === 'b' ? 10_000 : 11_000) + k), eniId: id, primary: true, state: 'AVAILABLE', description: '', qosLevel: 'DEFAULT' }],
        });
      }
    }
  });

  // Many ties: A's creation times coarsened to buckets of 8 ms, rewritten in a shuffled order (so the
  // rows' physical order is neither creation nor id order). Pages must still be cut by (time, id).
  const rnd = seededRandom(5);
  const shuffled = (await store.read((tx) => tx.listEnis(A)))
    .map((e) => ({ e, k: rnd() }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.e);
  await store.write(async (tx) => {
    for (const e of shuffled) await tx.updateEni({ ...e, createdAt: Math.floor(e.createdAt / 8) * 8 });
  });

  const [allA, allB, allC] = await store.read(async (tx) => [await tx.listEnis(A), await tx.listEnis(B), await tx.listEnis(C)] as const);
  const idPool = [
    ...allA.filter((_, i) => i % 4 === 0).map((e) => e.id),
    ...intruderIds,
    ...allB.filter((_, i) => i % 25 === 0).map((e) => e.id),
    'eni-missing0',
    allA[0]!.id.toUpperCase(),
    '',
  ];
  const vpcPool = [...uniq(allA.map((e) => e.vpcId)), ...uniq(allB.map((e) => e.vpcId)), 'vpc-missing0', allA[0]!.vpcId.toUpperCase()];
  const subnetPool = [...uniq(allA.map((e) => e.subnetId)), ...uniq(allB.map((e) => e.subnetId)).slice(0, 3), 'subnet-missing0'];
  const insPool = [...insA, ...uniq(nonNull(allB.map((e) => e.instanceId))).slice(0, 5), 'ins-missing0', insA[0]!.toUpperCase(), ''];
  return {
    A,
    B,
    C,
    allA,
    allB,
    allC,
    intruderIds,
    pools: { id: idPool, vpcId: vpcPool, subnetId: subnetPool, instanceId: insPool, shownInstanceId: insPool },
    extraIps,
    noIps,
    arriving,
    leaving,
  };
}

// ---- arbitraries -------------------------------------------------------------------------------

/** Values for one condition: often the anchor ENI's own value (so intersections are not empty), plus pool values. */
const valuesArb = (w: World, field: EniField): fc.Arbitrary<{ anchor: boolean; extra: string[]; empty: boolean }> =>
  fc.record({
    anchor: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    extra: fc.array(fc.constantFrom(...w.pools[field]), { maxLength: 3 }),
    empty: fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });

const withAnchor = (anchorValue: string | null, v: { anchor: boolean; extra: string[]; empty: boolean }): string[] =>
  v.empty ? [] : [...(v.anchor && anchorValue !== null ? [anchorValue] : []), ...v.extra];

const pageArb = fc.record({
  offset: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 6 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 320 }) }),
  limit: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 120 }), fc.constant(1000)),
});

/** Rarely the value of `arb`, mostly undefined. */
const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/** An ENI of A to build matching conditions around; half the time one with an instance shown. */
const anchorArb = (w: World): fc.Arbitrary<Eni> => {
  const linked = w.allA.filter((e) => fieldOf.shownInstanceId(e) !== null);
  return fc.oneof(fc.constantFrom(...w.allA), fc.constantFrom(...linked));
};

function queryArb(w: World): fc.Arbitrary<EniQuery> {
  const cond = fc.constantFrom(...FIELDS).chain((field) => valuesArb(w, field).map((v) => ({ field, v })));
  return fc
    .record({
      anchor: anchorArb(w),
      conds: fc.array(cond, { maxLength: 4 }),
      page: fc.option(pageArb, { nil: undefined }),
      ids: rarely(fc.record({ v: valuesArb(w, 'id') })),
      vpcId: rarely(fc.record({ own: fc.boolean(), other: fc.constantFrom(...w.pools.vpcId) })),
    })
    .map(({ anchor, conds, page, ids, vpcId }) => {
      const q: EniQuery = { where: conds.map(({ field, v }) => ({ field, anyOf: withAnchor(fieldOf[field](anchor), v) })) };
      if (page) q.page = page;
      if (ids) q.ids = withAnchor(anchor.id, ids.v);
      if (vpcId) q.vpcId = vpcId.own ? anchor.vpcId : vpcId.other;
      return q;
    });
}

const PUSHED: Record<string, EniField> = {
  'vpc-id': 'vpcId',
  'subnet-id': 'subnetId',
  'network-interface-id': 'id',
  'attachment.instance-id': 'shownInstanceId',
};

function filtersArb(w: World): fc.Arbitrary<Filter[]> {
  const names = w.allA.filter((_, i) => i % 10 === 0).map((e) => e.name);
  const pushed = fc.constantFrom(...Object.keys(PUSHED)).chain((Name) => valuesArb(w, PUSHED[Name]!).map((v) => ({ Name, v })));
  const other: fc.Arbitrary<Filter> = fc.oneof(
    fc.record({ Name: fc.constant('is-primary'), Values: fc.array(fc.constantFrom('true', 'false', 'TRUE', 'nope'), { minLength: 1, maxLength: 2 }) }),
    fc.record({ Name: fc.constant('network-interface-name'), Values: fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }) }),
    fc.record({ Name: fc.constant('address-ip'), Values: fc.array(fc.constantFrom('1', '2', '.3', '10.0.0.2'), { minLength: 1, maxLength: 2 }) }),
  );
  return fc
    .record({
      anchor: anchorArb(w),
      items: fc.array(fc.oneof({ weight: 6, arbitrary: pushed.map((p) => ({ kind: 'pushed' as const, ...p })) }, { weight: 1, arbitrary: other.map((f) => ({ kind: 'other' as const, f })) }), {
        maxLength: 4,
      }),
    })
    .map(({ anchor, items }) =>
      // Pushed filters mostly hold the anchor ENI's own value, so ANDed filters often match something.
      items.map((it): Filter => (it.kind === 'other' ? it.f : { Name: it.Name, Values: withAnchor(fieldOf[PUSHED[it.Name]!](anchor), it.v) })),
    );
}

// ---- the tests ---------------------------------------------------------------------------------

for (const kind of STORE_KINDS) {
  describe(`ENI queries (where, page, count): ${kind}`, { skip: await skipUnless(kind), timeout: 120_000 }, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;
    let w: World;

    before(async () => {
      const s = await freshStore(kind);
      store = s.store;
      cleanup = s.cleanup;
      w = await buildWorld(store);
    });
    after(async () => {
      await cleanup?.();
    });

    test('the world: full lists are in creation order, hold every address in order, and stay in their scope', () => {
      const { allA, allB, allC } = w;
      assert.equal(allA.length, 300);
      assert.equal(allB.length, 300 + 8);
      assert.equal(allC.length, 8);
      for (const [scope, list] of [[w.A, allA], [w.B, allB], [w.C, allC]] as const) {
        for (const e of list) {
          assert.equal(e.accountId, scope.accountId);
          assert.equal(e.region, scope.region);
          assert.deepEqual(e.ips, sortedIps(e.ips), `addresses of ${e.id} out of order`);
          for (const ip of e.ips) assert.equal(ip.eniId, e.id);
        }
        for (let i = 1; i < list.length; i++) assert.ok(byCreation(list[i - 1]!, list[i]!) < 0, `${list[i - 1]!.id} before ${list[i]!.id}`);
      }
      // The moved creation times put some ENIs first, ties broken by id.
      assert.ok(allA[0]!.createdAt < allA[allA.length - 1]!.createdAt);
      for (const id of w.intruderIds) assert.ok(!allA.some((e) => e.id === id));
      const byId = new Map(allA.map((e) => [e.id, e]));
      for (const [id, addrs] of w.extraIps) assert.deepEqual(byId.get(id)!.ips.map((i) => i.address), addrs, `addresses of ${id}`);
      for (const id of w.noIps) assert.deepEqual(byId.get(id)!.ips, []);
      assert.ok(w.noIps.length > 0);
      for (const [id, target] of w.arriving) {
        const e = byId.get(id)!;
        assert.equal(e.instanceId, null);
        assert.equal(e.targetInstanceId, target);
      }
      for (const [id, target] of w.leaving) assert.equal(byId.get(id)!.targetInstanceId, target);
    });

    test('fixed cases: empty anyOf, shownInstanceId vs instanceId, pages at the edges, other scopes', async () => {
      const { A, B, C, allA } = w;
      const list = (scope: Scope, q: EniQuery) => store.peek((tx) => tx.listEnis(scope, q));
      const count = (scope: Scope, q: EniQuery) => store.peek((tx) => tx.countEnis(scope, q));
      // An empty anyOf matches nothing, even next to conditions that match everything.
      const all = { field: 'vpcId' as const, anyOf: uniq(allA.map((e) => e.vpcId)) };
      assert.equal((await list(A, { where: [all] })).length, 300);
      assert.deepEqual(await list(A, { where: [all, { field: 'id', anyOf: [] }] }), []);
      assert.deepEqual(await list(A, { where: [{ field: 'shownInstanceId', anyOf: [] }], page: { offset: 0, limit: 10 } }), []);
      assert.equal(await count(A, { where: [all, { field: 'subnetId', anyOf: [] }] }), 0);
      // An arriving ENI is found by shownInstanceId, not by instanceId; a leaving one by its current instance only.
      const [arrivingId, target] = [...w.arriving][0]!;
      const shown = await list(A, { where: [{ field: 'shownInstanceId', anyOf: [target] }] });
      assert.ok(shown.some((e) => e.id === arrivingId));
      assert.deepEqual(shown, reference(allA, { where: [{ field: 'shownInstanceId', anyOf: [target] }] }));
      assert.ok(!(await list(A, { where: [{ field: 'instanceId', anyOf: [target] }] })).some((e) => e.id === arrivingId));
      const [leavingId, leavingTarget] = [...w.leaving][0]!;
      assert.ok(!(await list(A, { where: [{ field: 'shownInstanceId', anyOf: [leavingTarget] }] })).some((e) => e.id === leavingId));
      // Pages: limit 0, the last partial page, past the end; count ignores the page.
      assert.deepEqual(await list(A, { page: { offset: 0, limit: 0 } }), []);
      assert.deepEqual(await list(A, { page: { offset: 295, limit: 10 } }), allA.slice(295));
      assert.deepEqual(await list(A, { page: { offset: 300, limit: 10 } }), []);
      assert.deepEqual(await list(A, { page: { offset: 1000, limit: 10 } }), []);
      assert.equal(await count(A, { page: { offset: 0, limit: 1 } }), 300);
      // Walking every page of 7 gives back the whole list once.
      const walked: Eni[] = [];
      for (let offset = 0; offset < 300; offset += 7) walked.push(...(await list(A, { page: { offset, limit: 7 } })));
      assert.deepEqual(walked, allA);
      // Another scope's ENIs never appear: B and C hold copies of A's ids of VPCs, subnets and instances.
      const intruders = w.intruderIds;
      const allIns = uniq(nonNull(allA.map((e) => e.instanceId ?? e.targetInstanceId)));
      for (const q of [
        { where: [{ field: 'id' as const, anyOf: intruders }] },
        { where: [{ field: 'shownInstanceId' as const, anyOf: allIns }], page: { offset: 0, limit: 1000 } },
        { where: [all] },
      ]) {
        const a = await list(A, q);
        assert.ok(a.every((e) => e.accountId === A.accountId && e.region === A.region && !intruders.includes(e.id)), show(q));
        assert.deepEqual(a, reference(allA, q));
        assert.equal(await count(A, q), reference(allA, { ...q, page: undefined }).length);
      }
      assert.deepEqual((await list(C, { where: [all] })).map((e) => e.id), w.allC.map((e) => e.id));
      assert.deepEqual(await list(B, { where: [{ field: 'id', anyOf: intruders }] }), reference(w.allB, { where: [{ field: 'id', anyOf: intruders }] }));
      assert.equal((await list(B, { where: [{ field: 'id', anyOf: intruders }] })).length, 8);
    });

    test('property: listEnis(where, page) and countEnis equal the in-memory reference, in every scope', async () => {
      const scopes = [
        { scope: w.A, all: w.allA },
        { scope: w.B, all: w.allB },
        { scope: w.C, all: w.allC },
      ];
      await property(`listEnis/countEnis on ${kind}`, queryArb(w), async (q) => {
        const unpaged: EniQuery = { ...q };
        delete unpaged.page;
        for (const { scope, all } of scopes) {
          const expectedAll = reference(all, unpaged);
          const got = await store.peek((tx) => tx.listEnis(scope, unpaged));
          assert.deepEqual(got.map((e) => e.id), expectedAll.map((e) => e.id), `ids of ${show(unpaged)} in ${scope.accountId}/${scope.region}`);
          assert.deepEqual(got, expectedAll, `ENIs of ${show(unpaged)}`);
          if (q.page) {
            const expectedPage = reference(all, q);
            const page = await store.read((tx) => tx.listEnis(scope, q));
            assert.deepEqual(page.map((e) => e.id), expectedPage.map((e) => e.id), `page ids of ${show(q)} in ${scope.accountId}/${scope.region}`);
            assert.deepEqual(page, expectedPage, `page ENIs of ${show(q)}`);
          }
          // The count ignores the page.
          assert.equal(await store.peek((tx) => tx.countEnis(scope, q)), expectedAll.length, `count of ${show(q)} in ${scope.accountId}/${scope.region}`);
          for (const e of got) assert.ok(e.accountId === scope.accountId && e.region === scope.region);
        }
      });
    });

    test('property: eniStoreConditions + the store give what filterEnis gives', async () => {
      await property(`filter push-down on ${kind}`, filtersArb(w), async (filters) => {
        const direct = filterEnis(w.allA, filters);
        const { where, rest } = eniStoreConditions(filters);
        // Exactly the four equality filters go to the store, in order, with their Values untouched.
        assert.deepEqual(
          where,
          filters.filter((f) => f.Name in PUSHED).map((f) => ({ field: PUSHED[f.Name], anyOf: f.Values })),
        );
        assert.deepEqual(rest, filters.filter((f) => !(f.Name in PUSHED)));
        const viaStore = filterEnis(await store.peek((tx) => tx.listEnis(w.A, { where })), rest);
        assert.deepEqual(viaStore.map((e) => e.id), direct.map((e) => e.id), `filters ${show(filters)}`);
        assert.deepEqual(viaStore, direct);
        if (!rest.length) {
          // All filters pushed down: the store counts and pages them by itself.
          assert.equal(await store.peek((tx) => tx.countEnis(w.A, { where })), direct.length, `count of ${show(filters)}`);
          const page = { offset: direct.length > 2 ? 1 : 0, limit: 3 };
          assert.deepEqual(await store.read((tx) => tx.listEnis(w.A, { where, page })), direct.slice(page.offset, page.offset + page.limit));
        }
      });
    });

    test('filter push-down, fixed cases: ORed values, repeated names ANDed, empty Values, unknown names', async () => {
      const { allA } = w;
      const viaStore = async (filters: Filter[]) => {
        const { where, rest } = eniStoreConditions(filters);
        return filterEnis(await store.peek((tx) => tx.listEnis(w.A, { where })), rest);
      };
      const [v1, v2] = uniq(allA.map((e) => e.vpcId));
      const s = allA.find((e) => e.vpcId === v2)!.subnetId;
      const cases: Filter[][] = [
        [{ Name: 'vpc-id', Values: [v1!, v2!] }],
        [{ Name: 'vpc-id', Values: [v1!] }, { Name: 'vpc-id', Values: [v2!] }],
        [{ Name: 'vpc-id', Values: [v1!, v2!] }, { Name: 'vpc-id', Values: [v2!] }, { Name: 'subnet-id', Values: [s, 'subnet-x'] }],
        [{ Name: 'vpc-id', Values: [] }],
        [{ Name: 'attachment.instance-id', Values: [...w.arriving.values()] }],
        [{ Name: 'attachment.instance-id', Values: [...w.leaving.values()] }, { Name: 'is-primary', Values: ['false'] }],
        [{ Name: 'network-interface-id', Values: [allA[3]!.id, allA[9]!.id, w.intruderIds[0]!] }, { Name: 'network-interface-id', Values: [allA[9]!.id] }],
      ];
      for (const filters of cases) assert.deepEqual(await viaStore(filters), filterEnis(allA, filters), show(filters));
      assert.equal((await viaStore(cases[0]!)).length, 200);
      assert.deepEqual(await viaStore(cases[1]!), []);
      assert.deepEqual(await viaStore(cases[3]!), []);
      assert.ok((await viaStore(cases[4]!)).length >= w.arriving.size);
      assert.deepEqual((await viaStore(cases[6]!)).map((e) => e.id), [allA[9]!.id]);
      // An unknown name is refused the same way whichever side the other filters land on.
      for (const filters of [
        [{ Name: 'vpc-id', Values: [v1!] }, { Name: 'no-such-filter', Values: ['x'] }],
        [{ Name: 'no-such-filter', Values: [] }],
      ]) {
        const code = (f: () => unknown) => {
          try {
            f();
          } catch (e) {
            return (e as { code?: string }).code;
          }
          return 'no error';
        };
        assert.equal(code(() => eniStoreConditions(filters)), 'InvalidParameter.FilterInvalidKey');
        assert.equal(code(() => filterEnis(allA, filters)), 'InvalidParameter.FilterInvalidKey');
      }
    });
  });
}
