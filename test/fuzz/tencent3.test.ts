// Fuzzing Tencent Cloud API 3.0 (`/`), on SQLite and PostgreSQL: for every action, valid-ish
// parameters from its schema (with real ids of the seeded world) mutated in every way the fuzz kit knows,
// sent in the four wire modes (TC3 POST/GET, v1 POST/GET), correctly signed or not, with broken
// JSON, odd bodies, content types, methods, hosts and headers; then unknown actions, size limits and
// hand-framed transport garbage. Every answer must be HTTP 200 `{"Response":{…,"RequestId"}}` with a
// documented code; a refused request must leave the database digest unchanged; the server must stay
// up and log no error or stack trace.

import { test } from 'node:test';
import fc from 'fast-check';
import type { z } from 'zod';
import { actions } from '../../src/dialects/tencent3/actions/index.ts';
import { LIMITS } from '../../src/dialects/tencent3/dialect.ts';
import { skipUnless, STORE_KINDS } from '../support/stores.ts';
import { BROKEN_JSON, CONTENT_TYPES, GARBAGE_HEADER_VALUES, garbageBytes, mutantValue, NON_OBJECT_JSON, ODD_METHODS, paramsArb } from './kit/arbs.ts';
import { checkT3 } from './kit/check.ts';
import { fuzz, fuzzBudget, fuzzRun, seedFor } from './kit/runner.ts';
import { type Pools, seedTencent } from './kit/seed.ts';
import { AUTH_MODES, type AuthMode, buildT3, type T3Mode, type T3Request } from './kit/sign.ts';
import { rawCases } from './kit/wire.ts';

const ACTIONS = Object.keys(actions).sort();
/** Cases per store: ~9 per action plus the unknown-action stream on CI. */
const BUDGET = fuzzBudget(9 * (ACTIONS.length + 1));
const PER_ACTION = Math.max(1, Math.round(BUDGET / (ACTIONS.length + 1)));

interface T3Case {
  req: T3Request;
  times: number;
  note: string;
}

type Tweak = (r: T3Request) => { r: T3Request; times?: number; note: string };

const HEADER_NAMES = [
  'authorization', 'x-tc-action', 'x-tc-version', 'x-tc-timestamp', 'x-tc-region', 'x-tc-language', 'x-tc-token', 'x-tc-content-sha256',
  'x-tc-traceid', 'x-tc-requestclient', 'content-encoding', 'expect', 'accept', 'cookie', 'x-forwarded-for', 'host', 'content-type', 'x-tc-action',
];

const HOSTS = [
  'vpc.tencentcloudapi.com', 'cvm.tencentcloudapi.com', 'vpc.ap-shanghai-fsi.tencentcloudapi.com', 'vpc.ap-guangzhou.tencentcloudapi.com',
  'cvm.ap-shenzhen-fsi.tencentcloudapi.com', 'vpc.intl.tencentcloudapi.com', '', 'a'.repeat(300), '[::1]:80', '127.0.0.1:99999', 'ünï.example',
  'localhost:abc', 'VPC.TENCENTCLOUDAPI.COM', 'vpc..tencentcloudapi.com', 'vpc.ap-guangzhou-fsi.tencentcloudapi.com:443',
];

const ACTION_MANGLES = (action: string): Array<string | undefined> => [
  undefined, '', action.toLowerCase(), action.toUpperCase(), ` ${action}`, `${action} `, `${action}\u0000`, `${action}s`, '__proto__', 'constructor',
  'toString', 'hasOwnProperty', 'valueOf', 'Foo', 'x'.repeat(2000), '🦄', 'DescribeVpcs,CreateVpc',
];

function tweaks(action: string): fc.Arbitrary<Tweak> {
  const t = <T>(weight: number, arb: fc.Arbitrary<T>, f: (x: T) => Tweak) => ({ weight, arbitrary: arb.map(f) });
  return fc.oneof(
    { weight: 18, arbitrary: fc.constant<Tweak>((r) => ({ r, note: 'plain' })) },
    t(2, fc.constantFrom(...AUTH_MODES.filter((a) => a !== 'ok')), (a: AuthMode) => (r) => ({ r: { ...r, auth: a }, note: `auth ${a}` })),
    t(1, fc.constantFrom(...BROKEN_JSON), (b) => (r) => ({ r: { ...r, mode: 'tc3-post', rawBody: Buffer.from(b) }, note: 'broken JSON' })),
    t(1, fc.constantFrom(...NON_OBJECT_JSON), (b) => (r) => ({ r: { ...r, mode: 'tc3-post', rawBody: Buffer.from(b) }, note: 'JSON that is not an object' })),
    t(1, garbageBytes(), (b) => (r) => ({ r: { ...r, rawBody: b }, note: 'garbage body bytes' })),
    t(1, fc.constantFrom<string | null>(...CONTENT_TYPES, null), (ct) => (r) => ({ r: { ...r, contentType: ct }, note: `content-type ${String(ct)}` })),
    t(1, fc.constantFrom(...ODD_METHODS), (m) => (r) => ({ r: { ...r, method: m }, note: `method ${m}` })),
    t(1, fc.constantFrom('GET', 'POST'), (m) => (r) => ({ r: { ...r, method: m }, note: `signed for one method, sent as ${m}` })),
    t(2, fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), fc.constantFrom(...GARBAGE_HEADER_VALUES)), { minLength: 1, maxLength: 3 }), (hs) => (r) => ({
      // A garbage Authorization replaces the real one (Node keeps the first of a repeated Authorization).
      r: { ...r, extraHeaders: hs, ...(hs.some(([k]) => k === 'authorization') ? { auth: 'none' as const } : {}) },
      note: `headers ${hs.map(([k]) => k).join(',')}`,
    })),
    t(1, fc.constantFrom(...HOSTS), (h) => (r) => ({ r: { ...r, host: h }, note: `host ${h.slice(0, 40)}` })),
    t(1, fc.constantFrom<string | null>(null, '', '2017-03-13', '2020-01-01', 'v3', '2017-03-12 ', '2017-3-12'), (v) => (r) => ({ r: { ...r, version: v }, note: `version ${String(v)}` })),
    t(
      1,
      fc.constantFrom<string | null>(null, '', 'ap-nowhere', 'AP-GUANGZHOU', 'ap-shanghai-fsi', 'gz', 'constructor', '__proto__', 'ap-guangzhou\u0000', '广州', 'cn-north-1'),
      (g) => (r) => ({ r: { ...r, region: g }, note: `region ${String(g)}` }),
    ),
    t(1, fc.constantFrom('en-US', 'zh-CN', 'fr-FR', '', 'EN-us', 'zh-CN,en-US'), (l) => (r) => ({ r: { ...r, language: l }, note: `language ${l}` })),
    t(1, fc.constantFrom<T3Mode>('v1-post', 'v1-get'), (m) => (r) => ({ r: { ...r, mode: m, signatureMethod: 'HmacSHA256' }, note: 'v1 HmacSHA256' })),
    t(1, fc.constant(0), () => (r) => ({ r: { ...r, chunked: true }, note: 'chunked' })),
    t(1, fc.constantFrom<T3Mode>('tc3-post', 'v1-post', 'v1-get'), (m) => (r) => ({ r: { ...r, mode: m }, times: 2, note: 'sent twice (replay)' })),
    t(1, fc.constantFrom(...ACTION_MANGLES(action)), (a) => (r) => ({ r: { ...r, action: a }, note: `action ${String(a).slice(0, 40)}` })),
  );
}

function caseArb(action: string, params: fc.Arbitrary<unknown>): fc.Arbitrary<T3Case> {
  return fc
    .record({
      params,
      mode: fc.constantFrom<T3Mode>('tc3-post', 'tc3-post', 'tc3-post', 'tc3-get', 'v1-post', 'v1-get'),
      tweak: tweaks(action),
    })
    .map(({ params: p, mode, tweak }) => {
      // Each action is signed with its product's version (the tag service's is 2018-08-13).
      const { r, times, note } = tweak({ mode, action, params: p, auth: 'ok', version: actions[action]?.version ?? '2017-03-12' });
      return { req: r, times: times ?? 1, note };
    });
}

/** Actions that do not exist, with any parameters. */
function unknownActionArb(pools: Pools): fc.Arbitrary<T3Case> {
  const names = fc.oneof(
    fc.constantFrom('', 'Foo', 'createvpc', 'DescribeVpcs ', '__proto__', 'constructor', 'toString', '__defineGetter__', 'ActionOffline', 'RunInstance', '🦄', 'x'.repeat(5000)),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );
  const params = fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), mutantValue(pools), { maxKeys: 4 }), fc.constant({}));
  return caseArb('Foo', params).chain((c) => names.map((a) => ({ ...c, req: { ...c.req, action: a }, note: `${c.note}; unknown action` })));
}

for (const kind of STORE_KINDS) {
  test(`fuzz: Tencent API 3.0 (${kind})`, { skip: await skipUnless(kind) }, async (t) => {
    await fuzzRun(t, kind, { dialect: 'Tencent API 3.0', plan: `${ACTIONS.length} actions × ${PER_ACTION} + unknown actions`, seed: seedTencent }, async ({ world, port, runner }) => {

    // ---- every action ----------------------------------------------------------------------
    for (const name of ACTIONS) {
      const schema = actions[name]!.params as z.ZodType;
      await fuzz(`3.0 ${name} (${kind})`, caseArb(name, paramsArb(schema, world.pools)), PER_ACTION, seedFor(`t3:${kind}:${name}`), async (c) => {
        await runner.run(`${name} [${c.req.mode}; ${c.note}]`, buildT3(port, world.keys, c.req), checkT3, { times: c.times });
      });
      await runner.checkpoint(`after ${name}`);
    }
    await fuzz(`3.0 unknown actions (${kind})`, unknownActionArb(world.pools), PER_ACTION, seedFor(`t3:${kind}:unknown`), async (c) => {
      await runner.run(`unknown action [${c.req.mode}; ${c.note}]`, buildT3(port, world.keys, c.req), checkT3, { times: c.times });
    });
    await runner.checkpoint('after unknown actions');

    // ---- size limits (spec §1.2): just over is refused with RequestSizeLimitExceeded --------------
    const pad = (prefix: string, size: number, suffix: string) => Buffer.from(prefix + 'a'.repeat(size - prefix.length - suffix.length) + suffix);
    const sizeCases: Array<[string, T3Request, boolean]> = [
      ['JSON body 10 MB + 1', { mode: 'tc3-post', action: 'CreateVpc', params: {}, auth: 'ok', rawBody: pad('{"VpcName":"', LIMITS.jsonBody + 1, '","CidrBlock":"10.9.0.0/16"}') }, true],
      ['JSON body of exactly 10 MB', { mode: 'tc3-post', action: 'CreateVpc', params: {}, auth: 'ok', rawBody: pad('{"VpcName":"', LIMITS.jsonBody, '","CidrBlock":"10.9.0.0/16"}') }, false],
      ['JSON body 10 MB + 1, chunked', { mode: 'tc3-post', action: 'DescribeVpcs', params: {}, auth: 'ok', chunked: true, rawBody: pad('{"Limit":"', LIMITS.jsonBody + 1, '"}') }, true],
      ['JSON body of 25 MB', { mode: 'tc3-post', action: 'DescribeVpcs', params: {}, auth: 'ok', rawBody: pad('{"Limit":"', 25 * 1024 * 1024, '"}') }, true],
      ['form body 1 MB + 1', { mode: 'v1-post', action: 'DescribeVpcs', params: { Pad: 'a'.repeat(LIMITS.formBody + 1) }, auth: 'ok' }, true],
      ['form body just under 1 MB', { mode: 'v1-post', action: 'DescribeVpcs', params: { Pad: 'a'.repeat(LIMITS.formBody - 400) }, auth: 'ok' }, false],
      ['TC3 GET query 32 KB + 1', { mode: 'tc3-get', action: 'DescribeVpcs', params: { Pad: 'a'.repeat(LIMITS.query) }, auth: 'ok' }, true],
      ['v1 GET query 32 KB + 1', { mode: 'v1-get', action: 'DescribeVpcs', params: { Pad: 'a'.repeat(LIMITS.query) }, auth: 'ok' }, true],
    ];
    for (const [what, req, tooBig] of sizeCases) {
      const res = await runner.run(`size: ${what}`, buildT3(port, world.keys, req), checkT3);
      if (tooBig !== (res.code === 'RequestSizeLimitExceeded')) {
        runner.fail(`size: ${what}: expected ${tooBig ? '' : 'no '}RequestSizeLimitExceeded, got HTTP ${res.status} ${res.text.slice(0, 500)}`);
      }
    }
    await runner.checkpoint('after the size limits');

    // ---- regressions: each was a finding of this fuzz (an InternalError, a stack trace, a bare 4xx) ----
    const nulKeys = { ...world.keys, own: { secretId: `${world.keys.own.secretId}\u0000`, secretKey: world.keys.own.secretKey } };
    const regressions: Array<[string, ReturnType<typeof buildT3>, string]> = [
      ['Content-Type Fastify cannot parse (ü/ü)', buildT3(port, world.keys, { mode: 'tc3-post', action: 'DescribeVpcs', params: {}, auth: 'ok', contentType: 'ü/ü' }), 'InvalidParameter'],
      ['empty Content-Type with a JSON body', buildT3(port, world.keys, { mode: 'tc3-post', action: 'DescribeVpcs', params: {}, auth: 'ok', contentType: '' }), 'Success'],
      ['v1 form with an empty Content-Type', buildT3(port, world.keys, { mode: 'v1-post', action: 'DescribeVpcs', params: {}, auth: 'ok', contentType: '' }), 'AuthFailure.InvalidAuthorization'],
      ['action `constructor`', buildT3(port, world.keys, { mode: 'tc3-post', action: 'constructor', params: {}, auth: 'ok' }), 'InvalidAction'],
      ['action `__proto__`', buildT3(port, world.keys, { mode: 'tc3-get', action: '__proto__', params: {}, auth: 'ok' }), 'InvalidAction'],
      ['action `toString` (v1)', buildT3(port, world.keys, { mode: 'v1-post', action: 'toString', params: {}, auth: 'ok' }), 'InvalidAction'],
      ['Expect: garbage', buildT3(port, world.keys, { mode: 'tc3-post', action: 'DescribeVpcs', params: {}, auth: 'ok', extraHeaders: [['expect', 'garbage']] }), 'Success'],
      ['method TRACE', buildT3(port, world.keys, { mode: 'tc3-get', action: 'DescribeVpcs', params: {}, auth: 'ok', method: 'TRACE' }), 'UnsupportedProtocol'],
      ['method PROPFIND', buildT3(port, world.keys, { mode: 'tc3-post', action: 'DescribeVpcs', params: {}, auth: 'ok', method: 'PROPFIND' }), 'UnsupportedProtocol'],
      ['a target the router cannot decode', { ...buildT3(port, world.keys, { mode: 'tc3-post', action: 'DescribeVpcs', params: {}, auth: 'ok' }), path: '/%zz%' }, 'Success'],
      ['a 40 KB query (under the 64 KB head limit)', buildT3(port, world.keys, { mode: 'tc3-get', action: 'DescribeVpcs', params: { Pad: 'a'.repeat(40 * 1024) }, auth: 'ok' }), 'RequestSizeLimitExceeded'],
      ['a v1 SecretId with NUL (audited: CreateVpc)', buildT3(port, nulKeys, { mode: 'v1-post', action: 'CreateVpc', params: { VpcName: 'n', CidrBlock: '10.78.0.0/16' }, auth: 'ok' }), 'AuthFailure.SecretIdNotFound'],
      ['a name with NUL', buildT3(port, world.keys, { mode: 'tc3-post', action: 'CreateVpc', params: { VpcName: 'a\u0000b', CidrBlock: '10.77.0.0/16' }, auth: 'ok' }), 'InvalidParameterValue'],
      ['a form name 100 000 levels deep', buildT3(port, world.keys, { mode: 'v1-post', action: 'DescribeVpcs', params: { [`${'a.'.repeat(100_000)}b`]: 'x' }, auth: 'ok' }), 'InvalidParameter'],
      ['a query name 10 000 levels deep', buildT3(port, world.keys, { mode: 'tc3-get', action: 'DescribeVpcs', params: { [`${'0.'.repeat(10_000)}0`]: 'x' }, auth: 'ok' }), 'InvalidParameter'],
      ['a tag with NUL', buildT3(port, world.keys, { mode: 'tc3-post', action: 'CreateVpc', params: { VpcName: 'ok', CidrBlock: '10.77.0.0/16', Tags: [{ Key: '\u0000', Value: 'v' }] }, auth: 'ok' }), 'InvalidParameterValue'],
    ];
    for (const [what, wire, want] of regressions) {
      const res = await runner.run(`regression: ${what}`, wire, checkT3);
      if (res.code !== want) runner.fail(`regression: ${what}: expected ${want}, got HTTP ${res.status} ${res.text.slice(0, 500)}`);
    }
    await runner.checkpoint('after the regressions');

    // ---- hand-framed transport garbage -------------------------------------------------------
    const base = buildT3(port, world.keys, { mode: 'tc3-post', action: 'DescribeVpcs', params: { Limit: 1 }, auth: 'ok' });
    for (const rc of rawCases(base)) {
      await runner.runRaw(`raw: ${rc.name}`, rc.bytes, { validHttp: rc.validHttp, method: rc.method, target: rc.target, ...(rc.halfClose ? { halfClose: true } : {}) });
    }
    await runner.checkpoint('after the transport garbage');

    });
  });
}
