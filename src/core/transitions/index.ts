/** Every task kind's completion and roll-back, gathered for the engine from the operations that own them. */
import { eniTransitions } from '../ops/enis.ts';
import { instanceTransitions } from '../ops/instances.ts';
import type { Task, TaskKind } from '../model.ts';
import type { Transition, Transitions } from './kit.ts';

export const transitions: Transitions = { ...eniTransitions, ...instanceTransitions };

/** The transition of a stored task, its payload read as that kind's. */
export function transitionOf(task: Task): Transition<TaskKind> {
  // A stored payload is TaskPayloads[task.kind]: accept() wrote it with that type.
  return transitions[task.kind] as Transition<TaskKind>;
}
