/** A JD Cloud operation as data: its service, method and path, its parameters and the core call. */
import { z } from 'zod';
import type { Core } from '../../core/api.ts';
import type { RequestMeta } from '../../core/context.ts';
import type { Account, Scope } from '../../core/model.ts';
import { t } from '../shared/params.ts';
import { invalidArgument } from './jdError.ts';

export interface JdContext {
  core: Core;
  scope: Scope;
  account: Account;
  meta: RequestMeta;
}

export interface JdInput<B, Q> {
  /** The `{id}` path parameter, if the route has one. */
  id: string;
  body: B;
  query: Q;
}

export interface JdActionDef<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  service: 'vm' | 'vpc';
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** After `/v1/regions/{regionId}`; `{id}` is a path parameter; a trailing `/` is optional on the wire. */
  path: string;
  body: B;
  query: Q;
  /** The `result` object, or undefined for operations answered with `requestId` alone. */
  run(ctx: JdContext, input: JdInput<z.infer<B>, z.infer<Q>>): Promise<Record<string, unknown> | undefined>;
}

export function jdAction<B extends z.ZodType, Q extends z.ZodType>(def: JdActionDef<B, Q>): JdActionDef<B, Q> {
  return def;
}

/** JD bodies: unknown top-level keys are ignored (the Go SDK sends path parameters too, spec §1.4). */
export const jd = {
  obj: <S extends z.ZodRawShape>(shape: S) => z.object(shape),
  str: t.str,
  int: t.int,
  uint: t.uint,
  bool: t.bool,
  list: t.list,
  none: () => z.object({}),
};

/** `filters.N.name` / `filters.N.values.M` / `filters.N.operator` as the SDK serialises them (1-based). */
export const listQuery = () =>
  z.object({
    pageNumber: t.uint().optional(),
    pageSize: t.uint().optional(),
    filters: z.array(z.object({ name: t.str(), values: z.array(t.str()).optional(), operator: t.str().optional() })).optional(),
  });

export type ListQuery = z.infer<ReturnType<typeof listQuery>>;

/**
 * The filters of a list call as name → values. Only `eq` is known (the documented default); an
 * unknown filter name or operator is an invalid argument.
 */
export function filterMap(q: ListQuery, known: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of q.filters ?? []) {
    if (!known.includes(f.name)) throw invalidArgument(`Invalid filter name '${f.name}'`);
    if (f.operator !== undefined && f.operator !== 'eq') throw invalidArgument(`Invalid filter operator '${f.operator}'`);
    out.set(f.name, [...(out.get(f.name) ?? []), ...(f.values ?? [])]);
  }
  return out;
}

/**
 * One page. pageSize defaults to 20 and may not exceed 100; a pageNumber past the end returns the
 * last page, as the vpc docs say (pageSize out of range is unconfirmed: we refuse it).
 */
export function jdPage<T>(items: T[], q: ListQuery): T[] {
  const size = q.pageSize ?? 20;
  if (size < 1 || size > 100) throw invalidArgument(`Invalid pageSize ${size}: it must be between 1 and 100`);
  const pages = Math.max(1, Math.ceil(items.length / size));
  const number = Math.min(Math.max(1, q.pageNumber ?? 1), pages);
  return items.slice((number - 1) * size, number * size);
}
