// Hand-signed JD Cloud requests (signJd2, signJd3) for what the SDK cannot produce, and the exact
// wire forms of the other official SDKs (Python 1.6.x, Java) for the SDK-form tests.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { formatJdAuthorization, jd2PythonQuery, jd2Signature, JD2_ALGORITHM, JD2_TERMINATOR, signJd2 } from '../../../src/auth/jdcloud2.ts';
import { signJd3 } from '../../../src/auth/jdcloud3.ts';
import { pyQuote } from '../../../src/auth/pythonUrl.ts';
import { JD_REGION, type JdCreds, type JdErrorSeen } from './client.ts';
/** `YYYYMMDDTHHMMSSZ` (UTC, no milliseconds), as the SDK sends x-jdcloud-date. */
export function jdDatetime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

export interface RawJdRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The request-line path exactly as sent and signed, e.g. `/v1/regions/cn-north-1/vpcs/`. */
  path: string;
  /** Raw query string without '?'. */
  query?: string;
  /** The body that is signed. Default: '' for GET/DELETE, '{}' otherwise. */
  body?: string;
  /** The body actually sent, if different from the signed one (tampering). */
  sendBody?: string;
  service: 'vm' | 'vpc';
  region?: string;
  datetime?: string;
  nonce?: string;
}

export interface PreparedJdRequest {
  url: string;
  init: RequestInit;
}

export interface RawJdResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** Signs like the Node SDK (signJd2) over exactly `path`, `query` and `body`; returns what fetch needs. */
export function prepareJd(port: number, creds: JdCreds, r: RawJdRequest): PreparedJdRequest {
  const host = `127.0.0.1:${port}`;
  const body = r.body ?? (r.method === 'GET' || r.method === 'DELETE' ? '' : '{}');
  const base = { accept: 'application/json', 'content-type': 'application/json', host };
  const signed = signJd2(
    creds.accessKey,
    creds.secretKey,
    { method: r.method, rawPath: r.path, rawQuery: r.query ?? '', headers: base, body: Buffer.from(body, 'utf8') },
    r.region ?? JD_REGION,
    r.service,
    r.datetime ?? jdDatetime(),
    r.nonce ?? randomUUID(),
  );
  const sent = r.sendBody ?? body;
  // fetch sends Host itself (`127.0.0.1:PORT`, the value signed above).
  const { host: _h, ...headers } = { ...base, ...signed };
  return {
    url: `http://${host}${r.path}${r.query ? `?${r.query}` : ''}`,
    init: { method: r.method, headers, ...(sent === '' && (r.method === 'GET' || r.method === 'DELETE') ? {} : { body: sent }) },
  };
}

export async function sendJd(prepared: PreparedJdRequest): Promise<RawJdResponse> {
  const res = await fetch(prepared.url, prepared.init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const rawJd = (port: number, creds: JdCreds, r: RawJdRequest): Promise<RawJdResponse> => sendJd(prepareJd(port, creds, r));

/**
 * JD Cloud SDKs whose wire form differs from jdcloud-sdk-js's. jdcloud-sdk-python: 1.6.94 and
 * before sign JDCLOUD2 over `quote(path)` (`:verb` as `%3A`) and the raw query pairs sorted, and
 * send the path as it is; 1.6.95 on (1.6.180 is what `jdc` pins, 1.6.338 the latest) sign JDCLOUD3
 * (see src/auth/jdcloud3.ts). jdcloud-sdk-java (1.2.x over google-http-client) signs JDCLOUD2 over
 * the RFC 3986-encoded path and the sorted, encoded query, but sends `:` literally and its query
 * unsorted with `:`, `,` and `/` left as they are.
 */
export type JdSdkForm = 'python-1.6.94' | 'python-1.6.180' | 'python-1.6.338' | 'java';
export const JD_SDK_FORMS: readonly JdSdkForm[] = ['python-1.6.94', 'python-1.6.180', 'python-1.6.338', 'java'];

export interface JdSdkCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** After `/v1`, e.g. `/regions/cn-north-1/networkInterfaces/port-…:assignSecondaryIps`. */
  path: string;
  service: 'vm' | 'vpc';
  /** GET query parameters in the SDK's order. */
  query?: Array<[string, string]>;
  /** The request class's fields; `null` for an unset one (Python sends it, Java's gson drops it). */
  params?: Record<string, unknown>;
  region?: string;
}

const percent = (c: string): string => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const rfc3986 = (v: string): string => encodeURIComponent(v).replace(/[!'()*]/g, percent);
/** google-http-client's escapeUriQuery: what stays literal in a query it sends. */
const javaQueryEscape = (v: string): string => v.replace(/[^A-Za-z0-9\-_.!~*'()@:$,;/?]/g, percent);

/** A request exactly as `form` puts it on the wire, signed with `creds`. */
export function prepareSdkJd(port: number, creds: JdCreds, form: JdSdkForm, c: JdSdkCall, at: { datetime?: string; nonce?: string } = {}): PreparedJdRequest {
  const host = `127.0.0.1:${port}`;
  const region = c.region ?? JD_REGION;
  const datetime = at.datetime ?? jdDatetime();
  const nonce = at.nonce ?? randomUUID();
  const path = `/v1${c.path}`;
  const pairs = c.query ?? [];
  const withBody = c.method === 'POST';
  const params = { regionId: region, ...c.params };
  const scope = (signedHeaders: string[]) => ({ date: datetime.slice(0, 8), region, service: c.service, signedHeaders });
  const jd2Header = (signedHeaders: string[], signature: string) => formatJdAuthorization(JD2_ALGORITHM, JD2_TERMINATOR, creds.accessKey, scope(signedHeaders), signature);

  if (form === 'java') {
    const body = withBody ? JSON.stringify(params, (_k, v: unknown) => (v === null ? undefined : v)) : '';
    const query = pairs.map(([k, v]) => `${javaQueryEscape(k)}=${javaQueryEscape(v)}`).join('&');
    const headers = { 'content-type': 'application/json', host, 'x-jdcloud-date': datetime, 'x-jdcloud-nonce': nonce };
    const signedHeaders = Object.keys(headers).sort();
    const canonicalQuery = pairs
      .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
      .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const signPath = path.split('/').map(rfc3986).join('/');
    const signature = jd2Signature(creds.secretKey, { method: c.method, rawPath: signPath, rawQuery: query, headers, body: Buffer.from(body) }, scope(signedHeaders), datetime, canonicalQuery);
    return {
      url: `http://${host}${path}${query ? `?${query}` : ''}`,
      init: {
        method: c.method,
        headers: {
          'Content-Type': 'application/json',
          'X-Jdcloud-Date': datetime,
          'X-Jdcloud-Nonce': nonce,
          Authorization: jd2Header(signedHeaders, signature),
          'User-Agent': 'JdcloudSdkJava/1.2.10 vpc/v1 Google-HTTP-Java-Client/1.42.3 (gzip)',
        },
        ...(withBody ? { body } : {}),
      },
    };
  }

  // jdcloud-sdk-python: json.dumps of every field; a GET query `quote(…, safe='&=?')`.
  const version = form.slice('python-'.length);
  const body = withBody ? pythonJson(params) : '';
  const query = pyQuote(pairs.map(([k, v]) => `${k}=${v}`).join('&'), '&=?');
  const base = { 'user-agent': `JdcloudSdkPython/${version} ${c.service}/v1`, 'content-type': 'application/json' };
  const req = { method: c.method, rawPath: path, rawQuery: query, headers: { ...base, host }, body: Buffer.from(body, 'utf8') };
  let added: Record<string, string>;
  if (form === 'python-1.6.94') {
    const headers = { 'content-type': 'application/json', host, 'x-jdcloud-date': datetime, 'x-jdcloud-nonce': nonce };
    const signedHeaders = Object.keys(headers).sort();
    const signature = jd2Signature(creds.secretKey, { ...req, rawPath: pyQuote(path, '/'), headers }, scope(signedHeaders), datetime, jd2PythonQuery(query));
    added = { authorization: jd2Header(signedHeaders, signature), 'x-jdcloud-date': datetime, [JD2_ALGORITHM]: JD2_ALGORITHM, 'x-jdcloud-nonce': nonce };
  } else {
    added = signJd3(creds.accessKey, creds.secretKey, req, region, c.service, datetime, nonce);
  }
  return {
    url: `http://${host}${path}${query ? `?${query}` : ''}`,
    init: { method: c.method, headers: { ...base, ...added }, ...(withBody ? { body } : {}) },
  };
}

/** Python's json.dumps: `, ` and `: ` separators, non-ASCII as \\uXXXX (ensure_ascii). */
export function pythonJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pythonJson(k)}: ${pythonJson(x)}`).join(', ')}}`;
  return JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The same checks on a raw fetch answer. */
export async function expectRawJdError(res: RawJdResponse, httpCode: number, status: string, message?: string | RegExp): Promise<JdErrorSeen> {
  const body = res.json as { requestId?: unknown; error?: { code?: unknown; status?: unknown; message?: unknown } } | undefined;
  const seen = `HTTP ${res.status} ${res.text}`;
  assert.equal(res.status, httpCode, `HTTP status: ${seen}`);
  assert.ok(body && body.error, `no error object: ${seen}`);
  assert.equal(body.error.code, httpCode, `error.code: ${seen}`);
  assert.equal(body.error.status, status, `error.status: ${seen}`);
  if (typeof message === 'string') assert.equal(body.error.message, message, `error.message: ${seen}`);
  else if (message) assert.match(String(body.error.message), message, `error.message: ${seen}`);
  assert.equal(typeof body.requestId, 'string', `requestId: ${seen}`);
  assert.ok((body.requestId as string).length > 0, `requestId empty: ${seen}`);
  assert.equal(res.headers.get('x-jdcloud-request-id'), body.requestId, `x-jdcloud-request-id header: ${seen}`);
  assert.equal(res.headers.get('content-type'), 'application/json', `content-type: ${seen}`);
  return { httpCode, status, message: String(body.error.message), requestId: body.requestId as string };
}
