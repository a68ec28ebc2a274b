/**
 * runTemplate (src/store/templates.ts): a statement built once per shape and then run with new
 * values. The same shape names must be used for both dialects here: a template compiled for one
 * dialect must never be run on the other.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Account } from '../../src/core/model.ts';
import type { Database } from '../../src/store/schema.ts';
import { openStore } from '../../src/store/open.ts';
import { runTemplate } from '../../src/store/templates.ts';
import { freshDb, skipUnless, STORE_KINDS } from '../support/stores.ts';

const T0 = Date.UTC(2026, 0, 1);
const account = (n: number, status: Account['status'] = 'enabled'): Account => ({
  id: `acc-tmpl${String(n).padStart(6, '0')}`,
  provider: 'tencent',
  name: `account ${n}`,
  ownerUin: String(1_000_000_000 + n),
  status,
  createdAt: T0 + n,
});
const ACCOUNTS = [1, 2, 3, 4, 5, 6].map((n) => account(n, n % 3 === 0 ? 'disabled' : 'enabled'));

for (const kind of STORE_KINDS) {
  describe(`runTemplate: ${kind}`, { skip: await skipUnless(kind) }, () => {
    let db: Kysely<Database>;
    let cleanup: (() => Promise<void>) | undefined;
    const dialect = kind;

    before(async () => {
      const fresh = await freshDb(kind);
      // The store creates the schema and the rows; the templates run on a Kysely of our own.
      const store = await openStore(fresh.db);
      await store.write(async (tx) => {
        for (const a of ACCOUNTS) await tx.insertAccount(a);
      });
      await store.close();
      if (kind === 'sqlite') {
        db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(fresh.db) }) });
      } else {
        db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: fresh.db, max: 4 }) }) });
      }
      cleanup = async () => {
        await db.destroy();
        await fresh.cleanup();
      };
    });
    after(async () => {
      await cleanup?.();
    });

    test('one shape, many values: each call gets its own rows, and the statement is built once', async () => {
      let builds = 0;
      const byId = (id: string) =>
        runTemplate(db, dialect, 'test: account by id', [id], ([i]) => {
          builds++;
          return db.selectFrom('accounts').select(['id', 'name']).where('id', '=', i);
        });
      for (const a of [ACCOUNTS[0]!, ACCOUNTS[3]!, ACCOUNTS[0]!, ACCOUNTS[5]!]) assert.deepEqual(await byId(a.id), [{ id: a.id, name: a.name }]);
      assert.deepEqual(await byId('acc-missing'), []);
      // Many at once, each with a different value.
      const all = await Promise.all(ACCOUNTS.map((a) => byId(a.id)));
      assert.deepEqual(all.map((rows) => rows.map((r) => r.id)), ACCOUNTS.map((a) => [a.id]));
      assert.equal(builds, 1, 'the template is built once per dialect and shape');
    });

    test('values land in their own places, whatever order the builder uses them in; the builder\'s constants stay', async () => {
      let builds = 0;
      // The builder uses its slots in a different order from the values, and adds constants
      // ('enabled', the limit) of its own.
      const query = (minCreated: number, ids: [string, string, string]) =>
        runTemplate(db, dialect, 'test: enabled accounts', [...ids, minCreated], ([a, b, c, min]) => {
          builds++;
          return db
            .selectFrom('accounts')
            .select(['id', 'status'])
            .where('created_at', '>=', min)
            .where('status', '=', 'enabled')
            .where('id', 'in', [c, a, b])
            .orderBy('id')
            .limit(2);
        });
      const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
      const [a1, a2, a3, a4, a5, a6] = ACCOUNTS.map((a) => a.id) as [string, string, string, string, string, string];
      assert.deepEqual(ids(await query(T0, [a1, a2, a3])), [a1, a2]);
      assert.deepEqual(ids(await query(T0 + 2, [a1, a2, a3])), [a2]); // a3 is disabled
      assert.deepEqual(ids(await query(T0, [a4, a5, a6])), [a4, a5]);
      assert.deepEqual(ids(await query(T0 + 5, [a4, a5, a6])), [a5]);
      assert.deepEqual(ids(await query(T0 + 6, [a4, a5, a6])), []); // a6 is disabled
      assert.deepEqual(ids(await query(T0, [a5, a1, a4])), [a1, a4]); // the constant limit of 2 holds
      assert.equal(builds, 1);
    });

    test('a builder that inlines, drops or replaces a value is refused: "not bound"', async () => {
      const shapes: Array<[string, (slots: readonly any[]) => any]> = [
        ['test: inlined with sql.lit', ([i]) => db.selectFrom('accounts').selectAll().where('id', '=', sql.lit(i))],
        ['test: inlined with sql.raw', ([i]) => db.selectFrom('accounts').selectAll().where(sql.raw(`id = '${i}'`) as any)],
        ['test: slot ignored for a constant', () => db.selectFrom('accounts').selectAll().where('id', '=', ACCOUNTS[0]!.id)],
        ['test: one of two slots dropped', ([i]) => db.selectFrom('accounts').selectAll().where('id', '=', i)],
      ];
      for (const [shape, build] of shapes) {
        const values = shape.includes('two') ? [ACCOUNTS[0]!.id, ACCOUNTS[1]!.id] : [ACCOUNTS[0]!.id];
        await assert.rejects(runTemplate(db, dialect, shape, values, build), /not bound/, shape);
        // Not remembered either: the next call with the same shape is refused again, not run.
        await assert.rejects(runTemplate(db, dialect, shape, values, build), /not bound/, shape);
      }
    });
  });
}
