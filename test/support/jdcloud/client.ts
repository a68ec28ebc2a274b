// The OFFICIAL jdcloud-sdk-js 1.2.202 VM/VPC clients pointed at a local eniplane server, typed for the
// operations eniplane serves; an assertion helper for JD errors (HTTP status AND body error.code /
// status / message, requestId and the x-jdcloud-request-id header); and a JD Cloud account creator
// (the CLI with --provider jdcloud) with its session.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { accountsCreate, type RunningServer } from '../server.ts';


export const JD_REGION = 'cn-north-1';
export const JD_AZ_A = 'cn-north-1a';
export const JD_AZ_B = 'cn-north-1b';

/** `port-`/`i-`/`vpc-`/`subnet-`/`fip-` + 10 lower-case alphanumerics (spec §5). */
export const jdId = (prefix: string): RegExp => new RegExp(`^${prefix}-[a-z0-9]{10}$`);

// ---- models (spec §5) --------------------------------------------------------------------------

export interface JdPrivateIp {
  privateIpAddress: string;
  elasticIpId: string;
  elasticIpAddress: string;
}

export interface JdNetworkInterface {
  networkInterfaceName: string;
  networkInterfaceId: string;
  azType: string;
  az: string;
  role: 'Primary' | 'Secondary';
  macAddress: string;
  vpcId: string;
  subnetId: string;
  networkSecurityGroupIds: string[];
  sanityCheck: number;
  primaryIp: JdPrivateIp;
  secondaryIps: JdPrivateIp[];
  secondaryCidrs: string[];
  instanceType: string;
  instanceId: string;
  instanceOwnerId: string;
  deviceIndex: number;
  description: string;
  attachmentStatus: 'attached' | 'detached';
  networkInterfaceStatus: string;
  createdTime: string;
}

/** vm's embedded view of a NIC (§5.3). */
export interface JdInstanceNic {
  networkInterfaceId: string;
  macAddress: string;
  vpcId: string;
  subnetId: string;
  securityGroups: Array<{ groupId: string; groupName: string }>;
  sanityCheck: number;
  primaryIp: JdPrivateIp;
  secondaryIps: JdPrivateIp[];
}

export interface JdNicAttachment {
  deviceIndex: number;
  autoDelete: boolean;
  networkInterface: JdInstanceNic;
}

export interface JdInstance {
  instanceId: string;
  instanceName: string;
  hostname: string;
  instanceType: string;
  vpcId: string;
  subnetId: string;
  privateIpAddress: string;
  elasticIpId: string;
  elasticIpAddress: string;
  status: string;
  description: string;
  imageId: string;
  primaryNetworkInterface: JdNicAttachment | null;
  secondaryNetworkInterfaces?: JdNicAttachment[];
  launchTime: string;
  az: string;
}

export interface JdSubnet {
  subnetId: string;
  subnetName: string;
  vpcId: string;
  addressPrefix: string;
  availableIpCount: number;
  ipMaskLen: number;
  startIp: string;
  endIp: string;
  az: string;
  subnetType: string;
  createdTime: string;
}

export interface JdVpc {
  vpcId: string;
  vpcName: string;
  addressPrefix: string;
  subnets: JdSubnet[];
  createdTime: string;
}

export interface JdElasticIp {
  elasticIpId: string;
  elasticIpAddress: string;
  bandwidthMbps: number;
  provider: string;
  privateIpAddress: string;
  networkInterfaceId: string;
  instanceId: string;
  instanceType: string;
  az: string;
  status: 'ASSOCIATED' | 'NOT_ASSOCIATED';
  state: string;
}

export interface JdInstanceType {
  family: string;
  instanceType: string;
  cpu: number;
  memoryMB: number;
  nicLimit: number;
  state: Array<{ az: string; inStock: boolean; availableCount: number }>;
}

// ---- clients -------------------------------------------------------------------------------------

export interface JdFilter {
  name: string;
  values: string[];
  operator?: string;
}

export interface JdListOpts {
  pageNumber?: number;
  pageSize?: number;
  filters?: JdFilter[];
}

/** What the SDK resolves with: the parsed body plus node-fetch's Response as `responseObj`. */
export interface JdAck {
  requestId: string;
  responseObj?: { status: number; headers: { get(name: string): string | null } };
}

export interface JdReply<R> extends JdAck {
  result: R;
}

type Call<P, R> = (opts: P, regionId?: string) => Promise<R>;
type Ack<P> = Call<P, JdAck>;
type Reply<P, R> = Call<P, JdReply<R>>;

export interface JdNetworkInterfaceSpec {
  subnetId: string;
  primaryIpAddress?: string;
  networkInterfaceName?: string;
  secondaryIpAddresses?: string[];
  secondaryIpCount?: number;
  securityGroups?: string[];
  sanityCheck?: number;
  description?: string;
}

export interface JdInstanceSpec {
  az: string;
  instanceType?: string;
  imageId?: string;
  name: string;
  description?: string;
  primaryNetworkInterface: { networkInterface: JdNetworkInterfaceSpec; deviceIndex?: number; autoDelete?: boolean };
}

export interface JdVmClient {
  createInstances: Reply<{ instanceSpec: JdInstanceSpec; maxCount?: number; clientToken?: string }, { instanceIds: string[] }>;
  describeInstance: Reply<{ instanceId: string }, { instance: JdInstance }>;
  describeInstances: Reply<JdListOpts, { instances: JdInstance[]; totalCount: number }>;
  describeInstanceStatus: Reply<JdListOpts, { instanceStatuses: Array<{ instanceId: string; status: string }>; totalCount: number }>;
  describeInstanceTypes: Reply<JdListOpts & { serviceName?: string }, { instanceTypes: JdInstanceType[]; specificInstanceTypes: JdInstanceType[]; totalCount: number }>;
  attachNetworkInterface: Ack<{ instanceId: string; networkInterfaceId: string; autoDelete?: boolean }>;
  detachNetworkInterface: Ack<{ instanceId: string; networkInterfaceId: string }>;
  modifyInstanceNetworkAttribute: Ack<{ instanceId: string; networks: Array<{ networkInterfaceId: string; autoDelete: boolean }> }>;
  startInstance: Ack<{ instanceId: string }>;
  stopInstance: Ack<{ instanceId: string; chargeOnStopped?: string }>;
  deleteInstance: Ack<{ instanceId: string }>;
  associateElasticIp: Ack<{ instanceId: string; elasticIpId: string }>;
}

export interface JdVpcClient {
  createVpc: Reply<{ vpcName: string; addressPrefix?: string; description?: string }, { vpcId: string }>;
  describeVpcs: Reply<JdListOpts, { vpcs: JdVpc[]; totalCount: number }>;
  describeVpc: Reply<{ vpcId: string }, { vpc: JdVpc }>;
  deleteVpc: Ack<{ vpcId: string }>;
  createSubnet: Reply<{ vpcId: string; subnetName: string; addressPrefix: string; description?: string }, { subnetId: string }>;
  describeSubnets: Reply<JdListOpts, { subnets: JdSubnet[]; totalCount: number }>;
  describeSubnet: Reply<{ subnetId: string }, { subnet: JdSubnet }>;
  createNetworkInterface: Reply<JdNetworkInterfaceSpec & { az?: string }, { networkInterfaceId: string }>;
  describeNetworkInterface: Reply<{ networkInterfaceId: string }, { networkInterface: JdNetworkInterface }>;
  describeNetworkInterfaces: Reply<JdListOpts, { networkInterfaces: JdNetworkInterface[]; totalCount: number }>;
  modifyNetworkInterface: Ack<{ networkInterfaceId: string; networkInterfaceName?: string; description?: string; securityGroups?: string[] }>;
  deleteNetworkInterface: Ack<{ networkInterfaceId: string }>;
  assignSecondaryIps: Ack<{ networkInterfaceId: string; force?: boolean; secondaryIps?: string[]; secondaryIpCount?: number }>;
  unassignSecondaryIps: Ack<{ networkInterfaceId: string; secondaryIps?: string[] }>;
  associateElasticIp: Ack<{ networkInterfaceId: string; elasticIpId?: string; elasticIpAddress?: string; privateIpAddress?: string }>;
  disassociateElasticIp: Ack<{ networkInterfaceId: string; elasticIpId?: string; elasticIpAddress?: string }>;
  createElasticIps: Reply<
    {
      maxCount: number;
      // `az` is eniplane's extension (spec §4.18): the SDK passes the nested object through untouched.
      elasticIpSpec: { bandwidthMbps: number; provider: string; az?: string };
      elasticIpAddress?: string;
    },
    { elasticIpIds: string[]; requestId: string }
  >;
  describeElasticIps: Reply<JdListOpts, { elasticIps: JdElasticIp[]; totalCount: number }>;
  describeElasticIp: Reply<{ elasticIpId: string }, { elasticIp: JdElasticIp }>;
  deleteElasticIp: Ack<{ elasticIpId: string }>;
  createNetworkSecurityGroup: Reply<{ vpcId: string; networkSecurityGroupName: string; description?: string }, { networkSecurityGroupId: string }>;
  describeNetworkSecurityGroups: Reply<JdListOpts, { networkSecurityGroups: JdSecurityGroup[]; totalCount: number }>;
  describeNetworkSecurityGroup: Reply<{ networkSecurityGroupId: string }, { networkSecurityGroup: JdSecurityGroup }>;
  modifyNetworkSecurityGroup: Ack<{ networkSecurityGroupId: string; networkSecurityGroupName?: string; description?: string }>;
  deleteNetworkSecurityGroup: Ack<{ networkSecurityGroupId: string }>;
  addNetworkSecurityGroupRules: Ack<{ networkSecurityGroupId: string; networkSecurityGroupRuleSpecs: JdRuleSpec[] }>;
  removeNetworkSecurityGroupRules: Ack<{ networkSecurityGroupId: string; ruleIds: string[] }>;
  modifyNetworkSecurityGroupRules: Ack<{ networkSecurityGroupId: string; modifySecurityGroupRuleSpecs: Array<Partial<JdRuleSpec> & { ruleId: string }> }>;
}

export interface JdRuleSpec {
  protocol: number;
  direction: number;
  addressPrefix: string;
  fromPort?: number;
  toPort?: number;
  description?: string;
}

export interface JdSecurityGroupRule extends Required<JdRuleSpec> {
  ruleId: string;
  ipVersion: number;
  createdTime: string;
}

export interface JdSecurityGroup {
  networkSecurityGroupId: string;
  networkSecurityGroupName: string;
  description: string;
  vpcId: string;
  securityGroupRules: JdSecurityGroupRule[];
  createdTime: string;
  networkSecurityGroupType: string;
  networkInterfaceIds: string[];
}

export interface JdClients {
  vm: JdVmClient;
  vpc: JdVpcClient;
}

export interface JdCreds {
  accessKey: string;
  secretKey: string;
}

interface JdSdk {
  VM: new (config: Record<string, unknown>) => unknown;
  VPC: new (config: Record<string, unknown>) => unknown;
  config: { update(options: Record<string, unknown>): void };
}

// The SDK honours http_proxy through node-fetch's agent only when told to, but be safe for 127.0.0.1.
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[k];

const JDCloud = createRequire(import.meta.url)('jdcloud-sdk-js') as JdSdk;
// The request builder and the signer log through the GLOBAL logger; a per-client logger is not enough.
JDCloud.config.update({ logger: () => {} });

/** The official SDK's VM and VPC clients for `127.0.0.1:port` over http. */
export function jdClients(port: number, creds: JdCreds, region: string = JD_REGION): JdClients {
  const config = {
    credentials: { accessKeyId: creds.accessKey, secretAccessKey: creds.secretKey },
    regionId: region,
    endpoint: { host: `127.0.0.1:${port}`, protocol: 'http' },
  };
  return { vm: new JDCloud.VM(config) as JdVmClient, vpc: new JDCloud.VPC(config) as JdVpcClient };
}

/** Bypass the typings for deliberately odd parameters. */
export const loose = <T>(x: Record<string, unknown>): T => x as T;

// ---- errors --------------------------------------------------------------------------------------

export interface JdErrorSeen {
  httpCode: number;
  status: string;
  message: string;
  requestId: string;
}

/**
 * Await `p` and assert the SDK rejected it with a JD error: HTTP status `httpCode`, body
 * `error.code === httpCode`, `error.status === status`, and (when given) the exact message or a
 * matching RegExp. Also asserts a non-empty body `requestId` equal to the `x-jdcloud-request-id`
 * header. The Node SDK rejects with the parsed body object (not an Error) plus `responseObj`.
 */
export async function expectJdError(p: Promise<unknown>, httpCode: number, status: string, message?: string | RegExp): Promise<JdErrorSeen> {
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await p };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const want = `${httpCode} ${status}${message === undefined ? '' : ` ${String(message)}`}`;
  if (outcome.ok) assert.fail(`expected the SDK to reject with ${want}, but it resolved with ${inspect(strip(outcome.value), { depth: 6 })}`);
  const e = outcome.error as { error?: { code?: unknown; status?: unknown; message?: unknown }; requestId?: unknown; responseObj?: JdAck['responseObj'] } | null;
  if (e === null || typeof e !== 'object' || e.error === undefined || e.responseObj === undefined) {
    assert.fail(`expected a JD error body ${want}, got ${e instanceof Error ? `${e.name}: ${e.message}` : inspect(e, { depth: 4 })}`);
  }
  const seen = `HTTP ${e.responseObj.status} ${inspect(e.error, { breakLength: Infinity })} requestId=${String(e.requestId)}`;
  assert.equal(e.responseObj.status, httpCode, `HTTP status: expected ${want}, got ${seen}`);
  assert.equal(e.error.code, httpCode, `error.code must equal the HTTP status: expected ${want}, got ${seen}`);
  assert.equal(e.error.status, status, `error.status: expected ${want}, got ${seen}`);
  assert.equal(typeof e.error.message, 'string', `error.message: ${seen}`);
  if (typeof message === 'string') assert.equal(e.error.message, message, `error.message: expected ${want}, got ${seen}`);
  else if (message) assert.match(e.error.message as string, message, `error.message: expected ${want}, got ${seen}`);
  assert.equal(typeof e.requestId, 'string', `requestId missing: ${seen}`);
  assert.ok((e.requestId as string).length > 0, `requestId empty: ${seen}`);
  assert.equal(e.responseObj.headers.get('x-jdcloud-request-id'), e.requestId, `x-jdcloud-request-id header must equal the body requestId: ${seen}`);
  assert.equal(e.responseObj.headers.get('content-type'), 'application/json', `content-type: ${seen}`);
  return { httpCode, status, message: e.error.message as string, requestId: e.requestId as string };
}

function strip(v: unknown): unknown {
  if (v && typeof v === 'object' && 'responseObj' in v) {
    const { responseObj: _r, ...rest } = v as Record<string, unknown>;
    return rest;
  }
  return v;
}

// ---- accounts ------------------------------------------------------------------------------------

export interface JdAccount extends JdCreds {
  accountId: string;
  ownerUin: string;
  name: string;
}

/** `eniplane accounts create --provider jdcloud --json` on the server's database (running or not). */
export async function createJdAccount(server: RunningServer, name?: string): Promise<JdAccount> {
  const { printed: o, name: accountName, describe } = await accountsCreate(server.db, 'jdcloud', { env: { ENIPLANE_DATA_DIR: server.dataDir }, ...(name ? { name } : {}) });
  assert.equal(o.provider, 'jdcloud', `accounts create printed a non-JD account\n${describe()}`);
  assert.equal(typeof o.accessKey, 'string', describe());
  return {
    accountId: String(o.accountId),
    accessKey: o.accessKey as string,
    secretKey: o.secretKey as string,
    ownerUin: typeof o.ownerUin === 'string' ? o.ownerUin : '',
    name: typeof o.name === 'string' ? o.name : accountName,
  };
}

export interface JdSession extends JdClients {
  server: RunningServer;
  account: JdAccount;
}

/** A new JD account on `server` and its SDK clients. */
export async function jdSession(server: RunningServer, account?: JdAccount): Promise<JdSession> {
  const acct = account ?? (await createJdAccount(server));
  return { server, account: acct, ...jdClients(server.port, acct) };
}
