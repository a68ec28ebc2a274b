/**
 * A closed-loop load runner: N workers, each doing one operation after another for a fixed time
 * (after a warm-up whose figures are dropped), with every latency kept so percentiles are exact.
 */

export class Latencies {
  private readonly values: number[] = [];
  add(ms: number): void {
    this.values.push(ms);
  }
  get count(): number {
    return this.values.length;
  }
  /** The p-th percentile (0–100) in ms, nearest-rank; NaN when empty. */
  pct(p: number): number {
    if (!this.values.length) return Number.NaN;
    const sorted = Float64Array.from(this.values).sort();
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  }
}

export interface LoadResult {
  /** Operations completed inside the measured window. */
  ops: number;
  seconds: number;
  perSecond: number;
  errors: number;
  firstError: string | undefined;
}

/**
 * Runs `op(worker, record)` in `workers` loops for warmupMs + durationMs. `measuring()` tells an op
 * whether its figures count. Returns throughput of the measured window; latencies are the op's to record.
 */
export async function runLoad(
  o: { workers: number; warmupMs: number; durationMs: number; onMeasureStart?: () => void; onMeasureEnd?: () => void },
  op: (worker: number, measuring: () => boolean) => Promise<void>,
): Promise<LoadResult> {
  let phase: 'warmup' | 'measure' | 'done' = 'warmup';
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  let started = 0;
  let ended = 0;
  const measuring = () => phase === 'measure';
  const warm = setTimeout(() => {
    phase = 'measure';
    started = performance.now();
    o.onMeasureStart?.();
  }, o.warmupMs);
  const stop = setTimeout(() => {
    ended = performance.now();
    o.onMeasureEnd?.();
    phase = 'done';
  }, o.warmupMs + o.durationMs);
  const loop = async (w: number) => {
    while (phase !== 'done') {
      const counted = phase === 'measure';
      try {
        await op(w, measuring);
        if (counted && phase === 'measure') ops++;
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
        // A broken worker must not spin: errors are reported, and a run with many is not trusted.
        if (errors > 1000) phase = 'done';
      }
    }
  };
  await Promise.all(Array.from({ length: o.workers }, (_, w) => loop(w)));
  clearTimeout(warm);
  clearTimeout(stop);
  const seconds = ((ended || performance.now()) - started) / 1000;
  return { ops, seconds, perSecond: ops / seconds, errors, firstError };
}

/**
 * An open-loop run: operations start at a fixed rate whether or not earlier ones have finished, the
 * way independent clients arrive. `op` is handed the time its operation was due, so latency counts
 * from then (a server that falls behind shows it, rather than being asked less: no coordinated
 * omission). Returns how many started and finished inside the measured window.
 */
export async function runPaced(
  o: { perSecond: number; warmupMs: number; durationMs: number; onMeasureStart?: () => void; onMeasureEnd?: () => void },
  op: (i: number, dueAt: number, measuring: () => boolean) => Promise<void>,
): Promise<LoadResult> {
  const interval = 1000 / o.perSecond;
  const start = performance.now();
  const measureFrom = start + o.warmupMs;
  const end = measureFrom + o.durationMs;
  let measuringNow = false;
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  const inflight = new Set<Promise<void>>();
  const measuring = () => measuringNow;
  let i = 0;
  for (;;) {
    const now = performance.now();
    if (!measuringNow && now >= measureFrom) {
      measuringNow = true;
      o.onMeasureStart?.();
    }
    if (now >= end) break;
    // Start every operation that has come due (timers are coarse; several may be due at once).
    while (start + i * interval <= now) {
      const dueAt = start + i * interval;
      const counted = dueAt >= measureFrom;
      const p = op(i++, dueAt, measuring).then(
        () => {
          if (counted && performance.now() <= end) ops++;
        },
        (e: unknown) => {
          errors++;
          firstError ??= e instanceof Error ? e.message : String(e);
        },
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(5, interval))));
  }
  o.onMeasureEnd?.();
  measuringNow = false;
  await Promise.allSettled([...inflight]);
  return { ops, seconds: o.durationMs / 1000, perSecond: ops / (o.durationMs / 1000), errors, firstError };
}
