import type { AuditLog } from '../../audit/audit-log';
import { cardMetadataRepository } from '../../store/card-metadata.repository';
import { CardOfAnotherIssuerError } from '../../vault/vault-error';
import { assertIssuerOwnsPan, crossTenantCardError } from '../identity/tenancy';
import { decryptCardData } from '../provisioning/card-data';
import type { PushAreaPorts, PushPorts } from './ports';

/**
 * The push area's own card handling over its ports: reading a vaulted card's public facts, and
 * taking an issuer's `encryptedCard` into the vault (decrypt, tenancy check, store, audit).
 */
export function pushCards(ports: PushAreaPorts, audit: AuditLog, options: { jweMaxAgeSeconds: number }): Pick<PushPorts, 'findCard' | 'storeEncryptedCard'> {
  return {
    async findCard(executor, cardRef) {
      return (await cardMetadataRepository.byRefs(executor, [cardRef])).get(cardRef);
    },
    async storeEncryptedCard(tx, principal, encryptedCard) {
      const data = await decryptCardData(encryptedCard, ports.decryptionKeys(), { maxAgeSeconds: options.jweMaxAgeSeconds });
      assertIssuerOwnsPan(principal, data.pan.reveal(), ports.registry);
      const stored = await ports
        .storeCard(tx, {
          issuerId: principal.issuerId as string,
          pan: data.pan,
          expMonth: data.expMonth,
          expYear: data.expYear,
          ...(data.cardholderName ? { cardholderName: data.cardholderName } : {}),
        })
        .catch((err: unknown) => {
          throw err instanceof CardOfAnotherIssuerError ? crossTenantCardError() : err;
        });
      if (stored.created) {
        await audit.append(tx, {
          actor: { type: 'client', clientId: principal.clientId },
          action: 'card.create',
          subject: { type: 'card', id: stored.cardRef },
          outcome: 'success',
          details: { issuerId: principal.issuerId, via: 'push' },
        });
      }
      const card = (await cardMetadataRepository.byRefs(tx, [stored.cardRef])).get(stored.cardRef);
      if (!card) throw new Error('push area: a card just stored cannot be read back');
      return card;
    },
  };
}
