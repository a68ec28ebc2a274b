/** JD Cloud vm operations (spec §4.1–4.10). Each acts on one instance; changes go through tasks. */
import { findZone } from '../../../core/catalog.ts';
import { fail } from '../../../core/errors.ts';
import type { Instance } from '../../../core/model.ts';
import { filterMap, jd, jdAction, jdPage, listQuery, type JdContext } from '../action.ts';
import { JD_STATUS } from '../errors.ts';
import { JdError, invalidArgument } from '../jdError.ts';
import { instanceShape, instanceTypeShape } from '../shapes.ts';

async function mustInstance(ctx: JdContext, id: string): Promise<Instance & { primaryIps: string[] }> {
  return (await ctx.core.listInstances(ctx.scope, [id]))[0] ?? fail('NotFound', { resource: 'instance', id });
}

/** The instance filters of spec §4.5/§4.6; `elasticIpAddress` is OR-ed with `networkInterfaceId`. */
async function filteredInstances(ctx: JdContext, f: Map<string, string[]>) {
  const enis = await ctx.core.listEnis(ctx.scope);
  const eips = await ctx.core.listEips(ctx.scope);
  let all = await ctx.core.listInstances(ctx.scope, f.get('instanceId'));
  const has = (name: string, value: string) => f.get(name)!.includes(value);
  if (f.has('privateIpAddress')) all = all.filter((i) => i.primaryIps.some((ip) => f.get('privateIpAddress')!.some((v) => ip.includes(v))));
  if (f.has('az')) all = all.filter((i) => has('az', i.zone));
  if (f.has('vpcId')) all = all.filter((i) => has('vpcId', i.vpcId));
  if (f.has('subnetId')) all = all.filter((i) => has('subnetId', i.subnetId));
  if (f.has('status')) all = all.filter((i) => has('status', JD_STATUS[i.state] ?? ''));
  if (f.has('name')) all = all.filter((i) => i.name.includes(f.get('name')![0]!));
  if (f.has('imageId')) all = all.filter((i) => has('imageId', i.imageId));
  if (f.has('instanceType')) all = all.filter((i) => has('instanceType', i.instanceType));
  if (f.has('networkInterfaceId') || f.has('elasticIpAddress')) {
    const viaEip = eips.filter((e) => f.get('elasticIpAddress')?.includes(e.address)).map((e) => e.eniId);
    const wanted = new Set([...(f.get('networkInterfaceId') ?? []), ...viaEip]);
    all = all.filter((i) => enis.some((e) => e.instanceId === i.id && wanted.has(e.id)));
  }
  for (const unsupported of ['agId', 'faultDomain', 'dedicatedHostId', 'dedicatedPoolId']) if (f.has(unsupported)) all = [];
  return { all, enis, eips };
}

/** Security group ids to names, for vm's NIC view. */
async function groupNames(ctx: JdContext): Promise<Map<string, string>> {
  return new Map((await ctx.core.listSecurityGroups(ctx.scope)).map((g) => [g.id, g.name]));
}

const INSTANCE_FILTERS = ['instanceId', 'privateIpAddress', 'az', 'vpcId', 'status', 'name', 'imageId', 'networkInterfaceId', 'subnetId', 'agId', 'faultDomain', 'dedicatedHostId', 'dedicatedPoolId', 'instanceType', 'elasticIpAddress'];

const primaryNic = () =>
  jd.obj({
    subnetId: jd.str(),
    primaryIpAddress: jd.str().optional(),
    networkInterfaceName: jd.str().optional(),
    secondaryIpAddresses: jd.list(jd.str()).optional(),
    secondaryIpCount: jd.uint().optional(),
    securityGroups: jd.list(jd.str(), 5).optional(),
    sanityCheck: jd.uint().optional(),
    description: jd.str().optional(),
  });

export const vmOps = {
  attachNetworkInterface: jdAction({
    service: 'vm',
    method: 'POST',
    path: '/instances/{id}:attachNetworkInterface',
    body: jd.obj({ networkInterfaceId: jd.str(), autoDelete: jd.bool().optional() }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      await ctx.core.attachEni(ctx.scope, { eniId: body.networkInterfaceId, instanceId: id, attachType: 0, autoDelete: body.autoDelete ?? false }, ctx.meta);
      return undefined;
    },
  }),
  detachNetworkInterface: jdAction({
    service: 'vm',
    method: 'POST',
    path: '/instances/{id}:detachNetworkInterface',
    body: jd.obj({ networkInterfaceId: jd.str() }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      await ctx.core.detachEni(ctx.scope, { eniId: body.networkInterfaceId, instanceId: id }, ctx.meta);
      return undefined;
    },
  }),
  modifyInstanceNetworkAttribute: jdAction({
    service: 'vm',
    method: 'POST',
    path: '/instances/{id}:modifyInstanceNetworkAttribute',
    body: jd.obj({ networks: jd.list(jd.obj({ networkInterfaceId: jd.str(), autoDelete: jd.bool() })) }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      await ctx.core.setAutoDelete(ctx.scope, id, body.networks.map((n) => ({ eniId: n.networkInterfaceId, autoDelete: n.autoDelete })));
      return undefined;
    },
  }),
  describeInstance: jdAction({
    service: 'vm',
    method: 'GET',
    path: '/instances/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      const instance = await mustInstance(ctx, id);
      await ctx.core.described(ctx.scope, [instance.id]);
      const enis = await ctx.core.listEnis(ctx.scope, { instanceId: id });
      const eips = await ctx.core.listEips(ctx.scope);
      return { instance: instanceShape(instance, enis, eips, await groupNames(ctx)) };
    },
  }),
  describeInstances: jdAction({
    service: 'vm',
    method: 'GET',
    path: '/instances',
    body: jd.none(),
    query: listQuery(),
    async run(ctx, { query }) {
      const { all, enis, eips } = await filteredInstances(ctx, filterMap(query, INSTANCE_FILTERS));
      const names = await groupNames(ctx);
      const shown = jdPage(all, query);
      await ctx.core.described(ctx.scope, shown.map((i) => i.id));
      return {
        instances: shown.map((i) => instanceShape(i, enis.filter((e) => e.instanceId === i.id), eips, names)),
        totalCount: all.length,
      };
    },
  }),
  describeInstanceStatus: jdAction({
    service: 'vm',
    method: 'GET',
    path: '/instanceStatus',
    body: jd.none(),
    query: listQuery(),
    async run(ctx, { query }) {
      const { all } = await filteredInstances(ctx, filterMap(query, INSTANCE_FILTERS.filter((n) => !['az', 'instanceType', 'elasticIpAddress', 'dedicatedHostId', 'dedicatedPoolId'].includes(n))));
      return { instanceStatuses: jdPage(all, query).map((i) => ({ instanceId: i.id, status: JD_STATUS[i.state] })), totalCount: all.length };
    },
  }),
  createInstances: jdAction({
    service: 'vm',
    method: 'POST',
    path: '/instances',
    body: jd.obj({
      instanceSpec: jd.obj({
        az: jd.str(),
        instanceType: jd.str().optional(),
        imageId: jd.str().optional(),
        name: jd.str(),
        hostname: jd.str().optional(),
        password: jd.str().optional(),
        keyNames: jd.list(jd.str()).optional(),
        description: jd.str().optional(),
        primaryNetworkInterface: jd.obj({ networkInterface: primaryNic(), deviceIndex: jd.uint().optional(), autoDelete: jd.bool().optional() }),
        elasticIp: jd.obj({}).passthrough().optional(),
      }).passthrough(),
      maxCount: jd.uint().optional(),
      clientToken: jd.str().refine((s) => s.length <= 64, { message: 'at most 64 characters' }).optional(),
    }),
    query: jd.none(),
    async run(ctx, { body }) {
      const spec = body.instanceSpec;
      const count = body.maxCount ?? 1;
      if (count < 1 || count > 100) throw new JdError(400, 'OUT_OF_RANGE', 'Maxcount out of range');
      if (!spec.imageId) throw invalidArgument('Parameter InstanceSpec.ImageId missing');
      if (spec.elasticIp) throw invalidArgument('instanceSpec.elasticIp is not supported here: create an elastic IP and associate it');
      const nic = spec.primaryNetworkInterface.networkInterface;
      if (nic.primaryIpAddress && count !== 1) throw new JdError(400, 'OUT_OF_RANGE', 'Maxcount out of range');
      if (!findZone(ctx.core.catalog, 'jdcloud', spec.az) || findZone(ctx.core.catalog, 'jdcloud', spec.az)!.region.region !== ctx.scope.region) {
        throw invalidArgument(`Invalid az '${spec.az}'`);
      }
      const subnet = (await ctx.core.listSubnets(ctx.scope)).find((s) => s.id === nic.subnetId) ?? fail('NotFound', { resource: 'subnet', id: nic.subnetId });
      const out = await ctx.core.runInstances(
        ctx.scope,
        {
          zone: spec.az,
          vpcId: subnet.vpcId,
          subnetId: subnet.id,
          instanceType: spec.instanceType,
          count,
          name: spec.name,
          imageId: spec.imageId,
          privateIps: nic.primaryIpAddress ? [nic.primaryIpAddress] : undefined,
          securityGroupIds: nic.securityGroups,
        },
        { ...ctx.meta, clientToken: body.clientToken },
      );
      return { instanceIds: out.instanceIds };
    },
  }),
  deleteInstance: jdAction({
    service: 'vm',
    method: 'DELETE',
    path: '/instances/{id}',
    body: jd.none(),
    query: jd.none(),
    async run(ctx, { id }) {
      await ctx.core.changePower(ctx.scope, 'terminate', [id], ctx.meta);
      return undefined;
    },
  }),
  startInstance: jdAction({
    service: 'vm',
    method: 'POST',
    path: '/instances/{id}:startInstance',
    body: jd.obj({}),
    query: jd.none(),
    async run(ctx, { id }) {
      await ctx.core.changePower(ctx.scope, 'start', [id], ctx.meta);
      return undefined;
    },
  }),
  stopInstance: jdAction({
    service: 'vm',
    method: 'POST',
    path: '/instances/{id}:stopInstance',
    body: jd.obj({ chargeOnStopped: jd.str().refine((s) => s === 'keepCharging' || s === 'stopCharging', { message: 'keepCharging or stopCharging' }).optional() }),
    query: jd.none(),
    async run(ctx, { id }) {
      await ctx.core.changePower(ctx.scope, 'stop', [id], ctx.meta);
      return undefined;
    },
  }),
  describeInstanceTypes: jdAction({
    service: 'vm',
    method: 'GET',
    path: '/instanceTypes',
    body: jd.none(),
    query: listQuery().extend({ serviceName: jd.str().optional() }),
    async run(ctx, { query }) {
      const f = filterMap(query, ['instanceTypes', 'az', 'architecture']);
      let types = ctx.core.catalog.providers.jdcloud.instanceTypes;
      if (f.has('instanceTypes')) types = types.filter((t) => f.get('instanceTypes')!.includes(t.type));
      if (f.has('architecture') && !f.get('architecture')!.includes('x86_64')) types = [];
      const shapes = types.map((t) => instanceTypeShape(ctx.core.catalog, ctx.scope.region, t));
      return { instanceTypes: shapes, specificInstanceTypes: [], totalCount: shapes.length };
    },
  }),
  associateElasticIp: jdAction({
    service: 'vm',
    method: 'POST',
    path: '/instances/{id}:associateElasticIp',
    body: jd.obj({ elasticIpId: jd.str() }),
    query: jd.none(),
    async run(ctx, { id, body }) {
      await ctx.core.associateEipToInstance(ctx.scope, id, { eipId: body.elasticIpId });
      return undefined;
    },
  }),
};
