import { randomBytes } from 'node:crypto';
import type { WebhookEventData } from '../../../src/domain/webhooks';

/** A random, contract-shaped token reference. */
export function newTokenRef(): string {
  return `tok_${randomBytes(12).toString('hex')}`;
}

/** `data` of a webhook event about `tokenRef`, shaped like the contract's `WebhookEvent.data`. */
export function tokenEventData(tokenRef: string, overrides: Partial<WebhookEventData> = {}): WebhookEventData {
  return {
    token: {
      tokenRef,
      status: 'ACTIVE',
      trid: '40100000001',
      walletAccountId: 'wa_8842a1c7',
      tokenLast4: '9015',
      tokenExpiry: { month: 12, year: 2029 },
      par: 'U0017ZK4QH2M8XW5N3B6C9D1E0F2G',
      assuranceMethod: '14',
      domain: { channels: ['nfc', 'in_app'], tokenLocation: '02' },
      card: {
        cardRef: 'card_3Jf8KdL2mN5pQ7rS9tUv',
        panLast4: '1232',
        expiry: { month: 12, year: 2029 },
        issuerId: 'iss_bankA0001Sandbox01',
        issuerName: 'Sandbox Bank',
      },
      createdAt: '2026-01-01T09:00:00Z',
      updatedAt: '2026-01-01T09:00:00Z',
    },
    ...overrides,
  };
}
