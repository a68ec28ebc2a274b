/**
 * The store conformance suite: one set of expectations, run against every store kind (SQLite and
 * PostgreSQL). Everything the core and the task engine rely on from a Store is asserted here.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Account, ApiKey, Eni, Instance, PrivateIp, Scope, SecurityGroup, Subnet, Task, Vpc } from '../../src/core/model.ts';
import { openStore } from '../../src/store/open.ts';
import { FakeClock } from '../../src/core/clock.ts';
import type { Store } from '../../src/core/ports/repo.ts';
import { freshDb, plainVpc, skipUnless, STORE_KINDS, withStore } from '../support/stores.ts';

const T0 = Date.UTC(2026, 0, 1);
const SCOPE: Scope = { accountId: 'acc-aaaaaaaaaa', provider: 'tencent', region: 'ap-guangzhou' };
const OTHER_ACCOUNT: Scope = { ...SCOPE, accountId: 'acc-bbbbbbbbbb' };
const OTHER_REGION: Scope = { ...SCOPE, region: 'ap-shanghai' };

// ---- fixtures ----------------------------------------------------------------------------------

const account = (id = SCOPE.accountId): Account => ({ id, provider: 'tencent', name: `name of ${id}`, ownerUin: '1000000001', status: 'enabled', createdAt: T0 });
const key = (secretId: string, accountId = SCOPE.accountId): ApiKey => ({
  secretId,
  secretKey: `secret-${secretId}`,
  accountId,
  status: 'enabled',
  createdAt: T0,
});
// Every optional field set, so a lost column shows.
const vpc = (id: string, scope = SCOPE, at = T0): Vpc => ({
  ...plainVpc(scope, id, at),
  enableMulticast: true,
  dnsServers: ['183.60.82.98', '183.60.83.1'],
  domainName: 'example.internal',
  tags: [{ key: 'team', value: 'net' }],
});
const subnet = (id: string, vpcId: string, scope = SCOPE, at = T0): Subnet => ({
  id,
  accountId: scope.accountId,
  region: scope.region,
  vpcId,
  name: `subnet ${id}`,
  cidr: '10.0.1.0/24',
  zone: 'ap-guangzhou-3',
  isDefault: false,
  routeTableId: 'rtb-00000001',
  networkAclId: '',
  enableBroadcast: true,
  tags: [],
  createdAt: at,
});
const instance = (id: string, vpcId: string, subnetId: string, scope = SCOPE, at = T0): Instance => ({
  id,
  accountId: scope.accountId,
  region: scope.region,
  zone: 'ap-guangzhou-3',
  vpcId,
  subnetId,
  name: `instance ${id}`,
  instanceType: 'S5.MEDIUM4',
  imageId: 'img-eniplane',
  state: 'RUNNING',
  chargeType: 'POSTPAID_BY_HOUR',
  userData: 'ZWNobyBoaQ==',
  securityGroupIds: ['sg-00000001'],
  tags: [{ key: 'k', value: 'v' }],
  latestOperation: 'RunInstances',
  latestOperationState: 'SUCCESS',
  latestOperationRequestId: 'req-1',
  latestOperationError: null,
  createdAt: at,
});
const ip = (subnetId: string, address: string, eniId: string, primary = false): PrivateIp => ({
  subnetId,
  address,
  eniId,
  primary,
  state: 'AVAILABLE',
  description: '',
  qosLevel: 'DEFAULT',
});
let macSeq = 0;
const nextMac = (): string => {
  macSeq++;
  return `20:90:6F:00:${(macSeq >> 8).toString(16).padStart(2, '0').toUpperCase()}:${(macSeq & 255).toString(16).padStart(2, '0').toUpperCase()}`;
};
const eni = (id: string, sub: Subnet, addresses: string[], over: Partial<Eni> = {}): Eni => ({
  id,
  accountId: sub.accountId,
  region: sub.region,
  vpcId: sub.vpcId,
  subnetId: sub.id,
  zone: sub.zone,
  name: `eni ${id}`,
  description: 'd',
  mac: nextMac(),
  primary: false,
  state: 'AVAILABLE',
  instanceId: null,
  targetInstanceId: null,
  deviceIndex: null,
  attachType: 0,
  attachedAt: null,
  securityGroupIds: [],
  tags: [],
  qosLevel: 'DEFAULT',
  trunking: false,
  autoDelete: false,
  createdAt: T0,
  ips: addresses.map((a, i) => ip(sub.id, a, id, i === 0)),
  ...over,
});
const task = (id: string, over: Partial<Omit<Task, 'seq'>> = {}): Omit<Task, 'seq'> => ({
  id,
  accountId: SCOPE.accountId,
  region: SCOPE.region,
  kind: 'eni.attach',
  status: 'RUNNING',
  payload: { eniId: 'eni-00000001', nested: { list: [1, 2] } },
  resourceIds: ['eni-00000001', 'ins-00000001'],
  errorCode: null,
  errorMessage: null,
  dueAt: T0,
  leaseOwner: null,
  leaseExpiresAt: null,
  attempts: 0,
  createdAt: T0,
  finishedAt: null,
  provider: 'tencent',
  dialect: 'tencent3',
  pollsLeft: null,
  ...over,
});

/** The usual world: one VPC, one subnet, one instance in SCOPE. */
async function seedNetwork(store: Store): Promise<{ sub: Subnet; ins: Instance }> {
  const v = vpc('vpc-00000001');
  const sub = subnet('subnet-00000001', v.id);
  const ins = instance('ins-00000001', v.id, sub.id);
  await store.write(async (tx) => {
    await tx.insertAccount(account());
    await tx.insertVpc(v);
    await tx.insertSubnet(sub);
    await tx.insertInstance(ins);
  });
  return { sub, ins };
}


const rejectsBecauseOf = async (p: Promise<unknown>, what: RegExp): Promise<void> => {
  await assert.rejects(p, (e: unknown) => {
    assert.match(String((e as Error)?.message ?? e), what);
    return true;
  });
};
// Both databases name the violated constraint in their message.
const UNIQUE = /unique|duplicate|constraint/i;

for (const kind of STORE_KINDS) {
  describe(`store conformance: ${kind}`, { skip: await skipUnless(kind) }, () => {
    test('migrations are idempotent: opening the same database twice keeps the data and the schema', async () => {
      const { db, cleanup } = await freshDb(kind);
      try {
        const first = await openStore(db);
        await first.write((tx) => tx.insertAccount(account()));
        // A second store on the same database while the first is still open, then a reopen after close.
        const second = await openStore(db);
        assert.deepEqual(await second.read((tx) => tx.getAccount(SCOPE.accountId)), account());
        await second.close();
        await first.close();
        const third = await openStore(db);
        try {
          assert.deepEqual(await third.read((tx) => tx.listAccounts()), [account()]);
          await third.ping();
        } finally {
          await third.close();
        }
      } finally {
        await cleanup();
      }
    });

    test('accounts and API keys: insert, get, list', async () => {
      await withStore(kind, async (store) => {
        const a = account();
        const b = { ...account(OTHER_ACCOUNT.accountId), provider: 'jdcloud' as const, createdAt: T0 + 1 };
        await store.write(async (tx) => {
          await tx.insertAccount(b);
          await tx.insertAccount(a);
          await tx.insertKey(key('AKID1'));
          await tx.insertKey({ ...key('AKID2', b.id), status: 'disabled' });
        });
        await store.read(async (tx) => {
          assert.deepEqual(await tx.getAccount(a.id), a);
          assert.equal(await tx.getAccount('acc-missing'), undefined);
          // Ordered by creation time.
          assert.deepEqual(await tx.listAccounts(), [a, b]);
          assert.deepEqual(await tx.getKey('AKID1'), key('AKID1'));
          assert.deepEqual(await tx.getKey('AKID2'), { ...key('AKID2', b.id), status: 'disabled' });
          assert.equal(await tx.getKey('AKID-nope'), undefined);
        });
        // The primary key holds: the same account id twice is refused.
        await rejectsBecauseOf(store.write((tx) => tx.insertAccount(a)), UNIQUE);
      });
    });

    test('VPCs and subnets: insert, get, list (by VPC), count, delete', async () => {
      await withStore(kind, async (store) => {
        const v1 = vpc('vpc-00000001');
        const v2 = vpc('vpc-00000002', SCOPE, T0 + 5);
        const s1 = subnet('subnet-00000001', v1.id);
        const s2 = { ...subnet('subnet-00000002', v2.id, SCOPE, T0 + 5), cidr: '10.0.2.0/24', isDefault: true };
        await store.write(async (tx) => {
          await tx.insertVpc(v2);
          await tx.insertVpc(v1);
          await tx.insertSubnet(s2);
          await tx.insertSubnet(s1);
        });
        await store.read(async (tx) => {
          assert.deepEqual(await tx.getVpc(SCOPE, v1.id), v1);
          assert.deepEqual(await tx.listVpcs(SCOPE), [v1, v2]);
          assert.deepEqual(await tx.getSubnet(SCOPE, s2.id), s2);
          assert.deepEqual(await tx.listSubnets(SCOPE), [s1, s2]);
          assert.deepEqual(await tx.listSubnets(SCOPE, v2.id), [s2]);
          assert.deepEqual(await tx.listSubnets(SCOPE, 'vpc-none'), []);
        });
        await store.write(async (tx) => {
          await tx.deleteSubnet(s2.id);
          await tx.deleteVpc(v2.id);
        });
        await store.read(async (tx) => {
          assert.equal(await tx.getSubnet(SCOPE, s2.id), undefined);
          assert.equal(await tx.getVpc(SCOPE, v2.id), undefined);
          assert.deepEqual(await tx.listVpcs(SCOPE), [v1]);
        });
      });
    });

    test('VPCs and subnets: update rewrites every column (name, DNS, route table, broadcast, tags)', async () => {
      await withStore(kind, async (store) => {
        const v = vpc('vpc-00000001');
        const sn = subnet('subnet-00000001', v.id);
        await store.write(async (tx) => {
          await tx.insertVpc(v);
          await tx.insertSubnet(sn);
        });
        const v2: Vpc = { ...v, name: 'renamed', enableMulticast: false, dnsServers: ['10.0.0.2'], domainName: 'x.internal', routeTableId: 'rtb-00000009', tags: [{ key: 'a', value: 'b' }] };
        const s2: Subnet = { ...sn, name: 'renamed', enableBroadcast: false, tags: [{ key: 'c', value: '' }] };
        await store.write(async (tx) => {
          await tx.updateVpc(v2);
          await tx.updateSubnet(s2);
        });
        await store.read(async (tx) => {
          assert.deepEqual(await tx.getVpc(SCOPE, v.id), v2);
          assert.deepEqual(await tx.getSubnet(SCOPE, sn.id), s2);
        });
      });
    });

    test('security groups: insert, get, list (by VPC), update rules and tags, members, owned elsewhere, delete', async () => {
      await withStore(kind, async (store) => {
        const { sub, ins } = await seedNetwork(store);
        const rule = (id: string, direction: 'ingress' | 'egress', ports: string) => ({
          id, direction, protocol: 'TCP', ports, cidr: '10.0.0.0/8', ipv6Cidr: '', peerGroupId: '', action: 'ACCEPT' as const, description: `rule ${id}`, modifiedAt: T0,
        });
        const g1: SecurityGroup = {
          id: 'sg-00000001', accountId: SCOPE.accountId, region: SCOPE.region, vpcId: '', name: 'web', description: 'd', projectId: '0', isDefault: false,
          tags: [{ key: 'team', value: 'net' }], policyVersion: 2, rules: [rule('sgr-1', 'ingress', '22'), rule('sgr-2', 'ingress', '80,443'), rule('sgr-3', 'egress', 'ALL')],
          createdAt: T0, updatedAt: T0 + 1,
        };
        const g2: SecurityGroup = { ...g1, id: 'sg-00000002', vpcId: sub.vpcId, name: 'db', rules: [], policyVersion: 0, createdAt: T0 + 5 };
        const foreign: SecurityGroup = { ...g1, id: 'sg-00000003', accountId: 'acc-other' };
        await store.write(async (tx) => {
          await tx.insertSecurityGroup(g2);
          await tx.insertSecurityGroup(g1);
          await tx.insertSecurityGroup(foreign);
        });
        await store.read(async (tx) => {
          assert.deepEqual(await tx.getSecurityGroup(SCOPE, g1.id), g1);
          assert.deepEqual(await tx.listSecurityGroups(SCOPE), [g1, g2]);
          assert.deepEqual(await tx.listSecurityGroups(SCOPE, sub.vpcId), [g2]);
          assert.equal(await tx.getSecurityGroup(SCOPE, foreign.id), undefined);
          assert.equal(await tx.securityGroupOwnedElsewhere(foreign.id, SCOPE.accountId), true);
          assert.equal(await tx.securityGroupOwnedElsewhere(g1.id, SCOPE.accountId), false);
          // The seeded instance names sg-00000001; an id that only shares a prefix is no member.
          assert.deepEqual(await tx.securityGroupMembers(SCOPE, g1.id), { enis: [], primaryEnis: [], instances: [ins.id] });
          assert.deepEqual(await tx.securityGroupMembers(SCOPE, 'sg-0000000'), { enis: [], primaryEnis: [], instances: [] });
        });
        const e = { ...eni('eni-00000001', sub, ['10.0.1.20']), securityGroupIds: [g2.id, g1.id] };
        const changed: SecurityGroup = { ...g1, rules: [g1.rules[1]!, g1.rules[0]!], policyVersion: 3, tags: [], updatedAt: T0 + 9 };
        await store.write(async (tx) => {
          await tx.insertEni(e);
          await tx.lockSecurityGroup(g1.id);
          await tx.updateSecurityGroup(changed);
        });
        await store.read(async (tx) => {
          assert.deepEqual(await tx.getSecurityGroup(SCOPE, g1.id), changed, 'the rules keep their new order');
          assert.deepEqual(await tx.securityGroupMembers(SCOPE, g2.id), { enis: [e.id], primaryEnis: [], instances: [] });
        });
        await store.write((tx) => tx.deleteSecurityGroup(g2.id));
        assert.deepEqual(await store.read((tx) => tx.listSecurityGroups(SCOPE)), [changed]);
      });
    });

    test('events: every resource write and task start and end is captured in its transaction, with the store clock; rolled back writes leave none; bulk rewrites are one world event', async () => {
      const clock = new FakeClock(T0 + 5_000);
      await withStore(kind, async (store) => {
        const { sub, ins } = await seedNetwork(store);
        const e1 = eni('eni-00000001', sub, ['10.0.1.10']);
        clock.advance(1_000);
        await store.write(async (tx) => {
          await tx.insertEni(e1);
          await tx.updateEni({ ...e1, state: 'ATTACHING', targetInstanceId: ins.id });
        });
        // Written, then rolled back: nothing of it may show.
        await assert.rejects(store.write(async (tx) => {
          await tx.updateEni({ ...e1, state: 'DELETING' });
          throw new Error('changed my mind');
        }));
        const t = await store.write((tx) => tx.insertTask(task('task-events-1')));
        await store.write(async (tx) => {
          await tx.renewLease(t.id, 'someone', T0 + 99_000);
          await tx.finishTask(t.id, 'FAILED', T0, { code: 'X', message: 'y' });
        });
        await store.write((tx) => tx.deleteEni(e1.id));
        const events = await store.read((tx) => tx.listEvents(0, 100));
        const brief = events.map((e) => `${e.kind} ${e.id} ${e.change}`);
        assert.deepEqual(brief, [
          'vpc vpc-00000001 created',
          'subnet subnet-00000001 created',
          'instance ins-00000001 created',
          'eni eni-00000001 created',
          'privateIp 10.0.1.10 created',
          'eni eni-00000001 changed',
          // A lease renewal is not an event; the task's start and its end are.
          'task task-events-1 created',
          'task task-events-1 changed',
          // Addresses go with their ENI (the order of the two follows the store's delete).
          ...brief.slice(8).filter((b) => b.startsWith('privateIp') || b.startsWith('eni')),
        ]);
        assert.deepEqual(new Set(brief.slice(8)), new Set(['privateIp 10.0.1.10 deleted', 'eni eni-00000001 deleted']));
        const seqs = events.map((e) => e.seq);
        assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
        const changed = events.find((e) => e.kind === 'eni' && e.change === 'changed')!;
        assert.equal(changed.at, T0 + 6_000);
        assert.deepEqual([changed.accountId, changed.region], [SCOPE.accountId, SCOPE.region]);
        assert.equal(changed.before!['state'], 'AVAILABLE');
        assert.deepEqual([changed.after!['state'], changed.after!['targetInstanceId']], ['ATTACHING', ins.id]);
        const created = events.find((e) => e.kind === 'eni' && e.change === 'created')!;
        assert.equal(created.before, null);
        const ipCreated = events.find((e) => e.kind === 'privateIp')!;
        assert.deepEqual([ipCreated.accountId, ipCreated.after!['eniId']], [SCOPE.accountId, e1.id]);
        const ended = events.find((e) => e.kind === 'task' && e.change === 'changed')!;
        assert.deepEqual([ended.before!['status'], ended.after!['status'], ended.after!['errorCode'], ended.after!['operation']], ['RUNNING', 'FAILED', 'X', 'eni.attach']);
        assert.equal(await store.read((tx) => tx.lastEventSeq()), seqs.at(-1));

        // A reset and an import are one event each, whatever they remove or load.
        const doc = await store.read((tx) => tx.exportWorld());
        const last = seqs.at(-1)!;
        await store.write((tx) => tx.resetWorld(SCOPE.accountId));
        await store.write((tx) => tx.importWorld(doc));
        // Capture is back on after them, in the same and in later writes.
        await store.write((tx) => tx.updateInstance({ ...ins, name: 'renamed' }));
        const after = await store.read((tx) => tx.listEvents(last, 100));
        assert.deepEqual(after.map((e) => `${e.kind} ${e.id} ${e.change}`), [`world ${SCOPE.accountId} reset`, 'world  imported', 'instance ins-00000001 changed']);
        assert.deepEqual([after[2]!.before!['name'], after[2]!.after!['name']], [ins.name, 'renamed']);
        // Pruning keeps the newest.
        assert.equal(await store.write((tx) => tx.pruneEvents(2)), seqs.length + 1);
        assert.deepEqual((await store.read((tx) => tx.listEvents(0, 100))).map((e) => e.seq), after.slice(1).map((e) => e.seq));
      }, { clock });
    });

    test('setIpDescription changes one address of one subnet', async () => {
      await withStore(kind, async (store) => {
        const { sub } = await seedNetwork(store);
        const e = eni('eni-00000001', sub, ['10.0.1.30', '10.0.1.31']);
        await store.write((tx) => tx.insertEni(e));
        await store.write((tx) => tx.setIpDescription(sub.id, '10.0.1.31', 'the second'));
        const got = await store.read((tx) => tx.getEni(SCOPE, e.id));
        assert.deepEqual(got!.ips.map((i) => [i.address, i.description]), [['10.0.1.30', e.ips[0]!.description], ['10.0.1.31', 'the second']]);
      });
    });

    test('instances: insert, get, list (all and by ids), update, count, delete', async () => {
      await withStore(kind, async (store) => {
        const { sub, ins } = await seedNetwork(store);
        const later = { ...instance('ins-00000002', sub.vpcId, sub.id, SCOPE, T0 + 10), latestOperation: null, latestOperationState: null, latestOperationRequestId: null };
        await store.write((tx) => tx.insertInstance(later));
        await store.read(async (tx) => {
          assert.deepEqual(await tx.getInstance(SCOPE, ins.id), ins);
          assert.deepEqual(await tx.listInstances(SCOPE), [ins, later]);
          assert.deepEqual(await tx.listInstances(SCOPE, [later.id, 'ins-missing']), [later]);
          assert.deepEqual(await tx.listInstances(SCOPE, []), []);
          assert.equal(await tx.countInstancesIn('vpc', sub.vpcId), 2);
          assert.equal(await tx.countInstancesIn('subnet', sub.id), 2);
          assert.equal(await tx.countInstancesIn('subnet', 'subnet-none'), 0);
        });
        const stopped: Instance = { ...ins, state: 'STOPPED', latestOperation: 'StopInstances', latestOperationState: 'FAILED', latestOperationError: 'boom', tags: [] };
        await store.write((tx) => tx.updateInstance(stopped));
        assert.deepEqual(await store.read((tx) => tx.getInstance(SCOPE, ins.id)), stopped);
        await store.write((tx) => tx.deleteInstance(ins.id));
        assert.equal(await store.read((tx) => tx.getInstance(SCOPE, ins.id)), undefined);
        assert.deepEqual(await store.read((tx) => tx.listInstances(SCOPE)), [later]);
      });
    });

    test('ENIs with their IPs: insert, get, list by query, update, address methods, delete', async () => {
      await withStore(kind, async (store) => {
        const { sub, ins } = await seedNetwork(store);
        // Addresses given out of order come back primary first, then by numeric address.
        const e1 = eni('eni-00000001', sub, ['10.0.1.10', '10.0.1.100', '10.0.1.9']);
        const e2 = eni('eni-00000002', sub, ['10.0.1.11'], {
          primary: true,
          instanceId: ins.id,
          deviceIndex: 0,
          attachedAt: T0,
          attachType: 1,
          trunking: true,
          tags: [{ key: 'a', value: 'b' }],
          securityGroupIds: ['sg-1', 'sg-2'],
          createdAt: T0 + 1,
        });
        await store.write(async (tx) => {
          await tx.insertEni(e1);
          await tx.insertEni(e2);
        });
        const sortedE1 = { ...e1, ips: [e1.ips[0]!, e1.ips[2]!, e1.ips[1]!] };
        assert.deepEqual(sortedE1.ips.map((i) => i.address), ['10.0.1.10', '10.0.1.9', '10.0.1.100']);
        await store.read(async (tx) => {
          assert.deepEqual(await tx.getEni(SCOPE, e1.id), sortedE1);
          assert.deepEqual(await tx.getEni(SCOPE, e2.id), e2);
          assert.deepEqual((await tx.listEnis(SCOPE)).map((e) => e.id), [e1.id, e2.id]);
          assert.deepEqual((await tx.listEnis(SCOPE, { ids: [e2.id] })).map((e) => e.id), [e2.id]);
          assert.deepEqual(await tx.listEnis(SCOPE, { ids: [] }), []);
          assert.deepEqual((await tx.listEnis(SCOPE, { instanceId: ins.id })).map((e) => e.id), [e2.id]);
          assert.deepEqual((await tx.listEnis(SCOPE, { subnetId: sub.id, vpcId: sub.vpcId })).map((e) => e.id), [e1.id, e2.id]);
          assert.deepEqual(await tx.listEnis(SCOPE, { vpcId: 'vpc-none' }), []);
          assert.equal(await tx.countEnisIn('vpc', sub.vpcId), 2);
          assert.equal(await tx.countEnisIn('subnet', sub.id), 2);
          assert.deepEqual((await tx.usedAddresses(sub.id)).sort(), ['10.0.1.10', '10.0.1.100', '10.0.1.11', '10.0.1.9']);
          assert.equal(await tx.macExists(e1.mac), true);
          assert.equal(await tx.macExists('20:90:6F:FF:FF:FF'), false);
          assert.deepEqual(await tx.enisLinkedTo(ins.id), [e2.id]);
          assert.deepEqual(await tx.usedDeviceIndexes(ins.id), [0]);
        });

        // updateEni saves the ENI's own columns and leaves its addresses alone.
        const moved: Eni = { ...sortedE1, state: 'ATTACHING', targetInstanceId: ins.id, deviceIndex: 1, name: 'renamed', ips: [] };
        await store.write((tx) => tx.updateEni(moved));
        const after = await store.read((tx) => tx.getEni(SCOPE, e1.id));
        assert.deepEqual(after, { ...moved, ips: sortedE1.ips });
        assert.deepEqual((await store.read((tx) => tx.usedDeviceIndexes(ins.id))).sort(), [0, 1]);
        assert.deepEqual(await store.read((tx) => tx.enisLinkedTo(ins.id)), [e1.id, e2.id]);

        // Address methods: add, change state, move to another ENI, delete.
        await store.write(async (tx) => {
          await tx.insertIps([ip(sub.id, '10.0.1.50', e1.id)]);
          await tx.setIpState(sub.id, ['10.0.1.50', '10.0.1.9'], 'DELETING');
          await tx.moveIp(sub.id, '10.0.1.100', e2.id, 'MIGRATING');
        });
        await store.read(async (tx) => {
          const a = (await tx.getEni(SCOPE, e1.id))!;
          assert.deepEqual(a.ips.map((i) => [i.address, i.state]), [['10.0.1.10', 'AVAILABLE'], ['10.0.1.9', 'DELETING'], ['10.0.1.50', 'DELETING']]);
          const b = (await tx.getEni(SCOPE, e2.id))!;
          assert.deepEqual(b.ips.map((i) => [i.address, i.eniId, i.state]), [['10.0.1.11', e2.id, 'AVAILABLE'], ['10.0.1.100', e2.id, 'MIGRATING']]);
        });
        await store.write((tx) => tx.deleteIps(sub.id, ['10.0.1.50', '10.0.1.9']));
        assert.deepEqual((await store.read((tx) => tx.getEni(SCOPE, e1.id)))!.ips.map((i) => i.address), ['10.0.1.10']);

        // Deleting an ENI deletes its addresses too, so they can be handed out again.
        await store.write((tx) => tx.deleteEni(e1.id));
        await store.read(async (tx) => {
          assert.equal(await tx.getEni(SCOPE, e1.id), undefined);
          assert.deepEqual((await tx.usedAddresses(sub.id)).sort(), ['10.0.1.100', '10.0.1.11']);
          assert.equal(await tx.macExists(e1.mac), false);
        });
        await store.write((tx) => tx.insertEni(eni('eni-00000003', sub, ['10.0.1.10'])));
      });
    });

    test('scope isolation: another account or another region sees nothing', async () => {
      await withStore(kind, async (store) => {
        const { sub, ins } = await seedNetwork(store);
        const e = eni('eni-00000001', sub, ['10.0.1.10']);
        await store.write((tx) => tx.insertEni(e));
        for (const other of [OTHER_ACCOUNT, OTHER_REGION]) {
          await store.read(async (tx) => {
            assert.equal(await tx.getVpc(other, sub.vpcId), undefined);
            assert.deepEqual(await tx.listVpcs(other), []);
            assert.equal(await tx.getSubnet(other, sub.id), undefined);
            assert.deepEqual(await tx.listSubnets(other), []);
            assert.deepEqual(await tx.listSubnets(other, sub.vpcId), []);
            assert.equal(await tx.getInstance(other, ins.id), undefined);
            assert.deepEqual(await tx.listInstances(other), []);
            assert.deepEqual(await tx.listInstances(other, [ins.id]), []);
            assert.equal(await tx.getEni(other, e.id), undefined);
            assert.deepEqual(await tx.listEnis(other), []);
            assert.deepEqual(await tx.listEnis(other, { ids: [e.id], vpcId: sub.vpcId }), []);
          });
        }
        // The owner still sees everything.
        await store.read(async (tx) => {
          assert.ok(await tx.getVpc(SCOPE, sub.vpcId));
          assert.ok(await tx.getEni(SCOPE, e.id));
        });
      });
    });

    test('private IP uniqueness is enforced by the database and rolls back the whole write', async () => {
      await withStore(kind, async (store) => {
        const { sub } = await seedNetwork(store);
        await store.write((tx) => tx.insertEni(eni('eni-00000001', sub, ['10.0.1.10'])));
        // In one transaction: a VPC, a good ENI, then an ENI reusing 10.0.1.10 in the same subnet.
        await rejectsBecauseOf(
          store.write(async (tx) => {
            await tx.insertVpc(vpc('vpc-rollback'));
            await tx.insertEni(eni('eni-00000002', sub, ['10.0.1.20']));
            await tx.insertEni(eni('eni-00000003', sub, ['10.0.1.30', '10.0.1.10']));
          }),
          UNIQUE,
        );
        await store.read(async (tx) => {
          assert.equal(await tx.getVpc(SCOPE, 'vpc-rollback'), undefined);
          assert.equal(await tx.getEni(SCOPE, 'eni-00000002'), undefined);
          assert.equal(await tx.getEni(SCOPE, 'eni-00000003'), undefined);
          assert.deepEqual(await tx.usedAddresses(sub.id), ['10.0.1.10']);
          assert.deepEqual((await tx.getEni(SCOPE, 'eni-00000001'))!.ips.map((i) => i.eniId), ['eni-00000001']);
        });
        // insertIps of a held address fails the same way.
        await rejectsBecauseOf(store.write((tx) => tx.insertIps([ip(sub.id, '10.0.1.10', 'eni-00000001')])), UNIQUE);
        // The same address in another subnet is fine.
        const other = { ...subnet('subnet-00000002', sub.vpcId), cidr: '10.0.1.0/24' };
        await store.write(async (tx) => {
          await tx.insertSubnet(other);
          await tx.insertEni(eni('eni-00000004', other, ['10.0.1.10']));
        });
        assert.deepEqual(await store.read((tx) => tx.usedAddresses(other.id)), ['10.0.1.10']);
      });
    });

    test('MAC uniqueness is enforced by the database', async () => {
      await withStore(kind, async (store) => {
        const { sub } = await seedNetwork(store);
        const a = eni('eni-00000001', sub, ['10.0.1.10']);
        await store.write((tx) => tx.insertEni(a));
        await rejectsBecauseOf(store.write((tx) => tx.insertEni(eni('eni-00000002', sub, ['10.0.1.20'], { mac: a.mac }))), UNIQUE);
        await store.read(async (tx) => {
          assert.equal(await tx.getEni(SCOPE, 'eni-00000002'), undefined);
          // The failed ENI's address did not stay behind.
          assert.deepEqual(await tx.usedAddresses(sub.id), ['10.0.1.10']);
        });
      });
    });

    test('write transactions are atomic: a throw inside write persists nothing and read sees the last commit', async () => {
      await withStore(kind, async (store) => {
        const { sub, ins } = await seedNetwork(store);
        const boom = new Error('boom inside the transaction');
        await assert.rejects(
          store.write(async (tx) => {
            await tx.insertVpc(vpc('vpc-00000009'));
            await tx.insertEni(eni('eni-00000001', sub, ['10.0.1.10']));
            await tx.updateInstance({ ...ins, state: 'STOPPED' });
            await tx.deleteSubnet(sub.id);
            await tx.insertTask(task('task-rolled-back'));
            // Inside the transaction the changes are visible...
            assert.ok(await tx.getVpc(SCOPE, 'vpc-00000009'));
            throw boom;
          }),
          (e) => e === boom,
        );
        // ...and after it nothing of them is.
        await store.read(async (tx) => {
          assert.equal(await tx.getVpc(SCOPE, 'vpc-00000009'), undefined);
          assert.equal(await tx.getEni(SCOPE, 'eni-00000001'), undefined);
          assert.deepEqual(await tx.usedAddresses(sub.id), []);
          assert.equal((await tx.getInstance(SCOPE, ins.id))!.state, 'RUNNING');
          assert.ok(await tx.getSubnet(SCOPE, sub.id));
          assert.equal(await tx.getTask('task-rolled-back'), undefined);
        });
        // The store is usable after the rollback, and write returns fn's value.
        assert.equal(await store.write(async (tx) => (await tx.insertVpc(vpc('vpc-0000000a')), 42)), 42);
        assert.ok(await store.read((tx) => tx.getVpc(SCOPE, 'vpc-0000000a')));
      });
    });

    test('tasks: insertTask returns increasing seq; getTask and getTaskBySeq round-trip', async () => {
      await withStore(kind, async (store) => {
        const t1 = await store.write((tx) => tx.insertTask(task('task-1')));
        const [t2, t3] = await store.write(async (tx) => [await tx.insertTask(task('task-2')), await tx.insertTask(task('task-3'))]);
        assert.ok(Number.isInteger(t1.seq) && t1.seq > 0, `seq ${t1.seq}`);
        assert.ok(t2!.seq > t1.seq && t3!.seq > t2!.seq, `seqs ${t1.seq}, ${t2!.seq}, ${t3!.seq}`);
        assert.deepEqual(await store.read((tx) => tx.getTask('task-2')), t2);
        assert.deepEqual(await store.read((tx) => tx.getTaskBySeq(t3!.seq)), t3);
        assert.equal(typeof (await store.read((tx) => tx.getTask('task-1')))!.seq, 'number');
        assert.equal(await store.read((tx) => tx.getTask('task-none')), undefined);
        assert.equal(await store.read((tx) => tx.getTaskBySeq(999_999)), undefined);
        // A task id is unique.
        await rejectsBecauseOf(store.write((tx) => tx.insertTask(task('task-1'))), UNIQUE);
        const t4 = await store.write((tx) => tx.insertTask(task('task-4')));
        assert.ok(t4.seq > t3!.seq);
      });
    });

    test('claimDueTasks honours due_at, order, limit and leases; expired leases are reclaimed', async () => {
      await withStore(kind, async (store) => {
        const LEASE = 15_000;
        await store.write(async (tx) => {
          await tx.insertTask(task('t-late', { dueAt: T0 + 1000 }));
          await tx.insertTask(task('t-a', { dueAt: T0 }));
          await tx.insertTask(task('t-b', { dueAt: T0 - 10 }));
          await tx.insertTask(task('t-done', { dueAt: T0 - 100, status: 'SUCCESS', finishedAt: T0 }));
        });
        assert.equal(await store.read((tx) => tx.nextDueAt()), T0 - 10);

        // Earliest due first; limit respected; finished and not-yet-due tasks never claimed.
        const first = await store.write((tx) => tx.claimDueTasks(T0, 'node-1', LEASE, 1));
        assert.deepEqual(first.map((t) => [t.id, t.leaseOwner, t.leaseExpiresAt, t.attempts]), [['t-b', 'node-1', T0 + LEASE, 1]]);
        const second = await store.write((tx) => tx.claimDueTasks(T0, 'node-2', LEASE, 10));
        assert.deepEqual(second.map((t) => t.id), ['t-a']);
        // Everything due is leased now: nobody gets anything, even a while later.
        assert.deepEqual(await store.write((tx) => tx.claimDueTasks(T0 + 999, 'node-3', LEASE, 10)), []);
        // Once due, the late task is claimable, but the leased ones still are not.
        assert.deepEqual((await store.write((tx) => tx.claimDueTasks(T0 + 1000, 'node-3', LEASE, 10))).map((t) => t.id), ['t-late']);
        // At exactly the expiry the lease still holds; just after, it is reclaimed by another node.
        assert.deepEqual(await store.write((tx) => tx.claimDueTasks(T0 + LEASE, 'node-4', LEASE, 10)), []);
        const reclaimed = await store.write((tx) => tx.claimDueTasks(T0 + LEASE + 1, 'node-4', LEASE, 10));
        // (The claimed batch comes back in seq order, whatever order the due times picked it in.)
        assert.deepEqual(reclaimed.map((t) => [t.id, t.leaseOwner, t.attempts]).sort(), [['t-a', 'node-4', 2], ['t-b', 'node-4', 2]]);
        const stored = await store.read((tx) => tx.getTask('t-done'));
        assert.equal(stored!.leaseOwner, null);
        assert.equal(stored!.attempts, 0);
      });
    });

    test('finishTask ends a task; releaseAllLeases and releaseLeasesOf free leases of running tasks only', async () => {
      await withStore(kind, async (store) => {
        await store.write(async (tx) => {
          for (const id of ['t-1', 't-2', 't-3', 't-4']) await tx.insertTask(task(id, { resourceIds: [`eni-${id}`] }));
        });
        const claimed = await store.write((tx) => tx.claimDueTasks(T0, 'node-1', 15_000, 3));
        assert.deepEqual(claimed.map((t) => t.id), ['t-1', 't-2', 't-3']);
        await store.write((tx) => tx.finishTask('t-1', 'SUCCESS', T0 + 5));
        await store.write((tx) => tx.finishTask('t-2', 'FAILED', T0 + 6, { code: 'DataplaneFailure', message: 'injected' }));
        const [t1, t2] = await store.read(async (tx) => [await tx.getTask('t-1'), await tx.getTask('t-2')]);
        assert.deepEqual(
          [t1!.status, t1!.finishedAt, t1!.leaseOwner, t1!.leaseExpiresAt, t1!.errorCode, t1!.errorMessage],
          ['SUCCESS', T0 + 5, null, null, null, null],
        );
        assert.deepEqual([t2!.status, t2!.finishedAt, t2!.leaseOwner, t2!.errorCode, t2!.errorMessage], ['FAILED', T0 + 6, null, 'DataplaneFailure', 'injected']);
        assert.equal(await store.read((tx) => tx.countTasks('RUNNING')), 2);
        assert.equal(await store.read((tx) => tx.countTasks('SUCCESS')), 1);
        assert.equal(await store.read((tx) => tx.countTasks('FAILED')), 1);

        // Only t-3 is running and leased.
        assert.equal(await store.write((tx) => tx.releaseAllLeases()), 1);
        assert.equal((await store.read((tx) => tx.getTask('t-3')))!.leaseOwner, null);
        assert.equal(await store.write((tx) => tx.releaseAllLeases()), 0);
        // Freed: claimable at once, long before the old lease would have expired.
        const again = await store.write((tx) => tx.claimDueTasks(T0 + 1, 'node-2', 15_000, 10));
        assert.deepEqual(again.map((t) => t.id), ['t-3', 't-4']);
        await store.write((tx) => tx.releaseLeasesOf('node-other'));
        assert.equal((await store.read((tx) => tx.getTask('t-3')))!.leaseOwner, 'node-2');
        await store.write((tx) => tx.releaseLeasesOf('node-2'));
        assert.deepEqual((await store.write((tx) => tx.claimDueTasks(T0 + 2, 'node-3', 15_000, 10))).map((t) => t.id), ['t-3', 't-4']);
        // Finished tasks never come back and nextDueAt ignores them.
        await store.write(async (tx) => {
          await tx.finishTask('t-3', 'SUCCESS', T0 + 3);
          await tx.finishTask('t-4', 'SUCCESS', T0 + 3);
        });
        assert.deepEqual(await store.write((tx) => tx.claimDueTasks(T0 + 1_000_000, 'node-4', 15_000, 10)), []);
        assert.equal(await store.read((tx) => tx.nextDueAt()), undefined);
      });
    });

    test('runningTaskFor finds the unfinished task naming a resource, exactly', async () => {
      await withStore(kind, async (store) => {
        await store.write(async (tx) => {
          await tx.insertTask(task('t-old', { resourceIds: ['eni-00000001', 'ins-00000001'], status: 'SUCCESS' }));
          await tx.insertTask(task('t-run', { resourceIds: ['eni-00000001', 'ins-00000001'] }));
          await tx.insertTask(task('t-other', { resourceIds: ['eni-000000012'] }));
        });
        await store.read(async (tx) => {
          assert.equal((await tx.runningTaskFor('eni-00000001'))?.id, 't-run');
          assert.equal((await tx.runningTaskFor('ins-00000001'))?.id, 't-run');
          assert.equal((await tx.runningTaskFor('eni-000000012'))?.id, 't-other');
          // A prefix of an id, or an id that only appears in a finished task, does not match.
          assert.equal(await tx.runningTaskFor('eni-0000000'), undefined);
          assert.equal(await tx.runningTaskFor('ins-00000002'), undefined);
        });
        await store.write((tx) => tx.finishTask('t-run', 'FAILED', T0));
        assert.equal(await store.read((tx) => tx.runningTaskFor('eni-00000001')), undefined);
      });
    });

    test('idempotency records: put, get by (account, action, token), primary key', async () => {
      await withStore(kind, async (store) => {
        const rec = {
          accountId: SCOPE.accountId,
          action: 'AttachNetworkInterface',
          token: 'tok-1',
          paramsHash: 'abc123',
          result: { taskId: 'task-1', list: [1, 'two', null], nested: { ok: true } },
          taskId: 'task-1',
          createdAt: T0,
        };
        await store.write((tx) => tx.putIdempotency(rec));
        await store.write((tx) => tx.putIdempotency({ ...rec, action: 'CreateNetworkInterface', taskId: null, result: { eni: 'x' } }));
        await store.read(async (tx) => {
          assert.deepEqual(await tx.getIdempotency(rec.accountId, rec.action, rec.token), rec);
          assert.deepEqual((await tx.getIdempotency(rec.accountId, 'CreateNetworkInterface', rec.token))?.taskId, null);
          assert.equal(await tx.getIdempotency(OTHER_ACCOUNT.accountId, rec.action, rec.token), undefined);
          assert.equal(await tx.getIdempotency(rec.accountId, rec.action, 'tok-2'), undefined);
        });
        await rejectsBecauseOf(store.write((tx) => tx.putIdempotency({ ...rec, paramsHash: 'other' })), UNIQUE);
        assert.equal((await store.read((tx) => tx.getIdempotency(rec.accountId, rec.action, rec.token)))!.paramsHash, 'abc123');
      });
    });

    test('countEnisOn counts ENIs attached (instance_id) and arriving (target_instance_id) per attach type', async () => {
      await withStore(kind, async (store) => {
        const { sub, ins } = await seedNetwork(store);
        const other = instance('ins-00000002', sub.vpcId, sub.id);
        await store.write(async (tx) => {
          await tx.insertInstance(other);
          await tx.insertEni(eni('eni-00000001', sub, ['10.0.1.10'], { primary: true, instanceId: ins.id, deviceIndex: 0 }));
          await tx.insertEni(eni('eni-00000002', sub, ['10.0.1.11'], { instanceId: ins.id, deviceIndex: 1 }));
          await tx.insertEni(eni('eni-00000003', sub, ['10.0.1.12'], { state: 'ATTACHING', targetInstanceId: ins.id, deviceIndex: 2 }));
          // Migrating from `other` to `ins`: counts on both.
          await tx.insertEni(eni('eni-00000004', sub, ['10.0.1.13'], { state: 'ATTACHING', instanceId: other.id, targetInstanceId: ins.id, deviceIndex: 3 }));
          await tx.insertEni(eni('eni-00000005', sub, ['10.0.1.14'], { instanceId: ins.id, attachType: 1, deviceIndex: 4 }));
          await tx.insertEni(eni('eni-00000006', sub, ['10.0.1.15']));
        });
        await store.read(async (tx) => {
          assert.equal(await tx.countEnisOn(ins.id, 0), 4);
          assert.equal(await tx.countEnisOn(ins.id, 1), 1);
          assert.equal(await tx.countEnisOn(other.id, 0), 1);
          assert.equal(await tx.countEnisOn('ins-none', 0), 0);
          assert.deepEqual(await tx.enisLinkedTo(other.id), ['eni-00000004']);
          assert.deepEqual((await tx.usedDeviceIndexes(ins.id)).sort(), [0, 1, 2, 3, 4]);
        });
      });
    });

    test('lock() is accepted inside a write on every store, also for missing ids', async () => {
      await withStore(kind, async (store) => {
        const { ins } = await seedNetwork(store);
        await store.write(async (tx) => {
          await tx.lock({ instances: [ins.id, ins.id, 'ins-missing'], enis: ['eni-missing'] });
          await tx.lock({});
        });
      });
    });

    if (kind === 'postgres') {
      test('postgres: stores opened concurrently on one database migrate it once, safely', async () => {
        const { db, cleanup } = await freshDb(kind);
        const stores: Store[] = [];
        try {
          const opened = await Promise.allSettled(Array.from({ length: 4 }, () => openStore(db)));
          for (const o of opened) if (o.status === 'fulfilled') stores.push(o.value);
          const failures = opened.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason));
          assert.deepEqual(failures, []);
          const [a, b] = stores;
          await a!.write((tx) => tx.insertAccount(account()));
          assert.deepEqual(await b!.read((tx) => tx.listAccounts()), [account()]);
          // The migration ran exactly once per migration name.
          const pg = (await import('pg')).default;
          const c = new pg.Client({ connectionString: db });
          await c.connect();
          try {
            const r = await c.query('select name, count(*)::int as n from kysely_migration group by name');
            assert.ok(r.rows.length >= 1);
            for (const row of r.rows) assert.equal(row.n, 1, `migration ${row.name}`);
          } finally {
            await c.end();
          }
        } finally {
          for (const s of stores) await s.close();
          await cleanup();
        }
      });

      test('postgres: claimDueTasks from two stores at once never hands the same task to both', async () => {
        const { db, cleanup } = await freshDb(kind);
        const a = await openStore(db);
        const b = await openStore(db);
        try {
          const N = 60;
          await a.write(async (tx) => {
            for (let i = 0; i < N; i++) await tx.insertTask(task(`t-${String(i).padStart(3, '0')}`, { dueAt: T0 - i }));
          });
          const seen = new Map<string, string>();
          let rounds = 0;
          // Many small concurrent claims from both stores until everything is taken.
          for (;;) {
            rounds++;
            const batches = await Promise.all(
              [a, b, a, b, a, b].map((s, i) => s.write((tx) => tx.claimDueTasks(T0, `node-${i}`, 15_000, 4))),
            );
            let got = 0;
            batches.forEach((batch, i) => {
              for (const t of batch) {
                const prev = seen.get(t.id);
                assert.equal(prev, undefined, `task ${t.id} handed to ${prev} and to node-${i}`);
                seen.set(t.id, `node-${i}`);
                assert.equal(t.leaseOwner, `node-${i}`);
                assert.equal(t.attempts, 1);
                got++;
              }
            });
            if (got === 0) break;
            assert.ok(rounds < 50, 'claiming should finish');
          }
          assert.equal(seen.size, N);
          // Every task carries exactly one claim.
          const all = await a.read(async (tx) => Promise.all([...seen.keys()].map((id) => tx.getTask(id))));
          for (const t of all) {
            assert.equal(t!.attempts, 1, `${t!.id} attempts`);
            assert.equal(t!.leaseOwner, seen.get(t!.id));
          }
        } finally {
          await a.close();
          await b.close();
          await cleanup();
        }
      });
    }
  });
}
