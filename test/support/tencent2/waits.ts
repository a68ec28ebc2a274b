// Reads and waits of the API 2.0 fixtures through qcloudapi-sdk: every wait polls with a bound.

import assert from 'node:assert/strict';
import { pollUntil } from '../poll.ts';
import { ok2, show, taskIdOf, type Qc2Body, type Qc2Clients, type Session2 } from './client.ts';

/** Poll DescribeVpcTaskResult while data.status is 2 (running); return the final data. */
export async function waitTask2(vpc: Qc2Clients['vpc'], taskId: number, timeoutMs = 15_000): Promise<{ status: number; output?: { errorCode: number; errorMsg: string } }> {
  return pollUntil(
    async () => {
      const r = ok2(await vpc({ Action: 'DescribeVpcTaskResult', taskId }), `DescribeVpcTaskResult ${taskId}`);
      assert.ok([0, 1, 2].includes(r.data?.status), `task status must be 0, 1 or 2: ${show(r)}`);
      return r.data.status !== 2 ? (r.data as { status: number; output?: { errorCode: number; errorMsg: string } }) : false;
    },
    { what: `2.0 task ${taskId} to finish`, timeoutMs },
  );
}

/** Run an async action and wait for its task to succeed (status 2 → 0); returns the taskId. */
export async function runTask2(c: Qc2Clients, data: Record<string, unknown>, timeoutMs = 15_000): Promise<number> {
  const taskId = taskIdOf(await c.vpc(data), String(data.Action));
  const out = await waitTask2(c.vpc, taskId, timeoutMs);
  assert.deepEqual(out, { status: 0 }, `${String(data.Action)} task ${taskId} should succeed`);
  return taskId;
}

/** One ENI as 2.0 DescribeNetworkInterfaces shows it (undefined when absent). */
export async function eni2(s: Session2, id: string, vpcId?: string): Promise<Qc2Body | undefined> {
  const r = ok2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', networkInterfaceId: id, ...(vpcId ? { vpcId } : {}) }), 'DescribeNetworkInterfaces');
  assert.ok(r.data.totalNum <= 1, JSON.stringify(r));
  return r.data.data[0];
}

export async function mustEni2(s: Session2, id: string): Promise<Qc2Body> {
  const e = await eni2(s, id);
  assert.ok(e, `ENI ${id} should be visible through 2.0`);
  return e;
}

/** The instance an ENI is attached to through 2.0's eyes ('' when none). */
export async function holder2(s: Session2, id: string): Promise<string> {
  return ((await mustEni2(s, id)).instanceSet as { instanceId: string }).instanceId;
}

/** The primary ENI of an instance (2.0 DescribeNetworkInterfaces instanceId filter). */
export async function primaryEni2(s: Session2, instanceId: string): Promise<string> {
  const r = ok2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', instanceId, limit: 50 }));
  const p = (r.data.data as Array<{ primary: boolean; networkInterfaceId: string }>).filter((e) => e.primary);
  assert.equal(p.length, 1, `instance ${instanceId} has exactly one primary ENI: ${JSON.stringify(r)}`);
  return p[0]!.networkInterfaceId;
}

/** Every ENI of the account (all pages of 50), sorted by id. */
export async function allEnis2(s: Session2): Promise<Qc2Body[]> {
  const out: Qc2Body[] = [];
  for (let offset = 0; ; offset += 50) {
    const r = ok2(await s.c.vpc({ Action: 'DescribeNetworkInterfaces', offset, limit: 50 }));
    out.push(...(r.data.data as Qc2Body[]));
    if (out.length >= r.data.totalNum || r.data.data.length === 0) break;
  }
  return out.sort((a, b) => (a.networkInterfaceId < b.networkInterfaceId ? -1 : 1));
}
