// Fuzzing the JD Cloud OpenAPI (`/v1/regions/{regionId}/…`), on SQLite and PostgreSQL: for every
// vm and vpc operation, its method and path with real or wrong ids and regions, valid-ish bodies and
// list queries from its schemas (real ids of the seeded world mixed in) mutated every way the fuzz kit
// knows, signed with JDCLOUD2-HMAC-SHA256 or not (wrong scope, stale date, reused nonce), with broken
// JSON, odd bodies, content types, methods, paths and headers; then unknown paths, a body over the
// transport limit and hand-framed transport garbage. Every answer must carry `requestId` and, on
// error, a real HTTP status equal to `error.code` with a §3.3 status string (no 5xx but a documented
// 503); a refused request must leave the database digest unchanged; the server must stay up and log
// no error or stack trace.

import { test } from 'node:test';
import fc from 'fast-check';
import type { z } from 'zod';
import type { JdActionDef } from '../../src/dialects/jdcloud/action.ts';
import { vmOps } from '../../src/dialects/jdcloud/actions/vm.ts';
import { vpcOps } from '../../src/dialects/jdcloud/actions/vpc.ts';
import { skipUnless, STORE_KINDS } from '../support/stores.ts';
import { BROKEN_JSON, CONTENT_TYPES, GARBAGE_HEADER_VALUES, garbageBytes, NON_OBJECT_JSON, paramsArb } from './kit/arbs.ts';
import { checkerFor, checkJd } from './kit/check.ts';
import { fuzz, fuzzBudget, fuzzRun, seedFor } from './kit/runner.ts';
import { type Pools, seedJd } from './kit/seed.ts';
import { AUTH_MODES, type AuthMode, buildJd, type JdRequest } from './kit/sign.ts';
import { enc, encodePairs, flatten, rawCases, toJson } from './kit/wire.ts';

const OPS: Array<[string, JdActionDef]> = [
  ...Object.entries(vmOps).map(([n, d]) => [`vm.${n}`, d as unknown as JdActionDef] as [string, JdActionDef]),
  ...Object.entries(vpcOps).map(([n, d]) => [`vpc.${n}`, d as unknown as JdActionDef] as [string, JdActionDef]),
].sort(([a], [b]) => a.localeCompare(b));
/** Cases per store: ~8 per operation plus the unknown-path stream on CI. */
const BUDGET = fuzzBudget(8 * (OPS.length + 1));
const PER_OP = Math.max(1, Math.round(BUDGET / (OPS.length + 1)));
const REGION = 'cn-north-1';

interface JdCase {
  req: JdRequest;
  times: number;
  note: string;
}

type Tweak = (r: JdRequest) => { r: JdRequest; times?: number; note: string };

/** The pool of real ids for a route's `{id}`. */
function idPool(path: string, pools: Pools): string[] {
  if (path.startsWith('/instances')) return pools.instance;
  if (path.startsWith('/vpcs')) return pools.vpc;
  if (path.startsWith('/subnets')) return pools.subnet;
  if (path.startsWith('/networkInterfaces')) return pools.eni;
  if (path.startsWith('/elasticIps')) return pools.eip;
  return [];
}

/** Raw path segments that are wrong in ways a decoder notices. */
const BAD_SEGMENTS = ['%zz', '%25zz', '%', '%E0%A4%A', '%00', '%2F', '%2e%2e', '..', '.', enc('🦄'), enc('i-zzzzzzzzzz '), 'i-zzzzzzzzzz', 'port-zzzzzzzzzz', 'a%3Ab', enc('x'.repeat(300)), '%25', '%2525'];

const REGIONS = ['cn-east-2', 'cn-south-1', 'ap-guangzhou', 'CN-NORTH-1', '%zz', '%25zz', 'cn-north-1%00', enc('🦄'), 'constructor', '__proto__', '%2F', 'cn-north-1%20'];

const HEADER_NAMES = ['authorization', 'x-jdcloud-date', 'x-jdcloud-nonce', 'x-jdcloud-security-token', 'accept', 'content-type', 'host', 'expect', 'x-jdcloud-algorithm', 'user-agent', 'x-jdcloud-request-id'];

function tweaks(service: string): fc.Arbitrary<Tweak> {
  const t = <T>(weight: number, arb: fc.Arbitrary<T>, f: (x: T) => Tweak) => ({ weight, arbitrary: arb.map(f) });
  return fc.oneof(
    { weight: 16, arbitrary: fc.constant<Tweak>((r) => ({ r, note: 'plain' })) },
    t(2, fc.constantFrom(...AUTH_MODES.filter((a) => a !== 'ok')), (a: AuthMode) => (r) => ({ r: { ...r, auth: a }, note: `auth ${a}` })),
    t(1, fc.constantFrom(service === 'vm' ? 'vpc' : 'vm', 'VPC', 'cvm', ''), (s) => (r) => ({ r: { ...r, service: s }, note: `scope service ${s}` })),
    t(1, fc.constantFrom('cn-east-2', 'CN-NORTH-1', 'cn-north-1 '), (g) => (r) => ({ r: { ...r, region: g }, note: `scope region ${g}` })),
    t(1, fc.constantFrom(...BROKEN_JSON), (b) => (r) => ({ r: { ...r, body: Buffer.from(b) }, note: 'broken JSON' })),
    t(1, fc.constantFrom(...NON_OBJECT_JSON), (b) => (r) => ({ r: { ...r, body: Buffer.from(b) }, note: 'JSON that is not an object' })),
    t(1, garbageBytes(), (b) => (r) => ({ r: { ...r, body: b }, note: 'garbage body bytes' })),
    t(1, fc.constantFrom(...CONTENT_TYPES), (ct) => (r) => ({ r: { ...r, contentType: ct }, note: `content-type ${ct}` })),
    t(1, fc.constantFrom('PUT', 'HEAD', 'OPTIONS', 'GET', 'POST', 'PATCH', 'DELETE'), (m) => (r) => ({ r: { ...r, sendMethod: m }, note: `signed for ${r.method}, sent as ${m}` })),
    t(1, fc.constantFrom('PUT', 'GET', 'POST', 'PATCH', 'DELETE'), (m) => (r) => ({ r: { ...r, method: m }, note: `method ${m}` })),
    t(2, fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), fc.constantFrom(...GARBAGE_HEADER_VALUES)), { minLength: 1, maxLength: 3 }), (hs) => (r) => ({
      // A garbage Authorization replaces the real one (Node keeps the first of a repeated Authorization).
      r: { ...r, extraHeaders: hs, ...(hs.some(([k]) => k === 'authorization') ? { auth: 'none' as const } : {}) },
      note: `headers ${hs.map(([k]) => k).join(',')}`,
    })),
    t(1, fc.constantFrom('', '20200101', '20241301T000000Z', 'yesterday', '20260230T000000Z', '20240101T250000Z', '2024-01-01T00:00:00Z', '99999999T999999Z'), (d) => (r) => ({
      r: { ...r, datetime: d },
      note: `x-jdcloud-date ${d}`,
    })),
    t(1, fc.constantFrom('', 'x', 'a'.repeat(2000), '🦄'), (n) => (r) => ({ r: { ...r, nonce: n }, note: `nonce ${n.slice(0, 20)}` })),
    t(1, fc.constant(0), () => (r) => ({ r: { ...r, chunked: true }, note: 'chunked' })),
    t(1, fc.constant(0), () => (r) => ({ r, times: 2, note: 'sent twice (replay)' })),
    t(1, fc.constantFrom('/', '//', '%3A', ':', '?', '/..', ';x', '%20'), (suffix) => (r) => ({ r: { ...r, path: `${r.path}${suffix}` }, note: `path + ${suffix}` })),
    t(1, fc.constantFrom(...REGIONS), (g) => (r) => ({ r: { ...r, path: r.path.replace(`/regions/${REGION}/`, `/regions/${g}/`) }, note: `path region ${g}` })),
  );
}

/** Cases for one operation: its method and path (with an id), query and body from its schemas. */
function caseArb(def: JdActionDef, pools: Pools): fc.Arbitrary<JdCase> {
  const pool = idPool(def.path, pools);
  const others = [...pools.vpc, ...pools.subnet, ...pools.instance, ...pools.eni, ...pools.eip, ...pools.foreign];
  const id = fc.oneof(
    { weight: 8, arbitrary: pool.length ? fc.constantFrom(...pool) : fc.constant('x') },
    { weight: 1, arbitrary: fc.constantFrom(...others) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_SEGMENTS) },
  );
  const hasBody = def.method === 'POST' || def.method === 'PATCH';
  const body = hasBody ? paramsArb(def.body as z.ZodType, pools).map((b) => Buffer.from(toJson(b))) : fc.oneof(fc.constant(Buffer.alloc(0)), fc.constant(Buffer.from('{"junk":1}')));
  const query = fc.oneof(
    { weight: 3, arbitrary: paramsArb(def.query as z.ZodType, pools).map((q) => encodePairs(flatten(q))) },
    { weight: 1, arbitrary: fc.constantFrom('', 'pageNumber=1&pageSize=100', 'filters.1.name=vpcId&filters.1.values.1=x', 'a=%zz', '%00', 'x=1&x=2', 'filters=1', 'pageSize=-1') },
  );
  return fc
    .record({ id, body, query, colon: fc.boolean(), tweak: tweaks(def.service) })
    .map(({ id: i, body: b, query: q, colon, tweak }) => {
      let path = `/v1/regions/${REGION}${def.path.replace('{id}', i)}`;
      // The SDK escapes ':' as %3A; other clients send it raw. Both must route.
      if (colon) path = path.replace(/:(?=[a-zA-Z]+$)/, '%3A');
      const base: JdRequest = { method: def.method, path, ...(q ? { query: q } : {}), body: b, service: def.service, region: REGION, auth: 'ok' };
      const { r, times, note } = tweak(base);
      return { req: r, times: times ?? 1, note };
    });
}

/** Paths no route serves, with any method. */
function unknownPathArb(pools: Pools): fc.Arbitrary<JdCase> {
  const paths = fc.oneof(
    fc.constantFrom(
      '/v1/regions/', '/v1/regions', '/v1/regions//vpcs/', `/v1/regions/${REGION}`, `/v1/regions/${REGION}/`, `/v1/regions/${REGION}/foo`,
      `/v1/regions/${REGION}/instances/i-zzzzzzzzzz:rebootInstance`, `/v1/regions/${REGION}/instances/i-zzzzzzzzzz/extra`, `/v1/regions/${REGION}/vpcs/a/b/c`,
      `/v1/regions/${REGION}/networkInterfaces/%zz:assignSecondaryIps`, `/v1/regions/${REGION}/instances/:attachNetworkInterface`, `/v1/regions/${REGION}/instances/${enc('a/b')}`,
      `/v1/regions/${REGION}/elasticIps/${pools.eip[0] ?? 'x'}:deleteElasticIp`, `/v1/regions/${REGION}/instanceTypes/x`, '/v1/regions/%25/vpcs/',
    ),
    fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `/v1/regions/${REGION}/${enc(s)}`),
  );
  return fc
    .record({
      path: paths,
      method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS'),
      service: fc.constantFrom('vm', 'vpc'),
      body: fc.constantFrom('', '{}', '{"a":1}', '['),
      auth: fc.constantFrom<AuthMode>('ok', 'ok', 'none', 'garbled'),
    })
    .map(({ path, method, service, body, auth }) => ({
      req: { method, path, body: Buffer.from(body), service, region: REGION, auth },
      times: 1,
      note: 'unknown path',
    }));
}

for (const kind of STORE_KINDS) {
  test(`fuzz: JD Cloud OpenAPI (${kind})`, { skip: await skipUnless(kind) }, async (t) => {
    await fuzzRun(t, kind, { dialect: 'JD Cloud', plan: `${OPS.length} operations × ${PER_OP} + unknown paths`, seed: seedJd }, async ({ world, port, runner }) => {

    for (const [name, def] of OPS) {
      await fuzz(`JD ${name} (${kind})`, caseArb(def, world.pools), PER_OP, seedFor(`jd:${kind}:${name}`), async (c) => {
        await runner.run(`${name} [${c.req.method} ${c.req.path.slice(0, 80)}; ${c.note}]`, buildJd(port, world.keys, c.req), checkJd, { times: c.times });
      });
      await runner.checkpoint(`after ${name}`);
    }
    await fuzz(`JD unknown paths (${kind})`, unknownPathArb(world.pools), PER_OP, seedFor(`jd:${kind}:unknown`), async (c) => {
      // `/v1/regions` without its slash is not JD's: the server routes it to API 3.0.
      await runner.run(`unknown path [${c.req.method} ${c.req.path.slice(0, 80)}]`, buildJd(port, world.keys, c.req), checkerFor(c.req.path), { times: c.times });
    });
    await runner.checkpoint('after unknown paths');

    // ---- bodies around the transport limit (10 MB): JD documents none; over it is 400 INVALID_ARGUMENT ----
    const big = (n: number) => Buffer.from(`{"vpcName":"${'a'.repeat(n - 30)}","x":1}`.padEnd(n, ' '));
    for (const [what, size, tooBig] of [
      ['body 10 MB + 1', 10 * 1024 * 1024 + 1, true],
      ['body of exactly 10 MB', 10 * 1024 * 1024, false],
      ['body of 25 MB', 25 * 1024 * 1024, true],
    ] as const) {
      const res = await runner.run(
        `size: ${what}`,
        buildJd(port, world.keys, { method: 'POST', path: `/v1/regions/${REGION}/vpcs/`, body: big(size), service: 'vpc', region: REGION, auth: 'ok' }),
        checkJd,
      );
      const refusedForSize = res.status === 400 && /too large/i.test(res.text);
      if (tooBig !== refusedForSize) runner.fail(`size: ${what}: expected ${tooBig ? 'a' : 'no'} size refusal, got HTTP ${res.status} ${res.text.slice(0, 500)}`);
    }
    await runner.checkpoint('after the size limits');

    // ---- regressions: each was a finding of this fuzz (a 500 with a stack trace, a bare 4xx) --------
    const r = (method: string, path: string, o: Partial<JdRequest> = {}) =>
      buildJd(port, world.keys, { method, path: `/v1/regions/${REGION}${path}`, service: 'vpc', region: REGION, auth: 'ok', ...o });
    const regressions: Array<[string, ReturnType<typeof buildJd>, string]> = [
      ['an id that decodes to `%zz`', r('GET', '/vpcs/%25zz'), '404 NOT_FOUND'],
      ['an id that decodes to `%`', r('DELETE', '/networkInterfaces/%25'), '404 NOT_FOUND'],
      ['an id with NUL', r('GET', '/networkInterfaces/%00'), '400 INVALID_ARGUMENT'],
      ['a region that decodes to `%zz`', buildJd(port, world.keys, { method: 'GET', path: '/v1/regions/%25zz/vpcs/', service: 'vpc', region: '%zz', auth: 'ok' }), '400 INVALID_ARGUMENT'],
      ['a name with NUL', r('POST', '/vpcs/', { body: Buffer.from('{"vpcName":"a\\u0000b","addressPrefix":"10.77.0.0/16"}') }), '400 INVALID_ARGUMENT'],
      ['a filter value with NUL', r('GET', '/networkInterfaces/', { query: 'filters.1.name=networkInterfaceIds&filters.1.values.1=%00' }), '400 INVALID_ARGUMENT'],
      ['a query name 10 000 levels deep', r('GET', '/vpcs/', { query: `filters.${'0.'.repeat(10_000)}name=x` }), '400 INVALID_ARGUMENT'],
      ['Content-Type Fastify cannot parse (ü/ü)', r('POST', '/vpcs/', { contentType: 'ü/ü', body: Buffer.from('{"vpcName":"x","addressPrefix":"10.99.0.0/33"}') }), '400 INVALID_ARGUMENT'],
      ['Expect: garbage', r('GET', '/vpcs/', { extraHeaders: [['expect', 'garbage']] }), '200'],
      ['method TRACE', r('GET', '/vpcs/', { sendMethod: 'TRACE' }), '404 NOT_FOUND'],
      ['a target the router cannot decode', { ...r('GET', '/vpcs/'), path: `/v1/regions/${REGION}/vpcs/%zz%` }, '400 INVALID_ARGUMENT'],
    ];
    for (const [what, wire, want] of regressions) {
      const res = await runner.run(`regression: ${what}`, wire, checkJd);
      if (res.code !== want) runner.fail(`regression: ${what}: expected ${want}, got HTTP ${res.status} ${res.text.slice(0, 500)}`);
    }
    await runner.checkpoint('after the regressions');

    const base = buildJd(port, world.keys, { method: 'POST', path: `/v1/regions/${REGION}/vpcs/`, body: Buffer.from('{"vpcName":"x","addressPrefix":"10.99.0.0/33"}'), service: 'vpc', region: REGION, auth: 'ok' });
    for (const rc of rawCases(base)) {
      await runner.runRaw(`raw: ${rc.name}`, rc.bytes, { validHttp: rc.validHttp, method: rc.method, target: rc.target, ...(rc.halfClose ? { halfClose: true } : {}) });
    }
    await runner.checkpoint('after the transport garbage');

    });
  });
}
