/** Accounts and their API keys. SQL for the AccountRepo of core/ports/repo.ts. */
import type { Account, ApiKey } from '../../core/model.ts';
import { accountFromRow, accountToRow, keyFromRow, keyToRow } from '../rows.ts';
import type { AccountRepo } from '../../core/ports/repo.ts';
import { SqlBase } from './base.ts';

export class AccountSql extends SqlBase implements AccountRepo {
  async lockAccount(id: string): Promise<void> {
    if (!this.rowLocks) return;
    await this.db.selectFrom('accounts').select('id').where('id', '=', id).forUpdate().execute();
  }

  async insertAccount(a: Account): Promise<void> {
    await this.db.insertInto('accounts').values(accountToRow(a)).execute();
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const [r] = await this.template('getAccount', [id], ([i]) => this.db.selectFrom('accounts').selectAll().where('id', '=', i));
    return r && accountFromRow(r);
  }

  async listAccounts(): Promise<Account[]> {
    const rows = await this.db.selectFrom('accounts').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(accountFromRow);
  }

  async setAccountStatus(id: string, status: Account['status']): Promise<boolean> {
    const r = await this.db.updateTable('accounts').set({ status }).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async insertKey(k: ApiKey): Promise<void> {
    await this.db.insertInto('api_keys').values(keyToRow(k)).execute();
  }

  async getKey(secretId: string): Promise<ApiKey | undefined> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('secret_id', '=', secretId).executeTakeFirst();
    return r && keyFromRow(r);
  }

  /** A key and its account in one statement: the lookup every signed request makes. */
  async getKeyAndAccount(secretId: string): Promise<{ key: ApiKey; account: Account } | undefined> {
    const [r] = await this.template('keyAndAccount', [secretId], ([id]) =>
      this.db
        .selectFrom('api_keys as k')
        .innerJoin('accounts as a', 'a.id', 'k.account_id')
        .select(['k.secret_id', 'k.secret_key', 'k.account_id', 'k.status', 'k.created_at', 'a.provider', 'a.name', 'a.owner_uin', 'a.status as account_status', 'a.created_at as account_created_at'])
        .where('k.secret_id', '=', id),
    );
    if (!r) return undefined;
    return {
      key: keyFromRow(r),
      account: accountFromRow({ id: r.account_id, provider: r.provider, name: r.name, owner_uin: r.owner_uin, status: r.account_status, created_at: r.account_created_at }),
    };
  }

  async listKeys(accountId: string): Promise<ApiKey[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('secret_id').execute();
    return rows.map(keyFromRow);
  }

  async setKeyStatus(secretId: string, status: ApiKey['status']): Promise<void> {
    await this.db.updateTable('api_keys').set({ status }).where('secret_id', '=', secretId).execute();
  }
}
