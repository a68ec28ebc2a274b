// Contract: /metrics in Prometheus' text format, parsed by a Prometheus text parser, with counters
// that match the calls made through the official SDK: API calls by dialect, action and code, their
// durations, finished tasks, throttled calls, injected faults and the resources in the store.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { admin } from '../../support/admin.ts';
import { serverOn, type ServerOn } from '../../support/server.ts';
import { expectTcError, session, type Session } from '../../support/tencent3/client.ts';
import { attach, createEni, createSubnet, createVpc, runInstances } from '../../support/tencent3/world.ts';

interface Family {
  name: string;
  type: string;
  metrics: Array<{ value?: string; count?: string; labels?: Record<string, string> }>;
}
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

let srv: ServerOn;
let s: Session;

before(async () => {
  srv = await serverOn('sqlite', { latency: '20', rateLimit: 'on' });
  s = await session(srv.server);
});
after(async () => srv?.stop());

let lastText = '';

async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`${srv.server.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  lastText = await res.text();
  return new Map(parse(lastText).map((f) => [f.name, f]));
}

const valueOf = (f: Family | undefined, labels: Record<string, string>): number => {
  const m = f?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return Number(m?.value ?? m?.count ?? 0);
};

test('the counters follow the calls made', async () => {
  const vpcId = await createVpc(s, '10.20.0.0/16');
  const subnetId = await createSubnet(s, vpcId, '10.20.1.0/24');
  const [ins] = await runInstances(s.cvm, { vpcId, subnetId }, 1, 'S5.LARGE8');
  await attach(s, await createEni(s, { vpcId, subnetId }), ins!);
  await expectTcError(s.vpc.DeleteVpc({ VpcId: 'vpc-zzzzzzzz' }), 'ResourceNotFound');
  await admin(srv.server).call('POST', 'faults', { stage: 'request', action: 'DescribeSubnets', probability: 1, count: 1, error: { code: 'InternalError' } });
  await expectTcError(s.vpc.DescribeSubnets({}), 'InternalError');
  // DescribeVpcs allows 20 per second per account: a burst of 40 is partly refused.
  const burst = await Promise.allSettled(Array.from({ length: 40 }, () => s.vpc.DescribeVpcs({})));
  const throttled = burst.filter((r) => r.status === 'rejected').length;
  assert.ok(throttled > 0, `the burst was throttled: ${burst.map((r) => (r.status === 'rejected' ? String((r.reason as { code?: string }).code ?? r.reason) : 'ok')).join(',')}`);

  const m = await scrape();
  const calls = m.get('eniplane_api_requests_total');
  assert.equal(calls?.type, 'COUNTER');
  assert.equal(valueOf(calls, { dialect: 'tencent3', action: 'CreateVpc', code: 'Success' }), 1);
  assert.equal(valueOf(calls, { dialect: 'tencent3', action: 'DeleteVpc', code: 'ResourceNotFound' }), 1);
  assert.equal(valueOf(calls, { dialect: 'tencent3', action: 'DescribeSubnets', code: 'InternalError' }), 1);
  assert.equal(valueOf(calls, { dialect: 'tencent3', action: 'DescribeVpcs', code: 'RequestLimitExceeded' }), throttled);
  assert.equal(valueOf(m.get('eniplane_rate_limited_total'), { dialect: 'tencent3' }), throttled);
  assert.equal(valueOf(m.get('eniplane_faults_injected_total'), { stage: 'request' }), 1);
  assert.equal(m.get('eniplane_api_request_duration_seconds')?.type, 'HISTOGRAM');
  // The parser keeps no labels on histogram series: their count is read from the text itself.
  assert.match(lastText, /^eniplane_api_request_duration_seconds_count\{dialect="tencent3",action="CreateVpc"\} 1$/m);
  // Tasks: the launch, the ENI's creation and the attach.
  const tasks = m.get('eniplane_tasks_total');
  for (const operation of ['instance.run', 'eni.create', 'eni.attach']) assert.equal(valueOf(tasks, { operation, result: 'SUCCESS' }), 1, operation);
  assert.equal(valueOf(m.get('eniplane_tasks_in_flight'), {}), 0);
  const resources = m.get('eniplane_resources');
  assert.equal(valueOf(resources, { provider: 'tencent', kind: 'vpc' }), 1);
  assert.equal(valueOf(resources, { provider: 'tencent', kind: 'eni' }), 2, 'the primary ENI and the attached one');
  assert.ok(m.has('process_cpu_user_seconds_total'), 'the process defaults are there');
  // Names no client would send do not become labels.
  await fetch(`${srv.server.url}/`, { method: 'POST', headers: { 'x-tc-action': '<script>' } });
  const labels = (await scrape()).get('eniplane_api_requests_total')!.metrics.map((x) => x.labels?.action ?? '');
  assert.ok(!labels.some((a) => a.includes('<')), labels.join(','));
});
