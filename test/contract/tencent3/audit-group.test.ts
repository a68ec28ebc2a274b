// Contract: audit entries are written in group-committed batches, and batching loses, duplicates or
// mixes up nothing. Two accounts fire bursts of concurrent mutating calls (accepted and refused,
// interleaved with reads) through the official SDK; `eniplane audit --json` must then show exactly
// one entry per call, each with the RequestId the client saw, the calling account and key, the
// action and the result code, and nothing for the reads. On PostgreSQL the calls are spread over
// two nodes sharing the database, each batching its own entries.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type AccountInfo, type RunningServer } from '../../support/server.ts';
import { freshDb, skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { session, type Session, vpcClient, type VpcClient } from '../../support/tencent3/client.ts';
import { waitEniReady, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { createEniNoWait, createSubnet, createVpc } from '../../support/tencent3/world.ts';
import { readAudit, type AuditRow } from '../security/kit.ts';

const ROUNDS = 2;
const CALLS_PER_ACCOUNT = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Party {
  account: AccountInfo;
  /** One VPC client per node. */
  vpcs: VpcClient[];
  /** ENIs renamed concurrently (never deleted). */
  modifiable: string[];
  /** One ENI deleted per round. */
  deletable: string[];
}

interface Call {
  who: Party;
  action: string;
  /** The ENI the call names (for the entry's resource ids). */
  eniId: string;
  /** What the result code must be; undefined = whatever the client saw (checked to be an error). */
  wantCode: string | undefined;
  run(vpc: VpcClient): Promise<{ RequestId?: string }>;
}

interface Outcome {
  call: Call;
  requestId: string;
  code: string;
}

/** Run the call and return what the client saw: the RequestId and 'Success' or the error code. */
async function fire(call: Call, vpc: VpcClient): Promise<Outcome> {
  try {
    const r = await call.run(vpc);
    assert.ok(r.RequestId, `${call.action}: an answer carries a RequestId`);
    return { call, requestId: r.RequestId, code: 'Success' };
  } catch (e) {
    const o = e as { code?: unknown; requestId?: unknown; message?: unknown };
    assert.ok(typeof o.code === 'string' && o.code !== '', `${call.action}: an API error, not a transport failure: ${String(o.message)}`);
    assert.ok(typeof o.requestId === 'string' && o.requestId !== '', `${call.action}: the error carries a RequestId`);
    return { call, requestId: o.requestId, code: o.code };
  }
}

/** The calls of one account in one round: accepted and refused ones, interleaved. */
function callsOf(p: Party, other: Party, round: number): Call[] {
  const calls: Call[] = [];
  for (let i = 0; calls.length < CALLS_PER_ACCOUNT; i++) {
    const eni = p.modifiable[i % p.modifiable.length]!;
    const unknown = `eni-${(round * 1000 + i).toString(36).padStart(8, '0').slice(-8)}`;
    switch (i % 6) {
      case 0:
      case 3:
        calls.push({
          who: p,
          action: 'ModifyNetworkInterfaceAttribute',
          eniId: eni,
          wantCode: 'Success',
          run: (v) => v.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni, NetworkInterfaceName: `r${round}-${i}` }),
        });
        break;
      case 1:
        calls.push({ who: p, action: 'DeleteNetworkInterface', eniId: unknown, wantCode: 'ResourceNotFound', run: (v) => v.DeleteNetworkInterface({ NetworkInterfaceId: unknown }) });
        break;
      case 2:
        calls.push({
          who: p,
          action: 'ModifyNetworkInterfaceAttribute',
          eniId: unknown,
          wantCode: 'ResourceNotFound',
          run: (v) => v.ModifyNetworkInterfaceAttribute({ NetworkInterfaceId: unknown, NetworkInterfaceDescription: 'nope' }),
        });
        break;
      case 4: {
        // The other account's ENI: as unknown as any other.
        const theirs = other.modifiable[i % other.modifiable.length]!;
        calls.push({ who: p, action: 'DeleteNetworkInterface', eniId: theirs, wantCode: 'ResourceNotFound', run: (v) => v.DeleteNetworkInterface({ NetworkInterfaceId: theirs }) });
        break;
      }
      case 5:
        if (i === 5) {
          // One real, accepted deletion per account and round (asynchronous: RequestId is the task id).
          const gone = p.deletable[round]!;
          calls.push({ who: p, action: 'DeleteNetworkInterface', eniId: gone, wantCode: 'Success', run: (v) => v.DeleteNetworkInterface({ NetworkInterfaceId: gone }) });
        } else {
          // Refused before the action runs: a malformed id (the code is whatever the client saw).
          calls.push({ who: p, action: 'DeleteNetworkInterface', eniId: '', wantCode: undefined, run: (v) => v.DeleteNetworkInterface({ NetworkInterfaceId: `not-an-eni-${i}` }) });
        }
        break;
    }
  }
  return calls;
}

/** Interleave two lists: a0 b0 a1 b1 ... */
const zip = <T>(x: T[], y: T[]): T[] => x.flatMap((v, i) => (i < y.length ? [v, y[i]!] : [v])).concat(y.slice(x.length));

for (const kind of STORE_KINDS) {
  describe(`audit entries in group-committed batches on ${kind}`, async () => {
    const skip = await skipUnless(kind);
    const servers: RunningServer[] = [];
    let cleanup = async () => {};
    let db = '';
    let pa: Party;
    let pb: Party;

    const withLogs = (e: unknown): unknown => {
      if (e instanceof Error) e.message += servers.map((s, i) => `\n--- node ${i} output (tail) ---\n${s.logs().slice(-3000)}`).join('');
      return e;
    };

    before(async () => {
      if (skip) return;
      const fresh = await freshDb(kind);
      cleanup = fresh.cleanup;
      db = fresh.db;
      try {
        servers.push(await startServer({ db, rateLimit: 'off', latency: '20' }));
        if (kind === 'postgres') servers.push(await startServer({ db, rateLimit: 'off', latency: '20' }));
        const build = async (s: Session): Promise<Party> => {
          const vpcId = await createVpc(s, '10.3.0.0/16');
          const subnetId = await createSubnet(s, vpcId, '10.3.1.0/24');
          const created = await Promise.all(Array.from({ length: 4 + ROUNDS }, (_, i) => createEniNoWait(s, { vpcId, subnetId }, { name: `audit-${i}` })));
          for (const c of created) {
            await waitTaskSuccess(s.vpc, c.requestId);
            await waitEniReady(s.vpc, c.id);
          }
          const ids = created.map((c) => c.id);
          return { account: s.account, vpcs: servers.map((n) => vpcClient(n.port, s.account)), modifiable: ids.slice(0, 4), deletable: ids.slice(4) };
        };
        const [sa, sb] = await Promise.all([session(servers[0]!), session(servers[0]!)]);
        [pa, pb] = await Promise.all([build(sa), build(sb)]);
      } catch (e) {
        throw withLogs(e);
      }
    });

    after(async () => {
      for (const s of servers) await s.stop().catch(() => s.kill9());
      await cleanup();
    });

    test(`${ROUNDS} bursts of ${2 * CALLS_PER_ACCOUNT} concurrent mutating calls: one entry per call, as the client saw it`, { skip }, async () => {
      try {
        const { rows: baseline } = await readAudit(db);
        assert.ok(baseline.length > 0, 'the setup itself was audited');
        const t0 = Date.now();
        const outcomes: Outcome[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const calls = zip(callsOf(pa, pb, round), callsOf(pb, pa, round));
          assert.equal(calls.length, 2 * CALLS_PER_ACCOUNT);
          // Reads in between: never audited.
          const reads = [pa, pb].flatMap((p) => p.vpcs.map((v) => v.DescribeNetworkInterfaces({ Filters: [{ Name: 'network-interface-id', Values: p.modifiable }] })));
          const fired = calls.map((c, i) => fire(c, c.who.vpcs[i % c.who.vpcs.length]!));
          const [got] = await Promise.all([Promise.all(fired), Promise.all(reads)]);
          outcomes.push(...got);
        }
        const t1 = Date.now();

        // What the clients saw is what the calls had to give.
        for (const o of outcomes) {
          const where = `${o.call.who.account.accountId} ${o.call.action} ${o.call.eniId}: client saw ${o.code} ${o.requestId}`;
          if (o.call.wantCode !== undefined) assert.equal(o.code, o.call.wantCode, where);
          else assert.notEqual(o.code, 'Success', where);
          assert.match(o.requestId, UUID, where);
        }
        assert.equal(new Set(outcomes.map((o) => o.requestId)).size, outcomes.length, 'every call saw its own RequestId');

        // Every call has returned, so every entry is committed (a call is answered after its entry).
        const { rows: trail } = await readAudit(db);
        const show = (rows: AuditRow[]) => rows.map((r) => JSON.stringify(r)).join('\n');
        assert.deepEqual(trail.slice(0, baseline.length), baseline, 'earlier entries are unchanged');
        const fresh = trail.slice(baseline.length);
        const seqs = trail.map((r) => r.seq);
        assert.equal(new Set(seqs).size, seqs.length, 'seq is unique');
        assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'the trail comes in seq order');
        assert.ok(!fresh.some((r) => r.action.startsWith('Describe')), `reads are not audited:\n${show(fresh)}`);
        assert.equal(fresh.length, outcomes.length, `exactly one new entry per call (${outcomes.length} calls):\n${show(fresh)}`);

        const byRequest = new Map<string, AuditRow[]>();
        for (const r of fresh) byRequest.set(r.requestId, [...(byRequest.get(r.requestId) ?? []), r]);
        for (const o of outcomes) {
          const rows = byRequest.get(o.requestId) ?? [];
          const where = `${o.call.action} by ${o.call.who.account.accountId} on ${o.call.eniId || '(malformed id)'} (client saw ${o.code} ${o.requestId}): ${show(rows)}`;
          assert.equal(rows.length, 1, `one entry for the call, neither lost nor duplicated: ${where}`);
          const row = rows[0]!;
          assert.deepEqual(
            { accountId: row.accountId, keyId: row.keyId, dialect: row.dialect, action: row.action, resultCode: row.resultCode, httpStatus: row.httpStatus },
            {
              accountId: o.call.who.account.accountId,
              keyId: o.call.who.account.secretId,
              dialect: 'tencent3',
              action: o.call.action,
              resultCode: o.code,
              httpStatus: 200,
            },
            where,
          );
          if (o.call.eniId) assert.ok(row.resourceIds.includes(o.call.eniId), `the entry names ${o.call.eniId}: ${where}`);
          assert.ok(row.at >= t0 && row.at <= t1, `at within the bursts: ${where}`);
          assert.ok(['127.0.0.1', '::ffff:127.0.0.1'].includes(row.source), `source: ${where}`);
        }
        assert.equal(byRequest.size, fresh.length, 'no entry with a RequestId no client saw');

        // Per account, through --account: exactly that account's calls, none of the other's.
        const [onlyA, onlyB] = await Promise.all([readAudit(db, ['--account', pa.account.accountId]), readAudit(db, ['--account', pb.account.accountId])]);
        for (const [p, rows] of [
          [pa, onlyA.rows],
          [pb, onlyB.rows],
        ] as const) {
          const mine = new Set(outcomes.filter((o) => o.call.who === p).map((o) => o.requestId));
          const seen = rows.filter((r) => r.at >= t0).map((r) => r.requestId);
          assert.equal(seen.length, mine.size, `--account ${p.account.accountId}: one entry per call of that account`);
          assert.deepEqual(new Set(seen), mine, `--account ${p.account.accountId}: exactly that account's calls`);
          assert.ok(rows.every((r) => r.accountId === p.account.accountId));
        }
      } catch (e) {
        throw withLogs(e);
      }
    });
  });
}
