import type { components } from '@opentsp/api-types';
import { UnavailableError } from '../../errors';
import type { Issuer } from '../identity/records';
import { IssuerCallError, signedPost, type SignedPostOptions } from './signed-post';

export type OtpDeliveryRequest = components['schemas']['OtpDeliveryRequest'];

/**
 * Hands a one-time code to the issuer's OTP delivery endpoint (contract webhook
 * `issuer.otpDelivery`), the only place the code ever travels. Any failure is a 503
 * `service_unavailable` for the wallet, which may retry (a re-send).
 */
export async function deliverOtp(issuer: Issuer, request: OtpDeliveryRequest, options: SignedPostOptions): Promise<void> {
  if (!issuer.otpDeliveryUrl) throw new UnavailableError('service_unavailable', 'The issuer has no OTP delivery endpoint; the code cannot be sent.');
  try {
    const { status } = await signedPost(issuer.otpDeliveryUrl, request, options);
    if (status >= 200 && status <= 299) return;
  } catch (err) {
    if (!(err instanceof IssuerCallError)) throw err;
  }
  throw new UnavailableError('service_unavailable', 'The issuer could not deliver the verification code; try again.');
}
