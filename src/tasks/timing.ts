/** How long an accepted operation stays in its transitional state: `--latency 200` or `100-500` (ms). */
import type { TaskTiming } from '../core/context.ts';

export function parseLatency(spec: string | undefined, random: () => number = Math.random): TaskTiming {
  const text = (spec ?? '').trim() || '100';
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw new Error(`--latency: "${text}" is not MS or MIN-MAX (milliseconds)`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (max < min) throw new Error(`--latency: ${min}-${max} has MIN above MAX`);
  return { dueAt: (_kind, now) => now + min + Math.round(random() * (max - min)) };
}
