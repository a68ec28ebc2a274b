/** Accounts and their API keys. A key belongs to one account; an account to one provider. */
import type { Account, ApiKey, Provider } from '../model.ts';
import type { Store } from '../ports/repo.ts';
import type { Clock } from '../clock.ts';
import type { IdSource } from '../ids.ts';
import { fail } from '../errors.ts';
import type { CoreContext } from '../context.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789ABCDEF';

/** Key ids in each vendor's look: Tencent `AKID…` (36 chars); JD Cloud 32 upper-case hex. */
function newKeyPair(ids: IdSource, provider: Provider): { secretId: string; secretKey: string } {
  if (provider === 'jdcloud') return { secretId: ids.text(HEX, 32), secretKey: ids.text(HEX, 32) };
  return { secretId: `AKID${ids.text(ALNUM, 32)}`, secretKey: ids.text(ALNUM, 32) };
}

export interface AccountDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  /** Seals a secret key before it is stored (identity when no master key is set). */
  seal?: (plain: string) => string;
}

export interface NewAccount {
  account: Account;
  /** The key with its secret in clear: shown once to the caller, stored sealed. */
  key: ApiKey;
}

export async function createAccount(deps: AccountDeps, provider: Provider, name: string): Promise<NewAccount> {
  const now = deps.clock.now();
  const account: Account = {
    id: deps.ids.id('acc', 10),
    provider,
    name,
    // Tencent shows the owner uin as a 10-digit number (InstanceAccountId).
    ownerUin: String(deps.ids.int(1_000_000_000, 9_999_999_999)),
    status: 'enabled',
    createdAt: now,
  };
  const key: ApiKey = { ...newKeyPair(deps.ids, provider), accountId: account.id, status: 'enabled', createdAt: now };
  await deps.store.write(async (tx) => {
    await tx.insertAccount(account);
    await tx.insertKey({ ...key, secretKey: deps.seal ? deps.seal(key.secretKey) : key.secretKey });
  });
  return { account, key };
}

export interface AccountView extends Account {
  /** Key ids and their status; never the secrets. */
  keys: Array<{ secretId: string; status: ApiKey['status']; createdAt: number }>;
}

export async function listAccounts(deps: Pick<AccountDeps, 'store'>): Promise<AccountView[]> {
  return deps.store.read(async (tx) => {
    const out: AccountView[] = [];
    for (const a of await tx.listAccounts()) {
      const keys = await tx.listKeys(a.id);
      out.push({ ...a, keys: keys.map((k) => ({ secretId: k.secretId, status: k.status, createdAt: k.createdAt })) });
    }
    return out;
  });
}

/** Disabling an account refuses all its keys at once (they are looked up on every request). */
export async function setAccountEnabled(deps: Pick<AccountDeps, 'store'>, accountId: string, enabled: boolean): Promise<void> {
  await deps.store.write(async (tx) => {
    if (!(await tx.setAccountStatus(accountId, enabled ? 'enabled' : 'disabled'))) fail('NotFound', { resource: 'account', id: accountId });
  });
}

/** A new key for the account; every older key is disabled in the same transaction. */
export async function rotateKey(deps: AccountDeps, accountId: string): Promise<ApiKey> {
  return deps.store.write(async (tx) => {
    const account = await tx.getAccount(accountId);
    if (!account) fail('NotFound', { resource: 'account', id: accountId });
    for (const old of await tx.listKeys(accountId)) await tx.setKeyStatus(old.secretId, 'disabled');
    const key: ApiKey = { ...newKeyPair(deps.ids, account.provider), accountId, status: 'enabled', createdAt: deps.clock.now() };
    await tx.insertKey({ ...key, secretKey: deps.seal ? deps.seal(key.secretKey) : key.secretKey });
    return key;
  });
}

/**
 * The key and its account, when both are enabled (the secret still sealed): the lookup every signed
 * request makes, one statement, read at once by every node so a disabled or rotated key takes effect.
 */
export async function keyAndAccount(core: Pick<CoreContext, 'store'>, secretId: string): Promise<{ key: ApiKey; account: Account } | undefined> {
  // No key id holds a NUL, and PostgreSQL text cannot: such a lookup would fail, not miss.
  if (secretId.includes('\u0000')) return undefined;
  const pair = await core.store.peek((tx) => tx.getKeyAndAccount(secretId));
  return pair && pair.key.status === 'enabled' && pair.account.status === 'enabled' ? pair : undefined;
}
