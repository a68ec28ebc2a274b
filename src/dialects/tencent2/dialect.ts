/**
 * Tencent Cloud API 2.0 (`/v2/index.php`): form or query parameters, the HmacSHA1/HmacSHA256
 * `Signature`, a Nonce replay cache, and `{code, message, codeDesc, …}` answers, always HTTP 200.
 */
import { findRegion } from '../../core/catalog.ts';
import type { Core } from '../../core/api.ts';
import { isDomainError } from '../../core/errors.ts';
import { hmacMethodOf, v1HostCandidates, verifyV1 } from '../../auth/hmacV1.ts';
import type { RateLimiter } from '../../auth/rateLimiter.ts';
import type { ReplayCache } from '../../auth/replayCache.ts';
import type { SecretBox } from '../../auth/secrets.ts';
import { formPairs, type Dialect, type RequestFacts, type WireRequest, type WireResponse } from '../../http/wire.ts';
import { ParamError, unflatten, validate } from '../shared/params.ts';
import { actions2 } from './actions/index.ts';
import type { Action2Def } from './action.ts';
import { credentialOf, refuse, runPipeline, type Admission, type CallContext, type DialectSteps } from '../shared/pipeline.ts';
import { tc2ErrorOf } from './errors.ts';
import { PUBLIC, Tc2Error } from './tc2Error.ts';

export const API2_PATH = '/v2/index.php';

/** Names that are common parameters, never action parameters (spec §1.3). */
const COMMON = new Set(['Action', 'Region', 'Timestamp', 'Nonce', 'SecretId', 'Signature', 'SignatureMethod', 'Token', 'RequestClient', 'Version']);

/** Legacy short region codes of the 2.0 docs (spec §1.3). */
const SHORT_REGIONS: Record<string, string> = {
  gz: 'ap-guangzhou',
  sh: 'ap-shanghai',
  bj: 'ap-beijing',
  shjr: 'ap-shanghai-fsi',
  szjr: 'ap-shenzhen-fsi',
};

/** Canonical host names a proxy in front of eniplane may have signed with (spec §1.6 step 5). */
const CANONICAL_HOSTS = ['vpc.api.qcloud.com', 'cvm.api.qcloud.com', 'dfw.api.qcloud.com'];

/** A form body may be at most 1 MB (API 2.0 documents none; the 3.0 form limit is our choice). */
const FORM_LIMIT = 1024 * 1024;

export interface Tencent2Options {
  core: Core;
  rateLimiter: RateLimiter | undefined;
  replay: ReplayCache;
  /** Opens the stored secret keys (sealed when ENIPLANE_MASTER_KEY is set). */
  secrets: SecretBox;
  /** Allowed skew of Timestamp in seconds. The docs say 2 hours or 5 minutes; we choose 5 minutes. */
  windowSeconds?: number;
  log?: (level: 'error' | 'warn', msg: string, data: Record<string, unknown>) => void;
}

interface Tc2Admission extends Admission {
  def: Action2Def;
  /** Every parameter as received, common ones included. */
  params: Map<string, string>;
}

export class Tencent2Dialect implements Dialect, DialectSteps<Tc2Admission> {
  readonly name = 'tencent2';
  /** API 2.0 lives at one path, /v2/index.php. */
  claims(path: string): boolean {
    return path === API2_PATH;
  }
  readonly limiterPrefix = 'tc2';
  private readonly window: number;

  constructor(private readonly o: Tencent2Options) {
    this.window = o.windowSeconds ?? 300;
  }

  transportFailure(kind: 'tooLarge' | 'internal', facts: RequestFacts): WireResponse {
    return refuse(this, this.o, kind === 'tooLarge' ? PUBLIC.invalidParameter('The request is too large.') : PUBLIC.internal('Internal error.'), facts);
  }

  handle(req: WireRequest, facts: RequestFacts): Promise<WireResponse> {
    return runPipeline(this, this.o, req, facts);
  }

  async admit(req: WireRequest, facts: RequestFacts): Promise<Tc2Admission> {
    const method = req.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST') throw PUBLIC.unsupportedProtocol(`HTTP method ${req.method} is not supported; use GET or POST.`);
    if (req.body.length > FORM_LIMIT) throw PUBLIC.invalidParameter('The request body is larger than 1 MB.');
    // POST carries the form; a query string on POST is merged in, the body winning (spec §1.6, choice).
    const pairs = method === 'GET' ? formPairs(req.rawQuery) : [...formPairs(req.rawQuery), ...formPairs(req.body.toString('utf8'))];
    const params = new Map<string, string>();
    for (const [k, v] of pairs) {
      if (params.has(k) && method === 'GET') throw PUBLIC.invalidParameter(`(${k}) is given more than once.`);
      params.set(k, v);
    }
    const get = (k: string) => params.get(k);
    facts.action = get('Action');
    facts.mutating = Object.hasOwn(actions2, get('Action') ?? '') && !get('Action')!.startsWith('Describe');
    facts.keyId = get('SecretId');
    for (const name of ['Action', 'SecretId', 'Timestamp', 'Nonce', 'Signature']) {
      if (!get(name)) throw PUBLIC.invalidParameter(`(${name}) is required.`);
    }
    if (!/^\d+$/.test(get('Nonce')!)) throw PUBLIC.invalidParameter('(Nonce) must be a non-negative integer.');
    if (!/^\d{1,12}$/.test(get('Timestamp')!)) throw PUBLIC.invalidParameter('(Timestamp) must be Unix seconds.');
    const cred = await credentialOf(this.o, get('SecretId')!, 'tencent');
    if (!cred) throw PUBLIC.secretIdNotFound('The SecretId does not exist or is disabled.');
    if (Math.abs(this.o.core.clock.now() / 1000 - Number(get('Timestamp'))) > this.window) {
      throw PUBLIC.replay('The Timestamp is outside the allowed window (5 minutes); the request may be a replay.');
    }
    if (get('Token')) throw PUBLIC.tokenFailure('Temporary credentials are not issued by this service; the token is invalid.');
    const signed = [...params].filter(([k]) => k !== 'Signature');
    const ok = verifyV1(
      cred.key.secretKey,
      get('Signature')!,
      hmacMethodOf(get('SignatureMethod')),
      method,
      v1HostCandidates(req.headers.host ?? '', req.scheme, 'api2', CANONICAL_HOSTS),
      req.path,
      signed,
      'api2',
    );
    if (!ok) throw PUBLIC.signatureFailure('The signature does not match.');
    // A Nonce alone repeats (the Node SDK draws 0–65535), so the cache keys on more (spec §1.7).
    if (this.o.replay.checkAndRecord(`tc2|${get('SecretId')}|${get('Timestamp')}|${get('Nonce')}|${get('Signature')}`)) {
      throw PUBLIC.replay('This Nonce and Timestamp were already used: the request is a replay.');
    }
    facts.accountId = cred.account.id;

    const def = actions2[get('Action')!];
    if (!def) throw PUBLIC.actionNotFound(`The action ${get('Action')} does not exist.`);
    const hostProduct = /^(vpc|cvm|dfw)\.api\.qcloud\.com(:\d+)?$/i.exec(req.headers.host ?? '')?.[1]?.toLowerCase();
    if (hostProduct && hostProduct !== def.host) throw PUBLIC.actionNotFound(`The action ${get('Action')} is served on ${def.host}.api.qcloud.com.`);
    const region = this.region(get('Region'));
    return { account: cred.account, region, action: get('Action')!, rate: def.rate, def, params };
  }

  throttled(a: Tc2Admission): Error {
    return PUBLIC.limitExceeded(`Requests to ${a.action} exceed ${a.rate} per second for this account.`);
  }

  async invoke(a: Tc2Admission, ctx: CallContext, facts: RequestFacts): Promise<WireResponse> {
    const input = unflatten(
      [...a.params].filter(([k]) => !COMMON.has(k)).map(([k, v]) => [k.startsWith('_') ? k : k.replace(/_/g, '.'), v] as [string, string]),
    );
    const fields = await a.def.run(ctx, validate(a.def.params, input));
    const code = typeof fields.code === 'number' ? fields.code : 0;
    // As the client reads it, and as errors record it (codeDesc): 'Success', or a batch's 5100/5400.
    facts.code = code === 0 ? 'Success' : String(code);
    return this.answer(code === 0 ? { code: 0, message: '', codeDesc: 'Success', ...fields } : { message: '', ...fields });
  }

  refusal(err: unknown, facts: RequestFacts): WireResponse | undefined {
    if (err instanceof Tc2Error) return this.errorAnswer(facts, { code: err.code, codeDesc: err.codeDesc, message: err.message });
    if (err instanceof ParamError) return this.errorAnswer(facts, { code: 4000, codeDesc: 'InvalidParameter', message: err.message });
    if (isDomainError(err)) return this.errorAnswer(facts, tc2ErrorOf(err, facts.action ?? '', actions2[facts.action ?? '']?.host));
    return undefined;
  }

  internal(facts: RequestFacts): WireResponse {
    return this.errorAnswer(facts, { code: 6000, codeDesc: 'InternalError', message: 'Internal error.' });
  }

  private region(raw: string | undefined): string {
    // Own keys only: `constructor` is a (bad) region name, not Object.prototype.constructor.
    const region = (raw !== undefined && Object.hasOwn(SHORT_REGIONS, raw) ? SHORT_REGIONS[raw] : raw) ?? '';
    if (!region) throw PUBLIC.invalidParameter('(Region) is required.');
    if (!findRegion(this.o.core.catalog, 'tencent', region)) throw PUBLIC.invalidParameter(`(Region) ${region} is not a supported region.`);
    return region;
  }

  private answer(body: Record<string, unknown>): WireResponse {
    return { status: 200, headers: {}, body };
  }

  private errorAnswer(facts: RequestFacts, body: { code: number; codeDesc: string; message: string }): WireResponse {
    facts.code = body.codeDesc;
    return this.answer({ code: body.code, message: body.message, codeDesc: body.codeDesc });
  }
}
