/** Every rule of src/core/rules.ts: one case it lets through, and the error kind and data it refuses with. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog, type InstanceTypeInfo } from '../../../src/core/catalog.ts';
import { DomainError, type DomainErrorData, type DomainErrorKind } from '../../../src/core/errors.ts';
import type { ElasticIp, Eni, Instance, Subnet, Task } from '../../../src/core/model.ts';
import {
  requireAttachedTo,
  requireEipZone,
  requireEniCapable,
  requireEniQuota,
  requireEniState,
  requireIdle,
  requireInstanceAcceptsEni,
  requireInstanceState,
  requireIpQuota,
  requireMaxLength,
  requireText,
  requireSameVpc,
  requireSameZone,
  requireSecondary,
  requireSubnetInVpc,
  requireUnattached,
} from '../../../src/core/rules.ts';
import type { Repo } from '../../../src/core/ports/repo.ts';

const eni = (over: Partial<Eni> = {}): Eni => ({
  id: 'eni-11111111',
  accountId: 'acc-1',
  region: 'ap-guangzhou',
  vpcId: 'vpc-11111111',
  subnetId: 'subnet-11111111',
  zone: 'ap-guangzhou-3',
  name: 'n',
  description: '',
  mac: '20:90:6F:00:00:01',
  primary: false,
  state: 'AVAILABLE',
  instanceId: null,
  targetInstanceId: null,
  deviceIndex: null,
  attachType: 0,
  attachedAt: null,
  securityGroupIds: [],
  tags: [],
  qosLevel: 'DEFAULT',
  trunking: false,
  autoDelete: false,
  createdAt: 0,
  ips: [],
  ...over,
});

const instance = (over: Partial<Instance> = {}): Instance => ({
  id: 'ins-11111111',
  accountId: 'acc-1',
  region: 'ap-guangzhou',
  zone: 'ap-guangzhou-3',
  vpcId: 'vpc-11111111',
  subnetId: 'subnet-11111111',
  name: 'i',
  instanceType: 'S5.LARGE8',
  imageId: 'img-1',
  state: 'RUNNING',
  chargeType: 'POSTPAID_BY_HOUR',
  userData: '',
  securityGroupIds: [],
  tags: [],
  latestOperation: null,
  latestOperationState: null,
  latestOperationRequestId: null,
  latestOperationError: null,
  createdAt: 0,
  ...over,
});

const type = (over: Partial<InstanceTypeInfo> = {}): InstanceTypeInfo => ({
  type: 'S5.LARGE8',
  family: 'S5',
  cpu: 4,
  memory: 8,
  eniQuota: 4,
  ipQuota: 10,
  extendEniQuota: 2,
  extendIpQuota: 20,
  supportsEni: true,
  ...over,
});

const subnet: Subnet = {
  id: 'subnet-11111111',
  accountId: 'acc-1',
  region: 'ap-guangzhou',
  vpcId: 'vpc-11111111',
  name: 's',
  cidr: '10.0.0.0/24',
  zone: 'ap-guangzhou-3',
  isDefault: false,
  routeTableId: 'rtb-1',
  networkAclId: '',
  enableBroadcast: false,
  tags: [],
  createdAt: 0,
};

const eip = (over: Partial<ElasticIp> = {}): ElasticIp => ({
  id: 'fip-1111111111',
  accountId: 'acc-1',
  region: 'cn-north-1',
  address: '198.18.0.1',
  bandwidthMbps: 1,
  isp: 'bgp',
  az: '',
  eniId: 'eni-11111111',
  privateIp: '10.0.0.3',
  createdAt: 0,
  ...over,
});

const runningTask = (id: string): Task => ({
  id,
  seq: 7,
  accountId: 'acc-1',
  region: 'ap-guangzhou',
  kind: 'eni.attach',
  status: 'RUNNING',
  payload: {},
  resourceIds: [],
  errorCode: null,
  errorMessage: null,
  dueAt: 0,
  leaseOwner: null,
  leaseExpiresAt: null,
  attempts: 0,
  createdAt: 0,
  finishedAt: null,
  provider: 'tencent',
  dialect: 'tencent3',
  pollsLeft: null,
});

/** A Repo stand-in answering only what the rules ask, and recording the questions. */
function fakeRepo(answers: { running?: Record<string, Task>; counts?: Record<string, number> }): Repo & { asked: string[] } {
  const asked: string[] = [];
  const repo = {
    asked,
    async runningTaskFor(id: string) {
      asked.push(`runningTaskFor ${id}`);
      return answers.running?.[id];
    },
    async countEnisOn(id: string, attachType: number) {
      asked.push(`countEnisOn ${id} ${attachType}`);
      return answers.counts?.[`${id}/${attachType}`] ?? 0;
    },
  };
  return repo as unknown as Repo & { asked: string[] };
}

function throwsDomain<K extends DomainErrorKind>(fn: () => unknown, kind: K, data: DomainErrorData[K]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DomainError, `expected a DomainError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    assert.deepEqual(e.data, data);
    return true;
  });
}

async function rejectsDomain<K extends DomainErrorKind>(p: Promise<unknown>, kind: K, data: DomainErrorData[K]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DomainError, `expected a DomainError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    assert.deepEqual(e.data, data);
    return true;
  });
}

describe('rules', () => {
  test('requireSecondary: a secondary ENI passes, the primary is immutable', () => {
    requireSecondary(eni());
    throwsDomain(() => requireSecondary(eni({ primary: true })), 'PrimaryEniImmutable', { eniId: 'eni-11111111' });
  });

  test('requireUnattached: free passes; attached or arriving names the holder', () => {
    requireUnattached(eni());
    throwsDomain(() => requireUnattached(eni({ instanceId: 'ins-a' })), 'EniAlreadyAttached', { eniId: 'eni-11111111', instanceId: 'ins-a' });
    throwsDomain(() => requireUnattached(eni({ targetInstanceId: 'ins-b' })), 'EniAlreadyAttached', { eniId: 'eni-11111111', instanceId: 'ins-b' });
    throwsDomain(() => requireUnattached(eni({ instanceId: 'ins-a', targetInstanceId: 'ins-b' })), 'EniAlreadyAttached', {
      eniId: 'eni-11111111',
      instanceId: 'ins-a',
    });
  });

  test('requireEniState: an allowed state passes, any other is EniInvalidState with the state', () => {
    requireEniState(eni(), 'AVAILABLE');
    requireEniState(eni({ state: 'DETACHING' }), 'AVAILABLE', 'DETACHING');
    throwsDomain(() => requireEniState(eni({ state: 'ATTACHING' }), 'AVAILABLE'), 'EniInvalidState', { eniId: 'eni-11111111', state: 'ATTACHING' });
    throwsDomain(() => requireEniState(eni(), 'PENDING', 'DELETING'), 'EniInvalidState', { eniId: 'eni-11111111', state: 'AVAILABLE' });
  });

  test('requireAttachedTo: settled on that instance passes; elsewhere, nowhere or moving fails', () => {
    requireAttachedTo(eni({ instanceId: 'ins-a' }), 'ins-a');
    const notAttached = { eniId: 'eni-11111111', instanceId: 'ins-a' };
    throwsDomain(() => requireAttachedTo(eni(), 'ins-a'), 'EniNotAttached', notAttached);
    throwsDomain(() => requireAttachedTo(eni({ instanceId: 'ins-b' }), 'ins-a'), 'EniNotAttached', notAttached);
    // Only arriving (attach in flight), or migrating away: not settled there.
    throwsDomain(() => requireAttachedTo(eni({ targetInstanceId: 'ins-a' }), 'ins-a'), 'EniNotAttached', notAttached);
    throwsDomain(() => requireAttachedTo(eni({ instanceId: 'ins-a', targetInstanceId: 'ins-b' }), 'ins-a'), 'EniNotAttached', notAttached);
  });

  test('requireInstanceAcceptsEni: RUNNING and STOPPED pass, every other state fails', () => {
    requireInstanceAcceptsEni(instance(), 'AttachNetworkInterface');
    requireInstanceAcceptsEni(instance({ state: 'STOPPED' }), 'AttachNetworkInterface');
    for (const state of ['PENDING', 'LAUNCH_FAILED', 'STARTING', 'STOPPING', 'REBOOTING', 'TERMINATING'] as const) {
      throwsDomain(() => requireInstanceAcceptsEni(instance({ state }), 'MigrateNetworkInterface'), 'InstanceInvalidState', {
        instanceId: 'ins-11111111',
        state,
        operation: 'MigrateNetworkInterface',
      });
    }
  });

  test('requireInstanceState: an allowed state passes, another fails with the operation', () => {
    requireInstanceState(instance({ state: 'STOPPED' }), 'StartInstances', 'STOPPED');
    throwsDomain(() => requireInstanceState(instance(), 'StartInstances', 'STOPPED'), 'InstanceInvalidState', {
      instanceId: 'ins-11111111',
      state: 'RUNNING',
      operation: 'StartInstances',
    });
  });

  test('requireSameVpc: same VPC passes, another VPC is VpcMismatch', () => {
    requireSameVpc(eni(), instance());
    throwsDomain(() => requireSameVpc(eni({ vpcId: 'vpc-22222222' }), instance()), 'VpcMismatch', { eniId: 'eni-11111111', instanceId: 'ins-11111111' });
  });

  test('requireSameZone: same zone passes, another zone is ZoneMismatch with both zones', () => {
    requireSameZone(eni(), instance());
    throwsDomain(() => requireSameZone(eni({ zone: 'ap-guangzhou-4' }), instance()), 'ZoneMismatch', {
      eniId: 'eni-11111111',
      zone: 'ap-guangzhou-4',
      instanceZone: 'ap-guangzhou-3',
    });
  });

  test('requireSameZone(zoneBound=false): any zones pass (JD Cloud regional ENIs); true behaves like the default', () => {
    requireSameZone(eni({ zone: '' }), instance({ zone: 'cn-north-1a' }), false);
    requireSameZone(eni({ zone: 'ap-guangzhou-4' }), instance(), false);
    requireSameZone(eni(), instance(), false);
    requireSameZone(eni(), instance(), true);
    throwsDomain(() => requireSameZone(eni({ zone: 'ap-guangzhou-4' }), instance(), true), 'ZoneMismatch', {
      eniId: 'eni-11111111',
      zone: 'ap-guangzhou-4',
      instanceZone: 'ap-guangzhou-3',
    });
    // Zone-bound, a regional ('') ENI matches no instance zone.
    throwsDomain(() => requireSameZone(eni({ zone: '' }), instance({ zone: 'cn-north-1a' })), 'ZoneMismatch', {
      eniId: 'eni-11111111',
      zone: '',
      instanceZone: 'cn-north-1a',
    });
  });

  test('requireEipZone: none, every-zone and same-zone EIPs pass; the first EIP of another zone is EipZoneMismatch', () => {
    const ins = instance({ zone: 'cn-north-1a' });
    requireEipZone([], ins);
    requireEipZone([eip()], ins);
    requireEipZone([eip({ az: 'cn-north-1a' })], ins);
    requireEipZone([eip({ id: 'fip-a', az: '' }), eip({ id: 'fip-b', az: 'cn-north-1a' })], ins);
    throwsDomain(() => requireEipZone([eip({ az: 'cn-north-1b' })], ins), 'EipZoneMismatch', {
      eipId: 'fip-1111111111',
      az: 'cn-north-1b',
      instanceZone: 'cn-north-1a',
    });
    throwsDomain(
      () => requireEipZone([eip({ id: 'fip-ok', az: 'cn-north-1a' }), eip({ id: 'fip-bad', az: 'cn-north-1c' }), eip({ id: 'fip-bad2', az: 'cn-north-1b' })], ins),
      'EipZoneMismatch',
      { eipId: 'fip-bad', az: 'cn-north-1c', instanceZone: 'cn-north-1a' },
    );
    // An EIP not bound to anything yet is judged the same way.
    requireEipZone([eip({ az: 'cn-north-1a', eniId: null, privateIp: null })], ins);
  });

  test('requireEniCapable: an ENI-capable type passes, a legacy one is UnsupportedInstanceFamily', () => {
    requireEniCapable(instance(), type());
    throwsDomain(() => requireEniCapable(instance({ instanceType: 'S1.SMALL1' }), type({ type: 'S1.SMALL1', supportsEni: false })), 'UnsupportedInstanceFamily', {
      instanceId: 'ins-11111111',
      instanceType: 'S1.SMALL1',
    });
  });

  test('requireIdle: no running task passes; a running task is EniBusy or InstanceBusy naming it', async () => {
    const repo = fakeRepo({ running: { 'eni-busy': runningTask('task-e'), 'ins-busy': runningTask('task-i') } });
    await requireIdle(repo, { kind: 'eni', id: 'eni-idle' });
    await requireIdle(repo, { kind: 'instance', id: 'ins-idle' });
    await rejectsDomain(requireIdle(repo, { kind: 'eni', id: 'eni-busy' }), 'EniBusy', { eniId: 'eni-busy', taskId: 'task-e' });
    await rejectsDomain(requireIdle(repo, { kind: 'instance', id: 'ins-busy' }), 'InstanceBusy', { instanceId: 'ins-busy', taskId: 'task-i' });
    assert.deepEqual(repo.asked, ['runningTaskFor eni-idle', 'runningTaskFor ins-idle', 'runningTaskFor eni-busy', 'runningTaskFor ins-busy']);
  });

  test('requireEniQuota: below the limit passes; at the limit fails, per attach type', async () => {
    const t = type({ eniQuota: 4, extendEniQuota: 2 });
    const repo = fakeRepo({ counts: { 'ins-11111111/0': 3, 'ins-11111111/1': 2 } });
    await requireEniQuota(repo, instance(), t, 0);
    await rejectsDomain(requireEniQuota(repo, instance(), t, 1), 'EniQuotaExceeded', { instanceId: 'ins-11111111', limit: 2, attachType: 1 });
    const full = fakeRepo({ counts: { 'ins-11111111/0': 4 } });
    await rejectsDomain(requireEniQuota(full, instance(), t, 0), 'EniQuotaExceeded', { instanceId: 'ins-11111111', limit: 4, attachType: 0 });
    await requireEniQuota(full, instance(), t, 1);
    assert.deepEqual(repo.asked, ['countEnisOn ins-11111111 0', 'countEnisOn ins-11111111 1']);
  });

  test('requireIpQuota: up to the limit passes, above it is IpQuotaExceeded', () => {
    requireIpQuota({ id: 'eni-11111111' }, 10, 10);
    requireIpQuota({ id: 'eni-11111111' }, 0, 10);
    throwsDomain(() => requireIpQuota({ id: 'eni-11111111' }, 11, 10), 'IpQuotaExceeded', { eniId: 'eni-11111111', limit: 10 });
  });

  test('requireSubnetInVpc: the subnet of that VPC passes, another VPC is ResourceMismatch', () => {
    requireSubnetInVpc(subnet, 'vpc-11111111');
    throwsDomain(() => requireSubnetInVpc(subnet, 'vpc-22222222'), 'ResourceMismatch', { resource: 'subnet', id: 'subnet-11111111', expected: 'vpc-22222222' });
  });

  test('requireMaxLength: counts bytes or characters as asked; undefined passes', () => {
    requireMaxLength('eni.name', undefined, 1, 'bytes');
    requireMaxLength('eni.name', 'abc', 3, 'bytes');
    // Three CJK characters: 3 characters, 9 UTF-8 bytes.
    requireMaxLength('eni.name', '网卡名', 3, 'chars');
    throwsDomain(() => requireMaxLength('eni.name', '网卡名', 8, 'bytes'), 'InvalidValue', { field: 'eni.name', reason: 'tooLong', value: '网卡名', limit: 8, unit: 'bytes' });
    throwsDomain(() => requireMaxLength('eni.description', 'abcd', 3, 'chars'), 'InvalidValue', { field: 'eni.description', reason: 'tooLong', value: 'abcd', limit: 3, unit: 'chars' });
    // An astral character is one character, not two UTF-16 units.
    requireMaxLength('eni.name', '😀', 1, 'chars');
  });

  test('requireText: each provider’s name and description rules at their boundaries', () => {
    const { tencent, jdcloud } = loadCatalog().providers;
    // Tencent names: 60 bytes, any characters; 20 CJK characters are 60 bytes, 21 are 63.
    requireText('eni.name', '网'.repeat(20), tencent.policy.text['eni.name']);
    throwsDomain(() => requireText('eni.name', '网'.repeat(21), tencent.policy.text['eni.name']), 'InvalidValue', { field: 'eni.name', reason: 'tooLong', value: '网'.repeat(21), limit: 60, unit: 'bytes' });
    requireText('vpc.name', 'a b.c/d', tencent.policy.text['vpc.name']);
    requireText('eni.description', 'd'.repeat(60), tencent.policy.text['eni.description']);
    throwsDomain(() => requireText('eni.description', 'd'.repeat(61), tencent.policy.text['eni.description']), 'InvalidValue', { field: 'eni.description', reason: 'tooLong', value: 'd'.repeat(61), limit: 60, unit: 'chars' });
    // JD Cloud names: 32 characters of CJK, letters, digits, _ and -; descriptions 256 characters.
    requireText('eni.name', '网'.repeat(32), jdcloud.policy.text['eni.name']);
    requireText('subnet.name', 'a_B-9中', jdcloud.policy.text['subnet.name']);
    throwsDomain(() => requireText('eni.name', '网'.repeat(33), jdcloud.policy.text['eni.name']), 'InvalidValue', { field: 'eni.name', reason: 'tooLong', value: '网'.repeat(33), limit: 32, unit: 'chars' });
    for (const bad of ['a b', 'a.b', 'a/b', 'é']) {
      throwsDomain(() => requireText('vpc.name', bad, jdcloud.policy.text['vpc.name']), 'InvalidValue', { field: 'vpc.name', reason: 'malformed', value: bad });
    }
    requireText('eni.description', 'x. '.repeat(85) + 'x', jdcloud.policy.text['eni.description']);
    throwsDomain(() => requireText('eni.description', 'd'.repeat(257), jdcloud.policy.text['eni.description']), 'InvalidValue', { field: 'eni.description', reason: 'tooLong', value: 'd'.repeat(257), limit: 256, unit: 'chars' });
    requireText('instance.name', 'ab', jdcloud.policy.text['instance.name']);
    throwsDomain(() => requireText('instance.name', 'a', jdcloud.policy.text['instance.name']), 'InvalidValue', { field: 'instance.name', reason: 'tooShort', value: 'a', limit: 2, unit: 'chars' });
    requireText('eni.name', undefined, jdcloud.policy.text['eni.name']);
  });
});
