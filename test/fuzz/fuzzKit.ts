// Property-based fuzzing of the three dialects (fast-check): hand-signed requests of any shape for
// each dialect (correctly signed, so a case reaches validation and the core, or deliberately
// unsigned/garbled), a world of real resources whose ids are mixed into the parameters, per-dialect
// envelope checkers, a digest of the whole database (read directly, not through the API) to prove a
// rejected request changed nothing, a log watch (no error-level line, no stack trace), and the
// runner that ties them together case by case.
//
// Budget: ENIPLANE_FUZZ_RUNS=N runs N cases per dialect and store (default: a bounded CI run of
// about 300); ENIPLANE_FUZZ_SEED fixes the seed (printed by every run); ENIPLANE_FUZZ_KEEP_GOING=1
// collects every finding instead of stopping at the first; ENIPLANE_FUZZ_SHRINK=1 lets fast-check
// shrink a failure. A long run: `ENIPLANE_FUZZ_RUNS=5000 node --test --import tsx test/fuzz/*.test.ts`.

import { createHash, randomInt, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import type { z } from 'zod';
import { v1Sign, v1StringToSign } from '../../src/auth/hmacV1.ts';
import { parseJdDatetime, signJd2 } from '../../src/auth/jdcloud2.ts';
import { signTc3 } from '../../src/auth/tc3.ts';
import { formPairs } from '../../src/http/wire.ts';
import { MAX_HEADER_BYTES, routeTo } from '../../src/http/server.ts';
import { JdcloudDialect } from '../../src/dialects/jdcloud/dialect.ts';
import { Tencent2Dialect } from '../../src/dialects/tencent2/dialect.ts';
import { Tencent3Dialect } from '../../src/dialects/tencent3/dialect.ts';
import { pollUntil } from '../support/poll.ts';
import { repoRoot, startServer, type AccountInfo, type RunningServer } from '../support/server.ts';
import { freshDb, type StoreKind } from '../support/stores.ts';
import { createJdAccount, jdDatetime, type JdAccount } from '../support/jdcloud.ts';

// ================================================================================================
// Budget

const envRuns = Number(process.env.ENIPLANE_FUZZ_RUNS ?? '');

/** Cases per dialect and store: ENIPLANE_FUZZ_RUNS when set, else the bounded CI default. */
export function fuzzBudget(ciDefault: number): number {
  return Number.isInteger(envRuns) && envRuns > 0 ? envRuns : ciDefault;
}

export const LONG_RUN = Number.isInteger(envRuns) && envRuns > 0;
export const FUZZ_SEED: number = process.env.ENIPLANE_FUZZ_SEED ? Number(process.env.ENIPLANE_FUZZ_SEED) : randomInt(2 ** 31 - 1);
const SHRINK = process.env.ENIPLANE_FUZZ_SHRINK === '1';
/** Record violations and carry on (a long run that collects every finding); the test fails at the end. */
const KEEP_GOING = process.env.ENIPLANE_FUZZ_KEEP_GOING === '1';

// ================================================================================================
// A fuzz server: a fresh database of `kind`, tasks due at once, no rate limit (the fuzz is a burst).

export interface FuzzServer {
  server: RunningServer;
  kind: StoreKind;
  stop(): Promise<void>;
}

export async function startFuzzServer(kind: StoreKind): Promise<FuzzServer> {
  const { db, cleanup } = await freshDb(kind);
  let server: RunningServer;
  try {
    server = await startServer({ db, latency: '0', rateLimit: 'off' });
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    server,
    kind,
    async stop() {
      await server.stop().catch(() => server.kill9());
      await cleanup();
    },
  };
}

// ================================================================================================
// Raw HTTP: whatever method, target, headers (duplicates too) and body a case asks for.

export interface WireOut {
  method: string;
  /** The request target as sent (must already be percent-encoded where HTTP needs it). */
  path: string;
  /** Sent in this order; duplicates are sent as duplicates. Must include `host` unless deliberately absent. */
  headers: Array<[string, string]>;
  body?: Buffer;
  /** No Content-Length: a body goes out chunked. */
  chunked?: boolean;
}

export interface WireIn {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
  isJson: boolean;
}

/** Header values go on the wire as their UTF-8 bytes; control characters Node refuses become '?'. */
function headerSafe(v: string): string {
  return Buffer.from(v, 'utf8').toString('latin1').replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '?');
}

export function send(port: number, w: WireOut, timeoutMs = 60_000): Promise<WireIn> {
  return new Promise((resolve, reject) => {
    const body = w.body ?? Buffer.alloc(0);
    const flat: string[] = [];
    let hasLength = false;
    for (const [k, v] of w.headers) {
      flat.push(k, headerSafe(v));
      if (k.toLowerCase() === 'content-length') hasLength = true;
    }
    if (!hasLength && !w.chunked && (body.length > 0 || (w.method !== 'GET' && w.method !== 'HEAD'))) flat.push('content-length', String(body.length));
    // Named explicitly: Node frames a GET/DELETE body as chunked only when told to.
    if (w.chunked && !w.headers.some(([k]) => k.toLowerCase() === 'transfer-encoding')) flat.push('transfer-encoding', 'chunked');
    const req = http.request(
      { host: '127.0.0.1', port, method: w.method, path: w.path, headers: flat as unknown as http.OutgoingHttpHeaders, setHost: false, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          let isJson = false;
          try {
            json = JSON.parse(text);
            isJson = true;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, isJson });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (body.length) req.write(body);
    req.end();
  });
}

export interface RawAnswer {
  /** Status of the first response on the connection, undefined when none came. */
  status: number | undefined;
  head: string;
  body: string;
  json: unknown;
}

/**
 * Writes `bytes` on a fresh TCP connection (optionally half-closing), reads until the server
 * closes or `timeoutMs`, and parses the FIRST response (Content-Length bodies only). For requests
 * Node's own client refuses to produce: bad framing, header bytes Node validates, no Host.
 */
export function sendRaw(port: number, bytes: Buffer, opts: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const sock = net.createConnection({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const all = Buffer.concat(chunks).toString('latin1');
      const sep = all.indexOf('\r\n\r\n');
      if (sep < 0) return resolve({ status: undefined, head: all, body: '', json: undefined });
      const head = all.slice(0, sep);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const rest = Buffer.from(all.slice(sep + 4), 'latin1');
      const bodyBuf = len ? rest.subarray(0, Number(len[1])) : rest;
      const body = bodyBuf.toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      resolve({ status: m ? Number(m[1]) : undefined, head, body, json });
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 5_000);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      // One complete Content-Length response is all we look at.
      const all = Buffer.concat(chunks).toString('latin1');
      const sep = all.indexOf('\r\n\r\n');
      const len = sep >= 0 ? /\r\ncontent-length:\s*(\d+)/i.exec(all.slice(0, sep)) : null;
      if (len && Buffer.byteLength(all.slice(sep + 4), 'latin1') >= Number(len[1])) finish();
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', finish);
    sock.write(bytes, () => {
      if (opts.halfClose) sock.end();
    });
  });
}

/** GET /healthz → 200 (the process is alive and its store answers). */
export async function healthy(port: number): Promise<boolean> {
  try {
    const r = await send(port, { method: 'GET', path: '/healthz', headers: [['host', `127.0.0.1:${port}`]] }, 10_000);
    return r.status === 200;
  } catch {
    return false;
  }
}

// ================================================================================================
// Values: JSON with literal tokens JSON.stringify cannot produce (1e400, -0, 40-digit integers).

/** A number token written verbatim into JSON bodies and as its text into forms and queries. */
export class RawJson {
  constructor(readonly text: string) {}
  [inspect.custom](): string {
    return `RawJson(${this.text})`;
  }
}

export function toJson(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Flattens like the SDKs: `a.0.b=1`; null/undefined dropped; `sep` joins path parts ('.' or '_' for 2.0). */
export function flatten(v: unknown, sep = '.', prefix = '', out: Array<[string, string]> = []): Array<[string, string]> {
  if (v === null || v === undefined) return out;
  if (v instanceof RawJson) out.push([prefix, v.text]);
  else if (Array.isArray(v)) v.forEach((x, i) => flatten(x, sep, prefix === '' ? String(i) : `${prefix}${sep}${i}`, out));
  else if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    // An empty object still names its key (a deliberately odd parameter), with an empty value.
    if (entries.length === 0 && prefix !== '') out.push([prefix, '']);
    for (const [k, x] of entries) flatten(x, sep, prefix === '' ? k : `${prefix}${sep}${k}`, out);
  } else out.push([prefix, String(v)]);
  return out;
}

/** encodeURIComponent, except that a lone surrogate becomes the invalid UTF-8 `%ED%A0%80` instead of throwing. */
export function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    let out = '';
    for (const ch of s) {
      const c = ch.codePointAt(0)!;
      out += c >= 0xd800 && c <= 0xdfff ? '%ED%A0%80' : encodeURIComponent(ch);
    }
    return out;
  }
}

export const encodePairs = (pairs: ReadonlyArray<readonly [string, string]>): string => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');

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

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

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

/** API 2.0 public codes (spec api2 §2.3) this server may use; 6000 (internal) is never a client's fault. */
const T2_NUMBERS = new Set([4000, 4100, 4104, 4105, 4400, 4500, 4600, 5100, 5400, 6100]);

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

// ================================================================================================
// State digest: every row of every table, read straight from the database.

/** Columns that change with no request at all (the task engine's lease bookkeeping). */
const VOLATILE_COLUMNS: Record<string, ReadonlySet<string>> = { tasks: new Set(['lease_owner', 'lease_expires_at']) };

/** Tables outside the state: migrations bookkeeping and the audit trail (which records refusals too). */
export const inDigest = (table: string): boolean =>
  !table.startsWith('kysely_migration') && !table.startsWith('audit') && !table.startsWith('sqlite_');

export interface Snapshot {
  hash: string;
  /** Canonical rows by table (sorted), for a readable diff. */
  tables: Map<string, string[]>;
}

export interface StateProbe {
  snapshot(): Promise<Snapshot>;
  /** Waits until no task is RUNNING (accepted work has settled). */
  quiet(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function canonRow(table: string, row: Record<string, unknown>): string {
  const skip = VOLATILE_COLUMNS[table];
  const keys = Object.keys(row)
    .filter((k) => !skip?.has(k))
    .sort();
  return JSON.stringify(keys.map((k) => [k, normValue(row[k])]));
}

function normValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return `hex:${v.toString('hex')}`;
  if (v instanceof Date) return v.toISOString();
  // PostgreSQL gives bigint columns as strings, SQLite as numbers: one form for both.
  if (typeof v === 'number') return String(v);
  return v;
}

function makeSnapshot(tables: Map<string, string[]>): Snapshot {
  const h = createHash('sha256');
  for (const name of [...tables.keys()].sort()) {
    const rows = tables.get(name)!;
    rows.sort();
    h.update(`#${name}\n`);
    for (const r of rows) h.update(`${r}\n`);
  }
  return { hash: h.digest('hex'), tables };
}

export async function openProbe(server: RunningServer): Promise<StateProbe> {
  const running = await (async (): Promise<{ tablesRows(): Promise<Map<string, string[]>>; runningTasks(): Promise<number>; close(): Promise<void> }> => {
    if (/^postgres(ql)?:\/\//.test(server.db)) {
      const client = new pg.Client({ connectionString: server.db });
      await client.connect();
      return {
        async tablesRows() {
          const names = (
            await client.query<{ table_name: string }>(
              `select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`,
            )
          ).rows
            .map((r) => r.table_name)
            .filter(inDigest);
          const out = new Map<string, string[]>(names.map((n) => [n, []]));
          if (names.length === 0) return out;
          // One round trip: every row of every table as JSON.
          const q = names.map((n) => `select '${n}' as t, row_to_json(x)::text as r from "${n}" x`).join(' union all ');
          for (const row of (await client.query<{ t: string; r: string }>(q)).rows) {
            out.get(row.t)!.push(canonRow(row.t, JSON.parse(row.r) as Record<string, unknown>));
          }
          return out;
        },
        async runningTasks() {
          return Number((await client.query<{ n: string }>(`select count(*) as n from tasks where status = 'RUNNING'`)).rows[0]!.n);
        },
        close: () => client.end(),
      };
    }
    const db = new BetterSqlite3(server.db, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return {
      async tablesRows() {
        const names = (db.prepare(`select name from sqlite_master where type = 'table'`).pluck().all() as string[]).filter(inDigest);
        const out = new Map<string, string[]>();
        // One read transaction, so every table is seen at the same commit.
        db.transaction(() => {
          for (const n of names) out.set(n, (db.prepare(`select * from "${n}"`).all() as Array<Record<string, unknown>>).map((r) => canonRow(n, r)));
        })();
        return out;
      },
      async runningTasks() {
        return Number(db.prepare(`select count(*) from tasks where status = 'RUNNING'`).pluck().get());
      },
      close: async () => void db.close(),
    };
  })();
  return {
    snapshot: async () => makeSnapshot(await running.tablesRows()),
    async quiet(timeoutMs = 30_000) {
      await pollUntil(async () => (await running.runningTasks()) === 0, { timeoutMs, intervalMs: 10, what: 'every task to finish' });
    },
    close: () => running.close(),
  };
}

/** What changed between two snapshots, briefly. */
export function diffSnapshots(a: Snapshot, b: Snapshot, max = 6): string {
  const out: string[] = [];
  for (const t of new Set([...a.tables.keys(), ...b.tables.keys()])) {
    const x = new Set(a.tables.get(t) ?? []);
    const y = new Set(b.tables.get(t) ?? []);
    for (const r of y) if (!x.has(r)) out.push(`+ ${t} ${r.slice(0, 400)}`);
    for (const r of x) if (!y.has(r)) out.push(`- ${t} ${r.slice(0, 400)}`);
  }
  return out.slice(0, max).join('\n') + (out.length > max ? `\n… ${out.length - max} more` : '');
}

// ================================================================================================
// Logs: no error-level line, no stack trace.

export class LogWatch {
  private seen = 0;
  constructor(private readonly server: RunningServer) {}

  /** Problems in what the server printed since the last call. */
  problems(): string[] {
    const all = this.server.logs();
    // The harness keeps the tail of a long log; after a cut, look at everything it still has.
    const fresh = all.length >= this.seen ? all.slice(this.seen) : all;
    this.seen = all.length;
    const out: string[] = [];
    for (const line of fresh.split('\n')) {
      if (line.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        obj = undefined;
      }
      if (isObj(obj)) {
        const level = typeof obj.level === 'number' ? obj.level : 0;
        const errText = JSON.stringify([obj.err, obj.error, obj.stack]);
        if (level >= 50 || /\\n\s+at \S/.test(errText)) out.push(line.slice(0, 3000));
      } else if (/^\s+at \S/.test(line) || /^(\w*Error|Uncaught|node:internal)/.test(line)) out.push(line.slice(0, 3000));
    }
    return out;
  }
}

// ================================================================================================
// The runner: one case = send, check the envelope, and if refused prove the state unchanged.

export interface CaseResult extends Checked {
  status: number;
  text: string;
}

export class FuzzRunner {
  private before: Snapshot | undefined;
  private dirty = true;
  readonly stats = { cases: 0, rejected: 0, accepted: 0, digests: 0, codes: new Map<string, number>(), actions: new Map<string, number>() };
  readonly logs: LogWatch;

  constructor(
    readonly server: RunningServer,
    readonly probe: StateProbe,
  ) {
    this.logs = new LogWatch(server);
  }

  get port(): number {
    return this.server.port;
  }

  /**
   * Sends one request and checks it. `check` classifies the answer; `show` describes the request
   * for a failure message. `times` > 1 sends the identical bytes again (a replay): every send is checked.
   */
  async run(label: string, wire: WireOut, check: (res: WireIn, method: string) => Checked, opts: { times?: number } = {}): Promise<CaseResult> {
    let last: CaseResult | undefined;
    for (let i = 0; i < (opts.times ?? 1); i++) last = await this.once(label, wire, check);
    return last!;
  }

  private async once(label: string, wire: WireOut, check: (res: WireIn, method: string) => Checked): Promise<CaseResult> {
    if (this.dirty || !this.before) {
      await this.probe.quiet();
      this.before = await this.probe.snapshot();
      this.stats.digests++;
      this.dirty = false;
    }
    let res: WireIn;
    try {
      res = await send(this.port, wire);
    } catch (e) {
      const alive = await healthy(this.port);
      // A head over the limit (see below) is answered 431 and the connection closed while the client
      // may still be writing (ECONNRESET/EPIPE), or with a body a HEAD does not expect (a parse error):
      // the head limit again, not a broken server.
      if (alive && headBytes(wire) > HEAD_LIMIT) res = { status: 431, headers: {}, text: '', json: undefined, isJson: false };
      else throw new Error(`${label}: no answer (${e instanceof Error ? e.message : String(e)}); server ${alive ? 'still healthy' : 'DOWN'}\n${showWire(wire)}\n${this.tail()}`);
    }
    // A request head (request line + headers) over the server's 64 KB limit cannot even be read:
    // Node answers a bare 431. The limit is twice the largest query any dialect documents (32 KB).
    const checked = res.status === 431 && headBytes(wire) > HEAD_LIMIT ? { violations: [], rejected: true, code: 'head-over-64KB' } : check(res, wire.method);
    const violations = [...checked.violations];
    if (checked.rejected) {
      const after = await this.probe.snapshot();
      this.stats.digests++;
      if (after.hash !== this.before.hash) {
        violations.push(`a refused request (${checked.code}) changed the state:\n${diffSnapshots(this.before, after)}`);
        this.before = after;
      }
    } else this.dirty = true;
    this.stats.cases++;
    if (checked.rejected) this.stats.rejected++;
    else this.stats.accepted++;
    this.stats.codes.set(checked.code, (this.stats.codes.get(checked.code) ?? 0) + 1);
    this.stats.actions.set(label, (this.stats.actions.get(label) ?? 0) + 1);
    if (violations.length) this.fail(`${label}: ${violations.join('\n')}\n${showWire(wire)}\n--- answer: HTTP ${res.status} ${res.text.slice(0, 1500)}`);
    return { ...checked, violations, status: res.status, text: res.text };
  }

  /**
   * Sends hand-framed bytes (see serialize). A request that is valid HTTP must be answered inside
   * the dialect's envelope (`check`); one that is not (bad framing, bytes HTTP forbids) is below the
   * dialects: Node's parser may answer it with a bare 4xx or close, but never a 5xx. Either way the
   * state must be unchanged unless `check` says the request was accepted.
   */
  async runRaw(label: string, bytes: Buffer, o: { validHttp: boolean | 'either'; method: string; target: string; halfClose?: boolean }): Promise<RawAnswer> {
    const check = checkerFor(o.target);
    if (this.dirty || !this.before) {
      await this.probe.quiet();
      this.before = await this.probe.snapshot();
      this.dirty = false;
    }
    const ans = await sendRaw(this.port, bytes, { halfClose: o.halfClose ?? false, timeoutMs: 5_000 });
    const violations: string[] = [];
    let rejected = true;
    let code = `raw-${ans.status ?? 'closed'}`;
    const c =
      ans.status === undefined
        ? undefined
        : check({ status: ans.status, headers: parseHead(ans.head), text: ans.body, json: ans.json, isJson: ans.json !== undefined }, o.method);
    const parserAnswer = ans.status === undefined || (ans.status >= 400 && ans.status < 500);
    if (o.validHttp === true || (o.validHttp === 'either' && c !== undefined && c.violations.length === 0)) {
      if (c === undefined) violations.push('no answer to a valid HTTP request');
      else {
        violations.push(...c.violations);
        rejected = c.rejected;
        code = c.code;
      }
    } else if (!parserAnswer) {
      violations.push(`malformed HTTP answered with ${ans.status} (expected the dialect's envelope, a 4xx from the HTTP parser, or a closed connection)`);
    }
    if (rejected) {
      const after = await this.probe.snapshot();
      this.stats.digests++;
      if (after.hash !== this.before.hash) {
        violations.push(`a refused request changed the state:\n${diffSnapshots(this.before, after)}`);
        this.before = after;
      }
    } else this.dirty = true;
    this.stats.cases++;
    if (rejected) this.stats.rejected++;
    else this.stats.accepted++;
    this.stats.codes.set(code, (this.stats.codes.get(code) ?? 0) + 1);
    if (violations.length) {
      const shown = bytes.length > 1500 ? `${bytes.subarray(0, 1500).toString('latin1')}… (${bytes.length} bytes)` : bytes.toString('latin1');
      this.fail(`${label}: ${violations.join('\n')}\n--- raw request ---\n${shown}\n--- answer ---\n${ans.head}\n\n${ans.body.slice(0, 1500)}`);
    }
    return ans;
  }

  /** The process is alive and healthy, and has logged no error or stack trace since the last look. */
  async checkpoint(where: string): Promise<void> {
    if (this.server.pid === undefined) throw new Error(`${where}: the server process is gone (${inspect(this.server.lastExit)})\n${this.tail()}`);
    if (!(await healthy(this.port))) throw new Error(`${where}: /healthz is not 200\n${this.tail()}`);
    const problems = this.logs.problems();
    if (problems.length) this.fail(`${where}: the server logged an error or a stack trace for client requests:\n${problems.slice(0, 5).join('\n')}`);
  }

  /** Findings kept by ENIPLANE_FUZZ_KEEP_GOING=1. */
  readonly findings: string[] = [];

  /** A failed expectation of a test (thrown at once, or kept under ENIPLANE_FUZZ_KEEP_GOING=1). */
  fail(message: string): void {
    if (!KEEP_GOING) throw new Error(message);
    if (this.findings.length < 200) this.findings.push(message);
  }

  /** Throws with every kept finding (no-op when there are none). */
  finish(): void {
    if (this.findings.length) throw new Error(`${this.findings.length} finding(s):\n\n${this.findings.map((f) => f.slice(0, 3000)).join('\n\n')}`);
  }

  /** Note that state may have changed outside run() (seeding, raw-socket cases). */
  invalidate(): void {
    this.dirty = true;
  }

  summary(): string {
    const codes = [...this.stats.codes].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([c, n]) => `${c}×${n}`).join(', ');
    return `${this.stats.cases} cases (${this.stats.rejected} refused, ${this.stats.accepted} accepted), ${this.stats.digests} state digests; codes: ${codes}`;
  }

  private tail(): string {
    return `--- server output (tail) ---\n${this.server.logs().slice(-4000)}`;
  }
}

/** Response head lines as lower-case header fields. */
export function parseHead(head: string): http.IncomingHttpHeaders {
  const out: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

/**
 * Frames a request by hand: Content-Length as given (null: none; default the body's length), any
 * extra raw head text, the HTTP version, and `connection: close`.
 */
export function serialize(w: WireOut, o: { contentLength?: string | null; extraHead?: string; httpVersion?: string; body?: Buffer; requestLine?: string } = {}): Buffer {
  const body = o.body ?? w.body ?? Buffer.alloc(0);
  let head = o.requestLine ?? `${w.method} ${w.path} HTTP/${o.httpVersion ?? '1.1'}`;
  head += '\r\n';
  for (const [k, v] of w.headers) head += `${k}: ${v}\r\n`;
  const cl = o.contentLength === undefined ? String((w.body ?? Buffer.alloc(0)).length) : o.contentLength;
  if (cl !== null) head += `content-length: ${cl}\r\n`;
  head += o.extraHead ?? '';
  head += 'connection: close\r\n\r\n';
  return Buffer.concat([Buffer.from(head, 'utf8'), body]);
}

export interface RawCase {
  name: string;
  bytes: Buffer;
  /** true: valid HTTP, must get the dialect's envelope; false: broken HTTP; 'either': may be taken either way. */
  validHttp: boolean | 'either';
  method: string;
  /** The request target as the server routes it (its path picks the dialect that must answer). */
  target: string;
  halfClose?: boolean;
}

/**
 * Transport-level cases Node's client cannot send, built around `w` (a correctly signed request of
 * the dialect): Content-Length too short / too long / repeated, both framings, bad chunking, bytes
 * HTTP forbids in headers, no Host, absolute-form and HTTP/1.0, methods outside the route table,
 * garbage request lines, oversized headers.
 */
export function rawCases(w: WireOut): RawCase[] {
  const body = w.body ?? Buffer.from('{}');
  const withBody: WireOut = { ...w, body };
  const noHost: WireOut = { ...w, headers: w.headers.filter(([k]) => k.toLowerCase() !== 'host') };
  const m = w.method;
  const p = w.path;
  const bare = p.replace(/\?.*$/, '');
  const c = (name: string, bytes: Buffer, validHttp: boolean | 'either', o: { method?: string; target?: string; halfClose?: boolean } = {}): RawCase => ({
    name,
    bytes,
    validHttp,
    method: o.method ?? m,
    target: o.target ?? p,
    ...(o.halfClose ? { halfClose: true } : {}),
  });
  return [
    // The bytes past Content-Length are a broken second request on the connection: Node may answer that one first.
    c('content-length shorter than the body', serialize(withBody, { contentLength: String(Math.max(0, body.length - 3)) }), 'either'),
    c('content-length 0 with a body', serialize(withBody, { contentLength: '0' }), 'either'),
    c('content-length longer than the body, then EOF', serialize(withBody, { contentLength: String(body.length + 100) }), false, { halfClose: true }),
    c('two different content-lengths', serialize(withBody, { extraHead: 'content-length: 1\r\n' }), false),
    c('content-length and chunked', serialize(withBody, { extraHead: 'transfer-encoding: chunked\r\n' }), false),
    c('negative content-length', serialize(withBody, { contentLength: '-1' }), false),
    c('content-length not a number', serialize(withBody, { contentLength: 'abc' }), false),
    c('bad chunk size', serialize(withBody, { contentLength: null, extraHead: 'transfer-encoding: chunked\r\n', body: Buffer.from('zz\r\nabc\r\n0\r\n\r\n') }), false),
    c(
      'valid chunked body',
      serialize(withBody, { contentLength: null, extraHead: 'transfer-encoding: chunked\r\n', body: Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) }),
      true,
    ),
    c('chunked, then EOF mid-body', serialize(withBody, { contentLength: null, extraHead: 'transfer-encoding: chunked\r\n', body: Buffer.from('ff\r\nabc') }), false, { halfClose: true }),
    c('NUL in a header value', serialize(withBody, { extraHead: 'x-fuzz: a\u0000b\r\n' }), false),
    c('bare CR in a header value', serialize(withBody, { extraHead: 'x-fuzz: a\rb\r\n' }), false),
    c('obs-fold header', serialize(withBody, { extraHead: 'x-fuzz: a\r\n b\r\n' }), 'either'),
    c('space before the colon', serialize(withBody, { extraHead: 'x-fuzz : a\r\n' }), false),
    c('header name with a non-token byte', serialize(withBody, { extraHead: 'x(fuzz): a\r\n' }), false),
    c('raw UTF-8 in header values', serialize(withBody, { extraHead: 'x-tc-region: 广州🦄\r\nx-jdcloud-nonce: 🦄\r\nx-tc-action: 🦄\r\n' }), true),
    c('HTTP/1.1 without Host', serialize({ ...noHost, body }), 'either'),
    c('HTTP/1.0 without Host', serialize({ ...noHost, body }, { httpVersion: '1.0' }), true),
    c('HTTP/1.0', serialize(withBody, { httpVersion: '1.0' }), true),
    c('absolute-form target', serialize(withBody, { requestLine: `${m} http://vpc.tencentcloudapi.com${p} HTTP/1.1` }), true),
    c('absolute-form with a port and userinfo', serialize(withBody, { requestLine: `${m} http://u:p@127.0.0.1:1${p} HTTP/1.1` }), 'either'),
    c('asterisk-form', serialize(withBody, { requestLine: `OPTIONS * HTTP/1.1` }), 'either', { method: 'OPTIONS', target: '*' }),
    ...['TRACE', 'PROPFIND', 'SEARCH', 'PURGE', 'MKCOL', 'LOCK', 'COPY', 'QUERY', 'REPORT', 'UNLINK'].map((x) => c(`method ${x}`, serialize({ ...withBody, method: x }), true, { method: x })),
    c('method not known to HTTP', serialize({ ...withBody, method: 'FROB' }), false, { method: 'FROB' }),
    c('lower-case method', serialize({ ...withBody, method: m.toLowerCase() }), false, { method: m.toLowerCase() }),
    c('garbage request line', Buffer.from('GARBAGE\r\n\r\n'), false, { method: 'GET', target: '/' }),
    c('TLS hello on the plain port', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]), false, { method: 'GET', target: '/' }),
    c('HTTP/2 preface', Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), false, { method: 'PRI', target: '*' }),
    c('LF-only line ends', Buffer.from(serialize(withBody).toString('latin1').replace(/\r\n/g, '\n'), 'latin1'), 'either'),
    c('a 20 KB header', serialize(withBody, { extraHead: `x-fuzz: ${'a'.repeat(20_000)}\r\n` }), true),
    c('header block over 64 KB', serialize(withBody, { extraHead: `x-fuzz: ${'a'.repeat(70_000)}\r\n` }), false),
    c('many headers', serialize(withBody, { extraHead: Array.from({ length: 500 }, (_, i) => `x-f${i}: ${i}\r\n`).join('') }), 'either'),
    c('path with raw spaces', serialize(withBody, { requestLine: `${m} /a b HTTP/1.1` }), false),
    c('path traversal', serialize({ ...withBody, path: `/../../etc/passwd${p}` }), true, { target: `/../../etc/passwd${p}` }),
    c('percent garbage in the path', serialize({ ...withBody, path: `${bare}%zz%/%00` }), true, { target: `${bare}%zz%/%00` }),
    c('percent garbage in the query', serialize({ ...withBody, path: `${bare}?%zz=%&a=%E0%A4%A&%00` }), true, { target: `${bare}?%zz=%&a=%E0%A4%A&%00` }),
    c('very long path', serialize({ ...withBody, path: `${bare}${'/a'.repeat(4000)}` }), true, { target: `${bare}${'/a'.repeat(4000)}` }),
  ];
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

/** The server's limit on a request head. */
export const HEAD_LIMIT = MAX_HEADER_BYTES;

/** Bytes of the request line and headers as sent. */
export function headBytes(w: WireOut): number {
  return Buffer.byteLength(`${w.method} ${w.path} HTTP/1.1\r\n`) + w.headers.reduce((n, [k, v]) => n + Buffer.byteLength(`${k}: ${headerSafe(v)}\r\n`, 'latin1'), 0);
}

export function showWire(w: WireOut): string {
  const body = w.body ? (w.body.length > 600 ? `${w.body.subarray(0, 600).toString('utf8')}… (${w.body.length} bytes)` : w.body.toString('utf8')) : '';
  const path = w.path.length > 600 ? `${w.path.slice(0, 600)}… (${w.path.length} chars)` : w.path;
  const headers = w.headers.map(([k, v]) => `${k}: ${v.length > 300 ? `${v.slice(0, 300)}…` : v}`).join('\n');
  return `--- request ---\n${w.method} ${path}${w.chunked ? ' (chunked)' : ''}\n${headers}\n\n${body}`;
}

/**
 * Runs `numRuns` cases of `arb` through `body`, reporting the seed and the failing case on failure.
 * No shrinking by default (each case talks to a live server whose state moves on); ENIPLANE_FUZZ_SHRINK=1 allows it.
 */
export async function fuzz<T>(name: string, arb: fc.Arbitrary<T>, numRuns: number, seed: number, body: (c: T) => Promise<void>): Promise<void> {
  if (numRuns <= 0) return;
  const details = await fc.check(fc.asyncProperty(arb, body), { numRuns, seed, endOnFailure: !SHRINK });
  if (details.failed) {
    const err = details.errorInstance;
    const msg = err instanceof Error ? err.message : inspect(err);
    throw new Error(`fuzz ${name} failed after ${details.numRuns} case(s) (stream seed ${details.seed}; rerun with ENIPLANE_FUZZ_SEED=${FUZZ_SEED}):\n${msg}`);
  }
}

/** A stable per-name seed derived from the run's seed, so each action's stream is reproducible on its own. */
export function seedFor(name: string): number {
  return (FUZZ_SEED ^ parseInt(createHash('sha256').update(name).digest('hex').slice(0, 7), 16)) >>> 0;
}

// ================================================================================================
// The world: real resources whose ids the fuzz mixes into parameters.

export interface Pools {
  vpc: string[];
  subnet: string[];
  instance: string[];
  eni: string[];
  eip: string[];
  eipAddress: string[];
  ip: string[];
  task: string[];
  taskSeq: number[];
  zone: string[];
  cidr: string[];
  instanceType: string[];
  /** Ids that belong to another account of the same provider. */
  foreign: string[];
  /** Names a filter may carry. */
  filterNames: string[];
}

const errorOf = (res: WireIn) => `HTTP ${res.status} ${res.text.slice(0, 800)}`;

/** A correctly signed TC3 POST; throws unless it succeeds. Returns Response. */
export async function t3Ok(port: number, keys: Keys, action: string, params: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await send(port, buildT3(port, keys, { mode: 'tc3-post', action, params, auth: 'ok' }));
  const r = (res.json as { Response?: Record<string, any> } | undefined)?.Response;
  if (!r || r.Error) throw new Error(`seed: ${action} ${JSON.stringify(params)} failed: ${errorOf(res)}`);
  return r;
}

export interface TencentWorld {
  keys: Keys;
  account: AccountInfo;
  other: AccountInfo;
  jd: JdAccount;
  pools: Pools;
}

/**
 * Two Tencent accounts and one JD account; in the first: VPC A (10.0.0.0/16; subnets in zones 3
 * and 4), VPC B (172.16.0.0/16), four running instances, three ENIs (one attached, one with two
 * secondary IPs); in the other: a VPC, a subnet and an ENI (ids of a resource the caller may not use).
 */
export async function seedTencent(server: RunningServer, probe: StateProbe): Promise<TencentWorld> {
  const [account, other, jd] = await Promise.all([server.createAccount(), server.createAccount(), createJdAccount(server)]);
  const port = server.port;
  const keys: Keys = { own: account, foreign: { secretId: jd.accessKey, secretKey: jd.secretKey } };
  const otherKeys: Keys = { own: other, foreign: keys.foreign };
  const call = (action: string, params: Record<string, unknown>) => t3Ok(port, keys, action, params);

  const vpcA = (await call('CreateVpc', { VpcName: 'fz-a', CidrBlock: '10.0.0.0/16' })).Vpc.VpcId as string;
  const a1 = (await call('CreateSubnet', { VpcId: vpcA, SubnetName: 'fz-a1', CidrBlock: '10.0.1.0/24', Zone: 'ap-guangzhou-3' })).Subnet.SubnetId as string;
  const a2 = (await call('CreateSubnet', { VpcId: vpcA, SubnetName: 'fz-a2', CidrBlock: '10.0.2.0/24', Zone: 'ap-guangzhou-4' })).Subnet.SubnetId as string;
  const vpcB = (await call('CreateVpc', { VpcName: 'fz-b', CidrBlock: '172.16.0.0/16' })).Vpc.VpcId as string;
  const b1 = (await call('CreateSubnet', { VpcId: vpcB, SubnetName: 'fz-b1', CidrBlock: '172.16.1.0/24', Zone: 'ap-guangzhou-3' })).Subnet.SubnetId as string;
  const tasks: string[] = [];
  const runA = await call('RunInstances', {
    Placement: { Zone: 'ap-guangzhou-3' },
    InstanceType: 'S5.MEDIUM4',
    InstanceCount: 3,
    InstanceName: 'fz-',
    VirtualPrivateCloud: { VpcId: vpcA, SubnetId: a1 },
  });
  const runB = await call('RunInstances', {
    Placement: { Zone: 'ap-guangzhou-3' },
    InstanceType: 'S5.MEDIUM4',
    InstanceCount: 1,
    VirtualPrivateCloud: { VpcId: vpcB, SubnetId: b1 },
  });
  tasks.push(runA.RequestId, runB.RequestId);
  const instances = [...(runA.InstanceIdSet as string[]), ...(runB.InstanceIdSet as string[])];
  await probe.quiet();
  const enis: string[] = [];
  for (const [i, extra] of [{}, { SecondaryPrivateIpAddressCount: 2 }, { PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.77', Primary: true }] }].entries()) {
    const r = await call('CreateNetworkInterface', { VpcId: vpcA, SubnetId: a1, NetworkInterfaceName: `fz-eni-${i}`, ...extra });
    enis.push(r.NetworkInterface.NetworkInterfaceId as string);
    tasks.push(r.RequestId);
  }
  await probe.quiet();
  tasks.push((await call('AttachNetworkInterface', { NetworkInterfaceId: enis[0], InstanceId: instances[0] })).RequestId);
  await probe.quiet();
  const all = (await call('DescribeNetworkInterfaces', { Limit: 100 })).NetworkInterfaceSet as Array<{ NetworkInterfaceId: string; PrivateIpAddressSet: Array<{ PrivateIpAddress: string }> }>;
  const ips = all.flatMap((e) => e.PrivateIpAddressSet.map((p) => p.PrivateIpAddress));

  // The other account's resources.
  const ocall = (action: string, params: Record<string, unknown>) => t3Ok(port, otherKeys, action, params);
  const ovpc = (await ocall('CreateVpc', { VpcName: 'fz-other', CidrBlock: '10.0.0.0/16' })).Vpc.VpcId as string;
  const osub = (await ocall('CreateSubnet', { VpcId: ovpc, SubnetName: 'fz-o', CidrBlock: '10.0.1.0/24', Zone: 'ap-guangzhou-3' })).Subnet.SubnetId as string;
  const oeni = (await ocall('CreateNetworkInterface', { VpcId: ovpc, SubnetId: osub, NetworkInterfaceName: 'fz-o-eni' })).NetworkInterface.NetworkInterfaceId as string;
  await probe.quiet();

  return {
    keys,
    account,
    other,
    jd,
    pools: {
      vpc: [vpcA, vpcB],
      subnet: [a1, a2, b1],
      instance: instances,
      eni: [...new Set([...enis, ...all.map((e) => e.NetworkInterfaceId)])],
      eip: [],
      eipAddress: [],
      ip: [...new Set([...ips, '10.0.1.200', '10.0.2.9', '172.16.1.20', '10.0.1.0', '10.0.1.255', '10.0.1.1'])],
      task: tasks,
      taskSeq: [1, 2, 3, 5, 8],
      zone: ['ap-guangzhou-3', 'ap-guangzhou-4', 'ap-guangzhou-6', 'ap-shanghai-2', 'ap-guangzhou-1'],
      cidr: ['10.0.3.0/24', '10.1.0.0/16', '192.168.0.0/16', '10.0.1.0/24', '172.16.2.0/28', '10.0.0.0/8', '10.0.4.0/29', '11.0.0.0/16'],
      instanceType: ['S5.MEDIUM4', 'S5.LARGE8', 'SA2.MEDIUM4', 'S1.SMALL1', 'g.n2.xlarge', 'NOPE.TYPE'],
      foreign: [ovpc, osub, oeni],
      filterNames: [
        'vpc-id', 'subnet-id', 'network-interface-id', 'attachment.instance-id', 'private-ip-address', 'network-interface-name',
        'zone', 'instance-id', 'instance-name', 'instance-state', 'vpc-name', 'cidr-block', 'tag-key', 'is-default', 'is-primary',
        'instance-family', 'instance-type', 'eni-type', 'address-ip', 'no-such-filter', 'constructor', '__proto__', 'toString', 'tag:k',
      ],
    },
  };
}

/** A correctly signed JD request; throws unless it answers 200. Returns `result`. */
export async function jdOk(port: number, keys: JdKeys, service: 'vm' | 'vpc', method: string, path: string, body?: unknown, query?: string): Promise<Record<string, any>> {
  const res = await send(
    port,
    buildJd(port, keys, {
      method,
      path: `/v1/regions/cn-north-1${path}`,
      ...(query ? { query } : {}),
      ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
      service,
      region: 'cn-north-1',
      auth: 'ok',
    }),
  );
  if (res.status !== 200) throw new Error(`seed: ${method} ${path} ${JSON.stringify(body)} failed: ${errorOf(res)}`);
  return ((res.json as { result?: Record<string, any> }).result ?? {}) as Record<string, any>;
}

export interface JdWorld {
  keys: JdKeys;
  account: JdAccount;
  pools: Pools;
}

/**
 * Two JD accounts and one Tencent account; in the first: a VPC with two subnets, two running
 * instances, three ENIs (one attached), two EIPs (one associated); in the other: a VPC and an ENI.
 */
export async function seedJd(server: RunningServer, probe: StateProbe): Promise<JdWorld> {
  const [account, other, tc] = await Promise.all([createJdAccount(server), createJdAccount(server), server.createAccount()]);
  const port = server.port;
  const keys: JdKeys = { own: account, foreign: { accessKey: tc.secretId, secretKey: tc.secretKey } };
  const okeys: JdKeys = { own: other, foreign: keys.foreign };
  const vpc = (await jdOk(port, keys, 'vpc', 'POST', '/vpcs/', { vpcName: 'fz-vpc', addressPrefix: '10.30.0.0/16' })).vpcId as string;
  const sa = (await jdOk(port, keys, 'vpc', 'POST', '/subnets/', { vpcId: vpc, subnetName: 'fz-a', addressPrefix: '10.30.1.0/24' })).subnetId as string;
  const sb = (await jdOk(port, keys, 'vpc', 'POST', '/subnets/', { vpcId: vpc, subnetName: 'fz-b', addressPrefix: '10.30.2.0/24' })).subnetId as string;
  const instances = (
    await jdOk(port, keys, 'vm', 'POST', '/instances', {
      instanceSpec: {
        az: 'cn-north-1a',
        instanceType: 'g.n2.xlarge',
        imageId: 'img-eniplane01',
        name: 'fz-ins',
        primaryNetworkInterface: { networkInterface: { subnetId: sa } },
      },
      maxCount: 2,
    })
  ).instanceIds as string[];
  await probe.quiet();
  const enis: string[] = [];
  for (const [i, extra] of [{}, { secondaryIpCount: 2 }, { primaryIpAddress: '10.30.2.50' }].entries()) {
    enis.push((await jdOk(port, keys, 'vpc', 'POST', '/networkInterfaces/', { subnetId: i === 2 ? sb : sa, networkInterfaceName: `fz-${i}`, ...extra })).networkInterfaceId as string);
  }
  await jdOk(port, keys, 'vm', 'POST', `/instances/${instances[0]}:attachNetworkInterface`, { networkInterfaceId: enis[0], autoDelete: false });
  await probe.quiet();
  const eips = (await jdOk(port, keys, 'vpc', 'POST', '/elasticIps/', { maxCount: 2, elasticIpSpec: { bandwidthMbps: 1, provider: 'bgp' } })).elasticIpIds as string[];
  await jdOk(port, keys, 'vpc', 'POST', `/networkInterfaces/${enis[1]}:associateElasticIp`, { elasticIpId: eips[0] });
  const all = (await jdOk(port, keys, 'vpc', 'GET', '/networkInterfaces/', undefined, 'pageSize=100')).networkInterfaces as Array<{
    networkInterfaceId: string;
    primaryIp: { privateIpAddress: string };
    secondaryIps: Array<{ privateIpAddress: string }>;
  }>;
  const eipList = (await jdOk(port, keys, 'vpc', 'GET', '/elasticIps/', undefined, 'pageSize=100')).elasticIps as Array<{ elasticIpAddress: string }>;
  const ovpc = (await jdOk(port, okeys, 'vpc', 'POST', '/vpcs/', { vpcName: 'fz-o', addressPrefix: '10.30.0.0/16' })).vpcId as string;
  const osub = (await jdOk(port, okeys, 'vpc', 'POST', '/subnets/', { vpcId: ovpc, subnetName: 'fz-o', addressPrefix: '10.30.1.0/24' })).subnetId as string;
  const oeni = (await jdOk(port, okeys, 'vpc', 'POST', '/networkInterfaces/', { subnetId: osub })).networkInterfaceId as string;
  await probe.quiet();
  return {
    keys,
    account,
    pools: {
      vpc: [vpc],
      subnet: [sa, sb],
      instance: instances,
      eni: [...new Set([...enis, ...all.map((e) => e.networkInterfaceId)])],
      eip: eips,
      eipAddress: eipList.map((e) => e.elasticIpAddress),
      ip: [...new Set([...all.flatMap((e) => [e.primaryIp.privateIpAddress, ...e.secondaryIps.map((s) => s.privateIpAddress)]), '10.30.1.200', '10.30.2.9', '10.30.1.0', '10.30.1.255'])],
      task: [],
      taskSeq: [],
      zone: ['cn-north-1a', 'cn-north-1b', 'cn-north-1c', 'cn-east-2a', 'ap-guangzhou-3'],
      cidr: ['10.30.3.0/24', '10.31.0.0/16', '192.168.0.0/16', '10.30.1.0/24', '10.30.4.0/28', '10.0.0.0/8', '10.30.5.0/29', '11.0.0.0/16'],
      instanceType: ['g.n2.xlarge', 'g.n2.medium', 'c.n2.large', 'S5.MEDIUM4', 'nope.type'],
      foreign: [ovpc, osub, oeni],
      filterNames: [
        'vpcIds', 'vpcNames', 'subnetIds', 'subnetNames', 'vpcId', 'subnetId', 'networkInterfaceIds', 'networkInterfaceNames', 'role',
        'instanceId', 'privateIpAddress', 'az', 'status', 'name', 'imageId', 'networkInterfaceId', 'instanceType', 'elasticIpIds',
        'elasticIpAddress', 'instanceTypes', 'architecture', 'azs', 'routeTableId', 'chargeStatus', 'noSuchFilter', 'constructor', '__proto__',
      ],
    },
  };
}

// ================================================================================================
// Arbitraries: valid-ish parameters from an action's zod schema, and their mutations.

export const HUGE = 100 * 1024;

/** Ids of the wrong shape for any prefix. */
const BAD_IDS = [
  '', ' ', 'eni-', 'eni-1234567', 'eni-123456789', 'ENI-12345678', 'eni-ABCDEFGH', 'eni_12345678', 'vpc-zzzzzzzz', 'eni-zzzzzzzz',
  'ins-zzzzzzzz', 'subnet-zzzzzzzz', 'port-zzzzzzzzzz', 'i-zzzzzzzzzz', 'fip-zzzzzzzzzz', ' eni-12345678', 'eni-12345678 ',
  'eni-1234567\u0000', '../../etc/passwd', 'vpc-%2e%2e', "eni-'; drop table enis; --", 'ins-🦄🦄🦄🦄', 'null', 'undefined', '0',
];

/** Values that are wrong in some way for almost any parameter. */
export function mutantValue(pools: Pools): fc.Arbitrary<unknown> {
  const realIds = [...pools.vpc, ...pools.subnet, ...pools.instance, ...pools.eni, ...pools.eip, ...pools.foreign];
  const nested = (depth: number, arr: boolean): unknown => {
    let v: unknown = 'deep';
    for (let i = 0; i < depth; i++) v = arr ? [v] : { a: v };
    return v;
  };
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, 1, -1, [], {}, [[]], [{}], { '': '' }, '') },
    {
      weight: 4,
      arbitrary: fc.constantFrom<unknown>(
        -1, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1.5, -0.0001, 1e308, 5e-324,
        new RawJson('1e400'), new RawJson('-1e400'), new RawJson('-0'), new RawJson('123456789012345678901234567890'), new RawJson('1.0'),
        'NaN', 'Infinity', '-Infinity', '-1', '0x10', '1e3', ' 1 ', '1_000', '+1', '00001', '9'.repeat(400),
      ),
    },
    {
      weight: 4,
      arbitrary: fc.constantFrom<unknown>(
        '🦄', 'Ünïcödé ✓', 'e\u0301', '\u202eRTL', '\ufeffbom', 'a\u0000b', '\u0000', '\ud800', '\udfff\ud800', '\u2028\u2029', 'tab\there',
        'line\r\nbreak', '%00', '%zz', '+', '&=', 'a=b&c=d', '{"json":1}', '<script>alert(1)</script>', '${jndi:ldap://x}', '\\', '"',
        'x'.repeat(300), '中'.repeat(70),
      ),
    },
    { weight: 2, arbitrary: fc.constantFrom<unknown>('A'.repeat(HUGE), '🦄'.repeat(HUGE / 4), ['x'.repeat(HUGE)], Array.from({ length: 2000 }, (_, i) => `v${i}`)) },
    { weight: 2, arbitrary: fc.constantFrom<unknown>(nested(50, false), nested(50, true), nested(1000, true), nested(1000, false)) },
    { weight: 3, arbitrary: realIds.length ? fc.constantFrom<unknown>(...realIds) : fc.constant<unknown>('vpc-zzzzzzzz') },
    { weight: 2, arbitrary: fc.constantFrom<unknown>(...BAD_IDS) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((b) => new RawJson(b.toString()))) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 2, maxKeys: 3 }) },
  );
}

/** Names a mutation adds as an unknown (or oddly spelled) parameter. */
const ODD_KEYS = ['Foo', 'unknownParam', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'a.b', 'Filters.0', '0', '',
  ' ', '🦄', 'x'.repeat(1000), 'Action', 'Region', 'Version', 'Signature', 'SecretId', 'RequestId', 'Response', '_underscore', 'a_b',
  // Flattened into forms and queries, these are names tens of thousands of levels deep.
  `${'a.'.repeat(20_000)}b`, `${'0.'.repeat(20_000)}0`, `${'a_'.repeat(20_000)}b`];

type Path = Array<string | number>;

function pathsOf(v: unknown, at: Path = [], out: Path[] = [], depth = 0): Path[] {
  out.push(at);
  if (depth > 6) return out;
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out, depth + 1));
  else if (v !== null && typeof v === 'object' && !(v instanceof RawJson)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) pathsOf(x, [...at, k], out, depth + 1);
  }
  return out;
}

function getAt(v: unknown, p: Path): unknown {
  let cur = v;
  for (const k of p) cur = (cur as Record<string | number, unknown>)[k];
  return cur;
}

function setAt(root: unknown, p: Path, value: unknown): unknown {
  if (p.length === 0) return value;
  const parent = getAt(root, p.slice(0, -1)) as Record<string | number, unknown>;
  Object.defineProperty(parent, p[p.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
  return root;
}

function deleteAt(root: unknown, p: Path): unknown {
  if (p.length === 0) return root;
  const parent = getAt(root, p.slice(0, -1));
  const k = p[p.length - 1]!;
  if (Array.isArray(parent) && typeof k === 'number') parent.splice(k, 1);
  else delete (parent as Record<string | number, unknown>)[k];
  return root;
}

export type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'set'; at: number; value: unknown }
  | { op: 'add'; at: number; key: string; value: unknown }
  | { op: 'wrap'; at: number }
  | { op: 'unwrap'; at: number }
  | { op: 'recase'; at: number }
  | { op: 'dup'; at: number };

export function mutationArb(pools: Pools): fc.Arbitrary<Mutation> {
  const at = fc.nat({ max: 1_000_000 });
  const value = mutantValue(pools);
  return fc.oneof(
    { weight: 2, arbitrary: at.map((n): Mutation => ({ op: 'drop', at: n })) },
    { weight: 6, arbitrary: fc.record({ at, value }).map((r): Mutation => ({ op: 'set', ...r })) },
    { weight: 2, arbitrary: fc.record({ at, key: fc.oneof(fc.constantFrom(...ODD_KEYS), fc.string({ maxLength: 8 })), value }).map((r): Mutation => ({ op: 'add', ...r })) },
    { weight: 1, arbitrary: at.map((n): Mutation => ({ op: 'wrap', at: n })) },
    { weight: 1, arbitrary: at.map((n): Mutation => ({ op: 'unwrap', at: n })) },
    { weight: 1, arbitrary: at.map((n): Mutation => ({ op: 'recase', at: n })) },
    { weight: 1, arbitrary: at.map((n): Mutation => ({ op: 'dup', at: n })) },
  );
}

/** Applies mutations to a deep copy of `base` (RawJson tokens are kept as they are). */
export function mutate(base: unknown, muts: Mutation[]): unknown {
  let root = clone(base);
  for (const m of muts) {
    const all = pathsOf(root);
    const p = all[m.at % all.length]!;
    const here = getAt(root, p);
    switch (m.op) {
      case 'drop':
        root = deleteAt(root, p);
        break;
      case 'set':
        root = setAt(root, p, clone(m.value));
        break;
      case 'add': {
        const target = here !== null && typeof here === 'object' && !Array.isArray(here) && !(here instanceof RawJson) ? p : p.slice(0, -1);
        const obj = getAt(root, target);
        if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
          Object.defineProperty(obj, m.key, { value: clone(m.value), enumerable: true, writable: true, configurable: true });
        }
        break;
      }
      case 'wrap':
        root = setAt(root, p, [here]);
        break;
      case 'unwrap':
        if (Array.isArray(here)) root = setAt(root, p, here[0]);
        break;
      case 'recase': {
        const k = p[p.length - 1];
        if (typeof k === 'string' && k !== '') {
          const parent = getAt(root, p.slice(0, -1)) as Record<string, unknown>;
          const renamed = k[0] === k[0]!.toUpperCase() ? k[0]!.toLowerCase() + k.slice(1) : k[0]!.toUpperCase() + k.slice(1);
          delete parent[k];
          parent[renamed] = here;
        }
        break;
      }
      case 'dup':
        if (Array.isArray(here) && here.length) here.push(clone(here[0]));
        break;
    }
  }
  return root;
}

function clone(v: unknown): unknown {
  if (v instanceof RawJson || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(clone);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) Object.defineProperty(out, k, { value: clone(x), enumerable: true, writable: true, configurable: true });
  return out;
}

// ---- valid-ish values from a zod schema ---------------------------------------------------------

type ZDef = { type: string; [k: string]: any };
const defOf = (s: z.ZodType): ZDef => (s as unknown as { _zod: { def: ZDef } })._zod.def;

/** Unwraps preprocess pipes, optional, nullable and defaults to the schema that types the value. */
function core(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    if (d.type === 'pipe') cur = defOf(d.in).type === 'transform' ? d.out : d.in;
    else if (d.type === 'optional' || d.type === 'nullable' || d.type === 'default' || d.type === 'prefault' || d.type === 'readonly') cur = d.innerType;
    else return cur;
  }
  return cur;
}

const isOptional = (s: z.ZodType): boolean => {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    if (d.type === 'optional' || d.type === 'default') return true;
    if (d.type === 'pipe') cur = defOf(d.in).type === 'transform' ? d.out : d.in;
    else if (d.type === 'nullable' || d.type === 'readonly') cur = d.innerType;
    else return false;
  }
  return false;
};

function pick<T>(xs: T[], fallback: T): fc.Arbitrary<T> {
  return xs.length ? fc.constantFrom(...xs) : fc.constant(fallback);
}

/** Mostly a good value from `pool`; now and then a real id of another kind, another account's, or a wrong shape. */
function idish(pool: string[], pools: Pools, fallback: string): fc.Arbitrary<string> {
  const others = [...pools.vpc, ...pools.subnet, ...pools.instance, ...pools.eni, ...pools.eip];
  return fc.oneof(
    { weight: 8, arbitrary: pick(pool, fallback) },
    { weight: 1, arbitrary: pick(others, fallback) },
    { weight: 1, arbitrary: pick(pools.foreign, fallback) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_IDS) },
  );
}

function stringFor(key: string, ctx: string, pools: Pools): fc.Arbitrary<unknown> {
  const k = key.toLowerCase();
  const c = ctx.toLowerCase();
  if (c.includes('filter') && k === 'name') return pick(pools.filterNames, 'vpc-id');
  if (c.includes('filter') && (k === 'values' || k === 'value')) {
    return fc.oneof(pick([...pools.vpc, ...pools.subnet, ...pools.eni, ...pools.instance, ...pools.ip, ...pools.zone], 'x'), fc.constantFrom('TRUE', 'false', 'Primary', 'running', 'fz', ''));
  }
  if (k.includes('vpcid')) return idish(pools.vpc, pools, 'vpc-zzzzzzzz');
  if (k.includes('subnetid')) return idish(pools.subnet, pools, 'subnet-zzzzzzzz');
  if (k.includes('networkinterfaceid') || k === 'eniid') return idish(pools.eni, pools, 'eni-zzzzzzzz');
  if (k.includes('instanceid')) return idish(pools.instance, pools, 'ins-zzzzzzzz');
  if (k.includes('elasticipid')) return idish(pools.eip, pools, 'fip-zzzzzzzzzz');
  if (k.includes('elasticipaddress')) return fc.oneof(pick(pools.eipAddress, '1.2.3.4'), fc.constantFrom('1.2.3.4', '300.1.1.1', '::1'));
  if (k.includes('ipaddress') || k.includes('secondaryip') || k === 'lanips' || k.includes('privateip')) {
    return fc.oneof({ weight: 4, arbitrary: pick(pools.ip, '10.0.1.9') }, { weight: 1, arbitrary: fc.constantFrom('10.0.1.300', '::1', '10.0.1', '0.0.0.0', '255.255.255.255', '10.0.1.9/32') });
  }
  if (k === 'zone' || k === 'az') return pick(pools.zone, 'ap-guangzhou-3');
  if (k.includes('cidr') || k.includes('addressprefix')) return pick(pools.cidr, '10.0.3.0/24');
  if (k.includes('taskid')) return fc.oneof(pick(pools.task, 'x'), fc.constantFrom('00000000-0000-0000-0000-000000000000', 'nope'), pick(pools.taskSeq.map(String), '1'));
  if (k.includes('instancetype')) return pick(pools.instanceType, 'S5.MEDIUM4');
  if (k.includes('securitygroup') || k.startsWith('sgid')) return fc.constantFrom('sg-12345678', 'sg-zzzzzzzz', '');
  if (k === 'clienttoken') return fc.oneof(fc.uuid(), fc.constantFrom('fuzz-token-1', 'x'.repeat(65)));
  if (k === 'imageid') return fc.constantFrom('img-eniplane01', 'img-8toqc6s3', 'img-nope');
  if (k === 'provider') return fc.constantFrom('bgp', 'BGP', 'nope');
  if (k.includes('order')) return fc.constantFrom('asc', 'desc', 'eniName', 'vpcName', 'createTime');
  if (k.includes('stoptype')) return fc.constantFrom('SOFT', 'HARD', 'SOFT_FIRST', 'nope');
  if (k.includes('mode') || k.includes('charge')) return fc.constantFrom('KEEP_CHARGING', 'STOP_CHARGING', 'keepCharging', 'stopCharging', 'POSTPAID_BY_HOUR');
  if (k === 'qoslevel') return fc.constantFrom('PT', 'AU', 'AG', 'DEFAULT', 'nope');
  if (k === 'trunkingflag') return fc.constantFrom('Enable', 'Disable', 'x');
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom('fz', 'fuzz-name', 'a b', 'Name_1', '名字') }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
}

function numberFor(key: string, pools: Pools): fc.Arbitrary<unknown> {
  const k = key.toLowerCase();
  let base: fc.Arbitrary<number>;
  if (k === 'limit' || k === 'pagesize') base = fc.integer({ min: 0, max: 120 });
  else if (k === 'offset') base = fc.integer({ min: 0, max: 30 });
  else if (k === 'pagenumber') base = fc.integer({ min: 0, max: 5 });
  else if (k === 'zoneid') base = fc.constantFrom(100003, 100004, 100006, 0, 999999);
  else if (k.includes('taskid')) base = pools.taskSeq.length ? fc.oneof(fc.constantFrom(...pools.taskSeq), fc.integer({ min: 0, max: 50 })) : fc.integer({ min: 0, max: 50 });
  else if (k.includes('count')) base = fc.integer({ min: 0, max: 3 });
  else if (k.includes('bandwidth')) base = fc.integer({ min: 1, max: 200 });
  else if (k === 'attachtype' || k === 'forcestop' || k === 'sanitycheck') base = fc.integer({ min: 0, max: 2 });
  else if (k === 'status') base = fc.constantFrom(1, 2, 4, 99);
  else if (k === 'deviceindex') base = fc.integer({ min: 0, max: 9 });
  else if (k.includes('masklen')) base = fc.integer({ min: 16, max: 32 });
  else base = fc.integer({ min: 0, max: 5 });
  // Lenient typing: numbers often arrive as strings.
  return fc.oneof({ weight: 4, arbitrary: base }, { weight: 1, arbitrary: base.map(String) });
}

/** A valid-ish value for `schema` (field `key`, inside `ctx`): right structure, plausible or real values. */
export function arbFromSchema(schema: z.ZodType, pools: Pools, key = '', ctx = '', depth = 0): fc.Arbitrary<unknown> {
  const s = core(schema);
  const d = defOf(s);
  switch (d.type) {
    case 'object': {
      const shape = d.shape as Record<string, z.ZodType>;
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [k, v] of Object.entries(shape)) {
        model[k] = arbFromSchema(v, pools, k, `${ctx}.${key}`, depth + 1);
        if (!isOptional(v)) required.push(k);
      }
      return fc.record(model, { requiredKeys: required });
    }
    case 'array': {
      const el = arbFromSchema(d.element as z.ZodType, pools, key, ctx, depth + 1);
      return fc.array(el, { minLength: 0, maxLength: depth > 2 ? 1 : 3 });
    }
    case 'string':
      return stringFor(key, ctx, pools);
    case 'number':
    case 'int':
    case 'bigint':
      return numberFor(key, pools);
    case 'boolean':
      return fc.oneof({ weight: 3, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom('true', 'FALSE', 'True', '1', '0') });
    case 'enum':
      return fc.constantFrom(...(Object.values(d.entries as Record<string, string>) as unknown[]));
    case 'literal':
      return fc.constantFrom(...((d.values as unknown[]) ?? [undefined]));
    case 'union':
      return fc.oneof(...(d.options as z.ZodType[]).map((o) => arbFromSchema(o, pools, key, ctx, depth + 1)));
    case 'unknown':
    case 'any':
      return fc.oneof(fc.constant<unknown>({}), fc.anything({ maxDepth: 1, maxKeys: 2 }));
    default:
      return fc.anything({ maxDepth: 1, maxKeys: 2 });
  }
}

/** A valid-ish parameter object for `schema`, with 0–3 mutations (0 keeps many cases valid enough to succeed). */
export function paramsArb(schema: z.ZodType, pools: Pools): fc.Arbitrary<unknown> {
  return fc
    .record({
      base: arbFromSchema(schema, pools),
      muts: fc.oneof({ weight: 3, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 5, arbitrary: fc.array(mutationArb(pools), { minLength: 1, maxLength: 3 }) }),
    })
    .map(({ base, muts }) => mutate(base, muts));
}

// ---- transport-level garbage shared by the dialects ----------------------------------------------

export const BROKEN_JSON: string[] = [
  '{', '}', '{"a":', '{"Limit":NaN}', "{'a':1}", '{"a":1}{"b":2}', '{"a":1,}', '{"a" 1}', '{a:1}', '\u0000', '\ufeff{}', '{"a":"\\u12"}',
  '{"a":"\\x41"}', '{"a":01}', '{"a":.5}', '{"a":+1}', '{"a":undefined}', '[', '"unterminated', 'nul', 'tru', '{"a":1}garbage',
  '['.repeat(100_000), '{"a":'.repeat(50_000),
];

export const NON_OBJECT_JSON: string[] = ['[]', '[{"Limit":1}]', 'null', '0', '-1', '"str"', 'true', '1e400', '""', '[null]', ' \n\t '];

export const CONTENT_TYPES: string[] = [
  'application/xml', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'APPLICATION/JSON',
  'application/json;charset=UTF-8', 'application/x-www-form-urlencoded', '', '*/*', 'application/json, text/plain', 'ü/ü',
  'application/octet-stream', 'application/json\u0000',
];

export const ODD_METHODS: string[] = ['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

export function garbageBytes(): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a)),
    fc.constantFrom(Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\u0000'.repeat(10))),
  );
}

/** Odd header values (kept under Node's 16 KB header limit). */
export const GARBAGE_HEADER_VALUES: string[] = [
  '', ' ', 'garbage', 'TC3-HMAC-SHA256', 'JDCLOUD2-HMAC-SHA256', 'Bearer abc', 'Basic Zm9vOmJhcg==', '🦄🦄', 'x'.repeat(4000),
  'TC3-HMAC-SHA256 Credential=AKIDx/2020-01-01/vpc/tc3_request, SignedHeaders=content-type;host, Signature=zz',
  'TC3-HMAC-SHA256 Credential=/, SignedHeaders=, Signature=',
  'JDCLOUD2-HMAC-SHA256 Credential=ak/20200101/cn-north-1/vpc/jdcloud2_request, SignedHeaders=host, Signature=00',
  '-1', '0', '99999999999999999999', '1e10', 'NaN', '2017-03-12', 'ap-guangzhou\u0000', 'zh-CN,en-US', '\t',
];
