import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { hmacMethodOf, v1HostCandidates, v1Sign, v1StringToSign, verifyV1 } from '../../../src/auth/hmacV1.ts';
import { captureSdkRequest, SDK_SECRET_ID, SDK_SECRET_KEY } from './sdkCapture.ts';

const require = createRequire(import.meta.url);
const SdkSign = (require('tencentcloud-sdk-nodejs/tencentcloud/common/sign.js') as {
  default: { sign(secretKey: string, signStr: string, signMethod: string): string };
}).default;

// Spec api2 §1.5 test vectors.
const KEY = 'Gu5t9xGARNpq86cd98joQYCN3Cozk1qA';
const vectorParams = (method: string): Array<[string, string]> => [
  // Deliberately not in sorted order.
  ['Timestamp', '1465185768'],
  ['SignatureMethod', method],
  ['Nonce', '11886'],
  ['Action', 'DescribeInstances'],
  ['SecretId', 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA'],
  ['Region', 'ap-guangzhou'],
  ['InstanceIds.0', 'ins-09dx96dg'],
];
const vectorString = (method: string) =>
  'GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Nonce=11886&Region=ap-guangzhou' +
  `&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=${method}&Timestamp=1465185768`;

test('api2 vector, HmacSHA256', () => {
  const sts = v1StringToSign('GET', 'cvm.api.qcloud.com', '/v2/index.php', vectorParams('HmacSHA256'), 'api2');
  assert.equal(sts, vectorString('HmacSHA256'));
  assert.equal(v1Sign(KEY, sts, 'HmacSHA256'), '0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=');
});

test('api2 vector, HmacSHA1', () => {
  const sts = v1StringToSign('get', 'cvm.api.qcloud.com', '/v2/index.php', vectorParams('HmacSHA1'), 'api2');
  assert.equal(sts, vectorString('HmacSHA1'));
  assert.equal(v1Sign(KEY, sts, 'HmacSHA1'), 'nPVnY6njQmwQ8ciqbPl5Qe+Oru4=');
});

test('verifyV1 accepts the vectors and rejects tampering', () => {
  const params = [...vectorParams('HmacSHA256'), ['Signature', 'ignored'] as [string, string]];
  const sig = '0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=';
  const hosts = ['cvm.api.qcloud.com'];
  assert.equal(verifyV1(KEY, sig, 'HmacSHA256', 'GET', hosts, '/v2/index.php', params, 'api2'), true);
  assert.equal(verifyV1(KEY, sig, 'HmacSHA1', 'GET', hosts, '/v2/index.php', params, 'api2'), false);
  assert.equal(verifyV1('wrong', sig, 'HmacSHA256', 'GET', hosts, '/v2/index.php', params, 'api2'), false);
  assert.equal(verifyV1(KEY, sig, 'HmacSHA256', 'POST', hosts, '/v2/index.php', params, 'api2'), false);
  assert.equal(verifyV1(KEY, sig, 'HmacSHA256', 'GET', ['vpc.api.qcloud.com'], '/v2/index.php', params, 'api2'), false);
  assert.equal(verifyV1(KEY, sig, 'HmacSHA256', 'GET', hosts, '/', params, 'api2'), false);
  assert.equal(verifyV1(KEY, sig.slice(0, -1), 'HmacSHA256', 'GET', hosts, '/v2/index.php', params, 'api2'), false);
  const tampered = params.map(([n, v]): [string, string] => [n, n === 'Nonce' ? '11887' : v]);
  assert.equal(verifyV1(KEY, sig, 'HmacSHA256', 'GET', hosts, '/v2/index.php', tampered, 'api2'), false);
  // Any host candidate may match.
  assert.equal(verifyV1(KEY, sig, 'HmacSHA256', 'GET', ['x', 'cvm.api.qcloud.com'], '/v2/index.php', params, 'api2'), true);
  assert.equal(verifyV1(KEY, sig, 'HmacSHA256', 'GET', [], '/v2/index.php', params, 'api2'), false);
});

test('api2 sorts raw names by char code first, then rewrites "_" to "."', () => {
  const params: Array<[string, string]> = [
    ['a_b', '1'],
    ['a.c', '2'],
    ['_x_y', '3'],
    ['b', 'v_w'],
    ['B', '4'],
  ];
  // '.' (0x2E) < '_' (0x5F), so a.c comes first although a_b is signed as a.b; a leading '_' keeps
  // the name untouched; values are never rewritten; upper case sorts before lower case.
  assert.equal(v1StringToSign('GET', 'h', '/p', params, 'api2'), 'GETh/p?B=4&_x_y=3&a.c=2&a.b=1&b=v_w');
  assert.equal(v1StringToSign('GET', 'h', '/p', params, 'api3'), 'GETh/p?B=4&_x_y=3&a.c=2&a_b=1&b=v_w');
});

test('api2 drops "@" values on POST only; api3 never', () => {
  const params: Array<[string, string]> = [
    ['file', '@/etc/passwd'],
    ['name', 'x@y'],
    ['Action', 'A'],
  ];
  assert.equal(v1StringToSign('POST', 'h', '/p', params, 'api2'), 'POSTh/p?Action=A&name=x@y');
  assert.equal(v1StringToSign('GET', 'h', '/p', params, 'api2'), 'GETh/p?Action=A&file=@/etc/passwd&name=x@y');
  assert.equal(v1StringToSign('POST', 'h', '/p', params, 'api3'), 'POSTh/p?Action=A&file=@/etc/passwd&name=x@y');
});

test('api2 POST with Version: the Node SDK variant that keeps "@" values also verifies', () => {
  const params: Array<[string, string]> = [
    ['Action', 'DescribeInstances'],
    ['Version', '2017-03-12'],
    ['file', '@x'],
  ];
  const keepAt = v1Sign(KEY, 'POSTh/v2/index.php?Action=DescribeInstances&Version=2017-03-12&file=@x', 'HmacSHA1');
  const dropAt = v1Sign(KEY, 'POSTh/v2/index.php?Action=DescribeInstances&Version=2017-03-12', 'HmacSHA1');
  assert.equal(verifyV1(KEY, keepAt, 'HmacSHA1', 'POST', ['h'], '/v2/index.php', params, 'api2'), true);
  assert.equal(verifyV1(KEY, dropAt, 'HmacSHA1', 'POST', ['h'], '/v2/index.php', params, 'api2'), true);
  const noVersion = params.filter(([n]) => n !== 'Version');
  const keepAtNoVersion = v1Sign(KEY, 'POSTh/v2/index.php?Action=DescribeInstances&file=@x', 'HmacSHA1');
  assert.equal(verifyV1(KEY, keepAtNoVersion, 'HmacSHA1', 'POST', ['h'], '/v2/index.php', noVersion, 'api2'), false);
});

test('hmacMethodOf: only the exact "HmacSHA256" selects SHA-256', () => {
  assert.equal(hmacMethodOf('HmacSHA256'), 'HmacSHA256');
  for (const m of [undefined, '', 'HmacSHA1', 'hmacsha256', 'HMACSHA256', 'TC2-HmacSHA256', 'HmacSHA256 ']) {
    assert.equal(hmacMethodOf(m), 'HmacSHA1', String(m));
  }
});

test('v1HostCandidates', () => {
  assert.deepEqual(v1HostCandidates('vpc.api.qcloud.com', 'http', 'api2'), ['vpc.api.qcloud.com', 'vpc.api.qcloud.com:80']);
  assert.deepEqual(v1HostCandidates('127.0.0.1', 'https', 'api2', ['vpc.api.qcloud.com', '127.0.0.1']), [
    '127.0.0.1',
    '127.0.0.1:443',
    'vpc.api.qcloud.com',
  ]);
  assert.deepEqual(v1HostCandidates('127.0.0.1:8080', 'http', 'api2'), ['127.0.0.1:8080']);
  assert.deepEqual(v1HostCandidates('127.0.0.1:39089', 'http', 'api3'), ['127.0.0.1:39089', '127.0.0.1']);
  assert.deepEqual(v1HostCandidates('vpc.tencentcloudapi.com', 'https', 'api3'), [
    'vpc.tencentcloudapi.com',
    'vpc.tencentcloudapi.com:443',
  ]);
  assert.deepEqual(v1HostCandidates('[::1]:8080', 'http', 'api3'), ['[::1]:8080', '[::1]']);
  assert.deepEqual(v1HostCandidates('', 'http', 'api2'), []);
});

test('an api2 client that signed ":80" but sent Host without it verifies through the candidates', () => {
  const params: Array<[string, string]> = [['Action', 'DescribeVpcEx'], ['Nonce', '0']];
  const sig = v1Sign(KEY, v1StringToSign('POST', '127.0.0.1:80', '/v2/index.php', params, 'api2'), 'HmacSHA256');
  const hosts = v1HostCandidates('127.0.0.1', 'http', 'api2');
  assert.equal(verifyV1(KEY, sig, 'HmacSHA256', 'POST', hosts, '/v2/index.php', params, 'api2'), true);
  assert.equal(verifyV1(KEY, sig, 'HmacSHA256', 'POST', ['127.0.0.1'], '/v2/index.php', params, 'api2'), false);
});

// --- The real SDK -------------------------------------------------------------------------------

test('v1Sign equals the SDK Sign.sign for both methods', () => {
  const sts = 'POST127.0.0.1:39089/?Action=DescribeVpcs&Filters.0.Values.0=未命名&Nonce=0';
  for (const m of ['HmacSHA1', 'HmacSHA256'] as const) assert.equal(v1Sign(KEY, sts, m), SdkSign.sign(KEY, sts, m));
});

for (const [signMethod, reqMethod] of [
  ['HmacSHA256', 'POST'],
  ['HmacSHA1', 'GET'],
] as const) {
  test(`real SDK client, v1 ${signMethod} ${reqMethod} to 127.0.0.1:<port>: verifies; tampering fails`, async () => {
    const req = await captureSdkRequest({ signMethod, reqMethod });
    assert.equal(req.method, reqMethod);
    const form = reqMethod === 'POST' ? req.body.toString('utf8') : req.rawQuery;
    const all = [...new URLSearchParams(form)];
    const signature = all.find(([n]) => n === 'Signature')?.[1] ?? '';
    const params = all.filter(([n]) => n !== 'Signature');
    const get = (name: string) => params.find(([n]) => n === name)?.[1];
    assert.equal(get('SecretId'), SDK_SECRET_ID);
    assert.equal(get('SignatureMethod'), signMethod);
    assert.equal(get('Filters.0.Values.1'), '未命名');
    assert.equal(hmacMethodOf(get('SignatureMethod')), signMethod);

    const hosts = v1HostCandidates(req.headers.host ?? '', 'http', 'api3');
    assert.equal(verifyV1(SDK_SECRET_KEY, signature, signMethod, req.method, hosts, req.path, params, 'api3'), true);
    assert.equal(verifyV1('wrong', signature, signMethod, req.method, hosts, req.path, params, 'api3'), false);
    const tampered = params.map(([n, v]): [string, string] => [n, n === 'Limit' ? '2' : v]);
    assert.equal(verifyV1(SDK_SECRET_KEY, signature, signMethod, req.method, hosts, req.path, tampered, 'api3'), false);
    // The SDK signs its endpoint with the port; the bare host alone does not verify.
    assert.equal(verifyV1(SDK_SECRET_KEY, signature, signMethod, req.method, ['127.0.0.1'], req.path, params, 'api3'), false);
  });
}
