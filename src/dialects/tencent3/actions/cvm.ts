/** The CVM slice an ENI control plane needs (spec §5): instances, zones, regions, instance types. */
import { findRegion } from '../../../core/catalog.ts';
import { findInstanceType, type ImageInfo, type InstanceTypeInfo } from '../../../core/catalog.ts';
import { action, page, RATE } from '../action.ts';
import { t } from '../codec.ts';
import { filterInstances, filterPlain } from '../filters.ts';
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
      UserData: t.str().optional(),
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
          userData: p.UserData,
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
      const shown = page(all, offset, limit);
      await core.described(scope, shown.map((i) => i.id));
      return {
        TotalCount: all.length,
        InstanceSet: shown.map((i) => instanceShape(i, findInstanceType(core.catalog, scope.provider, i.instanceType))),
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
  DescribeImages: action({
    product: 'cvm',
    rate: RATE.default,
    params: t.obj({
      ImageIds: t.list(t.str(), 100).optional(),
      Filters: t.list(t.filter(), 10).optional(),
      Offset: t.uint().optional(),
      Limit: t.uint().optional(),
      InstanceType: t.str().optional(),
    }),
    async run({ core, scope }, p) {
      const { offset, limit } = checkPaging(p.Offset, p.Limit);
      if (p.ImageIds?.length && p.Filters?.length) throw new TcError('InvalidParameter.InvalidParameterCoexistImageIdsFilters', 'ImageIds and Filters cannot be given together.');
      if (p.InstanceType !== undefined && !findInstanceType(core.catalog, scope.provider, p.InstanceType)) {
        throw new TcError('InvalidParameterValue.InstanceTypeNotFound', `The instance type \`${p.InstanceType}\` does not exist.`);
      }
      let images = core.catalog.providers[scope.provider].images;
      if (p.ImageIds?.length) images = images.filter((i) => p.ImageIds!.includes(i.id));
      images = filterPlain(images, p.Filters ?? [], IMAGE_FILTERS);
      return { TotalCount: images.length, ImageSet: page(images, offset, limit).map(imageShape) };
    },
  }),
  DescribeInstancesAttributes: action({
    product: 'cvm',
    rate: RATE.default,
    params: t.obj({ InstanceIds: ids(), Attributes: t.list(t.str()) }),
    async run({ core, scope }, p) {
      for (const a of p.Attributes) if (a !== 'UserData') throw new TcError('InvalidParameterValue', `The attribute \`${a}\` is not supported; UserData is.`);
      const instances = await core.listInstances(scope, requireIds(p.InstanceIds));
      return { InstanceSet: instances.map((i) => ({ InstanceId: i.id, Attributes: { UserData: i.userData } })) };
    },
  }),
  ModifyInstancesAttribute: action({
    product: 'cvm',
    rate: RATE.default,
    params: t.obj({
      InstanceIds: ids(),
      InstanceName: t.str().optional(),
      SecurityGroups: t.list(t.str()).optional(),
      UserData: t.str().optional(),
      HostName: accepted(),
      DisableApiTermination: accepted(),
      CamRoleName: accepted(),
      CamRoleType: accepted(),
      AutoReboot: accepted(),
    }),
    async run({ core, scope }, p) {
      if (p.InstanceName === undefined && p.SecurityGroups === undefined && p.UserData === undefined) {
        throw new TcError('UnsupportedOperation', 'Only InstanceName, SecurityGroups and UserData can be changed by this service.');
      }
      await core.modifyInstances(scope, requireIds(p.InstanceIds), { name: p.InstanceName, securityGroupIds: p.SecurityGroups, userData: p.UserData });
      return {};
    },
  }),
  DescribeZoneInstanceConfigInfos: action({
    product: 'cvm',
    rate: RATE.default,
    params: t.obj({ Filters: t.list(t.filter(), 10).optional() }),
    async run({ core, scope }, p) {
      const region = findRegion(core.catalog, scope.provider, scope.region)!;
      const want = new Map<string, string[]>();
      for (const f of p.Filters ?? []) {
        if (!['zone', 'instance-family', 'instance-type', 'instance-charge-type', 'sort-keys', 'external.'].some((n) => f.Name === n || (n.endsWith('.') && f.Name.startsWith(n)))) {
          throw new TcError('InvalidFilter', `The filter \`${f.Name}\` is not supported.`);
        }
        want.set(f.Name, f.Values);
      }
      const ok = (name: string, v: string) => !want.has(name) || want.get(name)!.includes(v);
      const set = [];
      for (const z of region.zones) {
        if (!ok('zone', z.zone)) continue;
        for (const it of core.catalog.providers[scope.provider].instanceTypes) {
          if (!ok('instance-family', it.family) || !ok('instance-type', it.type) || !ok('instance-charge-type', 'POSTPAID_BY_HOUR')) continue;
          set.push(instanceQuotaShape(z.zone, it));
        }
      }
      return { InstanceTypeQuotaSet: set };
    },
  }),
};

function requireIds(list: string[]): string[] {
  if (!list.length) throw new TcError('MissingParameter', 'The request is missing a required parameter `InstanceIds`.');
  if (new Set(list).size !== list.length) throw new TcError('InvalidParameterValue', 'InstanceIds contains duplicates.');
  return list;
}


const IMAGE_FILTERS: Record<string, (v: string, i: ImageInfo) => boolean> = {
  'image-id': (v, i) => i.id === v,
  // Every image listed is a public one.
  'image-type': (v) => v === 'PUBLIC_IMAGE',
  'image-name': (v, i) => i.name.includes(v),
  platform: (v, i) => i.platform.toLowerCase().includes(v.toLowerCase()),
  'tag-key': () => false,
  'tag-value': () => false,
};

function imageShape(i: ImageInfo): Record<string, unknown> {
  return {
    ImageId: i.id,
    OsName: i.osName,
    ImageType: 'PUBLIC_IMAGE',
    CreatedTime: i.createdAt,
    ImageName: i.name,
    ImageDescription: i.name,
    ImageSize: i.sizeGb,
    Architecture: i.architecture,
    ImageState: 'NORMAL',
    Platform: i.platform,
    ImageCreator: '',
    ImageSource: 'OFFICIAL',
    SyncPercent: 100,
    IsSupportCloudinit: true,
    SnapshotSet: [],
    Tags: [],
    LicenseType: 'TencentCloud',
  };
}

function instanceQuotaShape(zone: string, it: InstanceTypeInfo): Record<string, unknown> {
  return {
    Zone: zone,
    InstanceType: it.type,
    InstanceChargeType: 'POSTPAID_BY_HOUR',
    NetworkCard: 25,
    Externals: {},
    Cpu: it.cpu,
    Memory: it.memory,
    InstanceFamily: it.family,
    TypeName: it.family,
    LocalDiskTypeList: [],
    Status: 'SELL',
    Price: { UnitPrice: 0, ChargeUnit: 'HOUR', UnitPriceDiscount: 0, Discount: 100 },
    SoldOutReason: '',
    InstanceBandwidth: 1.5,
    InstancePps: 30,
    StorageBlockAmount: 0,
    CpuType: 'Intel Xeon',
    Gpu: it.gpu ?? 0,
    Fpga: 0,
    Remark: '',
    GpuCount: it.gpu ?? 0,
    Frequency: '2.5GHz',
    StatusCategory: 'EnoughStock',
  };
}
