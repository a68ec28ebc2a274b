// Contract: a slow client cannot hold the server. With `--request-timeout 1000` the whole request,
// headers included, must arrive within a second: a client that trickles its headers one byte every
// 300 ms, or promises a body it never sends, is cut off within a few seconds, while normal requests
// on other connections are served meanwhile; many idle connections do not block anyone either.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startServer, type AccountInfo, type RunningServer } from '../../support/server.ts';
import { pollUntil } from '../../support/poll.ts';
import { vpcClient } from '../../support/tencent3/client.ts';
import { readAudit } from './kit.ts';

const TIMEOUT_MS = 1000;
/** Node checks stalled connections every second: a cut-off comes within timeout + 1 s (+ slack). */
const BOUND_MS = 5000;

interface Watched {
  socket: net.Socket;
  openedAt: number;
  closedAt?: number;
  received: string;
  /** Bytes the client managed to write before the server closed. */
  written: number;
  stop(): void;
}

function connect(port: number): Promise<Watched> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const w: Watched = { socket, openedAt: 0, received: '', written: 0, stop: () => {} };
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (w.received += d));
    socket.on('close', () => {
      w.closedAt ??= Date.now();
      w.stop();
    });
    // EPIPE / ECONNRESET after the server hung up is the expected end; 'close' follows.
    socket.on('error', () => {});
    socket.once('connect', () => {
      w.openedAt = Date.now();
      resolve(w);
    });
    socket.once('error', reject);
  });
}

/** Write `text` one byte every `everyMs`, at most `max` bytes, until the socket closes. */
function trickle(w: Watched, text: string, everyMs: number, max: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (w.closedAt !== undefined || i >= Math.min(max, text.length)) return w.stop();
    w.socket.write(text[i++]!);
    w.written = i;
  }, everyMs);
  w.stop = () => clearInterval(timer);
}

const waitClosed = (w: Watched, what: string) =>
  pollUntil(async () => w.closedAt !== undefined && w.closedAt - w.openedAt, { timeoutMs: BOUND_MS, what: `the server to close ${what}` });

let server: RunningServer;
let acct: AccountInfo;
const describeVpcs = async () => (await vpcClient(server.port, { secretId: acct.secretId, secretKey: acct.secretKey }).DescribeVpcs({})).TotalCount;

before(async () => {
  server = await startServer({ rateLimit: 'off', extraArgs: ['--request-timeout', String(TIMEOUT_MS)] });
  acct = await server.createAccount();
});

after(async () => {
  await server?.stop();
});

describe('slow clients are cut off', () => {
  test('headers trickled one byte every 300 ms: closed within the bound, others served meanwhile', async () => {
    const slow = await connect(server.port);
    // A request line and the start of one header, then its value one byte at a time, never ending.
    slow.socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    trickle(slow, 'a'.repeat(40), 300, 40); // 40 bytes would take 12 s: far past any bound
    // A normal request on another connection while the slow one is held open.
    assert.equal(typeof (await describeVpcs()), 'number');
    assert.equal(slow.closedAt, undefined, 'the normal request was served while the slow client was still connected');
    const lived = await waitClosed(slow, 'the trickling connection');
    assert.ok(lived >= TIMEOUT_MS - 100, `closed after ${lived} ms: not before the request timeout`);
    assert.ok(slow.written < 40, `cut off before the client finished (${slow.written} bytes written)`);
    // Whatever was said on the way out, it was never a served request.
    assert.ok(slow.received === '' || /^HTTP\/1\.1 408 /.test(slow.received), `answer to the slow client: ${JSON.stringify(slow.received)}`);
    assert.equal(typeof (await describeVpcs()), 'number', 'the server still serves');
  });

  test('a body shorter than its Content-Length: closed within the bound', async () => {
    const w = await connect(server.port);
    w.socket.write(
      'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-TC-Action: DescribeVpcs\r\nContent-Length: 1000\r\n\r\n{"Limit":',
    );
    assert.equal(typeof (await describeVpcs()), 'number', 'others are served meanwhile');
    assert.equal(w.closedAt, undefined);
    const lived = await waitClosed(w, 'the connection with a short body');
    assert.ok(lived >= TIMEOUT_MS - 100, `closed after ${lived} ms: not before the request timeout`);
    assert.ok(w.received === '' || /^HTTP\/1\.1 408 /.test(w.received), `answer: ${JSON.stringify(w.received)}`);
    // The same on a JD Cloud mutating route (audited whatever becomes of it).
    const jd = await connect(server.port);
    jd.socket.write(`POST /v1/regions/cn-north-1/vpcs/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"vpcName":`);
    const livedJd = await waitClosed(jd, 'the JD connection with a short body');
    assert.ok(livedJd >= TIMEOUT_MS - 100, `closed after ${livedJd} ms`);
    // The same body trickled (one byte every 300 ms) is cut off too: the limit is on the whole request.
    const t = await connect(server.port);
    t.socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n');
    trickle(t, '{"Limit":1,"Offset":0,"Filters":[],"x":1}', 300, 40);
    const lived2 = await waitClosed(t, 'the connection trickling its body');
    assert.ok(lived2 >= TIMEOUT_MS - 100 && t.written < 40, `closed after ${lived2} ms with ${t.written} bytes written`);
  });

  test('a cut-off client is no server error, and loses no audit entry', async () => {
    // Runs after the tests above: their cut-off requests are in the log by now (the server logs as it cuts).
    const lines = server.logs().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string; error?: string });
    assert.deepEqual(lines.filter((l) => /audit entry could not be written/.test(l.msg)), [], 'every audit write succeeded');
    assert.deepEqual(lines.filter((l) => l.level >= 50), [], 'a slow client is the client\'s fault: nothing logged as an error');
    // Whatever reached the trail names where it came from.
    for (const r of (await readAudit(server.db)).rows) assert.ok(['127.0.0.1', '::ffff:127.0.0.1'].includes(r.source), JSON.stringify(r));
  });

  test('50 idle connections do not block a normal request, and are closed in time', async () => {
    const idle = await Promise.all(Array.from({ length: 50 }, () => connect(server.port)));
    // Half of them with a started request line.
    for (const w of idle.slice(25)) w.socket.write('GET /healthz HTTP/1.1\r\n');
    const started = Date.now();
    assert.equal(typeof (await describeVpcs()), 'number');
    assert.ok(Date.now() - started < TIMEOUT_MS, `a normal request is served at once (${Date.now() - started} ms)`);
    assert.ok(idle.every((w) => w.closedAt === undefined), 'the idle connections were still open meanwhile');
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    await pollUntil(async () => idle.every((w) => w.closedAt !== undefined), { timeoutMs: BOUND_MS, what: 'all idle connections to be closed' });
    for (const w of idle) {
      const lived = w.closedAt! - w.openedAt;
      assert.ok(lived >= TIMEOUT_MS - 100 && lived < BOUND_MS, `idle connection lived ${lived} ms`);
      assert.ok(w.received === '' || /^HTTP\/1\.1 408 /.test(w.received), `answer to an idle connection: ${JSON.stringify(w.received)}`);
    }
  });
});
