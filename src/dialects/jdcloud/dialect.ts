/**
 * JD Cloud OpenAPI (`/v1/regions/{regionId}/…`): REST routes for vm and vpc, JDCLOUD2- or
 * JDCLOUD3-HMAC-SHA256 over the raw request, a date window and nonce replay check, `{requestId, result}` answers and
 * errors as real HTTP statuses with `error.code` equal to the status (spec §3).
 */
import { findRegion } from '../../core/catalog.ts';
import type { Core } from '../../core/api.ts';
import { isDomainError } from '../../core/errors.ts';
import { parseJdDatetime } from '../../auth/jdcloud2.ts';
import { parseJdAuthorization, verifyJd } from '../../auth/jdcloud.ts';
import type { RateLimiter } from '../../auth/rateLimiter.ts';
import type { ReplayCache } from '../../auth/replayCache.ts';
import type { SecretBox } from '../../auth/secrets.ts';
import { formPairs, type Dialect, type RequestFacts, type WireRequest, type WireResponse } from '../../http/wire.ts';
import { ParamError, unflatten, validate } from '../shared/params.ts';
import { route } from './actions/index.ts';
import { credentialOf, refuse, runPipeline, type Admission, type CallContext, type DialectSteps } from '../shared/pipeline.ts';
import { jdErrorOf } from './errors.ts';
import { JdError, accessError, invalidArgument, notFound } from './jdError.ts';

export const JD_PATH_PREFIX = '/v1/regions/';

/**
 * The gateway's clock-skew window and replay rules are unconfirmed (spec §2.2 step 7); we allow
 * ±15 minutes and refuse a nonce seen before within that window.
 */
const WINDOW_MS = 15 * 60_000;
/** JD documents no per-API rate; our choice per account and operation. */
const RATE = 100;

export interface JdcloudOptions {
  core: Core;
  rateLimiter: RateLimiter | undefined;
  replay: ReplayCache;
  /** Opens the stored secret keys (sealed when ENIPLANE_MASTER_KEY is set). */
  secrets: SecretBox;
  log?: (level: 'error' | 'warn', msg: string, data: Record<string, unknown>) => void;
}

/** `requestId`s look like `c2hmmaan8w06w19qcdfuic4w03f7ft2d` (32 lower-case characters). */
const jdRequestId = (uuid: string) => uuid.replace(/-/g, '');

type Matched = NonNullable<ReturnType<typeof route>>;

interface JdAdmission extends Admission {
  matched: Matched;
  /** Its query and body are validated only after the rate limit. */
  req: WireRequest;
}

export class JdcloudDialect implements Dialect, DialectSteps<JdAdmission> {
  readonly name = 'jdcloud';
  /** JD Cloud's REST paths start /v1/regions/. */
  claims(path: string): boolean {
    return path.startsWith(JD_PATH_PREFIX);
  }
  readonly limiterPrefix = 'jd';

  constructor(private readonly o: JdcloudOptions) {}

  transportFailure(kind: 'tooLarge' | 'internal', facts: RequestFacts): WireResponse {
    return refuse(this, this.o, kind === 'tooLarge' ? new JdError(400, 'INVALID_ARGUMENT', 'Request body too large') : new JdError(500, 'INTERNAL', 'Internal server error'), facts);
  }

  handle(req: WireRequest, facts: RequestFacts): Promise<WireResponse> {
    // The id in JD's form from the start, so the log line and the audit trail carry the requestId the client sees.
    facts.requestId = jdRequestId(facts.requestId);
    return runPipeline(this, this.o, req, facts);
  }

  async admit(req: WireRequest, facts: RequestFacts): Promise<JdAdmission> {
    let decodedPath: string;
    try {
      decodedPath = decodeURIComponent(req.path);
    } catch {
      throw invalidArgument('Malformed path');
    }
    // No id or region holds a NUL, and PostgreSQL text cannot store one: refused like any malformed path.
    if (decodedPath.includes('\u0000')) throw invalidArgument('Malformed path');
    const authHeader = req.headers.authorization;
    const auth = authHeader ? parseJdAuthorization(authHeader) : undefined;
    const matched = route(req.method.toUpperCase(), decodedPath, auth?.service);
    if (!matched) throw notFound(`No route for ${req.method} ${decodedPath}`);
    facts.action = matched.op;
    facts.mutating = matched.def.method !== 'GET';
    facts.keyId = auth?.accessKey;

    // ---- authentication (spec §2.2) --------------------------------------------------------
    if (!auth) throw accessError(authHeader ? 'Invalid Authorization header' : 'Missing Authorization header');
    if (auth.service !== matched.def.service) throw accessError(`Credential scope service ${auth.service} does not match ${matched.def.service}`);
    if (auth.region !== matched.region) throw accessError(`Credential scope region ${auth.region} does not match ${matched.region}`);
    const at = parseJdDatetime(req.headers['x-jdcloud-date']?.trim() ?? '');
    if (at === undefined) throw accessError('Missing or malformed x-jdcloud-date');
    if (Math.abs(this.o.core.clock.now() - at) > WINDOW_MS) throw accessError('Request date out of range');
    const cred = await credentialOf(this.o, auth.accessKey, 'jdcloud');
    if (!cred) throw accessError('Invalid access key');
    const signed = { method: req.method.toUpperCase(), rawPath: req.path, rawQuery: req.rawQuery, headers: req.headers, body: req.body };
    if (!verifyJd(cred.key.secretKey, signed, auth)) throw accessError('sign result is not same [gw]');
    // A nonce is a UUID per request: seen again, the request is a replay.
    if (this.o.replay.checkAndRecord(`jd|${auth.accessKey}|${req.headers['x-jdcloud-nonce'] ?? ''}`)) {
      throw accessError('Nonce already used: the request is a replay');
    }
    facts.accountId = cred.account.id;

    // ---- the operation -----------------------------------------------------------------------
    if (!findRegion(this.o.core.catalog, 'jdcloud', matched.region)) throw invalidArgument(`Invalid regionId '${matched.region}'`);
    return { account: cred.account, region: matched.region, action: matched.op, rate: RATE, matched, req };
  }

  throttled(a: JdAdmission): Error {
    return new JdError(429, 'RATE_LIMIT', `Requests to ${a.action} exceed ${a.rate} per second`);
  }

  async invoke(a: JdAdmission, ctx: CallContext, facts: RequestFacts): Promise<WireResponse> {
    const { matched } = a;
    const query = validate(matched.def.query, unflatten(formPairs(a.req.rawQuery)));
    const body = validate(matched.def.body, this.body(a.req, matched.def.method));
    const result = await matched.def.run(ctx, { id: matched.id, body, query });
    facts.code = '200';
    const requestId = jdRequestId(facts.requestId);
    return { status: 200, headers: { 'x-jdcloud-request-id': requestId }, body: result ? { requestId, result } : { requestId } };
  }

  private body(req: WireRequest, method: string): Record<string, unknown> {
    if (method === 'GET' || method === 'DELETE') return {};
    const text = req.body.toString('utf8').trim();
    if (text === '') return {};
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw invalidArgument('The request body is not valid JSON');
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgument('The request body must be a JSON object');
    return v as Record<string, unknown>;
  }

  refusal(err: unknown, facts: RequestFacts): WireResponse | undefined {
    if (err instanceof JdError) return this.errorAnswer(facts, err);
    if (err instanceof ParamError) return this.errorAnswer(facts, invalidArgument(err.message.replace(/`/g, "'")));
    if (isDomainError(err)) return this.errorAnswer(facts, jdErrorOf(err, facts.action ?? ''));
    return undefined;
  }

  internal(facts: RequestFacts): WireResponse {
    return this.errorAnswer(facts, new JdError(500, 'INTERNAL', 'Internal server error'));
  }

  private errorAnswer(facts: RequestFacts, e: JdError): WireResponse {
    facts.code = String(e.httpCode);
    const requestId = jdRequestId(facts.requestId);
    // Node looks at the HTTP status, Go and Terraform at error.code: they must agree (spec §3.2).
    return {
      status: e.httpCode,
      headers: { 'x-jdcloud-request-id': requestId },
      body: { requestId, error: { code: e.httpCode, status: e.status, message: e.message } },
    };
  }
}
