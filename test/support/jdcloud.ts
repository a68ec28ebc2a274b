// The OFFICIAL jdcloud-sdk-js 1.2.202 VM/VPC clients pointed at a local eniplane server, typed for the
// operations eniplane serves; an assertion helper for JD errors (HTTP status AND body error.code /
// status / message, requestId and the x-jdcloud-request-id header); a JD Cloud account creator (the
// CLI with --provider jdcloud); hand-signed raw requests (signJd2) for what the SDK cannot produce;
// and pollUntil-based waits for the asynchronous vm operations.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { formatJdAuthorization, jd2PythonQuery, jd2Signature, JD2_ALGORITHM, JD2_TERMINATOR, signJd2 } from '../../src/auth/jdcloud2.ts';
import { signJd3 } from '../../src/auth/jdcloud3.ts';
import { pyQuote } from '../../src/auth/pythonUrl.ts';
import { pollUntil } from './poll.ts';
import { runCli, type RunningServer } from './server.ts';

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

/** The same checks on a raw fetch answer. */
export async function expectRawJdError(res: RawJdResponse, httpCode: number, status: string, message?: string | RegExp): Promise<JdErrorSeen> {
  const body = res.json as { requestId?: unknown; error?: { code?: unknown; status?: unknown; message?: unknown } } | undefined;
  const seen = `HTTP ${res.status} ${res.text}`;
  assert.equal(res.status, httpCode, `HTTP status: ${seen}`);
  assert.ok(body && body.error, `no error object: ${seen}`);
  assert.equal(body.error.code, httpCode, `error.code: ${seen}`);
  assert.equal(body.error.status, status, `error.status: ${seen}`);
  if (typeof message === 'string') assert.equal(body.error.message, message, `error.message: ${seen}`);
  else if (message) assert.match(String(body.error.message), message, `error.message: ${seen}`);
  assert.equal(typeof body.requestId, 'string', `requestId: ${seen}`);
  assert.ok((body.requestId as string).length > 0, `requestId empty: ${seen}`);
  assert.equal(res.headers.get('x-jdcloud-request-id'), body.requestId, `x-jdcloud-request-id header: ${seen}`);
  assert.equal(res.headers.get('content-type'), 'application/json', `content-type: ${seen}`);
  return { httpCode, status, message: String(body.error.message), requestId: body.requestId as string };
}

// ---- accounts ------------------------------------------------------------------------------------

export interface JdAccount extends JdCreds {
  accountId: string;
  ownerUin: string;
  name: string;
}

let jdAccountCounter = 0;

/** `eniplane accounts create --provider jdcloud --json` on the server's database (running or not). */
export async function createJdAccount(server: RunningServer, name?: string): Promise<JdAccount> {
  const accountName = name ?? `jd-${process.pid}-${++jdAccountCounter}-${Math.random().toString(36).slice(2, 8)}`;
  const args = ['accounts', 'create', '--provider', 'jdcloud', '--name', accountName, '--db', server.db, '--json'];
  const res = await runCli(args, { env: { ENIPLANE_DATA_DIR: server.dataDir } });
  const describe = () => `eniplane ${args.join(' ')}\nexit ${res.code}\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`;
  if (res.code !== 0) throw new Error(`accounts create failed\n${describe()}`);
  for (const line of res.stdout.split('\n').map((l) => l.trim()).filter(Boolean).reverse()) {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (o && typeof o.accessKey === 'string' && typeof o.secretKey === 'string') {
      assert.equal(o.provider, 'jdcloud', `accounts create printed a non-JD account\n${describe()}`);
      return {
        accountId: String(o.accountId),
        accessKey: o.accessKey,
        secretKey: o.secretKey,
        ownerUin: typeof o.ownerUin === 'string' ? o.ownerUin : '',
        name: typeof o.name === 'string' ? o.name : accountName,
      };
    }
  }
  throw new Error(`accounts create printed no JSON line with accessKey/secretKey\n${describe()}`);
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

// ---- hand-signed requests ------------------------------------------------------------------------

/** `YYYYMMDDTHHMMSSZ` (UTC, no milliseconds), as the SDK sends x-jdcloud-date. */
export function jdDatetime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

export interface RawJdRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The request-line path exactly as sent and signed, e.g. `/v1/regions/cn-north-1/vpcs/`. */
  path: string;
  /** Raw query string without '?'. */
  query?: string;
  /** The body that is signed. Default: '' for GET/DELETE, '{}' otherwise. */
  body?: string;
  /** The body actually sent, if different from the signed one (tampering). */
  sendBody?: string;
  service: 'vm' | 'vpc';
  region?: string;
  datetime?: string;
  nonce?: string;
}

export interface PreparedJdRequest {
  url: string;
  init: RequestInit;
}

export interface RawJdResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** Signs like the Node SDK (signJd2) over exactly `path`, `query` and `body`; returns what fetch needs. */
export function prepareJd(port: number, creds: JdCreds, r: RawJdRequest): PreparedJdRequest {
  const host = `127.0.0.1:${port}`;
  const body = r.body ?? (r.method === 'GET' || r.method === 'DELETE' ? '' : '{}');
  const base = { accept: 'application/json', 'content-type': 'application/json', host };
  const signed = signJd2(
    creds.accessKey,
    creds.secretKey,
    { method: r.method, rawPath: r.path, rawQuery: r.query ?? '', headers: base, body: Buffer.from(body, 'utf8') },
    r.region ?? JD_REGION,
    r.service,
    r.datetime ?? jdDatetime(),
    r.nonce ?? randomUUID(),
  );
  const sent = r.sendBody ?? body;
  // fetch sends Host itself (`127.0.0.1:PORT`, the value signed above).
  const { host: _h, ...headers } = { ...base, ...signed };
  return {
    url: `http://${host}${r.path}${r.query ? `?${r.query}` : ''}`,
    init: { method: r.method, headers, ...(sent === '' && (r.method === 'GET' || r.method === 'DELETE') ? {} : { body: sent }) },
  };
}

export async function sendJd(prepared: PreparedJdRequest): Promise<RawJdResponse> {
  const res = await fetch(prepared.url, prepared.init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const rawJd = (port: number, creds: JdCreds, r: RawJdRequest): Promise<RawJdResponse> => sendJd(prepareJd(port, creds, r));

/**
 * JD Cloud SDKs whose wire form differs from jdcloud-sdk-js's. jdcloud-sdk-python: 1.6.94 and
 * before sign JDCLOUD2 over `quote(path)` (`:verb` as `%3A`) and the raw query pairs sorted, and
 * send the path as it is; 1.6.95 on (1.6.180 is what `jdc` pins, 1.6.338 the latest) sign JDCLOUD3
 * (see src/auth/jdcloud3.ts). jdcloud-sdk-java (1.2.x over google-http-client) signs JDCLOUD2 over
 * the RFC 3986-encoded path and the sorted, encoded query, but sends `:` literally and its query
 * unsorted with `:`, `,` and `/` left as they are.
 */
export type JdSdkForm = 'python-1.6.94' | 'python-1.6.180' | 'python-1.6.338' | 'java';
export const JD_SDK_FORMS: readonly JdSdkForm[] = ['python-1.6.94', 'python-1.6.180', 'python-1.6.338', 'java'];

export interface JdSdkCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** After `/v1`, e.g. `/regions/cn-north-1/networkInterfaces/port-…:assignSecondaryIps`. */
  path: string;
  service: 'vm' | 'vpc';
  /** GET query parameters in the SDK's order. */
  query?: Array<[string, string]>;
  /** The request class's fields; `null` for an unset one (Python sends it, Java's gson drops it). */
  params?: Record<string, unknown>;
  region?: string;
}

const percent = (c: string): string => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const rfc3986 = (v: string): string => encodeURIComponent(v).replace(/[!'()*]/g, percent);
/** google-http-client's escapeUriQuery: what stays literal in a query it sends. */
const javaQueryEscape = (v: string): string => v.replace(/[^A-Za-z0-9\-_.!~*'()@:$,;/?]/g, percent);

/** A request exactly as `form` puts it on the wire, signed with `creds`. */
export function prepareSdkJd(port: number, creds: JdCreds, form: JdSdkForm, c: JdSdkCall, at: { datetime?: string; nonce?: string } = {}): PreparedJdRequest {
  const host = `127.0.0.1:${port}`;
  const region = c.region ?? JD_REGION;
  const datetime = at.datetime ?? jdDatetime();
  const nonce = at.nonce ?? randomUUID();
  const path = `/v1${c.path}`;
  const pairs = c.query ?? [];
  const withBody = c.method === 'POST';
  const params = { regionId: region, ...c.params };
  const scope = (signedHeaders: string[]) => ({ date: datetime.slice(0, 8), region, service: c.service, signedHeaders });
  const jd2Header = (signedHeaders: string[], signature: string) => formatJdAuthorization(JD2_ALGORITHM, JD2_TERMINATOR, creds.accessKey, scope(signedHeaders), signature);

  if (form === 'java') {
    const body = withBody ? JSON.stringify(params, (_k, v: unknown) => (v === null ? undefined : v)) : '';
    const query = pairs.map(([k, v]) => `${javaQueryEscape(k)}=${javaQueryEscape(v)}`).join('&');
    const headers = { 'content-type': 'application/json', host, 'x-jdcloud-date': datetime, 'x-jdcloud-nonce': nonce };
    const signedHeaders = Object.keys(headers).sort();
    const canonicalQuery = pairs
      .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
      .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const signPath = path.split('/').map(rfc3986).join('/');
    const signature = jd2Signature(creds.secretKey, { method: c.method, rawPath: signPath, rawQuery: query, headers, body: Buffer.from(body) }, scope(signedHeaders), datetime, canonicalQuery);
    return {
      url: `http://${host}${path}${query ? `?${query}` : ''}`,
      init: {
        method: c.method,
        headers: {
          'Content-Type': 'application/json',
          'X-Jdcloud-Date': datetime,
          'X-Jdcloud-Nonce': nonce,
          Authorization: jd2Header(signedHeaders, signature),
          'User-Agent': 'JdcloudSdkJava/1.2.10 vpc/v1 Google-HTTP-Java-Client/1.42.3 (gzip)',
        },
        ...(withBody ? { body } : {}),
      },
    };
  }

  // jdcloud-sdk-python: json.dumps of every field; a GET query `quote(…, safe='&=?')`.
  const version = form.slice('python-'.length);
  const body = withBody ? pythonJson(params) : '';
  const query = pyQuote(pairs.map(([k, v]) => `${k}=${v}`).join('&'), '&=?');
  const base = { 'user-agent': `JdcloudSdkPython/${version} ${c.service}/v1`, 'content-type': 'application/json' };
  const req = { method: c.method, rawPath: path, rawQuery: query, headers: { ...base, host }, body: Buffer.from(body, 'utf8') };
  let added: Record<string, string>;
  if (form === 'python-1.6.94') {
    const headers = { 'content-type': 'application/json', host, 'x-jdcloud-date': datetime, 'x-jdcloud-nonce': nonce };
    const signedHeaders = Object.keys(headers).sort();
    const signature = jd2Signature(creds.secretKey, { ...req, rawPath: pyQuote(path, '/'), headers }, scope(signedHeaders), datetime, jd2PythonQuery(query));
    added = { authorization: jd2Header(signedHeaders, signature), 'x-jdcloud-date': datetime, [JD2_ALGORITHM]: JD2_ALGORITHM, 'x-jdcloud-nonce': nonce };
  } else {
    added = signJd3(creds.accessKey, creds.secretKey, req, region, c.service, datetime, nonce);
  }
  return {
    url: `http://${host}${path}${query ? `?${query}` : ''}`,
    init: { method: c.method, headers: { ...base, ...added }, ...(withBody ? { body } : {}) },
  };
}

/** Python's json.dumps: `, ` and `: ` separators, non-ASCII as \\uXXXX (ensure_ascii). */
export function pythonJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pythonJson(k)}: ${pythonJson(x)}`).join(', ')}}`;
  return JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---- builders and waits --------------------------------------------------------------------------

export async function createVpc(c: JdClients, cidr: string, name = 'jd-vpc'): Promise<string> {
  return (await c.vpc.createVpc({ vpcName: name, addressPrefix: cidr })).result.vpcId;
}

export async function createSubnet(c: JdClients, vpcId: string, cidr: string, name = `sn-${cidr.replace(/[./]/g, '-')}`): Promise<string> {
  return (await c.vpc.createSubnet({ vpcId, subnetName: name, addressPrefix: cidr })).result.subnetId;
}

export async function createEni(c: JdClients, subnetId: string, extra: Partial<JdNetworkInterfaceSpec> = {}): Promise<string> {
  return (await c.vpc.createNetworkInterface({ subnetId, ...extra })).result.networkInterfaceId;
}

/** createInstances, without waiting. */
export async function createInstancesNoWait(
  c: JdClients,
  subnetId: string,
  opts: { az?: string; instanceType?: string; name?: string; count?: number; primaryIpAddress?: string } = {},
): Promise<string[]> {
  const res = await c.vm.createInstances({
    instanceSpec: {
      az: opts.az ?? JD_AZ_A,
      instanceType: opts.instanceType ?? 'g.n2.xlarge',
      imageId: 'img-eniplane01',
      name: opts.name ?? 'jd-instance',
      primaryNetworkInterface: { networkInterface: { subnetId, ...(opts.primaryIpAddress ? { primaryIpAddress: opts.primaryIpAddress } : {}) } },
    },
    maxCount: opts.count ?? 1,
  });
  return res.result.instanceIds;
}

export async function waitStatus(c: JdClients, instanceId: string, status: string, timeoutMs = 20_000): Promise<JdInstance> {
  return pollUntil(
    async () => {
      const { instance } = (await c.vm.describeInstance({ instanceId })).result;
      return instance.status === status ? instance : false;
    },
    { timeoutMs, what: `instance ${instanceId} status ${status}` },
  );
}

/** createInstances and wait until every instance is running. */
export async function createInstances(c: JdClients, subnetId: string, opts: Parameters<typeof createInstancesNoWait>[2] = {}): Promise<string[]> {
  const ids = await createInstancesNoWait(c, subnetId, opts);
  for (const id of ids) await waitStatus(c, id, 'running');
  return ids;
}

export async function getEni(c: JdClients, networkInterfaceId: string): Promise<JdNetworkInterface> {
  return (await c.vpc.describeNetworkInterface({ networkInterfaceId })).result.networkInterface;
}

export async function getInstance(c: JdClients, instanceId: string): Promise<JdInstance> {
  return (await c.vm.describeInstance({ instanceId })).result.instance;
}

/** Poll describeNetworkInterface until instanceId is `instanceId` ('' = detached). */
export async function waitEniOn(c: JdClients, eniId: string, instanceId: string, timeoutMs = 20_000): Promise<JdNetworkInterface> {
  return pollUntil(
    async () => {
      const eni = await getEni(c, eniId);
      return eni.instanceId === instanceId ? eni : false;
    },
    { timeoutMs, what: `ENI ${eniId} instanceId '${instanceId}'` },
  );
}

export async function attach(c: JdClients, instanceId: string, eniId: string, autoDelete?: boolean): Promise<JdNetworkInterface> {
  await c.vm.attachNetworkInterface({ instanceId, networkInterfaceId: eniId, ...(autoDelete === undefined ? {} : { autoDelete }) });
  return waitEniOn(c, eniId, instanceId);
}

/** Poll a describe call until it answers 404 NOT_FOUND. */
export async function waitGone(what: string, call: () => Promise<unknown>, timeoutMs = 20_000): Promise<void> {
  await pollUntil(
    async () => {
      try {
        await call();
        return false;
      } catch (e) {
        const err = e as { error?: { code?: unknown; status?: unknown } };
        if (err.error?.code === 404 && err.error.status === 'NOT_FOUND') return true;
        throw e;
      }
    },
    { timeoutMs, what: `${what} to answer 404 NOT_FOUND` },
  );
}

/**
 * Wait until no task runs on a running instance, without changing anything: startInstance on a
 * running instance answers `Conflict with underlay task …` while a task holds the instance and
 * `Invalid instance status running` once it is idle.
 */
export async function waitIdleRunning(c: JdClients, instanceId: string, timeoutMs = 20_000): Promise<void> {
  await pollUntil(
    async () => {
      try {
        await c.vm.startInstance({ instanceId });
      } catch (e) {
        const msg = (e as { error?: { message?: unknown } }).error?.message;
        if (msg === 'Invalid instance status running') return true;
        if (typeof msg === 'string' && msg.startsWith('Conflict with underlay task')) return false;
        throw e;
      }
      throw new Error(`startInstance on running ${instanceId} was accepted`);
    },
    { timeoutMs, what: `instance ${instanceId} idle and running` },
  );
}

// ---- snapshots -----------------------------------------------------------------------------------

export interface JdSnapshot {
  vpcs: JdVpc[];
  subnets: JdSubnet[];
  enis: JdNetworkInterface[];
  instances: JdInstance[];
  eips: JdElasticIp[];
}

/** Everything an account can see, each list in one page of 100 (asserted), sorted by id. */
export async function jdSnapshot(c: JdClients): Promise<JdSnapshot> {
  const page = { pageNumber: 1, pageSize: 100 };
  const [v, s, n, i, e] = await Promise.all([
    c.vpc.describeVpcs(page),
    c.vpc.describeSubnets(page),
    c.vpc.describeNetworkInterfaces(page),
    c.vm.describeInstances(page),
    c.vpc.describeElasticIps(page),
  ]);
  for (const [what, total] of [['vpcs', v.result.totalCount], ['subnets', s.result.totalCount], ['enis', n.result.totalCount], ['instances', i.result.totalCount], ['eips', e.result.totalCount]] as const) {
    assert.ok(total <= 100, `snapshot: ${what} do not fit one page (${total})`);
  }
  const by = <T>(k: keyof T) => (a: T, b: T) => String(a[k]).localeCompare(String(b[k]));
  return {
    vpcs: [...v.result.vpcs].sort(by<JdVpc>('vpcId')),
    subnets: [...s.result.subnets].sort(by<JdSubnet>('subnetId')),
    enis: [...n.result.networkInterfaces].sort(by<JdNetworkInterface>('networkInterfaceId')),
    instances: [...i.result.instances].sort(by<JdInstance>('instanceId')),
    eips: [...e.result.elasticIps].sort(by<JdElasticIp>('elasticIpId')),
  };
}

/**
 * Assert `call` is refused with exactly httpCode/status/message and that every observer's snapshot
 * (default: the caller's) is deep-equal before and after.
 */
export async function refusedJd(
  c: JdClients,
  call: () => Promise<unknown>,
  httpCode: number,
  status: string,
  message?: string | RegExp,
  observers: JdClients[] = [],
): Promise<JdErrorSeen> {
  const all = [c, ...observers];
  const before = await Promise.all(all.map(jdSnapshot));
  const seen = await expectJdError(call(), httpCode, status, message);
  const after = await Promise.all(all.map(jdSnapshot));
  for (let k = 0; k < all.length; k++) {
    assert.deepEqual(after[k], before[k], `${httpCode} ${status} ${String(message)}: the refused call must change nothing (observer ${k})`);
  }
  return seen;
}
