// Builds the OFFICIAL tencentcloud-sdk-nodejs VPC/CVM clients pointed at a local eniplane server,
// in each of the four wire modes the SDK can produce (TC3 POST/GET, legacy v1 HmacSHA256/HmacSHA1),
// so contract tests exercise exactly what real users send; a session (one account's clients); and
// the assertion helpers for API errors.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
// Deep imports: the package has no "exports" map, and its root index eagerly loads every product.
import { Client as VpcClient } from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_client.js';
import { Client as CvmClient } from 'tencentcloud-sdk-nodejs/tencentcloud/services/cvm/v20170312/cvm_client.js';
import { Client as TagClient } from 'tencentcloud-sdk-nodejs/tencentcloud/services/tag/v20180813/tag_client.js';
import { Client as CbsClient } from 'tencentcloud-sdk-nodejs/tencentcloud/services/cbs/v20170312/cbs_client.js';
import type { ClientConfig, ClientProfile } from 'tencentcloud-sdk-nodejs/tencentcloud/common/interface.js';
import type { AccountInfo, RunningServer } from '../server.ts';
import type * as VpcModelsNs from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_models.js';
import type * as CvmModelsNs from 'tencentcloud-sdk-nodejs/tencentcloud/services/cvm/v20170312/cvm_models.js';

export type * as VpcModels from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_models.js';
export type * as CvmModels from 'tencentcloud-sdk-nodejs/tencentcloud/services/cvm/v20170312/cvm_models.js';
export type { VpcClient, CvmClient, TagClient, CbsClient };
export type Eni = VpcModelsNs.NetworkInterface;
export type Instance = CvmModelsNs.Instance;

export const REGION = 'ap-guangzhou';
export const ZONE3 = 'ap-guangzhou-3';
export const ZONE4 = 'ap-guangzhou-4';
/** The zone the fixtures build in unless told otherwise. */
export const ZONE = ZONE3;

/** Bypass the SDK's request typings for deliberately wrong or lenient parameters. */
export const loose = <T>(x: Record<string, unknown>): T => x as T;

// The SDK's fetch wrapper uses `options.proxy || process.env.http_proxy` and ignores no_proxy, so an
// ambient proxy would swallow requests to 127.0.0.1. Clear them for the whole test process.
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[k];

export type TcMode = 'tc3-post' | 'tc3-get' | 'hmac-sha256' | 'hmac-sha1';

export const TC_MODES: readonly TcMode[] = ['tc3-post', 'tc3-get', 'hmac-sha256', 'hmac-sha1'];

export interface TcCreds {
  secretId: string;
  secretKey: string;
  /** STS token; sent as X-TC-Token (TC3) or Token (v1). */
  token?: string;
}

export interface TcClientOptions {
  /** Default 'ap-guangzhou'. Pass '' to send no region at all (the SDK then omits X-TC-Region / Region). */
  region?: string;
  /** Default 'tc3-post'. */
  mode?: TcMode;
  /**
   * Default `127.0.0.1:${port}` (the SDK then signs with service "127"; see spec §3).
   * If the endpoint's host is not an IP literal (e.g. `vpc.tencentcloudapi.com`), the TCP connection is
   * still made to 127.0.0.1:port whatever host/port the endpoint names (spec §3 option D), so the wire
   * carries the production Host header and credential-scope service. `*.localhost` does NOT resolve on
   * this machine, so this is the only way to get service `vpc`/`cvm` in the scope.
   */
  endpoint?: string;
  language?: 'zh-CN' | 'en-US';
  /** Override the HTTP method of the mode (e.g. v1 over GET). */
  reqMethod?: 'GET' | 'POST';
  /** SDK request timeout in seconds (default 30). */
  timeoutSec?: number;
  /** Extra request headers (e.g. a fixed X-TC-TraceId). */
  headers?: Record<string, string>;
}

function modeProfile(mode: TcMode): { signMethod: NonNullable<ClientProfile['signMethod']>; reqMethod: 'GET' | 'POST' } {
  switch (mode) {
    case 'tc3-post':
      return { signMethod: 'TC3-HMAC-SHA256', reqMethod: 'POST' };
    case 'tc3-get':
      return { signMethod: 'TC3-HMAC-SHA256', reqMethod: 'GET' };
    case 'hmac-sha256':
      return { signMethod: 'HmacSHA256', reqMethod: 'POST' };
    case 'hmac-sha1':
      return { signMethod: 'HmacSHA1', reqMethod: 'POST' };
  }
}

/** An http.Agent that sends every connection to 127.0.0.1:port, whatever the URL's host and port. */
class LoopbackAgent extends http.Agent {
  constructor(private readonly targetPort: number) {
    super({ keepAlive: true });
  }
  override createConnection(): Duplex {
    return net.createConnection({ host: '127.0.0.1', port: this.targetPort });
  }
}

function endpointNeedsLoopback(endpoint: string): boolean {
  const hostPort = endpoint.replace(/\/.*$/, ''); // the SDK allows a path after the host
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostPort); // [v6]:port
  const host = m ? m[1]! : hostPort.replace(/:\d+$/, '');
  return net.isIP(host) === 0;
}

/** The ClientConfig used by vpcClient/cvmClient (exported for tests that build other SDK clients). */
export function tcClientConfig(port: number, creds: TcCreds, opts: TcClientOptions = {}): ClientConfig {
  const { signMethod, reqMethod } = modeProfile(opts.mode ?? 'tc3-post');
  const endpoint = opts.endpoint ?? `127.0.0.1:${port}`;
  const profile: ClientProfile = {
    signMethod,
    httpProfile: {
      endpoint,
      ...(endpointNeedsLoopback(endpoint) ? { agent: new LoopbackAgent(port) } : {}),
      protocol: 'http://',
      reqMethod: opts.reqMethod ?? reqMethod,
      reqTimeout: opts.timeoutSec ?? 30,
      ...(opts.headers ? { headers: { ...opts.headers } } : {}),
    },
    ...(opts.language ? { language: opts.language } : {}),
  };
  return {
    credential: {
      secretId: creds.secretId,
      secretKey: creds.secretKey,
      ...(creds.token !== undefined ? { token: creds.token } : {}),
    },
    region: opts.region ?? 'ap-guangzhou',
    profile,
  };
}

export function vpcClient(port: number, creds: TcCreds, opts: TcClientOptions = {}): VpcClient {
  return new VpcClient(tcClientConfig(port, creds, opts));
}

export function cvmClient(port: number, creds: TcCreds, opts: TcClientOptions = {}): CvmClient {
  return new CvmClient(tcClientConfig(port, creds, opts));
}

export function tagClient(port: number, creds: TcCreds, opts: TcClientOptions = {}): TagClient {
  return new TagClient(tcClientConfig(port, creds, opts));
}

export function cbsClient(port: number, creds: TcCreds, opts: TcClientOptions = {}): CbsClient {
  return new CbsClient(tcClientConfig(port, creds, opts));
}

export interface TcError {
  code: string;
  message: string;
  requestId?: string;
  traceId?: string;
}

/**
 * Await `p` and assert that the SDK rejected it with an API error whose `Response.Error.Code` is exactly
 * `code`. The SDK throws TencentCloudSDKHttpException: `.code` = Error.Code, `.message` = Error.Message,
 * `.requestId` = Response.RequestId. Transport failures and non-200 replies reject WITHOUT `.code`
 * (non-200 sets `.httpCode`); those fail here with a message saying so.
 */
export async function expectTcError(p: Promise<unknown>, code: string): Promise<TcError> {
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await p };
  } catch (error) {
    outcome = { ok: false, error };
  }
  if (outcome.ok) {
    assert.fail(`expected the SDK to reject with ${code}, but it resolved with ${inspect(outcome.value, { depth: 6 })}`);
  }
  const e = outcome.error;
  if (e === null || typeof e !== 'object') {
    assert.fail(`expected an SDK error with code ${code}, got a thrown ${typeof e}: ${inspect(e)}`);
  }
  const o = e as { code?: unknown; message?: unknown; requestId?: unknown; traceId?: unknown; httpCode?: unknown };
  const describe = () =>
    `${(e as object).constructor?.name ?? 'object'} ${inspect(
      { code: o.code, message: o.message, requestId: o.requestId, traceId: o.traceId, httpCode: o.httpCode },
      { breakLength: Infinity },
    )}`;
  if (typeof o.code !== 'string' || o.code === '') {
    const why = typeof o.httpCode === 'number' ? `non-200 HTTP status ${o.httpCode}` : 'no API error code (transport or client-side failure?)';
    assert.fail(`expected the SDK to reject with API error ${code}, but got ${why}: ${describe()}`);
  }
  assert.equal(o.code, code, `expected API error ${code}, got ${o.code}: ${describe()}`);
  const out: TcError = { code: o.code, message: typeof o.message === 'string' ? o.message : '' };
  if (typeof o.requestId === 'string' && o.requestId !== '') out.requestId = o.requestId;
  if (typeof o.traceId === 'string' && o.traceId !== '') out.traceId = o.traceId;
  return out;
}

/** One account's VPC and CVM clients on one server. */
export interface Session {
  server: RunningServer;
  account: AccountInfo;
  vpc: VpcClient;
  cvm: CvmClient;
  tag: TagClient;
  cbs: CbsClient;
}

export async function session(server: RunningServer, opts: TcClientOptions = {}, account?: AccountInfo): Promise<Session> {
  const acct = account ?? (await server.createAccount());
  const [p, c] = [server.port, acct];
  return { server, account: acct, vpc: vpcClient(p, c, opts), cvm: cvmClient(p, c, opts), tag: tagClient(p, c, opts), cbs: cbsClient(p, c, opts) };
}

/** Codes an SDK error carries (undefined for transport failures). */
export function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}
