// Contract: no secret ever leaves the server or the CLI, except the new secret that `accounts
// create` and `rotate-key` show once by design. A session on all three dialects, with every kind of
// refusal (wrong key, bad signature, replay, unknown key, disabled account, rotated-away key), is then
// searched for every account's secret key (Tencent and JD, the rotated-away ones, the default
// account's) and the master key: in the server's logs, the audit trail, every error the clients
// got, and every other CLI output. Also: the request log is one JSON line per request with
// requestId, dialect, action, account, status and duration, and `--log-level warn` silences it.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, startServer, type RunningServer } from '../../support/server.ts';
import { pollUntil } from '../../support/poll.ts';
import { expectTcError, type TcError, vpcClient } from '../../support/tencent3/client.ts';
import { capiClients, expect2, ok2, type Qc2Body } from '../../support/tencent2/client.ts';
import { rawRequest2, sign2 } from '../../support/tencent2/raw.ts';
import { expectJdError, JD_REGION, jdClients } from '../../support/jdcloud/client.ts';
import { expectRawJdError, prepareJd, rawJd, sendJd } from '../../support/jdcloud/raw.ts';
import { cliRuns, createAccount, errorText, listAccounts, readAudit, rotateKey, setEnabled, type Creds } from './kit.ts';

const MASTER = 'nosecrets-master-key: 7d1f0c2e-do-not-log-me';
const env = { ENIPLANE_MASTER_KEY: MASTER };

/** Secret values a client used but that are no account's (still must never be echoed). */
const WRONG_TC = 'WrongSecretKeyWrongSecretKeyWrong1';
const WRONG_JD = '0123456789ABCDEF0123456789ABCDEF';

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  dialect?: string;
  action?: string;
  account?: string;
  status?: number;
  code?: string;
  ms?: number;
  [k: string]: unknown;
}

/** The server's stdout/stderr split into JSON log lines; anything else must be one of the two known plain lines. */
function logLines(server: RunningServer): LogLine[] {
  const out: LogLine[] = [];
  for (const line of server.logs().split('\n')) {
    if (line.trim() === '' || /^eniplane listening on http:\/\/127\.0\.0\.1:\d+$/.test(line) || /^eniplane: created a default Tencent account; /.test(line)) continue;
    if (/^--- \[test harness\] restart/.test(line)) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      assert.fail(`a log line that is not JSON: ${line}`);
    }
    assert.ok(v && typeof v === 'object' && !Array.isArray(v), `a log line is one JSON object: ${line}`);
    out.push(v as LogLine);
  }
  return out;
}

const requestLines = (server: RunningServer) => logLines(server).filter((l) => l.msg === 'request');

describe('no secret reaches logs, errors, the audit trail or the CLI', () => {
  let server: RunningServer;
  let a: Creds; // Tencent, used throughout
  let b: Creds; // Tencent, disabled
  let c: Creds; // Tencent, rotated
  let cNew: Creds;
  let j: Creds; // JD, used throughout
  let jOld: Creds; // JD, rotated away
  let jOff: Creds; // JD, disabled
  const clientErrors: string[] = [];
  /** RequestIds the clients saw, with what the request log must say about them. */
  const seen: Array<{ requestId: string; dialect: string; action: string; account?: string; status: number; code: string }> = [];

  before(async () => {
    server = await startServer({ rateLimit: 'off', env });
    [a, b, c, j, jOld, jOff] = await Promise.all([
      createAccount(server.db, 'tencent', env),
      createAccount(server.db, 'tencent', env),
      createAccount(server.db, 'tencent', env),
      createAccount(server.db, 'jdcloud', env),
      createAccount(server.db, 'jdcloud', env),
      createAccount(server.db, 'jdcloud', env),
    ]);
  });

  after(async () => {
    await server?.stop();
  });

  const tcErr = async (p: Promise<unknown>, code: string): Promise<TcError> => {
    let caught: unknown;
    const e = await expectTcError(
      p.catch((x: unknown) => {
        caught = x;
        throw x;
      }),
      code,
    );
    clientErrors.push(errorText(caught));
    return e;
  };
  const body2 = (b: Qc2Body) => {
    clientErrors.push(JSON.stringify(b));
    return b;
  };

  test('a session on all three dialects with every kind of refusal', async () => {
    const port = server.port;
    const host = `127.0.0.1:${port}`;
    const tcA = vpcClient(port, { secretId: a.keyId, secretKey: a.secretKey });

    // ---- Tencent API 3.0 ----
    const v = await tcA.CreateVpc({ VpcName: 'ns-vpc', CidrBlock: '10.20.0.0/16' });
    seen.push({ requestId: v.RequestId!, dialect: 'tencent3', action: 'CreateVpc', account: a.accountId, status: 200, code: 'Success' });
    const d = await tcA.DescribeVpcs({});
    seen.push({ requestId: d.RequestId!, dialect: 'tencent3', action: 'DescribeVpcs', account: a.accountId, status: 200, code: 'Success' });
    // A refused call (domain rule): a subnet outside its VPC.
    const outside = await tcErr(
      tcA.CreateSubnet({ VpcId: v.Vpc!.VpcId!, SubnetName: 'outside', CidrBlock: '10.99.0.0/24', Zone: 'ap-guangzhou-3' }),
      'InvalidParameterValue.SubnetRange',
    );
    seen.push({ requestId: outside.requestId!, dialect: 'tencent3', action: 'CreateSubnet', account: a.accountId, status: 200, code: 'InvalidParameterValue.SubnetRange' });
    // Wrong key (right SecretId, wrong SecretKey), in TC3 and in the v1 form.
    for (const mode of ['tc3-post', 'hmac-sha256'] as const) {
      const e = await tcErr(vpcClient(port, { secretId: a.keyId, secretKey: WRONG_TC }, { mode }).CreateVpc({ VpcName: 'x', CidrBlock: '10.21.0.0/16' }), 'AuthFailure.SignatureFailure');
      seen.push({ requestId: e.requestId!, dialect: 'tencent3', action: 'CreateVpc', status: 200, code: 'AuthFailure.SignatureFailure' });
    }
    // Unknown key.
    const unknown = await tcErr(vpcClient(port, { secretId: 'AKIDunknownunknownunknownunknown1234', secretKey: a.secretKey }).DescribeVpcs({}), 'AuthFailure.SecretIdNotFound');
    seen.push({ requestId: unknown.requestId!, dialect: 'tencent3', action: 'DescribeVpcs', status: 200, code: 'AuthFailure.SecretIdNotFound' });
    // Disabled account.
    await setEnabled(server.db, b.accountId, false, env);
    await tcErr(vpcClient(port, { secretId: b.keyId, secretKey: b.secretKey }).CreateVpc({ VpcName: 'off', CidrBlock: '10.22.0.0/16' }), 'AuthFailure.SecretIdNotFound');
    // Rotated-away key.
    cNew = await rotateKey(server.db, c, env);
    await tcErr(vpcClient(port, { secretId: c.keyId, secretKey: c.secretKey }).DescribeVpcs({}), 'AuthFailure.SecretIdNotFound');
    assert.equal(typeof (await vpcClient(port, { secretId: cNew.keyId, secretKey: cNew.secretKey }).DescribeVpcs({})).TotalCount, 'number');

    // ---- Tencent API 2.0 ----
    const c2 = capiClients(port, { secretId: a.keyId, secretKey: a.secretKey });
    ok2(await c2.vpc({ Action: 'DescribeVpcEx' }));
    expect2(body2(await capiClients(port, { secretId: a.keyId, secretKey: WRONG_TC }).vpc({ Action: 'CreateVpc', vpcName: 'w', cidrBlock: '10.23.0.0/16' })), 4100, 'InvalidParameter.SignatureFailure');
    expect2(body2(await capiClients(port, { secretId: 'AKIDunknownunknownunknownunknown1234', secretKey: a.secretKey }).vpc({ Action: 'DescribeVpcEx' })), 4104, 'InvalidParameter.SecretIdNotFound');
    expect2(body2(await capiClients(port, { secretId: b.keyId, secretKey: b.secretKey }).vpc({ Action: 'DescribeVpcEx' })), 4104, 'InvalidParameter.SecretIdNotFound');
    expect2(body2(await capiClients(port, { secretId: c.keyId, secretKey: c.secretKey }).vpc({ Action: 'DescribeVpcEx' })), 4104, 'InvalidParameter.SecretIdNotFound');
    // A bad signature (the body changed after signing) and a replay.
    const signed = sign2({ secretId: a.keyId, secretKey: a.secretKey }, { Action: 'CreateVpc', vpcName: 'signed', cidrBlock: '10.24.0.0/16' }, { host });
    expect2(body2((await rawRequest2(port, { ...signed, encoded: signed.encoded.replace('vpcName=signed', 'vpcName=tampered') })).body), 4100, 'InvalidParameter.SignatureFailure');
    ok2((await rawRequest2(port, signed)).body, 'the signed request once');
    expect2(body2((await rawRequest2(port, signed)).body), 4500, 'InvalidRequest.ReplayAttack');

    // ---- JD Cloud ----
    const jc = jdClients(port, { accessKey: j.keyId, secretKey: j.secretKey });
    const jv = await jc.vpc.createVpc({ vpcName: 'ns-jd', addressPrefix: '10.30.0.0/16' });
    seen.push({ requestId: jv.requestId, dialect: 'jdcloud', action: 'createVpc', account: j.accountId, status: 200, code: '200' });
    const jdErr = async (p: Promise<unknown>, http: number, status: string, message?: string) => {
      let caught: unknown;
      const e = await expectJdError(
        p.catch((x: unknown) => {
          caught = x;
          throw x;
        }),
        http,
        status,
        message,
      );
      clientErrors.push(errorText(caught));
      return e;
    };
    const wrong = await jdErr(jdClients(port, { accessKey: j.keyId, secretKey: WRONG_JD }).vpc.createVpc({ vpcName: 'w', addressPrefix: '10.31.0.0/16' }), 401, 'ACCESS_ERROR', 'sign result is not same [gw]');
    seen.push({ requestId: wrong.requestId, dialect: 'jdcloud', action: 'createVpc', status: 401, code: '401' });
    await jdErr(jdClients(port, { accessKey: WRONG_JD, secretKey: j.secretKey }).vpc.describeVpcs({ pageNumber: 1, pageSize: 10 }), 401, 'ACCESS_ERROR', 'Invalid access key');
    const notFound = await jdErr(jc.vpc.describeVpc({ vpcId: 'vpc-zzzzzzzzzz' }), 404, 'NOT_FOUND');
    seen.push({ requestId: notFound.requestId, dialect: 'jdcloud', action: 'describeVpc', account: j.accountId, status: 404, code: '404' });
    await setEnabled(server.db, jOff.accountId, false, env);
    await jdErr(jdClients(port, { accessKey: jOff.keyId, secretKey: jOff.secretKey }).vpc.describeVpcs({ pageNumber: 1, pageSize: 10 }), 401, 'ACCESS_ERROR', 'Invalid access key');
    const jNew = await rotateKey(server.db, jOld, env);
    await jdErr(jdClients(port, { accessKey: jOld.keyId, secretKey: jOld.secretKey }).vpc.describeVpcs({ pageNumber: 1, pageSize: 10 }), 401, 'ACCESS_ERROR', 'Invalid access key');
    assert.equal(typeof (await jdClients(port, { accessKey: jNew.keyId, secretKey: jNew.secretKey }).vpc.describeVpcs({ pageNumber: 1, pageSize: 10 })).result.totalCount, 'number');
    // Tampered body and a replayed nonce, by hand.
    const body = JSON.stringify({ vpcName: 'raw1', addressPrefix: '10.32.0.0/16' });
    const tampered = await rawJd(port, { accessKey: j.keyId, secretKey: j.secretKey }, { method: 'POST', path: `/v1/regions/${JD_REGION}/vpcs/`, body, sendBody: body.replace('raw1', 'raw2'), service: 'vpc' });
    clientErrors.push(tampered.text);
    await expectRawJdError(tampered, 401, 'ACCESS_ERROR', 'sign result is not same [gw]');
    const once = prepareJd(port, { accessKey: j.keyId, secretKey: j.secretKey }, { method: 'POST', path: `/v1/regions/${JD_REGION}/vpcs/`, body, service: 'vpc' });
    assert.equal((await sendJd(once)).status, 200);
    const replayed = await sendJd(once);
    clientErrors.push(replayed.text);
    await expectRawJdError(replayed, 401, 'ACCESS_ERROR', 'Nonce already used: the request is a replay');
    // And a JD key on the Tencent dialect: unknown there.
    await tcErr(vpcClient(port, { secretId: j.keyId, secretKey: j.secretKey }).DescribeVpcs({}), 'AuthFailure.SecretIdNotFound');
    assert.ok(clientErrors.length >= 15, `errors collected: ${clientErrors.length}`);
  });

  test('no secret in the logs, the audit trail, client errors or CLI output', async () => {
    assert.ok(cNew, 'needs the session of the previous test');
    await listAccounts(server.db, env);
    const { result: auditRun, rows } = await readAudit(server.db, [], env);
    // 3.0: CreateVpc, a refused CreateSubnet, CreateVpc with a wrong key (TC3, v1), with a disabled one;
    // 2.0: CreateVpc with a wrong key, tampered, once, replayed; JD: createVpc ok, wrong key, tampered, once, replayed.
    assert.equal(rows.length, 14, `the session's mutating calls were audited: ${JSON.stringify(rows, null, 1)}`);
    // Text form of the audit and the account list as well.
    for (const args of [['audit', '--db', server.db], ['accounts', 'list', '--db', server.db]]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 0);
      cliRuns.push({ args, result: r });
    }

    const defaultAccount = JSON.parse(readFileSync(join(server.dataDir, 'credentials.json'), 'utf8')) as { secretKey: string };
    const secrets: Array<[string, string]> = [
      ['tencent a', a.secretKey],
      ['tencent b (disabled)', b.secretKey],
      ['tencent c (rotated away)', c.secretKey],
      ['tencent c (rotated in)', cNew.secretKey],
      ['jd j', j.secretKey],
      ['jd (rotated away)', jOld.secretKey],
      ['jd (disabled)', jOff.secretKey],
      ['default account', defaultAccount.secretKey],
      ['master key', MASTER],
      ['wrong tencent key a client used', WRONG_TC],
      ['wrong JD key a client used', WRONG_JD],
    ];
    for (const [what, s] of secrets) assert.ok(s.length >= 16, `${what}: a real secret`);

    const shown = cliRuns.filter((r) => r.args[0] === 'accounts' && (r.args[1] === 'create' || r.args[1] === 'rotate-key'));
    const others = cliRuns.filter((r) => !shown.includes(r));
    assert.ok(others.some((r) => r.args[0] === 'audit') && others.some((r) => r.args[1] === 'list') && others.some((r) => r.args[1] === 'disable'));
    // The search works: create/rotate-key show the new secret (once, by design).
    assert.ok(shown.some((r) => r.result.stdout.includes(a.secretKey)), 'accounts create shows the secret it made');
    assert.ok(shown.some((r) => r.result.stdout.includes(cNew.secretKey)), 'rotate-key shows the new secret');

    const haystacks: Array<[string, string]> = [
      ['server logs', server.logs()],
      ['audit --json', auditRun.stdout + auditRun.stderr],
      ['audit trail (parsed)', JSON.stringify(rows)],
      ...clientErrors.map((e, i): [string, string] => [`client error #${i}`, e]),
      ...others.map((r): [string, string] => [`eniplane ${r.args.join(' ')}`, r.result.stdout + r.result.stderr]),
    ];
    for (const [where, text] of haystacks) {
      for (const [what, s] of secrets) assert.ok(!text.includes(s), `${where} contains the ${what} secret:\n${text.slice(0, 2000)}`);
      assert.doesNotMatch(text, /"secretKey"|secret_key/i, `${where} names a secret key field`);
    }
    // The refused calls are in the trail with the key id they presented (never the secret).
    const trail = JSON.stringify(rows, null, 1);
    const count = (f: (r: (typeof rows)[number]) => boolean) => rows.filter(f).length;
    assert.equal(count((r) => r.keyId === a.keyId && r.resultCode === 'AuthFailure.SignatureFailure' && r.accountId === null), 2, trail);
    assert.equal(count((r) => r.keyId === j.keyId && r.resultCode === '401' && r.accountId === null), 3, trail);
    assert.equal(count((r) => r.keyId === b.keyId && r.resultCode === 'AuthFailure.SecretIdNotFound' && r.accountId === null), 1, trail);
    assert.equal(count((r) => r.dialect === 'tencent2' && r.resultCode === 'InvalidRequest.ReplayAttack' && r.accountId === null), 1, trail);
  });

  test('one JSON request line per request: requestId, dialect, action, account, status, ms', async () => {
    assert.ok(seen.length > 0, 'needs the session of the first test');
    const lines = requestLines(server);
    for (const l of lines) {
      assert.equal(l.level, 30, `request lines are info: ${JSON.stringify(l)}`);
      assert.equal(typeof l.requestId, 'string', JSON.stringify(l));
      assert.ok(['tencent3', 'tencent2', 'jdcloud'].includes(l.dialect!), JSON.stringify(l));
      assert.equal(typeof l.status, 'number', JSON.stringify(l));
      assert.ok(Number.isInteger(l.ms) && l.ms! >= 0, `ms: ${JSON.stringify(l)}`);
      assert.equal(typeof l.code, 'string', JSON.stringify(l));
    }
    const ids = lines.map((l) => l.requestId);
    assert.equal(new Set(ids).size, ids.length, 'one line per request');
    for (const s of seen) {
      const mine = lines.filter((l) => l.requestId === s.requestId);
      assert.equal(mine.length, 1, `exactly one request line for ${s.requestId} (${s.dialect} ${s.action})`);
      const l = mine[0]!;
      assert.deepEqual(
        { dialect: l.dialect, action: l.action, account: l.account, status: l.status, code: l.code },
        { dialect: s.dialect, action: s.action, account: s.account, status: s.status, code: s.code },
        `request line of ${s.requestId}: ${JSON.stringify(l)}`,
      );
    }
    // A fixed burst: exactly one new line per request.
    const before = requestLines(server).length;
    const tcA = vpcClient(server.port, { secretId: a.keyId, secretKey: a.secretKey });
    const rids: string[] = [];
    for (let i = 0; i < 5; i++) rids.push((await tcA.DescribeVpcs({})).RequestId!);
    // The server writes the line before the answer, but stdout reaches us asynchronously.
    const burst = await pollUntil(async () => {
      const now = requestLines(server);
      return now.length >= before + 5 ? now.slice(before) : false;
    }, { what: '5 new request lines', timeoutMs: 5000 });
    assert.deepEqual(burst.map((l) => l.requestId), rids);
    assert.ok(burst.every((l) => l.account === a.accountId && l.action === 'DescribeVpcs' && l.dialect === 'tencent3' && l.status === 200));
  });
});

describe('--log-level warn', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ rateLimit: 'off', extraArgs: ['--log-level', 'warn'] });
  });
  after(async () => {
    await server?.stop();
  });

  test('suppresses the request lines but keeps warnings', async () => {
    const acct = await server.createAccount();
    const tc = vpcClient(server.port, { secretId: acct.secretId, secretKey: acct.secretKey });
    await tc.CreateVpc({ VpcName: 'quiet', CidrBlock: '10.40.0.0/16' });
    await tc.DescribeVpcs({});
    await expectTcError(vpcClient(server.port, { secretId: acct.secretId, secretKey: WRONG_TC }).DescribeVpcs({}), 'AuthFailure.SignatureFailure');
    const jd = await createAccount(server.db, 'jdcloud');
    await jdClients(server.port, { accessKey: jd.keyId, secretKey: jd.secretKey }).vpc.describeVpcs({ pageNumber: 1, pageSize: 10 });
    // The calls were served (and the mutating one audited) ...
    const { rows } = await readAudit(server.db);
    assert.deepEqual(rows.map((r) => [r.action, r.resultCode]), [['CreateVpc', 'Success']]);
    // ... but nothing below warn was logged.
    const lines = logLines(server);
    assert.deepEqual(lines.filter((l) => l.msg === 'request'), [], 'no request lines at --log-level warn');
    assert.ok(lines.every((l) => l.level >= 40), `only warn and above: ${JSON.stringify(lines)}`);
    assert.ok(lines.some((l) => l.level === 40 && /ENIPLANE_MASTER_KEY is not set/.test(l.msg)), 'the master-key warning is still logged');
    assert.ok(!server.logs().includes(acct.secretKey) && !server.logs().includes(jd.secretKey));
  });
});
