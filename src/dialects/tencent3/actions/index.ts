/**
 * Every API 3.0 action eniplane serves, by name. Routing is by action alone (spec §1.6). The client's
 * action name is the lookup key, so the map has no prototype: `constructor` or `toString` finds nothing.
 */
import type { ActionDef } from '../action.ts';
import { cbsActions } from './cbs.ts';
import { cvmActions } from './cvm.ts';
import { eniActions } from './eni.ts';
import { securityGroupActions } from './securityGroup.ts';
import { tagActions } from './tag.ts';
import { taskActions } from './task.ts';
import { vpcActions } from './vpc.ts';

export const actions: Record<string, ActionDef> = Object.assign(Object.create(null) as Record<string, ActionDef>, {
  ...vpcActions,
  ...eniActions,
  ...securityGroupActions,
  ...tagActions,
  ...taskActions,
  ...cvmActions,
  ...cbsActions,
});
