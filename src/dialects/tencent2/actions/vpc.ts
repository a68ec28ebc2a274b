/** API 2.0 VPC and subnet actions (spec §3.1–3.6). */
import { action2, p2, pageOf, sortBy } from '../action.ts';
import { subnet2Shape, vpc2Shape, zoneById, zoneIdOf } from '../shapes.ts';
import { PUBLIC } from '../tc2Error.ts';
import type { Core } from '../../../core/api.ts';
import { fail } from '../../../core/errors.ts';
import type { Scope } from '../../../core/model.ts';

const subnetSpec = () => p2.obj({ subnetName: p2.str(), cidrBlock: p2.str(), zoneId: p2.uint() });

function toSpecs(core: Core, scope: Scope, list: Array<{ subnetName: string; cidrBlock: string; zoneId: number }>) {
  return list.map((s) => ({
    name: s.subnetName,
    cidr: s.cidrBlock,
    // An unknown zone id becomes a zone name the core reports as not found in this region.
    zone: zoneById(core.catalog, scope.region, s.zoneId) ?? String(s.zoneId),
  }));
}

async function devicesByVpc(core: Core, scope: Scope): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const e of await core.listEnis(scope)) out.set(e.vpcId, (out.get(e.vpcId) ?? 0) + 1);
  return out;
}

export const vpc2Actions = {
  CreateVpc: action2({
    host: 'vpc',
    rate: 20,
    params: p2.obj({ vpcName: p2.str(), cidrBlock: p2.str(), subnetSet: p2.list(subnetSpec()).optional() }),
    async run(ctx, p) {
      const vpc = await ctx.core.createVpc(ctx.scope, { name: p.vpcName, cidr: p.cidrBlock, subnets: toSpecs(ctx.core, ctx.scope, p.subnetSet ?? []) }, ctx.meta);
      return {
        vpcId: vpc.id,
        unVpcId: vpc.id,
        // The doc table says unVpcId, the sample and early Terraform code uniqVpcId: answer both.
        uniqVpcId: vpc.id,
        vpcCreateTime: vpc2Shape(vpc, { subnets: 0, devices: 0 }).createTime,
        subnetSet: vpc.subnets.map((s) => ({
          subnetId: s.id,
          unSubnetId: s.id,
          routeTableId: s.routeTableId,
          subnetName: s.name,
          cidrBlock: s.cidr,
          zoneId: zoneIdOf(ctx.core.catalog, s.zone),
        })),
        // The VPC's main route table, made with it (the one 3.0 DescribeRouteTables reports).
        routeTableSet: [{ routeTableId: vpc.routeTableId, routeTableType: 1, routeTableName: 'default' }],
      };
    },
  }),
  DescribeVpcEx: action2({
    host: 'vpc',
    rate: 20,
    params: p2.obj({
      vpcId: p2.str().optional(),
      vpcName: p2.str().optional(),
      offset: p2.uint().optional(),
      limit: p2.uint().optional(),
      orderField: p2.str().optional(),
      orderDirection: p2.order(),
    }),
    async run(ctx, p) {
      let vpcs = await ctx.core.listVpcs(ctx.scope);
      // A vpcId that matches nothing gives an empty list (unconfirmed; Terraform handles both).
      if (p.vpcId) vpcs = vpcs.filter((v) => v.id === p.vpcId);
      if (p.vpcName) vpcs = vpcs.filter((v) => v.name.includes(p.vpcName!));
      vpcs = sortBy(vpcs, (v) => (p.orderField === 'vpcName' ? v.name : v.createdAt), p.orderDirection);
      const subnets = await ctx.core.listSubnets(ctx.scope);
      const devices = await devicesByVpc(ctx.core, ctx.scope);
      return {
        totalCount: vpcs.length,
        data: pageOf(vpcs, p.offset, p.limit).map((v) =>
          vpc2Shape(v, { subnets: subnets.filter((s) => s.vpcId === v.id).length, devices: devices.get(v.id) ?? 0 }),
        ),
      };
    },
  }),
  DeleteVpc: action2({
    host: 'vpc',
    rate: 20,
    params: p2.obj({ vpcId: p2.str() }),
    async run(ctx, p) {
      await ctx.core.deleteVpc(ctx.scope, p.vpcId);
      return {};
    },
  }),
  CreateSubnet: action2({
    host: 'vpc',
    rate: 20,
    params: p2.obj({ vpcId: p2.str(), subnetSet: p2.list(subnetSpec()) }),
    async run(ctx, p) {
      if (!p.subnetSet.length) throw PUBLIC.invalidParameter('(subnetSet) at least one subnet is required.');
      const subnets = await ctx.core.createSubnets(ctx.scope, p.vpcId, toSpecs(ctx.core, ctx.scope, p.subnetSet), ctx.meta);
      return {
        subnetSet: subnets.map((s) => ({
          subnetId: s.id,
          unSubnetId: s.id,
          subnetName: s.name,
          cidrBlock: s.cidr,
          routeTableId: s.routeTableId,
          unRouteTableId: null,
          zoneId: zoneIdOf(ctx.core.catalog, s.zone),
        })),
      };
    },
  }),
  DescribeSubnetEx: action2({
    host: 'vpc',
    rate: 20,
    params: p2.obj({
      vpcId: p2.str().optional(),
      subnetId: p2.str().optional(),
      subnetName: p2.str().optional(),
      zoneIds: p2.list(p2.uint()).optional(),
      offset: p2.uint().optional(),
      limit: p2.uint().optional(),
      orderField: p2.str().optional(),
      orderDirection: p2.order(),
      getAclIdFlag: p2.uint().optional(),
    }),
    async run(ctx, p) {
      const vpcs = await ctx.core.listVpcs(ctx.scope);
      if (p.vpcId && !vpcs.some((v) => v.id === p.vpcId)) fail('NotFound', { resource: 'vpc', id: p.vpcId });
      let subnets = await ctx.core.listSubnets(ctx.scope, p.vpcId || undefined);
      if (p.subnetId) subnets = subnets.filter((s) => s.id === p.subnetId);
      if (p.subnetName) subnets = subnets.filter((s) => s.name.includes(p.subnetName!));
      if (p.zoneIds?.length) subnets = subnets.filter((s) => p.zoneIds!.includes(zoneIdOf(ctx.core.catalog, s.zone)));
      subnets = sortBy(subnets, (s) => (p.orderField === 'subnetName' ? s.name : s.createdAt), p.orderDirection);
      // Devices are counted as in DescribeVpcEx (ENIs, primaries included: every instance once, plus
      // its secondary ENIs), so a VPC's vpcDeviceNum is the sum of its subnets' vpcDevices.
      const enis = await ctx.core.listEnis(ctx.scope);
      return {
        totalCount: subnets.length,
        data: pageOf(subnets, p.offset, p.limit).map((s) =>
          subnet2Shape(
            ctx.core.catalog,
            s,
            vpcs.find((v) => v.id === s.vpcId),
            enis.filter((e) => e.subnetId === s.id).length,
          ),
        ),
      };
    },
  }),
  DeleteSubnet: action2({
    host: 'vpc',
    rate: 20,
    params: p2.obj({ vpcId: p2.str(), subnetId: p2.str() }),
    async run(ctx, p) {
      const subnets = await ctx.core.listSubnets(ctx.scope);
      if (!(await ctx.core.listVpcs(ctx.scope)).some((v) => v.id === p.vpcId)) fail('NotFound', { resource: 'vpc', id: p.vpcId });
      if (!subnets.some((s) => s.id === p.subnetId && s.vpcId === p.vpcId)) fail('NotFound', { resource: 'subnet', id: p.subnetId });
      await ctx.core.deleteSubnet(ctx.scope, p.subnetId);
      return {};
    },
  }),
};
