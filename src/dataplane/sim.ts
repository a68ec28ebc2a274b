/**
 * The simulated data plane: nothing to configure on a host, but failures can be injected per
 * operation kind so that users can test their rollback handling (`--faults attach=0.2,*=0.01`).
 */
import { DomainError } from '../core/errors.ts';
import type { TaskKind } from '../core/model.ts';
import type { Driver, Effect } from './driver.ts';

/** The short names users write in --faults, one per task kind. */
export const FAULT_NAMES: Record<string, TaskKind> = {
  create: 'eni.create',
  delete: 'eni.delete',
  attach: 'eni.attach',
  detach: 'eni.detach',
  migrate: 'eni.migrate',
  assign: 'eni.assignIps',
  unassign: 'eni.unassignIps',
  'migrate-ip': 'ip.migrate',
  run: 'instance.run',
  start: 'instance.start',
  stop: 'instance.stop',
  terminate: 'instance.terminate',
};

export type FaultRates = Partial<Record<TaskKind | '*', number>>;

/** Parses `attach=0.5,detach=0.1,*=0.01`; throws a message naming the bad part. */
export function parseFaults(spec: string | undefined): FaultRates {
  const out: FaultRates = {};
  if (!spec) return out;
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, value] = part.split('=');
    const rate = Number(value);
    if (!name || value === undefined || !Number.isFinite(rate) || rate < 0 || rate > 1) {
      throw new Error(`--faults: "${part}" is not NAME=RATE with RATE between 0 and 1`);
    }
    const kind = name === '*' ? '*' : FAULT_NAMES[name];
    if (!kind) throw new Error(`--faults: unknown operation "${name}"; known: ${Object.keys(FAULT_NAMES).join(', ')}, *`);
    out[kind] = rate;
  }
  return out;
}

export class SimDriver implements Driver {
  readonly name = 'sim';
  constructor(
    private readonly faults: FaultRates = {},
    private readonly random: () => number = Math.random,
    /**
     * How long applying an effect takes (`--dataplane-delay`). The engine holds the task's lease
     * meanwhile, which is what a node crash in the middle of an operation looks like.
     */
    private readonly workMs: () => number = () => 0,
  ) {}

  async apply(effect: Effect): Promise<void> {
    const work = this.workMs();
    if (work > 0) await new Promise((r) => setTimeout(r, work));
    const rate = this.faults[effect.kind] ?? this.faults['*'] ?? 0;
    if (rate > 0 && this.random() < rate) {
      throw new DomainError('DataplaneFailure', { operation: effect.kind, detail: 'injected fault (sim driver)' });
    }
  }
}
