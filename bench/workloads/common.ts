/** Pieces the workloads share: measured runs of signed calls, and their figures. */
import { TcClient, type TcAnswer } from '../client.ts';
import { Latencies, runLoad, runPaced, type LoadResult } from '../load.ts';
import type { Child } from '../processes.ts';
import type { SeededAccount } from '../seed.ts';

export interface RunOptions {
  connections: number;
  warmupMs: number;
  durationMs: number;
}

export interface Measured extends LoadResult {
  latency: Map<string, Latencies>;
  /** Server CPU seconds per 1,000 completed operations (NaN when the server is not ours to read). */
  cpuPer1000: number;
  /** Share of one core the server used during the measured window. */
  serverCores: number;
  /** Share of one core this load generator used. */
  generatorCores: number;
}

/** Clients for the accounts, one connection pool each, `connections` sockets in all. */
export function clientsFor(port: number, accounts: SeededAccount[], connections: number): TcClient[] {
  const n = Math.min(accounts.length, connections);
  return accounts.slice(0, n).map((a) => new TcClient(port, a, Math.ceil(connections / n)));
}

/** Keeps a figure: a latency in ms (begun `ms` ago), or a count with the time its phase began. */
export type Recorder = (kind: string, value: number, startedAt?: number) => void;

type Runner = (
  hooks: { onMeasureStart: () => void; onMeasureEnd: () => void },
  op: (index: number, measuring: () => boolean) => Promise<void>,
) => Promise<LoadResult>;

/**
 * Runs `op` against `server` with the given runner, measuring the server's CPU over the measured
 * window. `op` is handed a Recorder that keeps a figure only if it began and ended inside that window.
 */
async function measureWith(server: Child, run: Runner, op: (index: number, record: Recorder) => Promise<void>): Promise<Measured> {
  const latency = new Map<string, Latencies>();
  let windowStart = Number.POSITIVE_INFINITY;
  let cpu0 = 0;
  let cpu1 = 0;
  let gen0 = process.cpuUsage();
  let gen1 = gen0;
  const r = await run(
    {
      onMeasureStart: () => {
        windowStart = performance.now();
        cpu0 = server.cpuSeconds();
        gen0 = process.cpuUsage();
      },
      onMeasureEnd: () => {
        cpu1 = server.cpuSeconds();
        gen1 = process.cpuUsage();
      },
    },
    (i, measuring) =>
      op(i, (kind, value, startedAt = performance.now() - value) => {
        // Only what started and ended inside the measured window counts: a call begun during the
        // warm-up (a cold start) must not land in the figures just because it ended later.
        if (!measuring() || startedAt < windowStart) return;
        let l = latency.get(kind);
        if (!l) latency.set(kind, (l = new Latencies()));
        l.add(value);
      }),
  );
  const genSeconds = (gen1.user - gen0.user + gen1.system - gen0.system) / 1e6;
  return {
    ...r,
    latency,
    cpuPer1000: ((cpu1 - cpu0) / r.ops) * 1000,
    serverCores: (cpu1 - cpu0) / r.seconds,
    generatorCores: genSeconds / r.seconds,
  };
}

/** Closed loop: `connections` workers, each starting its next operation when the last one ends. */
export function measure(server: Child, o: RunOptions, op: (worker: number, record: Recorder) => Promise<void>): Promise<Measured> {
  return measureWith(server, (hooks, run) => runLoad({ workers: o.connections, warmupMs: o.warmupMs, durationMs: o.durationMs, ...hooks }, run), op);
}

/** Open loop: operations start at `perSecond` whatever the server's pace (see runPaced). */
export function measurePaced(server: Child, o: { perSecond: number; warmupMs: number; durationMs: number }, op: (index: number, record: Recorder) => Promise<void>): Promise<Measured> {
  return measureWith(server, (hooks, run) => runPaced({ ...o, ...hooks }, (i, _due, measuring) => run(i, measuring)), op);
}

/** One timed call; an error answer throws (a benchmark of refusals would measure nothing useful). */
export async function timed(client: TcClient, service: 'vpc' | 'cvm', action: string, params: Record<string, unknown>, record: (ms: number) => void): Promise<TcAnswer['Response']> {
  const t0 = performance.now();
  const a = await client.call(service, action, params);
  record(performance.now() - t0);
  if (a.Response.Error) throw new Error(`${action}: ${a.Response.Error.Code}: ${a.Response.Error.Message}`);
  return a.Response;
}

export const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

/** The by-ID describe load: each worker asks for a random seeded ENI of its account. */
export function describeById(clients: TcClient[], accounts: SeededAccount[], checkAnswer: boolean) {
  return async (w: number, record: Recorder) => {
    const i = w % clients.length;
    const id = pick(accounts[i]!.sampleEniIds);
    const res = await timed(clients[i]!, 'vpc', 'DescribeNetworkInterfaces', { NetworkInterfaceIds: [id] }, (ms) => record('describe', ms));
    if (checkAnswer && (res.TotalCount !== 1 || (res.NetworkInterfaceSet as Array<{ NetworkInterfaceId: string }>)[0]?.NetworkInterfaceId !== id)) {
      throw new Error(`DescribeNetworkInterfaces ${id}: unexpected answer ${JSON.stringify(res).slice(0, 200)}`);
    }
  };
}
