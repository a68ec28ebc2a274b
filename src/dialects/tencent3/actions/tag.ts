/**
 * The tag service (tag.tencentcloudapi.com, 2018-08-13) over core's tags. Resources are named in
 * Tencent's six-part form `qcs::<service>:<region>:uin/<uin>:<prefix>/<id>`; an empty uin (as the
 * Terraform provider writes it) is the caller's own.
 */
import { createHash } from 'node:crypto';
import { findRegion } from '../../../core/catalog.ts';
import { isDomainError } from '../../../core/errors.ts';
import type { Account, Scope, Tag, TagChange, TagRef, TaggableKind, Tagged } from '../../../core/model.ts';
import type { z } from 'zod';
import { action, RATE, type ActionContext, type ActionDef } from '../action.ts';
import { tcErrorOf } from '../errors.ts';
import { t } from '../codec.ts';
import { TcError } from '../tcError.ts';

const VERSION = '2018-08-13';

/** `<service>:<prefix>` → the core kind. Security groups are named under cvm (and under vpc by some tools). */
const KIND_OF: Record<string, TaggableKind> = {
  'vpc:vpc': 'vpc',
  'vpc:subnet': 'subnet',
  'vpc:eni': 'eni',
  'cvm:sg': 'securityGroup',
  'vpc:sg': 'securityGroup',
  'cvm:instance': 'instance',
};

/** The service and prefix a kind is named with in answers. */
const NAME_OF: Record<TaggableKind, { service: string; prefix: string }> = {
  vpc: { service: 'vpc', prefix: 'vpc' },
  subnet: { service: 'vpc', prefix: 'subnet' },
  eni: { service: 'vpc', prefix: 'eni' },
  securityGroup: { service: 'cvm', prefix: 'sg' },
  instance: { service: 'cvm', prefix: 'instance' },
};

const NAME = /^qcs::([a-z0-9]+):([a-z0-9-]*):uin\/([0-9]*):([a-z0-9]+)\/([^/]+)$/;

function kindOf(service: string, prefix: string): TaggableKind {
  const kind = KIND_OF[`${service}:${prefix}`];
  if (!kind) throw new TcError('InvalidParameterValue.ResourcePrefixInvalid', `Tags of \`${service}:${prefix}\` resources are not kept by this service.`);
  return kind;
}

/** The scope and resource a six-part name stands for, in the caller's account. */
function resolve(ctx: ActionContext, name: string): { scope: Scope; ref: TagRef } {
  const m = NAME.exec(name);
  if (!m) throw new TcError('InvalidParameterValue.ResourceDescriptionError', `The resource name \`${name}\` is not of the form qcs::service:region:uin/uin:prefix/id.`);
  const [, service, region, uin, prefix, id] = m as unknown as [string, string, string, string, string, string];
  if (uin !== '' && uin !== ctx.account.ownerUin) throw new TcError('InvalidParameterValue.UinInvalid', `The uin \`${uin}\` is not the caller's.`);
  return { scope: regionScope(ctx, region), ref: { kind: kindOf(service, prefix), id } };
}

function regionScope(ctx: ActionContext, region: string): Scope {
  if (!findRegion(ctx.core.catalog, 'tencent', region)) throw new TcError('InvalidParameterValue.RegionInvalid', `The region \`${region}\` is not valid.`);
  return { ...ctx.scope, region };
}

function resourceName(account: Account, region: string, ref: TagRef): string {
  const n = NAME_OF[ref.kind];
  return `qcs::${n.service}:${region}:uin/${account.ownerUin}:${n.prefix}/${ref.id}`;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** TagResource rows; `serviceType` is the one the caller named, else the kind's own. */
function tagResourceRows(tagged: readonly Tagged[], serviceType?: string): Array<Record<string, unknown>> {
  return tagged.flatMap((r) =>
    r.tags.map((tag) => ({
      TagKey: tag.key,
      TagValue: tag.value,
      ResourceId: r.ref.id,
      TagKeyMd5: md5(tag.key),
      TagValueMd5: md5(tag.value),
      ServiceType: serviceType ?? NAME_OF[r.ref.kind].service,
      Category: 'Custom',
    })),
  );
}

/** Offset and Limit of the tag service: integers, Limit 1–1000 (default 15), Offset a multiple of Limit. */
function tagPaging(offset: number | undefined, limit: number | undefined): { offset: number; limit: number } {
  const l = limit ?? 15;
  const o = offset ?? 0;
  if (l < 1 || l > 1000) throw new TcError('InvalidParameterValue', `Limit must be between 1 and 1000, got ${l}.`);
  if (o % l !== 0) throw new TcError('InvalidParameterValue', `Offset must be a multiple of Limit (${l}), got ${o}.`);
  return { offset: o, limit: l };
}

const tagPair = () => t.obj({ TagKey: t.str(), TagValue: t.str() });
const toTags = (xs: Array<{ TagKey: string; TagValue: string }>): Tag[] => xs.map((x) => ({ key: x.TagKey, value: x.TagValue }));

/**
 * TagResources and UnTagResources change each resource on its own and report the ones that failed
 * (their documented FailedResources), in the codes a single call would have answered.
 */
async function eachResource(ctx: ActionContext, action: string, names: string[], change: (ref: TagRef) => TagChange): Promise<Record<string, unknown>> {
  const failed: Array<{ Resource: string; Code: string; Message: string }> = [];
  for (const name of names) {
    try {
      const { scope, ref } = resolve(ctx, name);
      await ctx.core.changeTags(scope, [change(ref)]);
    } catch (e) {
      // A store that is away fails the call as a whole, as any other call; only refusals are listed.
      const body = e instanceof TcError ? { code: e.code, message: e.message } : isDomainError(e) && e.kind !== 'Unavailable' ? tcErrorOf(e, { product: 'tag', action }) : undefined;
      if (!body) throw e;
      failed.push({ Resource: name, Code: body.code, Message: body.message });
    }
  }
  return { FailedResources: failed };
}

const tagAction = <S extends z.ZodType>(params: S, run: ActionDef<S>['run']): ActionDef<S> => action({ product: 'tag', version: VERSION, regional: false, rate: RATE.default, params, run });

export const tagActions = {
  DescribeResourceTagsByResourceIds: tagAction(
    t.obj({
      ServiceType: t.str(),
      ResourcePrefix: t.str(),
      ResourceIds: t.list(t.str(), 50),
      ResourceRegion: t.str(),
      Offset: t.uint().optional(),
      Limit: t.uint().optional(),
      Category: t.str().optional(),
    }),
    async (ctx, p) => {
      const { offset, limit } = tagPaging(p.Offset, p.Limit);
      const kind = kindOf(p.ServiceType, p.ResourcePrefix);
      const tagged = await ctx.core.listTags(regionScope(ctx, p.ResourceRegion), p.ResourceIds.map((id) => ({ kind, id })));
      const rows = p.Category === 'System' ? [] : tagResourceRows(tagged, p.ServiceType);
      return { TotalCount: rows.length, Offset: offset, Limit: limit, Tags: rows.slice(offset, offset + limit) };
    },
  ),
  DescribeResourceTags: tagAction(
    t.obj({
      CreateUin: t.uint().optional(),
      ResourceRegion: t.str().optional(),
      ServiceType: t.str().optional(),
      ResourcePrefix: t.str().optional(),
      ResourceId: t.str().optional(),
      Offset: t.uint().optional(),
      Limit: t.uint().optional(),
      CosResourceId: t.uint().optional(),
    }),
    async (ctx, p) => {
      const { offset, limit } = tagPaging(p.Offset, p.Limit);
      const regions = p.ResourceRegion ? [p.ResourceRegion] : ctx.core.catalog.providers.tencent.regions.map((r) => r.region);
      const rows: Array<Record<string, unknown>> = [];
      for (const region of regions) {
        let tagged = await ctx.core.taggedResources(regionScope(ctx, region));
        tagged = tagged.filter((r) => {
          const n = NAME_OF[r.ref.kind];
          return (!p.ServiceType || n.service === p.ServiceType) && (!p.ResourcePrefix || n.prefix === p.ResourcePrefix) && (!p.ResourceId || r.ref.id === p.ResourceId);
        });
        rows.push(...tagResourceRows(tagged));
      }
      return { TotalCount: rows.length, Offset: offset, Limit: limit, Rows: rows.slice(offset, offset + limit) };
    },
  ),
  ModifyResourceTags: tagAction(
    t.obj({ Resource: t.str(), ReplaceTags: t.list(tagPair(), 10).optional(), DeleteTags: t.list(t.obj({ TagKey: t.str() }), 10).optional() }),
    async (ctx, p) => {
      if (!p.ReplaceTags && !p.DeleteTags) throw new TcError('MissingParameter', 'Give ReplaceTags or DeleteTags.');
      if (p.ReplaceTags?.length === 0 || p.DeleteTags?.length === 0) throw new TcError('InvalidParameter.Tag', 'ReplaceTags and DeleteTags may not be empty lists.');
      const removed = (p.DeleteTags ?? []).map((x) => x.TagKey);
      if ((p.ReplaceTags ?? []).some((x) => removed.includes(x.TagKey))) {
        throw new TcError('InvalidParameterValue.DeleteTagsParamError', 'A key cannot be in both ReplaceTags and DeleteTags.');
      }
      const { scope, ref } = resolve(ctx, p.Resource);
      await ctx.core.changeTags(scope, [{ ref, set: toTags(p.ReplaceTags ?? []), remove: removed }]);
      return {};
    },
  ),
  TagResources: tagAction(t.obj({ ResourceList: t.list(t.str(), 10), Tags: t.list(tagPair(), 10) }), async (ctx, p) =>
    eachResource(ctx, 'TagResources', p.ResourceList, (ref) => ({ ref, set: toTags(p.Tags) })),
  ),
  UnTagResources: tagAction(t.obj({ ResourceList: t.list(t.str(), 10), TagKeys: t.list(t.str(), 10) }), async (ctx, p) =>
    eachResource(ctx, 'UnTagResources', p.ResourceList, (ref) => ({ ref, remove: p.TagKeys })),
  ),
  GetResources: tagAction(
    t.obj({
      ResourceList: t.list(t.str(), 10).optional(),
      TagFilters: t.list(t.obj({ TagKey: t.str(), TagValue: t.list(t.str(), 10).optional() }), 6).optional(),
      PaginationToken: t.str().optional(),
      MaxResults: t.uint().optional(),
    }),
    async (ctx, p) => {
      const max = p.MaxResults ?? 50;
      if (max < 1 || max > 200) throw new TcError('InvalidParameterValue', `MaxResults must be between 1 and 200, got ${max}.`);
      const start = p.PaginationToken ? Number(p.PaginationToken) : 0;
      if (!Number.isInteger(start) || start < 0) throw new TcError('InvalidParameter.PaginationTokenInvalid', 'The PaginationToken is not one this service gave.');
      let found: Array<{ name: string; tags: Tag[] }> = [];
      if (p.ResourceList?.length) {
        for (const name of p.ResourceList) {
          const { scope, ref } = resolve(ctx, name);
          for (const r of await ctx.core.listTags(scope, [ref])) found.push({ name, tags: r.tags });
        }
      } else {
        for (const { region } of ctx.core.catalog.providers.tencent.regions) {
          for (const r of await ctx.core.taggedResources(regionScope(ctx, region))) if (r.tags.length) found.push({ name: resourceName(ctx.account, region, r.ref), tags: r.tags });
        }
      }
      // Filters are ANDed; the values of one filter ORed; a filter without values asks for the key.
      for (const f of p.TagFilters ?? []) found = found.filter((r) => r.tags.some((x) => x.key === f.TagKey && (!f.TagValue?.length || f.TagValue.includes(x.value))));
      const pageOf = p.ResourceList?.length ? found : found.slice(start, start + max);
      const next = !p.ResourceList?.length && start + max < found.length ? String(start + max) : '';
      return { PaginationToken: next, ResourceTagMappingList: pageOf.map((r) => ({ Resource: r.name, Tags: r.tags.map((x) => ({ TagKey: x.key, TagValue: x.value })) })) };
    },
  ),
};
