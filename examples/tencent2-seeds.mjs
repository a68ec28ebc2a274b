// The legacy API 2.0 seed actions through the official qcloudapi-sdk: attach, poll the taskId,
// migrate, detach. Instances come from API 3.0 (2.0 has no RunInstances); both see one state.
import { readFileSync } from 'node:fs';
import Capi from 'qcloudapi-sdk';
import tencentcloud from 'tencentcloud-sdk-nodejs';

const creds = JSON.parse(readFileSync(process.env.ENIPLANE_CREDENTIALS ?? 'data/credentials.json', 'utf8'));
const host = process.env.ENIPLANE_ENDPOINT ?? '127.0.0.1:9280';
const capi = (serviceType) => new Capi({ SecretId: creds.secretId, SecretKey: creds.secretKey, serviceType, protocol: 'http', host, Region: 'ap-guangzhou' });
const vpc2 = capi('vpc');
const call = (data) => new Promise((ok, fail) => vpc2.request(data, (err, body) => (err ? fail(err) : body.code === 0 ? ok(body) : fail(new Error(JSON.stringify(body))))));
const cvm3 = new tencentcloud.cvm.v20170312.Client({
  credential: { secretId: creds.secretId, secretKey: creds.secretKey },
  region: 'ap-guangzhou',
  profile: { httpProfile: { endpoint: host, protocol: 'http://' } },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitTask(taskId) {
  for (let i = 0; i < 100; i++) {
    const { data } = await call({ Action: 'DescribeVpcTaskResult', taskId });
    if (data.status !== 2) return data.status === 0 ? 'succeeded' : `failed: ${JSON.stringify(data.output)}`;
    await sleep(100);
  }
  throw new Error(`task ${taskId} still running`);
}
const attachedTo = async (vpcId, eniId) => (await call({ Action: 'DescribeNetworkInterfaces', vpcId, networkInterfaceId: eniId })).data.data[0].instanceSet.instanceId;

const vpc = await call({ Action: 'CreateVpc', vpcName: 'legacy', cidrBlock: '10.2.0.0/16', subnetSet: [{ subnetName: 'a', cidrBlock: '10.2.1.0/24', zoneId: 100003 }] });
const vpcId = vpc.unVpcId;
const subnetId = vpc.subnetSet[0].unSubnetId;
const { InstanceIdSet: [a, b] } = await cvm3.RunInstances({
  Placement: { Zone: 'ap-guangzhou-3' },
  InstanceCount: 2,
  VirtualPrivateCloud: { VpcId: vpcId, SubnetId: subnetId },
});
for (;;) {
  const { instanceSet } = await new Promise((ok) => capi('cvm').request({ Action: 'DescribeInstances', instanceIds: [a, b] }, (e, body) => ok(body)));
  if (instanceSet.every((i) => i.status === 2)) break;
  await sleep(100);
}
const created = await call({ Action: 'CreateNetworkInterface', vpcId, subnetId, eniName: 'legacy-eni' });
const eniId = created.data.networkInterfaceId;
console.log('created ', eniId, await waitTask(created.data.taskId));

const attach = await call({ Action: 'AttachNetworkInterface', vpcId, networkInterfaceId: eniId, instanceId: a });
console.log('attach  ', `taskId ${attach.data.taskId}`, await waitTask(attach.data.taskId), '->', await attachedTo(vpcId, eniId));

const migrate = await call({ Action: 'MigrateNetworkInterface', vpcId, networkInterfaceId: eniId, oldInstanceId: a, newInstanceId: b });
console.log('migrate ', `taskId ${migrate.data.taskId}`, await waitTask(migrate.data.taskId), '->', await attachedTo(vpcId, eniId));

const detach = await call({ Action: 'DetachNetworkInterface', vpcId, networkInterfaceId: eniId, instanceId: b });
console.log('detach  ', `taskId ${detach.data.taskId}`, await waitTask(detach.data.taskId), '->', JSON.stringify(await attachedTo(vpcId, eniId)));
