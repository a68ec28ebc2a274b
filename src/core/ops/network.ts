/** VPCs and subnets: synchronous operations, each one store transaction. */
import type { CoreContext, RequestMeta } from '../context.ts';
import { fail } from '../errors.ts';
import { findZone } from '../catalog.ts';
import { cidrSize, cidrsOverlap, cidrWithin, isAllowedVpcCidr, parseCidr, parseIpv4 } from '../ipam.ts';
import type { RouteTableView, Scope, Subnet, SubnetView, Tag, Vpc } from '../model.ts';
import { requireTags, requireText } from '../rules.ts';
import { newId, policyOf } from '../naming.ts';
import { freeAddressCount } from '../addresses.ts';
import type { Repo } from '../ports/repo.ts';

export interface CreateVpcInput {
  name: string;
  cidr: string;
  enableMulticast?: boolean;
  dnsServers?: string[];
  domainName?: string;
  tags?: Tag[];
  /** Subnets created with the VPC, in the same transaction (API 2.0 CreateVpc's subnetSet). */
  subnets?: SubnetSpec[];
}

/** Tencent's default DNS servers for a new VPC (official example). */
const DEFAULT_DNS = ['183.60.82.98', '183.60.83.1'];

/** DNS servers are IPv4 addresses, at most 4; a domain name at most 60 characters (Tencent's VpcName rule; unconfirmed for DomainName). */
function requireDns(dnsServers: readonly string[] | undefined, domainName: string | undefined): void {
  if ((dnsServers?.length ?? 0) > 4) fail('InvalidValue', { field: 'vpc.dnsServers', reason: 'limitExceeded' });
  for (const d of dnsServers ?? []) if (parseIpv4(d) === undefined) fail('InvalidValue', { field: 'vpc.dnsServers', reason: 'malformed', value: d });
  if (domainName !== undefined && [...domainName].length > 60) fail('InvalidValue', { field: 'vpc.domainName', reason: 'tooLong', limit: 60, unit: 'chars' });
}

export async function createVpc(core: CoreContext, scope: Scope, input: CreateVpcInput, _meta: RequestMeta): Promise<Vpc & { subnets: SubnetView[] }> {
  requireText('vpc.name', input.name, policyOf(core, scope.provider).text['vpc.name']);
  requireTags(policyOf(core, scope.provider).tags, input.tags ?? []);
  // JD Cloud VPCs may have no CIDR block at all: then only their subnets' blocks are checked.
  const noCidr = input.cidr === '' && policyOf(core, scope.provider).vpcCidrOptional;
  const cidr = noCidr ? undefined : parseCidr(input.cidr);
  if (!noCidr && !cidr) fail('InvalidValue', { field: 'vpc.cidr', reason: 'malformed', value: input.cidr });
  if (cidr && !isAllowedVpcCidr(cidr)) fail('CidrNotAllowed', { cidr: input.cidr });
  requireDns(input.dnsServers, input.domainName);
  return core.store.write(async (tx) => {
    const existing = await tx.listVpcs(scope);
    if (existing.length >= core.limits.vpcsPerRegion) fail('VpcQuotaExceeded', { limit: core.limits.vpcsPerRegion });
    const vpc: Vpc = {
      id: newId(core, scope.provider, 'vpc'),
      accountId: scope.accountId,
      region: scope.region,
      name: input.name,
      cidr: cidr?.text ?? '',
      isDefault: false,
      enableMulticast: input.enableMulticast ?? false,
      dnsServers: input.dnsServers?.length ? input.dnsServers : DEFAULT_DNS,
      domainName: input.domainName ?? '',
      routeTableId: newId(core, scope.provider, 'routeTable'),
      tags: input.tags ?? [],
      createdAt: core.clock.now(),
    };
    await tx.insertVpc(vpc);
    return { ...vpc, subnets: await addSubnets(core, tx, scope, vpc, input.subnets ?? []) };
  });
}

export async function deleteVpc(core: CoreContext, scope: Scope, vpcId: string): Promise<void> {
  await core.store.write(async (tx) => {
    await tx.lockVpc(vpcId);
    const vpc = await tx.getVpc(scope, vpcId);
    if (!vpc) fail('NotFound', { resource: 'vpc', id: vpcId });
    if ((await tx.listSubnets(scope, vpcId)).length || (await tx.countInstancesIn('vpc', vpcId)) || (await tx.countEnisIn('vpc', vpcId))) {
      fail('ResourceInUse', { resource: 'vpc', id: vpcId, reason: 'the VPC still contains subnets, instances or ENIs' });
    }
    // Where groups belong to a VPC (JD Cloud), they go before it.
    if ((await tx.listSecurityGroups(scope, vpcId)).length) fail('ResourceInUse', { resource: 'vpc', id: vpcId, reason: 'the VPC still has security groups' });
    await tx.deleteVpc(vpcId);
  });
}

export interface SubnetSpec {
  name: string;
  cidr: string;
  zone: string;
  tags?: Tag[];
}

export interface CreateSubnetInput extends SubnetSpec {
  vpcId: string;
}

export async function createSubnet(core: CoreContext, scope: Scope, input: CreateSubnetInput, meta: RequestMeta): Promise<SubnetView> {
  const [subnet] = await createSubnets(core, scope, input.vpcId, [input], meta);
  return subnet!;
}

/** Several subnets of one VPC at once: all are created or none is. */
export async function createSubnets(core: CoreContext, scope: Scope, vpcId: string, specs: SubnetSpec[], _meta: RequestMeta): Promise<SubnetView[]> {
  for (const spec of specs) requireTags(policyOf(core, scope.provider).tags, spec.tags ?? []);
  return core.store.write(async (tx) => {
    const vpc = await tx.getVpc(scope, vpcId);
    if (!vpc) fail('NotFound', { resource: 'vpc', id: vpcId });
    return addSubnets(core, tx, scope, vpc, specs);
  });
}

/** The subnet rules (name, mask, zone, inside the VPC, no overlap, quota), checked per subnet in order. */
async function addSubnets(core: CoreContext, tx: Repo, scope: Scope, vpc: Vpc, specs: SubnetSpec[]): Promise<SubnetView[]> {
  const out: SubnetView[] = [];
  for (const input of specs) {
    requireText('subnet.name', input.name, policyOf(core, scope.provider).text['subnet.name']);
    const cidr = parseCidr(input.cidr);
    if (!cidr) fail('InvalidValue', { field: 'subnet.cidr', reason: 'malformed', value: input.cidr });
    if (cidr.prefix < 16 || cidr.prefix > 28) fail('InvalidValue', { field: 'subnet.cidr', reason: 'range', value: input.cidr });
    if (policyOf(core, scope.provider).eniZoneBound) {
      const zone = findZone(core.catalog, scope.provider, input.zone);
      if (!zone || zone.region.region !== scope.region) fail('NotFound', { resource: 'zone', id: input.zone });
    } else if (input.zone !== '') {
      // Regional subnets (JD Cloud) carry no zone.
      fail('InvalidValue', { field: 'subnet.zone', reason: 'range', value: input.zone });
    }
    if (vpc.cidr === '' ? !isAllowedVpcCidr(cidr) : !cidrWithin(cidr, parseCidr(vpc.cidr)!)) {
      fail('CidrOutsideVpc', { cidr: input.cidr, vpcCidr: vpc.cidr });
    }
    const siblings = await tx.listSubnets(scope, vpc.id);
    if (siblings.length >= core.limits.subnetsPerVpc) fail('SubnetQuotaExceeded', { vpcId: vpc.id, limit: core.limits.subnetsPerVpc });
    for (const s of siblings) {
      if (cidrsOverlap(cidr, parseCidr(s.cidr)!)) fail('CidrOverlap', { cidr: input.cidr, otherId: s.id });
    }
    const subnet: Subnet = {
      id: newId(core, scope.provider, 'subnet'),
      accountId: scope.accountId,
      region: scope.region,
      vpcId: vpc.id,
      name: input.name,
      cidr: cidr.text,
      zone: input.zone,
      isDefault: false,
      routeTableId: vpc.routeTableId,
      networkAclId: '',
      enableBroadcast: false,
      tags: input.tags ?? [],
      createdAt: core.clock.now(),
    };
    await tx.insertSubnet(subnet);
    out.push(await withCounts(core, scope, tx, subnet));
  }
  return out;
}

async function withCounts(core: CoreContext, scope: Scope, tx: Repo, s: Subnet): Promise<SubnetView> {
  const total = cidrSize(parseCidr(s.cidr)!);
  return { ...s, totalIpCount: total, availableIpCount: await freeAddressCount(core, scope.provider, tx, s) };
}

export async function listSubnets(core: CoreContext, scope: Scope, vpcId?: string): Promise<SubnetView[]> {
  return core.store.read(async (tx) => {
    const subnets = await tx.listSubnets(scope, vpcId);
    return Promise.all(subnets.map((s) => withCounts(core, scope, tx, s)));
  });
}

export async function listVpcs(core: CoreContext, scope: Scope): Promise<Vpc[]> {
  return core.store.read((tx) => tx.listVpcs(scope));
}

export async function deleteSubnet(core: CoreContext, scope: Scope, subnetId: string): Promise<void> {
  await core.store.write(async (tx) => {
    const subnet = await tx.getSubnet(scope, subnetId);
    if (!subnet) fail('NotFound', { resource: 'subnet', id: subnetId });
    if ((await tx.countInstancesIn('subnet', subnetId)) || (await tx.countEnisIn('subnet', subnetId))) {
      fail('ResourceInUse', { resource: 'subnet', id: subnetId, reason: 'the subnet still holds instances or ENIs' });
    }
    await tx.deleteSubnet(subnetId);
  });
}

export interface ModifyVpcInput {
  name?: string;
  enableMulticast?: boolean;
  dnsServers?: string[];
  domainName?: string;
}

/** Changes what a VPC is called and how it resolves names; what is not given stays. */
export async function modifyVpc(core: CoreContext, scope: Scope, vpcId: string, input: ModifyVpcInput): Promise<Vpc> {
  requireText('vpc.name', input.name, policyOf(core, scope.provider).text['vpc.name']);
  requireDns(input.dnsServers, input.domainName);
  return core.store.write(async (tx) => {
    await tx.lockVpc(vpcId);
    const vpc = (await tx.getVpc(scope, vpcId)) ?? fail('NotFound', { resource: 'vpc', id: vpcId });
    const next: Vpc = {
      ...vpc,
      name: input.name ?? vpc.name,
      enableMulticast: input.enableMulticast ?? vpc.enableMulticast,
      dnsServers: input.dnsServers?.length ? input.dnsServers : vpc.dnsServers,
      domainName: input.domainName ?? vpc.domainName,
    };
    await tx.updateVpc(next);
    return next;
  });
}

export async function modifySubnet(core: CoreContext, scope: Scope, subnetId: string, input: { name?: string; enableBroadcast?: boolean }): Promise<SubnetView> {
  requireText('subnet.name', input.name, policyOf(core, scope.provider).text['subnet.name']);
  return core.store.write(async (tx) => {
    await tx.lockSubnet(subnetId);
    const subnet = (await tx.getSubnet(scope, subnetId)) ?? fail('NotFound', { resource: 'subnet', id: subnetId });
    const next: Subnet = { ...subnet, name: input.name ?? subnet.name, enableBroadcast: input.enableBroadcast ?? subnet.enableBroadcast };
    await tx.updateSubnet(next);
    return withCounts(core, scope, tx, next);
  });
}

/** Each VPC has one main route table, made with it; every subnet of the VPC uses it. */
export async function listRouteTables(core: CoreContext, scope: Scope): Promise<RouteTableView[]> {
  return core.store.read(async (tx) => {
    const [vpcs, subnets] = await Promise.all([tx.listVpcs(scope), tx.listSubnets(scope)]);
    return vpcs.map((v) => ({ id: v.routeTableId, vpcId: v.id, createdAt: v.createdAt, tags: [], subnetIds: subnets.filter((s) => s.vpcId === v.id).map((s) => s.id) }));
  });
}

/** Who holds each of `addresses` in the subnet: an ENI's address (primary or not) or nothing. */
export async function addressHolders(core: CoreContext, scope: Scope, vpcId: string, subnetId: string, addresses: readonly string[]): Promise<Array<{ address: string; eniId: string; instanceId: string | null; primary: boolean }>> {
  return core.store.read(async (tx) => {
    const subnet = await tx.getSubnet(scope, subnetId);
    if (!subnet || subnet.vpcId !== vpcId) fail('NotFound', { resource: 'subnet', id: subnetId });
    const enis = await tx.listEnis(scope, { subnetId });
    const out: Array<{ address: string; eniId: string; instanceId: string | null; primary: boolean }> = [];
    for (const e of enis) for (const ip of e.ips) if (!addresses.length || addresses.includes(ip.address)) out.push({ address: ip.address, eniId: e.id, instanceId: e.instanceId, primary: e.primary });
    return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  });
}
