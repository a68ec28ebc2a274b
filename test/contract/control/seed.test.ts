// Contract: `eniplane serve --seed FILE` on both stores. The example seed's world is there when the
// server first answers, with its fixed ids and keys, as the official SDKs of both clouds see it;
// starting again with the same seed changes nothing; a seed that fails halfway leaves the world as
// it was and stops the start with the file and line.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { admin } from '../../support/admin.ts';
import { runCli, serverOn, type AccountInfo, type ServerOn } from '../../support/server.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { jdSession } from '../../support/jdcloud/client.ts';
import { session } from '../../support/tencent3/client.ts';

const SEED = resolve('examples/seed.yaml');
const CI: AccountInfo = {
  accountId: 'acc-ci00000001',
  secretId: 'AKIDci0000000000000000000000000001',
  secretKey: 'ci-secret-key-0000000000000001',
  provider: 'tencent',
  name: 'ci',
  ownerUin: '',
};

const exportOf = async (srv: ServerOn) => (await admin(srv.server).call('GET', 'export')).json;

for (const kind of STORE_KINDS) {
  describe(`seeds (${kind})`, { skip: await skipUnless(kind) }, () => {
    let srv: ServerOn;
    before(async () => {
      srv = await serverOn(kind, { extraArgs: ['--seed', SEED] });
    });
    after(async () => srv?.stop());

    test('the seeded world is there at the first answer, with its fixed ids and keys', async () => {
      assert.equal((await fetch(`${srv.server.url}/readyz`)).status, 200);
      const s = await session(srv.server, {}, CI);
      const { NetworkInterfaceSet: [eni] = [] } = await s.vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: ['eni-ci000001'] });
      assert.deepEqual(
        [eni?.State, eni?.Attachment?.InstanceId, eni?.VpcId, eni?.SubnetId, eni?.GroupSet, eni?.PrivateIpAddressSet?.map((p) => [p.PrivateIpAddress, p.Primary])],
        ['AVAILABLE', 'ins-ci000001', 'vpc-ci000001', 'subnet-ci000001', ['sg-ci000001'], [['10.0.1.20', true], ['10.0.1.21', false]]],
      );
      const { InstanceSet: [ins] = [] } = await s.cvm.DescribeInstances({ InstanceIds: ['ins-ci000001'] });
      assert.deepEqual([ins?.InstanceState, ins?.PrivateIpAddresses, ins?.SecurityGroupIds, ins?.InstanceName], ['RUNNING', ['10.0.1.4'], ['sg-ci000001'], 'node-1']);
      const policies = (await s.vpc.DescribeSecurityGroupPolicies({ SecurityGroupId: 'sg-ci000001' })).SecurityGroupPolicySet!;
      assert.deepEqual(policies.Ingress!.map((p) => [p.Protocol, p.Port, p.CidrBlock, p.Action]), [['TCP', '80,443', '0.0.0.0/0', 'ACCEPT'], ['ALL', 'ALL', '0.0.0.0/0', 'DROP']]);
      const all = (await s.vpc.DescribeNetworkInterfaces({})).NetworkInterfaceSet!;
      const spare = all.find((e) => e.NetworkInterfaceName === 'spare')!;
      assert.deepEqual([spare.State, spare.Attachment ?? null, spare.PrivateIpAddressSet!.length], ['AVAILABLE', null, 3]);
      // The JD Cloud account, through its own SDK and keys.
      const jd = await jdSession(srv.server, { accountId: '', ownerUin: '', name: 'jd-ci', accessKey: '0123456789ABCDEF0123456789ABCDEF', secretKey: 'FEDCBA9876543210FEDCBA9876543210' });
      const ports = (await jd.vpc.describeNetworkInterfaces({})).result.networkInterfaces;
      const port = ports.find((p) => p.networkInterfaceName === 'jd-eni')!;
      assert.match(port.networkInterfaceId, /^port-[a-z0-9]{10}$/);
      assert.match(port.instanceId, /^i-[a-z0-9]{10}$/);
      assert.equal(port.networkSecurityGroupIds.length, 0);
      // No default account is made beside a seed.
      const accounts = (await exportOf(srv)).tables.accounts.map((a: { name: string }) => a.name).sort();
      assert.deepEqual(accounts, ['ci', 'jd-ci']);
    });

    test('the same seed again creates nothing new', async () => {
      const first = await exportOf(srv);
      await srv.server.restart();
      assert.match(srv.server.logs(), /"created":0,"existing":\d+,"msg":"applied the seed"/);
      assert.deepEqual(await exportOf(srv), first);
    });

    test(`a seed that fails halfway stops the start with its line; ${kind === 'sqlite' ? 'the world is as it was' : 'what it made stays (a cell serves on)'}`, async () => {
      const before = await exportOf(srv);
      await srv.server.stop();
      // One more resource, then a bad one: the good one must not stay.
      const bad = join(srv.server.dataDir, 'bad-seed.yaml');
      const text = readFileSync(SEED, 'utf8').replace(
        '      - name: spare\n',
        '      - name: extra\n        subnet: ci-a\n      - name: outside\n        subnet: ci-a\n        ips: [10.9.9.9]\n      - name: spare\n',
      );
      writeFileSync(bad, text);
      const line = text.split('\n').findIndex((l) => l.includes('name: outside')) + 1;
      const r = await runCli(['serve', '--port', '0', '--db', srv.server.db, '--seed', bad, '--rate-limit', 'off'], { env: { ENIPLANE_DATA_DIR: srv.server.dataDir } });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr + r.stdout, new RegExp(`bad-seed\\.yaml:${line}: `));
      await srv.server.restart();
      const after = await exportOf(srv);
      const names = (w: { tables: { enis: Array<{ name: string }> } }) => w.tables.enis.map((e) => e.name).sort();
      if (kind === 'sqlite') assert.deepEqual(after, before);
      else assert.deepEqual(names(after), [...names(before), 'extra'].sort());
      assert.ok(!names(after).includes('outside'));
    });
  });
}
