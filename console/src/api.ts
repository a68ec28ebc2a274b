// The control-plane API as the console uses it: JSON calls with the admin token, and the events
// stream read with fetch (an EventSource cannot send an Authorization header), resumed from the
// last cursor when the connection drops.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface StreamedEvent {
  seq: number;
  at: string;
  accountId: string | null;
  region: string | null;
  kind: string;
  id: string;
  change: 'created' | 'changed' | 'deleted' | 'reset' | 'imported';
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface Rates {
  bucketMs: number;
  buckets: Array<{ at: number; requests: number; errors: number }>;
}

export class Api {
  constructor(readonly token: string) {}

  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`/_eniplane/${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new ApiError(res.status, json?.error?.message ?? `HTTP ${res.status}`);
    return json as T;
  }

  get<T = any>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /**
   * Follows the events stream until the returned function is called: each change to `onEvent`,
   * this node's call rates to `onRates`, the connection's state to `onLive`.
   */
  follow(from: number, on: { event(e: StreamedEvent): void; rates(r: Rates): void; live(up: boolean): void }): () => void {
    let stopped = false;
    let cursor = String(from);
    let controller: AbortController | undefined;
    const run = async () => {
      while (!stopped) {
        controller = new AbortController();
        try {
          const res = await fetch(`/_eniplane/events?stats=1&since=${cursor}`, { headers: { authorization: `Bearer ${this.token}` }, signal: controller.signal });
          if (!res.ok || !res.body) throw new ApiError(res.status, 'the events stream was refused');
          on.live(true);
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          let message: { id?: string; event?: string; data: string[] } = { data: [] };
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, nl);
              buffer = buffer.slice(nl + 1);
              if (line === '') {
                if (message.id !== undefined) cursor = message.id;
                if (message.data.length) {
                  const data = JSON.parse(message.data.join('\n'));
                  if (message.event === 'stats') on.rates(data as Rates);
                  else on.event(data as StreamedEvent);
                }
                message = { data: [] };
              } else if (line.startsWith('id: ')) message.id = line.slice(4);
              else if (line.startsWith('event: ')) message.event = line.slice(7);
              else if (line.startsWith('data: ')) message.data.push(line.slice(6));
            }
          }
        } catch {
          // Dropped or refused: say so, and try again shortly from where we were.
        }
        on.live(false);
        if (!stopped) await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void run();
    return () => {
      stopped = true;
      controller?.abort();
    };
  }
}
