import { generateTestWebhookKey, signTestWebhook, tokenExpiryChange, verifyWebhook, type WebhookEvent } from '../src';
import { tokenBody } from './support/stand-in';

/** A `token.updated` as the TSP sends it after a card reissue or a renewal (issue 20). */
function updated(data: Record<string, unknown>): WebhookEvent {
  return { id: 'evt_Ex7Rs9Tu1Vw3Xy5Za7Bc', type: 'token.updated', createdAt: '2026-12-01T09:30:00Z', data: { token: tokenBody({}), ...data } } as unknown as WebhookEvent;
}

describe('tokenExpiryChange (a token.updated that renewed the token expiry)', () => {
  it('gives the previous and the new expiry of a verified event', async () => {
    const key = await generateTestWebhookKey();
    const { body, headers } = await signTestWebhook(
      updated({ previousTokenExpiry: { month: 2, year: 2027 }, tokenExpiry: { month: 6, year: 2029 }, cause: { actor: 'issuer' } }),
      key.privateJwk,
    );
    const event = await verifyWebhook(body, headers, { keys: key.jwks });
    expect(tokenExpiryChange(event)).toEqual({ previous: { month: 2, year: 2027 }, current: { month: 6, year: 2029 } });
  });

  it('is undefined when the expiry did not change, and for other event types', () => {
    expect(tokenExpiryChange(updated({ cause: { actor: 'issuer' } }))).toBeUndefined();
    const suspended = { ...updated({ previousTokenExpiry: { month: 2, year: 2027 }, tokenExpiry: { month: 6, year: 2029 } }), type: 'token.suspended' } as WebhookEvent;
    expect(tokenExpiryChange(suspended)).toBeUndefined();
  });
});
