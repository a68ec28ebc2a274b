// The control plane's HTTP API for tests: calls with the server's admin token (read from the
// `admin-token` file it made beside its credentials, or given), answers as status and JSON.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from './server.ts';

export interface AdminAnswer<T = any> {
  status: number;
  json: T;
}

export interface Admin {
  token: string;
  call<T = any>(method: string, path: string, body?: unknown, opts?: { token?: string | null; raw?: string }): Promise<AdminAnswer<T>>;
}

export function adminTokenOf(server: RunningServer): string {
  return readFileSync(join(server.dataDir, 'admin-token'), 'utf8').trim();
}

export function admin(server: RunningServer, token = adminTokenOf(server)): Admin {
  return {
    token,
    async call(method, path, body, opts = {}) {
      const t = opts.token === undefined ? token : opts.token;
      const res = await fetch(`${server.url}/_eniplane/${path}`, {
        method,
        headers: { ...(t === null ? {} : { authorization: `Bearer ${t}` }), ...(body !== undefined || opts.raw !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(opts.raw !== undefined ? { body: opts.raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
  };
}

/** One server-sent event as the events stream writes it. */
export interface StreamedEvent {
  /** The `id:` line: the cursor to resume from. */
  cursor: string;
  data: { seq: number; at: string; accountId: string | null; region: string | null; kind: string; id: string; change: string; before: any; after: any };
}

export interface EventStream {
  status: number;
  /** Every event received so far, in order. */
  events: StreamedEvent[];
  /** The last `id:` seen, event or keepalive. */
  lastId(): string | undefined;
  close(): void;
}

/**
 * Opens GET /_eniplane/events and parses what arrives, as an EventSource would: `id:` and `data:`
 * lines, a blank line ending each message, `:` comments skipped. Non-200 answers are read whole.
 */
export async function openEvents(server: RunningServer, query = '', opts: { token?: string; lastEventId?: string } = {}): Promise<EventStream & { body?: any }> {
  const stop = new AbortController();
  const res = await fetch(`${server.url}/_eniplane/events${query ? `?${query}` : ''}`, {
    headers: { authorization: `Bearer ${opts.token ?? adminTokenOf(server)}`, ...(opts.lastEventId !== undefined && { 'last-event-id': opts.lastEventId }) },
    signal: stop.signal,
  });
  const events: StreamedEvent[] = [];
  let lastId: string | undefined;
  if (res.status !== 200) return { status: res.status, events, lastId: () => lastId, close: () => stop.abort(), body: await res.json() };
  void (async () => {
    let buffer = '';
    let id: string | undefined;
    let data: string[] = [];
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += Buffer.from(chunk).toString('utf8');
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (data.length) events.push({ cursor: id ?? '', data: JSON.parse(data.join('\n')) });
            data = [];
          } else if (line.startsWith('id: ')) lastId = id = line.slice(4);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
      }
    } catch {
      // Closed by the test, or the server went away.
    }
  })();
  return { status: res.status, events, lastId: () => lastId, close: () => stop.abort() };
}
