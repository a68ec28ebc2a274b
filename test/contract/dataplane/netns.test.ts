// The netns data plane end to end, through tencentcloud-sdk-nodejs: instances are network
// namespaces, an attached ENI is a real interface with its MAC and addresses inside its instance
// and nowhere else, and traffic follows it. Pings within a subnet, across subnets and (not) across
// VPCs; a secondary address answers; a failed effect is rolled back on the host too; a security
// group blocks, then allows, a TCP port; after a migrate the address answers from the new
// instance, after a detach from nowhere; stopped instances' links are down; a reset empties the host
// and a restored snapshot builds it again. A server killed in the
// middle of an attach comes back with host and store in agreement (SQLite and PostgreSQL), a stopping server removes what
// it made, and `dataplane cleanup` what a crashed one left. Root only (CI); skipped loudly elsewhere.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { holdersOf, links, type HostLink, listen, ask, namespaces, pings, removeNamespaces, skipWithoutNetns, testPrefix } from '../../support/netns.ts';
import { admin } from '../../support/admin.ts';
import { pollUntil } from '../../support/poll.ts';
import { freshDb, skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { repoRoot, runCli, startServer, type RunningServer } from '../../support/server.ts';
import { session, type Eni, type Session } from '../../support/tencent3/client.ts';
import { mustGetEni, primaryEniOf, waitInstances, waitTask, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { attach, createEni, createSubnet, createVpc, runInstances } from '../../support/tencent3/world.ts';

const skip = skipWithoutNetns();
const SECOND = { timeoutMs: 10_000, intervalMs: 50 };
const plain = ({ index: _, ...l }: HostLink) => l;
const primaryIp = (e: Eni): string => e.PrivateIpAddressSet!.find((p) => p.Primary)!.PrivateIpAddress!;
const netns = (prefix: string, delay = '0') => ['--dataplane', 'netns', '--netns-prefix', prefix, '--dataplane-delay', delay];

describe('the netns data plane', { skip }, () => {
  const prefix = testPrefix();
  let srv: RunningServer;
  let s: Session;
  const w = { a: '', b: '', c: '', d: '', ipA: '', ipB: '', ipC: '', eni: '', mac: '', ip: '', extra: '', left: '', vpc: '', vpc2: '', web: '' };
  const ns = (id: string) => `${prefix}${id}`;
  const ACCEPT_ALL = { Protocol: 'ALL', CidrBlock: '0.0.0.0/0', Action: 'ACCEPT' };
  /** A group whose first ingress rule is `first`, then everything accepted both ways. */
  const groupDropping = async (name: string, first: Record<string, string>): Promise<string> => {
    const { SecurityGroup } = await s.vpc.CreateSecurityGroupWithPolicies({ GroupName: name, GroupDescription: 'dp', SecurityGroupPolicySet: { Ingress: [first, ACCEPT_ALL], Egress: [ACCEPT_ALL] } });
    return SecurityGroup!.SecurityGroupId!;
  };

  before(async () => {
    // Every UnassignPrivateIpAddresses fails after it reached the host: its roll-back is checked there.
    srv = await startServer({ latency: '20', rateLimit: 'off', faults: 'unassign=1', extraArgs: netns(prefix) });
    s = await session(srv);
  });
  after(async () => {
    await srv?.stop();
    removeNamespaces(prefix);
  });

  test('instances are namespaces with their primary ENI as eth0; a VPC routes between its subnets and is cut off from others', async () => {
    w.vpc = await createVpc(s, '10.0.0.0/16', 'dp');
    w.left = await createSubnet(s, w.vpc, '10.0.1.0/24');
    const right = await createSubnet(s, w.vpc, '10.0.2.0/24');
    [w.a, w.b] = (await runInstances(s.cvm, { vpcId: w.vpc, subnetId: w.left }, 2, 'S5.MEDIUM4')) as [string, string];
    [w.c] = (await runInstances(s.cvm, { vpcId: w.vpc, subnetId: right }, 1, 'S5.MEDIUM4')) as [string];
    // Another VPC with the same addresses: nothing of the first is reachable from it.
    w.vpc2 = await createVpc(s, '10.0.0.0/16', 'dp2');
    [w.d] = (await runInstances(s.cvm, { vpcId: w.vpc2, subnetId: await createSubnet(s, w.vpc2, '10.0.1.0/24') }, 1, 'S5.MEDIUM4')) as [string];

    const primaryA = await primaryEniOf(s.vpc, w.a);
    w.ipA = primaryIp(primaryA);
    w.ipB = primaryIp(await primaryEniOf(s.vpc, w.b));
    w.ipC = primaryIp(await primaryEniOf(s.vpc, w.c));
    assert.deepEqual(namespaces(prefix).sort(), [w.a, w.b, w.c, w.d, w.vpc, w.vpc2].map(ns).sort());
    assert.deepEqual(links(ns(w.a)).map(plain), [{ name: 'eth0', alias: primaryA.NetworkInterfaceId, mac: primaryA.MacAddress!.toLowerCase(), up: true, addresses: [`${w.ipA}/24`] }]);
    assert.ok(pings(ns(w.a), w.ipB), 'A reaches B in its subnet');
    assert.ok(pings(ns(w.a), w.ipC), 'A reaches C across subnets');
    assert.ok(!pings(ns(w.d), w.ipB), 'another VPC does not reach B');
  });

  test('an attached ENI is eth1 in its instance, with its MAC and addresses, and nowhere else; it answers', async () => {
    w.eni = await createEni(s, { vpcId: w.vpc, subnetId: w.left }, { name: 'roaming' });
    const eni = await mustGetEni(s.vpc, w.eni);
    w.mac = eni.MacAddress!.toLowerCase();
    w.ip = primaryIp(eni);
    assert.deepEqual(holdersOf(prefix, w.mac), [], 'an ENI on no instance is on the host nowhere');
    await attach(s, w.eni, w.b);
    assert.deepEqual(holdersOf(prefix, w.mac), [ns(w.b)]);
    assert.deepEqual(plain(links(ns(w.b)).find((l) => l.name === 'eth1')!), { name: 'eth1', alias: w.eni, mac: w.mac, up: true, addresses: [`${w.ip}/24`] });
    assert.ok(pings(ns(w.a), w.ip), 'from its subnet');
    assert.ok(pings(ns(w.c), w.ip), 'from the other subnet');
    assert.ok(!pings(ns(w.d), w.ip), 'not from another VPC');
  });

  test('a secondary address assigned answers; a failed unassign leaves it in place on the host and in the store', async () => {
    const assigned = await s.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: w.eni, SecondaryPrivateIpAddressCount: 1 });
    w.extra = assigned.PrivateIpAddressSet![0]!.PrivateIpAddress!;
    await waitTaskSuccess(s.vpc, assigned.RequestId!);
    assert.deepEqual(links(ns(w.b)).find((l) => l.name === 'eth1')?.addresses, [`${w.ip}/24`, `${w.extra}/24`]);
    assert.ok(pings(ns(w.a), w.extra));

    const { RequestId } = await s.vpc.UnassignPrivateIpAddresses({ NetworkInterfaceId: w.eni, PrivateIpAddresses: [{ PrivateIpAddress: w.extra }] });
    const result = await waitTask(s.vpc, RequestId!);
    assert.equal(result.Status, 'FAILED');
    assert.match(result.Output ?? '', /^FailedOperation: injected fault \(netns driver\)/);
    assert.ok((await mustGetEni(s.vpc, w.eni)).PrivateIpAddressSet!.some((p) => p.PrivateIpAddress === w.extra));
    await pollUntil(() => Promise.resolve(links(ns(w.b)).find((l) => l.name === 'eth1')?.addresses.includes(`${w.extra}/24`)), { ...SECOND, what: 'the address back on eth1' });
    assert.ok(pings(ns(w.a), w.extra));
  });

  test('an address moved to another ENI answers from its new holder at once, across subnets too', async () => {
    const other = await createEni(s, { vpcId: w.vpc, subnetId: w.left }, { name: 'catcher' });
    await attach(s, other, w.a);
    const assigned = await s.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: w.eni, SecondaryPrivateIpAddressCount: 1 });
    const moving = assigned.PrivateIpAddressSet![0]!.PrivateIpAddress!;
    await waitTaskSuccess(s.vpc, assigned.RequestId!);
    assert.ok(pings(ns(w.c), moving), 'answered from B first (the router has learnt its MAC)');
    const { RequestId } = await s.vpc.MigratePrivateIpAddress({ SourceNetworkInterfaceId: w.eni, DestinationNetworkInterfaceId: other, PrivateIpAddress: moving });
    await waitTaskSuccess(s.vpc, RequestId!);
    assert.ok(!links(ns(w.b)).some((l) => l.addresses.includes(`${moving}/24`)), 'gone from B');
    assert.ok(links(ns(w.a)).find((l) => l.alias === other)?.addresses.includes(`${moving}/24`), 'on the other ENI in A');
    assert.ok(pings(ns(w.c), moving), 'answered from A through the router without waiting for its neighbour entry to age');
    const { RequestId: detached } = await s.vpc.DetachNetworkInterface({ NetworkInterfaceId: other, InstanceId: w.a });
    await waitTaskSuccess(s.vpc, detached!);
  });

  test('drift is put right: a bridge deleted and a guest firewall flushed by hand come back at the next reconcile', async () => {
    const bridge = links(ns(w.vpc)).find((l) => l.name.startsWith('br-') && l.addresses.includes('10.0.1.1/24'))!;
    assert.ok(bridge, 'the left subnet has its bridge on the gateway');
    const untouched = () => [w.a, w.b, w.c].map((id) => links(ns(id)).map((l) => `${l.name}#${l.index}`).join(' '));
    const before = untouched();
    spawnSync('ip', ['-n', ns(w.vpc), 'link', 'del', bridge.name]);
    assert.ok(!pings(ns(w.c), w.ip), 'cut off without its bridge');
    // Any change made outside a task puts the whole host right: a new subnet, say.
    await createSubnet(s, w.vpc, '10.0.3.0/24');
    await pollUntil(() => Promise.resolve(pings(ns(w.c), w.ip)), { ...SECOND, what: 'the bridge and its ports back' });
    assert.ok(pings(ns(w.a), w.ip));
    assert.deepEqual(untouched(), before, 'a whole pass makes no link again that was right');
  });

  test('a security group rule blocks a TCP port, and then allows it', async () => {
    const onB = await listen(ns(w.b), 8080, 'B');
    try {
      assert.equal(ask(ns(w.a), w.ip, 8080), 'B', 'open before any group');
      w.web = await groupDropping('web', { Protocol: 'TCP', Port: '8080', CidrBlock: '0.0.0.0/0', Action: 'DROP' });
      await s.vpc.AssociateNetworkInterfaceSecurityGroups({ NetworkInterfaceIds: [w.eni], SecurityGroupIds: [w.web] });
      await pollUntil(() => Promise.resolve(ask(ns(w.a), w.ip, 8080) === undefined), { ...SECOND, what: 'port 8080 blocked' });
      assert.ok(pings(ns(w.a), w.ip), 'the rule below still accepts the rest');
      await s.vpc.ReplaceSecurityGroupPolicy({
        SecurityGroupId: w.web,
        SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 0, Protocol: 'TCP', Port: '8080', CidrBlock: '0.0.0.0/0', Action: 'ACCEPT' }] },
      });
      await pollUntil(() => Promise.resolve(ask(ns(w.a), w.ip, 8080) === 'B'), { ...SECOND, what: 'port 8080 allowed' });

      // Rules flushed inside the guest come back with the next change to any group.
      await s.vpc.ReplaceSecurityGroupPolicy({
        SecurityGroupId: w.web,
        SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 0, Protocol: 'TCP', Port: '8080', CidrBlock: '0.0.0.0/0', Action: 'DROP' }] },
      });
      await pollUntil(() => Promise.resolve(ask(ns(w.a), w.ip, 8080) === undefined), { ...SECOND, what: 'port 8080 blocked again' });
      spawnSync('ip', ['netns', 'exec', ns(w.b), 'nft', 'flush', 'ruleset']);
      assert.equal(ask(ns(w.a), w.ip, 8080), 'B', 'open with the rules flushed');
      await s.vpc.ReplaceSecurityGroupPolicy({
        SecurityGroupId: w.web,
        SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 0, Protocol: 'TCP', Port: '8080', CidrBlock: '10.0.0.0/8', Action: 'DROP' }] },
      });
      await pollUntil(() => Promise.resolve(ask(ns(w.a), w.ip, 8080) === undefined), { ...SECOND, what: 'the rules written again' });
      await s.vpc.ReplaceSecurityGroupPolicy({
        SecurityGroupId: w.web,
        SecurityGroupPolicySet: { Ingress: [{ PolicyIndex: 0, Protocol: 'TCP', Port: '8080', CidrBlock: '0.0.0.0/0', Action: 'ACCEPT' }] },
      });
      await pollUntil(() => Promise.resolve(ask(ns(w.a), w.ip, 8080) === 'B'), { ...SECOND, what: 'port 8080 allowed again' });
    } finally {
      onB.close();
    }
  });

  test('every kind of rule the APIs store is a ruleset nft accepts', async () => {
    const { SecurityGroup } = await s.vpc.CreateSecurityGroupWithPolicies({
      GroupName: 'every-kind',
      GroupDescription: 'dp',
      SecurityGroupPolicySet: {
        Ingress: [
          { Protocol: 'TCP', Port: '80,443', CidrBlock: '10.0.0.0/16', Action: 'ACCEPT' },
          { Protocol: 'UDP', Port: '5000-5010', CidrBlock: '10.0.1.7', Action: 'DROP' },
          { Protocol: 'ICMP', CidrBlock: '0.0.0.0/0', Action: 'ACCEPT' },
          { Protocol: 'GRE', CidrBlock: '0.0.0.0/0', Action: 'ACCEPT' },
          { Protocol: 'TCP', Port: 'ALL', SecurityGroupId: w.web, Action: 'ACCEPT' },
          { Protocol: 'ALL', Ipv6CidrBlock: '::/0', Action: 'ACCEPT' },
        ],
        Egress: [{ Protocol: 'ICMPv6', Ipv6CidrBlock: 'fd00::/8', Action: 'DROP' }, { Protocol: 'ALL', CidrBlock: '0.0.0.0/0', Action: 'ACCEPT' }],
      },
    });
    const group = SecurityGroup!.SecurityGroupId!;
    // Second after web (which accepts everything but what it names), so traffic still flows.
    await s.vpc.AssociateNetworkInterfaceSecurityGroups({ NetworkInterfaceIds: [w.eni], SecurityGroupIds: [group] });
    const listed = () => spawnSync('ip', ['netns', 'exec', ns(w.b), 'nft', 'list', 'table', 'inet', 'eniplane'], { encoding: 'utf8' }).stdout;
    await pollUntil(() => Promise.resolve(listed().includes(group)), { ...SECOND, what: "the group's rules in B" });
    assert.match(listed(), /ip saddr 10\.0\.0\.0\/16 tcp dport \{ 80, 443 \} accept/);
    assert.match(listed(), /ip saddr 10\.0\.1\.7 udp dport 5000-5010 drop/);
    assert.match(listed(), /ip6 daddr fd00::\/8 meta l4proto ipv6-icmp drop/);
    assert.match(listed(), new RegExp(`ip saddr \\{[^}]*\\b${w.ip.replace(/\./g, '\\.')}\\b[^}]*\\} meta l4proto tcp accept`), "the peer group's members (B's ENI is in web)");
    assert.ok(pings(ns(w.a), w.ip));
    await s.vpc.DisassociateNetworkInterfaceSecurityGroups({ NetworkInterfaceIds: [w.eni], SecurityGroupIds: [group] });
    await pollUntil(() => Promise.resolve(!listed().includes(group)), { ...SECOND, what: "the group's rules gone from B" });
  });

  test('after a migrate the address answers from the new instance; stopped, its links are down', async () => {
    const onC = await listen(ns(w.c), 8080, 'C');
    try {
      const { RequestId } = await s.vpc.MigrateNetworkInterface({ NetworkInterfaceId: w.eni, SourceInstanceId: w.b, DestinationInstanceId: w.c });
      await waitTaskSuccess(s.vpc, RequestId!);
      assert.deepEqual(holdersOf(prefix, w.mac), [ns(w.c)]);
      assert.deepEqual(plain(links(ns(w.c)).find((l) => l.mac === w.mac)!), { name: 'eth1', alias: w.eni, mac: w.mac, up: true, addresses: [`${w.ip}/24`, `${w.extra}/24`] });
      assert.ok(pings(ns(w.a), w.ip));
      assert.equal(ask(ns(w.a), w.ip, 8080), 'C');
    } finally {
      onC.close();
    }
    await s.cvm.StopInstances({ InstanceIds: [w.c] });
    await waitInstances(s.cvm, [w.c], 'STOPPED');
    assert.deepEqual(links(ns(w.c)).map((l) => `${l.name}:${l.up}`), ['eth0:false', 'eth1:false']);
    assert.ok(!pings(ns(w.a), w.ip), 'a stopped instance does not answer');
    await s.cvm.StartInstances({ InstanceIds: [w.c] });
    await waitInstances(s.cvm, [w.c], 'RUNNING');
    assert.deepEqual(links(ns(w.c)).map((l) => `${l.name}:${l.up}`), ['eth0:true', 'eth1:true']);
    assert.ok(pings(ns(w.a), w.ip));
  });

  test('after a detach the address stops answering; a terminated instance has no namespace', async () => {
    const { RequestId } = await s.vpc.DetachNetworkInterface({ NetworkInterfaceId: w.eni, InstanceId: w.c });
    await waitTaskSuccess(s.vpc, RequestId!);
    assert.deepEqual(holdersOf(prefix, w.mac), []);
    assert.ok(!pings(ns(w.a), w.ip));
    assert.deepEqual(links(ns(w.c)).map((l) => l.name), ['eth0']);

    await s.cvm.TerminateInstances({ InstanceIds: [w.d] });
    await pollUntil(() => Promise.resolve(!namespaces(prefix).includes(ns(w.d))), { ...SECOND, what: "D's namespace gone" });
  });

  test("an instance's groups guard its primary ENI", async () => {
    const noIcmp = await groupDropping('no-icmp', { Protocol: 'ICMP', CidrBlock: '0.0.0.0/0', Action: 'DROP' });
    assert.ok(pings(ns(w.c), w.ipA));
    await s.cvm.ModifyInstancesAttribute({ InstanceIds: [w.a], SecurityGroups: [noIcmp] });
    await pollUntil(() => Promise.resolve(!pings(ns(w.c), w.ipA)), { ...SECOND, what: "A's echo blocked by its group" });
    await s.cvm.ModifyInstancesAttribute({ InstanceIds: [w.a], SecurityGroups: [w.web] });
    await pollUntil(() => Promise.resolve(pings(ns(w.c), w.ipA)), { ...SECOND, what: "A's echo allowed again" });
  });

  test('an ENI created and attached in one call is on its instance at once; a terminated instance takes its secondary ENIs off the host', async () => {
    const created = await s.vpc.CreateAndAttachNetworkInterface({ VpcId: w.vpc, SubnetId: w.left, NetworkInterfaceName: 'direct', InstanceId: w.c });
    await waitTaskSuccess(s.vpc, created.RequestId!);
    const eni = await mustGetEni(s.vpc, created.NetworkInterface!.NetworkInterfaceId!);
    const mac = eni.MacAddress!.toLowerCase();
    assert.deepEqual(holdersOf(prefix, mac), [ns(w.c)]);
    assert.ok(pings(ns(w.a), primaryIp(eni)));
    await s.cvm.TerminateInstances({ InstanceIds: [w.c] });
    await pollUntil(() => Promise.resolve(!namespaces(prefix).includes(ns(w.c))), { ...SECOND, what: "C's namespace gone" });
    assert.deepEqual(holdersOf(prefix, mac), []);
    assert.ok(!pings(ns(w.a), primaryIp(eni)));
  });

  test('a reset empties the host and a snapshot restored builds it again', async () => {
    const control = admin(srv);
    const before = namespaces(prefix).sort();
    assert.equal((await control.call('POST', 'snapshots', { name: 'dp' })).status, 201);
    assert.equal((await control.call('POST', 'reset', {})).status, 200);
    await pollUntil(() => Promise.resolve(namespaces(prefix).length === 0), { ...SECOND, what: 'no namespace after the reset' });
    assert.equal((await control.call('POST', 'snapshots/dp/restore')).status, 200);
    await pollUntil(() => Promise.resolve(namespaces(prefix).length === before.length), { ...SECOND, what: 'the namespaces back' });
    assert.deepEqual(namespaces(prefix).sort(), before);
    await pollUntil(() => Promise.resolve(pings(ns(w.a), w.ipB)), { ...SECOND, what: 'traffic flowing again' });
  });

  test('a stopping server removes every namespace it made', async () => {
    assert.ok(namespaces(prefix).length > 0);
    await srv.stop();
    assert.deepEqual(namespaces(prefix), []);
  });
});

for (const kind of STORE_KINDS) describe(`the netns data plane after a crash (${kind})`, { skip: skip || (await skipUnless(kind)) }, () => {
  const prefix = testPrefix();
  let srv: RunningServer;
  let db: { db: string; cleanup(): Promise<void> } | undefined;
  after(async () => {
    await srv?.stop();
    removeNamespaces(prefix);
    await db?.cleanup();
  });

  test('kill -9 in the middle of an attach, then a restart: host and store agree; cleanup removes what a crashed server left', async () => {
    // Each effect waits 1.5 s after it reached the host: long enough to be killed in between.
    // On PostgreSQL the dead node's lease must run out before another start claims the task again.
    db = await freshDb(kind);
    srv = await startServer({ db: db.db, latency: '0', rateLimit: 'off', extraArgs: [...netns(prefix, '1500'), '--lease-ms', '1000'] });
    const s = await session(srv);
    const vpcId = await createVpc(s, '10.1.0.0/16', 'crash');
    const subnetId = await createSubnet(s, vpcId, '10.1.1.0/24');
    const [ins] = await runInstances(s.cvm, { vpcId, subnetId }, 1, 'S5.MEDIUM4');
    const eniId = await createEni(s, { vpcId, subnetId });
    const mac = (await mustGetEni(s.vpc, eniId)).MacAddress!.toLowerCase();
    await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: ins! });
    await pollUntil(() => Promise.resolve(holdersOf(prefix, mac).length === 1), { ...SECOND, what: 'the ENI on the host' });
    assert.equal((await mustGetEni(s.vpc, eniId)).State, 'ATTACHING', 'killed while the attach is still in flight');
    await srv.kill9();
    assert.deepEqual(holdersOf(prefix, mac), [`${prefix}${ins}`], 'a killed server leaves the host as it was');

    await srv.restart();
    const s2 = await session(srv, {}, s.account);
    const done = await pollUntil(async () => {
      const e = await mustGetEni(s2.vpc, eniId);
      return e.State === 'AVAILABLE' && e;
    }, { ...SECOND, timeoutMs: 20_000, what: 'the attach finished after the restart' });
    assert.equal(done.Attachment?.InstanceId, ins);
    assert.deepEqual(holdersOf(prefix, mac), [`${prefix}${ins}`]);
    assert.deepEqual(links(`${prefix}${ins}`).map((l) => `${l.name}:${l.alias}:${l.addresses.join(',')}`), [
      `eth0:${(await primaryEniOf(s2.vpc, ins!)).NetworkInterfaceId}:${primaryIp(await primaryEniOf(s2.vpc, ins!))}/24`,
      `eth1:${eniId}:${primaryIp(done)}/24`,
    ]);

    await srv.kill9();
    assert.ok(namespaces(prefix).length > 0);
    const r = await runCli(['dataplane', 'cleanup', '--netns-prefix', prefix, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { removed: string[] }).removed.sort(), [`${prefix}${ins}`, `${prefix}${vpcId}`].sort());
    assert.deepEqual(namespaces(prefix), []);
  });
});

describe('the netns data plane and rows it must not trust', { skip }, () => {
  const prefix = testPrefix();
  let srv: RunningServer;
  after(async () => {
    await srv?.stop();
    removeNamespaces(prefix);
  });

  test('an imported world whose MAC carries a second command: that ENI stays off the host, the rest is built, nothing runs', async () => {
    srv = await startServer({ latency: '0', rateLimit: 'off', extraArgs: netns(prefix) });
    const s = await session(srv);
    const vpcId = await createVpc(s, '10.2.0.0/16', 'import');
    const subnetId = await createSubnet(s, vpcId, '10.2.1.0/24');
    const [one, two] = (await runInstances(s.cvm, { vpcId, subnetId }, 2, 'S5.MEDIUM4')) as [string, string];
    const control = admin(srv);
    const doc = (await control.call('GET', 'export')).json;
    const marker = join(mkdtempSync(join(tmpdir(), 'eniplane-inject-')), 'ran');
    const primaryOne = (await primaryEniOf(s.vpc, one)).NetworkInterfaceId!;
    const row = (doc.tables.enis as Array<Record<string, unknown>>).find((r) => r.id === primaryOne);
    assert.ok(row, 'the export holds the ENI row');
    row.mac = `20:90:6f:00:00:01\nnetns exec ${prefix}${two} touch ${marker}`;
    assert.equal((await control.call('POST', 'import', doc)).status, 200);
    await pollUntil(() => Promise.resolve(srv.logs().includes(`eni \\"${primaryOne}\\" is not on the host`)), { ...SECOND, what: 'the row reported' });
    await pollUntil(() => Promise.resolve(links(`${prefix}${one}`).length === 0), { ...SECOND, what: 'the ENI with the bad MAC off the host' });
    assert.ok(!existsSync(marker), 'no command ran');
    assert.deepEqual(links(`${prefix}${two}`).map((l) => l.name), ['eth0'], 'the other instance is built');
  });
});

describe('the netns data plane refuses to start where it cannot work', { skip }, () => {
  const serve = (db: string) => ['serve', '--port', '0', '--db', db, '--dataplane', 'netns', '--netns-prefix', testPrefix()];

  test('without nftables', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'eniplane-bin-'));
    symlinkSync(spawnSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).stdout.trim(), join(bin, 'ip'));
    const r = await runCli(serve(join(bin, 'e.db')), { env: { PATH: bin } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--dataplane netns needs Linux, root \(or CAP_NET_ADMIN and CAP_SYS_ADMIN\), iproute2 and nftables; `nft` does not run here/);
  });

  test('without the privilege to make namespaces', () => {
    // Root with every capability dropped: still able to read the checkout wherever it lies (a
    // user like nobody may not be), not able to make a namespace.
    const dir = mkdtempSync(join(tmpdir(), 'eniplane-nocaps-'));
    const r = spawnSync('setpriv', ['--bounding-set=-all', '--inh-caps=-all', process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...serve(join(dir, 'e.db'))], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: dir },
      timeout: 30_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--dataplane netns needs Linux, root \(or CAP_NET_ADMIN and CAP_SYS_ADMIN\), iproute2 and nftables; making a network namespace failed/);
  });

  test('an unknown data plane or a bad prefix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eniplane-dp-'));
    const bad = await runCli(['serve', '--port', '0', '--db', join(dir, 'e.db'), '--dataplane', 'xdp']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--dataplane: "xdp" must be sim or netns/);
    const prefix = await runCli(['serve', '--port', '0', '--db', join(dir, 'e.db'), '--dataplane', 'netns', '--netns-prefix', 'Bad/']);
    assert.equal(prefix.code, 2);
    assert.match(prefix.stderr, /--netns-prefix: "Bad\/" must be/);
  });
});
