/**
 * core's Repo (core/ports/repo.ts) over Kysely, so SQLite and PostgreSQL run the same statements.
 * Each aggregate's SQL lives in `sql/<aggregate>.ts`; SqlRepo is all of them on one transaction
 * (or, for peek(), on a connection outside any: then each statement stands alone).
 */
import type { Repo } from '../core/ports/repo.ts';
import { AccountSql } from './sql/accounts.ts';
import { AuditSql } from './sql/audit.ts';
import { SqlBase } from './sql/base.ts';
import { BulkSql } from './sql/bulk.ts';
import { EniSql } from './sql/enis.ts';
import { EventSql } from './sql/events.ts';
import { IdempotencySql } from './sql/idempotency.ts';
import { InstanceSql } from './sql/instances.ts';
import { NetworkSql } from './sql/network.ts';
import { SecurityGroupSql } from './sql/securityGroups.ts';
import { FaultSql } from './sql/faults.ts';
import { TaskSql } from './sql/tasks.ts';
import { TransitionSql } from './sql/transitions.ts';
import { WorldSql } from './sql/world.ts';

export class SqlRepo extends SqlBase implements Repo {
  /**
   * Locks the rows an operation will change, always instances before ENIs and each sorted by id,
   * so that two operations can never wait on each other in opposite orders.
   */
  async lock(ids: { instances?: string[]; enis?: string[] }): Promise<void> {
    if (!this.rowLocks) return;
    const instances = [...new Set(ids.instances ?? [])].sort();
    const enis = [...new Set(ids.enis ?? [])].sort();
    for (const [table, ids] of [['instances', instances], ['enis', enis]] as const) {
      if (!ids.length) continue;
      await this.template(`lock ${table} ${ids.length}`, ids, (slots) => this.db.selectFrom(table).select('id').where('id', 'in', slots).orderBy('id').forUpdate());
    }
  }
}

// The aggregates' methods, copied once onto SqlRepo's prototype: one object per transaction, no
// per-call delegation. The interface merge below gives SqlRepo their types.
const AGGREGATES = [AccountSql, AuditSql, BulkSql, EniSql, EventSql, IdempotencySql, InstanceSql, NetworkSql, SecurityGroupSql, TaskSql, WorldSql, FaultSql, TransitionSql];
for (const part of AGGREGATES) {
  for (const name of Object.getOwnPropertyNames(part.prototype)) {
    if (name === 'constructor') continue;
    if (Object.prototype.hasOwnProperty.call(SqlRepo.prototype, name)) throw new Error(`SqlRepo: ${name} is defined twice`);
    Object.defineProperty(SqlRepo.prototype, name, Object.getOwnPropertyDescriptor(part.prototype, name)!);
  }
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface SqlRepo extends AccountSql, AuditSql, BulkSql, EniSql, EventSql, IdempotencySql, InstanceSql, NetworkSql, SecurityGroupSql, TaskSql, WorldSql, FaultSql, TransitionSql {}
