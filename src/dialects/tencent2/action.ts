/** An API 2.0 action as data: the host it belongs to, its parameters and the core call behind it. */
import { z } from 'zod';
import type { Core } from '../../core/api.ts';
import type { RequestMeta } from '../../core/context.ts';
import type { Account, Scope } from '../../core/model.ts';
import { t } from '../shared/params.ts';

export interface Action2Context {
  core: Core;
  scope: Scope;
  account: Account;
  meta: RequestMeta;
}

export interface Action2Def<S extends z.ZodType = z.ZodType> {
  /** `vpc.api.qcloud.com`, `cvm.api.qcloud.com` or, for security groups, `dfw.api.qcloud.com`. */
  host: 'vpc' | 'cvm' | 'dfw';
  /** Requests per second per account; 2.0 documents none, so the 3.0 limits of the same action apply. */
  rate: number;
  params: S;
  /** The answer's fields besides code/message/codeDesc; `code` may be set by batch actions. */
  run(ctx: Action2Context, p: z.infer<S>): Promise<Record<string, unknown>>;
}

export function action2<S extends z.ZodType>(def: Action2Def<S>): Action2Def<S> {
  return def;
}

/** 2.0 tolerates unknown extra parameters (spec §1.3), so objects here are not strict. */
export const p2 = {
  obj: <S extends z.ZodRawShape>(shape: S) => z.object(shape),
  str: t.str,
  int: t.int,
  uint: t.uint,
  /** Other clients send True/1 for booleans (Python's str(True)); accept any case and 0/1. */
  bool: () =>
    z.preprocess((v) => {
      if (typeof v !== 'string') return v;
      const l = v.toLowerCase();
      return l === 'true' || l === '1' ? true : l === 'false' || l === '0' ? false : v;
    }, z.boolean()),
  id: (prefix: string) => t.id(prefix),
  list: t.list,
  order: () => z.enum(['asc', 'desc']).optional(),
};

/** The async answer: `data.taskId` (an integer), mirrored at the top level for older clients. */
export async function taskAnswer(ctx: Action2Context, taskId: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const task = await ctx.core.getTask(ctx.scope, { id: taskId });
  return { data: { taskId: task.seq, ...extra }, taskId: task.seq };
}

export function sortBy<T>(items: T[], key: (x: T) => string | number, direction: 'asc' | 'desc' = 'desc'): T[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -sign : x > y ? sign : 0;
  });
}

export function pageOf<T>(items: T[], offset = 0, limit = 20): T[] {
  return items.slice(offset, offset + limit);
}
