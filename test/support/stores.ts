/**
 * Runs store and concurrency tests on both stores. PostgreSQL is at 127.0.0.1:5432 on every
 * developer and CI machine; on CI (CI=true) its absence fails the run, elsewhere it skips loudly.
 */
import type { Clock } from '../../src/core/clock.ts';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/core/ports/repo.ts';
import type { Scope, Vpc } from '../../src/core/model.ts';

export const PG_ADMIN_URL = process.env.ENIPLANE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgState: Promise<boolean> | undefined;

/** Whether PostgreSQL answers; on CI a missing server is an error, not a skip. */
export function postgresAvailable(): Promise<boolean> {
  pgState ??= (async () => {
    let last: unknown;
    // A loaded machine can be slow to accept a connection; only repeated failure means "absent".
    for (let attempt = 0; attempt < 3; attempt++) {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 10_000 });
      try {
        await c.connect();
        await c.query('select 1');
        return true;
      } catch (e) {
        last = e;
      } finally {
        await c.end().catch(() => {});
      }
    }
    if (process.env.CI) throw new Error(`PostgreSQL is required on CI but unreachable at ${PG_ADMIN_URL}: ${String(last)}`);
    process.stderr.write(`\n!!! PostgreSQL unreachable at ${PG_ADMIN_URL}: the PostgreSQL half of the store tests is SKIPPED !!!\n\n`);
    return false;
  })();
  return pgState;
}

/** A new, empty PostgreSQL database for one test; dropped by the returned cleanup. */
export async function freshPostgresUrl(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `eniplane_t_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: StoreKind[] = ['sqlite', 'postgres'];

/** A database location of the given kind (a temp SQLite file or a fresh PG database) and its cleanup. */
export async function freshDb(kind: StoreKind): Promise<{ db: string; cleanup(): Promise<void> }> {
  if (kind === 'postgres') {
    const p = await freshPostgresUrl();
    return { db: p.url, cleanup: p.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'eniplane-store-'));
  return { db: join(dir, 'e.db'), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** An open store of the given kind on a fresh database. */
export async function freshStore(kind: StoreKind, opts: { clock?: Clock } = {}): Promise<{ store: Store; cleanup(): Promise<void> }> {
  const { db, cleanup } = await freshDb(kind);
  const store = await openStore(db, opts);
  return {
    store,
    async cleanup() {
      await store.close();
      await cleanup();
    },
  };
}

/** `skip` option for node:test: a reason string when the kind cannot run here. */
export async function skipUnless(kind: StoreKind): Promise<string | false> {
  if (kind === 'sqlite') return false;
  return (await postgresAvailable()) ? false : 'PostgreSQL unreachable (not on CI): skipped';
}

/** Runs body on a fresh store of the kind and always cleans up. */
export async function withStore(kind: StoreKind, body: (store: Store) => Promise<void>, opts: { clock?: Clock } = {}): Promise<void> {
  const { store, cleanup } = await freshStore(kind, opts);
  try {
    await body(store);
  } finally {
    await cleanup();
  }
}

/** A plain VPC row of the scope, for store tests that need some row to write and read. */
export const plainVpc = (scope: Scope, id: string, at: number): Vpc => ({
  id,
  accountId: scope.accountId,
  region: scope.region,
  name: `vpc ${id}`,
  cidr: '10.0.0.0/16',
  isDefault: false,
  enableMulticast: false,
  dnsServers: [],
  domainName: '',
  routeTableId: 'rtb-00000001',
  tags: [],
  createdAt: at,
});
