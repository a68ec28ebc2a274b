// Contract: the requests of the JD Cloud SDKs beyond jdcloud-sdk-js as they put them on the wire:
// jdcloud-sdk-python (and so `jdc`) in each of its signature generations, JDCLOUD2 with `:verb`
// signed as `%3A` but sent as ':' (≤ 1.6.94) and JDCLOUD3 (1.6.180, which jdc pins, and 1.6.338),
// and jdcloud-sdk-java (JDCLOUD2 over the encoded path and sorted query, sent with ':' literal and
// the query unsorted). Python's POST bodies hold every parameter of the request class, the path
// ones and every unset one as `null`; a null optional field is "not given". The limits are JD
// Cloud's own: names of 32 characters (Chinese included), descriptions of 256.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../support/server.ts';
import { pollUntil } from '../../support/poll.ts';
import { JD_REGION, jdSession, type JdSession } from '../../support/jdcloud/client.ts';
import { expectRawJdError, JD_SDK_FORMS, type JdSdkCall, type JdSdkForm, prepareSdkJd, sendJd } from '../../support/jdcloud/raw.ts';
import { getEni, waitEniOn } from '../../support/jdcloud/waits.ts';
import { createInstances } from '../../support/jdcloud/world.ts';

let server: RunningServer;
let a: JdSession;

before(async () => {
  server = await startServer({ rateLimit: 'off' });
  a = await jdSession(server);
});
after(async () => server?.stop());

type Call = Omit<JdSdkCall, 'path'> & { path: string };

/** One SDK call, `path` after `/v1/regions/{regionId}`. */
async function py(sdk: JdSdkForm, c: Call) {
  return sendJd(prepareSdkJd(server.port, a.account, sdk, { ...c, path: `/regions/${JD_REGION}${c.path}` }));
}

async function ok(sdk: JdSdkForm, c: Call): Promise<Record<string, any>> {
  const res = await py(sdk, c);
  assert.equal(res.status, 200, `${sdk} ${c.method} ${c.path}: ${res.text}`);
  assert.equal(res.headers.get('content-type'), 'application/json');
  return (res.json as { result?: Record<string, any> }).result ?? {};
}

for (const sdk of JD_SDK_FORMS) {
  describe(`${sdk}`, () => {
    const n = sdk.replace(/^python-|\./g, '');
    let vpcId = '';
    let subnetId = '';
    let eniId = '';

    test('createVpc, createSubnet, createNetworkInterface with every unset field null; JD lengths', async () => {
      ({ vpcId } = await ok(sdk, {
        method: 'POST',
        path: '/vpcs/',
        service: 'vpc',
        params: { vpcName: `py-${n}`, addressPrefix: '10.60.0.0/16', description: null, userTags: null, resourceGroupId: null, resourceTag: null },
      }));
      ({ subnetId } = await ok(sdk, {
        method: 'POST',
        path: '/subnets/',
        service: 'vpc',
        params: { vpcId, subnetName: `sn-${n}`, addressPrefix: '10.60.1.0/24', routeTableId: null, description: null, ipMaskLen: null, subnetType: null, az: null, userTags: null, resourceGroupId: null },
      }));
      // 25 Chinese characters as the name and 256 characters of description: both within JD's limits.
      const name = '弹性网卡名'.repeat(4) + '一二三四五';
      assert.equal([...name].length, 25);
      ({ networkInterfaceId: eniId } = await ok(sdk, {
        method: 'POST',
        path: '/networkInterfaces/',
        service: 'vpc',
        params: {
          subnetId, az: null, networkInterfaceName: name, primaryIpAddress: null, secondaryIpAddresses: null, secondaryIpCount: null, secondaryIpSubnetId: null,
          securityGroups: null, sanityCheck: null, description: 'd'.repeat(256), ipv6Addresses: null, userTags: null, resourceGroupId: null, connectionTrackingConfiguration: null,
        },
      }));
      const eni = await getEni(a, eniId);
      assert.equal(eni.networkInterfaceName, name);
      assert.equal(eni.description, 'd'.repeat(256));

      // One past each limit: JD's own parameter names and words.
      const long = await py(sdk, { method: 'POST', path: '/networkInterfaces/', service: 'vpc', params: { subnetId, networkInterfaceName: 'n'.repeat(33), description: null } });
      await expectRawJdError(long, 400, 'INVALID_ARGUMENT', /networkInterfaceName/);
      const desc = await py(sdk, { method: 'POST', path: '/networkInterfaces/', service: 'vpc', params: { subnetId, networkInterfaceName: null, description: 'd'.repeat(257) } });
      await expectRawJdError(desc, 400, 'INVALID_ARGUMENT', /description/);
      const vpcName = async (name: string) => py(sdk, { method: 'POST', path: '/vpcs/', service: 'vpc', params: { vpcName: name, addressPrefix: null, description: null } });
      await expectRawJdError(await vpcName(`${n}-${'v'.repeat(33 - n.length - 1)}`), 400, 'INVALID_ARGUMENT', 'Invalid parameter vpcName: must be at most 32 characters');
      await expectRawJdError(await vpcName('a.b'), 400, 'INVALID_ARGUMENT', "Invalid parameter vpcName 'a.b': may contain only Chinese characters, letters, digits, _ and -");
      const edge = await vpcName(`${n}-${'v'.repeat(32 - n.length - 1)}`);
      assert.equal(edge.status, 200, edge.text);
      // A null required field is a missing one.
      const missing = await py(sdk, { method: 'POST', path: '/networkInterfaces/', service: 'vpc', params: { subnetId: null } });
      await expectRawJdError(missing, 400, 'INVALID_ARGUMENT', /subnetId/);
    });

    test('describeNetworkInterfaces: a GET query as the SDK builds it, values with ":", "," and "/" included', async () => {
      const query: Array<[string, string]> = [['pageNumber', '1'], ['pageSize', '20'], ['filters.1.name', 'networkInterfaceIds'], ['filters.1.values.1', eniId]];
      const r = await ok(sdk, { method: 'GET', path: '/networkInterfaces/', service: 'vpc', query });
      assert.equal(r.totalCount, 1);
      assert.equal(r.networkInterfaces[0].networkInterfaceId, eniId);
      const odd = await ok(sdk, { method: 'GET', path: '/networkInterfaces/', service: 'vpc', query: [['pageNumber', '1'], ['filters.1.name', 'networkInterfaceNames'], ['filters.1.values.1', 'a:b,c/d e']] });
      assert.equal(odd.totalCount, 0);
      const one = await ok(sdk, { method: 'GET', path: `/networkInterfaces/${eniId}`, service: 'vpc' });
      assert.equal(one.networkInterface.subnetId, subnetId);
    });

    test('":verb" calls: assignSecondaryIps, then vm attachNetworkInterface and detachNetworkInterface', async () => {
      await ok(sdk, { method: 'POST', path: `/networkInterfaces/${eniId}:assignSecondaryIps`, service: 'vpc', params: { networkInterfaceId: eniId, force: null, secondaryIps: ['10.60.1.200'], secondaryIpCount: null, secondaryIpMaskLen: null } });
      await pollUntil(async () => (await getEni(a, eniId)).secondaryIps.some((i) => i.privateIpAddress === '10.60.1.200'), { timeoutMs: 20_000, what: 'the secondary IP' });
      const [instanceId] = await createInstances(a, subnetId);
      await pollUntil(
        async () => {
          const r = await py(sdk, { method: 'POST', path: `/instances/${instanceId}:attachNetworkInterface`, service: 'vm', params: { instanceId, networkInterfaceId: eniId, autoDelete: null } });
          // The assign task may still hold the ENI for a moment.
          if (r.status === 400 && /^Conflict with underlay task/.test(String((r.json as any)?.error?.message))) return false;
          assert.equal(r.status, 200, r.text);
          return true;
        },
        { timeoutMs: 20_000, what: 'attach to be accepted' },
      );
      await waitEniOn(a, eniId, instanceId!);
      await ok(sdk, { method: 'POST', path: `/instances/${instanceId}:detachNetworkInterface`, service: 'vm', params: { instanceId, networkInterfaceId: eniId } });
      await waitEniOn(a, eniId, '');
    });

    test('a wrong secret is 401 ACCESS_ERROR', async () => {
      const res = await sendJd(prepareSdkJd(server.port, { ...a.account, secretKey: 'wrong' }, sdk, { method: 'GET', path: `/regions/${JD_REGION}/vpcs/`, service: 'vpc' }));
      await expectRawJdError(res, 401, 'ACCESS_ERROR', 'sign result is not same [gw]');
    });
  });
}
