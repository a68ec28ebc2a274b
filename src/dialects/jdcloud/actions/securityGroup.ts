/**
 * JD Cloud vpc networkSecurityGroup operations. Groups belong to one VPC; rules are named by ruleId,
 * their protocol by number (300 all, 6 TCP, 17 UDP, 1 ICMP) and their direction as 0 in / 1 out.
 */
import type { RuleDirection, RuleSpec, SecurityGroup, SecurityGroupRule } from '../../../core/model.ts';
import { filterMap, jd, jdAction, jdPage, listQuery, type JdContext } from '../action.ts';
import { invalidArgument } from '../jdError.ts';
import { JD_PROTOCOL, securityGroupRuleShape, securityGroupShape } from '../shapes.ts';

const PROTOCOL_OF = new Map(Object.entries(JD_PROTOCOL).map(([name, n]) => [n, name]));

const ruleSpec = () =>
  jd.obj({
    protocol: jd.int(),
    direction: jd.int(),
    addressPrefix: jd.str(),
    fromPort: jd.int().optional(),
    toPort: jd.int().optional(),
    description: jd.str().optional(),
    ruleAction: jd.str().optional(),
    ipVersion: jd.int().optional(),
  });

const modifySpec = () =>
  jd.obj({
    ruleId: jd.str(),
    protocol: jd.int().optional(),
    fromPort: jd.int().optional(),
    toPort: jd.int().optional(),
    addressPrefix: jd.str().optional(),
    description: jd.str().optional(),
    ruleAction: jd.str().optional(),
  });

function protocolName(n: number): string {
  const name = PROTOCOL_OF.get(n);
  if (!name) throw invalidArgument(`Request parameter protocol is '${n}', expected one of [300,6,17,1]`);
  return name;
}

function direction(n: number): RuleDirection {
  if (n !== 0 && n !== 1) throw invalidArgument(`Request parameter direction is '${n}', expected one of [0,1]`);
  return n === 0 ? 'ingress' : 'egress';
}

/** JD's fromPort/toPort as the neutral port text; TCP/UDP default to every port. */
function portsOf(protocol: string, from: number | undefined, to: number | undefined): string {
  if (protocol !== 'TCP' && protocol !== 'UDP') return 'ALL';
  const f = from ?? 1;
  const t = to ?? 65535;
  if (f < 1 || t > 65535 || f > t) throw invalidArgument(`Invalid parameter fromPort/toPort '${f}-${t}': ports are 1 to 65535, fromPort not above toPort`);
  return f === 1 && t === 65535 ? 'ALL' : f === t ? String(f) : `${f}-${t}`;
}

function actionOf(ruleAction: string | undefined): string | undefined {
  if (ruleAction === undefined) return undefined;
  if (ruleAction !== 'ALLOW' && ruleAction !== 'DENY') throw invalidArgument(`Request parameter ruleAction is '${ruleAction}', expected one of [ALLOW,DENY]`);
  return ruleAction === 'ALLOW' ? 'ACCEPT' : 'DROP';
}

function target(prefix: string): Pick<RuleSpec, 'cidr' | 'ipv6Cidr'> {
  return prefix.includes(':') ? { ipv6Cidr: prefix } : { cidr: prefix };
}

async function view(ctx: JdContext, groups: SecurityGroup[]): Promise<Array<Record<string, unknown>>> {
  const use = groups.length ? await ctx.core.securityGroupUse(ctx.scope, groups.map((g) => g.id)) : [];
  return groups.map((g, i) => securityGroupShape(g, [...use[i]!.primaryEnis, ...use[i]!.enis].sort()));
}

export const securityGroupOps = {
  createNetworkSecurityGroup: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/networkSecurityGroups/',
    body: jd.obj({ vpcId: jd.str(), networkSecurityGroupName: jd.str(), description: jd.str().optional() }),
    query: jd.none(),
    async run(ctx, { body }) {
      const g = await ctx.core.createSecurityGroup(ctx.scope, { vpcId: body.vpcId, name: body.networkSecurityGroupName, description: body.description }, ctx.meta);
      return { networkSecurityGroupId: g.id };
    },
  }),
  describeNetworkSecurityGroups: jdAction({
    service: 'vpc',
    method: 'GET',
    path: '/networkSecurityGroups/',
    body: jd.none(),
    query: listQuery(),
    async run(ctx, { query }) {
      const f = filterMap(query, ['networkSecurityGroupIds', 'networkSecurityGroupNames', 'vpcId']);
      let groups = await ctx.core.listSecurityGroups(ctx.scope, f.has('networkSecurityGroupIds') ? { ids: f.get('networkSecurityGroupIds')! } : {});
      if (f.has('networkSecurityGroupNames')) groups = groups.filter((g) => f.get('networkSecurityGroupNames')!.includes(g.name));
      if (f.has('vpcId')) groups = groups.filter((g) => f.get('vpcId')!.includes(g.vpcId));
      return { networkSecurityGroups: await view(ctx, jdPage(groups, query)), totalCount: groups.length };
    },
  }),
  describeNetworkSecurityGroup: jdAction({
    service: 'vpc',
    method: 'GET',
    path: '/networkSecurityGroups/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      const [shown] = await view(ctx, [await ctx.core.getSecurityGroup(ctx.scope, id)]);
      return { networkSecurityGroup: shown };
    },
  }),
  modifyNetworkSecurityGroup: jdAction({
    service: 'vpc',
    method: 'PATCH',
    path: '/networkSecurityGroups/{id}',
    body: jd.obj({ networkSecurityGroupName: jd.str().optional(), description: jd.str().optional() }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      await ctx.core.modifySecurityGroup(ctx.scope, id, { name: body.networkSecurityGroupName, description: body.description });
      return undefined;
    },
  }),
  deleteNetworkSecurityGroup: jdAction({
    service: 'vpc',
    method: 'DELETE',
    path: '/networkSecurityGroups/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      await ctx.core.deleteSecurityGroup(ctx.scope, id);
      return undefined;
    },
  }),
  addNetworkSecurityGroupRules: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/networkSecurityGroups/{id}:addNetworkSecurityGroupRules',
    body: jd.obj({ networkSecurityGroupRuleSpecs: jd.list(ruleSpec(), 100) }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      const rules: Record<RuleDirection, RuleSpec[]> = { ingress: [], egress: [] };
      for (const r of body.networkSecurityGroupRuleSpecs) {
        const protocol = protocolName(r.protocol);
        const action = actionOf(r.ruleAction);
        rules[direction(r.direction)].push({
          protocol,
          ports: portsOf(protocol, r.fromPort, r.toPort),
          ...target(r.addressPrefix),
          ...(action ? { action } : {}),
          ...(r.description !== undefined ? { description: r.description } : {}),
        });
      }
      const g = await ctx.core.addSecurityGroupRules(ctx.scope, id, { rules });
      // Newer API versions answer with the rules made; older ones with nothing (both parse).
      return { securityGroupRules: g.added.map(securityGroupRuleShape) };
    },
  }),
  removeNetworkSecurityGroupRules: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/networkSecurityGroups/{id}:removeNetworkSecurityGroupRules',
    body: jd.obj({ ruleIds: jd.list(jd.str(), 100) }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      await ctx.core.removeSecurityGroupRules(ctx.scope, id, { select: { ids: body.ruleIds } });
      return undefined;
    },
  }),
  modifyNetworkSecurityGroupRules: jdAction({
    service: 'vpc',
    method: 'POST',
    path: '/networkSecurityGroups/{id}:modifyNetworkSecurityGroupRules',
    body: jd.obj({ modifySecurityGroupRuleSpecs: jd.list(modifySpec(), 100) }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      // Each change keeps what it does not name; the direction never changes. All apply or none,
      // each worked out from the rule as it is in the same transaction.
      const edits = body.modifySecurityGroupRuleSpecs.map((m) => ({
        at: { id: m.ruleId },
        rule: (r: SecurityGroupRule): RuleSpec => {
          const protocol = m.protocol === undefined ? r.protocol : protocolName(m.protocol);
          const keepPorts = m.fromPort === undefined && m.toPort === undefined && protocol === r.protocol;
          return {
            protocol,
            ports: keepPorts ? r.ports : portsOf(protocol, m.fromPort, m.toPort),
            ...(m.addressPrefix !== undefined ? target(m.addressPrefix) : r.peerGroupId ? { peerGroupId: r.peerGroupId } : { cidr: r.cidr, ipv6Cidr: r.ipv6Cidr }),
            action: actionOf(m.ruleAction) ?? r.action,
            description: m.description ?? r.description,
          };
        },
      }));
      await ctx.core.replaceSecurityGroupRule(ctx.scope, id, { edits });
      return undefined;
    },
  }),
};
