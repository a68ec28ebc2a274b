import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isId, randomIdSource, seededIdSource } from '../../../src/core/ids.ts';

const MAC = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/;
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('random ids have the `${prefix}-` + 8 [a-z0-9] shape and do not repeat', () => {
  const src = randomIdSource();
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const id = src.id('eni');
    assert.match(id, /^eni-[a-z0-9]{8}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 20_000);
  assert.match(src.id('port', 10), /^port-[a-z0-9]{10}$/);
  assert.match(src.id('i', 1), /^i-[a-z0-9]$/);
});

test('random ids use the whole alphabet', () => {
  const src = randomIdSource();
  const chars = new Set<string>();
  for (let i = 0; i < 2000; i++) for (const ch of src.id('x').slice(2)) chars.add(ch);
  assert.equal(chars.size, 36);
});

test('MACs are upper-case colon hex with the Tencent prefix by default', () => {
  const src = randomIdSource();
  const macs = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const m = src.mac();
    assert.match(m, MAC);
    assert.ok(m.startsWith('20:90:6F:'), m);
    macs.add(m);
  }
  assert.ok(macs.size > 4990, `only ${macs.size} distinct MACs`); // 2^24 space: a few birthday collisions at most
  assert.match(src.mac('fa:16:3e'), /^FA:16:3E(:[0-9A-F]{2}){3}$/);
  assert.throws(() => src.mac('20:90:6'), /invalid MAC prefix/);
  assert.throws(() => src.mac('zz:00'), /invalid MAC prefix/);
});

test('UUIDs are lower-case version 4', () => {
  for (const src of [randomIdSource(), seededIdSource(7)]) {
    const u = src.uuid();
    assert.match(u, UUID4);
    assert.notEqual(u, src.uuid());
  }
});

test('a seeded source is deterministic and seeds differ', () => {
  const draw = (seed: number) => {
    const s = seededIdSource(seed);
    return [s.id('eni'), s.id('vpc'), s.mac(), s.uuid(), s.id('port', 10)];
  };
  const a = draw(42);
  assert.deepEqual(draw(42), a);
  assert.notDeepEqual(draw(43), a);
  assert.match(a[0]!, /^eni-[a-z0-9]{8}$/);
  assert.match(a[2]!, MAC);
  assert.match(a[3]!, UUID4);
  assert.match(a[4]!, /^port-[a-z0-9]{10}$/);
  // Consecutive draws from one source still differ.
  const s = seededIdSource(1);
  const ids = new Set(Array.from({ length: 1000 }, () => s.id('eni')));
  assert.equal(ids.size, 1000);
});

test('isId checks prefix, separator, length and alphabet exactly', () => {
  assert.equal(isId('eni', 'eni-f1xjkw1b'), true);
  assert.equal(isId('subnet', 'subnet-76r802pg'), true);
  assert.equal(isId('port', 'port-abcde12345', 10), true);
  assert.equal(isId('eni', 'eni-f1xjkw1'), false);
  assert.equal(isId('eni', 'eni-f1xjkw1bb'), false);
  assert.equal(isId('eni', 'eni-F1XJKW1B'), false);
  assert.equal(isId('eni', 'eni-f1xjkw_b'), false);
  assert.equal(isId('eni', 'eni_f1xjkw1b'), false);
  assert.equal(isId('eni', 'vpc-f1xjkw1b'), false);
  assert.equal(isId('eni', 'xeni-f1xjkw1'), false);
  assert.equal(isId('eni', ' eni-f1xjkw1b'), false);
  assert.equal(isId('eni', 'eni-f1xjkw1b\n'), false);
  assert.equal(isId('port', 'port-abcde12345'), false, 'default length is 8');
});

test('text draws only from its alphabet, every character of it; int stays in [min, max) and reaches both ends', () => {
  for (const ids of [randomIdSource(), seededIdSource(7)]) {
    const hex = ids.text('0123456789ABCDEF', 4000);
    assert.match(hex, /^[0-9A-F]{4000}$/);
    assert.equal(new Set(hex).size, 16);
    assert.equal(ids.text('ab', 0), '');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const n = ids.int(1, 255);
      assert.ok(Number.isInteger(n) && n >= 1 && n < 255, String(n));
      seen.add(n);
    }
    assert.ok(seen.has(1) && seen.has(254), 'both ends drawn');
    const uin = ids.int(1_000_000_000, 9_999_999_999);
    assert.equal(String(uin).length, 10);
    assert.throws(() => ids.int(5, 5));
    assert.throws(() => ids.text('', 3));
  }
  assert.equal(seededIdSource(3).text('xyz', 20), seededIdSource(3).text('xyz', 20));
});
