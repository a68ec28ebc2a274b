/**
 * API 2.0 security groups, served on dfw.api.qcloud.com (the legacy "安全组相关接口"): groups, their
 * policies, and the ENI actions ModifySecurityGroupsOfNetworkInterface and
 * DescribeNetworkInterfacesOfSecurityGroup. Policies are one list per direction; a policy with no
 * cidrIp or sgId matches every address, one with no portRange every port.
 */
import type { RuleSpec, SecurityGroup, SecurityGroupRule } from '../../../core/model.ts';
import { action2, p2, pageOf } from '../action.ts';
import { beijingTime } from '../../shared/time.ts';
import { PUBLIC } from '../tc2Error.ts';

const policy = () =>
  p2.obj({
    ipProtocol: p2.str().optional(),
    cidrIp: p2.str().optional(),
    sgId: p2.str().optional(),
    portRange: p2.str().optional(),
    desc: p2.str().optional(),
    action: p2.str().optional(),
  });

type Policy2 = ReturnType<typeof policy>['_output'];

function ruleOf(p: Policy2): RuleSpec {
  if (p.cidrIp !== undefined && p.sgId !== undefined) throw PUBLIC.invalidParameter('A policy names cidrIp or sgId, not both.');
  const all = p.cidrIp === undefined && p.sgId === undefined;
  return {
    protocol: p.ipProtocol ?? 'ALL',
    ports: p.portRange ?? 'ALL',
    ...(all ? { cidr: '0.0.0.0/0' } : p.sgId !== undefined ? { peerGroupId: p.sgId } : { cidr: p.cidrIp! }),
    action: p.action ?? 'ACCEPT',
    ...(p.desc !== undefined ? { description: p.desc } : {}),
  };
}

function policyShape(r: SecurityGroupRule, index: number, version: number): Record<string, unknown> {
  return {
    index,
    ipProtocol: r.protocol.toLowerCase(),
    ...(r.peerGroupId ? { sgId: r.peerGroupId } : { cidrIp: r.cidr || r.ipv6Cidr }),
    portRange: r.ports.toLowerCase() === 'all' ? 'all' : r.ports,
    desc: r.description,
    action: r.action,
    version,
  };
}

function group2Shape(g: SecurityGroup, members: number): Record<string, unknown> {
  return {
    sgId: g.id,
    sgName: g.name,
    sgRemark: g.description,
    createTime: beijingTime(g.createdAt),
    projectId: Number(g.projectId),
    beAssociateCount: members,
    version: g.policyVersion,
  };
}

export const dfw2Actions = {
  CreateSecurityGroup: action2({
    host: 'dfw',
    rate: 20,
    params: p2.obj({ sgName: p2.str(), sgRemark: p2.str().optional(), projectId: p2.uint().optional() }),
    async run(ctx, p) {
      const g = await ctx.core.createSecurityGroup(ctx.scope, { name: p.sgName, description: p.sgRemark, projectId: String(p.projectId ?? 0) }, ctx.meta);
      return { data: { sgId: g.id, sgName: g.name, sgRemark: g.description } };
    },
  }),
  DescribeSecurityGroupEx: action2({
    host: 'dfw',
    rate: 20,
    params: p2.obj({ projectId: p2.uint().optional(), sgId: p2.str().optional(), sgName: p2.str().optional(), offset: p2.uint().optional(), offsetLine: p2.uint().optional(), limit: p2.uint().optional() }),
    async run(ctx, p) {
      if (p.offset !== undefined && p.offsetLine !== undefined) throw PUBLIC.invalidParameter('(offset) and (offsetLine) cannot be given together.');
      let groups = await ctx.core.listSecurityGroups(ctx.scope, p.sgId ? { ids: [p.sgId] } : {});
      if (p.projectId !== undefined) groups = groups.filter((g) => Number(g.projectId) === p.projectId);
      if (p.sgName) groups = groups.filter((g) => g.name.includes(p.sgName!));
      const limit = p.limit ?? 20;
      // `offset` counts pages, `offsetLine` rows.
      const shown = pageOf(groups, p.offsetLine ?? (p.offset ?? 0) * limit, limit);
      const use = shown.length ? await ctx.core.securityGroupUse(ctx.scope, shown.map((g) => g.id)) : [];
      return { data: { totalNum: groups.length, detail: shown.map((g, i) => group2Shape(g, use[i]!.enis.length + use[i]!.instances.length)) } };
    },
  }),
  ModifySecurityGroupAttributes: action2({
    host: 'dfw',
    rate: 20,
    params: p2.obj({ sgId: p2.str(), sgName: p2.str().optional(), sgRemark: p2.str().optional() }),
    async run(ctx, p) {
      await ctx.core.modifySecurityGroup(ctx.scope, p.sgId, { name: p.sgName, description: p.sgRemark });
      return {};
    },
  }),
  DeleteSecurityGroup: action2({
    host: 'dfw',
    rate: 20,
    params: p2.obj({ sgId: p2.str() }),
    async run(ctx, p) {
      await ctx.core.deleteSecurityGroup(ctx.scope, p.sgId);
      return {};
    },
  }),
  DescribeSecurityGroupPolicys: action2({
    host: 'dfw',
    rate: 20,
    params: p2.obj({ sgId: p2.str() }),
    async run(ctx, p) {
      const g = await ctx.core.getSecurityGroup(ctx.scope, p.sgId);
      const of = (d: 'ingress' | 'egress') => g.rules.filter((r) => r.direction === d).map((r, i) => policyShape(r, i, g.policyVersion));
      return { data: { ingress: of('ingress'), egress: of('egress') } };
    },
  }),
  ModifySecurityGroupPolicys: action2({
    host: 'dfw',
    rate: 20,
    params: p2.obj({ sgId: p2.str(), ingress: p2.list(policy(), 100).optional(), egress: p2.list(policy(), 100).optional() }),
    async run(ctx, p) {
      // Both lists are replaced; a list not given becomes empty.
      await ctx.core.replaceSecurityGroupRules(ctx.scope, p.sgId, { rules: { ingress: (p.ingress ?? []).map(ruleOf), egress: (p.egress ?? []).map(ruleOf) } });
      return {};
    },
  }),
  ModifySecurityGroupsOfNetworkInterface: action2({
    host: 'dfw',
    rate: 20,
    params: p2.obj({ networkInterfaceSet: p2.list(p2.obj({ networkInterfaceId: p2.str(), sgIds: p2.list(p2.str()).optional() }), 100) }),
    async run(ctx, p) {
      if (!p.networkInterfaceSet.length) throw PUBLIC.invalidParameter('(networkInterfaceSet) must name at least one ENI.');
      await ctx.core.regroupEnis(ctx.scope, p.networkInterfaceSet.map((n) => ({ eniId: n.networkInterfaceId, set: n.sgIds ?? [] })));
      return {};
    },
  }),
  DescribeNetworkInterfacesOfSecurityGroup: action2({
    host: 'dfw',
    rate: 20,
    params: p2.obj({ sgId: p2.str() }),
    async run(ctx, p) {
      const [use] = await ctx.core.securityGroupUse(ctx.scope, [p.sgId]);
      const enis = [...use!.primaryEnis, ...use!.enis].sort();
      return { data: { totalCount: enis.length, networkInterfaceSet: enis.map((networkInterfaceId) => ({ networkInterfaceId })) } };
    },
  }),
};
