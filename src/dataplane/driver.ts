/** The data plane behind the task engine: applies an accepted operation's effect to "hardware". */
import type { ChangeEvent, TaskKind } from '../core/model.ts';

export interface Effect {
  taskId: string;
  kind: TaskKind;
  resourceIds: string[];
  payload: Record<string, unknown>;
}

export interface Driver {
  readonly name: string;
  /** Before the engine claims anything: a driver that cannot work here says why (the start stops). */
  start?(): Promise<void>;
  /** Resolves when the effect is in place; rejects with a DataplaneFailure DomainError when it is not. */
  apply(effect: Effect): Promise<void>;
  /** The task's end is committed. A failed task was rolled back; what its effect left behind must go. */
  finished?(effect: Effect, result: 'SUCCESS' | 'FAILED'): void;
  /** A change the store captured (every one but tasks' and calls'): the driver picks what concerns it. */
  changed?(event: ChangeEvent): void;
  /** The server stops: what the driver made goes. */
  stop?(): Promise<void>;
}
