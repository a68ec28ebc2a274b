/**
 * Security group actions of the VPC product (2017-03-12). Tencent names rules by their place in each
 * direction's list (PolicyIndex); the rules' version (SecurityGroupPolicySet.Version) guards edits.
 */
import type { RuleDirection } from '../../../core/model.ts';
import type { RuleSpec, RuleSpecs } from '../../../core/model.ts';
import { action, page, RATE } from '../action.ts';
import { t } from '../codec.ts';
import { filterSecurityGroups } from '../filters.ts';
import { policySetShape, securityGroupShape } from '../shapes.ts';
import { TcError } from '../tcError.ts';
import { checkPaging, fromTags } from './common.ts';
import type { z } from 'zod';

const sgId = () => t.id('sg');

const policy = () =>
  t.obj({
    PolicyIndex: t.int().optional(),
    Protocol: t.str().optional(),
    Port: t.str().optional(),
    ServiceTemplate: t.obj({ ServiceId: t.str().optional(), ServiceGroupId: t.str().optional() }).optional(),
    CidrBlock: t.str().optional(),
    Ipv6CidrBlock: t.str().optional(),
    SecurityGroupId: t.str().optional(),
    AddressTemplate: t.obj({ AddressId: t.str().optional(), AddressGroupId: t.str().optional() }).optional(),
    Action: t.str().optional(),
    PolicyDescription: t.str().optional(),
    ModifyTime: t.str().optional(),
  });

type Policy = z.infer<ReturnType<typeof policy>>;

const policySet = () =>
  t.obj({
    Version: t.str().optional(),
    Egress: t.list(policy()).optional(),
    Ingress: t.list(policy()).optional(),
  });

type PolicySet = z.infer<ReturnType<typeof policySet>>;

/** Service and address templates are objects this emulator does not hold: a rule naming one is refused. */
function ruleOf(p: Policy): RuleSpec {
  if (p.ServiceTemplate?.ServiceId || p.ServiceTemplate?.ServiceGroupId || p.AddressTemplate?.AddressId || p.AddressTemplate?.AddressGroupId) {
    throw new TcError('UnsupportedOperation', 'Parameter templates (ServiceTemplate, AddressTemplate) are not supported.');
  }
  return {
    ...(p.Protocol !== undefined ? { protocol: p.Protocol } : {}),
    ...(p.Port !== undefined ? { ports: p.Port } : {}),
    ...(p.CidrBlock !== undefined ? { cidr: p.CidrBlock } : {}),
    ...(p.Ipv6CidrBlock !== undefined ? { ipv6Cidr: p.Ipv6CidrBlock } : {}),
    ...(p.SecurityGroupId !== undefined ? { peerGroupId: p.SecurityGroupId } : {}),
    ...(p.Action !== undefined ? { action: p.Action } : {}),
    ...(p.PolicyDescription !== undefined ? { description: p.PolicyDescription } : {}),
  };
}

function specsOf(set: PolicySet | undefined): RuleSpecs {
  return {
    ...(set?.Ingress ? { ingress: set.Ingress.map(ruleOf) } : {}),
    ...(set?.Egress ? { egress: set.Egress.map(ruleOf) } : {}),
  };
}

/** Version is the number DescribeSecurityGroupPolicies reports; an empty one means "any". */
function versionOf(set: PolicySet | undefined): number | undefined {
  const v = set?.Version;
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new TcError('InvalidParameterValue.Malformed', `The policy set version \`${v}\` is not a number.`);
  return Number(v);
}

/** The one direction a call may change; Tencent edits one direction per call. */
function oneDirection(set: PolicySet): RuleDirection {
  const dirs = (['Ingress', 'Egress'] as const).filter((k) => set[k]?.length);
  if (dirs.length > 1) throw new TcError('InvalidParameter.Coexist', 'SecurityGroupPolicySet.Ingress and SecurityGroupPolicySet.Egress cannot be given together.');
  if (!dirs.length) throw new TcError('InvalidParameterValue.Empty', 'SecurityGroupPolicySet must hold Ingress or Egress policies.');
  return dirs[0] === 'Ingress' ? 'ingress' : 'egress';
}

const createParams = {
  GroupName: t.str(),
  GroupDescription: t.str(),
  ProjectId: t.str().optional(),
  Tags: t.list(t.tag()).optional(),
};

export const securityGroupActions = {
  CreateSecurityGroup: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj(createParams),
    async run({ core, scope, meta }, p) {
      const g = await core.createSecurityGroup(scope, { name: p.GroupName, description: p.GroupDescription, projectId: p.ProjectId, tags: fromTags(p.Tags) }, meta);
      return { SecurityGroup: securityGroupShape(g) };
    },
  }),
  CreateSecurityGroupWithPolicies: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ ...createParams, SecurityGroupPolicySet: policySet().optional() }),
    async run({ core, scope, meta }, p) {
      const g = await core.createSecurityGroup(
        scope,
        { name: p.GroupName, description: p.GroupDescription, projectId: p.ProjectId, tags: fromTags(p.Tags), rules: specsOf(p.SecurityGroupPolicySet) },
        meta,
      );
      return { SecurityGroup: securityGroupShape(g) };
    },
  }),
  DescribeSecurityGroups: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({
      SecurityGroupIds: t.list(t.str(), 100).optional(),
      Filters: t.list(t.filter()).optional(),
      Offset: t.str().optional(),
      Limit: t.str().optional(),
      OrderField: t.str().optional(),
      OrderDirection: t.str().optional(),
    }),
    async run({ core, scope }, p) {
      const { offset, limit } = checkPaging(p.Offset, p.Limit);
      if (p.SecurityGroupIds?.length && p.Filters?.length) throw new TcError('InvalidParameter.Coexist', 'SecurityGroupIds and Filters cannot be given together.');
      let groups = await core.listSecurityGroups(scope, p.SecurityGroupIds?.length ? { ids: p.SecurityGroupIds } : {});
      groups = filterSecurityGroups(groups, p.Filters ?? []);
      if (p.OrderDirection?.toUpperCase() === 'DESC') groups.reverse();
      return { TotalCount: groups.length, SecurityGroupSet: page(groups, offset, limit).map(securityGroupShape) };
    },
  }),
  ModifySecurityGroupAttribute: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ SecurityGroupId: sgId(), GroupName: t.str().optional(), GroupDescription: t.str().optional() }),
    async run({ core, scope }, p) {
      await core.modifySecurityGroup(scope, p.SecurityGroupId, { name: p.GroupName, description: p.GroupDescription });
      return {};
    },
  }),
  DeleteSecurityGroup: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ SecurityGroupId: sgId() }),
    async run({ core, scope }, p) {
      await core.deleteSecurityGroup(scope, p.SecurityGroupId);
      return {};
    },
  }),
  DescribeSecurityGroupPolicies: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ SecurityGroupId: sgId(), Filters: t.list(t.filter()).optional() }),
    async run({ core, scope }, p) {
      if (p.Filters?.length) throw new TcError('UnsupportedOperation', 'Filters of DescribeSecurityGroupPolicies are not supported.');
      return { SecurityGroupPolicySet: policySetShape(await core.getSecurityGroup(scope, p.SecurityGroupId)) };
    },
  }),
  CreateSecurityGroupPolicies: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ SecurityGroupId: sgId(), SecurityGroupPolicySet: policySet() }),
    async run({ core, scope }, p) {
      const set = p.SecurityGroupPolicySet;
      const d = oneDirection(set);
      const list = (d === 'ingress' ? set.Ingress : set.Egress)!;
      // Every policy of the call goes in at one place: the first one's PolicyIndex, else the end.
      const at = list[0]!.PolicyIndex;
      if (list.some((x) => x.PolicyIndex !== at)) throw new TcError('InvalidParameter', 'Every policy of one call must have the same PolicyIndex.');
      await core.addSecurityGroupRules(scope, p.SecurityGroupId, { rules: specsOf(set), ...(at !== undefined ? { at } : {}), version: versionOf(set) });
      return {};
    },
  }),
  DeleteSecurityGroupPolicies: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ SecurityGroupId: sgId(), SecurityGroupPolicySet: policySet() }),
    async run({ core, scope }, p) {
      const set = p.SecurityGroupPolicySet;
      const direction = oneDirection(set);
      const list = (direction === 'ingress' ? set.Ingress : set.Egress)!;
      // Policies are named by PolicyIndex, or, all of them without one, by their content.
      const indexed = list.filter((x) => x.PolicyIndex !== undefined);
      if (indexed.length && indexed.length !== list.length) throw new TcError('InvalidParameter', 'Name every policy by PolicyIndex, or none.');
      const select = indexed.length ? { direction, indexes: indexed.map((x) => x.PolicyIndex!) } : { direction, matching: list.map(ruleOf) };
      await core.removeSecurityGroupRules(scope, p.SecurityGroupId, { select, version: versionOf(set) });
      return {};
    },
  }),
  ModifySecurityGroupPolicies: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ SecurityGroupId: sgId(), SecurityGroupPolicySet: policySet(), SortPolicys: t.bool().optional() }),
    async run({ core, scope }, p) {
      const set = p.SecurityGroupPolicySet;
      // The set given becomes the group's rules, both directions (a direction left out is emptied);
      // Version "0" clears every rule. Modify checks no version (its docs list no VersionMismatch,
      // and Terraform sends the next one).
      const clear = set.Version === '0';
      await core.replaceSecurityGroupRules(scope, p.SecurityGroupId, { rules: clear ? { ingress: [], egress: [] } : specsOf(set), clearOmitted: true });
      return {};
    },
  }),
  ReplaceSecurityGroupPolicy: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ SecurityGroupId: sgId(), SecurityGroupPolicySet: policySet(), OriginalSecurityGroupPolicySet: policySet().optional() }),
    async run({ core, scope }, p) {
      const set = p.SecurityGroupPolicySet;
      const direction = oneDirection(set);
      const list = (direction === 'ingress' ? set.Ingress : set.Egress)!;
      if (list.length !== 1 || list[0]!.PolicyIndex === undefined) throw new TcError('InvalidParameter', 'Give exactly one policy, with its PolicyIndex.');
      const edits = [{ at: { direction, index: list[0]!.PolicyIndex }, rule: ruleOf(list[0]!) }];
      await core.replaceSecurityGroupRule(scope, p.SecurityGroupId, { edits, version: versionOf(set) });
      return {};
    },
  }),
  DescribeSecurityGroupAssociationStatistics: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ SecurityGroupIds: t.list(sgId(), 100) }),
    async run({ core, scope }, p) {
      const use = await core.securityGroupUse(scope, p.SecurityGroupIds);
      // An instance counts once, under CVM: its primary ENI is not counted again under ENI (our
      // reading; the docs do not say).
      return {
        SecurityGroupAssociationStatisticsSet: use.map((u) => ({
          SecurityGroupId: u.securityGroupId,
          CVM: u.instances.length,
          CDB: 0,
          ENI: u.enis.length,
          SG: u.referencedBy.length,
          CLB: 0,
          InstanceStatistics: [
            { InstanceType: 'CVM', InstanceCount: u.instances.length },
            { InstanceType: 'ENI', InstanceCount: u.enis.length },
          ],
          TotalCount: u.instances.length + u.enis.length + u.referencedBy.length,
        })),
      };
    },
  }),
};
