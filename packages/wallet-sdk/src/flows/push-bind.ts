import { errors as joseErrors, jwtVerify, type JWTHeaderParameters } from 'jose';
import type { HttpClient, RequestOptions } from '../client';
import { IntegrationError, OpenTspError, localProblem } from '../errors';
import type { VerificationKeys } from '../jwks';
import type { WithLastResponse } from '../last-response';
import { sha256Hex, type Clock } from '../platform';
import type { PushReceiptClaims, RedeemPushReceiptRequest, Token } from '../types';

/** `typ` of the TSP-signed push receipt payload (PushReceiptClaims in openapi/tsp.yaml). */
export const PUSH_RECEIPT_TYP = 'opentsp-push-receipt+jwt';

/** The parts of a push: the redeemable receipt, the TSP's signed payload, where to send the user back. */
export interface PushReceiptLink {
  pushReceipt: string;
  signedPayload: string;
  callbackUrl?: string;
}

/** A verified push, ready to show ("Add card •••• 1232 from Sandbox Bank?") and to redeem. */
export interface VerifiedPush extends PushReceiptLink {
  claims: PushReceiptClaims;
}

/** What the wallet adds to the redemption: `RedeemPushReceiptRequest` without the receipt. */
export type BindContext = Omit<RedeemPushReceiptRequest, 'pushReceipt'>;

/**
 * Reads a push from the deep link the bank app opened (`<appUri>?pushReceipt=…&signedPayload=…
 * &callbackUrl=…`), or from a `PushReceipt`-shaped object the bank handed over in-app.
 * Parsed by hand: React Native's `URL` does not parse custom schemes reliably.
 *
 * @example
 * ```ts
 * const push = parsePushReceiptLink('opentspwallet://push?pushReceipt=Yq3v…&signedPayload=eyJ…');
 * ```
 * @throws IntegrationError `deep_link_invalid`.
 */
export function parsePushReceiptLink(input: string | PushReceiptLink): PushReceiptLink {
  let fields: Partial<Record<keyof PushReceiptLink, string>>;
  if (typeof input === 'string') {
    const query = input.split('#')[0]?.split('?')[1] ?? '';
    fields = {};
    for (const pair of query.split('&')) {
      const [name, value = ''] = pair.split('=') as [string, string?];
      if (name === 'pushReceipt' || name === 'signedPayload' || name === 'callbackUrl') {
        fields[name] = safeDecode(value.replace(/\+/g, ' '));
      }
    }
  } else {
    fields = { pushReceipt: input?.pushReceipt, signedPayload: input?.signedPayload, callbackUrl: input?.callbackUrl };
  }
  const { pushReceipt, signedPayload, callbackUrl } = fields;
  if (!pushReceipt || !/^[A-Za-z0-9_-]{43,128}$/.test(pushReceipt)) {
    throw new IntegrationError({ code: 'deep_link_invalid', detail: 'The link carries no valid pushReceipt.' });
  }
  if (!signedPayload || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(signedPayload)) {
    throw new IntegrationError({ code: 'deep_link_invalid', detail: 'The link carries no signedPayload (compact JWS).' });
  }
  return callbackUrl ? { pushReceipt, signedPayload, callbackUrl } : { pushReceipt, signedPayload };
}

/**
 * Verifies the TSP's ES256 signature on a push (`typ` `opentsp-push-receipt+jwt`, key by `kid`
 * from the JWKS), its expiry, that it is for this token requestor (`aud` = TRID, when known)
 * and wallet account, and that it names this receipt (`pushReceiptHash` = SHA-256 of it).
 * A push that fails is never shown: a forged one could make the user add a card they did not ask for.
 *
 * @example
 * ```ts
 * const { claims } = await verifyPush(parsePushReceiptLink(url), wallet.jwks, { trid: '90000000001' });
 * ```
 * @throws ValidationError `receipt_signature_invalid`; GoneError `receipt_expired`;
 * PermissionError `receipt_wrong_requestor`, `receipt_wrong_account`.
 */
export async function verifyPush(
  link: PushReceiptLink,
  keys: VerificationKeys,
  expect: { trid?: string; walletAccountId?: string; clock?: Clock } = {},
): Promise<VerifiedPush> {
  let claims: PushReceiptClaims;
  try {
    const getKey = async (header: JWTHeaderParameters): Promise<CryptoKey> => {
      const key = typeof header.kid === 'string' ? await keys.verificationKey(header.kid) : undefined;
      if (!key) throw localProblem('receipt_signature_invalid', 'The push is signed with a key the TSP does not publish.');
      return key;
    };
    const nowSeconds = Math.floor((expect.clock ?? Date.now)() / 1000);
    const { payload } = await jwtVerify(link.signedPayload, getKey, {
      algorithms: ['ES256'],
      typ: PUSH_RECEIPT_TYP,
      requiredClaims: ['iss', 'aud', 'iat', 'exp'],
      currentDate: new Date(nowSeconds * 1000),
      clockTolerance: 30,
    });
    claims = payload as unknown as PushReceiptClaims;
  } catch (error) {
    if (error instanceof OpenTspError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw localProblem('receipt_expired', 'The push receipt expired; ask the bank app for a new one.', error);
    throw localProblem('receipt_signature_invalid', 'The push is not signed by the TSP or was altered.', error);
  }
  if (typeof claims.receiptId !== 'string' || typeof claims.card?.panLast4 !== 'string') {
    throw localProblem('receipt_signature_invalid', 'The signed push lacks receiptId or card.');
  }
  if (claims.pushReceiptHash !== undefined && claims.pushReceiptHash !== (await sha256Hex(link.pushReceipt))) {
    throw localProblem('receipt_signature_invalid', 'The signed payload belongs to another push receipt.');
  }
  if (expect.trid && claims.aud !== expect.trid) {
    throw localProblem('receipt_wrong_requestor', 'The push receipt was issued for another wallet.');
  }
  if (expect.walletAccountId && claims.walletAccountId && claims.walletAccountId !== expect.walletAccountId) {
    throw localProblem('receipt_wrong_account', 'The push receipt names another wallet account.');
  }
  return { ...link, claims };
}

/** @internal Verify, then redeem with `POST /v1/tokens` `{ pushReceipt }` (see WalletClient.bindWithPushReceipt). */
export async function bindWithPushReceipt(
  http: HttpClient,
  keys: VerificationKeys,
  input: string | PushReceiptLink,
  context: BindContext,
  expect: { trid?: string },
  options?: RequestOptions,
): Promise<{ token: WithLastResponse<Token>; push: VerifiedPush }> {
  const push = await verifyPush(parsePushReceiptLink(input), keys, {
    trid: expect.trid,
    walletAccountId: context.walletAccountId,
    clock: http.clock,
  });
  const { data } = await http.call('post', '/v1/tokens', { body: { ...context, pushReceipt: push.pushReceipt } }, options);
  return { token: data, push };
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
