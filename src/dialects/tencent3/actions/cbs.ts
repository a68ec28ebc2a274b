/**
 * CBS (cbs.tencentcloudapi.com, 2017-03-12): the system disk every instance has. Disks are not kept
 * as resources of their own: each instance shows one 50 GiB CLOUD_PREMIUM system disk, attached,
 * with the id DescribeInstances gives it (SystemDisk.DiskId).
 */
import type { Instance } from '../../../core/model.ts';
import { action, page, RATE } from '../action.ts';
import { t } from '../codec.ts';
import type { Disk as WireDisk } from 'tencentcloud-sdk-nodejs/tencentcloud/services/cbs/v20170312/cbs_models.js';
import { beijingTime, systemDiskId, SYSTEM_DISK, type Full } from '../shapes.ts';
import { TcError } from '../tcError.ts';
import { checkPaging } from './common.ts';
import { filterPlain } from '../filters.ts';

const DISK_FILTERS: Record<string, (v: string, i: Instance) => boolean> = {
  'disk-id': (v, i) => systemDiskId(i.id) === v,
  'instance-id': (v, i) => i.id === v,
  'disk-usage': (v) => v === 'SYSTEM_DISK',
  'disk-type': (v) => v === SYSTEM_DISK.type,
  'disk-charge-type': (v, i) => v === i.chargeType,
  'disk-state': (v) => v === 'ATTACHED',
  portable: (v) => v.toUpperCase() === 'FALSE',
  'project-id': (v) => Number(v) === 0,
  zone: (v, i) => i.zone === v,
  'instance-name': (v, i) => i.name === v,
  'disk-name': (v, i) => diskName(i) === v,
};

const diskName = (i: Instance): string => `${i.id}_system`;

function diskShape(i: Instance): Record<string, unknown> {
  const out: Full<Omit<WireDisk, 'RequestId'>> = {
    DiskId: systemDiskId(i.id),
    DiskName: diskName(i),
    DiskUsage: 'SYSTEM_DISK',
    DiskType: SYSTEM_DISK.type,
    DiskSize: SYSTEM_DISK.sizeGb,
    DiskState: 'ATTACHED',
    Attached: true,
    InstanceId: i.id,
    InstanceIdList: [i.id],
    InstanceType: 'CVM',
    AttachMode: 'PF',
    DiskChargeType: i.chargeType,
    Portable: false,
    Placement: { Zone: i.zone, ProjectId: 0, CageId: '', CdcId: '', CdcName: '', DedicatedClusterId: '', ProjectName: 'Default Project' },
    DeleteWithInstance: true,
    Encrypt: false,
    EncryptType: '',
    KmsKeyId: '',
    ThroughputPerformance: 0,
    RenewFlag: '',
    DeadlineTime: '',
    DeadlineError: false,
    AutoRenewFlagError: false,
    DifferDaysOfDeadline: 0,
    IsReturnable: false,
    ReturnFailCode: 0,
    CreateTime: beijingTime(i.createdAt),
    Tags: [],
    SnapshotAbility: true,
    SnapshotCount: 0,
    SnapshotSize: 0,
    DeleteSnapshot: 0,
    AutoSnapshotPolicyIds: [],
    Rollbacking: false,
    RollbackPercent: 0,
    Migrating: false,
    MigratePercent: 0,
    BackupDisk: false,
    DiskBackupQuota: 0,
    DiskBackupCount: 0,
    Shareable: false,
    BurstPerformance: false,
    ErrorPrompt: '',
    LastAttachInsId: i.id,
  };
  return out;
}

export const cbsActions = {
  DescribeDisks: action({
    product: 'cbs',
    rate: RATE.default,
    params: t.obj({
      DiskIds: t.list(t.str(), 100).optional(),
      Filters: t.list(t.filter(), 10).optional(),
      Offset: t.uint().optional(),
      Limit: t.uint().optional(),
      OrderField: t.str().optional(),
      Order: t.str().optional(),
      ReturnBindAutoSnapshotPolicy: t.bool().optional(),
    }),
    async run({ core, scope }, p) {
      const { offset, limit } = checkPaging(p.Offset, p.Limit);
      if (p.DiskIds?.length && p.Filters?.length) throw new TcError('InvalidParameterValue', 'DiskIds and Filters cannot be given together.');
      let instances = await core.listInstances(scope);
      if (p.DiskIds?.length) instances = instances.filter((i) => p.DiskIds!.includes(systemDiskId(i.id)));
      instances = filterPlain(instances, p.Filters ?? [], DISK_FILTERS);
      if (p.Order?.toUpperCase() === 'DESC') instances.reverse();
      return { TotalCount: instances.length, DiskSet: page(instances, offset, limit).map(diskShape) };
    },
  }),
};
