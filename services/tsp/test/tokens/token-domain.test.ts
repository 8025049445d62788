import { channelsFor, checkChannelAllowed, isTokenPastExpiry, tokenExpiryFor } from '../../src/domain/provisioning/token-domain';

describe('token domain and expiry', () => {
  it.each([
    ['nfc', ['nfc', 'in_app']],
    ['in_app', ['in_app']],
    ['ecom', ['ecom']],
    ['cof', ['cof']],
  ] as const)('gives a token provisioned for %s the channels %j', (channel, want) => {
    expect(channelsFor(channel)).toEqual(want);
  });

  it('refuses a channel the requestor is not registered for', () => {
    expect(() => checkChannelAllowed('nfc', ['ecom'])).toThrow(expect.objectContaining({ code: 'domain_channel_not_allowed' }));
    expect(() => checkChannelAllowed('nfc', undefined)).toThrow(expect.objectContaining({ code: 'domain_channel_not_allowed' }));
    expect(() => checkChannelAllowed('ecom', ['nfc', 'ecom'])).not.toThrow();
  });

  const now = new Date('2026-03-15T12:00:00Z');
  it.each([
    [{ expMonth: 8, expYear: 2027 }, { month: 8, year: 2027 }],
    [{ expMonth: 3, expYear: 2029 }, { month: 3, year: 2029 }],
    [{ expMonth: 4, expYear: 2029 }, { month: 3, year: 2029 }],
    [{ expMonth: 12, expYear: 2035 }, { month: 3, year: 2029 }],
  ])('caps the token expiry of card %j at three years: %j', (card, want) => {
    expect(tokenExpiryFor(card, now)).toEqual(want);
  });

  it('treats a token as valid through the end of its expiry month', () => {
    expect(isTokenPastExpiry({ month: 3, year: 2026 }, now)).toBe(false);
    expect(isTokenPastExpiry({ month: 2, year: 2026 }, now)).toBe(true);
    expect(isTokenPastExpiry({ month: 12, year: 2025 }, now)).toBe(true);
  });
});
