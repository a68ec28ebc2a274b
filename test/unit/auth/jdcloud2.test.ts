import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  escapeJdPath,
  jd2CanonicalQuery,
  jd2CanonicalRequest,
  jd2Scope,
  jd2Signature,
  jd2StringToSign,
  parseJd2Authorization,
  parseJdDatetime,
  signJd2,
  verifyJd2,
  type Jd2Authorization,
  type Jd2Request,
} from '../../../src/auth/jdcloud2.ts';
import {
  JDCloud,
  SignerV2,
  jd2RequestFromSdk,
  sdkClient,
  sdkUuid,
  startJdCaptureServer,
  type CapturedJdRequest,
  type JdReply,
  type SdkJcRequest,
} from './jdcloudCapture.ts';

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// ---- §2.5 common inputs ----
const AK = 'TESTAK0001';
const SK = 'TESTSECRET0001';
const DATETIME = '20240102T030405Z';
const NONCE = '0f8e3c1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b';
const HOST = '127.0.0.1:8080';
const NODE_SIGNED = ['accept', 'content-type', 'host', 'x-jdcloud-date', 'x-jdcloud-nonce'];

function sdkHeaders(ua: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    accept: 'application/json',
    'content-type': 'application/json',
    host: HOST,
    'x-jdcloud-date': DATETIME,
    'x-jdcloud-nonce': NONCE,
    'user-agent': ua,
    ...extra,
  };
}

const VECTOR_A_BODY = '{"networkInterfaceId":"port-xyz1234567","autoDelete":true}';
const vectorA: Jd2Request = {
  method: 'POST',
  rawPath: '/v1/regions/cn-north-1/instances/i-abc1234567%3AattachNetworkInterface',
  rawQuery: '',
  headers: sdkHeaders('JdcloudSdkNode/1.0.0  vm/1.5.2'),
  body: Buffer.from(VECTOR_A_BODY),
};
const VECTOR_A_AUTH =
  'JDCLOUD2-HMAC-SHA256 Credential=TESTAK0001/20240102/cn-north-1/vm/jdcloud2_request, ' +
  'SignedHeaders=accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce, ' +
  'Signature=7db416dceb444f7842937265c8babbe6ff7aeeda0eec41cb699a2418a7b6c2ef';
const VECTOR_A_CANONICAL = [
  'POST',
  '/v1/regions/cn-north-1/instances/i-abc1234567%3AattachNetworkInterface',
  '',
  'accept:application/json',
  'content-type:application/json',
  'host:127.0.0.1:8080',
  'x-jdcloud-date:20240102T030405Z',
  'x-jdcloud-nonce:0f8e3c1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b',
  '',
  'accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce',
  '620e28197617c57bb946a7beed6cb57aa2e7d8070a4d269e8719ffd769b0de31',
].join('\n');

const VECTOR_B_QUERY =
  'pageNumber=1&pageSize=10&filters.1.name=vpcId&filters.1.values.1=vpc-aaaa111111' +
  '&filters.2.name=networkInterfaceIds&filters.2.values.1=port-b&filters.2.values.2=port-a';
const VECTOR_B_CANONICAL_QUERY =
  'filters.1.name=vpcId&filters.1.values.1=vpc-aaaa111111&filters.2.name=networkInterfaceIds' +
  '&filters.2.values.1=port-b&filters.2.values.2=port-a&pageNumber=1&pageSize=10';
const vectorB: Jd2Request = {
  method: 'GET',
  rawPath: '/v1/regions/cn-north-1/networkInterfaces/',
  rawQuery: VECTOR_B_QUERY,
  headers: sdkHeaders('JdcloudSdkNode/1.0.0  vpc/1.0.1'),
  body: Buffer.alloc(0),
};
const VECTOR_B_SIGNATURE = '94b2d19f661a8ac086571556349414bc403acf1aa106e88ff89056f4ba807240';

function authFor(service: string, signature: string, signedHeaders = NODE_SIGNED, ak = AK): Jd2Authorization {
  return { accessKey: ak, date: DATETIME.slice(0, 8), region: 'cn-north-1', service, signedHeaders: [...signedHeaders], signature };
}

function withHeaders(req: Jd2Request, headers: Record<string, string | undefined>): Jd2Request {
  return { ...req, headers: { ...req.headers, ...headers } };
}

// ---------------------------------------------------------------------------------------------
// Small functions
// ---------------------------------------------------------------------------------------------

test('escapeJdPath: per-segment RFC 3986, ":" → %3A, "/" kept, upper-case hex; same as the SDK', () => {
  assert.equal(
    escapeJdPath('/v1/regions/cn-north-1/instances/i-abc:attachNetworkInterface'),
    '/v1/regions/cn-north-1/instances/i-abc%3AattachNetworkInterface',
  );
  assert.equal(escapeJdPath("/a b/!'()*/~-_./é/"), "/a%20b/%21%27%28%29%2A/~-_./%C3%A9/");
  assert.equal(escapeJdPath('/v1/regions/r/vpcs/'), '/v1/regions/r/vpcs/');
  for (const p of ['/v1/x:y/z', "/ü/ä ö/+&=?#%/@$,;[]", '/中文/路径:verb', '', '/', '//a//']) {
    assert.equal(escapeJdPath(p), JDCloud.util.uriEscapePath(p), p);
  }
  assert.throws(() => escapeJdPath('/\ud800'), URIError);
});

test('parseJdDatetime: valid → epoch ms, malformed or impossible → undefined', () => {
  assert.equal(parseJdDatetime('20240102T030405Z'), Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(parseJdDatetime('20240229T235959Z'), Date.UTC(2024, 1, 29, 23, 59, 59));
  assert.equal(parseJdDatetime('19700101T000000Z'), 0);
  for (const bad of [
    '',
    '20240102T030405',
    '20240102T030405z',
    '2024-01-02T03:04:05Z',
    '20240102T030405.678Z',
    '20240102 030405Z',
    ' 20240102T030405Z',
    '20241302T030405Z',
    '20240230T030405Z',
    '20230229T000000Z',
    '20240100T000000Z',
    '20240102T240000Z',
    '20240102T036000Z',
    '20240102T030460Z',
    '2024010T2030405Z',
    '２0240102T030405Z',
  ]) {
    assert.equal(parseJdDatetime(bad), undefined, bad);
  }
});

test('parseJd2Authorization: the SDK form, tolerant separators, lower-cased names and signature', () => {
  assert.deepEqual(parseJd2Authorization(VECTOR_A_AUTH), {
    accessKey: AK,
    date: '20240102',
    region: 'cn-north-1',
    service: 'vm',
    signedHeaders: NODE_SIGNED,
    signature: '7db416dceb444f7842937265c8babbe6ff7aeeda0eec41cb699a2418a7b6c2ef',
  });
  const compact = parseJd2Authorization(
    'JDCLOUD2-HMAC-SHA256 Credential=AK/20240102/jdcloud-api/vpc/jdcloud2_request,SignedHeaders=Host;X-Jdcloud-Date;X-Jdcloud-Nonce,Signature=' +
      'AB'.repeat(32),
  );
  assert.deepEqual(compact, {
    accessKey: 'AK',
    date: '20240102',
    region: 'jdcloud-api',
    service: 'vpc',
    signedHeaders: ['host', 'x-jdcloud-date', 'x-jdcloud-nonce'],
    signature: 'ab'.repeat(32),
  });
  // Field order does not matter.
  assert.ok(parseJd2Authorization(`JDCLOUD2-HMAC-SHA256 Signature=${'a'.repeat(64)}, SignedHeaders=host, Credential=A/20240102/r/s/jdcloud2_request`));
});

test('parseJd2Authorization: malformed headers give undefined', () => {
  const sig = 'a'.repeat(64);
  const ok = `JDCLOUD2-HMAC-SHA256 Credential=AK/20240102/cn-north-1/vm/jdcloud2_request, SignedHeaders=host;x-jdcloud-date, Signature=${sig}`;
  assert.ok(parseJd2Authorization(ok));
  for (const bad of [
    '',
    'JDCLOUD2-HMAC-SHA256',
    ok.replace('JDCLOUD2-HMAC-SHA256', 'JDCLOUD-HMAC-SHA256'),
    ok.replace('JDCLOUD2-HMAC-SHA256', 'jdcloud2-hmac-sha256'),
    ok.replace('JDCLOUD2-HMAC-SHA256 ', 'JDCLOUD2-HMAC-SHA256,'),
    ok.replace('TC3', ''),
    ok.replace('jdcloud2_request', 'tc3_request'),
    ok.replace('AK/', '/'),
    ok.replace('/20240102/', '/2024010/'),
    ok.replace('/20240102/', '/2024-01-02/'),
    ok.replace('/cn-north-1/', '//'),
    ok.replace('/vm/', '//'),
    ok.replace('/vm/', '/vm/extra/'),
    ok.replace('AK/', 'AK/x/'),
    ok.replace(', Signature=' + sig, ''),
    ok.replace('SignedHeaders=host;x-jdcloud-date, ', ''),
    ok.replace('Credential=AK/20240102/cn-north-1/vm/jdcloud2_request, ', ''),
    ok + ', Signature=' + sig,
    ok + ', Extra=1',
    ok + ', junk',
    ok.replace('SignedHeaders=host;x-jdcloud-date', 'SignedHeaders='),
    ok.replace('SignedHeaders=host;x-jdcloud-date', 'SignedHeaders=host;;x-jdcloud-date'),
    ok.replace('SignedHeaders=host;x-jdcloud-date', 'SignedHeaders=host;Host'),
    ok.replace(sig, sig.slice(1)),
    ok.replace(sig, sig + 'a'),
    ok.replace(sig, 'g' + sig.slice(1)),
    ok.replace('Signature=', 'Signature'),
  ]) {
    if (bad === ok) continue;
    assert.equal(parseJd2Authorization(bad), undefined, bad);
  }
});

test('jd2CanonicalQuery: §2.5 vector B, sorting, escaping, repeated keys, + and %20', () => {
  assert.equal(jd2CanonicalQuery(VECTOR_B_QUERY), VECTOR_B_CANONICAL_QUERY);
  assert.equal(jd2CanonicalQuery(''), '');
  assert.equal(jd2CanonicalQuery('b=2&a=1'), 'a=1&b=2');
  assert.equal(jd2CanonicalQuery('a=x+y&c=x%20y'), 'a=x%20y&c=x%20y');
  assert.equal(jd2CanonicalQuery("q=!'()*~"), 'q=%21%27%28%29%2A~');
  assert.equal(jd2CanonicalQuery('a=1&a=2&a=10'), 'a=1&a=10&a=2');
  assert.equal(jd2CanonicalQuery('k&&=v&'), '=v&k=');
  assert.equal(jd2CanonicalQuery('a=b=c'), 'a=b%3Dc');
  assert.equal(jd2CanonicalQuery('n=%E4%B8%AD'), 'n=%E4%B8%AD');
  assert.equal(jd2CanonicalQuery('n=%e4%b8%ad'), 'n=%E4%B8%AD');
  // Node's querystring quirks: a broken escape decodes byte-wise, so "é" next to it becomes U+FFFD.
  assert.equal(jd2CanonicalQuery('a=%zz%41%C3%A9'), 'a=%25zzA%C3%A9');
  assert.equal(jd2CanonicalQuery('a=%41é%zz'), 'a=A%EF%BF%BD%25zz');
  assert.equal(jd2CanonicalQuery('a=%E4%B8'), 'a=%EF%BF%BD');
  // Node decides per component whether to decode at all, with a scan that ignores '+' inside a
  // %X_X run and leaks from the key into the value; only a decoded component gets mangled.
  assert.equal(jd2CanonicalQuery('a=%4+1é'), 'a=%254%201%EF%BF%BD');
  assert.equal(jd2CanonicalQuery('k=%/é'), 'k=%25%2F%C3%A9');
  assert.equal(jd2CanonicalQuery('%41=%/é'), 'A=%25%2F%C3%A9');
  assert.equal(jd2CanonicalQuery('$%E4%B8![=%/)(_01é'), '%24%EF%BF%BD%21%5B=%25%2F%29%28_01%EF%BF%BD');
  // Keys sort by their decoded form ("B" < "a"), not by their escaped form.
  assert.equal(jd2CanonicalQuery('a=1&%42=2'), 'B=2&a=1');
  assert.throws(() => jd2CanonicalQuery('a=\ud800'), URIError);
});

/** The SDK's own code for the canonical query: JCRequest.search() over the URL it sends. */
function sdkCanonicalQuery(rawQuery: string): string {
  const search = (JDCloud.JCRequest.prototype as unknown as SdkJcRequest).search;
  return search.call({ request: { url: `http://h/p?${rawQuery}` } } as unknown as SdkJcRequest);
}

test('jd2CanonicalQuery equals the SDK signer on 20000 random raw queries (differential)', () => {
  // xorshift32, fixed seed: reproducible.
  let s = 0x9e3779b9;
  const rnd = (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
  // No '?' or '#': the SDK cuts the URL at its second '?', and '#' starts a fragment.
  const atoms = [
    'a', 'b', 'B', 'z', '0', '1', '9', 'f', '.', '-', '_', '~', '=', '=', '&', '&', '+', '+', '%', '%', '%2', '%4', '%41', '%2B', '%26',
    '%3D', '%25', '%20', '%E4%B8%AD', '%C3%A9', '%C3', '%E4%B8', '%zz', '%e4%b8%ad', 'é', '中', '😀', ' ', '*', '!',
    "'", '(', ')', '/', ':', '@', ',', ';', '$', '[', ']', 'filters.1.name', 'values.', 'pageSize',
  ];
  let nonTrivial = 0;
  for (let i = 0; i < 20000; i++) {
    let q = '';
    const len = rnd(14);
    for (let j = 0; j < len; j++) q += atoms[rnd(atoms.length)];
    const expected = sdkCanonicalQuery(q);
    assert.equal(jd2CanonicalQuery(q), expected, JSON.stringify(q));
    if (expected !== q) nonTrivial++;
  }
  assert.ok(nonTrivial > 10000, `only ${nonTrivial} cases differed from the raw query`);
});

// ---------------------------------------------------------------------------------------------
// §2.5 test vectors
// ---------------------------------------------------------------------------------------------

test('vector A (vm attachNetworkInterface): canonical request, string to sign, signature', () => {
  assert.equal(sha256(VECTOR_A_BODY), '620e28197617c57bb946a7beed6cb57aa2e7d8070a4d269e8719ffd769b0de31');
  const canonical = jd2CanonicalRequest(vectorA, NODE_SIGNED, '');
  assert.equal(canonical, VECTOR_A_CANONICAL);
  const sts = jd2StringToSign(DATETIME, jd2Scope('20240102', 'cn-north-1', 'vm'), canonical!);
  assert.equal(
    sts,
    'JDCLOUD2-HMAC-SHA256\n20240102T030405Z\n20240102/cn-north-1/vm/jdcloud2_request\n' +
      '4b58637e0dea1c9d0b5f222f25ccae6a35ae63840a61299267560e5b33adcfe4',
  );
  const auth = parseJd2Authorization(VECTOR_A_AUTH)!;
  assert.equal(jd2Signature(SK, vectorA, auth, DATETIME), auth.signature);
  assert.equal(verifyJd2(SK, vectorA, auth), true);

  const signed = signJd2(AK, SK, { ...vectorA, headers: { ...vectorA.headers, 'x-jdcloud-date': undefined, 'x-jdcloud-nonce': undefined } }, 'cn-north-1', 'vm', DATETIME, NONCE);
  assert.deepEqual(signed, { 'x-jdcloud-date': DATETIME, 'x-jdcloud-nonce': NONCE, authorization: VECTOR_A_AUTH });
});

test('vector B (vpc describeNetworkInterfaces, filters): canonical query, string to sign, signature', () => {
  const canonical = jd2CanonicalRequest(vectorB, NODE_SIGNED, jd2CanonicalQuery(vectorB.rawQuery));
  assert.equal(
    canonical,
    [
      'GET',
      '/v1/regions/cn-north-1/networkInterfaces/',
      VECTOR_B_CANONICAL_QUERY,
      'accept:application/json',
      'content-type:application/json',
      'host:127.0.0.1:8080',
      'x-jdcloud-date:20240102T030405Z',
      'x-jdcloud-nonce:0f8e3c1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b',
      '',
      'accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce',
      EMPTY_SHA256,
    ].join('\n'),
  );
  const sts = jd2StringToSign(DATETIME, jd2Scope('20240102', 'cn-north-1', 'vpc'), canonical!);
  assert.equal(sts.split('\n')[2], '20240102/cn-north-1/vpc/jdcloud2_request');
  assert.equal(sts.split('\n')[3], '631910b32c9b6ed36001aaf6a74da8ffa042b5d66a403ac605ce3762c9fee046');
  const auth = authFor('vpc', VECTOR_B_SIGNATURE);
  assert.equal(jd2Signature(SK, vectorB, auth, DATETIME), VECTOR_B_SIGNATURE);
  assert.equal(verifyJd2(SK, vectorB, auth), true);
  assert.deepEqual(signJd2(AK, SK, vectorB, 'cn-north-1', 'vpc', DATETIME, NONCE), {
    'x-jdcloud-date': DATETIME,
    'x-jdcloud-nonce': NONCE,
    authorization:
      'JDCLOUD2-HMAC-SHA256 Credential=TESTAK0001/20240102/cn-north-1/vpc/jdcloud2_request, ' +
      `SignedHeaders=accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature=${VECTOR_B_SIGNATURE}`,
  });
  // The raw (unsorted) query alone would not match: verification went through the Node canonical form.
  assert.notEqual(jd2Signature(SK, vectorB, auth, DATETIME, vectorB.rawQuery), VECTOR_B_SIGNATURE);
});

/** Runs the SDK's own JCRequest + SignerV2 at the §2.5 instant with the §2.5 nonce. */
function sdkSign(
  service: 'vm' | 'vpc',
  path: string,
  method: string,
  pathParams: Record<string, string>,
  query: Record<string, unknown>,
  body: unknown,
): { jc: SdkJcRequest; signer: InstanceType<typeof SignerV2> } {
  const realV4 = sdkUuid.v4;
  sdkUuid.v4 = () => NONCE;
  try {
    const jc = new JDCloud.JCRequest(
      { config: { endpoint: { host: HOST, protocol: 'http' }, basePath: '/v1' } },
      path,
      method,
      pathParams,
      query,
      { 'User-Agent': `JdcloudSdkNode/1.0.0  ${service}/x` },
      {},
      body,
      ['application/json'],
      ['application/json'],
      null,
    );
    const signer = new SignerV2(jc, service);
    signer.addAuthorization({ accessKeyId: AK, secretAccessKey: SK }, new Date('2024-01-02T03:04:05.678Z'));
    return { jc, signer };
  } finally {
    sdkUuid.v4 = realV4;
  }
}

test('the SDK signer itself, pinned to the §2.5 instant and nonce, produces vectors A and B; verifyJd2 accepts them', () => {
  const a = sdkSign('vm', '/regions/{regionId}/instances/{instanceId}:attachNetworkInterface', 'POST', { regionId: 'cn-north-1', instanceId: 'i-abc1234567' }, {}, {
    networkInterfaceId: 'port-xyz1234567',
    autoDelete: true,
  });
  assert.equal(a.jc.request.headers.get('authorization'), VECTOR_A_AUTH);
  assert.equal(a.signer.canonicalString(), VECTOR_A_CANONICAL);
  const reqA = jd2RequestFromSdk(a.jc);
  assert.equal(reqA.rawPath, vectorA.rawPath);
  assert.equal(reqA.body.toString(), VECTOR_A_BODY);
  assert.equal(verifyJd2(SK, reqA, parseJd2Authorization(VECTOR_A_AUTH)!), true);

  const b = sdkSign('vpc', '/regions/{regionId}/networkInterfaces/', 'GET', { regionId: 'cn-north-1' }, {
    pageNumber: 1,
    pageSize: 10,
    'filters.1.name': 'vpcId',
    'filters.1.values.1': 'vpc-aaaa111111',
    'filters.2.name': 'networkInterfaceIds',
    'filters.2.values.1': 'port-b',
    'filters.2.values.2': 'port-a',
  }, null);
  const authB = parseJd2Authorization(b.jc.request.headers.get('authorization') ?? '')!;
  assert.equal(authB.signature, VECTOR_B_SIGNATURE);
  const reqB = jd2RequestFromSdk(b.jc);
  assert.equal(reqB.rawQuery, VECTOR_B_QUERY);
  assert.equal(b.jc.search(), VECTOR_B_CANONICAL_QUERY);
  assert.equal(b.signer.canonicalString(), jd2CanonicalRequest(reqB, authB.signedHeaders, jd2CanonicalQuery(reqB.rawQuery)));
  assert.equal(verifyJd2(SK, reqB, authB), true);
});

// ---------------------------------------------------------------------------------------------
// Tampering and policy
// ---------------------------------------------------------------------------------------------

test('tampering with any signed part fails: body, path, query, method, signed headers, key, signature', () => {
  const authA = parseJd2Authorization(VECTOR_A_AUTH)!;
  const authB = authFor('vpc', VECTOR_B_SIGNATURE);
  assert.equal(verifyJd2(SK, vectorA, authA), true);
  assert.equal(verifyJd2(SK, vectorB, authB), true);

  assert.equal(verifyJd2(SK, { ...vectorA, body: Buffer.from(VECTOR_A_BODY.replace('true', 'false')) }, authA), false);
  assert.equal(verifyJd2(SK, { ...vectorA, body: Buffer.from(VECTOR_A_BODY + ' ') }, authA), false);
  assert.equal(verifyJd2(SK, { ...vectorA, body: Buffer.alloc(0) }, authA), false);
  assert.equal(verifyJd2(SK, { ...vectorA, rawPath: vectorA.rawPath.replace('i-abc1234567', 'i-abc1234568') }, authA), false);
  assert.equal(verifyJd2(SK, { ...vectorA, rawPath: vectorA.rawPath + '/' }, authA), false);
  assert.equal(verifyJd2(SK, { ...vectorA, rawQuery: 'x=1' }, authA), false);
  assert.equal(verifyJd2(SK, { ...vectorA, method: 'PUT' }, authA), false);
  assert.equal(verifyJd2(SK, { ...vectorB, rawQuery: VECTOR_B_QUERY.replace('port-a', 'port-c') }, authB), false);
  assert.equal(verifyJd2(SK, { ...vectorB, rawQuery: VECTOR_B_QUERY.replace('pageSize=10', 'pageSize=100') }, authB), false);
  assert.equal(verifyJd2(SK, { ...vectorB, rawQuery: VECTOR_B_QUERY + '&extra=1' }, authB), false);
  assert.equal(verifyJd2(SK, { ...vectorB, rawQuery: '' }, authB), false);
  assert.equal(verifyJd2(SK, { ...vectorB, rawPath: '/v1/regions/cn-north-1/networkInterfaces' }, authB), false);
  for (const [name, value] of [
    ['accept', 'text/html'],
    ['content-type', 'application/json; charset=utf-8'],
    ['host', '127.0.0.1:8081'],
    ['host', '127.0.0.1'],
    ['x-jdcloud-nonce', NONCE.replace('0f8e', '0f8f')],
  ] as const) {
    assert.equal(verifyJd2(SK, withHeaders(vectorA, { [name]: value }), authA), false, `${name}: ${value}`);
    assert.equal(verifyJd2(SK, withHeaders(vectorA, { [name]: undefined }), authA), false, `missing ${name}`);
  }
  assert.equal(verifyJd2('TESTSECRET0002', vectorA, authA), false);
  assert.equal(verifyJd2('', vectorA, authA), false);
  assert.equal(verifyJd2(SK, vectorA, { ...authA, signature: authA.signature.replace(/^./, (c) => (c === '0' ? '1' : '0')) }), false);
  assert.equal(verifyJd2(SK, vectorA, { ...authA, service: 'vpc' }), false);
  assert.equal(verifyJd2(SK, vectorA, { ...authA, region: 'cn-east-2' }), false);
  // The list order is part of what was signed.
  assert.equal(verifyJd2(SK, vectorA, { ...authA, signedHeaders: [...NODE_SIGNED].reverse() }), false);
  // Unsigned headers may change freely.
  assert.equal(verifyJd2(SK, withHeaders(vectorA, { 'user-agent': 'curl/8', 'content-length': '57', connection: 'close' }), authA), true);
  // Upper-case hex in the header is the same signature.
  assert.equal(verifyJd2(SK, vectorA, { ...authA, signature: authA.signature.toUpperCase() }), true);
});

test('date and scope: the scope date must be the first 8 characters of a well-formed x-jdcloud-date', () => {
  const authA = parseJd2Authorization(VECTOR_A_AUTH)!;
  // Another time the same day: the scope still matches, the string to sign does not.
  assert.equal(verifyJd2(SK, withHeaders(vectorA, { 'x-jdcloud-date': '20240102T030406Z' }), authA), false);
  // Another day: rejected by the scope check.
  assert.equal(verifyJd2(SK, withHeaders(vectorA, { 'x-jdcloud-date': '20240103T030405Z' }), authA), false);
  assert.equal(verifyJd2(SK, vectorA, { ...authA, date: '20240103' }), false);
  for (const bad of [undefined, '', '2024-01-02T03:04:05Z', '20240102T030405', '20240132T030405Z']) {
    assert.equal(verifyJd2(SK, withHeaders(vectorA, { 'x-jdcloud-date': bad }), authA), false, String(bad));
  }
  // A correctly signed request whose scope date is a different day from its x-jdcloud-date.
  const req = withHeaders(vectorA, { 'x-jdcloud-date': '20240102T235959Z' });
  const skewed = { ...authA, date: '20240103' };
  skewed.signature = jd2Signature(SK, req, skewed, '20240102T235959Z');
  assert.equal(verifyJd2(SK, req, skewed), false);
  assert.equal(verifyJd2(SK, req, { ...skewed, date: '20240102', signature: jd2Signature(SK, req, { ...skewed, date: '20240102' }, '20240102T235959Z') }), true);
  // Surrounding whitespace in the header is not part of the date.
  assert.equal(verifyJd2(SK, withHeaders(vectorA, { 'x-jdcloud-date': ` ${DATETIME} ` }), authA), true);
});

test('host, x-jdcloud-date and x-jdcloud-nonce must be signed; a received security token too', () => {
  for (const drop of ['host', 'x-jdcloud-date', 'x-jdcloud-nonce']) {
    const signedHeaders = NODE_SIGNED.filter((h) => h !== drop);
    const auth = authFor('vm', '');
    auth.signedHeaders = signedHeaders;
    auth.signature = jd2Signature(SK, vectorA, auth, DATETIME);
    assert.match(auth.signature, /^[0-9a-f]{64}$/);
    assert.equal(verifyJd2(SK, vectorA, auth), false, `${drop} unsigned`);
  }
  const withToken = withHeaders(vectorA, { 'x-jdcloud-security-token': 'tok' });
  const unsignedToken = authFor('vm', jd2Signature(SK, withToken, authFor('vm', ''), DATETIME));
  assert.equal(verifyJd2(SK, withToken, unsignedToken), false);
  const tokenSigned = [...NODE_SIGNED, 'x-jdcloud-security-token'].sort();
  const signedToken = authFor('vm', jd2Signature(SK, withToken, authFor('vm', '', tokenSigned), DATETIME), tokenSigned);
  assert.equal(verifyJd2(SK, withToken, signedToken), true);
  // A signed header that was not received makes the signature unreproducible.
  assert.equal(jd2Signature(SK, vectorA, authFor('vm', '', [...NODE_SIGNED, 'x-missing']), DATETIME), '');
});

test('an extra signed header (x-extra-header) is honoured, with SDK whitespace folding', () => {
  const signedHeaders = [...NODE_SIGNED, 'x-extra-header'].sort();
  const req = withHeaders(vectorA, { 'x-extra-header': 'a   b\t c' });
  const auth = authFor('vm', jd2Signature(SK, req, authFor('vm', '', signedHeaders), DATETIME), signedHeaders);
  assert.ok(jd2CanonicalRequest(req, signedHeaders, '')!.includes('\nx-extra-header:a b c\n'));
  assert.equal(verifyJd2(SK, req, auth), true);
  // The same value with different whitespace runs canonicalises the same way.
  assert.equal(verifyJd2(SK, withHeaders(req, { 'x-extra-header': 'a b c' }), auth), true);
  assert.equal(verifyJd2(SK, withHeaders(req, { 'x-extra-header': 'a b d' }), auth), false);
  assert.equal(verifyJd2(SK, withHeaders(req, { 'x-extra-header': undefined }), auth), false);
  // Dropping it from the list does not verify either.
  assert.equal(verifyJd2(SK, req, { ...auth, signedHeaders: NODE_SIGNED }), false);
});

test('raw-query fallback: a Go-style query (sorted, space as +) verifies as received', () => {
  const rawQuery = 'filters.1.name=networkInterfaceName&filters.1.values.1=my+eni&pageNumber=1&pageSize=10';
  const req: Jd2Request = { ...vectorB, rawQuery, headers: { ...vectorB.headers, 'user-agent': 'JdcloudSdkGo/1.0' } };
  // What the Go SDK signs: URL.RawQuery verbatim.
  const auth = authFor('vpc', jd2Signature(SK, req, authFor('vpc', ''), DATETIME, rawQuery));
  assert.notEqual(jd2CanonicalQuery(rawQuery), rawQuery);
  assert.notEqual(jd2Signature(SK, req, auth, DATETIME), auth.signature);
  assert.equal(verifyJd2(SK, req, auth), true);
  assert.equal(verifyJd2(SK, { ...req, rawQuery: rawQuery.replace('my+eni', 'my%20eni') }, auth), false);
  assert.equal(verifyJd2(SK, { ...req, rawQuery: rawQuery.replace('pageSize=10', 'pageSize=20') }, auth), false);
  assert.equal(verifyJd2('wrong', req, auth), false);
});

test("path ':' vs '%3A': what was sent verifies; a literal ':' also verifies as signed over '%3A' (Python SDK 1.6.94), not the reverse", () => {
  const literal = '/v1/regions/cn-north-1/instances/i-abc1234567:attachNetworkInterface';
  const escaped = '/v1/regions/cn-north-1/instances/i-abc1234567%3AattachNetworkInterface';
  assert.equal(escapeJdPath(literal), escaped);
  const goReq: Jd2Request = { ...vectorA, rawPath: literal };
  const goAuth = authFor('vm', jd2Signature(SK, goReq, authFor('vm', ''), DATETIME));
  assert.equal(verifyJd2(SK, goReq, goAuth), true);
  assert.equal(verifyJd2(SK, { ...goReq, rawPath: escaped }, goAuth), false);
  const nodeAuth = parseJd2Authorization(VECTOR_A_AUTH)!;
  assert.equal(verifyJd2(SK, { ...vectorA, rawPath: escaped }, nodeAuth), true);
  assert.equal(verifyJd2(SK, { ...vectorA, rawPath: literal }, nodeAuth), true);
  assert.equal(verifyJd2(SK, { ...vectorA, rawPath: escaped.replace('%3A', '%3a') }, nodeAuth), false);
});

test('signJd2 refuses what it cannot sign', () => {
  assert.throws(() => signJd2(AK, SK, withHeaders(vectorA, { accept: undefined }), 'cn-north-1', 'vm', DATETIME, NONCE));
  assert.throws(() => signJd2(AK, SK, vectorA, 'cn-north-1', 'vm', '2024-01-02T03:04:05Z', NONCE));
});

// ---------------------------------------------------------------------------------------------
// The real SDK over loopback HTTP
// ---------------------------------------------------------------------------------------------

const GOOD = { accessKeyId: 'JDC_TESTAK', secretAccessKey: 'jdc-secret-key-0123456789' };
const SECRETS = new Map([[GOOD.accessKeyId, GOOD.secretAccessKey]]);

/** A minimal gateway: 401 ACCESS_ERROR unless the signature verifies (§2.6), else a success envelope. */
function gateway(verdicts: boolean[]): (req: CapturedJdRequest) => JdReply {
  return (req) => {
    const auth = parseJd2Authorization(req.headers['authorization'] ?? '');
    const secret = auth && SECRETS.get(auth.accessKey);
    const ok = auth !== undefined && secret !== undefined && verifyJd2(secret, req, auth);
    verdicts.push(ok);
    return ok
      ? { status: 200, body: { requestId: 'req-ok', result: { echoPath: req.rawPath } } }
      : { status: 401, body: { error: { message: 'sign result is not same [gw]', status: 'ACCESS_ERROR', code: 401 }, requestId: 'req-401' } };
  };
}

test('real SDK (VM + VPC clients) over HTTP: GET with filters, POST with a body, POST with {}, extra header', async () => {
  const verdicts: boolean[] = [];
  const srv = await startJdCaptureServer(gateway(verdicts));
  try {
    const vpc = sdkClient('VPC', srv.host, GOOD);
    const vm = sdkClient('VM', srv.host, GOOD);

    const list = await vpc['describeNetworkInterfaces']!({
      pageNumber: 2,
      pageSize: 10,
      filters: [
        { name: 'networkInterfaceIds', values: ['port-b', 'port-a'] },
        { name: 'vpcId', values: [] },
        { name: 'networkInterfaceName', values: ["my eni (1)*!'~", '中文', 'a+b&c=d'], operator: 'eq' },
      ],
    });
    assert.equal((list['result'] as { echoPath: string }).echoPath, '/v1/regions/cn-north-1/networkInterfaces/');
    const get = srv.requests[0]!;
    assert.equal(get.method, 'GET');
    assert.equal(get.body.length, 0);
    assert.equal(get.headers['host'], srv.host);
    assert.match(get.rawQuery, /^pageNumber=2&pageSize=10&filters\.1\.name=networkInterfaceIds&filters\.1\.values\.1=port-b&/);
    // The empty filter was dropped and the rest renumbered.
    assert.match(get.rawQuery, /filters\.2\.name=networkInterfaceName&/);
    assert.notEqual(jd2CanonicalQuery(get.rawQuery), get.rawQuery);

    const attach = await vm['attachNetworkInterface']!({ instanceId: 'i-abc1234567', networkInterfaceId: 'port-xyz', autoDelete: true });
    assert.equal(attach['requestId'], 'req-ok');
    const post = srv.requests[1]!;
    assert.equal(post.rawPath, '/v1/regions/cn-north-1/instances/i-abc1234567%3AattachNetworkInterface');
    assert.equal(post.body.toString(), '{"networkInterfaceId":"port-xyz","autoDelete":true}');

    await vm['startInstance']!({ instanceId: 'i-abc1234567' });
    const empty = srv.requests[2]!;
    assert.equal(empty.rawPath, '/v1/regions/cn-north-1/instances/i-abc1234567%3AstartInstance');
    assert.equal(empty.body.toString(), '{}');

    await vpc['describeNetworkInterface']!({ networkInterfaceId: 'port-1', 'x-extra-header': { 'x-extra-header': 'v  1', 'x-jdcloud-trace': 't' } });
    const extra = srv.requests[3]!;
    const extraAuth = parseJd2Authorization(extra.headers['authorization']!)!;
    assert.deepEqual(extraAuth.signedHeaders, [...NODE_SIGNED, 'x-extra-header', 'x-jdcloud-trace'].sort());

    assert.deepEqual(verdicts, [true, true, true, true]);
    for (const r of srv.requests) {
      const auth = parseJd2Authorization(r.headers['authorization']!)!;
      assert.deepEqual(auth.signedHeaders, r === extra ? extraAuth.signedHeaders : NODE_SIGNED);
      assert.equal(auth.accessKey, GOOD.accessKeyId);
      assert.equal(auth.region, 'cn-north-1');
      assert.equal(auth.service, r === srv.requests[0] || r === extra ? 'vpc' : 'vm');
      assert.equal(auth.date, r.headers['x-jdcloud-date']!.slice(0, 8));
      assert.ok(parseJdDatetime(r.headers['x-jdcloud-date']!));
      // The server's verdict flips with the key or any byte of the request.
      assert.equal(verifyJd2(GOOD.secretAccessKey + 'x', r, auth), false);
      assert.equal(verifyJd2(GOOD.secretAccessKey, { ...r, body: Buffer.concat([r.body, Buffer.from(' ')]) }, auth), false);
      assert.equal(verifyJd2(GOOD.secretAccessKey, withHeaders(r, { 'x-jdcloud-nonce': 'replayed' }), auth), false);
    }
    assert.equal(verifyJd2(GOOD.secretAccessKey, withHeaders(extra, { 'x-extra-header': 'v 2' }), extraAuth), false);
  } finally {
    await srv.close();
  }
});

test('real SDK with a wrong secret: the gateway says 401 and the promise rejects with the parsed body', async () => {
  const verdicts: boolean[] = [];
  const srv = await startJdCaptureServer(gateway(verdicts));
  try {
    const vm = sdkClient('VM', srv.host, { accessKeyId: GOOD.accessKeyId, secretAccessKey: 'not-the-secret' });
    const err = await vm['startInstance']!({ instanceId: 'i-1' }).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e as Record<string, unknown>,
    );
    assert.deepEqual(verdicts, [false]);
    // A plain object (not an Error): the JSON body, plus the node-fetch Response as responseObj.
    assert.equal(err instanceof Error, false);
    assert.equal(err['requestId'], 'req-401');
    assert.deepEqual(err['error'], { message: 'sign result is not same [gw]', status: 'ACCESS_ERROR', code: 401 });
    assert.equal((err['responseObj'] as { status: number }).status, 401);
    assert.equal('message' in err, false);
    // The request itself was well-formed; only the key differed.
    const r = srv.requests[0]!;
    const auth = parseJd2Authorization(r.headers['authorization']!)!;
    assert.equal(verifyJd2('not-the-secret', r, auth), true);
  } finally {
    await srv.close();
  }
});
