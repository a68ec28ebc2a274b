// Contract: API 2.0 authentication and the envelope (spec §1.5–1.7, §2, §5.3), on both stores. A bad
// signature is 4100, an unknown SecretId 4104, a stale timestamp or a replayed body 4500; both
// signature methods and both HTTP methods of qcloudapi-sdk work (checked on the wire through a
// recording forwarder); an HTTP-proxy style absolute-form request signed with vpc.api.qcloud.com works;
// the envelope is always HTTP 200 JSON with an integer code; another account's ENI is not found.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { serverOn } from '../../support/server.ts';
import { capiClients, expect2, ok2, type Qc2Body, session2, type Session2 } from '../../support/tencent2/client.ts';
import { type RawAnswer, rawRequest2, sign2 } from '../../support/tencent2/raw.ts';
import { unchanged } from '../../support/tencent2/snapshots.ts';
import { holder2 } from '../../support/tencent2/waits.ts';
import { createEni2, createVpc2, instances, ZONE3_ID } from '../../support/tencent2/world.ts';
import { skipUnless, STORE_KINDS } from '../../support/stores.ts';

const now = () => Math.round(Date.now() / 1000);

interface Seen {
  requestLine: string;
  headers: Record<string, string>;
  body: string;
}

/** A TCP forwarder to the server that records every request it carries (one per connection). */
async function recorder(targetPort: number): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const raw: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const i = raw.push('') - 1;
    const up = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const sock of [client, up]) {
      sockets.add(sock);
      sock.on('error', () => {});
      sock.once('close', () => sockets.delete(sock));
    }
    client.on('data', (d: Buffer) => {
      raw[i] += d.toString('latin1');
      up.write(d);
    });
    up.pipe(client);
    client.once('close', () => up.destroy());
    up.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const parse = (r: string): Seen => {
    const end = r.indexOf('\r\n\r\n');
    const [requestLine, ...lines] = r.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
    return { requestLine: requestLine!, headers, body: r.slice(end + 4) };
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    get seen() {
      return raw.map(parse);
    },
    async close() {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Every refusal is HTTP 200, application/json, {code:int, message, codeDesc} and nothing else. */
function envelope(a: RawAnswer, code: number, codeDesc: string, what: string): void {
  assert.equal(a.status, 200, `${what}: HTTP status: ${a.text}`);
  assert.equal(a.contentType, 'application/json', `${what}: content-type`);
  assert.ok(Number.isInteger(a.body.code), `${what}: integer code: ${a.text}`);
  assert.match(a.text, new RegExp(`"code":${code}[,}]`), `${what}: code is a bare JSON number`);
  assert.deepEqual(Object.keys(a.body).sort(), ['code', 'codeDesc', 'message'], `${what}: ${a.text}`);
  expect2(a.body, code, codeDesc, what);
}

for (const kind of STORE_KINDS) {
  describe(`API 2.0 authentication on ${kind}`, async () => {
    const skip = await skipUnless(kind);
    let stop: (() => Promise<void>) | undefined;
    let s: Session2;
    let port: number;
    let host: string;
    let creds: { secretId: string; secretKey: string };

    before(async () => {
      if (skip) return;
      const srv = await serverOn(kind, { latency: '30' });
      stop = srv.stop;
      s = await session2(srv.server);
      port = srv.server.port;
      host = `127.0.0.1:${port}`;
      creds = { secretId: s.account.secretId, secretKey: s.account.secretKey };
    });

    after(async () => {
      await stop?.();
    });

    test('control: a hand-signed request succeeds, HTTP 200 JSON', { skip }, async () => {
      const a = await rawRequest2(port, sign2(creds, { Action: 'DescribeVpcEx' }, { host }));
      assert.equal(a.status, 200);
      assert.equal(a.contentType, 'application/json');
      ok2(a.body);
      assert.equal(a.body.totalCount, 0);
    });

    test('wrong SecretKey → 4100; unknown SecretId → 4104 (SDK and raw)', { skip }, async () => {
      const wrongKey = capiClients(port, { secretId: creds.secretId, secretKey: 'not-the-key-0000000000000000' });
      expect2(await wrongKey.vpc({ Action: 'DescribeVpcEx' }), 4100, 'InvalidParameter.SignatureFailure', 'wrong key (SDK)');
      const unknown = capiClients(port, { secretId: 'AKIDnotakey00000000000000000000000000', secretKey: creds.secretKey });
      expect2(await unknown.vpc({ Action: 'DescribeVpcEx' }), 4104, 'InvalidParameter.SecretIdNotFound', 'unknown SecretId (SDK)');
      envelope(await rawRequest2(port, sign2({ ...creds, secretKey: 'x' }, { Action: 'DescribeVpcEx' }, { host })), 4100, 'InvalidParameter.SignatureFailure', 'wrong key (raw)');
      envelope(
        await rawRequest2(port, sign2({ ...creds, secretId: 'AKIDnope' }, { Action: 'DescribeVpcEx' }, { host })),
        4104,
        'InvalidParameter.SecretIdNotFound',
        'unknown SecretId (raw)',
      );
      // A tampered parameter after signing is a signature failure.
      const signed = sign2(creds, { Action: 'DescribeVpcEx', limit: 5 }, { host });
      envelope(await rawRequest2(port, { ...signed, encoded: signed.encoded.replace('limit=5', 'limit=6') }), 4100, 'InvalidParameter.SignatureFailure', 'tampered');
    });

    test('Timestamp 10 min old or ahead → 4500; 4 min old is inside the window', { skip }, async () => {
      envelope(
        await rawRequest2(port, sign2(creds, { Action: 'DescribeVpcEx' }, { host, timestamp: now() - 600 })),
        4500,
        'InvalidRequest.ReplayAttack',
        '10 min old',
      );
      envelope(
        await rawRequest2(port, sign2(creds, { Action: 'DescribeVpcEx' }, { host, timestamp: now() + 600 })),
        4500,
        'InvalidRequest.ReplayAttack',
        '10 min ahead',
      );
      ok2((await rawRequest2(port, sign2(creds, { Action: 'DescribeVpcEx' }, { host, timestamp: now() - 240 }))).body, '4 min old');
    });

    test('the exact same signed body twice → the second is 4500; a new Nonce (even 0) is fine', { skip }, async () => {
      const req = sign2(creds, { Action: 'CreateVpc', vpcName: 'replayed', cidrBlock: '10.81.0.0/16' }, { host, nonce: 4242 });
      ok2((await rawRequest2(port, req)).body, 'first');
      await unchanged(s, async () => envelope(await rawRequest2(port, req), 4500, 'InvalidRequest.ReplayAttack', 'replayed'));
      assert.equal(ok2(await s.c.vpc({ Action: 'DescribeVpcEx', vpcName: 'replayed' })).totalCount, 1, 'the replay created nothing');
      // Same Timestamp and Nonce but another request (another Signature) is not a replay (spec §1.7).
      const ts = now();
      ok2((await rawRequest2(port, sign2(creds, { Action: 'DescribeVpcEx', limit: 1 }, { host, timestamp: ts, nonce: 7 }))).body);
      ok2((await rawRequest2(port, sign2(creds, { Action: 'DescribeVpcEx', limit: 2 }, { host, timestamp: ts, nonce: 7 }))).body);
      ok2((await rawRequest2(port, sign2(creds, { Action: 'DescribeVpcEx' }, { host, nonce: 0 }))).body, 'Nonce 0');
      // A GET URL replays the same way.
      const get = sign2(creds, { Action: 'DescribeVpcEx' }, { host, method: 'GET' });
      ok2((await rawRequest2(port, get)).body, 'GET first');
      envelope(await rawRequest2(port, get), 4500, 'InvalidRequest.ReplayAttack', 'GET replayed');
    });

    test('missing Nonce / Timestamp / Signature → 4000; unknown action → 6100; empty Region → 4000', { skip }, async () => {
      envelope(await rawRequest2(port, sign2(creds, { Action: 'DescribeVpcEx' }, { host, nonce: null })), 4000, 'InvalidParameter', 'no Nonce');
      const noTs = sign2(creds, { Action: 'DescribeVpcEx' }, { host });
      envelope(await rawRequest2(port, { ...noTs, encoded: noTs.encoded.replace(/(^|&)Timestamp=\d+/, '') }), 4000, 'InvalidParameter', 'no Timestamp');
      envelope(await rawRequest2(port, { ...noTs, encoded: noTs.encoded.replace(/&Signature=[^&]*/, '') }), 4000, 'InvalidParameter', 'no Signature');
      envelope(await rawRequest2(port, sign2(creds, { Action: 'DescribeSpaceships' }, { host })), 6100, 'InvalidAction.NotFound', 'unknown action');
      expect2(await s.c.vpc({ Action: 'DescribeSpaceships' }), 6100, 'InvalidAction.NotFound', 'unknown action (SDK)');
      // qcloudapi-sdk sends `Region=` when none is configured.
      const noRegion = capiClients(port, creds, { region: '' });
      expect2(await noRegion.vpc({ Action: 'DescribeVpcEx' }), 4000, 'InvalidParameter', 'empty Region');
      expect2(await capiClients(port, creds, { region: 'ap-atlantis' }).vpc({ Action: 'DescribeVpcEx' }), 4000, 'InvalidParameter', 'unknown Region');
    });

    test("short region code 'gz' is ap-guangzhou", { skip }, async () => {
      const gz = capiClients(port, creds, { region: 'gz' });
      const made = ok2(await gz.vpc({ Action: 'CreateVpc', vpcName: 'from-gz', cidrBlock: '10.82.0.0/16' }));
      const seen = ok2(await s.c.vpc({ Action: 'DescribeVpcEx', vpcId: made.unVpcId }));
      assert.deepEqual(
        seen.data.map((v: Qc2Body) => v.vpcName),
        ['from-gz'],
      );
      const sh = capiClients(port, creds, { region: 'ap-shanghai' });
      assert.equal(ok2(await sh.vpc({ Action: 'DescribeVpcEx', vpcId: made.unVpcId })).totalCount, 0, 'regional');
    });

    test('sha1 and sha256 × POST and GET all authenticate, as seen on the wire', { skip, timeout: 20_000 }, async () => {
      const rec = await recorder(port);
      try {
        const combos: Array<{ method?: 'GET' | 'POST'; signatureMethod?: 'sha1' | 'sha256' }> = [{}, { signatureMethod: 'sha256' }, { method: 'GET' }, { method: 'GET', signatureMethod: 'sha256' }];
        for (const [i, o] of combos.entries()) {
          const c = capiClients(rec.port, creds, o);
          ok2(await c.vpc({ Action: 'CreateVpc', vpcName: `combo-${i}`, cidrBlock: `10.${90 + i}.0.0/16` }), JSON.stringify(o));
          ok2(await c.cvm({ Action: 'DescribeInstances' }), `cvm ${JSON.stringify(o)}`);
        }
        const seen = rec.seen;
        assert.equal(seen.length, 8);
        for (const [i, o] of combos.entries()) {
          for (const r of [seen[2 * i]!, seen[2 * i + 1]!]) {
            const isGet = o.method === 'GET';
            assert.match(r.requestLine, isGet ? /^GET \/v2\/index\.php\?\S+ HTTP\/1\.1$/ : /^POST \/v2\/index\.php HTTP\/1\.1$/, JSON.stringify(o));
            assert.equal(r.headers.host, `127.0.0.1:${rec.port}`);
            const params = new URLSearchParams(isGet ? r.requestLine.split(' ')[1]!.split('?')[1] : r.body);
            assert.equal(params.get('SignatureMethod'), o.signatureMethod === 'sha256' ? 'HmacSHA256' : null, JSON.stringify(o));
            assert.equal(params.get('RequestClient'), 'SDK_NODEJS_0.2.1');
            assert.match(params.get('Nonce')!, /^\d+$/);
            // Base64 of 20 bytes (SHA-1) or 32 bytes (SHA-256).
            assert.equal(params.get('Signature')!.length, o.signatureMethod === 'sha256' ? 44 : 28);
          }
        }
        assert.equal(ok2(await s.c.vpc({ Action: 'DescribeVpcEx', vpcName: 'combo-' })).totalCount, 4);
      } finally {
        await rec.close();
      }
    });

    test('HTTP proxy style (absolute-form target, Host vpc.api.qcloud.com) authenticates with that host', { skip, timeout: 20_000 }, async () => {
      const rec = await recorder(port);
      try {
        const viaProxy = capiClients(rec.port, creds, { viaProxy: true });
        ok2(await viaProxy.vpc({ Action: 'CreateVpc', vpcName: 'via-proxy', cidrBlock: '10.99.0.0/16' }), 'vpc via proxy');
        ok2(await viaProxy.cvm({ Action: 'DescribeInstances' }), 'cvm via proxy');
        const [v, c] = rec.seen as [Seen, Seen];
        assert.equal(v.requestLine, 'POST http://vpc.api.qcloud.com/v2/index.php HTTP/1.1');
        assert.equal(v.headers.host, 'vpc.api.qcloud.com');
        assert.equal(c.requestLine, 'POST http://cvm.api.qcloud.com/v2/index.php HTTP/1.1');
        assert.equal(c.headers.host, 'cvm.api.qcloud.com');
        assert.equal(ok2(await s.c.vpc({ Action: 'DescribeVpcEx', vpcName: 'via-proxy' })).totalCount, 1);
        // A CVM action on the vpc host is the wrong host for the action (spec §2.3, 6100).
        expect2(await viaProxy.vpc({ Action: 'DescribeInstances' }), 6100, 'InvalidAction.NotFound', 'cvm action on vpc host');
      } finally {
        await rec.close();
      }
      // The signature uses the Host it was sent with: signed for vpc.api.qcloud.com and sent so → ok;
      // signed for 127.0.0.1:PORT but sent with Host vpc.api.qcloud.com → 4100.
      ok2((await rawRequest2(port, sign2(creds, { Action: 'DescribeVpcEx' }, { host: 'vpc.api.qcloud.com' }))).body, 'canonical host');
      const mismatched = sign2(creds, { Action: 'DescribeVpcEx' }, { host });
      envelope(await rawRequest2(port, { ...mismatched, host: 'vpc.api.qcloud.com' }), 4100, 'InvalidParameter.SignatureFailure', 'signed for another host');
      // The request library drops :80 from Host while the SDK signs it (spec §1.6 step 5).
      const port80 = sign2(creds, { Action: 'DescribeVpcEx' }, { host: '127.0.0.1:80' });
      ok2((await rawRequest2(port, { ...port80, host: '127.0.0.1' })).body, 'default port stripped from Host');
    });

    test("another account's ENI → InvalidNetworkInterface.NotFound, and it is unchanged", { skip, timeout: 20_000 }, async () => {
      const v = await createVpc2(s, '10.83.0.0/16', [{ subnetName: 'mine', cidrBlock: '10.83.1.0/24', zoneId: ZONE3_ID }]);
      const [[ins], eni] = await Promise.all([instances(s, v.vpcId, v.subnetIds[0]!, 1), createEni2(s, v.vpcId, v.subnetIds[0]!, 'mine')]);
      const b = await session2(s.server);
      const vb = await createVpc2(b, '10.83.0.0/16', [{ subnetName: 'theirs', cidrBlock: '10.83.1.0/24', zoneId: ZONE3_ID }]);
      const [insB] = await instances(b, vb.vpcId, vb.subnetIds[0]!, 1);
      await unchanged(s, async () => {
        expect2(await b.c.vpc({ Action: 'AttachNetworkInterface', vpcId: vb.vpcId, networkInterfaceId: eni, instanceId: insB }), 4000, 'InvalidNetworkInterface.NotFound', 'attach');
        expect2(await b.c.vpc({ Action: 'DeleteNetworkInterface', vpcId: vb.vpcId, networkInterfaceId: eni }), 4000, 'InvalidNetworkInterface.NotFound', 'delete');
        expect2(
          await b.c.vpc({ Action: 'AssignPrivateIpAddresses', vpcId: vb.vpcId, networkInterfaceId: eni, secondaryPrivateIpAddressCount: 1 }),
          4000,
          'InvalidNetworkInterface.NotFound',
          'assign',
        );
        // Naming the owner's VPC does not help: it is not found either.
        expect2(await b.c.vpc({ Action: 'AttachNetworkInterface', vpcId: v.vpcId, networkInterfaceId: eni, instanceId: insB }), 4000, 'InvalidVpc.NotFound', 'owner vpc');
        // And the owner's instance is not there for b.
        expect2(await b.c.vpc({ Action: 'AttachNetworkInterface', vpcId: vb.vpcId, networkInterfaceId: eni, instanceId: ins }), 4000, 'InvalidNetworkInterface.NotFound', 'owner instance');
        const list = ok2(await b.c.vpc({ Action: 'DescribeNetworkInterfaces', networkInterfaceId: eni }));
        assert.deepEqual(list.data, { totalNum: 0, data: [] });
      });
      assert.equal(await holder2(s, eni), '');
    });
  });
}
