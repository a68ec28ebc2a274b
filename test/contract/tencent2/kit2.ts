// Shared pieces of the API 2.0 contract tests: a "session" (one account, qcloudapi-sdk clients for
// 2.0 and the official 3.0 SDK for what 2.0 cannot do, i.e. RunInstances), builders that wait
// through pollUntil (never a sleep), and a snapshot of what 2.0 shows, to prove refusals change nothing.

import assert from 'node:assert/strict';
import { freshDb, type StoreKind } from '../../support/stores.ts';
import { startServer, type AccountInfo, type RunningServer, type ServerOptions } from '../../support/server.ts';
import { capiClients, ok2, taskIdOf, waitTask2, type Qc2Body, type Qc2Clients } from '../../support/qcloud2.ts';
import { cvmClient, vpcClient, type CvmClient, type VpcClient } from '../../support/tencent.ts';
import { pollUntil } from '../../support/poll.ts';

export const ZONE3_ID = 100003; // ap-guangzhou-3
export const ZONE4_ID = 100004; // ap-guangzhou-4
export const MISSING_VPC = 'vpc-zzzzzzzz';
export const MISSING_ENI = 'eni-zzzzzzzz';
export const MISSING_INS = 'ins-zzzzzzzz';

export interface Session2 {
  server: RunningServer;
  account: AccountInfo;
  /** qcloudapi-sdk (API 2.0). */
  c: Qc2Clients;
  /** tencentcloud-sdk-nodejs (API 3.0), same account. */
  vpc3: VpcClient;
  cvm3: CvmClient;
}

export async function session2(server: RunningServer, account?: AccountInfo): Promise<Session2> {
  const acct = account ?? (await server.createAccount());
  return { server, account: acct, c: capiClients(server.port, acct), vpc3: vpcClient(server.port, acct), cvm3: cvmClient(server.port, acct) };
}

/** A server on a fresh database of `kind`; the returned stop() stops it and drops the database. */
export async function serverOn(kind: StoreKind, opts: ServerOptions): Promise<{ server: RunningServer; stop(): Promise<void> }> {
  const { db, cleanup } = await freshDb(kind);
  let server: RunningServer;
  try {
    server = await startServer({ rateLimit: 'off', ...opts, db });
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    server,
    async stop() {
      await server.stop().catch(() => server.kill9());
      await cleanup();
    },
  };
}

export interface SubnetIn {
  subnetName: string;
  cidrBlock: string;
  zoneId: number;
}

/** CreateVpc (2.0) with subnets; returns the vpc id and the subnet ids in order. */
export async function createVpc2(s: Session2, cidr: string, subnets: SubnetIn[], name = `v2-${cidr}`): Promise<{ vpcId: string; subnetIds: string[] }> {
  const r = ok2(await s.c.vpc({ Action: 'CreateVpc', vpcName: name, cidrBlock: cidr, subnetSet: subnets }), 'CreateVpc');
  assert.equal(r.subnetSet.length, subnets.length, JSON.stringify(r));
  return { vpcId: r.vpcId as string, subnetIds: (r.subnetSet as Array<{ unSubnetId: string }>).map((x) => x.unSubnetId) };
}

/** CreateNetworkInterface (2.0), waiting for its task; returns the new eni- id. */
export async function createEni2(s: Session2, vpcId: string, subnetId: string, name = 'eni2', extra: Record<string, unknown> = {}): Promise<string> {
  const r = ok2(await s.c.vpc({ Action: 'CreateNetworkInterface', vpcId, subnetId, eniName: name, ...extra }), 'CreateNetworkInterface');
  const id = r.data.networkInterfaceId as string;
  assert.match(id, /^eni-[0-9a-z]{8}$/);
  assert.deepEqual(await waitTask2(s.c.vpc, taskIdOf(r, 'CreateNetworkInterface')), { status: 0 }, `create ${id}`);
  return id;
}

/** Instances through the 3.0 SDK (2.0 has no RunInstances), RUNNING. */
export async function instances(s: Session2, vpcId: string, subnetId: string, count: number, type = 'S5.LARGE8', zone = 'ap-guangzhou-3'): Promise<string[]> {
  const { InstanceIdSet } = await s.cvm3.RunInstances({
    Placement: { Zone: zone },
    InstanceType: type,
    InstanceCount: count,
    InstanceName: 'v2-',
    VirtualPrivateCloud: { VpcId: vpcId, SubnetId: subnetId },
  });
  const ids = InstanceIdSet!;
  assert.equal(ids.length, count);
  await pollUntil(
    async () => {
      const r = ok2(await s.c.cvm({ Action: 'DescribeInstances', instanceIds: ids, limit: 100 }));
      return r.instanceSet.length === count && (r.instanceSet as Array<{ status: number }>).every((i) => i.status === 2);
    },
    { what: `instances ${ids.join(',')} running (2.0 status 2)`, timeoutMs: 15_000 },
  );
  return ids;
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

/** What 2.0 shows: every ENI, every instance, every VPC and subnet; for before/after comparisons. */
export async function snapshot2(s: Session2): Promise<unknown> {
  const ins = ok2(await s.c.cvm({ Action: 'DescribeInstances', limit: 100 }));
  const vpcs = ok2(await s.c.vpc({ Action: 'DescribeVpcEx', limit: 100 }));
  const subnets = ok2(await s.c.vpc({ Action: 'DescribeSubnetEx', limit: 100 }));
  return { enis: await allEnis2(s), instances: ins.instanceSet, totalInstances: ins.totalCount, vpcs: vpcs.data, subnets: subnets.data };
}

/** Run `refuse`, then prove that 2.0 shows exactly what it showed before. Returns the refusal. */
export async function unchanged<T>(s: Session2, refuse: () => Promise<T>): Promise<T> {
  const before = await snapshot2(s);
  const out = await refuse();
  assert.deepEqual(await snapshot2(s), before, 'a refused call must change nothing');
  return out;
}
