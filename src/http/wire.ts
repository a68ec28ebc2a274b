/** The HTTP request and answer as every dialect sees them: raw bytes in, JSON out. */
export interface WireRequest {
  method: string;
  /** Raw path without the query, exactly as on the request line. */
  path: string;
  /** Raw text after '?', '' when there is none. */
  rawQuery: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  remoteAddress: string;
  scheme: 'http' | 'https';
}

/** An answer: every dialect answers JSON, which the HTTP layer writes as `application/json`. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  /** Serialised with JSON.stringify. */
  body: unknown;
  /**
   * Instead of a body, server-sent events (the control plane's events stream): the chunks are written
   * as `text/event-stream` as they come, until the client goes or the server closes (`signal`).
   */
  stream?: (signal: AbortSignal) => AsyncIterable<string>;
}

/** What the request log line records about a request, filled in by the dialect as it learns it. */
export interface RequestFacts {
  requestId: string;
  dialect: string;
  action?: string;
  /** Set once the action is known to change state: such calls go to the audit trail. */
  mutating?: boolean;
  accountId?: string;
  /** Refused by the per-account rate limit. */
  throttled?: boolean;
  /** The key id the request presented (never its secret). */
  keyId?: string;
  code?: string;
}

export interface Dialect {
  readonly name: string;
  /** Whether this dialect answers requests for `path` (the path without its query). */
  claims(path: string): boolean;
  handle(req: WireRequest, facts: RequestFacts): Promise<WireResponse>;
  /** The vendor's answer when the transport fails a request before handle() (body over the hard limit...). */
  transportFailure(kind: 'tooLarge' | 'internal', facts: RequestFacts): WireResponse;
}

/** Decodes `a=1&b=%20` into pairs, keeping repeats and order; `+` is a space (form rules). */
export function formPairs(text: string): Array<[string, string]> {
  if (!text) return [];
  return text
    .split('&')
    .filter(Boolean)
    .map((part) => {
      const i = part.indexOf('=');
      const k = i < 0 ? part : part.slice(0, i);
      const v = i < 0 ? '' : part.slice(i + 1);
      return [decode(k), decode(v)] as [string, string];
    });
}

function decode(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}
