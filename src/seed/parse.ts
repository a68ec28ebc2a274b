/**
 * Reads a seed file (YAML, or JSON, which is YAML too) into the plan core applies (core/ops/seed.ts):
 * checks its shape, resolves references by id or by name, gives every resource its declared or
 * derived id, and names the file and line of whatever is wrong.
 */
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Node } from 'yaml';
import { z } from 'zod';
import type { Catalog } from '../core/catalog.ts';
import type { Provider, RuleSpec } from '../core/model.ts';
import { derivedAccountId, derivedId, SeedError, type SeedAccount, type SeedPlan } from '../core/ops/seed.ts';

const name = z.string().min(1).max(128);
const optionalId = z.string().min(1).optional();
const rule = z.strictObject({
  protocol: z.string().optional(),
  ports: z.union([z.string(), z.number().int()]).optional(),
  cidr: z.string().optional(),
  ipv6Cidr: z.string().optional(),
  action: z.enum(['ACCEPT', 'DROP']).optional(),
  description: z.string().optional(),
});
const subnet = z.strictObject({ id: optionalId, name, cidr: z.string(), zone: z.string().optional() });
const vpc = z.strictObject({ id: optionalId, name, cidr: z.string(), region: z.string().optional(), subnets: z.array(subnet).default([]) });
const securityGroup = z.strictObject({
  id: optionalId,
  name,
  description: z.string().default(''),
  region: z.string().optional(),
  vpc: z.string().optional(),
  ingress: z.array(rule).default([]),
  egress: z.array(rule).default([]),
});
const refs = z.array(z.string().min(1)).default([]);
const instance = z.strictObject({ id: optionalId, name, type: z.string().optional(), subnet: z.string(), zone: z.string().optional(), privateIp: z.string().optional(), securityGroups: refs });
const eni = z.strictObject({
  id: optionalId,
  name,
  description: z.string().optional(),
  subnet: z.string(),
  ips: z.array(z.string()).default([]),
  secondaryCount: z.number().int().min(0).optional(),
  securityGroups: refs,
  attachTo: z.string().optional(),
});
const key = z.strictObject({
  secretId: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, 'a key id is 8–128 of letters, digits, _ and -'),
  secretKey: z.string().min(8).max(128),
});
const account = z.strictObject({
  id: z.string().regex(/^acc-[a-z0-9]{10}$/, 'an account id is acc- and 10 of a-z, 0-9').optional(),
  name: z.string().min(1).max(64),
  provider: z.enum(['tencent', 'jdcloud']).default('tencent'),
  region: z.string().optional(),
  keys: z.array(key).min(1),
  vpcs: z.array(vpc).default([]),
  securityGroups: z.array(securityGroup).default([]),
  instances: z.array(instance).default([]),
  enis: z.array(eni).default([]),
});
const seedFile = z.strictObject({ version: z.literal(1).optional(), accounts: z.array(account).min(1) });

type Path = ReadonlyArray<string | number>;

/** The plan a seed file declares; a SeedError naming `file:line` when it is not one. */
export function parseSeed(text: string, file: string, catalog: Catalog): SeedPlan {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => `${file}:${lines.linePos(offset).line}`;
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new SeedError(`${lineAt(e.pos[0])}: ${e.message.split('\n')[0]}`);
  }
  const at = (path: Path, key?: string): string => {
    const node = nodeAt(doc.contents as Node | null, path, key);
    return node?.range ? lineAt(node.range[0]) : `${file}:1`;
  };
  const parsed = seedFile.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const where = [...issue.path, ...(unknown ? [unknown] : [])].join('.');
    throw new SeedError(`${at(issue.path as Path, unknown)}: ${where ? `${where}: ` : ''}${issue.message}`);
  }

  const seen = new Map<string, string>();
  const claim = (id: string, where: string) => {
    const first = seen.get(id);
    if (first) throw new SeedError(`${where}: ${id} is declared twice (also at ${first})`);
    seen.set(id, where);
  };

  const accounts = parsed.data.accounts.map((a, ai): SeedAccount => {
    const here = (...rest: Array<string | number>) => at(['accounts', ai, ...rest]);
    const provider: Provider = a.provider;
    const info = catalog.providers[provider];
    const policy = info.policy;
    const accountId = a.id ?? derivedAccountId(provider, a.name);
    claim(accountId, here());
    const regionOf = (given: string | undefined, where: string): string => {
      const region = given ?? a.region ?? info.regions[0]!.region;
      if (!info.regions.some((r) => r.region === region)) throw new SeedError(`${where}: ${provider} has no region ${region}`);
      return region;
    };
    regionOf(undefined, here('region'));
    /** The declared id, checked against the provider's form, or the derived one. */
    const idOf = (kind: keyof typeof policy.prefixes, given: string | undefined, itemName: string, where: string): string => {
      const prefix = policy.prefixes[kind];
      if (given !== undefined && !new RegExp(`^${prefix}-[a-z0-9]{${policy.idLength}}$`).test(given)) {
        throw new SeedError(`${where}: ${given} is not a ${provider} ${kind} id (${prefix}- and ${policy.idLength} of a-z, 0-9)`);
      }
      const id = given ?? derivedId(policy, prefix, accountId, kind, itemName);
      claim(id, where);
      return id;
    };
    const names = new Map<string, string>();
    const uniqueName = (kind: string, itemName: string, where: string) => {
      const k = `${kind}\u0000${itemName}`;
      if (names.has(k)) throw new SeedError(`${where}: two ${kind}s named "${itemName}" (also at ${names.get(k)}); names are how a seed refers to what it declares`);
      names.set(k, where);
    };

    const vpcs = a.vpcs.map((v, vi) => {
      const where = here('vpcs', vi);
      uniqueName('vpc', v.name, where);
      const region = regionOf(v.region, where);
      const id = idOf('vpc', v.id, v.name, where);
      const zones = info.regions.find((r) => r.region === region)!.zones.map((z) => z.zone);
      const subnets = v.subnets.map((s, si) => {
        const sWhere = here('vpcs', vi, 'subnets', si);
        uniqueName('subnet', s.name, sWhere);
        // Subnets are zonal where ENIs are (Tencent), regional otherwise (JD Cloud).
        if (!policy.eniZoneBound && s.zone !== undefined) throw new SeedError(`${sWhere}: zone: ${provider} subnets belong to the region, not to a zone`);
        const zone = policy.eniZoneBound ? (s.zone ?? zones[0]!) : '';
        if (policy.eniZoneBound && !zones.includes(zone)) throw new SeedError(`${sWhere}: ${region} has no zone ${zone} (${zones.join(', ')})`);
        return { id: idOf('subnet', s.id, s.name, sWhere), name: s.name, cidr: s.cidr, zone, at: sWhere };
      });
      return { id, region, zones, name: v.name, cidr: v.cidr, subnets, at: where };
    });
    const byRef = <T extends { id: string; name: string }>(items: T[], kind: string, ref: string, where: string): T => {
      const found = items.find((x) => x.id === ref) ?? items.find((x) => x.name === ref);
      if (!found) throw new SeedError(`${where}: no ${kind} "${ref}" in this account's seed`);
      return found;
    };
    const allSubnets = vpcs.flatMap((v) => v.subnets.map((s) => ({ ...s, vpcId: v.id, region: v.region, zones: v.zones })));

    const securityGroups = a.securityGroups.map((g, gi) => {
      const where = here('securityGroups', gi);
      uniqueName('securityGroup', g.name, where);
      let region = regionOf(g.region, where);
      let vpcId: string | undefined;
      if (policy.securityGroups.vpcBound) {
        if (g.vpc === undefined) throw new SeedError(`${where}: a ${provider} security group belongs to one VPC: give its vpc`);
        const v = byRef(vpcs, 'vpc', g.vpc, here('securityGroups', gi, 'vpc'));
        vpcId = v.id;
        region = v.region;
      } else if (g.vpc !== undefined) throw new SeedError(`${where}: vpc: ${provider} security groups belong to a region, not to a VPC`);
      const ruleOf = ({ ports, ...r }: z.infer<typeof rule>): RuleSpec => ({ ...r, ...(ports !== undefined && { ports: String(ports) }) });
      return { id: idOf('securityGroup', g.id, g.name, where), region, name: g.name, description: g.description, ...(vpcId && { vpcId }), rules: { ingress: g.ingress.map(ruleOf), egress: g.egress.map(ruleOf) }, at: where };
    });
    const groupIds = (list: string[], path: Array<string | number>) => list.map((ref, n) => byRef(securityGroups, 'securityGroup', ref, here(...path, n)).id);

    const instances = a.instances.map((i, ii) => {
      const where = here('instances', ii);
      uniqueName('instance', i.name, where);
      const s = byRef(allSubnets, 'subnet', i.subnet, here('instances', ii, 'subnet'));
      // An instance is in its subnet's zone; in a regional subnet, in the zone given (or the first).
      if (s.zone !== '' && i.zone !== undefined && i.zone !== s.zone) throw new SeedError(`${where}: zone: ${i.zone} is not the zone of subnet ${s.name} (${s.zone})`);
      const zone = s.zone || (i.zone ?? s.zones[0]!);
      if (!s.zones.includes(zone)) throw new SeedError(`${where}: ${s.region} has no zone ${zone} (${s.zones.join(', ')})`);
      return {
        id: idOf('instance', i.id, i.name, where),
        region: s.region,
        name: i.name,
        ...(i.type !== undefined && { type: i.type }),
        vpcId: s.vpcId,
        subnetId: s.id,
        zone,
        ...(i.privateIp !== undefined && { privateIp: i.privateIp }),
        securityGroupIds: groupIds(i.securityGroups, ['instances', ii, 'securityGroups']),
        at: where,
      };
    });
    const enis = a.enis.map((e, ei) => {
      const where = here('enis', ei);
      uniqueName('eni', e.name, where);
      const s = byRef(allSubnets, 'subnet', e.subnet, here('enis', ei, 'subnet'));
      const target = e.attachTo === undefined ? undefined : byRef(instances, 'instance', e.attachTo, here('enis', ei, 'attachTo'));
      if (target && target.region !== s.region) throw new SeedError(`${where}: attachTo: ${target.id} is in ${target.region}, the ENI in ${s.region}`);
      return {
        id: idOf('eni', e.id, e.name, where),
        region: s.region,
        name: e.name,
        ...(e.description !== undefined && { description: e.description }),
        vpcId: s.vpcId,
        subnetId: s.id,
        ips: e.ips,
        ...(e.secondaryCount !== undefined && { secondaryCount: e.secondaryCount }),
        securityGroupIds: groupIds(e.securityGroups, ['enis', ei, 'securityGroups']),
        ...(target && { attachTo: target.id }),
        at: where,
      };
    });
    const keys = a.keys.map((k, ki) => ({ ...k, at: here('keys', ki) }));
    return { id: accountId, provider, name: a.name, keys, vpcs: vpcs.map(({ zones: _zones, ...v }) => v), securityGroups, instances, enis, at: here() };
  });
  const keyIds = new Map<string, string>();
  for (const a of accounts) {
    for (const k of a.keys) {
      if (keyIds.has(k.secretId)) throw new SeedError(`${k.at}: key ${k.secretId} is declared twice (also at ${keyIds.get(k.secretId)})`);
      keyIds.set(k.secretId, k.at);
    }
  }
  return { accounts };
}

/** The node at `path` (and, with `key`, that key of the map there), as far as the path goes. */
function nodeAt(root: Node | null, path: Path, key?: string): Node | null {
  let node: Node | null = root;
  let last: Node | null = root;
  for (const step of [...path, ...(key !== undefined ? [key] : [])]) {
    if (!node) break;
    const children = (node as { items?: unknown[] }).items;
    if (!children) break;
    let next: Node | null = null;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
      // The key itself for a key that should not be there; the value otherwise.
      next = pair ? ((step === key ? pair.key : pair.value) as Node | null) ?? (pair.key as Node) : null;
    } else if (typeof step === 'number') next = (children[step] as Node | undefined) ?? null;
    if (!next) break;
    last = node = next;
  }
  return last;
}
