/**
 * The shared store for a region cell of several nodes. Writers lock the rows they change (see
 * Repo.lock) and deadlocks or serialization failures are retried a bounded number of times.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { DomainError } from '../core/errors.ts';
import { SqlRepo } from './repository.ts';
import { preparedNameOf } from './templates.ts';
import type { Database } from './schema.ts';
import { migrate } from './store.ts';
import type { Repo, Store } from '../core/ports/repo.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { beginWithTime } from './changeCapture.ts';

// bigint columns hold millisecond timestamps, well inside Number's exact range.
pg.types.setTypeParser(20, (v) => Number(v));

// 23505 (unique violation): a concurrent transaction committed the same key first (e.g. the same
// ClientToken); the retry sees its row and answers as the rules say (IdempotentProcessing / replay).
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006']);

export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  const msg = e instanceof Error ? e.message : '';
  return (
    (code !== undefined && CONNECTION_CODES.has(code)) ||
    /Connection terminated|ECONNREFUSED|ECONNRESET|timeout exceeded when trying to connect|Query read timeout|not queryable|Client was closed|the database system is (starting up|shutting down)/i.test(msg)
  );
}

export async function openPostgresStore(url: string, opts: { poolSize?: number; clock?: Clock } = {}): Promise<Store> {
  const clock = opts.clock ?? systemClock;
  // Fail fast when the database is away: a request waits at most 2 s for a connection and 5 s for
  // a query, then answers the dialect's service error instead of hanging.
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, connectionTimeoutMillis: 2000, query_timeout: 5000 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // Nor may a checked-out one: the pool stops listening for a client's 'error' while it is lent out,
  // and an unhandled 'error' event would kill the node. The query in flight gets the error anyway, and
  // the broken client is dropped when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    prepareTemplates(client);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await db.connection().execute(async (conn) => {
    // Several nodes may start at once; one advisory lock lets exactly one run the migrations.
    await sql`select pg_advisory_lock(727274)`.execute(conn);
    try {
      await migrate(conn, 'postgres');
    } finally {
      await sql`select pg_advisory_unlock(727274)`.execute(conn);
    }
  });

  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < 5) continue;
        if (isConnectionError(e)) throw new DomainError('Unavailable', { detail: 'database unreachable' });
        throw e;
      }
    }
  };

  return {
    kind: 'postgres',
    // A read is one snapshot: under the default READ COMMITTED each statement would see the commits
    // made since the previous one (a count and its page could disagree).
    read: (fn) => guard(() => db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute((trx) => fn(new SqlRepo(trx, false, 'postgres')))),
    peek: (fn) => guard(() => fn(new SqlRepo(db, false, 'postgres'))),
    write: (fn) => guard(() => writeTx(db, clock, fn)),
    ping: () => guard(async () => void (await sql`select 1`.execute(db))),
    close: () => db.destroy(),
  };
}

/**
 * One write transaction on one connection. Its BEGIN also sets the time its captured changes carry
 * (changeCapture.ts), in the same round trip.
 */
function writeTx<T>(db: Kysely<Database>, clock: Clock, fn: (tx: Repo) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql.raw(beginWithTime(clock.now())).execute(conn);
    let out: T;
    try {
      out = await fn(new SqlRepo(conn, true, 'postgres'));
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw e;
    }
    try {
      await sql`commit`.execute(conn);
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw e;
    }
    return out;
  });
}

/**
 * The hot statements (templates.ts) run as named prepared statements: PostgreSQL parses and plans
 * each once per connection instead of on every call. Kysely hands the driver plain text, so the
 * client's query() recognises a template's text and adds its name; anything else passes unchanged.
 */
function prepareTemplates(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: (...args: unknown[]) => unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
    const name = typeof config === 'string' && Array.isArray(values) ? preparedNameOf(config) : undefined;
    return name ? query({ name, text: config, values }, callback) : query(config, values, callback);
  };
}
