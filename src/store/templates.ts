/**
 * Statements built once with Kysely and then run with new values. Building a query (immutable nodes,
 * parsed `a.b as c` strings) and compiling it to SQL cost more than running a primary-key lookup,
 * and the hot queries have a handful of shapes. A template is built with sentinel values, compiled,
 * and remembered with where each value goes; later calls only fill in the values.
 *
 * The `shape` names everything that changes the SQL text (which conditions, how many `in` items,
 * whether a page is cut), so two calls with one shape always compile to the same statement.
 */
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { SqlDialect } from './migrations.ts';

interface Template {
  sql: string;
  /** For each bound parameter: the index of the caller's value, or a constant the builder used. */
  slots: Array<number | { constant: unknown }>;
}

const templates = new Map<string, Template>();
/** SQL texts of PostgreSQL templates, with the name each is prepared under (see postgres.ts). */
const preparedNames = new Map<string, string>();

/** The name a PostgreSQL template's SQL is prepared under on each connection, if it is a template's. */
export function preparedNameOf(sql: string): string | undefined {
  return preparedNames.get(sql);
}
// Shapes are few in practice; the bound only guards against a caller inventing unbounded shapes.
const MAX_TEMPLATES = 5_000;

const sentinel = (i: number) => `\u0001eniplane-value-${i}\u0001`;

/** Stands in for a value while the template is built; the builder treats it as the value itself. */
export type Slot<T> = T;

export async function runTemplate<R>(
  db: Kysely<any>,
  dialect: SqlDialect,
  shape: string,
  values: readonly unknown[],
  build: (slots: readonly Slot<any>[]) => Compilable<R>,
): Promise<R[]> {
  const key = `${dialect}\n${shape}`;
  let t = templates.get(key);
  if (!t) {
    const slots = values.map((_, i) => sentinel(i));
    const index = new Map(slots.map((s, i) => [s, i]));
    const compiled = build(slots).compile();
    const used = new Set<number>();
    t = {
      sql: compiled.sql,
      slots: compiled.parameters.map((p) => {
        const i = typeof p === 'string' ? (index.get(p) ?? -1) : -1;
        if (i < 0) return { constant: p };
        used.add(i);
        return i;
      }),
    };
    // A value the builder inlined or dropped would be silently lost: refuse such a template.
    if (used.size !== values.length) throw new Error(`template ${shape}: ${values.length - used.size} value(s) not bound as parameters`);
    if (templates.size >= MAX_TEMPLATES) templates.clear();
    templates.set(key, t);
    if (dialect === 'postgres' && !preparedNames.has(t.sql) && preparedNames.size < MAX_TEMPLATES) preparedNames.set(t.sql, `eniplane_${preparedNames.size}`);
  }
  const params = t.slots.map((s) => (typeof s === 'number' ? values[s] : s.constant));
  const result = await db.executeQuery<R>(CompiledQuery.raw(t.sql, params));
  return result.rows;
}
