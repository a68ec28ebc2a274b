import { AnswerError } from '../../core/errors.ts';

/** An error already in API 2.0 terms: the public numeric code, the symbolic codeDesc and a message. */
export class Tc2Error extends AnswerError {
  constructor(
    readonly code: number,
    readonly codeDesc: string,
    message: string,
  ) {
    super(message);
    this.name = 'Tc2Error';
  }
}

/**
 * The public codes of API 2.0 (spec §2.3). The codeDesc column is the best evidence (unconfirmed
 * except InvalidParameter with 4000); it is kept in this one table so a real sample can correct it.
 */
export const PUBLIC = {
  invalidParameter: (m: string) => new Tc2Error(4000, 'InvalidParameter', m),
  signatureFailure: (m: string) => new Tc2Error(4100, 'InvalidParameter.SignatureFailure', m),
  secretIdNotFound: (m: string) => new Tc2Error(4104, 'InvalidParameter.SecretIdNotFound', m),
  tokenFailure: (m: string) => new Tc2Error(4105, 'InvalidRequest.TokenCheckFailed', m),
  limitExceeded: (m: string) => new Tc2Error(4400, 'InvalidRequest.LimitExceeded', m),
  replay: (m: string) => new Tc2Error(4500, 'InvalidRequest.ReplayAttack', m),
  unsupportedProtocol: (m: string) => new Tc2Error(4600, 'InvalidRequest.UnsupportedProtocol', m),
  internal: (m: string) => new Tc2Error(6000, 'InternalError', m),
  actionNotFound: (m: string) => new Tc2Error(6100, 'InvalidAction.NotFound', m),
};
