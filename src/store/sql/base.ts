/** What every aggregate's SQL shares: the connection or transaction, the dialect, the hot-statement templates. */
import { sql, type Compilable, type Kysely } from 'kysely';
import { quietStatement } from '../changeCapture.ts';
import type { Container } from '../../core/ports/repo.ts';
import type { SqlDialect } from '../migrations.ts';
import type { Database } from '../schema.ts';
import { runTemplate } from '../templates.ts';

export class SqlBase {
  constructor(
    protected readonly db: Kysely<Database>,
    /** Row locks exist only where writers run concurrently (PostgreSQL); SQLite serialises writers. */
    protected readonly rowLocks: boolean,
    protected readonly dialect: SqlDialect,
  ) {}

  /** A hot statement, built and compiled once per shape (see templates.ts). */
  protected template<R>(shape: string, values: readonly unknown[], build: (slots: readonly any[]) => Compilable<R>): Promise<R[]> {
    return runTemplate(this.db, this.dialect, shape, values, build);
  }

  /** `update <table> set <columns> where id = ?`, one template per table and set of columns. */
  protected async updateRow(table: 'enis' | 'instances' | 'tasks', id: string, columns: Record<string, unknown>): Promise<void> {
    const names = Object.keys(columns);
    await this.template(`update ${table} ${names.join(',')}`, [...names.map((n) => columns[n]), id], (slots) =>
      this.db
        .updateTable(table)
        .set(Object.fromEntries(names.map((n, i) => [n, slots[i]])) as any)
        .where('id', '=', slots[names.length]),
    );
  }

  /** `insert into <table> (<columns>) values (…)`, optionally returning one column. */
  protected insertRow(table: 'audit_log' | 'tasks', row: Record<string, unknown>, returning?: 'seq'): Promise<Array<{ seq: number }>> {
    const names = Object.keys(row);
    return this.template(`insert ${table} ${names.join(',')} ${returning ?? ''}`, names.map((n) => row[n]), (slots) => {
      const q = this.db.insertInto(table).values(Object.fromEntries(names.map((n, i) => [n, slots[i]])) as any);
      return (returning ? q.returning(returning) : q) as unknown as Compilable<{ seq: number }>;
    });
  }

  /** How many rows of `table` belong to one VPC or one subnet. */
  protected async countIn(table: 'instances' | 'enis', container: Container, id: string): Promise<number> {
    const r = await this.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(container === 'vpc' ? 'vpc_id' : 'subnet_id', '=', id)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Switches capture off for the rest of this write (the caller records one world event instead). */
  protected async quietCapture(quiet: boolean): Promise<void> {
    await sql.raw(quietStatement(this.dialect, quiet)).execute(this.db);
  }

  /** The one event of a bulk rewrite of the world (or of one account's part of it). */
  protected async worldEvent(change: 'reset' | 'imported', accountId: string | null): Promise<void> {
    await sql`insert into events (at, account_id, region, kind, resource_id, change, before, after) values (eniplane_now(), ${accountId}, ${null}, 'world', ${accountId ?? ''}, ${change}, ${null}, ${null})`.execute(this.db);
  }
}
