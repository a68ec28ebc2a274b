// The fuzzer's wire: raw HTTP of any shape (duplicate headers, broken framing, odd targets), JSON
// with literal tokens JSON.stringify cannot write, and the SDKs' flattening and encoding.

import http from 'node:http';
import net from 'node:net';
import { inspect } from 'node:util';
import { MAX_HEADER_BYTES } from '../../../src/http/server.ts';


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
export function headerSafe(v: string): string {
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
// Raw transport cases and request display.

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

