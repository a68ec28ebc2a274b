// Arbitraries: valid-ish parameters from an action's zod schema, and the mutations that break them.

import fc from 'fast-check';
import type { z } from 'zod';
import { type Pools } from './seed.ts';
import { RawJson } from './wire.ts';


// ================================================================================================
// Arbitraries: valid-ish parameters from an action's zod schema, and their mutations.

export const HUGE = 100 * 1024;

/** Ids of the wrong shape for any prefix. */
const BAD_IDS = [
  '', ' ', 'eni-', 'eni-1234567', 'eni-123456789', 'ENI-12345678', 'eni-ABCDEFGH', 'eni_12345678', 'vpc-zzzzzzzz', 'eni-zzzzzzzz',
  'ins-zzzzzzzz', 'subnet-zzzzzzzz', 'port-zzzzzzzzzz', 'i-zzzzzzzzzz', 'fip-zzzzzzzzzz', ' eni-12345678', 'eni-12345678 ',
  'eni-1234567\u0000', '../../etc/passwd', 'vpc-%2e%2e', "eni-'; drop table enis; --", 'ins-🦄🦄🦄🦄', 'null', 'undefined', '0',
];

/** Values that are wrong in some way for almost any parameter. */
export function mutantValue(pools: Pools): fc.Arbitrary<unknown> {
  const realIds = [...pools.vpc, ...pools.subnet, ...pools.instance, ...pools.eni, ...pools.eip, ...pools.foreign];
  const nested = (depth: number, arr: boolean): unknown => {
    let v: unknown = 'deep';
    for (let i = 0; i < depth; i++) v = arr ? [v] : { a: v };
    return v;
  };
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, 1, -1, [], {}, [[]], [{}], { '': '' }, '') },
    {
      weight: 4,
      arbitrary: fc.constantFrom<unknown>(
        -1, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1.5, -0.0001, 1e308, 5e-324,
        new RawJson('1e400'), new RawJson('-1e400'), new RawJson('-0'), new RawJson('123456789012345678901234567890'), new RawJson('1.0'),
        'NaN', 'Infinity', '-Infinity', '-1', '0x10', '1e3', ' 1 ', '1_000', '+1', '00001', '9'.repeat(400),
      ),
    },
    {
      weight: 4,
      arbitrary: fc.constantFrom<unknown>(
        '🦄', 'Ünïcödé ✓', 'e\u0301', '\u202eRTL', '\ufeffbom', 'a\u0000b', '\u0000', '\ud800', '\udfff\ud800', '\u2028\u2029', 'tab\there',
        'line\r\nbreak', '%00', '%zz', '+', '&=', 'a=b&c=d', '{"json":1}', '<script>alert(1)</script>', '${jndi:ldap://x}', '\\', '"',
        'x'.repeat(300), '中'.repeat(70),
      ),
    },
    { weight: 2, arbitrary: fc.constantFrom<unknown>('A'.repeat(HUGE), '🦄'.repeat(HUGE / 4), ['x'.repeat(HUGE)], Array.from({ length: 2000 }, (_, i) => `v${i}`)) },
    { weight: 2, arbitrary: fc.constantFrom<unknown>(nested(50, false), nested(50, true), nested(1000, true), nested(1000, false)) },
    { weight: 3, arbitrary: realIds.length ? fc.constantFrom<unknown>(...realIds) : fc.constant<unknown>('vpc-zzzzzzzz') },
    { weight: 2, arbitrary: fc.constantFrom<unknown>(...BAD_IDS) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((b) => new RawJson(b.toString()))) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 2, maxKeys: 3 }) },
  );
}

/** Names a mutation adds as an unknown (or oddly spelled) parameter. */
const ODD_KEYS = ['Foo', 'unknownParam', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'a.b', 'Filters.0', '0', '',
  ' ', '🦄', 'x'.repeat(1000), 'Action', 'Region', 'Version', 'Signature', 'SecretId', 'RequestId', 'Response', '_underscore', 'a_b',
  // Flattened into forms and queries, these are names tens of thousands of levels deep.
  `${'a.'.repeat(20_000)}b`, `${'0.'.repeat(20_000)}0`, `${'a_'.repeat(20_000)}b`];

type Path = Array<string | number>;

function pathsOf(v: unknown, at: Path = [], out: Path[] = [], depth = 0): Path[] {
  out.push(at);
  if (depth > 6) return out;
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out, depth + 1));
  else if (v !== null && typeof v === 'object' && !(v instanceof RawJson)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) pathsOf(x, [...at, k], out, depth + 1);
  }
  return out;
}

function getAt(v: unknown, p: Path): unknown {
  let cur = v;
  for (const k of p) cur = (cur as Record<string | number, unknown>)[k];
  return cur;
}

function setAt(root: unknown, p: Path, value: unknown): unknown {
  if (p.length === 0) return value;
  const parent = getAt(root, p.slice(0, -1)) as Record<string | number, unknown>;
  Object.defineProperty(parent, p[p.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
  return root;
}

function deleteAt(root: unknown, p: Path): unknown {
  if (p.length === 0) return root;
  const parent = getAt(root, p.slice(0, -1));
  const k = p[p.length - 1]!;
  if (Array.isArray(parent) && typeof k === 'number') parent.splice(k, 1);
  else delete (parent as Record<string | number, unknown>)[k];
  return root;
}

export type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'set'; at: number; value: unknown }
  | { op: 'add'; at: number; key: string; value: unknown }
  | { op: 'wrap'; at: number }
  | { op: 'unwrap'; at: number }
  | { op: 'recase'; at: number }
  | { op: 'dup'; at: number };

export function mutationArb(pools: Pools): fc.Arbitrary<Mutation> {
  const at = fc.nat({ max: 1_000_000 });
  const value = mutantValue(pools);
  return fc.oneof(
    { weight: 2, arbitrary: at.map((n): Mutation => ({ op: 'drop', at: n })) },
    { weight: 6, arbitrary: fc.record({ at, value }).map((r): Mutation => ({ op: 'set', ...r })) },
    { weight: 2, arbitrary: fc.record({ at, key: fc.oneof(fc.constantFrom(...ODD_KEYS), fc.string({ maxLength: 8 })), value }).map((r): Mutation => ({ op: 'add', ...r })) },
    { weight: 1, arbitrary: at.map((n): Mutation => ({ op: 'wrap', at: n })) },
    { weight: 1, arbitrary: at.map((n): Mutation => ({ op: 'unwrap', at: n })) },
    { weight: 1, arbitrary: at.map((n): Mutation => ({ op: 'recase', at: n })) },
    { weight: 1, arbitrary: at.map((n): Mutation => ({ op: 'dup', at: n })) },
  );
}

/** Applies mutations to a deep copy of `base` (RawJson tokens are kept as they are). */
export function mutate(base: unknown, muts: Mutation[]): unknown {
  let root = clone(base);
  for (const m of muts) {
    const all = pathsOf(root);
    const p = all[m.at % all.length]!;
    const here = getAt(root, p);
    switch (m.op) {
      case 'drop':
        root = deleteAt(root, p);
        break;
      case 'set':
        root = setAt(root, p, clone(m.value));
        break;
      case 'add': {
        const target = here !== null && typeof here === 'object' && !Array.isArray(here) && !(here instanceof RawJson) ? p : p.slice(0, -1);
        const obj = getAt(root, target);
        if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
          Object.defineProperty(obj, m.key, { value: clone(m.value), enumerable: true, writable: true, configurable: true });
        }
        break;
      }
      case 'wrap':
        root = setAt(root, p, [here]);
        break;
      case 'unwrap':
        if (Array.isArray(here)) root = setAt(root, p, here[0]);
        break;
      case 'recase': {
        const k = p[p.length - 1];
        if (typeof k === 'string' && k !== '') {
          const parent = getAt(root, p.slice(0, -1)) as Record<string, unknown>;
          const renamed = k[0] === k[0]!.toUpperCase() ? k[0]!.toLowerCase() + k.slice(1) : k[0]!.toUpperCase() + k.slice(1);
          delete parent[k];
          parent[renamed] = here;
        }
        break;
      }
      case 'dup':
        if (Array.isArray(here) && here.length) here.push(clone(here[0]));
        break;
    }
  }
  return root;
}

function clone(v: unknown): unknown {
  if (v instanceof RawJson || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(clone);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) Object.defineProperty(out, k, { value: clone(x), enumerable: true, writable: true, configurable: true });
  return out;
}

// ---- valid-ish values from a zod schema ---------------------------------------------------------

type ZDef = { type: string; [k: string]: any };
const defOf = (s: z.ZodType): ZDef => (s as unknown as { _zod: { def: ZDef } })._zod.def;

/** Unwraps preprocess pipes, optional, nullable and defaults to the schema that types the value. */
function core(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    if (d.type === 'pipe') cur = defOf(d.in).type === 'transform' ? d.out : d.in;
    else if (d.type === 'optional' || d.type === 'nullable' || d.type === 'default' || d.type === 'prefault' || d.type === 'readonly') cur = d.innerType;
    else return cur;
  }
  return cur;
}

const isOptional = (s: z.ZodType): boolean => {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    if (d.type === 'optional' || d.type === 'default') return true;
    if (d.type === 'pipe') cur = defOf(d.in).type === 'transform' ? d.out : d.in;
    else if (d.type === 'nullable' || d.type === 'readonly') cur = d.innerType;
    else return false;
  }
  return false;
};

function pick<T>(xs: T[], fallback: T): fc.Arbitrary<T> {
  return xs.length ? fc.constantFrom(...xs) : fc.constant(fallback);
}

/** Mostly a good value from `pool`; now and then a real id of another kind, another account's, or a wrong shape. */
function idish(pool: string[], pools: Pools, fallback: string): fc.Arbitrary<string> {
  const others = [...pools.vpc, ...pools.subnet, ...pools.instance, ...pools.eni, ...pools.eip];
  return fc.oneof(
    { weight: 8, arbitrary: pick(pool, fallback) },
    { weight: 1, arbitrary: pick(others, fallback) },
    { weight: 1, arbitrary: pick(pools.foreign, fallback) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_IDS) },
  );
}

function stringFor(key: string, ctx: string, pools: Pools): fc.Arbitrary<unknown> {
  const k = key.toLowerCase();
  const c = ctx.toLowerCase();
  if (c.includes('filter') && k === 'name') return pick(pools.filterNames, 'vpc-id');
  if (c.includes('filter') && (k === 'values' || k === 'value')) {
    return fc.oneof(pick([...pools.vpc, ...pools.subnet, ...pools.eni, ...pools.instance, ...pools.ip, ...pools.zone], 'x'), fc.constantFrom('TRUE', 'false', 'Primary', 'running', 'fz', ''));
  }
  if (k.includes('vpcid')) return idish(pools.vpc, pools, 'vpc-zzzzzzzz');
  if (k.includes('subnetid')) return idish(pools.subnet, pools, 'subnet-zzzzzzzz');
  if (k.includes('networkinterfaceid') || k === 'eniid') return idish(pools.eni, pools, 'eni-zzzzzzzz');
  if (k.includes('instanceid')) return idish(pools.instance, pools, 'ins-zzzzzzzz');
  if (k.includes('elasticipid')) return idish(pools.eip, pools, 'fip-zzzzzzzzzz');
  if (k.includes('elasticipaddress')) return fc.oneof(pick(pools.eipAddress, '1.2.3.4'), fc.constantFrom('1.2.3.4', '300.1.1.1', '::1'));
  if (k.includes('ipaddress') || k.includes('secondaryip') || k === 'lanips' || k.includes('privateip')) {
    return fc.oneof({ weight: 4, arbitrary: pick(pools.ip, '10.0.1.9') }, { weight: 1, arbitrary: fc.constantFrom('10.0.1.300', '::1', '10.0.1', '0.0.0.0', '255.255.255.255', '10.0.1.9/32') });
  }
  if (k === 'zone' || k === 'az') return pick(pools.zone, 'ap-guangzhou-3');
  if (k.includes('cidr') || k.includes('addressprefix')) return pick(pools.cidr, '10.0.3.0/24');
  if (k.includes('taskid')) return fc.oneof(pick(pools.task, 'x'), fc.constantFrom('00000000-0000-0000-0000-000000000000', 'nope'), pick(pools.taskSeq.map(String), '1'));
  if (k.includes('instancetype')) return pick(pools.instanceType, 'S5.MEDIUM4');
  if (k.includes('securitygroup') || k.startsWith('sgid') || k === 'sgids') return idish(pools.securityGroup, pools, 'sg-zzzzzzzz');
  if (k === 'resource' || k === 'resourcelist') {
    // The tag service's six-part names: of real resources, of another uin, region or kind, or broken.
    const named = [
      ...pools.vpc.map((id) => `qcs::vpc:ap-guangzhou:uin/:vpc/${id}`),
      ...pools.eni.map((id) => `qcs::vpc:ap-guangzhou:uin/:eni/${id}`),
      ...pools.securityGroup.map((id) => `qcs::cvm:ap-guangzhou:uin/:sg/${id}`),
      ...pools.instance.map((id) => `qcs::cvm:ap-guangzhou:uin/:instance/${id}`),
    ];
    return fc.oneof(
      { weight: 6, arbitrary: pick(named, 'qcs::vpc:ap-guangzhou:uin/:vpc/vpc-zzzzzzzz') },
      { weight: 1, arbitrary: fc.constantFrom('qcs::vpc:ap-nowhere:uin/:vpc/vpc-zzzzzzzz', 'qcs::vpc:ap-guangzhou:uin/123:vpc/vpc-zzzzzzzz', 'qcs::cvm:ap-guangzhou:uin/:volume/disk-zzzzzzzz', 'qcs::', '') },
    );
  }
  if (k === 'resourceids' || k === 'resourceid') return idish([...pools.eni, ...pools.securityGroup, ...pools.instance, ...pools.subnet], pools, 'eni-zzzzzzzz');
  if (k === 'clienttoken') return fc.oneof(fc.uuid(), fc.constantFrom('fuzz-token-1', 'x'.repeat(65)));
  if (k === 'imageid') return fc.constantFrom('img-eniplane01', 'img-8toqc6s3', 'img-nope');
  if (k === 'provider') return fc.constantFrom('bgp', 'BGP', 'nope');
  if (k.includes('order')) return fc.constantFrom('asc', 'desc', 'eniName', 'vpcName', 'createTime');
  if (k.includes('stoptype')) return fc.constantFrom('SOFT', 'HARD', 'SOFT_FIRST', 'nope');
  if (k.includes('mode') || k.includes('charge')) return fc.constantFrom('KEEP_CHARGING', 'STOP_CHARGING', 'keepCharging', 'stopCharging', 'POSTPAID_BY_HOUR');
  if (k === 'qoslevel') return fc.constantFrom('PT', 'AU', 'AG', 'DEFAULT', 'nope');
  if (k === 'trunkingflag') return fc.constantFrom('Enable', 'Disable', 'x');
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom('fz', 'fuzz-name', 'a b', 'Name_1', '名字') }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
}

function numberFor(key: string, pools: Pools): fc.Arbitrary<unknown> {
  const k = key.toLowerCase();
  let base: fc.Arbitrary<number>;
  if (k === 'limit' || k === 'pagesize') base = fc.integer({ min: 0, max: 120 });
  else if (k === 'offset') base = fc.integer({ min: 0, max: 30 });
  else if (k === 'pagenumber') base = fc.integer({ min: 0, max: 5 });
  else if (k === 'zoneid') base = fc.constantFrom(100003, 100004, 100006, 0, 999999);
  else if (k.includes('taskid')) base = pools.taskSeq.length ? fc.oneof(fc.constantFrom(...pools.taskSeq), fc.integer({ min: 0, max: 50 })) : fc.integer({ min: 0, max: 50 });
  else if (k.includes('count')) base = fc.integer({ min: 0, max: 3 });
  else if (k.includes('bandwidth')) base = fc.integer({ min: 1, max: 200 });
  else if (k === 'attachtype' || k === 'forcestop' || k === 'sanitycheck') base = fc.integer({ min: 0, max: 2 });
  else if (k === 'status') base = fc.constantFrom(1, 2, 4, 99);
  else if (k === 'deviceindex') base = fc.integer({ min: 0, max: 9 });
  else if (k.includes('masklen')) base = fc.integer({ min: 16, max: 32 });
  else base = fc.integer({ min: 0, max: 5 });
  // Lenient typing: numbers often arrive as strings.
  return fc.oneof({ weight: 4, arbitrary: base }, { weight: 1, arbitrary: base.map(String) });
}

/** A valid-ish value for `schema` (field `key`, inside `ctx`): right structure, plausible or real values. */
export function arbFromSchema(schema: z.ZodType, pools: Pools, key = '', ctx = '', depth = 0): fc.Arbitrary<unknown> {
  const s = core(schema);
  const d = defOf(s);
  switch (d.type) {
    case 'object': {
      const shape = d.shape as Record<string, z.ZodType>;
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [k, v] of Object.entries(shape)) {
        model[k] = arbFromSchema(v, pools, k, `${ctx}.${key}`, depth + 1);
        if (!isOptional(v)) required.push(k);
      }
      return fc.record(model, { requiredKeys: required });
    }
    case 'array': {
      const el = arbFromSchema(d.element as z.ZodType, pools, key, ctx, depth + 1);
      return fc.array(el, { minLength: 0, maxLength: depth > 2 ? 1 : 3 });
    }
    case 'string':
      return stringFor(key, ctx, pools);
    case 'number':
    case 'int':
    case 'bigint':
      return numberFor(key, pools);
    case 'boolean':
      return fc.oneof({ weight: 3, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom('true', 'FALSE', 'True', '1', '0') });
    case 'enum':
      return fc.constantFrom(...(Object.values(d.entries as Record<string, string>) as unknown[]));
    case 'literal':
      return fc.constantFrom(...((d.values as unknown[]) ?? [undefined]));
    case 'union':
      return fc.oneof(...(d.options as z.ZodType[]).map((o) => arbFromSchema(o, pools, key, ctx, depth + 1)));
    case 'unknown':
    case 'any':
      return fc.oneof(fc.constant<unknown>({}), fc.anything({ maxDepth: 1, maxKeys: 2 }));
    default:
      return fc.anything({ maxDepth: 1, maxKeys: 2 });
  }
}

/** A valid-ish parameter object for `schema`, with 0–3 mutations (0 keeps many cases valid enough to succeed). */
export function paramsArb(schema: z.ZodType, pools: Pools): fc.Arbitrary<unknown> {
  return fc
    .record({
      base: arbFromSchema(schema, pools),
      muts: fc.oneof({ weight: 3, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 5, arbitrary: fc.array(mutationArb(pools), { minLength: 1, maxLength: 3 }) }),
    })
    .map(({ base, muts }) => mutate(base, muts));
}

// ---- transport-level garbage shared by the dialects ----------------------------------------------

export const BROKEN_JSON: string[] = [
  '{', '}', '{"a":', '{"Limit":NaN}', "{'a':1}", '{"a":1}{"b":2}', '{"a":1,}', '{"a" 1}', '{a:1}', '\u0000', '\ufeff{}', '{"a":"\\u12"}',
  '{"a":"\\x41"}', '{"a":01}', '{"a":.5}', '{"a":+1}', '{"a":undefined}', '[', '"unterminated', 'nul', 'tru', '{"a":1}garbage',
  '['.repeat(100_000), '{"a":'.repeat(50_000),
];

export const NON_OBJECT_JSON: string[] = ['[]', '[{"Limit":1}]', 'null', '0', '-1', '"str"', 'true', '1e400', '""', '[null]', ' \n\t '];

export const CONTENT_TYPES: string[] = [
  'application/xml', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'APPLICATION/JSON',
  'application/json;charset=UTF-8', 'application/x-www-form-urlencoded', '', '*/*', 'application/json, text/plain', 'ü/ü',
  'application/octet-stream', 'application/json\u0000',
];

export const ODD_METHODS: string[] = ['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

export function garbageBytes(): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a)),
    fc.constantFrom(Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\u0000'.repeat(10))),
  );
}

/** Odd header values (kept under Node's 16 KB header limit). */
export const GARBAGE_HEADER_VALUES: string[] = [
  '', ' ', 'garbage', 'TC3-HMAC-SHA256', 'JDCLOUD2-HMAC-SHA256', 'Bearer abc', 'Basic Zm9vOmJhcg==', '🦄🦄', 'x'.repeat(4000),
  'TC3-HMAC-SHA256 Credential=AKIDx/2020-01-01/vpc/tc3_request, SignedHeaders=content-type;host, Signature=zz',
  'TC3-HMAC-SHA256 Credential=/, SignedHeaders=, Signature=',
  'JDCLOUD2-HMAC-SHA256 Credential=ak/20200101/cn-north-1/vpc/jdcloud2_request, SignedHeaders=host, Signature=00',
  '-1', '0', '99999999999999999999', '1e10', 'NaN', '2017-03-12', 'ap-guangzhou\u0000', 'zh-CN,en-US', '\t',
];
