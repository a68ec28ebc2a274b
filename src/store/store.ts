/** The one store interface: transactions over a Repo, on SQLite or PostgreSQL. */
import { Migrator, type Kysely, type MigrationProvider } from 'kysely';
import type { Repo } from './repository.ts';
import { migrations, type SqlDialect } from './migrations.ts';
import type { Database } from './schema.ts';

export interface Store {
  readonly kind: SqlDialect;
  /** A consistent read; no writes may happen inside. */
  read<T>(fn: (tx: Repo) => Promise<T>): Promise<T>;
  /**
   * A read of exactly one statement, which is consistent by itself: no transaction is opened around
   * it (on SQLite that saves two statements, on PostgreSQL two round trips). Anything that reads
   * twice and needs both answers to agree uses read().
   */
  peek<T>(fn: (tx: Repo) => Promise<T>): Promise<T>;
  /** One atomic write transaction: all of fn's changes commit together or none do. */
  write<T>(fn: (tx: Repo) => Promise<T>): Promise<T>;
  /** Cheap liveness probe for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function migrate(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
