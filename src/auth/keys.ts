/** The credential behind a key id, its secret opened: read on every request (through core), so a new, disabled or rotated key takes effect at once on every node. */
import type { Core } from '../core/api.ts';
import type { Account, ApiKey } from '../core/model.ts';
import type { SecretBox } from './secrets.ts';

export interface Credential {
  key: ApiKey;
  account: Account;
}

/** The enabled key (its secret opened) and its enabled account, or undefined. */
export async function findCredential(core: Pick<Core, 'keyAndAccount'>, secretId: string, box: SecretBox): Promise<Credential | undefined> {
  const found = await core.keyAndAccount(secretId);
  return found && { ...found, key: { ...found.key, secretKey: box.open(found.key.secretKey) } };
}
