import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  builtinCatalog, defaultEniQuota, findInstanceType, findRegion, findZone, loadCatalog,
} from '../../../src/core/catalog.ts';

const dir = mkdtempSync(join(tmpdir(), 'eniplane-catalog-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const writeOverride = (content: unknown): string => {
  const file = join(dir, `override-${n++}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

test('tencent regions and zones are built in', () => {
  const cat = loadCatalog();
  assert.deepEqual(
    cat.providers.tencent.regions.map((r) => r.region),
    ['ap-guangzhou', 'ap-shanghai', 'ap-beijing', 'ap-shanghai-fsi', 'ap-shenzhen-fsi'],
  );
  const gz = findRegion(cat, 'tencent', 'ap-guangzhou');
  assert.equal(gz?.nameZh, '华南地区(广州)');
  assert.equal(gz?.nameEn, 'South China(Guangzhou)');
  assert.equal(gz?.finance, false);
  assert.deepEqual(gz?.zones.map((z) => z.zone), ['ap-guangzhou-3', 'ap-guangzhou-4', 'ap-guangzhou-6', 'ap-guangzhou-7']);
  assert.deepEqual(gz?.zones[0], {
    zone: 'ap-guangzhou-3', zoneId: '100003', nameZh: '广州三区', nameEn: 'Guangzhou Zone 3', state: 'AVAILABLE',
  });
  assert.deepEqual(findRegion(cat, 'tencent', 'ap-shanghai')?.zones.map((z) => z.zoneId),
    ['200002', '200003', '200004', '200005', '200008']);
  assert.equal(findZone(cat, 'tencent', 'ap-shanghai-8')?.zone.nameZh, '上海八区');
  assert.equal(findZone(cat, 'tencent', 'ap-beijing-7')?.zone.zoneId, '800007');

  const fsi = findRegion(cat, 'tencent', 'ap-shanghai-fsi');
  assert.equal(fsi?.finance, true);
  assert.equal(fsi?.nameZh, '华东地区(上海金融)');
  assert.deepEqual(fsi?.zones.map((z) => [z.zone, z.zoneId]),
    [['ap-shanghai-fsi-1', '700001'], ['ap-shanghai-fsi-2', '700002'], ['ap-shanghai-fsi-3', '700003']]);
  const sz = findZone(cat, 'tencent', 'ap-shenzhen-fsi-2');
  assert.equal(sz?.region.region, 'ap-shenzhen-fsi');
  assert.equal(sz?.region.nameEn, 'South China(Shenzhen Finance)');
  assert.equal(sz?.zone.zoneId, '110002');

  assert.equal(findRegion(cat, 'tencent', 'ap-nowhere'), undefined);
  assert.equal(findZone(cat, 'tencent', 'ap-guangzhou-5'), undefined);
  assert.equal(findZone(cat, 'jdcloud', 'ap-guangzhou-3'), undefined, 'providers are separate');
});

test('tencent instance types carry the spec §8.3 default quotas', () => {
  const cat = loadCatalog();
  assert.equal(cat.providers.tencent.defaultInstanceType, 'S5.MEDIUM4');
  assert.equal(cat.providers.tencent.instanceTypes.length, 17);
  const q = (t: string) => {
    const it = findInstanceType(cat, 'tencent', t);
    return it && [it.cpu, it.memory, it.eniQuota, it.ipQuota, it.extendEniQuota, it.extendIpQuota, it.supportsEni];
  };
  assert.deepEqual(q('S5.SMALL1'), [1, 1, 2, 6, 0, 20, true]);
  assert.deepEqual(q('S5.SMALL2'), [1, 2, 2, 6, 0, 20, true]);
  assert.deepEqual(q('S5.MEDIUM4'), [2, 4, 2, 10, 0, 20, true]);
  assert.deepEqual(q('SA2.LARGE8'), [4, 8, 4, 10, 0, 20, true]);
  assert.deepEqual(q('S5.2XLARGE16'), [8, 16, 6, 10, 0, 20, true]);
  assert.deepEqual(q('SA2.3XLARGE24'), [12, 24, 8, 20, 0, 20, true]);
  assert.deepEqual(q('S5.8XLARGE64'), [32, 64, 8, 20, 0, 20, true]);
  assert.equal(findInstanceType(cat, 'tencent', 'SA2.4XLARGE32')?.family, 'SA2');
  const legacy = findInstanceType(cat, 'tencent', 'S1.SMALL1');
  assert.equal(legacy?.supportsEni, false);
  assert.equal(legacy?.eniQuota, 1);
  assert.equal(findInstanceType(cat, 'tencent', 'S5.HUGE'), undefined);
  assert.deepEqual(defaultEniQuota(3), { eniQuota: 2, ipQuota: 10, extendEniQuota: 0, extendIpQuota: 20 });
  assert.deepEqual(defaultEniQuota(64), { eniQuota: 8, ipQuota: 20, extendEniQuota: 0, extendIpQuota: 20 });
});

test('jdcloud regions, AZs and instance types are built in', () => {
  const cat = loadCatalog();
  const jd = cat.providers.jdcloud;
  assert.deepEqual(jd.regions.map((r) => [r.region, r.nameZh, r.zones.length]), [
    ['cn-north-1', '华北-北京', 3], ['cn-east-1', '华东-宿迁', 1], ['cn-east-2', '华东-上海', 3], ['cn-south-1', '华南-广州', 3],
  ]);
  const az = findZone(cat, 'jdcloud', 'cn-east-2c');
  assert.equal(az?.region.region, 'cn-east-2');
  assert.equal(az?.zone.zoneId, 'cn-east-2c');
  assert.equal(az?.region.finance, false);
  assert.equal(jd.defaultInstanceType, 'g.n2.medium');
  const q = (t: string) => {
    const it = findInstanceType(cat, 'jdcloud', t);
    return it && [it.cpu, it.memory, it.eniQuota, it.ipQuota];
  };
  assert.deepEqual(q('g.n2.medium'), [1, 4, 2, 21]);
  assert.deepEqual(q('g.n2.large'), [2, 8, 2, 21]);
  assert.deepEqual(q('g.n2.xlarge'), [4, 16, 4, 21]);
  assert.deepEqual(q('g.n2.2xlarge'), [8, 32, 8, 21]);
  assert.deepEqual(q('c.n2.large'), [2, 4, 2, 21]);
});

test('the built-in catalog is frozen and loadCatalog returns independent copies', () => {
  assert.throws(() => { builtinCatalog.providers.tencent.defaultInstanceType = 'x'; }, TypeError);
  const a = loadCatalog();
  a.providers.tencent.regions.pop();
  a.providers.tencent.instanceTypes[0]!.eniQuota = 99;
  const b = loadCatalog();
  assert.equal(b.providers.tencent.regions.length, 5);
  assert.equal(b.providers.tencent.instanceTypes[0]!.eniQuota, 2);
});

test('an override file replaces and adds regions and instance types by key', () => {
  const file = writeOverride({
    providers: {
      tencent: {
        regions: [
          { region: 'ap-guangzhou', nameZh: '广州', nameEn: 'Guangzhou', finance: false,
            zones: [{ zone: 'ap-guangzhou-3', zoneId: '100003', nameZh: '广州三区', nameEn: 'Guangzhou Zone 3', state: 'UNAVAILABLE' }] },
          { region: 'ap-chengdu', nameZh: '西南地区(成都)', nameEn: 'Southwest China(Chengdu)', finance: false,
            zones: [{ zone: 'ap-chengdu-1', zoneId: '160001', nameZh: '成都一区', nameEn: 'Chengdu Zone 1', state: 'AVAILABLE' }] },
        ],
        instanceTypes: [
          { type: 'S5.MEDIUM4', family: 'S5', cpu: 2, memory: 4, eniQuota: 3, ipQuota: 12,
            extendEniQuota: 1, extendIpQuota: 20, supportsEni: true },
          { type: 'GN7.2XLARGE32', family: 'GN7', cpu: 8, memory: 32, eniQuota: 6, ipQuota: 10,
            extendEniQuota: 0, extendIpQuota: 20, supportsEni: true, gpu: 1 },
        ],
        defaultInstanceType: 'GN7.2XLARGE32',
      },
    },
  });
  const cat = loadCatalog(file);
  const t = cat.providers.tencent;
  assert.deepEqual(t.regions.map((r) => r.region),
    ['ap-guangzhou', 'ap-shanghai', 'ap-beijing', 'ap-shanghai-fsi', 'ap-shenzhen-fsi', 'ap-chengdu']);
  assert.deepEqual(findRegion(cat, 'tencent', 'ap-guangzhou')?.zones.map((z) => [z.zone, z.state]),
    [['ap-guangzhou-3', 'UNAVAILABLE']], 'a region entry replaces the whole region');
  assert.equal(findZone(cat, 'tencent', 'ap-guangzhou-4'), undefined);
  assert.equal(findZone(cat, 'tencent', 'ap-chengdu-1')?.region.nameEn, 'Southwest China(Chengdu)');
  assert.equal(findInstanceType(cat, 'tencent', 'S5.MEDIUM4')?.eniQuota, 3);
  assert.equal(findInstanceType(cat, 'tencent', 'S5.LARGE8')?.eniQuota, 4, 'untouched entries stay');
  assert.equal(findInstanceType(cat, 'tencent', 'GN7.2XLARGE32')?.gpu, 1);
  assert.equal(t.instanceTypes.length, 18);
  assert.equal(t.defaultInstanceType, 'GN7.2XLARGE32');
  // The other provider is untouched, as is the built-in.
  assert.deepEqual(cat.providers.jdcloud, loadCatalog().providers.jdcloud);
  assert.equal(findRegion(builtinCatalog, 'tencent', 'ap-chengdu'), undefined);
});

test('an empty override changes nothing', () => {
  assert.deepEqual(loadCatalog(writeOverride({})), loadCatalog());
  assert.deepEqual(loadCatalog(writeOverride({ providers: { jdcloud: {} } })), loadCatalog());
});

test('invalid override files fail with a clear error naming the file', () => {
  const bad = (content: unknown, pattern: RegExp) => {
    const file = writeOverride(content);
    assert.throws(() => loadCatalog(file), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.ok(e.message.includes(file), e.message);
      assert.match(e.message, pattern);
      return true;
    });
  };
  bad('{ not json', /cannot read JSON/);
  bad('[]', /invalid shape/);
  bad({ providers: { aws: {} } }, /invalid shape/);
  bad({ providers: { tencent: { instancetypes: [] } } }, /invalid shape/);
  bad({ providers: { tencent: { regions: [{ region: 'ap-x' }] } } }, /invalid shape[\s\S]*zones/);
  bad({ providers: { tencent: { instanceTypes: [{ type: 'X.1', family: 'X', cpu: 0, memory: 1, eniQuota: 1,
    ipQuota: 1, extendEniQuota: 0, extendIpQuota: 0, supportsEni: true }] } } }, /invalid shape[\s\S]*cpu/);
  bad({ providers: { tencent: { defaultInstanceType: 'NOPE.SMALL1' } } }, /defaultInstanceType NOPE\.SMALL1/);
  const zone = { zone: 'ap-guangzhou-3', zoneId: '1', nameZh: '', nameEn: '', state: 'AVAILABLE' };
  bad({ providers: { tencent: { regions: [{ region: 'ap-y', nameZh: '', nameEn: '', finance: false, zones: [zone] }] } } },
    /zone ap-guangzhou-3 appears more than once/);
  const region = { region: 'ap-z', nameZh: '', nameEn: '', finance: false, zones: [] };
  bad({ providers: { tencent: { regions: [region, region] } } }, /region ap-z is listed twice/);
  assert.throws(() => loadCatalog(join(dir, 'missing.json')), /missing\.json: cannot read JSON/);
});
