// Hand-signed API 3.0 requests for what the SDK cannot produce (stale timestamps, tampered bodies,
// odd methods and content types), and the assertion of the error envelope on a raw answer.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { signTc3 } from '../../../src/auth/tc3.ts';
import { REGION } from './client.ts';

export interface RawAnswer {
  status: number;
  contentType: string | null;
  json: { Response?: { Error?: { Code?: string; Message?: string }; RequestId?: string; [k: string]: unknown } };
}

export async function readAnswer(res: Response): Promise<RawAnswer> {
  const text = await res.text();
  let json: RawAnswer['json'];
  try {
    json = JSON.parse(text) as RawAnswer['json'];
  } catch {
    assert.fail(`HTTP ${res.status} answer is not JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, contentType: res.headers.get('content-type'), json };
}

/** Assert the Tencent error envelope: HTTP 200, JSON, Response.Error.{Code,Message}, RequestId. */
export function assertErrorEnvelope(a: RawAnswer, code: string): void {
  assert.equal(a.status, 200, `errors are HTTP 200 (got ${a.status}) for ${code}`);
  // tencentcloud-sdk-python (and tccli) treat an answer as an error only under exactly this type.
  assert.equal(a.contentType, 'application/json');
  const r = a.json.Response;
  assert.ok(r, `answer has a Response: ${JSON.stringify(a.json)}`);
  assert.equal(r.Error?.Code, code, `expected ${code}, got ${JSON.stringify(r)}`);
  assert.equal(typeof r.Error?.Message, 'string');
  assert.ok(r.Error!.Message!.length > 0, 'the error has a message');
  assert.match(r.RequestId ?? '', /^[0-9a-f-]{36}$/i, 'the error has a UUID RequestId');
}

export interface Tc3RawOptions {
  action: string;
  body?: string | Buffer;
  secretId: string;
  secretKey: string;
  version?: string;
  region?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Change the body after signing. */
  tamper?: (body: Buffer) => Buffer;
  contentType?: string;
  method?: string;
}

/** A TC3-HMAC-SHA256 request signed by hand (signTc3) and sent with fetch to 127.0.0.1:port. */
export async function tc3Raw(port: number, o: Tc3RawOptions): Promise<RawAnswer> {
  const host = `127.0.0.1:${port}`;
  const contentType = o.contentType ?? 'application/json';
  const body = Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body ?? '{}', 'utf8');
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const method = o.method ?? 'POST';
  const authorization = signTc3(
    o.secretId,
    o.secretKey,
    { method, path: '/', rawQuery: '', headers: { 'content-type': contentType, host }, body },
    'vpc',
    timestamp,
  );
  const sent = o.tamper ? o.tamper(Buffer.from(body)) : body;
  const res = await fetch(`http://${host}/`, {
    method,
    headers: {
      authorization,
      'content-type': contentType,
      'x-tc-action': o.action,
      'x-tc-version': o.version ?? '2017-03-12',
      'x-tc-timestamp': String(timestamp),
      ...(o.region === '' ? {} : { 'x-tc-region': o.region ?? REGION }),
    },
    ...(method === 'GET' || method === 'HEAD' ? {} : { body: new Uint8Array(sent) }),
  });
  return readAnswer(res);
}

export const uuid = (): string => randomUUID();
