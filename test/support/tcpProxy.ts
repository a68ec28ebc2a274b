// A TCP proxy between eniplane nodes and PostgreSQL, so a test can take the database away from the
// nodes (and give it back) without stopping the machine's real PostgreSQL, which other test files use.
// cut() destroys every open connection in both directions and refuses new ones (accepted, then closed
// at once, as a database going down would look to a client); restore() lets connections through again.

import net from 'node:net';

export interface TcpProxy {
  /** The port the proxy listens on, on 127.0.0.1. */
  port: number;
  /** Destroy every open connection both ways and refuse (immediately close) new ones. */
  cut(): void;
  /** Accept and forward new connections again. */
  restore(): void;
  /** Cut everything and stop listening. */
  close(): Promise<void>;
  /** Counters, for reports: connections forwarded, refused while cut, and open right now. */
  readonly stats: { forwarded: number; refused: number; open: number };
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let isCut = false;
  let forwarded = 0;
  let refused = 0;
  const open = new Set<net.Socket>();

  const track = (s: net.Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
    // A peer vanishing (ECONNRESET, EPIPE) is expected here; it must not crash the test process.
    s.on('error', () => {});
  };

  const server = net.createServer((client) => {
    track(client);
    if (isCut) {
      refused++;
      client.destroy();
      return;
    }
    forwarded++;
    const upstream = net.connect({ host: targetHost, port: targetPort });
    track(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    // Either side closing (or failing) ends the pair: never leave a half-open forward behind.
    const both = () => {
      client.destroy();
      upstream.destroy();
    };
    client.once('close', both);
    upstream.once('close', both);
  });
  server.on('error', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('tcp proxy: no listening address');

  const destroyAll = () => {
    for (const s of [...open]) s.destroy();
  };

  return {
    port: address.port,
    cut() {
      isCut = true;
      destroyAll();
    },
    restore() {
      isCut = false;
    },
    async close() {
      isCut = true;
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    get stats() {
      return { forwarded, refused, open: open.size };
    },
  };
}
