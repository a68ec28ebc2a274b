// Contract: the Host forms and request shapes of the Tencent clients beyond Node. With an endpoint
// given as a URL (`http://127.0.0.1:9280`, as a tccli profile or HttpProfile(endpoint=…) holds it),
// tencentcloud-sdk-python sends that string verbatim as the Host header and signs it: in TC3's
// canonical headers and in the v1 string to sign (`POSThttp://127.0.0.1:9280/?…`). Header names
// arrive in the SDK's casing (`X-TC-Action`), and an absolute-form target (Go behind HTTP_PROXY) is
// the same request.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { signTc3 } from '../../../src/auth/tc3.ts';
import { v1Sign, v1StringToSign } from '../../../src/auth/hmacV1.ts';
import { startServer, type AccountInfo, type RunningServer } from '../../support/server.ts';

let server: RunningServer;
let tc: AccountInfo;

before(async () => {
  server = await startServer();
  tc = await server.createAccount();
});
after(async () => server?.stop());

interface Sent {
  target: string;
  headers: Record<string, string>;
  body: string;
  method?: string;
}

/** Raw node:http, so Host and header casing go on the wire exactly as given. */
function send(s: Sent): Promise<{ status: number; json: { Response: { Error?: { Code: string }; TotalCount?: number } } }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, method: s.method ?? 'POST', path: s.target, headers: s.headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(s.body);
  });
}

const now = () => Math.floor(Date.now() / 1000);

function tc3(host: string, body = '{}'): Sent {
  const ts = now();
  const authorization = signTc3(tc.secretId, tc.secretKey, { method: 'POST', path: '/', rawQuery: '', headers: { 'content-type': 'application/json', host }, body: Buffer.from(body) }, 'vpc', ts);
  return {
    target: '/',
    body,
    headers: {
      Host: host,
      Authorization: authorization,
      'Content-Type': 'application/json',
      'X-TC-Action': 'DescribeVpcs',
      'X-TC-Version': '2017-03-12',
      'X-TC-Region': 'ap-guangzhou',
      'X-TC-Timestamp': String(ts),
      'X-TC-RequestClient': 'SDK_PYTHON_3.1.162',
      'Content-Length': String(Buffer.byteLength(body)),
    },
  };
}

function v1(host: string, signedHost: string): Sent {
  const pairs: Array<[string, string]> = [
    ['Action', 'DescribeVpcs'],
    ['Version', '2017-03-12'],
    ['Region', 'ap-guangzhou'],
    ['Timestamp', String(now())],
    ['Nonce', String(Math.floor(Math.random() * 1e6))],
    ['SecretId', tc.secretId],
    ['SignatureMethod', 'HmacSHA256'],
  ];
  pairs.push(['Signature', v1Sign(tc.secretKey, v1StringToSign('POST', signedHost, '/', pairs, 'api3'), 'HmacSHA256')]);
  const body = new URLSearchParams(pairs).toString();
  return { target: '/', body, headers: { Host: host, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) } };
}

test('TC3 with Host "http://127.0.0.1:PORT", signed as sent, in the Python SDK\'s header casing', async () => {
  const url = `http://127.0.0.1:${server.port}`;
  const r = await send(tc3(url));
  assert.equal(r.json.Response.Error, undefined, JSON.stringify(r.json));
  assert.equal(r.json.Response.TotalCount, 0);
  // Signed over the URL form but sent with a plain Host: the signature no longer matches.
  const bad = tc3(url);
  bad.headers.Host = `127.0.0.1:${server.port}`;
  assert.equal((await send(bad)).json.Response.Error?.Code, 'AuthFailure.SignatureFailure');
});

test('v1 HmacSHA256 with the endpoint URL in the string to sign', async () => {
  const url = `http://127.0.0.1:${server.port}`;
  const r = await send(v1(url, url));
  assert.equal(r.json.Response.Error, undefined, JSON.stringify(r.json));
  const plain = await send(v1(`127.0.0.1:${server.port}`, `127.0.0.1:${server.port}`));
  assert.equal(plain.json.Response.Error, undefined, JSON.stringify(plain.json));
  const wrong = await send(v1(url, 'vpc.tencentcloudapi.com.evil'));
  assert.equal(wrong.json.Response.Error?.Code, 'AuthFailure.SignatureFailure');
});

test('an absolute-form target is the same request', async () => {
  const s = tc3('vpc.tencentcloudapi.com');
  const r = await send({ ...s, target: 'http://vpc.tencentcloudapi.com/' });
  assert.equal(r.json.Response.Error, undefined, JSON.stringify(r.json));
});
