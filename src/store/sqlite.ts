/**
 * The embedded store: one SQLite file in WAL mode. SQLite has one writer, so every write
 * transaction begins IMMEDIATE (takes the write lock up front) and no row locks are needed.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { Repo } from './repository.ts';
import type { Database } from './schema.ts';
import { migrate, type Store } from './store.ts';

export async function openSqliteStore(path: string): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const native = new BetterSqlite3(path);
  native.pragma('journal_mode = WAL');
  native.pragma('synchronous = NORMAL');
  native.pragma('foreign_keys = ON');
  // Another process (the accounts CLI, a second reader) may hold the write lock briefly.
  native.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: native }) });
  await migrate(db, 'sqlite');

  // Kysely's SQLite driver owns one connection behind a mutex, so a transaction that awaits
  // between statements never interleaves with another request's statements.
  const inTx = <T>(begin: 'begin immediate' | 'begin deferred', fn: (tx: Repo) => Promise<T>): Promise<T> =>
    db.connection().execute(async (conn) => {
      await sql.raw(begin).execute(conn);
      try {
        const out = await fn(new Repo(conn, false));
        await sql`commit`.execute(conn);
        return out;
      } catch (e) {
        await sql`rollback`.execute(conn);
        throw e;
      }
    });

  return {
    kind: 'sqlite',
    read: (fn) => inTx('begin deferred', fn),
    write: (fn) => inTx('begin immediate', fn),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
