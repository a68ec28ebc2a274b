// Unit: reading a seed file. Errors name the file and the line of what is wrong; ids are the ones
// given or derived the same way every time; references by id or name resolve; JSON reads as YAML.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadCatalog } from '../../../src/core/catalog.ts';
import { SeedError } from '../../../src/core/ops/seed.ts';
import { parseSeed } from '../../../src/seed/parse.ts';

const catalog = loadCatalog();
const example = readFileSync(new URL('../../../examples/seed.yaml', import.meta.url), 'utf8');

const refusal = (text: string): string => {
  try {
    parseSeed(text, 'w.yaml', catalog);
  } catch (e) {
    assert.ok(e instanceof SeedError, String(e));
    return e.message;
  }
  assert.fail('the seed was accepted');
};

const base = `accounts:
  - name: a
    keys:
      - { secretId: AKIDaaaaaaaaaaaaaaaa, secretKey: secret-secret }
    vpcs:
      - name: v
        cidr: 10.0.0.0/16
        subnets:
          - { name: s, cidr: 10.0.1.0/24 }
    instances:
      - name: i
        subnet: s
    enis:
      - name: e
        subnet: s
        attachTo: i
`;

test('the example seed reads: fixed ids kept, the others derived, references resolved', () => {
  const plan = parseSeed(example, 'examples/seed.yaml', catalog);
  const [ci, jd] = plan.accounts as [NonNullable<(typeof plan.accounts)[0]>, NonNullable<(typeof plan.accounts)[0]>];
  assert.deepEqual([ci.id, ci.vpcs[0]!.id, ci.vpcs[0]!.subnets[0]!.id, ci.instances[0]!.id, ci.enis[0]!.id], ['acc-ci00000001', 'vpc-ci000001', 'subnet-ci000001', 'ins-ci000001', 'eni-ci000001']);
  assert.deepEqual([ci.enis[0]!.attachTo, ci.enis[0]!.securityGroupIds, ci.enis[0]!.ips], ['ins-ci000001', ['sg-ci000001'], ['10.0.1.20', '10.0.1.21']]);
  assert.match(ci.instances[1]!.id, /^ins-[a-z0-9]{8}$/);
  assert.equal(ci.instances[1]!.subnetId, ci.vpcs[0]!.subnets[1]!.id);
  assert.equal(ci.enis[0]!.at, `examples/seed.yaml:${example.split('\n').findIndex((l) => l.includes('id: eni-ci000001')) + 1}`);
  // JD Cloud: its own id forms, regional subnets, groups in their VPC, instances in a zone.
  assert.match(jd.id, /^acc-[a-z0-9]{10}$/);
  assert.match(jd.vpcs[0]!.id, /^vpc-[a-z0-9]{10}$/);
  assert.match(jd.enis[0]!.id, /^port-[a-z0-9]{10}$/);
  assert.deepEqual([jd.vpcs[0]!.subnets[0]!.zone, jd.instances[0]!.zone, jd.securityGroups[0]!.vpcId, jd.instances[0]!.region], ['', 'cn-north-1a', jd.vpcs[0]!.id, 'cn-north-1']);
  // Derived ids are the same on every read, and differ between names.
  assert.deepEqual(parseSeed(example, 'other.yaml', catalog).accounts.map((a) => a.enis.map((e) => e.id)), plan.accounts.map((a) => a.enis.map((e) => e.id)));
  assert.notEqual(ci.enis[1]!.id, parseSeed(example.replace('name: spare', 'name: spare-2'), 'x', catalog).accounts[0]!.enis[1]!.id);
});

test('JSON is read as well, with its lines', () => {
  const json = JSON.stringify({ accounts: [{ name: 'j', keys: [{ secretId: 'AKIDjjjjjjjjjjjjj', secretKey: 'secret-secret' }], vpcs: [{ name: 'v', cidr: 'nonsense-is-for-core' }] }] }, null, 2);
  assert.equal(parseSeed(json, 'w.json', catalog).accounts[0]!.vpcs[0]!.at, 'w.json:12');
  assert.match(refusal(json.replace('"name": "v"', '"nmae": "v"').replace('w.yaml', '')), /^w\.yaml:12: accounts\.0\.vpcs\.0\.name: /);
});

test('each refusal names the line of the problem', () => {
  const cases: Array<[string, RegExp]> = [
    // YAML's own errors, where the parser finds them.
    [base.replace('cidr: 10.0.0.0/16', 'cidr: [10.0.0.0/16'), /^w\.yaml:8: Flow sequence/],
    [base.replace('        subnet: s\n    enis', '        subnet: s\n        colour: red\n    enis'), /^w\.yaml:13: accounts\.0\.instances\.0\.colour: Unrecognized key: "colour"/],
    [base.replace('    vpcs:\n      - name: v', '    vpcs:\n      - id: vpc-TOOLONGXX\n        name: v'), /^w\.yaml:6: vpc-TOOLONGXX is not a tencent vpc id/],
    [base.replace('attachTo: i', 'attachTo: nobody'), /^w\.yaml:16: no instance "nobody"/],
    [base.replace('      - name: i\n        subnet: s', '      - name: i\n        subnet: elsewhere'), /^w\.yaml:12: no subnet "elsewhere"/],
    [base.replace('    instances:\n      - name: i\n        subnet: s', '    instances:\n      - name: i\n        subnet: s\n      - name: i\n        subnet: s'), /^w\.yaml:13: two instances named "i" \(also at w\.yaml:11\)/],
    [base.replace('{ name: s, cidr: 10.0.1.0/24 }', '{ name: s, cidr: 10.0.1.0/24, zone: mars-1 }'), /^w\.yaml:9: ap-guangzhou has no zone mars-1/],
    [base.replace('  - name: a\n', '  - name: a\n    region: moon-1\n'), /moon-1/],
    [base.replace('  - name: a\n', '  - name: a\n    provider: aws\n'), /^w\.yaml:3: accounts\.0\.provider: /],
    [base.replace('    keys:\n      - { secretId: AKIDaaaaaaaaaaaaaaaa, secretKey: secret-secret }\n', '    keys: []\n'), /^w\.yaml:3: accounts\.0\.keys: /],
    [`${base}  - name: b\n    keys:\n      - { secretId: AKIDaaaaaaaaaaaaaaaa, secretKey: other-secret }\n`, /^w\.yaml:19: key AKIDaaaaaaaaaaaaaaaa is declared twice \(also at w\.yaml:4\)/],
    [base.replace('  - name: a\n', '  - name: a\n    provider: jdcloud\n').replace('{ name: s, cidr: 10.0.1.0/24 }', '{ name: s, cidr: 10.0.1.0/24, zone: cn-north-1a }'), /^w\.yaml:10: zone: jdcloud subnets belong to the region/],
    ['accounts: 3\n', /^w\.yaml:1: accounts: /],
    ['', /^w\.yaml:1: /],
  ];
  for (const [text, message] of cases) assert.match(refusal(text), message, text);
});
