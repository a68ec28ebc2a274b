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
