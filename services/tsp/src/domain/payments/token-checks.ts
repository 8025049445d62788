import { AccessError, StateError } from '../../errors';

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

/** The token columns the presented-expiry check reads. */
export interface PresentedExpiryRow {
  token_exp_month: number;
  token_exp_year: number;
  previous_token_exp_month: number | null;
  previous_token_exp_year: number | null;
  token_expiry_changed_at: Date | null;
}

/**
 * The presented expiry is the token's, or the one its last change (card reissue, renewal)
 * replaced while the grace window lasts: a merchant or acquirer may still hold the previous
 * expiry (a stored card-on-file credential, a transaction in flight) when `token.updated`
 * goes out. Outside that, `token_expiry_mismatch`.
 */
export function assertPresentedExpiry(
  row: PresentedExpiryRow,
  presented: { month: number; year: number },
  now: Date,
  graceMs: number,
): void {
  if (row.token_exp_month === presented.month && row.token_exp_year === presented.year) return;
  const previous =
    row.previous_token_exp_month === presented.month &&
    row.previous_token_exp_year === presented.year &&
    row.token_expiry_changed_at !== null &&
    now.getTime() < row.token_expiry_changed_at.getTime() + graceMs;
  if (!previous) throw new AccessError('token_expiry_mismatch', 'The token expiry does not match the token.');
}
