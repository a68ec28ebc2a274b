/** API 2.0 ENI actions (spec §3.7–3.16). Every ENI call names its VPC; an ENI elsewhere is not found. */
import { fail } from '../../../core/errors.ts';
import { action2, p2, pageOf, sortBy, taskAnswer } from '../action.ts';
import { taskOutput } from '../errors.ts';
import { eni2Shape } from '../shapes.ts';
import { PUBLIC } from '../tc2Error.ts';

const ipSpec = () => p2.obj({ privateIpAddress: p2.str(), primary: p2.bool().optional() });
const ENI_RATE = 100;

export const eni2Actions = {
  CreateNetworkInterface: action2({
    host: 'vpc',
    rate: ENI_RATE,
    params: p2.obj({
      vpcId: p2.str(),
      subnetId: p2.str(),
      eniName: p2.str(),
      eniDescription: p2.str().optional(),
      privateIpAddressSet: p2.list(ipSpec()).optional(),
      secondaryPrivateIpAddressCount: p2.uint().optional(),
      sgIds: p2.list(p2.str()).optional(),
    }),
    async run(ctx, p) {
      const out = await ctx.core.createEni(
        ctx.scope,
        {
          vpcId: p.vpcId,
          subnetId: p.subnetId,
          name: p.eniName,
          description: p.eniDescription,
          addresses: p.privateIpAddressSet?.map((i) => ({ address: i.privateIpAddress, primary: i.primary })),
          secondaryCount: p.secondaryPrivateIpAddressCount,
          securityGroupIds: p.sgIds,
        },
        ctx.meta,
      );
      // The documented output has only taskId; the new id is added so a caller can find its ENI
      // (spec §3.7 recommendation; extra fields are ignored by the SDKs).
      return taskAnswer(ctx, out.taskId, { networkInterfaceId: out.eni.id });
    },
  }),
  DescribeNetworkInterfaces: action2({
    host: 'vpc',
    rate: ENI_RATE,
    params: p2.obj({
      vpcId: p2.str().optional(),
      subnetId: p2.str().optional(),
      networkInterfaceId: p2.str().optional(),
      eniName: p2.str().optional(),
      eniDescription: p2.str().optional(),
      instanceId: p2.str().optional(),
      sgId: p2.str().optional(),
      offset: p2.uint().optional(),
      limit: p2.uint().optional(),
      orderField: p2.str().optional(),
      orderDirection: p2.order(),
    }),
    async run(ctx, p) {
      if ((p.limit ?? 20) > 50) throw PUBLIC.invalidParameter('(limit) must be at most 50.');
      const vpcs = await ctx.core.listVpcs(ctx.scope);
      if (p.vpcId && !vpcs.some((v) => v.id === p.vpcId)) fail('NotFound', { resource: 'vpc', id: p.vpcId });
      // The store narrows by the indexed fields; the filters below still apply in full.
      let enis = await ctx.core.listEnis(ctx.scope, {
        ...(p.networkInterfaceId ? { ids: [p.networkInterfaceId] } : {}),
        ...(p.vpcId ? { vpcId: p.vpcId } : {}),
        ...(p.subnetId ? { subnetId: p.subnetId } : {}),
        ...(p.instanceId ? { instanceId: p.instanceId } : {}),
      });
      if (p.vpcId) enis = enis.filter((e) => e.vpcId === p.vpcId);
      if (p.subnetId) enis = enis.filter((e) => e.subnetId === p.subnetId);
      if (p.eniName) enis = enis.filter((e) => e.name.includes(p.eniName!));
      if (p.eniDescription) enis = enis.filter((e) => e.description.includes(p.eniDescription!));
      if (p.instanceId) enis = enis.filter((e) => e.instanceId === p.instanceId);
      if (p.sgId) enis = enis.filter((e) => e.securityGroupIds.includes(p.sgId!));
      enis = sortBy(enis, (e) => (p.orderField === 'eniName' ? e.name : e.createdAt), p.orderDirection);
      const names = new Map(vpcs.map((v) => [v.id, v.name]));
      const groups = new Map((await ctx.core.listSecurityGroups(ctx.scope)).map((g) => [g.id, g]));
      // The list is data.data with data.totalNum beside it (spec §3.8).
      const shown = pageOf(enis, p.offset, p.limit);
      await ctx.core.described(ctx.scope, shown.map((e) => e.id));
      return {
        data: { totalNum: enis.length, data: shown.map((e) => eni2Shape(ctx.core.catalog, e, names.get(e.vpcId) ?? '', groups)) },
      };
    },
  }),
  DeleteNetworkInterface: action2({
    host: 'vpc',
    rate: ENI_RATE,
    params: p2.obj({ vpcId: p2.str(), networkInterfaceId: p2.str() }),
    async run(ctx, p) {
      return taskAnswer(ctx, (await ctx.core.deleteEni(ctx.scope, p.networkInterfaceId, ctx.meta, p.vpcId)).taskId);
    },
  }),
  AttachNetworkInterface: action2({
    host: 'vpc',
    rate: ENI_RATE,
    params: p2.obj({ vpcId: p2.str(), networkInterfaceId: p2.str(), instanceId: p2.str() }),
    async run(ctx, p) {
      const out = await ctx.core.attachEni(ctx.scope, { eniId: p.networkInterfaceId, instanceId: p.instanceId, attachType: 0, vpcId: p.vpcId }, ctx.meta);
      return taskAnswer(ctx, out.taskId);
    },
  }),
  DetachNetworkInterface: action2({
    host: 'vpc',
    rate: ENI_RATE,
    params: p2.obj({ vpcId: p2.str(), networkInterfaceId: p2.str(), instanceId: p2.str() }),
    async run(ctx, p) {
      const out = await ctx.core.detachEni(ctx.scope, { eniId: p.networkInterfaceId, instanceId: p.instanceId, vpcId: p.vpcId }, ctx.meta);
      return taskAnswer(ctx, out.taskId);
    },
  }),
  MigrateNetworkInterface: action2({
    host: 'vpc',
    rate: 20,
    params: p2.obj({ vpcId: p2.str(), networkInterfaceId: p2.str(), oldInstanceId: p2.str(), newInstanceId: p2.str() }),
    async run(ctx, p) {
      const out = await ctx.core.migrateEni(
        ctx.scope,
        { eniId: p.networkInterfaceId, sourceInstanceId: p.oldInstanceId, destinationInstanceId: p.newInstanceId, attachType: 0, vpcId: p.vpcId },
        ctx.meta,
      );
      return taskAnswer(ctx, out.taskId);
    },
  }),
  AssignPrivateIpAddresses: action2({
    host: 'vpc',
    rate: ENI_RATE,
    params: p2.obj({
      vpcId: p2.str(),
      networkInterfaceId: p2.str(),
      privateIpAddressSet: p2.list(ipSpec()).optional(),
      secondaryPrivateIpAddressCount: p2.uint().optional(),
    }),
    async run(ctx, p) {
      if (!p.privateIpAddressSet?.length && !p.secondaryPrivateIpAddressCount) {
        throw PUBLIC.invalidParameter('(privateIpAddressSet, secondaryPrivateIpAddressCount) one of the two is required.');
      }
      const out = await ctx.core.assignIps(
        ctx.scope,
        {
          eniId: p.networkInterfaceId,
          addresses: p.privateIpAddressSet?.map((i) => ({ address: i.privateIpAddress, primary: i.primary })),
          secondaryCount: p.secondaryPrivateIpAddressCount,
          vpcId: p.vpcId,
        },
        ctx.meta,
      );
      return taskAnswer(ctx, out.taskId);
    },
  }),
  UnassignPrivateIpAddresses: action2({
    host: 'vpc',
    rate: 20,
    params: p2.obj({ vpcId: p2.str(), networkInterfaceId: p2.str(), privateIpAddress: p2.list(p2.str()) }),
    async run(ctx, p) {
      if (!p.privateIpAddress.length) throw PUBLIC.invalidParameter('(privateIpAddress) at least one address is required.');
      return taskAnswer(ctx, (await ctx.core.unassignIps(ctx.scope, { eniId: p.networkInterfaceId, addresses: p.privateIpAddress, vpcId: p.vpcId }, ctx.meta)).taskId);
    },
  }),
  MigratePrivateIpAddress: action2({
    host: 'vpc',
    rate: 20,
    params: p2.obj({ vpcId: p2.str(), privateIpAddress: p2.str(), oldNetworkInterfaceId: p2.str(), newNetworkInterfaceId: p2.str() }),
    async run(ctx, p) {
      const out = await ctx.core.migrateIp(
        ctx.scope,
        { sourceEniId: p.oldNetworkInterfaceId, destinationEniId: p.newNetworkInterfaceId, address: p.privateIpAddress, vpcId: p.vpcId },
        ctx.meta,
      );
      return taskAnswer(ctx, out.taskId);
    },
  }),
  DescribeVpcTaskResult: action2({
    host: 'vpc',
    rate: 20,
    params: p2.obj({ taskId: p2.uint(), type: p2.str().optional() }),
    async run(ctx, p) {
      const task = await ctx.core.getTask(ctx.scope, { seq: p.taskId });
      // 0 = succeeded, 1 = failed, 2 = running (spec §3.16).
      const status = task.status === 'SUCCESS' ? 0 : task.status === 'FAILED' ? 1 : 2;
      return { data: status === 1 ? { status, output: taskOutput(task.errorCode, task.errorMessage) } : { status } };
    },
  }),
};
