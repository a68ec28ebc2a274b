/**
 * The baseline: the least a Node.js HTTP server can do per request. It reads the body and answers a
 * fixed JSON body shaped like a one-ENI DescribeNetworkInterfaces answer, so the ratio to it is the
 * share of Node's raw HTTP throughput eniplane keeps while doing real work.
 */
import { createServer } from 'node:http';

const BODY = JSON.stringify({
  Response: {
    TotalCount: 1,
    NetworkInterfaceSet: [
      {
        NetworkInterfaceId: 'eni-baseline', NetworkInterfaceName: 'baseline', NetworkInterfaceDescription: '', SubnetId: 'subnet-baseline',
        VpcId: 'vpc-baseline', GroupSet: [], Primary: false, MacAddress: '20:90:6F:00:00:00', State: 'AVAILABLE', NetworkInterfaceState: 'AVAILABLE',
        PrivateIpAddressSet: [{ PrivateIpAddress: '10.0.0.2', Primary: true, PublicIpAddress: '', AddressId: '', Description: '', IsWanIpBlocked: false, State: 'AVAILABLE', QosLevel: 'DEFAULT' }],
        Attachment: null, Zone: 'ap-guangzhou-3', CreatedTime: '2026-11-22 10:00:00', Ipv6AddressSet: [], TagSet: [], EniType: 0, Business: 'cvm',
        CdcId: '', AttachType: 0, ResourceId: '', QosLevel: 'DEFAULT',
      },
    ],
    RequestId: '00000000-0000-4000-8000-000000000000',
  },
});

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`baseline listening on ${typeof a === 'object' && a ? a.port : 0}\n`);
});
// Keep-alive connections would hold close() open; the baseline has nothing to flush.
process.on('SIGTERM', () => process.exit(0));
