/** Accounts and their API keys. A key belongs to one account; an account to one provider. */
import { randomBytes, randomInt } from 'node:crypto';
import type { Core } from '../context.ts';
import type { Account, ApiKey, Provider } from '../model.ts';
import type { Store } from '../../store/store.ts';
import type { Clock } from '../clock.ts';
import type { IdSource } from '../ids.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomText(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[bytes[i]! % ALNUM.length];
  return s;
}

/** Key ids in each vendor's look: Tencent `AKID…` (36 chars); JD Cloud 32 upper-case hex. */
function newKey(provider: Provider): { secretId: string; secretKey: string } {
  if (provider === 'jdcloud') {
    return { secretId: randomBytes(16).toString('hex').toUpperCase(), secretKey: randomBytes(16).toString('hex').toUpperCase() };
  }
  return { secretId: `AKID${randomText(32)}`, secretKey: randomText(32) };
}

export interface NewAccount {
  account: Account;
  key: ApiKey;
}

export async function createAccount(
  deps: { store: Store; clock: Clock; ids: IdSource },
  provider: Provider,
  name: string,
): Promise<NewAccount> {
  const now = deps.clock.now();
  const account: Account = {
    id: deps.ids.id('acc', 10),
    provider,
    name,
    // Tencent shows the owner uin as a 10-digit number (InstanceAccountId).
    ownerUin: String(randomInt(1_000_000_000, 9_999_999_999)),
    createdAt: now,
  };
  const key: ApiKey = { ...newKey(provider), accountId: account.id, status: 'enabled', createdAt: now };
  await deps.store.write(async (tx) => {
    await tx.insertAccount(account);
    await tx.insertKey(key);
  });
  return { account, key };
}

export async function listAccounts(core: Pick<Core, 'store'>): Promise<Account[]> {
  return core.store.read((tx) => tx.listAccounts());
}
