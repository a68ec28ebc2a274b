// Contract: every mutating call — accepted or refused, on any dialect — leaves one audit entry with
// time, account, key id (never the secret), source address, dialect, action, the resource ids the
// request and answer named, the result code, HTTP status and the request id the CLIENT saw; reads
// leave none. `eniplane audit --json` (with --account and --since) shows the trail, on both stores,
// and it is identical after a restart.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type AccountInfo, type RunningServer } from '../../support/server.ts';
import { freshDb, skipUnless, STORE_KINDS } from '../../support/stores.ts';
import { cvmClient, expectTcError, vpcClient, ZONE } from '../../support/tencent3/client.ts';
import { waitEniReady, waitInstances, waitTaskSuccess } from '../../support/tencent3/waits.ts';
import { capiClients, replayRetryCount, taskIdOf } from '../../support/tencent2/client.ts';
import { waitTask2 } from '../../support/tencent2/waits.ts';
import { createJdAccount, type JdAccount, jdClients } from '../../support/jdcloud/client.ts';
import { readAudit, type AuditRow } from './kit.ts';

const LOOPBACK = ['127.0.0.1', '::ffff:127.0.0.1'];

/** What one entry must hold (everything but seq, at and source, checked separately). */
interface Expected {
  accountId: string | null;
  keyId: string;
  dialect: string;
  action: string;
  resourceIds: string[];
  resultCode: string;
  httpStatus: number;
  /** The id the client saw; undefined when the dialect shows none (API 2.0). */
  requestId?: string;
}

for (const kind of STORE_KINDS) {
  describe(`audit trail on ${kind}`, async () => {
    const skip = await skipUnless(kind);
    let server: RunningServer;
    let cleanup = async () => {};
    let a: AccountInfo;
    let jd: JdAccount;
    const expected: Expected[] = [];
    let t0 = 0;
    let t1 = 0;
    let trail: AuditRow[] = [];

    before(async () => {
      if (skip) return;
      const fresh = await freshDb(kind);
      cleanup = fresh.cleanup;
      server = await startServer({ db: fresh.db, rateLimit: 'off', latency: '30' });
      [a, jd] = await Promise.all([server.createAccount(), createJdAccount(server)]);
    });

    after(async () => {
      await server?.stop().catch(() => server.kill9());
      await cleanup();
    });

    test('a scripted session is audited field by field', { skip }, async () => {
      const creds = { secretId: a.secretId, secretKey: a.secretKey };
      const vpc = vpcClient(server.port, creds);
      const cvm = cvmClient(server.port, creds);
      const tc3 = (action: string, resourceIds: string[], requestId: string, resultCode = 'Success'): Expected => ({
        accountId: a.accountId,
        keyId: a.secretId,
        dialect: 'tencent3',
        action,
        resourceIds: [...resourceIds].sort(),
        resultCode,
        httpStatus: 200,
        requestId,
      });
      t0 = Date.now();

      const cv = await vpc.CreateVpc({ VpcName: 'audit-vpc', CidrBlock: '10.7.0.0/16' });
      const vpcId = cv.Vpc!.VpcId!;
      expected.push(tc3('CreateVpc', [vpcId], cv.RequestId!));

      const cs = await vpc.CreateSubnet({ VpcId: vpcId, SubnetName: 'audit-sn', CidrBlock: '10.7.1.0/24', Zone: ZONE });
      const subnetId = cs.Subnet!.SubnetId!;
      // The answer names the subnet's route table too.
      expected.push(tc3('CreateSubnet', [vpcId, subnetId, cs.Subnet!.RouteTableId!], cs.RequestId!));

      const run = {
        Placement: { Zone: ZONE },
        InstanceType: 'S5.MEDIUM4',
        InstanceCount: 1,
        InstanceName: 'audit-',
        VirtualPrivateCloud: { VpcId: vpcId, SubnetId: subnetId },
        ClientToken: `audit-${kind}-${Date.now()}`,
      };
      const ri = await cvm.RunInstances(run);
      const insId = ri.InstanceIdSet![0]!;
      expected.push(tc3('RunInstances', [vpcId, subnetId, insId], ri.RequestId!));
      await waitInstances(cvm, [insId], 'RUNNING');
      // The same ClientToken again: the first answer, RequestId included, and that is what is audited.
      const replay = await cvm.RunInstances(run);
      assert.deepEqual({ ids: replay.InstanceIdSet, rid: replay.RequestId }, { ids: ri.InstanceIdSet, rid: ri.RequestId });
      expected.push(tc3('RunInstances', [vpcId, subnetId, insId], ri.RequestId!));

      const ce = await vpc.CreateNetworkInterface({ VpcId: vpcId, SubnetId: subnetId, NetworkInterfaceName: 'audit-eni' });
      const eniId = ce.NetworkInterface!.NetworkInterfaceId!;
      expected.push(tc3('CreateNetworkInterface', [vpcId, subnetId, eniId], ce.RequestId!));
      await waitEniReady(vpc, eniId);

      const at = await vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: insId });
      expected.push(tc3('AttachNetworkInterface', [eniId, insId], at.RequestId!));
      await waitTaskSuccess(vpc, at.RequestId!);

      // A read: never audited (DescribeVpcTaskResult above neither).
      const onIns = await vpc.DescribeNetworkInterfaces({ Filters: [{ Name: 'attachment.instance-id', Values: [insId] }] });
      const primaryId = onIns.NetworkInterfaceSet!.find((e) => e.Primary)!.NetworkInterfaceId!;

      // A refused mutating call: audited with the Tencent code.
      const refused = await expectTcError(vpc.AttachNetworkInterface({ NetworkInterfaceId: primaryId, InstanceId: insId }), 'UnsupportedOperation');
      expected.push(tc3('AttachNetworkInterface', [primaryId, insId], refused.requestId!, 'UnsupportedOperation'));

      // API 2.0 (qcloudapi-sdk): detach and attach again; 2.0 answers show no request id.
      const retriesBefore = replayRetryCount();
      const c2 = capiClients(server.port, creds);
      const d2 = await c2.vpc({ Action: 'DetachNetworkInterface', vpcId, networkInterfaceId: eniId, instanceId: insId });
      assert.deepEqual(await waitTask2(c2.vpc, taskIdOf(d2, '2.0 detach')), { status: 0 });
      expected.push({ ...tc3('DetachNetworkInterface', [vpcId, eniId, insId], ''), dialect: 'tencent2', requestId: undefined });
      const a2 = await c2.vpc({ Action: 'AttachNetworkInterface', vpcId, networkInterfaceId: eniId, instanceId: insId });
      assert.deepEqual(await waitTask2(c2.vpc, taskIdOf(a2, '2.0 attach')), { status: 0 });
      expected.push({ ...tc3('AttachNetworkInterface', [vpcId, eniId, insId], ''), dialect: 'tencent2', requestId: undefined });
      const replayRetries = replayRetryCount() - retriesBefore;

      // JD Cloud (jdcloud-sdk-js): the 32-character requestId the client saw.
      const jv = await jdClients(server.port, jd).vpc.createVpc({ vpcName: 'audit-jd', addressPrefix: '10.8.0.0/16' });
      assert.match(jv.requestId, /^[0-9a-z]{32}$/);
      expected.push({
        accountId: jd.accountId,
        keyId: jd.accessKey,
        dialect: 'jdcloud',
        action: 'createVpc',
        resourceIds: [jv.result.vpcId],
        resultCode: '200',
        httpStatus: 200,
        requestId: jv.requestId,
      });

      // A bad signature on a mutating action: audited with the key id presented and no account.
      const forged = await expectTcError(
        vpcClient(server.port, { secretId: a.secretId, secretKey: 'not-the-secret-key-of-this-account' }).CreateVpc({ VpcName: 'forged', CidrBlock: '10.9.0.0/16' }),
        'AuthFailure.SignatureFailure',
      );
      expected.push({ ...tc3('CreateVpc', [], forged.requestId!, 'AuthFailure.SignatureFailure'), accountId: null });
      t1 = Date.now();

      ({ rows: trail } = await readAudit(server.db));
      // A Nonce collision in the 2.0 SDK wrapper (resent once) leaves a refused entry of its own.
      const collisions = trail.filter((r) => r.dialect === 'tencent2' && r.resultCode === 'InvalidRequest.ReplayAttack');
      assert.equal(collisions.length, replayRetries, 'only the wrapper\'s resends are refused as replays');
      const rows = trail.filter((r) => !collisions.includes(r));

      const show = () => JSON.stringify(trail, null, 1);
      assert.equal(rows.length, expected.length, `one entry per mutating call, none for reads:\n${show()}`);
      assert.ok(!trail.some((r) => r.action.startsWith('Describe')), `reads are not audited:\n${show()}`);
      const seqs = trail.map((r) => r.seq);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'entries come in order');
      let prevAt = t0;
      for (const [i, row] of rows.entries()) {
        const want = expected[i]!;
        const where = `entry ${i} (${want.dialect} ${want.action}): ${JSON.stringify(row)}`;
        assert.deepEqual(
          Object.keys(row).sort(),
          ['accountId', 'action', 'at', 'dialect', 'httpStatus', 'keyId', 'requestId', 'resourceIds', 'resultCode', 'seq', 'source'],
          where,
        );
        assert.equal(typeof row.at, 'number', where);
        assert.ok(row.at >= prevAt && row.at <= t1, `at within the session, in order: ${where}`);
        prevAt = row.at;
        assert.ok(LOOPBACK.includes(row.source), `source: ${where}`);
        assert.equal(row.accountId, want.accountId, `accountId: ${where}`);
        assert.equal(row.keyId, want.keyId, `keyId: ${where}`);
        assert.equal(row.dialect, want.dialect, `dialect: ${where}`);
        assert.equal(row.action, want.action, `action: ${where}`);
        assert.deepEqual(row.resourceIds, want.resourceIds, `resourceIds: ${where}`);
        assert.equal(row.resultCode, want.resultCode, `resultCode: ${where}`);
        assert.equal(row.httpStatus, want.httpStatus, `httpStatus: ${where}`);
        if (want.requestId !== undefined) assert.equal(row.requestId, want.requestId, `requestId is the one the client saw: ${where}`);
        else assert.match(row.requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, `requestId: ${where}`);
      }
      // Unique, but for the ClientToken replay, which the client saw answered with the first RequestId.
      assert.equal(new Set(rows.map((r) => r.requestId)).size, rows.length - 1, 'request ids are unique but for the replay');
      // Never a secret.
      const text = JSON.stringify(trail);
      for (const s of [a.secretKey, jd.secretKey, 'not-the-secret-key-of-this-account']) assert.ok(!text.includes(s), 'a secret reached the audit trail');
    });

    test('--account and --since filter the trail', { skip }, async () => {
      assert.ok(trail.length > 0, 'needs the session of the previous test');
      const pivot = trail[Math.floor(trail.length / 2)]!.at;
      const want = trail.filter((r) => r.at >= pivot);
      assert.ok(want.length > 0 && want.length < trail.length, 'the pivot splits the trail');
      // Independent reads: run the CLI in parallel.
      const [onlyA, onlyJd, sinceMs, sinceIso, future] = (
        await Promise.all([
          readAudit(server.db, ['--account', a.accountId]),
          // Both filters at once.
          readAudit(server.db, ['--since', String(t0 - 1), '--account', jd.accountId]),
          // --since as epoch milliseconds and as ISO 8601: entries at or after that instant.
          readAudit(server.db, ['--since', String(pivot)]),
          readAudit(server.db, ['--since', new Date(pivot).toISOString()]),
          readAudit(server.db, ['--since', String(t1 + 60_000), '--account', a.accountId]),
        ])
      ).map((r) => r.rows);
      assert.deepEqual(onlyA, trail.filter((r) => r.accountId === a.accountId));
      assert.ok(onlyA!.filter((r) => r.dialect === 'tencent2').length >= 2);
      assert.ok(!onlyA!.some((r) => r.accountId === null), 'the forged call belongs to no account');
      assert.deepEqual(onlyJd, trail.filter((r) => r.accountId === jd.accountId));
      assert.deepEqual(onlyJd!.map((r) => [r.dialect, r.action]), [['jdcloud', 'createVpc']]);
      assert.deepEqual(sinceMs, want);
      assert.deepEqual(sinceIso, want);
      assert.deepEqual(future, []);
    });

    test('the trail survives a restart unchanged and keeps growing after it', { skip }, async () => {
      assert.ok(trail.length > 0, 'needs the session of the first test');
      await server.restart();
      const { rows } = await readAudit(server.db);
      assert.deepEqual(rows, trail, 'the same entries after a restart');
      const r = await vpcClient(server.port, { secretId: a.secretId, secretKey: a.secretKey }).CreateVpc({ VpcName: 'after', CidrBlock: '10.10.0.0/16' });
      const again = (await readAudit(server.db)).rows;
      assert.deepEqual(again.slice(0, trail.length), trail);
      assert.equal(again.length, trail.length + 1);
      const last = again.at(-1)!;
      assert.ok(last.seq > trail.at(-1)!.seq);
      assert.deepEqual(
        { action: last.action, requestId: last.requestId, accountId: last.accountId, resultCode: last.resultCode, resourceIds: last.resourceIds },
        { action: 'CreateVpc', requestId: r.RequestId, accountId: a.accountId, resultCode: 'Success', resourceIds: [r.Vpc!.VpcId!] },
      );
    });
  });
}
