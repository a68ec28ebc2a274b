/**
 * Regions, zones and instance types each provider offers: built in, overridable by a JSON file so
 * operators can add a region or change a quota without a release.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export type Provider = 'tencent' | 'jdcloud';

export function isProvider(p: string): p is Provider {
  return p === 'tencent' || p === 'jdcloud';
}

export interface ZoneInfo {
  zone: string;
  zoneId: string;
  nameZh: string;
  nameEn: string;
  state: 'AVAILABLE' | 'UNAVAILABLE';
}

export interface RegionInfo {
  region: string;
  nameZh: string;
  nameEn: string;
  /** Finance regions (`*-fsi`) are served from their own endpoints (spec api3 §1.1). */
  finance: boolean;
  zones: ZoneInfo[];
}

export interface InstanceTypeInfo {
  type: string;
  family: string;
  cpu: number;
  /** GiB. */
  memory: number;
  /** Standard ENIs per instance, INCLUDING the primary ENI. */
  eniQuota: number;
  /** Private IPs per standard ENI, INCLUDING the primary IP. */
  ipQuota: number;
  extendEniQuota: number;
  extendIpQuota: number;
  supportsEni: boolean;
  gpu?: number;
}

/** A length (and, where the vendor documents one, character-set) rule for a name or description. */
export interface TextRule {
  max: number;
  /** Tencent counts names in UTF-8 bytes, descriptions and JD Cloud's texts in characters. */
  unit: 'bytes' | 'chars';
  min?: number;
  /** Allowed characters, as the source of a RegExp character class's body (JD Cloud names). */
  charset?: string;
}

/** The texts whose rules differ between providers. */
export type TextField = 'vpc.name' | 'subnet.name' | 'eni.name' | 'eni.description' | 'instance.name' | 'securityGroup.name' | 'securityGroup.description';

/**
 * How a provider's cloud differs in kind, not in size: its id and MAC forms, whether ENIs are
 * bound to a zone, which subnet addresses it reserves. Built in; not overridable by a catalog file.
 */
export interface ProviderPolicy {
  /** Length and character rules of names and descriptions, as each vendor documents them. */
  text: Record<TextField, TextRule>;
  /** Characters of [a-z0-9] after the prefix: Tencent `eni-1a2b3c4d` (8), JD Cloud `port-1a2b3c4d5e` (10). */
  idLength: number;
  prefixes: { vpc: string; subnet: string; eni: string; instance: string; routeTable: string; eip: string; securityGroup: string; securityGroupRule: string };
  macPrefix: string;
  /** How security groups are scoped and how many of them and their rules an account may have. */
  securityGroups: {
    /** Groups belong to one VPC (JD Cloud) rather than to the region (Tencent). */
    vpcBound: boolean;
    /** Groups per account per region (Tencent) or per VPC (JD Cloud). */
    quota: number;
    /** Rules per group: in each direction (Tencent) or in both together (JD Cloud). */
    rules: number;
    rulesCountedPer: 'direction' | 'group';
    /** Groups one ENI or one instance may be in. */
    perResource: number;
  };
  /** How many tags a resource may carry and how long their keys and values may be (characters). */
  tags: { perResource: number; keyMax: number; valueMax: number; reservedKeyPrefixes: readonly string[] };
  /** Names the cloud gives when a caller gives none, and how a batch of instances is numbered. */
  naming: {
    /** An instance created without a name. */
    instance: string;
    /** Between a batch's shared name and each instance's number (1…n) when several are created at once. */
    batchSeparator: string;
    /** The primary ENI an instance is born with. */
    primaryEni: string;
  };
  /**
   * Tencent: an ENI lives in its subnet's zone and attaches only to instances of that zone.
   * JD Cloud: subnets are regional and an ENI attaches to any instance of its VPC; only an EIP on
   * it brings a zone constraint.
   */
  eniZoneBound: boolean;
  /** Whether a VPC may be created without a CIDR block (JD Cloud: empty means no restriction). */
  vpcCidrOptional: boolean;
  /** Addresses reserved right after the network address: Tencent the gateway (1); JD Cloud gateway and DHCP (2). */
  reservedAfterNetwork: number;
  /** Private IPs an ENI may hold while attached to no instance (primary included). */
  ipsPerDetachedEni: number;
  /**
   * Tencent documents CreateNetworkInterface as asynchronous (State PENDING, then AVAILABLE). JD
   * Cloud's ENI has no state a client could wait on, so its creation completes in the request.
   */
  eniCreateAsync: boolean;
}

/** A public image instances may be launched from (DescribeImages). */
export interface ImageInfo {
  id: string;
  name: string;
  osName: string;
  platform: string;
  architecture: string;
  /** GiB. */
  sizeGb: number;
  /** ISO 8601, UTC. */
  createdAt: string;
}

export interface ProviderCatalog {
  policy: ProviderPolicy;
  regions: RegionInfo[];
  instanceTypes: InstanceTypeInfo[];
  defaultInstanceType: string;
  /** Public images. An image id not listed is still accepted by RunInstances (tests name their own). */
  images: ImageInfo[];
}

export interface Catalog {
  providers: Record<Provider, ProviderCatalog>;
}

type EniQuota = Pick<InstanceTypeInfo, 'eniQuota' | 'ipQuota' | 'extendEniQuota' | 'extendIpQuota'>;

/**
 * Tencent ENI quotas by core count: the spec §8.3 *suggested emulator default*, NOT Tencent's
 * published table (doc 576/18527 could not be retrieved). Whether Tencent's numbers include the
 * primary ENI and primary IP is unconfirmed; our documented choice is that both are INCLUSIVE, so a
 * 1-core instance holds the primary ENI plus one more, each with at most 6 IPs including its primary.
 * Override per type in the catalog file when real numbers are known.
 */
export function defaultEniQuota(cpu: number): EniQuota {
  const [eniQuota, ipQuota] =
    cpu < 2 ? [2, 6] : cpu < 4 ? [2, 10] : cpu < 8 ? [4, 10] : cpu < 12 ? [6, 10] : [8, 20];
  return { eniQuota, ipQuota, extendEniQuota: 0, extendIpQuota: 20 };
}

/**
 * JD Cloud quotas by core count. eniQuota is JD's `nicLimit`, which counts the primary NIC; ipQuota
 * is 1 primary + 20 secondary IPs. JD has no "extended" ENIs.
 */
function jdcloudEniQuota(cpu: number): EniQuota {
  return { eniQuota: cpu <= 2 ? 2 : cpu < 8 ? 4 : 8, ipQuota: 21, extendEniQuota: 0, extendIpQuota: 0 };
}

const ZH_DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/** Tencent zones: `${region}-${n}`, numeric zoneId = region base + n (ap-guangzhou-3 → 100003). */
function tencentRegion(
  region: string, nameZh: string, nameEn: string, zhCity: string, enCity: string,
  zoneIdBase: number, zoneNumbers: number[], finance = false,
): RegionInfo {
  return {
    region, nameZh, nameEn, finance,
    zones: zoneNumbers.map((n) => ({
      zone: `${region}-${n}`,
      zoneId: String(zoneIdBase + n),
      nameZh: `${zhCity}${ZH_DIGITS[n]}区`,
      nameEn: `${enCity} Zone ${n}`,
      state: 'AVAILABLE' as const,
    })),
  };
}

/** Tencent sizes shared by S5 and SA2: [suffix, cores, GiB]. */
const TENCENT_SIZES: ReadonlyArray<[string, number, number]> = [
  ['SMALL1', 1, 1], ['SMALL2', 1, 2], ['MEDIUM4', 2, 4], ['LARGE8', 4, 8],
  ['2XLARGE16', 8, 16], ['3XLARGE24', 12, 24], ['4XLARGE32', 16, 32], ['8XLARGE64', 32, 64],
];

function tencentTypes(): InstanceTypeInfo[] {
  const modern = ['S5', 'SA2'].flatMap((family) =>
    TENCENT_SIZES.map(([size, cpu, memory]) => ({
      type: `${family}.${size}`, family, cpu, memory, supportsEni: true, ...defaultEniQuota(cpu),
    })),
  );
  // A legacy family so the "instance type does not support ENIs" rule (spec §8.2) has a subject:
  // it keeps only its primary ENI.
  const legacy: InstanceTypeInfo = {
    type: 'S1.SMALL1', family: 'S1', cpu: 1, memory: 1, supportsEni: false,
    ...defaultEniQuota(1), eniQuota: 1, extendIpQuota: 0,
  };
  return [...modern, legacy];
}

function jdRegion(region: string, nameZh: string, nameEn: string, azLetters: string): RegionInfo {
  return {
    region, nameZh, nameEn, finance: false,
    zones: [...azLetters].map((l) => ({
      zone: `${region}${l}`,
      zoneId: `${region}${l}`, // JD has no numeric zone id; the AZ name serves as both
      nameZh: `可用区${l.toUpperCase()}`,
      nameEn: `Availability Zone ${l.toUpperCase()}`,
      state: 'AVAILABLE' as const,
    })),
  };
}

function jdTypes(): InstanceTypeInfo[] {
  const sizes: Array<[string, string, number, number]> = [
    ['g.n2.medium', 'g.n2', 1, 4], ['g.n2.large', 'g.n2', 2, 8], ['g.n2.xlarge', 'g.n2', 4, 16],
    ['g.n2.2xlarge', 'g.n2', 8, 32], ['c.n2.large', 'c.n2', 2, 4],
  ];
  return sizes.map(([type, family, cpu, memory]) => ({
    type, family, cpu, memory, supportsEni: true, ...jdcloudEniQuota(cpu),
  }));
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.values(o).forEach(deepFreeze);
    Object.freeze(o);
  }
  return o;
}

/** JD Cloud's name characters: CJK ideographs, ASCII letters and digits, `_` and `-`. */
const JD_NAME_CHARS = '\\u4e00-\\u9fa5A-Za-z0-9_\\-';

/** Frozen: it is shared process-wide; loadCatalog hands out mutable copies. */
export const builtinCatalog: Catalog = deepFreeze({
  providers: {
    tencent: {
      policy: {
        // Names: 60 bytes (API 3.0 docs: "最多支持60个字节"); ENI descriptions 60 characters;
        // instance names 128 characters (InvalidInstanceName.TooLong beyond). No character set.
        text: {
          'vpc.name': { max: 60, unit: 'bytes' },
          'subnet.name': { max: 60, unit: 'bytes' },
          'eni.name': { max: 60, unit: 'bytes' },
          'eni.description': { max: 60, unit: 'chars' },
          'instance.name': { max: 128, unit: 'chars' },
          // SecurityGroupName "最多60个字符", SecurityGroupDesc "最多100个字符" (API 3.0 docs).
          'securityGroup.name': { max: 60, unit: 'chars' },
          'securityGroup.description': { max: 100, unit: 'chars' },
        },
        idLength: 8,
        prefixes: { vpc: 'vpc', subnet: 'subnet', eni: 'eni', instance: 'ins', routeTable: 'rtb', eip: 'eip', securityGroup: 'sg', securityGroupRule: 'sgr' },
        // RunInstances without InstanceName names it 未命名; several at once get 1…n appended (CVM docs).
        naming: { instance: '未命名', batchSeparator: '', primaryEni: 'Primary ENI' },
        // Tag docs (651/13354): 50 per resource, keys 1–127 and values up to 255 characters; keys may
        // not begin with qcloud, tencent or project (the tag API), nor qcs: or 项目.
        tags: { perResource: 50, keyMax: 127, valueMax: 255, reservedKeyPrefixes: ['qcloud', 'tencent', 'project', 'qcs:', '项目'] },
        // Tencent's documented defaults: 50 groups per region, 100 rules in each direction, 5 groups per
        // CVM (5 per ENI is inferred from the same limit).
        securityGroups: { vpcBound: false, quota: 50, rules: 100, rulesCountedPer: 'direction', perResource: 5 },
        macPrefix: '20:90:6F',
        eniZoneBound: true,
        vpcCidrOptional: false,
        reservedAfterNetwork: 1,
        // DescribeNetworkInterfaceLimit on an ENI id reports 10 in Tencent's official example.
        ipsPerDetachedEni: 10,
        eniCreateAsync: true,
      },
      regions: [
        tencentRegion('ap-guangzhou', '华南地区(广州)', 'South China(Guangzhou)', '广州', 'Guangzhou', 100000, [3, 4, 6, 7]),
        tencentRegion('ap-shanghai', '华东地区(上海)', 'East China(Shanghai)', '上海', 'Shanghai', 200000, [2, 3, 4, 5, 8]),
        tencentRegion('ap-beijing', '华北地区(北京)', 'North China(Beijing)', '北京', 'Beijing', 800000, [3, 5, 6, 7]),
        tencentRegion('ap-shanghai-fsi', '华东地区(上海金融)', 'East China(Shanghai Finance)', '上海金融', 'Shanghai Finance', 700000, [1, 2, 3], true),
        tencentRegion('ap-shenzhen-fsi', '华南地区(深圳金融)', 'South China(Shenzhen Finance)', '深圳金融', 'Shenzhen Finance', 110000, [1, 2, 3], true),
      ],
      instanceTypes: tencentTypes(),
      defaultInstanceType: 'S5.MEDIUM4',
      images: [
        { id: 'img-pi0ii46r', name: 'TencentOS Server 3.1 (TK4)', osName: 'TencentOS Server 3.1 (TK4)', platform: 'TencentOS', architecture: 'x86_64', sizeGb: 20, createdAt: '2023-03-01T00:00:00+00:00' },
        { id: 'img-487zeit5', name: 'Ubuntu Server 22.04 LTS 64位', osName: 'Ubuntu Server 22.04 LTS 64bit', platform: 'Ubuntu', architecture: 'x86_64', sizeGb: 20, createdAt: '2022-06-01T00:00:00+00:00' },
        { id: 'img-l8og963d', name: 'CentOS 7.9 64位', osName: 'CentOS 7.9 64bit', platform: 'CentOS', architecture: 'x86_64', sizeGb: 20, createdAt: '2021-03-01T00:00:00+00:00' },
        { id: 'img-eb30mz89', name: 'OpenCloudOS Server 9', osName: 'OpenCloudOS Server 9', platform: 'OpenCloudOS', architecture: 'x86_64', sizeGb: 20, createdAt: '2023-09-01T00:00:00+00:00' },
      ],
    },
    jdcloud: {
      policy: {
        // vpcName, subnetName, networkInterfaceName: Chinese characters, letters, digits, `_` and
        // `-`, at most 32 characters; descriptions at most 256; instance names 2 to 128 characters
        // (spec jdcloud §4.5, §4.11–4.13). Subnet names: the docs give no rule of their own; the
        // console applies the VPC rule, and so do we.
        text: {
          'vpc.name': { max: 32, unit: 'chars', charset: JD_NAME_CHARS },
          'subnet.name': { max: 32, unit: 'chars', charset: JD_NAME_CHARS },
          'eni.name': { max: 32, unit: 'chars', charset: JD_NAME_CHARS },
          'eni.description': { max: 256, unit: 'chars' },
          'instance.name': { min: 2, max: 128, unit: 'chars' },
          // networkSecurityGroupName: Chinese, digits, letters, '_' and '-', 1–32 characters; description ≤ 256.
          'securityGroup.name': { min: 1, max: 32, unit: 'chars', charset: JD_NAME_CHARS },
          'securityGroup.description': { max: 256, unit: 'chars' },
        },
        idLength: 10,
        prefixes: { vpc: 'vpc', subnet: 'subnet', eni: 'port', instance: 'i', routeTable: 'rtb', eip: 'fip', securityGroup: 'sg', securityGroupRule: 'sgr' },
        // instanceSpec.name is required, so `instance` is never used. Unconfirmed: how JD numbers a
        // batch (maxCount > 1); we append 1…n as Tencent does, with no separator.
        naming: { instance: 'instance', batchSeparator: '', primaryEni: 'Primary ENI' },
        // Unconfirmed for JD Cloud: we apply Tencent's numbers and reserve JD's own prefix.
        tags: { perResource: 50, keyMax: 127, valueMax: 255, reservedKeyPrefixes: ['jrn:', 'jdc-'] },
        // JD Cloud (VPC restrictions page): groups belong to a VPC, 50 per VPC, 100 rules per group in
        // both directions together, 5 groups per ENI or instance.
        securityGroups: { vpcBound: true, quota: 50, rules: 100, rulesCountedPer: 'group', perResource: 5 },
        macPrefix: 'FA:16:3E',
        eniZoneBound: false,
        vpcCidrOptional: true,
        reservedAfterNetwork: 2,
        // 1 primary + 20 secondary IPs, whatever the instance (JD ENI restrictions page).
        ipsPerDetachedEni: 21,
        eniCreateAsync: false,
      },
      regions: [
        jdRegion('cn-north-1', '华北-北京', 'North China-Beijing', 'abc'),
        jdRegion('cn-east-1', '华东-宿迁', 'East China-Suqian', 'a'),
        jdRegion('cn-east-2', '华东-上海', 'East China-Shanghai', 'abc'),
        jdRegion('cn-south-1', '华南-广州', 'South China-Guangzhou', 'abc'),
      ],
      instanceTypes: jdTypes(),
      defaultInstanceType: 'g.n2.medium',
      images: [
        { id: 'img-m5s0ha5x6p', name: 'CentOS 7.9 64位', osName: 'CentOS 7.9 64bit', platform: 'CentOS', architecture: 'x86_64', sizeGb: 40, createdAt: '2021-03-01T00:00:00Z' },
        { id: 'img-h6zvw8uqhk', name: 'Ubuntu 22.04 64位', osName: 'Ubuntu 22.04 64bit', platform: 'Ubuntu', architecture: 'x86_64', sizeGb: 40, createdAt: '2022-06-01T00:00:00Z' },
      ],
    },
  },
});

// Shape of an override file. Strict objects, so a misspelt key ("instancetypes") fails loudly
// instead of being ignored. Entries are whole records: an entry replaces the built-in one.
const count = z.number().int().nonnegative();
const zoneSchema = z.strictObject({
  zone: z.string().min(1), zoneId: z.string().min(1), nameZh: z.string(), nameEn: z.string(),
  state: z.enum(['AVAILABLE', 'UNAVAILABLE']),
});
const regionSchema = z.strictObject({
  region: z.string().min(1), nameZh: z.string(), nameEn: z.string(), finance: z.boolean(),
  zones: z.array(zoneSchema),
});
const instanceTypeSchema = z.strictObject({
  type: z.string().min(1), family: z.string().min(1), cpu: z.number().int().positive(),
  memory: z.number().positive(), eniQuota: count.min(1), ipQuota: count.min(1),
  extendEniQuota: count, extendIpQuota: count, supportsEni: z.boolean(),
  gpu: z.number().nonnegative().optional(), // GpuCount is a float in the API (spec §5.6)
});
const providerOverrideSchema = z.strictObject({
  regions: z.array(regionSchema).optional(),
  instanceTypes: z.array(instanceTypeSchema).optional(),
  defaultInstanceType: z.string().min(1).optional(),
});
const overrideSchema = z.strictObject({
  providers: z
    .strictObject({ tencent: providerOverrideSchema.optional(), jdcloud: providerOverrideSchema.optional() })
    .optional(),
});

/**
 * Replace entries with the same key, append new ones; built-in order is kept. The same key twice
 * in the file is an error: silently keeping one of them would hide an editing mistake.
 */
function mergeByKey<T>(base: T[], extra: T[] | undefined, key: (t: T) => string, what: string): T[] {
  if (!extra) return base;
  const seen = new Set<string>();
  const byKey = new Map(base.map((t) => [key(t), t] as const));
  for (const e of extra) {
    const k = key(e);
    if (seen.has(k)) throw new Error(`catalog: ${what} ${k} is listed twice`);
    seen.add(k);
    byKey.set(k, e);
  }
  return [...byKey.values()];
}

/** Cross-entry rules a schema cannot express; checked after merging so they hold for the result. */
function checkProvider(provider: Provider, p: ProviderCatalog): void {
  const zones = new Set<string>();
  for (const r of p.regions) {
    for (const { zone } of r.zones) {
      if (zones.has(zone)) throw new Error(`catalog: ${provider} zone ${zone} appears more than once`);
      zones.add(zone);
    }
  }
  if (!p.instanceTypes.some((t) => t.type === p.defaultInstanceType)) {
    throw new Error(`catalog: ${provider} defaultInstanceType ${p.defaultInstanceType} is not a known instance type`);
  }
}

/**
 * The built-in catalog, then an override file merged over it: `regions` and `instanceTypes` entries
 * replace built-ins with the same key (region name / type name) or add new ones.
 * Throws an Error naming the file on unreadable files, invalid JSON or a wrong shape.
 */
export function loadCatalog(file?: string): Catalog {
  const cat = structuredClone(builtinCatalog) as Catalog;
  if (file === undefined) return cat;

  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`catalog override ${file}: cannot read JSON: ${(e as Error).message}`);
  }
  const parsed = overrideSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`catalog override ${file}: invalid shape:\n${z.prettifyError(parsed.error)}`);
  }

  for (const provider of Object.keys(cat.providers) as Provider[]) {
    const o = parsed.data.providers?.[provider];
    const p = cat.providers[provider];
    try {
      if (o) {
        p.regions = mergeByKey(p.regions, o.regions, (r) => r.region, `${provider} region`);
        p.instanceTypes = mergeByKey(p.instanceTypes, o.instanceTypes, (t) => t.type, `${provider} instance type`);
        if (o.defaultInstanceType !== undefined) p.defaultInstanceType = o.defaultInstanceType;
      }
      checkProvider(provider, p);
    } catch (e) {
      throw new Error(`catalog override ${file}: ${(e as Error).message}`);
    }
  }
  return cat;
}

export function findRegion(cat: Catalog, provider: Provider, region: string): RegionInfo | undefined {
  return cat.providers[provider].regions.find((r) => r.region === region);
}

export function findZone(
  cat: Catalog, provider: Provider, zone: string,
): { region: RegionInfo; zone: ZoneInfo } | undefined {
  for (const region of cat.providers[provider].regions) {
    const z = region.zones.find((x) => x.zone === zone);
    if (z) return { region, zone: z };
  }
  return undefined;
}

export function findInstanceType(cat: Catalog, provider: Provider, type: string): InstanceTypeInfo | undefined {
  return cat.providers[provider].instanceTypes.find((t) => t.type === type);
}
