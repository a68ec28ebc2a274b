// Creates a VPC, a subnet, two instances and an ENI through the official Tencent Cloud SDK, then
// attaches the ENI, migrates it to the second instance and detaches it, polling each step.
// Run with a server started by `npm start` (credentials from data/credentials.json).
import { readFileSync } from 'node:fs';
import tencentcloud from 'tencentcloud-sdk-nodejs';

const creds = JSON.parse(readFileSync(process.env.ENIPLANE_CREDENTIALS ?? 'data/credentials.json', 'utf8'));
const config = {
  credential: { secretId: creds.secretId, secretKey: creds.secretKey },
  region: 'ap-guangzhou',
  profile: { httpProfile: { endpoint: process.env.ENIPLANE_ENDPOINT ?? '127.0.0.1:9280', protocol: 'http://' } },
};
const vpc = new tencentcloud.vpc.v20170312.Client(config);
const cvm = new tencentcloud.cvm.v20170312.Client(config);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitTask(requestId) {
  for (let i = 0; i < 100; i++) {
    const { Status, Output } = await vpc.DescribeVpcTaskResult({ TaskId: requestId });
    if (Status !== 'RUNNING') return { Status, Output };
    await sleep(100);
  }
  throw new Error(`task ${requestId} still running`);
}
async function eni(id) {
  const { NetworkInterfaceSet } = await vpc.DescribeNetworkInterfaces({ NetworkInterfaceIds: [id] });
  return NetworkInterfaceSet[0];
}

const { Vpc } = await vpc.CreateVpc({ VpcName: 'demo', CidrBlock: '10.0.0.0/16' });
const { Subnet } = await vpc.CreateSubnet({ VpcId: Vpc.VpcId, SubnetName: 'demo-a', CidrBlock: '10.0.1.0/24', Zone: 'ap-guangzhou-3' });
const { InstanceIdSet: [a, b] } = await cvm.RunInstances({
  Placement: { Zone: 'ap-guangzhou-3' },
  InstanceType: 'S5.MEDIUM4',
  InstanceCount: 2,
  InstanceName: 'demo-',
  VirtualPrivateCloud: { VpcId: Vpc.VpcId, SubnetId: Subnet.SubnetId },
});
for (;;) {
  const { InstanceSet } = await cvm.DescribeInstances({ InstanceIds: [a, b] });
  if (InstanceSet.every((i) => i.InstanceState === 'RUNNING')) break;
  await sleep(100);
}
const created = await vpc.CreateNetworkInterface({
  VpcId: Vpc.VpcId,
  SubnetId: Subnet.SubnetId,
  NetworkInterfaceName: 'demo-eni',
  SecondaryPrivateIpAddressCount: 1,
});
const eniId = created.NetworkInterface.NetworkInterfaceId;
await waitTask(created.RequestId);
console.log('created ', eniId, (await eni(eniId)).PrivateIpAddressSet.map((p) => p.PrivateIpAddress).join(', '));

const attach = await vpc.AttachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: a });
console.log('attach  ', (await waitTask(attach.RequestId)).Status, '->', (await eni(eniId)).Attachment.InstanceId);

const migrate = await vpc.MigrateNetworkInterface({ NetworkInterfaceId: eniId, SourceInstanceId: a, DestinationInstanceId: b });
console.log('migrate ', (await waitTask(migrate.RequestId)).Status, '->', (await eni(eniId)).Attachment.InstanceId);

const detach = await vpc.DetachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: b });
console.log('detach  ', (await waitTask(detach.RequestId)).Status, '->', (await eni(eniId)).Attachment);
