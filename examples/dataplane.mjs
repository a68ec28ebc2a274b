// The netns data plane walkthrough (README, "A real data plane"): a VPC with two subnets, three
// instances and an ENI, through the official Tencent Cloud SDK, one step per run so that you can
// look inside the instances with `eniplane exec` in between.
//
//   eval "$(node examples/dataplane.mjs setup)"   # prints A, B, C, ENI and IP as shell variables
//   node examples/dataplane.mjs attach            # the ENI onto B
//   node examples/dataplane.mjs migrate           # from B to C
//   node examples/dataplane.mjs detach            # off C
//
// Progress goes to stderr; the state between steps is kept in data/dataplane-demo.json.
import { readFileSync, writeFileSync } from 'node:fs';
import tencentcloud from 'tencentcloud-sdk-nodejs';

const creds = JSON.parse(readFileSync(process.env.ENIPLANE_CREDENTIALS ?? 'data/credentials.json', 'utf8'));
const config = {
  credential: { secretId: creds.secretId, secretKey: creds.secretKey },
  region: 'ap-guangzhou',
  profile: { httpProfile: { endpoint: process.env.ENIPLANE_ENDPOINT ?? '127.0.0.1:9280', protocol: 'http://' } },
};
const vpc = new tencentcloud.vpc.v20170312.Client(config);
const cvm = new tencentcloud.cvm.v20170312.Client(config);
const STATE = process.env.ENIPLANE_DEMO_STATE ?? 'data/dataplane-demo.json';
const say = (...words) => console.error(...words);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitTask(requestId) {
  for (let i = 0; i < 200; i++) {
    const { Status, Output } = await vpc.DescribeVpcTaskResult({ TaskId: requestId });
    if (Status !== 'RUNNING') return { Status, Output };
    await sleep(100);
  }
  throw new Error(`task ${requestId} still running`);
}
async function attachment(id) {
  const { NetworkInterfaceSet } = await vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: [id] });
  return NetworkInterfaceSet[0].Attachment?.InstanceId ?? '(none)';
}
async function running(ids) {
  for (let i = 0; i < 200; i++) {
    const { InstanceSet } = await cvm.DescribeInstances({ InstanceIds: ids });
    if (InstanceSet.every((x) => x.InstanceState === 'RUNNING')) return InstanceSet;
    await sleep(100);
  }
  throw new Error(`instances ${ids.join(', ')} not RUNNING`);
}

const step = process.argv[2];
if (step === 'setup') {
  const { Vpc } = await vpc.CreateVpc({ VpcName: 'dataplane-demo', CidrBlock: '10.0.0.0/16' });
  const subnet = async (name, cidr) => (await vpc.CreateSubnet({ VpcId: Vpc.VpcId, SubnetName: name, CidrBlock: cidr, Zone: 'ap-guangzhou-3' })).Subnet.SubnetId;
  const [left, right] = [await subnet('left', '10.0.1.0/24'), await subnet('right', '10.0.2.0/24')];
  const run = async (name, subnetId, count) =>
    (await cvm.RunInstances({ Placement: { Zone: 'ap-guangzhou-3' }, InstanceType: 'S5.MEDIUM4', InstanceCount: count, InstanceName: name, VirtualPrivateCloud: { VpcId: Vpc.VpcId, SubnetId: subnetId } })).InstanceIdSet;
  const [a, b] = await run('left-', left, 2);
  const [c] = await run('right', right, 1);
  const instances = await running([a, b, c]);
  for (const i of instances) say(`${i.InstanceId} ${i.InstanceName.padEnd(7)} ${i.PrivateIpAddresses[0]}`);
  const created = await vpc.CreateNetworkInterface({ VpcId: Vpc.VpcId, SubnetId: left, NetworkInterfaceName: 'roaming' });
  await waitTask(created.RequestId);
  const eni = created.NetworkInterface;
  const ip = eni.PrivateIpAddressSet[0].PrivateIpAddress;
  say(`${eni.NetworkInterfaceId} ${eni.MacAddress} ${ip} (on no instance)`);
  writeFileSync(STATE, JSON.stringify({ a, b, c, eni: eni.NetworkInterfaceId, ip }));
  console.log(`A=${a} B=${b} C=${c} ENI=${eni.NetworkInterfaceId} IP=${ip}`);
} else if (step === 'attach' || step === 'migrate' || step === 'detach') {
  const s = JSON.parse(readFileSync(STATE, 'utf8'));
  const request =
    step === 'attach'
      ? await vpc.AttachNetworkInterface({ NetworkInterfaceId: s.eni, InstanceId: s.b })
      : step === 'migrate'
        ? await vpc.MigrateNetworkInterface({ NetworkInterfaceId: s.eni, SourceInstanceId: s.b, DestinationInstanceId: s.c })
        : await vpc.DetachNetworkInterface({ NetworkInterfaceId: s.eni, InstanceId: s.c });
  const { Status, Output } = await waitTask(request.RequestId);
  say(`${step.padEnd(7)} ${Status}${Status === 'FAILED' ? ` (${Output})` : ''} -> ${s.eni} on ${await attachment(s.eni)}`);
} else {
  say('usage: node examples/dataplane.mjs setup|attach|migrate|detach');
  process.exit(2);
}
