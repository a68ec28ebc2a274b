// Contract: request decoding and validation (spec §1.2–1.4, §2.4, §4.2/§4.5/§4.8, §8.5). Unknown,
// mistyped and missing parameters, paging limits, ID/filter conflicts, unknown filters, actions,
// versions and regions, oversized and malformed bodies and unsupported methods each get their
// documented code as HTTP 200 with the error envelope; the lenient typing the official examples rely
// on is accepted; and the per-action rate limit answers RequestLimitExceeded.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pollUntil } from '../../support/poll.ts';
import { startServer, type RunningServer } from '../../support/server.ts';
import { expectTcError, loose, REGION, session, type Session, vpcClient, type VpcModels } from '../../support/tencent3/client.ts';
import { assertErrorEnvelope, readAnswer, tc3Raw } from '../../support/tencent3/raw.ts';
import { refused } from '../../support/tencent3/snapshots.ts';
import { mustGetEni, waitEniReady, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { createEni, createSubnet, createVpc } from '../../support/tencent3/world.ts';

let server: RunningServer;
let s: Session;
let port: number;
let creds: { secretId: string; secretKey: string };
const w = { vpc: '', vpc2: '', subnet: '', eni: '' };

before(async () => {
  server = await startServer({ latency: '20', rateLimit: 'off' });
  port = server.port;
  s = await session(server);
  creds = { secretId: s.account.secretId, secretKey: s.account.secretKey };
  w.vpc = await createVpc(s, '10.0.0.0/16', 'input-a');
  w.vpc2 = await createVpc(s, '10.1.0.0/16', 'input-b');
  w.subnet = await createSubnet(s, w.vpc, '10.0.1.0/24');
  w.eni = await createEni(s, { vpcId: w.vpc, subnetId: w.subnet });
});

after(async () => {
  await server?.stop();
});

describe('parameter validation (spec §1.4, §2.4)', () => {
  test('unknown parameter → UnknownParameter (top level and nested)', async () => {
    await refused(s, () => s.vpc.DescribeVpcs(loose({ Bogus: 1 })), 'UnknownParameter');
    await refused(s, () => s.vpc.DescribeNetworkInterfaces(loose({ NetworkInterfaceId: w.eni })), 'UnknownParameter');
    await refused(
      s,
      () =>
        s.vpc.CreateNetworkInterface(
          loose({ VpcId: w.vpc, SubnetId: w.subnet, NetworkInterfaceName: 'x', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.50', Colour: 'red' }] }),
        ),
      'UnknownParameter',
    );
    await refused(s, () => s.vpc.DescribeVpcs(loose({ Filters: [{ Name: 'vpc-id', Values: [w.vpc], Extra: 'x' }] })), 'UnknownParameter');
  });

  test('wrong type → InvalidParameter', async () => {
    await refused(s, () => s.vpc.DescribeNetworkInterfaces(loose({ Limit: 'abc' })), 'InvalidParameter');
    await refused(s, () => s.vpc.DescribeNetworkInterfaces(loose({ NetworkInterfaceIds: w.eni })), 'InvalidParameter');
    await refused(s, () => s.vpc.CreateVpc(loose({ VpcName: { a: 1 }, CidrBlock: '10.2.0.0/16' })), 'InvalidParameter');
    await refused(
      s,
      () =>
        s.vpc.CreateNetworkInterface(
          loose({ VpcId: w.vpc, SubnetId: w.subnet, NetworkInterfaceName: 'x', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.51', Primary: 'maybe' }] }),
        ),
      'InvalidParameter',
    );
    await refused(
      s,
      () => s.vpc.CreateNetworkInterface(loose({ VpcId: w.vpc, SubnetId: w.subnet, NetworkInterfaceName: 'x', SecondaryPrivateIpAddressCount: 'two' })),
      'InvalidParameter',
    );
  });

  test('missing required parameter → MissingParameter', async () => {
    await refused(s, () => s.vpc.DeleteVpc(loose({})), 'MissingParameter');
    await refused(s, () => s.vpc.CreateVpc(loose({ VpcName: 'no-cidr' })), 'MissingParameter');
    await refused(s, () => s.vpc.AttachNetworkInterface(loose({ NetworkInterfaceId: w.eni })), 'MissingParameter');
    await refused(s, () => s.vpc.CreateNetworkInterface(loose({ VpcId: w.vpc, SubnetId: w.subnet })), 'MissingParameter');
    await refused(s, () => s.vpc.DescribeVpcTaskResult(loose({})), 'MissingParameter');
    await refused(s, () => s.vpc.AssignPrivateIpAddresses(loose({ NetworkInterfaceId: w.eni })), 'MissingParameter');
  });

  test('JSON null means "not given": an optional null is absent, a required null is missing, a null in a list is a wrong type', async () => {
    // An account of its own: the counts the other tests assert stay as they are.
    const t = await session(server);
    const own = { secretId: t.account.secretId, secretKey: t.account.secretKey };
    const vpcId = await createVpc(t, '10.0.0.0/16', 'nulls');
    const subnetId = await createSubnet(t, vpcId, '10.0.1.0/24');
    const call = async (action: string, params: Record<string, unknown>) =>
      (await tc3Raw(port, { action, body: JSON.stringify(params), ...own })).json.Response!;
    const made = await call('CreateNetworkInterface', {
      VpcId: vpcId,
      SubnetId: subnetId,
      NetworkInterfaceName: 'nulls',
      NetworkInterfaceDescription: null,
      SecondaryPrivateIpAddressCount: null,
      SecurityGroupIds: null,
      PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.30', Primary: null }],
      Tags: null,
    });
    assert.equal(made.Error, undefined, JSON.stringify(made));
    const id = (made.NetworkInterface as { NetworkInterfaceId: string }).NetworkInterfaceId;
    await waitTaskSuccess(t.vpc, made.RequestId!);
    const eni = await waitEniReady(t.vpc, id);
    assert.equal(eni.NetworkInterfaceDescription, '');
    assert.deepEqual(eni.PrivateIpAddressSet!.map((p) => p.PrivateIpAddress), ['10.0.1.30']);
    const listed = await call('DescribeNetworkInterfaces', { NetworkInterfaceIds: [id], Filters: null, Offset: null, Limit: null });
    assert.equal(listed.TotalCount, 1, JSON.stringify(listed));

    const required = await call('CreateNetworkInterface', { VpcId: vpcId, SubnetId: null, NetworkInterfaceName: 'x' });
    assert.equal(required.Error?.Code, 'MissingParameter', JSON.stringify(required));
    assert.match(required.Error!.Message!, /SubnetId/);
    const hole = await call('DescribeNetworkInterfaces', { NetworkInterfaceIds: [id, null] });
    assert.equal(hole.Error?.Code, 'InvalidParameter', JSON.stringify(hole));
  });

  test('Tencent text limits: names 60 UTF-8 bytes, ENI descriptions 60 characters, in the API 3.0 names', async () => {
    const t = await session(server);
    const sixty = '中'.repeat(20);
    const v = await t.vpc.CreateVpc({ VpcName: sixty, CidrBlock: '10.7.0.0/16' });
    assert.equal(v.Vpc!.VpcName, sixty);
    const subnetId = await createSubnet(t, v.Vpc!.VpcId!, '10.7.1.0/24');
    const tooLong = await refused(t, () => t.vpc.CreateVpc({ VpcName: `${sixty}a`, CidrBlock: '10.8.0.0/16' }), 'InvalidParameterValue.TooLong');
    assert.match(tooLong.message, /VpcName/);
    const desc = await refused(
      t,
      () => t.vpc.CreateNetworkInterface({ VpcId: v.Vpc!.VpcId!, SubnetId: subnetId, NetworkInterfaceName: 'd', NetworkInterfaceDescription: '描'.repeat(61) }),
      'InvalidParameterValue.TooLong',
    );
    assert.match(desc.message, /NetworkInterfaceDescription/);
    const fits = await t.vpc.CreateNetworkInterface({ VpcId: v.Vpc!.VpcId!, SubnetId: subnetId, NetworkInterfaceName: sixty, NetworkInterfaceDescription: '描'.repeat(60) });
    assert.equal(fits.NetworkInterface!.NetworkInterfaceDescription, '描'.repeat(60));
  });

  test('lenient typing: "Primary": "true", numeric strings, numbers where the schema says String', async () => {
    // The official CreateNetworkInterface example sends Primary as a string.
    const r = await s.vpc.CreateNetworkInterface(
      loose({
        VpcId: w.vpc,
        SubnetId: w.subnet,
        NetworkInterfaceName: 'lenient',
        SecondaryPrivateIpAddressCount: '1',
        PrivateIpAddresses: [
          { PrivateIpAddress: '10.0.1.21', Primary: 'false' },
          { PrivateIpAddress: '10.0.1.20', Primary: 'true' },
        ],
      }),
    );
    const id = r.NetworkInterface!.NetworkInterfaceId!;
    await waitTaskSuccess(s.vpc, r.RequestId!);
    const e = await waitEniReady(s.vpc, id);
    const ips = e.PrivateIpAddressSet!;
    assert.equal(ips.length, 3);
    assert.deepEqual(ips.filter((p) => p.Primary).map((p) => p.PrivateIpAddress), ['10.0.1.20']);
    assert.ok(ips.some((p) => p.PrivateIpAddress === '10.0.1.21' && p.Primary === false));

    // DescribeVpcs declares Offset/Limit as String: numbers are accepted, and so are numeric strings.
    const all = await s.vpc.DescribeVpcs({});
    assert.equal(all.TotalCount, 2);
    const page1 = await s.vpc.DescribeVpcs(loose({ Offset: 0, Limit: 1 }));
    const page2 = await s.vpc.DescribeVpcs(loose({ Offset: 1, Limit: '1' }));
    assert.equal(page1.TotalCount, 2);
    assert.equal(page1.VpcSet!.length, 1);
    assert.equal(page2.VpcSet!.length, 1);
    assert.notEqual(page1.VpcSet![0]!.VpcId, page2.VpcSet![0]!.VpcId);
    const subnets = await s.vpc.DescribeSubnets(loose({ Offset: 0, Limit: 100 }));
    assert.equal(subnets.TotalCount, 1);

    // DescribeNetworkInterfaces declares them Integer: numeric strings are accepted.
    const enis = await s.vpc.DescribeNetworkInterfaces(loose({ Limit: '1', Offset: '0' }));
    assert.equal(enis.NetworkInterfaceSet!.length, 1);
    assert.equal(enis.TotalCount, 2);
    // Boolean filters accept TRUE/FALSE.
    const secondaries = await s.vpc.DescribeNetworkInterfaces({ Filters: [{ Name: 'is-primary', Values: ['FALSE'] }] });
    assert.equal(secondaries.TotalCount, 2);
    assert.ok((await mustGetEni(s.vpc, id)).NetworkInterfaceName === 'lenient');
  });

  test('Limit above 100 or negative Offset → InvalidParameterValue.Range', async () => {
    await refused(s, () => s.vpc.DescribeNetworkInterfaces({ Limit: 101 }), 'InvalidParameterValue.Range');
    await refused(s, () => s.vpc.DescribeVpcs({ Limit: '101' }), 'InvalidParameterValue.Range');
    await refused(s, () => s.vpc.DescribeSubnets({ Limit: '101' }), 'InvalidParameterValue.Range');
    await refused(s, () => s.vpc.DescribeNetworkInterfaces({ Offset: -1 }), 'InvalidParameterValue.Range');
    // 100 itself is fine.
    assert.equal((await s.vpc.DescribeNetworkInterfaces({ Limit: 100 })).TotalCount, 2);
  });

  test('ids together with Filters → InvalidParameter.Coexist', async () => {
    const f = [{ Name: 'vpc-id', Values: [w.vpc] }];
    await refused(s, () => s.vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: [w.eni], Filters: f }), 'InvalidParameter.Coexist');
    await refused(s, () => s.vpc.DescribeVpcs({ VpcIds: [w.vpc], Filters: f }), 'InvalidParameter.Coexist');
    await refused(s, () => s.vpc.DescribeSubnets({ SubnetIds: [w.subnet], Filters: f }), 'InvalidParameter.Coexist');
  });

  test('unknown filter name → InvalidParameter.FilterInvalidKey', async () => {
    const f = [{ Name: 'colour', Values: ['red'] }];
    await refused(s, () => s.vpc.DescribeNetworkInterfaces({ Filters: f }), 'InvalidParameter.FilterInvalidKey');
    await refused(s, () => s.vpc.DescribeVpcs({ Filters: f }), 'InvalidParameter.FilterInvalidKey');
    await refused(s, () => s.vpc.DescribeSubnets({ Filters: f }), 'InvalidParameter.FilterInvalidKey');
  });
});

describe('action, version and region (spec §2.4)', () => {
  test('unknown action → InvalidAction', async () => {
    await refused(s, () => s.vpc.request('DescribeUnicorns', {}), 'InvalidAction');
    assertErrorEnvelope(await tc3Raw(port, { action: 'DeleteEverything', ...creds }), 'InvalidAction');
  });

  test('wrong version → NoSuchVersion', async () => {
    assertErrorEnvelope(await tc3Raw(port, { action: 'DescribeVpcs', version: '2099-01-01', ...creds }), 'NoSuchVersion');
    assertErrorEnvelope(await tc3Raw(port, { action: 'DescribeVpcs', version: '2017-03-13', ...creds }), 'NoSuchVersion');
  });

  test('unknown region → UnsupportedRegion; no region → MissingParameter', async () => {
    await expectTcError(vpcClient(port, creds, { region: 'ap-mars' }).DescribeVpcs({}), 'UnsupportedRegion');
    await expectTcError(vpcClient(port, creds, { region: 'ap-guangzhou-3' }).DescribeVpcs({}), 'UnsupportedRegion');
    assertErrorEnvelope(await tc3Raw(port, { action: 'DescribeVpcs', region: '', ...creds }), 'MissingParameter');
  });
});

describe('transport (spec §1.2)', () => {
  const healthy = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    // ...and the API still answers.
    assert.equal((await s.vpc.DescribeVpcs({})).TotalCount, 2);
  };

  test('JSON body over 10 MB → RequestSizeLimitExceeded (HTTP 200), server stays healthy', async () => {
    const big = `{"VpcName":"${'x'.repeat(10 * 1024 * 1024 + 16)}","CidrBlock":"10.9.0.0/16"}`;
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tc-action': 'CreateVpc', 'x-tc-version': '2017-03-12', 'x-tc-region': REGION },
      body: big,
    });
    assertErrorEnvelope(await readAnswer(res), 'RequestSizeLimitExceeded');
    await healthy();
    // Signed, too (the limit applies before authentication).
    assertErrorEnvelope(await tc3Raw(port, { action: 'CreateVpc', body: big, ...creds }), 'RequestSizeLimitExceeded');
    await healthy();
  });

  test('form body over 1 MB → RequestSizeLimitExceeded', async () => {
    const body = `Action=DescribeVpcs&Version=2017-03-12&Region=${REGION}&Pad=${'y'.repeat(1024 * 1024)}`;
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    assertErrorEnvelope(await readAnswer(res), 'RequestSizeLimitExceeded');
    await healthy();
  });

  test('invalid JSON body (correctly signed) → InvalidParameter', async () => {
    assertErrorEnvelope(await tc3Raw(port, { action: 'DescribeVpcs', body: '{"Limit": ', ...creds }), 'InvalidParameter');
    assertErrorEnvelope(await tc3Raw(port, { action: 'DescribeVpcs', body: '[1,2]', ...creds }), 'InvalidParameter');
    await healthy();
  });

  test('methods other than GET and POST → UnsupportedProtocol', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      assertErrorEnvelope(await tc3Raw(port, { action: 'DescribeVpcs', method, ...creds }), 'UnsupportedProtocol');
    }
    await healthy();
  });
});

describe('rate limit (spec §8.5; server --rate-limit on)', () => {
  let limited: RunningServer;
  before(async () => {
    limited = await startServer({ latency: '20', rateLimit: 'on' });
  });
  after(async () => {
    await limited?.stop();
  });

  test('DescribeVpcTaskResult: 20/s per account, then RequestLimitExceeded; other actions unaffected', async () => {
    const x = await session(limited);
    const vpcId = await createVpc(x, '10.0.0.0/16');
    const subnetId = await createSubnet(x, vpcId, '10.0.1.0/24');
    const created = await x.vpc.CreateNetworkInterface({ VpcId: vpcId, SubnetId: subnetId, NetworkInterfaceName: 'rl' });
    const taskId = created.RequestId!;
    await waitEniReady(x.vpc, created.NetworkInterface!.NetworkInterfaceId!);

    // Start the burst early in a one-second window, so 40 fast calls cannot straddle two windows.
    await pollUntil(async () => Date.now() % 1000 < 100, { intervalMs: 2, timeoutMs: 3000, what: 'the start of a second' });
    const outcomes: string[] = [];
    for (let i = 0; i < 40; i++) {
      try {
        const r: VpcModels.DescribeVpcTaskResultResponse = await x.vpc.DescribeVpcTaskResult({ TaskId: taskId });
        outcomes.push(r.Status!);
      } catch (e) {
        outcomes.push(String((e as { code?: unknown }).code ?? e));
      }
    }
    assert.deepEqual(outcomes.slice(0, 20), Array(20).fill('SUCCESS'), 'the first 20 calls are within the limit');
    assert.ok(outcomes.includes('RequestLimitExceeded'), `some of 40 fast calls are throttled: ${outcomes.join(',')}`);
    for (const o of outcomes) assert.ok(o === 'SUCCESS' || o === 'RequestLimitExceeded', `unexpected outcome ${o}`);
    // The limit is per action: DescribeVpcs is not throttled by the burst.
    assert.equal((await x.vpc.DescribeVpcs({})).TotalCount, 1);
    // ...and per account: another account is not throttled either.
    const y = await session(limited);
    await expectTcError(y.vpc.DescribeVpcTaskResult({ TaskId: taskId }), 'ResourceNotFound');
    // Once the window passes, the action works again.
    await pollUntil(
      async () => {
        try {
          return (await x.vpc.DescribeVpcTaskResult({ TaskId: taskId })).Status === 'SUCCESS';
        } catch {
          return false;
        }
      },
      { what: 'DescribeVpcTaskResult to be allowed again', timeoutMs: 5000, intervalMs: 100 },
    );
  });
});
