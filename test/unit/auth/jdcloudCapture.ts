/**
 * The real jdcloud-sdk-js 1.2.202 (CommonJS) for signature tests: its signer class driven directly,
 * and its VM/VPC clients run against a loopback server that records each request exactly as it
 * arrived (request-line path and query, lower-case headers, raw body bytes).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Jd2Request } from '../../../src/auth/jdcloud2.ts';

const require = createRequire(import.meta.url);

export interface SdkCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SdkClientConfig {
  credentials: SdkCredentials;
  regionId?: string;
  endpoint: { host: string; protocol: 'http' | 'https' };
}

type SdkCall = (opts: Record<string, unknown>, regionId?: string) => Promise<Record<string, unknown>>;
export type SdkClient = Record<string, SdkCall>;

interface SdkHeaders {
  forEach(fn: (value: string, name: string) => void): void;
  get(name: string): string | null;
}

/** The node-fetch Request a JCRequest builds. */
interface SdkFetchRequest {
  url: string;
  method: string;
  headers: SdkHeaders;
  body: Buffer | null;
}

export interface SdkJcRequest {
  path: string;
  regionId: string;
  request: SdkFetchRequest;
  search(): string;
}

export interface SdkSigner {
  addAuthorization(credentials: SdkCredentials, date?: Date): void;
  canonicalString(): string;
  stringToSign(datetime: string): string;
}

export interface JDCloudSdk {
  VM: new (config: SdkClientConfig) => SdkClient;
  VPC: new (config: SdkClientConfig) => SdkClient;
  config: { update(options: Record<string, unknown>): void };
  util: {
    uriEscapePath(path: string): string;
    date: { getDate(): Date };
  };
  JCRequest: new (
    service: { config: { endpoint: { host: string; protocol: string }; basePath: string; regionId?: string } },
    path: string,
    httpMethod: string,
    pathParams: Record<string, string>,
    queryParams: Record<string, unknown>,
    headerParams: Record<string, string>,
    formParams: Record<string, unknown>,
    postBody: unknown,
    contentTypes: string[],
    accepts: string[],
    returnType: null,
  ) => SdkJcRequest;
}

/** The package main (src/jdcloud.js): JDCloud with .VM, .VPC, .config, .util, .JCRequest. */
export const JDCloud = require('jdcloud-sdk-js') as JDCloudSdk;
// The request builder and the signer log through the *global* logger (URL, canonical string,
// string to sign, Authorization); a logger given to a client constructor silences only its own line.
JDCloud.config.update({ logger: () => {} });

export const SignerV2 = require('jdcloud-sdk-js/src/lib/signers/v2.js') as new (request: SdkJcRequest, serviceName: string) => SdkSigner;

/** The uuid module instance the signer calls (`uuid.v4()` at signing time), so a test can pin the nonce. */
export const sdkUuid = createRequire(require.resolve('jdcloud-sdk-js/src/lib/signers/v2.js'))('uuid') as { v4: () => string };

/** The request a JCRequest + signer produced, in the shape the server-side verifier takes. */
export function jd2RequestFromSdk(jc: SdkJcRequest): Jd2Request {
  const headers: Record<string, string> = {};
  jc.request.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  const url = new URL(jc.request.url);
  return {
    method: jc.request.method,
    rawPath: url.pathname,
    rawQuery: url.search.slice(1),
    headers,
    body: jc.request.body ?? Buffer.alloc(0),
  };
}

export interface CapturedJdRequest extends Jd2Request {
  rawHeaders: IncomingHttpHeaders;
}

export interface JdReply {
  status: number;
  body: unknown;
}

export interface JdCaptureServer {
  /** `127.0.0.1:<port>`, what goes into `endpoint.host`. */
  host: string;
  requests: CapturedJdRequest[];
  close(): Promise<void>;
}

function toHeaderRecord(h: IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** A loopback server that records every request and answers with `reply(request)` as JSON. */
export async function startJdCaptureServer(
  reply: (req: CapturedJdRequest) => JdReply = () => ({ status: 200, body: { requestId: 'req-1', result: {} } }),
): Promise<JdCaptureServer> {
  const requests: CapturedJdRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const captured: CapturedJdRequest = {
        method: req.method ?? '',
        rawPath: q < 0 ? url : url.slice(0, q),
        rawQuery: q < 0 ? '' : url.slice(q + 1),
        headers: toHeaderRecord(req.headers),
        rawHeaders: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(captured);
      let out: JdReply;
      try {
        out = reply(captured);
      } catch (e) {
        out = { status: 500, body: { requestId: 'req-err', error: { code: 500, status: 'INTERNAL', message: String(e) } } };
      }
      res.statusCode = out.status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sdkClient(kind: 'VM' | 'VPC', host: string, credentials: SdkCredentials): SdkClient {
  return new JDCloud[kind]({ credentials, regionId: 'cn-north-1', endpoint: { host, protocol: 'http' } });
}
