import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Eni, Instance, PrivateIp, Vpc } from '../../../../src/core/model.ts';
import type { SubnetView } from '../../../../src/core/model.ts';
import {
  type Filter, filterEnis, filterInstances, filterSubnets, filterVpcs, parseBeijingTime,
} from '../../../../src/dialects/tencent3/filters.ts';
import { instanceUuid } from '../../../../src/dialects/tencent3/shapes.ts';
import { TcError } from '../../../../src/dialects/tencent3/tcError.ts';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0); // 2026-01-01 08:00:00 Beijing
const DAY = 86_400_000;

const f = (Name: string, ...Values: string[]): Filter => ({ Name, Values });
const ids = (rs: Array<{ id: string }>): string[] => rs.map((r) => r.id);

function tcErr(code: string, message?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof TcError, `expected TcError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  };
}

// ---- ENIs -----------------------------------------------------------------------------------------

const ip = (eniId: string, subnetId: string, address: string, primary: boolean): PrivateIp => ({
  subnetId, address, eniId, primary, state: 'AVAILABLE', description: '', qosLevel: 'DEFAULT',
});

const eni = (o: Partial<Eni> & Pick<Eni, 'id'>): Eni => ({
  accountId: 'acc-1', region: 'ap-guangzhou', vpcId: 'vpc-aaaa0001', subnetId: 'subnet-aaaa0001',
  zone: 'ap-guangzhou-3', name: '', description: '', mac: '20:90:6F:00:00:01', primary: false,
  state: 'AVAILABLE', instanceId: null, targetInstanceId: null, deviceIndex: null, attachType: 0,
  attachedAt: null, securityGroupIds: [], tags: [], qosLevel: 'DEFAULT', trunking: false, autoDelete: false, createdAt: T0, ips: [],
  ...o,
});

/** e1: primary ENI of ins-1. e2: unattached secondary with two IPs. e3: trunk ENI being attached to ins-2. */
const e1 = eni({
  id: 'eni-aaaa0001', primary: true, instanceId: 'ins-aaaa0001', deviceIndex: 0, attachedAt: T0,
  name: 'p1', description: 'primary', securityGroupIds: ['sg-aaaa0001'], tags: [{ key: 'env', value: 'prod' }],
  ips: [ip('eni-aaaa0001', 'subnet-aaaa0001', '10.0.1.10', true)],
});
const e2 = eni({
  id: 'eni-aaaa0002', subnetId: 'subnet-aaaa0002', name: 'data', description: 'data eni',
  securityGroupIds: ['sg-aaaa0001', 'sg-aaaa0002'], qosLevel: 'AU',
  tags: [{ key: 'env', value: 'dev' }, { key: 'team', value: 'a' }],
  ips: [ip('eni-aaaa0002', 'subnet-aaaa0002', '10.0.2.10', true), ip('eni-aaaa0002', 'subnet-aaaa0002', '10.0.2.110', false)],
});
const e3 = eni({
  id: 'eni-aaaa0003', vpcId: 'vpc-aaaa0002', subnetId: 'subnet-aaaa0003', state: 'ATTACHING',
  targetInstanceId: 'ins-aaaa0002', deviceIndex: 1, trunking: true, name: 'trunk', qosLevel: 'PT',
  ips: [ip('eni-aaaa0003', 'subnet-aaaa0003', '10.1.0.5', true)],
});
const ENIS = [e1, e2, e3];
const enis = (...filters: Filter[]): string[] => ids(filterEnis(ENIS, filters));

test('ENI: no filters returns everything in order', () => {
  assert.deepEqual(enis(), ['eni-aaaa0001', 'eni-aaaa0002', 'eni-aaaa0003']);
});

test('ENI: id, vpc, subnet, name, description, qos filters (exact)', () => {
  assert.deepEqual(enis(f('vpc-id', 'vpc-aaaa0001')), ['eni-aaaa0001', 'eni-aaaa0002']);
  assert.deepEqual(enis(f('vpc-id', 'vpc-zzzz0000')), []);
  assert.deepEqual(enis(f('subnet-id', 'subnet-aaaa0003')), ['eni-aaaa0003']);
  assert.deepEqual(enis(f('subnet-id', 'subnet-zzzz0000')), []);
  assert.deepEqual(enis(f('network-interface-id', 'eni-aaaa0002')), ['eni-aaaa0002']);
  assert.deepEqual(enis(f('network-interface-id', 'eni-zzzz0000')), []);
  assert.deepEqual(enis(f('network-interface-name', 'data')), ['eni-aaaa0002']);
  assert.deepEqual(enis(f('network-interface-name', 'dat')), [], 'name is exact, not fuzzy');
  assert.deepEqual(enis(f('network-interface-description', 'data eni')), ['eni-aaaa0002']);
  assert.deepEqual(enis(f('network-interface-description', 'data')), []);
  assert.deepEqual(enis(f('eni-qos', 'PT')), ['eni-aaaa0003']);
  assert.deepEqual(enis(f('eni-qos', 'AG')), []);
});

test('ENI: attachment.instance-id matches settled and in-flight attachments', () => {
  assert.deepEqual(enis(f('attachment.instance-id', 'ins-aaaa0001')), ['eni-aaaa0001']);
  assert.deepEqual(enis(f('attachment.instance-id', 'ins-aaaa0002')), ['eni-aaaa0003']);
  assert.deepEqual(enis(f('attachment.instance-id', 'ins-zzzz0000')), []);
  // A migrating ENI still reports the instance it is leaving.
  const migrating = { ...e1, id: 'eni-aaaa0009', primary: false, targetInstanceId: 'ins-aaaa0002' };
  assert.deepEqual(ids(filterEnis([migrating], [f('attachment.instance-id', 'ins-aaaa0001')])), ['eni-aaaa0009']);
  assert.deepEqual(ids(filterEnis([migrating], [f('attachment.instance-id', 'ins-aaaa0002')])), []);
});

test('ENI: groups.security-group-id matches any group of the ENI', () => {
  assert.deepEqual(enis(f('groups.security-group-id', 'sg-aaaa0001')), ['eni-aaaa0001', 'eni-aaaa0002']);
  assert.deepEqual(enis(f('groups.security-group-id', 'sg-aaaa0002')), ['eni-aaaa0002']);
  assert.deepEqual(enis(f('groups.security-group-id', 'sg-zzzz0000')), []);
});

test('ENI: tag-key and tag:<key>', () => {
  assert.deepEqual(enis(f('tag-key', 'env')), ['eni-aaaa0001', 'eni-aaaa0002']);
  assert.deepEqual(enis(f('tag-key', 'team')), ['eni-aaaa0002']);
  assert.deepEqual(enis(f('tag-key', 'prod')), [], 'a value is not a key');
  assert.deepEqual(enis(f('tag:env', 'prod')), ['eni-aaaa0001']);
  assert.deepEqual(enis(f('tag:env', 'prod', 'dev')), ['eni-aaaa0001', 'eni-aaaa0002']);
  assert.deepEqual(enis(f('tag:env', 'staging')), []);
  assert.deepEqual(enis(f('tag:team', 'prod')), [], 'value must belong to that key');
});

test('ENI: is-primary accepts true/false in either case', () => {
  assert.deepEqual(enis(f('is-primary', 'true')), ['eni-aaaa0001']);
  assert.deepEqual(enis(f('is-primary', 'TRUE')), ['eni-aaaa0001']);
  assert.deepEqual(enis(f('is-primary', 'false')), ['eni-aaaa0002', 'eni-aaaa0003']);
  assert.deepEqual(enis(f('is-primary', 'FALSE')), ['eni-aaaa0002', 'eni-aaaa0003']);
  assert.deepEqual(enis(f('is-primary', 'yes')), [], 'not a boolean: matches nothing');
});

test('ENI: eni-type 0 secondary, 1 primary, 2 trunk', () => {
  assert.deepEqual(enis(f('eni-type', '0')), ['eni-aaaa0002']);
  assert.deepEqual(enis(f('eni-type', '1')), ['eni-aaaa0001']);
  assert.deepEqual(enis(f('eni-type', '2')), ['eni-aaaa0003']);
  assert.deepEqual(enis(f('eni-type', '3')), []);
});

test('ENI: address-ip with one value is a suffix match on any private IP', () => {
  assert.deepEqual(enis(f('address-ip', '.10')), ['eni-aaaa0001', 'eni-aaaa0002']);
  assert.deepEqual(enis(f('address-ip', '10')), ['eni-aaaa0001', 'eni-aaaa0002']);
  assert.deepEqual(enis(f('address-ip', '2.110')), ['eni-aaaa0002'], 'secondary IPs count');
  assert.deepEqual(enis(f('address-ip', '10.1.0.5')), ['eni-aaaa0003']);
  assert.deepEqual(enis(f('address-ip', '10.0')), [], 'a prefix is not a suffix');
  assert.deepEqual(enis(f('address-ip', '10.9.9.9')), []);
});

test('ENI: address-ip with several values matches each exactly', () => {
  assert.deepEqual(enis(f('address-ip', '10.0.1.10', '.110')), ['eni-aaaa0001']);
  assert.deepEqual(enis(f('address-ip', '10.0.1.10', '10.0.2.110')), ['eni-aaaa0001', 'eni-aaaa0002']);
  assert.deepEqual(enis(f('address-ip', '.10', '.5')), []);
});

test('ENI: ip-exact-match TRUE forces exact matching with only the first value', () => {
  assert.deepEqual(enis(f('address-ip', '10'), f('ip-exact-match', 'TRUE')), []);
  assert.deepEqual(enis(f('address-ip', '10.0.2.110'), f('ip-exact-match', 'true')), ['eni-aaaa0002']);
  assert.deepEqual(enis(f('ip-exact-match', 'TRUE'), f('address-ip', '10.0.1.10', '10.0.2.10')), ['eni-aaaa0001']);
  // false (or absent) keeps the default rules.
  assert.deepEqual(enis(f('address-ip', '10'), f('ip-exact-match', 'FALSE')), ['eni-aaaa0001', 'eni-aaaa0002']);
  // By itself it filters nothing out.
  assert.deepEqual(enis(f('ip-exact-match', 'TRUE')), ['eni-aaaa0001', 'eni-aaaa0002', 'eni-aaaa0003']);
});

test('ENI: IPv6, public IP and address-type filters match nothing; protections are always off', () => {
  assert.deepEqual(enis(f('address-ipv6', '2402:4e00::1')), []);
  assert.deepEqual(enis(f('address-ipv6', '2402:4e00::1'), f('address-ip', '10')), []);
  assert.deepEqual(enis(f('public-address-ip', '1.2.3.4')), []);
  assert.deepEqual(enis(f('address-type', 'GUA')), []);
  assert.deepEqual(enis(f('address-type', 'ULA')), []);
  for (const name of ['termination-protection', 'traffic-protection']) {
    assert.deepEqual(enis(f(name, 'false')), ['eni-aaaa0001', 'eni-aaaa0002', 'eni-aaaa0003'], name);
    assert.deepEqual(enis(f(name, 'true')), [], name);
  }
});

test('ENI: filters are ANDed, values ORed; empty Values matches nothing', () => {
  assert.deepEqual(enis(f('vpc-id', 'vpc-aaaa0001', 'vpc-aaaa0002')), ['eni-aaaa0001', 'eni-aaaa0002', 'eni-aaaa0003']);
  assert.deepEqual(enis(f('vpc-id', 'vpc-aaaa0001'), f('is-primary', 'false')), ['eni-aaaa0002']);
  assert.deepEqual(enis(f('vpc-id', 'vpc-aaaa0001'), f('subnet-id', 'subnet-aaaa0003')), []);
  assert.deepEqual(
    enis(f('vpc-id', 'vpc-aaaa0001', 'vpc-aaaa0002'), f('eni-qos', 'AU', 'PT'), f('tag-key', 'team')),
    ['eni-aaaa0002'],
  );
  assert.deepEqual(enis(f('vpc-id')), []);
});

test('ENI: unknown filter names fail with InvalidParameter.FilterInvalidKey, even with no ENIs', () => {
  assert.throws(() => filterEnis(ENIS, [f('instance-id', 'ins-aaaa0001')]),
    tcErr('InvalidParameter.FilterInvalidKey', /`instance-id`/));
  assert.throws(() => filterEnis([], [f('vpc-id', 'x'), f('bogus', 'x')]), tcErr('InvalidParameter.FilterInvalidKey', /`bogus`/));
  assert.throws(() => filterEnis(ENIS, [f('constructor', 'x')]), tcErr('InvalidParameter.FilterInvalidKey'));
  assert.throws(() => filterEnis(ENIS, [f('Vpc-Id', 'x')]), tcErr('InvalidParameter.FilterInvalidKey'), 'names are case-sensitive');
});

// ---- VPCs -----------------------------------------------------------------------------------------

const vpc = (o: Partial<Vpc> & Pick<Vpc, 'id'>): Vpc => ({
  accountId: 'acc-1', region: 'ap-guangzhou', name: '', cidr: '10.0.0.0/16', isDefault: false,
  enableMulticast: false, dnsServers: [], domainName: '', routeTableId: 'rtb-00000001', tags: [], createdAt: T0, ...o,
});
const VPCS = [
  vpc({ id: 'vpc-aaaa0001', name: 'Default-VPC', isDefault: true, cidr: '172.16.0.0/16' }),
  vpc({ id: 'vpc-aaaa0002', name: 'prod-main', tags: [{ key: 'env', value: 'prod' }] }),
  vpc({ id: 'vpc-aaaa0003', name: 'prod-backup', cidr: '192.168.0.0/16', tags: [{ key: 'env', value: 'dr' }] }),
];
const vpcs = (...filters: Filter[]): string[] => ids(filterVpcs(VPCS, filters));

test('VPC: every filter name', () => {
  assert.deepEqual(vpcs(f('vpc-name', 'prod')), ['vpc-aaaa0002', 'vpc-aaaa0003'], 'fuzzy');
  assert.deepEqual(vpcs(f('vpc-name', 'prod-main')), ['vpc-aaaa0002']);
  assert.deepEqual(vpcs(f('vpc-name', 'staging')), []);
  assert.deepEqual(vpcs(f('is-default', 'TRUE')), ['vpc-aaaa0001']);
  assert.deepEqual(vpcs(f('is-default', 'false')), ['vpc-aaaa0002', 'vpc-aaaa0003']);
  assert.deepEqual(vpcs(f('vpc-id', 'vpc-aaaa0003')), ['vpc-aaaa0003']);
  assert.deepEqual(vpcs(f('vpc-id', 'vpc-zzzz0000')), []);
  assert.deepEqual(vpcs(f('cidr-block', '10.0.0.0/16')), ['vpc-aaaa0002']);
  assert.deepEqual(vpcs(f('cidr-block', '10.0.0.0/8')), []);
  assert.deepEqual(vpcs(f('tag-key', 'env')), ['vpc-aaaa0002', 'vpc-aaaa0003']);
  assert.deepEqual(vpcs(f('tag-key', 'team')), []);
  assert.deepEqual(vpcs(f('tag:env', 'dr')), ['vpc-aaaa0003']);
  assert.deepEqual(vpcs(f('tag:env', 'qa')), []);
  for (const name of ['ipv6-cidr-block', 'isp-type', 'address-type']) assert.deepEqual(vpcs(f(name, 'x')), [], name);
});

test('VPC: AND/OR and unknown names', () => {
  assert.deepEqual(vpcs(f('vpc-name', 'prod', 'Default')), ['vpc-aaaa0001', 'vpc-aaaa0002', 'vpc-aaaa0003']);
  assert.deepEqual(vpcs(f('vpc-name', 'prod'), f('cidr-block', '192.168.0.0/16')), ['vpc-aaaa0003']);
  assert.throws(() => filterVpcs(VPCS, [f('subnet-id', 'x')]),
    tcErr('InvalidParameter.FilterInvalidKey', /^The filter name `subnet-id` is not supported\.$/));
});

// ---- Subnets --------------------------------------------------------------------------------------

const subnet = (o: Partial<SubnetView> & Pick<SubnetView, 'id'>): SubnetView => ({
  accountId: 'acc-1', region: 'ap-guangzhou', vpcId: 'vpc-aaaa0001', name: '', cidr: '10.0.1.0/24',
  zone: 'ap-guangzhou-3', isDefault: false, routeTableId: 'rtb-aaaa0001', networkAclId: '', enableBroadcast: false, tags: [],
  createdAt: T0, availableIpCount: 253, totalIpCount: 256, ...o,
});
const SUBNETS = [
  subnet({ id: 'subnet-aaaa0001', name: 'web-a', isDefault: true, tags: [{ key: 'tier', value: 'web' }] }),
  subnet({ id: 'subnet-aaaa0002', name: 'db-a', cidr: '10.0.2.0/24', zone: 'ap-guangzhou-4' }),
  subnet({ id: 'subnet-aaaa0003', vpcId: 'vpc-aaaa0002', name: 'web-b', cidr: '10.1.0.0/24', tags: [{ key: 'tier', value: 'app' }] }),
];
const subnets = (...filters: Filter[]): string[] => ids(filterSubnets(SUBNETS, filters));
const ALL_SUBNETS = ['subnet-aaaa0001', 'subnet-aaaa0002', 'subnet-aaaa0003'];

test('Subnet: every filter name', () => {
  assert.deepEqual(subnets(f('subnet-id', 'subnet-aaaa0002')), ['subnet-aaaa0002']);
  assert.deepEqual(subnets(f('subnet-id', 'subnet-zzzz0000')), []);
  assert.deepEqual(subnets(f('vpc-id', 'vpc-aaaa0001')), ['subnet-aaaa0001', 'subnet-aaaa0002']);
  assert.deepEqual(subnets(f('vpc-id', 'vpc-zzzz0000')), []);
  assert.deepEqual(subnets(f('cidr-block', '10.1.0.0/24')), ['subnet-aaaa0003']);
  assert.deepEqual(subnets(f('cidr-block', '10.1.0.0/16')), []);
  assert.deepEqual(subnets(f('is-default', 'true')), ['subnet-aaaa0001']);
  assert.deepEqual(subnets(f('is-default', 'FALSE')), ['subnet-aaaa0002', 'subnet-aaaa0003']);
  assert.deepEqual(subnets(f('is-remote-vpc-snat', 'false')), ALL_SUBNETS);
  assert.deepEqual(subnets(f('is-remote-vpc-snat', 'TRUE')), []);
  assert.deepEqual(subnets(f('subnet-name', 'web')), ['subnet-aaaa0001', 'subnet-aaaa0003'], 'fuzzy');
  assert.deepEqual(subnets(f('subnet-name', 'cache')), []);
  assert.deepEqual(subnets(f('zone', 'ap-guangzhou-4')), ['subnet-aaaa0002']);
  assert.deepEqual(subnets(f('zone', 'ap-guangzhou-6')), []);
  assert.deepEqual(subnets(f('tag-key', 'tier')), ['subnet-aaaa0001', 'subnet-aaaa0003']);
  assert.deepEqual(subnets(f('tag-key', 'env')), []);
  assert.deepEqual(subnets(f('tag:tier', 'app')), ['subnet-aaaa0003']);
  assert.deepEqual(subnets(f('tag:tier', 'db')), []);
  assert.deepEqual(subnets(f('cdc-id', '')), ALL_SUBNETS);
  assert.deepEqual(subnets(f('cdc-id', 'cluster-abcd1234')), []);
  assert.deepEqual(subnets(f('is-cdc-subnet', '0')), ALL_SUBNETS);
  assert.deepEqual(subnets(f('is-cdc-subnet', '1')), []);
  for (const name of ['ipv6-cidr-block', 'isp-type', 'address-type']) assert.deepEqual(subnets(f(name, 'x')), [], name);
});

test('Subnet: AND/OR and unknown names', () => {
  assert.deepEqual(subnets(f('zone', 'ap-guangzhou-3', 'ap-guangzhou-4')), ALL_SUBNETS);
  assert.deepEqual(subnets(f('zone', 'ap-guangzhou-3'), f('subnet-name', 'web'), f('vpc-id', 'vpc-aaaa0002')), ['subnet-aaaa0003']);
  assert.throws(() => filterSubnets(SUBNETS, [f('subnet-ids', 'x')]), tcErr('InvalidParameter.FilterInvalidKey', /`subnet-ids`/));
});

// ---- Instances ------------------------------------------------------------------------------------

type IV = Instance & { primaryIps: string[] };
const inst = (o: Partial<IV> & Pick<IV, 'id'>): IV => ({
  accountId: 'acc-1', region: 'ap-guangzhou', zone: 'ap-guangzhou-3', vpcId: 'vpc-aaaa0001',
  subnetId: 'subnet-aaaa0001', name: '', instanceType: 'S5.MEDIUM4', imageId: 'img-aaaa0001', state: 'RUNNING',
  chargeType: 'POSTPAID_BY_HOUR', userData: '', securityGroupIds: [], tags: [], latestOperation: null, latestOperationState: null,
  latestOperationRequestId: null, latestOperationError: null, createdAt: T0, primaryIps: [], ...o,
});
const INSTANCES = [
  inst({
    id: 'ins-aaaa0001', name: 'web-1', primaryIps: ['10.0.1.10'], securityGroupIds: ['sg-aaaa0001'],
    tags: [{ key: 'env', value: 'prod' }], createdAt: T0 + 500, // 2026-01-01 08:00:00.5 Beijing
  }),
  inst({
    id: 'ins-aaaa0002', zone: 'ap-guangzhou-4', vpcId: 'vpc-aaaa0002', subnetId: 'subnet-aaaa0003', name: 'db-1',
    chargeType: 'PREPAID', state: 'STOPPED', primaryIps: ['10.1.0.9'], securityGroupIds: ['sg-aaaa0002'],
    tags: [{ key: 'team', value: 'prod' }], createdAt: T0 + DAY, // 2026-01-02 08:00:00 Beijing
  }),
];
const ALL_INSTANCES = ['ins-aaaa0001', 'ins-aaaa0002'];
const instances = (...filters: Filter[]): string[] => ids(filterInstances(INSTANCES, filters));

test('Instance: every filter name', () => {
  assert.deepEqual(instances(f('zone', 'ap-guangzhou-4')), ['ins-aaaa0002']);
  assert.deepEqual(instances(f('zone', 'ap-guangzhou-6')), []);
  assert.deepEqual(instances(f('project-id', '0')), ALL_INSTANCES);
  assert.deepEqual(instances(f('project-id', '1001')), []);
  assert.deepEqual(instances(f('vpc-id', 'vpc-aaaa0001')), ['ins-aaaa0001']);
  assert.deepEqual(instances(f('vpc-id', 'vpc-zzzz0000')), []);
  assert.deepEqual(instances(f('subnet-id', 'subnet-aaaa0003')), ['ins-aaaa0002']);
  assert.deepEqual(instances(f('subnet-id', 'subnet-aaaa0002')), []);
  assert.deepEqual(instances(f('instance-id', 'ins-aaaa0002')), ['ins-aaaa0002']);
  assert.deepEqual(instances(f('instance-id', 'ins-zzzz0000')), []);
  assert.deepEqual(instances(f('instance-name', 'web')), ['ins-aaaa0001'], 'fuzzy');
  assert.deepEqual(instances(f('instance-name', '-1')), ALL_INSTANCES);
  assert.deepEqual(instances(f('instance-name', 'cache')), []);
  assert.deepEqual(instances(f('instance-charge-type', 'PREPAID')), ['ins-aaaa0002']);
  assert.deepEqual(instances(f('instance-charge-type', 'SPOTPAID')), []);
  assert.deepEqual(instances(f('instance-state', 'RUNNING')), ['ins-aaaa0001']);
  assert.deepEqual(instances(f('instance-state', 'PENDING')), []);
  assert.deepEqual(instances(f('private-ip-address', '10.1.0.9')), ['ins-aaaa0002']);
  assert.deepEqual(instances(f('private-ip-address', '10.1.0')), [], 'exact');
  assert.deepEqual(instances(f('security-group-id', 'sg-aaaa0001')), ['ins-aaaa0001']);
  assert.deepEqual(instances(f('security-group-id', 'sg-zzzz0000')), []);
  assert.deepEqual(instances(f('tag-key', 'team')), ['ins-aaaa0002']);
  assert.deepEqual(instances(f('tag-key', 'prod')), []);
  assert.deepEqual(instances(f('tag-value', 'prod')), ALL_INSTANCES);
  assert.deepEqual(instances(f('tag-value', 'env')), []);
  assert.deepEqual(instances(f('tag:env', 'prod')), ['ins-aaaa0001']);
  assert.deepEqual(instances(f('tag:team', 'dev')), []);
  assert.deepEqual(instances(f('uuid', instanceUuid('ins-aaaa0002'))), ['ins-aaaa0002']);
  assert.deepEqual(instances(f('uuid', '00000000-0000-4000-8000-000000000000')), []);
  for (const name of ['host-id', 'dedicated-cluster-id', 'public-ip-address', 'ipv6-address']) {
    assert.deepEqual(instances(f(name, 'x')), [], name);
  }
});

test('Instance: creation-start-time / creation-end-time are inclusive Beijing-time bounds', () => {
  assert.deepEqual(instances(f('creation-start-time', '2026-01-01 08:00:00')), ALL_INSTANCES);
  assert.deepEqual(instances(f('creation-start-time', '2026-01-01 08:00:01')), ['ins-aaaa0002']);
  assert.deepEqual(instances(f('creation-start-time', '2026-01-02 08:00:01')), []);
  assert.deepEqual(instances(f('creation-end-time', '2026-01-01 08:00:00')), ['ins-aaaa0001']);
  assert.deepEqual(instances(f('creation-end-time', '2026-01-01 07:59:59')), []);
  assert.deepEqual(instances(f('creation-end-time', '2026-01-02 08:00:00')), ALL_INSTANCES);
  assert.deepEqual(
    instances(f('creation-start-time', '2026-01-01 12:00:00'), f('creation-end-time', '2026-01-03 00:00:00')),
    ['ins-aaaa0002'],
  );
});

test('Instance: a malformed creation time is InvalidParameterValue.InvalidTimeFormat, even with no instances', () => {
  for (const bad of ['2026-01-01', '2026-01-01T08:00:00', '2026-02-30 00:00:00', '2026-01-01 24:00:00', '2026-1-1 0:0:0']) {
    assert.throws(() => filterInstances([], [f('creation-start-time', bad)]), tcErr('InvalidParameterValue.InvalidTimeFormat'), bad);
  }
  assert.throws(() => filterInstances(INSTANCES, [f('creation-end-time', '2026-01-01 00:00:00', 'soon')]),
    tcErr('InvalidParameterValue.InvalidTimeFormat', /`soon`/));
});

test('parseBeijingTime reads UTC+8', () => {
  assert.equal(parseBeijingTime('2026-01-01 08:00:00'), T0);
  assert.equal(parseBeijingTime('2024-02-29 00:00:00'), Date.UTC(2024, 1, 28, 16, 0, 0));
  assert.equal(parseBeijingTime('2025-02-29 00:00:00'), undefined);
});

test('Instance: AND/OR and unknown names fail with InvalidFilter', () => {
  assert.deepEqual(instances(f('instance-state', 'RUNNING', 'STOPPED')), ALL_INSTANCES);
  assert.deepEqual(instances(f('instance-state', 'RUNNING', 'STOPPED'), f('zone', 'ap-guangzhou-4')), ['ins-aaaa0002']);
  assert.deepEqual(instances(f('tag-value', 'prod'), f('tag-key', 'env')), ['ins-aaaa0001']);
  assert.throws(() => filterInstances(INSTANCES, [f('network-interface-id', 'x')]), tcErr('InvalidFilter', /`network-interface-id`/));
  assert.throws(() => filterInstances([], [f('is-primary', 'true')]), tcErr('InvalidFilter'));
});
