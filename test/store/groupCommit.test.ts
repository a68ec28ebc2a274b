/**
 * GroupCommit (src/store/groupCommit.ts): items submitted together are written in one transaction;
 * an item the store refuses fails alone, the rest of its batch still commits, each exactly once.
 * Both stores. Items are audit entries (what the server batches) written through Repo.insertAudit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../src/core/model.ts';
import { GroupCommit } from '../../src/store/groupCommit.ts';
import type { Repo, Store } from '../../src/core/ports/repo.ts';
import { freshStore, skipUnless, STORE_KINDS } from '../support/stores.ts';

const T0 = Date.UTC(2026, 0, 1);

/** A store that counts its write transactions. */
function counting(store: Store): { store: Store; writes(): number } {
  let n = 0;
  return {
    store: { ...store, write: (fn) => (n++, store.write(fn)) },
    writes: () => n,
  };
}

let accounts = 0;
/** Each test writes under an account id of its own, so the tests can share one store. */
const newAccount = () => `acc-gc${String(++accounts).padStart(8, '0')}`;

const entry = (accountId: string, i: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  at: T0 + i,
  accountId,
  keyId: 'AKIDgroupcommit',
  source: '127.0.0.1',
  dialect: 'tencent3',
  action: `Action${i}`,
  resourceIds: [`eni-${String(i).padStart(8, '0')}`],
  resultCode: 'Success',
  httpStatus: 200,
  requestId: `req-${accountId}-${i}`,
  ...over,
});

/** The apply the server uses, plus a deliberate failure for entries whose action says so. */
const apply = async (tx: Repo, e: AuditEntry): Promise<void> => {
  if (e.action === 'Poison') throw new Error(`poisoned ${e.requestId}`);
  await tx.insertAudit(e);
};

for (const kind of STORE_KINDS) {
  describe(`GroupCommit: ${kind}`, { skip: await skipUnless(kind), timeout: 60_000 }, () => {
    let shared: Awaited<ReturnType<typeof freshStore>> | undefined;
    before(async () => {
      shared = await freshStore(kind);
    });
    after(async () => {
      await shared?.cleanup();
    });
    const requestIds = async (accountId: string) => (await shared!.store.read((tx) => tx.listAudit({ accountId }))).map((a) => a.requestId);

    test('items submitted together: one transaction, every caller answered after its item is committed', async () => {
      const { store, writes } = counting(shared!.store);
      const acc = newAccount();
      const gc = new GroupCommit<AuditEntry>(store, apply);
      const items = Array.from({ length: 40 }, (_, i) => entry(acc, i));
      const seen = await Promise.all(
        items.map((e) =>
          gc.submit(e).then(async (v) => {
            assert.equal(v, undefined);
            // Committed when answered: a reader finds it at once.
            return (await shared!.store.peek((tx) => tx.listAudit({ accountId: acc }))).some((a) => a.requestId === e.requestId);
          }),
        ),
      );
      assert.ok(seen.every(Boolean), 'an item was answered before a reader could see it');
      assert.equal(writes(), 1, 'forty items submitted in one turn take one transaction');
      assert.deepEqual(await requestIds(acc), items.map((e) => e.requestId));
    });

    test('a failing item gets its own error; the rest of its batch commits, each exactly once', async () => {
      const { store, writes } = counting(shared!.store);
      const acc = newAccount();
      const gc = new GroupCommit<AuditEntry>(store, apply);
      const N = 30;
      const fate = (i: number) => (i === 4 || i === 17 ? 'poison' : i === 11 ? 'refused by the database' : 'ok');
      const items = Array.from({ length: N }, (_, i) =>
        fate(i) === 'poison'
          ? entry(acc, i, { action: 'Poison' })
          : fate(i) === 'refused by the database'
            ? entry(acc, i, { action: null as unknown as string }) // NOT NULL violation
            : entry(acc, i),
      );
      const results = await Promise.allSettled(items.map((e) => gc.submit(e)));
      results.forEach((r, i) => {
        if (fate(i) === 'ok') assert.equal(r.status, 'fulfilled', `item ${i}: ${r.status === 'rejected' ? String(r.reason) : ''}`);
        else {
          assert.equal(r.status, 'rejected', `item ${i}`);
          const msg = String((r as PromiseRejectedResult).reason?.message);
          if (fate(i) === 'poison') assert.equal(msg, `poisoned ${items[i]!.requestId}`);
          else assert.match(msg, /null|constraint/i);
        }
      });
      // Each good item once (a retried batch must not write an item twice), no failed item at all.
      const good = items.filter((_, i) => fate(i) === 'ok').map((e) => e.requestId);
      assert.deepEqual((await requestIds(acc)).sort(), [...good].sort());
      // The batch, then each of its items alone.
      assert.equal(writes(), 1 + N);
    });

    test('batches are bounded; items submitted while a batch is being written are written too', async () => {
      const { store, writes } = counting(shared!.store);
      const acc = newAccount();
      const gc = new GroupCommit<AuditEntry>(store, apply, 10);
      const first = Array.from({ length: 25 }, (_, i) => entry(acc, i));
      // Each answer submits a follow-up item: they arrive while later batches are being flushed.
      const followUps: Array<Promise<void>> = [];
      await Promise.all(first.map((e, i) => gc.submit(e).then(() => void followUps.push(gc.submit(entry(acc, 100 + i))))));
      assert.ok(writes() >= 3, `25 items in batches of at most 10 take at least 3 transactions (took ${writes()})`);
      await Promise.all(followUps);
      assert.equal(followUps.length, 25);
      const ids = await requestIds(acc);
      assert.equal(ids.length, 50);
      assert.deepEqual(new Set(ids), new Set([...first.map((e) => e.requestId), ...first.map((_, i) => entry(acc, 100 + i).requestId)]));
      // Once everything has drained, a lone item still gets written.
      const before = writes();
      await gc.submit(entry(acc, 999));
      assert.equal(writes(), before + 1);
      assert.ok((await requestIds(acc)).includes(entry(acc, 999).requestId));
    });

    test('every item failing: each caller rejected with its own error, nothing written, the queue keeps working', async () => {
      const acc = newAccount();
      const gc = new GroupCommit<AuditEntry>(shared!.store, apply);
      const bad = Array.from({ length: 5 }, (_, i) => entry(acc, i, { action: 'Poison' }));
      const results = await Promise.allSettled(bad.map((e) => gc.submit(e)));
      results.forEach((r, i) => {
        assert.equal(r.status, 'rejected');
        assert.equal((r as PromiseRejectedResult).reason?.message, `poisoned ${bad[i]!.requestId}`);
      });
      assert.deepEqual(await requestIds(acc), []);
      await gc.submit(entry(acc, 7));
      assert.deepEqual(await requestIds(acc), [entry(acc, 7).requestId]);
    });
  });
}
