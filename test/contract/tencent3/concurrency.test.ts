// Invariants 1 and 2 under concurrent API 3.0 requests, on both stores: one ENI raced onto 20
// instances is attached exactly once; an instance's ENI quota (primary included) is never exceeded,
// at any observed moment, by concurrent attaches. On PostgreSQL the requests are spread over two
// eniplane nodes sharing the database (one region cell), as DESIGN.md "Concurrency" describes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startServer, type AccountInfo, type RunningServer } from '../../support/server.ts';
import { cvmClient, type CvmClient, type Eni, errCode, tagClient, vpcClient, type VpcClient } from '../../support/tencent3/client.ts';
import { holderOf, listEnis, mustGetEni, waitEniReady, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { buildWorld, runInstances } from '../../support/tencent3/world.ts';
import { pollUntil } from '../../support/poll.ts';
import { freshDb, skipUnless, STORE_KINDS, type StoreKind } from '../../support/stores.ts';

const LATENCY = '20';
const BUSY = new Set(['UnsupportedOperation.MutexOperationTaskRunning', 'UnsupportedOperation.InvalidState']);
const TRANSITIONAL = new Set(['PENDING', 'ATTACHING', 'DETACHING', 'DELETING']);

interface Cell {
  servers: RunningServer[];
  creds: AccountInfo;
  /** One client pair per node; request i goes to node i % nodes. */
  vpcs: VpcClient[];
  cvms: CvmClient[];
}

/** One node on SQLite; two nodes on one PostgreSQL database. Stopped and dropped afterwards. */
async function withCell(kind: StoreKind, fn: (cell: Cell) => Promise<void>): Promise<void> {
  const { db, cleanup } = await freshDb(kind);
  const servers: RunningServer[] = [];
  try {
    servers.push(await startServer({ db, latency: LATENCY, rateLimit: 'off' }));
    if (kind === 'postgres') servers.push(await startServer({ db, latency: LATENCY, rateLimit: 'off' }));
    const creds = await servers[0]!.createAccount();
    await fn({
      servers,
      creds,
      vpcs: servers.map((s) => vpcClient(s.port, creds)),
      cvms: servers.map((s) => cvmClient(s.port, creds)),
    });
  } catch (e) {
    if (e instanceof Error) e.message += servers.map((s, i) => `\n--- node ${i} output (tail) ---\n${s.logs().slice(-3000)}`).join('');
    throw e;
  } finally {
    for (const s of servers) await s.stop().catch(() => s.kill9());
    await cleanup();
  }
}

async function createEnis(vpc: VpcClient, w: { vpcId: string; subnetId: string }, n: number, prefix: string): Promise<string[]> {
  const created = await Promise.all(
    Array.from({ length: n }, (_, i) => vpc.CreateNetworkInterface({ VpcId: w.vpcId, SubnetId: w.subnetId, NetworkInterfaceName: `${prefix}-${i}` })),
  );
  const ids = created.map((c) => c.NetworkInterface!.NetworkInterfaceId!);
  for (const id of ids) await waitEniReady(vpc, id);
  return ids;
}

/** ENIs Describe shows on (attached to, attaching to, or detaching from) the instance. */
async function enisOn(vpc: VpcClient, instanceId: string): Promise<Eni[]> {
  const { NetworkInterfaceSet, TotalCount } = await vpc.DescribeNetworkInterfaces({
    Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }],
    Limit: 100,
  });
  assert.equal(TotalCount, NetworkInterfaceSet!.length);
  return NetworkInterfaceSet!;
}

for (const kind of STORE_KINDS) {
  describe(`concurrency on ${kind}`, { concurrency: true }, async () => {
    const skip = await skipUnless(kind);

    test('20 concurrent attaches of one ENI to 20 instances: exactly one wins (3 rounds)', { skip }, async () => {
      await withCell(kind, async (cell) => {
        const vpc = cell.vpcs[0]!;
        // LARGE8 holds 4 ENIs, so three rounds can never fill an instance: only the race decides.
        const w = await buildWorld(vpc, cell.cvms[0]!, { count: 20, type: 'S5.LARGE8' });
        const enis = await createEnis(vpc, w, 3, 'race');
        const winners: string[] = [];

        for (const [round, eniId] of enis.entries()) {
          const results = await Promise.allSettled(
            w.instanceIds.map((ins, i) => cell.vpcs[i % cell.vpcs.length]!.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: ins })),
          );
          const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ ins: w.instanceIds[i]!, requestId: r.value.RequestId! }] : []));
          const codes = results.flatMap((r) => (r.status === 'rejected' ? [errCode(r.reason) ?? String(r.reason)] : []));
          assert.equal(won.length, 1, `round ${round}: exactly one attach accepted; got ${won.length}; errors: ${codes.join(', ')}`);
          assert.equal(codes.length, 19);
          for (const c of codes) {
            assert.ok(
              c === 'UnsupportedOperation.AttachmentAlreadyExists' || c === 'UnsupportedOperation.MutexOperationTaskRunning',
              `round ${round}: unexpected refusal ${c}`,
            );
          }
          assert.ok(codes.includes('UnsupportedOperation.AttachmentAlreadyExists'));
          const winner = won[0]!;
          // While in flight, Describe already names the winner, and only it.
          const inFlight = await mustGetEni(vpc, eniId);
          assert.equal(holderOf(inFlight), winner.ins);
          await waitTaskSuccess(cell.vpcs[1 % cell.vpcs.length]!, winner.requestId);
          const settled = await mustGetEni(vpc, eniId);
          assert.equal(settled.Attachment!.InstanceId, winner.ins);
          assert.equal(settled.State, 'AVAILABLE');
          assert.equal(settled.NetworkInterfaceState, 'INUSE');
          winners.push(winner.ins);

          // Across all 20 instances exactly round+1 secondaries are attached: one per round.
          const { NetworkInterfaceSet, TotalCount } = await vpc.DescribeNetworkInterfaces({
            Filters: [
              { Name: 'attachment.instance-id', Values: w.instanceIds },
              { Name: 'is-primary', Values: ['false'] },
            ],
            Limit: 100,
          });
          assert.equal(TotalCount, round + 1);
          assert.deepEqual(NetworkInterfaceSet!.map((e) => e.NetworkInterfaceId).sort(), enis.slice(0, round + 1).sort());
          for (const e of NetworkInterfaceSet!) {
            assert.equal(e.Attachment!.InstanceId, winners[enis.indexOf(e.NetworkInterfaceId!)], `${e.NetworkInterfaceId} stays where it won`);
          }
        }
        const all = await listEnis(vpc, w.vpcId);
        assert.equal(all.length, 23, '20 primaries + 3 secondaries');
        for (const e of all) assert.ok(!TRANSITIONAL.has(e.State!), `${e.NetworkInterfaceId} ${e.State}`);
      });
    });

    test('the ENI quota (primary included) is never exceeded by concurrent attaches', { skip }, async () => {
      await withCell(kind, async (cell) => {
        const vpc = cell.vpcs[0]!;
        const w = await buildWorld(vpc, cell.cvms[0]!, { count: 1, type: 'S5.SMALL2' });
        const [large] = await runInstances(cell.cvms[0]!, w, 1, 'S5.LARGE8');
        const targets = [
          { ins: w.instanceIds[0]!, type: 'S5.SMALL2', quota: 2 },
          { ins: large!, type: 'S5.LARGE8', quota: 4 },
        ];
        for (const t of targets) {
          const limit = await vpc.DescribeNetworkInterfaceLimit({ InstanceId: t.ins });
          assert.equal(limit.EniQuantity, t.quota, `${t.type} quota`);
        }
        const N = 8;
        const pools = await Promise.all(targets.map((t, i) => createEnis(vpc, w, N, `q${i}`)));

        /** Attach ENIs of `pool` to `ins` concurrently, retrying busy refusals, until each is attached or refused for quota. */
        const fill = async (ins: string, pool: string[], round: number) => {
          const outcomes = await Promise.all(
            pool.map((eniId, i) =>
              pollUntil(
                async () => {
                  const client = cell.vpcs[(i + round) % cell.vpcs.length]!;
                  try {
                    const r = await client.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: ins });
                    return { eniId, outcome: 'attached' as const, requestId: r.RequestId! };
                  } catch (e) {
                    const code = errCode(e);
                    if (code === 'LimitExceeded') return { eniId, outcome: 'full' as const, requestId: '' };
                    if (code && BUSY.has(code)) return false;
                    throw e;
                  }
                },
                { what: `attach ${eniId} → ${ins} accepted or refused for quota`, timeoutMs: 30_000, intervalMs: 10 },
              ),
            ),
          );
          return outcomes;
        };

        /** Detach every secondary from `ins` (retrying busy refusals) and wait until only the primary is left. */
        const drain = async (ins: string) => {
          const on = (await enisOn(vpc, ins)).filter((e) => !e.Primary);
          await Promise.all(
            on.map((e) =>
              pollUntil(
                async () => {
                  try {
                    return await vpc.DetachNetworkInterface({ NetworkInterfaceId: e.NetworkInterfaceId!, InstanceId: ins });
                  } catch (err) {
                    const code = errCode(err);
                    if (code && BUSY.has(code)) return false;
                    throw err;
                  }
                },
                { what: `detach ${e.NetworkInterfaceId}`, timeoutMs: 30_000, intervalMs: 10 },
              ),
            ),
          );
          await pollUntil(async () => (await enisOn(vpc, ins)).length === 1, { what: `${ins} back to its primary only`, timeoutMs: 30_000 });
        };

        for (let round = 0; round < 2; round++) {
          // Observers sample every instance while the attach storm runs.
          let storming = true;
          const maxSeen = new Map<string, number>(targets.map((t) => [t.ins, 0]));
          const violations: string[] = [];
          const observers = targets.map((t, i) =>
            pollUntil(
              async () => {
                const on = await enisOn(cell.vpcs[i % cell.vpcs.length]!, t.ins);
                maxSeen.set(t.ins, Math.max(maxSeen.get(t.ins)!, on.length));
                if (on.length > t.quota) violations.push(`${t.type} ${t.ins} showed ${on.length} ENIs: ${on.map((e) => `${e.NetworkInterfaceId}/${e.State}`).join(' ')}`);
                return !storming;
              },
              { what: `observer of ${t.ins}`, timeoutMs: 60_000, intervalMs: 5 },
            ),
          );
          let outcomes: Awaited<ReturnType<typeof fill>>[];
          try {
            outcomes = await Promise.all(targets.map((t, i) => fill(t.ins, pools[i]!, round)));
          } finally {
            storming = false;
          }
          await Promise.all(observers);

          for (const [i, t] of targets.entries()) {
            const attached = outcomes[i]!.filter((o) => o.outcome === 'attached');
            const full = outcomes[i]!.filter((o) => o.outcome === 'full');
            assert.equal(attached.length, t.quota - 1, `${t.type} round ${round}: ${t.quota - 1} secondaries accepted`);
            assert.equal(full.length, N - (t.quota - 1), `${t.type} round ${round}: the rest refused with LimitExceeded`);
            for (const a of attached) await waitTaskSuccess(vpc, a.requestId);
            const on = await enisOn(vpc, t.ins);
            assert.equal(on.length, t.quota, `${t.type} round ${round}: finally exactly the quota, primary counted`);
            assert.equal(on.filter((e) => e.Primary).length, 1);
            assert.deepEqual(
              on.filter((e) => !e.Primary).map((e) => e.NetworkInterfaceId).sort(),
              attached.map((a) => a.eniId).sort(),
            );
            for (const e of on) {
              assert.equal(e.State, 'AVAILABLE');
              assert.equal(e.Attachment!.InstanceId, t.ins);
            }
            // The refused ENIs are untouched.
            for (const f of full) {
              const e = await mustGetEni(vpc, f.eniId);
              assert.equal(e.Attachment, null);
              assert.equal(e.State, 'AVAILABLE');
            }
            assert.ok(maxSeen.get(t.ins)! <= t.quota);
          }
          assert.deepEqual(violations, [], 'the quota was never exceeded at any observed point');

          await Promise.all(targets.map((t) => drain(t.ins)));
          // Next round: a different mix of ENIs wins (the pool order is rotated).
          for (const p of pools) p.push(p.shift()!);
        }
        const all = await listEnis(vpc, w.vpcId);
        for (const e of all) assert.ok(!TRANSITIONAL.has(e.State!), `${e.NetworkInterfaceId} ${e.State}`);
      });
    });

    test('security groups: of concurrent rule edits naming one version exactly one wins; a group never both gains a member and is deleted', { skip }, async () => {
      await withCell(kind, async (cell) => {
        const vpc = (i: number) => cell.vpcs[i % cell.vpcs.length]!;
        const { SecurityGroup } = await vpc(0).CreateSecurityGroup({ GroupName: 'race', GroupDescription: '' });
        const sg = SecurityGroup!.SecurityGroupId!;
        for (let round = 0; round < 3; round++) {
          const version = (await vpc(0).DescribeSecurityGroupPolicies({ SecurityGroupId: sg })).SecurityGroupPolicySet!.Version!;
          const results = await Promise.allSettled(
            Array.from({ length: 8 }, (_, i) =>
              vpc(i).CreateSecurityGroupPolicies({
                SecurityGroupId: sg,
                SecurityGroupPolicySet: { Version: version, Ingress: [{ Protocol: 'TCP', Port: String(1000 + round * 10 + i), CidrBlock: '10.0.0.0/8', Action: 'ACCEPT' }] },
              }),
            ),
          );
          const won = results.filter((r) => r.status === 'fulfilled').length;
          const lost = results.filter((r) => r.status === 'rejected').map((r) => errCode((r as PromiseRejectedResult).reason));
          assert.equal(won, 1, `round ${round}: ${JSON.stringify(lost)}`);
          assert.ok(lost.every((c) => c === 'UnsupportedOperation.VersionMismatch'), JSON.stringify(lost));
          const after = (await vpc(1).DescribeSecurityGroupPolicies({ SecurityGroupId: sg })).SecurityGroupPolicySet!;
          assert.deepEqual([after.Version, after.Ingress!.length], [String(Number(version) + 1), round + 1]);
        }

        const w = await buildWorld(vpc(0), cell.cvms[0]!, { count: 1, cidrOctet: 5 });
        const enis = await createEnis(vpc(0), w, 4, 'sg-race');
        for (let round = 0; round < 4; round++) {
          const { SecurityGroup: g } = await vpc(0).CreateSecurityGroup({ GroupName: `doomed-${round}`, GroupDescription: '' });
          const id = g!.SecurityGroupId!;
          const [join, del] = await Promise.allSettled([
            vpc(round).ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: enis[round]!, SecurityGroupIds: [id] }),
            vpc(round + 1).DeleteSecurityGroup({ SecurityGroupId: id }),
          ]);
          const joined = join.status === 'fulfilled';
          const deleted = del.status === 'fulfilled';
          assert.notEqual(joined, deleted, `round ${round}: exactly one of join and delete succeeds`);
          const groups = (await mustGetEni(vpc(0), enis[round]!)).GroupSet;
          if (joined) {
            assert.equal(errCode((del as PromiseRejectedResult).reason), 'ResourceInUse');
            assert.deepEqual(groups, [id]);
          } else {
            assert.equal(errCode((join as PromiseRejectedResult).reason), 'ResourceNotFound');
            assert.deepEqual(groups, []);
          }
        }
      });
    });

    test('security groups: tags, rule edits and peer deletes race without losing a change; the quota holds', { skip }, async () => {
      await withCell(kind, async (cell) => {
        const vpc = (i: number) => cell.vpcs[i % cell.vpcs.length]!;
        const tag = (i: number) => tagClient(cell.servers[i % cell.servers.length]!.port, cell.creds);
        const { SecurityGroup } = await vpc(0).CreateSecurityGroup({ GroupName: 'busy', GroupDescription: '' });
        const sg = SecurityGroup!.SecurityGroupId!;
        // 20 rule additions and 20 tag writes on one group at once: every one of them stays.
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => [
            vpc(i).CreateSecurityGroupPolicies({ SecurityGroupId: sg, SecurityGroupPolicySet: { Ingress: [{ Protocol: 'TCP', Port: String(2000 + i), CidrBlock: '10.0.0.0/8', Action: 'ACCEPT' }] } }),
            tag(i).ModifyResourceTags({ Resource: `qcs::cvm:ap-guangzhou:uin/:sg/${sg}`, ReplaceTags: [{ TagKey: `k${i}`, TagValue: 'v' }] }),
          ]).flat(),
        );
        const rules = (await vpc(1).DescribeSecurityGroupPolicies({ SecurityGroupId: sg })).SecurityGroupPolicySet!.Ingress!;
        assert.equal(rules.length, 20, 'no rule lost to a tag write');
        const tags = (await vpc(0).DescribeSecurityGroups({ SecurityGroupIds: [sg] })).SecurityGroupSet![0]!.TagSet!;
        assert.equal(tags.length, 20, 'no tag lost to a rule write');

        // A rule naming a peer and the peer's delete: never both.
        for (let round = 0; round < 4; round++) {
          const { SecurityGroup: peer } = await vpc(0).CreateSecurityGroup({ GroupName: `peer-${round}`, GroupDescription: '' });
          const peerId = peer!.SecurityGroupId!;
          const [add, del] = await Promise.allSettled([
            vpc(round).CreateSecurityGroupPolicies({ SecurityGroupId: sg, SecurityGroupPolicySet: { Egress: [{ Protocol: 'UDP', Port: String(53 + round), SecurityGroupId: peerId, Action: 'ACCEPT' }] } }),
            vpc(round + 1).DeleteSecurityGroup({ SecurityGroupId: peerId }),
          ]);
          assert.notEqual(add.status === 'fulfilled', del.status === 'fulfilled', `round ${round}: exactly one of the rule and the delete succeeds`);
        }

        // 60 creations at once against a quota of 50 (the account already has some).
        const have = (await vpc(0).DescribeSecurityGroups({ Limit: '100' })).TotalCount!;
        const made = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => vpc(i).CreateSecurityGroup({ GroupName: `q-${i}`, GroupDescription: '' })));
        const refused = made.filter((r) => r.status === 'rejected').map((r) => errCode((r as PromiseRejectedResult).reason));
        assert.ok(refused.every((c) => c === 'LimitExceeded'), JSON.stringify(refused));
        assert.equal((await vpc(0).DescribeSecurityGroups({ Limit: '100' })).TotalCount, 50, `from ${have}, the quota of 50 is reached and not passed`);
      });
    });
  });
}
