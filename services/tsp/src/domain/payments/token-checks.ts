import { AccessError, StateError } from '../errors';

/** The parts of a token the payment checks look at. */
export interface UsableToken {
  status: 'INACTIVE' | 'ACTIVE' | 'SUSPENDED' | 'DELETED';
  expMonth: number;
  expYear: number;
  channels: readonly string[];
  merchantIds: readonly string[] | null;
}

/**
 * A card or token is valid through the last instant of its expiry month (ISO/IEC 7813 "valid
 * thru"); we compare in UTC.
 */
/** The facts the checks need, from a tokens row (any query that selected these columns). */
export function usableTokenOf(row: {
  status: UsableToken['status'];
  token_exp_month: number;
  token_exp_year: number;
  channels: string[];
  merchant_ids: string[] | null;
}): UsableToken {
  return {
    status: row.status,
    expMonth: row.token_exp_month,
    expYear: row.token_exp_year,
    channels: row.channels,
    merchantIds: row.merchant_ids,
  };
}

export function isPastExpiry(expMonth: number, expYear: number, now: Date = new Date()): boolean {
  const firstOfNextMonth = Date.UTC(expYear, expMonth, 1); // month is 0-based in Date.UTC: expMonth = next month
  return now.getTime() >= firstOfNextMonth;
}

/**
 * The token can pay: not deleted (`token_deleted`), ACTIVE (`token_not_active`, e.g.
 * SUSPENDED or INACTIVE awaiting ID&V) and unexpired (`token_past_expiry`).
 */
export function assertTokenUsable(token: UsableToken, now: Date = new Date()): void {
  if (token.status === 'DELETED') throw new StateError('token_deleted', 'The token is deleted.');
  if (token.status !== 'ACTIVE') throw new StateError('token_not_active', `The token is ${token.status}.`);
  if (isPastExpiry(token.expMonth, token.expYear, now)) throw new StateError('token_past_expiry', 'The token has expired.');
}

/** The channel is in the token's domain (EMVCo token domain restriction controls). */
export function assertChannelInDomain(token: UsableToken, channel: string): void {
  if (!token.channels.includes(channel)) {
    throw new AccessError('domain_channel_not_allowed', `The token may not be used in channel ${channel}.`);
  }
}

/** A token whose domain names merchants works only at those merchants. */
export function assertMerchantInTokenDomain(token: UsableToken, merchantId: string): void {
  if (token.merchantIds && token.merchantIds.length > 0 && !token.merchantIds.includes(merchantId)) {
    throw new AccessError('domain_merchant_not_allowed', "The merchant is outside the token's domain.");
  }
}
