// The netns data plane's plan, worked out from a store's world alone: where each ENI is, with which
// addresses, which instances are up, and what an operation in flight counts as (done once its task
// is claimed, not begun before). And the firewall each instance gets from its ENIs' groups.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Eni, Instance, SecurityGroup, SecurityGroupRule, Subnet, Task, TaskKind, Vpc } from '../../../src/core/model.ts';
import { firewallOf } from '../../../src/dataplane/netns/firewall.ts';
import { gatewayMac } from '../../../src/dataplane/netns/names.ts';
import { planHost, type HostWorld } from '../../../src/dataplane/netns/plan.ts';

const P = 'enp-';
const vpc = { id: 'vpc-1', cidr: '10.0.0.0/16' } as Vpc;
const subnets = [{ id: 'subnet-a', vpcId: 'vpc-1', cidr: '10.0.1.0/24' }, { id: 'subnet-b', vpcId: 'vpc-1', cidr: '10.0.2.0/24' }] as Subnet[];
const instance = (id: string, state: Instance['state'] = 'RUNNING'): Instance => ({ id, state, vpcId: 'vpc-1', subnetId: 'subnet-a', securityGroupIds: [] }) as unknown as Instance;
const ip = (eniId: string, address: string, o: Partial<Eni['ips'][number]> = {}) => ({ subnetId: 'subnet-a', address, eniId, primary: false, state: 'AVAILABLE' as const, description: '', qosLevel: '', ...o });
const eni = (id: string, o: Partial<Eni> = {}): Eni =>
  ({ id, vpcId: 'vpc-1', subnetId: 'subnet-a', mac: '20:90:6F:00:00:01', primary: false, state: 'AVAILABLE', instanceId: null, targetInstanceId: null, deviceIndex: null, securityGroupIds: [], ips: [ip(id, '10.0.1.10', { primary: true })], ...o }) as Eni;
const primary = (insId: string, address: string) => eni(`eni-p${insId.slice(4)}`, { primary: true, instanceId: insId, deviceIndex: 0, mac: '20:90:6F:00:00:AA', ips: [ip(`eni-p${insId.slice(4)}`, address, { primary: true })] });
const task = (kind: TaskKind, payload: Record<string, unknown>, claimed: boolean): Task => ({ id: 't', kind, payload, status: 'RUNNING', leaseOwner: claimed ? 'node' : null }) as unknown as Task;

function world(o: Partial<HostWorld>): HostWorld {
  return { vpcs: [vpc], subnets, securityGroups: [], instances: [instance('ins-a'), instance('ins-b')], enis: [primary('ins-a', '10.0.1.2'), primary('ins-b', '10.0.1.3')], tasks: [], ...o };
}
const linksOf = (w: HostWorld, ins: string) => planHost(w, P).instances.get(`${P}${ins}`)?.links.map((l) => `${l.name}=${l.eniId}[${l.addresses.join(' ')}]`);

describe('planHost', () => {
  test('a fabric per VPC with a bridge per subnet on its gateway; an instance per namespace with eth0 and the default route', () => {
    const plan = planHost(world({}), P);
    assert.deepEqual([...plan.fabrics.values()], [{ ns: 'enp-vpc-1', vpcId: 'vpc-1', bridges: [{ name: 'br-a', subnetId: 'subnet-a', gateway: '10.0.1.1/24', mac: gatewayMac('subnet-a') }, { name: 'br-b', subnetId: 'subnet-b', gateway: '10.0.2.1/24', mac: gatewayMac('subnet-b') }] }]);
    assert.match(gatewayMac('subnet-a'), /^02(:[0-9a-f]{2}){5}$/);
    assert.notEqual(gatewayMac('subnet-a'), gatewayMac('subnet-b'));
    const a = plan.instances.get('enp-ins-a')!;
    assert.equal(a.up, true);
    assert.deepEqual(a.links, [{ name: 'eth0', eniId: 'eni-pa', mac: '20:90:6f:00:00:aa', addresses: ['10.0.1.2/24'], fabricNs: 'enp-vpc-1', fabricLink: 'v-pa', bridge: 'br-a' }]);
    assert.deepEqual(a.defaultRoute, { dev: 'eth0', via: '10.0.1.1' });
  });

  test('an attach is on the instance once claimed, not before; a rolled-back one is on nothing', () => {
    const attaching = eni('eni-x', { state: 'ATTACHING', targetInstanceId: 'ins-b', deviceIndex: 1 });
    const base = world({ enis: [primary('ins-a', '10.0.1.2'), primary('ins-b', '10.0.1.3'), attaching] });
    assert.deepEqual(linksOf({ ...base, tasks: [task('eni.attach', { eniId: 'eni-x', instanceId: 'ins-b' }, false)] }, 'ins-b'), ['eth0=eni-pb[10.0.1.3/24]']);
    assert.deepEqual(linksOf({ ...base, tasks: [task('eni.attach', { eniId: 'eni-x', instanceId: 'ins-b' }, true)] }, 'ins-b'), ['eth0=eni-pb[10.0.1.3/24]', 'eth1=eni-x[10.0.1.10/24]']);
    assert.deepEqual(linksOf({ ...base, enis: [primary('ins-b', '10.0.1.3'), { ...attaching, state: 'AVAILABLE', targetInstanceId: null, deviceIndex: null }] }, 'ins-b'), ['eth0=eni-pb[10.0.1.3/24]']);
  });

  test('a migrate stays on the source at its old index until claimed, then is on the destination at the new one', () => {
    const moving = eni('eni-x', { state: 'ATTACHING', instanceId: 'ins-a', targetInstanceId: 'ins-b', deviceIndex: 2 });
    const payload = { eniId: 'eni-x', sourceInstanceId: 'ins-a', destinationInstanceId: 'ins-b', prior: { attachType: 0, deviceIndex: 1, attachedAt: 1 } };
    const w = world({ enis: [primary('ins-a', '10.0.1.2'), primary('ins-b', '10.0.1.3'), moving] });
    const before = { ...w, tasks: [task('eni.migrate', payload, false)] };
    assert.deepEqual(linksOf(before, 'ins-a'), ['eth0=eni-pa[10.0.1.2/24]', 'eth1=eni-x[10.0.1.10/24]']);
    const during = { ...w, tasks: [task('eni.migrate', payload, true)] };
    assert.deepEqual(linksOf(during, 'ins-a'), ['eth0=eni-pa[10.0.1.2/24]']);
    assert.deepEqual(linksOf(during, 'ins-b'), ['eth0=eni-pb[10.0.1.3/24]', 'eth2=eni-x[10.0.1.10/24]']);
  });

  test('a detach leaves once claimed; addresses come and go with their assign, unassign and move', () => {
    const on = eni('eni-x', { state: 'DETACHING', instanceId: 'ins-a', deviceIndex: 1 });
    const w = world({ enis: [primary('ins-a', '10.0.1.2'), on] });
    assert.equal(linksOf({ ...w, tasks: [task('eni.detach', { eniId: 'eni-x', instanceId: 'ins-a' }, false)] }, 'ins-a')!.length, 2);
    assert.equal(linksOf({ ...w, tasks: [task('eni.detach', { eniId: 'eni-x', instanceId: 'ins-a' }, true)] }, 'ins-a')!.length, 1);

    const grown = eni('eni-x', { instanceId: 'ins-a', deviceIndex: 1, ips: [ip('eni-x', '10.0.1.10', { primary: true }), ip('eni-x', '10.0.1.11', { state: 'PENDING' }), ip('eni-x', '10.0.1.12', { state: 'DELETING' })] });
    const g = world({ enis: [primary('ins-a', '10.0.1.2'), grown] });
    const assign = task('eni.assignIps', { eniId: 'eni-x', addresses: ['10.0.1.11'] }, true);
    assert.deepEqual(linksOf({ ...g, tasks: [assign, task('eni.unassignIps', { eniId: 'eni-x', addresses: ['10.0.1.12'] }, false)] }, 'ins-a')![1], 'eth1=eni-x[10.0.1.10/24 10.0.1.11/24 10.0.1.12/24]');
    assert.deepEqual(linksOf({ ...g, tasks: [task('eni.unassignIps', { eniId: 'eni-x', addresses: ['10.0.1.12'] }, true)] }, 'ins-a')![1], 'eth1=eni-x[10.0.1.10/24]');

    const src = eni('eni-x', { instanceId: 'ins-a', deviceIndex: 1, ips: [ip('eni-x', '10.0.1.10', { primary: true }), ip('eni-x', '10.0.1.20', { state: 'MIGRATING' })] });
    const dst = eni('eni-y', { instanceId: 'ins-b', deviceIndex: 1, mac: '20:90:6F:00:00:02', ips: [ip('eni-y', '10.0.1.30', { primary: true })] });
    const m = world({ enis: [primary('ins-a', '10.0.1.2'), primary('ins-b', '10.0.1.3'), src, dst] });
    const move = (claimed: boolean) => task('ip.migrate', { sourceEniId: 'eni-x', destinationEniId: 'eni-y', subnetId: 'subnet-a', address: '10.0.1.20' }, claimed);
    assert.deepEqual([linksOf({ ...m, tasks: [move(false)] }, 'ins-a')![1], linksOf({ ...m, tasks: [move(false)] }, 'ins-b')![1]], ['eth1=eni-x[10.0.1.10/24 10.0.1.20/24]', 'eth1=eni-y[10.0.1.30/24]']);
    assert.deepEqual([linksOf({ ...m, tasks: [move(true)] }, 'ins-a')![1], linksOf({ ...m, tasks: [move(true)] }, 'ins-b')![1]], ['eth1=eni-x[10.0.1.10/24]', 'eth1=eni-y[10.0.1.30/24 10.0.1.20/24]']);
  });

  test('instances: up while RUNNING, down while STOPPED, absent before launch and once terminating is claimed', () => {
    const plan = (instances: Instance[], tasks: Task[] = []) => [...planHost(world({ instances, tasks }), P).instances.values()].map((i) => `${i.instanceId}:${i.up ? 'up' : 'down'}`);
    assert.deepEqual(plan([instance('ins-a', 'STOPPED'), instance('ins-b', 'PENDING')]), ['ins-a:down']);
    assert.deepEqual(plan([instance('ins-a', 'PENDING')], [task('instance.run', { instanceIds: ['ins-a'] }, true)]), ['ins-a:up']);
    assert.deepEqual(plan([instance('ins-a', 'STOPPING')], [task('instance.stop', { instanceIds: ['ins-a'], prior: { 'ins-a': 'RUNNING' } }, false)]), ['ins-a:up']);
    assert.deepEqual(plan([instance('ins-a', 'STOPPING')], [task('instance.stop', { instanceIds: ['ins-a'], prior: { 'ins-a': 'RUNNING' } }, true)]), ['ins-a:down']);
    assert.deepEqual(plan([instance('ins-a', 'STARTING')], [task('instance.start', { instanceIds: ['ins-a'], prior: { 'ins-a': 'STOPPED' } }, false)]), ['ins-a:down']);
    assert.deepEqual(plan([instance('ins-a', 'TERMINATING')], [task('instance.terminate', { instanceIds: ['ins-a'], prior: { 'ins-a': 'STOPPED' } }, false)]), ['ins-a:down']);
    assert.deepEqual(plan([instance('ins-a', 'TERMINATING')], [task('instance.terminate', { instanceIds: ['ins-a'], prior: { 'ins-a': 'STOPPED' } }, true)]), []);
  });

  test("each ENI's link is guarded by its own groups; a peer group matches its members' addresses", () => {
    const rule = (o: Partial<SecurityGroupRule>): SecurityGroupRule => ({ id: 'r', direction: 'ingress', protocol: 'ALL', ports: 'ALL', cidr: '', ipv6Cidr: '', peerGroupId: '', action: 'ACCEPT', description: '', modifiedAt: 0, ...o });
    const web = { id: 'sg-web', rules: [rule({ protocol: 'TCP', ports: '80,443', cidr: '10.0.1.5/24' }), rule({ protocol: 'UDP', ports: '5000-5010', peerGroupId: 'sg-db' }), rule({ direction: 'egress', protocol: 'ICMP', cidr: '0.0.0.0/0', action: 'DROP' })] } as SecurityGroup;
    const text = firewallOf([{ name: 'eth1', groups: [web] }, { name: 'eth0', groups: [] }], (g) => (g === 'sg-db' ? ['10.0.2.7', '10.0.2.8'] : []));
    assert.match(text, /^add table inet eniplane\ndelete table inet eniplane\n/);
    assert.match(text, /iifname "eth1" jump ingress_eth1/);
    assert.doesNotMatch(text, /eth0/, 'an ENI in no group is not filtered');
    assert.match(text, /chain ingress_eth1 \{\n {4}ip saddr 10\.0\.1\.0\/24 meta l4proto tcp th dport \{ 80, 443 \} accept comment "sg-web"\n {4}ip saddr \{ 10\.0\.2\.7, 10\.0\.2\.8 \} meta l4proto udp th dport 5000-5010 accept comment "sg-web"\n {4}drop\n/);
    assert.match(text, /chain egress_eth1 \{\n {4}ip daddr 0\.0\.0\.0\/0 meta l4proto icmp drop comment "sg-web"\n {4}drop\n/);
    assert.match(firewallOf([{ name: 'eth1', groups: [{ ...web, rules: [rule({ peerGroupId: 'sg-empty' })] }] }], () => []), /# sg-web rule r: matches nothing here\n {4}drop/);
  });
});
