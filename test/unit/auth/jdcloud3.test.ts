// JDCLOUD3-HMAC-SHA256 (jdcloud-sdk-python ≥ 1.6.95, so jdc): the verifier against the reference
// vectors of the SDK's own signer tests (jdcloud_sdk/core/signer_test.py, 24 cases; checked to pass
// against that signer), then the Python-only forms a verifier meets on the wire.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJdAuthorization, verifyJd } from '../../../src/auth/jdcloud.ts';
import { jd3CanonicalQuery, jd3CanonicalUri, signJd3, verifyJd3 } from '../../../src/auth/jdcloud3.ts';
import type { Jd2Request } from '../../../src/auth/jdcloud2.ts';

// The fixture of signer_test.py: ak/sk, service apigatewaytestproductline, GET, empty body.
const SK = 'sk';
const DATETIME = '20190917T064708Z';
const HOST = 'apigw-internal-dev.cn-north-1.jcloudcs.com:8000';
const BASE_PATH = '/v1/regions/cn-north-1/instances';
const SCOPE = 'ak/20190917/cn-north-1/apigatewaytestproductline/jdcloud3_request';
const SIGNED = 'content-type;host;x-jdcloud-date;x-jdcloud-nonce';

interface Vector {
  name: string;
  path?: string;
  /** The raw query after "?", as signer_test.py hands it to signV3. */
  query?: string;
  nonce?: string;
  signature: string;
}

const VECTORS: Vector[] = [
  { name: "path_specialCharacters", path: "/v1/regions/cn-north-1/instances/ /`!@#$%^&*()=+/0123456789/[]\\;',<>?:\"{}|/abcdefghijklmnopqrstuvwxyz/ABCDEFGHIJKLMNOPQRSTUVWXYZ/-_.~:GET", signature: "925b9455228ef23ee7ec2dd3e33f7e645bcbcb3f4732894c17e4a0cf1d41d1e6" },
  { name: "path_chineseCharacters", path: "/v1/regions/cn-north-1/instances/中文:GET", signature: "936ed2dcb6fb4271ad640e0f46f1fe61763a0bad8bb4f4eb1224261f969612fa" },
  { name: "path_null", path: "", signature: "44c5ec30b6185516986ae171d8276552bc0f37f6a536a44e4f578958fc1c12be" },
  { name: "path_nullSlashes", path: "v1", signature: "92cd3ed582c13af58b4c81ddad150c350e656c6cc9e78ec154d7385e499b91b6" },
  { name: "path_endSlashes", path: "v1/", signature: "035689ae2ce6a3603928ac3d60a6d2fbfb550d33c5da983342a6356419ccd914" },
  { name: "path_doubleSlashes", path: "///v1/regions/cn-north-1/instances//// //`!@#$%^&*()=+/0123456789/[]\\;',<>?:\"{}|/////abcdefghijklmnopqrstuvwxyz//ABCDEFGHIJKLMNOPQRSTUVWXYZ/-_.~:GET/", signature: "92e4897d2a74a899399f5443615ddf110978363b9097932e522e079e6eb5f65b" },
  { name: "path_encode", path: "/v1/regions/cn-north-1/instances/%20/%60%21%40%23%24%25%5E%26%2A%28%29%3D%2B/0123456789/%5B%5D%5C%5C%3B%27%2C%3C%3E%3F%3A%5C%22%7B%7D%7C/abcdefghijklmnopqrstuvwxyz/ABCDEFGHIJKLMNOPQRSTUVWXYZ/-_.~%3AGET", signature: "027b5bbd35956b84b8773eb450c0405cb4e424eab13f64828926ee41838c48d0" },
  { name: "path_encodeIncludeEncodedSlashes", path: "%2Fv1%2Fregions%2F%2F%2Fcn-north-1%2Finstances", signature: "33df199719f9edc6de860e6b53c61d4824e1f389e6030fd37ddc977fda29e467" },
  { name: "path_partEncode", path: "/v1%2Fregions/cn-north-1%2F%2F%2Finstances", signature: "33df199719f9edc6de860e6b53c61d4824e1f389e6030fd37ddc977fda29e467" },
  { name: "path_wrongPercentEncode", path: "/v1/%2/%2f/%2b%f", signature: "6610271450ea321baab326f8debc51a2e4dd7e73b04200275a1d9b3897045caf" },
  { name: "path_partEncode_includeSpecialChar", path: "/v1%2Fregions/cn-north-1%2F%2F%2Finstances/ + /+/ +/+ /%2B%20%2B%2F%2F", signature: "7286237483a7fcc51ff7621c9a5c586a0ec85fd06cbf91c20adde2ec3b5e4d97" },
  { name: "query_nullKey", query: "=a&a=a", signature: "43efb5fb00e86faf35d8bf0bed3b72e84cfc98ee4754065e29c3caa7bcaa12cb" },
  { name: "query_nullKeyAndValue", query: "=&a=a", signature: "43efb5fb00e86faf35d8bf0bed3b72e84cfc98ee4754065e29c3caa7bcaa12cb" },
  { name: "query_repeatQueryquery", query: "aa=aa&aa%3Daa=&aa=aa%3D&aa=&aa=aaa&aaa=aaa&aaa=aa&aaa=a&ab=aa&ab=aa&cc=&cc=&bb=aa&bb=", signature: "8ccc3c9af11e964b3c5d6020d2af49e97e27fbb23e2b8f57bdc84815e471d54b" },
  { name: "query_specialCharacters0", query: "special key=/ /`!@#$%^*()+/0123456789/[]\\;',<>?:\"{}|/abcdefghijklmnopqrstuvwxyz/ABCDEFGHIJKLMNOPQRSTUVWXYZ/-_.~&/ /`!@#$%^*()+/0123456789/[]\\;',<>?:\"{}|/abcdefghijklmnopqrstuvwxyz/ABCDEFGHIJKLMNOPQRSTUVWXYZ/-_.~=special value", signature: "684a4397896f81eaefbba29c42be66080b32993dce700e1647608a64595fd655" },
  { name: "query_specialCharacters2", query: "nullValue=&=nullKey&specialValue=%26%26%3D%3D%26%3D%3D%26%26%3D%26%3D&%26%26%3D%3D%26%3D%3D%26%26%3D%26%3D=specialKey", signature: "cc1b199ef770ffc179b3915b9cefa83024bda9d88638c19fe079292de5b91546" },
  { name: "query_partEncode", query: " =blank&%20=blank&+= 2&%2b= 1&blank= &blank=+&blank=%20", signature: "78c0a4db84050d773533c78c1a0f73bf974faf5df881e39b18c3e0de8110324e" },
  { name: "query_wrongPercentEncode", query: " =blank&%2=blank&+=jia0&%2b=jia1&%2B=jia2&blank= %2b%2f%2/&blank=+&%2/blank=%0%f", signature: "972987a6f95be456935cde8be8f106114e2ad27465a507644e61f021a98a7218" },
  { name: "query_chinese", query: "中文参数=中文参数值", signature: "7e3094d23adde49fcc99b7d0de911d7ecaa7767590edd57769d7bdbaca919276" },
  { name: "head_one_blank", nonce: " X-Jdcloud- -Nonce ", signature: "5d955d1de475eac2b4378473ca0adce8fddd13f45d2be53bc2ffb6eee6450ba4" },
  { name: "head_more_blank", nonce: "  X-Jdcloud-  -Nonce  ", signature: "a03bb8d755cb93e4d8846fe5fcad180f319fa50356f63e8afdc749bd1a95695f" },
  { name: "head_multiValues", nonce: "aaa", signature: "12ed9fbf2f8ebe6afcdd23853c9e58f37642f8a0361765557d2e4915f1e995e4" },
  { name: "head_special_characters0", nonce: "/`!@#$%^&*()=+/0123456789/[]\\;',<>?:\"{}|/abcdefghijklmnopqrstuvwxyz/ABCDEFGHIJKLMNOPQRSTUVWXYZ/-_.~", signature: "9046b11889b993a808fccf1322f7f04e7e5a7e0cc22d8b65e9986a8aab986ad7" },
  { name: "head_special_characters1", nonce: " \\n  as\\r\\n \\r df\\r\\n   ", signature: "b30037126cdc4385e957e24e6d73ea28a8fb66f71ee68b8f60de12d3292d19c6" }
];

function vectorRequest(v: Vector): Jd2Request {
  return {
    method: 'GET',
    rawPath: v.path ?? BASE_PATH,
    rawQuery: v.query ?? '',
    headers: { 'x-jdcloud-date': DATETIME, 'x-jdcloud-nonce': v.nonce ?? 'X-Jdcloud-Nonce', 'content-type': 'application/json', host: HOST },
    body: Buffer.alloc(0),
  };
}

const header = (signature: string) => `JDCLOUD3-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=${SIGNED}, Signature=${signature}`;

for (const v of VECTORS) {
  test(`signer_test.py ${v.name}: verifies, and not with one bit changed`, () => {
    const auth = parseJdAuthorization(header(v.signature));
    assert.ok(auth, 'the header parses');
    assert.equal(auth.algorithm, 'JDCLOUD3-HMAC-SHA256');
    assert.equal(verifyJd(SK, vectorRequest(v), auth), true);
    const flipped = v.signature.slice(0, -1) + (v.signature.endsWith('0') ? '1' : '0');
    assert.equal(verifyJd3(SK, vectorRequest(v), { ...auth, signature: flipped }), false);
    assert.equal(verifyJd3('other', vectorRequest(v), auth), false);
  });
}

test('the vectors are distinct where the canonical forms are: a changed nonce or path breaks the signature', () => {
  const auth = parseJdAuthorization(header(VECTORS[0]!.signature))!;
  assert.equal(verifyJd3(SK, { ...vectorRequest(VECTORS[0]!), headers: { ...vectorRequest(VECTORS[0]!).headers, 'x-jdcloud-nonce': 'other' } }, auth), false);
  assert.equal(verifyJd3(SK, { ...vectorRequest(VECTORS[0]!), rawPath: BASE_PATH }, auth), false);
});

test('canonical URI: decoded, slashes folded, re-quoted with "/~" safe; ":" always %3A, "+" a space', () => {
  assert.equal(jd3CanonicalUri('/v1/regions/cn-north-1/instances/i-1:stopInstance'), '/v1/regions/cn-north-1/instances/i-1%3AstopInstance');
  assert.equal(jd3CanonicalUri('/v1/regions/cn-north-1/instances/i-1%3AstopInstance'), '/v1/regions/cn-north-1/instances/i-1%3AstopInstance');
  assert.equal(jd3CanonicalUri('//a///b/'), '/a/b/');
  assert.equal(jd3CanonicalUri('/a+b%2Bc'), '/a%20b%2Bc');
  assert.equal(jd3CanonicalUri(''), '/');
  assert.equal(jd3CanonicalUri('v1'), '/v1');
});

test('canonical query: each side decoded and re-quoted, sorted as Python lists, empty keys and bare words dropped', () => {
  assert.equal(jd3CanonicalQuery('b=2&a=1&a=0'), 'a=0&a=1&b=2');
  assert.equal(jd3CanonicalQuery('filters.1.name=vpcId&filters.1.values.1=vpc-1'), 'filters.1.name=vpcId&filters.1.values.1=vpc-1');
  assert.equal(jd3CanonicalQuery('x=a%20b+c&=v&bare'), 'x=a%20b%20c');
  assert.equal(jd3CanonicalQuery('k=a/b:c'), 'k=a%2Fb%3Ac');
  // Split at the first '=' only (latest) or at every '=' (1.6.95–1.6.18x: 'k=a=b' signs 'a%3Db').
  assert.equal(jd3CanonicalQuery('k=a=b'), 'k=a%3Db');
  assert.equal(jd3CanonicalQuery('k=a=b', true), 'a%3Db');
});

test('a request as jdcloud-sdk-python sends it: host and content-type signed, date and nonce added after, both query splits accepted', () => {
  for (const rawQuery of ['', 'pageNumber=1&filters.1.name=vpcId&filters.1.values.1=vpc-abc', 'k=a=b']) {
    const req: Jd2Request = { method: 'GET', rawPath: '/v1/regions/cn-north-1/vpcs', rawQuery, headers: { 'content-type': 'application/json', host: '127.0.0.1:9280' }, body: Buffer.alloc(0) };
    const added = signJd3('ak', SK, req, 'cn-north-1', 'vpc', DATETIME, 'n-1');
    const auth = parseJdAuthorization(added.authorization!)!;
    assert.deepEqual(auth.signedHeaders, ['content-type', 'host']);
    const sent = { ...req, headers: { ...req.headers, ...added, 'user-agent': 'JdcloudSdkPython/1.6.338 vpc/v1' } };
    assert.equal(verifyJd(SK, sent, auth), true, rawQuery);
    // The date is not a signed header but is in the string to sign.
    assert.equal(verifyJd(SK, { ...sent, headers: { ...sent.headers, 'x-jdcloud-date': '20190917T064709Z' } }, auth), false);
  }
  const old = signJd3('ak', SK, { method: 'GET', rawPath: '/v1/x', rawQuery: '', headers: { host: 'h' }, body: Buffer.alloc(0) }, 'cn-north-1', 'vpc', DATETIME, 'n');
  assert.match(old.authorization!, /SignedHeaders=host,/);
});

test('a JDCLOUD3 signature that leaves host unsigned, or a header it signed that did not arrive, is refused', () => {
  const req: Jd2Request = { method: 'POST', rawPath: '/v1/regions/cn-north-1/vpcs', rawQuery: '', headers: { 'content-type': 'application/json', host: '127.0.0.1:9280' }, body: Buffer.from('{}') };
  const added = signJd3('ak', SK, req, 'cn-north-1', 'vpc', DATETIME, 'n-1');
  const auth = parseJdAuthorization(added.authorization!)!;
  const sent = { ...req, headers: { ...req.headers, ...added } };
  assert.equal(verifyJd3(SK, sent, { ...auth, signedHeaders: ['content-type'] }), false);
  assert.equal(verifyJd3(SK, { ...sent, headers: { ...sent.headers, 'content-type': undefined } }, auth), false);
  assert.equal(verifyJd3(SK, { ...sent, body: Buffer.from('{ }') }, auth), false);
});
