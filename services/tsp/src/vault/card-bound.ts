import { cardsRepository } from '../store/cards.repository';
import type { Executor } from '../store/transaction';
import { NotFoundError } from '../errors';
import { aesGcmOpen, aesGcmSeal } from './aes-gcm';
import type { DataKeys } from './data-keys';
import { aadOf, formatSealed, parseSealed, type SealContext } from './envelope';
import { Plaintext } from './secrets';

/**
 * Seals a record derived from a card (e.g. a stored detokenization answer, which holds the
 * card in a JWE) under that card's own data key, so the record dies with the card: deleting
 * the card crypto-shreds its key (card-vault.ts `shredCard`), a PAN replacement destroys the
 * old one (DESIGN §4; PCI DSS 4.0 req. 3.2.1: no card data kept past its need). The AAD names
 * the card as well as the record, so a value cannot be moved to another card or record.
 */
export class CardBoundSealer {
  constructor(private readonly dataKeys: DataKeys) {}

  /** @throws NotFoundError `card_not_found` when the card is not active. */
  async seal(executor: Executor, cardRef: string, context: SealContext, plaintext: string): Promise<string> {
    const row = await cardsRepository.find(executor, cardRef);
    if (!row || row.status !== 'active' || !row.dek_id) throw new NotFoundError('card_not_found', 'No card with this cardRef.');
    const key = await this.dataKeys.get(executor, row.dek_id);
    return formatSealed(row.dek_id, aesGcmSeal(key, Buffer.from(plaintext, 'utf8'), aad(cardRef, context)));
  }

  /**
   * The plaintext, or `undefined` once the card is deleted or its data key replaced. The card
   * row is read every time: another process may still hold the destroyed key in its cache.
   */
  async open(executor: Executor, cardRef: string, sealed: string, context: SealContext): Promise<Plaintext | undefined> {
    const { dekId, ciphertext } = parseSealed(sealed);
    const row = await cardsRepository.find(executor, cardRef);
    if (!row || row.status !== 'active' || row.dek_id !== dekId) return undefined;
    const key = await this.dataKeys.get(executor, dekId);
    return new Plaintext(aesGcmOpen(key, ciphertext, aad(cardRef, context)));
  }
}

function aad(cardRef: string, context: SealContext): Buffer {
  return aadOf({ ...context, field: `${context.field ?? 'data'}@${cardRef}` });
}
