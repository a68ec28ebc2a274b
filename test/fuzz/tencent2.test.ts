// Fuzzing Tencent Cloud API 2.0 (`/v2/index.php`), on SQLite and PostgreSQL: for every action,
// valid-ish parameters from its schema (real ids of the seeded world mixed in) mutated every way
// the fuzz kit knows, flattened with `.` or `_`, sent as a form POST or a GET query, signed with
// HmacSHA1/HmacSHA256 or not, with broken forms, repeated names, odd Nonce/Timestamp/Region, hosts,
// content types, methods and headers; then unknown actions, the 1 MB form limit and hand-framed
// transport garbage. Every answer must be HTTP 200 `{code:int, message, codeDesc}` with a
// documented code (the batch CVM format excepted); a refused request must leave the database digest
// unchanged; the server must stay up and log no error or stack trace.

import { test } from 'node:test';
import fc from 'fast-check';
import type { z } from 'zod';
import { actions2 } from '../../src/dialects/tencent2/actions/index.ts';
import { skipUnless, STORE_KINDS } from '../support/stores.ts';
import { BROKEN_JSON, CONTENT_TYPES, GARBAGE_HEADER_VALUES, garbageBytes, mutantValue, ODD_METHODS, paramsArb } from './kit/arbs.ts';
import { checkT2 } from './kit/check.ts';
import { fuzz, fuzzBudget, fuzzRun, seedFor } from './kit/runner.ts';
import { type Pools, seedTencent } from './kit/seed.ts';
import { AUTH_MODES, type AuthMode, buildT2, type T2Request } from './kit/sign.ts';
import { rawCases } from './kit/wire.ts';

const ACTIONS = Object.keys(actions2).sort();
/** Cases per store: ~12 per action plus the unknown-action stream on CI. */
const BUDGET = fuzzBudget(12 * (ACTIONS.length + 1));
const PER_ACTION = Math.max(1, Math.round(BUDGET / (ACTIONS.length + 1)));
const FORM_LIMIT = 1024 * 1024;

interface T2Case {
  req: T2Request;
  times: number;
  note: string;
}

type Tweak = (r: T2Request) => { r: T2Request; times?: number; note: string };

const BROKEN_FORMS = [
  'a=%zz&b', '&&&', '=', '==', 'a==b', '%', '%%%', 'Action', `${'x'.repeat(5000)}=1`, 'a=1&a=2&a=3', 'Action=DescribeVpcEx&Action=DeleteVpc',
  'Signature=', 'Nonce=&Timestamp=', '+=+', '%00=%00', 'a.=1', '.a=1', 'a..b=1', 'a.0=1&a=2', 'a=1&a.0=2', '__proto__.x=1', 'constructor.prototype.x=1',
  'subnetSet.1000000.x=1', 'subnetSet.99999.x=1', 'a[0]=1', 'a[]=1',
];

const APPEND = [
  'Action=DescribeVpcEx', 'Action=DeleteVpc', 'Nonce=1', 'Timestamp=1', 'Signature=x', 'SecretId=AKIDnope', 'Region=ap-shanghai', '%zz=1', '=', '&&&', 'a',
  'Token=t', 'vpcId=vpc-zzzzzzzz', 'limit=1000', 'x_y_z=1', '_a=1',
];

const HOSTS = ['vpc.api.qcloud.com', 'cvm.api.qcloud.com', 'VPC.API.QCLOUD.COM', 'vpc.api.qcloud.com:80', 'cvm.api.qcloud.com:8080', 'evil.api.qcloud.com', '', 'a'.repeat(300), 'ü.example'];

const ACTION_MANGLES = (action: string): Array<string | undefined> => [
  undefined, '', action.toLowerCase(), ` ${action}`, `${action}\u0000`, '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Foo', 'x'.repeat(2000), '🦄',
  'RunInstances', 'DescribeVpcs',
];

function tweaks(action: string): fc.Arbitrary<Tweak> {
  const t = <T>(weight: number, arb: fc.Arbitrary<T>, f: (x: T) => Tweak) => ({ weight, arbitrary: arb.map(f) });
  return fc.oneof(
    { weight: 16, arbitrary: fc.constant<Tweak>((r) => ({ r, note: 'plain' })) },
    t(2, fc.constantFrom(...AUTH_MODES.filter((a) => a !== 'ok')), (a: AuthMode) => (r) => ({ r: { ...r, auth: a }, note: `auth ${a}` })),
    t(1, fc.constantFrom(...BROKEN_FORMS, ...BROKEN_JSON.slice(0, 8)), (b) => (r) => ({ r: { ...r, method: 'POST', rawBody: Buffer.from(b) }, note: 'broken form body' })),
    t(1, garbageBytes(), (b) => (r) => ({ r: { ...r, method: 'POST', rawBody: b }, note: 'garbage body bytes' })),
    t(1, fc.constantFrom<string | null>(...CONTENT_TYPES, null), (ct) => (r) => ({ r: { ...r, contentType: ct }, note: `content-type ${String(ct)}` })),
    t(1, fc.constantFrom(...ODD_METHODS), (m) => (r) => ({ r: { ...r, sendMethod: m }, note: `method ${m}` })),
    t(1, fc.constantFrom('GET', 'POST'), (m) => (r) => ({ r: { ...r, sendMethod: m }, note: `signed for ${r.method}, sent as ${m}` })),
    t(1, fc.array(fc.tuple(fc.constantFrom('authorization', 'host', 'content-type', 'expect', 'x-forwarded-for', 'cookie', 'accept'), fc.constantFrom(...GARBAGE_HEADER_VALUES)), { minLength: 1, maxLength: 3 }), (hs) => (r) => ({
      r: { ...r, extraHeaders: hs },
      note: `headers ${hs.map(([k]) => k).join(',')}`,
    })),
    t(1, fc.constantFrom(...HOSTS), (h) => (r) => ({ r: { ...r, host: h }, note: `host ${h.slice(0, 40)}` })),
    t(1, fc.constantFrom('vpc.api.qcloud.com', 'cvm.api.qcloud.com'), (h) => (r) => ({ r: { ...r, signHost: h }, note: `signed for ${h} behind a proxy` })),
    t(
      1,
      fc.constantFrom<string | null>(null, '', 'gz', 'sh', 'bj', 'shjr', 'szjr', 'ap-nowhere', 'constructor', '__proto__', 'toString', 'AP-GUANGZHOU', 'cn-north-1', '广州'),
      (g) => (r) => ({ r: { ...r, region: g }, note: `region ${String(g)}` }),
    ),
    t(1, fc.constantFrom<string | null>(null, '', '-1', 'abc', '1.5', '99999999999999999999', ' 1', '0'), (n) => (r) => ({ r: { ...r, nonce: n }, note: `nonce ${String(n)}` })),
    t(1, fc.constantFrom('', 'abc', '1e9', '-5', '9999999999999', '0', ' 1'), (ts) => (r) => ({ r: { ...r, timestamp: ts }, note: `timestamp ${ts}` })),
    t(1, fc.array(fc.constantFrom(...APPEND), { minLength: 1, maxLength: 3 }), (xs) => (r) => ({ r: { ...r, appendRaw: xs.join('&') }, note: `appended ${xs.join('&').slice(0, 60)}` })),
    t(1, fc.constant(0), () => (r) => ({ r: { ...r, signatureMethod: 'HmacSHA256' }, note: 'HmacSHA256' })),
    t(1, fc.constant(0), () => (r) => ({ r: { ...r, method: 'POST', chunked: true }, note: 'chunked' })),
    t(1, fc.constant(0), () => (r) => ({ r, times: 2, note: 'sent twice (replay)' })),
    t(1, fc.constantFrom(...ACTION_MANGLES(action)), (a) => (r) => ({ r: { ...r, action: a }, note: `action ${String(a).slice(0, 40)}` })),
  );
}

function caseArb(action: string, params: fc.Arbitrary<unknown>): fc.Arbitrary<T2Case> {
  return fc
    .record({ params, method: fc.constantFrom<'GET' | 'POST'>('POST', 'POST', 'POST', 'GET'), sep: fc.constantFrom<'.' | '_'>('.', '.', '_'), tweak: tweaks(action) })
    .map(({ params: p, method, sep, tweak }) => {
      const { r, times, note } = tweak({ method, action, params: p, sep, auth: 'ok' });
      return { req: r, times: times ?? 1, note };
    });
}

function unknownActionArb(pools: Pools): fc.Arbitrary<T2Case> {
  const names = fc.oneof(
    fc.constantFrom('', 'Foo', 'describevpcex', 'DescribeVpcEx ', '__proto__', 'constructor', 'toString', 'valueOf', 'CreateVpcs', '🦄', 'x'.repeat(5000)),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );
  const params = fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), mutantValue(pools), { maxKeys: 4 }), fc.constant({}));
  return caseArb('Foo', params).chain((c) => names.map((a) => ({ ...c, req: { ...c.req, action: a }, note: `${c.note}; unknown action` })));
}

for (const kind of STORE_KINDS) {
  test(`fuzz: Tencent API 2.0 (${kind})`, { skip: await skipUnless(kind) }, async (t) => {
    await fuzzRun(t, kind, { dialect: 'Tencent API 2.0', plan: `${ACTIONS.length} actions × ${PER_ACTION} + unknown actions`, seed: seedTencent }, async ({ world, port, runner }) => {

    for (const name of ACTIONS) {
      const schema = actions2[name]!.params as z.ZodType;
      await fuzz(`2.0 ${name} (${kind})`, caseArb(name, paramsArb(schema, world.pools)), PER_ACTION, seedFor(`t2:${kind}:${name}`), async (c) => {
        await runner.run(`${name} [${c.req.method}; ${c.note}]`, buildT2(port, world.keys, c.req), checkT2, { times: c.times });
      });
      await runner.checkpoint(`after ${name}`);
    }
    await fuzz(`2.0 unknown actions (${kind})`, unknownActionArb(world.pools), PER_ACTION, seedFor(`t2:${kind}:unknown`), async (c) => {
      await runner.run(`unknown action [${c.req.method}; ${c.note}]`, buildT2(port, world.keys, c.req), checkT2, { times: c.times });
    });
    await runner.checkpoint('after unknown actions');

    // ---- the form limit (1 MB) and large queries -----------------------------------------------
    const sizeCases: Array<[string, T2Request, boolean]> = [
      ['form body 1 MB + 1', { method: 'POST', action: 'DescribeVpcEx', params: {}, auth: 'ok', rawBody: Buffer.from(`pad=${'a'.repeat(FORM_LIMIT - 3)}`) }, true],
      ['form body of 3 MB', { method: 'POST', action: 'DescribeVpcEx', params: { pad: 'a'.repeat(3 * FORM_LIMIT) }, auth: 'ok' }, true],
      ['form body just under 1 MB', { method: 'POST', action: 'DescribeVpcEx', params: { pad: 'a'.repeat(FORM_LIMIT - 400) }, auth: 'ok' }, false],
      ['JSON body of 11 MB', { method: 'POST', action: 'DescribeVpcEx', params: {}, auth: 'ok', contentType: 'application/json', rawBody: Buffer.from(`{"a":"${'a'.repeat(11 * FORM_LIMIT)}"}`) }, true],
      ['GET query of 40 KB', { method: 'GET', action: 'DescribeVpcEx', params: { pad: 'a'.repeat(40 * 1024) }, auth: 'ok' }, false],
    ];
    for (const [what, req, tooBig] of sizeCases) {
      const res = await runner.run(`size: ${what}`, buildT2(port, world.keys, req), checkT2);
      const refusedForSize = res.code.startsWith('4000/') && /large/i.test(res.text);
      if (tooBig !== refusedForSize) runner.fail(`size: ${what}: expected ${tooBig ? 'a' : 'no'} size refusal, got HTTP ${res.status} ${res.text.slice(0, 500)}`);
    }
    await runner.checkpoint('after the size limits');

    // ---- regressions: each was a finding of this fuzz (an InternalError, a stack trace, a bare 4xx) ----
    const nulKeys = { ...world.keys, own: { secretId: `${world.keys.own.secretId}\u0000`, secretKey: world.keys.own.secretKey } };
    const regressions: Array<[string, ReturnType<typeof buildT2>, string]> = [
      ['action `constructor`', buildT2(port, world.keys, { method: 'POST', action: 'constructor', params: {}, auth: 'ok' }), '6100/InvalidAction.NotFound'],
      ['action `__proto__`', buildT2(port, world.keys, { method: 'GET', action: '__proto__', params: {}, auth: 'ok' }), '6100/InvalidAction.NotFound'],
      ['region `constructor`', buildT2(port, world.keys, { method: 'POST', action: 'DescribeVpcEx', region: 'constructor', params: {}, auth: 'ok' }), '4000/InvalidParameter'],
      ['Content-Type Fastify cannot parse (ü/ü)', buildT2(port, world.keys, { method: 'POST', action: 'DescribeVpcEx', params: {}, auth: 'ok', contentType: 'ü/ü' }), 'Success'],
      ['Expect: garbage', buildT2(port, world.keys, { method: 'POST', action: 'DescribeVpcEx', params: {}, auth: 'ok', extraHeaders: [['expect', 'garbage']] }), 'Success'],
      ['method TRACE', buildT2(port, world.keys, { method: 'GET', action: 'DescribeVpcEx', params: {}, auth: 'ok', sendMethod: 'TRACE' }), '4600/InvalidRequest.UnsupportedProtocol'],
      ['a SecretId with NUL (audited: CreateVpc)', buildT2(port, nulKeys, { method: 'POST', action: 'CreateVpc', params: { vpcName: 'n', cidrBlock: '10.78.0.0/16' }, auth: 'ok' }), '4104/InvalidParameter.SecretIdNotFound'],
      ['a form name 100 000 levels deep', buildT2(port, world.keys, { method: 'POST', action: 'DescribeVpcEx', params: { [`${'a.'.repeat(100_000)}b`]: 'x' }, auth: 'ok' }), '4000/InvalidParameter'],
      ['a form name 100 000 levels deep, with _', buildT2(port, world.keys, { method: 'POST', action: 'DescribeVpcEx', params: { [`${'a_'.repeat(100_000)}b`]: 'x' }, auth: 'ok' }), '4000/InvalidParameter'],
      ['a name with NUL', buildT2(port, world.keys, { method: 'POST', action: 'CreateVpc', params: { vpcName: 'a\u0000b', cidrBlock: '10.77.0.0/16' }, auth: 'ok' }), '4000/InvalidParameter'],
    ];
    for (const [what, wire, want] of regressions) {
      const res = await runner.run(`regression: ${what}`, wire, checkT2);
      if (res.code !== want) runner.fail(`regression: ${what}: expected ${want}, got HTTP ${res.status} ${res.text.slice(0, 500)}`);
      // A prototype lookup once put `function Object() { [native code] }` into the message.
      if (/native code|function /.test(res.text)) runner.fail(`regression: ${what}: the answer shows a JavaScript function: ${res.text.slice(0, 500)}`);
    }
    await runner.checkpoint('after the regressions');

    const base = buildT2(port, world.keys, { method: 'POST', action: 'DescribeVpcEx', params: { limit: 1 }, auth: 'ok' });
    for (const rc of rawCases(base)) {
      await runner.runRaw(`raw: ${rc.name}`, rc.bytes, { validHttp: rc.validHttp, method: rc.method, target: rc.target, ...(rc.halfClose ? { halfClose: true } : {}) });
    }
    await runner.checkpoint('after the transport garbage');

    });
  });
}
