/**
 * attach → poll until AVAILABLE → detach → poll until AVAILABLE, on many ENIs at once. Each worker
 * owns one (instance, ENI) pair, so workers never contend for the same resources and every refusal
 * is a bug, not a race. Polls use DescribeNetworkInterfaces by ID, as a CNI plugin would.
 */
import type { TcClient } from '../client.ts';
import type { SeededAccount } from '../seed.ts';
import { timed, type Recorder } from './common.ts';

interface EniView {
  State: string;
  Attachment: { InstanceId: string } | null;
}

const POLL_GAP_MS = 1;

async function pollUntil(client: TcClient, eniId: string, done: (e: EniView) => boolean, record: Recorder): Promise<number> {
  for (let polls = 1; ; polls++) {
    const res = await timed(client, 'vpc', 'DescribeNetworkInterfaces', { NetworkInterfaceIds: [eniId] }, (ms) => record('poll call', ms));
    const eni = (res.NetworkInterfaceSet as EniView[])[0];
    if (!eni) throw new Error(`${eniId} vanished`);
    if (done(eni)) return polls;
    if (polls > 10_000) throw new Error(`${eniId} stuck in ${eni.State}`);
    await new Promise((r) => setTimeout(r, POLL_GAP_MS));
  }
}

export interface CyclePlan {
  worker: { client: TcClient; instanceId: string; eniId: string }[];
}

/** Spreads `workers` over the accounts' pairs: worker w gets a pair of its own. */
export function planCycles(clients: TcClient[], accounts: SeededAccount[], workers: number): CyclePlan {
  const worker: CyclePlan['worker'] = [];
  for (let w = 0; w < workers; w++) {
    const a = w % clients.length;
    const pair = accounts[a]!.cyclePairs[Math.floor(w / clients.length)];
    if (!pair) throw new Error(`not enough seeded instance/ENI pairs for ${workers} cycle workers`);
    worker.push({ client: clients[a]!, ...pair });
  }
  return { worker };
}

/** One full cycle for worker w; records per-phase latencies and polls per phase. */
export function cycleOp(plan: CyclePlan) {
  return async (w: number, record: Recorder) => {
    const { client, instanceId, eniId } = plan.worker[w]!;
    const t0 = performance.now();
    await timed(client, 'vpc', 'AttachNetworkInterface', { NetworkInterfaceId: eniId, InstanceId: instanceId }, (ms) => record('attach call', ms));
    const attachPolls = await pollUntil(client, eniId, (e) => e.State === 'AVAILABLE' && e.Attachment?.InstanceId === instanceId, record);
    const t1 = performance.now();
    record('attach→AVAILABLE', t1 - t0);
    record('polls per phase', attachPolls, t0);
    await timed(client, 'vpc', 'DetachNetworkInterface', { NetworkInterfaceId: eniId, InstanceId: instanceId }, (ms) => record('detach call', ms));
    const detachPolls = await pollUntil(client, eniId, (e) => e.State === 'AVAILABLE' && e.Attachment === null, record);
    record('detach→AVAILABLE', performance.now() - t1);
    record('polls per phase', detachPolls, t1);
  };
}
