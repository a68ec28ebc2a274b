/**
 * The control plane's own API under `/_eniplane/` on the cloud APIs' port: reset, export and import,
 * snapshots. Every call needs `Authorization: Bearer <admin token>`; answers are JSON, errors
 * `{"error": {"code", "message"}}` with a 400, 401, 404 or 405 status; every call is audited.
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Control } from '../../core/api.ts';
import { isDomainError, type DomainError } from '../../core/errors.ts';
import type { WorldDocument } from '../../core/ports/repo.ts';
import { EVENT_KINDS } from '../../core/events.ts';
import type { ChangeEvent, EventKind, Task } from '../../core/model.ts';
import { findInstanceType, type Catalog } from '../../core/catalog.ts';
import type { Dialect, RequestFacts, WireRequest, WireResponse } from '../../http/wire.ts';

export const ADMIN_PREFIX = '/_eniplane/';

export interface AdminOptions {
  control: Control;
  /** The bearer token every call must present. */
  token: string;
  /** For the world view: each instance's ENI and address quotas. */
  catalog?: Catalog;
  /** This node's recent call rates, for the events stream's `stats` messages. */
  rates?: () => { bucketMs: number; buckets: Array<{ at: number; requests: number; errors: number }> };
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const bad = (message: string) => new AdminError(400, 'InvalidRequest', message);

const resetBody = z.strictObject({ accountId: z.string().min(1).optional() });
const snapshotBody = z.strictObject({ name: z.string() });
const worldBody = z.strictObject({
  format: z.literal('eniplane-world'),
  version: z.string(),
  tables: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
});

const faultBody = z.strictObject({
  stage: z.enum(['request', 'task']),
  provider: z.enum(['tencent', 'jdcloud']).optional(),
  dialect: z.enum(['tencent3', 'tencent2', 'jdcloud']).optional(),
  action: z.string().min(1).optional(),
  operation: z.string().min(1).optional(),
  accountId: z.string().min(1).optional(),
  probability: z.number(),
  count: z.number().optional(),
  latencyMs: z.number().optional(),
  error: z.strictObject({ code: z.string(), message: z.string().max(500).optional(), status: z.number().int().min(100).max(9999).optional() }),
});

const transitionBody = z.strictObject({ operation: z.string(), mode: z.enum(['auto', 'manual', 'polls']), polls: z.number().optional() });
const failBody = z.strictObject({ code: z.string(), message: z.string().max(500).optional() });

type Route = {
  method: string;
  pattern: RegExp;
  action: string;
  mutating: boolean;
  run(o: AdminOptions, m: RegExpExecArray, body: () => unknown, query: URLSearchParams, headers: WireRequest['headers']): Promise<WireResponse>;
};

const json = (status: number, body: unknown): WireResponse => ({ status, headers: {}, body });

/** A name or id from the path, decoded; one that does not decode, or holds a NUL, is the client's error. */
function pathPart(raw: string): string {
  let v: string;
  try {
    v = decodeURIComponent(raw);
  } catch {
    throw bad(`"${raw}" in the path is not valid percent-encoding.`);
  }
  if (v.includes('\u0000') || v.length > 200) throw bad('A name or id in the path is at most 200 characters, without NUL.');
  return v;
}

/** A query filter: at most 200 characters, no NUL (PostgreSQL text cannot hold one). */
function filterValue(name: string, v: string): string {
  if (v.includes('\u0000') || v.length > 200) throw bad(`${name}: at most 200 characters, without NUL.`);
  return v;
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw bad(`${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
  }
  return r.data;
}

const ROUTES: Route[] = [
  {
    method: 'POST', pattern: /^reset$/, action: 'reset', mutating: true,
    async run(o, _m, body) {
      const b = parse(resetBody, body() ?? {});
      return json(200, await o.control.reset(b.accountId));
    },
  },
  {
    method: 'GET', pattern: /^export$/, action: 'export', mutating: false,
    async run(o) {
      return json(200, await o.control.exportWorld());
    },
  },
  {
    method: 'POST', pattern: /^import$/, action: 'import', mutating: true,
    async run(o, _m, body) {
      await o.control.importWorld(parse(worldBody, body()) as WorldDocument);
      return json(200, { imported: true });
    },
  },
  {
    method: 'POST', pattern: /^faults$/, action: 'addFault', mutating: true,
    async run(o, _m, body) {
      return json(201, await o.control.addFault(parse(faultBody, body())));
    },
  },
  {
    method: 'GET', pattern: /^faults$/, action: 'listFaults', mutating: false,
    async run(o) {
      return json(200, { faults: await o.control.listFaults() });
    },
  },
  {
    method: 'DELETE', pattern: /^faults$/, action: 'clearFaults', mutating: true,
    async run(o) {
      return json(200, { removed: await o.control.clearFaults() });
    },
  },
  {
    method: 'DELETE', pattern: /^faults\/([^/]+)$/, action: 'removeFault', mutating: true,
    async run(o, m) {
      await o.control.removeFault(pathPart(m[1]!));
      return json(200, { removed: 1 });
    },
  },
  {
    method: 'PUT', pattern: /^transitions$/, action: 'setTransitionMode', mutating: true,
    async run(o, _m, body) {
      const b = parse(transitionBody, body());
      await o.control.setTransitionMode(b);
      return json(200, b);
    },
  },
  {
    method: 'GET', pattern: /^transitions$/, action: 'listTransitionModes', mutating: false,
    async run(o) {
      return json(200, { transitions: await o.control.listTransitionModes() });
    },
  },
  {
    method: 'GET', pattern: /^tasks$/, action: 'listTasks', mutating: false,
    async run(o, _m, _body, query) {
      for (const k of query.keys()) if (!['state', 'limit'].includes(k)) throw bad(`${k}: unknown parameter (state and limit are known).`);
      const state = query.get('state') ?? undefined;
      if (state !== undefined && !['RUNNING', 'SUCCESS', 'FAILED'].includes(state)) throw bad(`state: "${state}" is not RUNNING, SUCCESS or FAILED.`);
      const limit = query.get('limit') ?? undefined;
      if (limit !== undefined && !(/^\d{1,4}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 1000)) throw bad(`limit: "${limit}" is not a number from 1 to 1000.`);
      const tasks = await o.control.listTasks(state as 'RUNNING' | undefined, limit === undefined ? {} : { limit: Number(limit) });
      return json(200, { tasks: tasks.map(taskView) });
    },
  },
  {
    method: 'POST', pattern: /^tasks\/([^/]+)\/complete$/, action: 'completeTask', mutating: true,
    async run(o, m) {
      await o.control.releaseTask(pathPart(m[1]!));
      return json(200, { completing: pathPart(m[1]!) });
    },
  },
  {
    method: 'POST', pattern: /^tasks\/([^/]+)\/fail$/, action: 'failTask', mutating: true,
    async run(o, m, body) {
      const b = parse(failBody, body());
      await o.control.releaseTask(pathPart(m[1]!), { code: b.code, message: b.message ?? `Failed from the control plane: ${b.code}.` });
      return json(200, { failing: pathPart(m[1]!) });
    },
  },
  {
    method: 'GET', pattern: /^events$/, action: 'events', mutating: false,
    async run(o, _m, _body, query, headers) {
      for (const k of query.keys()) if (!['since', 'accountId', 'kind', 'stats'].includes(k)) throw bad(`${k}: unknown parameter (since, accountId, kind and stats are known).`);
      const stats = query.get('stats');
      if (stats !== null && stats !== '1' && stats !== '0') throw bad(`stats: "${stats}" is not 1 or 0.`);
      const kinds = query.get('kind')?.split(',').map((k) => k.trim());
      for (const k of kinds ?? []) if (!(EVENT_KINDS as readonly string[]).includes(k)) throw bad(`kind: "${k}" is not one of ${EVENT_KINDS.join(', ')}.`);
      const accountId = query.get('accountId') === null ? undefined : filterValue('accountId', query.get('accountId')!);
      // A reconnecting EventSource says where it was; `since` asks for the events after a number
      // (0: all the store still keeps); by default the stream starts with what happens next.
      const resume = headers['last-event-id'] ?? query.get('since') ?? undefined;
      if (resume !== undefined && !/^\d{1,15}$/.test(resume)) throw bad(`since: "${resume}" is not an event number.`);
      const latest = await o.control.lastEventSeq();
      // A cursor beyond the newest event is from another store (a restart on a new database): the
      // client hears once that its picture is void, and follows from the newest.
      const ahead = resume !== undefined && Number(resume) > latest;
      const from = resume !== undefined && !ahead ? Number(resume) : latest;
      const filter = { ...(accountId !== undefined && { accountId }), ...(kinds && { kinds: new Set(kinds as EventKind[]) }) };
      const rates = stats === '1' ? o.rates : undefined;
      const first = ahead ? [{ seq: latest, at: o.control.now(), accountId: null, region: null, kind: 'world' as const, id: '', change: 'reset' as const, before: null, after: null }] : [];
      return { status: 200, headers: {}, body: null, stream: (signal) => sse(o.control.followEvents(from, filter, signal), from, rates, first) };
    },
  },
  {
    method: 'GET', pattern: /^world$/, action: 'viewWorld', mutating: false,
    async run(o) {
      const w = await o.control.viewWorld();
      const quota = (provider: 'tencent' | 'jdcloud', type: string) => {
        const t = o.catalog && findInstanceType(o.catalog, provider, type);
        return t ? { eniQuota: t.eniQuota, ipQuota: t.ipQuota } : {};
      };
      const providerOf = new Map(w.accounts.map((a) => [a.id, a.provider]));
      return json(200, {
        seq: w.seq,
        accounts: w.accounts,
        vpcs: w.vpcs,
        subnets: w.subnets,
        securityGroups: w.securityGroups,
        instances: w.instances.map(({ userData: _userData, ...i }) => ({ ...i, provider: providerOf.get(i.accountId), ...quota(providerOf.get(i.accountId) ?? 'tencent', i.instanceType) })),
        enis: w.enis,
        eips: w.eips,
      });
    },
  },
  {
    method: 'GET', pattern: /^audit$/, action: 'listCalls', mutating: false,
    async run(o, _m, _body, query) {
      const known = ['accountId', 'dialect', 'action', 'code', 'resourceId', 'limit'];
      for (const k of query.keys()) if (!known.includes(k)) throw bad(`${k}: unknown parameter (${known.join(', ')} are known).`);
      const limit = query.get('limit') ?? '200';
      if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw bad(`limit: "${limit}" is not a number from 1 to 1000.`);
      const q = Object.fromEntries(known.filter((k) => k !== 'limit' && query.get(k) !== null).map((k) => [k, filterValue(k, query.get(k)!)]));
      const calls = await o.control.listCalls({ ...q, limit: Number(limit) });
      return json(200, { calls: calls.map((c) => ({ ...c, at: new Date(c.at).toISOString() })) });
    },
  },
  {
    method: 'GET', pattern: /^history\/([^/]+)$/, action: 'history', mutating: false,
    async run(o, m) {
      const h = await o.control.historyOf(pathPart(m[1]!));
      return json(200, {
        calls: h.calls.map((c) => ({ ...c, at: new Date(c.at).toISOString() })),
        tasks: h.tasks.map(taskView),
        events: h.events.map(eventView),
      });
    },
  },
  {
    method: 'GET', pattern: /^snapshots$/, action: 'listSnapshots', mutating: false,
    async run(o) {
      return json(200, { snapshots: (await o.control.listSnapshots()).map(snapshotView) });
    },
  },
  {
    method: 'POST', pattern: /^snapshots$/, action: 'saveSnapshot', mutating: true,
    async run(o, _m, body) {
      return json(201, snapshotView(await o.control.saveSnapshot(parse(snapshotBody, body()).name)));
    },
  },
  {
    method: 'POST', pattern: /^snapshots\/([^/]+)\/restore$/, action: 'restoreSnapshot', mutating: true,
    async run(o, m) {
      await o.control.restoreSnapshot(pathPart(m[1]!));
      return json(200, { restored: pathPart(m[1]!) });
    },
  },
  {
    method: 'DELETE', pattern: /^snapshots\/([^/]+)$/, action: 'deleteSnapshot', mutating: true,
    async run(o, m) {
      await o.control.deleteSnapshot(pathPart(m[1]!));
      return json(200, { deleted: pathPart(m[1]!) });
    },
  },
];

/** Keeps a quiet connection open through proxies and shows a dead one. */
const KEEPALIVE_MS = 15_000;
const STATS_MS = 5_000;

/**
 * The events as server-sent events: one `data:` line of JSON each, its `id:` the cursor to resume
 * from (what an EventSource sends back as Last-Event-ID), and a comment line now and then.
 */
async function* sse(events: AsyncIterable<{ event: ChangeEvent; cursor: number } | { idle: true; cursor: number }>, from: number, rates?: AdminOptions['rates'], first: ChangeEvent[] = []): AsyncGenerator<string> {
  // No id yet: the follower's first cursor may lie below `from` (numbers there still awaited).
  yield `retry: 1000\n: eniplane events after ${from}\n\n`;
  for (const e of first) yield `data: ${JSON.stringify(eventView(e))}\n\n`;
  let quietSince = performance.now();
  let statsAt = Number.NEGATIVE_INFINITY;
  for await (const item of events) {
    // With ?stats=1, this node's call rates now and then, as `event: stats` (not a change: no id).
    if (rates && performance.now() - statsAt >= STATS_MS) {
      statsAt = performance.now();
      yield `event: stats\ndata: ${JSON.stringify(rates())}\n\n`;
    }
    if ('idle' in item) {
      if (performance.now() - quietSince < KEEPALIVE_MS) continue;
      quietSince = performance.now();
      yield `id: ${item.cursor}\n: keepalive\n\n`;
      continue;
    }
    quietSince = performance.now();
    yield `id: ${item.cursor}\ndata: ${JSON.stringify(eventView(item.event))}\n\n`;
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function taskView(t: Task) {
  return {
    id: t.id,
    accountId: t.accountId,
    region: t.region,
    operation: t.kind,
    status: t.status,
    resourceIds: t.resourceIds,
    held: t.dueAt === Number.MAX_SAFE_INTEGER,
    ...(t.pollsLeft !== null && { pollsLeft: t.pollsLeft }),
    errorCode: t.errorCode,
    errorMessage: t.errorMessage,
    provider: t.provider,
    dialect: t.dialect,
    createdAt: iso(t.createdAt),
    finishedAt: iso(t.finishedAt),
  };
}

function eventView(e: ChangeEvent) {
  return { seq: e.seq, at: new Date(e.at).toISOString(), accountId: e.accountId, region: e.region, kind: e.kind, id: e.id, change: e.change, before: e.before, after: e.after };
}

const snapshotView = (s: { name: string; createdAt: number }) => ({ name: s.name, createdAt: new Date(s.createdAt).toISOString() });

function tokenMatches(given: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(given ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Domain errors of the control operations, in this API's words. */
function domainAnswer(err: DomainError): AdminError {
  const d = err.data as { resource?: string; id?: string; field?: string; value?: unknown };
  if (err.kind === 'NotFound') return new AdminError(404, 'NotFound', `No ${d.resource} named "${d.id}".`);
  if (err.kind === 'InvalidValue') return bad(`${d.field}: ${typeof d.value === 'string' ? d.value : JSON.stringify(d.value)} is not valid.`);
  return bad(err.message);
}

export class AdminDialect implements Dialect {
  readonly name = 'admin';

  constructor(private readonly o: AdminOptions) {}

  claims(path: string): boolean {
    return path.startsWith(ADMIN_PREFIX) || path === ADMIN_PREFIX.slice(0, -1);
  }

  transportFailure(kind: 'tooLarge' | 'internal', facts: RequestFacts): WireResponse {
    facts.code = kind === 'tooLarge' ? 'TooLarge' : 'InternalError';
    return kind === 'tooLarge' ? json(413, { error: { code: 'TooLarge', message: 'The request body is too large.' } }) : json(500, { error: { code: 'InternalError', message: 'An internal error occurred.' } });
  }

  async handle(req: WireRequest, facts: RequestFacts): Promise<WireResponse> {
    const sub = req.path.slice(ADMIN_PREFIX.length);
    const method = req.method.toUpperCase();
    const candidates = ROUTES.filter((r) => r.pattern.test(sub));
    const route = candidates.find((r) => r.method === method);
    facts.action = route?.action ?? `${method} ${req.path}`.slice(0, 200);
    // Every call is audited, the refused ones too.
    facts.mutating = true;
    try {
      if (!tokenMatches(req.headers.authorization, this.o.token)) throw new AdminError(401, 'Unauthorized', 'Give the admin token as "Authorization: Bearer <token>".');
      if (!candidates.length) throw new AdminError(404, 'NotFound', `No admin endpoint ${req.path}.`);
      if (!route) throw new AdminError(405, 'MethodNotAllowed', `${req.path} takes ${candidates.map((r) => r.method).join(', ')}.`);
      const res = await route.run(this.o, route.pattern.exec(sub)!, () => body(req), new URLSearchParams(req.rawQuery), req.headers);
      facts.code = 'Success';
      return res;
    } catch (e) {
      const err = e instanceof AdminError ? e : isDomainError(e) ? domainAnswer(e) : undefined;
      if (!err) throw e;
      facts.code = err.code;
      return json(err.status, { error: { code: err.code, message: err.message } });
    }
  }
}

/** The JSON body; an empty one is undefined. */
function body(req: WireRequest): unknown {
  const text = req.body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw bad('The body is not JSON.');
  }
}
