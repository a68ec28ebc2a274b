/**
 * Every precondition of every operation, one function each. Operations call these and nothing else
 * decides whether a change is allowed, so no path can skip a rule (the moto lesson).
 */
import type { InstanceTypeInfo, ProviderPolicy, TextField, TextRule } from './catalog.ts';
import { fail, type Field } from './errors.ts';
import type { AttachType, ElasticIp, Eni, Instance, Subnet, Tag } from './model.ts';
import type { Repo } from './ports/repo.ts';

/** Invariant 3: the primary ENI is created and destroyed with its instance, never moved alone. */
export function requireSecondary(eni: Eni): void {
  if (eni.primary) fail('PrimaryEniImmutable', { eniId: eni.id });
}

/** Invariant 1: an ENI is attached to at most one instance. */
export function requireUnattached(eni: Eni): void {
  const holder = eni.instanceId ?? eni.targetInstanceId;
  if (holder) fail('EniAlreadyAttached', { eniId: eni.id, instanceId: holder });
}

export function requireEniState(eni: Eni, ...allowed: Eni['state'][]): void {
  if (!allowed.includes(eni.state)) fail('EniInvalidState', { eniId: eni.id, state: eni.state });
}

/**
 * The ENI sits on `instanceId`, no move under way. `movingTo`: the instance a migrate sends it to;
 * an ENI already there (or arriving) is reported as such, so a dialect can answer "already attached".
 */
export function requireAttachedTo(eni: Eni, instanceId: string, movingTo?: string): void {
  if (eni.instanceId === instanceId && !eni.targetInstanceId) return;
  const onDestination = movingTo !== undefined && (eni.instanceId ?? eni.targetInstanceId) === movingTo;
  fail('EniNotAttached', { eniId: eni.id, instanceId, ...(onDestination ? { onDestination: movingTo } : {}) });
}

/** The ENI is in the VPC the caller names; another VPC's ENI is, to that caller, not found. */
export function requireInVpc(eni: Eni, vpcId: string): void {
  if (eni.vpcId !== vpcId) fail('NotFound', { resource: 'eni', id: eni.id });
}

/** Invariant 4: ENIs move only onto instances that are RUNNING or STOPPED. */
export function requireInstanceAcceptsEni(instance: Instance, operation: string): void {
  if (instance.state !== 'RUNNING' && instance.state !== 'STOPPED') {
    fail('InstanceInvalidState', { instanceId: instance.id, state: instance.state, operation });
  }
}

export function requireInstanceState(instance: Instance, operation: string, ...allowed: Instance['state'][]): void {
  if (!allowed.includes(instance.state)) fail('InstanceInvalidState', { instanceId: instance.id, state: instance.state, operation });
}

export function requireSameVpc(eni: Pick<Eni, 'id' | 'vpcId'>, instance: Instance): void {
  if (eni.vpcId !== instance.vpcId) fail('VpcMismatch', { eniId: eni.id, instanceId: instance.id });
}

/** Only where the provider binds ENIs to a zone (Tencent); JD Cloud subnets are regional. */
export function requireSameZone(eni: Pick<Eni, 'id' | 'zone'>, instance: Instance, zoneBound = true): void {
  if (zoneBound && eni.zone !== instance.zone) fail('ZoneMismatch', { eniId: eni.id, zone: eni.zone, instanceZone: instance.zone });
}

/** An EIP tied to a zone may only be on an ENI of an instance in that zone ('' = every zone). */
export function requireEipZone(eips: ElasticIp[], instance: Instance): void {
  for (const eip of eips) {
    if (eip.az !== '' && eip.az !== instance.zone) fail('EipZoneMismatch', { eipId: eip.id, az: eip.az, instanceZone: instance.zone });
  }
}

export function requireEniCapable(instance: Instance, type: InstanceTypeInfo): void {
  if (!type.supportsEni) fail('UnsupportedInstanceFamily', { instanceId: instance.id, instanceType: instance.instanceType });
}

/** Invariant 4: one operation at a time on an instance or an ENI. */
export async function requireIdle(tx: Repo, resource: { kind: 'eni' | 'instance'; id: string }): Promise<void> {
  const running = await tx.runningTaskFor(resource.id);
  if (!running) return;
  if (resource.kind === 'eni') fail('EniBusy', { eniId: resource.id, taskId: running.id });
  fail('InstanceBusy', { instanceId: resource.id, taskId: running.id });
}

/** Invariant 2: attached plus arriving ENIs never exceed the instance type's quota (primary included). */
export async function requireEniQuota(tx: Repo, instance: Instance, type: InstanceTypeInfo, attachType: AttachType): Promise<void> {
  const limit = attachType === 1 ? type.extendEniQuota : type.eniQuota;
  const used = await tx.countEnisOn(instance.id, attachType);
  if (used >= limit) fail('EniQuotaExceeded', { instanceId: instance.id, limit, attachType });
}

export function requireIpQuota(eni: { id: string }, count: number, limit: number): void {
  if (count > limit) fail('IpQuotaExceeded', { eniId: eni.id, limit });
}

export function requireSubnetInVpc(subnet: Subnet, vpcId: string): void {
  if (subnet.vpcId !== vpcId) fail('ResourceMismatch', { resource: 'subnet', id: subnet.id, expected: vpcId });
}

export function requireMaxLength(field: Field, value: string | undefined, max: number, unit: 'bytes' | 'chars'): void {
  if (value === undefined) return;
  const len = unit === 'bytes' ? Buffer.byteLength(value, 'utf8') : [...value].length;
  if (len > max) fail('InvalidValue', { field, reason: 'tooLong', value, limit: max, unit });
}

const charsets = new Map<string, RegExp>();

/** A name or description obeys its provider's rule: length (bytes or characters), minimum, characters. */
export function requireText(field: TextField, value: string | undefined, rule: TextRule): void {
  if (value === undefined) return;
  requireMaxLength(field, value, rule.max, rule.unit);
  if (rule.min !== undefined && [...value].length < rule.min) fail('InvalidValue', { field, reason: 'tooShort', value, limit: rule.min, unit: 'chars' });
  if (rule.charset !== undefined) {
    let re = charsets.get(rule.charset);
    if (!re) charsets.set(rule.charset, (re = new RegExp(`^[${rule.charset}]*$`, 'u')));
    if (!re.test(value)) fail('InvalidValue', { field, reason: 'malformed', value });
  }
}

/** Letters, digits, Chinese, inner spaces and + - = . _ : / @ ( ) [ ] , ; > < 【 】 (Tencent's tag docs). */
const TAG_CHARS = /^[\p{L}\p{N} +\-=._:/@()[\],;><【】]*$/u;

/**
 * A resource's whole tag list: keys unique and not reserved, keys 1–keyMax and values up to
 * valueMax characters of the allowed set, no space at either end, at most perResource tags.
 */
export function requireTags(rule: ProviderPolicy['tags'], tags: readonly Tag[]): void {
  if (tags.length > rule.perResource) fail('InvalidValue', { field: 'tags', reason: 'limitExceeded', limit: rule.perResource });
  const keys = new Set<string>();
  for (const t of tags) {
    if (t.key === '') fail('InvalidValue', { field: 'tag.key', reason: 'empty' });
    if ([...t.key].length > rule.keyMax) fail('InvalidValue', { field: 'tag.key', reason: 'tooLong', value: t.key, limit: rule.keyMax, unit: 'chars' });
    if (!TAG_CHARS.test(t.key) || t.key.trim() !== t.key) fail('InvalidValue', { field: 'tag.key', reason: 'malformed', value: t.key });
    if (rule.reservedKeyPrefixes.some((p) => t.key.toLowerCase().startsWith(p))) fail('InvalidValue', { field: 'tag.key', reason: 'reserved', value: t.key });
    if ([...t.value].length > rule.valueMax) fail('InvalidValue', { field: 'tag.value', reason: 'tooLong', value: t.value, limit: rule.valueMax, unit: 'chars' });
    if (!TAG_CHARS.test(t.value) || t.value.trim() !== t.value) fail('InvalidValue', { field: 'tag.value', reason: 'malformed', value: t.value });
    if (keys.has(t.key)) fail('InvalidValue', { field: 'tags', reason: 'duplicate', value: t.key });
    keys.add(t.key);
  }
}
