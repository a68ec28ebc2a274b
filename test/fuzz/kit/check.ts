// Per-dialect envelope checkers: each answer is held to its vendor's envelope and documented codes;
// the dialect that must answer is chosen by the server's own routing.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { routeTo } from '../../../src/http/server.ts';
import { JdcloudDialect } from '../../../src/dialects/jdcloud/dialect.ts';
import { Tencent2Dialect } from '../../../src/dialects/tencent2/dialect.ts';
import { Tencent3Dialect } from '../../../src/dialects/tencent3/dialect.ts';
import { repoRoot } from '../../support/server.ts';
import { type WireIn } from './wire.ts';


// ================================================================================================
// Envelope checkers

export interface Checked {
  /** Every way the answer breaks the dialect's envelope or documented codes. */
  violations: string[];
  /** An error answer: the request was refused and must have changed nothing. */
  rejected: boolean;
  /** The code as the dialect names it (for statistics). */
  code: string;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** API 3.0 common error codes (spec api3 §2.4). */
const T3_COMMON = [
  'ActionOffline', 'AuthFailure.InvalidAuthorization', 'AuthFailure.InvalidSecretId', 'AuthFailure.MFAFailure',
  'AuthFailure.SecretIdNotFound', 'AuthFailure.SignatureExpire', 'AuthFailure.SignatureFailure', 'AuthFailure.TokenFailure',
  'AuthFailure.UnauthorizedOperation', 'DryRunOperation', 'FailedOperation', 'InternalError', 'InvalidAction',
  'InvalidParameter', 'InvalidParameterValue', 'InvalidRequest', 'IpInBlacklist', 'IpNotInWhitelist', 'LimitExceeded',
  'MissingParameter', 'NoSuchProduct', 'NoSuchVersion', 'RequestLimitExceeded', 'RequestLimitExceeded.GlobalRegionUinLimitExceeded',
  'RequestLimitExceeded.IPLimitExceeded', 'RequestLimitExceeded.UinLimitExceeded', 'RequestSizeLimitExceeded', 'ResourceInUse',
  'ResourceInsufficient', 'ResourceNotFound', 'ResourceUnavailable', 'ResponseSizeLimitExceeded', 'ServiceUnavailable',
  'UnauthorizedOperation', 'UnknownParameter', 'UnsupportedOperation', 'UnsupportedProtocol', 'UnsupportedRegion',
];

/**
 * The API 3.0 allow-list: the common codes plus every code the dialect's error table, codec and
 * actions name (read from src/dialects/tencent3: `TcError('…'`, `tcCode: '…'`, the table's `e('…'`,
 * and quoted dotted codes such as the CVM not-found map).
 */
export const T3_CODES: ReadonlySet<string> = (() => {
  const set = new Set(T3_COMMON);
  for (const file of walk(join(repoRoot, 'src/dialects/tencent3'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:TcError\(|tcCode:\s*|[^A-Za-z0-9_]e\()\s*'([A-Z][A-Za-z0-9.]*)'/g)) set.add(m[1]!);
    for (const m of text.matchAll(/'([A-Z][A-Za-z0-9]+(?:\.[A-Z][A-Za-z0-9]+)+)'/g)) set.add(m[1]!);
  }
  return set;
})();

/** Templated codes of the 3.0 table: `UnsupportedOperation.InstanceState<State>`. */
const T3_CODE_FAMILIES = [/^UnsupportedOperation\.InstanceState[A-Z][A-Za-z]*$/];

/** Codes that mean the server failed, never a client's fault: none may appear in a fuzz run. */
const T3_SERVER_CODES = new Set(['InternalError', 'ServiceUnavailable']);

export const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function checkT3(res: WireIn, method: string): Checked {
  const v: string[] = [];
  if (res.status !== 200) v.push(`HTTP ${res.status}, API 3.0 always answers 200`);
  if (method === 'HEAD') return { violations: v, rejected: true, code: 'HEAD' };
  if (!String(res.headers['content-type'] ?? '').startsWith('application/json')) v.push(`content-type ${String(res.headers['content-type'])}`);
  if (!res.isJson || !isObj(res.json)) return { violations: [...v, 'body is not a JSON object'], rejected: true, code: '?' };
  const keys = Object.keys(res.json);
  if (keys.length !== 1 || keys[0] !== 'Response') v.push(`top-level keys ${JSON.stringify(keys)}, expected only "Response"`);
  const r = res.json.Response;
  if (!isObj(r)) return { violations: [...v, 'Response is not an object'], rejected: true, code: '?' };
  if (typeof r.RequestId !== 'string' || r.RequestId === '') v.push('Response.RequestId is not a non-empty string');
  if (r.Error === undefined) return { violations: v, rejected: false, code: 'Success' };
  if (!isObj(r.Error)) return { violations: [...v, 'Response.Error is not an object'], rejected: true, code: '?' };
  const code = r.Error.Code;
  if (typeof code !== 'string') v.push(`Error.Code ${inspect(code)} is not a string`);
  else {
    if (!T3_CODES.has(code) && !T3_CODE_FAMILIES.some((re) => re.test(code))) v.push(`Error.Code ${code} is not documented (not in the allow-list)`);
    if (T3_SERVER_CODES.has(code)) v.push(`Error.Code ${code}: a server-side failure on a client's request`);
  }
  if (typeof r.Error.Message !== 'string' || r.Error.Message === '') v.push('Error.Message is not a non-empty string');
  if (Object.keys(r).some((k) => k !== 'Error' && k !== 'RequestId')) v.push(`an error Response carries other fields: ${Object.keys(r).join(',')}`);
  return { violations: v, rejected: true, code: typeof code === 'string' ? code : '?' };
}

/**
 * API 2.0 public codes (spec api2 §2.3) this server may use, and the security-group host's own
 * (dfw: 7000 backend refusal, 7001 no such group, 7002 quota, 9003 malformed); 6000 (internal) is
 * never a client's fault.
 */
const T2_NUMBERS = new Set([4000, 4100, 4104, 4105, 4400, 4500, 4600, 5100, 5400, 6100, 7000, 7001, 7002, 9003]);

/** codeDesc values of the 2.0 tables (src/dialects/tencent2/errors.ts, tc2Error.ts), plus Success. */
export const T2_CODE_DESCS: ReadonlySet<string> = (() => {
  const set = new Set(['Success']);
  for (const f of ['errors.ts', 'tc2Error.ts']) {
    const text = readFileSync(join(repoRoot, 'src/dialects/tencent2', f), 'utf8');
    for (const m of text.matchAll(/'([A-Z][A-Za-z]+(?:\.[A-Z][A-Za-z]+)*)'/g)) set.add(m[1]!);
  }
  return set;
})();

export function checkT2(res: WireIn, method: string): Checked {
  const v: string[] = [];
  if (res.status !== 200) v.push(`HTTP ${res.status}, API 2.0 always answers 200`);
  if (method === 'HEAD') return { violations: v, rejected: true, code: 'HEAD' };
  if (!String(res.headers['content-type'] ?? '').startsWith('application/json')) v.push(`content-type ${String(res.headers['content-type'])}`);
  if (!res.isJson || !isObj(res.json)) return { violations: [...v, 'body is not a JSON object'], rejected: true, code: '?' };
  const b = res.json;
  if (typeof b.code !== 'number' || !Number.isInteger(b.code)) return { violations: [...v, `code ${inspect(b.code)} is not an integer`], rejected: true, code: '?' };
  if (typeof b.message !== 'string') v.push('message is not a string');
  if (b.code === 0) {
    if (b.codeDesc !== 'Success') v.push(`code 0 with codeDesc ${inspect(b.codeDesc)}`);
    return { violations: v, rejected: false, code: 'Success' };
  }
  if (!T2_NUMBERS.has(b.code)) v.push(`code ${b.code} is not a public code this server documents${b.code === 6000 ? ' (6000: internal error on a client request)' : ''}`);
  if (b.data !== undefined) v.push('an error carries data');
  // The batch CVM format (spec api2 §3.17): {code 5100|5400, message, detail{id:{code,message,requestId}}}, no codeDesc.
  if (isObj(b.detail)) {
    if (b.code !== 5100 && b.code !== 5400) v.push(`a batch answer with code ${b.code}`);
    for (const [id, d] of Object.entries(b.detail)) {
      if (!isObj(d) || typeof d.code !== 'number' || typeof d.message !== 'string' || typeof d.requestId !== 'string') v.push(`detail.${id} is malformed`);
      else if (d.code !== 0 && !T2_NUMBERS.has(d.code)) v.push(`detail.${id}.code ${d.code} is not documented`);
    }
    // 5400: some succeeded, so state changed; 5100: all failed, nothing may have changed.
    return { violations: v, rejected: b.code === 5100, code: `batch-${b.code}` };
  }
  if (typeof b.codeDesc !== 'string') v.push(`codeDesc ${inspect(b.codeDesc)} is not a string`);
  else if (!T2_CODE_DESCS.has(b.codeDesc)) v.push(`codeDesc ${b.codeDesc} is not documented (not in the allow-list)`);
  if (b.codeDesc === 'InternalError' || b.codeDesc === 'ServiceUnavailable') v.push(`codeDesc ${b.codeDesc}: a server-side failure on a client's request`);
  if (typeof b.message === 'string' && b.message === '') v.push('an error carries an empty message');
  return { violations: v, rejected: true, code: `${b.code}/${String(b.codeDesc)}` };
}

/** JD status strings and their HTTP codes (spec jdcloud §3.3). */
export const JD_STATUSES: ReadonlyMap<string, number> = new Map([
  ['INVALID_ARGUMENT', 400], ['FAILED_PRECONDITION', 400], ['OUT_OF_RANGE', 400], ['CONFLICT', 400], ['DUPLICATE', 400],
  ['UNAUTHENTICATED', 401], ['ACCESS_ERROR', 401], ['HTTP_FORBIDDEN', 403], ['PERMISSION_DENIED', 403], ['NOT_FOUND', 404],
  ['ABORTED', 409], ['ALREADY_EXISTS', 409], ['QUOTA_EXCEEDED', 429], ['RATE_LIMIT', 429], ['RESOURCE_EXHAUSTED', 429],
  ['CANCELLED', 499], ['UNKNOWN', 500], ['INTERNAL', 500], ['DATA_LOSS', 500], ['NOT_IMPLEMENTED', 501],
  ['SOURCE_UNAVAILABLE', 502], ['UNAVAILABLE', 503], ['DEADLINE_EXCEEDED', 504],
]);

export function checkJd(res: WireIn, method: string): Checked {
  const v: string[] = [];
  const s = res.status;
  if (s >= 500 && s !== 503) v.push(`HTTP ${s}: a server error on a client's request`);
  if (s === 503) v.push('HTTP 503 UNAVAILABLE: the store is up, so this must not happen in a fuzz run');
  if (method === 'HEAD') return { violations: v, rejected: s !== 200, code: `HEAD-${s}` };
  const header = res.headers['x-jdcloud-request-id'];
  if (!String(res.headers['content-type'] ?? '').startsWith('application/json')) v.push(`content-type ${String(res.headers['content-type'])}`);
  if (!res.isJson || !isObj(res.json)) return { violations: [...v, 'body is not a JSON object'], rejected: s !== 200, code: String(s) };
  const b = res.json;
  if (typeof b.requestId !== 'string' || b.requestId === '') v.push('requestId is not a non-empty string');
  else if (header !== b.requestId) v.push(`x-jdcloud-request-id ${String(header)} != body requestId ${b.requestId}`);
  if (s === 200) {
    if (b.error !== undefined) v.push('a 200 answer carries error');
    if (b.result !== undefined && !isObj(b.result)) v.push('result is not an object');
    return { violations: v, rejected: false, code: '200' };
  }
  if (b.result !== undefined) v.push('an error carries result');
  if (!isObj(b.error)) return { violations: [...v, `HTTP ${s} without an error object`], rejected: true, code: String(s) };
  const { code, status, message } = b.error;
  if (code !== s) v.push(`error.code ${inspect(code)} != HTTP status ${s}`);
  if (typeof status !== 'string' || !JD_STATUSES.has(status)) v.push(`error.status ${inspect(status)} is not a JD status (§3.3)`);
  else if (JD_STATUSES.get(status) !== s) v.push(`error.status ${status} goes with HTTP ${JD_STATUSES.get(status)}, not ${s}`);
  if (typeof message !== 'string' || message === '') v.push('error.message is not a non-empty string');
  return { violations: v, rejected: true, code: `${s} ${String(status)}` };
}

/** The checker of the dialect that answers `target`, chosen by the server's own routing. */
export function checkerFor(target: string): (res: WireIn, method: string) => Checked {
  const table = [
    { claims: JdcloudDialect.prototype.claims, check: checkJd },
    { claims: Tencent2Dialect.prototype.claims, check: checkT2 },
    { claims: Tencent3Dialect.prototype.claims, check: checkT3 },
  ];
  return routeTo(table, target).check;
}

