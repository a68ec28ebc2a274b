// Contract: API keys are looked up on every request, so `accounts disable`, `enable` and
// `rotate-key` take effect on the very next request on EVERY node of a cell (two nodes on one
// PostgreSQL database, no restart, no waiting); `accounts list` shows key ids and statuses and never
// a secret. Secret keys are sealed `enc:v1:` at rest when ENIPLANE_MASTER_KEY is set; a node without
// the key (or with another one) refuses such keys with an error and a log line saying why, and a
// node without any master key warns about it once at start.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { runCli, startServer, type RunningServer } from '../../support/server.ts';
import { freshDb, skipUnless } from '../../support/stores.ts';
import { expectTcError, vpcClient } from '../../support/tencent3/client.ts';
import { capiClients, expect2, ok2 } from '../../support/tencent2/client.ts';
import { expectJdError, jdClients } from '../../support/jdcloud/client.ts';
import { createAccount, describeRun, listAccounts, rotateKey, setEnabled, type Creds } from './kit.ts';
import { pollUntil } from '../../support/poll.ts';

const tc = (port: number, c: Creds) => vpcClient(port, { secretId: c.keyId, secretKey: c.secretKey });
const jd = (port: number, c: Creds) => jdClients(port, { accessKey: c.keyId, secretKey: c.secretKey });

/** A read that needs a valid key: resolves with the VPC count, or rejects with the SDK's error. */
const tcCall = async (port: number, c: Creds) => (await tc(port, c).DescribeVpcs({})).TotalCount;
const jdCall = async (port: number, c: Creds) => (await jd(port, c).vpc.describeVpcs({ pageNumber: 1, pageSize: 10 })).result.totalCount;

async function worksEverywhere(nodes: RunningServer[], t: Creds, j: Creds, what: string): Promise<void> {
  for (const [i, n] of nodes.entries()) {
    assert.equal(typeof (await tcCall(n.port, t)), 'number', `${what}: Tencent key on node ${i}`);
    assert.equal(typeof (await jdCall(n.port, j)), 'number', `${what}: JD key on node ${i}`);
  }
}

async function refusedEverywhere(nodes: RunningServer[], t: Creds, j: Creds): Promise<void> {
  for (const n of nodes) {
    await expectTcError(tcCall(n.port, t), 'AuthFailure.SecretIdNotFound');
    await expectJdError(jdCall(n.port, j), 401, 'ACCESS_ERROR', 'Invalid access key');
  }
}

describe('two nodes on one PostgreSQL database', async () => {
  const skip = await skipUnless('postgres');
  let db = '';
  let cleanup = async () => {};
  const nodes: RunningServer[] = [];

  before(async () => {
    if (skip) return;
    ({ db, cleanup } = await freshDb('postgres'));
    // One after the other: the first migrates the schema and creates the default account.
    nodes.push(await startServer({ db, rateLimit: 'off' }));
    nodes.push(await startServer({ db, rateLimit: 'off' }));
  });

  after(async () => {
    for (const n of nodes) await n.stop().catch(() => n.kill9());
    await cleanup();
  });

  test('disable, enable and rotate-key take effect on the next request of every node', { skip }, async () => {
    const [t, j, other] = await Promise.all([createAccount(db, 'tencent'), createAccount(db, 'jdcloud'), createAccount(db, 'tencent')]);
    await worksEverywhere(nodes, t, j, 'a new key');

    // disable: the first request after the CLI returns is refused on both nodes.
    await Promise.all([setEnabled(db, t.accountId, false), setEnabled(db, j.accountId, false)]);
    await refusedEverywhere(nodes, t, j);
    // ... through API 2.0 as well, and another account is untouched.
    const c2 = capiClients(nodes[1]!.port, { secretId: t.keyId, secretKey: t.secretKey });
    expect2(await c2.vpc({ Action: 'DescribeVpcEx' }), 4104, 'InvalidParameter.SecretIdNotFound', '2.0 with a disabled account');
    assert.equal(typeof (await tcCall(nodes[0]!.port, other)), 'number');
    {
      const { list } = await listAccounts(db);
      assert.equal(list.find((a) => a.accountId === t.accountId)?.status, 'disabled');
      assert.equal(list.find((a) => a.accountId === j.accountId)?.status, 'disabled');
      assert.equal(list.find((a) => a.accountId === other.accountId)?.status, 'enabled');
    }

    // enable: accepted again at once, everywhere.
    await Promise.all([setEnabled(db, t.accountId, true), setEnabled(db, j.accountId, true)]);
    await worksEverywhere(nodes, t, j, 'after enable');
    ok2(await c2.vpc({ Action: 'DescribeVpcEx' }), '2.0 after enable');

    // rotate-key: the old key is refused on both nodes at once, the new one accepted on both.
    const [t2, j2] = await Promise.all([rotateKey(db, t), rotateKey(db, j)]);
    assert.match(t2.keyId, /^AKID[A-Za-z0-9]{32}$/);
    assert.match(j2.keyId, /^[0-9A-F]{32}$/);
    await refusedEverywhere(nodes, t, j);
    await worksEverywhere(nodes, t2, j2, 'the rotated-in key');
    // A second rotation retires the second key too.
    const t3 = await rotateKey(db, t2);
    for (const n of nodes) {
      await expectTcError(tcCall(n.port, t2), 'AuthFailure.SecretIdNotFound');
      await expectTcError(tcCall(n.port, t), 'AuthFailure.SecretIdNotFound');
      assert.equal(typeof (await tcCall(n.port, t3)), 'number');
    }

    // accounts list --json: key ids and statuses, never a secret.
    const [{ list, result }, text] = await Promise.all([listAccounts(db), runCli(['accounts', 'list', '--db', db])]);
    const byId = new Map(list.map((a) => [a.accountId, a]));
    const keysOf = (id: string) => byId.get(id)?.keys.map((k) => ({ secretId: k.secretId, status: k.status }));
    assert.deepEqual(
      keysOf(t.accountId)?.sort((a, b) => a.secretId.localeCompare(b.secretId)),
      [
        { secretId: t.keyId, status: 'disabled' },
        { secretId: t2.keyId, status: 'disabled' },
        { secretId: t3.keyId, status: 'enabled' },
      ].sort((a, b) => a.secretId.localeCompare(b.secretId)),
    );
    assert.deepEqual(
      keysOf(j.accountId)?.sort((a, b) => a.secretId.localeCompare(b.secretId)),
      [
        { secretId: j.keyId, status: 'disabled' },
        { secretId: j2.keyId, status: 'enabled' },
      ].sort((a, b) => a.secretId.localeCompare(b.secretId)),
    );
    assert.deepEqual(keysOf(other.accountId), [{ secretId: other.keyId, status: 'enabled' }]);
    for (const a of [t, j, other]) {
      const row = byId.get(a.accountId)!;
      assert.equal(row.status, 'enabled');
      assert.equal(row.provider, a.provider);
    }
    for (const a of list) {
      assert.deepEqual(Object.keys(a).sort(), ['accountId', 'keys', 'name', 'provider', 'status']);
      for (const k of a.keys) assert.deepEqual(Object.keys(k).sort(), ['createdAt', 'secretId', 'status']);
    }
    const printed = result.stdout + result.stderr;
    assert.doesNotMatch(printed, /secretKey|secret_key/i, describeRun(['accounts', 'list'], result));
    for (const s of [t, t2, t3, j, j2, other].map((c) => c.secretKey)) assert.ok(!printed.includes(s), `accounts list printed a secret\n${printed}`);
    // The text form too.
    assert.equal(text.code, 0, describeRun(['accounts', 'list'], text));
    assert.ok(text.stdout.includes(`${t3.keyId}(enabled)`) && text.stdout.includes(`${t.keyId}(disabled)`), text.stdout);
    for (const s of [t, t2, t3, j, j2, other].map((c) => c.secretKey)) assert.ok(!(text.stdout + text.stderr).includes(s), 'text list printed a secret');
  });

  test('disable, enable and rotate-key of an unknown account fail with a clear message', { skip }, async () => {
    const cmds = ['disable', 'enable', 'rotate-key'];
    const runs = await Promise.all(cmds.map((cmd) => runCli(['accounts', cmd, 'acc-nosuchacct', '--db', db, '--json'])));
    for (const [i, r] of runs.entries()) {
      assert.equal(r.code, 2, describeRun([cmds[i]!], r));
      assert.match(r.stderr, /no account acc-nosuchacct/, describeRun([cmds[i]!], r));
      assert.equal(r.stdout, '', describeRun([cmds[i]!], r));
    }
  });
});

describe('secret keys at rest (SQLite)', () => {
  const MASTER = 'correct horse battery staple / eniplane test master key';
  const env = { ENIPLANE_MASTER_KEY: MASTER };
  let server: RunningServer;
  let t: Creds;
  let j: Creds;
  let tRotated: Creds;

  before(async () => {
    server = await startServer({ rateLimit: 'off', env });
    let old: Creds;
    [t, j, old] = await Promise.all([createAccount(server.db, 'tencent', env), createAccount(server.db, 'jdcloud', env), createAccount(server.db, 'tencent', env)]);
    tRotated = await rotateKey(server.db, old, env);
  });

  after(async () => {
    await server?.stop();
  });

  /** Every byte of the SQLite database (main file and WAL). */
  const dbBytes = () => [server.db, `${server.db}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');

  test('with ENIPLANE_MASTER_KEY every stored secret is sealed enc:v1 and the keys work', async () => {
    const sqlite = new Database(server.db, { readonly: true, fileMustExist: true });
    let rows: Array<{ secret_id: string; secret_key: string }>;
    try {
      rows = sqlite.prepare('select secret_id, secret_key from api_keys').all() as typeof rows;
    } finally {
      sqlite.close();
    }
    // The default account (created by the server), t, j and both keys of the rotated account.
    assert.ok(rows.length >= 5, `api_keys rows: ${JSON.stringify(rows)}`);
    for (const id of [t.keyId, j.keyId, tRotated.keyId]) assert.ok(rows.some((r) => r.secret_id === id), `key ${id} is stored`);
    for (const r of rows) {
      assert.match(r.secret_key, /^enc:v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/, `secret of ${r.secret_id} must be sealed`);
    }
    // Sealing is randomised: no two stored values are equal even for secrets of equal length.
    assert.equal(new Set(rows.map((r) => r.secret_key)).size, rows.length);
    const bytes = dbBytes();
    for (const s of [t.secretKey, j.secretKey, tRotated.secretKey, MASTER]) assert.ok(!bytes.includes(s), 'a clear secret (or the master key) is in the database file');

    assert.equal(typeof (await tcCall(server.port, t)), 'number');
    assert.equal(typeof (await tcCall(server.port, tRotated)), 'number');
    assert.equal(typeof (await jdCall(server.port, j)), 'number');
    ok2(await capiClients(server.port, { secretId: t.keyId, secretKey: t.secretKey }).vpc({ Action: 'DescribeVpcEx' }), '2.0 with a sealed key');
    assert.doesNotMatch(server.logs(), /ENIPLANE_MASTER_KEY is not set/, 'no warning when the master key is set');
  });

  for (const [label, wrongEnv, why] of [
    ['without ENIPLANE_MASTER_KEY', {} as Record<string, string>, /secret keys in the database are encrypted: set ENIPLANE_MASTER_KEY/],
    ['with a wrong ENIPLANE_MASTER_KEY', { ENIPLANE_MASTER_KEY: 'not the master key' }, /cannot be decrypted with this ENIPLANE_MASTER_KEY/],
  ] as const) {
    test(`a node ${label} refuses sealed keys with an error, keeps serving, and logs why`, async () => {
      await server.stop();
      const other = await startServer({ db: server.db, rateLimit: 'off', env: wrongEnv });
      try {
        const first = await expectTcError(tcCall(other.port, t), 'InternalError');
        assert.ok(first.requestId, 'the error carries a RequestId');
        await expectJdError(jdCall(other.port, j), 500, 'INTERNAL', 'Internal server error');
        expect2(await capiClients(other.port, { secretId: t.keyId, secretKey: t.secretKey }).vpc({ Action: 'DescribeVpcEx' }), 6000, 'InternalError');
        // Not a crash: the node still answers, and an unknown key is still just unknown.
        assert.ok(other.pid !== undefined, 'the node is still running');
        assert.equal((await fetch(`${other.url}/healthz`)).status, 200);
        await expectTcError(tcCall(other.port, { ...t, keyId: 'AKIDnosuchkeynosuchkeynosuchkey00000' }), 'AuthFailure.SecretIdNotFound');
        // The log says why, next to the request id the client saw.
        // The child's stdout arrives through a pipe: wait (bounded) for the line to be read.
        const lines = await pollUntil(
          async () => {
            const found = other.logs().split('\n').filter((l) => why.test(l) && l.includes(first.requestId!));
            return found.length ? other.logs().split('\n').filter((l) => why.test(l)) : undefined;
          },
          { timeoutMs: 10_000, what: `a log line saying why the key was refused, naming ${first.requestId}` },
        );
        assert.ok(lines.length >= 1, `the log must say why the key was refused\n${other.logs()}`);
        assert.ok(lines.some((l) => l.includes(first.requestId!)), `a log line names RequestId ${first.requestId}\n${lines.join('\n')}`);
        for (const s of [t.secretKey, j.secretKey, MASTER]) assert.ok(!other.logs().includes(s), 'a secret reached the log');
        if (!wrongEnv.ENIPLANE_MASTER_KEY) {
          // Without any master key, one warning at start.
          const warn = other.logs().split('\n').filter((l) => /ENIPLANE_MASTER_KEY is not set/.test(l));
          assert.equal(warn.length, 1, `exactly one start-up warning about ENIPLANE_MASTER_KEY\n${other.logs()}`);
          const w = JSON.parse(warn[0]!) as { level: number; msg: string };
          assert.equal(w.level, 40, 'the warning is logged at level warn');
          assert.match(w.msg, /stored in clear/);
        }
      } finally {
        await other.stop();
        await server.restart();
      }
      // The right master key opens them again.
      assert.equal(typeof (await tcCall(server.port, t)), 'number');
    });
  }

  test('a node without any master key warns once at start, and only once across requests', async () => {
    const plain = await startServer({ rateLimit: 'off' });
    try {
      const acct = await plain.createAccount();
      for (let i = 0; i < 3; i++) await tc(plain.port, { provider: 'tencent', accountId: acct.accountId, keyId: acct.secretId, secretKey: acct.secretKey }).DescribeVpcs({});
      const warn = plain.logs().split('\n').filter((l) => l.includes('ENIPLANE_MASTER_KEY'));
      assert.equal(warn.length, 1, `one warning line\n${plain.logs()}`);
      const w = JSON.parse(warn[0]!) as { level: number; msg: string };
      assert.equal(w.level, 40);
      assert.equal(w.msg, 'ENIPLANE_MASTER_KEY is not set: new API secret keys are stored in clear in the database; set it to encrypt them at rest');
      // ... and indeed they are in clear.
      const sqlite = new Database(plain.db, { readonly: true, fileMustExist: true });
      try {
        const row = sqlite.prepare('select secret_key from api_keys where secret_id = ?').get(acct.secretId) as { secret_key: string };
        assert.equal(row.secret_key, acct.secretKey);
      } finally {
        sqlite.close();
      }
    } finally {
      await plain.stop();
    }
  });
});
