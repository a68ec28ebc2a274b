// Store: a database made before 0007 keeps its VPCs and subnets through the migration, and each VPC
// comes out with one main route table that all its subnets share (the first subnet's id, or a
// derived one of the VPC's id length when it has none), on both stores.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrations, type SqlDialect } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/open.ts';
import { freshDb, skipUnless, STORE_KINDS, type StoreKind } from '../support/stores.ts';

const SCOPE = { accountId: 'acc-1', provider: 'tencent' as const, region: 'ap-guangzhou' };

function kyselyOf(kind: StoreKind, db: string): Kysely<any> {
  return kind === 'sqlite'
    ? new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(db) }) })
    : new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db, max: 2 }) }) });
}

async function migrateUpTo(db: Kysely<any>, dialect: SqlDialect, last: string): Promise<void> {
  const upTo = Object.fromEntries(Object.entries(migrations(dialect)).filter(([name]) => name <= last));
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => upTo } }).migrateToLatest();
  if (error) throw error;
}

const vpcRow = (id: string) => ({
  id, account_id: SCOPE.accountId, region: SCOPE.region, name: id, cidr: '10.0.0.0/16', is_default: 0, enable_multicast: 0,
  dns_servers: '[]', domain_name: '', tags: '[]', created_at: 1,
});
const subnetRow = (id: string, vpcId: string, cidr: string, routeTableId: string, at: number) => ({
  id, account_id: SCOPE.accountId, region: SCOPE.region, vpc_id: vpcId, name: id, cidr, zone: 'ap-guangzhou-3', is_default: 0,
  route_table_id: routeTableId, network_acl_id: '', tags: '[]', created_at: at,
});

for (const kind of STORE_KINDS) {
  describe(`migration 0007 (${kind})`, { skip: await skipUnless(kind) }, () => {
    test('each VPC gets one main route table and its subnets follow it', async () => {
      const { db, cleanup } = await freshDb(kind);
      try {
        const old = kyselyOf(kind, db);
        try {
          await migrateUpTo(old, kind, '0006_security_groups');
          await old.insertInto('vpcs').values([vpcRow('vpc-aaaaaaaa'), vpcRow('vpc-bbbbbbbb')]).execute();
          await old
            .insertInto('subnets')
            .values([subnetRow('subnet-a2', 'vpc-aaaaaaaa', '10.0.2.0/24', 'rtb-second1', 2), subnetRow('subnet-a1', 'vpc-aaaaaaaa', '10.0.1.0/24', 'rtb-first01', 1)])
            .execute();
        } finally {
          await old.destroy();
        }
        const store = await openStore(db);
        try {
          await store.read(async (tx) => {
            const [a, b] = await tx.listVpcs(SCOPE);
            assert.equal(a!.routeTableId, 'rtb-first01', 'the first subnet’s table becomes the VPC’s');
            assert.deepEqual((await tx.listSubnets(SCOPE, a!.id)).map((x) => [x.id, x.routeTableId, x.enableBroadcast]), [['subnet-a1', 'rtb-first01', false], ['subnet-a2', 'rtb-first01', false]]);
            assert.match(b!.routeTableId, /^rtb-[a-z0-9]{8}$/, 'a VPC without subnets gets a table id of its own length');
          });
        } finally {
          await store.close();
        }
      } finally {
        await cleanup();
      }
    });
  });
}
