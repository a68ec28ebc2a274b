// The OFFICIAL legacy client `qcloudapi-sdk@0.2.1` (Tencent Cloud API 2.0) pointed at a local eniplane
// server, as a small typed promise wrapper; a session (one account's 2.0 clients, plus the 3.0 SDK
// for what 2.0 cannot do, i.e. RunInstances); and the assertions on a 2.0 answer.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import type { AccountInfo, RunningServer } from '../server.ts';
import { cvmClient, vpcClient, type CvmClient, type VpcClient } from '../tencent3/client.ts';

// The `request` library behind qcloudapi-sdk honours HTTP(S)_PROXY when no `proxy` option is given,
// which would swallow requests to 127.0.0.1. Clear them for the whole test process.
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[k];

export const API2_PATH = '/v2/index.php';
export const REGION2 = 'ap-guangzhou';

interface CapiOptions {
  SecretId?: string;
  SecretKey?: string;
  serviceType?: string;
  protocol?: 'http' | 'https';
  host?: string;
  baseHost?: string;
  path?: string;
  method?: string;
  Region?: string;
  signatureMethod?: 'sha1' | 'sha256';
  maxKeys?: number;
}

interface Capi {
  request(data: Record<string, unknown>, opts: CapiOptions, cb: (err: Error | null, body: unknown) => void, extra?: Record<string, unknown>): void;
  generateQueryString(data: Record<string, unknown>, opts?: CapiOptions): string;
}

const Capi = createRequire(import.meta.url)('qcloudapi-sdk') as new (defaults: CapiOptions) => Capi;

/** A parsed 2.0 answer: integer `code`, `message`, `codeDesc`, and action fields (loosely typed). */
export type Qc2Body = { code: number; message: string; codeDesc?: string; [field: string]: any };

export interface Qc2Creds {
  secretId: string;
  secretKey: string;
}

export interface Qc2Options {
  /**
   * Default: the SDK's own default (POST), nothing per call. When given, it is passed in PER-CALL
   * options, which — as spec §5.3 warns — must then repeat `host` (the wrapper does so).
   */
  method?: 'GET' | 'POST';
  /** Constructor `signatureMethod`; default the SDK's sha1. */
  signatureMethod?: 'sha1' | 'sha256';
  /** Constructor `Region`; default 'ap-guangzhou'. '' makes the SDK send `Region=`. */
  region?: string;
  /** The host string the SDK uses and signs; default `127.0.0.1:PORT`. */
  host?: string;
  /**
   * Spec §5.3 option 3: no host option at all (the SDK uses `vpc.api.qcloud.com`/`cvm.api.qcloud.com`)
   * and `extra = {proxy: 'http://127.0.0.1:PORT'}`, so the server gets an absolute-form target.
   */
  viaProxy?: boolean;
}

export interface Qc2Clients {
  vpc(data: Record<string, unknown>): Promise<Qc2Body>;
  cvm(data: Record<string, unknown>): Promise<Qc2Body>;
  /** Security groups (dfw.api.qcloud.com). */
  dfw(data: Record<string, unknown>): Promise<Qc2Body>;
}

/**
 * qcloudapi-sdk draws `Nonce` from 0–65535 and `Timestamp` in whole seconds, so the SAME request sent
 * dozens of times a second (snapshots, polling) now and then repeats (Timestamp, Nonce, Signature)
 * exactly — a byte-identical request, which the server rightly refuses as a replay (4500, spec §1.7).
 * A real caller resends with a fresh Nonce; so does this wrapper, once. Replay detection itself is
 * tested with hand-signed requests (sign2/rawRequest2), never through this path.
 */
async function call(capi: Capi, data: Record<string, unknown>, opts: CapiOptions | undefined, extra: Record<string, unknown> | undefined): Promise<Qc2Body> {
  const first = await callOnce(capi, data, opts, extra);
  if (first.code !== 4500 || first.codeDesc !== 'InvalidRequest.ReplayAttack') return first;
  replayRetries++;
  return callOnce(capi, data, opts, extra);
}

let replayRetries = 0;
/** How many times call() resent after a Nonce collision (for diagnostics). */
export const replayRetryCount = (): number => replayRetries;

function callOnce(capi: Capi, data: Record<string, unknown>, opts: CapiOptions | undefined, extra: Record<string, unknown> | undefined): Promise<Qc2Body> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | null, body: unknown) => {
      if (err) return reject(err);
      if (body === null || typeof body !== 'object') return reject(new Error(`qcloudapi-sdk: a non-JSON answer to ${String(data.Action)}: ${inspect(body)}`));
      resolve(body as Qc2Body);
    };
    // `request(data, cb)` uses the defaults; an explicit options object replaces them per call.
    if (opts === undefined && extra === undefined) (capi.request as unknown as (d: unknown, c: typeof cb) => void)(data, cb);
    else capi.request(data, opts ?? {}, cb, extra);
  });
}

/** qcloudapi-sdk clients for the vpc and cvm products of a local eniplane on 127.0.0.1:port. */
export function capiClients(port: number, creds: Qc2Creds, opts: Qc2Options = {}): Qc2Clients {
  const host = opts.host ?? `127.0.0.1:${port}`;
  const make = (serviceType: 'vpc' | 'cvm' | 'dfw') => {
    const capi = new Capi({
      SecretId: creds.secretId,
      SecretKey: creds.secretKey,
      serviceType,
      protocol: 'http',
      ...(opts.viaProxy ? {} : { host }),
      Region: opts.region ?? REGION2,
      ...(opts.signatureMethod ? { signatureMethod: opts.signatureMethod } : {}),
    });
    const perCall: CapiOptions | undefined = opts.method ? { method: opts.method, ...(opts.viaProxy ? {} : { host }) } : undefined;
    const extra = opts.viaProxy ? { proxy: `http://127.0.0.1:${port}` } : undefined;
    return (data: Record<string, unknown>) => call(capi, data, perCall, extra);
  };
  return { vpc: make('vpc'), cvm: make('cvm'), dfw: make('dfw') };
}

// ---- assertions ---------------------------------------------------------------------------------

export const show = (b: unknown) => inspect(b, { depth: 8, breakLength: Infinity });

/** Assert success (`code` 0, codeDesc Success) and return the body. */
export function ok2(body: Qc2Body, what = 'call'): Qc2Body {
  assert.equal(body.code, 0, `${what} should succeed: ${show(body)}`);
  assert.equal(body.codeDesc, 'Success', `${what}: ${show(body)}`);
  return body;
}

/** Assert an error answer with exactly this integer `code` and `codeDesc`, and no `data`. */
export function expect2(body: Qc2Body, code: number, codeDesc: string, what = 'call'): Qc2Body {
  assert.equal(typeof body.code, 'number', `${what}: code must be a JSON number: ${show(body)}`);
  assert.deepEqual({ code: body.code, codeDesc: body.codeDesc }, { code, codeDesc }, `${what}: ${show(body)}`);
  assert.equal(typeof body.message, 'string', `${what}: message: ${show(body)}`);
  assert.ok(body.message.length > 0, `${what}: an error carries a message: ${show(body)}`);
  assert.equal(body.data, undefined, `${what}: an error carries no data: ${show(body)}`);
  return body;
}

/** The integer `data.taskId` of an accepted async call. */
export function taskIdOf(body: Qc2Body, what = 'async call'): number {
  ok2(body, what);
  const id = body.data?.taskId;
  assert.ok(Number.isInteger(id) && id > 0, `${what}: data.taskId must be a positive integer: ${show(body)}`);
  return id as number;
}

export interface Session2 {
  server: RunningServer;
  account: AccountInfo;
  /** qcloudapi-sdk (API 2.0). */
  c: Qc2Clients;
  /** tencentcloud-sdk-nodejs (API 3.0), same account. */
  vpc3: VpcClient;
  cvm3: CvmClient;
}

export async function session2(server: RunningServer, account?: AccountInfo): Promise<Session2> {
  const acct = account ?? (await server.createAccount());
  return { server, account: acct, c: capiClients(server.port, acct), vpc3: vpcClient(server.port, acct), cvm3: cvmClient(server.port, acct) };
}
