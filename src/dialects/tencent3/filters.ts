/**
 * API 3.0 `Filters` semantics evaluated over core objects (spec §4 "Shared structures", §4.2, §4.5,
 * §4.8, §5.2): several filters are ANDed, the Values inside one filter are ORed, `tag:<key>` matches
 * the value of that tag, and an unknown filter name is an error.
 *
 * Each resource has one table mapping a filter name to a predicate over (value, resource); adding a
 * filter is adding an entry. The few filters whose meaning depends on all their values or on another
 * filter (`address-ip` with `ip-exact-match`, the CVM time bounds) are "compiled" entries instead.
 *
 * Choices where the docs are silent:
 * - A filter with an empty Values list matches nothing (an empty OR).
 * - A boolean filter accepts `true`/`false` in any letter case; any other value matches nothing.
 * - Filters about things this emulator never has (IPv6, public IPs, ISPs, CDCs, dedicated hosts,
 *   termination protection) match as if every resource lacked them.
 */
import type { Eni, Instance, SecurityGroup, Tag, Vpc } from '../../core/model.ts';
import type { SubnetView } from '../../core/model.ts';
import { MAX_STORE_VALUES, type EniField } from '../../core/ports/repo.ts';
import type { RouteTableView } from '../../core/model.ts';
import { BEIJING_OFFSET_MS, beijingTime, eniType, instanceUuid, ROUTE_TABLE_NAME } from './shapes.ts';
import { TcError } from './tcError.ts';

export interface Filter {
  Name: string;
  Values: string[];
}

type InstanceView = Instance & { primaryIps: string[] };

/** Does one filter value match this resource? */
type ValuePredicate<T> = (value: string, r: T) => boolean;
/** A filter that needs all its values, or the other filters, to decide; may reject bad values up front. */
interface Compiled<T> {
  compile(values: readonly string[], all: readonly Filter[], name: string): (r: T) => boolean;
}
type Entry<T> = ValuePredicate<T> | Compiled<T>;
type Table<T> = Readonly<Record<string, Entry<T>>>;

// ---- predicate builders ---------------------------------------------------------------------------

const eq = <T>(get: (r: T) => string): ValuePredicate<T> => (v, r) => get(r) === v;
const oneOf = <T>(get: (r: T) => readonly string[]): ValuePredicate<T> => (v, r) => get(r).includes(v);
/** Fuzzy match: the value is a substring of the field. */
const fuzzy = <T>(get: (r: T) => string): ValuePredicate<T> => (v, r) => get(r).includes(v);

function parseBool(v: string | undefined): boolean | undefined {
  const l = v?.toLowerCase();
  return l === 'true' ? true : l === 'false' ? false : undefined;
}
const bool = <T>(get: (r: T) => boolean): ValuePredicate<T> => (v, r) => parseBool(v) === get(r);
/** A property no resource has: the filter matches nothing. */
const nothing: ValuePredicate<unknown> = () => false;
/** A boolean property that is false on every resource (`'false'` matches all, `'true'` none). */
const alwaysFalse: ValuePredicate<unknown> = (v) => parseBool(v) === false;
/** A modifier of another filter: matches everything by itself. */
const modifier: Compiled<unknown> = { compile: () => () => true };

const tagKey: ValuePredicate<{ tags: Tag[] }> = (v, r) => r.tags.some((t) => t.key === v);
const tagValueOf = (key: string): ValuePredicate<{ tags: Tag[] }> => (v, r) =>
  r.tags.some((t) => t.key === key && t.value === v);

// ---- tables ---------------------------------------------------------------------------------------

/**
 * `address-ip` (spec §4.8): one value is a suffix match on any private IP; several values must each
 * match exactly; with `ip-exact-match` true, only the first value counts and it must match exactly.
 */
const addressIp: Compiled<Eni> = {
  compile(values, all) {
    const exact = all.some((f) => f.Name === 'ip-exact-match' && parseBool(f.Values[0]) === true);
    const has = (e: Eni, test: (ip: string) => boolean): boolean => e.ips.some((p) => test(p.address));
    if (exact) {
      const first = values[0];
      return (e) => first !== undefined && has(e, (ip) => ip === first);
    }
    if (values.length === 1) {
      const suffix = values[0]!;
      return (e) => has(e, (ip) => ip.endsWith(suffix));
    }
    return (e) => has(e, (ip) => values.includes(ip));
  },
};

/**
 * An equality filter the store can evaluate too (in SQL, by index): the predicate and the store field
 * it corresponds to are defined together, so the two can never mean different things.
 */
type StoreFilter = ValuePredicate<Eni> & { storeField: EniField };
const stored = (storeField: EniField, get: (e: Eni) => string | null): StoreFilter => Object.assign(((v: string, e: Eni) => get(e) === v) as ValuePredicate<Eni>, { storeField });

const eniFilters: Table<Eni> = {
  'vpc-id': stored('vpcId', (e) => e.vpcId),
  'subnet-id': stored('subnetId', (e) => e.subnetId),
  'network-interface-id': stored('id', (e) => e.id),
  // The instance shown in Attachment: settled, leaving, or arriving (as eniShape shows it).
  'attachment.instance-id': stored('shownInstanceId', (e) => e.instanceId ?? e.targetInstanceId),
  'groups.security-group-id': oneOf((e) => e.securityGroupIds),
  'network-interface-name': eq((e) => e.name),
  'network-interface-description': eq((e) => e.description),
  'address-ip': addressIp,
  'ip-exact-match': modifier,
  'tag-key': tagKey,
  'is-primary': bool((e) => e.primary),
  'eni-type': (v, e) => v === String(eniType(e)),
  'eni-qos': eq((e) => e.qosLevel),
  'address-ipv6': nothing,
  'public-address-ip': nothing,
  'address-type': nothing,
  'termination-protection': alwaysFalse,
  'traffic-protection': alwaysFalse,
};

const vpcFilters: Table<Vpc> = {
  'vpc-name': fuzzy((v) => v.name),
  'is-default': bool((v) => v.isDefault),
  'vpc-id': eq((v) => v.id),
  'cidr-block': eq((v) => v.cidr),
  'tag-key': tagKey,
  'ipv6-cidr-block': nothing,
  'isp-type': nothing,
  'address-type': nothing,
};

const subnetFilters: Table<SubnetView> = {
  'subnet-id': eq((s) => s.id),
  'vpc-id': eq((s) => s.vpcId),
  'cidr-block': eq((s) => s.cidr),
  'is-default': bool((s) => s.isDefault),
  'is-remote-vpc-snat': alwaysFalse,
  'subnet-name': fuzzy((s) => s.name),
  zone: eq((s) => s.zone),
  'tag-key': tagKey,
  // No subnet belongs to a CDC: only the empty id matches, and IsCdcSubnet is always 0.
  'cdc-id': (v) => v === '',
  'is-cdc-subnet': (v) => v === '0',
  'ipv6-cidr-block': nothing,
  'isp-type': nothing,
  'address-type': nothing,
};

/**
 * `YYYY-MM-DD hh:mm:ss` read as Beijing time (UTC+8), the convention of beijingTime, in ms since the
 * epoch; undefined if malformed or not a real date and time.
 */
export function parseBeijingTime(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec) - BEIJING_OFFSET_MS;
  // Round-trip to reject 2026-02-30, 24:00:00 and the like.
  return beijingTime(ms) === s ? ms : undefined;
}

/** `creation-start-time` / `creation-end-time`: inclusive bounds, compared at whole seconds. */
function creationBound(cmp: (createdSec: number, boundSec: number) => boolean): Compiled<InstanceView> {
  return {
    compile(values, _all, name) {
      const bounds = values.map((v) => {
        const ms = parseBeijingTime(v);
        if (ms === undefined) {
          throw new TcError(
            'InvalidParameterValue.InvalidTimeFormat',
            `The value \`${v}\` of filter \`${name}\` is not a valid time; the format is YYYY-MM-DD hh:mm:ss.`,
          );
        }
        return ms / 1000;
      });
      return (i) => bounds.some((b) => cmp(Math.floor(i.createdAt / 1000), b));
    },
  };
}

const instanceFilters: Table<InstanceView> = {
  zone: eq((i) => i.zone),
  // Every instance is in the default project 0.
  'project-id': (v) => v.trim() !== '' && Number(v) === 0,
  'vpc-id': eq((i) => i.vpcId),
  'subnet-id': eq((i) => i.subnetId),
  'instance-id': eq((i) => i.id),
  'instance-name': fuzzy((i) => i.name),
  'instance-charge-type': eq((i) => i.chargeType),
  'instance-state': eq((i) => i.state),
  'private-ip-address': oneOf((i) => i.primaryIps),
  'security-group-id': oneOf((i) => i.securityGroupIds),
  'tag-key': tagKey,
  'tag-value': (v, i) => i.tags.some((t) => t.value === v),
  'creation-start-time': creationBound((created, bound) => created >= bound),
  'creation-end-time': creationBound((created, bound) => created <= bound),
  uuid: (v, i) => instanceUuid(i.id) === v,
  'host-id': nothing,
  'dedicated-cluster-id': nothing,
  'public-ip-address': nothing,
  'ipv6-address': nothing,
};

const routeTableFilters: Table<RouteTableView> = {
  'route-table-id': eq((r) => r.id),
  'route-table-name': eq(() => ROUTE_TABLE_NAME),
  'vpc-id': eq((r) => r.vpcId),
  // Every table is its VPC's main one.
  'association.main': bool(() => true),
  'tag-key': tagKey,
};

const securityGroupFilters: Table<SecurityGroup> = {
  'security-group-id': eq((g) => g.id),
  'security-group-name': eq((g) => g.name),
  'project-id': eq((g) => g.projectId),
  'is-default': bool((g) => g.isDefault),
  'tag-key': tagKey,
};

// ---- engine ---------------------------------------------------------------------------------------

function compileFilter<T extends { tags: Tag[] }>(
  f: Filter, all: readonly Filter[], table: Table<T>, unknownCode: string,
): (r: T) => boolean {
  const entry: Entry<T> | undefined = Object.hasOwn(table, f.Name)
    ? table[f.Name]
    : f.Name.startsWith('tag:')
      ? tagValueOf(f.Name.slice('tag:'.length))
      : undefined;
  if (entry === undefined) throw new TcError(unknownCode, `The filter name \`${f.Name}\` is not supported.`);
  if (typeof entry === 'function') return (r) => f.Values.some((v) => entry(v, r));
  return entry.compile(f.Values, all, f.Name);
}

/** Every filter is validated (names, values) before any resource is looked at, so errors do not depend on the data. */
function apply<T extends { tags: Tag[] }>(items: T[], filters: Filter[], table: Table<T>, unknownCode: string): T[] {
  const tests = filters.map((f) => compileFilter(f, filters, table, unknownCode));
  return items.filter((r) => tests.every((t) => t(r)));
}

const VPC_UNKNOWN = 'InvalidParameter.FilterInvalidKey';
const CVM_UNKNOWN = 'InvalidFilter';

/** DescribeNetworkInterfaces (spec §4.8). */
export function filterEnis(enis: Eni[], filters: Filter[]): Eni[] {
  return apply(enis, filters, eniFilters, VPC_UNKNOWN);
}

/**
 * DescribeNetworkInterfaces filters split into what the store evaluates (`where`) and what is left to
 * filterEnis (`rest`). Every filter is validated first, as apply() does, so errors never depend on
 * which side a filter lands on.
 */
export function eniStoreConditions(filters: Filter[]): { where: Array<{ field: EniField; anyOf: string[] }>; rest: Filter[] } {
  for (const f of filters) compileFilter(f, filters, eniFilters, VPC_UNKNOWN);
  const where: Array<{ field: EniField; anyOf: string[] }> = [];
  const rest: Filter[] = [];
  // Past the store's budget of bound values, filters stay in memory.
  let budget = MAX_STORE_VALUES;
  for (const f of filters) {
    const entry = Object.hasOwn(eniFilters, f.Name) ? eniFilters[f.Name] : undefined;
    if (typeof entry === 'function' && 'storeField' in entry && f.Values.length <= budget) {
      where.push({ field: (entry as StoreFilter).storeField, anyOf: f.Values });
      budget -= f.Values.length;
    } else rest.push(f);
  }
  return { where, rest };
}

/** DescribeVpcs (spec §4.2). */
export function filterVpcs(vpcs: Vpc[], filters: Filter[]): Vpc[] {
  return apply(vpcs, filters, vpcFilters, VPC_UNKNOWN);
}

/** DescribeSubnets (spec §4.5). */
export function filterSubnets(subnets: SubnetView[], filters: Filter[]): SubnetView[] {
  return apply(subnets, filters, subnetFilters, VPC_UNKNOWN);
}

/**
 * Filters over things without tags (catalog images, system disks): each name's predicate is ORed
 * over its values, the filters ANDed; an unknown name is `unknownCode`.
 */
export function filterPlain<T>(items: T[], filters: Filter[], table: Readonly<Record<string, ValuePredicate<T>>>, unknownCode = CVM_UNKNOWN): T[] {
  for (const f of filters) if (!Object.hasOwn(table, f.Name)) throw new TcError(unknownCode, `The filter \`${f.Name}\` is not supported.`);
  return items.filter((r) => filters.every((f) => f.Values.some((v) => table[f.Name]!(v, r))));
}

/** DescribeRouteTables. */
export function filterRouteTables(tables: RouteTableView[], filters: Filter[]): RouteTableView[] {
  return apply(tables, filters, routeTableFilters, VPC_UNKNOWN);
}

/** DescribeSecurityGroups. */
export function filterSecurityGroups(groups: SecurityGroup[], filters: Filter[]): SecurityGroup[] {
  return apply(groups, filters, securityGroupFilters, VPC_UNKNOWN);
}

/** DescribeInstances (spec §5.2). */
export function filterInstances(instances: InstanceView[], filters: Filter[]): InstanceView[] {
  return apply(instances, filters, instanceFilters, CVM_UNKNOWN);
}
