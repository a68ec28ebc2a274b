/**
 * Bulk-loads a world for the benchmarks straight into a store, through the same row mappers and
 * schema the server uses: accounts with keys, VPCs, subnets, RUNNING instances with their primary
 * ENIs, attached and detached secondary ENIs. Every invariant of DESIGN.md holds in what it writes
 * (unique MACs, one address per subnet, quotas respected, device indexes distinct), and each account
 * stays inside the API's own limits (20 VPCs per region, 1,000 ENIs per VPC), so the server sees
 * data it could have built itself.
 */
import { systemClock } from '../src/core/clock.ts';
import { randomIdSource, seededIdSource } from '../src/core/ids.ts';
import { formatIpv4, parseIpv4 } from '../src/core/ipam.ts';
import type { Eni, Instance, Subnet, Vpc } from '../src/core/model.ts';
import { createAccount } from '../src/core/ops/accounts.ts';
import type { Store } from '../src/core/ports/repo.ts';

export const REGION = 'ap-guangzhou';
const ZONE = 'ap-guangzhou-3';
/** 4 cores: an ENI quota of 4 (primary included), so 2 secondaries attached leave one slot free. */
const INSTANCE_TYPE = 'S5.LARGE8';
const SUBNETS_PER_VPC = 4;

export interface SeedLayout {
  /** Total ENIs wanted; rounded up to whole VPCs. */
  enis: number;
  vpcsPerAccount?: number;
  enisPerVpc?: number;
  seed?: number;
}

export interface SeededAccount {
  accountId: string;
  secretId: string;
  secretKey: string;
  vpcIds: string[];
  /** A sample of ENI ids (every 97th), enough to pick describe targets from. */
  sampleEniIds: string[];
  /** Instances with a free ENI slot, each paired with a detached ENI of its VPC (first VPCs only). */
  cyclePairs: Array<{ instanceId: string; eniId: string }>;
}

export interface SeedResult {
  accounts: SeededAccount[];
  enis: number;
  instances: number;
  ms: number;
}

/** One VPC's worth of resources: 1 in 10 ENIs is an instance's primary, 2 in 10 attached secondaries. */
function buildVpc(ids: ReturnType<typeof seededIdSource>, macs: Set<string>, accountId: string, index: number, enisPerVpc: number, now: number) {
  const vpc: Vpc = {
    id: ids.id('vpc'), accountId, region: REGION, name: `bench-${index}`, cidr: '10.0.0.0/16', isDefault: false,
    enableMulticast: false, dnsServers: ['183.60.83.19', '183.60.82.98'], domainName: '', routeTableId: ids.id('rtb'), tags: [], createdAt: now,
  };
  const subnets: Subnet[] = Array.from({ length: SUBNETS_PER_VPC }, (_, s) => ({
    id: ids.id('subnet'), accountId, region: REGION, vpcId: vpc.id, name: `bench-${index}-${s}`, cidr: `10.0.${s * 64}.0/18`,
    zone: ZONE, isDefault: false, routeTableId: vpc.routeTableId, networkAclId: '', enableBroadcast: false, tags: [], createdAt: now,
  }));
  const nextIp = subnets.map((s) => parseIpv4(s.cidr.split('/')[0]!)! + 2);
  const instances: Instance[] = [];
  const enis: Eni[] = [];
  const mac = () => {
    for (;;) {
      const m = ids.mac();
      if (!macs.has(m)) return macs.add(m), m;
    }
  };
  const eni = (n: number, primary: boolean, instanceId: string | null, deviceIndex: number | null): Eni => {
    const s = n % SUBNETS_PER_VPC;
    const subnet = subnets[s]!;
    const id = ids.id('eni');
    return {
      id, accountId, region: REGION, vpcId: vpc.id, subnetId: subnet.id, zone: ZONE, name: `eni-${index}-${n}`, description: '',
      mac: mac(), primary, state: 'AVAILABLE', instanceId, targetInstanceId: null, deviceIndex, attachType: 0,
      attachedAt: instanceId ? now : null, securityGroupIds: [], tags: [], qosLevel: 'DEFAULT', trunking: false,
      autoDelete: primary, createdAt: now + n,
      ips: [{ subnetId: subnet.id, address: formatIpv4(nextIp[s]!++), eniId: id, primary: true, state: 'AVAILABLE', description: '', qosLevel: 'DEFAULT' }],
    };
  };
  const instanceCount = Math.floor(enisPerVpc / 10);
  let n = 0;
  for (let i = 0; i < instanceCount; i++) {
    const instance: Instance = {
      id: ids.id('ins'), accountId, region: REGION, zone: ZONE, vpcId: vpc.id, subnetId: subnets[0]!.id, name: `bench-${index}-${i}`,
      instanceType: INSTANCE_TYPE, imageId: 'img-l8og963d', state: 'RUNNING', chargeType: 'POSTPAID_BY_HOUR', userData: '', securityGroupIds: [],
      tags: [], latestOperation: null, latestOperationState: null, latestOperationRequestId: null, latestOperationError: null, createdAt: now,
    };
    instances.push(instance);
    enis.push(eni(n++, true, instance.id, 0), eni(n++, false, instance.id, 1), eni(n++, false, instance.id, 2));
  }
  while (n < enisPerVpc) enis.push(eni(n++, false, null, null));
  return { vpc, subnets, instances, enis };
}

/** Loads the world; returns the accounts (with their keys) and how long it took. */
export async function seed(store: Store, layout: SeedLayout): Promise<SeedResult> {
  const started = performance.now();
  const vpcsPerAccount = layout.vpcsPerAccount ?? 20;
  const enisPerVpc = layout.enisPerVpc ?? 1000;
  const vpcCount = Math.ceil(layout.enis / enisPerVpc);
  const ids = seededIdSource(layout.seed ?? 7);
  const macs = new Set<string>();
  const now = systemClock.now();
  const accounts: SeededAccount[] = [];
  let enis = 0;
  let instances = 0;
  for (let v = 0; v < vpcCount; v++) {
    if (v % vpcsPerAccount === 0) {
      const { account, key } = await createAccount({ store, clock: systemClock, ids: randomIdSource() }, 'tencent', `bench-${accounts.length}`);
      accounts.push({ accountId: account.id, secretId: key.secretId, secretKey: key.secretKey, vpcIds: [], sampleEniIds: [], cyclePairs: [] });
    }
    const acc = accounts[accounts.length - 1]!;
    const world = buildVpc(ids, macs, acc.accountId, v, enisPerVpc, now);
    await store.write((tx) => tx.insertMany({ vpcs: [world.vpc], subnets: world.subnets, instances: world.instances, enis: world.enis }));
    acc.vpcIds.push(world.vpc.id);
    world.enis.forEach((e, i) => i % 97 === 0 && acc.sampleEniIds.push(e.id));
    if (acc.cyclePairs.length < 256) {
      const detached = world.enis.filter((e) => e.instanceId === null);
      world.instances.forEach((ins, i) => detached[i] && acc.cyclePairs.push({ instanceId: ins.id, eniId: detached[i]!.id }));
    }
    enis += world.enis.length;
    instances += world.instances.length;
  }
  return { accounts, enis, instances, ms: performance.now() - started };
}
