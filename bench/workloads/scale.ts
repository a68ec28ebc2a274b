/** Filtered pages: DescribeNetworkInterfaces with a vpc-id filter, Limit 100, at a random offset. */
import type { TcClient } from '../client.ts';
import type { SeededAccount } from '../seed.ts';
import { pick, timed, type Recorder } from './common.ts';

export function filteredPage(clients: TcClient[], accounts: SeededAccount[], enisPerVpc: number) {
  const pages = Math.max(1, Math.floor(enisPerVpc / 100));
  return async (w: number, record: Recorder) => {
    const i = w % clients.length;
    const vpcId = pick(accounts[i]!.vpcIds);
    const offset = Math.floor(Math.random() * pages) * 100;
    const res = await timed(
      clients[i]!,
      'vpc',
      'DescribeNetworkInterfaces',
      { Filters: [{ Name: 'vpc-id', Values: [vpcId] }], Offset: offset, Limit: 100 },
      (ms) => record('filtered page', ms),
    );
    const set = res.NetworkInterfaceSet as Array<{ VpcId: string }>;
    if (res.TotalCount !== enisPerVpc || set.length !== Math.min(100, enisPerVpc - offset) || set.some((e) => e.VpcId !== vpcId)) {
      throw new Error(`filtered page of ${vpcId} at ${offset}: TotalCount ${String(res.TotalCount)}, ${set.length} items`);
    }
  };
}
