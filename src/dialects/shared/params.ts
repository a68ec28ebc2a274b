/**
 * Request parameters as the Tencent dialects receive them: the flattened dotted form
 * (`Filters.0.Values.1=…`, `privateIpAddressSet.0.primary=true`) of queries and form bodies, and the
 * lenient typing the official examples and SDKs rely on (API 3.0 spec §1.4, API 2.0 spec §1.4).
 * Problems are reported as a neutral ParamError; each dialect words it in its own codes.
 */
import { AnswerError } from '../../core/errors.ts';
import { z } from 'zod';
import { isId } from '../../core/ids.ts';

export type ParamProblem = 'missing' | 'type' | 'unknown' | 'value' | 'malformedName';

export class ParamError extends AnswerError {
  constructor(
    readonly problem: ParamProblem,
    readonly param: string,
    message: string,
    /** A vendor code the schema itself named for this check (API 3.0 uses these), if any. */
    readonly vendorCode?: string,
  ) {
    super(message);
    this.name = 'ParamError';
  }
}

/**
 * The deepest parameter name any action has is 5 parts (`TagSpecification.0.Tags.0.Key`); past this
 * a name is refused rather than built into a structure deep enough to exhaust the stack.
 */
const MAX_NAME_PARTS = 16;

/** Turns `Filters.0.Values.1` style pairs into nested objects and arrays (0-based, by numeric index). */
export function unflatten(pairs: ReadonlyArray<readonly [string, string]>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of pairs) {
    // The Node SDK's GET mode sends undefined fields as `Name=`; an empty flattened value is absent.
    if (value === '') continue;
    const parts = key.split('.');
    if (parts.length > MAX_NAME_PARTS) {
      throw new ParamError('malformedName', key, `The parameter name \`${key.slice(0, 80)}…\` is nested more than ${MAX_NAME_PARTS} levels deep.`);
    }
    if (parts.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) {
      throw new ParamError('malformedName', key, `The parameter name \`${key}\` is not valid.`);
    }
    let node: Record<string, unknown> = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      if (last) {
        if (part in node) throw new ParamError('malformedName', key, `The parameter \`${key}\` is given more than once or conflicts with another.`);
        node[part] = value;
      } else {
        const next = node[part];
        if (next === undefined) node = node[part] = {} as Record<string, unknown>;
        else if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
        else throw new ParamError('malformedName', key, `The parameter \`${key}\` conflicts with \`${parts.slice(0, i + 1).join('.')}\`.`);
      }
    }
  }
  return arraysFromIndexes(root) as Record<string, unknown>;
}

function arraysFromIndexes(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length && keys.every((k) => /^(0|[1-9]\d{0,5})$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => arraysFromIndexes(obj[String(k)]));
  }
  for (const k of keys) obj[k] = arraysFromIndexes(obj[k]);
  return obj;
}

// ---- lenient scalar types (spec §1.4) -----------------------------------------------------------

const toNumber = (v: unknown): unknown => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v);
const toBoolean = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  const l = v.toLowerCase();
  return l === 'true' ? true : l === 'false' ? false : v;
};
const toText = (v: unknown): unknown => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v);

/** Text without NUL: no vendor value holds one, and PostgreSQL text cannot store it (the same answer on both stores). */
const text = () => z.string().refine((s) => !s.includes('\u0000'), { message: 'must not contain NUL characters' });

export const t = {
  str: () => z.preprocess(toText, text()),
  int: () => z.preprocess(toNumber, z.number().int()),
  uint: () => z.preprocess(toNumber, z.number().int().nonnegative()),
  bool: () => z.preprocess(toBoolean, z.boolean()),
  /** An ID of the spec's form (`eni-` + 8 of [a-z0-9]); other shapes get the action's malformed code. */
  id: (prefix: string, code = 'InvalidParameterValue.Malformed') =>
    z.preprocess(
      toText,
      z.string().refine((s) => isId(prefix, s), { params: { tcCode: code }, message: `must look like ${prefix}-xxxxxxxx` }),
    ),
  list: <T extends z.ZodType>(item: T, max?: number) => {
    const a = z.array(item);
    return max === undefined
      ? a
      : a.refine((xs) => xs.length <= max, { params: { tcCode: 'InvalidParameterValue.LimitExceeded' }, message: `at most ${max} values` });
  },
  obj: <S extends z.ZodRawShape>(shape: S) => z.strictObject(shape),
  tag: () => z.strictObject({ Key: z.preprocess(toText, text()), Value: z.preprocess(toText, text()).optional() }),
  filter: () => z.strictObject({ Name: z.preprocess(toText, text()), Values: z.array(z.preprocess(toText, text())) }),
};

/** Validates decoded parameters against an action's schema; the first problem is thrown as a ParamError. */
export function validate<S extends z.ZodType>(schema: S, input: Record<string, unknown>): z.infer<S> {
  input = withoutNulls(input) as Record<string, unknown>;
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const name = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = [...issue.path.map(String), issue.keys[0]].join('.');
    throw new ParamError('unknown', key, `The parameter \`${key}\` is not recognized.`);
  }
  const vendorCode = (issue as { params?: { tcCode?: string } }).params?.tcCode;
  if (vendorCode) throw new ParamError('value', name, `The value of \`${name}\` is invalid: ${issue.message}.`, vendorCode);
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
    throw new ParamError('missing', name, `The request is missing a required parameter \`${name}\`.`);
  }
  if (issue.code === 'invalid_type') throw new ParamError('type', name, `The parameter \`${name}\` has the wrong type: ${issue.message}.`);
  throw new ParamError('value', name, `The value of \`${name}\` is invalid: ${issue.message}.`);
}

/**
 * JSON `null` for a field means "not given": the JD Cloud Python SDK sends every field of its request
 * classes, `null` when unset, and the Tencent SDKs may do the same. A null member is dropped at every
 * depth, so an optional field is absent and a required one missing; a null inside a list stays (a
 * list of values with a hole is a wrong type, not an absent list).
 */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === null ? x : withoutNulls(x)));
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    // defineProperty: a JSON key `__proto__` stays a plain (unknown) key instead of a prototype.
    if (x !== null) Object.defineProperty(out, k, { value: withoutNulls(x), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}
