import type { components } from '@opentsp/api-types';
import { AccessError } from '../../errors';

type Channel = components['schemas']['Channel'];

/**
 * The token domain's channels from the provisioning channel (contract `ProvisionRequest.channel`):
 * a token provisioned for `nfc` lives in a phone wallet, which also pays in apps, so
 * `nfc` → `[nfc, in_app]`; any other channel → that channel only (EMVCo TF §3.5 token
 * domain restriction controls).
 */
export function channelsFor(channel: Channel): Channel[] {
  return channel === 'nfc' ? ['nfc', 'in_app'] : [channel];
}

/** Refuses a channel outside the requestor's registered ones (403 `domain_channel_not_allowed`). */
export function checkChannelAllowed(channel: Channel, allowed: readonly Channel[] | undefined): void {
  if (!allowed || !allowed.includes(channel)) {
    throw new AccessError('domain_channel_not_allowed', `This token requestor may not provision tokens for the ${channel} channel.`);
  }
}

/** Tokens live at most this long, whatever the card's own expiry. */
export const MAX_TOKEN_LIFETIME_YEARS = 3;

/** The token's expiry: the card's, capped at three years from now (month granularity, UTC). */
export function tokenExpiryFor(card: { expMonth: number; expYear: number }, now: Date = new Date()): { month: number; year: number } {
  const capYear = now.getUTCFullYear() + MAX_TOKEN_LIFETIME_YEARS;
  const capMonth = now.getUTCMonth() + 1;
  const cardIsLater = card.expYear > capYear || (card.expYear === capYear && card.expMonth > capMonth);
  return cardIsLater ? { month: capMonth, year: capYear } : { month: card.expMonth, year: card.expYear };
}

/** True once a token is past the end of its expiry month. */
export function isTokenPastExpiry(expiry: { month: number; year: number }, now: Date = new Date()): boolean {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth() + 1;
  return expiry.year < y || (expiry.year === y && expiry.month < m);
}
