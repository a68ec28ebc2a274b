import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  parseTc3Authorization,
  signTc3,
  tc3CanonicalRequest,
  tc3DateMatches,
  tc3PayloadHash,
  tc3Signature,
  tc3StringToSign,
  verifyTc3,
  type SignedRequest,
  type Tc3Authorization,
} from '../../../src/auth/tc3.ts';
import { captureSdkRequest, SDK_SECRET_ID, SDK_SECRET_KEY } from './sdkCapture.ts';

const require = createRequire(import.meta.url);
const SdkSign = (require('tencentcloud-sdk-nodejs/tencentcloud/common/sign.js') as {
  default: { sign3(args: Record<string, unknown>): string };
}).default;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const KEY = 'Gu5t9xGARNpq86cd98joQYCN3Cozk1qA';

// The worked example of Tencent's "Signature v3" page. The SecretKey is masked there, but the page
// publishes the payload hash, the canonical-request hash, the derived SecretSigning key and the signature.
const DOC_BODY = String.raw`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`;
const docRequest: SignedRequest = {
  method: 'POST',
  path: '/',
  rawQuery: '',
  headers: {
    'content-type': 'application/json; charset=utf-8',
    host: 'cvm.tencentcloudapi.com',
    'x-tc-action': 'DescribeInstances',
    'x-tc-timestamp': '1551113065',
  },
  body: Buffer.from(DOC_BODY),
};

test('docs example: payload hash 35e9c5b0…f064', () => {
  const hash = tc3PayloadHash(docRequest);
  assert.equal(hash, '35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064');
  assert.ok(hash.startsWith('35e9c5b0') && hash.endsWith('f064'));
});

test('docs example: canonical request, string to sign and signature from the published signing key', () => {
  const canonical = tc3CanonicalRequest(docRequest, ['content-type', 'host', 'x-tc-action'], {
    host: 'cvm.tencentcloudapi.com',
    canonicalUri: '/',
    lowerCaseValues: true,
  });
  assert.equal(
    canonical,
    'POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\nx-tc-action:describeinstances\n\n' +
      'content-type;host;x-tc-action\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064',
  );
  const sts = tc3StringToSign('1551113065', '2019-02-25', 'cvm', canonical!);
  assert.equal(
    sts,
    'TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84',
  );
  const signingKey = Buffer.from('b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af', 'hex');
  assert.equal(
    createHmac('sha256', signingKey).update(sts).digest('hex'),
    '10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f',
  );
});

test('docs GET example: canonical request hash 91c9c192…, query signed raw', () => {
  const req: SignedRequest = {
    method: 'GET',
    path: '/',
    rawQuery: 'Limit=10&Offset=0',
    headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'cvm.tencentcloudapi.com' },
    body: Buffer.alloc(0),
  };
  const canonical = tc3CanonicalRequest(req, ['content-type', 'host'], { host: 'cvm.tencentcloudapi.com', canonicalUri: '/' });
  assert.equal(sha256(canonical!), '91c9c192c14460df6c1ffc69e34e6c5e90708de2a6d282cccf957dbf1aa7f3a7');
});

test('parseTc3Authorization accepts the SDK form and tolerant separators', () => {
  const sig = 'a'.repeat(64);
  const expected: Tc3Authorization = {
    algorithm: 'TC3-HMAC-SHA256',
    secretId: 'AKIDtest',
    date: '2026-11-21',
    service: '127',
    signedHeaders: ['content-type', 'host'],
    signature: sig,
  };
  for (const header of [
    `TC3-HMAC-SHA256 Credential=AKIDtest/2026-11-21/127/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`,
    `TC3-HMAC-SHA256 Credential=AKIDtest/2026-11-21/127/tc3_request,SignedHeaders=content-type;host,Signature=${sig}`,
    `  TC3-HMAC-SHA256   Credential=AKIDtest/2026-11-21/127/tc3_request ,  SignedHeaders=Content-Type;Host ,Signature=${sig.toUpperCase()} `,
  ]) {
    assert.deepEqual(parseTc3Authorization(header), expected, header);
  }
  // Node SDK with a port-only endpoint: the service is the whole endpoint.
  assert.equal(
    parseTc3Authorization(`TC3-HMAC-SHA256 Credential=AKIDtest/2026-11-21/localhost:3000/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`)
      ?.service,
    'localhost:3000',
  );
});

test('parseTc3Authorization rejects malformed headers', () => {
  const sig = 'b'.repeat(64);
  const bad = [
    '',
    'SKIP',
    `TC3-HMAC-SHA1 Credential=AKID/2026-11-21/vpc/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`,
    `TC3-HMAC-SHA256Credential=AKID/2026-11-21/vpc/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`,
    `TC3-HMAC-SHA256 Credential=AKID/2026-11-21/vpc/tc3_request, SignedHeaders=content-type;host`,
    `TC3-HMAC-SHA256 Credential=AKID/2026-11-21/vpc/tc3_request, SignedHeaders=content-type;host, Signature=${sig}, Extra=1`,
    `TC3-HMAC-SHA256 Credential=AKID/2026-11-21/vpc/tc3_request, Credential=AKID/2026-11-21/vpc/tc3_request, Signature=${sig}`,
    `TC3-HMAC-SHA256 Credential=AKID/20261121/vpc/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`,
    `TC3-HMAC-SHA256 Credential=AKID/2026-11-21/vpc/tc4_request, SignedHeaders=content-type;host, Signature=${sig}`,
    `TC3-HMAC-SHA256 Credential=/2026-11-21/vpc/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`,
    `TC3-HMAC-SHA256 Credential=AKID/2026-11-21/tc3_request, SignedHeaders=content-type;host, Signature=${sig}`,
    `TC3-HMAC-SHA256 Credential=AKID/2026-11-21/vpc/tc3_request, SignedHeaders=content-type;;host, Signature=${sig}`,
    `TC3-HMAC-SHA256 Credential=AKID/2026-11-21/vpc/tc3_request, SignedHeaders=content-type;host, Signature=${sig.slice(1)}`,
    `TC3-HMAC-SHA256 Credential=AKID/2026-11-21/vpc/tc3_request, SignedHeaders=content-type;host, Signature=${'g'.repeat(64)}`,
  ];
  for (const header of bad) assert.equal(parseTc3Authorization(header), undefined, header);
});

test('tc3DateMatches uses the UTC date of the timestamp', () => {
  assert.equal(tc3DateMatches('2019-02-25', 1551113065), true);
  // 2019-02-24T23:59:59Z and the next second: a local-time date would be wrong here in most zones.
  assert.equal(tc3DateMatches('2019-02-24', 1551052799), true);
  assert.equal(tc3DateMatches('2019-02-25', 1551052799), false);
  assert.equal(tc3DateMatches('2019-02-25', 1551052800), true);
  assert.equal(tc3DateMatches('2019-02-25', Number.NaN), false);
  assert.equal(tc3DateMatches('2019-02-25', 1e20), false);
});

function postRequest(overrides: Partial<SignedRequest> = {}, headers: Record<string, string> = {}): SignedRequest {
  return {
    method: 'POST',
    path: '/',
    rawQuery: '',
    headers: {
      'content-type': 'application/json',
      host: 'vpc.tencentcloudapi.com',
      'x-tc-action': 'DescribeVpcs',
      'x-tc-timestamp': '1763683200',
      ...headers,
    },
    body: Buffer.from('{"Limit":1}'),
    ...overrides,
  };
}

function signAndParse(req: SignedRequest, signedHeaders?: string[], key = KEY): Tc3Authorization {
  const header = signTc3('AKIDx', key, req, 'vpc', Number(req.headers['x-tc-timestamp']), signedHeaders);
  const auth = parseTc3Authorization(header);
  assert.ok(auth, header);
  return auth;
}

test('signTc3 output verifies, and any tampering fails', () => {
  const req = postRequest();
  const auth = signAndParse(req);
  assert.equal(auth.date, '2025-11-21');
  assert.deepEqual(auth.signedHeaders, ['content-type', 'host']);
  assert.equal(verifyTc3(KEY, req, auth), true);

  assert.equal(verifyTc3('wrong-key', req, auth), false);
  assert.equal(verifyTc3(KEY, postRequest({ body: Buffer.from('{"Limit":2}') }), auth), false);
  assert.equal(verifyTc3(KEY, postRequest({ method: 'GET' }), auth), false);
  assert.equal(verifyTc3(KEY, postRequest({}, { 'content-type': 'application/json; charset=utf-8' }), auth), false);
  assert.equal(verifyTc3(KEY, postRequest({}, { host: 'cvm.tencentcloudapi.com' }), auth), false);
  assert.equal(verifyTc3(KEY, postRequest({}, { 'x-tc-timestamp': '1763683201' }), auth), false);
  assert.equal(verifyTc3(KEY, { ...req, headers: { ...req.headers, 'x-tc-timestamp': undefined } }, auth), false);
  assert.equal(verifyTc3(KEY, req, { ...auth, service: 'cvm' }), false);
  assert.equal(verifyTc3(KEY, req, { ...auth, secretId: 'other' }), true, 'the SecretId only selects the key');
  const flipped = (auth.signature[0] === '0' ? '1' : '0') + auth.signature.slice(1);
  assert.equal(verifyTc3(KEY, req, { ...auth, signature: flipped }), false);
});

test('verifyTc3 rejects a credential date that is not the UTC date of X-TC-Timestamp', () => {
  const req = postRequest();
  // A client that computed the right signature for the wrong day is still refused.
  const auth: Tc3Authorization = { ...signAndParse(req), date: '2025-11-20' };
  auth.signature = tc3Signature(KEY, req, auth, '1763683200', { host: 'vpc.tencentcloudapi.com', canonicalUri: '/' });
  assert.equal(verifyTc3(KEY, req, auth), false);
});

test('verifyTc3 requires content-type and host among the signed headers, and accepts extras', () => {
  const req = postRequest();
  assert.equal(verifyTc3(KEY, req, signAndParse(req, ['host'])), false);
  assert.equal(verifyTc3(KEY, req, signAndParse(req, ['content-type'])), false);
  const withAction = signAndParse(req, ['content-type', 'host', 'x-tc-action']);
  assert.equal(verifyTc3(KEY, req, withAction), true);
  assert.equal(verifyTc3(KEY, postRequest({}, { 'x-tc-action': 'DeleteVpc' }), withAction), false);
  // A signed header that was not sent cannot verify.
  const withRegion = signAndParse(postRequest({}, { 'x-tc-region': 'ap-guangzhou' }), ['content-type', 'host', 'x-tc-region']);
  assert.equal(verifyTc3(KEY, req, withRegion), false);
});

test('verifyTc3 accepts the docs form (lower-cased header values) as well as values as sent', () => {
  const req = postRequest({}, { 'content-type': 'application/json; charset=UTF-8' });
  const signedHeaders = ['content-type', 'host', 'x-tc-action'];
  const base = signAndParse(req, signedHeaders);
  const docsStyle = tc3Signature(KEY, req, base, '1763683200', {
    host: 'vpc.tencentcloudapi.com',
    canonicalUri: '/',
    lowerCaseValues: true,
  });
  assert.notEqual(docsStyle, base.signature);
  assert.equal(verifyTc3(KEY, req, base), true);
  assert.equal(verifyTc3(KEY, req, { ...base, signature: docsStyle }), true);
});

test('verifyTc3 accepts the host without its port and the canonical URI "/" (spec §2.2)', () => {
  const req = postRequest({ path: '/api/' }, { host: '127.0.0.1:39089' });
  const auth = signAndParse(req);
  const variant = (host: string, canonicalUri: string) => ({
    ...auth,
    signature: tc3Signature(KEY, req, auth, '1763683200', { host, canonicalUri }),
  });
  assert.equal(verifyTc3(KEY, req, variant('127.0.0.1:39089', '/api/')), true);
  assert.equal(verifyTc3(KEY, req, variant('127.0.0.1', '/api/')), true);
  assert.equal(verifyTc3(KEY, req, variant('127.0.0.1', '/')), true);
  assert.equal(verifyTc3(KEY, req, variant('127.0.0.1:39089', '/')), true);
  assert.equal(verifyTc3(KEY, req, variant('127.0.0.2', '/')), false);
  assert.equal(verifyTc3(KEY, req, variant('127.0.0.1:39089', '/other/')), false);
});

test('GET signs the raw query; POST ignores it', () => {
  const get = postRequest({ method: 'GET', rawQuery: 'Limit=1&Filters.0.Values.0=a%20b', body: Buffer.alloc(0) });
  const auth = signAndParse(get);
  assert.equal(verifyTc3(KEY, get, auth), true);
  assert.equal(verifyTc3(KEY, { ...get, rawQuery: 'Limit=1&Filters.0.Values.0=a+b' }, auth), false);
  const post = postRequest();
  assert.equal(verifyTc3(KEY, { ...post, rawQuery: 'x=1' }, signAndParse(post)), true);
});

test('X-TC-Content-SHA256: UNSIGNED-PAYLOAD hashes the literal instead of the body', () => {
  const req = postRequest({}, { 'x-tc-content-sha256': 'UNSIGNED-PAYLOAD' });
  assert.equal(tc3PayloadHash(req), sha256('UNSIGNED-PAYLOAD'));
  const auth = signAndParse(req);
  assert.equal(verifyTc3(KEY, { ...req, body: Buffer.from('anything') }, auth), true);
  const { 'x-tc-content-sha256': _, ...without } = req.headers;
  assert.equal(verifyTc3(KEY, { ...req, headers: without }, auth), false);
});

// --- The real SDK -------------------------------------------------------------------------------

test('SDK Sign.sign3: verifies with the port in Host, fails on a tampered body or wrong key', () => {
  const timestamp = 1763683200;
  const payload = { Limit: 1, Filters: [{ Name: 'vpc-name', Values: ['未命名'] }] };
  const url = 'http://127.0.0.1:39089/';
  const authorization = SdkSign.sign3({
    method: 'POST',
    url,
    payload,
    timestamp,
    service: '127',
    secretId: 'AKIDsdk',
    secretKey: KEY,
    multipart: false,
    boundary: undefined,
    headers: { 'Content-Type': 'application/json' },
  });
  const auth = parseTc3Authorization(authorization);
  assert.ok(auth, authorization);
  assert.equal(auth.service, '127');
  const req: SignedRequest = {
    method: 'POST',
    path: '/',
    rawQuery: '',
    headers: { 'content-type': 'application/json', host: new URL(url).host, 'x-tc-timestamp': String(timestamp) },
    body: Buffer.from(JSON.stringify(payload)),
  };
  assert.equal(req.headers.host, '127.0.0.1:39089');
  assert.equal(verifyTc3(KEY, req, auth), true);
  assert.equal(verifyTc3(KEY, { ...req, body: Buffer.from(JSON.stringify({ ...payload, Limit: 2 })) }, auth), false);
  assert.equal(verifyTc3('not-the-key', req, auth), false);
});

test('real SDK client, POST JSON over HTTP to 127.0.0.1:<port>: verifies; tampering fails', async () => {
  const req = await captureSdkRequest();
  assert.equal(req.method, 'POST');
  assert.match(req.headers.host ?? '', /^127\.0\.0\.1:\d+$/);
  assert.equal(req.headers['content-type'], 'application/json');
  const auth = parseTc3Authorization(req.headers.authorization ?? '');
  assert.ok(auth, req.headers.authorization);
  assert.equal(auth.secretId, SDK_SECRET_ID);
  assert.equal(auth.service, '127');
  assert.deepEqual(auth.signedHeaders, ['content-type', 'host']);
  assert.equal(verifyTc3(SDK_SECRET_KEY, req, auth), true);

  const body = Buffer.from(req.body);
  const at = body.length - 2;
  body.writeUInt8(body.readUInt8(at) ^ 1, at);
  assert.equal(verifyTc3(SDK_SECRET_KEY, { ...req, body }, auth), false);
  assert.equal(verifyTc3('wrong', req, auth), false);
  assert.equal(verifyTc3(SDK_SECRET_KEY, { ...req, headers: { ...req.headers, host: '127.0.0.2:1' } }, auth), false);
});

test('real SDK client, GET with a flattened query: verifies; a changed query fails', async () => {
  const req = await captureSdkRequest({ reqMethod: 'GET' });
  assert.equal(req.method, 'GET');
  assert.match(req.rawQuery, /Filters\.0\.Values\.0=a%20b/);
  assert.equal(req.body.length, 0);
  const auth = parseTc3Authorization(req.headers.authorization ?? '');
  assert.ok(auth);
  assert.equal(verifyTc3(SDK_SECRET_KEY, req, auth), true);
  assert.equal(verifyTc3(SDK_SECRET_KEY, { ...req, rawQuery: req.rawQuery.replace('Limit=1', 'Limit=2') }, auth), false);
});
