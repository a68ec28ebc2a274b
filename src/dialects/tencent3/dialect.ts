/**
 * Tencent Cloud API 3.0 as a chain of small steps around the action: transport checks, decoding,
 * authentication (TC3 or legacy v1), region and rate checks, parameter validation, the core call,
 * and the `{"Response": …}` envelope. Errors are always HTTP 200 with Response.Error (spec §1.5).
 */
import { randomUUID } from 'node:crypto';
import { findRegion } from '../../core/catalog.ts';
import type { Core } from '../../core/api.ts';
import { isDomainError } from '../../core/errors.ts';
import type { Account } from '../../core/model.ts';
import { hmacMethodOf, v1HostCandidates, verifyV1 } from '../../auth/hmacV1.ts';
import type { RateLimiter } from '../../auth/rateLimiter.ts';
import type { ReplayCache } from '../../auth/replayCache.ts';
import type { SecretBox } from '../../auth/secrets.ts';
import { parseTc3Authorization, verifyTc3 } from '../../auth/tc3.ts';
import { formPairs, type Dialect, type RequestFacts, type WireRequest, type WireResponse } from '../../http/wire.ts';
import { actions } from './actions/index.ts';
import type { ActionDef } from './action.ts';
import { credentialOf, refuse, runPipeline, type Admission, type CallContext, type DialectSteps } from '../shared/pipeline.ts';
import { unflatten, validate } from './codec.ts';
import { tcErrorOf } from './errors.ts';
import type { Language } from './shapes.ts';
import { TcError } from './tcError.ts';

export const VERSION = '2017-03-12';

/** Size limits of spec §1.2. */
export const LIMITS = { jsonBody: 10 * 1024 * 1024, formBody: 1024 * 1024, query: 32 * 1024 };

/** Names that are common parameters in the v1 form, never business parameters. */
const COMMON = new Set(['Action', 'Version', 'Region', 'Timestamp', 'Nonce', 'SecretId', 'SignatureMethod', 'Signature', 'Token', 'Language', 'RequestClient']);

export interface Tencent3Options {
  core: Core;
  rateLimiter: RateLimiter | undefined;
  replay: ReplayCache;
  /** Opens the stored secret keys (sealed when ENIPLANE_MASTER_KEY is set). */
  secrets: SecretBox;
  /** Allowed skew between the request's Timestamp and our clock, in seconds (Tencent: 5 minutes). */
  windowSeconds?: number;
  log?: (level: 'error' | 'warn', msg: string, data: Record<string, unknown>) => void;
}

interface Decoded {
  action: string | undefined;
  version: string | undefined;
  region: string | undefined;
  language: string | undefined;
  params: Record<string, unknown>;
  account: Account;
}

interface Tc3Admission extends Admission {
  def: ActionDef;
  params: Record<string, unknown>;
  language: Language;
  /** X-TC-TraceId, echoed on the answer. */
  traceId: string | undefined;
}

export class Tencent3Dialect implements Dialect, DialectSteps<Tc3Admission> {
  readonly name = 'tencent3';
  /** API 3.0 answers every other path, routed by action (spec §1.6). */
  claims(path: string): boolean {
    return true;
  }
  readonly limiterPrefix = 'tc';
  private readonly window: number;

  constructor(private readonly o: Tencent3Options) {
    this.window = o.windowSeconds ?? 300;
  }

  transportFailure(kind: 'tooLarge' | 'internal', facts: RequestFacts): WireResponse {
    const err =
      kind === 'tooLarge'
        ? new TcError('RequestSizeLimitExceeded', 'The request body is larger than the API allows.')
        : new TcError('InternalError', 'An internal error occurred. Please retry later.');
    return refuse(this, this.o, err, facts);
  }

  handle(req: WireRequest, facts: RequestFacts): Promise<WireResponse> {
    return runPipeline(this, this.o, req, facts);
  }

  async admit(req: WireRequest, facts: RequestFacts): Promise<Tc3Admission> {
    const d = await this.decode(req, facts);
    const def = actions[d.action ?? ''];
    if (!d.action) throw new TcError('MissingParameter', 'The request is missing the action (X-TC-Action or Action).');
    if (!def) throw new TcError('InvalidAction', `The action \`${d.action}\` does not exist.`);
    if (!d.version) throw new TcError('MissingParameter', 'The request is missing the version (X-TC-Version or Version).');
    if (d.version !== (def.version ?? VERSION)) throw new TcError('NoSuchVersion', `The version \`${d.version}\` does not exist for this action.`);
    const region = this.region(def.regional !== false, d.region, req.headers.host ?? '');
    return { account: d.account, region, action: d.action, rate: def.rate, def, params: d.params, language: this.language(d.language), traceId: req.headers['x-tc-traceid'] };
  }

  throttled(a: Tc3Admission): Error {
    return new TcError('RequestLimitExceeded', `Requests to ${a.action} exceed ${a.rate} per second for this account.`);
  }

  async invoke(a: Tc3Admission, ctx: CallContext, facts: RequestFacts): Promise<WireResponse> {
    const params = validate(a.def.params, a.params);
    const clientToken = typeof (params as { ClientToken?: unknown }).ClientToken === 'string' ? (params as { ClientToken: string }).ClientToken : undefined;
    const answer = await a.def.run({ ...ctx, meta: { ...ctx.meta, clientToken }, language: a.language }, params);
    const requestId = typeof answer.RequestId === 'string' ? answer.RequestId : facts.requestId;
    // A ClientToken replay answers with the first call's RequestId: log and audit the one the client sees.
    facts.requestId = requestId;
    facts.code = 'Success';
    return this.answer({ ...answer, RequestId: requestId }, a.traceId);
  }

  // ---- steps --------------------------------------------------------------------------------

  private async decode(req: WireRequest, facts: RequestFacts): Promise<Decoded> {
    const method = req.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST') throw new TcError('UnsupportedProtocol', `HTTP method ${req.method} is not supported; use GET or POST.`);
    if (Buffer.byteLength(req.rawQuery) > LIMITS.query) throw new TcError('RequestSizeLimitExceeded', 'The query string is larger than 32 KB.');
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const isForm = method === 'POST' && contentType === 'application/x-www-form-urlencoded';
    if (isForm && req.body.length > LIMITS.formBody) throw new TcError('RequestSizeLimitExceeded', 'A form body may be at most 1 MB.');
    const authorization = req.headers.authorization;

    if (authorization !== undefined && authorization.trim() !== '') {
      const auth = parseTc3Authorization(authorization);
      if (!auth) throw new TcError('AuthFailure.InvalidAuthorization', 'The Authorization header does not follow the TC3-HMAC-SHA256 format.');
      markAction(facts, req.headers['x-tc-action']);
      facts.keyId = auth.secretId;
      this.checkTimestamp(req.headers['x-tc-timestamp']);
      if (req.headers['x-tc-token']) throw new TcError('AuthFailure.TokenFailure', 'Temporary credentials are not issued by this service; the token is invalid.');
      const cred = await this.credential(auth.secretId);
      if (!verifyTc3(cred.key.secretKey, { method, path: req.path, rawQuery: method === 'GET' ? req.rawQuery : '', headers: req.headers, body: req.body }, auth)) {
        throw new TcError('AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please check your signature is correct.');
      }
      facts.accountId = cred.account.id;
      const params = method === 'GET' ? unflatten(formPairs(req.rawQuery)) : isForm ? unflatten(formPairs(req.body.toString('utf8'))) : parseJsonBody(req.body, contentType);
      return {
        action: req.headers['x-tc-action'],
        version: req.headers['x-tc-version'],
        region: req.headers['x-tc-region'],
        language: req.headers['x-tc-language'],
        params,
        account: cred.account,
      };
    }

    // Legacy v1: every common parameter travels with the business ones (spec §2.3).
    const pairs = formPairs(method === 'GET' ? req.rawQuery : isForm ? req.body.toString('utf8') : '');
    const common = new Map(pairs.filter(([k]) => COMMON.has(k)));
    const signature = common.get('Signature');
    markAction(facts, common.get('Action'));
    facts.keyId = common.get('SecretId');
    if (signature === undefined) {
      // No TC3 header and no v1 signature: nothing identifies the caller (code unconfirmed; our choice).
      throw new TcError('AuthFailure.InvalidAuthorization', 'The request is not signed; VPC and CVM APIs accept no anonymous calls.');
    }
    const secretId = common.get('SecretId');
    if (!secretId) throw new TcError('MissingParameter', 'The request is missing the parameter `SecretId`.');
    const timestamp = this.checkTimestamp(common.get('Timestamp'));
    if (common.get('Nonce') === undefined || !/^\d+$/.test(common.get('Nonce')!)) {
      throw new TcError('MissingParameter', 'The request is missing a valid `Nonce`.');
    }
    if (common.get('Token')) throw new TcError('AuthFailure.TokenFailure', 'Temporary credentials are not issued by this service; the token is invalid.');
    const cred = await this.credential(secretId);
    const signedPairs = pairs.filter(([k]) => k !== 'Signature');
    const ok = verifyV1(
      cred.key.secretKey,
      signature,
      hmacMethodOf(common.get('SignatureMethod')),
      method,
      v1HostCandidates(req.headers.host ?? '', req.scheme, 'api3'),
      req.path,
      signedPairs,
      'api3',
    );
    if (!ok) throw new TcError('AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please check your signature is correct.');
    // A v1 request is single-use: the same key, time, nonce and signature again is a replay.
    if (this.o.replay.checkAndRecord(`tc3v1|${secretId}|${timestamp}|${common.get('Nonce')}|${signature}`)) {
      throw new TcError('AuthFailure.SignatureExpire', 'This request (same Nonce and Timestamp) was already used; sign a new one.');
    }
    facts.accountId = cred.account.id;
    return {
      action: common.get('Action'),
      version: common.get('Version'),
      region: common.get('Region'),
      language: common.get('Language'),
      params: unflatten(pairs.filter(([k]) => !COMMON.has(k))),
      account: cred.account,
    };
  }

  private checkTimestamp(raw: string | undefined): number {
    if (raw === undefined || !/^\d{1,12}$/.test(raw.trim())) {
      throw new TcError('AuthFailure.InvalidAuthorization', 'The request has no valid Timestamp.');
    }
    const ts = Number(raw.trim());
    const now = this.o.core.clock.now() / 1000;
    if (Math.abs(now - ts) > this.window) {
      throw new TcError('AuthFailure.SignatureExpire', 'The signature has expired: the Timestamp is more than 5 minutes from the server time.');
    }
    return ts;
  }

  private async credential(secretId: string) {
    const cred = await credentialOf(this.o, secretId, 'tencent');
    if (!cred) throw new TcError('AuthFailure.SecretIdNotFound', 'The SecretId does not exist or is disabled.');
    return cred;
  }

  /**
   * The region must be known; a finance region is served only on its own finance host and a finance
   * host serves only its region (spec §1.1). Loopback and other hosts accept any region. The exact
   * code for a host/region mismatch is unconfirmed; we answer UnsupportedRegion.
   */
  private region(regional: boolean, region: string | undefined, host: string): string {
    if (!regional) return region ?? '';
    if (!region) throw new TcError('MissingParameter', 'The request is missing the region (X-TC-Region or Region).');
    if (!findRegion(this.o.core.catalog, 'tencent', region)) throw new TcError('UnsupportedRegion', `The region \`${region}\` is not supported.`);
    const m = /^[a-z]+\.(?:([a-z0-9-]+)\.)?tencentcloudapi\.com$/.exec(host.replace(/:\d+$/, '').toLowerCase());
    if (m) {
      const hostRegion = m[1];
      const financeHost = !!hostRegion?.endsWith('-fsi');
      if (region.endsWith('-fsi') && hostRegion !== region) {
        throw new TcError('UnsupportedRegion', `The finance region \`${region}\` must be called on its own host, e.g. vpc.${region}.tencentcloudapi.com.`);
      }
      if (financeHost && hostRegion !== region) throw new TcError('UnsupportedRegion', `The host ${host} serves only the region \`${hostRegion}\`.`);
    }
    return region;
  }

  private language(raw: string | undefined): Language {
    if (raw === undefined || raw === '') return 'zh-CN';
    if (raw !== 'zh-CN' && raw !== 'en-US') throw new TcError('InvalidParameterValue', 'Language must be zh-CN or en-US.');
    return raw;
  }

  // ---- answers ------------------------------------------------------------------------------

  private answer(response: Record<string, unknown>, traceId: string | undefined): WireResponse {
    const headers: Record<string, string> = {};
    if (traceId) headers['x-tc-traceid'] = traceId;
    return { status: 200, headers, body: { Response: response } };
  }

  refusal(err: unknown, facts: RequestFacts, req?: WireRequest): WireResponse | undefined {
    let body: { code: string; message: string };
    if (err instanceof TcError) body = { code: err.code, message: err.message };
    else if (isDomainError(err)) {
      const def = actions[facts.action ?? ''];
      body = tcErrorOf(err, { product: def?.product ?? 'vpc', action: facts.action ?? '' });
    } else return undefined;
    return this.errorAnswer(facts, body, req);
  }

  internal(facts: RequestFacts, req?: WireRequest): WireResponse {
    return this.errorAnswer(facts, { code: 'InternalError', message: 'An internal error occurred. Please retry later.' }, req);
  }

  private errorAnswer(facts: RequestFacts, body: { code: string; message: string }, req: WireRequest | undefined): WireResponse {
    facts.code = body.code;
    return this.answer({ Error: { Code: body.code, Message: body.message }, RequestId: facts.requestId }, req?.headers['x-tc-traceid']);
  }
}

function parseJsonBody(body: Buffer, contentType: string): Record<string, unknown> {
  if (contentType !== 'application/json' && contentType !== '') {
    throw new TcError('InvalidParameter', `Content-Type ${contentType} is not supported for TC3 POST; use application/json.`);
  }
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new TcError('InvalidParameter', 'The request body is not valid JSON.');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TcError('InvalidParameter', 'The request body must be a JSON object.');
  return v as Record<string, unknown>;
}

export const newRequestId = (): string => randomUUID();

/** Every known action that is not a Describe* changes state and is audited. */
function markAction(facts: RequestFacts, action: string | undefined): void {
  facts.action = action;
  facts.mutating = action !== undefined && Object.hasOwn(actions, action) && !action.startsWith('Describe');
}
