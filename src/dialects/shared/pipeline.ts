/**
 * The request steps every dialect runs, each written once: admission (the dialect's decoding,
 * signature check and routing, refusing in its vendor's order), the per-account rate limit, the
 * call into core, and the mapping of every refusal to the vendor's envelope, with anything
 * unexpected logged once as an internal error. A dialect supplies only the parts that differ.
 */
import type { Core } from '../../core/api.ts';
import type { RequestMeta } from '../../core/context.ts';
import type { Account, Provider, Scope } from '../../core/model.ts';
import { findCredential, type Credential } from '../../auth/keys.ts';
import { DomainError } from '../../core/errors.ts';
import type { FaultBook } from '../../core/faults.ts';
import type { RateLimiter } from '../../auth/rateLimiter.ts';
import type { SecretBox } from '../../auth/secrets.ts';
import type { RequestFacts, WireRequest, WireResponse } from '../../http/wire.ts';

export interface PipelineOptions {
  core: Core;
  rateLimiter: RateLimiter | undefined;
  /** Faults injected at run time; a request-stage hit is answered as the vendor's error. */
  faults?: FaultBook;
  secrets: SecretBox;
  log?: (level: 'error' | 'warn', msg: string, data: Record<string, unknown>) => void;
}

/** What admission establishes: who calls, where, which action at which documented rate. */
export interface Admission {
  account: Account;
  region: string;
  action: string;
  /** Requests per second per account for this action. */
  rate: number;
}

/** What an action is called with. */
export interface CallContext {
  core: Core;
  scope: Scope;
  account: Account;
  meta: RequestMeta;
}

export interface DialectSteps<A extends Admission> {
  /** Keeps this dialect's rate-limit counters apart from the others'. */
  readonly limiterPrefix: string;
  /** Decode, authenticate (the credential through `credentialOf`), verify, route: everything before the rate limit. */
  admit(req: WireRequest, facts: RequestFacts): Promise<A>;
  /** The vendor's throttling refusal. */
  throttled(a: A): Error;
  /** Validates the admitted parameters (shared/params.ts), calls the action, encodes the answer. */
  invoke(a: A, ctx: CallContext, facts: RequestFacts): Promise<WireResponse>;
  /** The vendor's envelope for a refusal it knows (its own errors, ParamError, DomainError), else undefined. */
  refusal(err: unknown, facts: RequestFacts, req?: WireRequest): WireResponse | undefined;
  /** The vendor's envelope for an internal error. */
  internal(facts: RequestFacts, req?: WireRequest): WireResponse;
}

export async function runPipeline<A extends Admission>(steps: DialectSteps<A>, o: PipelineOptions, req: WireRequest, facts: RequestFacts): Promise<WireResponse> {
  try {
    const a = await steps.admit(req, facts);
    if (o.rateLimiter && !(await o.rateLimiter.take(`${steps.limiterPrefix}:${a.account.id}:${a.action}`, a.rate))) {
      facts.throttled = true;
      throw steps.throttled(a);
    }
    const fault = await o.faults?.match({ stage: 'request', provider: a.account.provider, dialect: facts.dialect, name: a.action, accountId: a.account.id });
    if (fault) {
      if (fault.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
      throw new DomainError('InjectedFault', fault.error);
    }
    const scope: Scope = { accountId: a.account.id, provider: a.account.provider, region: a.region };
    return await steps.invoke(a, { core: o.core, scope, account: a.account, meta: { requestId: facts.requestId, dialect: facts.dialect } }, facts);
  } catch (err) {
    return refuse(steps, o, err, facts, req);
  }
}

/** The answer to any error: the vendor's envelope, or an internal error logged with its stack. */
export function refuse(
  steps: Pick<DialectSteps<Admission>, 'refusal' | 'internal'>,
  o: Pick<PipelineOptions, 'log'>,
  err: unknown,
  facts: RequestFacts,
  req?: WireRequest,
): WireResponse {
  const known = steps.refusal(err, facts, req);
  if (known) return known;
  o.log?.('error', 'internal error', { requestId: facts.requestId, error: err instanceof Error ? err.stack : String(err) });
  return steps.internal(facts, req);
}

/** The enabled credential of a key id, only when it belongs to `provider`: to another provider's dialect a key does not exist. */
export async function credentialOf(o: Pick<PipelineOptions, 'core' | 'secrets'>, keyId: string, provider: Provider): Promise<Credential | undefined> {
  const cred = await findCredential(o.core, keyId, o.secrets);
  return cred && cred.account.provider === provider ? cred : undefined;
}
