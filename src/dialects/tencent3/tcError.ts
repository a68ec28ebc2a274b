import { AnswerError } from '../../core/errors.ts';

/** An error already in Tencent API 3.0 terms (code and message), raised by the dialect itself. */
export class TcError extends AnswerError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TcError';
  }
}
