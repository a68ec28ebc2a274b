/** The CVM slice an ENI control plane needs (spec §5): instances, zones, regions, instance types. */
import { findRegion } from '../../../core/catalog.ts';
import { findInstanceType } from '../../../core/catalog.ts';
import { action, page, RATE } from '../action.ts';
import { t } from '../codec.ts';
import { filterInstances } from '../filters.ts';
import { instanceShape, regionShape, zoneShape } from '../shapes.ts';
import { TcError } from '../tcError.ts';
import { checkPaging, fromTags } from './common.ts';
import { z } from 'zod';

const insId = () => t.id('ins', 'InvalidInstanceId.Malformed');
const ids = () => t.list(insId(), 100);
const token = () =>
  t.str().refine((s) => s.length <= 64, { params: { tcCode: 'InvalidClientToken.TooLong' }, message: 'at most 64 characters' }).optional();
/** Documented RunInstances parameters we accept and do not model (disks, login, billing...). */
const accepted = () => z.unknown().optional();

export const cvmActions = {
  RunInstances: action({
    product: 'cvm',
    rate: RATE.default,
    params: t.obj({
      Placement: t.obj({ Zone: t.str(), ProjectId: t.int().optional(), HostIds: accepted(), HostIps: accepted(), DedicatedClusterId: accepted() }),
      InstanceType: t.str().optional(),
      VirtualPrivateCloud: t.obj({
        VpcId: t.id('vpc', 'InvalidParameterValue.VpcIdMalformed'),
        SubnetId: t.id('subnet', 'InvalidParameterValue.SubnetIdMalformed'),
        PrivateIpAddresses: t.list(t.str(), 20).optional(),
        AsVpcGateway: t.bool().optional(),
        Ipv6AddressCount: t.uint().optional(),
      }),
      InstanceCount: t
        .int()
        .refine((n) => n >= 1 && n <= 500, { params: { tcCode: 'InvalidParameterValue.Range' }, message: 'must be between 1 and 500' })
        .optional(),
      InstanceName: t.str().optional(),
      ImageId: t.str().optional(),
      ClientToken: token(),
      DryRun: t.bool().optional(),
      SecurityGroupIds: t.list(t.str()).optional(),
      InstanceChargeType: t.str().optional(),
      TagSpecification: t.list(t.obj({ ResourceType: t.str(), Tags: t.list(t.tag()) })).optional(),
      SystemDisk: accepted(),
      DataDisks: accepted(),
      InternetAccessible: accepted(),
      LoginSettings: accepted(),
      EnhancedService: accepted(),
      HostName: accepted(),
      UserData: accepted(),
      InstanceChargePrepaid: accepted(),
      ActionTimer: accepted(),
      DisasterRecoverGroupIds: accepted(),
      CamRoleName: accepted(),
      HpcClusterId: accepted(),
      LaunchTemplate: accepted(),
      Metadata: accepted(),
      DisableApiTermination: accepted(),
    }),
    async run({ core, scope, meta }, p) {
      const tags = p.TagSpecification?.filter((s) => s.ResourceType === 'instance').flatMap((s) => fromTags(s.Tags) ?? []);
      const out = await core.runInstances(
        scope,
        {
          zone: p.Placement.Zone,
          vpcId: p.VirtualPrivateCloud.VpcId,
          subnetId: p.VirtualPrivateCloud.SubnetId,
          instanceType: p.InstanceType,
          count: p.InstanceCount ?? 1,
          name: p.InstanceName,
          imageId: p.ImageId,
          privateIps: p.VirtualPrivateCloud.PrivateIpAddresses,
          securityGroupIds: p.SecurityGroupIds,
          tags,
          chargeType: p.InstanceChargeType,
          dryRun: p.DryRun,
        },
        meta,
      );
      return { InstanceIdSet: out.instanceIds, RequestId: out.taskId };
    },
  }),
  DescribeInstances: action({
    product: 'cvm',
    rate: RATE.default,
    params: t.obj({
      InstanceIds: ids().optional(),
      Filters: t.list(t.filter(), 10).optional(),
      Offset: t.int().optional(),
      Limit: t.int().optional(),
    }),
    async run({ core, scope }, p) {
      const { offset, limit } = checkPaging(p.Offset, p.Limit);
      if (p.InstanceIds?.length && p.Filters?.length) throw new TcError('InvalidParameterCombination', 'InstanceIds and Filters cannot be given together.');
      for (const f of p.Filters ?? []) {
        if (f.Values.length > 5) throw new TcError('InvalidFilterValue.LimitExceeded', `The filter \`${f.Name}\` has more than 5 values.`);
      }
      const all = filterInstances(await core.listInstances(scope, p.InstanceIds?.length ? p.InstanceIds : undefined), p.Filters ?? []);
      return {
        TotalCount: all.length,
        InstanceSet: page(all, offset, limit).map((i) => instanceShape(i, findInstanceType(core.catalog, scope.provider, i.instanceType))),
      };
    },
  }),
  StartInstances: action({
    product: 'cvm',
    rate: RATE.default,
    params: t.obj({ InstanceIds: ids() }),
    async run({ core, scope, meta }, p) {
      await core.changePower(scope, 'start', requireIds(p.InstanceIds), meta);
      return {};
    },
  }),
  StopInstances: action({
    product: 'cvm',
    rate: RATE.default,
    params: t.obj({
      InstanceIds: ids(),
      StopType: t.str().refine((s) => ['SOFT', 'HARD', 'SOFT_FIRST'].includes(s), { params: { tcCode: 'InvalidParameterValue' }, message: 'must be SOFT, HARD or SOFT_FIRST' }).optional(),
      ForceStop: t.bool().optional(),
      StoppedMode: t.str().refine((s) => ['KEEP_CHARGING', 'STOP_CHARGING'].includes(s), { params: { tcCode: 'InvalidParameterValue' }, message: 'must be KEEP_CHARGING or STOP_CHARGING' }).optional(),
    }),
    async run({ core, scope, meta }, p) {
      if (p.ForceStop !== undefined && p.StopType !== undefined) throw new TcError('InvalidParameterCombination', 'ForceStop and StopType cannot be given together.');
      await core.changePower(scope, 'stop', requireIds(p.InstanceIds), meta);
      return {};
    },
  }),
  TerminateInstances: action({
    product: 'cvm',
    rate: RATE.default,
    params: t.obj({ InstanceIds: ids(), ReleaseAddress: t.bool().optional(), ReleasePrepaidDataDisks: t.bool().optional() }),
    async run({ core, scope, meta }, p) {
      await core.changePower(scope, 'terminate', requireIds(p.InstanceIds), meta);
      return {};
    },
  }),
  DescribeInstanceTypeConfigs: action({
    product: 'cvm',
    rate: RATE.default,
    params: t.obj({ Filters: t.list(t.filter(), 10).optional() }),
    async run({ core, scope }, p) {
      const region = findRegion(core.catalog, scope.provider, scope.region)!;
      const want: Record<string, string> = {};
      for (const f of p.Filters ?? []) {
        if (!['zone', 'instance-family', 'instance-type'].includes(f.Name)) throw new TcError('InvalidFilter', `The filter \`${f.Name}\` is not supported.`);
        if (f.Values.length !== 1) throw new TcError('InvalidFilterValue.LimitExceeded', `The filter \`${f.Name}\` takes exactly one value.`);
        want[f.Name] = f.Values[0]!;
      }
      const set = [];
      for (const z of region.zones) {
        if (want.zone && want.zone !== z.zone) continue;
        for (const it of core.catalog.providers[scope.provider].instanceTypes) {
          if (want['instance-family'] && want['instance-family'] !== it.family) continue;
          if (want['instance-type'] && want['instance-type'] !== it.type) continue;
          set.push({ Zone: z.zone, InstanceType: it.type, InstanceFamily: it.family, GPU: it.gpu ?? 0, CPU: it.cpu, Memory: it.memory, FPGA: 0, GpuCount: it.gpu ?? 0 });
        }
      }
      return { InstanceTypeConfigSet: set };
    },
  }),
  DescribeZones: action({
    product: 'cvm',
    rate: RATE.default,
    params: t.obj({}),
    async run({ core, scope, language }) {
      const region = findRegion(core.catalog, scope.provider, scope.region)!;
      return { TotalCount: region.zones.length, ZoneSet: region.zones.map((z) => zoneShape(z, language)) };
    },
  }),
  DescribeRegions: action({
    product: 'cvm',
    rate: RATE.default,
    regional: false,
    params: t.obj({}),
    async run({ core, scope, language }) {
      const regions = core.catalog.providers[scope.provider].regions;
      return { TotalCount: regions.length, RegionSet: regions.map((r) => regionShape(r, language)) };
    },
  }),
};

function requireIds(list: string[]): string[] {
  if (!list.length) throw new TcError('MissingParameter', 'The request is missing a required parameter `InstanceIds`.');
  if (new Set(list).size !== list.length) throw new TcError('InvalidParameterValue', 'InstanceIds contains duplicates.');
  return list;
}

