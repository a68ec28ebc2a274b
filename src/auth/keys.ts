/** Finding the account behind a key id. Read on every request, so a new key works at once. */
import type { Account, ApiKey } from '../core/model.ts';
import type { Store } from '../store/store.ts';

export interface Credential {
  key: ApiKey;
  account: Account;
}

/** The enabled key and its account, or undefined for an unknown or disabled key. */
export async function findCredential(store: Store, secretId: string): Promise<Credential | undefined> {
  return store.read(async (tx) => {
    const key = await tx.getKey(secretId);
    if (!key || key.status !== 'enabled') return undefined;
    const account = await tx.getAccount(key.accountId);
    return account && { key, account };
  });
}
