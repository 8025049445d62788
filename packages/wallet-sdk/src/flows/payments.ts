import type { HttpClient, RequestOptions } from '../client';
import type { WithLastResponse } from '../last-response';
import type { CryptogramRequest, PaymentCredentials } from '../types';

/**
 * @internal `POST /v1/tokens/{tokenRef}/cryptograms`: token PAN, token expiry, a one-time
 * cryptogram bound to this transaction and its ATC (see WalletClient.getPaymentCredentials).
 */
export async function getPaymentCredentials(
  http: HttpClient,
  tokenRef: string,
  transaction: CryptogramRequest,
  options?: RequestOptions,
): Promise<WithLastResponse<PaymentCredentials>> {
  const { data } = await http.call('post', '/v1/tokens/{tokenRef}/cryptograms', { path: { tokenRef }, body: transaction }, options);
  return data;
}
