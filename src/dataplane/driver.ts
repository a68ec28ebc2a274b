/** The data plane behind the task engine: applies an accepted operation's effect to "hardware". */
import type { TaskKind } from '../core/model.ts';

export interface Effect {
  taskId: string;
  kind: TaskKind;
  resourceIds: string[];
  payload: Record<string, unknown>;
}

export interface Driver {
  readonly name: string;
  /** Resolves when the effect is in place; rejects with a DataplaneFailure DomainError when it is not. */
  apply(effect: Effect): Promise<void>;
}
