// Contract: authentication (spec §2) and the error envelope (§1.5). Bad keys, stale or future
// timestamps, missing or unparseable Authorization and tampered bodies each get their AuthFailure.*
// code, always as HTTP 200 {"Response":{"Error":{Code,Message},"RequestId"}}; every wire mode of the
// official SDK (TC3 POST/GET, v1 HmacSHA256/HmacSHA1) authenticates; a v1 request cannot be replayed;
// production host names work and finance regions are served only on their own host (§1.1).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { v1Sign, v1StringToSign } from '../../../src/auth/hmacV1.ts';
import { startServer, type RunningServer } from '../../support/server.ts';
import { cvmClient, expectTcError, REGION, session, type Session, TC_MODES, vpcClient } from '../../support/tencent3/client.ts';
import { assertErrorEnvelope, readAnswer, tc3Raw } from '../../support/tencent3/raw.ts';

let server: RunningServer;
let s: Session;
let port: number;
let creds: { secretId: string; secretKey: string };
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  server = await startServer({ latency: '20', rateLimit: 'off' });
  port = server.port;
  s = await session(server);
  creds = { secretId: s.account.secretId, secretKey: s.account.secretKey };
});

after(async () => {
  await server?.stop();
});

describe('TC3 signatures (hand-signed with signTc3, sent with fetch)', () => {
  test('control: a correctly hand-signed request succeeds', async () => {
    const a = await tc3Raw(port, { action: 'DescribeVpcs', body: '{"Limit":"5"}', ...creds });
    assert.equal(a.status, 200);
    assert.equal(a.json.Response?.Error, undefined, JSON.stringify(a.json));
    assert.equal(a.json.Response?.TotalCount, 0);
    assert.match(a.json.Response?.RequestId ?? '', /^[0-9a-f-]{36}$/i);
  });

  test('wrong SecretKey → AuthFailure.SignatureFailure', async () => {
    const a = await tc3Raw(port, { action: 'DescribeVpcs', ...creds, secretKey: `${creds.secretKey}x` });
    assertErrorEnvelope(a, 'AuthFailure.SignatureFailure');
  });

  test('unknown SecretId → AuthFailure.SecretIdNotFound', async () => {
    const a = await tc3Raw(port, { action: 'DescribeVpcs', ...creds, secretId: 'AKIDdoesnotexist0000000000000000' });
    assertErrorEnvelope(a, 'AuthFailure.SecretIdNotFound');
  });

  test('timestamp 10 minutes old, or 10 minutes ahead → AuthFailure.SignatureExpire', async () => {
    assertErrorEnvelope(await tc3Raw(port, { action: 'DescribeVpcs', ...creds, timestamp: now() - 600 }), 'AuthFailure.SignatureExpire');
    assertErrorEnvelope(await tc3Raw(port, { action: 'DescribeVpcs', ...creds, timestamp: now() + 600 }), 'AuthFailure.SignatureExpire');
    // Inside the ±5 minute window the same request is fine.
    const ok = await tc3Raw(port, { action: 'DescribeVpcs', ...creds, timestamp: now() - 240 });
    assert.equal(ok.json.Response?.Error, undefined, JSON.stringify(ok.json));
  });

  test('body changed after signing → AuthFailure.SignatureFailure', async () => {
    const body = '{"VpcName":"signed","CidrBlock":"10.0.0.0/16"}';
    const flipOne = (b: Buffer) => {
      const i = b.indexOf('signed');
      b[i] = 'S'.charCodeAt(0);
      return b;
    };
    assertErrorEnvelope(await tc3Raw(port, { action: 'CreateVpc', body, ...creds, tamper: flipOne }), 'AuthFailure.SignatureFailure');
    // Nothing was created by the tampered request.
    assert.equal((await s.vpc.DescribeVpcs({})).TotalCount, 0);
  });

  test('no authentication at all → AuthFailure.InvalidAuthorization', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-tc-action': 'DescribeVpcs',
        'x-tc-version': '2017-03-12',
        'x-tc-region': REGION,
        'x-tc-timestamp': String(now()),
      },
      body: '{}',
    });
    assertErrorEnvelope(await readAnswer(res), 'AuthFailure.InvalidAuthorization');
  });

  test('Authorization: SKIP (the SDK skipSign option) → AuthFailure.InvalidAuthorization', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: {
        authorization: 'SKIP',
        'content-type': 'application/json',
        'x-tc-action': 'DescribeVpcs',
        'x-tc-version': '2017-03-12',
        'x-tc-region': REGION,
        'x-tc-timestamp': String(now()),
      },
      body: '{}',
    });
    assertErrorEnvelope(await readAnswer(res), 'AuthFailure.InvalidAuthorization');
    // The same through the SDK itself.
    await expectTcError(s.vpc.request('DescribeVpcs', {}, { skipSign: true }), 'AuthFailure.InvalidAuthorization');
  });

  test('a garbled TC3 Authorization header → AuthFailure.InvalidAuthorization', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: {
        authorization: 'TC3-HMAC-SHA256 Credential=nonsense',
        'content-type': 'application/json',
        'x-tc-action': 'DescribeVpcs',
        'x-tc-version': '2017-03-12',
        'x-tc-region': REGION,
        'x-tc-timestamp': String(now()),
      },
      body: '{}',
    });
    assertErrorEnvelope(await readAnswer(res), 'AuthFailure.InvalidAuthorization');
  });
});

describe('every SDK wire mode (spec §2.3, §1.4)', () => {
  for (const mode of TC_MODES) {
    test(`${mode}: a call with nested parameters succeeds; bad keys are refused`, async () => {
      const vpc = vpcClient(port, creds, { mode });
      const name = `mode-${mode}`;
      const { Vpc } = await vpc.CreateVpc({ VpcName: name, CidrBlock: '172.16.0.0/16', Tags: [{ Key: 'mode', Value: mode }] });
      const found = await vpc.DescribeVpcs({ Filters: [{ Name: 'vpc-name', Values: [name] }, { Name: 'tag:mode', Values: [mode] }] });
      assert.deepEqual(found.VpcSet!.map((v) => v.VpcId), [Vpc!.VpcId]);
      await expectTcError(vpcClient(port, { ...creds, secretKey: 'wrong-key' }, { mode }).DescribeVpcs({}), 'AuthFailure.SignatureFailure');
      await expectTcError(
        vpcClient(port, { secretId: 'AKIDnobodyhasthiskey000000000000', secretKey: creds.secretKey }, { mode }).DescribeVpcs({}),
        'AuthFailure.SecretIdNotFound',
      );
    });
  }
});

describe('legacy v1 replay protection (spec §2.3 step 5)', () => {
  const formBody = (params: Record<string, string>, method: 'HmacSHA1' | 'HmacSHA256') => {
    const pairs = Object.entries({ ...params, SecretId: creds.secretId, SignatureMethod: method });
    const signature = v1Sign(creds.secretKey, v1StringToSign('POST', `127.0.0.1:${port}`, '/', pairs, 'api3'), method);
    return new URLSearchParams([...pairs, ['Signature', signature]]).toString();
  };
  const send = async (body: string) =>
    readAnswer(
      await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }),
    );

  test('the exact same signed form body twice: the second is refused', async () => {
    const common = { Action: 'DescribeVpcs', Version: '2017-03-12', Region: REGION, Timestamp: String(now()), Nonce: '31337' };
    const body = formBody(common, 'HmacSHA256');
    const first = await send(body);
    assert.equal(first.json.Response?.Error, undefined, `first use is accepted: ${JSON.stringify(first.json)}`);
    assert.equal(typeof first.json.Response?.TotalCount, 'number');
    const second = await send(body);
    assertErrorEnvelope(second, 'AuthFailure.SignatureExpire');
    // A fresh Nonce is a new request and is accepted.
    const fresh = await send(formBody({ ...common, Nonce: '31338' }, 'HmacSHA1'));
    assert.equal(fresh.json.Response?.Error, undefined, JSON.stringify(fresh.json));
  });

  test('v1 with a stale Timestamp → AuthFailure.SignatureExpire; wrong key → AuthFailure.SignatureFailure', async () => {
    const stale = formBody({ Action: 'DescribeVpcs', Version: '2017-03-12', Region: REGION, Timestamp: String(now() - 600), Nonce: '7' }, 'HmacSHA256');
    assertErrorEnvelope(await send(stale), 'AuthFailure.SignatureExpire');
    const good = formBody({ Action: 'DescribeVpcs', Version: '2017-03-12', Region: REGION, Timestamp: String(now()), Nonce: '8' }, 'HmacSHA256');
    const forged = good.replace(/Signature=[^&]+/, `Signature=${encodeURIComponent(Buffer.alloc(32, 1).toString('base64'))}`);
    assertErrorEnvelope(await send(forged), 'AuthFailure.SignatureFailure');
  });
});

describe('production host names (spec §1.1, §3 option D)', () => {
  test('endpoint vpc.tencentcloudapi.com / cvm.tencentcloudapi.com works', async () => {
    const vpc = vpcClient(port, creds, { endpoint: 'vpc.tencentcloudapi.com' });
    const cvm = cvmClient(port, creds, { endpoint: 'cvm.tencentcloudapi.com' });
    const { Vpc } = await vpc.CreateVpc({ VpcName: 'prod-host', CidrBlock: '192.168.0.0/16' });
    assert.equal((await vpc.DescribeVpcs({ VpcIds: [Vpc!.VpcId!] })).TotalCount, 1);
    assert.ok((await cvm.DescribeZones()).TotalCount! > 0);
    // The region-specific host works too.
    const regional = vpcClient(port, creds, { endpoint: `vpc.${REGION}.tencentcloudapi.com` });
    assert.equal((await regional.DescribeVpcs({ VpcIds: [Vpc!.VpcId!] })).TotalCount, 1);
  });

  test('finance region on the nearby (non-finance) host → UnsupportedRegion; on its own host it works', async () => {
    await expectTcError(
      vpcClient(port, creds, { endpoint: 'vpc.tencentcloudapi.com', region: 'ap-shanghai-fsi' }).DescribeVpcs({}),
      'UnsupportedRegion',
    );
    await expectTcError(
      vpcClient(port, creds, { endpoint: 'vpc.ap-shanghai.tencentcloudapi.com', region: 'ap-shanghai-fsi' }).DescribeVpcs({}),
      'UnsupportedRegion',
    );
    const fsi = vpcClient(port, creds, { endpoint: 'vpc.ap-shanghai-fsi.tencentcloudapi.com', region: 'ap-shanghai-fsi' });
    const { Vpc } = await fsi.CreateVpc({ VpcName: 'fsi', CidrBlock: '10.8.0.0/16' });
    assert.deepEqual((await fsi.DescribeVpcs({})).VpcSet!.map((v) => v.VpcId), [Vpc!.VpcId]);
    // A finance host serves only its own region.
    await expectTcError(
      vpcClient(port, creds, { endpoint: 'vpc.ap-shanghai-fsi.tencentcloudapi.com', region: REGION }).DescribeVpcs({}),
      'UnsupportedRegion',
    );
    await expectTcError(
      vpcClient(port, creds, { endpoint: 'vpc.ap-shanghai-fsi.tencentcloudapi.com', region: 'ap-shenzhen-fsi' }).DescribeVpcs({}),
      'UnsupportedRegion',
    );
  });
});
