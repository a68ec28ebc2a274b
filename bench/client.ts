/**
 * The load generator's HTTP side. Requests are signed exactly as tencentcloud-sdk-nodejs signs them
 * (its own Sign.sign3) and re-signed every second, so every request carries a timestamp well inside
 * the server's 5-minute window. The signed bytes of a request are kept for that second and written
 * straight to keep-alive sockets, the way wrk does: a generator that spent 100 µs per request in
 * node:http and the SDK would be the bottleneck against the baseline, not the server.
 */
import { connect, type Socket } from 'node:net';
import signModule from 'tencentcloud-sdk-nodejs/tencentcloud/common/sign.js';

type Sign = typeof import('tencentcloud-sdk-nodejs/tencentcloud/common/sign.js').default;
// CommonJS `exports.default`: reached through the namespace when loaded from ESM.
const Sign: Sign = (signModule as unknown as { default?: Sign }).default ?? (signModule as unknown as Sign);

export interface Credentials {
  secretId: string;
  secretKey: string;
}

export interface TcAnswer {
  Response: Record<string, unknown> & { Error?: { Code: string; Message: string }; RequestId: string };
}

/** One keep-alive HTTP/1.1 connection with one request in flight; answers must carry Content-Length. */
class Connection {
  private readonly socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve(b: { status: number; body: Buffer }): void; reject(e: Error): void } | undefined;
  private broken: Error | undefined;

  constructor(port: number) {
    this.socket = connect({ host: "127.0.0.1", port, noDelay: true });
    (globalThis as any).__conns = ((globalThis as any).__conns ?? 0) + 1;
    this.socket.on('data', (d: Buffer) => this.onData(d));
    const fail = (e: Error) => {
      this.broken ??= e;
      this.pending?.reject(e);
      this.pending = undefined;
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('connection closed by the server')));
  }

  get usable(): boolean {
    return this.broken === undefined;
  }

  send(bytes: Buffer): Promise<{ status: number; body: Buffer }> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(bytes);
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0 || !this.pending) return;
    const head = this.buf.subarray(0, end).toString('latin1');
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) {
      this.pending.reject(new Error(`answer without Content-Length: ${head.slice(0, 200)}`));
      this.pending = undefined;
      return;
    }
    const total = end + 4 + Number(length[1]);
    if (this.buf.length < total) return;
    const status = Number(head.slice(9, 12));
    const body = this.buf.subarray(end + 4, total);
    this.buf = this.buf.subarray(total);
    const p = this.pending;
    this.pending = undefined;
    p.resolve({ status, body });
  }

  close(): void {
    this.socket.destroy();
  }
}

export class TcClient {
  private readonly idle: Connection[] = [];
  private readonly waiting: Array<(c: Connection) => void> = [];
  private open = 0;
  private readonly signed = new Map<string, { second: number; bytes: Buffer }>();

  constructor(
    private readonly port: number,
    private readonly cred: Credentials,
    private readonly maxConnections: number,
    private readonly region = 'ap-guangzhou',
  ) {}

  /** The full request bytes, signed for the current second (reused within it). */
  private request(service: 'vpc' | 'cvm', action: string, params: Record<string, unknown>): Buffer {
    const json = JSON.stringify(params);
    const key = `${service}|${action}|${json}`;
    const second = Math.floor(Date.now() / 1000);
    const hit = this.signed.get(key);
    if (hit && hit.second === second) return hit.bytes;
    const body = Buffer.from(json);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Host: `127.0.0.1:${this.port}`,
      'X-TC-Action': action,
      'X-TC-Region': this.region,
      'X-TC-Timestamp': String(second),
      'X-TC-Version': '2017-03-12',
    };
    headers.Authorization = Sign.sign3({
      method: 'POST', url: `http://127.0.0.1:${this.port}/`, payload: body, timestamp: second, service,
      secretId: this.cred.secretId, secretKey: this.cred.secretKey, multipart: false, boundary: '', headers,
    });
    const head = Object.entries({ ...headers, 'Content-Length': String(body.length), Connection: 'keep-alive' }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    const bytes = Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\n${head}\r\n`, 'latin1'), body]);
    if (this.signed.size > 50_000) this.signed.clear();
    this.signed.set(key, { second, bytes });
    return bytes;
  }

  private acquire(): Promise<Connection> {
    const c = this.idle.pop();
    if (c) return Promise.resolve(c);
    if (this.open < this.maxConnections) {
      this.open++;
      return Promise.resolve(new Connection(this.port));
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(c: Connection): void {
    if (!c.usable) {
      this.open--;
      c.close();
      // A waiter gets a fresh connection in place of the broken one.
      const w = this.waiting.shift();
      if (w) {
        this.open++;
        w(new Connection(this.port));
      }
      return;
    }
    const w = this.waiting.shift();
    if (w) w(c);
    else this.idle.push(c);
  }

  /** One signed call; resolves with the parsed answer (errors are answers too, as in the SDK). */
  async call(service: 'vpc' | 'cvm', action: string, params: Record<string, unknown>): Promise<TcAnswer> {
    const bytes = this.request(service, action, params);
    const c = await this.acquire();
    try {
      const { status, body } = await c.send(bytes);
      try {
        return JSON.parse(body.toString('utf8')) as TcAnswer;
      } catch {
        throw new Error(`${action}: HTTP ${status}, not JSON: ${body.toString('utf8').slice(0, 200)}`);
      }
    } finally {
      this.release(c);
    }
  }

  close(): void {
    for (const c of this.idle.splice(0)) c.close();
  }
}
