import type { components } from '@opentsp/api-types';
import type { AuditActor } from '../../store/audit-entries.table';
import { paymentsRepository } from '../../store/payments.repository';
import { tokensRepository } from '../../store/tokens.repository';
import type { StatementTarget } from '../../store/prepared-statement';
import type { Executor } from '../../store/transaction';
import { AccessError, NotFoundError, StateError } from '../../errors';
import { assertRequestorOwnsToken, type IdentityRegistry } from '../identity';
import type { Principal } from '../principal';
import { computeCryptogram, type CryptogramKeys } from './cryptogram-mac';
import { assertChannelInDomain, assertMerchantInTokenDomain, assertTokenUsable, usableTokenOf } from './token-checks';

export type CryptogramRequest = components['schemas']['CryptogramRequest'];
export type PaymentCredentials = components['schemas']['PaymentCredentials'];
type Channel = components['schemas']['Channel'];

export interface PaymentCredentialsDeps {
  db: Executor;
  /** The pool, for the issuance's prepared statement in autocommit. */
  autocommit: StatementTarget;
  keys: CryptogramKeys;
  registry: IdentityRegistry;
  ttlSeconds: number;
  /** The calendar clock of the token expiry check. */
  clock: () => Date;
}

/**
 * Electronic commerce indicator per channel. OpenTSP itself authenticates no cardholder at
 * this step (no 3-D Secure), so every channel carries "07" (authentication not performed);
 * one table so a deployment with device CVM evidence can map `in_app` to "05".
 */
const ECI: Readonly<Record<Channel, string>> = { nfc: '07', in_app: '07', ecom: '07', cof: '07' };

/**
 * Payment credentials for one transaction (DESIGN §2 flow 6): the next ATC of the token, a
 * cryptogram over token PAN, ATC and transaction data, valid for `ttlSeconds`.
 *
 * Checks: the caller is the token's requestor (`forbidden`, `cross_tenant_access`), the token
 * exists (`token_not_found`), is not deleted, ACTIVE and unexpired, the channel and merchant
 * are in its domain; a card-on-file merchant gets credentials only for its own merchant ids.
 */
export async function issuePaymentCredentials(
  deps: PaymentCredentialsDeps,
  principal: Principal,
  tokenRef: string,
  request: CryptogramRequest,
  requestId?: string,
): Promise<PaymentCredentials> {
  const row = await tokensRepository.findByRef(deps.db, tokenRef);
  if (!row) throw new NotFoundError('token_not_found', 'No token with this tokenRef.');
  assertRequestorOwnsToken(principal, { trid: row.trid, issuerId: row.issuer_id, merchantIds: row.merchant_ids });
  const token = usableTokenOf(row);
  const today = deps.clock();
  assertTokenUsable(token, today);
  assertChannelInDomain(token, request.channel);
  assertMerchantInTokenDomain(token, request.merchantId);
  if (principal.role === 'cof_merchant') {
    const own = principal.merchantIds ?? deps.registry.getClient(principal.clientId)?.merchantIds ?? [];
    if (!own.includes(request.merchantId)) {
      throw new AccessError('domain_merchant_not_allowed', 'A card-on-file merchant uses its tokens only at its own merchant ids.');
    }
  }

  const transactionType = request.transactionType ?? 'purchase';
  const actor: AuditActor = { type: 'client', clientId: principal.clientId };
  const issued = await paymentsRepository.issue(
    deps.autocommit,
    tokenRef,
    {
      amount: request.amount,
      currency: request.currency,
      merchantId: request.merchantId,
      channel: request.channel,
      transactionType,
      unpredictableNumber: request.unpredictableNumber ?? null,
    },
    deps.ttlSeconds,
    {
      actor,
      action: 'token.cryptogram',
      subject: { type: 'token', id: tokenRef },
      outcome: 'success',
      details: { tokenRef, merchantId: request.merchantId, channel: request.channel },
      ...(requestId ? { requestId } : {}),
    },
  );
  if (!issued) {
    // The token changed status since we read it, or its 2-byte ATC is exhausted.
    const now = await tokensRepository.findByRef(deps.db, tokenRef);
    if (now && now.status !== 'ACTIVE') assertTokenUsable({ ...token, status: now.status }, today);
    throw new StateError('token_state_conflict', 'The token has used every transaction counter value; provision a new token.');
  }

  const transaction: PaymentCredentials['transaction'] = {
    amount: request.amount,
    currency: request.currency,
    merchantId: request.merchantId,
    channel: request.channel,
    transactionType,
    ...(request.unpredictableNumber ? { unpredictableNumber: request.unpredictableNumber } : {}),
  };
  const cryptogram = computeCryptogram(await deps.keys.keyFor(tokenRef), {
    tokenPan: row.token_pan,
    atc: issued.atc,
    ...transaction,
  });
  return {
    tokenRef,
    tokenPan: row.token_pan,
    tokenExpiry: { month: row.token_exp_month, year: row.token_exp_year },
    cryptogram,
    eci: ECI[request.channel],
    atc: issued.atc,
    transaction,
    expiresAt: issued.expiresAt.toISOString(),
  };
}
