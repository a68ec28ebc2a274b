/**
 * How the tasks of each operation end (the control plane's step-by-step mode). `manual` tasks are
 * accepted as usual but stay in their transitional state until the control plane completes or fails
 * them; `polls` tasks likewise until their resources have been described so many times. The modes
 * live in the store and are read again at most every `refreshMs`.
 */
import type { Clock } from './clock.ts';
import type { TaskTiming } from './context.ts';
import type { TaskKind } from './model.ts';
import type { Store, TransitionMode, TransitionSetting } from './ports/repo.ts';

/** The due time of a held task: never, until released. */
export const HELD = Number.MAX_SAFE_INTEGER;

export class ModeBook implements TaskTiming {
  private modes = new Map<string, TransitionSetting>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: { store: Store; clock: Clock; base: TaskTiming; refreshMs?: number },
  ) {}

  /** Reads the modes now and then every `refreshMs`, until stop(). */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => {}), this.o.refreshMs ?? 500);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    const rows = await this.o.store.peek((tx) => tx.listTransitionModes());
    this.modes = new Map(rows.map((r) => [r.operation, r]));
    // A task accepted in `polls` mode whose operation has left it (on another node, or brought back by
    // a snapshot) would wait for describes no one counts any more: it follows its operation's mode now.
    if (await this.o.store.peek((tx) => tx.countStrayPolls())) await this.o.store.write((tx) => tx.settleStrayPolls(this.o.clock.now()));
  }

  mode(kind: TaskKind): TransitionMode {
    return this.modes.get(kind)?.mode ?? 'auto';
  }

  dueAt(kind: TaskKind, now: number): number {
    return this.mode(kind) === 'auto' ? this.o.base.dueAt(kind, now) : HELD;
  }

  polls(kind: TaskKind): number | undefined {
    const m = this.modes.get(kind);
    return m?.mode === 'polls' ? m.polls : undefined;
  }

  polling(): boolean {
    for (const m of this.modes.values()) if (m.mode === 'polls') return true;
    return false;
  }
}
