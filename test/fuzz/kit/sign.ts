// The fuzzer's signers: correctly signed API 3.0 (TC3, v1), API 2.0 and JD Cloud requests, or
// deliberately unsigned, garbled, stale or foreign ones (AuthMode).

import { randomInt, randomUUID } from 'node:crypto';
import { v1Sign, v1StringToSign } from '../../../src/auth/hmacV1.ts';
import { parseJdDatetime, signJd2 } from '../../../src/auth/jdcloud2.ts';
import { signTc3 } from '../../../src/auth/tc3.ts';
import { formPairs } from '../../../src/http/wire.ts';
import { jdDatetime } from '../../support/jdcloud/raw.ts';
import { enc, encodePairs, flatten, toJson, type WireOut } from './wire.ts';
import { headerSafe } from './wire.ts';


// ================================================================================================
// Tencent requests (API 3.0 TC3 / v1, API 2.0)

export interface TcKey {
  secretId: string;
  secretKey: string;
}

/** How a case authenticates: correctly, or one of the ways a caller gets it wrong. */
export type AuthMode = 'ok' | 'none' | 'garbled' | 'unknownId' | 'oddId' | 'wrongSecret' | 'stale' | 'future' | 'foreignKey' | 'token';
export const AUTH_MODES: AuthMode[] = ['ok', 'none', 'garbled', 'unknownId', 'oddId', 'wrongSecret', 'stale', 'future', 'foreignKey', 'token'];

/** Key ids no key has: NUL, empty, unicode, huge, quotes. */
const ODD_IDS = ['AKID\u0000', '\u0000', ' ', '🦄', 'x'.repeat(3000), "' or '1'='1", 'AKID%00', '\ud800', '../../'];
let oddIdTurn = 0;
const oddId = (): string => ODD_IDS[oddIdTurn++ % ODD_IDS.length]!;

export interface Keys {
  own: TcKey;
  /** A key of the other provider (a JD key for Tencent, a Tencent key for JD). */
  foreign: TcKey;
}

const now = () => Math.floor(Date.now() / 1000);

function keyFor(auth: AuthMode, keys: Keys): TcKey {
  if (auth === 'unknownId') return { secretId: `AKIDfuzz${randomUUID().replace(/-/g, '')}`, secretKey: 'nope' };
  if (auth === 'oddId') return { secretId: oddId(), secretKey: 'nope' };
  if (auth === 'wrongSecret') return { secretId: keys.own.secretId, secretKey: `${keys.own.secretKey}x` };
  if (auth === 'foreignKey') return keys.foreign;
  return keys.own;
}

function timestampFor(auth: AuthMode): number {
  return auth === 'stale' ? now() - 3600 : auth === 'future' ? now() + 3600 : now();
}

function garble(sig: string): string {
  const last = sig.slice(-1);
  return sig.slice(0, -1) + (last === 'a' ? 'b' : last === 'A' ? 'B' : 'a');
}

export type T3Mode = 'tc3-post' | 'tc3-get' | 'v1-post' | 'v1-get';

export interface T3Request {
  mode: T3Mode;
  /** undefined: no action at all. */
  action: string | undefined;
  /** Default '2017-03-12'; null: leave it out. */
  version?: string | null;
  /** Default 'ap-guangzhou'; null: leave it out. */
  region?: string | null;
  params: unknown;
  auth: AuthMode;
  /** Host header, also the host signed. Default 127.0.0.1:PORT; null: no Host header (signed as ''). */
  host?: string | null;
  /** Content-Type sent and signed (default: the mode's). null: none. */
  contentType?: string | null;
  /** Replaces the serialized body (signed as sent). */
  rawBody?: Buffer;
  /** Sent instead of the mode's method (after signing with the mode's). */
  method?: string;
  /** Sent after the signed ones, unsigned. */
  extraHeaders?: Array<[string, string]>;
  signatureMethod?: 'HmacSHA1' | 'HmacSHA256';
  chunked?: boolean;
  language?: string;
}

export function buildT3(port: number, keys: Keys, r: T3Request): WireOut {
  const host = r.host === null ? '' : (r.host ?? `127.0.0.1:${port}`);
  const key = keyFor(r.auth, keys);
  const ts = timestampFor(r.auth);
  const version = r.version === undefined ? '2017-03-12' : r.version;
  const region = r.region === undefined ? 'ap-guangzhou' : r.region;
  const headers: Array<[string, string]> = [];
  if (r.host !== null) headers.push(['host', host]);
  let path = '/';
  let body: Buffer | undefined;
  let method: string;

  if (r.mode === 'tc3-post' || r.mode === 'tc3-get') {
    method = r.mode === 'tc3-post' ? 'POST' : 'GET';
    const rawQuery = method === 'GET' ? encodePairs(flatten(r.params)) : '';
    body = method === 'POST' ? (r.rawBody ?? Buffer.from(toJson(r.params), 'utf8')) : (r.rawBody ?? Buffer.alloc(0));
    const contentType = r.contentType === undefined ? (method === 'POST' ? 'application/json' : 'application/x-www-form-urlencoded') : r.contentType;
    if (rawQuery) path = `/?${rawQuery}`;
    // Signed as the server reads them: header bytes are UTF-8 on the wire and latin1 to Node.
    const signHeaders: Record<string, string> = { host: headerSafe(host), 'content-type': headerSafe(contentType ?? '') };
    let authorization = signTc3(key.secretId, key.secretKey, { method, path: '/', rawQuery, headers: signHeaders, body }, 'vpc', ts);
    if (r.auth === 'garbled') authorization = garble(authorization);
    if (contentType !== null) headers.push(['content-type', contentType]);
    if (r.auth !== 'none') headers.push(['authorization', authorization]);
    if (r.action !== undefined) headers.push(['x-tc-action', r.action]);
    if (version !== null) headers.push(['x-tc-version', version]);
    headers.push(['x-tc-timestamp', String(ts)]);
    if (region !== null) headers.push(['x-tc-region', region]);
    if (r.auth === 'token') headers.push(['x-tc-token', 'fuzz-token']);
    if (r.language !== undefined) headers.push(['x-tc-language', r.language]);
  } else {
    method = r.mode === 'v1-post' ? 'POST' : 'GET';
    const common: Array<[string, string]> = [];
    if (r.action !== undefined) common.push(['Action', r.action]);
    if (version !== null) common.push(['Version', version]);
    if (region !== null) common.push(['Region', region]);
    common.push(['Timestamp', String(ts)], ['Nonce', String(randomInt(1, 2 ** 31 - 1))], ['SecretId', key.secretId]);
    if (r.signatureMethod === 'HmacSHA256') common.push(['SignatureMethod', 'HmacSHA256']);
    if (r.auth === 'token') common.push(['Token', 'fuzz-token']);
    if (r.language !== undefined) common.push(['Language', r.language]);
    const encoded = encodePairs([...common, ...flatten(r.params)]);
    // Sign what the server will decode, exactly (odd encodings included).
    const signed = formPairs(encoded).filter(([k]) => k !== 'Signature');
    let signature = v1Sign(key.secretKey, v1StringToSign(method, headerSafe(host), '/', signed, 'api3'), r.signatureMethod ?? 'HmacSHA1');
    if (r.auth === 'garbled') signature = garble(signature);
    const full = r.auth === 'none' ? encoded : `${encoded}&Signature=${enc(signature)}`;
    const contentType = r.contentType === undefined ? 'application/x-www-form-urlencoded' : r.contentType;
    if (contentType !== null) headers.push(['content-type', contentType]);
    if (method === 'GET') {
      path = `/?${full}`;
      body = r.rawBody;
    } else body = r.rawBody ?? Buffer.from(full, 'utf8');
  }
  headers.push(...(r.extraHeaders ?? []));
  return { method: r.method ?? method, path, headers, ...(body && body.length ? { body } : {}), ...(r.chunked ? { chunked: true } : {}) };
}

export const API2 = '/v2/index.php';

export interface T2Request {
  method: 'GET' | 'POST';
  action: string | undefined;
  /** Default 'ap-guangzhou'; null: leave it out. */
  region?: string | null;
  params: unknown;
  /** '.' (default) or '_' between flattened name parts. */
  sep?: '.' | '_';
  auth: AuthMode;
  host?: string | null;
  /** Signed with this host instead of the Host header (a proxy's canonical name). */
  signHost?: string;
  contentType?: string | null;
  rawBody?: Buffer;
  sendMethod?: string;
  extraHeaders?: Array<[string, string]>;
  signatureMethod?: 'HmacSHA1' | 'HmacSHA256';
  /** Leave Nonce out / put garbage in Nonce or Timestamp. */
  nonce?: string | null;
  timestamp?: string;
  /** Extra raw `k=v&…` appended to the form after signing. */
  appendRaw?: string;
  chunked?: boolean;
}

export function buildT2(port: number, keys: Keys, r: T2Request): WireOut {
  const host = r.host === null ? '' : (r.host ?? `127.0.0.1:${port}`);
  const key = keyFor(r.auth, keys);
  const region = r.region === undefined ? 'ap-guangzhou' : r.region;
  const common: Array<[string, string]> = [];
  if (r.action !== undefined) common.push(['Action', r.action]);
  if (region !== null) common.push(['Region', region]);
  common.push(['Timestamp', r.timestamp ?? String(timestampFor(r.auth))]);
  if (r.nonce !== null) common.push(['Nonce', r.nonce ?? String(randomInt(1, 2 ** 31 - 1))]);
  common.push(['SecretId', key.secretId]);
  if (r.signatureMethod === 'HmacSHA256') common.push(['SignatureMethod', 'HmacSHA256']);
  if (r.auth === 'token') common.push(['Token', 'fuzz-token']);
  const encoded = encodePairs([...common, ...flatten(r.params, r.sep ?? '.')]);
  // What the server signs: the decoded pairs, merged into a Map (the last repeat wins on POST).
  const merged = new Map<string, string>();
  for (const [k, v] of formPairs(encoded)) merged.set(k, v);
  const signed = [...merged].filter(([k]) => k !== 'Signature');
  let signature = v1Sign(key.secretKey, v1StringToSign(r.method, headerSafe(r.signHost ?? host), API2, signed, 'api2'), r.signatureMethod ?? 'HmacSHA1');
  if (r.auth === 'garbled') signature = garble(signature);
  let full = r.auth === 'none' ? encoded : `${encoded}&Signature=${enc(signature)}`;
  if (r.appendRaw) full += `&${r.appendRaw}`;
  const headers: Array<[string, string]> = [];
  if (r.host !== null) headers.push(['host', host]);
  const contentType = r.contentType === undefined ? (r.method === 'POST' ? 'application/x-www-form-urlencoded' : undefined) : r.contentType;
  if (contentType !== undefined && contentType !== null) headers.push(['content-type', contentType]);
  headers.push(...(r.extraHeaders ?? []));
  const body = r.method === 'POST' ? (r.rawBody ?? Buffer.from(full, 'utf8')) : r.rawBody;
  return {
    method: r.sendMethod ?? r.method,
    path: r.method === 'GET' ? `${API2}?${full}` : API2,
    headers,
    ...(body && body.length ? { body } : {}),
    ...(r.chunked ? { chunked: true } : {}),
  };
}

// ================================================================================================
// JD Cloud requests

export interface JdRequest {
  /** The signed method; also sent unless `sendMethod`. */
  method: string;
  /** Raw request-line path (percent-encoded as the case wants). */
  path: string;
  query?: string;
  body?: Buffer;
  /** Credential scope. */
  service: string;
  region: string;
  auth: AuthMode;
  contentType?: string;
  accept?: string;
  sendMethod?: string;
  host?: string;
  /** x-jdcloud-date as sent (default now); a bad one is sent unsigned-checkable. */
  datetime?: string;
  nonce?: string;
  extraHeaders?: Array<[string, string]>;
  chunked?: boolean;
}

export interface JdKeys {
  own: { accessKey: string; secretKey: string };
  foreign: { accessKey: string; secretKey: string };
}

function jdDateFor(auth: AuthMode): string {
  const ms = auth === 'stale' ? Date.now() - 3_600_000 : auth === 'future' ? Date.now() + 3_600_000 : Date.now();
  return jdDatetime(new Date(ms));
}

export function buildJd(port: number, keys: JdKeys, r: JdRequest): WireOut {
  const host = r.host ?? `127.0.0.1:${port}`;
  const body = r.body ?? Buffer.alloc(0);
  const k =
    r.auth === 'unknownId'
      ? { accessKey: `FUZZ${randomUUID().replace(/-/g, '').toUpperCase()}`, secretKey: 'nope' }
      : r.auth === 'oddId'
        ? { accessKey: oddId(), secretKey: 'nope' }
      : r.auth === 'wrongSecret'
        ? { accessKey: keys.own.accessKey, secretKey: `${keys.own.secretKey}x` }
        : r.auth === 'foreignKey'
          ? keys.foreign
          : keys.own;
  const base = { accept: r.accept ?? 'application/json', 'content-type': r.contentType ?? 'application/json', host };
  // The date sent; a well-formed one is also the one signed (so a stale date fails on the window, not the signature).
  const datetime = r.datetime ?? jdDateFor(r.auth);
  const signDate = parseJdDatetime(datetime) !== undefined ? datetime : jdDatetime();
  const nonce = r.nonce ?? randomUUID();
  let authorization: string | undefined;
  try {
    // Signed as the server reads the headers: UTF-8 bytes on the wire, latin1 to Node.
    const seen = { accept: headerSafe(base.accept), 'content-type': headerSafe(base['content-type']), host: headerSafe(host) };
    authorization = signJd2(k.accessKey, k.secretKey, { method: r.method, rawPath: r.path, rawQuery: r.query ?? '', headers: seen, body }, r.region, r.service, signDate, nonce)
      .authorization;
  } catch {
    // The query cannot be canonicalised (a lone surrogate) or the scope is unusable: sent unsigned.
    authorization = undefined;
  }
  if (authorization !== undefined && r.auth === 'garbled') authorization = garble(authorization);
  const headers: Array<[string, string]> = [
    ['host', host],
    ['accept', base.accept],
    ['content-type', base['content-type']],
    ['x-jdcloud-date', datetime],
    ['x-jdcloud-nonce', nonce],
  ];
  if (authorization !== undefined && r.auth !== 'none') headers.push(['authorization', authorization]);
  if (r.auth === 'token') headers.push(['x-jdcloud-security-token', 'fuzz-token']);
  headers.push(...(r.extraHeaders ?? []));
  return {
    method: r.sendMethod ?? r.method,
    path: `${r.path}${r.query ? `?${r.query}` : ''}`,
    headers,
    ...(body.length ? { body } : {}),
    ...(r.chunked ? { chunked: true } : {}),
  };
}

