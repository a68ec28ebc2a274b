/** Brings a database to the latest schema; the Store itself is core's port (core/ports/repo.ts). */
import { Migrator, type Kysely, type MigrationProvider } from 'kysely';
import { migrations, type SqlDialect } from './migrations.ts';
import type { Database } from './schema.ts';

export async function migrate(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
