/** ENI actions (spec §4.7–4.18). Async ones answer with the RequestId that is also their task id. */
import type { AttachType, Eni } from '../../../core/model.ts';
import { action, page, RATE } from '../action.ts';
import { t } from '../codec.ts';
import { eniStoreConditions, filterEnis } from '../filters.ts';
import { eniShape, privateIpShape } from '../shapes.ts';
import { TcError } from '../tcError.ts';
import { checkPaging, fromTags } from './common.ts';
import { z } from 'zod';

/** Associate/DisassociateNetworkInterfaceSecurityGroups: the groups added to, or taken from, every ENI named. */
function regroup(change: 'add' | 'remove') {
  return action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ NetworkInterfaceIds: t.list(t.id('eni'), 100), SecurityGroupIds: t.list(t.str(), 100) }),
    async run({ core, scope }, p) {
      requireSome(p.NetworkInterfaceIds, 'NetworkInterfaceIds');
      requireSome(p.SecurityGroupIds, 'SecurityGroupIds');
      await core.regroupEnis(scope, [...new Set(p.NetworkInterfaceIds)].map((eniId) => ({ eniId, [change]: p.SecurityGroupIds })));
      return {};
    },
  });
}

/** A list that must name at least one thing (an empty one would be a silent no-op). */
function requireSome(list: readonly unknown[], name: string): void {
  if (!list.length) throw new TcError('MissingParameter', `The parameter \`${name}\` must name at least one value.`);
}

const token = () => t.str().refine((s) => s.length <= 64 && /^[\x20-\x7e]*$/.test(s), { params: { tcCode: 'InvalidParameterValue' }, message: 'at most 64 ASCII characters' }).optional();
const attachType = () => t.uint().refine((n) => n === 0 || n === 1, { params: { tcCode: 'InvalidParameterValue.Range' }, message: 'must be 0 or 1' }).optional();
const qos = () => t.str().refine((s) => ['PT', 'AU', 'AG', 'DEFAULT'].includes(s), { params: { tcCode: 'InvalidParameterValue' }, message: 'must be PT, AU, AG or DEFAULT' }).optional();
const ipSpec = () =>
  t.obj({
    PrivateIpAddress: t.str(),
    Primary: t.bool().optional(),
    PublicIpAddress: t.str().optional(),
    AddressId: t.str().optional(),
    Description: t.str().optional(),
    IsWanIpBlocked: t.bool().optional(),
    State: t.str().optional(),
    QosLevel: t.str().optional(),
  });
const ipRequests = (list: Array<z.infer<ReturnType<typeof ipSpec>>> | undefined) =>
  list?.map((i) => ({ address: i.PrivateIpAddress, primary: i.Primary, description: i.Description }));

const createShape = {
  VpcId: t.id('vpc'),
  NetworkInterfaceName: t.str(),
  SubnetId: t.id('subnet'),
  NetworkInterfaceDescription: t.str().optional(),
  SecondaryPrivateIpAddressCount: t.uint().optional(),
  QosLevel: qos(),
  SecurityGroupIds: t.list(t.str()).optional(),
  PrivateIpAddresses: t.list(ipSpec()).optional(),
  Tags: t.list(t.tag()).optional(),
  IsRdma: t.bool().optional(),
  ClientToken: token(),
};

type CreateParams = z.infer<ReturnType<typeof t.obj<typeof createShape>>>;

const createInput = (p: CreateParams) => ({
  vpcId: p.VpcId,
  subnetId: p.SubnetId,
  name: p.NetworkInterfaceName,
  description: p.NetworkInterfaceDescription,
  secondaryCount: p.SecondaryPrivateIpAddressCount,
  qosLevel: p.QosLevel,
  securityGroupIds: p.SecurityGroupIds,
  addresses: ipRequests(p.PrivateIpAddresses),
  tags: fromTags(p.Tags),
});

export const eniActions = {
  CreateNetworkInterface: action({
    product: 'vpc',
    rate: RATE.fast,
    params: t.obj({ ...createShape, TrunkingFlag: t.str().optional() }),
    async run({ core, scope, meta, account }, p) {
      const out = await core.createEni(scope, { ...createInput(p), trunking: p.TrunkingFlag === 'Enable' }, meta);
      return { NetworkInterface: eniShape(out.eni, account.ownerUin), RequestId: out.taskId };
    },
  }),
  CreateAndAttachNetworkInterface: action({
    product: 'vpc',
    rate: RATE.slow,
    params: t.obj({ ...createShape, InstanceId: t.id('ins'), AttachType: attachType() }),
    async run({ core, scope, meta, account }, p) {
      const out = await core.createEni(
        scope,
        { ...createInput(p), attachTo: { instanceId: p.InstanceId, attachType: (p.AttachType ?? 0) as AttachType } },
        meta,
      );
      return { NetworkInterface: eniShape(out.eni, account.ownerUin), RequestId: out.taskId };
    },
  }),
  DescribeNetworkInterfaces: action({
    product: 'vpc',
    rate: RATE.fast,
    params: t.obj({
      NetworkInterfaceIds: t.list(t.id('eni'), 100).optional(),
      Filters: t.list(t.filter()).optional(),
      Offset: t.int().optional(),
      Limit: t.int().optional(),
    }),
    async run({ core, scope, account }, p) {
      const { offset, limit } = checkPaging(p.Offset, p.Limit);
      if (p.NetworkInterfaceIds?.length && p.Filters?.length) {
        throw new TcError('InvalidParameter.Coexist', 'NetworkInterfaceIds and Filters cannot be given together.');
      }
      // What the caller sees is what `polls` tasks count as described.
      const shape = async (enis: Eni[]) => (await core.described(scope, enis.map((e) => e.id)), enis.map((e) => eniShape(e, account.ownerUin)));
      if (p.NetworkInterfaceIds?.length) {
        // Unknown but well-formed ids give an empty set (unconfirmed; Terraform treats both alike).
        const enis = await core.listEnis(scope, { ids: p.NetworkInterfaceIds });
        return { TotalCount: enis.length, NetworkInterfaceSet: await shape(page(enis, offset, limit)) };
      }
      const { where, rest } = eniStoreConditions(p.Filters ?? []);
      if (!rest.length) {
        // Every filter is an indexed equality: the store counts and cuts the page itself.
        const { total, enis } = await core.pageEnis(scope, { where }, { offset, limit });
        return { TotalCount: total, NetworkInterfaceSet: await shape(enis) };
      }
      const enis = filterEnis(await core.listEnis(scope, { where }), rest);
      return { TotalCount: enis.length, NetworkInterfaceSet: await shape(page(enis, offset, limit)) };
    },
  }),
  DeleteNetworkInterface: action({
    product: 'vpc',
    rate: RATE.fast,
    params: t.obj({ NetworkInterfaceId: t.id('eni') }),
    async run({ core, scope, meta }, p) {
      await core.deleteEni(scope, p.NetworkInterfaceId, meta);
      return {};
    },
  }),
  ModifyNetworkInterfaceAttribute: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({
      NetworkInterfaceId: t.id('eni'),
      NetworkInterfaceName: t.str().optional(),
      NetworkInterfaceDescription: t.str().optional(),
      SecurityGroupIds: t.list(t.str()).optional(),
      TrunkingFlag: t.str().optional(),
    }),
    async run({ core, scope }, p) {
      await core.modifyEni(scope, {
        eniId: p.NetworkInterfaceId,
        name: p.NetworkInterfaceName,
        description: p.NetworkInterfaceDescription,
        securityGroupIds: p.SecurityGroupIds,
        trunking: p.TrunkingFlag === undefined ? undefined : p.TrunkingFlag === 'Enable',
      });
      return {};
    },
  }),
  ModifyPrivateIpAddressesAttribute: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ NetworkInterfaceId: t.id('eni'), PrivateIpAddresses: t.list(ipSpec(), 10) }),
    async run({ core, scope }, p) {
      await core.describeIps(scope, p.NetworkInterfaceId, p.PrivateIpAddresses.map((i) => ({ address: i.PrivateIpAddress, description: i.Description ?? '' })));
      return {};
    },
  }),
  // Primary ENIs take their groups from their instance: these two refuse them (docs).
  AssociateNetworkInterfaceSecurityGroups: regroup('add'),
  DisassociateNetworkInterfaceSecurityGroups: regroup('remove'),
  AttachNetworkInterface: action({
    product: 'vpc',
    rate: RATE.fast,
    params: t.obj({ NetworkInterfaceId: t.id('eni'), InstanceId: t.id('ins'), AttachType: attachType(), ClientToken: token() }),
    async run({ core, scope, meta }, p) {
      const out = await core.attachEni(scope, { eniId: p.NetworkInterfaceId, instanceId: p.InstanceId, attachType: (p.AttachType ?? 0) as AttachType }, meta);
      return { RequestId: out.taskId };
    },
  }),
  DetachNetworkInterface: action({
    product: 'vpc',
    rate: RATE.fast,
    params: t.obj({ NetworkInterfaceId: t.id('eni'), InstanceId: t.id('ins'), ClientToken: token() }),
    async run({ core, scope, meta }, p) {
      const out = await core.detachEni(scope, { eniId: p.NetworkInterfaceId, instanceId: p.InstanceId }, meta);
      return { RequestId: out.taskId };
    },
  }),
  MigrateNetworkInterface: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({
      NetworkInterfaceId: t.id('eni'),
      SourceInstanceId: t.id('ins'),
      DestinationInstanceId: t.id('ins'),
      AttachType: attachType(),
    }),
    async run({ core, scope, meta }, p) {
      await core.migrateEni(
        scope,
        {
          eniId: p.NetworkInterfaceId,
          sourceInstanceId: p.SourceInstanceId,
          destinationInstanceId: p.DestinationInstanceId,
          attachType: (p.AttachType ?? 0) as AttachType,
        },
        meta,
      );
      return {};
    },
  }),
  AssignPrivateIpAddresses: action({
    product: 'vpc',
    rate: RATE.fast,
    params: t.obj({
      NetworkInterfaceId: t.id('eni'),
      PrivateIpAddresses: t.list(ipSpec()).optional(),
      SecondaryPrivateIpAddressCount: t.uint().optional(),
      QosLevel: qos(),
      ClientToken: token(),
    }),
    async run({ core, scope, meta }, p) {
      if (!p.PrivateIpAddresses?.length && !p.SecondaryPrivateIpAddressCount) {
        throw new TcError('MissingParameter', 'One of PrivateIpAddresses and SecondaryPrivateIpAddressCount is required.');
      }
      const out = await core.assignIps(
        scope,
        { eniId: p.NetworkInterfaceId, addresses: ipRequests(p.PrivateIpAddresses), secondaryCount: p.SecondaryPrivateIpAddressCount, qosLevel: p.QosLevel },
        meta,
      );
      return { PrivateIpAddressSet: out.ips.map(privateIpShape), RequestId: out.taskId };
    },
  }),
  UnassignPrivateIpAddresses: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ NetworkInterfaceId: t.id('eni'), PrivateIpAddresses: t.list(ipSpec(), 10), InstanceId: t.id('ins').optional() }),
    async run({ core, scope, meta }, p) {
      await core.unassignIps(scope, { eniId: p.NetworkInterfaceId, addresses: p.PrivateIpAddresses.map((i) => i.PrivateIpAddress), instanceId: p.InstanceId }, meta);
      return {};
    },
  }),
  MigratePrivateIpAddress: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ SourceNetworkInterfaceId: t.id('eni'), DestinationNetworkInterfaceId: t.id('eni'), PrivateIpAddress: t.str() }),
    async run({ core, scope, meta }, p) {
      await core.migrateIp(scope, { sourceEniId: p.SourceNetworkInterfaceId, destinationEniId: p.DestinationNetworkInterfaceId, address: p.PrivateIpAddress }, meta);
      return {};
    },
  }),
  DescribeNetworkInterfaceLimit: action({
    product: 'vpc',
    rate: RATE.slow,
    // Accepts either a CVM id or an ENI id (spec §4.18).
    params: t.obj({
      InstanceId: t.str().refine((s) => /^(ins|eni)-[a-z0-9]{8}$/.test(s), { params: { tcCode: 'InvalidParameterValue.Malformed' }, message: 'must be ins-xxxxxxxx or eni-xxxxxxxx' }),
    }),
    async run({ core, scope }, p) {
      const l = await core.eniLimits(scope, p.InstanceId, p.InstanceId.startsWith('eni-') ? 'eni' : 'instance');
      return {
        EniQuantity: l.eniQuantity,
        EniPrivateIpAddressQuantity: l.eniIpQuantity,
        ExtendEniQuantity: l.extendEniQuantity,
        ExtendEniPrivateIpAddressQuantity: l.extendEniIpQuantity,
        SubEniQuantity: l.subEniQuantity,
        SubEniPrivateIpAddressQuantity: l.subEniIpQuantity,
      };
    },
  }),
};
