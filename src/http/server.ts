/**
 * The HTTP front: picks the dialect a request belongs to, hands it the raw bytes, and writes the
 * dialect's answer. Health and nothing else lives beside the dialects here.
 */
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Dialect, RequestFacts, WireRequest, WireResponse } from './wire.ts';
import type { Clock } from '../core/clock.ts';
import { createServer } from 'node:http';
import type { AuditEntry } from '../core/model.ts';
import type { Metrics } from './metrics.ts';

/** `http://host/path?q` → `/path?q`; an origin-form target is returned as it is. */
function originForm(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(url);
  if (!m) return url;
  return m[1] === '' ? '/' : m[1]!.startsWith('/') ? m[1]! : `/${m[1]}`;
}

/** The path of a request target in either form, without its query. */
export function pathOf(url: string): string {
  const raw = originForm(url);
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}

export interface ServerOptions {
  /** Resolves when the database answers (for /healthz). */
  health(): Promise<void>;
  /** Writes one audit entry; entries of requests finishing together may share a transaction. */
  recordAudit(entry: AuditEntry): Promise<void>;
  /** Asked in order which one claims a request's path; the last claims every path. */
  dialects: readonly Dialect[];
  /** Matches every resource id form of every provider, for the audit trail. */
  resourceIds: RegExp;
  logger: Logger;
  /** Largest body any dialect accepts (API 3.0 JSON: 10 MB); dialects apply their own lower limits. */
  bodyLimit: number;
  /** Time a client has to send a whole request (headers and body); default 30 s. */
  requestTimeoutMs?: number;
  /** Served at /metrics and told of every answered request. */
  metrics?: Metrics;
  /** The built web console (its index.html and assets), served at /console/. */
  consoleDir?: string;
  clock: Clock;
}

/** The resource ids a request named or its answer returned, for the audit trail. */
function resourceIdsOf(pattern: RegExp, req: WireRequest, answer: unknown): string[] {
  const text = `${decodeSafe(req.path)} ${decodeSafe(req.rawQuery)} ${req.body.toString('utf8')} ${JSON.stringify(answer)}`;
  return [...new Set(text.match(pattern) ?? [])].sort();
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Largest request line plus headers a client may send (Node's default is 16 KB; SDK headers fit easily). */
export const MAX_HEADER_BYTES = 64 * 1024;

/** The first of `dialects` that claims the path of `url` (the last claims every path). */
export function routeTo<D extends Pick<Dialect, 'claims'>>(dialects: readonly D[], url: string): D {
  const path = pathOf(url);
  return dialects.find((d) => d.claims(path)) ?? dialects[dialects.length - 1]!;
}

export function buildServer(o: ServerOptions) {
  const app = Fastify({
    // A client behind a plain HTTP proxy sends absolute-form targets (`POST http://vpc.api.qcloud.com/v2/index.php`).
    rewriteUrl: (req) => originForm(req.url ?? '/'),
    bodyLimit: o.bodyLimit,
    loggerInstance: o.logger,
    // One line per request is written by the handler itself, with the dialect's facts.
    logController: new LogController({ disableRequestLogging: true }),
    // A slow client cannot hold a connection open: the whole request must arrive within the
    // request timeout, headers included, and Node checks for stalled connections every second
    // (its default is every 30 s, which would let a slow client sit far past the limit).
    serverFactory: (handler) => {
      const timeout = o.requestTimeoutMs ?? 30_000;
      const server = createServer(
        // A query may be 32 KB (API 3.0); Node's default 16 KB header limit would refuse it with a bare 431.
        { requestTimeout: timeout, headersTimeout: timeout, connectionsCheckingInterval: Math.min(1000, timeout), keepAliveTimeout: 5_000, maxHeaderSize: MAX_HEADER_BYTES },
        handler,
      );
      // An `Expect:` Node does not know would get a bare 417; the request is served like any other.
      server.on('checkExpectation', (req, res) => handler(req, res));
      return server;
    },
    genReqId: () => randomUUID(),
    // A target the router cannot decode (`/%zz%`) is still a request, for its dialect to refuse in its
    // own envelope rather than Fastify's generic 400.
    frameworkErrors: (_err, req, reply) => void readRest(req.raw, o.bodyLimit).then((body) => serve(req, reply, body ?? Buffer.alloc(0))),
  });
  // Signatures cover the raw bytes, so no body is parsed before a dialect sees it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // The peer's address, taken when the request arrives: once the connection is gone (a client that
  // hung up, or was cut off by the request timeout) the socket no longer knows it, and an audit entry
  // without its source could not be written.
  const peers = new WeakMap<IncomingMessage, string>();
  app.addHook('onRequest', (req, _reply, done) => {
    if (req.ip) peers.set(req.raw, req.ip);
    done();
  });

  // /healthz and /readyz: the store answers (its migrations ran before the server listened);
  // /livez: the process answers, whatever the store does.
  for (const path of ['/healthz', '/readyz']) {
    app.get(path, async (_req, reply) => {
      try {
        await o.health();
        return write(reply, { status: 200, headers: {}, body: { status: 'ok' } });
      } catch {
        return write(reply, { status: 503, headers: {}, body: { status: 'unavailable', reason: 'database unreachable' } });
      }
    });
  }
  app.get('/livez', async (_req, reply) => write(reply, { status: 200, headers: {}, body: { status: 'ok' } }));
  if (o.metrics) {
    const registry = o.metrics.registry;
    // Prometheus' text format, not JSON: the one answer written as it is.
    app.get('/metrics', async (_req, reply) => reply.status(200).header('content-type', registry.contentType).send(await registry.metrics()));
  }

  // The web console: static files, public (the data behind them needs the admin token). When it
  // has not been built, /console says how to build it.
  if (o.consoleDir !== undefined) {
    const dir = o.consoleDir;
    app.get('/console', async (_req, reply) => reply.redirect('/console/', 302));
    if (existsSync(join(dir, 'index.html'))) void app.register(fastifyStatic, { root: dir, prefix: '/console/', index: ['index.html'], maxAge: 0 });
    else app.get('/console/*', async (_req, reply) => reply.code(503).type('text/plain; charset=utf-8').send('The console is not built: run `npm run build`.\n'));
  }

  const pick = (req: FastifyRequest): Dialect => routeTo(o.dialects, req.raw.url ?? '/');

  // Open event streams end when the server closes, or close() would wait for their clients forever.
  const streams = new Set<AbortController>();
  app.addHook('preClose', (done) => {
    for (const s of streams) s.abort();
    done();
  });
  const writeAnswer = (reply: FastifyReply, res: WireResponse): FastifyReply => (res.stream ? writeStream(reply, res, streams) : write(reply, res));

  app.setErrorHandler(async (err, req, reply) => {
    const dialect = pick(req);
    const facts: RequestFacts = { requestId: req.id, dialect: dialect.name };
    let tooLarge = (err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (!tooLarge && status >= 400 && status < 500) {
      // Fastify refused what the client sent before any dialect saw it (a Content-Type it cannot parse,
      // such as '' or 'ü/ü'; a client that hung up mid-body). The client's fault, not ours: the dialect
      // judges the request as it arrived, in its own words, and nothing is logged as an error.
      const body = await readRest(req.raw, o.bodyLimit);
      if (body !== undefined) return serve(req, reply, body);
      tooLarge = true;
    } else if (!tooLarge) o.logger.error({ err, requestId: req.id }, 'transport error');
    // Fastify refuses an oversized body before reading it and then closes the connection; a client
    // still writing would see EPIPE/ECONNRESET instead of our answer. Read (and drop) the rest first.
    if (tooLarge) await drain(req.raw, 4 * o.bodyLimit);
    return write(reply, dialect.transportFailure(tooLarge ? 'tooLarge' : 'internal', facts));
  });

  /** Every mutating call, accepted or refused, is recorded; a lost audit write is logged, never hidden. */
  const audit = async (facts: RequestFacts, wire: WireRequest, res: WireResponse): Promise<void> => {
    try {
      await o.recordAudit({
        at: o.clock.now(),
        accountId: facts.accountId ?? null,
        // The key id as presented, which may be hostile: PostgreSQL text cannot hold a NUL.
        keyId: facts.keyId === undefined ? null : facts.keyId.replaceAll('\u0000', '\ufffd'),
        source: wire.remoteAddress,
        dialect: facts.dialect,
        action: (facts.action ?? '').replaceAll('\u0000', '\ufffd'),
        resourceIds: resourceIdsOf(o.resourceIds, wire, res.body),
        resultCode: facts.code ?? '',
        httpStatus: res.status,
        requestId: facts.requestId,
      });
    } catch (err) {
      o.logger.error({ requestId: facts.requestId, error: String(err) }, 'audit entry could not be written');
    }
  };

  /** Hands one request, with its raw body, to its dialect, audits it, logs one line, writes the answer. */
  const serve = async (req: FastifyRequest, reply: FastifyReply, body: Buffer) => {
    const started = performance.now();
    const dialect = pick(req);
    const facts: RequestFacts = { requestId: req.id, dialect: dialect.name };
    const raw = originForm(req.raw.url ?? '/');
    const q = raw.indexOf('?');
    const wire: WireRequest = {
      method: req.method,
      path: q < 0 ? raw : raw.slice(0, q),
      rawQuery: q < 0 ? '' : raw.slice(q + 1),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : v])),
      body,
      remoteAddress: peers.get(req.raw) ?? req.ip ?? 'unknown',
      scheme: req.protocol === 'https' ? 'https' : 'http',
    };
    const res = await dialect.handle(wire, facts);
    if (facts.mutating) await audit(facts, wire, res);
    o.metrics?.request(facts, (performance.now() - started) / 1000);
    o.logger.info(
      {
        requestId: facts.requestId,
        dialect: facts.dialect,
        action: facts.action,
        account: facts.accountId,
        status: res.status,
        code: facts.code,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
    return writeAnswer(reply, res);
  };
  const serveParsed = (req: FastifyRequest, reply: FastifyReply) => serve(req, reply, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
  app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'], url: '/*', handler: serveParsed });
  // Methods outside the table (TRACE, PROPFIND, PURGE...) reach the dialects too, which refuse them in
  // their own envelope (UnsupportedProtocol, 4600, 404) instead of Fastify's generic 404.
  app.setNotFoundHandler(serveParsed);
  return app;
}

/**
 * Writes an answer as the clouds do: the JSON bytes with `Content-Type: application/json` exactly and a
 * Content-Length. Fastify would serialise an object itself and append `; charset=utf-8`, and
 * tencentcloud-sdk-python (so tccli) recognises an error only under exactly `application/json` or
 * `text/plain`: with the parameter it takes every refusal for a success.
 */
function write(reply: FastifyReply, res: WireResponse): FastifyReply {
  return reply
    .code(res.status)
    .headers({ ...res.headers, 'content-type': 'application/json' })
    .send(Buffer.from(JSON.stringify(res.body), 'utf8'));
}

/** Writes server-sent events as the stream yields them; the stream ends when the client goes. */
function writeStream(reply: FastifyReply, res: WireResponse, open: Set<AbortController>): FastifyReply {
  reply.hijack();
  const raw = reply.raw;
  const stop = new AbortController();
  open.add(stop);
  raw.on('close', () => stop.abort());
  raw.writeHead(res.status, { ...res.headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  void (async () => {
    try {
      for await (const chunk of res.stream!(stop.signal)) {
        if (stop.signal.aborted) break;
        if (!raw.write(chunk)) {
          // A slow reader: wait for the buffer to drain, or for the client to go.
          await new Promise<void>((resolve) => {
            const done = () => {
              raw.off('drain', done);
              raw.off('close', done);
              resolve();
            };
            raw.on('drain', done).on('close', done);
          });
        }
      }
    } catch (err) {
      reply.log.warn({ err }, 'event stream ended by an error');
    } finally {
      open.delete(stop);
      raw.end();
    }
  })();
  return reply;
}

/**
 * The rest of a request body that no parser has read, or undefined when it exceeds `max` (the rest is
 * then drained). A body already consumed or cut off by the client gives what is left: nothing.
 */
async function readRest(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  if (req.complete || req.destroyed || req.readableEnded) return Buffer.alloc(0);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let seen = 0;
    const done = (out: Buffer | undefined) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onEnd);
      req.off('error', onEnd);
      resolve(out);
    };
    const onEnd = () => done(Buffer.concat(chunks));
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > max) {
        done(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onEnd);
    req.on('error', onEnd);
    req.resume();
  });
}

/**
 * Reads and discards what is left of a request body, up to `max` bytes (beyond that the client gets
 * a closed connection). Ends when the body ends or the socket closes (requestTimeout bounds a stall).
 */
function drain(req: IncomingMessage, max: number): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', done);
      req.off('close', done);
      req.off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > max) {
        req.pause();
        done();
      }
    };
    req.on('data', onData);
    req.on('end', done);
    req.on('close', done);
    req.on('error', done);
    req.resume();
  });
}
