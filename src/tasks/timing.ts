/** Durations given as `MS` or `MIN-MAX` milliseconds: the model's latency and the data plane's work time. */
import type { TaskTiming } from '../core/context.ts';

/** Parses `200` or `100-500` into a sampler of milliseconds; the flag name goes into the error. */
export function parseRange(spec: string | undefined, flag: string, fallback: string, random: () => number = Math.random): () => number {
  const text = (spec ?? '').trim() || fallback;
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw new Error(`${flag}: "${text}" is not MS or MIN-MAX (milliseconds)`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (max < min) throw new Error(`${flag}: ${min}-${max} has MIN above MAX`);
  return () => min + Math.round(random() * (max - min));
}

/** How long an accepted operation waits, transitional, before the engine may complete it (`--latency`). */
export function parseLatency(spec: string | undefined, random: () => number = Math.random): TaskTiming {
  const sample = parseRange(spec, '--latency', '100', random);
  return { dueAt: (_kind, now) => now + sample() };
}
