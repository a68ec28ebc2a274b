/** Small pieces every API 3.0 action file shares. */
import type { Tag } from '../../../core/model.ts';
import { TcError } from '../tcError.ts';

export function fromTags(tags: Array<{ Key: string; Value?: string | undefined }> | undefined): Tag[] | undefined {
  return tags?.map((x) => ({ key: x.Key, value: x.Value ?? '' }));
}

/** Offset and Limit arrive as strings or numbers (spec §1.4); Limit is at most 100. */
export function checkPaging(offset: string | number | undefined, limit: string | number | undefined, code = 'InvalidParameterValue.Range'): { offset: number; limit: number } {
  const o = offset === undefined || offset === '' ? 0 : Number(offset);
  const l = limit === undefined || limit === '' ? 20 : Number(limit);
  if (!Number.isInteger(o) || o < 0) throw new TcError(code, `Offset must be a non-negative integer, got \`${offset}\`.`);
  if (!Number.isInteger(l) || l < 0 || l > 100) throw new TcError(code, `Limit must be an integer between 0 and 100, got \`${limit}\`.`);
  return { offset: o, limit: l };
}
