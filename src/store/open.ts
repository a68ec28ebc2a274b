import { openPostgresStore } from './postgres.ts';
import { openSqliteStore } from './sqlite.ts';
import type { Store } from '../core/ports/repo.ts';
import type { Clock } from '../core/clock.ts';

/**
 * `postgres://…` selects the shared store; anything else is a SQLite file path. `clock` dates the
 * captured changes (the events stream); the system clock when not given.
 */
export function openStore(db: string, opts: { clock?: Clock } = {}): Promise<Store> {
  return /^postgres(ql)?:\/\//.test(db) ? openPostgresStore(db, opts) : openSqliteStore(db, opts);
}
