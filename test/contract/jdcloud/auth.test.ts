// Contract: JDCLOUD2-HMAC-SHA256 authentication and tenancy on the JD Cloud OpenAPI. Wrong secret,
// unknown key, another provider's key (both ways), a tampered body, an expired x-jdcloud-date and a
// replayed nonce are all 401 ACCESS_ERROR; the signature covers the request-line path exactly as
// sent (literal ':' and '%3A', trailing slashes); unknown routes are 404; another JD account sees
// and changes none of the first account's resources. Every error carries requestId, the
// x-jdcloud-request-id header and error.code equal to the HTTP status.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type AccountInfo, type RunningServer } from '../../support/server.ts';
import { expectTcError, vpcClient } from '../../support/tencent3/client.ts';
import { pollUntil } from '../../support/poll.ts';
import { expectJdError, JD_REGION, jdClients, jdSession, type JdSession } from '../../support/jdcloud/client.ts';
import { expectRawJdError, jdDatetime, prepareJd, rawJd, sendJd } from '../../support/jdcloud/raw.ts';
import { refusedJd } from '../../support/jdcloud/snapshots.ts';
import { getEni, waitStatus } from '../../support/jdcloud/waits.ts';
import { attach, createEni, createInstances, createSubnet, createVpc } from '../../support/jdcloud/world.ts';

const SIGN = 'sign result is not same [gw]';
const ACCESS = 'ACCESS_ERROR';
const R = `/v1/regions/${JD_REGION}`;

let server: RunningServer;
let a: JdSession;
let b: JdSession;
let tencent: AccountInfo;
const w = { vpc: '', sub: '', ins: '', primary: '', eni: '', eip: '' };

before(async () => {
  server = await startServer({ latency: '30', rateLimit: 'off' });
  [a, b, tencent] = await Promise.all([jdSession(server), jdSession(server), server.createAccount()]);
  w.vpc = await createVpc(a, '10.40.0.0/16', 'auth-vpc');
  w.sub = await createSubnet(a, w.vpc, '10.40.1.0/24');
  const [ins] = await createInstances(a, w.sub);
  w.ins = ins!;
  w.eni = await createEni(a, w.sub, { networkInterfaceName: 'auth-eni' });
  await attach(a, w.ins, w.eni);
  w.primary = (await a.vm.describeInstance({ instanceId: w.ins })).result.instance.primaryNetworkInterface!.networkInterface.networkInterfaceId;
  w.eip = (await a.vpc.createElasticIps({ maxCount: 1, elasticIpSpec: { bandwidthMbps: 1, provider: 'bgp' } })).result.elasticIpIds[0]!;
});

after(async () => {
  await server?.stop();
});

describe('credentials', () => {
  test('the SDK with the right key works; success carries a 32-character requestId and the header', async () => {
    const res = await a.vpc.describeVpcs({});
    assert.equal(res.result.totalCount, 1);
    assert.match(res.requestId, /^[0-9a-z]{32}$/);
    assert.equal(res.responseObj!.headers.get('x-jdcloud-request-id'), res.requestId);
  });

  test('wrong secret → 401 ACCESS_ERROR sign result is not same [gw]', async () => {
    const sk = a.account.secretKey;
    const bad = jdClients(server.port, { accessKey: a.account.accessKey, secretKey: `${sk.slice(0, -1)}${sk.endsWith('0') ? '1' : '0'}` });
    const e = await expectJdError(bad.vpc.describeVpcs({}), 401, ACCESS, SIGN);
    assert.match(e.requestId, /^[0-9a-z]{32}$/);
    await expectJdError(bad.vm.describeInstance({ instanceId: w.ins }), 401, ACCESS, SIGN);
    await expectJdError(bad.vm.attachNetworkInterface({ instanceId: w.ins, networkInterfaceId: w.eni }), 401, ACCESS, SIGN);
  });

  test('unknown access key → 401 ACCESS_ERROR', async () => {
    const ghost = jdClients(server.port, { accessKey: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', secretKey: a.account.secretKey });
    await expectJdError(ghost.vpc.describeVpcs({}), 401, ACCESS, 'Invalid access key');
    await expectJdError(ghost.vm.describeInstances({}), 401, ACCESS, 'Invalid access key');
  });

  test('a Tencent key against JD → 401; a JD key against Tencent API 3.0 → AuthFailure.SecretIdNotFound', async () => {
    const tk = jdClients(server.port, { accessKey: tencent.secretId, secretKey: tencent.secretKey });
    await expectJdError(tk.vpc.describeVpcs({}), 401, ACCESS, 'Invalid access key');
    await expectJdError(tk.vm.describeInstances({}), 401, ACCESS, 'Invalid access key');
    const tc = vpcClient(server.port, { secretId: a.account.accessKey, secretKey: a.account.secretKey });
    await expectTcError(tc.DescribeVpcs({}), 'AuthFailure.SecretIdNotFound');
  });

  test('a hand-signed request (signJd2) works; the same with one body byte changed → 401, nothing created', async () => {
    const ok = await rawJd(server.port, a.account, { method: 'POST', path: `${R}/vpcs/`, body: '{"vpcName":"signed-ok","addressPrefix":"10.50.0.0/16"}', service: 'vpc' });
    assert.equal(ok.status, 200, ok.text);
    assert.match((ok.json as { result: { vpcId: string } }).result.vpcId, /^vpc-[a-z0-9]{10}$/);

    const body = '{"vpcName":"tampered1","addressPrefix":"10.51.0.0/16"}';
    const res = await rawJd(server.port, a.account, { method: 'POST', path: `${R}/vpcs/`, body, sendBody: body.replace('tampered1', 'tampered2'), service: 'vpc' });
    await expectRawJdError(res, 401, ACCESS, SIGN);
    assert.equal('result' in (res.json as object), false, 'an error body has no result');
    const names = (await a.vpc.describeVpcs({ pageSize: 100 })).result.vpcs.map((v) => v.vpcName).sort();
    assert.deepEqual(names, ['auth-vpc', 'signed-ok']);
  });

  test('an x-jdcloud-date 20 minutes old → 401; the same request signed now works', async () => {
    const old = jdDatetime(new Date(Date.now() - 20 * 60_000));
    await expectRawJdError(await rawJd(server.port, a.account, { method: 'GET', path: `${R}/vpcs/`, service: 'vpc', datetime: old }), 401, ACCESS, 'Request date out of range');
    const future = jdDatetime(new Date(Date.now() + 20 * 60_000));
    await expectRawJdError(await rawJd(server.port, a.account, { method: 'GET', path: `${R}/vpcs/`, service: 'vpc', datetime: future }), 401, ACCESS, 'Request date out of range');
    const now = await rawJd(server.port, a.account, { method: 'GET', path: `${R}/vpcs/`, service: 'vpc' });
    assert.equal(now.status, 200, now.text);
  });

  test('a replayed request (same nonce) → the second is 401 and changes nothing', async () => {
    const prepared = prepareJd(server.port, a.account, { method: 'POST', path: `${R}/vpcs/`, body: '{"vpcName":"replayed","addressPrefix":"10.52.0.0/16"}', service: 'vpc' });
    const first = await sendJd(prepared);
    assert.equal(first.status, 200, first.text);
    const second = await sendJd(prepared);
    await expectRawJdError(second, 401, ACCESS, 'Nonce already used: the request is a replay');
    const replayed = (await a.vpc.describeVpcs({ filters: [{ name: 'vpcNames', values: ['replayed'] }] })).result;
    assert.equal(replayed.totalCount, 1, 'the VPC was created once');
  });

  test('service or region in the credential scope that does not match the route → 401', async () => {
    // vpc route signed as vm.
    await expectRawJdError(await rawJd(server.port, a.account, { method: 'GET', path: `${R}/vpcs/`, service: 'vm' }), 401, ACCESS, 'Credential scope service vm does not match vpc');
    await expectRawJdError(
      await rawJd(server.port, a.account, { method: 'GET', path: `${R}/vpcs/`, service: 'vpc', region: 'cn-east-2' }),
      401,
      ACCESS,
      `Credential scope region cn-east-2 does not match ${JD_REGION}`,
    );
    // No Authorization at all.
    const res = await fetch(`${server.url}${R}/vpcs/`, { headers: { accept: 'application/json' } });
    const text = await res.text();
    await expectRawJdError({ status: res.status, headers: res.headers, text, json: JSON.parse(text) }, 401, ACCESS, 'Missing Authorization header');
  });
});

describe('paths', () => {
  test("a literal ':' (hand-signed over the literal path) works, as does '%3A', and ':' signed as '%3A' (Python SDK 1.6.94)", async () => {
    const lit = await rawJd(server.port, a.account, { method: 'POST', path: `${R}/networkInterfaces/${w.eni}:assignSecondaryIps`, body: '{"secondaryIps":["10.40.1.200"]}', service: 'vpc' });
    assert.equal(lit.status, 200, lit.text);
    assert.deepEqual(Object.keys(lit.json as object).sort(), ['requestId']);
    await pollUntil(async () => (await getEni(a, w.eni)).secondaryIps.some((i) => i.privateIpAddress === '10.40.1.200'), { timeoutMs: 20_000, what: '10.40.1.200 on the ENI' });

    const enc = await pollUntil(
      async () => {
        const r = await rawJd(server.port, a.account, { method: 'POST', path: `${R}/networkInterfaces/${w.eni}%3AunassignSecondaryIps`, body: '{"secondaryIps":["10.40.1.200"]}', service: 'vpc' });
        // The assign task may still hold the ENI for a moment.
        return r.status === 400 && String((r.json as { error?: { message?: string } }).error?.message).startsWith('Conflict with underlay task') ? false : r;
      },
      { timeoutMs: 20_000, what: 'unassign over %3A to be accepted' },
    );
    assert.equal(enc.status, 200, enc.text);
    await pollUntil(async () => (await getEni(a, w.eni)).secondaryIps.length === 0, { timeoutMs: 20_000, what: 'the secondary IP to be gone' });

    // Signed over ':' but sent as '%3A': no client does this and the hashed path differs → 401.
    const q = prepareJd(server.port, a.account, { method: 'POST', path: `${R}/instances/${w.ins}:stopInstance`, service: 'vm' });
    await expectRawJdError(await sendJd({ ...q, url: q.url.replace(`${w.ins}:`, `${w.ins}%3A`) }), 401, ACCESS, SIGN);
    assert.equal((await a.vm.describeInstance({ instanceId: w.ins })).result.instance.status, 'running');
    // Signed over '%3A' but sent with a literal ':' is what jdcloud-sdk-python ≤ 1.6.94 does
    // (it signs quote(path) and sends the path as is): accepted.
    const p = prepareJd(server.port, a.account, { method: 'POST', path: `${R}/instances/${w.ins}%3AstopInstance`, service: 'vm' });
    const py = await sendJd({ ...p, url: p.url.replace('%3A', ':') });
    assert.equal(py.status, 200, py.text);
    // The stop it began ends before the next test compares answers that show the instance.
    await waitStatus(a, w.ins, 'stopped');
  });

  test('trailing slash variants: with and without, collection and item', async () => {
    const get = async (path: string, service: 'vm' | 'vpc', query?: string) => {
      const r = await rawJd(server.port, a.account, { method: 'GET', path, service, ...(query ? { query } : {}) });
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      return (r.json as { result: Record<string, unknown> }).result;
    };
    const q = `filters.1.name=vpcId&filters.1.values.1=${w.vpc}`;
    const withSlash = await get(`${R}/networkInterfaces/`, 'vpc', q);
    const without = await get(`${R}/networkInterfaces`, 'vpc', q);
    assert.equal(withSlash.totalCount, 2);
    assert.deepEqual(without, withSlash);
    assert.deepEqual(await get(`${R}/vpcs`, 'vpc'), await get(`${R}/vpcs/`, 'vpc'));
    const item = await get(`${R}/networkInterfaces/${w.eni}/`, 'vpc');
    assert.deepEqual(item, await get(`${R}/networkInterfaces/${w.eni}`, 'vpc'));
    assert.equal((item.networkInterface as { networkInterfaceId: string }).networkInterfaceId, w.eni);
    assert.deepEqual(await get(`${R}/instances/`, 'vm'), await get(`${R}/instances`, 'vm'));
  });

  test('unknown route → 404 NOT_FOUND (signed or not)', async () => {
    await expectRawJdError(await rawJd(server.port, a.account, { method: 'GET', path: `${R}/bogus`, service: 'vpc' }), 404, 'NOT_FOUND', `No route for GET ${R}/bogus`);
    await expectRawJdError(
      await rawJd(server.port, a.account, { method: 'POST', path: `${R}/instances/${w.ins}:flyAway`, service: 'vm' }),
      404,
      'NOT_FOUND',
      `No route for POST ${R}/instances/${w.ins}:flyAway`,
    );
    // A known path under an unserved method.
    await expectRawJdError(await rawJd(server.port, a.account, { method: 'PATCH', path: `${R}/vpcs/`, body: '{}', service: 'vpc' }), 404, 'NOT_FOUND', `No route for PATCH ${R}/vpcs/`);
    const res = await fetch(`${server.url}${R}/nothing/here`);
    const text = await res.text();
    await expectRawJdError({ status: res.status, headers: res.headers, text, json: JSON.parse(text) }, 404, 'NOT_FOUND', `No route for GET ${R}/nothing/here`);
  });
});

describe('tenancy', () => {
  test('another JD account sees none of the first account’s resources', async () => {
    assert.equal((await b.vpc.describeVpcs({})).result.totalCount, 0);
    assert.deepEqual((await b.vpc.describeVpcs({})).result.vpcs, []);
    assert.equal((await b.vpc.describeSubnets({})).result.totalCount, 0);
    assert.equal((await b.vpc.describeNetworkInterfaces({})).result.totalCount, 0);
    assert.deepEqual((await b.vpc.describeNetworkInterfaces({ filters: [{ name: 'networkInterfaceIds', values: [w.eni, w.primary] }] })).result.networkInterfaces, []);
    assert.equal((await b.vm.describeInstances({})).result.totalCount, 0);
    assert.equal((await b.vm.describeInstanceStatus({})).result.totalCount, 0);
    assert.equal((await b.vpc.describeElasticIps({})).result.totalCount, 0);

    await expectJdError(b.vm.describeInstance({ instanceId: w.ins }), 404, 'NOT_FOUND', `Instance '${w.ins}' not found.`);
    await expectJdError(b.vpc.describeNetworkInterface({ networkInterfaceId: w.eni }), 404, 'NOT_FOUND', `NetworkInterface '${w.eni}' not found`);
    await expectJdError(b.vpc.describeVpc({ vpcId: w.vpc }), 404, 'NOT_FOUND', `Vpc '${w.vpc}' not found`);
    await expectJdError(b.vpc.describeSubnet({ subnetId: w.sub }), 404, 'NOT_FOUND', `Subnet '${w.sub}' not found`);
    await expectJdError(b.vpc.describeElasticIp({ elasticIpId: w.eip }), 404, 'NOT_FOUND', `ElasticIp '${w.eip}' not found`);
  });

  test('another JD account changes none of them', async () => {
    const noPerm = 'No NetworkInterface permissions.';
    const obs = [a];
    await refusedJd(b, () => b.vm.stopInstance({ instanceId: w.ins }), 404, 'NOT_FOUND', `Instance '${w.ins}' not found.`, obs);
    await refusedJd(b, () => b.vm.deleteInstance({ instanceId: w.ins }), 404, 'NOT_FOUND', `Instance '${w.ins}' not found.`, obs);
    await refusedJd(b, () => b.vm.detachNetworkInterface({ instanceId: w.ins, networkInterfaceId: w.eni }), 400, 'FAILED_PRECONDITION', noPerm, obs);
    await refusedJd(b, () => b.vm.attachNetworkInterface({ instanceId: w.ins, networkInterfaceId: w.eni }), 400, 'FAILED_PRECONDITION', noPerm, obs);
    await refusedJd(b, () => b.vm.modifyInstanceNetworkAttribute({ instanceId: w.ins, networks: [{ networkInterfaceId: w.eni, autoDelete: true }] }), 404, 'NOT_FOUND', `Instance '${w.ins}' not found.`, obs);
    await refusedJd(b, () => b.vm.associateElasticIp({ instanceId: w.ins, elasticIpId: w.eip }), 404, 'NOT_FOUND', `Instance '${w.ins}' not found.`, obs);
    await refusedJd(b, () => b.vpc.deleteNetworkInterface({ networkInterfaceId: w.eni }), 400, 'FAILED_PRECONDITION', noPerm, obs);
    await refusedJd(b, () => b.vpc.modifyNetworkInterface({ networkInterfaceId: w.eni, networkInterfaceName: 'stolen' }), 400, 'FAILED_PRECONDITION', noPerm, obs);
    await refusedJd(b, () => b.vpc.assignSecondaryIps({ networkInterfaceId: w.eni, secondaryIpCount: 1 }), 400, 'FAILED_PRECONDITION', noPerm, obs);
    await refusedJd(b, () => b.vpc.associateElasticIp({ networkInterfaceId: w.eni, elasticIpId: w.eip }), 400, 'FAILED_PRECONDITION', noPerm, obs);
    await refusedJd(b, () => b.vpc.deleteElasticIp({ elasticIpId: w.eip }), 404, 'NOT_FOUND', `ElasticIp '${w.eip}' not found`, obs);
    await refusedJd(b, () => b.vpc.createSubnet({ vpcId: w.vpc, subnetName: 'intruder', addressPrefix: '10.40.9.0/24' }), 404, 'NOT_FOUND', `Vpc '${w.vpc}' not found`, obs);
    await refusedJd(b, () => b.vpc.createNetworkInterface({ subnetId: w.sub }), 404, 'NOT_FOUND', "Resource 'subnetId' not found", obs);
    await refusedJd(
      b,
      () => b.vm.createInstances({ instanceSpec: { az: 'cn-north-1a', imageId: 'img-eniplane01', name: 'intruder', primaryNetworkInterface: { networkInterface: { subnetId: w.sub } } } }),
      404,
      'NOT_FOUND',
      `Subnet '${w.sub}' not found`,
      obs,
    );
    const e = await getEni(a, w.eni);
    assert.equal(e.instanceId, w.ins);
    assert.equal(e.networkInterfaceName, 'auth-eni');
  });
});
