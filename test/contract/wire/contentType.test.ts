// Contract: every answer, on every path of every dialect, is `Content-Type: application/json` exactly
// with a Content-Length. tencentcloud-sdk-python (so tccli) recognises an error only under exactly
// `application/json` (or `text/plain`): with `; charset=utf-8` it took every refusal for a success
// and tccli exited 0. The real clouds send the bare type.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REGION } from '../../support/tencent3/client.ts';
import { tc3Raw } from '../../support/tencent3/raw.ts';
import { createJdAccount, type JdAccount } from '../../support/jdcloud/client.ts';
import { rawJd } from '../../support/jdcloud/raw.ts';
import { API2_PATH } from '../../support/tencent2/client.ts';
import { rawRequest2, sign2 } from '../../support/tencent2/raw.ts';
import { startServer, type AccountInfo, type RunningServer } from '../../support/server.ts';

let server: RunningServer;
let tc: AccountInfo;
let jd: JdAccount;

before(async () => {
  server = await startServer();
  tc = await server.createAccount();
  jd = await createJdAccount(server);
});
after(async () => server?.stop());

/** An answer as any HTTP client sees it: exact type, a length and no chunking, a JSON body. */
async function plain(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, init);
  const text = await res.text();
  assert.equal(res.headers.get('content-type'), 'application/json', `${init.method ?? 'GET'} ${url}`);
  assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(text)), `${url}: Content-Length`);
  assert.equal(res.headers.get('transfer-encoding'), null, `${url}: not chunked`);
  return { status: res.status, body: JSON.parse(text) as unknown };
}

describe('Content-Type is application/json exactly', () => {
  test('health, unknown routes and transport failures', async () => {
    assert.equal((await plain(`${server.url}/healthz`)).status, 200);
    // Each dialect's own not-found envelope, not Fastify's.
    assert.equal((await plain(`${server.url}/no/such/path`)).status, 200);
    assert.equal((await plain(`${server.url}/v1/regions/cn-north-1/nothing`)).status, 404);
    // A body over the limit is answered in the envelope, with the type, after the body is drained.
    const big = await plain(`${server.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tc-action': 'DescribeVpcs', 'x-tc-version': '2017-03-12' },
      body: `{"Pad":"${'x'.repeat(10 * 1024 * 1024 + 16)}"}`,
    });
    assert.ok((big.body as { Response?: { Error?: unknown } }).Response?.Error, JSON.stringify(big.body).slice(0, 300));
  });

  test('API 3.0: success and refusal', async () => {
    const ok = await tc3Raw(server.port, { action: 'DescribeVpcs', secretId: tc.secretId, secretKey: tc.secretKey });
    assert.equal(ok.contentType, 'application/json');
    assert.equal(ok.json.Response?.Error, undefined, JSON.stringify(ok.json));
    const no = await tc3Raw(server.port, { action: 'DescribeVpcs', secretId: tc.secretId, secretKey: 'wrong' });
    assert.equal(no.contentType, 'application/json');
    assert.equal(no.json.Response?.Error?.Code, 'AuthFailure.SignatureFailure');
    const unsigned = await plain(`${server.url}/`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tc-action': 'DescribeVpcs', 'x-tc-version': '2017-03-12', 'x-tc-region': REGION }, body: '{}' });
    assert.ok((unsigned.body as { Response?: { Error?: unknown } }).Response?.Error);
  });

  test('API 2.0: success and refusal', async () => {
    const host = `127.0.0.1:${server.port}`;
    const ok = await rawRequest2(server.port, sign2(tc, { Action: 'DescribeVpcEx' }, { host }));
    assert.equal(ok.contentType, 'application/json');
    assert.equal(ok.body.code, 0, ok.text);
    const no = await rawRequest2(server.port, sign2({ ...tc, secretKey: 'wrong' }, { Action: 'DescribeVpcEx' }, { host }));
    assert.equal(no.contentType, 'application/json');
    assert.equal(no.body.code, 4100, no.text);
    assert.equal((await plain(`${server.url}${API2_PATH}?Action=DescribeVpcEx`)).status, 200);
  });

  test('JD Cloud: success, refusal and not found', async () => {
    const ok = await rawJd(server.port, jd, { method: 'GET', path: '/v1/regions/cn-north-1/vpcs', service: 'vpc' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.get('content-type'), 'application/json');
    const no = await rawJd(server.port, { ...jd, secretKey: 'wrong' }, { method: 'GET', path: '/v1/regions/cn-north-1/vpcs', service: 'vpc' });
    assert.equal(no.status, 401, no.text);
    assert.equal(no.headers.get('content-type'), 'application/json');
    const missing = await rawJd(server.port, jd, { method: 'GET', path: '/v1/regions/cn-north-1/networkInterfaces/port-0000000000', service: 'vpc' });
    assert.equal(missing.status, 404, missing.text);
    assert.equal(missing.headers.get('content-type'), 'application/json');
  });
});
