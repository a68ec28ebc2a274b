// Contract: the control plane under /_eniplane/ (reset, snapshots, export and import) through HTTP
// and the CLI, on both stores, seen through the official SDK: no token or a wrong one is 401 and
// changes nothing; reset keeps accounts and keys working; a snapshot restores the old world, tasks
// in flight included (they complete); export from SQLite imports into PostgreSQL with identical
// Describe answers; bad input is 400/404 naming the problem and changes nothing; every admin call
// is in the audit trail.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { admin, type Admin } from '../../support/admin.ts';
import { pollUntil } from '../../support/poll.ts';
import { runCli, serverOn, type ServerOn } from '../../support/server.ts';
import { postgresAvailable, skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { session, type Session } from '../../support/tencent3/client.ts';
import { snapshot } from '../../support/tencent3/snapshots.ts';
import { getEni, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { attach, createEni, createSubnet, createVpc, runInstances } from '../../support/tencent3/world.ts';

async function cli(args: string[], env: Record<string, string> = {}): Promise<any> {
  const r = await runCli(args, { env });
  assert.equal(r.code, 0, `eniplane ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

for (const kind of STORE_KINDS) {
  describe(`the control plane (${kind})`, { skip: await skipUnless(kind) }, () => {
    let srv: ServerOn;
    let s: Session;
    let other: Session;
    let ctl: Admin;

    before(async () => {
      srv = await serverOn(kind, { latency: '300' });
      [s, other] = await Promise.all([session(srv.server), session(srv.server)]);
      ctl = admin(srv.server);
    });
    after(async () => srv?.stop());

    test('every endpoint needs the admin token; without it nothing happens', async () => {
      await createVpc(s, '10.1.0.0/16');
      const before = await snapshot(s);
      for (const [method, path, body] of [['POST', 'reset', {}], ['GET', 'export'], ['GET', 'snapshots'], ['POST', 'snapshots', { name: 'x' }], ['POST', 'import', {}]] as const) {
        for (const token of [null, 'wrong', `${ctl.token}x`]) {
          const a = await ctl.call(method, path, body, { token });
          assert.equal(a.status, 401, `${method} ${path} with ${String(token)}`);
          assert.equal(a.json.error.code, 'Unauthorized');
        }
      }
      assert.deepEqual(await snapshot(s), before);
      assert.equal((await ctl.call('GET', 'nope')).status, 404);
      assert.equal((await ctl.call('PUT', 'reset')).status, 405);
    });

    test('bad input is 400 or 404 naming the problem, and changes nothing', async () => {
      const before = await snapshot(s);
      const cases: Array<[string, string, unknown, number, RegExp, string?]> = [
        ['POST', 'reset', { accountId: 'acc-nobody' }, 404, /account/],
        ['POST', 'reset', { accountId: 1 }, 400, /accountId/],
        ['POST', 'reset', { everything: true }, 400, /everything|Unrecognized/i],
        ['POST', 'snapshots', { name: 'bad name/x' }, 400, /snapshot\.name/],
        ['POST', 'snapshots', {}, 400, /name/],
        ['POST', 'snapshots/missing/restore', undefined, 404, /missing/],
        ['DELETE', 'snapshots/missing', undefined, 404, /missing/],
        ['POST', 'import', { format: 'eniplane-world', version: '0001_initial', tables: {} }, 400, /version/],
        ['POST', 'import', { format: 'nope', version: 'x', tables: {} }, 400, /format/],
        ['POST', 'reset', undefined, 400, /JSON/, '{not json'],
        ['GET', 'history/%zz', undefined, 400, /percent-encoding/],
        ['DELETE', 'faults/%E0%A4%A', undefined, 400, /percent-encoding/],
        ['GET', 'history/a%00b', undefined, 400, /NUL/],
        ['GET', 'audit?action=%00', undefined, 400, /action/],
        ['GET', 'audit?limit=0', undefined, 400, /limit/],
        ['GET', 'audit?colour=red', undefined, 400, /colour/],
        ['GET', 'tasks?limit=5000', undefined, 400, /limit/],
      ];
      for (const [method, path, body, status, message, raw] of cases) {
        const a = await ctl.call(method, path, body, raw ? { raw } : {});
        assert.equal(a.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(a.json)}`);
        assert.match(a.json.error.message, message);
      }
      const world = (await ctl.call('GET', 'export')).json;
      const broken = { ...world, tables: { ...world.tables, vpcs: [{ id: 'vpc-x', nonsense: 1 }] } };
      const refusedImport = await ctl.call('POST', 'import', broken);
      assert.equal(refusedImport.status, 400);
      assert.match(refusedImport.json.error.message, /vpcs/);
      const unknownTable = await ctl.call('POST', 'import', { ...world, tables: { ...world.tables, audit_log: [] } });
      assert.equal(unknownTable.status, 400);
      assert.deepEqual(await snapshot(s), before, 'a refused admin call changes nothing');
    });

    test('reset: one account, then all; accounts and keys keep working', async () => {
      await createVpc(other, '10.2.0.0/16');
      const r = await ctl.call('POST', 'reset', { accountId: other.account.accountId });
      assert.equal(r.status, 200);
      assert.equal((await other.vpc.DescribeVpcs({})).TotalCount, 0);
      assert.ok((await s.vpc.DescribeVpcs({})).TotalCount! >= 1, 'the other account keeps its world');
      assert.equal((await ctl.call('POST', 'reset')).status, 200);
      assert.equal((await s.vpc.DescribeVpcs({})).TotalCount, 0);
      // The keys still sign.
      await createVpc(s, '10.3.0.0/16');
      assert.equal((await s.vpc.DescribeVpcs({})).TotalCount, 1);
    });

    test('snapshots: save, change, restore the old world (a task in flight completes), list, delete', async () => {
      await ctl.call('POST', 'reset');
      const vpcId = await createVpc(s, '10.4.0.0/16');
      const subnetId = await createSubnet(s, vpcId, '10.4.1.0/24');
      const [ins] = await runInstances(s.cvm, { vpcId, subnetId }, 1, 'S5.MEDIUM4');
      const eni = await createEni(s, { vpcId, subnetId });
      // An attach in flight when the world is saved.
      const { RequestId } = await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: ins! });
      const saved = await ctl.call('POST', 'snapshots', { name: 'mid-attach' });
      assert.equal(saved.status, 201);
      await waitTaskSuccess(s.vpc, RequestId!);
      const attachedView = await snapshot(s);
      // Change the world: detach, delete, make another VPC.
      const det = await s.vpc.DetachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: ins! });
      await waitTaskSuccess(s.vpc, det.RequestId!);
      await createVpc(s, '10.5.0.0/16');
      assert.equal((await ctl.call('POST', 'snapshots/mid-attach/restore')).status, 200);
      // The attach was in flight: it is again, then completes, and the world is the attached one.
      const e = await getEni(s.vpc, eni);
      assert.equal(e?.Attachment?.InstanceId, ins);
      await pollUntil(async () => (await getEni(s.vpc, eni))?.State === 'AVAILABLE', { what: 'the restored attach to complete', timeoutMs: 15_000 });
      // The same world, but for the attach time: the attach completed again, later.
      const noAttachTime = (v: Awaited<ReturnType<typeof snapshot>>) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'AttachTime' ? undefined : x)));
      assert.deepEqual(noAttachTime(await snapshot(s)), noAttachTime(attachedView));
      assert.equal((await s.vpc.DescribeVpcTaskResult({ TaskId: RequestId! })).Status, 'SUCCESS');
      const listed = (await ctl.call('GET', 'snapshots')).json.snapshots;
      assert.deepEqual(listed.map((x: { name: string }) => x.name), ['mid-attach']);
      assert.equal((await ctl.call('DELETE', 'snapshots/mid-attach')).status, 200);
      assert.deepEqual((await ctl.call('GET', 'snapshots')).json.snapshots, []);
    });

    test('step by step: a manual operation holds its task until completed or failed here', async () => {
      await ctl.call('POST', 'reset');
      const vpcId = await createVpc(s, '10.8.0.0/16');
      const subnetId = await createSubnet(s, vpcId, '10.8.1.0/24');
      const [ins] = await runInstances(s.cvm, { vpcId, subnetId }, 1, 'S5.LARGE8');
      const [e1, e2] = [await createEni(s, { vpcId, subnetId }), await createEni(s, { vpcId, subnetId })];
      assert.deepEqual((await ctl.call('PUT', 'transitions', { operation: 'eni.attach', mode: 'manual' })).json, { operation: 'eni.attach', mode: 'manual' });
      assert.deepEqual((await ctl.call('GET', 'transitions')).json.transitions, [{ operation: 'eni.attach', mode: 'manual' }]);
      const held = (await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: e1, InstanceId: ins! })).RequestId!;
      // An operation in auto mode, accepted after it with the same latency, ends; the held one does not.
      const other = (await s.vpc.AssignPrivateIpAddresses({ NetworkInterfaceId: e2, SecondaryPrivateIpAddressCount: 1 })).RequestId!;
      await waitTaskSuccess(s.vpc, other);
      assert.equal((await s.vpc.DescribeVpcTaskResult({ TaskId: held })).Status, 'RUNNING');
      assert.equal((await getEni(s.vpc, e1))!.State, 'ATTACHING');
      const running = (await ctl.call('GET', 'tasks?state=RUNNING')).json.tasks;
      assert.deepEqual(running.map((t: { id: string; operation: string; held: boolean }) => [t.id, t.operation, t.held]), [[held, 'eni.attach', true]]);
      assert.equal((await ctl.call('POST', `tasks/${held}/complete`)).status, 200);
      await waitTaskSuccess(s.vpc, held);
      assert.deepEqual([(await getEni(s.vpc, e1))!.State, (await getEni(s.vpc, e1))!.Attachment?.InstanceId], ['AVAILABLE', ins]);
      // Failed from here: the vendor's view shows the code and the attach is rolled back.
      const second = (await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: e2, InstanceId: ins! })).RequestId!;
      assert.equal((await ctl.call('POST', `tasks/${second}/fail`, { code: 'FailedOperation.Held', message: 'refused by the test' })).status, 200);
      await pollUntil(async () => (await s.vpc.DescribeVpcTaskResult({ TaskId: second })).Status === 'FAILED', { what: 'the failed attach', timeoutMs: 15_000 });
      assert.match((await s.vpc.DescribeVpcTaskResult({ TaskId: second })).Output!, /FailedOperation\.Held: refused by the test/);
      assert.deepEqual([(await getEni(s.vpc, e2))!.State, (await getEni(s.vpc, e2))!.Attachment ?? null], ['AVAILABLE', null]);
      // Bad input changes nothing.
      assert.equal((await ctl.call('PUT', 'transitions', { operation: 'eni.teleport', mode: 'manual' })).status, 400);
      assert.equal((await ctl.call('PUT', 'transitions', { operation: 'eni.attach', mode: 'sometimes' })).status, 400);
      assert.equal((await ctl.call('POST', `tasks/${held}/complete`)).status, 404, 'a finished task cannot be released');
      assert.equal((await ctl.call('POST', 'tasks/nope/fail', { code: 'X' })).status, 404);
      assert.equal((await ctl.call('GET', 'tasks?state=LATER')).status, 400);
      await ctl.call('PUT', 'transitions', { operation: 'eni.attach', mode: 'auto' });
      assert.deepEqual((await ctl.call('GET', 'transitions')).json.transitions, []);
    });

    test('the CLI does the same offline on the database; every admin call was audited', async () => {
      const env = { ENIPLANE_DATA_DIR: srv.server.dataDir };
      const db = srv.server.db;
      const saved = await cli(['snapshot', 'save', 'cli-1', '--db', db, '--json'], env);
      const listed = (await cli(['snapshot', 'list', '--db', db, '--json'], env)) as Array<{ name: string; createdAt: string }>;
      assert.deepEqual(listed.find((x) => x.name === 'cli-1'), saved);
      await createVpc(s, '10.6.0.0/16');
      const count = (await s.vpc.DescribeVpcs({})).TotalCount;
      await cli(['snapshot', 'restore', 'cli-1', '--db', db, '--json'], env);
      assert.equal((await s.vpc.DescribeVpcs({})).TotalCount, count! - 1, 'a running server sees the restored world');
      const file = join(srv.server.dataDir, 'world.json');
      const exported = await runCli(['export', '--db', db], { env });
      writeFileSync(file, exported.stdout);
      await cli(['reset', '--db', db, '--json'], env);
      assert.equal((await s.vpc.DescribeVpcs({})).TotalCount, 0);
      await cli(['import', file, '--db', db, '--json'], env);
      assert.equal((await s.vpc.DescribeVpcs({})).TotalCount, count! - 1);
      await cli(['snapshot', 'delete', 'cli-1', '--db', db, '--json'], env);
      const bad = await runCli(['snapshot', 'restore', 'cli-1', '--db', db], { env });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /no snapshot named "cli-1"/);
      const audit = await cli(['audit', '--db', db, '--json'], env);
      const adminCalls = (audit as Array<{ dialect: string; action: string; resultCode: string }>).filter((a) => a.dialect === 'admin');
      for (const action of ['reset', 'saveSnapshot', 'restoreSnapshot', 'deleteSnapshot', 'export', 'import', 'setTransitionMode', 'completeTask', 'failTask']) {
        assert.ok(adminCalls.some((a) => a.action === action), `${action} is audited`);
      }
      assert.ok(adminCalls.some((a) => a.resultCode === 'Unauthorized'), 'refused admin calls are audited too');
    });
  });
}

describe('export from SQLite, import into PostgreSQL', { skip: (await postgresAvailable()) ? false : 'PostgreSQL is not reachable' }, () => {
  test('the same account sees identical Describe answers on the other store', async () => {
    const lite = await serverOn('sqlite', { latency: '20' });
    const big = await serverOn('postgres', { latency: '20' });
    try {
      const s = await session(lite.server);
      const vpcId = await createVpc(s, '10.7.0.0/16');
      const subnetId = await createSubnet(s, vpcId, '10.7.1.0/24');
      const [ins] = await runInstances(s.cvm, { vpcId, subnetId }, 1, 'S5.MEDIUM4');
      await attach(s, await createEni(s, { vpcId, subnetId }, { secondary: 1 }), ins!);
      await s.vpc.CreateSecurityGroupWithPolicies({ GroupName: 'moved', GroupDescription: '', SecurityGroupPolicySet: { Ingress: [{ Protocol: 'TCP', Port: '22', CidrBlock: '10.0.0.0/8', Action: 'ACCEPT' }] } });
      const before = await snapshot(s);
      const world = (await admin(lite.server).call('GET', 'export')).json;
      assert.equal((await admin(big.server).call('POST', 'import', world)).status, 200);
      // The same keys (imported with their account) sign against the other store.
      const moved = await session(big.server, {}, s.account);
      assert.deepEqual(await snapshot(moved), before);
      assert.deepEqual((await admin(big.server).call('GET', 'export')).json, world, 'a round trip gives the same document');
    } finally {
      await lite.stop();
      await big.stop();
    }
  });
});
