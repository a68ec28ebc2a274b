// A region cell under a storm: two eniplane nodes on one PostgreSQL database take a few hundred
// concurrent, conflicting attach / detach / migrate (and a few stop / start) requests for the same
// ENIs and instances, each request sent to a random node. Every answer must be a success or a
// documented refusal; an observer checks the ENI quota (invariant 2) at every moment it samples;
// at the end every accepted task has ended and every invariant of DESIGN.md holds, through the API
// and directly in the database.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pollUntil } from '../../support/poll.ts';
import { skipUnless } from '../../support/stores.ts';
import { type CvmClient, type Eni, errCode, type Instance, ZONE } from '../../support/tencent3/client.ts';
import { describeInstances, holderOf, waitEniReady, waitInstances } from '../../support/tencent3/waits.ts';
import { buildWorld, runInstances } from '../../support/tencent3/world.ts';
import { inCidr, ownedBy, taskRows, withCell, type Cell } from './cellKit.ts';
import { seededRandom } from '../../../src/core/ids.ts';

const OTHER_ZONE = 'ap-guangzhou-4';
const TOTAL_OPS = 320;
const PARALLEL = 10;
/** Quotas of the built-in catalog, primary ENI included (src/core/catalog.ts). */
const QUOTA: Record<string, number> = { 'S5.SMALL2': 2, 'S5.MEDIUM4': 2, 'S5.LARGE8': 4, 'S1.SMALL1': 1 };

type Kind = 'attach' | 'detach' | 'migrate' | 'stop' | 'start';

/** The refusals each request may get in a storm (src/dialects/tencent3/errors.ts); anything else fails the test. */
const REFUSALS: Record<Kind, Set<string>> = {
  attach: new Set([
    'UnsupportedOperation.AttachmentAlreadyExists',
    'UnsupportedOperation.MutexOperationTaskRunning',
    'UnsupportedOperation.InvalidState',
    'LimitExceeded',
    'UnsupportedOperation.ZoneMismatch',
    'UnsupportedOperation.VpcMismatch',
    'UnsupportedOperation.UnsupportedInstanceFamily',
    'UnsupportedOperation', // a primary ENI
  ]),
  detach: new Set(['UnsupportedOperation.InvalidState', 'UnsupportedOperation.MutexOperationTaskRunning', 'UnsupportedOperation']),
  migrate: new Set([
    'UnsupportedOperation',
    'UnsupportedOperation.AttachmentNotFound',
    'UnsupportedOperation.AttachmentAlreadyExists',
    'UnsupportedOperation.InvalidState',
    'UnsupportedOperation.MutexOperationTaskRunning',
    'UnsupportedOperation.VpcMismatch',
    'UnsupportedOperation.ZoneMismatch',
    'UnsupportedOperation.UnsupportedInstanceFamily',
    'LimitExceeded',
  ]),
  stop: new Set([
    'OperationDenied.InstanceOperationInProgress',
    'UnsupportedOperation.InstanceStateStopped',
    'UnsupportedOperation.InstanceStateStopping',
    'UnsupportedOperation.InstanceStateStarting',
  ]),
  start: new Set([
    'OperationDenied.InstanceOperationInProgress',
    'UnsupportedOperation.InstanceStateRunning',
    'UnsupportedOperation.InstanceStateStopping',
    'UnsupportedOperation.InstanceStateStarting',
  ]),
};

interface Ins {
  id: string;
  type: string;
  zone: string;
  vpcId: string;
  quota: number;
  eni: boolean;
}

type Op =
  | { kind: 'attach'; eni: string; ins: string }
  | { kind: 'detach'; eni: string; ins: string }
  | { kind: 'migrate'; eni: string; src: string; dst: string }
  | { kind: 'stop' | 'start'; ins: string };

async function allEnis(cell: Cell, node: number): Promise<Eni[]> {
  const { NetworkInterfaceSet, TotalCount } = await cell.vpc(node).DescribeNetworkInterfaces({ Limit: 100 });
  assert.ok(TotalCount! <= 100, 'the world fits one page');
  return NetworkInterfaceSet!;
}

async function runIn(cvm: CvmClient, zone: string, vpcId: string, subnetId: string, type: string): Promise<string> {
  const { InstanceIdSet } = await cvm.RunInstances({
    Placement: { Zone: zone },
    InstanceType: type,
    InstanceCount: 1,
    VirtualPrivateCloud: { VpcId: vpcId, SubnetId: subnetId },
  });
  await waitInstances(cvm, InstanceIdSet!, 'RUNNING');
  return InstanceIdSet![0]!;
}

test('two nodes, one PostgreSQL: a storm of conflicting attach/detach/migrate keeps every invariant', { skip: await skipUnless('postgres'), timeout: 180_000 }, async (t) => {
  const started = Date.now();
  await withCell(2, { latency: '20-80', rateLimit: 'off', extraArgs: ['--dataplane-delay', '5-40'] }, async (cell) => {
    const seed = Number(process.env.ENIPLANE_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
    t.diagnostic(`seed ${seed} (ENIPLANE_TEST_SEED=${seed} repeats the random draws; the interleaving still varies)`);
    const random = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

    // ---- world ------------------------------------------------------------------------------
    const vpc = cell.vpc(0);
    const cvm = cell.cvm(0);
    const w = await buildWorld(vpc, cvm, { count: 3, type: 'S5.SMALL2' });
    const [medium, large, legacy] = await Promise.all([
      runInstances(cvm, w, 3, 'S5.MEDIUM4'),
      runInstances(cvm, w, 2, 'S5.LARGE8'),
      runInstances(cvm, w, 1, 'S1.SMALL1'),
    ]);
    const { Subnet: sub4 } = await vpc.CreateSubnet({ VpcId: w.vpcId, SubnetName: 'zone4', CidrBlock: '10.0.16.0/20', Zone: OTHER_ZONE });
    const zone4Ins = await runIn(cvm, OTHER_ZONE, w.vpcId, sub4!.SubnetId!, 'S5.MEDIUM4');
    const other = await buildWorld(vpc, cvm, { count: 1, type: 'S5.MEDIUM4', cidrOctet: 1 });

    const subnetCidr = new Map<string, string>([
      [w.subnetId, '10.0.0.0/20'],
      [sub4!.SubnetId!, '10.0.16.0/20'],
      [other.subnetId, '10.1.0.0/20'],
    ]);
    const createEni = async (subnetId: string, name: string) => {
      const r = await vpc.CreateNetworkInterface({ VpcId: w.vpcId, SubnetId: subnetId, NetworkInterfaceName: name });
      return (await waitEniReady(vpc, r.NetworkInterface!.NetworkInterfaceId!)).NetworkInterfaceId!;
    };
    const secondaries = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => createEni(w.subnetId, `z3-${i}`)),
      ...Array.from({ length: 2 }, (_, i) => createEni(sub4!.SubnetId!, `z4-${i}`)),
    ]);

    const instanceIds = [...w.instanceIds, ...medium, ...large, ...legacy, zone4Ins, ...other.instanceIds];
    const described = await describeInstances(cvm, instanceIds);
    const instances: Ins[] = described.map((i) => ({
      id: i.InstanceId!,
      type: i.InstanceType!,
      zone: i.Placement!.Zone!,
      vpcId: i.VirtualPrivateCloud!.VpcId!,
      quota: QUOTA[i.InstanceType!]!,
      eni: i.InstanceType !== 'S1.SMALL1',
    }));
    assert.equal(instances.length, 11);
    const insById = new Map(instances.map((i) => [i.id, i]));
    for (const i of instances) {
      const limit = await vpc.DescribeNetworkInterfaceLimit({ InstanceId: i.id });
      assert.equal(limit.EniQuantity, i.quota, `${i.type} ENI quota`);
    }
    const initial = await allEnis(cell, 0);
    const primaryOf = new Map(initial.filter((e) => e.Primary).map((e) => [holderOf(e)!, e.NetworkInterfaceId!]));
    assert.equal(primaryOf.size, instances.length, 'one primary ENI per instance');
    const eniZone = new Map(initial.map((e) => [e.NetworkInterfaceId!, e.Zone!]));
    const eniVpc = new Map(initial.map((e) => [e.NetworkInterfaceId!, e.VpcId!]));
    t.diagnostic(`world: ${instances.length} instances, ${secondaries.length} secondary ENIs, built in ${Date.now() - started} ms`);

    // ---- shared view of the world, refreshed by the observer --------------------------------
    let view: { enis: Eni[]; instances: Instance[] } = { enis: initial, instances: described };
    const violations: string[] = [];
    const leaseOwners = new Set<string>();
    let storming = true;

    const observer = pollUntil(
      async () => {
        const node = Math.floor(Math.random() * 2);
        let enis: Eni[];
        try {
          const [e, ins] = await Promise.all([allEnis(cell, node), describeInstances(cell.cvm(node), instanceIds)]);
          enis = e;
          view = { enis, instances: ins };
        } catch (e) {
          // A read must never fail in the storm (InternalError, ServiceUnavailable, a dropped connection).
          violations.push(`observer read on node ${node} failed: ${errCode(e) ?? ''} ${String(e)}`);
          return !storming;
        }
        const on = new Map<string, Eni[]>();
        for (const e of enis) {
          const h = holderOf(e);
          if (h) on.set(h, [...(on.get(h) ?? []), e]);
        }
        for (const [id, list] of on) {
          const i = insById.get(id);
          if (!i) violations.push(`${list.map((e) => e.NetworkInterfaceId).join(',')} attached to unknown instance ${id}`);
          else if (list.length > i.quota) {
            violations.push(`${i.type} ${id} showed ${list.length} ENIs > quota ${i.quota}: ${list.map((e) => `${e.NetworkInterfaceId}/${e.State}`).join(' ')}`);
          }
        }
        const { rows } = await cell.sql.query<{ lease_owner: string }>('select distinct lease_owner from tasks where lease_owner is not null');
        for (const r of rows) leaseOwners.add(r.lease_owner);
        return !storming;
      },
      { what: 'the storm to end (observer)', timeoutMs: 150_000, intervalMs: 5 },
    );

    // ---- choosing operations ----------------------------------------------------------------
    // Sensible picks avoid what this test itself has in flight or just changed (the observer's view
    // lags), so that a good share is accepted; the rest of the picks are deliberately blind.
    const inflight = new Map<string, number>();
    const cooldown = new Map<string, number>();
    const busy = (id: string) => (inflight.get(id) ?? 0) > 0 || (cooldown.get(id) ?? 0) > Date.now();
    const settled = (e: Eni) => e.State === 'AVAILABLE' && !busy(e.NetworkInterfaceId!);
    const ensOn = (id: string) => view.enis.filter((e) => holderOf(e) === id).length;
    const fits = (eni: string, ins: Ins) => ins.eni && ins.zone === eniZone.get(eni) && ins.vpcId === eniVpc.get(eni);
    const anyInstance = () => pick(instances).id;
    const anySecondary = () => pick(secondaries);
    /** A blind pick of the given kind: any ENI (sometimes a primary), any instances. */
    const blind = (kind: 'attach' | 'detach' | 'migrate'): Op => {
      const eni = random() < 0.05 ? pick([...primaryOf.values()]) : anySecondary();
      if (kind === 'migrate') return { kind, eni, src: anyInstance(), dst: anyInstance() };
      return { kind, eni, ins: anyInstance() };
    };

    /** An operation the latest view says should be accepted (or, one time in five, hit the quota); undefined if none. */
    const sensibleOf = (kind: 'attach' | 'detach' | 'migrate'): Op | undefined => {
      const secs = view.enis.filter((e) => !e.Primary && settled(e));
      const target = (eni: string, except?: string) => {
        const targets = instances.filter((i) => i.id !== except && fits(eni, i) && !busy(i.id));
        const roomy = targets.filter((i) => ensOn(i.id) < i.quota);
        const list = roomy.length && random() < 0.8 ? roomy : targets;
        return list.length ? pick(list).id : undefined;
      };
      if (kind === 'attach') {
        const free = secs.filter((e) => !holderOf(e));
        if (!free.length) return undefined;
        const eni = pick(free).NetworkInterfaceId!;
        const ins = target(eni);
        return ins ? { kind, eni, ins } : undefined;
      }
      const attached = secs.filter((e) => holderOf(e) && !busy(holderOf(e)!));
      if (!attached.length) return undefined;
      const e = pick(attached);
      if (kind === 'detach') return { kind, eni: e.NetworkInterfaceId!, ins: holderOf(e)! };
      const dst = target(e.NetworkInterfaceId!, holderOf(e)!);
      return dst ? { kind, eni: e.NetworkInterfaceId!, src: holderOf(e)!, dst } : undefined;
    };

    const choose = async (): Promise<Op> => {
      const r = random();
      if (r < 0.04) {
        // A few power changes; they make instances busy and STOPPED (attach to STOPPED is allowed).
        const i = pick(view.instances);
        const kind = i.InstanceState === 'STOPPED' ? 'start' : i.InstanceState === 'RUNNING' ? 'stop' : random() < 0.5 ? 'start' : 'stop';
        return { kind, ins: i.InstanceId! };
      }
      if (r < 0.08) {
        // Statically impossible: primaries, wrong zone, wrong VPC, a type without ENI support.
        const primary = pick([...primaryOf.entries()]);
        return pick<Op>([
          { kind: 'detach', eni: primary[1], ins: primary[0] },
          { kind: 'migrate', eni: primary[1], src: primary[0], dst: anyInstance() },
          { kind: 'attach', eni: primary[1], ins: anyInstance() },
          { kind: 'attach', eni: anySecondary(), ins: pick([zone4Ins, other.instanceIds[0]!, legacy[0]!]) },
        ]);
      }
      const kind = r < 0.36 ? 'attach' : r < 0.62 ? 'detach' : 'migrate';
      if (random() < 0.25) return blind(kind);
      // Prefer the drawn kind; if the view offers nothing of it (all ENIs attached, say), another
      // kind; if nothing at all is free right now, wait for the cell to catch up.
      const drawn = await pollUntil(async () => sensibleOf(kind) ?? false, { what: `a sensible ${kind}`, timeoutMs: 1_000, intervalMs: 5 }).catch(() => undefined);
      if (drawn) return drawn;
      const order: Array<'attach' | 'detach' | 'migrate'> = [kind, ...(['attach', 'detach', 'migrate'] as const).filter((k) => k !== kind)];
      return pollUntil(async () => order.map(sensibleOf).find((o) => o !== undefined) ?? false, {
        what: 'a resource free for a sensible operation',
        timeoutMs: 5_000,
        intervalMs: 5,
      }).catch(() => blind(kind));
    };

    /** Whether the static rules alone forbid the operation (it must never be accepted). */
    const forbidden = (op: Op): string | undefined => {
      if (!('eni' in op)) return undefined;
      if ([...primaryOf.values()].includes(op.eni)) return 'primary ENI';
      const dst = op.kind === 'attach' ? op.ins : op.kind === 'migrate' ? op.dst : undefined;
      if (dst === undefined) return undefined;
      const i = insById.get(dst)!;
      if (!i.eni) return 'instance type without ENI support';
      if (i.zone !== eniZone.get(op.eni)) return 'zone mismatch';
      if (i.vpcId !== eniVpc.get(op.eni)) return 'VPC mismatch';
      if (op.kind === 'migrate' && op.src === op.dst) return 'migrate onto its own instance';
      return undefined;
    };

    // ---- the storm --------------------------------------------------------------------------
    const accepted: Array<{ taskId: string; kind: Kind; node: number; op: Op }> = [];
    const acceptedPerKind: Record<Kind, number> = { attach: 0, detach: 0, migrate: 0, stop: 0, start: 0 };
    const sentPerKind: Record<Kind, number> = { attach: 0, detach: 0, migrate: 0, stop: 0, start: 0 };
    const refusals = new Map<string, number>();
    const unexpected: string[] = [];
    const perNode = [0, 0];
    let sent = 0;
    let bursts = 0;

    const resourcesOf = (op: Op): string[] =>
      op.kind === 'migrate' ? [op.eni, op.src, op.dst] : 'eni' in op ? [op.eni, op.ins] : [op.ins];

    const issue = async (op: Op): Promise<void> => {
      const node = Math.floor(random() * 2);
      perNode[node]!++;
      sentPerKind[op.kind]++;
      const v = cell.vpc(node);
      const res = resourcesOf(op);
      for (const id of res) inflight.set(id, (inflight.get(id) ?? 0) + 1);
      try {
        let r: { RequestId?: string };
        switch (op.kind) {
          case 'attach':
            r = await v.AttachNetworkInterface({ NetworkInterfaceId: op.eni, InstanceId: op.ins });
            break;
          case 'detach':
            r = await v.DetachNetworkInterface({ NetworkInterfaceId: op.eni, InstanceId: op.ins });
            break;
          case 'migrate':
            r = await v.MigrateNetworkInterface({ NetworkInterfaceId: op.eni, SourceInstanceId: op.src, DestinationInstanceId: op.dst });
            break;
          case 'stop':
            r = await cell.cvm(node).StopInstances({ InstanceIds: [op.ins] });
            break;
          case 'start':
            r = await cell.cvm(node).StartInstances({ InstanceIds: [op.ins] });
            break;
        }
        assert.ok(r.RequestId, `${op.kind} answered without a RequestId`);
        for (const id of res) cooldown.set(id, Date.now() + 250);
        accepted.push({ taskId: r.RequestId, kind: op.kind, node, op });
        acceptedPerKind[op.kind]++;
        const why = forbidden(op);
        if (why) unexpected.push(`accepted although forbidden (${why}): ${JSON.stringify(op)} on node ${node}`);
      } catch (e) {
        const code = errCode(e);
        if (code === undefined) {
          unexpected.push(`${op.kind} ${JSON.stringify(op)} on node ${node}: no API error code: ${String(e)}`);
          return;
        }
        const key = `${op.kind}:${code}`;
        refusals.set(key, (refusals.get(key) ?? 0) + 1);
        if (!REFUSALS[op.kind].has(code)) unexpected.push(`${op.kind} ${JSON.stringify(op)} on node ${node} refused with ${code}: ${(e as Error).message}`);
      } finally {
        for (const id of res) inflight.set(id, inflight.get(id)! - 1);
      }
    };

    const stormStart = Date.now();
    try {
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (sent < TOTAL_OPS) {
            sent++;
            if (random() < 0.06) {
              // A burst: free ENIs attached and settled ENIs migrated onto one instance at the same
              // moment, over both nodes, so that only the cell's locking can keep the quota.
              const zone3 = instances.filter((x) => x.eni && x.zone === ZONE && x.vpcId === w.vpcId && !busy(x.id));
              const roomy = zone3.filter((x) => ensOn(x.id) < x.quota);
              const i = zone3.length ? pick(roomy.length ? roomy : zone3) : pick(instances);
              const candidates = view.enis.filter((e) => !e.Primary && settled(e) && holderOf(e) !== i.id && fits(e.NetworkInterfaceId!, i));
              const batch: Op[] = candidates.slice(0, 5).map((e) => {
                const src = holderOf(e);
                return src ? { kind: 'migrate', eni: e.NetworkInterfaceId!, src, dst: i.id } : { kind: 'attach', eni: e.NetworkInterfaceId!, ins: i.id };
              });
              if (batch.length < 2) {
                await issue(await choose());
                continue;
              }
              bursts++;
              sent += batch.length - 1;
              await Promise.all(batch.map(issue));
            } else {
              await issue(await choose());
            }
          }
        }),
      );
    } finally {
      storming = false;
      await observer.catch((e: unknown) => violations.push(`observer failed: ${String(e)}`));
    }
    const stormMs = Date.now() - stormStart;
    const totalSent = Object.values(sentPerKind).reduce((a, b) => a + b, 0);
    assert.equal(totalSent, sent);

    const refusalTotal = [...refusals.values()].reduce((a, b) => a + b, 0);
    t.diagnostic(`storm: ${sent} operations (${bursts} bursts onto one instance) in ${stormMs} ms (node0 ${perNode[0]}, node1 ${perNode[1]}); sent per kind ${JSON.stringify(sentPerKind)}`);
    t.diagnostic(`accepted ${accepted.length}: ${JSON.stringify(acceptedPerKind)}; refused ${refusalTotal}`);
    t.diagnostic(`refusals: ${JSON.stringify(Object.fromEntries([...refusals.entries()].sort((a, b) => b[1] - a[1])))}`);

    assert.deepEqual(unexpected, [], 'every answer is a success or a documented refusal, and no forbidden operation is accepted');
    assert.ok(sent >= 300, `at least 300 operations (${sent})`);
    assert.equal(accepted.length + refusalTotal, totalSent, 'every operation was answered');
    // The storm must really have exercised the cell, not been refused wholesale.
    assert.ok(acceptedPerKind.attach >= 20, `attaches accepted: ${acceptedPerKind.attach}`);
    assert.ok(acceptedPerKind.detach >= 10, `detaches accepted: ${acceptedPerKind.detach}`);
    assert.ok(acceptedPerKind.migrate >= 10, `migrates accepted: ${acceptedPerKind.migrate}`);
    assert.ok((refusals.get('attach:LimitExceeded') ?? 0) + (refusals.get('migrate:LimitExceeded') ?? 0) > 0, 'the quota was reached at least once');
    for (const n of [0, 1]) assert.ok(accepted.some((a) => a.node === n), `node ${n} accepted operations`);
    assert.deepEqual(violations, [], 'no observed moment had an instance over its ENI quota');

    // ---- every accepted task ends ------------------------------------------------------------
    const final = new Map<string, string>();
    await pollUntil(
      async () => {
        const open = accepted.filter((a) => !final.has(a.taskId));
        for (let i = 0; i < open.length; i += 20) {
          await Promise.all(
            open.slice(i, i + 20).map(async (a) => {
              const r = await cell.vpc(Math.floor(Math.random() * 2)).DescribeVpcTaskResult({ TaskId: a.taskId });
              if (r.Status !== 'RUNNING') final.set(a.taskId, `${r.Status} ${r.Output}`);
            }),
          );
        }
        return final.size === accepted.length;
      },
      { what: 'every accepted task to end', timeoutMs: 30_000, intervalMs: 100 },
    );
    const notOk = accepted.filter((a) => !final.get(a.taskId)!.startsWith('SUCCESS')).map((a) => `${a.kind} ${a.taskId}: ${final.get(a.taskId)}`);
    assert.deepEqual(notOk, [], 'no faults are injected, so every accepted task succeeds');

    // Both nodes ran tasks: any node runs any task.
    const owners = [...leaseOwners];
    t.diagnostic(`lease owners seen: ${owners.join(', ')}`);
    for (const s of cell.servers) assert.ok(owners.some((o) => ownedBy(o, s.pid)), `node pid ${s.pid} was seen holding a task lease`);

    // ---- invariants, through the API ---------------------------------------------------------
    const enis = await allEnis(cell, 1);
    const finalInstances = await describeInstances(cell.cvm(0), instanceIds);
    assert.equal(enis.length, instances.length + secondaries.length, 'no ENI appeared or vanished');
    for (const i of finalInstances) {
      assert.ok(i.InstanceState === 'RUNNING' || i.InstanceState === 'STOPPED', `${i.InstanceId} is ${i.InstanceState}`);
    }
    for (const e of enis) {
      assert.equal(e.State, 'AVAILABLE', `${e.NetworkInterfaceId} is settled`);
      assert.equal(e.NetworkInterfaceState, holderOf(e) ? 'INUSE' : 'AVAILABLE', `${e.NetworkInterfaceId} NetworkInterfaceState`);
      for (const ip of e.PrivateIpAddressSet!) assert.equal(ip.State, 'AVAILABLE', `${e.NetworkInterfaceId} ${ip.PrivateIpAddress}`);
    }

    // Invariant 1 (cross-checked): the per-instance filter gives disjoint sets covering every attached ENI.
    const holderByFilter = new Map<string, string>();
    for (const i of instances) {
      const { NetworkInterfaceSet, TotalCount } = await cell.vpc(i.id.charCodeAt(i.id.length - 1) % 2).DescribeNetworkInterfaces({
        Filters: [{ Name: 'attachment.instance-id', Values: [i.id] }],
        Limit: 100,
      });
      assert.equal(TotalCount, NetworkInterfaceSet!.length);
      // Invariant 2.
      assert.ok(NetworkInterfaceSet!.length <= i.quota, `${i.type} ${i.id} holds ${NetworkInterfaceSet!.length} > ${i.quota}`);
      assert.ok(NetworkInterfaceSet!.length >= 1, `${i.id} keeps its primary`);
      const indexes = new Set<number>();
      for (const e of NetworkInterfaceSet!) {
        const prev = holderByFilter.get(e.NetworkInterfaceId!);
        assert.equal(prev, undefined, `${e.NetworkInterfaceId} is attached to both ${prev} and ${i.id}`);
        holderByFilter.set(e.NetworkInterfaceId!, i.id);
        assert.equal(e.Attachment?.InstanceId, i.id);
        // Invariant 4, as the result of every attachment: same VPC, same zone, a type with ENI support.
        assert.equal(e.VpcId, i.vpcId, `${e.NetworkInterfaceId} on ${i.id}: VPC`);
        assert.equal(e.Zone, i.zone, `${e.NetworkInterfaceId} on ${i.id}: zone`);
        if (!e.Primary) assert.ok(i.eni, `${e.NetworkInterfaceId} on ${i.type} ${i.id}, which has no ENI support`);
        const idx = e.Attachment!.DeviceIndex!;
        assert.ok(!indexes.has(idx), `${i.id}: device index ${idx} used twice`);
        indexes.add(idx);
        if (!e.Primary) assert.ok(idx >= 1, `${e.NetworkInterfaceId} secondary on device index ${idx}`);
      }
      // Invariant 3: the primary is still on its own instance, at device index 0.
      const primaries = NetworkInterfaceSet!.filter((e) => e.Primary);
      assert.equal(primaries.length, 1, `${i.id} has exactly one primary`);
      assert.equal(primaries[0]!.NetworkInterfaceId, primaryOf.get(i.id), `${i.id} keeps its own primary`);
      assert.equal(primaries[0]!.Attachment!.DeviceIndex, 0);
    }
    const attachedInList = enis.filter((e) => holderOf(e));
    assert.equal(holderByFilter.size, attachedInList.length, 'the filter and the listing agree on what is attached');
    for (const e of attachedInList) assert.equal(holderByFilter.get(e.NetworkInterfaceId!), holderOf(e));

    // Invariant 5: IPs unique and inside their subnet; MACs unique.
    const ips = new Set<string>();
    const macs = new Set<string>();
    for (const e of enis) {
      assert.ok(!macs.has(e.MacAddress!), `MAC ${e.MacAddress} used twice`);
      macs.add(e.MacAddress!);
      const cidr = subnetCidr.get(e.SubnetId!);
      assert.ok(cidr, `${e.NetworkInterfaceId} in unknown subnet ${e.SubnetId}`);
      assert.equal(e.PrivateIpAddressSet!.filter((p) => p.Primary).length, 1, `${e.NetworkInterfaceId} has one primary IP`);
      for (const p of e.PrivateIpAddressSet!) {
        const key = `${e.SubnetId}/${p.PrivateIpAddress}`;
        assert.ok(!ips.has(key), `address ${key} used twice`);
        ips.add(key);
        assert.ok(inCidr(p.PrivateIpAddress!, cidr), `${p.PrivateIpAddress} of ${e.NetworkInterfaceId} outside ${cidr}`);
      }
    }

    // ---- invariants, in the database ---------------------------------------------------------
    const { rows: [tasks] } = await cell.sql.query<{ running: string; leased: string; total: string }>(
      `select count(*) filter (where status = 'RUNNING') as running,
              count(*) filter (where lease_owner is not null or lease_expires_at is not null) as leased,
              count(*) as total from tasks`,
    );
    assert.equal(Number(tasks!.running), 0, 'no task is RUNNING');
    assert.equal(Number(tasks!.leased), 0, 'no lease is held');
    const rows = await taskRows(cell.sql, accepted.map((a) => a.taskId));
    assert.equal(rows.length, accepted.length, 'one task row per accepted operation');
    for (const r of rows) {
      assert.equal(r.status, 'SUCCESS', `task ${r.id}`);
      assert.notEqual(r.finished_at, null, `task ${r.id} finished_at`);
    }
    const { rows: enisDb } = await cell.sql.query<{ id: string; state: string; instance_id: string | null; target_instance_id: string | null }>(
      'select id, state, instance_id, target_instance_id from enis order by id',
    );
    assert.equal(enisDb.length, enis.length);
    for (const e of enisDb) {
      assert.equal(e.state, 'AVAILABLE', `${e.id} state in the database`);
      assert.equal(e.target_instance_id, null, `${e.id} has no arrival in flight`);
      assert.equal(e.instance_id, holderByFilter.get(e.id) ?? null, `${e.id}: database and API agree on the holder`);
    }
    const { rows: over } = await cell.sql.query<{ instance_id: string; n: string }>(
      'select instance_id, count(*) as n from enis where instance_id is not null group by instance_id',
    );
    for (const o of over) assert.ok(Number(o.n) <= insById.get(o.instance_id)!.quota, `${o.instance_id} holds ${o.n} in the database`);
    t.diagnostic(`tasks in the database: ${tasks!.total}; total runtime ${Date.now() - started} ms`);
  });
});
