/**
 * JD Cloud's two signature generations behind one door: JDCLOUD2-HMAC-SHA256 (jdcloud-sdk-js, the Go
 * SDK, jdcloud-sdk-python up to 1.6.94) and JDCLOUD3-HMAC-SHA256 (jdcloud-sdk-python from 1.6.95,
 * so `jdc`). The Authorization header names the generation; both share its grammar and the scope.
 */
import { JD2_ALGORITHM, parseJd2Authorization, parseJdAuthorizationAs, verifyJd2, type Jd2Authorization, type Jd2Request } from './jdcloud2.ts';
import { JD3_ALGORITHM, JD3_TERMINATOR, verifyJd3 } from './jdcloud3.ts';

export interface JdAuthorization extends Jd2Authorization {
  algorithm: typeof JD2_ALGORITHM | typeof JD3_ALGORITHM;
}

export function parseJdAuthorization(header: string): JdAuthorization | undefined {
  const v2 = parseJd2Authorization(header);
  if (v2) return { ...v2, algorithm: JD2_ALGORITHM };
  const v3 = parseJdAuthorizationAs(header, JD3_ALGORITHM, JD3_TERMINATOR);
  return v3 && { ...v3, algorithm: JD3_ALGORITHM };
}

export function verifyJd(secretKey: string, req: Jd2Request, auth: JdAuthorization): boolean {
  return auth.algorithm === JD3_ALGORITHM ? verifyJd3(secretKey, req, auth) : verifyJd2(secretKey, req, auth);
}
