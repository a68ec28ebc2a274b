/** Instances: created with their primary ENI, started, stopped and terminated through tasks. */
import { findInstanceType, findZone, type ProviderPolicy } from '../catalog.ts';
import type { CoreContext, RequestMeta } from '../context.ts';
import { fail } from '../errors.ts';
import { once } from '../idempotency.ts';
import type { Eni, Instance, PowerPayload, Scope, Tag } from '../model.ts';
import type { Repo } from '../ports/repo.ts';
import { allocateAddresses } from '../addresses.ts';
import { requireIdle, requireInstanceState, requireSubnetInVpc, requireTags, requireText } from '../rules.ts';
import { accept } from './accept.ts';
import { setInstances, settle, withEni, type Transition, type Transitions } from '../transitions/kit.ts';
import { uniqueMac } from './enis.ts';
import { newId, policyOf } from '../naming.ts';
import { requireSecurityGroups } from './securityGroups.ts';

export interface RunInstancesInput {
  zone: string;
  vpcId: string;
  subnetId: string;
  instanceType?: string;
  count: number;
  name?: string;
  imageId?: string;
  privateIps?: string[];
  securityGroupIds?: string[];
  tags?: Tag[];
  chargeType?: string;
  /** Base64 user data, at most 16 KB (Tencent's limit); the same for every instance of the batch. */
  userData?: string;
  dryRun?: boolean;
}

/** Tencent: "base64 encoded, at most 16 KB" (of the encoded text; our reading). */
const USER_DATA_MAX = 16 * 1024;

function requireUserData(userData: string | undefined): void {
  if (userData === undefined) return;
  if (userData.length > USER_DATA_MAX) fail('InvalidValue', { field: 'instance.userData', reason: 'tooLong', limit: USER_DATA_MAX, unit: 'chars' });
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(userData) || userData.length % 4 !== 0) fail('InvalidValue', { field: 'instance.userData', reason: 'malformed' });
}

export async function runInstances(core: CoreContext, scope: Scope, input: RunInstancesInput, meta: RequestMeta): Promise<{ instanceIds: string[]; taskId: string; replayed: boolean }> {
  const typeName = input.instanceType ?? core.catalog.providers[scope.provider].defaultInstanceType;
  const type = findInstanceType(core.catalog, scope.provider, typeName);
  if (!type) fail('NotFound', { resource: 'instanceType', id: typeName });
  const policy = policyOf(core, scope.provider);
  const zone = findZone(core.catalog, scope.provider, input.zone);
  if (!zone || zone.region.region !== scope.region) fail('NotFound', { resource: 'zone', id: input.zone });
  requireText('instance.name', input.name, policy.text['instance.name']);
  requireTags(policy.tags, input.tags ?? []);
  requireUserData(input.userData);
  if (input.privateIps && input.privateIps.length !== input.count) {
    fail('InvalidValue', { field: 'instance.addresses', reason: 'range' });
  }
  const out = await core.store.write((tx) =>
    once(tx, scope, 'RunInstances', meta.clientToken, input, core.clock.now(), async () => {
      const vpc = await tx.getVpc(scope, input.vpcId);
      if (!vpc) fail('NotFound', { resource: 'vpc', id: input.vpcId });
      const subnet = await tx.getSubnet(scope, input.subnetId);
      if (!subnet) fail('NotFound', { resource: 'subnet', id: input.subnetId });
      requireSubnetInVpc(subnet, vpc.id);
      const securityGroupIds = await requireSecurityGroups(core, tx, scope, input.securityGroupIds ?? [], { resource: 'instance', vpcId: vpc.id });
      if (policy.eniZoneBound && subnet.zone !== input.zone) {
        fail('ResourceMismatch', { resource: 'subnet', id: subnet.id, expected: input.zone });
      }
      const now = core.clock.now();
      const ids: string[] = [];
      for (let n = 0; n < input.count; n++) {
        const id = newId(core, scope.provider, 'instance');
        const instance: Instance = {
          id,
          accountId: scope.accountId,
          region: scope.region,
          zone: input.zone,
          vpcId: vpc.id,
          subnetId: subnet.id,
          name: instanceName(policy.naming, input.name, n, input.count),
          instanceType: type.type,
          imageId: input.imageId ?? 'img-eniplane',
          state: 'PENDING',
          chargeType: input.chargeType ?? 'POSTPAID_BY_HOUR',
          userData: input.userData ?? '',
          securityGroupIds: [...securityGroupIds],
          tags: input.tags ?? [],
          latestOperation: 'RunInstances',
          latestOperationState: 'OPERATING',
          latestOperationRequestId: meta.requestId,
          latestOperationError: null,
          createdAt: now,
        };
        await tx.insertInstance(instance);
        const eniId = newId(core, scope.provider, 'eni');
        const requested = input.privateIps?.[n];
        const ips = await allocateAddresses(core, scope.provider, tx, subnet, eniId, {
          requested: requested ? [{ address: requested, primary: true }] : [],
          extra: requested ? 0 : 1,
          qosLevel: 'DEFAULT',
          state: 'AVAILABLE',
        });
        ips[0]!.primary = true;
        const primary: Eni = {
          id: eniId,
          accountId: scope.accountId,
          region: scope.region,
          vpcId: vpc.id,
          subnetId: subnet.id,
          zone: subnet.zone,
          name: policy.naming.primaryEni,
          description: '',
          mac: await uniqueMac(core, scope, tx),
          primary: true,
          state: 'AVAILABLE',
          instanceId: id,
          targetInstanceId: null,
          deviceIndex: 0,
          attachType: 0,
          attachedAt: now,
          securityGroupIds: [...securityGroupIds],
          tags: [],
          qosLevel: 'DEFAULT',
          trunking: false,
          // The primary ENI always goes with its instance.
          autoDelete: true,
          createdAt: now,
          ips,
        };
        await tx.insertEni(primary);
        ids.push(id);
      }
      // Every check above ran and every row was written; throwing now rolls all of it back.
      if (input.dryRun) fail('DryRunPassed', { operation: 'RunInstances' });
      const task = await accept(core, tx, scope, meta, 'instance.run', { instanceIds: ids }, ids);
      return { instanceIds: ids, taskId: task.id };
    }),
  );
  core.notify();
  return { ...out.result, replayed: out.replayed };
}

const launched: Transition<'instance.run'> = {
  async complete(tx, scope, p) {
    await setInstances(tx, scope, p.instanceIds, () => ({ state: 'RUNNING', latestOperationState: 'SUCCESS' }));
  },
  async rollback(tx, scope, p, _now, reason) {
    await setInstances(tx, scope, p.instanceIds, () => ({ state: 'LAUNCH_FAILED', latestOperationState: 'FAILED', latestOperationError: reason }));
    // A launch that failed never had a working NIC: free its primary ENI and address.
    for (const id of p.instanceIds) for (const e of await tx.listEnis(scope, { instanceId: id })) if (e.primary) await tx.deleteEni(e.id);
  },
};

/** The provider's naming: a default for no name; several instances at once get 1…n appended. */
function instanceName(naming: ProviderPolicy['naming'], base: string | undefined, n: number, count: number): string {
  const name = base ?? naming.instance;
  return count > 1 ? `${name}${naming.batchSeparator}${n + 1}` : name;
}

type PowerOp = { operation: string; from: Instance['state'][]; via: Instance['state']; kind: 'instance.start' | 'instance.stop' | 'instance.terminate' };

const POWER: Record<'start' | 'stop' | 'terminate', PowerOp> = {
  start: { operation: 'StartInstances', from: ['STOPPED'], via: 'STARTING', kind: 'instance.start' },
  stop: { operation: 'StopInstances', from: ['RUNNING'], via: 'STOPPING', kind: 'instance.stop' },
  terminate: { operation: 'TerminateInstances', from: ['RUNNING', 'STOPPED', 'LAUNCH_FAILED'], via: 'TERMINATING', kind: 'instance.terminate' },
};

/** Start, stop or terminate a batch: all instances pass every rule or none changes. */
export async function changePower(core: CoreContext, scope: Scope, op: keyof typeof POWER, instanceIds: string[], meta: RequestMeta): Promise<{ taskId: string }> {
  const spec = POWER[op];
  const task = await core.store.write(async (tx) => {
    await tx.lock({ instances: instanceIds });
    const instances: Instance[] = [];
    for (const id of instanceIds) {
      const instance = await tx.getInstance(scope, id);
      if (!instance) fail('NotFound', { resource: 'instance', id });
      await requireIdle(tx, { kind: 'instance', id });
      requireInstanceState(instance, spec.operation, ...spec.from);
      instances.push(instance);
    }
    for (const i of instances) {
      await tx.updateInstance({
        ...i,
        state: spec.via,
        latestOperation: spec.operation,
        latestOperationState: 'OPERATING',
        latestOperationRequestId: meta.requestId,
        latestOperationError: null,
      });
    }
    const prior = Object.fromEntries(instances.map((i) => [i.id, i.state]));
    return accept(core, tx, scope, meta, spec.kind, { instanceIds, prior }, instanceIds);
  });
  core.notify();
  return { taskId: task.id };
}

/** A failed start, stop or terminate puts every instance back in the state it had before. */
const restorePriorState = async (tx: Repo, scope: Scope, p: PowerPayload, _now: number, reason: string): Promise<void> => {
  await setInstances(tx, scope, p.instanceIds, (id) => ({ state: p.prior[id], latestOperationState: 'FAILED', latestOperationError: reason }));
};

/** Start and stop: every instance of the batch settles in `state`. */
function power(state: 'RUNNING' | 'STOPPED'): Transition<'instance.start' | 'instance.stop'> {
  return {
    async complete(tx, scope, p) {
      await setInstances(tx, scope, p.instanceIds, () => ({ state, latestOperationState: 'SUCCESS' }));
    },
    rollback: restorePriorState,
  };
}

const terminated: Transition<'instance.terminate'> = {
  async complete(tx, scope, p) {
    for (const id of p.instanceIds) {
      for (const eniId of await tx.enisLinkedTo(id)) {
        await withEni(tx, scope, eniId, (e) =>
          e.primary || (e.autoDelete && e.instanceId === id)
            ? null
            : // Other secondary ENIs outlive the instance and come back detached (Tencent spec §5.5
              // choice; JD Cloud autoDelete=false, spec §6.5).
              { ...settle(e), instanceId: null, targetInstanceId: null, deviceIndex: null, attachedAt: null, attachType: 0, autoDelete: false },
        );
      }
      await tx.deleteInstance(id);
    }
  },
  rollback: restorePriorState,
};

export async function listInstances(core: CoreContext, scope: Scope, ids?: string[]): Promise<Array<Instance & { primaryIps: string[] }>> {
  return core.store.read(async (tx) => {
    const instances = await tx.listInstances(scope, ids);
    const out = [];
    for (const i of instances) {
      const enis = await tx.listEnis(scope, { instanceId: i.id });
      const primary = enis.find((e) => e.primary);
      out.push({ ...i, primaryIps: primary ? primary.ips.filter((p) => p.primary).map((p) => p.address) : [] });
    }
    return out;
  });
}

/** How each instance task ends (the engine runs them; see core/transitions). */
export const instanceTransitions: Transitions<'instance.run' | 'instance.start' | 'instance.stop' | 'instance.terminate'> = {
  'instance.run': launched,
  'instance.start': power('RUNNING'),
  'instance.stop': power('STOPPED'),
  'instance.terminate': terminated,
};

/**
 * Renames instances or replaces their security groups (which are their primary ENIs' groups), all
 * of them in one transaction.
 */
export async function modifyInstances(
  core: CoreContext,
  scope: Scope,
  instanceIds: readonly string[],
  input: { name?: string; securityGroupIds?: readonly string[]; userData?: string },
): Promise<void> {
  const policy = policyOf(core, scope.provider);
  requireText('instance.name', input.name, policy.text['instance.name']);
  requireUserData(input.userData);
  await core.store.write(async (tx) => {
    // Instances, then their primary ENIs, then the groups: the store's one lock order.
    await tx.lock({ instances: [...instanceIds] });
    const primaries = new Map<string, Eni>();
    if (input.securityGroupIds) {
      const found = (await tx.listEnis(scope, { where: [{ field: 'instanceId', anyOf: [...instanceIds] }] })).filter((e) => e.primary);
      await tx.lock({ enis: found.map((e) => e.id) });
      for (const e of await tx.listEnis(scope, { ids: found.map((x) => x.id) })) if (e.instanceId) primaries.set(e.instanceId, e);
    }
    for (const id of instanceIds) {
      const instance = (await tx.getInstance(scope, id)) ?? fail('NotFound', { resource: 'instance', id });
      const groups = input.securityGroupIds && (await requireSecurityGroups(core, tx, scope, input.securityGroupIds, { resource: 'instance', vpcId: instance.vpcId }));
      await tx.updateInstance({ ...instance, name: input.name ?? instance.name, securityGroupIds: groups ?? instance.securityGroupIds, userData: input.userData ?? instance.userData });
      const primary = primaries.get(id);
      if (groups && primary) await tx.updateEni({ ...primary, securityGroupIds: [...groups] });
    }
  });
}
