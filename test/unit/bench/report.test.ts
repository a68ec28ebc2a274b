/** The benchmark's own arithmetic: percentiles and the judging of targets (issue 7). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Latencies } from '../../../bench/load.ts';
import { Report } from '../../../bench/report.ts';

test('percentiles are nearest-rank over every kept value', () => {
  const l = new Latencies();
  assert.ok(Number.isNaN(l.pct(99)));
  // 1..100 added out of order: p50 is the 50th smallest, p99 the 99th, p100 the largest.
  for (const v of Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1)) l.add(v);
  assert.equal(l.count, 100);
  assert.equal(l.pct(50), 50);
  assert.equal(l.pct(99), 99);
  assert.equal(l.pct(100), 100);
  assert.equal(l.pct(0), 1);
  const one = new Latencies();
  one.add(7);
  assert.equal(one.pct(99), 7);
});

test('a target is judged on the value, or on the ratio when asked, in its direction', () => {
  const r = new Report();
  assert.equal(r.add('w', 'p99', 4.9, 'ms', { target: { op: '<', value: 5 } }).met, true);
  assert.equal(r.add('w', 'p99', 5, 'ms', { target: { op: '<', value: 5 } }).met, false);
  assert.equal(r.add('w', 'rps', 2000, 'req/s', { target: { op: '>=', value: 2000 } }).met, true);
  // 3,000 req/s is far above 0.25, but the target is on the ratio to the baseline: 3,000 / 20,000.
  const judged = r.add('w', 'rps', 3000, 'req/s', { ratio: { to: 'baseline', value: 0.15 }, target: { op: '>=', value: 0.25 }, judge: 'ratio' });
  assert.equal(judged.met, false);
  assert.equal(r.add('w', 'plain', 1, 'x').met, undefined);
  const table = r.table();
  assert.match(table, /\| w +\| rps +\| 3,000 req\/s +\| 15\.0% of baseline \| >= 0\.25 \(ratio\) \| NO +\|/);
  const json = JSON.parse(r.json({ quick: true })) as { figures: unknown[]; quick: boolean; cpus: number };
  assert.equal(json.figures.length, 5);
  assert.equal(json.quick, true);
  assert.ok(json.cpus >= 1);
});
