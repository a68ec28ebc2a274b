/**
 * Security groups and their rules: synchronous operations, each one store transaction. The rule
 * vocabulary here is neutral (ingress/egress, ALL/TCP/UDP/ICMP, ports as text); each dialect maps
 * its own (Tencent policies by index, JD Cloud rules by id and protocol number) onto it.
 */
import type { CoreContext, RequestMeta } from '../context.ts';
import { fail } from '../errors.ts';
import { parseCidr, parseIpv4 } from '../ipam.ts';
import type { RuleDirection, RuleSpec, RuleSpecs, Scope, SecurityGroup, SecurityGroupRule, Tag } from '../model.ts';
import { newId, policyOf } from '../naming.ts';
import type { Repo } from '../ports/repo.ts';
import { requireTags, requireText } from '../rules.ts';

export interface CreateSecurityGroupInput {
  name: string;
  description?: string;
  projectId?: string;
  /** The VPC the group belongs to, where the provider binds groups to one (JD Cloud). */
  vpcId?: string;
  tags?: Tag[];
  rules?: RuleSpecs;
}

const DIRECTIONS: readonly RuleDirection[] = ['ingress', 'egress'];
const PROTOCOLS = new Map(['ALL', 'TCP', 'UDP', 'ICMP', 'ICMPV6', 'GRE'].map((p) => [p, p === 'ICMPV6' ? 'ICMPv6' : p]));
/** Protocols whose rules name ports; the others match every port of their protocol. */
const PORTED = new Set(['TCP', 'UDP']);
/** An IPv6 address or block: eight groups, or fewer with one `::` (no address check beyond that). */
function isIpv6Cidr(s: string): boolean {
  const [addr, mask, ...rest] = s.split('/');
  if (rest.length || (mask !== undefined && !/^(?:\d|[1-9]\d|1[01]\d|12[0-8])$/.test(mask))) return false;
  const halves = addr!.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return false;
  return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

function validPort(p: string): boolean {
  return /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;
}

/** 'ALL', '80', '8000-8010' or '80,443'; every port 1–65535 and a range low to high. */
function normalizePorts(protocol: string, ports: string | undefined): string {
  const raw = (ports ?? '').trim();
  if (!PORTED.has(protocol)) {
    if (raw === '' || raw.toUpperCase() === 'ALL') return 'ALL';
    return fail('InvalidValue', { field: 'rule.ports', reason: 'malformed', value: ports });
  }
  if (raw === '' || raw.toUpperCase() === 'ALL') return 'ALL';
  const range = /^(\d+)-(\d+)$/.exec(raw);
  if (range && validPort(range[1]!) && validPort(range[2]!) && Number(range[1]) <= Number(range[2])) return raw;
  if (!range && raw.split(',').every(validPort)) return raw;
  return fail('InvalidValue', { field: 'rule.ports', reason: 'malformed', value: ports });
}

/** The rule in its stored form, or InvalidValue naming what is wrong with it. */
function normalizeRule(core: CoreContext, scope: Scope, direction: RuleDirection, spec: RuleSpec, now: number): SecurityGroupRule {
  const protocol = PROTOCOLS.get((spec.protocol ?? 'ALL').trim().toUpperCase());
  if (!protocol) fail('InvalidValue', { field: 'rule.protocol', reason: 'malformed', value: spec.protocol });
  const ports = normalizePorts(protocol, spec.ports);
  const cidr = (spec.cidr ?? '').trim();
  const ipv6Cidr = (spec.ipv6Cidr ?? '').trim();
  const peerGroupId = (spec.peerGroupId ?? '').trim();
  // A rule matches one kind of peer: an IPv4 block or address, an IPv6 block, or another group.
  if ([cidr, ipv6Cidr, peerGroupId].filter((x) => x !== '').length !== 1) {
    fail('InvalidValue', { field: 'rule.target', reason: 'malformed', value: [cidr, ipv6Cidr, peerGroupId].filter((x) => x !== '').join(' and ') || 'no address and no group' });
  }
  if (cidr && !parseCidr(cidr) && parseIpv4(cidr) === undefined) fail('InvalidValue', { field: 'rule.target', reason: 'malformed', value: cidr });
  if (ipv6Cidr && !isIpv6Cidr(ipv6Cidr)) fail('InvalidValue', { field: 'rule.target', reason: 'malformed', value: ipv6Cidr });
  const action = (spec.action ?? 'ACCEPT').trim().toUpperCase();
  if (action !== 'ACCEPT' && action !== 'DROP') fail('InvalidValue', { field: 'rule.action', reason: 'malformed', value: spec.action });
  const description = spec.description ?? '';
  const rule = policyOf(core, scope.provider).text['securityGroup.description'];
  if ([...description].length > rule.max) fail('InvalidValue', { field: 'rule.description', reason: 'tooLong', limit: rule.max, unit: 'chars' });
  return { id: newId(core, scope.provider, 'securityGroupRule'), direction, protocol, ports, cidr, ipv6Cidr, peerGroupId, action, description, modifiedAt: now };
}

/** The group, or NotFound / PermissionDenied (another account's id). */
export async function mustGetSecurityGroup(tx: Repo, scope: Scope, id: string): Promise<SecurityGroup> {
  const g = await tx.getSecurityGroup(scope, id);
  if (g) return g;
  if (await tx.securityGroupOwnedElsewhere(id, scope.accountId)) fail('PermissionDenied', { resource: 'securityGroup', id });
  return fail('NotFound', { resource: 'securityGroup', id });
}

/**
 * The groups an ENI or instance is placed in: no repeats, at most the provider's number, each the
 * caller's own and, where groups belong to a VPC, of the resource's VPC. Returns them in order.
 */
export async function requireSecurityGroups(
  core: CoreContext,
  tx: Repo,
  scope: Scope,
  ids: readonly string[],
  on: { resource: 'eni' | 'instance'; vpcId: string },
): Promise<string[]> {
  const { perResource, vpcBound } = policyOf(core, scope.provider).securityGroups;
  if (new Set(ids).size !== ids.length) fail('InvalidValue', { field: 'securityGroups', reason: 'duplicate', value: ids });
  if (ids.length > perResource) fail('SecurityGroupsPerResourceExceeded', { resource: on.resource, limit: perResource });
  // Held until commit, in id order: a group being deleted cannot gain a member meanwhile, and two
  // requests naming the same groups in other orders cannot wait on each other.
  for (const id of [...ids].sort()) await tx.lockSecurityGroup(id);
  for (const id of ids) {
    const g = await mustGetSecurityGroup(tx, scope, id);
    if (vpcBound && g.vpcId !== on.vpcId) fail('ResourceMismatch', { resource: 'securityGroup', id, expected: on.vpcId });
  }
  return [...ids];
}

/** Peer groups named by rules must exist in the caller's account (a group may name itself). */
async function requirePeers(tx: Repo, scope: Scope, self: string, rules: readonly SecurityGroupRule[]): Promise<void> {
  for (const id of new Set(rules.map((r) => r.peerGroupId).filter((p) => p !== '' && p !== self))) await mustGetSecurityGroup(tx, scope, id);
}

/** Within the provider's rule quota, and no rule twice in one direction. */
function requireRuleRoom(core: CoreContext, scope: Scope, g: Pick<SecurityGroup, 'id' | 'rules'>): void {
  const { rules: limit, rulesCountedPer } = policyOf(core, scope.provider).securityGroups;
  const counts = rulesCountedPer === 'group' ? [g.rules.length] : DIRECTIONS.map((d) => g.rules.filter((r) => r.direction === d).length);
  if (counts.some((n) => n > limit)) fail('SecurityGroupRuleQuotaExceeded', { securityGroupId: g.id, limit });
  for (let i = 0; i < g.rules.length; i++) {
    for (let k = 0; k < i; k++) {
      if (g.rules[k]!.direction === g.rules[i]!.direction && sameRule(g.rules[k]!, g.rules[i]!)) fail('SecurityGroupRuleDuplicate', { securityGroupId: g.id });
    }
  }
}

function normalizeAll(core: CoreContext, scope: Scope, specs: RuleSpecs | undefined, now: number): SecurityGroupRule[] {
  return DIRECTIONS.flatMap((d) => (specs?.[d] ?? []).map((s) => normalizeRule(core, scope, d, s, now)));
}

export async function createSecurityGroup(core: CoreContext, scope: Scope, input: CreateSecurityGroupInput, _meta: RequestMeta): Promise<SecurityGroup> {
  const policy = policyOf(core, scope.provider);
  requireText('securityGroup.name', input.name, policy.text['securityGroup.name']);
  requireText('securityGroup.description', input.description, policy.text['securityGroup.description']);
  requireTags(policy.tags, input.tags ?? []);
  const now = core.clock.now();
  const rules = normalizeAll(core, scope, input.rules, now);
  return core.store.write(async (tx) => {
    // One group change of an account at a time: the quota count, the peers and the insert agree.
    await tx.lockAccount(scope.accountId);
    let vpcId = '';
    if (policy.securityGroups.vpcBound) {
      vpcId = input.vpcId ?? '';
      await tx.lockVpc(vpcId);
      if (!(await tx.getVpc(scope, vpcId))) fail('NotFound', { resource: 'vpc', id: vpcId });
    }
    const existing = await tx.listSecurityGroups(scope, policy.securityGroups.vpcBound ? vpcId : undefined);
    if (existing.length >= policy.securityGroups.quota) fail('SecurityGroupQuotaExceeded', { limit: policy.securityGroups.quota });
    const g: SecurityGroup = {
      id: newId(core, scope.provider, 'securityGroup'),
      accountId: scope.accountId,
      region: scope.region,
      vpcId,
      name: input.name,
      description: input.description ?? '',
      projectId: input.projectId ?? '0',
      isDefault: false,
      tags: input.tags ?? [],
      policyVersion: rules.length ? 1 : 0,
      rules,
      createdAt: now,
      updatedAt: now,
    };
    requireRuleRoom(core, scope, g);
    await requirePeers(tx, scope, g.id, rules);
    await tx.insertSecurityGroup(g);
    return g;
  });
}

export async function listSecurityGroups(core: CoreContext, scope: Scope, q: { ids?: readonly string[]; vpcId?: string } = {}): Promise<SecurityGroup[]> {
  const all = await core.store.peek((tx) => tx.listSecurityGroups(scope, q.vpcId));
  return q.ids ? all.filter((g) => q.ids!.includes(g.id)) : all;
}

/** One group; NotFound or PermissionDenied when it is not the caller's. */
export async function getSecurityGroup(core: CoreContext, scope: Scope, id: string): Promise<SecurityGroup> {
  return core.store.read((tx) => mustGetSecurityGroup(tx, scope, id));
}

export async function modifySecurityGroup(core: CoreContext, scope: Scope, id: string, input: { name?: string; description?: string }): Promise<SecurityGroup> {
  const { text } = policyOf(core, scope.provider);
  requireText('securityGroup.name', input.name, text['securityGroup.name']);
  requireText('securityGroup.description', input.description, text['securityGroup.description']);
  return core.store.write(async (tx) => {
    await tx.lockAccount(scope.accountId);
    await tx.lockSecurityGroup(id);
    const g = await mustGetSecurityGroup(tx, scope, id);
    const next = { ...g, name: input.name ?? g.name, description: input.description ?? g.description, updatedAt: core.clock.now() };
    await tx.updateSecurityGroup(next);
    return next;
  });
}

export interface SecurityGroupUse {
  securityGroupId: string;
  /** Secondary ENIs in the group. */
  enis: string[];
  /** Primary ENIs in the group (they follow their instance's groups). */
  primaryEnis: string[];
  instances: string[];
  /** Other groups whose rules name this one as their peer. */
  referencedBy: string[];
}

async function useOf(tx: Repo, scope: Scope, g: SecurityGroup): Promise<SecurityGroupUse> {
  const members = await tx.securityGroupMembers(scope, g.id);
  const referencedBy = (await tx.listSecurityGroups(scope)).filter((o) => o.id !== g.id && o.rules.some((r) => r.peerGroupId === g.id)).map((o) => o.id);
  return { securityGroupId: g.id, ...members, referencedBy };
}

export async function securityGroupUse(core: CoreContext, scope: Scope, ids: readonly string[]): Promise<SecurityGroupUse[]> {
  return core.store.read(async (tx) => {
    const out: SecurityGroupUse[] = [];
    for (const id of ids) out.push(await useOf(tx, scope, await mustGetSecurityGroup(tx, scope, id)));
    return out;
  });
}

/** A group still holding ENIs or instances, or named by another group's rule, stays. */
export async function deleteSecurityGroup(core: CoreContext, scope: Scope, id: string): Promise<void> {
  await core.store.write(async (tx) => {
    // Under the account's lock no rule of another group can start naming this one meanwhile.
    await tx.lockAccount(scope.accountId);
    await tx.lockSecurityGroup(id);
    const g = await mustGetSecurityGroup(tx, scope, id);
    const use = await useOf(tx, scope, g);
    if (use.enis.length || use.primaryEnis.length || use.instances.length) fail('ResourceInUse', { resource: 'securityGroup', id, reason: 'the security group is bound to ENIs or instances' });
    if (use.referencedBy.length) fail('ResourceInUse', { resource: 'securityGroup', id, reason: `the security group is referenced by the rules of ${use.referencedBy.join(', ')}` });
    await tx.deleteSecurityGroup(id);
  });
}

/**
 * Whether a caller's rules version still fits. Unconfirmed, our choice: Tencent's docs call Version
 * "the current version, to avoid stale updates", yet its Terraform provider sends the version the
 * change will make (current + 1). We accept no version, the current one and the next; any other
 * number is a stale view. (ModifySecurityGroupPolicies checks none; its Version "0" means "clear".)
 */
function versionFits(version: number | undefined, current: number): boolean {
  return version === undefined || version === current || version === current + 1;
}

/**
 * Rewrites a group's rules in one transaction: `edit` gets the current rules and returns the new
 * ones. With `version`, the caller's view must still be current. Quotas and peers are checked on the
 * result; the version moves on by one.
 */
async function editRules(
  core: CoreContext,
  scope: Scope,
  id: string,
  version: number | undefined,
  edit: (rules: SecurityGroupRule[], now: number) => SecurityGroupRule[],
): Promise<SecurityGroup> {
  return core.store.write(async (tx) => {
    // The account's lock first (see createSecurityGroup): the peers named stay until commit.
    await tx.lockAccount(scope.accountId);
    await tx.lockSecurityGroup(id);
    const g = await mustGetSecurityGroup(tx, scope, id);
    if (!versionFits(version, g.policyVersion)) fail('PolicyVersionMismatch', { securityGroupId: id, version: version!, current: g.policyVersion });
    const now = core.clock.now();
    const rules = edit(g.rules, now);
    const next: SecurityGroup = { ...g, rules, policyVersion: g.policyVersion + 1, updatedAt: now };
    requireRuleRoom(core, scope, next);
    await requirePeers(tx, scope, id, rules);
    await tx.updateSecurityGroup(next);
    return next;
  });
}

/** The rules of one direction and the others, keeping each list's order. */
function split(rules: readonly SecurityGroupRule[], d: RuleDirection): { mine: SecurityGroupRule[]; others: SecurityGroupRule[] } {
  return { mine: rules.filter((r) => r.direction === d), others: rules.filter((r) => r.direction !== d) };
}

function join(ingress: SecurityGroupRule[], egress: SecurityGroupRule[]): SecurityGroupRule[] {
  return [...ingress, ...egress];
}

function byDirection(rules: readonly SecurityGroupRule[]): Record<RuleDirection, SecurityGroupRule[]> {
  return { ingress: rules.filter((r) => r.direction === 'ingress'), egress: rules.filter((r) => r.direction === 'egress') };
}

/**
 * Adds rules; with `at`, each direction's new rules go in before its rule at that index (0 = first),
 * otherwise after the last. An index past the end is InvalidValue.
 */
export async function addSecurityGroupRules(
  core: CoreContext,
  scope: Scope,
  id: string,
  input: { rules: RuleSpecs; at?: number; version?: number },
): Promise<SecurityGroup & { added: SecurityGroupRule[] }> {
  const fresh = normalizeAll(core, scope, input.rules, core.clock.now());
  const g = await editRules(core, scope, id, input.version, (rules) => {
    const cur = byDirection(rules);
    const add = byDirection(fresh);
    const place = (list: SecurityGroupRule[], more: SecurityGroupRule[]): SecurityGroupRule[] => {
      if (!more.length) return list;
      if (input.at === undefined) return [...list, ...more];
      if (input.at < 0 || input.at > list.length) fail('InvalidValue', { field: 'rule.index', reason: 'range', value: input.at });
      return [...list.slice(0, input.at), ...more, ...list.slice(input.at)];
    };
    return join(place(cur.ingress, add.ingress), place(cur.egress, add.egress));
  });
  return { ...g, added: fresh };
}

/** How rules to remove are named: by index in one direction, by id, or by their content. */
export type RuleSelector =
  | { direction: RuleDirection; indexes: readonly number[] }
  | { ids: readonly string[] }
  | { direction: RuleDirection; matching: readonly RuleSpec[] };

function sameRule(a: SecurityGroupRule, b: SecurityGroupRule): boolean {
  return a.protocol === b.protocol && a.ports === b.ports && a.cidr === b.cidr && a.ipv6Cidr === b.ipv6Cidr && a.peerGroupId === b.peerGroupId && a.action === b.action;
}

/** Removes the rules named; a name that matches no rule is NotFound and nothing is removed. */
export async function removeSecurityGroupRules(core: CoreContext, scope: Scope, id: string, input: { select: RuleSelector; version?: number }): Promise<SecurityGroup> {
  const sel = input.select;
  const wanted = 'matching' in sel ? sel.matching.map((s) => normalizeRule(core, scope, sel.direction, s, 0)) : [];
  return editRules(core, scope, id, input.version, (rules) => {
    if ('ids' in sel) {
      for (const rid of sel.ids) if (!rules.some((r) => r.id === rid)) fail('NotFound', { resource: 'securityGroupRule', id: rid });
      return rules.filter((r) => !sel.ids.includes(r.id));
    }
    const { mine, others } = split(rules, sel.direction);
    let drop: Set<number>;
    if ('indexes' in sel) {
      for (const i of sel.indexes) if (!Number.isInteger(i) || i < 0 || i >= mine.length) fail('NotFound', { resource: 'securityGroupRule', id: `${sel.direction}:${i}` });
      drop = new Set(sel.indexes);
    } else {
      drop = new Set();
      for (const w of wanted) {
        const i = mine.findIndex((r, k) => !drop.has(k) && sameRule(r, w));
        if (i < 0) fail('NotFound', { resource: 'securityGroupRule', id: `${sel.direction}:${w.protocol}:${w.ports}:${w.cidr || w.ipv6Cidr || w.peerGroupId}` });
        drop.add(i);
      }
    }
    const kept = mine.filter((_, k) => !drop.has(k));
    return sel.direction === 'ingress' ? join(kept, others) : join(others, kept);
  });
}

/**
 * Replaces whole directions: each direction given gets exactly these rules; with `clearOmitted`,
 * a direction not given is emptied (Tencent ModifySecurityGroupPolicies with both sets empty).
 */
export async function replaceSecurityGroupRules(
  core: CoreContext,
  scope: Scope,
  id: string,
  input: { rules: RuleSpecs; clearOmitted?: boolean; version?: number },
): Promise<SecurityGroup> {
  const fresh = byDirection(normalizeAll(core, scope, input.rules, core.clock.now()));
  return editRules(core, scope, id, input.version, (rules) => {
    const cur = byDirection(rules);
    const pick = (d: RuleDirection) => (input.rules[d] !== undefined ? fresh[d] : input.clearOmitted ? [] : cur[d]);
    return join(pick('ingress'), pick('egress'));
  });
}

export type RuleAt = { direction: RuleDirection; index: number } | { id: string };

/**
 * Replaces rules in place, each named by direction and index or by id; all of them or none. A rule
 * keeps its id, direction and place. `rule` may be worked out from the rule as it is in the same
 * transaction (a partial change: what it does not name stays as it is).
 */
export async function replaceSecurityGroupRule(
  core: CoreContext,
  scope: Scope,
  id: string,
  input: { edits: ReadonlyArray<{ at: RuleAt; rule: RuleSpec | ((current: SecurityGroupRule) => RuleSpec) }>; version?: number },
): Promise<SecurityGroup> {
  return editRules(core, scope, id, input.version, (rules, now) => {
    const next = [...rules];
    for (const { at, rule } of input.edits) {
      const i = 'id' in at ? rules.findIndex((r) => r.id === at.id) : indexOf(rules, at.direction, at.index);
      if (i < 0) fail('NotFound', { resource: 'securityGroupRule', id: 'id' in at ? at.id : `${at.direction}:${at.index}` });
      const old = next[i]!;
      next[i] = { ...normalizeRule(core, scope, old.direction, typeof rule === 'function' ? rule(old) : rule, now), id: old.id };
    }
    return next;
  });
}

/** The position in `rules` of the `index`-th rule of `direction`, or -1. */
function indexOf(rules: readonly SecurityGroupRule[], direction: RuleDirection, index: number): number {
  let seen = -1;
  for (let k = 0; k < rules.length; k++) if (rules[k]!.direction === direction && ++seen === index) return k;
  return -1;
}
