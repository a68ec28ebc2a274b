import { openPostgresStore } from './postgres.ts';
import { openSqliteStore } from './sqlite.ts';
import type { Store } from '../core/ports/repo.ts';

/** `postgres://…` selects the shared store; anything else is a SQLite file path. */
export function openStore(db: string): Promise<Store> {
  return /^postgres(ql)?:\/\//.test(db) ? openPostgresStore(db) : openSqliteStore(db);
}
