/** Every API 2.0 action eniplane serves, by name; no prototype, so `constructor` or `toString` is no action. */
import type { Action2Def } from '../action.ts';
import { cvm2Actions } from './cvm.ts';
import { dfw2Actions } from './dfw.ts';
import { eni2Actions } from './eni.ts';
import { vpc2Actions } from './vpc.ts';

export const actions2: Record<string, Action2Def> = Object.assign(Object.create(null) as Record<string, Action2Def>, {
  ...vpc2Actions,
  ...eni2Actions,
  ...cvm2Actions,
  ...dfw2Actions,
});
