/**
 * An API 3.0 action as data: its product, documented rate limit, parameter schema and the core call
 * that produces its answer. One generic pipeline (dialect.ts) parses, checks and encodes them all.
 */
import type { z } from 'zod';
import type { Core } from '../../core/api.ts';
import type { RequestMeta } from '../../core/context.ts';
import type { Account, Scope } from '../../core/model.ts';
import type { Product } from './errors.ts';
import type { Language } from './shapes.ts';

export interface ActionContext {
  core: Core;
  scope: Scope;
  account: Account;
  meta: RequestMeta;
  language: Language;
}

export interface ActionDef<S extends z.ZodType = z.ZodType> {
  product: Product;
  /** Requests per second per account (spec §8.5). */
  rate: number;
  /** False only for actions that do not act on a region (DescribeRegions, the tag service). */
  regional?: boolean;
  /** The product's API version; default 2017-03-12 (vpc, cvm, cbs). The tag service is 2018-08-13. */
  version?: string;
  params: S;
  /** The answer's fields; `RequestId` may be set to answer an idempotent replay with the original id. */
  run(ctx: ActionContext, p: z.infer<S>): Promise<Record<string, unknown>>;
}

export function action<S extends z.ZodType>(def: ActionDef<S>): ActionDef<S> {
  return def;
}

/**
 * Documented per-action limits; actions not listed are unconfirmed (spec §8.5) and get 20/s, the
 * most common VPC/CVM default.
 */
export const RATE = { fast: 100, slow: 20, default: 20 } as const;

/** Offset/Limit paging as Tencent does it: TotalCount counts every match, the set is one page. */
export function page<T>(items: T[], offset = 0, limit = 20): T[] {
  return items.slice(offset, offset + limit);
}
