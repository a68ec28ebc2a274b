/** VPC and subnet actions (spec §4.1–4.6). */
import { action, page, RATE } from '../action.ts';
import { t } from '../codec.ts';
import { filterRouteTables, filterSubnets, filterVpcs } from '../filters.ts';
import { routeTableShape, subnetShape, vpcShape } from '../shapes.ts';
import { TcError } from '../tcError.ts';
import { checkPaging, fromTags } from './common.ts';

const ignore = () => t.str().optional();

/** Route publishing to CCN and CDC is not emulated: asking for it is refused, not silently dropped. */
function requireNoPublish(p: { EnableRouteVpcPublish?: boolean | undefined; EnableRouteVpcPublishIpv6?: boolean | undefined; EnableCdcPublish?: boolean | undefined }): void {
  for (const k of ['EnableRouteVpcPublish', 'EnableRouteVpcPublishIpv6', 'EnableCdcPublish'] as const) {
    if (p[k] === true) throw new TcError('UnsupportedOperation', `\`${k}\` is not supported: routes are not published to CCN or CDC.`);
  }
}

/** Booleans these actions take as the strings "true" and "false" (EnableMulticast, EnableBroadcast). */
function boolText(v: string, name: string): boolean {
  const l = v.trim().toLowerCase();
  if (l !== 'true' && l !== 'false') throw new TcError('InvalidParameterValue', `The value of \`${name}\` must be "true" or "false", not \`${v}\`.`);
  return l === 'true';
}

export const vpcActions = {
  CreateVpc: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({
      VpcName: t.str(),
      CidrBlock: t.str(),
      EnableMulticast: t.str().optional(),
      DnsServers: t.list(t.str()).optional(),
      DomainName: t.str().optional(),
      Tags: t.list(t.tag()).optional(),
      EnableRouteVpcPublish: t.bool().optional(),
      EnableRouteVpcPublishIpv6: t.bool().optional(),
    }),
    async run({ core, scope, meta }, p) {
      requireNoPublish(p);
      const vpc = await core.createVpc(
        scope,
        {
          name: p.VpcName,
          cidr: p.CidrBlock,
          enableMulticast: p.EnableMulticast?.toLowerCase() === 'true',
          dnsServers: p.DnsServers,
          domainName: p.DomainName,
          tags: fromTags(p.Tags),
        },
        meta,
      );
      return { Vpc: vpcShape(vpc) };
    },
  }),
  DescribeVpcs: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({
      VpcIds: t.list(t.id('vpc'), 100).optional(),
      Filters: t.list(t.filter()).optional(),
      Offset: t.str().optional(),
      Limit: t.str().optional(),
    }),
    async run({ core, scope }, p) {
      const { offset, limit } = checkPaging(p.Offset, p.Limit);
      if (p.VpcIds?.length && p.Filters?.length) throw new TcError('InvalidParameter.Coexist', 'VpcIds and Filters cannot be given together.');
      let vpcs = await core.listVpcs(scope);
      if (p.VpcIds?.length) vpcs = vpcs.filter((v) => p.VpcIds!.includes(v.id));
      vpcs = filterVpcs(vpcs, p.Filters ?? []);
      return { TotalCount: vpcs.length, VpcSet: page(vpcs, offset, limit).map(vpcShape) };
    },
  }),
  DeleteVpc: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ VpcId: t.id('vpc') }),
    async run({ core, scope }, p) {
      await core.deleteVpc(scope, p.VpcId);
      return {};
    },
  }),
  CreateSubnet: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({
      VpcId: t.id('vpc'),
      SubnetName: t.str(),
      CidrBlock: t.str(),
      Zone: t.str(),
      Tags: t.list(t.tag()).optional(),
      CdcId: ignore(),
    }),
    async run({ core, scope, meta }, p) {
      const subnet = await core.createSubnet(scope, { vpcId: p.VpcId, name: p.SubnetName, cidr: p.CidrBlock, zone: p.Zone, tags: fromTags(p.Tags) }, meta);
      return { Subnet: subnetShape(subnet) };
    },
  }),
  DescribeSubnets: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({
      SubnetIds: t.list(t.id('subnet'), 100).optional(),
      Filters: t.list(t.filter()).optional(),
      Offset: t.str().optional(),
      Limit: t.str().optional(),
      MaxResults: t.uint().optional(),
      NextToken: t.str().optional(),
    }),
    async run({ core, scope }, p) {
      const { offset, limit } = checkPaging(p.Offset, p.Limit);
      if (p.SubnetIds?.length && p.Filters?.length) throw new TcError('InvalidParameter.Coexist', 'SubnetIds and Filters cannot be given together.');
      let subnets = await core.listSubnets(scope);
      if (p.SubnetIds?.length) subnets = subnets.filter((s) => p.SubnetIds!.includes(s.id));
      subnets = filterSubnets(subnets, p.Filters ?? []);
      return { TotalCount: subnets.length, SubnetSet: page(subnets, offset, limit).map(subnetShape) };
    },
  }),
  DeleteSubnet: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ SubnetId: t.id('subnet') }),
    async run({ core, scope }, p) {
      await core.deleteSubnet(scope, p.SubnetId);
      return {};
    },
  }),
  ModifyVpcAttribute: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({
      VpcId: t.id('vpc'),
      VpcName: t.str().optional(),
      EnableMulticast: t.str().optional(),
      DnsServers: t.list(t.str()).optional(),
      DomainName: t.str().optional(),
      EnableRouteVpcPublish: t.bool().optional(),
      EnableCdcPublish: t.bool().optional(),
      EnableRouteVpcPublishIpv6: t.bool().optional(),
    }),
    async run({ core, scope }, p) {
      requireNoPublish(p);
      const multicast = p.EnableMulticast === undefined ? undefined : boolText(p.EnableMulticast, 'EnableMulticast');
      await core.modifyVpc(scope, p.VpcId, { name: p.VpcName, enableMulticast: multicast, dnsServers: p.DnsServers, domainName: p.DomainName });
      return {};
    },
  }),
  ModifySubnetAttribute: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ SubnetId: t.id('subnet'), SubnetName: t.str().optional(), EnableBroadcast: t.str().optional() }),
    async run({ core, scope }, p) {
      const broadcast = p.EnableBroadcast === undefined ? undefined : boolText(p.EnableBroadcast, 'EnableBroadcast');
      await core.modifySubnet(scope, p.SubnetId, { name: p.SubnetName, enableBroadcast: broadcast });
      return {};
    },
  }),
  DescribeRouteTables: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({
      RouteTableIds: t.list(t.str(), 100).optional(),
      Filters: t.list(t.filter()).optional(),
      Offset: t.str().optional(),
      Limit: t.str().optional(),
      NeedRouterInfo: t.bool().optional(),
    }),
    async run({ core, scope }, p) {
      const { offset, limit } = checkPaging(p.Offset, p.Limit);
      if (p.RouteTableIds?.length && p.Filters?.length) throw new TcError('InvalidParameter.Coexist', 'RouteTableIds and Filters cannot be given together.');
      let tables = await core.listRouteTables(scope);
      if (p.RouteTableIds?.length) tables = tables.filter((r) => p.RouteTableIds!.includes(r.id));
      tables = filterRouteTables(tables, p.Filters ?? []);
      return { TotalCount: tables.length, RouteTableSet: page(tables, offset, limit).map(routeTableShape) };
    },
  }),
  DescribeUsedIpAddress: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({
      VpcId: t.id('vpc'),
      SubnetId: t.id('subnet').optional(),
      IpAddresses: t.list(t.str(), 100).optional(),
      Filters: t.list(t.filter()).optional(),
      Offset: t.uint().optional(),
      Limit: t.uint().optional(),
    }),
    async run({ core, scope }, p) {
      const { offset, limit } = checkPaging(p.Offset, p.Limit);
      if (p.IpAddresses?.length && p.Filters?.length) throw new TcError('InvalidParameter.Coexist', 'IpAddresses and Filters cannot be given together.');
      if (p.Filters?.length) throw new TcError('UnsupportedOperation', 'Filters of DescribeUsedIpAddress are not supported; name the addresses.');
      const subnets = p.SubnetId ? [p.SubnetId] : (await core.listSubnets(scope, p.VpcId)).map((x) => x.id);
      if (!(await core.listVpcs(scope)).some((v) => v.id === p.VpcId)) throw new TcError('ResourceNotFound', `The resource \`${p.VpcId}\` does not exist.`);
      const used = [];
      for (const subnetId of subnets) for (const h of await core.addressHolders(scope, p.VpcId, subnetId, p.IpAddresses ?? [])) used.push({ subnetId, ...h });
      return {
        TotalCount: used.length,
        IpAddressStates: page(used, offset, limit).map((u) => ({ VpcId: p.VpcId, SubnetId: u.subnetId, IpAddress: u.address, ResourceType: 'ENI', ResourceId: u.eniId })),
      };
    },
  }),
};
