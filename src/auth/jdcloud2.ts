/**
 * JDCLOUD2-HMAC-SHA256, the JD Cloud OpenAPI signature (spec jdcloud §2), as jdcloud-sdk-js 1.2.202
 * computes it (src/lib/signers/v2.js), with the raw-query tolerance of §2.4 for the Go and Python SDKs.
 *
 * Pure functions: no clock, no key store. The caller checks the clock-skew window, looks up the
 * secret for the access key, checks that region/service match the route, and maps a `false` to
 * 401 ACCESS_ERROR (§2.6).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { pyCompareLists, pyQuote } from './pythonUrl.ts';

export const JD2_ALGORITHM = 'JDCLOUD2-HMAC-SHA256';
export const JD2_TERMINATOR = 'jdcloud2_request';

/**
 * Headers that must be among the signed ones: the docs require the date and the nonce, and every
 * SDK (Node, Go, Python) also signs host. Unsigned, any of them could be swapped in transit.
 */
export const JD2_REQUIRED_SIGNED_HEADERS: readonly string[] = ['host', 'x-jdcloud-date', 'x-jdcloud-nonce'];

/** The list the Node SDK signs on a plain call (§2.1 step 4.5). */
export const JD2_NODE_SIGNED_HEADERS: readonly string[] = ['accept', 'content-type', 'host', 'x-jdcloud-date', 'x-jdcloud-nonce'];

export interface Jd2Authorization {
  accessKey: string;
  /** Credential-scope date, `YYYYMMDD`. */
  date: string;
  region: string;
  service: string;
  /** Lower-case header names, in the order the client listed them (the SDKs list them sorted). */
  signedHeaders: string[];
  /** 64 lower-case hex digits. */
  signature: string;
}

export interface Jd2Request {
  method: string;
  /** Exactly as on the request line, no query: no decoding, `%3A` and trailing slashes kept. */
  rawPath: string;
  /** Raw text after '?', '' if none. */
  rawQuery: string;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  /** The raw body bytes, read before any JSON parsing. */
  body: Buffer;
}

const DATE8_RE = /^\d{8}$/;
const HEX64_RE = /^[0-9a-f]{64}$/i;
const DATETIME_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * Parses `<algorithm> Credential=<ak>/<YYYYMMDD>/<region>/<service>/<terminator>, SignedHeaders=a;b,
 * Signature=<hex>`, the grammar both JD signature generations share. SDKs write ", " between the
 * fields; any run of spaces and commas is accepted. Another algorithm, duplicate or unknown fields, a
 * bad scope, an empty or repeated header name or a signature that is not 64 hex digits give undefined.
 */
export function parseJdAuthorizationAs(header: string, algorithm: string, terminator: string): Jd2Authorization | undefined {
  const m = /^\s*(\S+)\s+(.*)$/s.exec(header);
  if (!m || m[1] !== algorithm) return undefined;
  const fields = new Map<string, string>();
  for (const part of (m[2] ?? '').split(/[\s,]+/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).toLowerCase();
    if (fields.has(key)) return undefined;
    fields.set(key, part.slice(eq + 1));
  }
  const credential = fields.get('credential');
  const signedHeaders = fields.get('signedheaders');
  const signature = fields.get('signature');
  if (fields.size !== 3 || credential === undefined || signedHeaders === undefined || signature === undefined) {
    return undefined;
  }
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== terminator) return undefined;
  const [accessKey = '', date = '', region = '', service = ''] = scope;
  if (accessKey === '' || !DATE8_RE.test(date) || region === '' || service === '') return undefined;
  const names = signedHeaders.split(';').map((h) => h.toLowerCase());
  if (names.some((h) => h === '') || new Set(names).size !== names.length) return undefined;
  if (!HEX64_RE.test(signature)) return undefined;
  return { accessKey, date, region, service, signedHeaders: names, signature: signature.toLowerCase() };
}

/** The Authorization header both generations write: the inverse of parseJdAuthorizationAs. */
export function formatJdAuthorization(algorithm: string, terminator: string, accessKey: string, scope: Pick<Jd2Authorization, 'date' | 'region' | 'service' | 'signedHeaders'>, signature: string): string {
  return `${algorithm} Credential=${accessKey}/${scope.date}/${scope.region}/${scope.service}/${terminator}, SignedHeaders=${scope.signedHeaders.join(';')}, Signature=${signature}`;
}

/** `JDCLOUD2-HMAC-SHA256 Credential=<ak>/<YYYYMMDD>/<region>/<service>/jdcloud2_request, …`. */
export function parseJd2Authorization(header: string): Jd2Authorization | undefined {
  return parseJdAuthorizationAs(header, JD2_ALGORITHM, JD2_TERMINATOR);
}

/** `YYYYMMDDTHHMMSSZ` (UTC) → epoch ms; undefined if malformed or not a real calendar time. */
export function parseJdDatetime(s: string): number | undefined {
  const m = DATETIME_RE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${se}.000Z`;
  const ms = Date.parse(iso);
  // The round trip rejects 20240230, hour 24, second 60 and the like, which Date would roll over.
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== iso) return undefined;
  return ms;
}

/**
 * The SDK's `util.uriEscape`: encodeURIComponent, plus `!'()*`, so only `A–Z a–z 0–9 - _ . ~` stay
 * as they are and everything else is `%XX` of its UTF-8 bytes, upper-case hex. Throws URIError on a
 * lone surrogate, as the SDK does.
 */
function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The SDK's per-segment path escaping (`util.uriEscapePath`): `/` kept, `:` → `%3A`. */
export function escapeJdPath(path: string): string {
  return path.split('/').map(uriEscape).join('/');
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function hexVal(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  return code - 87;
}

/**
 * Node's `querystring.unescapeBuffer(s).toString()`, the fallback when decodeURIComponent throws:
 * valid `%XX` become bytes, a stray `%` stays, and every other UTF-16 unit is truncated to its low
 * byte (so a non-ASCII character next to a broken escape decodes to U+FFFD, as in the SDK).
 */
function unescapeLikeNode(s: string): string {
  const out = Buffer.alloc(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      out[n++] = hexVal(s.charCodeAt(i + 1)) * 16 + hexVal(s.charCodeAt(i + 2));
      i += 2;
      continue;
    }
    out[n++] = c & 0xff;
  }
  return out.subarray(0, n).toString('utf8');
}

/** Node's default `querystring.unescape`. */
function qsUnescape(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return unescapeLikeNode(s);
  }
}

function addPair(params: Map<string, string[]>, key: string, value: string, keyEncoded: boolean, valEncoded: boolean): void {
  const k = keyEncoded && key.length > 0 ? qsUnescape(key) : key;
  const v = valEncoded && value.length > 0 ? qsUnescape(value) : value;
  const values = params.get(k);
  if (values) values.push(v);
  else params.set(k, [v]);
}

/**
 * A port of Node 20's `querystring.parse(qs)` (lib/querystring.js) with the default `&`, `=` and
 * decoder, minus the 1000-pair limit. Ported rather than approximated because its "is this
 * component encoded?" scan decides whether a component is decoded at all, and that scan leaks from
 * the key into the value (after the key's first `%XX`, a further `%XX` in the key marks the *value*
 * encoded, and `+` does not interrupt a `%X_X` run). A decoded component whose decodeURIComponent
 * fails is decoded byte-wise, which turns non-ASCII characters into U+FFFD; the signer signs that.
 */
function parseQueryLikeNode(qs: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  if (qs.length === 0) return params;
  let lastPos = 0;
  let eqSeen = false;
  let key = '';
  let value = '';
  let keyEncoded = false;
  let valEncoded = false;
  let encodeCheck = 0;
  for (let i = 0; i < qs.length; i++) {
    const code = qs.charCodeAt(i);
    if (code === 38 /* & */) {
      if (!eqSeen) {
        if (lastPos < i) {
          key += qs.slice(lastPos, i);
        } else if (key.length === 0) {
          // An empty substring between separators.
          lastPos = i + 1;
          continue;
        }
      } else if (lastPos < i) {
        value += qs.slice(lastPos, i);
      }
      addPair(params, key, value, keyEncoded, valEncoded);
      keyEncoded = valEncoded = false;
      key = value = '';
      encodeCheck = 0;
      lastPos = i + 1;
      eqSeen = false;
      continue;
    }
    if (!eqSeen) {
      if (code === 61 /* = */) {
        eqSeen = true;
        if (lastPos < i) key += qs.slice(lastPos, i);
        encodeCheck = 0;
        lastPos = i + 1;
        continue;
      }
      if (!keyEncoded) {
        if (code === 37 /* % */) {
          encodeCheck = 1;
          continue;
        }
        if (encodeCheck > 0) {
          if (isHex(code)) {
            if (++encodeCheck === 3) keyEncoded = true;
            continue;
          }
          encodeCheck = 0;
        }
      }
      if (code === 43 /* + */) {
        if (lastPos < i) key += qs.slice(lastPos, i);
        key += ' ';
        lastPos = i + 1;
        continue;
      }
    }
    // Reached for value characters and (as in Node) for key characters once the key is encoded.
    if (code === 43 /* + */) {
      if (lastPos < i) value += qs.slice(lastPos, i);
      value += ' ';
      lastPos = i + 1;
    } else if (!valEncoded) {
      if (code === 37 /* % */) {
        encodeCheck = 1;
      } else if (encodeCheck > 0) {
        if (isHex(code)) {
          if (++encodeCheck === 3) valEncoded = true;
        } else {
          encodeCheck = 0;
        }
      }
    }
  }
  if (lastPos < qs.length) {
    if (!eqSeen) key += qs.slice(lastPos);
    else value += qs.slice(lastPos);
  } else if (!eqSeen && key.length === 0) {
    // Ended on an empty substring.
    return params;
  }
  addPair(params, key, value, keyEncoded, valEncoded);
  return params;
}

/**
 * The canonical query of the Node SDK (§2.1 step 4.3): `querystring.parse` of the raw query
 * (`&`-separated, first `=` splits, `+` is a space, empty segments skipped, repeated keys grouped),
 * keys sorted by their decoded form in code-unit order, each key and value RFC 3986-escaped, values
 * of a repeated key sorted after escaping.
 * Differences from the SDK, neither reachable by its own requests: every pair is kept
 * (querystring.parse stops after 1000), and a literal `?` inside the query is kept (the signer cuts
 * the URL at its second `?`). Throws URIError when a component holds a lone surrogate.
 */
export function jd2CanonicalQuery(rawQuery: string): string {
  const params = parseQueryLikeNode(rawQuery);
  const out: string[] = [];
  for (const key of [...params.keys()].sort()) {
    const ekey = uriEscape(key);
    const values = (params.get(key) ?? []).map(uriEscape);
    if (values.length > 1) values.sort();
    for (const v of values) out.push(`${ekey}=${v}`);
  }
  return out.join('&');
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, msg: string): Buffer {
  return createHmac('sha256', key).update(msg, 'utf8').digest();
}

/** Lower-case hex SHA-256 of the exact body bytes (an empty body hashes ''). */
export function jd2PayloadHash(body: Buffer): string {
  return sha256Hex(body);
}

/** The SDK's `canonicalHeaderValues`: runs of whitespace become one space, then trimmed. */
function canonicalHeaderValue(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/**
 * The canonical request (§2.1 step 4), or undefined when a signed header was not received
 * (a client cannot have signed a value we never got). Headers are emitted in the listed order.
 */
export function jd2CanonicalRequest(
  req: Jd2Request,
  signedHeaders: readonly string[],
  canonicalQuery: string,
  payloadHash: string = jd2PayloadHash(req.body),
): string | undefined {
  let headers = '';
  for (const name of signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) return undefined;
    headers += `${name}:${canonicalHeaderValue(value)}\n`;
  }
  return [req.method.toUpperCase(), req.rawPath, canonicalQuery, headers, signedHeaders.join(';'), payloadHash].join('\n');
}

export function jd2Scope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/${JD2_TERMINATOR}`;
}

export function jd2StringToSign(datetime: string, scope: string, canonicalRequest: string): string {
  return `${JD2_ALGORITHM}\n${datetime}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}

export function jd2SigningKey(secretKey: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`JDCLOUD2${secretKey}`, date), region), service), JD2_TERMINATOR);
}

function hexHmac(key: Buffer, msg: string): string {
  return createHmac('sha256', key).update(msg, 'utf8').digest('hex');
}

/**
 * Hex signature of one canonical variant: the Node canonical query of `req.rawQuery`, or
 * `canonicalQueryOverride` verbatim. '' when a signed header is missing or the query cannot be
 * canonicalised (never equal to a real signature).
 */
export function jd2Signature(
  secretKey: string,
  req: Jd2Request,
  auth: Pick<Jd2Authorization, 'date' | 'region' | 'service' | 'signedHeaders'>,
  datetime: string,
  canonicalQueryOverride?: string,
): string {
  let query: string;
  try {
    query = canonicalQueryOverride ?? jd2CanonicalQuery(req.rawQuery);
  } catch {
    return '';
  }
  const canonical = jd2CanonicalRequest(req, auth.signedHeaders, query);
  if (canonical === undefined) return '';
  const key = jd2SigningKey(secretKey, auth.date, auth.region, auth.service);
  return hexHmac(key, jd2StringToSign(datetime, jd2Scope(auth.date, auth.region, auth.service), canonical));
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The canonical query of jdcloud-sdk-python up to 1.6.94: the components as sent, each split at every
 * `=` and trimmed, sorted as Python sorts lists, written `k=v`, `k=` or `k=a%3Db`; nothing decoded.
 */
export function jd2PythonQuery(rawQuery: string): string {
  const params = rawQuery
    .split('&')
    .filter((c) => c !== '')
    .map((c) => c.split('=').map((p) => p.trim()));
  params.sort(pyCompareLists);
  return params.map((p) => `${p[0]}=${p.length === 2 ? p[1] : p.length > 2 ? p.slice(1).join('%3D') : ''}`).join('&');
}

/**
 * True when the signature matches with the Node canonical query (jdcloud-sdk-java signs the same
 * form but sends its query unsorted), the raw query as received (Go signs `URL.RawQuery` verbatim;
 * §2.4) or the old Python SDK's, over the path as sent or percent-encoded as Python ≤ 1.6.94 and
 * Java sign it. Also false when x-jdcloud-date is missing or malformed,
 * when the scope date is not its first 8 characters, when host, x-jdcloud-date or x-jdcloud-nonce
 * (or a received x-jdcloud-security-token) is not signed, or when a signed header is missing.
 * Left to the caller: the clock-skew window, the nonce-replay check, and that region and service
 * match the route (§2.2 step 2).
 */
export function verifyJd2(secretKey: string, req: Jd2Request, auth: Jd2Authorization): boolean {
  const datetime = req.headers['x-jdcloud-date']?.trim();
  if (datetime === undefined || parseJdDatetime(datetime) === undefined) return false;
  if (auth.date !== datetime.slice(0, 8)) return false;
  for (const name of JD2_REQUIRED_SIGNED_HEADERS) {
    if (!auth.signedHeaders.includes(name)) return false;
  }
  if (req.headers['x-jdcloud-security-token'] !== undefined && !auth.signedHeaders.includes('x-jdcloud-security-token')) {
    return false;
  }

  const queries: string[] = [];
  try {
    queries.push(jd2CanonicalQuery(req.rawQuery));
  } catch {
    // A lone surrogate: the Node SDK could not have signed this query; the raw form still may match.
  }
  const python = jd2PythonQuery(req.rawQuery);
  for (const q of [req.rawQuery, python]) if (!queries.includes(q)) queries.push(q);
  // jdcloud-sdk-python up to 1.6.94 and jdcloud-sdk-java sign the encoded path (`:verb` as `%3A`)
  // but send it with a literal `:`; the Node and Go SDKs sign the path as sent.
  const paths = [req.rawPath];
  try {
    const quoted = pyQuote(req.rawPath, '/');
    if (quoted !== req.rawPath) paths.push(quoted);
  } catch {
    // A lone surrogate: no Python client sent this path.
  }

  const key = jd2SigningKey(secretKey, auth.date, auth.region, auth.service);
  const scope = jd2Scope(auth.date, auth.region, auth.service);
  const payloadHash = jd2PayloadHash(req.body);
  const given = auth.signature.toLowerCase();
  let ok = false;
  for (const rawPath of paths) {
    for (const query of queries) {
      const canonical = jd2CanonicalRequest({ ...req, rawPath }, auth.signedHeaders, query, payloadHash);
      if (canonical === undefined) return false;
      // No early exit, so the time taken does not reveal which variant matched.
      ok = safeEqual(hexHmac(key, jd2StringToSign(datetime, scope, canonical)), given) || ok;
    }
  }
  return ok;
}

/**
 * Signs like the Node SDK: `accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce`, the Node
 * canonical query, the body bytes. `req.headers` must hold accept, content-type and host. Returns
 * the headers to add: x-jdcloud-date, x-jdcloud-nonce and authorization. For tests and benches.
 */
export function signJd2(
  accessKey: string,
  secretKey: string,
  req: Jd2Request,
  region: string,
  service: string,
  datetime: string,
  nonce: string,
): Record<string, string> {
  if (parseJdDatetime(datetime) === undefined) throw new Error(`signJd2: malformed datetime ${JSON.stringify(datetime)}`);
  const date = datetime.slice(0, 8);
  const signedHeaders = [...JD2_NODE_SIGNED_HEADERS];
  const headers = { ...req.headers, 'x-jdcloud-date': datetime, 'x-jdcloud-nonce': nonce };
  const signature = jd2Signature(secretKey, { ...req, headers }, { date, region, service, signedHeaders }, datetime);
  if (signature === '') throw new Error('signJd2: the request needs accept, content-type and host headers and a well-formed query');
  return {
    'x-jdcloud-date': datetime,
    'x-jdcloud-nonce': nonce,
    authorization: formatJdAuthorization(JD2_ALGORITHM, JD2_TERMINATOR, accessKey, { date, region, service, signedHeaders }, signature),
  };
}
