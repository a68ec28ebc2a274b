/** JD Cloud vpc operations (spec §4.11–4.18). */
import { fail } from '../../../core/errors.ts';
import { MAX_STORE_VALUES } from '../../../core/ports/repo.ts';
import { filterMap, jd, jdAction, jdPage, listQuery, type JdContext } from '../action.ts';
import { invalidArgument } from '../jdError.ts';
import { eipShape, eniShape, subnetShape, vpcShape } from '../shapes.ts';
import type { Eni } from '../../../core/model.ts';

const groups = () => jd.list(jd.str(), 5);

async function eniView(ctx: JdContext, enis: Eni[]): Promise<Array<Record<string, unknown>>> {
  const eips = await ctx.core.listEips(ctx.scope);
  return enis.map((e) => eniShape(e, eips, ctx.account.ownerUin));
}

async function mustEni(ctx: JdContext, id: string): Promise<Eni> {
  const [eni] = await ctx.core.listEnis(ctx.scope, { ids: [id] });
  return eni ?? fail('NotFound', { resource: 'eni', id });
}

export const vpcOps = {
  createVpc: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/vpcs/',
    body: jd.obj({ vpcName: jd.str(), addressPrefix: jd.str().optional(), description: jd.str().optional(), azType: jd.str().optional(), az: jd.str().optional() }),
    query: jd.none(),
    async run(ctx, { body }) {
      const vpc = await ctx.core.createVpc(ctx.scope, { name: body.vpcName, cidr: body.addressPrefix ?? '' }, ctx.meta);
      return { vpcId: vpc.id };
    },
  }),
  describeVpcs: jdAction({
    service: 'vpc',
    method: 'GET',
    path: '/vpcs/',
    body: jd.none(),
    query: listQuery(),
    async run(ctx, { query }) {
      const f = filterMap(query, ['vpcIds', 'vpcNames', 'azType', 'azs']);
      let vpcs = await ctx.core.listVpcs(ctx.scope);
      if (f.has('vpcIds')) vpcs = vpcs.filter((v) => f.get('vpcIds')!.includes(v.id));
      if (f.has('vpcNames')) vpcs = vpcs.filter((v) => f.get('vpcNames')!.includes(v.name));
      const subnets = await ctx.core.listSubnets(ctx.scope);
      return {
        vpcs: jdPage(vpcs, query).map((v) => vpcShape(v, subnets.filter((s) => s.vpcId === v.id).map(subnetShape))),
        totalCount: vpcs.length,
      };
    },
  }),
  describeVpc: jdAction({
    service: 'vpc',
    method: 'GET',
    path: '/vpcs/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      const vpc = (await ctx.core.listVpcs(ctx.scope)).find((v) => v.id === id) ?? fail('NotFound', { resource: 'vpc', id });
      const subnets = (await ctx.core.listSubnets(ctx.scope, id)).map(subnetShape);
      return { vpc: vpcShape(vpc, subnets) };
    },
  }),
  deleteVpc: jdAction({
    service: 'vpc',
    method: 'DELETE',
    path: '/vpcs/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      await ctx.core.deleteVpc(ctx.scope, id);
      return undefined;
    },
  }),
  createSubnet: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/subnets/',
    body: jd.obj({
      vpcId: jd.str(),
      subnetName: jd.str(),
      addressPrefix: jd.str(),
      routeTableId: jd.str().optional(),
      description: jd.str().optional(),
      ipMaskLen: jd.uint().optional(),
    }),
    query: jd.none(),
    async run(ctx, { body }) {
      // JD subnets are regional: no zone.
      const subnet = await ctx.core.createSubnet(ctx.scope, { vpcId: body.vpcId, name: body.subnetName, cidr: body.addressPrefix, zone: '' }, ctx.meta);
      return { subnetId: subnet.id };
    },
  }),
  describeSubnets: jdAction({
    service: 'vpc',
    method: 'GET',
    path: '/subnets/',
    body: jd.none(),
    query: listQuery(),
    async run(ctx, { query }) {
      const f = filterMap(query, ['subnetIds', 'subnetNames', 'routeTableId', 'aclId', 'vpcId', 'subnetType', 'azs', 'azType']);
      let subnets = await ctx.core.listSubnets(ctx.scope);
      if (f.has('subnetIds')) subnets = subnets.filter((s) => f.get('subnetIds')!.includes(s.id));
      if (f.has('subnetNames')) subnets = subnets.filter((s) => f.get('subnetNames')!.includes(s.name));
      if (f.has('vpcId')) subnets = subnets.filter((s) => f.get('vpcId')!.includes(s.vpcId));
      if (f.has('routeTableId')) subnets = subnets.filter((s) => f.get('routeTableId')!.includes(s.routeTableId));
      if (f.has('aclId')) subnets = [];
      return { subnets: jdPage(subnets, query).map(subnetShape), totalCount: subnets.length };
    },
  }),
  describeSubnet: jdAction({
    service: 'vpc',
    method: 'GET',
    path: '/subnets/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      const subnet = (await ctx.core.listSubnets(ctx.scope)).find((s) => s.id === id) ?? fail('NotFound', { resource: 'subnet', id });
      return { subnet: subnetShape(subnet) };
    },
  }),
  deleteSubnet: jdAction({
    service: 'vpc',
    method: 'DELETE',
    path: '/subnets/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      await ctx.core.deleteSubnet(ctx.scope, id);
      return undefined;
    },
  }),
  createNetworkInterface: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/networkInterfaces/',
    body: jd.obj({
      subnetId: jd.str(),
      az: jd.str().optional(),
      networkInterfaceName: jd.str().optional(),
      primaryIpAddress: jd.str().optional(),
      secondaryIpAddresses: jd.list(jd.str()).optional(),
      secondaryIpCount: jd.uint().optional(),
      securityGroups: groups().optional(),
      sanityCheck: jd.uint().optional(),
      description: jd.str().optional(),
    }),
    query: jd.none(),
    async run(ctx, { body }) {
      // The VPC comes from the subnet (spec §4.13).
      const subnet = (await ctx.core.listSubnets(ctx.scope)).find((s) => s.id === body.subnetId) ?? fail('NotFound', { resource: 'subnet', id: body.subnetId });
      const addresses = [
        ...(body.primaryIpAddress ? [{ address: body.primaryIpAddress, primary: true }] : []),
        ...(body.secondaryIpAddresses ?? []).map((address) => ({ address, primary: false })),
      ];
      const out = await ctx.core.createEni(
        ctx.scope,
        {
          vpcId: subnet.vpcId,
          subnetId: subnet.id,
          name: body.networkInterfaceName ?? '',
          description: body.description,
          // Secondaries named without a primary: the primary comes from the free pool.
          addresses,
          secondaryCount: body.secondaryIpCount,
          securityGroupIds: body.securityGroups,
        },
        ctx.meta,
      );
      return { networkInterfaceId: out.eni.id };
    },
  }),
  describeNetworkInterfaces: jdAction({
    service: 'vpc',
    method: 'GET',
    path: '/networkInterfaces/',
    body: jd.none(),
    query: listQuery(),
    async run(ctx, { query }) {
      // The doc example writes vpcIds/subnetIds, the SDK comment vpcId/subnetId: accept both (spec §4.14).
      const f = filterMap(query, ['networkInterfaceIds', 'networkInterfaceNames', 'vpcId', 'vpcIds', 'subnetId', 'subnetIds', 'role', 'azType', 'azs']);
      const vpcs = [...(f.get('vpcId') ?? []), ...(f.get('vpcIds') ?? [])];
      const subnets = [...(f.get('subnetId') ?? []), ...(f.get('subnetIds') ?? [])];
      // The store narrows by id, VPC and subnet (within its budget of values); the filters below
      // still apply in full, so the answer is the same either way.
      const narrow = [{ field: 'vpcId', anyOf: vpcs }, { field: 'subnetId', anyOf: subnets }] as const;
      let enis = await ctx.core.listEnis(ctx.scope, {
        ...(f.has('networkInterfaceIds') ? { ids: f.get('networkInterfaceIds')! } : {}),
        where: narrow.filter((c) => c.anyOf.length > 0 && c.anyOf.length <= MAX_STORE_VALUES),
      });
      if (vpcs.length) enis = enis.filter((e) => vpcs.includes(e.vpcId));
      if (subnets.length) enis = enis.filter((e) => subnets.includes(e.subnetId));
      if (f.has('networkInterfaceNames')) enis = enis.filter((e) => f.get('networkInterfaceNames')!.includes(e.name));
      if (f.has('role')) enis = enis.filter((e) => f.get('role')!.includes(e.primary ? 'Primary' : 'Secondary'));
      if (f.has('azs')) enis = [];
      const shown = jdPage(enis, query);
      await ctx.core.described(ctx.scope, shown.map((e) => e.id));
      return { networkInterfaces: await eniView(ctx, shown), totalCount: enis.length };
    },
  }),
  describeNetworkInterface: jdAction({
    service: 'vpc',
    method: 'GET',
    path: '/networkInterfaces/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      const eni = await mustEni(ctx, id);
      await ctx.core.described(ctx.scope, [eni.id]);
      const [view] = await eniView(ctx, [eni]);
      return { networkInterface: view };
    },
  }),
  modifyNetworkInterface: jdAction({
    service: 'vpc',
    method: 'PATCH',
    path: '/networkInterfaces/{id}',
    body: jd.obj({ networkInterfaceName: jd.str().optional(), description: jd.str().optional(), securityGroups: groups().optional() }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      await ctx.core.modifyEni(ctx.scope, { eniId: id, name: body.networkInterfaceName, description: body.description, securityGroupIds: body.securityGroups });
      return undefined;
    },
  }),
  deleteNetworkInterface: jdAction({
    service: 'vpc',
    method: 'DELETE',
    path: '/networkInterfaces/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      await ctx.core.deleteEni(ctx.scope, id, ctx.meta);
      return undefined;
    },
  }),
  assignSecondaryIps: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/networkInterfaces/{id}:assignSecondaryIps',
    body: jd.obj({
      force: jd.bool().optional(),
      secondaryIps: jd.list(jd.str()).optional(),
      secondaryIpCount: jd.uint().optional(),
      secondaryIpMaskLen: jd.uint().optional(),
      secondaryIpAddress: jd.str().optional(),
    }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      if (body.secondaryIpMaskLen !== undefined || body.secondaryIpAddress !== undefined) {
        throw invalidArgument('Secondary CIDRs (secondaryIpMaskLen, secondaryIpAddress) are not supported by this service');
      }
      if (!body.secondaryIps?.length && !body.secondaryIpCount) throw invalidArgument('One of secondaryIps and secondaryIpCount is required');
      // `force` (take an address another interface holds) is not supported: a held address is refused.
      await ctx.core.assignIps(ctx.scope, { eniId: id, addresses: body.secondaryIps?.map((address) => ({ address })), secondaryCount: body.secondaryIpCount }, ctx.meta);
      return undefined;
    },
  }),
  unassignSecondaryIps: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/networkInterfaces/{id}:unassignSecondaryIps',
    body: jd.obj({ secondaryIps: jd.list(jd.str()).optional(), secondaryCidrs: jd.list(jd.str()).optional() }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      if (body.secondaryCidrs?.length) throw invalidArgument('Secondary CIDRs are not supported by this service');
      if (!body.secondaryIps?.length) throw invalidArgument('secondaryIps is required');
      await ctx.core.unassignIps(ctx.scope, { eniId: id, addresses: body.secondaryIps }, ctx.meta);
      return undefined;
    },
  }),
  associateElasticIp: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/networkInterfaces/{id}:associateElasticIp',
    body: jd.obj({ elasticIpId: jd.str().optional(), elasticIpAddress: jd.str().optional(), privateIpAddress: jd.str().optional() }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      if (!body.elasticIpId && !body.elasticIpAddress) throw invalidArgument('One of elasticIpId and elasticIpAddress is required');
      await ctx.core.associateEip(ctx.scope, id, { eipId: body.elasticIpId, address: body.elasticIpAddress, privateIp: body.privateIpAddress });
      return undefined;
    },
  }),
  disassociateElasticIp: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/networkInterfaces/{id}:disassociateElasticIp',
    body: jd.obj({ elasticIpId: jd.str().optional(), elasticIpAddress: jd.str().optional() }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      if (!body.elasticIpId && !body.elasticIpAddress) throw invalidArgument('One of elasticIpId and elasticIpAddress is required');
      await ctx.core.disassociateEip(ctx.scope, id, { eipId: body.elasticIpId, address: body.elasticIpAddress });
      return undefined;
    },
  }),
  createElasticIps: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/elasticIps/',
    body: jd.obj({
      maxCount: jd.uint().refine((n) => n >= 1 && n <= 100, { message: 'between 1 and 100' }),
      elasticIpAddress: jd.str().optional(),
      // `az` inside elasticIpSpec is an eniplane extension: the SDK passes it through, and it is the
      // only way to make a zone-bound EIP to exercise the attach rule (spec §4.18).
      elasticIpSpec: jd.obj({ bandwidthMbps: jd.uint(), provider: jd.str(), chargeSpec: jd.obj({}).passthrough().optional(), az: jd.str().optional() }),
      ipType: jd.str().optional(),
      dryRun: jd.bool().optional(),
    }),
    query: jd.none(),
    async run(ctx, { body }) {
      const eips = await ctx.core.createEips(ctx.scope, {
        count: body.maxCount,
        bandwidthMbps: body.elasticIpSpec.bandwidthMbps,
        isp: body.elasticIpSpec.provider,
        az: body.elasticIpSpec.az,
        address: body.elasticIpAddress,
      });
      // The doc shows requestId inside result as well.
      return { elasticIpIds: eips.map((e) => e.id), requestId: ctx.meta.requestId.replace(/-/g, '') };
    },
  }),
  describeElasticIps: jdAction({
    service: 'vpc',
    method: 'GET',
    path: '/elasticIps/',
    body: jd.none(),
    query: listQuery(),
    async run(ctx, { query }) {
      const f = filterMap(query, ['elasticIpIds', 'elasticIpAddress', 'chargeStatus', 'ipType', 'azs', 'bandwidthPackageId', 'status']);
      let eips = await ctx.core.listEips(ctx.scope);
      if (f.has('elasticIpIds')) eips = eips.filter((e) => f.get('elasticIpIds')!.includes(e.id));
      if (f.has('elasticIpAddress')) eips = eips.filter((e) => f.get('elasticIpAddress')!.includes(e.address));
      if (f.has('azs')) eips = eips.filter((e) => f.get('azs')!.includes(e.az));
      const status = f.get('status')?.[0];
      if (status === 'ASSOCIATED') eips = eips.filter((e) => e.eniId);
      if (status === 'NOT_ASSOCIATED') eips = eips.filter((e) => !e.eniId);
      const enis = await ctx.core.listEnis(ctx.scope);
      const holder = (eniId: string | null) => enis.find((e) => e.id === eniId)?.instanceId ?? null;
      return { elasticIps: jdPage(eips, query).map((e) => eipShape(e, holder(e.eniId))), totalCount: eips.length };
    },
  }),
  describeElasticIp: jdAction({
    service: 'vpc',
    method: 'GET',
    path: '/elasticIps/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      const [eip] = await ctx.core.listEips(ctx.scope, [id]);
      if (!eip) fail('NotFound', { resource: 'eip', id });
      const eni = eip.eniId ? (await ctx.core.listEnis(ctx.scope, { ids: [eip.eniId] }))[0] : undefined;
      return { elasticIp: eipShape(eip, eni?.instanceId ?? null) };
    },
  }),
  deleteElasticIp: jdAction({
    service: 'vpc',
    method: 'DELETE',
    path: '/elasticIps/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      await ctx.core.deleteEip(ctx.scope, id);
      return undefined;
    },
  }),
};
