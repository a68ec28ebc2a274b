/**
 * Runs the real tencentcloud-sdk-nodejs VPC client against a loopback server and returns the
 * request exactly as it arrived, so signature tests check what the SDK really sends (Host header
 * with port, raw body bytes, raw query) rather than what we think it sends.
 */
import { createServer, Agent, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { SignedRequest } from '../../../src/auth/tc3.ts';

const require = createRequire(import.meta.url);

interface VpcClient {
  DescribeVpcs(req: Record<string, unknown>): Promise<unknown>;
}
type VpcClientCtor = new (config: Record<string, unknown>) => VpcClient;
const { Client: SdkVpcClient } = require('tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_client.js') as {
  Client: VpcClientCtor;
};

export const SDK_SECRET_ID = 'AKIDsdktest0000000000000000000000000';
export const SDK_SECRET_KEY = 'sdk-secret-key-0123456789abcdef';

export interface CapturedRequest extends SignedRequest {
  rawHeaders: IncomingHttpHeaders;
}

function toSignedHeaders(h: IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * Sends one DescribeVpcs through the SDK. `profile` is merged into the client profile;
 * `endpointSuffix` lets a test give the endpoint a path.
 */
export async function captureSdkRequest(
  profile: { signMethod?: string; reqMethod?: 'GET' | 'POST' } = {},
  params: Record<string, unknown> = { Limit: '1', Filters: [{ Name: 'vpc-name', Values: ['a b', '未命名'] }] },
): Promise<CapturedRequest> {
  let captured: CapturedRequest | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      captured = {
        method: req.method ?? '',
        path: q < 0 ? url : url.slice(0, q),
        rawQuery: q < 0 ? '' : url.slice(q + 1),
        headers: toSignedHeaders(req.headers),
        rawHeaders: req.headers,
        body: Buffer.concat(chunks),
      };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ Response: { TotalCount: 0, VpcSet: [], RequestId: 'r-1' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new Agent();
  try {
    const { port } = server.address() as AddressInfo;
    const client = new SdkVpcClient({
      credential: { secretId: SDK_SECRET_ID, secretKey: SDK_SECRET_KEY },
      region: 'ap-guangzhou',
      profile: {
        ...(profile.signMethod ? { signMethod: profile.signMethod } : {}),
        // An explicit agent also keeps the SDK from routing through $http_proxy.
        httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqMethod: profile.reqMethod ?? 'POST', agent },
      },
    });
    await client.DescribeVpcs(params);
  } finally {
    agent.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  if (!captured) throw new Error('the SDK sent no request');
  return captured;
}
