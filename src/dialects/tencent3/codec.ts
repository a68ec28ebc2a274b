/** API 3.0 wording of parameter problems: the shared parser and schema builders, Tencent 3.0 codes. */
import type { z } from 'zod';
import { ParamError, unflatten as unflattenShared, validate as validateShared, type ParamProblem } from '../shared/params.ts';
import { TcError } from './tcError.ts';

export { t } from '../shared/params.ts';

const CODES: Record<ParamProblem, string> = {
  missing: 'MissingParameter',
  type: 'InvalidParameter',
  unknown: 'UnknownParameter',
  value: 'InvalidParameterValue',
  malformedName: 'InvalidParameter',
};

function worded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ParamError) throw new TcError(e.vendorCode ?? CODES[e.problem], e.message);
    throw e;
  }
}

export function unflatten(pairs: ReadonlyArray<readonly [string, string]>): Record<string, unknown> {
  return worded(() => unflattenShared(pairs));
}

export function validate<S extends z.ZodType>(schema: S, input: Record<string, unknown>): z.infer<S> {
  return worded(() => validateShared(schema, input));
}
