/**
 * JDCLOUD3-HMAC-SHA256, the signature of jdcloud-sdk-python from 1.6.95 on (1.6.180, which `jdc`
 * pins, and every later release): `jdcloud_sdk/core/signer.py` `signV3`. Same scope and key
 * derivation as JDCLOUD2 with `JDCLOUD3` and `jdcloud3_request`, but its own canonical forms:
 *
 * - URI: the path `unquote_plus`-decoded, runs of `/` folded into one, then `quote(…, '/~')`, so
 *   `:verb` is always `%3A` and `+` is a space;
 * - query: each `&`-separated component split at `=`, each side decoded and re-`quote`d (`/` too),
 *   the pairs sorted as Python sorts lists, empty keys and components without `=` dropped;
 * - headers: the values trimmed, no folding inside; host without a default port;
 * - the SDK signs only the headers it holds when signing (`content-type;host`): x-jdcloud-date and
 *   x-jdcloud-nonce are added afterwards, unsigned. The date is covered all the same, as the
 *   second line of the string to sign.
 *
 * Pure functions, like jdcloud2.ts: the caller checks the clock window, the nonce and the scope.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { pyCompareLists, pyQuote, pyUnquotePlus } from './pythonUrl.ts';
import { formatJdAuthorization, parseJdDatetime, type Jd2Authorization, type Jd2Request } from './jdcloud2.ts';

export const JD3_ALGORITHM = 'JDCLOUD3-HMAC-SHA256';
export const JD3_TERMINATOR = 'jdcloud3_request';

/** The canonical URI of `signV3` (`__build_canonical_uri`). Throws URIError on a lone surrogate. */
export function jd3CanonicalUri(path: string): string {
  const decoded = pyUnquotePlus(path).replace(/\/+/g, '/');
  if (decoded === '') return '/';
  const encoded = pyQuote(decoded, '/~');
  return encoded.startsWith('/') ? encoded : `/${encoded}`;
}

/**
 * The canonical query of `signV3` (`__normalize_query_string`). `splitAll` is 1.6.95–1.6.18x,
 * which split a component at every `=` and then signed a three-part `k=a=b` as `a%3Db` (its key
 * lost); later releases split at the first `=` only. The two differ only when a component holds two
 * `=`. Throws URIError on a lone surrogate.
 */
export function jd3CanonicalQuery(rawQuery: string, splitAll = false): string {
  const params: string[][] = [];
  for (const component of rawQuery.split('&')) {
    if (component === '') continue;
    const parts = splitAll ? component.split('=') : splitOnce(component);
    params.push(parts.map((v) => pyQuote(pyUnquotePlus(v), '~')));
  }
  params.sort(pyCompareLists);
  const out: string[] = [];
  for (const p of params) {
    if (p[0] === '') continue;
    if (p.length === 2) out.push(`${p[0]}=${p[1]}`);
    else if (p.length > 2) out.push(p.slice(1).join('%3D'));
  }
  return out.join('&');
}

function splitOnce(s: string): string[] {
  const i = s.indexOf('=');
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
}

/** The host the SDK signs: the URL's host, with the port unless it is 80 or 443. */
export function jd3CanonicalHost(hostHeader: string): string {
  return hostHeader.trim().replace(/:(?:80|443)$/, '');
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, msg: string): Buffer {
  return createHmac('sha256', key).update(msg, 'utf8').digest();
}

export function jd3SigningKey(secretKey: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`JDCLOUD3${secretKey}`, date), region), service), JD3_TERMINATOR);
}

export function jd3Scope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/${JD3_TERMINATOR}`;
}

/**
 * The canonical request, or undefined when a signed header did not arrive. `canonicalUri` and
 * `canonicalQuery` are already canonical.
 */
export function jd3CanonicalRequest(req: Jd2Request, signedHeaders: readonly string[], canonicalUri: string, canonicalQuery: string): string | undefined {
  let headers = '';
  for (const name of signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) return undefined;
    headers += `${name}:${name === 'host' ? jd3CanonicalHost(value) : value.trim()}\n`;
  }
  return [req.method.toUpperCase(), canonicalUri, canonicalQuery, headers, signedHeaders.join(';'), sha256Hex(req.body)].join('\n');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The hex signature over an already canonical URI and query, or '' when a signed header is missing. */
function jd3Signature(secretKey: string, req: Jd2Request, scope: JdScope, datetime: string, uri: string, query: string): string {
  const canonical = jd3CanonicalRequest(req, scope.signedHeaders, uri, query);
  if (canonical === undefined) return '';
  const toSign = `${JD3_ALGORITHM}\n${datetime}\n${jd3Scope(scope.date, scope.region, scope.service)}\n${sha256Hex(canonical)}`;
  return createHmac('sha256', jd3SigningKey(secretKey, scope.date, scope.region, scope.service)).update(toSign, 'utf8').digest('hex');
}

type JdScope = Pick<Jd2Authorization, 'date' | 'region' | 'service' | 'signedHeaders'>;

/**
 * True when the JDCLOUD3 signature matches. False also when x-jdcloud-date is missing or malformed,
 * when the scope date is not its first 8 characters, when host is not signed (the SDK always signs
 * it) or a signed header is missing, or when the path or query cannot be canonicalised.
 */
export function verifyJd3(secretKey: string, req: Jd2Request, auth: Jd2Authorization): boolean {
  const datetime = req.headers['x-jdcloud-date']?.trim();
  if (datetime === undefined || parseJdDatetime(datetime) === undefined) return false;
  if (auth.date !== datetime.slice(0, 8)) return false;
  if (!auth.signedHeaders.includes('host')) return false;
  let uri: string;
  const queries: string[] = [];
  try {
    uri = jd3CanonicalUri(req.rawPath);
    queries.push(jd3CanonicalQuery(req.rawQuery));
    if (/=[^&]*=/.test(req.rawQuery)) queries.push(jd3CanonicalQuery(req.rawQuery, true));
  } catch {
    return false;
  }
  let ok = false;
  for (const query of queries) {
    const signature = jd3Signature(secretKey, req, auth, datetime, uri, query);
    if (signature === '') return false;
    ok = safeEqual(signature, auth.signature) || ok;
  }
  return ok;
}

/**
 * The headers jdcloud-sdk-python ≥ 1.6.95 adds to a request: it signs the headers it holds
 * (`req.headers` less user-agent, plus host), then sets x-jdcloud-date and x-jdcloud-nonce unsigned.
 * For tests and benchmarks that speak as that SDK.
 */
export function signJd3(
  accessKey: string,
  secretKey: string,
  req: Jd2Request,
  region: string,
  service: string,
  datetime: string,
  nonce: string,
): Record<string, string> {
  if (parseJdDatetime(datetime) === undefined) throw new Error(`signJd3: malformed datetime ${JSON.stringify(datetime)}`);
  const date = datetime.slice(0, 8);
  const signedHeaders = [...new Set(['host', ...Object.keys(req.headers).map((h) => h.toLowerCase())])].filter((h) => h !== 'user-agent' && h !== 'authorization').sort();
  const signature = jd3Signature(secretKey, req, { date, region, service, signedHeaders }, datetime, jd3CanonicalUri(req.rawPath), jd3CanonicalQuery(req.rawQuery));
  if (signature === '') throw new Error('signJd3: the request needs a host header');
  return {
    authorization: formatJdAuthorization(JD3_ALGORITHM, JD3_TERMINATOR, accessKey, { date, region, service, signedHeaders }, signature),
    'x-jdcloud-date': datetime,
    'x-jdcloud-content-sha256': sha256Hex(req.body),
    [JD3_ALGORITHM]: JD3_ALGORITHM,
    'x-jdcloud-nonce': nonce,
  };
}
