/**
 * The legacy HmacSHA1 / HmacSHA256 signatures: API 3.0's "v1" mode (spec api3 §2.3) and API 2.0
 * (spec api2 §1.5–§1.6). Both sign `METHOD + host + path + '?' + name=value&...` over decoded values;
 * they differ only in how the parameter list is canonicalised (see `V1Flavor`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type HmacMethod = 'HmacSHA1' | 'HmacSHA256';

/** Exactly `HmacSHA256` selects SHA-256; anything else, or nothing, means SHA-1 (as Tencent and the Go SDK do). */
export function hmacMethodOf(signatureMethod: string | undefined): HmacMethod {
  return signatureMethod === 'HmacSHA256' ? 'HmacSHA256' : 'HmacSHA1';
}

/**
 * `api3`: sort names, join. `api2`: additionally the SDKs' legacy rules — drop `@` values on POST
 * and rewrite `_` to `.` in names after sorting.
 */
export type V1Flavor = 'api3' | 'api2';

type Params = ReadonlyArray<readonly [string, string]>;

// Plain code-unit comparison: what JS `Array.prototype.sort()` and PHP `ksort` do for ASCII names.
const byName = (a: readonly [string, string], b: readonly [string, string]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

function buildStringToSign(httpMethod: string, host: string, path: string, params: Params, flavor: V1Flavor, dropAtOnPost: boolean): string {
  const method = httpMethod.toUpperCase();
  let kept = params.filter(([name]) => name !== 'Signature');
  // Legacy file-upload marker: the SDKs transmit such values but leave them out of the signature.
  if (flavor === 'api2' && dropAtOnPost && method === 'POST') kept = kept.filter(([, value]) => !value.startsWith('@'));
  // Sorting happens on the names as received, before the '_' rewrite: all three official SDKs do it
  // in that order, so `a.c` precedes `a_b` even though the latter is signed as `a.b`.
  const sorted = [...kept].sort(byName);
  const pairs = sorted.map(([name, value]) => {
    // Node/PHP test `indexOf('_')` for truthiness, so a name starting with '_' is left alone.
    const signedName = flavor === 'api2' && !name.startsWith('_') ? name.replaceAll('_', '.') : name;
    return `${signedName}=${value}`;
  });
  return `${method}${host}${path}?${pairs.join('&')}`;
}

/**
 * `params` are the decoded (name, value) pairs as received; a `Signature` pair is ignored.
 * For api2 this applies the PHP/Python rule (drop `@` values on every POST).
 */
export function v1StringToSign(httpMethod: string, host: string, path: string, params: Params, flavor: V1Flavor): string {
  return buildStringToSign(httpMethod, host, path, params, flavor, true);
}

/** Base64 HMAC of the UTF-8 string to sign. */
export function v1Sign(secretKey: string, stringToSign: string, method: HmacMethod): string {
  return createHmac(method === 'HmacSHA256' ? 'sha256' : 'sha1', secretKey)
    .update(stringToSign, 'utf8')
    .digest('base64');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * True if the signature matches for any host candidate. `signature` is the decoded `Signature`
 * parameter. For api2 POST calls that carry `Version`, the variant that keeps `@` values is also
 * tried, because the Node `qcloudapi-sdk` skips the `@` rule for such calls (spec api2 §1.5 step 2).
 */
export function verifyV1(
  secretKey: string,
  signature: string,
  method: HmacMethod,
  httpMethod: string,
  hostCandidates: string[],
  path: string,
  params: Params,
  flavor: V1Flavor,
): boolean {
  const atVariants = [true];
  if (
    flavor === 'api2' &&
    httpMethod.toUpperCase() === 'POST' &&
    params.some(([n]) => n === 'Version') &&
    params.some(([n, v]) => n !== 'Signature' && v.startsWith('@'))
  ) {
    atVariants.push(false);
  }
  let ok = false;
  for (const host of hostCandidates) {
    for (const dropAt of atVariants) {
      const expected = v1Sign(secretKey, buildStringToSign(httpMethod, host, path, params, flavor, dropAt), method);
      // No early exit, so the time taken does not reveal which candidate matched.
      ok = safeEqual(expected, signature) || ok;
    }
  }
  return ok;
}

const HAS_PORT = /:\d+$/;

/**
 * Hosts the client may have signed, given the Host header it sent.
 * - Both flavours: the header, and the header plus the scheme's default port when it has none,
 *   because Node's http client drops `:80`/`:443` from Host while the SDKs sign the configured
 *   endpoint string verbatim (spec api2 §1.6 step 5; the same holds for the Node API 3.0 SDK,
 *   whose v1 mode signs `this.endpoint`).
 * - api3 also: the header without its port (spec api3 §2.3/§2.2).
 * - `extraNames`: canonical names for deployments behind a proxy (e.g. `vpc.api.qcloud.com`).
 */
export function v1HostCandidates(hostHeader: string, scheme: 'http' | 'https', flavor: V1Flavor, extraNames: string[] = []): string[] {
  const host = hostHeader.trim();
  const out = [host];
  if (host !== '' && !HAS_PORT.test(host)) out.push(`${host}:${scheme === 'https' ? 443 : 80}`);
  if (flavor === 'api3') out.push(host.replace(HAS_PORT, ''));
  out.push(...extraNames);
  return [...new Set(out.filter((h) => h !== ''))];
}
