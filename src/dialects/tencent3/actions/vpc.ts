/** VPC and subnet actions (spec §4.1–4.6). */
import { action, page, RATE } from '../action.ts';
import { t } from '../codec.ts';
import { filterSubnets, filterVpcs } from '../filters.ts';
import { subnetShape, vpcShape } from '../shapes.ts';
import { TcError } from '../tcError.ts';
import { checkPaging, fromTags } from './common.ts';

const ignore = () => t.str().optional();

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
};
