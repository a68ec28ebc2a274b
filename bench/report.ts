/** Figures, the targets of issue 7 they are judged against, and the table and JSON they are printed as. */
import { cpus, totalmem } from 'node:os';

export interface Target {
  op: '>=' | '<';
  value: number;
}

export interface Figure {
  workload: string;
  name: string;
  value: number;
  unit: string;
  /** The figure as a share of a same-run reference (baseline, SQLite), when it has one. */
  ratio?: { to: string; value: number };
  target?: Target;
  /** Whether the target is met (judged on `ratio` when the target is a ratio). */
  met?: boolean;
}

export class Report {
  readonly figures: Figure[] = [];
  readonly notes: string[] = [];

  add(workload: string, name: string, value: number, unit: string, extra: { ratio?: Figure['ratio']; target?: Target; judge?: 'ratio' } = {}): Figure {
    const f: Figure = { workload, name, value, unit };
    if (extra.ratio) f.ratio = extra.ratio;
    if (extra.target) {
      f.target = extra.target;
      const subject = extra.judge === 'ratio' ? (extra.ratio?.value ?? Number.NaN) : value;
      f.met = extra.target.op === '>=' ? subject >= extra.target.value : subject < extra.target.value;
    }
    this.figures.push(f);
    return f;
  }

  note(text: string): void {
    this.notes.push(text);
  }

  table(): string {
    const rows = [['workload', 'figure', 'value', 'ratio', 'target', 'met']];
    for (const f of this.figures) {
      rows.push([
        f.workload,
        f.name,
        `${fmt(f.value)} ${f.unit}`,
        f.ratio ? `${(f.ratio.value * 100).toFixed(1)}% of ${f.ratio.to}` : '',
        f.target ? `${f.target.op} ${fmt(f.target.value)}${f.ratio && f.target.value <= 1 ? ' (ratio)' : ''}` : '',
        f.met === undefined ? '' : f.met ? 'yes' : 'NO',
      ]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
    return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
  }

  json(meta: Record<string, unknown>): string {
    return `${JSON.stringify({ ...machine(), ...meta, figures: this.figures, notes: this.notes }, null, 2)}\n`;
  }
}

export function machine(): Record<string, unknown> {
  const c = cpus();
  return { date: new Date().toISOString(), node: process.version, cpus: c.length, cpuModel: c[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}
