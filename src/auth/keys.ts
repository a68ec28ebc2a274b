/** Finding the account behind a key id. Read on every request, so a new, disabled or rotated key takes effect at once on every node. */
import type { Account, ApiKey } from '../core/model.ts';
import type { Store } from '../core/ports/repo.ts';
import type { SecretBox } from './secrets.ts';

export interface Credential {
  key: ApiKey;
  account: Account;
}

/** The enabled key (its secret opened) and its enabled account, or undefined. */
export async function findCredential(store: Store, secretId: string, box: SecretBox): Promise<Credential | undefined> {
  // No key id holds a NUL, and PostgreSQL text cannot: such a lookup would fail, not miss.
  if (secretId.includes('\u0000')) return undefined;
  const pair = await store.peek((tx) => tx.getKeyAndAccount(secretId));
  const found = pair && pair.key.status === 'enabled' && pair.account.status === 'enabled' ? pair : undefined;
  return found && { ...found, key: { ...found.key, secretKey: box.open(found.key.secretKey) } };
}
