// Shared pieces of the error-path contract tests (rules, tenancy, auth, input): an SDK "session" for
// one account, builders for VPCs/subnets/instances/ENIs that wait through pollUntil, a snapshot of
// everything an account can see (to prove a refused call changed nothing), and hand-signed raw
// requests for what the SDK cannot produce (stale timestamps, tampered bodies, odd methods).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { signTc3 } from '../../../src/auth/tc3.ts';
import { pollUntil } from '../../support/poll.ts';
import type { AccountInfo, RunningServer } from '../../support/server.ts';
import {
  cvmClient,
  expectTcError,
  vpcClient,
  type CvmClient,
  type CvmModels,
  type TcClientOptions,
  type TcError,
  type VpcClient,
  type VpcModels,
} from '../../support/tencent.ts';

export type Eni = VpcModels.NetworkInterface;
export type Instance = CvmModels.Instance;

export const REGION = 'ap-guangzhou';
export const ZONE3 = 'ap-guangzhou-3';
export const ZONE4 = 'ap-guangzhou-4';

/** Bypass the SDK's request typings for deliberately wrong or lenient parameters. */
export const loose = <T>(x: Record<string, unknown>): T => x as T;

export interface Session {
  server: RunningServer;
  account: AccountInfo;
  vpc: VpcClient;
  cvm: CvmClient;
}

export async function session(server: RunningServer, opts: TcClientOptions = {}, account?: AccountInfo): Promise<Session> {
  const acct = account ?? (await server.createAccount());
  return { server, account: acct, vpc: vpcClient(server.port, acct, opts), cvm: cvmClient(server.port, acct, opts) };
}

// ---- builders ---------------------------------------------------------------------------------

export async function createVpc(s: Session, cidr: string, name = 'err-vpc'): Promise<string> {
  const { Vpc } = await s.vpc.CreateVpc({ VpcName: name, CidrBlock: cidr });
  return Vpc!.VpcId!;
}

export async function createSubnet(s: Session, vpcId: string, cidr: string, zone = ZONE3): Promise<string> {
  const { Subnet } = await s.vpc.CreateSubnet({ VpcId: vpcId, SubnetName: `sn-${cidr}`, CidrBlock: cidr, Zone: zone });
  return Subnet!.SubnetId!;
}

/** RunInstances without waiting; returns ids and the RequestId. */
export async function runInstancesNoWait(
  s: Session,
  net: { vpcId: string; subnetId: string; zone?: string },
  type: string,
  count = 1,
): Promise<string[]> {
  const { InstanceIdSet } = await s.cvm.RunInstances({
    Placement: { Zone: net.zone ?? ZONE3 },
    InstanceType: type,
    InstanceCount: count,
    InstanceName: 'err-',
    VirtualPrivateCloud: { VpcId: net.vpcId, SubnetId: net.subnetId },
  });
  assert.equal(InstanceIdSet!.length, count);
  return InstanceIdSet!;
}

export async function runInstances(
  s: Session,
  net: { vpcId: string; subnetId: string; zone?: string },
  type: string,
  count = 1,
  timeoutMs = 15_000,
): Promise<string[]> {
  const ids = await runInstancesNoWait(s, net, type, count);
  await waitInstances(s, ids, 'RUNNING', timeoutMs);
  return ids;
}

export async function describeInstances(s: Session, ids: string[]): Promise<Instance[]> {
  const { InstanceSet } = await s.cvm.DescribeInstances({ InstanceIds: ids, Limit: 100 });
  return InstanceSet ?? [];
}

export async function waitInstances(s: Session, ids: string[], state: string, timeoutMs = 15_000): Promise<Instance[]> {
  return pollUntil(
    async () => {
      const set = await describeInstances(s, ids);
      return set.length === ids.length && set.every((i) => i.InstanceState === state) ? set : false;
    },
    { what: `instances ${ids.join(',')} ${state}`, timeoutMs },
  );
}

export async function getEni(s: Session, id: string): Promise<Eni | undefined> {
  const { NetworkInterfaceSet } = await s.vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: [id] });
  return NetworkInterfaceSet![0];
}

export async function mustGetEni(s: Session, id: string): Promise<Eni> {
  const e = await getEni(s, id);
  assert.ok(e, `ENI ${id} should exist`);
  return e;
}

/** The primary ENI of an instance. */
export async function primaryEniOf(s: Session, instanceId: string): Promise<Eni> {
  const { NetworkInterfaceSet } = await s.vpc.DescribeNetworkInterfaces({
    Filters: [
      { Name: 'attachment.instance-id', Values: [instanceId] },
      { Name: 'is-primary', Values: ['true'] },
    ],
  });
  assert.equal(NetworkInterfaceSet!.length, 1, `instance ${instanceId} should have exactly one primary ENI`);
  return NetworkInterfaceSet![0]!;
}

export async function waitTask(s: Session, taskId: string, timeoutMs = 15_000): Promise<VpcModels.DescribeVpcTaskResultResponse> {
  return pollUntil(
    async () => {
      const r = await s.vpc.DescribeVpcTaskResult({ TaskId: taskId });
      return r.Status !== 'RUNNING' ? r : false;
    },
    { what: `task ${taskId} to finish`, timeoutMs },
  );
}

export async function waitTaskSuccess(s: Session, taskId: string, timeoutMs = 15_000): Promise<void> {
  const r = await waitTask(s, taskId, timeoutMs);
  assert.equal(r.Status, 'SUCCESS', `task ${taskId}: ${r.Output}`);
}

/** Terraform's waitEniReady: present, AVAILABLE, every IP AVAILABLE. */
export async function waitEniReady(s: Session, id: string, timeoutMs = 15_000): Promise<Eni> {
  return pollUntil(
    async () => {
      const e = await getEni(s, id);
      return e && e.State === 'AVAILABLE' && e.PrivateIpAddressSet!.every((p) => p.State === 'AVAILABLE') ? e : false;
    },
    { what: `ENI ${id} ready`, timeoutMs },
  );
}

export interface EniSpec {
  secondary?: number;
  ips?: string[];
  name?: string;
}

/** CreateNetworkInterface without waiting. */
export async function createEniNoWait(s: Session, net: { vpcId: string; subnetId: string }, spec: EniSpec = {}): Promise<{ id: string; requestId: string }> {
  const r = await s.vpc.CreateNetworkInterface({
    VpcId: net.vpcId,
    SubnetId: net.subnetId,
    NetworkInterfaceName: spec.name ?? 'err-eni',
    ...(spec.secondary !== undefined ? { SecondaryPrivateIpAddressCount: spec.secondary } : {}),
    ...(spec.ips ? { PrivateIpAddresses: spec.ips.map((ip) => ({ PrivateIpAddress: ip })) } : {}),
  });
  return { id: r.NetworkInterface!.NetworkInterfaceId!, requestId: r.RequestId! };
}

export async function createEni(s: Session, net: { vpcId: string; subnetId: string }, spec: EniSpec = {}, timeoutMs = 15_000): Promise<string> {
  const { id, requestId } = await createEniNoWait(s, net, spec);
  await waitTaskSuccess(s, requestId, timeoutMs);
  await waitEniReady(s, id, timeoutMs);
  return id;
}

export async function attach(s: Session, eniId: string, instanceId: string, timeoutMs = 15_000): Promise<void> {
  const { RequestId } = await s.vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: instanceId });
  await waitTaskSuccess(s, RequestId!, timeoutMs);
  const e = await waitEniReady(s, eniId, timeoutMs);
  assert.equal(e.Attachment?.InstanceId, instanceId);
}

// ---- "nothing changed" ------------------------------------------------------------------------

export interface Snapshot {
  vpcs: unknown[];
  subnets: unknown[];
  enis: unknown[];
  instances: unknown[];
}

/** Everything the session's account can see in its region, in a deterministic order. */
export async function snapshot(s: Session): Promise<Snapshot> {
  const [vpcs, subnets, enis, instances] = await Promise.all([
    s.vpc.DescribeVpcs({ Limit: '100' }),
    s.vpc.DescribeSubnets({ Limit: '100' }),
    s.vpc.DescribeNetworkInterfaces({ Limit: 100 }),
    s.cvm.DescribeInstances({ Limit: 100 }),
  ]);
  // Every list must fit in one page, or the snapshot would silently miss things.
  assert.equal(vpcs.VpcSet!.length, vpcs.TotalCount);
  assert.equal(subnets.SubnetSet!.length, subnets.TotalCount);
  assert.equal(enis.NetworkInterfaceSet!.length, enis.TotalCount);
  assert.equal(instances.InstanceSet!.length, instances.TotalCount);
  const byKey = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return {
    vpcs: [...vpcs.VpcSet!].sort(byKey((v) => v.VpcId!)),
    subnets: [...subnets.SubnetSet!].sort(byKey((v) => v.SubnetId!)),
    enis: [...enis.NetworkInterfaceSet!].sort(byKey((v) => v.NetworkInterfaceId!)),
    instances: [...instances.InstanceSet!].sort(byKey((v) => v.InstanceId!)),
  };
}

/** The error's RequestId names no task: a refused call must not have queued anything. */
export async function assertNoTask(s: Session, err: TcError): Promise<void> {
  assert.ok(err.requestId, `the error ${err.code} should carry a RequestId`);
  await expectTcError(s.vpc.DescribeVpcTaskResult({ TaskId: err.requestId }), 'ResourceNotFound');
}

/**
 * Run `call`, expect exactly `code`, and prove that nothing the account can see changed and that
 * no task was created. Returns the error for further checks.
 */
export async function refused(s: Session, call: () => Promise<unknown>, code: string, observers: Session[] = []): Promise<TcError> {
  const all = [s, ...observers];
  const before = await Promise.all(all.map(snapshot));
  const err = await expectTcError(call(), code);
  const after = await Promise.all(all.map(snapshot));
  for (let i = 0; i < all.length; i++) {
    assert.deepEqual(after[i], before[i], `${code}: the refused call must change nothing (account ${all[i]!.account.accountId})`);
  }
  await assertNoTask(s, err);
  return err;
}

// ---- hand-made requests ------------------------------------------------------------------------

export interface RawAnswer {
  status: number;
  contentType: string | null;
  json: { Response?: { Error?: { Code?: string; Message?: string }; RequestId?: string; [k: string]: unknown } };
}

export async function readAnswer(res: Response): Promise<RawAnswer> {
  const text = await res.text();
  let json: RawAnswer['json'];
  try {
    json = JSON.parse(text) as RawAnswer['json'];
  } catch {
    assert.fail(`HTTP ${res.status} answer is not JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, contentType: res.headers.get('content-type'), json };
}

/** Assert the Tencent error envelope: HTTP 200, JSON, Response.Error.{Code,Message}, RequestId. */
export function assertErrorEnvelope(a: RawAnswer, code: string): void {
  assert.equal(a.status, 200, `errors are HTTP 200 (got ${a.status}) for ${code}`);
  // tencentcloud-sdk-python (and tccli) treat an answer as an error only under exactly this type.
  assert.equal(a.contentType, 'application/json');
  const r = a.json.Response;
  assert.ok(r, `answer has a Response: ${JSON.stringify(a.json)}`);
  assert.equal(r.Error?.Code, code, `expected ${code}, got ${JSON.stringify(r)}`);
  assert.equal(typeof r.Error?.Message, 'string');
  assert.ok(r.Error!.Message!.length > 0, 'the error has a message');
  assert.match(r.RequestId ?? '', /^[0-9a-f-]{36}$/i, 'the error has a UUID RequestId');
}

export interface Tc3RawOptions {
  action: string;
  body?: string | Buffer;
  secretId: string;
  secretKey: string;
  version?: string;
  region?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Change the body after signing. */
  tamper?: (body: Buffer) => Buffer;
  contentType?: string;
  method?: string;
}

/** A TC3-HMAC-SHA256 request signed by hand (signTc3) and sent with fetch to 127.0.0.1:port. */
export async function tc3Raw(port: number, o: Tc3RawOptions): Promise<RawAnswer> {
  const host = `127.0.0.1:${port}`;
  const contentType = o.contentType ?? 'application/json';
  const body = Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body ?? '{}', 'utf8');
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const method = o.method ?? 'POST';
  const authorization = signTc3(
    o.secretId,
    o.secretKey,
    { method, path: '/', rawQuery: '', headers: { 'content-type': contentType, host }, body },
    'vpc',
    timestamp,
  );
  const sent = o.tamper ? o.tamper(Buffer.from(body)) : body;
  const res = await fetch(`http://${host}/`, {
    method,
    headers: {
      authorization,
      'content-type': contentType,
      'x-tc-action': o.action,
      'x-tc-version': o.version ?? '2017-03-12',
      'x-tc-timestamp': String(timestamp),
      ...(o.region === '' ? {} : { 'x-tc-region': o.region ?? REGION }),
    },
    ...(method === 'GET' || method === 'HEAD' ? {} : { body: new Uint8Array(sent) }),
  });
  return readAnswer(res);
}

export const uuid = (): string => randomUUID();
