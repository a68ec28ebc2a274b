/**
 * TC3-HMAC-SHA256, the Tencent Cloud API 3.0 signature (spec api3 §2.1–§2.2).
 *
 * Pure functions: no clock, no key store. The caller checks the timestamp window, looks up the
 * SecretKey and maps a `false` to the right error code.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';

export interface Tc3Authorization {
  algorithm: 'TC3-HMAC-SHA256';
  secretId: string;
  /** Credential-scope date, `YYYY-MM-DD`. */
  date: string;
  /** Credential-scope service; the Node and Java SDKs take `endpoint.split('.')[0]`, e.g. `127`. */
  service: string;
  /** Lower-case header names, in the order the client listed them. */
  signedHeaders: string[];
  /** 64 lower-case hex digits. */
  signature: string;
}

export interface SignedRequest {
  method: string;
  /** Raw path, no query. */
  path: string;
  /** Raw text after '?', '' if none. */
  rawQuery: string;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface Tc3CanonicalOptions {
  /** The host value that goes into `host:` (the header as sent, or with its port removed). */
  host: string;
  canonicalUri: string;
  /**
   * The docs lower-case every canonical header value (their example signs
   * `x-tc-action:describeinstances`); the SDKs sign values as they are. Default false.
   */
  lowerCaseValues?: boolean;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const HEX64_RE = /^[0-9a-f]{64}$/i;

/**
 * Parses `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=a;b, Signature=<hex>`.
 * Clients differ in the separator (", " or ","), so any run of spaces and commas between the three
 * fields is accepted; anything else malformed gives undefined (→ AuthFailure.InvalidAuthorization).
 */
export function parseTc3Authorization(header: string): Tc3Authorization | undefined {
  const m = /^\s*(\S+)\s+(.*)$/s.exec(header);
  if (!m || m[1] !== TC3_ALGORITHM) return undefined;
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
  // The Node SDK takes the service from the endpoint, which may itself contain '/' when the endpoint
  // has a path, so the service is everything between the date and the trailing `tc3_request`.
  const scope = credential.split('/');
  if (scope.length < 4 || scope[scope.length - 1] !== 'tc3_request') return undefined;
  const secretId = scope[0] ?? '';
  const date = scope[1] ?? '';
  const service = scope.slice(2, -1).join('/');
  if (secretId === '' || !DATE_RE.test(date) || service === '') return undefined;
  const names = signedHeaders.split(';').map((h) => h.toLowerCase());
  if (names.some((h) => h === '')) return undefined;
  if (!HEX64_RE.test(signature)) return undefined;
  return {
    algorithm: TC3_ALGORITHM,
    secretId,
    date,
    service,
    signedHeaders: names,
    signature: signature.toLowerCase(),
  };
}

/** `YYYY-MM-DD` of a Unix time in UTC: the docs warn that local-time dates fail around midnight. */
export function tc3Date(timestampSeconds: number): string {
  return new Date(timestampSeconds * 1000).toISOString().slice(0, 10);
}

export function tc3DateMatches(date: string, timestampSeconds: number): boolean {
  if (!Number.isFinite(timestampSeconds)) return false;
  const ms = timestampSeconds * 1000;
  // Outside Date's range toISOString throws; such a timestamp cannot match any date.
  if (Math.abs(ms) > 8.64e15) return false;
  return tc3Date(timestampSeconds) === date;
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, msg: string): Buffer {
  return createHmac('sha256', key).update(msg, 'utf8').digest();
}

/** Payload hash; the Go SDK's `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` replaces the body by that literal. */
export function tc3PayloadHash(req: SignedRequest): string {
  return req.headers['x-tc-content-sha256']?.trim() === 'UNSIGNED-PAYLOAD'
    ? sha256Hex('UNSIGNED-PAYLOAD')
    : sha256Hex(req.body);
}

/**
 * The canonical request, or undefined when a signed header other than host was not sent (a client
 * cannot have signed a value we never received).
 */
export function tc3CanonicalRequest(
  req: SignedRequest,
  signedHeaders: readonly string[],
  opts: Tc3CanonicalOptions,
  payloadHash: string = tc3PayloadHash(req),
): string | undefined {
  let headers = '';
  for (const name of signedHeaders) {
    const raw = name === 'host' ? opts.host : req.headers[name];
    if (raw === undefined) return undefined;
    const value = opts.lowerCaseValues ? raw.trim().toLowerCase() : raw.trim();
    headers += `${name}:${value}\n`;
  }
  const method = req.method.toUpperCase();
  // API 3.0 signs the query only for GET; a POST's parameters are all in the (hashed) body.
  const query = method === 'GET' ? req.rawQuery : '';
  return [method, opts.canonicalUri, query, headers, signedHeaders.join(';'), payloadHash].join('\n');
}

export function tc3StringToSign(timestamp: string, date: string, service: string, canonicalRequest: string): string {
  return `${TC3_ALGORITHM}\n${timestamp}\n${date}/${service}/tc3_request\n${sha256Hex(canonicalRequest)}`;
}

export function tc3SigningKey(secretKey: string, date: string, service: string): Buffer {
  return hmac(hmac(hmac(`TC3${secretKey}`, date), service), 'tc3_request');
}

/**
 * Derived signing keys change once a day per key and service, yet deriving one is three HMACs on
 * every request. Kept per (secret, date, service); bounded, oldest dropped first.
 */
const signingKeys = new Map<string, Buffer>();
function cachedSigningKey(secretKey: string, date: string, service: string): Buffer {
  const id = `${secretKey}\n${date}\n${service}`;
  let key = signingKeys.get(id);
  if (!key) {
    key = tc3SigningKey(secretKey, date, service);
    if (signingKeys.size >= 10_000) signingKeys.delete(signingKeys.keys().next().value!);
    signingKeys.set(id, key);
  }
  return key;
}

function hexHmac(key: Buffer, msg: string): string {
  return createHmac('sha256', key).update(msg, 'utf8').digest('hex');
}

/** Hex signature of one canonical variant; '' when a signed header is missing (never equals a real one). */
export function tc3Signature(
  secretKey: string,
  req: SignedRequest,
  auth: Pick<Tc3Authorization, 'date' | 'service' | 'signedHeaders'>,
  timestamp: string,
  opts: Tc3CanonicalOptions,
): string {
  const canonical = tc3CanonicalRequest(req, auth.signedHeaders, opts);
  if (canonical === undefined) return '';
  return hexHmac(tc3SigningKey(secretKey, auth.date, auth.service), tc3StringToSign(timestamp, auth.date, auth.service, canonical));
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Host without `:port`, then as sent: the Node SDK signs `URL.hostname` but sends `URL.host`, other
 * clients sign the header as sent. Either matches; the more common one is tried first.
 */
function tc3HostCandidates(host: string): string[] {
  const bare = host.replace(/:\d+$/, '');
  return bare === host ? [host] : [bare, host];
}

/**
 * True when any accepted canonical variant (spec api3 §2.2) reproduces the signature:
 * host as sent or without its port × canonical URI as sent or '/' × header values as sent (SDKs)
 * or lower-cased (docs). Also false when the credential date is not the UTC date of
 * X-TC-Timestamp, or when content-type or host is not among the signed headers.
 * The ±5 min window is the caller's check: it needs a clock and its own error code.
 */
export function verifyTc3(secretKey: string, req: SignedRequest, auth: Tc3Authorization): boolean {
  const timestamp = req.headers['x-tc-timestamp']?.trim();
  const host = req.headers['host']?.trim();
  if (timestamp === undefined || !/^\d+$/.test(timestamp) || host === undefined || host === '') return false;
  if (!tc3DateMatches(auth.date, Number(timestamp))) return false;
  if (!auth.signedHeaders.includes('content-type') || !auth.signedHeaders.includes('host')) return false;

  const key = cachedSigningKey(secretKey, auth.date, auth.service);
  const payloadHash = tc3PayloadHash(req);
  const uris = req.path === '/' ? ['/'] : [req.path, '/'];
  for (const h of tc3HostCandidates(host)) {
    for (const canonicalUri of uris) {
      const asSent = tc3CanonicalRequest(req, auth.signedHeaders, { host: h, canonicalUri }, payloadHash);
      if (asSent === undefined) return false;
      const lower = tc3CanonicalRequest(req, auth.signedHeaders, { host: h, canonicalUri, lowerCaseValues: true }, payloadHash);
      for (const canonical of lower === undefined || lower === asSent ? [asSent] : [asSent, lower]) {
        // Each comparison is constant-time; stopping at the first match only tells which canonical
        // variant the client used, which the client already knows and which says nothing of the key.
        if (safeEqual(hexHmac(key, tc3StringToSign(timestamp, auth.date, auth.service, canonical)), auth.signature)) return true;
      }
    }
  }
  return false;
}

/**
 * Signs like the Go SDK (host header as sent, path as canonical URI) and returns the full
 * Authorization value. The caller must also send `x-tc-timestamp: <timestamp>`.
 */
export function signTc3(
  secretId: string,
  secretKey: string,
  req: SignedRequest,
  service: string,
  timestamp: number,
  signedHeaders: string[] = ['content-type', 'host'],
): string {
  const date = tc3Date(timestamp);
  const names = signedHeaders.map((h) => h.toLowerCase());
  const signature = tc3Signature(secretKey, req, { date, service, signedHeaders: names }, String(timestamp), {
    host: req.headers['host'] ?? '',
    canonicalUri: req.path,
  });
  return `${TC3_ALGORITHM} Credential=${secretId}/${date}/${service}/tc3_request, SignedHeaders=${names.join(';')}, Signature=${signature}`;
}
