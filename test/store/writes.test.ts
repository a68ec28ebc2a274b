/**
 * Store.write under concurrency: SQLite's group commit (many write() calls sharing one transaction,
 * each in its own savepoint) and what reads see while a write transaction is open, on both stores.
 * Nothing here sleeps: writes are held open by promises the test resolves itself.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Scope, Vpc } from '../../src/core/model.ts';
import type { Store } from '../../src/core/ports/repo.ts';
import { plainVpc, skipUnless, STORE_KINDS, withStore } from '../support/stores.ts';

const T0 = Date.UTC(2026, 0, 1);
const SCOPE: Scope = { accountId: 'acc-aaaaaaaaaa', provider: 'tencent', region: 'ap-guangzhou' };

const vpc = (id: string, at = T0): Vpc => plainVpc(SCOPE, id, at);
const vpcIds = async (store: Store, how: 'read' | 'peek' = 'read'): Promise<string[]> => (await store[how]((tx) => tx.listVpcs(SCOPE))).map((v) => v.id).sort();

function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
/** One turn of the event loop: lets already-settled promises' handlers run. Not a wait for state. */
const turn = () => new Promise<void>((r) => setImmediate(r));


describe('SQLite group commit (Store.write)', () => {
  type Fate = 'ok' | 'throws' | 'violates' | 'throws late';
  const fateOf = (i: number): Fate => (i % 5 === 1 ? 'throws' : i % 5 === 3 ? 'violates' : i % 7 === 0 ? 'throws late' : 'ok');
  const idOf = (i: number) => `vpc-g${String(i).padStart(7, '0')}`;
  const secondIdOf = (i: number) => `vpc-h${String(i).padStart(7, '0')}`;

  test('concurrent writes: each caller gets its own result or error, failed ones leave nothing, acks follow the commit', { timeout: 30_000 }, async () => {
    await withStore('sqlite', async (store) => {
      await store.write((tx) => tx.insertVpc(vpc('vpc-existing')));
      const N = 150; // more than one group's worth
      const acked = new Set<number>();
      const problems: string[] = [];

      const writes = Array.from({ length: N }, (_, i) =>
        store
          .write(async (tx) => {
            // Let the handlers of every write answered so far run, then check that each of them is
            // visible to a reader: an answer must never come before its COMMIT.
            await turn();
            const visible = new Set(await vpcIds(store, 'peek'));
            for (const j of acked) if (!visible.has(idOf(j))) problems.push(`write ${j} was answered before a reader could see it (seen in write ${i})`);
            // Inside the transaction: every earlier successful write is there, no failed one is.
            const inTx = new Set((await tx.listVpcs(SCOPE)).map((v) => v.id));
            for (let j = 0; j < i; j++) {
              const want = fateOf(j) === 'ok';
              if (inTx.has(idOf(j)) !== want || inTx.has(secondIdOf(j)) !== want) problems.push(`write ${i} sees write ${j} (${fateOf(j)}) as ${inTx.has(idOf(j)) ? 'present' : 'absent'}`);
            }
            await tx.insertVpc(vpc(idOf(i)));
            const fate = fateOf(i);
            if (fate === 'throws') throw new Error(`boom ${i}`);
            if (fate === 'violates') await tx.insertVpc(vpc('vpc-existing'));
            await turn();
            await tx.insertVpc(vpc(secondIdOf(i)));
            if (fate === 'throws late') throw new Error(`late boom ${i}`);
            return { i };
          })
          .then(async (out) => {
            acked.add(i);
            // Issued right after the answer: the write's rows are there for every reader.
            const [viaRead, viaPeek] = await Promise.all([store.read((tx) => tx.getVpc(SCOPE, idOf(i))), store.peek((tx) => tx.getVpc(SCOPE, secondIdOf(i)))]);
            return { out, seen: viaRead !== undefined && viaPeek !== undefined };
          }),
      );
      const results = await Promise.allSettled(writes);

      assert.deepEqual(problems, []);
      results.forEach((r, i) => {
        const fate = fateOf(i);
        if (fate === 'ok') {
          assert.equal(r.status, 'fulfilled', `write ${i}: ${r.status === 'rejected' ? String(r.reason) : ''}`);
          assert.deepEqual((r as PromiseFulfilledResult<{ out: { i: number }; seen: boolean }>).value, { out: { i }, seen: true }, `write ${i}`);
        } else {
          assert.equal(r.status, 'rejected', `write ${i} (${fate})`);
          const message = String((r as PromiseRejectedResult).reason?.message);
          if (fate === 'throws') assert.equal(message, `boom ${i}`);
          else if (fate === 'throws late') assert.equal(message, `late boom ${i}`);
          else assert.match(message, /unique|constraint/i);
        }
      });
      const ok = Array.from({ length: N }, (_, i) => i).filter((i) => fateOf(i) === 'ok');
      const expected = ['vpc-existing', ...ok.flatMap((i) => [idOf(i), secondIdOf(i)])].sort();
      assert.deepEqual(await vpcIds(store), expected);
      assert.deepEqual(await vpcIds(store, 'peek'), expected);
    });
  });

  test('writes issued while a group runs (from answers, from failures) are all carried out; the store goes on', { timeout: 30_000 }, async () => {
    await withStore('sqlite', async (store) => {
      // A chain: each answer (or error) issues the next write, so writes keep arriving mid-drain.
      const chain = async (start: number, n: number): Promise<string[]> => {
        const out: string[] = [];
        for (let i = start; i < start + n; i++) {
          const r = await store
            .write(async (tx) => {
              await tx.insertVpc(vpc(idOf(i)));
              if (i % 3 === 0) throw new Error(`chain ${i}`);
              return idOf(i);
            })
            .catch((e: Error) => e.message);
          out.push(r);
        }
        return out;
      };
      const chains = await Promise.all([chain(0, 20), chain(100, 20), chain(200, 20)]);
      for (const [c, start] of [[chains[0]!, 0], [chains[1]!, 100], [chains[2]!, 200]] as const) {
        assert.deepEqual(c, Array.from({ length: 20 }, (_, k) => (((start + k) % 3 === 0) ? `chain ${start + k}` : idOf(start + k))));
      }
      const expected = chains.flat().filter((s) => s.startsWith('vpc-')).sort();
      assert.deepEqual(await vpcIds(store), expected);
      // After the queue ran dry, a lone write still runs and answers.
      assert.equal(await store.write(async (tx) => (await tx.insertVpc(vpc('vpc-last')), 'last')), 'last');
      assert.ok((await vpcIds(store)).includes('vpc-last'));
    });
  });

  test('a write in progress holds back the group behind it, and nothing of that group shows before its commit', { timeout: 30_000 }, async () => {
    await withStore('sqlite', async (store) => {
      const release = deferred();
      const started = deferred();
      const answered: string[] = [];
      const first = store.write(async (tx) => {
        await tx.insertVpc(vpc('vpc-first'));
        started.resolve();
        await release.promise;
        return 'first';
      });
      await started.promise;
      // These queue while the first holds the writer.
      const later = ['a', 'b', 'c'].map((s) =>
        store.write(async (tx) => (await tx.insertVpc(vpc(`vpc-later-${s}`)), s)).then((s) => (answered.push(s), s)),
      );
      await turn();
      assert.deepEqual(answered, []);
      assert.deepEqual(await vpcIds(store), []);
      assert.deepEqual(await vpcIds(store, 'peek'), []);
      release.resolve();
      assert.equal(await first, 'first');
      assert.deepEqual(await Promise.all(later), ['a', 'b', 'c']);
      assert.deepEqual(await vpcIds(store), ['vpc-first', 'vpc-later-a', 'vpc-later-b', 'vpc-later-c']);
    });
  });
});

for (const kind of STORE_KINDS) {
  describe(`reads while a write is open: ${kind}`, { skip: await skipUnless(kind) }, () => {
    test('read() and peek() see only committed state, and do not wait for the open write', { timeout: 20_000 }, async () => {
      await withStore(kind, async (store) => {
        await store.write((tx) => tx.insertVpc(vpc('vpc-before')));
        const inserted = deferred();
        const release = deferred();
        const write = store.write(async (tx) => {
          await tx.insertVpc(vpc('vpc-pending'));
          // The writer sees its own row.
          assert.ok(await tx.getVpc(SCOPE, 'vpc-pending'));
          inserted.resolve();
          await release.promise;
          await tx.insertVpc(vpc('vpc-pending-2'));
          return 'written';
        });
        await inserted.promise;
        // If a read waited for the write, these would never finish (the write waits for us): the
        // test's timeout turns that into a failure.
        assert.deepEqual(await vpcIds(store, 'read'), ['vpc-before']);
        assert.deepEqual(await vpcIds(store, 'peek'), ['vpc-before']);
        assert.equal(await store.read((tx) => tx.getVpc(SCOPE, 'vpc-pending')), undefined);
        assert.equal(await store.peek((tx) => tx.getVpc(SCOPE, 'vpc-pending')), undefined);
        release.resolve();
        assert.equal(await write, 'written');
        assert.deepEqual(await vpcIds(store, 'peek'), ['vpc-before', 'vpc-pending', 'vpc-pending-2']);
        assert.deepEqual(await vpcIds(store, 'read'), ['vpc-before', 'vpc-pending', 'vpc-pending-2']);
      });
    });

    test('an open write that then fails was never visible, before or after', { timeout: 20_000 }, async () => {
      await withStore(kind, async (store) => {
        const inserted = deferred();
        const release = deferred();
        const write = store.write(async (tx) => {
          await tx.insertVpc(vpc('vpc-doomed'));
          inserted.resolve();
          await release.promise;
          throw new Error('changed my mind');
        });
        await inserted.promise;
        assert.deepEqual(await vpcIds(store, 'peek'), []);
        release.resolve();
        await assert.rejects(write, /changed my mind/);
        assert.deepEqual(await vpcIds(store, 'read'), []);
        assert.deepEqual(await vpcIds(store, 'peek'), []);
      });
    });

    test('read() is consistent: two statements in one read() agree although a write commits between them', { timeout: 20_000 }, async () => {
      await withStore(kind, async (store) => {
        await store.write((tx) => tx.insertVpc(vpc('vpc-00000001')));
        const { first, second } = await store.read(async (tx) => {
          const first = await tx.listVpcs(SCOPE);
          await store.write((w) => w.insertVpc(vpc('vpc-00000002')));
          const second = await tx.listVpcs(SCOPE);
          return { first, second };
        });
        assert.deepEqual(first.map((v) => v.id), ['vpc-00000001']);
        assert.deepEqual(second.map((v) => v.id), ['vpc-00000001'], 'the second statement of the same read() saw a later commit');
        assert.deepEqual(await vpcIds(store), ['vpc-00000001', 'vpc-00000002']);
      });
    });
  });
}
