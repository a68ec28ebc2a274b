/** API 2.0 CVM actions on cvm.api.qcloud.com (spec §3.17). Start and stop answer per instance. */
import { findInstanceType } from '../../../core/catalog.ts';
import { isDomainError } from '../../../core/errors.ts';
import { action2, p2, pageOf, type Action2Context } from '../action.ts';
import { tc2ErrorOf } from '../errors.ts';
import { STATUS, instance2Shape, zoneIdOf } from '../shapes.ts';
import { PUBLIC } from '../tc2Error.ts';

/**
 * The batch async format: each instance is tried on its own and reported in `detail`; the outer
 * code is 0 when all succeeded, 5100 when all failed and 5400 when some did (spec §3.17).
 */
async function batch(ctx: Action2Context, op: 'start' | 'stop', ids: string[], action: string): Promise<Record<string, unknown>> {
  if (!ids.length) throw PUBLIC.invalidParameter('(instanceIds) at least one instance is required.');
  const detail: Record<string, { code: number; message: string; requestId: string }> = {};
  let failed = 0;
  for (const id of ids) {
    const requestId = ids.length === 1 ? ctx.meta.requestId : `${ctx.meta.requestId}-${id}`;
    try {
      await ctx.core.changePower(ctx.scope, op, [id], { requestId });
      detail[id] = { code: 0, message: '', requestId };
    } catch (e) {
      if (!isDomainError(e) || e.kind === 'Unavailable') throw e;
      failed++;
      const body = tc2ErrorOf(e, action);
      detail[id] = { code: body.code, message: `${body.codeDesc}: ${body.message}`, requestId };
    }
  }
  const code = failed === 0 ? 0 : failed === ids.length ? 5100 : 5400;
  return { code, message: code === 0 ? '' : failed === ids.length ? 'all instances failed' : 'some instances failed', detail };
}

export const cvm2Actions = {
  DescribeInstances: action2({
    host: 'cvm',
    rate: 20,
    params: p2.obj({
      instanceIds: p2.list(p2.str(), 100).optional(),
      lanIps: p2.list(p2.str()).optional(),
      searchWord: p2.str().optional(),
      status: p2.int().optional(),
      projectId: p2.int().optional(),
      zoneId: p2.uint().optional(),
      offset: p2.uint().optional(),
      limit: p2.uint().optional(),
      simplify: p2.str().optional(),
    }),
    async run(ctx, p) {
      if ((p.limit ?? 20) > 100) throw PUBLIC.invalidParameter('(limit) must be at most 100.');
      let all = await ctx.core.listInstances(ctx.scope, p.instanceIds?.length ? p.instanceIds : undefined);
      if (p.lanIps?.length) all = all.filter((i) => i.primaryIps.some((ip) => p.lanIps!.includes(ip)));
      if (p.searchWord) all = all.filter((i) => i.name.includes(p.searchWord!));
      if (p.status !== undefined) all = all.filter((i) => STATUS[i.state] === p.status);
      if (p.projectId !== undefined && p.projectId !== 0) all = [];
      if (p.zoneId !== undefined) all = all.filter((i) => zoneIdOf(ctx.core.catalog, i.zone) === p.zoneId);
      const shown = pageOf(all, p.offset, p.limit);
      await ctx.core.described(ctx.scope, shown.map((i) => i.id));
      return {
        totalCount: all.length,
        instanceSet: shown.map((i) =>
          instance2Shape(ctx.core.catalog, i, findInstanceType(ctx.core.catalog, 'tencent', i.instanceType)),
        ),
      };
    },
  }),
  StartInstances: action2({
    host: 'cvm',
    rate: 20,
    params: p2.obj({ instanceIds: p2.list(p2.str(), 100) }),
    run: (ctx, p) => batch(ctx, 'start', p.instanceIds, 'StartInstances'),
  }),
  StopInstances: action2({
    host: 'cvm',
    rate: 20,
    params: p2.obj({ instanceIds: p2.list(p2.str(), 100), forceStop: p2.uint().optional() }),
    run: (ctx, p) => batch(ctx, 'stop', p.instanceIds, 'StopInstances'),
  }),
};
