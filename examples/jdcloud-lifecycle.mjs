// JD Cloud through the official jdcloud-sdk-js: VPC, subnet, an instance, an ENI attached with
// autoDelete, then the instance deleted and the ENI gone with it.
// First: npx eniplane accounts create --provider jdcloud --name jd --json > data/jdcloud.json
import { readFileSync } from 'node:fs';
import JDCloud from 'jdcloud-sdk-js';

JDCloud.config.update({ logger: () => {} }); // the SDK logs every request by default
const key = JSON.parse(readFileSync(process.env.ENIPLANE_JD_CREDENTIALS ?? 'data/jdcloud.json', 'utf8'));
const host = process.env.ENIPLANE_ENDPOINT ?? '127.0.0.1:9280';
const config = {
  credentials: { accessKeyId: key.accessKey, secretAccessKey: key.secretKey },
  regionId: 'cn-north-1',
  endpoint: { host, protocol: 'http' },
};
const vpc = new JDCloud.VPC(config);
const vm = new JDCloud.VM(config);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { result: { vpcId } } = await vpc.createVpc({ vpcName: 'demo', addressPrefix: '10.5.0.0/16' });
const { result: { subnetId } } = await vpc.createSubnet({ vpcId, subnetName: 'demo-a', addressPrefix: '10.5.1.0/24' });
const { result: { instanceIds: [instanceId] } } = await vm.createInstances({
  instanceSpec: {
    az: 'cn-north-1a',
    instanceType: 'g.n2.xlarge',
    imageId: 'img-demo',
    name: 'demo',
    primaryNetworkInterface: { networkInterface: { subnetId } },
  },
});
while ((await vm.describeInstance({ instanceId })).result.instance.status !== 'running') await sleep(100);

const { result: { networkInterfaceId } } = await vpc.createNetworkInterface({ subnetId, networkInterfaceName: 'demo-eni', secondaryIpCount: 1 });
await vm.attachNetworkInterface({ instanceId, networkInterfaceId, autoDelete: true });
let eni;
do {
  await sleep(100);
  eni = (await vpc.describeNetworkInterface({ networkInterfaceId })).result.networkInterface;
} while (eni.attachmentStatus !== 'attached');
console.log('attached', networkInterfaceId, 'to', eni.instanceId, 'as deviceIndex', eni.deviceIndex);

await vm.detachNetworkInterface({ instanceId, networkInterfaceId });
do {
  await sleep(100);
  eni = (await vpc.describeNetworkInterface({ networkInterfaceId })).result.networkInterface;
} while (eni.attachmentStatus !== 'detached');
console.log('detached', networkInterfaceId, 'deviceIndex', eni.deviceIndex);

await vm.attachNetworkInterface({ instanceId, networkInterfaceId, autoDelete: true });
while ((await vpc.describeNetworkInterface({ networkInterfaceId })).result.networkInterface.attachmentStatus !== 'attached') await sleep(100);
await vm.deleteInstance({ instanceId });
for (;;) {
  try {
    await vm.describeInstance({ instanceId });
    await sleep(100);
  } catch (err) {
    console.log('instance deleted:', err.error.status);
    break;
  }
}
try {
  await vpc.describeNetworkInterface({ networkInterfaceId });
} catch (err) {
  console.log('ENI deleted with it (autoDelete):', err.error.code, err.error.status);
}
