/**
 * The embedded store: one SQLite file in WAL mode. SQLite has one writer, so every write
 * transaction begins IMMEDIATE (takes the write lock up front) and no row locks are needed.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { SqlRepo } from './repository.ts';
import type { Repo, Store } from '../core/ports/repo.ts';
import type { Database } from './schema.ts';
import { migrate } from './store.ts';
import { systemClock, type Clock } from '../core/clock.ts';

export async function openSqliteStore(path: string, opts: { clock?: Clock } = {}): Promise<Store> {
  const clock = opts.clock ?? systemClock;
  // Change capture (changeCapture.ts): the triggers ask the writer for the time and whether this
  // write has switched capture off. One writer connection, so one switch; reset after every write.
  let quiet = false;
  const memory = path === ':memory:';
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  const open = (readonly: boolean) => {
    const native = new BetterSqlite3(path, { readonly });
    if (!readonly) native.pragma('journal_mode = WAL');
    native.pragma('synchronous = NORMAL');
    native.pragma('foreign_keys = ON');
    // Another process (the accounts CLI, a second reader) may hold the write lock briefly.
    native.pragma('busy_timeout = 5000');
    // Reads are random lookups over the whole file: SQLite's default 2 MB page cache misses on most of
    // them, and every miss is a read() call and a page copy. Map the first 256 MiB of the file (the OS
    // shares and evicts those pages) and keep a 32 MiB cache of our own: large enough for the hot
    // pages, small enough that a million-ENI database stays well under a GiB of resident memory.
    native.pragma('mmap_size = 268435456');
    native.pragma('cache_size = -32768');
    if (!readonly) {
      native.function('eniplane_now', () => clock.now());
      native.function('eniplane_quiet', { varargs: true }, (...on: unknown[]) => {
        if (on.length) quiet = on[0] === 1;
        return quiet ? 1 : 0;
      });
    }
    return new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(native) }) });
  };
  const db = open(false);
  await migrate(db, 'sqlite');
  // Reads have a connection of their own: in WAL mode it reads the last committed state while the
  // writer's connection is inside a transaction, so a read never waits for a write that awaits
  // between its statements (the engine finishing a task, an attach checking its rules). An
  // in-memory database is private to its connection, so it has only the one.
  const reader = memory ? db : open(true);

  // Kysely's SQLite driver owns one connection behind a mutex, so a transaction that awaits
  // between statements never interleaves with another request's statements on that connection.
  const readTx = <T>(fn: (tx: Repo) => Promise<T>): Promise<T> =>
    reader.connection().execute(async (conn) => {
      await sql`begin deferred`.execute(conn);
      try {
        const out = await fn(new SqlRepo(conn, false, 'sqlite'));
        await sql`commit`.execute(conn);
        return out;
      } catch (e) {
        await sql`rollback`.execute(conn);
        throw e;
      }
    });

  return {
    kind: 'sqlite',
    read: readTx,
    // Each statement takes the reader's mutex on its own, never inside another read's transaction.
    peek: (fn) => fn(new SqlRepo(reader, false, 'sqlite')),
    write: groupCommitted(db, () => (quiet = false)),
    ping: async () => {
      await sql`select 1`.execute(reader);
    },
    close: async () => {
      if (reader !== db) await reader.destroy();
      await db.destroy();
    },
  };
}

interface QueuedWrite {
  fn: (tx: Repo) => Promise<unknown>;
  resolve(out: unknown): void;
  reject(e: unknown): void;
}

/** Writes in one group share a transaction; bounded so that no caller waits behind too many others. */
const MAX_GROUP = 64;

/**
 * Group commit. SQLite has one writer, so write transactions run one after another anyway; what
 * costs is each COMMIT (its pages appended to the WAL). Writes that queue up while one runs are
 * therefore run together in one transaction, each inside its own SAVEPOINT: a write that fails
 * rolls back to its savepoint alone, as if it had its own transaction, and the others go on. No
 * caller is answered before the COMMIT that makes its write durable; if that COMMIT fails, every
 * write of the group fails with it and none was acknowledged.
 *
 * So a write's callback must never wait for another write's answer: both could be in one group,
 * and that answer comes only after the group's COMMIT (a deadlock). None does.
 */
function groupCommitted(db: Kysely<Database>, afterEach: () => void): Store['write'] {
  const queue: QueuedWrite[] = [];
  let running = false;

  const runGroup = () =>
    db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      const done: Array<{ w: QueuedWrite; out: unknown }> = [];
      let current: QueuedWrite | undefined;
      try {
        for (let n = 0; n < MAX_GROUP && queue.length; n++) {
          current = queue.shift()!;
          await sql`savepoint w`.execute(conn);
          let out: unknown;
          try {
            out = await current.fn(new SqlRepo(conn, false, 'sqlite'));
          } catch (e) {
            afterEach();
            await sql`rollback to w`.execute(conn);
            await sql`release w`.execute(conn);
            current.reject(e);
            current = undefined;
            continue;
          }
          afterEach();
          await sql`release w`.execute(conn);
          done.push({ w: current, out });
          current = undefined;
        }
        await sql`commit`.execute(conn);
      } catch (e) {
        // The transaction itself failed (I/O, a full disk): nothing of the group is durable.
        await sql`rollback`.execute(conn).catch(() => {});
        current?.reject(e);
        for (const d of done) d.w.reject(e);
        return;
      }
      for (const d of done) d.w.resolve(d.out);
    });

  const drain = async () => {
    running = true;
    try {
      while (queue.length) {
        await runGroup().catch((e: unknown) => {
          // BEGIN itself failed (the file is locked by another process past busy_timeout, say): the
          // next write in line gets the error rather than waiting forever.
          queue.shift()?.reject(e);
        });
      }
    } finally {
      running = false;
    }
  };

  return <T>(fn: (tx: Repo) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (out: unknown) => void, reject });
      if (!running) void drain();
    });
}

/** What Kysely's SQLite driver uses of a statement. */
interface DriverStatement {
  readonly reader: boolean;
  all(parameters: ReadonlyArray<unknown>): unknown[];
  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown>;
}

/**
 * Kysely prepares every statement it runs; preparing (parsing and planning SQL) cost more than running
 * the statement itself on the request path. The same SQL text gets the same prepared statement.
 * Statements are only ever run to completion (all/run), never left mid-iteration, so reuse is safe.
 * Bounded: SQL with a variable number of parameters (`in (?, ?, …)`, bulk inserts) has many shapes.
 *
 * Rows are fetched as arrays and turned into objects by a constructor made once per statement from
 * its column names: better-sqlite3 builds each row object key by key, which cost more than the query
 * on wide rows (a page of 100 ENIs: 0.58 ms as objects, 0.32 ms this way). Same objects either way,
 * a repeated column name included (the last one wins in both).
 */
function cachingStatements(native: BetterSqlite3.Database): { prepare(sql: string): DriverStatement; close(): void } {
  const cache = new Map<string, DriverStatement>();
  return {
    prepare(sql) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = driverStatement(native.prepare(sql));
        if (cache.size >= 500) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close: () => native.close(),
  };
}

function driverStatement(stmt: BetterSqlite3.Statement): DriverStatement {
  if (!stmt.reader) return stmt as unknown as DriverStatement;
  const columns = stmt.columns().map((c) => c.name);
  // The names come from our own SQL; JSON.stringify quotes them as property names.
  const row = new Function('r', `return {${columns.map((c, i) => `${JSON.stringify(c)}: r[${i}]`).join(', ')}};`) as (r: unknown[]) => unknown;
  stmt.raw(true);
  return {
    reader: true,
    all: (parameters) => (stmt.all(parameters) as unknown[][]).map(row),
    run: (parameters) => stmt.run(parameters),
    *iterate(parameters) {
      for (const r of stmt.iterate(parameters) as IterableIterator<unknown[]>) yield row(r);
    },
  };
}
