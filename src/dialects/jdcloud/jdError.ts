import { AnswerError } from '../../core/errors.ts';

/** An error in JD Cloud terms: the HTTP status (also `error.code`), the status string and a message. */
export class JdError extends AnswerError {
  constructor(
    readonly httpCode: number,
    readonly status: string,
    message: string,
  ) {
    super(message);
    this.name = 'JdError';
  }
}

export const invalidArgument = (m: string) => new JdError(400, 'INVALID_ARGUMENT', m);
export const failedPrecondition = (m: string) => new JdError(400, 'FAILED_PRECONDITION', m);
export const notFound = (m: string) => new JdError(404, 'NOT_FOUND', m);
/** The real gateway's signature failure is 401 ACCESS_ERROR (spec §2.6); we use it for every auth failure. */
export const accessError = (m: string) => new JdError(401, 'ACCESS_ERROR', m);
