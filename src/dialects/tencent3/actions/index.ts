/** Every API 3.0 action eniplane serves, by name. Routing is by action alone (spec §1.6). */
import type { ActionDef } from '../action.ts';
import { cvmActions } from './cvm.ts';
import { eniActions } from './eni.ts';
import { taskActions } from './task.ts';
import { vpcActions } from './vpc.ts';

export const actions: Record<string, ActionDef> = { ...vpcActions, ...eniActions, ...taskActions, ...cvmActions };
