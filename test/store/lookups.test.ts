/**
 * Repo.getKeyAndAccount (the lookup every signed request makes) and Store.peek (a read without a
 * transaction around it), on both stores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.ts';
import { randomIdSource } from '../../src/core/ids.ts';
import type { Account, ApiKey, Scope, Vpc } from '../../src/core/model.ts';
import { createAccount, rotateKey, setAccountEnabled } from '../../src/core/ops/accounts.ts';
import type { Store } from '../../src/core/ports/repo.ts';
import { freshStore, plainVpc, skipUnless, STORE_KINDS } from '../support/stores.ts';

const T0 = Date.UTC(2026, 0, 1);
/** The tests share one store per kind; each peek test works in a scope of its own. */
let scopes = 0;
const newScope = (): Scope => ({ accountId: `acc-peek${String(++scopes).padStart(6, '0')}`, provider: 'tencent', region: 'ap-guangzhou' });

const vpcIn = (scope: Scope) => (id: string, at = T0): Vpc => plainVpc(scope, id, at);


/** What getKeyAndAccount must answer: the key and the account as their own getters read them. */
async function separately(store: Store, secretId: string): Promise<{ key: ApiKey; account: Account } | undefined> {
  return store.read(async (tx) => {
    const key = await tx.getKey(secretId);
    if (!key) return undefined;
    return { key, account: (await tx.getAccount(key.accountId))! };
  });
}

for (const kind of STORE_KINDS) {
  describe(`key lookups and peek: ${kind}`, { skip: await skipUnless(kind) }, () => {
    let shared: Awaited<ReturnType<typeof freshStore>> | undefined;
    before(async () => {
      shared = await freshStore(kind);
    });
    after(async () => {
      await shared?.cleanup();
    });
    const withStore = (body: (store: Store) => Promise<void>) => body(shared!.store);

    describe('getKeyAndAccount', () => {
      test('returns the key and its own account, field for field; undefined for an unknown id', async () => {
        await withStore(async (store) => {
          const clock = new FakeClock(T0);
          const deps = { store, clock, ids: randomIdSource() };
          const alpha = await createAccount(deps, 'tencent', 'alpha');
          clock.advance(1000);
          const beta = await createAccount(deps, 'jdcloud', 'beta');
          // Key and account differ in every field the join could mix up: status, creation time.
          const manualAccount: Account = { id: 'acc-manual0001', provider: 'tencent', name: 'manual', ownerUin: '1000000009', status: 'disabled', createdAt: T0 - 5000 };
          const manualKey: ApiKey = { secretId: 'AKIDmanual', secretKey: 'manual-secret', accountId: manualAccount.id, status: 'enabled', createdAt: T0 + 7000 };
          await store.write(async (tx) => {
            await tx.insertAccount(manualAccount);
            await tx.insertKey(manualKey);
          });

          const expected = [
            { key: alpha.key, account: alpha.account },
            { key: beta.key, account: beta.account },
            { key: manualKey, account: manualAccount },
          ];
          for (const want of expected) {
            assert.deepEqual(await store.peek((tx) => tx.getKeyAndAccount(want.key.secretId)), want);
            assert.deepEqual(await store.read((tx) => tx.getKeyAndAccount(want.key.secretId)), want);
            assert.deepEqual(await separately(store, want.key.secretId), want);
          }
          // Many lookups in flight at once, of different keys: each gets its own pair.
          const ids = Array.from({ length: 30 }, (_, i) => expected[i % 3]!.key.secretId);
          const got = await Promise.all(ids.map((id) => store.peek((tx) => tx.getKeyAndAccount(id))));
          got.forEach((pair, i) => assert.deepEqual(pair, expected[i % 3]));

          for (const unknown of ['AKIDnope', '', alpha.key.secretId.toLowerCase(), `${alpha.key.secretId} `, alpha.account.id]) {
            assert.equal(await store.peek((tx) => tx.getKeyAndAccount(unknown)), undefined, JSON.stringify(unknown));
          }
        });
      });

      test('reflects disabled and re-enabled accounts and keys at once', async () => {
        await withStore(async (store) => {
          const clock = new FakeClock(T0);
          const deps = { store, clock, ids: randomIdSource() };
          const a = await createAccount(deps, 'tencent', 'a');
          const b = await createAccount(deps, 'tencent', 'b');
          const lookup = (id: string) => store.peek((tx) => tx.getKeyAndAccount(id));
          const statuses = async (id: string) => {
            const p = (await lookup(id))!;
            return [p.key.status, p.account.status];
          };

          await setAccountEnabled(deps, a.account.id, false);
          assert.deepEqual(await statuses(a.key.secretId), ['enabled', 'disabled']);
          assert.deepEqual(await statuses(b.key.secretId), ['enabled', 'enabled']);
          assert.deepEqual(await lookup(a.key.secretId), await separately(store, a.key.secretId));

          await store.write((tx) => tx.setKeyStatus(b.key.secretId, 'disabled'));
          assert.deepEqual(await statuses(b.key.secretId), ['disabled', 'enabled']);

          await setAccountEnabled(deps, a.account.id, true);
          await store.write((tx) => tx.setKeyStatus(b.key.secretId, 'enabled'));
          assert.deepEqual(await statuses(a.key.secretId), ['enabled', 'enabled']);
          assert.deepEqual(await statuses(b.key.secretId), ['enabled', 'enabled']);

          // Both disabled at once, through the repository directly.
          await store.write(async (tx) => {
            await tx.setAccountStatus(b.account.id, 'disabled');
            await tx.setKeyStatus(b.key.secretId, 'disabled');
          });
          assert.deepEqual(await statuses(b.key.secretId), ['disabled', 'disabled']);

          // A rotated key: the new one is found enabled, the old one disabled, both with the account.
          clock.advance(60_000);
          const fresh = await rotateKey(deps, a.account.id);
          assert.deepEqual(await lookup(fresh.secretId), { key: fresh, account: a.account });
          assert.deepEqual(await lookup(a.key.secretId), { key: { ...a.key, status: 'disabled' }, account: a.account });
        });
      });
    });

    describe('Store.peek', () => {
      test('sees what was committed before it, never what was rolled back, and returns fn\'s value', async () => {
        await withStore(async (store) => {
          const SCOPE = newScope();
          const vpc = vpcIn(SCOPE);
          assert.deepEqual(await store.peek((tx) => tx.listVpcs(SCOPE)), []);
          for (let i = 1; i <= 5; i++) {
            await store.write((tx) => tx.insertVpc(vpc(`vpc-0000000${i}`, T0 + i)));
            // Right after the write resolves, a peek sees it: no stale snapshot, no lag.
            assert.deepEqual(await store.peek((tx) => tx.getVpc(SCOPE, `vpc-0000000${i}`)), vpc(`vpc-0000000${i}`, T0 + i));
            assert.equal((await store.peek((tx) => tx.listVpcs(SCOPE))).length, i);
          }
          await assert.rejects(
            store.write(async (tx) => {
              await tx.insertVpc(vpc('vpc-rolledback'));
              throw new Error('no');
            }),
            /no/,
          );
          assert.equal(await store.peek((tx) => tx.getVpc(SCOPE, 'vpc-rolledback')), undefined);
          assert.equal(await store.peek(async () => 42), 42);
          // Many peeks at once each get their own answer.
          const got = await Promise.all([1, 2, 3, 4, 5, 1, 2, 3].map((i) => store.peek((tx) => tx.getVpc(SCOPE, `vpc-0000000${i}`))));
          assert.deepEqual(got.map((v) => v?.createdAt), [1, 2, 3, 4, 5, 1, 2, 3].map((i) => T0 + i));
        });
      });

      test('an error thrown by fn reaches the caller and the store stays usable', async () => {
        await withStore(async (store) => {
          const SCOPE = newScope();
          const vpc = vpcIn(SCOPE);
          await store.write((tx) => tx.insertVpc(vpc('vpc-10000001')));
          await assert.rejects(
            store.peek(async (tx) => {
              await tx.listVpcs(SCOPE);
              throw new Error('peek failed');
            }),
            /peek failed/,
          );
          assert.equal((await store.peek((tx) => tx.listVpcs(SCOPE))).length, 1);
          await store.write((tx) => tx.insertVpc(vpc('vpc-10000002')));
          assert.equal((await store.read((tx) => tx.listVpcs(SCOPE))).length, 2);
        });
      });

      test('no transaction around fn: a second statement sees a write committed after the first', async () => {
        await withStore(async (store) => {
          const SCOPE = newScope();
          const vpc = vpcIn(SCOPE);
          const [first, second] = await store.peek(async (tx) => {
            const earlier = await tx.listVpcs(SCOPE);
            await store.write((w) => w.insertVpc(vpc('vpc-between')));
            return [earlier, await tx.listVpcs(SCOPE)];
          });
          assert.deepEqual(first, []);
          assert.deepEqual(second, [vpc('vpc-between')]);
        });
      });
    });
  });
}
