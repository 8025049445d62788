/*
 * Type tests: every `@ts-expect-error` below must be an error, or `pnpm typecheck` fails
 * ("Unused '@ts-expect-error' directive"). Not run by jest; compiled only. The valid calls
 * next to them show the same call is accepted when it matches the contract.
 */
import { WalletClient, IssuerClient, AcquirerClient, isOpenTspError, type ProvisionContext, type TokenActivationResponse } from '../../src/browser';

declare const wallet: WalletClient;
declare const issuer: IssuerClient;
declare const acquirer: AcquirerClient;
const card = { pan: '6212345678901232', expMonth: 12, expYear: 2029 };
const context: ProvisionContext = { walletAccountId: 'wa_1', device: { id: 'd1', type: 'phone' }, tokenLocation: '02', channel: 'nfc' };

export async function invalidUsage(): Promise<void> {
  await wallet.provisionCard(card, context);

  // @ts-expect-error channel 'bluetooth' is not a Channel (nfc | in_app | ecom | cof)
  await wallet.provisionCard(card, { ...context, channel: 'bluetooth' });
  // @ts-expect-error tokenLocation is an EMVCo code '01'–'07'
  await wallet.provisionCard(card, { ...context, tokenLocation: '09' });
  // @ts-expect-error device.type 'laptop' is not a DeviceType
  await wallet.provisionCard(card, { ...context, device: { id: 'd1', type: 'laptop' } });
  // @ts-expect-error walletAccountId is required
  await wallet.provisionCard(card, { device: { id: 'd1', type: 'phone' }, tokenLocation: '02', channel: 'nfc' });
  // @ts-expect-error wrong field name: cardNumber instead of pan
  await wallet.provisionCard({ cardNumber: '6212345678901232', expMonth: 12, expYear: 2029 }, context);
  // @ts-expect-error expMonth is a number
  await wallet.provisionCard({ pan: '6212345678901232', expMonth: '12', expYear: 2029 }, context);
  // @ts-expect-error expYear is required
  await wallet.provisionCard({ pan: '6212345678901232', expMonth: 12 }, context);

  // @ts-expect-error amount is an integer of minor units, not a string
  await wallet.getPaymentCredentials('tok_1', { amount: '128.00', currency: 'CNY', merchantId: 'm1', channel: 'nfc' });
  // @ts-expect-error merchantId is required
  await wallet.getPaymentCredentials('tok_1', { amount: 12800, currency: 'CNY', channel: 'nfc' });
  // @ts-expect-error wrong field name: transactionKind
  await wallet.getPaymentCredentials('tok_1', { amount: 1, currency: 'CNY', merchantId: 'm1', channel: 'nfc', transactionKind: 'purchase' });

  // @ts-expect-error 'misplaced' is not a LifecycleReason
  await wallet.suspend('tok_1', { reason: 'misplaced' });
  // @ts-expect-error 'EXPIRED' is not a TokenStatus
  wallet.listCards('wa_1', { status: 'EXPIRED' });
  // @ts-expect-error bindWithPushReceipt needs walletAccountId
  await wallet.bindWithPushReceipt('opentspwallet://push?pushReceipt=x', { device: { id: 'd1', type: 'phone' } });

  // @ts-expect-error trid is required for a push receipt
  await issuer.createPushReceipt({ cardRef: 'card_1' }, { walletAccountId: 'wa_1' });
  // @ts-expect-error ttlSeconds is a number
  await issuer.createPushReceipt({ cardRef: 'card_1' }, { trid: '90000000001', ttlSeconds: '900' });
  // @ts-expect-error a card source is a cardRef or a card, not a pan
  await issuer.pushToWallet({ pan: '6212345678901232' }, { trid: '90000000001', walletAccountId: 'wa_1' });

  // @ts-expect-error detokenize needs the cryptogram and atc
  await acquirer.detokenize({ tokenPan: '6288123456789015', tokenExpiry: { month: 12, year: 2029 }, transaction: { amount: 1, currency: 'CNY', merchantId: 'm', channel: 'nfc' } });

  // The transport is typed from the contract too.
  // @ts-expect-error no such path in openapi/tsp.yaml
  await wallet.http.call('get', '/v1/token');
  // @ts-expect-error GET /v1/tokens/{tokenRef} needs its path parameter named tokenRef
  await wallet.http.call('get', '/v1/tokens/{tokenRef}', { path: { ref: 'tok_1' } });
  // @ts-expect-error the body of POST /v1/tokens/{tokenRef}/suspend has no field why
  await wallet.http.call('post', '/v1/tokens/{tokenRef}/suspend', { path: { tokenRef: 't' }, body: { why: 'lost' } });
  const { data } = await wallet.http.call('get', '/v1/tokens/{tokenRef}', { path: { tokenRef: 'tok_1' } });
  // @ts-expect-error a Token has no pan (never the funding PAN)
  void data.pan;

  try {
    await wallet.getCard('tok_1');
  } catch (err) {
    if (isOpenTspError(err)) {
      // @ts-expect-error 'token_missing' is not an error code
      if (err.code === 'token_missing') return;
      if (err.code === 'provisioning_declined') void err.reasonCodes;
      if (err.code === 'card_verification_failed') return;
      // @ts-expect-error reasonCodes exists only on DeclinedError
      if (err.code === 'token_not_found') void err.reasonCodes;
    }
  }
}

/** A bank's decision endpoint answers with typed card-check results. */
export function issuerDecisionAnswer(): TokenActivationResponse[] {
  const checked: TokenActivationResponse = { decision: 'approve', expiryResult: 'match', cvv2Result: 'match' };
  // @ts-expect-error cvv2Result is 'match' | 'no_match' | 'not_checked'
  const wrong: TokenActivationResponse = { decision: 'approve', cvv2Result: 'ok' };
  return [checked, wrong];
}
