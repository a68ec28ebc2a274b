/** ENI operations. The asynchronous ones move the ENI into a transitional state and accept a task. */
import { findInstanceType, type InstanceTypeInfo } from '../catalog.ts';
import type { CoreContext, RequestMeta } from '../context.ts';
import { fail } from '../errors.ts';
import { once } from '../idempotency.ts';
import type { AttachType, Eni, Instance, Scope, Tag, Vpc } from '../model.ts';
import { allocateAddresses, type IpRequest } from '../addresses.ts';
import {
  requireAttachedTo,
  requireEniCapable,
  requireEniQuota,
  requireEniState,
  requireIdle,
  requireInstanceAcceptsEni,
  requireInVpc,
  requireIpQuota,
  requireText,
  requireSameVpc,
  requireSameZone,
  requireSecondary,
  requireTags,
  requireSubnetInVpc,
  requireUnattached,
  requireEipZone,
} from '../rules.ts';
import type { EniQuery, Repo } from '../ports/repo.ts';
import { accept } from './accept.ts';
import { settle, withEni, type Transition, type Transitions } from '../transitions/kit.ts';
import { newId, policyOf } from '../naming.ts';
import { mustGetSecurityGroup, requireSecurityGroups } from './securityGroups.ts';

export interface CreateEniInput {
  vpcId: string;
  subnetId: string;
  name: string;
  description?: string;
  secondaryCount?: number;
  qosLevel?: string;
  securityGroupIds?: string[];
  addresses?: IpRequest[];
  tags?: Tag[];
  trunking?: boolean;
  /** CreateAndAttach: the instance the new ENI goes to. */
  attachTo?: { instanceId: string; attachType: AttachType; autoDelete?: boolean };
}

export interface AcceptedEni {
  eni: Eni;
  taskId: string;
}

/** An ENI's name and description, by its provider's rules. */
function requireEniTexts(core: CoreContext, scope: Scope, input: { name?: string; description?: string }): void {
  const { text } = policyOf(core, scope.provider);
  requireText('eni.name', input.name, text['eni.name']);
  requireText('eni.description', input.description, text['eni.description']);
}

export async function createEni(core: CoreContext, scope: Scope, input: CreateEniInput, meta: RequestMeta): Promise<AcceptedEni & { replayed: boolean }> {
  requireEniTexts(core, scope, input);
  requireTags(policyOf(core, scope.provider).tags, input.tags ?? []);
  const addresses = input.addresses ?? [];
  if (addresses.length > core.limits.ipsPerCall) fail('InvalidValue', { field: 'eni.addresses', reason: 'limitExceeded' });
  if (addresses.filter((a) => a.primary).length > 1) fail('InvalidValue', { field: 'eni.addresses.primary', reason: 'duplicate' });
  const action = input.attachTo ? 'CreateAndAttachNetworkInterface' : 'CreateNetworkInterface';
  const out = await core.store.write(async (tx) => {
    if (input.attachTo) await tx.lock({ instances: [input.attachTo.instanceId] });
    return once(tx, scope, action, meta.clientToken, input, core.clock.now(), async () => {
      const vpc = await tx.getVpc(scope, input.vpcId);
      if (!vpc) fail('NotFound', { resource: 'vpc', id: input.vpcId });
      const subnet = await tx.getSubnet(scope, input.subnetId);
      if (!subnet) fail('NotFound', { resource: 'subnet', id: input.subnetId });
      requireSubnetInVpc(subnet, vpc.id);
      const securityGroupIds = await requireSecurityGroups(core, tx, scope, input.securityGroupIds ?? [], { resource: 'eni', vpcId: vpc.id });
      if ((await tx.countEnisIn('vpc', vpc.id)) >= core.limits.enisPerVpc) {
        fail('EniQuotaPerVpcExceeded', { vpcId: vpc.id, limit: core.limits.enisPerVpc });
      }
      const id = newId(core, scope.provider, 'eni');
      let ipLimit = policyOf(core, scope.provider).ipsPerDetachedEni;
      let target: { instance: Instance; type: InstanceTypeInfo; deviceIndex: number } | undefined;
      const draft = { id, vpcId: vpc.id, zone: subnet.zone };
      if (input.attachTo) {
        const instance = await tx.getInstance(scope, input.attachTo.instanceId);
        if (!instance) fail('NotFound', { resource: 'instance', id: input.attachTo.instanceId });
        const type = await requireInstanceCanReceive(core, tx, scope, draft, instance, input.attachTo.attachType, action);
        ipLimit = input.attachTo.attachType === 1 ? type.extendIpQuota : type.ipQuota;
        target = { instance, type, deviceIndex: nextDeviceIndex(await tx.usedDeviceIndexes(instance.id)) };
      }
      const hasPrimary = addresses.some((a) => a.primary);
      // Without a primary named, the first address not marked secondary is the primary; when every
      // address is marked secondary (or none is named), the primary is picked from the pool.
      const firstUnmarked = addresses.findIndex((a) => a.primary === undefined);
      const requested = addresses.map((a, i) => ({ ...a, primary: hasPrimary ? !!a.primary : i === firstUnmarked }));
      const primaryFromPool = !requested.some((r) => r.primary);
      const extra = (primaryFromPool ? 1 : 0) + (input.secondaryCount ?? 0);
      requireIpQuota({ id }, requested.length + extra, ipLimit);
      const qosLevel = input.qosLevel ?? 'DEFAULT';
      // Sync or async is decided here, once, by the provider (policy.eniCreateAsync).
      const async = policyOf(core, scope.provider).eniCreateAsync || input.attachTo !== undefined;
      const ips = await allocateAddresses(core, scope.provider, tx, subnet, id, { requested, extra, qosLevel, state: async ? 'PENDING' : 'AVAILABLE' });
      if (primaryFromPool) ips[requested.length]!.primary = true;
      const now = core.clock.now();
      const eni: Eni = {
        id,
        accountId: scope.accountId,
        region: scope.region,
        vpcId: vpc.id,
        subnetId: subnet.id,
        zone: subnet.zone,
        name: input.name,
        description: input.description ?? '',
        mac: await uniqueMac(core, scope, tx),
        primary: false,
        state: async ? 'PENDING' : 'AVAILABLE',
        instanceId: null,
        targetInstanceId: target?.instance.id ?? null,
        deviceIndex: target?.deviceIndex ?? null,
        attachType: input.attachTo?.attachType ?? 0,
        attachedAt: target ? now : null,
        securityGroupIds,
        tags: input.tags ?? [],
        qosLevel,
        trunking: input.trunking ?? false,
        autoDelete: input.attachTo?.autoDelete ?? false,
        createdAt: now,
        ips,
      };
      await tx.insertEni(eni);
      if (!async) return { eni, taskId: '' };
      const resources = target ? [eni.id, target.instance.id] : [eni.id];
      const task = await accept(core, tx, scope, meta, 'eni.create', { eniId: eni.id }, resources);
      return { eni, taskId: task.id };
    });
  });
  core.notify();
  return { ...out.result, replayed: out.replayed };
}

/** A create completes AVAILABLE (attached, for create-and-attach); failed, it leaves nothing behind. */
const created: Transition<'eni.create'> = {
  async complete(tx, scope, p, now) {
    await withEni(tx, scope, p.eniId, (e) => (e.targetInstanceId ? { ...settle(e), instanceId: e.targetInstanceId, targetInstanceId: null, attachedAt: now } : settle(e)));
    const eni = await tx.getEni(scope, p.eniId);
    if (eni) await tx.setIpState(eni.subnetId, eni.ips.map((i) => i.address), 'AVAILABLE');
  },
  async rollback(tx, scope, p) {
    await withEni(tx, scope, p.eniId, () => null);
  },
};

/** `vpcId`: the VPC the caller names (API 2.0), which must hold the ENI. */
export async function deleteEni(core: CoreContext, scope: Scope, eniId: string, meta: RequestMeta, vpcId?: string): Promise<{ taskId: string }> {
  const out = await core.store.write(async (tx) => {
    await tx.lock({ enis: [eniId] });
    const eni = await mustGetEni(tx, scope, eniId, vpcId);
    requireSecondary(eni);
    if (eni.instanceId || eni.targetInstanceId) {
      fail('ResourceInUse', { resource: 'eni', id: eniId, reason: 'the ENI is attached to an instance; detach it first' });
    }
    requireEniState(eni, 'AVAILABLE');
    await requireIdle(tx, { kind: 'eni', id: eni.id });
    await tx.updateEni({ ...eni, state: 'DELETING' });
    return accept(core, tx, scope, meta, 'eni.delete', { eniId }, [eniId]);
  });
  core.notify();
  return { taskId: out.id };
}

const deleted: Transition<'eni.delete'> = {
  async complete(tx, scope, p) {
    await withEni(tx, scope, p.eniId, () => null);
  },
  async rollback(tx, scope, p) {
    await withEni(tx, scope, p.eniId, settle);
  },
};

export interface ModifyEniInput {
  eniId: string;
  name?: string;
  description?: string;
  securityGroupIds?: string[];
  trunking?: boolean;
}

export interface EniRegroup {
  eniId: string;
  /** The ENI's groups become exactly these, in this order. */
  set?: readonly string[];
  /** Groups added after the ENI's own, in the order given. */
  add?: readonly string[];
  /** Groups taken away (each must exist). */
  remove?: readonly string[];
}

/**
 * Changes the groups of several secondary ENIs in one transaction: every ENI and group passes the
 * rules or none changes.
 */
export async function regroupEnis(core: CoreContext, scope: Scope, changes: readonly EniRegroup[]): Promise<void> {
  await core.store.write(async (tx) => {
    await tx.lock({ enis: changes.map((c) => c.eniId) });
    for (const change of changes) {
      for (const id of change.remove ?? []) await mustGetSecurityGroup(tx, scope, id);
      const eni = await mustGetEni(tx, scope, change.eniId);
      requireSecondary(eni);
      const kept = (change.set ?? eni.securityGroupIds).filter((g) => !(change.remove ?? []).includes(g));
      const wanted = [...kept, ...(change.add ?? []).filter((g) => !kept.includes(g))];
      const securityGroupIds = await requireSecurityGroups(core, tx, scope, wanted, { resource: 'eni', vpcId: eni.vpcId });
      await tx.updateEni({ ...eni, securityGroupIds });
    }
  });
}

/** Rewrites the descriptions of addresses the ENI holds; an address it does not hold changes nothing. */
export async function describeIps(core: CoreContext, scope: Scope, eniId: string, descriptions: ReadonlyArray<{ address: string; description: string }>): Promise<void> {
  for (const d of descriptions) requireText('eni.description', d.description, policyOf(core, scope.provider).text['eni.description']);
  await core.store.write(async (tx) => {
    await tx.lock({ enis: [eniId] });
    const eni = await mustGetEni(tx, scope, eniId);
    for (const d of descriptions) if (!eni.ips.some((ip) => ip.address === d.address)) fail('IpNotOnEni', { ip: d.address, eniId });
    for (const d of descriptions) await tx.setIpDescription(eni.subnetId, d.address, d.description);
  });
}

export async function modifyEni(core: CoreContext, scope: Scope, input: ModifyEniInput): Promise<void> {
  requireEniTexts(core, scope, input);
  await core.store.write(async (tx) => {
    // A primary ENI's groups are its instance's: both change together, the instance locked first.
    const seen = await tx.getEni(scope, input.eniId);
    const instanceId = seen?.primary && input.securityGroupIds !== undefined ? seen.instanceId : null;
    await tx.lock({ instances: instanceId ? [instanceId] : [], enis: [input.eniId] });
    const eni = await mustGetEni(tx, scope, input.eniId);
    const securityGroupIds =
      input.securityGroupIds === undefined ? eni.securityGroupIds : await requireSecurityGroups(core, tx, scope, input.securityGroupIds, { resource: 'eni', vpcId: eni.vpcId });
    if (instanceId && eni.primary) {
      const instance = await tx.getInstance(scope, instanceId);
      if (instance) await tx.updateInstance({ ...instance, securityGroupIds: [...securityGroupIds] });
    }
    await tx.updateEni({
      ...eni,
      name: input.name ?? eni.name,
      description: input.description ?? eni.description,
      securityGroupIds,
      trunking: input.trunking ?? eni.trunking,
    });
  });
}

export interface AttachInput {
  eniId: string;
  instanceId: string;
  attachType: AttachType;
  /** Delete the ENI with the instance (JD Cloud); off unless asked. */
  autoDelete?: boolean;
  /** The VPC the caller names (API 2.0), which must hold the ENI. */
  vpcId?: string;
}

export async function attachEni(core: CoreContext, scope: Scope, input: AttachInput, meta: RequestMeta): Promise<{ taskId: string; replayed: boolean }> {
  const out = await core.store.write(async (tx) => {
    await tx.lock({ instances: [input.instanceId], enis: [input.eniId] });
    return once(tx, scope, 'AttachNetworkInterface', meta.clientToken, input, core.clock.now(), async () => {
      const eni = await mustGetEni(tx, scope, input.eniId, input.vpcId);
      const instance = await mustGetInstance(tx, scope, input.instanceId);
      requireSecondary(eni);
      requireUnattached(eni);
      const type = await requireCanReceive(core, tx, scope, eni, instance, input.attachType, 'AttachNetworkInterface');
      requireIpQuota(eni, eni.ips.length, input.attachType === 1 ? type.extendIpQuota : type.ipQuota);
      await tx.updateEni({
        ...eni,
        state: 'ATTACHING',
        targetInstanceId: instance.id,
        attachType: input.attachType,
        autoDelete: input.autoDelete ?? false,
        deviceIndex: nextDeviceIndex(await tx.usedDeviceIndexes(instance.id)),
      });
      const task = await accept(core, tx, scope, meta, 'eni.attach', { eniId: eni.id, instanceId: instance.id }, [eni.id, instance.id]);
      return { taskId: task.id };
    });
  });
  core.notify();
  return { ...out.result, replayed: out.replayed };
}

const attached: Transition<'eni.attach'> = {
  async complete(tx, scope, p, now) {
    await withEni(tx, scope, p.eniId, (e) => ({ ...settle(e), instanceId: p.instanceId, targetInstanceId: null, attachedAt: now }));
  },
  async rollback(tx, scope, p) {
    await withEni(tx, scope, p.eniId, (e) => ({ ...settle(e), targetInstanceId: null, deviceIndex: null, attachType: 0, autoDelete: false }));
  },
};

export async function detachEni(
  core: CoreContext,
  scope: Scope,
  input: { eniId: string; instanceId: string; vpcId?: string },
  meta: RequestMeta,
): Promise<{ taskId: string; replayed: boolean }> {
  const out = await core.store.write(async (tx) => {
    await tx.lock({ instances: [input.instanceId], enis: [input.eniId] });
    return once(tx, scope, 'DetachNetworkInterface', meta.clientToken, input, core.clock.now(), async () => {
      const eni = await mustGetEni(tx, scope, input.eniId, input.vpcId);
      const instance = await mustGetInstance(tx, scope, input.instanceId);
      requireSecondary(eni);
      requireAttachedTo(eni, instance.id);
      requireEniState(eni, 'AVAILABLE');
      await requireIdle(tx, { kind: 'eni', id: eni.id });
      requireInstanceAcceptsEni(instance, 'DetachNetworkInterface');
      await requireIdle(tx, { kind: 'instance', id: instance.id });
      await tx.updateEni({ ...eni, state: 'DETACHING' });
      const task = await accept(core, tx, scope, meta, 'eni.detach', { eniId: eni.id, instanceId: instance.id }, [eni.id, instance.id]);
      return { taskId: task.id };
    });
  });
  core.notify();
  return { ...out.result, replayed: out.replayed };
}

const detached: Transition<'eni.detach'> = {
  async complete(tx, scope, p) {
    await withEni(tx, scope, p.eniId, (e) => ({ ...settle(e), instanceId: null, deviceIndex: null, attachedAt: null, attachType: 0, autoDelete: false }));
  },
  async rollback(tx, scope, p) {
    await withEni(tx, scope, p.eniId, settle);
  },
};

export interface MigrateInput {
  eniId: string;
  sourceInstanceId: string;
  destinationInstanceId: string;
  attachType: AttachType;
  vpcId?: string;
}

export async function migrateEni(core: CoreContext, scope: Scope, input: MigrateInput, meta: RequestMeta): Promise<{ taskId: string }> {
  const task = await core.store.write(async (tx) => {
    await tx.lock({ instances: [input.sourceInstanceId, input.destinationInstanceId], enis: [input.eniId] });
    const eni = await mustGetEni(tx, scope, input.eniId, input.vpcId);
    const source = await mustGetInstance(tx, scope, input.sourceInstanceId);
    const destination = await mustGetInstance(tx, scope, input.destinationInstanceId);
    requireSecondary(eni);
    requireAttachedTo(eni, source.id, destination.id);
    if (source.id === destination.id) fail('EniAlreadyAttached', { eniId: eni.id, instanceId: source.id });
    requireInstanceAcceptsEni(source, 'MigrateNetworkInterface');
    await requireIdle(tx, { kind: 'instance', id: source.id });
    const type = await requireCanReceive(core, tx, scope, eni, destination, input.attachType, 'MigrateNetworkInterface');
    requireIpQuota(eni, eni.ips.length, input.attachType === 1 ? type.extendIpQuota : type.ipQuota);
    const prior = { attachType: eni.attachType, deviceIndex: eni.deviceIndex, attachedAt: eni.attachedAt };
    await tx.updateEni({
      ...eni,
      state: 'ATTACHING',
      targetInstanceId: destination.id,
      attachType: input.attachType,
      deviceIndex: nextDeviceIndex(await tx.usedDeviceIndexes(destination.id)),
    });
    return accept(
      core,
      tx,
      scope,
      meta,
      'eni.migrate',
      { eniId: eni.id, sourceInstanceId: source.id, destinationInstanceId: destination.id, prior },
      [eni.id, source.id, destination.id],
    );
  });
  core.notify();
  return { taskId: task.id };
}

const migrated: Transition<'eni.migrate'> = {
  async complete(tx, scope, p, now) {
    await withEni(tx, scope, p.eniId, (e) => ({ ...settle(e), instanceId: p.destinationInstanceId, targetInstanceId: null, attachedAt: now }));
  },
  async rollback(tx, scope, p) {
    await withEni(tx, scope, p.eniId, (e) => ({ ...settle(e), targetInstanceId: null, ...p.prior }));
  },
};

export interface AssignIpsInput {
  eniId: string;
  addresses?: IpRequest[];
  secondaryCount?: number;
  qosLevel?: string;
  vpcId?: string;
}

export async function assignIps(core: CoreContext, scope: Scope, input: AssignIpsInput, meta: RequestMeta): Promise<{ taskId: string; ips: Eni['ips']; replayed: boolean }> {
  const addresses = input.addresses ?? [];
  if (addresses.length > core.limits.ipsPerCall) fail('InvalidValue', { field: 'eni.addresses', reason: 'limitExceeded' });
  const out = await core.store.write(async (tx) => {
    await tx.lock({ enis: [input.eniId] });
    return once(tx, scope, 'AssignPrivateIpAddresses', meta.clientToken, input, core.clock.now(), async () => {
      const eni = await mustGetEni(tx, scope, input.eniId, input.vpcId);
      requireEniState(eni, 'AVAILABLE');
      await requireIdle(tx, { kind: 'eni', id: eni.id });
      for (const a of addresses) if (a.primary) fail('PrimaryIpImmutable', { ip: a.address });
      const count = addresses.length + (input.secondaryCount ?? 0);
      requireIpQuota(eni, eni.ips.length + count, await ipLimitOf(core, tx, scope, eni));
      const subnet = (await tx.getSubnet(scope, eni.subnetId))!;
      const ips = await allocateAddresses(core, scope.provider, tx, subnet, eni.id, {
        requested: addresses.map((a) => ({ ...a, primary: false })),
        extra: input.secondaryCount ?? 0,
        qosLevel: input.qosLevel ?? eni.qosLevel,
        state: 'PENDING',
      });
      await tx.insertIps(ips);
      const task = await accept(core, tx, scope, meta, 'eni.assignIps', { eniId: eni.id, addresses: ips.map((i) => i.address) }, [eni.id]);
      return { taskId: task.id, ips };
    });
  });
  core.notify();
  return { ...out.result, replayed: out.replayed };
}

const assigned: Transition<'eni.assignIps'> = {
  async complete(tx, scope, p) {
    const eni = await tx.getEni(scope, p.eniId);
    if (eni) await tx.setIpState(eni.subnetId, p.addresses, 'AVAILABLE');
  },
  async rollback(tx, scope, p) {
    const eni = await tx.getEni(scope, p.eniId);
    if (eni) await tx.deleteIps(eni.subnetId, p.addresses);
  },
};

export async function unassignIps(
  core: CoreContext,
  scope: Scope,
  input: { eniId: string; addresses: string[]; instanceId?: string; vpcId?: string },
  meta: RequestMeta,
): Promise<{ taskId: string }> {
  const task = await core.store.write(async (tx) => {
    await tx.lock({ enis: [input.eniId] });
    const eni = await mustGetEni(tx, scope, input.eniId, input.vpcId);
    if (input.instanceId !== undefined) requireAttachedTo(eni, input.instanceId);
    requireEniState(eni, 'AVAILABLE');
    await requireIdle(tx, { kind: 'eni', id: eni.id });
    if (new Set(input.addresses).size !== input.addresses.length) fail('InvalidValue', { field: 'eni.addresses', reason: 'duplicate' });
    for (const address of input.addresses) {
      const ip = eni.ips.find((i) => i.address === address);
      if (!ip) fail('IpNotOnEni', { ip: address, eniId: eni.id });
      if (ip.primary) fail('PrimaryIpImmutable', { ip: address });
    }
    await tx.setIpState(eni.subnetId, input.addresses, 'DELETING');
    return accept(core, tx, scope, meta, 'eni.unassignIps', { eniId: eni.id, addresses: input.addresses }, [eni.id]);
  });
  core.notify();
  return { taskId: task.id };
}

const unassigned: Transition<'eni.unassignIps'> = {
  async complete(tx, scope, p) {
    const eni = await tx.getEni(scope, p.eniId);
    if (eni) await tx.deleteIps(eni.subnetId, p.addresses);
  },
  async rollback(tx, scope, p) {
    const eni = await tx.getEni(scope, p.eniId);
    if (eni) await tx.setIpState(eni.subnetId, p.addresses, 'AVAILABLE');
  },
};

export async function migrateIp(
  core: CoreContext,
  scope: Scope,
  input: { sourceEniId: string; destinationEniId: string; address: string; vpcId?: string },
  meta: RequestMeta,
): Promise<{ taskId: string }> {
  const task = await core.store.write(async (tx) => {
    await tx.lock({ enis: [input.sourceEniId, input.destinationEniId] });
    const source = await mustGetEni(tx, scope, input.sourceEniId, input.vpcId);
    const destination = await mustGetEni(tx, scope, input.destinationEniId, input.vpcId);
    const ip = source.ips.find((i) => i.address === input.address);
    if (!ip) fail('IpNotOnEni', { ip: input.address, eniId: source.id });
    if (ip.primary) fail('PrimaryIpImmutable', { ip: input.address });
    if (source.subnetId !== destination.subnetId) fail('SubnetMismatch', { ip: input.address, eniId: destination.id });
    requireEniState(source, 'AVAILABLE');
    requireEniState(destination, 'AVAILABLE');
    await requireIdle(tx, { kind: 'eni', id: source.id });
    await requireIdle(tx, { kind: 'eni', id: destination.id });
    requireIpQuota(destination, destination.ips.length + 1, await ipLimitOf(core, tx, scope, destination));
    await tx.setIpState(source.subnetId, [input.address], 'MIGRATING');
    return accept(
      core,
      tx,
      scope,
      meta,
      'ip.migrate',
      { sourceEniId: source.id, destinationEniId: destination.id, subnetId: source.subnetId, address: input.address },
      [source.id, destination.id],
    );
  });
  core.notify();
  return { taskId: task.id };
}

const ipMigrated: Transition<'ip.migrate'> = {
  async complete(tx, _scope, p) {
    await tx.moveIp(p.subnetId, p.address, p.destinationEniId, 'AVAILABLE');
  },
  async rollback(tx, _scope, p) {
    await tx.setIpState(p.subnetId, [p.address], 'AVAILABLE');
  },
};

export interface EniLimits {
  eniQuantity: number;
  eniIpQuantity: number;
  extendEniQuantity: number;
  extendEniIpQuantity: number;
  subEniQuantity: number;
  subEniIpQuantity: number;
}

/** DescribeNetworkInterfaceLimit: an instance's quotas, or for an ENI id only its IP quota. */
export async function eniLimits(core: CoreContext, scope: Scope, id: string, kind: 'instance' | 'eni'): Promise<EniLimits> {
  return core.store.read(async (tx) => {
    if (kind === 'eni') {
      const eni = await mustGetEni(tx, scope, id);
      const zero = { eniQuantity: 0, extendEniQuantity: 0, extendEniIpQuantity: 0, subEniQuantity: 0, subEniIpQuantity: 0 };
      return { ...zero, eniIpQuantity: await ipLimitOf(core, tx, scope, eni) };
    }
    const instance = await mustGetInstance(tx, scope, id);
    const type = instanceTypeOf(core, scope, instance);
    return {
      eniQuantity: type.eniQuota,
      eniIpQuantity: type.ipQuota,
      extendEniQuantity: type.extendEniQuota,
      extendEniIpQuantity: type.extendIpQuota,
      subEniQuantity: 0,
      subEniIpQuantity: 0,
    };
  });
}

/** The ENIs matching the query; one statement, so no transaction is needed around it. */
export async function listEnis(core: CoreContext, scope: Scope, query: EniQuery = {}): Promise<Eni[]> {
  return core.store.peek((tx) => tx.listEnis(scope, query));
}

/** One page of the ENIs matching the query, and how many match in all, from one consistent read. */
export async function pageEnis(core: CoreContext, scope: Scope, query: EniQuery, page: { offset: number; limit: number }): Promise<{ total: number; enis: Eni[] }> {
  return core.store.read(async (tx) => {
    const total = await tx.countEnis(scope, query);
    const enis = total > page.offset && page.limit > 0 ? await tx.listEnis(scope, { ...query, page }) : [];
    return { total, enis };
  });
}

// ---- shared pieces ---------------------------------------------------------------------------

/** The rules every path that brings an ENI onto an instance (attach, migrate) must pass. */
async function requireCanReceive(
  core: CoreContext,
  tx: Repo,
  scope: Scope,
  eni: Eni,
  instance: Instance,
  attachType: AttachType,
  operation: string,
): Promise<InstanceTypeInfo> {
  requireSecondary(eni);
  requireEniState(eni, 'AVAILABLE');
  await requireIdle(tx, { kind: 'eni', id: eni.id });
  const type = await requireInstanceCanReceive(core, tx, scope, eni, instance, attachType, operation);
  requireEipZone(await tx.eipsOfEni(eni.id), instance);
  return type;
}

/**
 * The instance's side of receiving an ENI (attach, migrate, and create-and-attach with an ENI that
 * does not exist yet): its state and tasks, the ENI's VPC and zone, its type and its ENI quota.
 */
async function requireInstanceCanReceive(
  core: CoreContext,
  tx: Repo,
  scope: Scope,
  eni: Pick<Eni, 'id' | 'vpcId' | 'zone'>,
  instance: Instance,
  attachType: AttachType,
  operation: string,
): Promise<InstanceTypeInfo> {
  requireInstanceAcceptsEni(instance, operation);
  await requireIdle(tx, { kind: 'instance', id: instance.id });
  requireSameVpc(eni, instance);
  requireSameZone(eni, instance, policyOf(core, scope.provider).eniZoneBound);
  const type = instanceTypeOf(core, scope, instance);
  requireEniCapable(instance, type);
  await requireEniQuota(tx, instance, type, attachType);
  return type;
}

/**
 * The ENI, or NotFound / PermissionDenied. With `vpcId` (API 2.0 names the VPC of every ENI it
 * changes) that VPC must exist and hold the ENI, checked in the caller's transaction.
 */
export async function mustGetEni(tx: Repo, scope: Scope, id: string, vpcId?: string): Promise<Eni> {
  if (vpcId !== undefined) await mustGetVpc(tx, scope, vpcId);
  const eni = await tx.getEni(scope, id);
  if (eni) {
    if (vpcId !== undefined) requireInVpc(eni, vpcId);
    return eni;
  }
  if (await tx.eniOwnedElsewhere(id, scope.accountId)) fail('PermissionDenied', { resource: 'eni', id });
  return fail('NotFound', { resource: 'eni', id });
}

export async function mustGetVpc(tx: Repo, scope: Scope, id: string): Promise<Vpc> {
  return (await tx.getVpc(scope, id)) ?? fail('NotFound', { resource: 'vpc', id });
}

export async function mustGetInstance(tx: Repo, scope: Scope, id: string): Promise<Instance> {
  return (await tx.getInstance(scope, id)) ?? fail('NotFound', { resource: 'instance', id });
}

export function instanceTypeOf(core: CoreContext, scope: Scope, instance: Instance): InstanceTypeInfo {
  const type = findInstanceType(core.catalog, scope.provider, instance.instanceType);
  if (!type) throw new Error(`instance ${instance.id} has type ${instance.instanceType}, which the catalog no longer lists`);
  return type;
}

async function ipLimitOf(core: CoreContext, tx: Repo, scope: Scope, eni: Eni): Promise<number> {
  const holder = eni.instanceId ?? eni.targetInstanceId;
  const detached = policyOf(core, scope.provider).ipsPerDetachedEni;
  if (!holder) return detached;
  const instance = await tx.getInstance(scope, holder);
  if (!instance) return detached;
  const type = instanceTypeOf(core, scope, instance);
  return eni.attachType === 1 ? type.extendIpQuota : type.ipQuota;
}

/** The guest's NIC index: 0 is the primary ENI, secondaries take the lowest free index above it. */
export function nextDeviceIndex(used: number[]): number {
  const taken = new Set(used);
  let i = 1;
  while (taken.has(i)) i++;
  return i;
}

export async function uniqueMac(core: CoreContext, scope: Scope, tx: Repo): Promise<string> {
  for (;;) {
    const mac = core.ids.mac(policyOf(core, scope.provider).macPrefix);
    if (!(await tx.macExists(mac))) return mac;
  }
}

/**
 * Whether attached secondary ENIs go with the instance when it is deleted (JD Cloud
 * modifyInstanceNetworkAttribute). Every ENI named must be a secondary attached to the instance.
 */
export async function setAutoDelete(core: CoreContext, scope: Scope, instanceId: string, entries: Array<{ eniId: string; autoDelete: boolean }>): Promise<void> {
  await core.store.write(async (tx) => {
    await tx.lock({ instances: [instanceId], enis: entries.map((e) => e.eniId) });
    const instance = await mustGetInstance(tx, scope, instanceId);
    const enis: Eni[] = [];
    for (const entry of entries) {
      const eni = await mustGetEni(tx, scope, entry.eniId);
      requireSecondary(eni);
      requireAttachedTo(eni, instance.id);
      enis.push({ ...eni, autoDelete: entry.autoDelete });
    }
    for (const eni of enis) await tx.updateEni(eni);
  });
}

/** How each ENI and address task ends (the engine runs them; see core/transitions). */
export const eniTransitions: Transitions<'eni.create' | 'eni.delete' | 'eni.attach' | 'eni.detach' | 'eni.migrate' | 'eni.assignIps' | 'eni.unassignIps' | 'ip.migrate'> = {
  'eni.create': created,
  'eni.delete': deleted,
  'eni.attach': attached,
  'eni.detach': detached,
  'eni.migrate': migrated,
  'eni.assignIps': assigned,
  'eni.unassignIps': unassigned,
  'ip.migrate': ipMigrated,
};
