/** Task results (spec §4.19, §4.20): how API 3.0 clients learn that an async call finished. */
import { action, RATE } from '../action.ts';
import { t } from '../codec.ts';
import { taskFailureText } from '../errors.ts';
import { TcError } from '../tcError.ts';

export const taskActions = {
  DescribeVpcTaskResult: action({
    product: 'vpc',
    rate: RATE.slow,
    params: t.obj({ TaskId: t.str() }),
    async run({ core, scope }, p) {
      const task = await core.getTask(scope, { id: p.TaskId });
      return {
        Status: task.status,
        // Unconfirmed format for failures: "<code>: <message>", which is what a human needs.
        Output: task.status === 'SUCCESS' ? 'SUCCESS' : task.status === 'FAILED' ? taskFailureText(task.errorCode, task.errorMessage) : '',
        Result: task.resourceIds.map((id) => ({ ResourceId: id, Status: task.status })),
      };
    },
  }),
  DescribeTaskResult: action({
    product: 'vpc',
    rate: RATE.default,
    params: t.obj({ TaskId: t.uint().optional(), DealName: t.str().optional() }),
    async run({ core, scope }, p) {
      if (p.TaskId === undefined && p.DealName === undefined) throw new TcError('MissingParameter', 'One of TaskId and DealName is required.');
      if (p.TaskId === undefined) throw new TcError('InvalidParameter', 'eniplane has no billing deals; query by TaskId.');
      const task = await core.getTask(scope, { seq: p.TaskId });
      return { TaskId: task.seq, Result: task.status };
    },
  }),
};
